"""Float parameters that arrive as graph inputs and that the kernels read at run time (issue 10):
Quantize/DequantizeLinear scale and zero point in a float model (per tensor, per axis, blocked), Clip
bounds, BatchNormalization's parameters, Conv/ConvTranspose weights and bias, Attention's
nonpad_kv_seqlen and bool attn_mask, RotaryEmbedding's position_ids. Each against onnxruntime on the
same model (every parameter a graph input), Hypothesis over values and shapes; indices out of range make
the run return -1; Dropout's training_mode as a graph input is refused."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st
from onnx import TensorProto, helper

from graphs import assert_close, assert_refused, gen_compile, gen_run, ort_run
from test_runtime_params import Compiled

NP_TO_ONNX = {np.float32: TensorProto.FLOAT, np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8,
              np.int16: TensorProto.INT16, np.int32: TensorProto.INT32, np.int64: TensorProto.INT64,
              np.bool_: TensorProto.BOOL}


def _model(nodes, inputs: dict, outputs: dict, opset: int):
    """Every input a graph input; outputs name -> (numpy dtype, shape)."""
    ins = [helper.make_tensor_value_info(k, NP_TO_ONNX[v.dtype.type], list(v.shape)) for k, v in inputs.items()]
    outs = [helper.make_tensor_value_info(k, NP_TO_ONNX[dt], list(s)) for k, (dt, s) in outputs.items()]
    m = helper.make_model(helper.make_graph(nodes, "g", ins, outs), opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    return m


def _check(model, feeds, exact=False):
    ref = ort_run(model, feeds)
    got, res = gen_run(model, feeds)
    for gv, rv in zip(got, ref):
        if exact:
            # an int8 output comes back through the float entry point as its integer values
            assert np.array_equal(np.asarray(gv, np.float64), np.asarray(rv, np.float64)), (gv, rv)
        else:
            assert_close(gv, rv)
    return res


def _ops(res):
    return [n.op for n in res.graph.nodes]


INT_RANGE = {np.int8: (-128, 127), np.uint8: (0, 255), np.int16: (-32768, 32767), np.int32: (-2**20, 2**20)}


@st.composite
def _quant_case(draw, dtypes):
    """(x shape, axis, block_size, scale shape, dtype): per tensor, per axis or blocked."""
    dt = draw(st.sampled_from(dtypes))
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3)))
    form = draw(st.sampled_from(["tensor", "axis", "blocked"]))
    axis = draw(st.integers(0, len(shape) - 1))
    if form == "tensor":
        return shape, axis, 0, draw(st.sampled_from([(), (1,)])), dt
    if form == "axis":
        return shape, axis, 0, (shape[axis],), dt
    block = draw(st.integers(1, max(1, shape[axis])))
    sc = list(shape)
    sc[axis] = -(-shape[axis] // block)
    return shape, axis, block if tuple(sc) != (1,) else 0, tuple(sc), dt   # one scale: per tensor


def _scales(rng, shape):
    return np.asarray(rng.uniform(0.01, 2.0, shape) * rng.choice([1.0, 0.125], shape)).astype(np.float32)


@settings(max_examples=20)
@given(_quant_case([np.int8, np.uint8, np.int16, np.int32]), st.booleans(), st.integers(0, 2**16))
def test_dequantizelinear_runtime_scale_and_zero_point(case, with_zp, seed):
    shape, axis, block, sc, dt = case
    if dt == np.int32:
        with_zp = False           # onnxruntime: an int32 zero point must be 0
    rng = np.random.default_rng(seed)
    lo, hi = INT_RANGE[dt]
    feeds = {"x": rng.integers(lo, hi, shape, endpoint=True).astype(dt), "s": _scales(rng, sc)}
    if with_zp:
        feeds["zp"] = np.asarray(rng.integers(lo, hi, sc, endpoint=True)).astype(dt)
    attrs = {"axis": axis} if sc not in ((), (1,)) else {}
    if block:
        attrs["block_size"] = block
    node = helper.make_node("DequantizeLinear", list(feeds), ["y"], **attrs)
    res = _check(_model([node], feeds, {"y": (np.float32, shape)}, 21), feeds)
    assert _ops(res) == ["DequantizeLinearRT"]


@settings(max_examples=20)
@given(_quant_case([np.int8, np.uint8, np.int16]), st.booleans(), st.integers(0, 2**16))
def test_quantizelinear_runtime_scale_half_even_and_saturating(case, with_zp, seed):
    shape, axis, block, sc, dt = case
    rng = np.random.default_rng(seed)
    lo, hi = INT_RANGE[dt]
    s = _scales(rng, sc)
    zp = np.asarray(rng.integers(lo, hi, sc, endpoint=True)).astype(dt) if with_zp or dt != np.uint8 else None
    # x on ties (k + 0.5) * scale, in range and far outside it (saturation), and anything between
    bshape = [1] * len(shape)
    if sc not in ((), (1,)):
        bshape[axis] = -1
    full = np.broadcast_to(np.repeat(s, max(block, 1), axis=axis)[tuple(slice(0, d) for d in shape)] if block
                           else s.reshape(bshape), shape)
    k = rng.integers(-3 * (hi - lo), 3 * (hi - lo), shape).astype(np.float32)
    x = np.where(rng.random(shape) < 0.5, (k + 0.5) * full, rng.normal(0, 200, shape) * full).astype(np.float32)
    feeds = {"x": x, "s": s}
    if zp is not None:
        feeds["zp"] = zp
    attrs = {"axis": axis} if sc not in ((), (1,)) else {}
    if block:
        attrs["block_size"] = block
    node = helper.make_node("QuantizeLinear", list(feeds), ["y"], **attrs)
    res = _check(_model([node], feeds, {"y": (dt, shape)}, 21), feeds, exact=True)
    assert _ops(res) == ["QuantizeLinearRT"]


def test_quantizelinear_constant_scale_keeps_the_int8_path():
    """A QDQ pair with constant scales is still folded by the int8 lowering (no run-time form)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    inits = [helper.make_tensor("s", TensorProto.FLOAT, [], [0.05]), helper.make_tensor("z", TensorProto.INT8, [], [3])]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]),
             helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])]
    m = helper.make_model(helper.make_graph(nodes, "g", [x], [y], initializer=inits),
                          opset_imports=[helper.make_opsetid("", 13)])
    ops = _ops(gen_compile(m))
    assert "QuantizeLinearRT" not in ops and "DequantizeLinearRT" not in ops


@settings(max_examples=15)
@given(st.sampled_from(["both", "min", "max"]), st.floats(-3, 3, width=32), st.floats(-3, 3, width=32),
       st.integers(0, 2**16))
def test_clip_runtime_bounds_max_wins(which, a, b, seed):
    rng = np.random.default_rng(seed)
    feeds = {"x": rng.normal(0, 2, (2, 3, 4)).astype(np.float32)}
    ins = ["x", "", ""]
    if which in ("both", "min"):
        feeds["lo"], ins[1] = np.array(a, np.float32), "lo"
    if which in ("both", "max"):
        feeds["hi"], ins[2] = np.array(b, np.float32), "hi"
    node = helper.make_node("Clip", [i for i in ins] if ins[2] else ins[:2], ["y"])
    res = _check(_model([node], feeds, {"y": (np.float32, (2, 3, 4))}, 13), feeds)
    assert _ops(res) == ["ClipRT"]


@settings(max_examples=15)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.floats(1e-6, 1e-2), st.integers(0, 2**16))
def test_batchnormalization_runtime_parameters(shape, eps, seed):
    rng = np.random.default_rng(seed)
    c = shape[1]
    feeds = {"x": rng.normal(0, 2, shape).astype(np.float32), "scale": rng.normal(0, 1, c).astype(np.float32),
             "b": rng.normal(0, 1, c).astype(np.float32), "mean": rng.normal(0, 1, c).astype(np.float32),
             "var": rng.uniform(0.1, 3, c).astype(np.float32)}
    node = helper.make_node("BatchNormalization", list(feeds), ["y"], epsilon=eps)
    res = _check(_model([node], feeds, {"y": (np.float32, shape)}, 15), feeds)
    assert _ops(res) == ["BatchNormalizationRT"]


@st.composite
def _conv_case(draw):
    nd = draw(st.sampled_from([1, 2]))
    group = draw(st.sampled_from([1, 2]))
    c, m = group * draw(st.integers(1, 2)), group * draw(st.integers(1, 2))
    k = [draw(st.integers(1, 3)) for _ in range(nd)]
    s = [draw(st.integers(1, 2)) for _ in range(nd)]
    d = [draw(st.integers(1, 2)) for _ in range(nd)]
    p = [draw(st.integers(0, 1)) for _ in range(2 * nd)]
    size = [draw(st.integers(kk * dd, kk * dd + 4)) for kk, dd in zip(k, d)]
    return nd, group, c, m, k, s, d, p, size, draw(st.booleans()), draw(st.integers(0, 2**16))


@settings(max_examples=15)
@given(_conv_case())
def test_conv_runtime_weights_and_bias(case):
    nd, group, c, m, k, s, d, p, size, bias, seed = case
    rng = np.random.default_rng(seed)
    feeds = {"x": rng.normal(0, 1, [2, c] + size).astype(np.float32),
             "w": rng.normal(0, 1, [m, c // group] + k).astype(np.float32)}
    if bias:
        feeds["b"] = rng.normal(0, 1, m).astype(np.float32)
    out = [(i + p[j] + p[j + nd] - (k[j] - 1) * d[j] - 1) // s[j] + 1 for j, i in enumerate(size)]
    node = helper.make_node("Conv", list(feeds), ["y"], group=group, strides=s, dilations=d, pads=p, kernel_shape=k)
    _check(_model([node], feeds, {"y": (np.float32, [2, m] + out)}, 13), feeds)


@settings(max_examples=15)
@given(_conv_case())
def test_convtranspose_runtime_weights_and_bias(case):
    nd, group, c, m, k, s, d, p, size, bias, seed = case
    rng = np.random.default_rng(seed)
    feeds = {"x": rng.normal(0, 1, [1, c] + size).astype(np.float32),
             "w": rng.normal(0, 1, [c, m // group] + k).astype(np.float32)}
    if bias:
        feeds["b"] = rng.normal(0, 1, m).astype(np.float32)
    out = [s[j] * (i - 1) + (k[j] - 1) * d[j] + 1 - p[j] - p[j + nd] for j, i in enumerate(size)]
    assume(min(out) >= 1)
    node = helper.make_node("ConvTranspose", list(feeds), ["y"], group=group, strides=s, dilations=d, pads=p)
    _check(_model([node], feeds, {"y": (np.float32, [1, m] + out)}, 13), feeds)


def _attention(b, h, sq, sk, d, mask_shape, nonpad, causal):
    ins = {"q": np.zeros((b, h, sq, d), np.float32), "k": np.zeros((b, h, sk, d), np.float32),
           "v": np.zeros((b, h, sk, d), np.float32)}
    names = ["q", "k", "v", "", "", ""]
    if mask_shape is not None:
        ins["mask"] = np.zeros(mask_shape, np.bool_)
        names[3] = "mask"
    if nonpad:
        ins["nonpad"] = np.zeros(b, np.int64)
        names.append("nonpad")
    while names[-1] == "":
        names.pop()
    node = helper.make_node("Attention", names, ["y"], is_causal=int(causal))
    return _model([node], ins, {"y": (np.float32, (b, h, sq, d))}, 24)


@settings(max_examples=15)
@given(st.integers(1, 2), st.integers(1, 2), st.integers(1, 4), st.integers(1, 5), st.booleans(), st.booleans(),
       st.booleans(), st.integers(0, 2**16))
def test_attention_runtime_bool_mask_and_nonpad_kv_seqlen(b, h, sq, sk, with_mask, nonpad, causal, seed):
    if not (with_mask or nonpad):
        nonpad = True
    if causal:
        sk = max(sk, sq)      # no fully masked query row (onnxruntime gives NaN there, the reference zeros)
    rng = np.random.default_rng(seed)
    mask_shape = (sq, sk) if with_mask else None
    model = _attention(b, h, sq, sk, 4, mask_shape, nonpad, causal)
    feeds = {"q": rng.normal(0, 1, (b, h, sq, 4)).astype(np.float32),
             "k": rng.normal(0, 1, (b, h, sk, 4)).astype(np.float32),
             "v": rng.normal(0, 1, (b, h, sk, 4)).astype(np.float32)}
    if with_mask:
        feeds["mask"] = rng.random(mask_shape) < 0.7
        feeds["mask"][:, 0] = True                # no fully masked row (onnxruntime gives NaN there)
    if nonpad:
        feeds["nonpad"] = rng.integers(max(1, sq if causal else 1), sk, b, endpoint=True).astype(np.int64)
    _check(model, feeds)


def test_attention_nonpad_kv_seqlen_out_of_range_returns_minus_one():
    model = _attention(2, 1, 2, 3, 4, None, True, False)
    c = Compiled(model)
    rng = np.random.default_rng(0)
    feeds = {"q": rng.normal(0, 1, (2, 1, 2, 4)).astype(np.float32),
             "k": rng.normal(0, 1, (2, 1, 3, 4)).astype(np.float32),
             "v": rng.normal(0, 1, (2, 1, 3, 4)).astype(np.float32), "nonpad": np.array([3, 2], np.int64)}
    rc, got = c.run(feeds)
    assert rc == 0
    assert_close(got[0], ort_run(model, feeds)[0])
    for bad in ([4, 2], [-1, 2], [2, 2**40]):
        rc, got = c.run({**feeds, "nonpad": np.array(bad, np.int64)})
        assert rc == -1, bad


def _rotary(b, s, h, d, max_pos, interleaved):
    ins = {"x": np.zeros((b, h, s, d), np.float32), "cos": np.zeros((max_pos, d // 2), np.float32),
           "sin": np.zeros((max_pos, d // 2), np.float32), "pos": np.zeros((b, s), np.int64)}
    node = helper.make_node("RotaryEmbedding", list(ins), ["y"], interleaved=int(interleaved))
    return _model([node], ins, {"y": (np.float32, (b, h, s, d))}, 23)


@settings(max_examples=15)
@given(st.integers(1, 2), st.integers(1, 4), st.integers(1, 2), st.sampled_from([2, 4, 8]), st.integers(1, 6),
       st.booleans(), st.integers(0, 2**16))
def test_rotaryembedding_runtime_position_ids(b, s, h, d, max_pos, interleaved, seed):
    rng = np.random.default_rng(seed)
    max_pos += s                  # onnxruntime wants at least seq rows in the caches
    model = _rotary(b, s, h, d, max_pos, interleaved)
    ang = rng.uniform(0, 6.3, (max_pos, d // 2))
    feeds = {"x": rng.normal(0, 1, (b, h, s, d)).astype(np.float32), "cos": np.cos(ang).astype(np.float32),
             "sin": np.sin(ang).astype(np.float32), "pos": rng.integers(0, max_pos, (b, s)).astype(np.int64)}
    _check(model, feeds)


def test_rotaryembedding_position_id_out_of_range_returns_minus_one():
    model = _rotary(1, 2, 1, 4, 3, False)
    c = Compiled(model)
    rng = np.random.default_rng(1)
    ang = rng.uniform(0, 6.3, (3, 2))
    feeds = {"x": rng.normal(0, 1, (1, 1, 2, 4)).astype(np.float32), "cos": np.cos(ang).astype(np.float32),
             "sin": np.sin(ang).astype(np.float32), "pos": np.array([[0, 2]], np.int64)}
    rc, got = c.run(feeds)
    assert rc == 0
    assert_close(got[0], ort_run(model, feeds)[0])
    for bad in ([[0, 3]], [[-1, 0]]):
        rc, got = c.run({**feeds, "pos": np.array(bad, np.int64)})
        assert rc == -1, bad


def test_dropout_training_mode_graph_input_refused(tmp_path):
    ins = {"x": np.zeros((2, 3), np.float32), "r": np.zeros((), np.float32), "t": np.zeros((), np.bool_)}
    node = helper.make_node("Dropout", ["x", "r", "t"], ["y"])
    model = _model([node], ins, {"y": (np.float32, (2, 3))}, 13)
    assert_refused(tmp_path, model, "training_mode 't' is not a constant", "at random")


@pytest.mark.parametrize("op", ["Conv", "Clip", "BatchNormalization", "DequantizeLinear"])
def test_conv_clip_batchnormalization_dequantizelinear_constant_parameters_emit_no_runtime_form(op):
    """The constant path is today's: no run-time kernel, no gen_rtfloat files in the output."""
    x = helper.make_tensor_value_info("x", TensorProto.INT8 if op == "DequantizeLinear" else TensorProto.FLOAT,
                                      [1, 2, 3, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 3, 3])
    one = [1.0, 1.0]
    inits = {"Conv": [helper.make_tensor("w", TensorProto.FLOAT, [2, 2, 1, 1], [1.0, 0.5, -0.5, 2.0])],
             "Clip": [helper.make_tensor("a", TensorProto.FLOAT, [], [0.0]),
                      helper.make_tensor("b", TensorProto.FLOAT, [], [1.0])],
             "BatchNormalization": [helper.make_tensor(n, TensorProto.FLOAT, [2], one) for n in "sbmv"],
             "DequantizeLinear": [helper.make_tensor("s", TensorProto.FLOAT, [], [0.5])]}[op]
    ins = {"Conv": ["x", "w"], "Clip": ["x", "a", "b"], "BatchNormalization": ["x", "s", "b", "m", "v"],
           "DequantizeLinear": ["x", "s"]}[op]
    m = helper.make_model(helper.make_graph([helper.make_node(op, ins, ["y"])], "g", [x], [y], initializer=inits),
                          opset_imports=[helper.make_opsetid("", 13)])
    res = gen_compile(m)
    assert not any(n.op.endswith("RT") for n in res.graph.nodes)
    assert not any(f.startswith("gen_rtfloat") for f in res.files)


def _dft(x_shape, y_shape, inverse, onesided, with_length):
    ins = {"x": np.zeros(x_shape, np.float32)}
    names = ["x", ""]
    if with_length:
        ins["n"], names[1] = np.zeros((), np.int64), "n"
    ins["axis"] = np.zeros((), np.int64)
    names.append("axis")
    node = helper.make_node("DFT", names, ["y"], inverse=int(inverse), onesided=int(onesided))
    return _model([node], ins, {"y": (np.float32, y_shape)}, 20)


@settings(max_examples=15)
@given(st.lists(st.integers(2, 6), min_size=2, max_size=2), st.booleans(), st.booleans(), st.booleans(),
       st.integers(0, 2), st.integers(0, 1), st.integers(0, 2**16))
def test_dft_runtime_axis_and_dft_length(dims, inverse, onesided, with_length, dl, which, seed):
    if inverse and onesided:
        onesided = False              # the c2r form: onnxruntime's and onnx's lengths differ there
    rng = np.random.default_rng(seed)
    comp = 2 if inverse else 1
    axis = 1 + which
    n_in = dims[which]
    length = n_in + dl - 1 if with_length else n_in
    x_shape = [2] + dims + [comp]
    y_dims = list(dims)
    y_dims[which] = length // 2 + 1 if onesided else length
    model = _dft(x_shape, [2] + y_dims + [2], inverse, onesided, with_length)
    feeds = {"x": rng.normal(0, 1, x_shape).astype(np.float32), "axis": np.array(axis - 4 * (seed % 2), np.int64)}
    if with_length:
        feeds["n"] = np.array(length, np.int64)
    _check(model, feeds)


def test_dft_runtime_axis_the_shapes_do_not_allow_returns_minus_one():
    model = _dft([1, 4, 4, 1], [1, 4, 4, 2], False, False, False)
    c = Compiled(model)
    x = np.random.default_rng(2).normal(0, 1, (1, 4, 4, 1)).astype(np.float32)
    for axis in (1, 2, -3, -2):
        rc, got = c.run({"x": x, "axis": np.array(axis, np.int64)})
        assert rc == 0
        assert_close(got[0], ort_run(model, {"x": x, "axis": np.array(axis, np.int64)})[0])
    for axis in (3, -1, 7, -5):        # the component axis, out of range (axis 0, of length 1, fits)
        rc, _ = c.run({"x": x, "axis": np.array(axis, np.int64)})
        assert rc == -1, axis
