"""ConvTranspose: float32 against onnxruntime over the attributes (1-D and 2-D; strides, pads,
dilations, output_padding, output_shape, group, auto_pad, bias, a fused Relu); int8 on QDQ graphs as
ConvTransposeS8 (C == the numpy reference exactly, within 1 LSB of onnxruntime per layer), channels
last between int8 convolutions (a small U-Net-like decoder), and the refusals."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import graphs
from test_ops_int8 import check as int8_check
from gen.errors import GenError
from graphs import assert_close, gen_run, make_model, node, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))


@st.composite
def ct_cases(draw, max_side=5):
    nd = draw(st.sampled_from([1, 2]))
    group = draw(st.sampled_from([1, 1, 2]))
    c = group * draw(st.integers(1, 3))
    mg = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, max_side)) for _ in range(nd)]
    kernel = [draw(st.integers(1, 3)) for _ in range(nd)]
    strides = [draw(st.integers(1, 3)) for _ in range(nd)]
    dil = [draw(st.integers(1, 2)) for _ in range(nd)]
    attrs = dict(strides=strides, dilations=dil, group=group)
    full = [s * (i - 1) + (k - 1) * d + 1 for s, i, k, d in zip(strides, sizes, kernel, dil)]
    form = draw(st.sampled_from(["pads", "output_padding", "output_shape", "SAME_UPPER", "SAME_LOWER", "VALID"]))
    if form == "pads":
        pads = [draw(st.integers(0, 2)) for _ in range(2 * nd)]
        if any(f - a - b < 1 for f, a, b in zip(full, pads[:nd], pads[nd:])):
            pads = [0] * (2 * nd)
        attrs["pads"] = pads
    elif form == "output_padding":
        # output_padding < stride (onnxruntime's rule; the spec allows < dilation too)
        attrs["output_padding"] = [draw(st.integers(0, s - 1)) for s in strides]
        attrs["pads"] = [0] * (2 * nd)
    elif form == "output_shape":
        attrs["output_shape"] = [draw(st.integers(max(1, f - 3), f)) for f in full]
    else:
        attrs["auto_pad"] = form
        if form != "VALID":     # SAME's output is in * stride: at most the full size (else negative padding)
            assume(all(i * s <= f for i, s, f in zip(sizes, strides, full)))
    if draw(st.booleans()):
        attrs["kernel_shape"] = kernel
    bias = draw(st.booleans())
    relu = draw(st.booleans())
    return dict(x=(draw(st.integers(1, 2)), c) + tuple(sizes), w=(c, mg) + tuple(kernel), attrs=attrs, bias=bias,
                relu=relu, m=mg * group)


def ct_model(case, opset=13):
    ins = ["x", "W"] + (["B"] if case["bias"] else [])
    nodes = [node("ConvTranspose", ins, ["t" if case["relu"] else "y"], **case["attrs"])]
    if case["relu"]:
        nodes.append(node("Relu", ["t"], ["y"]))
    return nodes


@settings(**SETTINGS, max_examples=40)
@given(case=ct_cases(), seed=st.integers(0, 2**31), opset=st.sampled_from([11, 13, 17, 21]))
def test_convtranspose_float(case, seed, opset):
    rng = np.random.default_rng(seed)
    consts = dict(W=rng.normal(size=case["w"]).astype(np.float32))
    if case["bias"]:
        consts["B"] = rng.normal(size=(case["m"],)).astype(np.float32)
    x = rng.normal(size=case["x"]).astype(np.float32)
    m = make_model(ct_model(case), {"x": case["x"]}, ["y"], consts, opset=opset)
    if len(case["x"]) == 3 and "output_shape" in case["attrs"]:
        # onnx's shape inference gives a 1-D output_shape's output rank 2: refused by the frontend in one line
        with pytest.raises(GenError, match="shape inference failed"):
            gen_run(make_model(ct_model(case), {"x": case["x"]}, [("y", (case["x"][0], case["m"], 1))], consts,
                               opset=opset), {"x": x})
        return
    ref = ort_run(m, {"x": x})[0]
    got, res = gen_run(m, {"x": x})
    assert [n.op for n in res.graph.nodes] == ["ConvTranspose"], "the Relu fuses"
    assert got[0].shape == ref.shape, (got[0].shape, ref.shape)
    assert_close(got[0], ref, what=str(case))


@settings(**SETTINGS, max_examples=15)
@given(case=ct_cases(max_side=4), seed=st.integers(0, 2**31), per_channel=st.booleans())
def test_convtranspose_int8(case, seed, per_channel):
    """QDQ DQ -> ConvTranspose -> Q: ConvTransposeS8 in integers (per-channel scales on axis 1)."""
    case["relu"] = False
    if len(case["x"]) == 3 and "output_shape" in case["attrs"]:
        del case["attrs"]["output_shape"]      # onnx infers the wrong rank for it (the float test declares it)
    rng = np.random.default_rng(seed)
    consts = dict(W=rng.normal(size=case["w"]).astype(np.float32))
    if case["bias"]:
        consts["B"] = rng.normal(size=(case["m"],)).astype(np.float32)
    fm = graphs.float_model(ct_model(case), {"x": case["x"]}, ["y"], consts)
    per_channel = per_channel and case["attrs"]["group"] == 1     # the test quantizer's bias is per output channel
    res, _, _ = int8_check(fm, {"x": case["x"]}, seed, per_channel=per_channel, expect="ConvTransposeS8")
    assert [n.op for n in res.graph.nodes if n.op.startswith("ConvTranspose")] == ["ConvTransposeS8"]


@settings(**SETTINGS, max_examples=8)
@given(c=st.integers(1, 4), h=st.integers(2, 5), w=st.integers(2, 5), stride=st.integers(1, 2),
       k=st.integers(2, 3), seed=st.integers(0, 2**31))
def test_convtranspose_int8_unet_decoder(c, h, w, stride, k, seed):
    """Conv -> Relu -> ConvTranspose (upsampling) -> Relu -> Conv in int8: every kernel int8 and channels last,
    no layout transpose between them; every layer within 1 LSB of onnxruntime (the layer check), the
    output of the three within 2 (each layer's 1 LSB feeds the next)."""
    rng = np.random.default_rng(seed)
    consts = dict(W1=rng.normal(size=(c, 2, 3, 3)).astype(np.float32), B1=rng.normal(size=(c,)).astype(np.float32),
                  W2=rng.normal(size=(c, 3, k, k)).astype(np.float32), B2=rng.normal(size=(3,)).astype(np.float32),
                  W3=rng.normal(size=(2, 3, 3, 3)).astype(np.float32))
    nodes = [node("Conv", ["x", "W1", "B1"], ["a"], pads=[1, 1, 1, 1]), node("Relu", ["a"], ["ar"]),
             node("ConvTranspose", ["ar", "W2", "B2"], ["u"], strides=[stride, stride], output_padding=[stride - 1] * 2,
                  pads=[k // 2] * 4 if stride * (h - 1) + k + stride - 1 - 2 * (k // 2) > 0 else [0] * 4),
             node("Relu", ["u"], ["ur"]), node("Conv", ["ur", "W3"], ["y"], pads=[1, 1, 1, 1])]
    fm = graphs.float_model(nodes, {"x": (1, 2, h, w)}, ["y"], consts)
    res, _, _ = int8_check(fm, {"x": (1, 2, h, w)}, seed, tol=2, expect="ConvTransposeS8")
    ops = [n.op for n in res.graph.nodes]
    assert [o for o in ops if o != "LayoutS8"] == ["ConvS8", "ConvTransposeS8", "ConvS8"], ops  # transposes at the ends
    ct = next(n for n in res.graph.nodes if n.op == "ConvTransposeS8")
    assert res.graph.t(ct.inputs[0]).layout == "NHWC" and res.graph.t(ct.outputs[0]).layout == "NHWC"


@pytest.mark.parametrize("attrs,match", [
    (dict(strides=[2], output_shape=[9]), "larger than the full"),
    (dict(strides=[2], auto_pad="SAME_UPPER", output_padding=[1]), "output_padding with auto_pad"),
    (dict(strides=[4], auto_pad="SAME_LOWER"), "negative padding"),
    (dict(strides=[1], dilations=[2], output_padding=[1]), "output_padding 1 must be less than the stride"),
    (dict(strides=[1], pads=[3, 2]), "leave no output"),
])
def test_convtranspose_refused(attrs, match):
    m = make_model([node("ConvTranspose", ["x", "W"], ["y"], **attrs)], {"x": (1, 1, 3)}, ["y"],
                   dict(W=np.ones((1, 1, 3), np.float32)))
    with pytest.raises(GenError, match=match):
        gen_run(m, {"x": np.ones((1, 1, 3), np.float32)})
