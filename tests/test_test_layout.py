"""The suite's layout: one op's tests run alone. `python -m pytest -k <op>` (the op name in lower case)
collects that op's float, int8 and kernel tests and no other op's tests, because every op test names
its op(s) in its id: test names like test_conv_2d / test_maxpool_kernel, parametrize ids like
[MaxPool], or the module name (tests/test_<op>.py).

A test is "of" an op when its id names the op as a word: in lower case not touching another letter
(test_conv_2d, test_gemm_matmul_fully_connected), or in CamelCase not followed by a lower-case letter
([AddConv]); the longest op name wins, so QLinearConv is not Conv, MatMul not Mul, DequantizeLinear
not QuantizeLinear, Unsqueeze not Squeeze, GlobalMaxPool not MaxPool.

Documented exceptions, the only tests that `-k <op>` may collect without being of that op:
  * SUPERSTRINGS: -k is a substring match, so `-k conv` also collects QLinearConv's tests and
    `-k mul` MatMul's (an op whose lower-case name holds the asked one; computed from the op list).
  * WORDS: ids holding an op name inside an ordinary word that is no op (pads, padding, autopad,
    subfolder, added, multiplier, ONNX's own case names test_gemm_transposeA); `-k "pad and not
    padding"` etc. excludes them.
  * SHORT: an op name of 3 letters or fewer (Or, If, Not, Sin, Log, Max, GRU, ...) sits inside too
    many ordinary words ("major", "conformance", "logic") for a substring match to separate: for
    those, `-k <op>` collects every test of the op (checked) but may collect others; select them
    with the test-name prefix, `-k test_<op>_` or the id form `-k "[Or]"`.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# ordinary words (lower case) that hold an op name but name no op
WORDS = ("padding", "pads", "autopad", "subfolder", "added", "multipliers", "multiplier", "transposea",
         "transposeb", "splitbounds", "multiply", "hostile",
         "negative", "expand", "rounding", "roundtrip", "signed", "missing", "single", "constant", "standalone",
         "mlperf", "overflow",  # ordinary words holding Neg, Exp, Round, Sign, Sin, Tan, Erf
         # words holding the dtype ops' names (And, Or, Not, Cast, Equal, Max, Min, Sum, Mod)
         "expanded", "expand", "random", "standalone", "broadcasting", "broadcast", "bcast", "equals", "argmax",
         "deterministic", "models", "model", "mode", "notes", "nothing", "batchnorm", "before", "corners",
         "corrupt", "cortex", "directory", "floor", "force", "foreign", "keyword", "reordered", "order", "ort",
         "portable", "pytorch", "qoperator", "reports", "unsorted", "sorted", "tensors", "tensor", "toposort",
         "unsupported", "vectorized", "vectors", "vector", "consumer", "summary", "additional",
         "verify", "verifies", "manifest", "fifo", "identifier", "identifiers", "multi", "crossing",
         "logic", "streaming", "normalization", "instancenorm", "instance", "lpnorm", "norm",
         "explicit", "neginf", "nonpad",
         "shapes", "sizes", "flexattention")  # words holding Shape, Size, Attention
# the op-test modules: every test in them names the op(s) it tests, except these (runtime-wide checks
# and quantization arithmetic shared by every kernel)
OP_MODULES = ("test_ops_float.py", "test_ops_int8.py", "test_int8_kernels.py")
NOT_ONE_OP = {"test_verify_fails_on_a_wrong_lowering", "test_status_codes", "test_buffer_sizes",
              "test_large_tensors_vectorized", "test_gen_s8_requantize", "test_runtime_compiles_cleanly",
              "test_runtime_has_no_writable_globals", "test_quantize_multiplier_roundtrip",
              "test_quantize_multiplier_tflite_cases", "test_srdhm_and_rounding_primitives",
              "test_activation_range"}


def _run(*args) -> str:
    r = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r.stdout


@pytest.fixture(scope="module")
def ops() -> list[str]:
    return [ln.split()[0] for ln in _run("-m", "gen", "--list-ops").splitlines() if ln and ln[0] != "#"]


def _collect(*k) -> list[str]:
    out = _run("-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", *k)
    return [ln.strip() for ln in out.splitlines() if "::" in ln]


@pytest.fixture(scope="module")
def ids() -> list[str]:
    return _collect()


def ops_of(test_id: str, ops: list[str]) -> set[str]:
    """The ops a test id names as words (longest name first; a found name hides the shorter ones in it)."""
    s, found = test_id, set()
    for op in sorted(ops, key=len, reverse=True):
        pats = [r"(?<![A-Za-z])" + op.lower() + r"(?![a-z])", op + r"(?![a-z])"]
        for p in pats:
            flags = re.I if p is pats[0] else 0
            if re.search(p, s, flags):
                found.add(op)
                s = re.sub(p, lambda m: "#" * len(m.group(0)), s, flags=flags)
    return found


def test_ops_of_rules():
    ops = ["Conv", "QLinearConv", "Mul", "MatMul", "Add", "MaxPool", "GlobalMaxPool", "Squeeze", "Unsqueeze"]
    assert ops_of("t.py::test_conv_2d[x]", ops) == {"Conv"}
    assert ops_of("t.py::test_qlinearconv", ops) == {"QLinearConv"}
    assert ops_of("t.py::test_x[AddConv]", ops) == {"Add", "Conv"}
    assert ops_of("t.py::test_matmul_kernel", ops) == {"MatMul"}
    assert ops_of("t.py::test_x[GlobalMaxPool]", ops) == {"GlobalMaxPool"}
    assert ops_of("t.py::test_unsqueeze", ops) == {"Unsqueeze"}
    assert ops_of("t.py::test_refused[pool_window_in_padding]", ops) == set()
    assert ops_of("t.py::test_quantize_multiplier", ops) == set()


SHORT = 3     # op names this long or shorter: see the docstring


def _allowed(test_id: str, op: str, ops: list[str]) -> bool:
    x = op.lower()
    if len(x) <= SHORT:
        return True
    named = ops_of(test_id, ops)
    if op in named or any(x in y.lower() for y in named):        # the op, or a SUPERSTRING op
        return True
    rest = test_id.lower()
    for w in WORDS:
        rest = rest.replace(w, "#")
    return x not in rest                                         # only inside WORDS


def test_k_op_collects_only_that_op(ops, ids):
    """-k <op> (emulated on the collected ids: a case-insensitive substring match) collects only tests of
    that op, and at least one."""
    bad, missing = {}, []
    for op in ops:
        got = [i for i in ids if op.lower() in i.lower()]
        if not any(op in ops_of(i, ops) for i in got):
            missing.append(op)
        wrong = [i for i in got if not _allowed(i, op, ops)]
        if wrong:
            bad[op] = wrong[:5]
    assert not bad, f"-k <op> collects other tests: {bad}"
    assert not missing, f"no test names these ops: {missing}"


def test_k_selection_is_pytest_k(ids):
    """The emulated selection above is what pytest's own -k selects (checked for one op, CONV: most
    ids, and a SUPERSTRING op)."""
    x = "CONV".lower()
    got = _collect("-k", x)
    assert len(got) > 50 and got == [i for i in ids if x in i.lower()]


def test_op_tests_name_their_op(ops, ids):
    """Every test of the op-test modules names its op(s), so `-k <op>` finds its float, int8 and
    kernel tests; NOT_ONE_OP lists the runtime-wide ones."""
    nameless = []
    for i in ids:
        path, _, name = i.partition("::")
        func = name.split("[")[0]
        if os.path.basename(path) in OP_MODULES and func not in NOT_ONE_OP and not ops_of(i, ops):
            nameless.append(i)
    assert not nameless, f"op tests without an op name: {nameless}"
    present = {i.partition("::")[2].split("[")[0] for i in ids}
    assert NOT_ONE_OP <= present, f"stale NOT_ONE_OP entries: {NOT_ONE_OP - present}"
