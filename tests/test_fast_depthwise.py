"""gen's depthwise int8 kernel (gen/ops/fast_dw.py, runtime_c/gen_fast_dw_s8.h) against the numpy reference
(exactly), onnxruntime (1 LSB per layer) and the CMSIS-NN API path it replaces (`--kernels cmsis-nn`,
exactly): random shapes on the host (the portable C), and a sample of shapes on the emulated Cortex-M4
(the DSP path: the firmware checks the board's outputs against the host's, bit for bit)."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphs
from graphs import float_model, node
from test_fast_kernels import _compile
from test_ops_int8 import SETTINGS, STYLES, check, feeds_for

from gen import board
from gen.ops import fast_dw
from gen.host import HostModel


def _depthwise_model(c, h, w, k, stride, pads, dil, ch_mult, act, bias, seed):
    rng = np.random.default_rng(seed)
    m = c * ch_mult
    inits = {"W": rng.normal(0, 0.5, size=(m, 1, k, k)).astype(np.float32)}
    ins = ["x", "W"]
    if bias:
        inits["B"] = rng.normal(0, 0.5, size=m).astype(np.float32)
        ins.append("B")
    nodes = [node("Conv", ins, ["c" if act else "y"], group=c, kernel_shape=[k, k], strides=list(stride),
                  pads=list(pads), dilations=[dil, dil])]
    if act == "relu":
        nodes.append(node("Relu", ["c"], ["y"]))
    elif act == "clip":
        nodes.append(node("Clip", ["c", "lo", "hi"], ["y"]))
        inits["lo"], inits["hi"] = np.float32(0.0), np.float32(1.0)
    shape = (1, c, h, w)
    return float_model(nodes, {"x": shape}, ["y"], inits), shape


def _cmsis_note(w, k, stride, pads, dil, ch_mult):
    """The note conv_s8 writes when CMSIS-NN v7.0.0's 3x3 kernel would read the wrong column."""
    pl, pr = pads[1], pads[3]
    ow = (w + pl + pr - (k - 1) * dil - 1) // stride[1] + 1
    hit = ch_mult == 1 and k == 3 and dil == 1 and pads[0] <= 1 and pl <= 1 and (ow - 1) * stride[1] + 3 - w - pl > 1
    return "reads the wrong column" if hit else None


def _run(c, h, w, k, stride, pads, dil, ch_mult, act, bias, per_channel, style, seed, fast):
    fm, shape = _depthwise_model(c, h, w, k, stride, pads, dil, ch_mult, act, bias, seed)
    res, _, _ = check(fm, {"x": shape}, seed, style=style, per_channel=per_channel, expect="ConvS8",
                      note=_cmsis_note(w, k, stride, pads, dil, ch_mult))
    kernels = [layer["kernel"] for layer in res.summary["layers"]]
    assert ("gen_fast_dw3x3_s8" in kernels) == fast, kernels
    cm = _compile(graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(seed)), style=style,
                                        per_channel=per_channel), "cmsis-nn")
    assert all(layer["kernel"] != "gen_fast_dw3x3_s8" for layer in cm.summary["layers"])
    x = np.random.default_rng(seed + 1).integers(-128, 128, size=shape).astype(np.int8)
    assert graphs.boundary(res)[0] == graphs.boundary(cm)[0]
    for a, b in zip(HostModel(res.files).run_s8(x), HostModel(cm.files).run_s8(x)):
        np.testing.assert_array_equal(a, b)


@settings(**{**SETTINGS, "max_examples": 20})
@given(c=st.integers(2, 11), h=st.integers(1, 9), w=st.integers(1, 40), sh=st.integers(1, 3), sw=st.integers(1, 3),
       pads=st.tuples(*[st.integers(0, 2)] * 4), act=st.sampled_from([None, "relu", "clip"]), bias=st.booleans(),
       per_channel=st.booleans(), ring=st.booleans(), style=STYLES, seed=st.integers(0, 2**31))
def test_conv_depthwise_fast_kernel(c, h, w, sh, sw, pads, act, bias, per_channel, ring, style, seed):
    """A 3x3 depthwise convolution (one output channel per input channel, dilation 1; odd sizes, 2-11 channels
    (one channel is a plain convolution), strides 1-3, pads 0-2 on each side) runs on gen_fast_dw3x3_s8:
    C == the numpy reference, within 1 LSB of onnxruntime per layer, and equal to the CMSIS-NN API path on the
    same input. `ring`: the ring of three widened rows (layers whose plane is larger than fast_dw.PLANE_BYTES)
    instead of the whole plane."""
    if h + pads[0] + pads[2] < 3 or w + pads[1] + pads[3] < 3:
        h, w = h + 2, w + 2
    saved = fast_dw.PLANE_BYTES
    fast_dw.PLANE_BYTES = 0 if ring else saved
    try:
        _run(c, h, w, 3, (sh, sw), pads, 1, 1, act, bias, per_channel, style, seed, True)
    finally:
        fast_dw.PLANE_BYTES = saved


@settings(**{**SETTINGS, "max_examples": 8})
@given(case=st.sampled_from([(3, 2, 1), (3, 1, 2), (5, 1, 1), (2, 1, 1)]), c=st.integers(2, 5), hw=st.integers(5, 9),
       style=STYLES, seed=st.integers(0, 2**31))
def test_conv_depthwise_other_shapes_keep_cmsis(case, c, hw, style, seed):
    """Dilation 2, ch_mult 2 and kernels other than 3x3 keep the CMSIS-NN call (and stay exact)."""
    k, dil, ch_mult = case
    _run(c, hw, hw, k, (1, 1), (1, 1, 1, 1), dil, ch_mult, "relu", True, True, style, seed, False)


def test_conv_depthwise_kws_layers_share_one_wrapper():
    """KWS's four depthwise layers (25x5x64, 3x3, pad 1) share one wrapper; --kernels cmsis-nn calls CMSIS-NN."""
    import os

    from gen import driver
    kws = os.path.join(os.path.dirname(board.ROOT), "shared", "models", "kws_dscnn_int8_qdq_tflite.onnx")
    if not os.path.exists(kws):
        pytest.skip("needs ../shared/models")
    # the simple plan: the overlap plan may give one of them the ring of rows instead of the plane (its own wrapper)
    c = driver.generate(kws, test_vectors=0, plan="simple").files["kws_dscnn_int8_qdq_tflite.c"].decode()
    assert c.count("GEN_FAST_LAYER void kws_dscnn_int8_qdq_tflite_dw_s8_25x5x64(") == 1
    assert c.count("kws_dscnn_int8_qdq_tflite_dw_s8_25x5x64(") == 5 and "arm_depthwise_conv_wrapper_s8(" not in c
    c = driver.generate(kws, test_vectors=0, kernels="cmsis-nn").files["kws_dscnn_int8_qdq_tflite.c"].decode()
    assert "gen_fast" not in c and c.count("arm_depthwise_conv_wrapper_s8(") == 4


# ----------------------------------------------------------------------------- the DSP path on the M4

QEMU_SHAPES = [  # (c, h, w, stride, pads, act): odd sizes, strides 1-3, asymmetric pads
    (3, 5, 7, (1, 1), (1, 1, 1, 1), "relu"), (5, 7, 6, (2, 2), (0, 1, 1, 0), None),
    (4, 4, 40, (1, 2), (2, 0, 1, 1), "clip"), (2, 3, 3, (1, 1), (0, 0, 0, 0), None),
    (7, 9, 35, (3, 1), (1, 2, 2, 1), "relu"), (2, 6, 5, (1, 3), (2, 2, 0, 1), None),
    # planes over fast_dw.PLANE_BYTES: the ring of three rows (stride 1 and 2; rows of more than 32 columns)
    (2, 40, 80, (1, 1), (1, 1, 1, 1), "relu"), (3, 64, 64, (2, 2), (0, 0, 1, 1), None),
]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_depthwise_fast_kernel_on_m4(tmp_path):
    """The DSP path (SMLAD/SMLABT/SMLATB on the widened rows) on the emulated Cortex-M4: each shape's firmware
    checks its outputs against the host build's (test vectors), exactly."""
    board.ensure_pio_offline()
    for k, (c, h, w, stride, pads, act) in enumerate(QEMU_SHAPES):
        fm, shape = _depthwise_model(c, h, w, 3, stride, pads, 1, 1, act, True, k)
        qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(k)), style="tflite")
        graphs.passes_on_board(qm, tmp_path / f"s{k}", "mps2-an386", ["gen_fast_dw3x3_s8"], vectors=2,
                                what=QEMU_SHAPES[k])
