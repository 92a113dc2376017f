"""Every dtype gen takes at the API (float32, float16, int8, uint8, int16, int32, int64, bool) in and out
of a compiled model, and Cast / CastLike between every pair, against onnxruntime (exact: the values and
the output dtype; float16 as its bits)."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper

from dtype_util import DTYPES, check_test_vectors_on_host, gen_run_native, typed_model
from graphs import ort_run

ONNX_OF = {np.float32: TensorProto.FLOAT, np.float16: TensorProto.FLOAT16, np.int8: TensorProto.INT8,
           np.uint8: TensorProto.UINT8, np.int16: TensorProto.INT16, np.int32: TensorProto.INT32,
           np.int64: TensorProto.INT64, np.bool_: TensorProto.BOOL}
C_OF = {np.float32: "float", np.float16: "uint16_t", np.int8: "int8_t", np.uint8: "uint8_t", np.int16: "int16_t",
        np.int32: "int32_t", np.int64: "int64_t", np.bool_: "uint8_t"}
NAME = {d: np.dtype(d).name for d in DTYPES}


def special(dtype):
    """Values where casts differ: halves (float16 rounding, truncation), range limits, NaN and infinities."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind == "f":
        width = 16 if dtype == np.float16 else 32
        edge = [0.5, -0.5, 1.5, -1.5, 2.5, 127.5, -128.5, 255.5, 32767.5, 65504.0, 65520.0, 1e-8, 3e9, -3e9,
                2.0**31, -2.0**31, 2.0**63, float("nan"), float("inf"), -float("inf")]
        return st.one_of(st.sampled_from([np.asarray(v, dtype).item() for v in edge if width == 32 or abs(v) < 7e4
                                          or v != v or abs(v) == float("inf")]),
                         st.floats(width=width, allow_nan=True, allow_infinity=True))
    info = np.iinfo(dtype)
    return st.one_of(st.sampled_from([int(info.min), int(info.max), 0, 1, -1 if info.min < 0 else 2]),
                     st.integers(int(info.min), int(info.max)))


def arrays(dtype, n: int = 12):
    return hnp.arrays(dtype, n, elements=special(dtype))


def _native(dtype):
    return np.dtype(dtype).type


def compare_exact(got, ref, what):
    assert got.dtype == ref.dtype, (what, got.dtype, ref.dtype)
    if ref.dtype.kind == "f":   # bit for bit, every NaN alike
        g, r = got.astype(np.float64), ref.astype(np.float64)
        assert np.array_equal(np.isnan(g), np.isnan(r)), what
        np.testing.assert_array_equal(g[~np.isnan(g)], r[~np.isnan(r)], err_msg=what)
    else:
        np.testing.assert_array_equal(got, ref, err_msg=what)


@pytest.mark.parametrize("src", DTYPES, ids=[NAME[d] for d in DTYPES])
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_cast_every_pair(src, data):
    """Cast from `src` to every dtype (one model, eight outputs) and CastLike to each, against onnxruntime
    bit for bit."""
    x = data.draw(arrays(src))
    nodes = [helper.make_node("Cast", ["x"], [f"y_{NAME[d]}"], to=ONNX_OF[d]) for d in DTYPES]
    outs = [f"y_{NAME[d]}" for d in DTYPES]
    m = typed_model(nodes, {"x": x}, outs)
    ref = ort_run(m, {"x": x})
    got, res = gen_run_native(m, {"x": x})
    for name, g_, r in zip(outs, got, ref):
        compare_exact(g_, r, f"Cast {NAME[src]} -> {name}")


@settings(max_examples=6, deadline=None)
@given(data=st.data(), dst=st.sampled_from(DTYPES))
def test_castlike_targets(data, dst):
    """CastLike: the target dtype is its second input's (a graph input here, so not folded)."""
    x = data.draw(arrays(np.float32))
    like = np.zeros(2, dst)
    m = typed_model([helper.make_node("CastLike", ["x", "like"], ["y"])], {"x": x, "like": like}, ["y"])
    ref = ort_run(m, {"x": x, "like": like})
    got, _ = gen_run_native(m, {"x": x, "like": like})
    compare_exact(got[0], ref[0], f"CastLike -> {NAME[dst]}")


@pytest.mark.parametrize("dt", DTYPES, ids=[NAME[d] for d in DTYPES])
def test_dtypes_boundary_in_and_out(dt):
    """A graph input and outputs of dtype `dt`: the prototype takes and returns the C type of the dtype,
    the values come back as they went in (a byte move) and next to an input of another dtype."""
    rng = np.random.default_rng(0)
    from gen.testvec import random_input
    x = random_input(rng, NAME[dt], (2, 3))
    k = np.arange(4, dtype=np.int64).reshape(2, 2)
    nodes = [helper.make_node("Transpose", ["x"], ["xt"], perm=[1, 0]),
             helper.make_node("Concat", ["x", "x"], ["xx"], axis=0),
             helper.make_node("Cast", ["k"], ["kf"], to=TensorProto.FLOAT)]
    m = typed_model(nodes, {"x": x, "k": k}, ["xt", "xx", "kf"])
    ref = ort_run(m, {"x": x, "k": k})
    got, res = gen_run_native(m, {"x": x, "k": k})
    for g_, r in zip(got, ref):
        compare_exact(g_, r, NAME[dt])
    h = res.files["m.h"].decode()
    suffix = "_s8" if dt == np.int8 else ""
    assert f"int m_run{suffix}(const {C_OF[dt]} *input0, const int64_t *input1, {C_OF[dt]} *output0, " \
           f"{C_OF[dt]} *output1, float *output2);" in h, h
    if dt == np.float16:
        assert "binary16 bits (uint16_t)" in h


def test_dtypes_float16_compute_in_float32():
    """float16 tensors compute in float32 inside the model: an Add with broadcasting whose float16 result
    onnxruntime rounds once (exact here: a sum of two float16 values is exact in float32)."""
    rng = np.random.default_rng(1)
    a = rng.standard_normal((2, 3)).astype(np.float16)
    b = rng.standard_normal((3,)).astype(np.float16)
    m = typed_model([helper.make_node("Add", ["a", "b"], ["y"])], {"a": a, "b": b}, ["y"])
    ref = ort_run(m, {"a": a, "b": b})
    got, _ = gen_run_native(m, {"a": a, "b": b})
    compare_exact(got[0], ref[0], "float16 Add")


def test_dtypes_testvec_firmware_check(tmp_path):
    """gen_testvec.c of a model with int64, bool and float16 inputs/outputs builds with the library
    (-Werror -pedantic) and its check passes on the host."""
    x = np.zeros((2, 3), np.float16)
    k = np.zeros((3,), np.int64)
    b = np.zeros((3,), np.bool_)
    nodes = [helper.make_node("Cast", ["x"], ["xi"], to=TensorProto.INT64),
             helper.make_node("Add", ["xi", "k"], ["s"]),
             helper.make_node("Not", ["b"], ["nb"]),
             helper.make_node("Cast", ["s"], ["h"], to=TensorProto.FLOAT16)]
    m = typed_model(nodes, {"x": x, "k": k, "b": b}, ["s", "nb", "h"])
    from graphs import gen_compile
    res = gen_compile(m)
    check_test_vectors_on_host(res, tmp_path)


@pytest.mark.parametrize("op", ["Concat", "Pad", "Trilu"])
def test_int64_constants_in_byte_moves(op):
    """Byte-moving ops that write a constant of the tensor's own dtype (Concat's constant part, Pad's
    value, Trilu's zero fill) keep int64 constants 64-bit: stored as int32 they were 4 of the element's
    8 bytes (Trilu on int64 gave garbage in the masked half). Values beyond int32 make it visible."""
    big = np.int64(2**40 + 3)
    x = (np.arange(12, dtype=np.int64).reshape(3, 4) - 5) * big
    if op == "Concat":
        nodes = [helper.make_node("Concat", ["x", "c"], ["y"], axis=0)]
        inits = {"c": np.full((2, 4), -big, np.int64)}
    elif op == "Pad":
        nodes = [helper.make_node("Pad", ["x", "pads", "v"], ["y"])]
        inits = {"pads": np.array([1, 0, 0, 2], np.int64), "v": np.array(big, np.int64)}
    else:
        nodes = [helper.make_node("Trilu", ["x"], ["y"], upper=0)]
        inits = {}
    m = typed_model(nodes, {"x": x}, ["y"], inits)
    got, _ = gen_run_native(m, {"x": x})
    compare_exact(got[0], ort_run(m, {"x": x})[0], f"{op} int64")
