"""Generated C under AddressSanitizer/UndefinedBehaviorSanitizer with arena guard bytes, and the
static contract of every generated library (strict C99, no heap, no VLA, no recursion, bounded
stack, no writable global but the arena).

Each library is built twice: the normal host build (cffi shared library) and a standalone
executable (HostModel(sanitize=True): -fsanitize=address,undefined -fno-sanitize-recover=all
-DGEN_ARENA_GUARD=64, inputs and outputs in exact-size heap buffers). The sanitized run must
finish without any report, leave the guards intact, and give the normal build's outputs
(bit-exact for int8, float within 1e-6 of the largest magnitude: -O1 vs -O2).
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import graphs as qu  # noqa: E402

from gen import driver, stack  # noqa: E402
from gen.errors import GenError  # noqa: E402
from gen.host import HostModel  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "models"
MODELS = sorted(glob.glob(str(SHARED / "*.onnx"))) + sorted(glob.glob(str(ROOT / "gen" / "examples" / "*.onnx")))
STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-Werror=vla"]
HEAP = {"malloc", "free", "calloc", "realloc", "alloca", "aligned_alloc", "posix_memalign"}
STACK_REPORT: dict[str, tuple[int, list[str]]] = {}


# ----------------------------------------------------------------------------- small graphs, one per op

def _w(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 0.5


def _op_graphs():
    n = qu.node
    c = {}
    c["conv3x3_pad"] = ([n("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1])], {"x": (1, 3, 8, 8)},
                        {"W": _w(8, 3, 3, 3), "B": _w(8)})
    c["conv_stride_dil_asym"] = ([n("Conv", ["x", "W"], ["y"], strides=[2, 2], dilations=[2, 1], pads=[0, 1, 2, 0])],
                                 {"x": (1, 4, 9, 7)}, {"W": _w(5, 4, 3, 3)})
    c["conv_depthwise"] = ([n("Conv", ["x", "W", "B"], ["y"], group=6, pads=[1, 1, 1, 1], strides=[2, 2])],
                           {"x": (1, 6, 7, 7)}, {"W": _w(6, 1, 3, 3), "B": _w(6)})
    c["conv1x1_relu"] = ([n("Conv", ["x", "W"], ["h"]), n("Relu", ["h"], ["y"])], {"x": (1, 5, 4, 4)},
                         {"W": _w(7, 5, 1, 1)})
    c["conv1d"] = ([n("Conv", ["x", "W"], ["y"], pads=[2, 2])], {"x": (1, 3, 16)}, {"W": _w(4, 3, 5)})
    c["gemm"] = ([n("Gemm", ["x", "W", "B"], ["y"], transB=1)], {"x": (1, 20)}, {"W": _w(9, 20), "B": _w(9)})
    c["matmul"] = ([n("MatMul", ["x", "W"], ["y"])], {"x": (3, 12)}, {"W": _w(12, 5)})
    c["maxpool"] = ([n("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
                    {"x": (1, 4, 9, 9)}, {})
    c["avgpool_pads"] = ([n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])],
                         {"x": (1, 4, 8, 8)}, {})
    c["global_avgpool"] = ([n("GlobalAveragePool", ["x"], ["y"])], {"x": (1, 6, 5, 5)}, {})
    c["add_broadcast"] = ([n("Add", ["x", "B"], ["y"])], {"x": (1, 4, 3, 3)}, {"B": _w(4, 1, 1)})
    c["mul_sub_div"] = ([n("Mul", ["x", "A"], ["m"]), n("Sub", ["m", "x"], ["s"]), n("Div", ["s", "D"], ["y"])],
                        {"x": (2, 6)}, {"A": _w(6), "D": np.full(6, 1.7, np.float32)})
    c["unary_chain"] = ([n("Sigmoid", ["x"], ["a"]), n("Tanh", ["a"], ["b"]), n("LeakyRelu", ["b"], ["c"], alpha=0.1),
                         n("HardSwish", ["c"], ["d"]), n("Clip", ["d", "lo", "hi"], ["y"])], {"x": (1, 30)},
                        {"lo": np.array(-0.2, np.float32), "hi": np.array(0.4, np.float32)})
    c["softmax"] = ([n("Softmax", ["x"], ["y"], axis=-1)], {"x": (2, 10)}, {})
    c["concat"] = ([n("Relu", ["x"], ["a"]), n("Sigmoid", ["x"], ["b"]), n("Concat", ["a", "b"], ["y"], axis=1)],
                   {"x": (1, 3, 4, 4)}, {})
    c["transpose"] = ([n("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], {"x": (1, 3, 4, 5)}, {})
    c["pad"] = ([n("Pad", ["x", "p"], ["y"], mode="constant")], {"x": (1, 2, 3, 3)},
                {"p": np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64)})
    c["reduce_mean"] = ([n("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=1)], {"x": (1, 4, 5, 5)}, {})
    c["batchnorm"] = ([n("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])], {"x": (1, 3, 4, 4)},
                      {"s": _w(3), "b": _w(3), "m": _w(3), "v": np.abs(_w(3)) + 0.5})
    c["flatten_gemm"] = ([n("Flatten", ["x"], ["f"], axis=1), n("Gemm", ["f", "W"], ["y"])], {"x": (1, 2, 3, 3)},
                         {"W": _w(18, 4)})
    c["reshape"] = ([n("Reshape", ["x", "shape"], ["r"]), n("Relu", ["r"], ["y"])], {"x": (1, 24)},
                    {"shape": np.array([1, 2, 3, 4], np.int64)})
    return c


OPS = _op_graphs()


def _op_model(name: str, int8: bool):
    nodes, inputs, inits = OPS[name]
    fm = qu.float_model(nodes, inputs, ["y"], inits, opset=14)   # 14: HardSwish
    if not int8:
        return fm
    rng = np.random.default_rng(1)
    feeds = [{k: rng.standard_normal(v).astype(np.float32) for k, v in inputs.items()} for _ in range(4)]
    return qu.quantize_model(fm, feeds, style="tflite")


# ----------------------------------------------------------------------------- checks

def _inputs(host: HostModel, seed: int, int8: bool = False):
    rng = np.random.default_rng(seed)
    if int8:
        return [rng.integers(-128, 128, t["shape"]).astype(np.int8) if t["dtype"] == "int8"
                else rng.standard_normal(t["shape"]).astype(np.float32) for t in host.inputs]
    return [rng.standard_normal(t["shape"]).astype(np.float32) for t in host.inputs]


def _same(a: np.ndarray, b: np.ndarray) -> None:
    if a.dtype == np.int8:
        np.testing.assert_array_equal(a, b)
    else:
        tol = 1e-6 * max(float(np.max(np.abs(b))) if b.size else 0.0, 1e-30)
        np.testing.assert_allclose(a, b, rtol=0, atol=tol)


def check_all(files: dict[str, bytes], tmp: Path, label: str) -> None:
    """The static check, the normal build and the sanitized build run side by side (all three are gcc)."""
    with ThreadPoolExecutor(3) as ex:
        jobs = [ex.submit(static_check, files, tmp, label), ex.submit(HostModel, files),
                ex.submit(HostModel, files, sanitize=True)]
        _, normal, san = [j.result() for j in jobs]
    sanitized_equals_normal(normal, san)


def sanitized_equals_normal(normal: HostModel, san: HostModel) -> None:
    for seed in (0, 1):
        for got, want in zip(san.run(*_inputs(san, seed)), normal.run(*_inputs(normal, seed))):
            _same(got, want)
        assert "ERROR" not in san.report and "runtime error" not in san.report, san.report
    if normal.int8:
        for got, want in zip(san.run_s8(*_inputs(san, 2, True)), normal.run_s8(*_inputs(normal, 2, True))):
            _same(got, want)


def static_check(files: dict[str, bytes], tmp: Path, label: str) -> None:
    """Strict C99 with warnings as errors, no heap, no VLA, no recursion, bounded stack, one writable global."""
    for f, data in files.items():
        (tmp / f).write_bytes(data)
    name = next(f[:-len("_plan.json")] for f in files if f.endswith("_plan.json"))
    srcs = sorted(f for f in files if f.endswith(".c") and not f.startswith("gen_testvec"))
    cis, objs = [], []
    for guard in ([], ["-DGEN_ARENA_GUARD=64"]):
        for s in (srcs if not guard else [f"{name}.c"]):     # the guard changes only NAME.c
            obj = tmp / (s[:-2] + (".g.o" if guard else ".o"))
            r = subprocess.run(["gcc", *STRICT, *guard, "-fstack-usage", "-fcallgraph-info=su", "-Wstack-usage=16384",
                                "-I", str(tmp), "-c", str(tmp / s), "-o", str(obj)], capture_output=True, text=True)
            assert r.returncode == 0, f"{s} {' '.join(guard)} does not compile cleanly:\n{r.stderr}"
            if not guard:
                objs.append(str(obj))
                cis.append(obj.with_suffix(".ci").read_text())
    nm = subprocess.run(["nm", *objs], capture_output=True, text=True, check=True).stdout
    undefined = {ln.split()[-1] for ln in nm.splitlines() if re.match(r"\s+U ", ln)}
    assert not undefined & HEAP, f"the library calls {sorted(undefined & HEAP)}"
    # objects in .data/.bss (const data with relocations sits in .data.rel.ro: read-only, flash on a board)
    table = subprocess.run(["objdump", "-t", *objs], capture_output=True, text=True, check=True).stdout
    writable = sorted({ln.split()[-1] for ln in table.splitlines()
                       if re.search(r"\sO\s+(\.data|\.bss|\*COM\*)(\.\S*)?\s", ln) and ".data.rel.ro" not in ln})
    assert writable == [f"{name}_arena"], f"writable globals besides the arena: {writable}"
    rep = stack.analyze_ci(cis)
    assert not rep.recursion, f"recursion: {rep.recursion}"
    assert not rep.unbounded, f"dynamic stack frames: {rep.unbounded}"
    assert rep.roots, "no NAME_run found in the call graph"
    STACK_REPORT[label] = (rep.max_bytes, rep.path)


def _compile_model(path: str):
    return driver.generate(path, None, None, {}, 0)


# ----------------------------------------------------------------------------- the harness itself

def _tiny_files():
    return qu.gen_compile(_op_model("conv3x3_pad", False), name="tiny").files


def _patched(files, old: str, new: str):
    src = files["tiny.c"].decode()
    assert old in src
    return {**files, "tiny.c": src.replace(old, new, 1).encode()}


def test_guard_bytes_catch_a_write_past_the_arena():
    """A kernel writing through a pointer just past the arena: inside the guarded struct, ASan is blind."""
    files = _patched(_tiny_files(), "    tiny_guard_fill();\n#endif\n",
                     "    tiny_guard_fill();\n#endif\n    { uint8_t *p = ARENA; volatile int k = TINY_ARENA_SIZE + 3; p[k] = 7; }\n")
    with pytest.raises(RuntimeError, match="guard bytes were overwritten"):
        HostModel(files, sanitize=True).run(np.zeros((1, 3, 8, 8), np.float32))


def test_asan_catches_a_read_past_the_input():
    files = _tiny_files()
    src = files["tiny.c"].decode()
    m = re.search(r"memcpy\(ARENA \+ \w+, input0, (\d+) \* sizeof", src)
    files = _patched(files, m.group(0), m.group(0).replace(m.group(1), str(int(m.group(1)) + 1)))
    with pytest.raises(RuntimeError, match="heap-buffer-overflow"):
        HostModel(files, sanitize=True).run(np.zeros((1, 3, 8, 8), np.float32))


def test_ubsan_catches_signed_overflow():
    files = _patched(_tiny_files(), "    tiny_guard_fill();\n#endif\n",
                     "    tiny_guard_fill();\n#endif\n    { volatile int big = 2147483647; big = big + (ARENA[0] == 0); }\n")
    with pytest.raises(RuntimeError, match="signed integer overflow"):
        HostModel(files, sanitize=True).run(np.zeros((1, 3, 8, 8), np.float32))


# ----------------------------------------------------------------------------- every op, every model

@pytest.mark.parametrize("int8", [False, True], ids=["f32", "int8"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_op_sanitized(op, int8, tmp_path):
    try:
        res = qu.gen_compile(_op_model(op, int8), name=f"op_{op}")
    except GenError as e:
        pytest.skip(f"gen refuses it: {e}")
    check_all(res.files, tmp_path, f"op {op} {'int8' if int8 else 'f32'}")


@pytest.mark.models
@pytest.mark.parametrize("path", MODELS, ids=[os.path.basename(m)[:-5] for m in MODELS])
def test_model_sanitized(path, tmp_path):
    try:
        res = _compile_model(path)
    except GenError as e:
        pytest.skip(f"gen refuses it: {e}")
    check_all(res.files, tmp_path, os.path.basename(path)[:-5])


def test_stack_usage_api(tmp_path):
    """stack_usage() on a written output directory: a positive bound, the same as analyze()'s."""
    res = qu.gen_compile(_op_model("conv_depthwise", False), name="dw")
    for f, data in res.files.items():
        (tmp_path / f).write_bytes(data)
    n = stack.stack_usage(str(tmp_path))
    assert 0 < n < 16384
    assert n == stack.analyze(dict(res.files)).max_bytes


def test_stack_analysis_finds_recursion_and_vla(tmp_path):
    src = tmp_path / "r.c"
    src.write_text("int f(int n);\nint g(int n) { return n ? f(n - 1) : 0; }\nint f(int n) { return g(n) + 1; }\n"
                   "int h(int n) { volatile char v[n]; v[0] = 1; return v[0]; }\n")
    subprocess.run(["gcc", "-O0", "-c", "-fstack-usage", "-fcallgraph-info=su", str(src), "-o",
                    str(tmp_path / "r.o")], check=True)
    rep = stack.analyze([str(tmp_path / "r.ci")], roots=["f", "h"])
    assert rep.recursion and set(rep.recursion[0]) == {"f", "g"}
    assert rep.unbounded == ["h"]


def teardown_module(module):
    if STACK_REPORT:
        width = max(len(k) for k in STACK_REPORT)
        lines = [f"{k:<{width}}  {v[0]:6d} B  {' -> '.join(v[1])}" for k, v in sorted(STACK_REPORT.items())]
        worst = max(STACK_REPORT.items(), key=lambda kv: kv[1][0])
        lines.append(f"max stack: {worst[1][0]} B ({worst[0]})")
        text = "\n".join(lines) + "\n"
        (Path(os.environ.get("GEN_STACK_REPORT", "/tmp/gen_stack_report.txt"))).write_text(text)
        print("\nstack usage (host gcc -O2, deepest chain from NAME_run):\n" + text)
