"""gen's specialized int8 convolution (gen/ops/fast_conv.py, runtime_c/gen_fast_conv_s8.h: im2col rows two
pixels at a time, the pointwise kernel's product) against the numpy reference (exactly), onnxruntime (1 LSB
per layer) and the CMSIS-NN API path it replaces (`--kernels cmsis-nn`, exactly): random shapes on the host
(the portable C), and a sample of shapes on the emulated Cortex-M4 (the DSP path: the firmware checks the
board's outputs against the host's, bit for bit)."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphs
from graphs import float_model, node, without_overlap_check
from test_fast_kernels import _compile
from test_ops_int8 import SETTINGS, STYLES, check, feeds_for

from gen import board
from gen.host import HostModel


def conv_layer(c, m, kh, kw, stride, pads, dil, act, bias, seed, tag=""):
    """(nodes, initializers) of one Conv (+ Relu or Clip [0, 1]) from input x{tag} to output y{tag}."""
    rng = np.random.default_rng(seed)
    inits = {f"W{tag}": rng.normal(0, 0.5, size=(m, c, kh, kw)).astype(np.float32)}
    ins = [f"x{tag}", f"W{tag}"]
    if bias:
        inits[f"B{tag}"] = rng.normal(0, 0.5, size=m).astype(np.float32)
        ins.append(f"B{tag}")
    nodes = [node("Conv", ins, [f"c{tag}" if act else f"y{tag}"], kernel_shape=[kh, kw], strides=list(stride),
                  pads=list(pads), dilations=list(dil))]
    if act == "relu":
        nodes.append(node("Relu", [f"c{tag}"], [f"y{tag}"]))
    elif act == "clip":
        nodes.append(node("Clip", [f"c{tag}", f"lo{tag}", f"hi{tag}"], [f"y{tag}"]))
        inits[f"lo{tag}"], inits[f"hi{tag}"] = np.float32(0.0), np.float32(1.0)
    return nodes, inits


def _conv_model(c, m, h, w, kh, kw, stride, pads, dil, batch, act, bias, seed):
    nodes, inits = conv_layer(c, m, kh, kw, stride, pads, dil, act, bias, seed)
    shape = (batch, c, h, w)
    return float_model(nodes, {"x": shape}, ["y"], inits), shape


@st.composite
def conv_shapes(draw):
    """A convolution that is not a plain 1x1: kernel 1-5 (1x1 only with a stride or a padding), strides
    1-3, pads 0-2 (below the dilated kernel), dilations 1-2, 1-4 or odd channel counts."""
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    ekh, ekw = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    pads = [draw(st.integers(0, min(2, e - 1))) for e in (ekh, ekw, ekh, ekw)]
    if (kh, kw, *stride, *pads) == (1, 1, 1, 1, 0, 0, 0, 0):
        stride = (2, 1)
    h = draw(st.integers(max(1, ekh - pads[0] - pads[2]), 9))
    w = draw(st.integers(max(1, ekw - pads[1] - pads[3]), 9))
    c = draw(st.one_of(st.integers(1, 4), st.integers(5, 21)))
    return dict(c=c, m=draw(st.integers(1, 9)), h=h, w=w, kh=kh, kw=kw, stride=stride,
                pads=(pads[0], pads[1], pads[2], pads[3]), dil=dil)


@settings(**{**SETTINGS, "max_examples": 30})
@given(shape=conv_shapes(), batch=st.sampled_from([1, 1, 2]), act=st.sampled_from([None, "relu", "clip"]),
       bias=st.booleans(), per_channel=st.booleans(), style=STYLES, seed=st.integers(0, 2**31))
def test_conv_fast_kernel(shape, batch, act, bias, per_channel, style, seed):
    """A convolution runs on gen_fast_conv_s8: C == the numpy reference, within 1 LSB of onnxruntime per
    layer, and equal to the CMSIS-NN API path on the same input."""
    fm, xshape = _conv_model(**shape, batch=batch, act=act, bias=bias, seed=seed)
    res, _, _ = check(fm, {"x": xshape}, seed, style=style, per_channel=per_channel, expect="ConvS8")
    assert any(layer["kernel"] == "gen_fast_conv_s8" for layer in res.summary["layers"]), res.summary["layers"]
    cm = _compile(graphs.quantize_model(fm, feeds_for({"x": xshape}, np.random.default_rng(seed)), style=style,
                                        per_channel=per_channel), "cmsis-nn")
    assert all(not layer["kernel"].startswith("gen_fast") for layer in cm.summary["layers"])
    assert graphs.boundary(res)[0] == graphs.boundary(cm)[0]
    x = np.random.default_rng(seed + 1).integers(-128, 128, size=xshape).astype(np.int8)
    for a, b in zip(HostModel(res.files).run_s8(x), HostModel(cm.files).run_s8(x)):
        np.testing.assert_array_equal(a, b)


def test_conv_fast_kernel_shares_wrappers():
    """Each convolution calls a wrapper with its shape as literals (one per distinct shape and constants);
    the scratch is two widened im2col rows (4 * k4 bytes)."""
    rng = np.random.default_rng(0)
    inits = {f"W{i}": rng.normal(0, 0.5, size=(8, 8, 3, 3)).astype(np.float32) for i in range(2)}
    nodes = [node("Conv", ["x", "W0"], ["a"], pads=[1, 1, 1, 1]), node("Conv", ["a", "W1"], ["y"], pads=[1, 1, 1, 1])]
    fm = float_model(nodes, {"x": (1, 8, 6, 6)}, ["y"], inits)
    qm = graphs.quantize_model(fm, feeds_for({"x": (1, 8, 6, 6)}, rng), style="tflite")
    res = _compile(qm, "gen")
    c = without_overlap_check(res.files["m.c"].decode())
    assert c.count("gen_fast_conv_s8(") == c.count("GEN_FAST_LAYER void m_conv_s8_") <= 2
    assert c.count("m_conv_s8_") == 2 * c.count("GEN_FAST_LAYER void m_conv_s8_")
    convs = [layer for layer in res.summary["layers"] if layer["kernel"] == "gen_fast_conv_s8"]
    assert len(convs) == 2 and all(layer["scratch_bytes"] == 4 * 72 for layer in convs), convs
    assert "gen_fast" not in _compile(qm, "cmsis-nn").files["m.c"].decode()


# ----------------------------------------------------------------------------- the DSP path on the M4

QEMU_SHAPES = [  # (c, m, h, w, kh, kw, stride, pads, dil, batch, act)
    (3, 16, 7, 7, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "relu"),     # IC's first layer, smaller
    (1, 7, 9, 6, 5, 2, (2, 2), (2, 0, 2, 1), (1, 1), 1, None),         # KWS-like: 1 channel, stride 2
    (16, 5, 6, 5, 1, 1, (2, 2), (0, 0, 0, 0), (1, 1), 2, None),        # a stride-2 shortcut, batch 2
    (5, 9, 8, 7, 3, 3, (2, 1), (1, 2, 0, 1), (2, 1), 1, "clip"),       # dilation, odd channel counts
    (32, 32, 4, 4, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "relu"),     # whole words
]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_fast_kernel_on_m4(tmp_path):
    """The DSP path (gathered rows widened in place, inline assembly) on the emulated Cortex-M4: each shape's
    firmware checks its outputs against the host build's (test vectors), exactly."""
    board.ensure_pio_offline()
    for k, (c, m, h, w, kh, kw, stride, pads, dil, batch, act) in enumerate(QEMU_SHAPES):
        fm, shape = _conv_model(c, m, h, w, kh, kw, stride, pads, dil, batch, act, True, k)
        qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(k)), style="tflite")
        graphs.passes_on_board(qm, tmp_path / f"s{k}", "mps2-an386", ["gen_fast_conv_s8"], vectors=2,
                                what=QEMU_SHAPES[k])
