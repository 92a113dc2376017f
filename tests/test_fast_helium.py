"""The Helium (MVE) paths of gen's kernels (runtime_c/gen_fast_mve_s8.h) on the emulated Cortex-M55
(mps3-an547): the host cannot run them, so each shape's firmware checks its outputs against the host
build's (the portable C, itself checked against the numpy reference in test_fast_kernels.py), bit for bit."""
from __future__ import annotations


import numpy as np
import pytest

import graphs
from test_fast_kernels import _pointwise_model
from test_ops_int8 import feeds_for

from gen import board

# (c, m, h, w, batch, act): k a multiple of 8 and of 4 only (the half-lane tail), k not a multiple of 4
# (the DSP path), channel counts leaving a pair and an odd channel, one row (fully connected shape)
M55_SHAPES = [
    (64, 64, 5, 5, 1, "relu"), (12, 7, 3, 3, 1, None), (20, 6, 1, 3, 2, "clip"), (8, 5, 1, 1, 1, "relu"),
    (4, 1, 2, 3, 1, None), (33, 9, 3, 1, 1, "relu"), (40, 10, 1, 1, 1, None),
]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_pointwise_helium_on_m55(tmp_path):
    """gen_fast_pw_s8's MVE path (byte gathers, VMLADAVA, vector requantization) on the emulated M55:
    PASS with max_err 0 against the host's test vectors for every shape."""
    board.ensure_pio_offline()
    for k, (c, m, h, w, batch, act) in enumerate(M55_SHAPES):
        fm, shape = _pointwise_model(c, m, h, w, batch, act, True, 100 + k)
        per_channel = k % 2 == 0
        qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(k)), style="tflite",
                                   per_channel=per_channel)
        graphs.passes_on_board(qm, tmp_path / f"s{k}", "mps3-an547", ["gen_fast_pw_s8"],
                                what=M55_SHAPES[k])


def _depthwise_model(c, h, w, kh, kw, stride, pads, act, bias, seed):
    rng = np.random.default_rng(seed)
    inits = {"W": rng.normal(0, 0.5, size=(c, 1, kh, kw)).astype(np.float32)}
    ins = ["x", "W"]
    if bias:
        inits["B"] = rng.normal(0, 0.5, size=c).astype(np.float32)
        ins.append("B")
    nodes = [graphs.node("Conv", ins, ["c" if act else "y"], group=c, kernel_shape=[kh, kw], strides=[stride, stride],
                         pads=list(pads))]
    if act == "relu":
        nodes.append(graphs.node("Relu", ["c"], ["y"]))
    shape = (1, c, h, w)
    return graphs.float_model(nodes, {"x": shape}, ["y"], inits), shape


# (c, h, w, kh, kw, stride, pads (t, l, b, r), act, bias): channel counts below, at and past 16 and not
# multiples of 4 (the predicated tail), borders on every side, strides, a window wider than the input
DW_SHAPES = [
    (64, 25, 5, 3, 3, 1, (1, 1, 1, 1), "relu", True), (5, 7, 6, 3, 3, 2, (1, 1, 1, 1), None, True),
    (21, 4, 9, 2, 5, 1, (0, 2, 1, 2), "relu", False), (3, 3, 3, 3, 3, 1, (2, 2, 2, 2), None, True),
    (36, 6, 5, 3, 3, 2, (0, 0, 1, 1), None, True), (16, 2, 2, 1, 1, 1, (0, 0, 0, 0), "relu", True),
]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_depthwise_helium_on_m55(tmp_path):
    """arm_depthwise_conv_wrapper_s8's MVE path (sixteen and four channels a vector, vector requantization)
    on the emulated M55: PASS with max_err 0 against the host's test vectors for every shape."""
    board.ensure_pio_offline()
    for k, (c, h, w, kh, kw, stride, pads, act, bias) in enumerate(DW_SHAPES):
        fm, shape = _depthwise_model(c, h, w, kh, kw, stride, pads, act, bias, 200 + k)
        qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(k)), style="tflite",
                                   per_channel=k % 2 == 0)
        # the CMSIS-NN API's depthwise (its Helium code): gen's own 3x3 kernel takes these layers by default
        graphs.passes_on_board(qm, tmp_path / f"d{k}", "mps3-an547", ["arm_depthwise_conv_wrapper_s8"],
                                args=["--kernels", "cmsis-nn"], what=DW_SHAPES[k])


def _conv_model(c, m, h, w, kh, kw, stride, pads, dil, act, bias, seed):
    rng = np.random.default_rng(seed)
    inits = {"W": rng.normal(0, 0.5, size=(m, c, kh, kw)).astype(np.float32)}
    ins = ["x", "W"]
    if bias:
        inits["B"] = rng.normal(0, 0.5, size=m).astype(np.float32)
        ins.append("B")
    nodes = [graphs.node("Conv", ins, ["c" if act else "y"], kernel_shape=[kh, kw], strides=[stride, stride],
                         pads=list(pads), dilations=[dil, dil])]
    if act == "relu":
        nodes.append(graphs.node("Relu", ["c"], ["y"]))
    shape = (1, c, h, w)
    return graphs.float_model(nodes, {"x": shape}, ["y"], inits), shape


# (c, m, h, w, kh, kw, stride, pads, dilation, act, bias): 1-4 input channels (KWS's first layer: 10x4,
# stride 2), columns not multiples of 8 (the predicated tail), channel counts not multiples of 4, a 1x1
# stride-2 layer (no column: the input row, VMLADAVA.S8)
CONV_SHAPES = [
    (1, 64, 49, 10, 10, 4, 2, (4, 1, 5, 1), 1, "relu", True), (3, 5, 7, 6, 3, 3, 2, (1, 1, 1, 1), 1, None, True),
    (2, 7, 5, 5, 3, 3, 1, (1, 1, 1, 1), 2, "relu", False), (4, 9, 6, 4, 2, 3, 1, (0, 1, 1, 0), 1, None, True),
    (16, 6, 4, 4, 3, 3, 1, (1, 1, 1, 1), 1, "relu", True), (21, 10, 7, 5, 1, 1, 2, (0, 0, 0, 0), 1, None, True),
]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_im2col_helium_on_m55(tmp_path):
    """arm_convolve_wrapper_s8's MVE path (int16 im2col column, VMLADAVA.S16 over four channels, vector
    requantization) on the emulated M55: PASS with max_err 0 against the host's test vectors."""
    board.ensure_pio_offline()
    for k, (c, m, h, w, kh, kw, stride, pads, dil, act, bias) in enumerate(CONV_SHAPES):
        fm, shape = _conv_model(c, m, h, w, kh, kw, stride, pads, dil, act, bias, 300 + k)
        qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(k)), style="tflite",
                                   per_channel=k % 2 == 0)
        # the CMSIS-NN API's convolution (its Helium code): gen's own im2col kernel takes these by default
        graphs.passes_on_board(qm, tmp_path / f"c{k}", "mps3-an547", ["arm_convolve_wrapper_s8"],
                                args=["--kernels", "cmsis-nn"], what=CONV_SHAPES[k])
