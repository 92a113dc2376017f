"""The Reduce* ops (gen/ops/reduce.py, runtime_c/gen_reduce.c), ArgMax/ArgMin, TopK, CumSum and the
softmax variants LogSoftmax/Hardmax: float against onnxruntime on Hypothesis-drawn shapes, axes (as the
attribute before opset 13/18, as an input from then on), keepdims and noop_with_empty_axes; int8 on
quantize_static-style QDQ graphs: ReduceMax/ReduceMin select bytes (the output keeps the input's
quantization), ReduceSum/ReduceMean sum and requantize once (C == numpy reference, onnxruntime and the
layer check within 1 LSB), the others compute in float between dequantize and quantize. What gen cannot
compute is refused with one line naming the node."""
from __future__ import annotations


import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphs
from test_ops_int8 import check as int8_check
from graphs import assert_close, gen_run, make_model, node, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))
REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]
# the opset from which axes is an input
AXES_INPUT = {op: (13 if op == "ReduceSum" else 18) for op in REDUCE_OPS}
POSITIVE = {"ReduceLogSum", "ReduceProd"}   # drawn inputs kept in a range where the result is well-conditioned


def reduce_model(op, shape, axes, keepdims, noop, opset):
    """op over `axes` (None: the attribute/input absent) in opset's form."""
    attrs = dict(keepdims=keepdims, noop_with_empty_axes=noop if opset >= AXES_INPUT[op] else None)
    inits = {}
    ins = ["x"]
    if axes is not None:
        if opset >= AXES_INPUT[op]:
            inits["axes"] = np.array(axes, np.int64)
            ins.append("axes")
        else:
            attrs["axes"] = list(axes)
    return make_model([node(op, ins, ["y"], name="rd", **attrs)], {"x": shape}, ["y"], inits, opset=opset)


@st.composite
def reduce_cases(draw, op):
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    axes = draw(st.one_of(st.none(), st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank,
                                              unique_by=lambda a: a % rank)))
    keepdims = draw(st.sampled_from([0, 1]))
    opset = draw(st.sampled_from(sorted({11, 13, AXES_INPUT[op], 21})))
    noop = draw(st.sampled_from([0, 1])) if opset >= AXES_INPUT[op] and axes is None else 0
    return shape, axes, keepdims, noop, opset


def draw_input(op, shape, seed):
    rng = np.random.default_rng(seed)
    if op in POSITIVE:
        return rng.uniform(0.5, 1.5, size=shape).astype(np.float32)
    return rng.normal(size=shape).astype(np.float32)


@pytest.mark.parametrize("op", REDUCE_OPS)
@settings(**SETTINGS, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_reduce_float(op, data, seed):
    shape, axes, keepdims, noop, opset = data.draw(reduce_cases(op))
    m = reduce_model(op, shape, axes, keepdims, noop, opset)
    x = draw_input(op, shape, seed)
    got, res = gen_run(m, {"x": x})
    ref = ort_run(m, {"x": x})[0]     # noop_with_empty_axes: the op's elementwise part (|x|, x^2, log x)
    assert_close(got[0], ref, what=f"{op} {shape} axes {axes} keepdims {keepdims} noop {noop} opset {opset}")


INT8_FORM = {"ReduceMax": "ReduceMaxS8", "ReduceMin": "ReduceMinS8", "ReduceSum": "ReduceSumS8",
             "ReduceMean": ("ReduceSumS8", "ReduceMeanS8")}


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin", "ReduceSum", "ReduceMean", "ReduceL2", "ReduceLogSumExp"])
@settings(**SETTINGS, max_examples=12)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_reduce_int8(op, data, seed):
    """QDQ: ReduceMax/Min keep the input's quantization (a byte selection), ReduceSum/Mean requantize an int32
    sum once, the others compute in float between dequantize and quantize."""
    rank = data.draw(st.integers(2, 4))
    shape = tuple(data.draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank)))
    axes = data.draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank, unique=True))
    keepdims = data.draw(st.sampled_from([0, 1]))
    attrs = dict(keepdims=keepdims)
    if op == "ReduceSum":
        fm = graphs.float_model([node(op, ["x", "axes"], ["y"], **attrs)], {"x": shape}, ["y"],
                                {"axes": np.array(axes, np.int64)})
    else:
        fm = graphs.float_model([node(op, ["x"], ["y"], axes=axes, **attrs)], {"x": shape}, ["y"])
    kw = dict(expect=INT8_FORM[op]) if op in INT8_FORM else dict(note=f"{op} node")
    res, _, _ = int8_check(fm, {"x": shape}, seed, **kw)
    rd = [n for n in res.graph.nodes if n.info.get("onnx_op", n.op) == op]
    assert len(rd) == 1
    if op in ("ReduceMax", "ReduceMin"):
        x, y = res.graph.t(rd[0].inputs[0]), res.graph.t(rd[0].outputs[0])
        assert x.quant.s() == y.quant.s() and np.array_equal(x.quant.zero_point, y.quant.zero_point)


def _shape(data, lo=1, hi=4, max_rank=4):
    rank = data.draw(st.integers(1, max_rank))
    return tuple(data.draw(st.lists(st.integers(lo, hi), min_size=rank, max_size=rank)))


def _int64_outputs(m, names):
    """Outputs `names` typed int64 (onnx's inference leaves a scalar output untyped)."""
    for o in m.graph.output:
        if o.name in names:
            o.type.tensor_type.elem_type = onnx.TensorProto.INT64
    return m


def _ties(rng, shape):
    """Values with ties (a few distinct levels), so first/last index and the tie order matter."""
    return rng.integers(-2, 3, size=shape).astype(np.float32)


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@settings(**SETTINGS, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_argmax_argmin_float(op, data, seed):
    shape = _shape(data)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    keepdims, last = data.draw(st.sampled_from([0, 1])), data.draw(st.sampled_from([0, 1]))
    x = _ties(np.random.default_rng(seed), shape)
    oshape = [1 if k == axis % len(shape) else d for k, d in enumerate(shape) if keepdims or k != axis % len(shape)]
    m = _int64_outputs(make_model([node(op, ["x"], ["y"], axis=axis, keepdims=keepdims, select_last_index=last)],
                                  {"x": shape}, [("y", oshape)]), ["y"])
    ref = ort_run(m, {"x": x})[0]
    got, _ = gen_run(m, {"x": x})
    assert got[0].dtype == np.int64 and got[0].shape == ref.shape and np.array_equal(got[0], ref), \
        f"{op} {shape} axis {axis} keepdims {keepdims} last {last}: {got[0]} != {ref}"


@settings(**SETTINGS, max_examples=25)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_topk_float(data, seed):
    shape = _shape(data, hi=5)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    k = data.draw(st.integers(1, shape[axis]))
    largest = data.draw(st.sampled_from([0, 1]))
    opset = data.draw(st.sampled_from([11, 13, 21]))
    rng = np.random.default_rng(seed)
    x = _ties(rng, shape) if data.draw(st.booleans()) else rng.normal(size=shape).astype(np.float32)
    oshape = [k if j == axis % len(shape) else d for j, d in enumerate(shape)]
    m = _int64_outputs(make_model([node("TopK", ["x", "k"], ["v", "i"], axis=axis, largest=largest)], {"x": shape},
                                  [("v", oshape), ("i", oshape)], {"k": np.array([k], np.int64)}, opset=opset), ["i"])
    ref = ort_run(m, {"x": x})
    got, _ = gen_run(m, {"x": x})
    what = f"TopK {shape} axis {axis} k {k} largest {largest}"
    assert np.array_equal(got[0], ref[0]), f"{what}: values {got[0]} != {ref[0]}"
    assert got[1].dtype == np.int64 and np.array_equal(got[1], ref[1]), f"{what}: indices {got[1]} != {ref[1]}"


@settings(**SETTINGS, max_examples=25)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_cumsum_float(data, seed):
    shape = _shape(data, hi=5)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    exclusive, reverse = data.draw(st.sampled_from([0, 1])), data.draw(st.sampled_from([0, 1]))
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    m = make_model([node("CumSum", ["x", "axis"], ["y"], exclusive=exclusive, reverse=reverse)], {"x": shape}, ["y"],
                   {"axis": np.array(axis, np.int64)})
    got, _ = gen_run(m, {"x": x})
    assert_close(got[0], ort_run(m, {"x": x})[0], what=f"CumSum {shape} axis {axis} excl {exclusive} rev {reverse}")


@pytest.mark.parametrize("op", ["LogSoftmax", "Hardmax"])
@settings(**SETTINGS, max_examples=20)
@given(data=st.data(), seed=st.integers(0, 2**31))
def test_logsoftmax_hardmax_float(op, data, seed):
    """opset 13 semantics (one axis), and the 2-D coercion before 13 (every axis from `axis` on)."""
    shape = _shape(data, hi=5)
    opset = data.draw(st.sampled_from([11, 12, 13, 21]))
    if opset < 13 and len(shape) < 2:
        shape = (2,) + shape                  # the default axis 1 of the 2-D coercion
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    rng = np.random.default_rng(seed)
    x = _ties(rng, shape) if op == "Hardmax" and data.draw(st.booleans()) else \
        (rng.normal(size=shape) * 3).astype(np.float32)
    m = make_model([node(op, ["x"], ["y"], axis=axis)], {"x": shape}, [("y", shape)], opset=opset)
    got, _ = gen_run(m, {"x": x})
    assert_close(got[0], ort_run(m, {"x": x})[0], what=f"{op} {shape} axis {axis} opset {opset}")


@pytest.mark.parametrize("op", ["LogSoftmax", "Hardmax", "CumSum"])
@settings(**SETTINGS, max_examples=6)
@given(seed=st.integers(0, 2**31), c=st.integers(2, 6))
def test_logsoftmax_hardmax_cumsum_int8(op, seed, c):
    """With int8 activations these compute in float between dequantize and quantize."""
    shape = (2, c)
    if op in ("LogSoftmax", "Hardmax"):
        fm = graphs.float_model([node(op, ["x"], ["y"], axis=1)], {"x": shape}, ["y"])
    else:
        fm = graphs.float_model([node(op, ["x", "axis"], ["y"])], {"x": shape}, ["y"], {"axis": np.array(1, np.int64)})
    int8_check(fm, {"x": shape}, seed, note=f"{op} node")
