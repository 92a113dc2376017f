"""The Helium (MVE) paths of gen's depthwise kernel (gen_fast_dw3x3_mve in runtime_c/gen_fast_dw_s8.h), Add
and layout change (gen_fast_add_s8, gen_fast_chlast_s8 in runtime_c/gen_fast_eltwise_s8.h: every model here
has NCHW input and output, so both directions of the layout change run, for 3 to 64 channels) on the
emulated Cortex-M55 (mps3-an547): the host cannot run them, so each shape's firmware checks its outputs
against the host build's (the portable C, itself checked against the numpy reference in
test_fast_depthwise.py and test_fast_eltwise.py), bit for bit."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import graphs
from test_fast_depthwise import _depthwise_model
from test_ops_int8 import feeds_for

from gen import board
from gen.ops import fast_dw

# (c, h, w, stride, pads (t, l, b, r), act, bias, ring): channel counts below, at and past 16 and not multiples
# of 4 (the padded weight and requantization groups), odd sizes, strides 1 and 2, borders on every side or
# none; blocks of four outputs along a column (narrow layers: KWS's 25x5), a row (wide ones), 2 x 2 (small
# planes: VWW's 6x6 and 3x3), single outputs (one row of three); planes of four channels copied at once, one
# channel's plane (byte gathers of 16 columns: 16 channels; halfword ones of 8), the ring of three rows
DW_SHAPES = [
    (10, 6, 6, (2, 2), (0, 0, 1, 1), "relu", True, False),
    (9, 6, 6, (1, 1), (1, 1, 1, 1), None, True, False),
    (6, 3, 3, (1, 1), (0, 1, 0, 1), None, False, False),
    (16, 6, 6, (1, 1), (1, 1, 1, 1), "relu", True, False),
    (64, 25, 5, (1, 1), (1, 1, 1, 1), "relu", True, False),
    (7, 9, 11, (2, 2), (1, 1, 1, 1), None, True, False),
    (21, 7, 13, (1, 1), (0, 2, 1, 0), "clip", False, False),
    (5, 13, 6, (2, 1), (1, 0, 0, 1), None, True, False),
    (36, 11, 9, (1, 2), (0, 0, 0, 0), "relu", True, True),
    (3, 10, 40, (2, 2), (1, 1, 1, 1), None, True, True),
    (16, 37, 37, (1, 1), (1, 1, 1, 1), "relu", True, False),
]


def _run_shape(tmp_path, k, c, h, w, stride, pads, act, bias, ring):
    fm, shape = _depthwise_model(c, h, w, 3, stride, pads, 1, 1, act, bias, 400 + k)
    qm = graphs.quantize_model(fm, feeds_for({"x": shape}, np.random.default_rng(k)), style="tflite",
                               per_channel=k % 2 == 0)
    out = tmp_path / f"d{k}"
    path = tmp_path / f"d{k}.onnx"
    graphs.onnx.save(qm, str(path))
    saved = fast_dw.PLANE_BYTES
    # the ring of three rows: a generation-time choice (the wrapper's literal), forced by a zero plane limit
    code = ("import sys, runpy; from gen.ops import fast_dw; fast_dw.PLANE_BYTES = int(sys.argv.pop(1)); "
            "sys.argv[0] = 'gen'; runpy.run_module('gen', run_name='__main__')")
    proc = subprocess.run([sys.executable, "-c", code, str(0 if ring else saved), str(path), "-o", str(out), "-q",
                           "--test-vectors", "3"], cwd=board.ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    src = (out / f"d{k}.c").read_text()
    # the layout changes at the boundary: copies, or (the overlap plan) in place along their cycles
    assert "gen_fast_dw3x3_s8(" in src and ("gen_fast_chlast_s8(" in src or "gen_fast_chlast_cycles_s8(" in src)
    r = board.run_on_qemu(str(out), "mps3-an547", build_dir=str(tmp_path / f"b{k}"), timeout=300)
    assert r["result"] == "PASS" and all(v["pass"] and v["max_err"] == 0 for v in r["results"]), \
        (DW_SHAPES[k], r["log"][-2000:])


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
@pytest.mark.parametrize("k", range(len(DW_SHAPES)))
def test_depthwise_helium_on_m55(tmp_path, k):
    """gen_fast_dw3x3_s8's MVE path (byte gathers of each window's taps, VMLADAVA.S8, four outputs
    requantized as one vector) on the emulated M55: PASS with max_err 0 against the host's vectors."""
    board.ensure_pio_offline()
    _run_shape(tmp_path, k, *DW_SHAPES[k])


# (shape, act, const_b): element counts a multiple of 4 or not (the scalar tail), with and without the
# activation clamp
ADD_SHAPES = [((1, 16, 4, 4), None, False), ((1, 3, 5, 7), "relu", False), ((1, 5, 9, 9), "relu", False)]


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_add_helium_on_m55(tmp_path):
    """gen_fast_add_s8's MVE path (word gathers of both tables, VRMULH, the rounding division as vector
    ops) on the emulated M55: PASS with max_err 0 against the host's test vectors."""
    from test_fast_eltwise import _eltwise_model
    board.ensure_pio_offline()
    for k, (shape, act, const_b) in enumerate(ADD_SHAPES):
        fm, inputs = _eltwise_model("Add", shape, act, const_b)
        qm = graphs.quantize_model(fm, feeds_for(inputs, np.random.default_rng(k)), style="tflite")
        graphs.passes_on_board(qm, tmp_path / f"a{k}", "mps3-an547", ["gen_fast_add_s8"],
                                what=ADD_SHAPES[k])
