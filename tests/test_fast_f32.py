"""gen's specialized float32 convolutions (gen/ops/fast_f32.py, runtime_c/gen_fast_f32.h) against onnxruntime:
group-1 convolutions through the four-pixel patch or straight from the input (1x1, stride 1, unpadded,
with a last block of 1-3 pixels), depthwise convolutions over the zero-bordered plane, every fused
activation; on the host and, for a sample, on the emulated Cortex-M4 (FPU, VFMA)."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphs
from graphs import check, make_model, node
from gen import board

ACTS = [None, "Relu", "LeakyRelu", "Clip"]


def conv_model(kind, c, m, h, w, k, stride, pads, dil, act, bias, seed):
    rng = np.random.default_rng(seed)
    group = c if kind == "dw" else 1
    m = c if kind == "dw" else m
    kh, kw = k
    inits = {"w": rng.uniform(-1, 1, (m, c // group, kh, kw)).astype(np.float32)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = rng.uniform(-1, 1, m).astype(np.float32)
        ins.append("b")
    nodes = [node("Conv", ins, ["c" if act else "y"], kernel_shape=[kh, kw], strides=list(stride), pads=list(pads),
                  dilations=list(dil), group=group)]
    if act == "Clip":
        inits.update(lo=np.float32(-0.5), hi=np.float32(1.5))
        nodes.append(node("Clip", ["c", "lo", "hi"], ["y"]))
    elif act:
        nodes.append(node(act, ["c"], ["y"], alpha=0.2 if act == "LeakyRelu" else None))
    x = rng.uniform(-2, 2, (1, c, h, w)).astype(np.float32)
    return make_model(nodes, {"x": x}, ["y"], inits), x


@st.composite
def layer(draw):
    kind = draw(st.sampled_from(["conv", "dw", "pw"]))
    c, m = draw(st.integers(1, 5)), draw(st.integers(1, 9))
    if kind == "pw":       # taps straight from the input; h * w not always a multiple of 4
        k, stride, pads, dil = (1, 1), (1, 1), (0, 0, 0, 0), (1, 1)
    else:
        k = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
        stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
        dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, (k[0] - 1) * dil[0] + 1 - pads[0] - pads[2]), 7))
    w = draw(st.integers(max(1, (k[1] - 1) * dil[1] + 1 - pads[1] - pads[3]), 7))
    return (kind, c, m, h, w, k, stride, pads, dil, draw(st.sampled_from(ACTS)), draw(st.booleans()),
            draw(st.integers(0, 2**16)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layer())
def test_conv_float_fast_kernels(case):
    model, x = conv_model(*case)
    _, _, res = check(model, {"x": x})
    want = "gen_fast_dw_f32" if case[0] == "dw" and case[1] > 1 else "gen_fast_conv_f32"
    assert res.summary["layers"][0]["kernel"] == want


@pytest.mark.parametrize("case", [("conv", 3, 5, 10, 12, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), "Relu", True, 5),
                                  ("conv", 2, 6, 11, 14, (3, 2), (1, 2), (0, 1, 2, 0), (2, 1), None, False, 6)])
def test_conv_float_fast_kernel_windows_inside(case):
    """Rows wide enough that blocks of four pixels have windows wholly inside the input (the patch
    built without tests) beside border blocks (the tested patch)."""
    model, x = conv_model(*case)
    check(model, {"x": x})


QEMU_CASES = [("pw", 5, 7, 5, 5, (1, 1), (1, 1), (0, 0, 0, 0), (1, 1), "Relu", True, 1),
              ("conv", 1, 6, 9, 6, (4, 3), (2, 1), (1, 1, 2, 1), (1, 1), None, True, 2),
              ("dw", 6, 6, 7, 5, (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), "Clip", False, 3),
              ("dw", 3, 3, 6, 9, (3, 3), (1, 1), (1, 1, 1, 1), (2, 1), "LeakyRelu", True, 4)]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_float_fast_kernels_on_m4(tmp_path):
    """The FPU path (VFMA) on the emulated Cortex-M4: the firmware's outputs match the host build's test
    vectors (the float tolerance of gen_tv_check)."""
    board.ensure_pio_offline()
    for i, case in enumerate(QEMU_CASES):
        model, _ = conv_model(*case)
        kernel = "gen_fast_dw_f32" if case[0] == "dw" else "gen_fast_conv_f32"
        graphs.passes_on_board(model, tmp_path / f"f{i}", "mps2-an386", [kernel], vectors=2, what=case, exact=False)
