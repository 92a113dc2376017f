"""The elementwise math family (gen/ops/unary.py, runtime_c/gen_unary.c): Abs ... Shrink, Pow, PRelu.

float32: each op against onnxruntime on drawn shapes, values and attributes (defaults left out too),
with the edges mixed in: 0 and -0, halves (Round: half to even), the domain boundaries (Log and Sqrt
of negatives give NaN, Acosh below 1, Atanh of +-1 gives +-Inf), values that overflow (Exp, Sinh,
Cosh) or underflow, and +-Inf where the formula defines the result. NaN where onnxruntime gives NaN,
the same infinities, the finite values within 1e-5 relative (per element) + 1e-6.

int8: each op in a hand-written QDQ graph (x -> Q -> DQ -> op -> Q -> DQ) run on all 256 int8 inputs:
a LutS8 kernel, the C equal to the numpy reference exactly, and within 1 LSB of onnxruntime (DQ -> op
-> Q) at the output and per layer (gen.layercheck). Pow with one constant exponent and PRelu with one
constant slope are lookup tables too; a slope (exponent) per channel is a table per channel
(LutChannelS8), also between channels-last convolutions; one varying along two axes computes in float
between DQ and Q.

The test functions are made per op (test_<op>_float, test_<op>_int8) so `pytest -k <op>` runs one op.
"""
from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import graphs
from graphs import gen_compile, gen_run, lsb, make_model, node, ort_run, qparams, run_all
from test_ops_int8 import layer_check

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))
INF = math.inf
RTOL, ATOL = 1e-5, 1e-6

# op -> (low, high, +-Inf defined, extra edges): the drawn values' range
DOMAIN = {
    "Abs": (-1e6, 1e6, True, ()), "Neg": (-1e6, 1e6, True, ()),
    "Exp": (-120.0, 100.0, True, (88.5, 89.0, -87.0, -104.0)),
    "Log": (-10.0, 1e6, True, (1e-30, -1e-30)), "Sqrt": (-10.0, 1e6, True, (1e-30, -1e-30)),
    "Reciprocal": (-1e3, 1e3, True, (1e-30,)),
    "Floor": (-1e3, 1e3, True, (-1.5, 0.49999997)), "Ceil": (-1e3, 1e3, True, (-1.5, 0.49999997)),
    "Round": (-1e3, 1e3, True, (-1.5, 3.5, -3.5, 0.49999997, 8388609.0)),
    "Sign": (-1e3, 1e3, True, (1e-38,)),
    "Sin": (-100.0, 100.0, True, (math.pi,)), "Cos": (-100.0, 100.0, True, (math.pi,)),
    "Tan": (-10.0, 10.0, False, (1.5707963,)),
    "Asin": (-1.5, 1.5, False, (-1.0000001,)), "Acos": (-1.5, 1.5, False, (-1.0000001,)),
    "Atan": (-1e6, 1e6, True, ()),
    "Sinh": (-100.0, 100.0, True, (89.0, -89.0)), "Cosh": (-100.0, 100.0, True, (89.0, -89.0)),
    "Asinh": (-1e6, 1e6, True, ()), "Acosh": (-2.0, 1e6, True, (0.9999999,)),
    "Atanh": (-1.5, 1.5, False, (0.9999999, -0.9999999)),
    "Erf": (-10.0, 10.0, True, (4.0, -4.0)), "Gelu": (-10.0, 10.0, False, (-5.0,)),
    "Elu": (-100.0, 100.0, True, ()), "Selu": (-100.0, 100.0, True, ()), "Celu": (-100.0, 100.0, True, ()),
    "Softplus": (-100.0, 100.0, True, (20.0, -20.0)), "Softsign": (-1e6, 1e6, False, ()),
    "Mish": (-100.0, 100.0, False, (20.0, -20.0)),
    "ThresholdedRelu": (-10.0, 10.0, True, ()), "Shrink": (-10.0, 10.0, True, ()),
}
UNARY = sorted(DOMAIN)
COMMON_EDGES = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.5, -2.5)
OPSET = {"Gelu": 20, "Celu": 12, "Mish": 18}     # the op's first opset (the others: 13)


def attrs_for(op: str, draw) -> dict:
    """Drawn attributes (None: left out, the spec's default applies)."""
    maybe = lambda s: draw(st.one_of(st.none(), s))     # noqa: E731
    f = lambda lo, hi: graphs.floats(lo, hi)             # noqa: E731
    if op in ("Elu", "Celu"):
        return dict(alpha=maybe(f(0.1, 3.0)))
    if op == "Selu":
        return dict(alpha=maybe(f(0.1, 3.0)), gamma=maybe(f(0.1, 3.0)))
    if op == "ThresholdedRelu":
        return dict(alpha=maybe(f(-2.0, 2.0)))
    if op == "Shrink":
        return dict(lambd=maybe(f(0.0, 2.0)), bias=maybe(f(-1.0, 1.0)))
    if op == "Gelu":
        return dict(approximate=maybe(st.sampled_from(["none", "tanh"])))
    return {}


@st.composite
def unary_cases(draw, op):
    lo, hi, inf_ok, extra = DOMAIN[op]
    shape = draw(graphs.shapes(1, 4, 1, 5))
    x = draw(hnp.arrays(np.float32, shape, elements=graphs.floats(lo, hi)))
    attrs = attrs_for(op, draw)
    edges = list(COMMON_EDGES) + list(extra) + ([INF, -INF] if inf_ok else [])
    edges += [float(v) for k, v in attrs.items() if k in ("alpha", "lambd") and v is not None]   # the thresholds
    flat = x.reshape(-1)
    for k in range(draw(st.integers(0, flat.size))):
        flat[k] = np.float32(draw(st.sampled_from(edges)))
    return x, attrs, draw(st.sampled_from([OPSET.get(op, 13), 20, 21]))


def assert_same(got, ref, what=""):
    """NaN where onnxruntime has NaN, the same infinities, finite values within RTOL per element + ATOL."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, onnxruntime {ref.shape}"
    assert np.array_equal(np.isnan(got), np.isnan(ref)), f"{what}: NaNs differ: C {got}, onnxruntime {ref}"
    inf = np.isinf(ref)
    assert np.array_equal(got[inf], ref[inf]) and not np.isinf(got[~inf]).any(), \
        f"{what}: infinities differ: C {got}, onnxruntime {ref}"
    fin = np.isfinite(ref)
    err = np.abs(got[fin] - ref[fin])
    bad = err > RTOL * np.abs(ref[fin]) + ATOL
    assert not bad.any(), f"{what}: C {got[fin][bad][:4]}, onnxruntime {ref[fin][bad][:4]}"


def _float_test(op):
    @settings(**SETTINGS, max_examples=12)
    @given(case=unary_cases(op))
    def test(case):
        x, attrs, opset = case
        m = make_model([node(op, ["x"], ["y"], **attrs)], {"x": x}, ["y"], opset=opset)
        ref = ort_run(m, {"x": x})[0]
        got, res = gen_run(m, {"x": x})
        assert [n.op for n in res.graph.nodes] == [op]
        assert_same(got[0], ref, f"{op} {attrs} on {x.reshape(-1)[:8]}")
    test.__name__ = f"test_{op.lower()}_float"
    test.__doc__ = f"{op} (float32) against onnxruntime on drawn shapes, values with the edges, and attributes."
    return test


for _op in UNARY:
    globals()[f"test_{_op.lower()}_float"] = _float_test(_op)


# ----------------------------------------------------------------------------- int8: lookup tables

def qdq_model(op, in_q, out_q, attrs=None, inits=None, extra_inputs=(), opset=None, shape=(256,)):
    """x -> Q(in_q) -> DQ -> op(x_dq, *extra_inputs) -> Q(out_q) -> DQ -> y, by hand."""
    (si, zi), (so, zo) = in_q, out_q
    consts = {"si": np.float32(si), "zi": np.int8(zi), "so": np.float32(so), "zo": np.int8(zo)}
    consts.update(inits or {})
    nodes = [node("QuantizeLinear", ["x", "si", "zi"], ["xq"], name="x_Q"),
             node("DequantizeLinear", ["xq", "si", "zi"], ["xd"], name="x_DQ"),
             node(op, ["xd", *extra_inputs], ["f"], name="op", **(attrs or {})),
             node("QuantizeLinear", ["f", "so", "zo"], ["fq"], name="f_Q"),
             node("DequantizeLinear", ["fq", "so", "zo"], ["y"], name="f_DQ")]
    return make_model(nodes, {"x": shape}, [("y", shape)], consts, opset=opset or OPSET.get(op, 13))


def out_params(fn, in_q):
    """The output's (scale, zero point): the finite range of the op over the 256 dequantized inputs."""
    x = graphs.dequantize(np.arange(-128, 128), *in_q)
    with np.errstate(all="ignore"):
        y = np.asarray(fn(x), np.float64)
    y = y[np.isfinite(y)]
    return qparams(float(y.min()), float(y.max())) if y.size else qparams(-1.0, 1.0)


def check_int8(m, kernel="LutS8", note=None):
    """All 256 int8 inputs: C == numpy reference (exactly, for a LUT), <= 1 LSB from onnxruntime at the
    output and per layer (the layer check)."""
    res = gen_compile(m)
    ops = [n.op for n in res.graph.nodes]
    assert kernel in ops, (ops, res.graph.notes)
    if note:
        assert any(note in n for n in res.graph.notes), res.graph.notes
    xq = np.arange(-128, 128, dtype=np.int8)
    res, c, ref, o = run_all(m, [xq], res)
    if kernel in ("LutS8", "LutChannelS8"):
        assert np.array_equal(c[0], ref[0]), f"C != numpy reference: {lsb(c[0], ref[0])} LSB"
    assert lsb(c[0], o[0]) <= 1, f"C vs onnxruntime: {lsb(c[0], o[0])} LSB at {np.flatnonzero(c[0] != o[0])[:8]}"
    layer_check(m, res, [xq])
    return res


@st.composite
def in_ranges(draw, op):
    """The input's quantization: a range around the op's interesting region (and sometimes outside
    its domain: Log and Sqrt of negatives, which quantize NaN to -128 as onnxruntime does)."""
    lo, hi, _, _ = DOMAIN[op]
    span = draw(st.sampled_from([0.5, 2.0, 6.0, 20.0]))
    center = draw(graphs.floats(max(lo, -span), min(hi, span)))
    return qparams(center - span, center + span)


def _int8_test(op):
    @settings(**SETTINGS, max_examples=5)
    @given(in_q=in_ranges(op), data=st.data())
    def test(in_q, data):
        attrs = {k: v for k, v in attrs_for(op, data.draw).items() if v is not None}
        m0 = make_model([node(op, ["x"], ["y"], **attrs)], {"x": (256,)}, ["y"], opset=OPSET.get(op, 13))
        fn = lambda x: ort_run(m0, {"x": np.asarray(x, np.float32)})[0]   # noqa: E731
        check_int8(qdq_model(op, in_q, out_params(fn, in_q), attrs))
    test.__name__ = f"test_{op.lower()}_int8"
    test.__doc__ = f"{op} int8 (a 256-entry table) on every int8 input: C == numpy reference, <= 1 LSB from onnxruntime."
    return test


for _op in UNARY:
    globals()[f"test_{_op.lower()}_int8"] = _int8_test(_op)


def test_unary_lut_is_dq_op_q():
    """The table is DQ -> op in float32 -> Q (round half to even, saturate) for a few ops, written out here
    independently of gen.quant.build_lut."""
    from gen.ops.unary import float_fn
    from gen.quant import build_lut
    for op, a, b in (("Exp", 0, 0), ("Elu", 0.7, 0), ("Shrink", 0.5, 0.25), ("Log", 0, 0)):
        s_in, z_in, s_out, z_out = np.float32(0.05), 7, np.float32(0.1), -3
        x = ((np.arange(-128, 128) - z_in).astype(np.float32) * s_in).astype(np.float32)
        with np.errstate(all="ignore"):
            y = float_fn(op, a, b)(x) / s_out
        want = np.clip(np.rint(np.nan_to_num(y, nan=-np.inf)) + z_out, -128, 127).astype(np.int8)
        assert np.array_equal(build_lut(float_fn(op, a, b), s_in, z_in, s_out, z_out), want), op


# ----------------------------------------------------------------------------- Pow

@st.composite
def pow_cases(draw):
    shape = draw(graphs.shapes(1, 4, 1, 4))
    kind = draw(st.sampled_from(["scalar", "broadcast", "full", "runtime", "runtime_broadcast"]))
    if kind == "scalar":
        e_shape = draw(st.sampled_from([(), (1,)]))
    elif kind in ("broadcast", "runtime_broadcast"):
        e_shape = tuple(d if draw(st.booleans()) else 1 for d in shape[draw(st.integers(0, len(shape) - 1)):])
    else:
        e_shape = shape
    e = draw(hnp.arrays(np.float32, e_shape, elements=st.sampled_from([0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0, 1.5,
                                                                         -0.5, 4.0])))
    x = draw(hnp.arrays(np.float32, shape, elements=graphs.floats(-4.0, 4.0)))
    flat = x.reshape(-1)
    for k in range(draw(st.integers(0, flat.size))):
        flat[k] = np.float32(draw(st.sampled_from([0.0, -0.0, 1.0, -1.0, INF, -INF, 1e-20])))
    edtype = draw(st.sampled_from([np.float32, np.int64])) if kind != "runtime" and \
        np.all(e == np.round(e)) else np.float32
    return kind, x, e.astype(edtype)


@settings(**SETTINGS, max_examples=25)
@given(case=pow_cases())
def test_pow_float(case):
    """Pow with a constant exponent (a scalar, broadcast or full; float32 or int64, opset 13's Pow) or a
    run-time one (a graph input, broadcast as numpy does) against onnxruntime; negative bases with a
    fractional exponent give NaN."""
    kind, x, e = case
    runtime = kind.startswith("runtime")
    inputs = {"x": x, "e": e} if runtime else {"x": x}
    m = make_model([node("Pow", ["x", "e"], ["y"])], inputs, ["y"], None if runtime else {"e": e})
    ref = ort_run(m, inputs)[0]
    got, res = gen_run(m, inputs)
    assert_same(got[0], ref, f"Pow {kind} x={x.reshape(-1)[:6]} e={e.reshape(-1)[:6]}")


@settings(**SETTINGS, max_examples=6)
@given(in_q=in_ranges("Exp"), e=st.sampled_from([2.0, 3.0, 0.5, -1.0, 1.5]))
def test_pow_int8_scalar_constant(in_q, e):
    """int8 Pow with one constant exponent is a lookup table."""
    fn = lambda x: np.power(np.asarray(x, np.float32), np.float32(e))    # noqa: E731
    check_int8(qdq_model("Pow", in_q, out_params(fn, in_q), inits={"e": np.float32(e)}, extra_inputs=["e"]))


def test_pow_int8_per_position_tables():
    """An exponent varying along one axis is one table per position of that axis (LutChannelS8), exact:
    C == numpy reference, <= 1 LSB from onnxruntime, per layer."""
    e = np.linspace(0.5, 2.0, 256).astype(np.float32)
    in_q = qparams(0.0, 4.0)
    fn = lambda x: np.power(np.asarray(x, np.float32), e)    # noqa: E731
    check_int8(qdq_model("Pow", in_q, out_params(fn, in_q), inits={"e": e}, extra_inputs=["e"]),
               kernel="LutChannelS8")


# ----------------------------------------------------------------------------- PRelu

@st.composite
def prelu_cases(draw):
    shape = draw(st.sampled_from([(1, 3, 4, 5), (2, 4, 3), (1, 6), (3, 1, 2, 2)]))
    kind = draw(st.sampled_from(["scalar", "channel", "last", "full", "runtime"]))
    if kind == "scalar":
        s_shape = draw(st.sampled_from([(), (1,)]))
    elif kind == "channel":      # PyTorch's export: [C, 1, 1] (or [C, 1] / [C])
        s_shape = (shape[1],) + (1,) * (len(shape) - 2)
    elif kind == "last":         # numpy broadcasting on the last axis
        s_shape = (shape[-1],)
    else:
        s_shape = shape
    s = draw(hnp.arrays(np.float32, s_shape, elements=graphs.floats(-2.0, 2.0)))
    x = draw(hnp.arrays(np.float32, shape, elements=graphs.floats(-10.0, 10.0)))
    return kind, x, s


@settings(**SETTINGS, max_examples=20)
@given(case=prelu_cases())
def test_prelu_float(case):
    """PRelu with a constant slope (a scalar, per channel as PyTorch exports it, on the last axis, full)
    or a run-time one, broadcast to the input as the spec says."""
    kind, x, s = case
    inputs = {"x": x, "s": s} if kind == "runtime" else {"x": x}
    m = make_model([node("PRelu", ["x", "s"], ["y"])], inputs, ["y"], None if kind == "runtime" else {"s": s})
    ref = ort_run(m, inputs)[0]
    got, res = gen_run(m, inputs)
    assert_same(got[0], ref, f"PRelu {kind}")


@settings(**SETTINGS, max_examples=5)
@given(in_q=in_ranges("Elu"), slope=graphs.floats(-1.0, 1.0))
def test_prelu_int8_scalar_slope(in_q, slope):
    """int8 PRelu with one constant slope is a lookup table."""
    fn = lambda x: np.where(x < 0, np.float32(slope) * x, x)    # noqa: E731
    check_int8(qdq_model("PRelu", in_q, out_params(fn, in_q), inits={"s": np.float32(slope)}, extra_inputs=["s"]))


@settings(**SETTINGS, max_examples=5)
@given(c=st.integers(2, 5), layout=st.sampled_from(["alone", "between_convs"]), seed=st.integers(0, 2**31))
def test_prelu_int8_per_channel_tables(c, layout, seed):
    """A slope per channel ([C, 1, 1], PyTorch's export) is one table per channel (LutChannelS8): C ==
    numpy reference, <= 1 LSB from onnxruntime and per layer; between int8 convolutions it reads their
    channels-last bytes."""
    from test_ops_int8 import check as int8_check
    rng = np.random.default_rng(seed)
    inits = {"s": rng.uniform(-1, 1, size=(c, 1, 1)).astype(np.float32)}
    if layout == "alone":
        nodes, shapes = [node("PRelu", ["x", "s"], ["y"])], {"x": (1, c, 3, 4)}
    else:
        inits.update(W=rng.normal(size=(c, 2, 3, 3)).astype(np.float32),
                     W2=rng.normal(size=(2, c, 1, 1)).astype(np.float32))
        nodes = [node("Conv", ["x", "W"], ["h"], pads=[1, 1, 1, 1]), node("PRelu", ["h", "s"], ["p"]),
                 node("Conv", ["p", "W2"], ["y"])]
        shapes = {"x": (1, 2, 4, 5)}
    fm = graphs.float_model(nodes, shapes, ["y"], inits)
    res, _, _ = int8_check(fm, shapes, seed, tol=1, expect="LutChannelS8")
    lut = [n for n in res.graph.nodes if n.op == "LutChannelS8"]
    assert len(lut) == 1
    if layout == "between_convs":
        assert res.graph.t(lut[0].inputs[0]).layout == "NHWC", "between NHWC convolutions it follows their layout"


def test_prelu_int8_per_element_in_float():
    """A slope varying along two axes has no table: PRelu computes in float between DQ and Q."""
    s = np.linspace(-0.5, 0.5, 12).astype(np.float32).reshape(3, 4)
    m = qdq_model("PRelu", qparams(-4.0, 4.0), qparams(-2.0, 4.0), inits={"s": s}, extra_inputs=["s"],
                  shape=(2, 3, 4))
    res = gen_compile(m)
    ops = [n.op for n in res.graph.nodes]
    assert "PRelu" in ops and "LutChannelS8" not in ops and any("PRelu node" in n for n in res.graph.notes), ops
    xq = np.random.default_rng(0).integers(-128, 128, size=(2, 3, 4)).astype(np.int8)
    res, c, ref, o = run_all(m, [xq], res)
    assert lsb(c[0], o[0]) <= 1
    layer_check(m, res, [xq])


# ----------------------------------------------------------------------------- a model using several

def _mlp(rng):
    """x[1,16] -> Gemm -> Gelu -> Gemm -> PRelu -> Erf -> Softplus -> Pow(2) -> Gemm -> Mish -> y[1,4]."""
    w = lambda *s: (rng.normal(size=s) / np.sqrt(s[0])).astype(np.float32)    # noqa: E731
    inits = {"W1": w(16, 24), "W2": w(24, 12), "W3": w(12, 4), "slope": np.full((12,), 0.1, np.float32),
             "two": np.float32(2.0)}
    nodes = [node("Gemm", ["x", "W1"], ["h1"]), node("Gelu", ["h1"], ["g1"]), node("Gemm", ["g1", "W2"], ["h2"]),
             node("PRelu", ["h2", "slope"], ["p"]), node("Erf", ["p"], ["e"]), node("Softplus", ["e"], ["sp"]),
             node("Pow", ["sp", "two"], ["sq"]), node("Gemm", ["sq", "W3"], ["h3"]), node("Mish", ["h3"], ["y"])]
    return nodes, inits


def _verify(tmp_path, m):
    path = tmp_path / "m.onnx"
    onnx.save(m, path)
    r = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(tmp_path / "out"), "--verify"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0 and "verify: PASS" in r.stdout + r.stderr, r.stdout[-2000:] + r.stderr[-2000:]


def test_gelu_erf_mish_prelu_pow_softplus_mlp_verifies(tmp_path):
    """A float MLP of Gelu, PRelu, Erf, Softplus, Pow and Mish: `python -m gen M --verify` passes."""
    nodes, inits = _mlp(np.random.default_rng(0))
    _verify(tmp_path, make_model(nodes, {"x": (1, 16)}, [("y", (1, 4))], inits, opset=20))


def test_gelu_erf_mish_prelu_pow_softplus_mlp_int8_verifies(tmp_path):
    """The same MLP in QDQ int8 (onnxruntime's quantizer's form): every activation a lookup table, --verify
    passes (C == numpy reference, every layer within 1 LSB of onnxruntime)."""
    rng = np.random.default_rng(1)
    nodes, inits = _mlp(rng)
    fm = graphs.float_model(nodes, {"x": (1, 16)}, ["y"], inits, opset=20)
    qm = graphs.quantize_model(fm, [{"x": rng.normal(size=(1, 16)).astype(np.float32)} for _ in range(8)])
    res = gen_compile(qm)
    ops = [n.op for n in res.graph.nodes]
    assert ops.count("LutS8") == 6 and not res.graph.notes, (ops, res.graph.notes)
    _verify(tmp_path, qm)


# ----------------------------------------------------------------------------- refusals



@pytest.mark.parametrize("op,attrs,needles", [
    ("Gelu", dict(approximate="fast"), ["'u'", "approximate 'fast'"]),
    ("Celu", dict(alpha=0.0), ["'u'", "alpha = 0"]),
    ("Elu", dict(alpha=INF), ["'u'", "alpha = inf is not finite"]),
    ("Shrink", dict(lambd=float("nan")), ["'u'", "lambd = nan is not finite"]),
], ids=["Gelu", "Celu", "Elu", "Shrink"])
def test_unary_bad_attributes_refused(tmp_path, op, attrs, needles):
    m = make_model([node(op, ["x"], ["y"], name="u", **attrs)], {"x": (1, 4)}, [("y", (1, 4))],
                   opset=OPSET.get(op, 13))
    graphs.assert_refused(tmp_path, m, *needles)


def test_prelu_slope_not_broadcasting_refused(tmp_path):
    m = make_model([node("PRelu", ["x", "s"], ["y"], name="u")], {"x": (1, 3, 4)}, [("y", (1, 3, 4))],
                   {"s": np.ones((2, 3, 4), np.float32)})
    graphs.assert_refused(tmp_path, m, "'u'", "slope 's'", "does not broadcast to the input")
