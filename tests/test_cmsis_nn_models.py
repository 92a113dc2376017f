"""Whole generated models built against the real CMSIS-NN give the same bytes as gen's portable kernels.

Needs a CMSIS-NN checkout in $CMSIS_NN_DIR (skipped otherwise); CMSIS-NN is never part of this
repository. Its sources build on the host through their portable (non-DSP) paths, the same
arithmetic as the DSP and Helium builds.
"""
import glob
import os

import numpy as np
import pytest

from gen import driver, frontend
from gen.host import HostModel

CMSIS = os.environ.get("CMSIS_NN_DIR")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(os.path.dirname(ROOT), "shared", "models")
pytestmark = pytest.mark.skipif(not CMSIS or not os.path.isdir(os.path.join(CMSIS or "", "Include")),
                                reason="set CMSIS_NN_DIR to a CMSIS-NN checkout to run")


def model_paths():
    paths = sorted(glob.glob(os.path.join(MODELS, "*_int8_qdq_*.onnx")))
    return paths or [os.path.join(ROOT, "gen", "examples", "digits_cnn_int8.onnx")]


def cmsis_sources():
    return sorted(glob.glob(os.path.join(CMSIS, "Source", "*", "*.c")))


@pytest.mark.parametrize("path", model_paths(), ids=os.path.basename)
def test_real_cmsis_nn_equals_portable(path):
    # the simple plan: an overlapping one refuses to build against the real CMSIS-NN
    res = driver.compile_graph(frontend.load(path, name="m"), "m", path, plan="simple")
    portable = HostModel(res.files)
    real = HostModel(res.files, cflags=["-DGEN_USE_CMSIS_NN", "-I", os.path.join(CMSIS, "Include"), "-w"],
                     extra_sources=cmsis_sources())
    rng = np.random.default_rng(7)
    for _ in range(5):
        ins = [rng.integers(-128, 128, size=t["shape"], dtype=np.int8) for t in portable.inputs]
        a, b = portable.run_s8(*ins), real.run_s8(*ins)
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
