"""The boundary dtypes (gen/ir.py BOUNDARY_DTYPES: float64 and bfloat16 besides float16, float32 inside the
graph and converted at the API) and zero-size graph inputs (compiled as empty constants; the API keeps
their unread pointer), against onnxruntime, or onnx.reference where onnxruntime cannot (its Python API has
no numpy bfloat16)."""
from __future__ import annotations


import ml_dtypes
import numpy as np
import onnx
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from dtype_util import check_test_vectors_on_host
from graphs import gen_compile, ort_run

BF16 = ml_dtypes.bfloat16
ONNX_OF = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
           np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(BF16): TensorProto.BFLOAT16,
           np.dtype(np.int64): TensorProto.INT64, np.dtype(np.int32): TensorProto.INT32}


def model(nodes, inputs: dict, outputs: dict, opset: int = 21, inits=()) -> onnx.ModelProto:
    """inputs: name -> example array (its dtype and shape); outputs: name -> (numpy dtype, shape)."""
    ins = [helper.make_tensor_value_info(k, ONNX_OF[np.asarray(v).dtype], list(np.shape(v))) for k, v in inputs.items()]
    outs = [helper.make_tensor_value_info(k, ONNX_OF[np.dtype(dt)], list(shape)) for k, (dt, shape) in outputs.items()]
    m = helper.make_model(helper.make_graph(list(nodes), "t", ins, outs, list(inits)), opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    onnx.checker.check_model(m, full_check=True)
    return m


def gen_run(m: onnx.ModelProto, feeds: dict):
    from gen.host import HostModel
    res = gen_compile(m)
    host = HostModel(res.files)
    return host.run(*[feeds[t["name"]] for t in host.inputs]), res


def bits(a: np.ndarray) -> np.ndarray:
    """A 16-bit float array's bit patterns, every NaN as one pattern (NaN payloads are not compared)."""
    a = np.asarray(a)
    b = a.view(np.uint16).copy()
    b[np.isnan(a.astype(np.float32))] = 0x7FC0
    return b


def same_floats(got, want, what: str) -> None:
    """Exactly the same values (NaN where NaN), and the same dtype."""
    got, want = np.asarray(got), np.asarray(want)
    assert got.dtype == want.dtype and got.shape == want.shape, (what, got.dtype, want.dtype, got.shape, want.shape)
    g64, w64 = got.astype(np.float64), want.astype(np.float64)
    assert np.array_equal(np.isnan(g64), np.isnan(w64)), f"{what}: NaNs differ"
    ok = ~np.isnan(w64)
    assert np.array_equal(g64[ok], w64[ok]), f"{what}: {g64[ok][g64[ok] != w64[ok]][:4]} != {w64[ok][g64[ok] != w64[ok]][:4]}"


# float32 values where float -> bfloat16 and double -> float rounding differ: ties (odd and even), the
# largest values (round to inf), subnormals, NaN and the infinities
F32_EDGES = [1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8, 1.0 + 2.0**-8 + 2.0**-20, -(1.0 + 2.0**-8), 3.3895313892515355e38,
             3.4028234663852886e38, -3.4028234663852886e38, 1e-40, -1e-45, 0.0, -0.0, float("nan"), float("inf"),
             -float("inf")]
f32s = st.one_of(st.sampled_from(F32_EDGES), st.floats(width=32, allow_nan=True, allow_infinity=True))
# doubles where double -> float rounds: halfway cases, past FLT_MAX (+ half its last place: inf), below the
# smallest subnormal
F64_EDGES = [1.0 + 2.0**-24, 1.0 + 3 * 2.0**-24, 1.0 + 2.0**-24 + 2.0**-40, 3.4028235677973366e38,
             3.4028235677973362e38, -3.4028235677973366e38, 1e300, -1e300, 2.0**-150, 2.0**-149 * 1.5, 1e-320, 0.1,
             float("nan"), float("inf"), -float("inf")]
f64s = st.one_of(st.sampled_from(F64_EDGES), st.floats(width=64, allow_nan=True, allow_infinity=True))


@settings(max_examples=20)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
                  elements=st.floats(-1e6, 1e6, width=64)),
       st.floats(-1e6, 1e6, width=64))
def test_add_float64_inputs_and_output(x, c):
    """float64 in and out: the API takes and returns double, the graph adds in float32 (onnxruntime adds in
    double: equal within float32's rounding of the inputs and the sum)."""
    y = np.full(x.shape, c, np.float64)
    m = model([helper.make_node("Add", ["x", "y"], ["z"])], {"x": x, "y": y}, {"z": (np.float64, x.shape)})
    got, res = gen_run(m, {"x": x, "y": y})
    want = ort_run(m, {"x": x, "y": y})[0]
    assert got[0].dtype == np.float64 and want.dtype == np.float64
    tol = 2.0**-23 * (np.abs(x) + abs(c)) + 1e-30
    assert np.all(np.abs(got[0] - want) <= tol), (got[0], want)
    assert "double *input0" in res.files["m.h"].decode() and "float64 inputs and outputs are passed as double" in \
        res.files["m.h"].decode()


@settings(max_examples=25)
@given(hnp.arrays(np.float64, st.integers(1, 12), elements=f64s))
def test_cast_double_to_float(x):
    """Cast DOUBLE -> FLOAT: the boundary's conversion, to nearest even and past FLT_MAX to inf, as onnxruntime."""
    m = model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], {"x": x}, {"y": (np.float32, x.shape)})
    got, _ = gen_run(m, {"x": x})
    same_floats(got[0], ort_run(m, {"x": x})[0], "double -> float")


@settings(max_examples=20)
@given(hnp.arrays(np.float32, st.integers(1, 12), elements=f32s))
def test_cast_float_to_double(x):
    """Cast FLOAT -> DOUBLE: a float32 value inside the graph, exact as a double at the API."""
    m = model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.DOUBLE)], {"x": x}, {"y": (np.float64, x.shape)})
    got, _ = gen_run(m, {"x": x})
    same_floats(got[0], ort_run(m, {"x": x})[0], "float -> double")


@settings(max_examples=25)
@given(hnp.arrays(np.float32, st.integers(1, 12), elements=f32s))
def test_cast_float_to_bfloat16(x):
    """Cast FLOAT -> BFLOAT16 inside the graph (rounded to nearest even, the API returning its bits) against
    onnx.reference (onnxruntime cannot hand bfloat16 to numpy); then a second Cast back to float reads the
    rounded values."""
    m = model([helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BFLOAT16),
               helper.make_node("Cast", ["b"], ["y"], to=TensorProto.FLOAT)],
              {"x": x}, {"b": (BF16, x.shape), "y": (np.float32, x.shape)})
    got, res = gen_run(m, {"x": x})
    want = ReferenceEvaluator(m).run(None, {"x": x})
    assert got[0].dtype == BF16
    assert np.array_equal(bits(got[0]), bits(want[0])), (x, got[0], want[0])
    same_floats(got[1], want[1], "float -> bfloat16 -> float")
    assert "uint16_t *output0" in res.files["m.h"].decode()


@settings(max_examples=20)
@given(hnp.arrays(np.uint16, st.integers(1, 12)))
def test_cast_bfloat16_to_float_and_double(b):
    """bfloat16 graph input (every bit pattern: subnormals, NaNs, infinities) to float and to double: exact."""
    x = b.view(BF16)
    m = model([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT),
               helper.make_node("Cast", ["x"], ["d"], to=TensorProto.DOUBLE)],
              {"x": x}, {"y": (np.float32, x.shape), "d": (np.float64, x.shape)})
    got, _ = gen_run(m, {"x": x})
    want = ReferenceEvaluator(m).run(None, {"x": x})
    same_floats(got[0], want[0], "bfloat16 -> float")
    same_floats(got[1], want[1], "bfloat16 -> double")


@settings(max_examples=15)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4), elements=st.floats(-100, 100, width=32)),
       st.sampled_from([np.float64, np.int32, np.float16]))
def test_castlike_empty_like_input(x, like_dtype):
    """CastLike whose `like` is a graph input with no elements (as ONNX's node cases write it): compiled as an
    empty constant, so only its dtype counts; the API still takes its pointer, never read (NULL here)."""
    like = np.zeros((0,), like_dtype)
    m = model([helper.make_node("CastLike", ["x", "like"], ["y"])], {"x": x, "like": like},
              {"y": (like_dtype, x.shape)})
    from gen.host import HostModel
    res = gen_compile(m)
    h = res.files["m.h"].decode()
    assert "input 1: 'like'" in h and "never read" in h
    host = HostModel(res.files)
    got = host.run(x, like)
    want = ort_run(m, {"x": x, "like": like})[0]
    assert got[0].dtype == want.dtype
    if like_dtype == np.int32:
        assert np.array_equal(got[0], want)
    else:
        same_floats(got[0], want, "CastLike")
    # the pointer is never read: a null one is fine
    ffi = host.ffi
    y = np.zeros(x.size, like_dtype)
    ctype = {np.float64: "double", np.int32: "int32_t", np.float16: "uint16_t"}[like_dtype]
    rc = host.lib.m_run(ffi.from_buffer("float[]", np.ascontiguousarray(x.reshape(-1))), ffi.NULL,
                        ffi.from_buffer(ctype + "[]", y))
    assert rc == 0 and np.array_equal(y.view(np.uint8), got[0].reshape(-1).view(np.uint8))


@settings(max_examples=15)
@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4), elements=st.floats(-10, 10, width=32)),
       st.sampled_from([0, 1]), st.sampled_from([0, 1]))
def test_reducesum_empty_axes_input(x, keepdims, noop):
    """ReduceSum-18 whose axes input is a graph input of shape [0]: empty axes, the spec's default (all axes,
    or the identity with noop_with_empty_axes), against onnxruntime."""
    axes = np.zeros((0,), np.int64)
    out_shape = x.shape if noop else ((1,) * x.ndim if keepdims else ())
    m = model([helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=keepdims, noop_with_empty_axes=noop)],
              {"x": x, "axes": axes}, {"y": (np.float32, out_shape)}, opset=18)
    got, _ = gen_run(m, {"x": x, "axes": axes})
    want = ort_run(m, {"x": x, "axes": axes})[0]
    assert got[0].shape == want.shape
    assert np.allclose(got[0], want, rtol=1e-5, atol=1e-5)


REDUCE_EMPTY = ["ReduceSum", "ReduceProd", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                "ReduceLogSum", "ReduceLogSumExp"]


@settings(max_examples=18)
@given(st.sampled_from(REDUCE_EMPTY), st.integers(1, 3), st.integers(1, 3), st.sampled_from([0, 1]))
def test_reducesum_and_family_of_an_empty_set(op, a, b, keepdims):
    """A reduction over an axis of length 0 (a graph input with no elements): the output is the reduction's
    identity (0, 1, -inf for Max and LogSum, +inf for Min), as onnxruntime; the API takes the empty input."""
    x = np.zeros((a, 0, b), np.float32)
    out_shape = (a, 1, b) if keepdims else (a, b)
    m = model([helper.make_node(op, ["x", "axes"], ["y"], keepdims=keepdims)], {"x": x},
              {"y": (np.float32, out_shape)}, opset=18, inits=[helper.make_tensor("axes", TensorProto.INT64, [1], [1])])
    got, _ = gen_run(m, {"x": x})
    want = ort_run(m, {"x": x})[0]
    same_floats(got[0], want, f"{op} of an empty set")


def test_slice_empty_output():
    """A Slice whose output has no elements (starts past the end): nothing to compute; the API's output pointer
    is never written (the header says so)."""
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    starts = helper.make_tensor("s", TensorProto.INT64, [1], [10])
    ends = helper.make_tensor("e", TensorProto.INT64, [1], [12])
    m = model([helper.make_node("Slice", ["x", "s", "e"], ["y"])], {"x": x}, {"y": (np.float32, (0, 3))},
              inits=[starts, ends])
    got, res = gen_run(m, {"x": x})
    assert got[0].shape == ort_run(m, {"x": x})[0].shape == (0, 3)
    assert "never written" in res.files["m.h"].decode()


def test_cast_boundary_dtypes_testvec_firmware_check(tmp_path):
    """gen_testvec.c of a model with float64, bfloat16 and empty inputs and outputs builds with the library
    (-Werror -pedantic, gcc) and its check passes on the host."""
    x = np.zeros((2, 3), np.float64)
    b = np.zeros((3,), BF16)
    e = np.zeros((0, 3), np.float32)
    nodes = [helper.make_node("Cast", ["x"], ["xb"], to=TensorProto.BFLOAT16),
             helper.make_node("Cast", ["b"], ["bd"], to=TensorProto.DOUBLE),
             helper.make_node("Add", ["x", "bd"], ["s"]),
             helper.make_node("CastLike", ["s", "e"], ["f"])]
    m = model(nodes, {"x": x, "b": b, "e": e}, {"xb": (BF16, (2, 3)), "s": (np.float64, (2, 3)),
                                                 "f": (np.float32, (2, 3))})
    res = gen_compile(m)
    check_test_vectors_on_host(res, tmp_path)
