"""gen's layer-specialized int8 kernels (gen/ops/fast_s8.py, runtime_c/gen_fast_s8.h) against the numpy
reference (exactly), onnxruntime (1 LSB per layer) and the CMSIS-NN API path they replace (`--kernels
cmsis-nn`, exactly): random shapes on the host (the portable C), and a sample of shapes on the emulated
Cortex-M4 (the DSP path: the firmware checks the board's outputs against the host's, bit for bit)."""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphs
from graphs import float_model, node, without_overlap_check
from test_ops_int8 import SETTINGS, STYLES, check, feeds_for

from gen import board, driver, frontend
from gen.host import HostModel
from gen.ops import supported_onnx_ops


def _pointwise_model(c, m, h, w, batch, act, bias, seed):
    rng = np.random.default_rng(seed)
    inits = {"W": rng.normal(0, 0.5, size=(m, c, 1, 1)).astype(np.float32)}
    ins = ["x", "W"]
    if bias:
        inits["B"] = rng.normal(0, 0.5, size=m).astype(np.float32)
        ins.append("B")
    nodes = [node("Conv", ins, ["c" if act else "y"])]
    if act == "relu":
        nodes.append(node("Relu", ["c"], ["y"]))
    elif act == "clip":
        nodes.append(node("Clip", ["c", "lo", "hi"], ["y"]))
        inits["lo"], inits["hi"] = np.float32(0.0), np.float32(1.0)
    shape = (batch, c, h, w)
    return float_model(nodes, {"x": shape}, ["y"], inits), shape


def _compile(qm, kernels):
    m = graphs.onnx.ModelProto()
    m.CopyFrom(qm)
    return driver.compile_graph(frontend.from_model(m, name="m", supported=supported_onnx_ops()), "m", "t.onnx",
                                kernels=kernels)


@settings(**{**SETTINGS, "max_examples": 25})
@given(c=st.integers(1, 40), m=st.integers(1, 9), h=st.integers(1, 6), w=st.integers(1, 6),
       batch=st.sampled_from([1, 2]), act=st.sampled_from([None, "relu", "clip"]), bias=st.booleans(),
       per_channel=st.booleans(), style=STYLES, seed=st.integers(0, 2**31))
def test_conv_pointwise_fast_kernel(c, m, h, w, batch, act, bias, per_channel, style, seed):
    """A 1x1 convolution runs on gen_fast_pw_s8: C == the numpy reference, within 1 LSB of onnxruntime
    per layer, and equal to the CMSIS-NN API path on the same input."""
    fm, shape = _pointwise_model(c, m, h, w, batch, act, bias, seed)
    res, c_out, _ = check(fm, {"x": shape}, seed, style=style, per_channel=per_channel, expect="ConvS8")
    assert any(layer["kernel"] == "gen_fast_pw_s8" for layer in res.summary["layers"]), res.summary["layers"]
    cm = _compile(graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(seed)), style=style,
                                        per_channel=per_channel), "cmsis-nn")
    assert all(layer["kernel"] != "gen_fast_pw_s8" for layer in cm.summary["layers"])
    qin, _ = graphs.boundary(res)
    x = np.random.default_rng(seed + 1).integers(-128, 128, size=shape).astype(np.int8)
    assert qin == graphs.boundary(cm)[0]
    got = HostModel(res.files).run_s8(x)
    want = HostModel(cm.files).run_s8(x)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_kernels_option_selects_the_path():
    """--kernels cmsis-nn writes CMSIS-NN calls only; the default writes gen's kernel for each 1x1 layer
    through one wrapper per distinct shape and constants (KWS's four pointwise layers share one)."""
    rng = np.random.default_rng(0)
    inits = {f"W{i}": rng.normal(0, 0.5, size=(8, 8, 1, 1)).astype(np.float32) for i in range(3)}
    nodes = [node("Conv", ["x", "W0"], ["a"]), node("Conv", ["a", "W1"], ["b"]), node("Conv", ["b", "W2"], ["y"])]
    fm = float_model(nodes, {"x": (1, 8, 5, 5)}, ["y"], inits)
    qm = graphs.quantize_model(fm, feeds_for({"x": (1, 8, 5, 5)}, rng), style="tflite")
    gen_c = without_overlap_check(_compile(qm, "gen").files["m.c"].decode())
    cmsis_c = _compile(qm, "cmsis-nn").files["m.c"].decode()
    assert "gen_fast_pw_s8(" in gen_c and "arm_convolve_wrapper_s8(" not in gen_c
    assert gen_c.count("GEN_FAST_LAYER void m_pw_s8_") <= 3 and gen_c.count("m_pw_s8_") == 2 * gen_c.count("GEN_FAST_LAYER void m_pw_")
    assert "gen_fast" not in cmsis_c and cmsis_c.count("arm_convolve_wrapper_s8(") == 3
    kws = os.path.join(os.path.dirname(board.ROOT), "shared", "models", "kws_dscnn_int8_qdq_tflite.onnx")
    if os.path.exists(kws):
        c = driver.generate(kws, test_vectors=0, plan="simple").files["kws_dscnn_int8_qdq_tflite.c"].decode()
        # the four 1x1 layers: one wrapper, four calls (the overlap plan may run one of them backward: a wrapper of
        # its own); the fully connected layer (batch 1): gen_fast_fc_s8's
        assert c.count("GEN_FAST_LAYER void kws_dscnn_int8_qdq_tflite_pw_s8_125x64x64(") == 1
        assert c.count("_pw_s8_125x64x64(") == 5 and c.count("GEN_FAST_LAYER void kws_dscnn_int8_qdq_tflite_pw_s8_") == 1
        assert c.count("GEN_FAST_LAYER void kws_dscnn_int8_qdq_tflite_fc_s8_1x64x12(") == 1


# ----------------------------------------------------------------------------- the DSP path on the M4

QEMU_SHAPES = [  # (c, m, h, w, batch, act): channel counts not multiples of 2 or 4, odd pixel counts
    (1, 1, 1, 1, 1, None), (3, 5, 3, 3, 1, "relu"), (17, 7, 5, 3, 2, "clip"), (64, 64, 5, 5, 1, "relu"),
    (6, 9, 1, 7, 1, None), (33, 2, 2, 2, 1, "relu"),
]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_pointwise_fast_kernel_on_m4(tmp_path):
    """The DSP path (inline assembly, widened rows) on the emulated Cortex-M4: each shape's firmware checks
    its outputs against the host build's (test vectors), exactly."""
    board.ensure_pio_offline()
    for k, (c, m, h, w, batch, act) in enumerate(QEMU_SHAPES):
        fm, shape = _pointwise_model(c, m, h, w, batch, act, True, k)
        qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(k)), style="tflite")
        graphs.passes_on_board(qm, tmp_path / f"s{k}", "mps2-an386", ["gen_fast_pw_s8"], vectors=2,
                                what=QEMU_SHAPES[k])
