"""DFT (gen/ops/spectral.py, runtime_c/gen_spectral.c), float32.

Oracle: onnxruntime (DFT-17 and DFT-20) for the forward transform (real and complex input, onesided,
dft_length padding and truncating, every signal axis) and the complex inverse; onnxruntime does not
compute the real inverse of a one-sided spectrum (inverse and onesided together), so there the
oracle is onnx's reference evaluator. dft_length and axis that arrive as graph inputs are refused.
"""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx.reference import ReferenceEvaluator

from graphs import assert_close, check, gen_run, make_model, node

TOL = dict(rtol=1e-4, atol=1e-4)


def _dft_model(x, opset, length=None, axis=None, **attrs):
    inits, ins = {}, ["x"]
    ins.append("len" if length is not None else "")
    if length is not None:
        inits["len"] = np.array(length, np.int64)
    if opset >= 20 and axis is not None:
        ins.append("axis")
        inits["axis"] = np.array(axis, np.int64)
    elif axis is not None:
        attrs["axis"] = axis
    while ins and not ins[-1]:
        ins.pop()
    return make_model([node("DFT", ins, ["y"], **attrs)], {"x": x}, ["y"], inits, opset=opset)


@settings(max_examples=25)
@given(opset=st.sampled_from([17, 20]), shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
       comp=st.sampled_from([1, 2]), onesided=st.sampled_from([0, 1]), inverse=st.sampled_from([0, 1]),
       length=st.one_of(st.none(), st.integers(1, 9)), axis_pick=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_dft_matches_onnxruntime(opset, shape, comp, onesided, inverse, length, axis_pick, seed):
    if inverse:
        onesided, comp = 0, 2                   # onnxruntime's inverse: complex, two-sided
    if onesided:
        comp = 1                                # onnxruntime's one-sided transform takes a real input
    x = np.random.default_rng(seed).standard_normal((*shape, comp)).astype(np.float32)
    axis = axis_pick % len(shape)
    if opset < 20 and axis == 0 and len(shape) > 1:
        axis = 1
    axis_val = axis if opset < 20 else axis - len(shape) - 1 if axis_pick % 2 else axis
    m = _dft_model(x, opset, length, axis_val, inverse=inverse, onesided=onesided)
    check(m, {"x": x}, **TOL)


@settings(max_examples=15)
@given(batch=st.integers(1, 3), n=st.integers(2, 7), length=st.one_of(st.none(), st.integers(1, 12)),
       seed=st.integers(0, 2**16))
def test_dft_irfft_matches_reference(batch, n, length, seed):
    x = np.random.default_rng(seed).standard_normal((batch, n, 2)).astype(np.float32)
    m = _dft_model(x, 20, length, 1, inverse=1, onesided=1)
    want = ReferenceEvaluator(m).run(None, {"x": x})[0]
    (got,), _ = gen_run(m, {"x": x})
    assert_close(got, want, **TOL)


def test_dft_length_as_graph_input_read_at_run_time():
    """dft_length as a graph input: the C picks the form the shapes allow (tests/test_runtime_float_params.py)."""
    x = np.random.default_rng(0).normal(size=(1, 4, 1)).astype(np.float32)
    m = make_model([node("DFT", ["x", "n"], ["y"])], {"x": x, "n": np.array(4, np.int64)}, [("y", (1, 4, 2))], opset=17)
    check(m, {"x": x, "n": np.array(4, np.int64)})
