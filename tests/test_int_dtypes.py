"""Plain integer tensors beyond int8: uint16, uint32 and uint64 in and out of a model and through the
integer ops (Add/Sub/Mul/Div wrap, Mod's fmod rules, Max/Min, comparisons, BitShift on every integer type
with shifts past the width, Cast), and the ops a family computes on plain integers in float32 (Clip,
MaxPool, Abs, Neg; Pow's integer exponent): against onnxruntime, exact (values and dtype)."""
from __future__ import annotations

import numpy as np
import onnx
import onnx.reference
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import helper

from dtype_util import gen_run_native
from graphs import assert_refused, ort_run

UNSIGNED = [np.uint16, np.uint32, np.uint64]
SIGNED = [np.int8, np.int16, np.int32, np.int64]
N = 8


def _model(nodes, inputs: dict, outputs, opset: int = 21, inits: dict | None = None) -> onnx.ModelProto:
    """Graph inputs typed and shaped like the arrays of `inputs`; outputs typed by onnx's inference."""
    ins = [helper.make_tensor_value_info(k, helper.np_dtype_to_tensor_dtype(np.asarray(v).dtype), list(np.shape(v)))
           for k, v in inputs.items()]
    init = [onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()]
    g = helper.make_graph(list(nodes), "t", ins, [helper.make_empty_tensor_value_info(o) for o in outputs],
                          initializer=init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    vis = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for o in m.graph.output:
        o.CopyFrom(vis[o.name])
    return m


def _values(dtype):
    """The dtype's whole range, its edges (0, 1, max, min, max - 1) more often."""
    info = np.iinfo(dtype)
    edges = sorted({int(info.min), int(info.min) + 1, -1 if info.min < 0 else 2, 0, 1, int(info.max) - 1,
                    int(info.max)})
    return st.one_of(st.sampled_from(edges), st.integers(int(info.min), int(info.max)))


def _arrays(dtype, elements=None):
    return hnp.arrays(dtype, N, elements=elements if elements is not None else _values(dtype))


def _oracle(model, feeds):
    """onnxruntime; onnx's reference evaluator where onnxruntime has no kernel for the type (Max/Min of
    uint16, ...)."""
    try:
        return ort_run(model, feeds)
    except Exception as e:
        if "NOT_IMPLEMENTED" not in str(e) and "Could not find an implementation" not in str(e):
            raise
        return onnx.reference.ReferenceEvaluator(model).run(None, feeds)


def _exact(model, feeds, what):
    want = _oracle(model, feeds)
    got, _ = gen_run_native(model, feeds)
    for g, w in zip(got, want):
        assert g.dtype == w.dtype, (what, g.dtype, w.dtype)
        np.testing.assert_array_equal(g, w, err_msg=f"{what}: {feeds}")


BINARY = [("Add", {}), ("Sub", {}), ("Mul", {}), ("Div", {}), ("Mod", {}), ("Mod", {"fmod": 1}), ("Max", {}),
          ("Min", {}), ("Equal", {}), ("Greater", {}), ("Less", {}), ("GreaterOrEqual", {}), ("LessOrEqual", {})]


@pytest.mark.parametrize("dt", UNSIGNED, ids=[np.dtype(d).name for d in UNSIGNED])
@pytest.mark.parametrize("op,attrs", BINARY, ids=[op + ("-fmod" if a else "") for op, a in BINARY])
@settings(max_examples=15)
@given(data=st.data())
def test_int_dtypes_binary_unsigned(op, attrs, dt, data):
    """Wrap-around arithmetic, truncating division, unsigned comparisons and Mod over the whole range
    (uint64 past 2^63 included); a divisor of 0 is left out (onnxruntime traps, gen gives 0)."""
    a = data.draw(_arrays(dt))
    nonzero = op in ("Div", "Mod")
    b = data.draw(_arrays(dt, _values(dt).filter(lambda v: v != 0) if nonzero else None))
    m = _model([helper.make_node(op, ["a", "b"], ["y"], **attrs)], {"a": a, "b": b}, ["y"])
    _exact(m, {"a": a, "b": b}, f"{op} {np.dtype(dt).name}")


@pytest.mark.parametrize("dt", UNSIGNED, ids=[np.dtype(d).name for d in UNSIGNED])
def test_add_mul_div_unsigned_broadcast_edges(dt):
    """The edges by hand, a broadcast operand: max + 1 wraps to 0, 0 - 1 to max, max * max to 1, max / 1."""
    mx = np.iinfo(dt).max
    a = np.array([[mx, 0, mx, 7], [1, mx - 1, 2, mx]], dt)
    b = np.array([1, 1, mx, 2], dt)
    for op in ("Add", "Sub", "Mul", "Div", "Mod"):
        m = _model([helper.make_node(op, ["a", "b"], ["y"])], {"a": a, "b": b}, ["y"])
        _exact(m, {"a": a, "b": b}, f"{op} {np.dtype(dt).name}")


SHIFT_TYPES = UNSIGNED + [np.uint8] + SIGNED


@pytest.mark.parametrize("dt", SHIFT_TYPES, ids=[np.dtype(d).name for d in SHIFT_TYPES])
@pytest.mark.parametrize("direction", ["LEFT", "RIGHT"])
@settings(max_examples=15)
@given(data=st.data())
def test_bitshift_every_integer_type(direction, dt, data):
    """BitShift-28 on signed and unsigned types: shifts past the width give 0 (-1 for a negative x >> y),
    a negative shift likewise; a signed right shift is arithmetic. Signed types only exist at opset 28."""
    bits = np.iinfo(dt).bits
    x = data.draw(_arrays(dt))
    lo = -2 if np.iinfo(dt).min < 0 else 0
    y = data.draw(hnp.arrays(dt, N, elements=st.one_of(st.integers(lo, bits + 2), _values(dt))))
    m = _model([helper.make_node("BitShift", ["x", "y"], ["z"], direction=direction)], {"x": x, "y": y}, ["z"],
               opset=28)
    want = onnx.reference.ReferenceEvaluator(m).run(None, {"x": x, "y": y})[0]   # the spec's rule
    _exact(m, {"x": x, "y": y}, f"BitShift {direction} {np.dtype(dt).name}")
    np.testing.assert_array_equal(gen_run_native(m, {"x": x, "y": y})[0][0], want)


CASTS = [(s, d) for s in UNSIGNED for d in [np.float32, np.int8, np.int64, np.uint8] + UNSIGNED] + \
        [(s, d) for s in SIGNED + [np.uint8] for d in UNSIGNED]


@pytest.mark.parametrize("src,dst", CASTS, ids=[f"{np.dtype(s).name}-{np.dtype(d).name}" for s, d in CASTS])
@settings(max_examples=10)
@given(data=st.data())
def test_cast_unsigned(src, dst, data):
    """Cast to and from the wide unsigned types: integers wrap, uint64 -> float32 rounds as C's (and
    onnxruntime's) unsigned conversion."""
    x = data.draw(_arrays(src))
    m = _model([helper.make_node("Cast", ["x"], ["y"], to=helper.np_dtype_to_tensor_dtype(np.dtype(dst)))],
               {"x": x}, ["y"])
    _exact(m, {"x": x}, f"Cast {np.dtype(src).name} -> {np.dtype(dst).name}")


@pytest.mark.parametrize("dst", UNSIGNED, ids=[np.dtype(d).name for d in UNSIGNED])
@settings(max_examples=15)
@given(data=st.data())
def test_cast_float_to_unsigned_in_range(dst, data):
    """float32 -> uint16/32/64 truncates toward zero; every value inside the target's range is exact
    (out of range is undefined in the spec: onnxruntime's result depends on the element's position)."""
    hi = float(np.nextafter(np.float32(float(np.iinfo(dst).max) + 1), np.float32(0)))   # below max + 1
    x = data.draw(hnp.arrays(np.float32, N, elements=st.floats(0, hi, width=32)))
    m = _model([helper.make_node("Cast", ["x"], ["y"], to=helper.np_dtype_to_tensor_dtype(np.dtype(dst)))],
               {"x": x}, ["y"])
    _exact(m, {"x": x}, f"Cast float32 -> {np.dtype(dst).name}")


PLAIN = [np.int8, np.uint8, np.int16, np.uint16]


@pytest.mark.parametrize("dt", PLAIN, ids=[np.dtype(d).name for d in PLAIN])
@settings(max_examples=10)
@given(data=st.data())
def test_clip_plain_integers(dt, data):
    """Clip on plain (unquantized) integers with constant bounds, one bound or none (the type's range)."""
    x = data.draw(_arrays(dt))
    lo, hi = sorted(data.draw(st.lists(_values(dt), min_size=2, max_size=2)))
    for ins in (["x", "lo", "hi"], ["x", "lo"], ["x", "", "hi"], ["x"]):
        inits = {k: np.asarray(v, dt) for k, v in (("lo", lo), ("hi", hi)) if k in ins}
        m = _model([helper.make_node("Clip", ins, ["y"])], {"x": x}, ["y"], inits=inits)
        _exact(m, {"x": x}, f"Clip {np.dtype(dt).name} {ins}")


@pytest.mark.parametrize("dt", [np.int8, np.uint8], ids=["int8", "uint8"])
@settings(max_examples=10)
@given(data=st.data())
def test_maxpool_plain_integers(dt, data):
    """MaxPool (padded, strided; and dilated, ceil_mode) on plain int8/uint8 (ONNX's integer types)."""
    x = data.draw(hnp.arrays(dt, (1, 2, 5, 5), elements=_values(dt)))
    for attrs in (dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
                  dict(kernel_shape=[2, 2], dilations=[2, 2], ceil_mode=1, strides=[2, 2])):
        m = _model([helper.make_node("MaxPool", ["x"], ["y"], **attrs)], {"x": x}, ["y"])
        _exact(m, {"x": x}, f"MaxPool {np.dtype(dt).name} {attrs}")


@pytest.mark.parametrize("op", ["Abs", "Neg"])
@pytest.mark.parametrize("dt", [np.int8, np.int16], ids=["int8", "int16"])
@settings(max_examples=10)
@given(data=st.data())
def test_abs_neg_plain_integers(op, dt, data):
    """Abs and Neg of plain integers wrap at the minimum (-(-128) is -128), as onnxruntime's."""
    x = data.draw(_arrays(dt))
    m = _model([helper.make_node(op, ["x"], ["y"])], {"x": x}, ["y"])
    _exact(m, {"x": x}, f"{op} {np.dtype(dt).name}")


EXPONENTS = [np.int32, np.int64, np.uint32, np.uint64]


@pytest.mark.parametrize("dt", EXPONENTS, ids=[np.dtype(d).name for d in EXPONENTS])
@settings(max_examples=10)
@given(data=st.data())
def test_pow_integer_exponent(dt, data):
    """Pow of a float base to an integer exponent (graph input): the exponent as float32, as the spec
    computes it; onnxruntime within float32 rounding."""
    x = data.draw(hnp.arrays(np.float32, N, elements=st.floats(-3, 3, width=32)))
    lo = -4 if np.iinfo(dt).min < 0 else 0
    y = data.draw(hnp.arrays(dt, N, elements=st.integers(lo, 6)))
    m = _model([helper.make_node("Pow", ["x", "y"], ["z"])], {"x": x, "y": y}, ["z"])
    want = _oracle(m, {"x": x, "y": y})[0]
    got = gen_run_native(m, {"x": x, "y": y})[0][0]
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dt", [np.int32, np.int64], ids=["int32", "int64"])
@settings(max_examples=15)
@given(data=st.data())
def test_pow_integer_base(dt, data):
    """Pow of plain int32/int64 (ONNX's integer bases): integer powers, exact, negative exponents as
    1 / x^-y truncated toward zero, against onnxruntime (which computes them in double: no overflow
    drawn here); past the type's range they wrap, as onnx's reference (numpy) computes."""
    x = data.draw(hnp.arrays(dt, N, elements=st.integers(-6, 6)))
    y = data.draw(hnp.arrays(dt, N, elements=st.integers(-3, 10)))
    y = np.where((x == 0) & (y < 0), 1, y).astype(dt)      # 0^-n: onnxruntime's inf cast to an integer
    m = _model([helper.make_node("Pow", ["x", "y"], ["z"])], {"x": x, "y": y}, ["z"])
    _exact(m, {"x": x, "y": y}, f"Pow {np.dtype(dt).name}")
    big = data.draw(hnp.arrays(dt, N, elements=_values(dt)))
    e = data.draw(hnp.arrays(dt, N, elements=st.integers(0, 70)))
    m = _model([helper.make_node("Pow", ["x", "y"], ["z"])], {"x": big, "y": e}, ["z"])
    want = onnx.reference.ReferenceEvaluator(m).run(None, {"x": big, "y": e})[0]
    np.testing.assert_array_equal(gen_run_native(m, {"x": big, "y": e})[0][0], want)


def test_pow_integer_base_float_exponent_refused(tmp_path):
    x, y = np.ones(N, np.int32), np.ones(N, np.float32)
    m = _model([helper.make_node("Pow", ["x", "y"], ["z"], name="pw")], {"x": x, "y": y}, ["z"])
    assert_refused(tmp_path, m, "'pw'", "Pow of a plain int32 base to a float32 exponent")


def test_clip_plain_int32_refused(tmp_path):
    """Clip of plain int32: float32 does not hold every int32, so gen refuses it instead of rounding."""
    x = np.zeros(N, np.int32)
    m = _model([helper.make_node("Clip", ["x", "lo"], ["y"], name="clamp")], {"x": x}, ["y"],
               inits={"lo": np.asarray(3, np.int32)})
    assert_refused(tmp_path, m, "'clamp'", "Clip on plain int32", "float32")
