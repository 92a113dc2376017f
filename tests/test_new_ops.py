"""The ops of issue 10's list added as their own families: the tensor generators (Shape, Size, Constant,
ConstantOfShape, EyeLike, Range: gen/ops/generators.py), IsNaN/IsInf (classify.py), OneHot (onehot.py),
CumProd (cumprod.py), CenterCropPad (center_crop_pad.py), MatMulInteger/ConvInteger/DynamicQuantizeLinear
(integer_mm.py) and MaxPool's Indices output (pool.py, gen_pool_indices.c).

Oracle: onnxruntime on the same model and inputs (integers exactly). Parameters that arrive as graph
inputs at run time (Range's bounds, ConstantOfShape's shape, OneHot's depth, CumProd's axis) are also
run with a value that does not give the compiled shape: the run must return -1."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper

from graphs import assert_close, assert_refused, gen_run, node, ort_run

NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int32): TensorProto.INT32,
              np.dtype(np.int64): TensorProto.INT64, np.dtype(np.int16): TensorProto.INT16,
              np.dtype(np.uint8): TensorProto.UINT8, np.dtype(np.int8): TensorProto.INT8,
              np.dtype(np.bool_): TensorProto.BOOL}


def typed_model(nodes, inputs: dict, outputs: dict, inits: dict | None = None, opset: int = 21):
    """A model whose graph inputs and outputs are declared with dtype and shape (outputs: name ->
    (numpy dtype, shape)), as the node cases and exporters declare them."""
    ins = [helper.make_tensor_value_info(k, NP_TO_ONNX[v.dtype], list(v.shape)) for k, v in inputs.items()]
    outs = [helper.make_tensor_value_info(k, NP_TO_ONNX[np.dtype(dt)], list(shp)) for k, (dt, shp) in outputs.items()]
    init = [onnx.numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()]
    g = helper.make_graph(list(nodes), "t", ins, outs, initializer=init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    return m


def check_exact(model, feeds, float_tol=None):
    """gen's outputs equal onnxruntime's (floats within float_tol = (rtol, atol) when given)."""
    ref = ort_run(model, feeds)
    got, res = gen_run(model, feeds)
    for o, g_, r in zip(model.graph.output, got, ref):
        assert g_.shape == r.shape, (o.name, g_.shape, r.shape)
        if r.dtype.kind == "f" and float_tol:
            assert_close(g_, r, *float_tol, what=o.name)
        else:
            assert g_.dtype == r.dtype and np.array_equal(g_, r, equal_nan=True), (o.name, g_, r)
    return res


def run_returns_minus_one(model, feeds):
    with pytest.raises(RuntimeError, match="returned -1"):
        gen_run(model, feeds)


# ----------------------------------------------------------------------------- Shape, Size, EyeLike, Constant

@settings(max_examples=15)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), start=st.integers(-5, 5),
       end=st.one_of(st.none(), st.integers(-5, 5)), k=st.integers(-4, 4), seed=st.integers(0, 2**16))
def test_shape_size_eyelike_constant_match_onnxruntime(shape, start, end, k, seed):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    sl = np.array(shape, np.int64)[start:end]
    if sl.size == 0:
        start, end = 0, None
        sl = np.array(shape, np.int64)
    e = x[..., 0, :] if x.ndim > 2 else x
    e = e.reshape(e.shape[-2], e.shape[-1]) if e.ndim == 2 else e.reshape(-1, e.shape[-1])
    nodes = [node("Shape", ["x"], ["s"], start=start, end=end), node("Size", ["x"], ["n"]),
             node("EyeLike", ["e"], ["i"], k=k), node("Constant", [], ["c"], value_ints=list(range(seed % 5 + 1))),
             # a Shape read by other nodes folds away: its value reaches Mul as a constant
             node("Shape", ["x"], ["s2"]), node("ReduceSum", ["s2"], ["t"], keepdims=0),
             node("Cast", ["t"], ["tf"], to=TensorProto.FLOAT), node("Mul", ["x", "tf"], ["y"])]
    m = typed_model(nodes, {"x": x, "e": e}, {"s": (np.int64, sl.shape), "n": (np.int64, ()),
                                               "i": (np.float32, e.shape), "c": (np.int64, (seed % 5 + 1,)),
                                               "y": (np.float32, x.shape)})
    check_exact(m, {"x": x, "e": e}, float_tol=(1e-6, 1e-6))


# ----------------------------------------------------------------------------- Range

@settings(max_examples=20)
@given(dt=st.sampled_from([np.float32, np.int32, np.int64, np.int16]), start=st.integers(-20, 20),
       delta=st.integers(-5, 5).filter(lambda d: d != 0), count=st.integers(1, 12), frac=st.sampled_from([0.5, 1.0]))
def test_range_runtime_bounds_match_onnxruntime(dt, start, delta, count, frac):
    s = np.array(start, dt)
    d = np.array(delta if dt != np.float32 else delta * 0.75, dt)
    off = frac * abs(float(d)) if dt == np.float32 else max(1, int(frac * abs(delta)))
    lim = np.array(float(s) + (count - 1) * float(d) + np.sign(delta) * off, dt)
    n = len(np.arange(s, lim, d))
    m = typed_model([node("Range", ["s", "l", "d"], ["y"])], {"s": s, "l": lim, "d": d}, {"y": (dt, (n,))})
    check_exact(m, {"s": s, "l": lim, "d": d}, float_tol=(1e-6, 1e-6))
    # another count than the declared one: the run returns -1
    run_returns_minus_one(m, {"s": s, "l": np.array(lim + 4 * d, dt), "d": d})


def test_range_delta_zero_and_constant_bounds():
    s, lim, d = np.array(2, np.int32), np.array(9, np.int32), np.array(3, np.int32)
    m = typed_model([node("Range", ["s", "l", "d"], ["y"])], {"s": s, "l": lim, "d": d}, {"y": (np.int32, (3,))})
    run_returns_minus_one(m, {"s": s, "l": lim, "d": np.array(0, np.int32)})
    # constant limit and delta, run-time start (the node cases' "const" form)
    m = typed_model([node("Range", ["s", "l", "d"], ["y"])], {"s": s}, {"y": (np.int32, (3,))},
                    inits={"l": lim, "d": d})
    check_exact(m, {"s": s})


# ----------------------------------------------------------------------------- ConstantOfShape

@settings(max_examples=10)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3),
       value=st.sampled_from([None, np.array([1.5], np.float32), np.array([7], np.int32),
                              np.array([-3], np.int64), np.array([True])]))
def test_constantofshape_runtime_shape_matches_onnxruntime(shape, value):
    shp = np.array(shape, np.int64)
    attrs = {} if value is None else {"value": onnx.numpy_helper.from_array(value, "v")}
    dt = np.float32 if value is None else value.dtype
    m = typed_model([node("ConstantOfShape", ["s"], ["y"], **attrs)], {"s": shp}, {"y": (dt, tuple(shape))})
    check_exact(m, {"s": shp})
    run_returns_minus_one(m, {"s": shp + 1})


# ----------------------------------------------------------------------------- OneHot

# (indices, values, depth) dtypes onnxruntime's OneHot has kernels for
ORT_ONEHOT = [(np.int64, np.int64, np.int64), (np.float32, np.int64, np.int64), (np.int64, np.float32, np.int64),
              (np.int32, np.float32, np.int32), (np.int32, np.float32, np.float32),
              (np.float32, np.float32, np.float32), (np.int64, np.int32, np.float32),
              (np.int64, np.float32, np.float32), (np.int64, np.float32, np.int32)]


@settings(max_examples=20)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), depth=st.integers(1, 6), data=st.data(),
       types=st.sampled_from(ORT_ONEHOT), run_time=st.booleans())
def test_onehot_matches_onnxruntime(shape, depth, data, types, run_time):
    idx_dt, val_dt, dep_dt = types
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    # indices from -depth - 2 to depth + 1: negative ones count from the end, the others are all off
    idx = np.array(data.draw(st.lists(st.integers(-depth - 2, depth + 1), min_size=int(np.prod(shape)),
                                      max_size=int(np.prod(shape)))), idx_dt).reshape(shape)
    vals = np.array([data.draw(st.integers(0, 3)), data.draw(st.integers(4, 9))], val_dt)
    dep = np.array(depth, dep_dt)
    out_shape = list(shape)
    out_shape.insert(axis % (len(shape) + 1), depth)
    n = node("OneHot", ["i", "d", "v"], ["y"], axis=axis)
    if run_time:
        m = typed_model([n], {"i": idx, "d": dep, "v": vals}, {"y": (val_dt, out_shape)}, opset=11)
        check_exact(m, {"i": idx, "d": dep, "v": vals})
        run_returns_minus_one(m, {"i": idx, "d": np.array(depth + 1, dep.dtype), "v": vals})
    else:
        m = typed_model([n], {"i": idx}, {"y": (val_dt, out_shape)}, inits={"d": dep, "v": vals}, opset=11)
        check_exact(m, {"i": idx})


# ----------------------------------------------------------------------------- IsNaN, IsInf

@settings(max_examples=10)
@given(pos=st.sampled_from([0, 1]), neg=st.sampled_from([0, 1]), seed=st.integers(0, 2**16))
def test_isnan_isinf_match_onnxruntime(pos, neg, seed):
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 3e38, -3e38, 1e-45], np.float32),
                   size=(3, 5))
    m = typed_model([node("IsNaN", ["x"], ["a"]), node("IsInf", ["x"], ["b"], detect_positive=pos,
                                                        detect_negative=neg)],
                    {"x": x}, {"a": (np.bool_, x.shape), "b": (np.bool_, x.shape)}, opset=20)
    check_exact(m, {"x": x})


# ----------------------------------------------------------------------------- CumProd

@settings(max_examples=15)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data(),
       dt=st.sampled_from([np.float32, np.int32, np.int64]), exclusive=st.sampled_from([0, 1]),
       reverse=st.sampled_from([0, 1]), run_time_axis=st.booleans())
def test_cumprod_matches_onnxruntime(shape, data, dt, exclusive, reverse, run_time_axis):
    axis = np.array(data.draw(st.integers(-len(shape), len(shape) - 1)), np.int64)
    x = np.array(data.draw(st.lists(st.integers(-3, 3), min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))),
                 dt).reshape(shape)
    if dt == np.float32:
        x = x * np.float32(0.75)
    n = node("CumProd", ["x", "a"], ["y"], exclusive=exclusive, reverse=reverse)
    if run_time_axis:
        m = typed_model([n], {"x": x, "a": axis}, {"y": (dt, shape)}, opset=26)
        check_exact(m, {"x": x, "a": axis}, float_tol=(1e-6, 1e-6))
        run_returns_minus_one(m, {"x": x, "a": np.array(len(shape), np.int64)})
    else:
        m = typed_model([n], {"x": x}, {"y": (dt, shape)}, inits={"a": axis}, opset=26)
        check_exact(m, {"x": x}, float_tol=(1e-6, 1e-6))


# ----------------------------------------------------------------------------- CenterCropPad

@settings(max_examples=15)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=4), data=st.data(),
       dt=st.sampled_from([np.float32, np.int64, np.uint8]), run_time=st.booleans())
def test_centercroppad_matches_onnxruntime(shape, data, dt, run_time):
    r = len(shape)
    axes = data.draw(st.lists(st.integers(0, r - 1), unique=True, min_size=1, max_size=r))
    target = np.array([data.draw(st.integers(1, 7)) for _ in axes], np.int64)
    out = list(shape)
    for a, t in zip(axes, target):
        out[a] = int(t)
    x = np.arange(int(np.prod(shape))).reshape(shape).astype(dt) + 1
    n = node("CenterCropPad", ["x", "s"], ["y"], axes=[a - r if a % 2 else a for a in axes])
    if run_time:
        m = typed_model([n], {"x": x, "s": target}, {"y": (dt, out)}, opset=18)
        check_exact(m, {"x": x, "s": target})
        run_returns_minus_one(m, {"x": x, "s": target + 1})
    else:
        m = typed_model([n], {"x": x}, {"y": (dt, out)}, inits={"s": target}, opset=18)
        check_exact(m, {"x": x})


# ----------------------------------------------------------------------------- MaxPool Indices

@settings(max_examples=15)
@given(rank=st.sampled_from([1, 2, 3]), k=st.integers(1, 3), s=st.integers(1, 2), pad=st.integers(0, 1),
       order=st.sampled_from([0, 1]), seed=st.integers(0, 2**16))
def test_maxpool_indices_match_onnxruntime(rank, k, s, pad, order, seed):
    if rank == 3:
        order = 0
    pad = min(pad, k - 1)
    shape = [2, 3] + [5] * rank
    rng = np.random.default_rng(seed)
    x = rng.integers(-4, 5, shape).astype(np.float32)      # ties: the first maximum's index
    out = [2, 3] + [(5 + 2 * pad - k) // s + 1] * rank
    m = typed_model([node("MaxPool", ["x"], ["y", "i"], kernel_shape=[k] * rank, strides=[s] * rank,
                          pads=[pad] * 2 * rank, storage_order=order)],
                    {"x": x}, {"y": (np.float32, out), "i": (np.int64, out)}, opset=12)
    check_exact(m, {"x": x})


# ----------------------------------------------------------------------------- MatMulInteger, ConvInteger

Q8 = st.sampled_from([np.int8, np.uint8])


def _q(rng, shape, dt):
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max + 1, shape).astype(dt)


@settings(max_examples=20)
@given(batch=st.lists(st.integers(1, 3), max_size=2), m=st.integers(1, 5), k=st.integers(1, 6),
       n=st.integers(1, 5), adt=Q8, bdt=Q8, b_batched=st.booleans(), azp=st.sampled_from(["none", "scalar", "row"]),
       bzp=st.sampled_from(["none", "scalar", "col"]), const_b=st.booleans(), seed=st.integers(0, 2**16))
def test_matmulinteger_matches_onnxruntime(batch, m, k, n, adt, bdt, b_batched, azp, bzp, const_b, seed):
    rng = np.random.default_rng(seed)
    a = _q(rng, batch + [m, k], adt)
    b = _q(rng, (batch if b_batched else []) + [k, n], bdt)
    ins, inits, names = {"a": a}, {}, ["a", "b"]
    (inits if const_b else ins)["b"] = b
    for nm, kind, dt, size in (("az", azp, adt, m), ("bz", bzp, bdt, n)):
        if kind == "none":
            names.append("")
            continue
        inits[nm] = _q(rng, () if kind == "scalar" else (size,), dt)
        names.append(nm)
    while names and names[-1] == "":
        names.pop()
    mdl = typed_model([node("MatMulInteger", names, ["y"])], ins, {"y": (np.int32, batch + [m, n])}, inits, opset=10)
    if azp != "row" and not (bzp == "col" and b_batched):
        check_exact(mdl, ins)
        return
    # onnxruntime takes neither a per-row a_zero_point nor a [N] one for a batched B: the spec's formula in
    # int64 is the oracle for those
    za = inits["az"].astype(np.int64)[:, None] if azp == "row" else inits.get("az", np.zeros((), adt)).astype(np.int64)
    zb = inits.get("bz", np.zeros((), bdt)).astype(np.int64)
    want = (a.astype(np.int64) - za) @ (b.astype(np.int64) - zb)
    got, _ = gen_run(mdl, ins)
    assert got[0].dtype == np.int32 and np.array_equal(got[0], want)


@settings(max_examples=15)
@given(rank=st.sampled_from([1, 2]), cin=st.integers(1, 4), group=st.sampled_from([1, 2]), cout=st.integers(1, 3),
       k=st.integers(1, 3), s=st.integers(1, 2), d=st.integers(1, 2), pad=st.integers(0, 2), xdt=Q8, wdt=Q8,
       wzp=st.sampled_from(["none", "scalar", "channel"]), seed=st.integers(0, 2**16))
def test_convinteger_matches_onnxruntime(rank, cin, group, cout, k, s, d, pad, xdt, wdt, wzp, seed):
    rng = np.random.default_rng(seed)
    cin, cout = cin * group, cout * group
    x = _q(rng, [2, cin] + [6] * rank, xdt)
    w = _q(rng, [cout, cin // group] + [k] * rank, wdt)
    inits = {"w": w, "xz": _q(rng, (), xdt)}
    names = ["x", "w", "xz"]
    if wzp != "none":
        inits["wz"] = _q(rng, () if wzp == "scalar" else (cout,), wdt)
        names.append("wz")
    o = (6 + 2 * pad - (k - 1) * d - 1) // s + 1
    mdl = typed_model([node("ConvInteger", names, ["y"], kernel_shape=[k] * rank, strides=[s] * rank,
                            dilations=[d] * rank, pads=[pad] * 2 * rank, group=group)],
                      {"x": x}, {"y": (np.int32, [2, cout] + [o] * rank)}, inits, opset=10)
    try:
        ref = ort_run(mdl, {"x": x})
    except Exception as e:     # onnxruntime's ConvInteger takes only some of these forms
        pytest.skip(f"onnxruntime refuses this ConvInteger: {str(e)[:80]}")
    got, _ = gen_run(mdl, {"x": x})
    assert np.array_equal(got[0], ref[0])


@settings(max_examples=10)
@given(m=st.integers(1, 4), k=st.integers(1, 8), n=st.integers(1, 5), scale=st.sampled_from([0.01, 1.0, 50.0]),
       shift=st.sampled_from([-1.0, 0.0, 1.0]), seed=st.integers(0, 2**16))
def test_dynamicquantizelinear_matmulinteger_pattern_matches_onnxruntime(m, k, n, scale, shift, seed):
    """onnxruntime's quantize_dynamic: DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul (scales)."""
    rng = np.random.default_rng(seed)
    x = ((rng.standard_normal((m, k)) + shift) * scale).astype(np.float32)
    w = rng.integers(-127, 128, (k, n)).astype(np.int8)
    nodes = [node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
             node("MatMulInteger", ["xq", "w", "xz"], ["acc"]), node("Cast", ["acc"], ["accf"], to=TensorProto.FLOAT),
             node("Mul", ["xs", "ws"], ["s"]), node("Mul", ["accf", "s"], ["y"])]
    mdl = typed_model(nodes, {"x": x}, {"y": (np.float32, (m, n)), "xq": (np.uint8, (m, k)),
                                        "xs": (np.float32, ()), "xz": (np.uint8, ())},
                      {"w": w, "ws": np.array(0.02, np.float32)}, opset=11)
    check_exact(mdl, {"x": x}, float_tol=(1e-6, 1e-6))


# ----------------------------------------------------------------------------- refusals

def test_mod_float_fmod0_refused_saying_why(tmp_path):
    x = np.ones((2, 3), np.float32)
    m = typed_model([node("Mod", ["x", "y"], ["z"], fmod=0)], {"x": x, "y": x}, {"z": (np.float32, (2, 3))}, opset=13)
    assert_refused(tmp_path, m, "Mod", "fmod=1", "opset 28")


def test_matmulinteger_broadcast_b_refused(tmp_path):
    a, b = np.ones((2, 3, 4), np.uint8), np.ones((1, 4, 5), np.uint8)
    m = typed_model([node("MatMulInteger", ["a", "b"], ["y"])], {"a": a, "b": b}, {"y": (np.int32, (2, 3, 5))},
                    opset=10)
    assert_refused(tmp_path, m, "MatMulInteger", "batch dims")


def test_cumprod_rank7_refused(tmp_path):
    x = np.ones([1] * 7, np.float32)
    m = typed_model([node("CumProd", ["x", "a"], ["y"])], {"x": x}, {"y": (np.float32, x.shape)},
                    inits={"a": np.array(0, np.int64)}, opset=26)
    assert_refused(tmp_path, m, "CumProd", "ranks 1 to 6")


def test_constant_string_refused(tmp_path):
    x = np.ones((2,), np.float32)
    m = typed_model([node("Constant", [], ["c"], value_floats=[1.0, 2.0]), node("Add", ["x", "c"], ["y"]),
                     node("Constant", [], ["s"], value_string="hello")],
                    {"x": x}, {"y": (np.float32, (2,))}, opset=13)
    m.graph.output.append(helper.make_tensor_value_info("s", TensorProto.STRING, []))
    assert_refused(tmp_path, m, "s")
