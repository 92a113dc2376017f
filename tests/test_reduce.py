"""The Reduce* ops (gen/ops/reduce.py, runtime_c/gen_reduce.c), ArgMax/ArgMin, TopK, CumSum and the
softmax variants LogSoftmax/Hardmax: float against onnxruntime on Hypothesis-drawn shapes, axes (as the
attribute before opset 13/18, as an input from then on), keepdims and noop_with_empty_axes; int8 on
quantize_static-style QDQ graphs: ReduceMax/ReduceMin select bytes (the output keeps the input's
quantization), ReduceSum/ReduceMean sum and requantize once (C == numpy reference, onnxruntime and the
layer check within 1 LSB), the others compute in float between dequantize and quantize. What gen cannot
compute is refused with one line naming the node."""
from __future__ import annotations

import subprocess
import sys

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
