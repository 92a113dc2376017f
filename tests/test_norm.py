"""The normalizations (gen/ops/norm.py, runtime_c/gen_norm.c): LayerNormalization (axis, epsilon, scale and
bias broadcast, constants or graph inputs, the Mean and InvStdDev outputs), InstanceNormalization,
GroupNormalization, MeanVarianceNormalization and LpNormalization, float against onnxruntime on
Hypothesis-drawn shapes and attributes; with int8 activations they compute in float between dequantize and
quantize (C == numpy reference, the layer check within 1 LSB). What gen cannot compute is refused with one
line naming the node."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import graphs
from test_ops_int8 import check as int8_check
from graphs import assert_close, gen_run, make_model, node, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


def _shape(data, min_rank=1, max_rank=4, hi=4):
    rank = data.draw(st.integers(min_rank, max_rank))
    return tuple(data.draw(st.lists(st.integers(1, hi), min_size=rank, max_size=rank)))


def _run(m, feeds, what):
    ref = ort_run(m, feeds)
    got, _ = gen_run(m, feeds)
    for k, (a, b) in enumerate(zip(got, ref)):
        assert_close(a, b, rtol=1e-4, what=f"{what} output {k}")


@settings(**SETTINGS, max_examples=25)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_layernormalization_float(data, seed):
    shape = _shape(data)
    nd = len(shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    a = axis % nd
    # scale/bias: the normalized shape, or a broadcastable suffix of it
    cut = data.draw(st.integers(a, nd))
    pshape = tuple(shape[cut:]) if data.draw(st.booleans()) else tuple(shape[a:])
    eps = data.draw(st.sampled_from([1e-5, 1e-3, 0.5]))
    bias, stash, runtime = data.draw(st.booleans()), data.draw(st.booleans()), data.draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape).astype(np.float32) * 2 + 1
    s = rng.normal(size=pshape).astype(np.float32)
    b = rng.normal(size=pshape).astype(np.float32)
    ins = ["x", "s"] + (["b"] if bias else [])
    outs = ["y"] + (["mean", "rstd"] if stash else [])
    stat = [d if k < a else 1 for k, d in enumerate(shape)]
    oshapes = [("y", shape)] + ([("mean", stat), ("rstd", stat)] if stash else [])
    feeds = {"x": x}
    consts = {"s": s, "b": b} if bias else {"s": s}
    inputs = {"x": shape}
    if runtime:
        inputs.update({k: v for k, v in consts.items()})
        feeds.update(consts)
        consts = {}
    m = make_model([node("LayerNormalization", ins, outs, axis=axis, epsilon=eps)], inputs, oshapes, consts,
                   opset=17)
    _run(m, feeds, f"LayerNormalization {shape} axis {axis} scale {pshape} eps {eps} bias {bias} stash {stash}")


@settings(**SETTINGS, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_instancenormalization_float(data, seed):
    shape = _shape(data, min_rank=3, max_rank=5)
    eps = data.draw(st.sampled_from([1e-5, 0.1]))
    rng = np.random.default_rng(seed)
    consts = {"s": rng.normal(size=shape[1]).astype(np.float32), "b": rng.normal(size=shape[1]).astype(np.float32)}
    m = make_model([node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=eps)], {"x": shape},
                   [("y", shape)], consts)
    _run(m, {"x": rng.normal(size=shape).astype(np.float32)}, f"InstanceNormalization {shape} eps {eps}")


@settings(**SETTINGS, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_groupnormalization_float(data, seed):
    """opset 21: scale and bias per channel (the checker refuses opset 18's form, deprecated, at 18 to 20)."""
    groups = data.draw(st.integers(1, 3))
    c = groups * data.draw(st.integers(1, 3))
    shape = (data.draw(st.integers(1, 2)), c) + _shape(data, min_rank=0, max_rank=2)
    eps = data.draw(st.sampled_from([1e-5, 0.1]))
    rng = np.random.default_rng(seed)
    consts = {"s": rng.normal(size=c).astype(np.float32), "b": rng.normal(size=c).astype(np.float32)}
    x = rng.normal(size=shape).astype(np.float32)
    m = make_model([node("GroupNormalization", ["x", "s", "b"], ["y"], epsilon=eps, num_groups=groups)],
                   {"x": shape}, [("y", shape)], consts, opset=21)
    _run(m, {"x": x}, f"GroupNormalization {shape} groups {groups} eps {eps}")


@settings(**SETTINGS, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_meanvariancenormalization_float(data, seed):
    shape = _shape(data, min_rank=1, max_rank=4)
    nd = len(shape)
    axes = data.draw(st.one_of(st.none(), st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)))
    if axes is None and nd != 4:
        axes = [0]
    # a group of one value has variance 0, which onnxruntime computes as E[x^2] - E[x]^2 < 0: NaN
    assume(int(np.prod([shape[a] for a in (axes or [0, 2, 3])])) >= 2)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32) * 3 + 1
    m = make_model([node("MeanVarianceNormalization", ["x"], ["y"], axes=axes)], {"x": shape}, [("y", shape)])
    _run(m, {"x": x}, f"MeanVarianceNormalization {shape} axes {axes}")


@settings(**SETTINGS, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_lpnormalization_float(data, seed):
    shape = _shape(data)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    p = data.draw(st.sampled_from([1, 2]))
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    m = make_model([node("LpNormalization", ["x"], ["y"], axis=axis, p=p)], {"x": shape}, [("y", shape)])
    _run(m, {"x": x}, f"LpNormalization {shape} axis {axis} p {p}")


@pytest.mark.parametrize("op", ["LayerNormalization", "InstanceNormalization", "LpNormalization"])
@settings(**SETTINGS, max_examples=5)
@given(seed=st.integers(0, 2**31), c=st.integers(2, 4))
def test_layernormalization_instancenormalization_lpnormalization_int8(op, seed, c):
    """int8 activations: the normalization computes in float between dequantize and quantize."""
    shape = (1, c, 3)
    rng = np.random.default_rng(seed)
    consts = {}
    if op == "LayerNormalization":
        consts = {"s": rng.normal(size=(3,)).astype(np.float32), "b": rng.normal(size=(3,)).astype(np.float32)}
    elif op == "InstanceNormalization":
        consts = {"s": rng.normal(size=(c,)).astype(np.float32), "b": rng.normal(size=(c,)).astype(np.float32)}
    ins = ["x", "s", "b"] if consts else ["x"]
    fm = graphs.float_model([node(op, ins, ["y"])], {"x": shape}, ["y"], consts, opset=17)
    int8_check(fm, {"x": shape}, seed, note=f"{op} node")




def test_lpnormalization_refuses_p3(tmp_path):
    m = make_model([node("LpNormalization", ["x"], ["y"], name="nm", p=3)], {"x": (2, 3)}, [("y", (2, 3))])
    graphs.assert_refused(tmp_path, m, "'nm'", "p = 3")
