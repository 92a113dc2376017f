"""The pipeline, stage by stage: frontend -> passes -> checks -> plan -> emit -> test vectors -> write."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import emit, frontend, outdir, passes, qpasses
from .errors import GenError
from .ir import Graph
from .ops import family, supported_onnx_ops
from .plan import make_plan

EXAMPLE_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples", "digits_cnn.onnx")


@dataclass
class Result:
    graph: Graph
    files: dict[str, bytes]
    summary: dict


def compile_graph(g: Graph, name: str, source: str, scratch: str = "dsp") -> Result:
    """scratch: 'dsp' plans CMSIS-NN's DSP-build scratch (Cortex-M4/M7/M33, and all gen needs);
    'helium' plans enough for the real CMSIS-NN's Helium build too (Cortex-M55)."""
    g.options["scratch"] = scratch
    if qpasses.is_quantized(g):
        qpasses.run(g)
    else:
        qpasses.check_plain_integers(g)
    passes.run(g)
    unique_node_names(g)
    for node in g.nodes:
        family(node).check(node, g)
    scratch = {n.name: int(family(n).scratch(n, g)) for n in g.nodes}
    plan = make_plan(g, scratch)
    files, summary = emit.render(g, plan, name, source)
    return Result(g, files, summary)


def unique_node_names(g: Graph) -> None:
    """Node names key the scratch plan and the per-layer table: a model's node may be named like one the
    passes insert (conv_rq, conv_layout0, output0_layout, ...), so later duplicates get a fresh suffix."""
    seen = {n.name for n in g.nodes}
    if len(seen) == len(g.nodes):
        return
    used: set[str] = set()
    for n in g.nodes:
        if n.name in used:
            k = 1
            while f"{n.name}_{k}" in seen:
                k += 1
            n.name = f"{n.name}_{k}"
            seen.add(n.name)
        used.add(n.name)


def generate(model_path: str, out_dir: str | None = None, name: str | None = None,
             input_shapes: dict[str, tuple[int, ...]] | None = None, test_vectors: int = 1,
             test_inputs: list[np.ndarray] | None = None, ram_limit: int | None = None,
             scratch: str = "dsp") -> Result:
    """Compiles model_path; with out_dir, checks it before compiling and writes it (see gen/outdir.py)."""
    # the C prefix: from --name (refused if it collides with gen's own names), else from the file name
    name = emit.user_prefix(name) if name else emit.c_identifier(os.path.splitext(os.path.basename(model_path))[0])
    target = outdir.check(out_dir, protect=[model_path]) if out_dir else None
    g = frontend.load(model_path, input_shapes, name, supported_onnx_ops())
    res = compile_graph(g, name, model_path, scratch)
    if ram_limit is not None and res.summary["arena_size"] > ram_limit:
        raise GenError(f"the arena needs {res.summary['arena_size']:,} bytes, more than --ram-limit {ram_limit:,}")
    if test_vectors > 0:
        from . import testvec
        res.files.update(testvec.render(res.files, res.summary, test_vectors, test_inputs))
    res.summary["stack_bytes"], res.summary["stack_target"] = stack_estimate(res.files)
    if target:
        outdir.write(target, res.files)
    return res


M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]


def stack_estimate(files: dict[str, bytes]) -> tuple[int | None, str | None]:
    """Deepest call chain of NAME_run in bytes, compiled for a Cortex-M4 when arm-none-eabi-gcc is
    there (else for the host); None when no compiler can tell."""
    import shutil

    from . import stack
    cc, flags, target = "gcc", None, "host gcc -O2"
    if shutil.which("arm-none-eabi-gcc"):
        cc, flags, target = "arm-none-eabi-gcc", stack.CFLAGS + M4_FLAGS, "Cortex-M4, arm-none-eabi-gcc -O2"
    try:
        return stack.stack_usage(files, cc, flags), target
    except (OSError, RuntimeError):
        return None, None
