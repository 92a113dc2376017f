"""The Helium (MVE) path of gen's im2col convolution (gen_fast_conv_s8 in runtime_c/gen_fast_conv_s8.h: two
int8 im2col rows times a channel pair's weights by word gathers and VMLADAVA.S8, vector requantization) on the
emulated Cortex-M55 (mps3-an547). The host cannot run it: each model's firmware checks its outputs against
the host build's test vectors (the portable C, itself checked against the numpy reference and onnxruntime in
test_fast_conv.py), bit for bit. Several convolutions share one model (one input and one output each), so
that one firmware checks a group of shapes."""
from __future__ import annotations

import re
import subprocess
import sys
import time

import numpy as np
import pytest

import graphs
from test_fast_conv import conv_layer
from test_ops_int8 import feeds_for

from gen import board

# (c, m, h, w, kh, kw, stride, pads (t, l, b, r), dilation, batch, act): 1-4 input channels and more, k = kh *
# kw * c leaving a tail of 4, 8 and 12 inputs after the 16-input steps or none, k past 16 steps (a loop that
# is not unrolled whole: k 288, 576), output channel counts odd and not multiples of 4 (the odd last channel;
# one channel alone), an odd pixel count (the last pixel alone), strides, asymmetric pads, dilations, batch 2
GROUPS = [
    [(3, 16, 9, 9, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "relu"),      # IC's first layer: k 27, tail 12
     (1, 13, 11, 6, 10, 4, (2, 2), (4, 1, 5, 1), (1, 1), 1, "relu"),    # KWS's first layer: k 40, tail 8
     (3, 8, 12, 11, 3, 3, (2, 2), (0, 0, 1, 1), (1, 1), 1, None),       # VWW's first layer: stride 2
     (1, 1, 5, 5, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, None)],        # one channel: k 9, tail 12
    [(2, 7, 7, 6, 3, 3, (1, 2), (2, 1, 2, 1), (2, 2), 2, "clip"),       # dilation 2, batch 2, k 18, tail 4
     (4, 6, 5, 7, 2, 3, (1, 1), (0, 1, 1, 0), (1, 1), 1, None),         # k 24, tail 8
     (5, 9, 8, 7, 3, 3, (2, 1), (1, 2, 0, 1), (2, 1), 1, "clip"),       # k 45 (48: three whole steps)
     (16, 5, 7, 7, 1, 1, (2, 2), (0, 0, 0, 0), (1, 1), 1, None)],       # 1x1 stride 2: one step
    [(32, 10, 6, 5, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, "relu"),     # k 288: 18 steps
     (64, 3, 4, 3, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, None),        # k 576: 36 steps
     (7, 4, 5, 5, 3, 3, (1, 1), (1, 1, 1, 1), (1, 1), 1, None)],        # k 63; a tiny output scale: left shifts
]
LEFT_SHIFT = (2, 2)     # (group, shape) whose output scale makes every requantization shift a left shift


def _group_model(shapes, seed):
    """One float model with a convolution per shape, input x{i} to output y{i}, and its input shapes."""
    nodes, inits, inputs = [], {}, {}
    for i, (c, m, h, w, kh, kw, stride, pads, dil, batch, act) in enumerate(shapes):
        n, ini = conv_layer(c, m, kh, kw, stride, pads, dil, act, True, seed + i, tag=str(i))
        nodes += n
        inits.update(ini)
        inputs[f"x{i}"] = (batch, c, h, w)
    return graphs.float_model(nodes, inputs, [f"y{i}" for i in range(len(shapes))], inits), inputs


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
@pytest.mark.parametrize("group", range(len(GROUPS)))
def test_conv_fast_kernel_helium_on_m55(tmp_path, group):
    """Every convolution of the group runs on gen_fast_conv_s8 and the M55 firmware (its Helium path) gives
    the host's outputs on every test vector: PASS, max_err 0."""
    board.ensure_pio_offline()
    fm, inputs = _group_model(GROUPS[group], 400 + 10 * group)
    fixed = {f"y{LEFT_SHIFT[1]}": (2.0 ** -14, 0)} if group == LEFT_SHIFT[0] else None
    qm = graphs.quantize_model(fm, feeds_for(inputs, np.random.default_rng(group)), style="tflite",
                               per_channel=group % 2 == 0, fixed=fixed)
    path = tmp_path / "g.onnx"
    out = tmp_path / "g"
    graphs.onnx.save(qm, str(path))
    proc = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(out), "-q", "--test-vectors", "3"],
                          cwd=board.ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    calls = re.findall(r"gen_fast_conv_s8\(([^;]*)\);", (out / "g.c").read_text())
    assert len(calls) == len(GROUPS[group]), calls
    rshift = [int(call.split(",")[21]) for call in calls]   # in, out, w, rq, scratch, n, ..., in_off, rshift
    assert (0 in rshift) == bool(fixed), rshift             # the left-shift requantization where forced
    r = None
    for attempt in range(3):  # a platform install by a parallel build can fail an attempt (no result)
        r = board.run_on_qemu(str(out), "mps3-an547", build_dir=str(tmp_path / "b"), timeout=300)
        if r["result"] is not None:
            break
        time.sleep(5 * (attempt + 1))
    assert r["result"] == "PASS" and all(v["pass"] and v["max_err"] == 0 for v in r["results"]), \
        (GROUPS[group], r["log"][-2000:])


def _mixed_shift_model():
    """Pointwise, 3x3 and depthwise int8 convolutions whose output channel 0 has weights 300x the others'
    and a fixed output scale between: channel 0's requantization shift is a left shift, the others' right
    shifts (rshift 0: a shift of either sign per channel in one layer)."""
    nodes, inits, inputs = [], {}, {}
    for i, (c, m, h, w, k) in enumerate([(8, 6, 5, 5, 1), (4, 6, 6, 5, 3)]):
        n, ini = conv_layer(c, m, k, k, (1, 1), (k // 2,) * 4, (1, 1), None, True, 7 + i, tag=str(i))
        ini[f"W{i}"][0] *= 300.0
        nodes += n
        inits.update(ini)
        inputs[f"x{i}"] = (1, c, h, w)
    rng = np.random.default_rng(3)
    inits["W2"] = rng.normal(0, 0.5, (6, 1, 3, 3)).astype(np.float32)
    inits["W2"][0] *= 300.0
    inits["B2"] = rng.normal(0, 0.5, 6).astype(np.float32)
    nodes.append(graphs.node("Conv", ["x2", "W2", "B2"], ["y2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=6))
    inputs["x2"] = (1, 6, 7, 5)
    fm = graphs.float_model(nodes, inputs, ["y0", "y1", "y2"], inits)
    return graphs.quantize_model(fm, feeds_for(inputs, np.random.default_rng(0)), style="tflite", per_channel=True,
                                 fixed={f"y{k}": (0.05, 0) for k in range(3)})


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_conv_mixed_shift_requantization_on_m55_and_m4(tmp_path):
    """Layers whose channels shift both ways (rshift 0): the Helium requantization shifted right before the
    multiply (every output off by one LSB on the M55) until the left and right shifts were split per lane."""
    board.ensure_pio_offline()
    model = _mixed_shift_model()
    for env in ("mps3-an547", "mps2-an386"):
        graphs.passes_on_board(model, tmp_path / "mix", env, ["gen_fast_pw_s8", "gen_fast_conv_s8", "gen_fast_dw3x3_s8"],
                               args=["--verify"], what="mixed shifts")
