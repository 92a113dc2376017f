"""3-D pooling (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool on 5-D), LpPool and GlobalLpPool
(1-D to 3-D, p 1, 2 and others) and LRN, float32 against onnxruntime over the attributes (Hypothesis);
int8 (QDQ) forms compute in float between dequantize and quantize, within 1 LSB per layer."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphs
from test_ops_int8 import check as int8_check
from gen.errors import GenError
from graphs import assert_close, gen_run, make_model, node, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


@st.composite
def pool_cases(draw, op):
    nd = 3 if op in ("MaxPool", "AveragePool") else draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 5)) for _ in range(nd)]
    kernel = [draw(st.integers(1, s)) for s in sizes]
    attrs = dict(kernel_shape=kernel, strides=[draw(st.integers(1, 2)) for _ in range(nd)])
    opset = draw(st.sampled_from([13, 19, 21] if op != "LpPool" else [13, 18, 21]))
    dilated = op == "MaxPool" or opset >= 18 and op == "LpPool" or opset >= 19
    if dilated and draw(st.booleans()):     # with SAME_*: refused (below)
        attrs["dilations"] = [draw(st.integers(1, 2)) if (k - 1) * 2 + 1 <= s else 1 for k, s in zip(kernel, sizes)]
    form = draw(st.sampled_from(["pads", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    if form == "pads":
        attrs["pads"] = [draw(st.integers(0, k - 1)) for k in kernel] * 2
        if (op != "LpPool" or opset >= 18) and draw(st.booleans()):
            attrs["ceil_mode"] = 1
    else:
        attrs["auto_pad"] = form
    if op == "AveragePool":
        attrs["count_include_pad"] = draw(st.integers(0, 1))
    if op == "LpPool":
        attrs["p"] = draw(st.sampled_from([1, 2, 3]))
    return (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + tuple(sizes), attrs, opset


def _check_float(op, shape, attrs, opset, seed, relu=False):
    nodes = [node(op, ["x"], ["t" if relu else "y"], **attrs)] + ([node("Relu", ["t"], ["y"])] if relu else [])
    m = make_model(nodes, {"x": shape}, ["y"], {}, opset=opset)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    same = attrs.get("auto_pad", "").startswith("SAME")
    if same and (any(d > 1 for d in attrs.get("dilations", [])) or any(
            (-(-i // s) - 1) * s + k < i for i, s, k in zip(shape[2:], attrs["strides"], attrs["kernel_shape"]))):
        with pytest.raises(GenError, match="disagree|negative padding"):
            gen_run(m, {"x": x})
        return
    try:
        ref = ort_run(m, {"x": x})[0]
    except Exception:          # onnxruntime refuses it: the ONNX reference is the oracle (SAME's negative pads
        from onnx.reference import ReferenceEvaluator   # mean 0), else gen refuses too
        try:
            ref = ReferenceEvaluator(m).run(None, {"x": x})[0]
        except Exception:
            with pytest.raises(GenError):
                gen_run(m, {"x": x})
            return
    got, res = gen_run(m, {"x": x})
    assert [n.op for n in res.graph.nodes] == [op]
    assert got[0].shape == ref.shape, (got[0].shape, ref.shape)
    if op.endswith("MaxPool"):
        assert np.array_equal(got[0], ref), "a max selects input elements: exactly onnxruntime's"
    else:
        assert_close(got[0], ref, what=f"{op} {attrs}")


@settings(**SETTINGS, max_examples=25)
@given(case=pool_cases("MaxPool"), seed=st.integers(0, 2**31), relu=st.booleans())
def test_maxpool_3d_float(case, seed, relu):
    _check_float("MaxPool", *case, seed, relu)


@settings(**SETTINGS, max_examples=25)
@given(case=pool_cases("AveragePool"), seed=st.integers(0, 2**31))
def test_averagepool_3d_float(case, seed):
    _check_float("AveragePool", *case, seed)


@settings(**SETTINGS, max_examples=30)
@given(case=pool_cases("LpPool"), seed=st.integers(0, 2**31))
def test_lppool_float(case, seed):
    _check_float("LpPool", *case, seed)


@settings(**SETTINGS, max_examples=15)
@given(op=st.sampled_from(["GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool"]), nd=st.integers(1, 3),
       p=st.sampled_from([1, 2, 3]), seed=st.integers(0, 2**31), data=st.data())
def test_globalaveragepool_globalmaxpool_globallppool_nd_float(op, nd, p, seed, data):
    if op != "GlobalLpPool":
        nd = 3                                   # 1-D and 2-D global pools are tested elsewhere
    shape = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3))) + \
        tuple(data.draw(st.integers(1, 4)) for _ in range(nd))
    _check_float(op, shape, dict(p=p) if op == "GlobalLpPool" else {}, 13, seed)


@settings(**SETTINGS, max_examples=20)
@given(rank=st.just(4), c=st.integers(1, 6), size=st.sampled_from([1, 3, 5, 7]),   # onnxruntime: 4-D, odd
       alpha=st.sampled_from([1e-4, 0.01, 0.5]), beta=st.sampled_from([0.75, 0.5, 1.0, 2.0]),
       bias=st.sampled_from([1.0, 2.0, 0.5]), seed=st.integers(0, 2**31))
def test_lrn_float(rank, c, size, alpha, beta, bias, seed):
    shape = (2, c) + (3,) * (rank - 2)
    m = make_model([node("LRN", ["x"], ["y"], size=size, alpha=alpha, beta=beta, bias=bias)], {"x": shape}, ["y"],
                   {}, opset=13)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    ref = ort_run(m, {"x": x})[0]
    got, res = gen_run(m, {"x": x})
    assert [n.op for n in res.graph.nodes] == ["LRN"]
    assert_close(got[0], ref, what=f"LRN size={size} alpha={alpha} beta={beta} bias={bias}")


@pytest.mark.parametrize("op,attrs", [("MaxPool", dict(kernel_shape=[2, 2, 2], strides=[2, 2, 2])),
                                      ("AveragePool", dict(kernel_shape=[2, 2, 2], pads=[1, 0, 1, 0, 1, 0])),
                                      ("GlobalAveragePool", {}), ("LpPool", dict(kernel_shape=[2, 2, 2])),
                                      ("LRN", dict(size=3))])
def test_maxpool_averagepool_globalaveragepool_lppool_lrn_3d_int8_in_float(op, attrs):
    """QDQ around a 3-D pool or LRN: computed in float between dequantize and quantize (a note says so),
    C == the reference, within 1 LSB of onnxruntime per layer."""
    shape = (1, 2, 4, 4) if op == "LRN" else (1, 2, 4, 4, 4)       # onnxruntime's LRN: 4-D
    fm = graphs.float_model([node(op, ["x"], ["y"], **attrs)], {"x": shape}, ["y"])
    int8_check(fm, {"x": shape}, 7, note="node")


@pytest.mark.parametrize("op,attrs,match", [
    ("LpPool", dict(kernel_shape=[2], p=0), "must be a positive integer"),
    ("MaxPool", dict(kernel_shape=[2, 2, 2, 2]), "4-D pooling is not supported"),
    ("LpPool", dict(kernel_shape=[2], dilations=[2], auto_pad="SAME_UPPER"), "disagree"),
])
def test_lppool_maxpool_refused(op, attrs, match):
    shape = (1, 1, 3) if op == "LpPool" else (1, 1, 3, 3, 3, 3)
    m = make_model([node(op, ["x"], ["y"], **attrs)], {"x": shape}, ["y"], {}, opset=18)
    with pytest.raises(GenError, match=match):
        gen_run(m, {"x": np.ones(shape, np.float32)})
