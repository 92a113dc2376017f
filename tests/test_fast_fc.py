"""gen's batch-of-one fully connected kernel with int16 weights (gen/ops/fast_fc.py, runtime_c/gen_fast_fc_s8.h)
against the numpy reference (exactly), onnxruntime (1 LSB per layer), the int8-weight path (`--fc-weights
int8`, gen_fast_pw_s8) and the CMSIS-NN API path (`--kernels cmsis-nn`), both exactly: random odd shapes on
the host (the portable C), and a sample on the emulated Cortex-M4 (the DSP path's inline assembly) and
Cortex-M55 (Helium), whose firmware checks its outputs against the host build's, bit for bit."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphs
from graphs import float_model, node
from test_ops_int8 import SETTINGS, STYLES, check, feeds_for

from gen import board, driver, frontend
from gen.__main__ import build_parser
from gen.host import HostModel
from gen.ops import supported_onnx_ops

ODD = st.integers(0, 149).map(lambda i: 2 * i + 1)     # 1..299: never a multiple of 2, 4 or 8


def _fc_model(k, m, act, bias, seed, batch=1):
    rng = np.random.default_rng(seed)
    inits = {"W": rng.normal(0, 0.5, size=(m, k)).astype(np.float32)}
    ins = ["x", "W"]
    if bias:
        inits["B"] = rng.normal(0, 0.5, size=m).astype(np.float32)
        ins.append("B")
    nodes = [node("Gemm", ins, ["c" if act else "y"], transB=1)]
    if act == "relu":
        nodes.append(node("Relu", ["c"], ["y"]))
    elif act == "clip":
        nodes.append(node("Clip", ["c", "lo", "hi"], ["y"]))
        inits["lo"], inits["hi"] = np.float32(0.0), np.float32(1.0)
    return float_model(nodes, {"x": (batch, k)}, ["y"], inits), (batch, k)


def _compile(qm, **options):
    m = graphs.onnx.ModelProto()
    m.CopyFrom(qm)
    return driver.compile_graph(frontend.from_model(m, name="m", supported=supported_onnx_ops()), "m", "t.onnx",
                                **options)


def _kernels(res):
    return [layer["kernel"] for layer in res.summary["layers"] if layer["op"].startswith("FullyConnectedS8")]


@settings(**{**SETTINGS, "max_examples": 25})
@given(k=ODD, m=ODD, act=st.sampled_from([None, "relu", "clip"]), bias=st.booleans(), per_channel=st.booleans(),
       style=STYLES, seed=st.integers(0, 2**31))
def test_fully_connected_int16_weights(k, m, act, bias, per_channel, style, seed):
    """A batch-of-one Gemm runs on gen_fast_fc_s8: C == the numpy reference, within 1 LSB of onnxruntime per
    layer, and equal to the int8-weight kernel and to the CMSIS-NN API path on the same input."""
    fm, shape = _fc_model(k, m, act, bias, seed)
    res, _, _ = check(fm, {"x": shape}, seed, style=style, per_channel=per_channel, expect="FullyConnectedS8")
    assert _kernels(res) == ["gen_fast_fc_s8"]
    qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(seed)), style=style,
                               per_channel=per_channel)
    int8w, cmsis = _compile(qm, fc_weights="int8"), _compile(qm, kernels="cmsis-nn")
    assert _kernels(int8w) == ["gen_fast_pw_s8"] and _kernels(cmsis)[0].startswith("arm_fully_connected")
    x = np.random.default_rng(seed + 1).integers(-128, 128, size=shape).astype(np.int8)
    got = HostModel(res.files).run_s8(x)
    for other in (int8w, cmsis):
        for a, b in zip(got, HostModel(other.files).run_s8(x)):
            np.testing.assert_array_equal(a, b)


def test_fc_weights_option():
    """--fc-weights int16 (the default) stores a batch-of-one layer's weights widened (k padded to 8: twice
    the int8 bytes and more), int8 keeps them int8; batches of two rows keep gen_fast_pw_s8 either way;
    --help lists the option."""
    fm, shape = _fc_model(37, 11, "relu", True, 0)
    qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(0)), style="tflite")
    wide, narrow = _compile(qm), _compile(qm, fc_weights="int8")
    assert _kernels(wide) == ["gen_fast_fc_s8"] and _kernels(narrow) == ["gen_fast_pw_s8"]
    # int16 [11, 40] against int8 [11, 40] (gen_fast_pw_s8 pads k to 4): the requantization tables are equal
    assert wide.summary["weight_bytes"] - narrow.summary["weight_bytes"] == 11 * 40 * 2 - 11 * 40
    assert "gen_fast_fc_s8.h" in wide.files and "gen_fast_fc_s8.h" not in narrow.files
    fm2, shape2 = _fc_model(37, 11, "relu", True, 0, batch=2)
    qm2 = graphs.quantize_model(fm2, feeds_for({"x": shape2}, np.random.default_rng(0)), style="tflite")
    assert _kernels(_compile(qm2)) == ["gen_fast_pw_s8"]
    assert "--fc-weights" in build_parser().format_help()
    assert build_parser().parse_args(["m.onnx"]).fc_weights == "int16"


# ----------------------------------------------------------------------------- the DSP and Helium paths

QEMU_SHAPES = [  # (k, m, act): k and m odd, under and over a step of 8 inputs and a block of 4 channels
    (1, 1, None), (7, 3, "relu"), (9, 5, "clip"), (37, 11, "relu"), (129, 131, None), (299, 6, "relu"),
]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
@pytest.mark.parametrize("board_env", ["mps2-an386", "mps3-an547"])
def test_fully_connected_int16_weights_on_qemu(tmp_path, board_env):
    """gen_fast_fc_s8 on the emulated Cortex-M4 (inline assembly) and M55 (Helium): each shape's firmware
    checks its outputs against the host build's test vectors, exactly (PASS, max_err 0)."""
    board.ensure_pio_offline()
    for i, (k, m, act) in enumerate(QEMU_SHAPES):
        fm, shape = _fc_model(k, m, act, True, i)
        qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(i)), style="tflite",
                                   per_channel=i % 2 == 0)
        graphs.passes_on_board(qm, tmp_path / f"s{i}", board_env, ["gen_fast_fc_s8"], vectors=2,
                                what=QEMU_SHAPES[i])
