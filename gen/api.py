"""gen as a library: `gen.compile` writes a model's C library as `python -m gen` does and returns what the
summary shows; `gen.verify` runs `--verify`'s checks and returns their result.

    import gen
    lib = gen.compile("model.onnx", "build/", name="kws")      # lib.arena_size, lib.layers, lib.files
    assert gen.verify(lib).ok                                   # the C against onnxruntime, layer by layer

Bad input raises gen.GenError (its message is the CLI's one line). `import gen` loads none of this (numpy,
onnx, onnxruntime, cffi): gen/__init__.py imports this module on first use.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from . import driver, outdir
from .errors import GenError


@dataclass
class Verification:
    """What `--verify` found (gen/verify.py, gen/layercheck.py)."""
    ok: bool
    outputs: list[dict]     # per graph output: max_abs, max_rel (C - onnxruntime, end to end), extra
    layers: dict            # the layer check: layers, int8_layers, worst, failing, ok, c_ok, trials, ...

    @property
    def verdict(self) -> str:
        """The CLI's last line: `verify: PASS (tolerance: ...)` or `verify: FAIL (<worst layer> <n> LSB; tolerance:
        ...)`."""
        from .report import verdict_line
        return verdict_line(self.layers).strip()


class VerificationFailed(GenError):
    """gen.compile(..., verify=True) found the C differing from onnxruntime: nothing was written."""

    def __init__(self, verification: Verification):
        super().__init__(f"the generated C differs from onnxruntime: {verification.verdict}")
        self.verification = verification


@dataclass
class Library:
    """A compiled model: the summary's figures, and where its files went."""
    name: str                   # the C prefix (NAME_run, NAME_ARENA_SIZE)
    model: str                  # the .onnx it was compiled from
    out_dir: str | None         # where it was written (None: compiled in memory only)
    arena_size: int             # bytes of RAM for activations and scratch (NAME_ARENA_SIZE)
    weight_bytes: int           # bytes of const data (flash)
    macs: int
    layers: list[dict]          # the per-layer table: node, op, kernel, inputs, output, macs, weight_bytes, offset, ...
    inputs: list[dict]          # name, dtype, shape, size (int8: scale, zero point)
    outputs: list[dict]
    files: list[str]            # the paths written, sorted ([] in memory)
    contents: dict[str, bytes] = field(repr=False)     # every file of the library by name
    summary: dict = field(repr=False)                   # everything the CLI's summary prints
    verification: Verification | None = None           # compile(..., verify=True)
    result: driver.Result | None = field(default=None, repr=False)

    @property
    def report(self) -> str | None:
        """The path of NAME_report.html in out_dir, if this run wrote one."""
        if not self.out_dir:
            return None
        path = os.path.join(self.out_dir, f"{self.name}_report.html")
        return path if os.path.isfile(path) else None


def compile(model: str | None = None, out_dir: str | None = None, *, name: str | None = None,  # noqa: A001
            input_shapes: dict[str, tuple[int, ...]] | None = None, test_vectors: int | None = None,
            test_inputs: list | None = None, ram_limit: int | None = None,
            flash_limit: int | None = driver.DEFAULT_FLASH_LIMIT, scratch: str = "dsp", kernels: str = "gen",
            io_layout: str = "model", plan: str = "overlap", ram: str = "default", verify: bool = False) -> Library:
    """Compiles `model` (default: the bundled example) as `python -m gen MODEL -o OUT_DIR` with the same
    options (--name, --input-shape, --test-vectors, --ram-limit, --flash-limit, --scratch, --kernels,
    --io-layout, --plan, --ram) and the same output-directory contract (gen/outdir.py: OUT_DIR is checked before compiling;
    only gen's own files are ever replaced). out_dir None: compiled in memory (Library.contents). test_vectors:
    as --test-vectors, default 0, or 1 with verify or test_inputs (the first vector's inputs).
    verify: check the C first as --verify does; a mismatch raises VerificationFailed and writes nothing."""
    model = model or driver.EXAMPLE_MODEL
    if verify and io_layout != "model":
        raise GenError("--verify compares with onnxruntime in the model's layout: use it with --io-layout model")
    if test_vectors is None:
        test_vectors = 1 if (verify or test_inputs is not None) else 0
    target = outdir.check(out_dir, protect=[model]) if out_dir else None
    res = driver.generate(model, None, name, dict(input_shapes or {}), test_vectors, test_inputs, ram_limit,
                          scratch, flash_limit, kernels, io_layout, plan=plan, ram=ram)
    checked = _verify(model, res) if verify else None
    if checked is not None and not checked.ok:
        raise VerificationFailed(checked)
    written = []
    if target:
        outdir.write(target, res.files)
        written = sorted(os.path.join(out_dir, f) for f in [*res.files, outdir.MANIFEST])
    s = res.summary
    return Library(name=s["name"], model=model, out_dir=out_dir, arena_size=s["arena_size"],
                   weight_bytes=s["weight_bytes"], macs=s["macs"], layers=s["layers"], inputs=s["inputs"],
                   outputs=s["outputs"], files=written, contents=res.files, summary=s, verification=checked,
                   result=res)


def verify(library: Library | str | None = None, trials: int = 5, **options) -> Verification:
    """`--verify` on a Library from gen.compile, or on a model path (compiled in memory with `options`, the
    keywords of gen.compile): the C built on the host against gen's numpy integer reference (int8) or
    onnxruntime (float), and every layer against onnxruntime on gen's inputs to it, on `trials` inputs."""
    if not isinstance(library, Library):
        library = compile(library, None, **options)
    elif options:
        raise TypeError("gen.verify(library) takes no compile options: they were given to gen.compile")
    return _verify(library.model, library.result, trials)


def _verify(model: str, res: driver.Result, trials: int = 5) -> Verification:
    from .verify import against_onnxruntime     # onnxruntime missing: GenError from verify.ort_session
    outputs, ok = against_onnxruntime(model, res, trials)
    res.summary["verify"] = outputs
    return Verification(ok=ok, outputs=outputs, layers=res.summary["verify_layers"])
