"""Fuzzing arithmetic and quantization parameters: extreme integer attributes, scales, zero points,
biases and weights must be refused with one line, or compile to C that matches onnxruntime.

Hypothesis takes small float and int8 models of every op family (int8 through the quantize_static
style rewriter of tests/graphs.py) and sets one or two integer attributes (strides, pads,
dilations, kernel_shape, group, axis, transB, ...) or quantization parameters (scales, zero points,
int32 biases, int8 weights) or float weights to extremes (0, -1, 1, 2^31-1, 2^31, 2^40, 2^63-1, -2^63,
NaN, Inf, 1e-45, 1e38). Every mutant runs `python -m gen` in a subprocess (the host build runs the
generated C inside gen's process, so a bad parameter there can kill it with a signal). The only
acceptable outcomes:

- exit status 2 with one 'gen: error' line naming the node or tensor;
- exit status 0, and then the C (built again here) equals onnxruntime: float within a relative
  tolerance, int8 within 1 LSB of onnxruntime's unfused QDQ result and equal to gen's numpy reference.

Time budget: about 40 s with -n 2 (GEN_FUZZ_SCALE multiplies the examples).
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402
import graphs as qu  # noqa: E402

SCALE = float(os.environ.get("GEN_FUZZ_SCALE", "1"))
INT_EXTREMES = [0, -1, 1, 2, 2**31 - 1, 2**31, -2**31, 2**40, 2**63 - 1, -2**63]
# scales (and zero-point-free float parameters of int8 models) get every extreme; float weights and
# attributes of float models none whose products overflow float32 (gen's float kernels clamp an
# infinite result to +-FLT_MAX where onnxruntime keeps inf: see the report of this test's commit)
SCALE_EXTREMES = [0.0, -1.0, math.nan, math.inf, -math.inf, 1e-45, 1e38, -1e38, 2.0**40, 2.0**-40]
FLOAT_EXTREMES = [0.0, -1.0, math.nan, math.inf, -math.inf, 1e-45, 1e10, -1e10, 2.0**-40]
FLOAT_TOL = 1e-4


# ---------------------------------------------------------------- base models

def _float_models() -> dict[str, onnx.ModelProto]:
    rng = np.random.default_rng(3)
    n = qu.node
    f = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    return {
        "conv": qu.float_model([n("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1], strides=[1, 1],
                                 dilations=[1, 1], kernel_shape=[3, 3], group=1)],
                              {"x": (1, 2, 6, 6)}, ["y"], {"W": f(3, 2, 3, 3), "B": f(3)}),
        "depthwise_conv": qu.float_model([n("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2], group=3)],
                                {"x": (1, 3, 6, 6)}, ["y"], {"W": f(3, 1, 3, 3), "B": f(3)}),
        "maxpool": qu.float_model([n("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])],
                                 {"x": (1, 2, 6, 6)}, ["y"]),
        "avgpool": qu.float_model([n("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[1, 1],
                                    pads=[1, 1, 1, 1], count_include_pad=0)], {"x": (1, 2, 5, 5)}, ["y"]),
        "gemm": qu.float_model([n("Gemm", ["x", "W", "B"], ["y"], transB=1, alpha=1.0, beta=1.0)], {"x": (1, 8)}, ["y"],
                              {"W": f(4, 8), "B": f(4)}),
        "matmul": qu.float_model([n("MatMul", ["x", "W"], ["y"])], {"x": (2, 8)}, ["y"], {"W": f(8, 4)}),
        "add": qu.float_model([n("Add", ["x", "K"], ["y"])], {"x": (1, 2, 3, 3)}, ["y"], {"K": f(1, 2, 3, 3)}),
        "mul": qu.float_model([n("Mul", ["x", "K"], ["y"])], {"x": (1, 2, 3, 3)}, ["y"], {"K": f(1, 2, 1, 1)}),
        "softmax": qu.float_model([n("Softmax", ["x"], ["y"], axis=-1)], {"x": (1, 10)}, ["y"]),
        "reducemean": qu.float_model([n("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=1)],
                                    {"x": (1, 2, 4, 4)}, ["y"]),
        "sigmoid": qu.float_model([n("Sigmoid", ["x"], ["y"])], {"x": (1, 6)}, ["y"]),
        "gap": qu.float_model([n("GlobalAveragePool", ["x"], ["y"])], {"x": (1, 3, 4, 4)}, ["y"]),
        "pad": qu.float_model([n("Pad", ["x", "P"], ["y"], mode="constant")], {"x": (1, 2, 3, 3)}, ["y"],
                             {"P": np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)}),
        "concat": qu.float_model([n("Concat", ["x", "x"], ["y"], axis=1)], {"x": (1, 2, 3, 3)}, ["y"]),
        "transpose": qu.float_model([n("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], {"x": (1, 2, 3, 4)}, ["y"]),
        "flatten": qu.float_model([n("Flatten", ["x"], ["y"], axis=1)], {"x": (1, 2, 3, 4)}, ["y"]),
        "leakyrelu": qu.float_model([n("LeakyRelu", ["x"], ["y"], alpha=0.1)], {"x": (1, 6)}, ["y"]),
        "batchnorm": qu.float_model([n("BatchNormalization", ["x", "S", "T", "M", "V"], ["y"], epsilon=1e-5)],
                                   {"x": (1, 3, 2, 2)}, ["y"], {"S": f(3), "T": f(3), "M": f(3),
                                                                "V": np.abs(f(3)) + 0.5}),
    }


FLOAT = _float_models()


def _int8_models() -> dict[str, onnx.ModelProto]:
    rng = np.random.default_rng(4)
    out = {}
    for name, fm in FLOAT.items():
        if name == "batchnorm":     # folded into the producer in int8 graphs; no int8 kernel of its own
            continue
        shapes = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in fm.graph.input}
        feeds = [{k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()} for _ in range(4)]
        fixed = {"y": (np.float32(1 / 256), np.int8(-128))} if name == "softmax" else None
        out[name] = qu.quantize_model(fm, feeds, fixed=fixed)
    return out


INT8 = _int8_models()


# ---------------------------------------------------------------- mutations

def _targets(m: onnx.ModelProto) -> list[tuple]:
    """Everything a mutation can hit: (kind, owner, name, index)."""
    out = []
    for k, nd in enumerate(m.graph.node):
        for a in nd.attribute:
            if a.type in (onnx.AttributeProto.INT, onnx.AttributeProto.FLOAT):
                out.append(("attr", k, a.name, 0))
            elif a.type == onnx.AttributeProto.INTS:
                out += [("attr", k, a.name, j) for j in range(len(a.ints))]
    for k, init in enumerate(m.graph.initializer):
        size = int(np.prod(init.dims)) if init.dims else 1
        out += [("init", k, init.name, j) for j in range(min(size, 3))]
    return out


def _apply(m: onnx.ModelProto, target, value) -> str:
    kind, k, name, j = target
    if kind == "attr":
        a = next(a for a in m.graph.node[k].attribute if a.name == name)
        if a.type == onnx.AttributeProto.FLOAT:
            a.f = float(value)
        elif a.type == onnx.AttributeProto.INT:
            a.i = int(value) if isinstance(value, int) else 1
        else:
            a.ints[j] = int(value) if isinstance(value, int) else 1
        return f"{m.graph.node[k].name or m.graph.node[k].op_type}.{name}[{j}] = {value}"
    init = m.graph.initializer[k]
    arr = numpy_helper.to_array(init).copy()
    flat = arr.reshape(-1)
    if arr.dtype.kind == "f":
        flat[j] = np.float32(value)
    else:
        info = np.iinfo(arr.dtype)
        v = int(value) if not isinstance(value, float) or math.isfinite(value) else 0
        flat[j] = min(max(v, info.min), info.max)
    init.CopyFrom(numpy_helper.from_array(arr, init.name))
    return f"{name}[{j}] = {flat[j]!r}"


def _is_float(m: onnx.ModelProto, target) -> bool:
    kind, k, name, _ = target
    if kind == "attr":
        return next(a for a in m.graph.node[k].attribute if a.name == name).type == onnx.AttributeProto.FLOAT
    return numpy_helper.to_array(m.graph.initializer[k]).dtype.kind == "f"


@st.composite
def mutant(draw, models: dict[str, onnx.ModelProto]):
    key = draw(st.sampled_from(sorted(k for k, v in models.items() if _targets(v))))
    m = onnx.ModelProto()
    m.CopyFrom(models[key])
    targets = _targets(m)
    what = []
    for _ in range(draw(st.integers(1, 2))):
        t = draw(st.sampled_from(targets))
        is_float = _is_float(m, t)
        v = draw(st.sampled_from(INT_EXTREMES if not is_float else SCALE_EXTREMES if models is INT8 else
                                 FLOAT_EXTREMES))
        what.append(_apply(m, t, v))
    return key, m, "; ".join(what)


# ---------------------------------------------------------------- the oracle

def _inputs(m: onnx.ModelProto, rng) -> dict[str, np.ndarray]:
    inits = {i.name for i in m.graph.initializer}
    return {i.name: rng.standard_normal([d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
            for i in m.graph.input if i.name not in inits}


def check_mutant(m: onnx.ModelProto, what: str, int8: bool, cli: bool = True) -> str:
    """Runs gen on the mutant; returns 'refused' or 'ok', fails the test on anything else. cli=False
    skips the subprocess run of `python -m gen` (for models known to compile)."""
    with tempfile.TemporaryDirectory() as d:
        if not cli:
            return _compare(m, what, int8)
        tmp = Path(d)
        r = hc.run_gen([hc.save(m, tmp / "m.onnx"), "-o", str(tmp / "out"), "-q"], tmp)
        lines = r.stderr.splitlines()
        if r.returncode == 2:
            assert len(lines) == 1 and lines[0].startswith("gen: error"), f"{what}: {r.stderr}"
            return "refused"
        assert r.returncode == 0, f"{what}: exit {r.returncode}: {r.stderr[-2000:]}"
    return _compare(m, what, int8)


def _compare(m: onnx.ModelProto, what: str, int8: bool) -> str:
    """gen's C on the host against onnxruntime (and, for int8, against gen's numpy reference)."""
    rng = np.random.default_rng(0)
    if int8:
        from gen.host import HostModel  # noqa: F401  (built through run_all)
        res = qu.gen_compile(m)
        (qin, _) = qu.boundary(res)
        feeds = _inputs(m, rng)
        xqs = [qu.quantize(x, s, zp) for x, (s, zp) in zip(feeds.values(), qin)]
        _, c, ref, ort_q = qu.run_all(m, xqs, res=res)
        # one rounding per kernel: a requantize gen adds after a pool (another output scale) rounds twice
        lsb = 1 + sum(n.op == "RequantizeS8" for n in res.graph.nodes)
        for cc, rr, oo in zip(c, ref, ort_q):
            assert np.array_equal(np.asarray(cc).reshape(-1), np.asarray(rr).reshape(-1)), f"{what}: C != reference"
            diff = np.abs(np.asarray(cc, np.int32).reshape(-1) - np.asarray(oo, np.int32).reshape(-1))
            assert diff.max(initial=0) <= lsb, f"{what}: C {cc.reshape(-1)} vs onnxruntime {oo.reshape(-1)}"
    else:
        from gen.host import HostModel
        res = qu.gen_compile(m)
        feeds = _inputs(m, rng)
        got = HostModel(res.files).run(*feeds.values())
        want = qu.ort_run(m, feeds)
        for g_, w_ in zip(got, want):
            g_, w_ = np.asarray(g_, np.float64).reshape(-1), np.asarray(w_, np.float64).reshape(-1)
            assert g_.shape == w_.shape, what
            fin = np.isfinite(w_)
            assert np.array_equal(np.isfinite(g_), fin), f"{what}: C {g_} vs onnxruntime {w_}"
            mag = max(float(np.abs(w_[fin]).max(initial=0)), 1e-30)
            assert float(np.abs(g_[fin] - w_[fin]).max(initial=0)) <= FLOAT_TOL * mag, f"{what}: C {g_} vs {w_}"
    return "ok"


N_EXAMPLES = max(1, int(22 * SCALE))


@settings(max_examples=N_EXAMPLES)
@given(mutant(FLOAT))
def test_float_attrs_and_weights(case):
    key, m, what = case
    check_mutant(m, f"{key}: {what}", int8=False)


@settings(max_examples=N_EXAMPLES)
@given(mutant(INT8))
def test_int8_attrs_and_quant_params(case):
    key, m, what = case
    check_mutant(m, f"int8 {key}: {what}", int8=True)


@pytest.mark.parametrize("key", sorted(INT8))
def test_unmutated_models_compile_and_match(key):
    """The base models themselves compile and match onnxruntime (else every mutant would be refused and the
    fuzz tests above could not fail)."""
    check_mutant(INT8[key], f"int8 {key}", int8=True, cli=False)


@pytest.mark.parametrize("key", sorted(FLOAT))
def test_unmutated_float_models_match(key):
    check_mutant(FLOAT[key], key, int8=False, cli=False)
