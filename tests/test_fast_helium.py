"""The Helium (MVE) paths of gen's kernels (runtime_c/gen_fast_mve_s8.h) on the emulated Cortex-M55
(mps3-an547): the host cannot run them, so each shape's firmware checks its outputs against the host
build's (the portable C, itself checked against the numpy reference in test_fast_kernels.py), bit for bit."""
from __future__ import annotations

import subprocess
import sys

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
        out = tmp_path / f"s{k}"
        path = tmp_path / f"s{k}.onnx"
        graphs.onnx.save(qm, str(path))
        proc = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(out), "-q", "--test-vectors", "3"],
                              cwd=board.ROOT, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "gen_fast_pw_s8" in (out / f"s{k}.c").read_text()
        r = None
        for _ in range(2):  # a platform install by a parallel build can fail one attempt
            r = board.run_on_qemu(str(out), "mps3-an547", build_dir=str(tmp_path / f"b{k}"), timeout=300)
            if r["result"] is not None:
                break
        assert r["result"] == "PASS" and all(v["pass"] and v["max_err"] == 0 for v in r["results"]), \
            (M55_SHAPES[k], r["log"][-2000:])
