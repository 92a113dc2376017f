"""GridSample (gen/ops/gridsample.py, runtime_c/gen_sample.c), float32.

Oracle: onnxruntime (GridSample-20) on drawn inputs, grids reaching beyond [-1, 1] (so every
padding mode is exercised), every mode, padding_mode and align_corners, 4-D and 5-D; opset 16's mode
names too. Cubic with border padding, where onnxruntime and the ONNX reference disagree, is refused.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs import check, gen_compile, make_model, node
from gen.errors import GenError


def _gs_model(x, grid, opset=20, **attrs):
    return make_model([node("GridSample", ["x", "g"], ["y"], **attrs)], {"x": x, "g": grid}, ["y"], opset=opset)


@settings(max_examples=25)
@given(mode=st.sampled_from(["nearest", "linear", "cubic"]), pad=st.sampled_from(["zeros", "border", "reflection"]),
       align=st.sampled_from([0, 1, None]), n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 5),
       w=st.integers(1, 5), oh=st.integers(1, 4), ow=st.integers(1, 4), spread=st.sampled_from([0.9, 1.5, 3.0]),
       seed=st.integers(0, 2**16))
def test_gridsample_2d_matches_onnxruntime(mode, pad, align, n, c, h, w, oh, ow, spread, seed):
    if mode == "cubic" and pad == "border":
        pad = "reflection"
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    grid = rng.uniform(-spread, spread, (n, oh, ow, 2)).astype(np.float32)
    check(_gs_model(x, grid, mode=mode, padding_mode=pad, align_corners=align), {"x": x, "g": grid})


@settings(max_examples=12)
@given(mode=st.sampled_from(["nearest", "linear"]), pad=st.sampled_from(["zeros", "border", "reflection"]),
       align=st.sampled_from([0, 1]), d=st.integers(1, 3), h=st.integers(1, 4), w=st.integers(1, 4),
       seed=st.integers(0, 2**16))
def test_gridsample_3d_matches_onnxruntime(mode, pad, align, d, h, w, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, 2, d, h, w)).astype(np.float32)
    grid = rng.uniform(-1.5, 1.5, (1, 2, 3, 2, 3)).astype(np.float32)
    check(_gs_model(x, grid, mode=mode, padding_mode=pad, align_corners=align), {"x": x, "g": grid})


@pytest.mark.parametrize("mode", ["bilinear", "bicubic", "nearest"])
def test_gridsample_opset16_mode_names(mode):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((1, 2, 4, 3)).astype(np.float32)
    grid = rng.uniform(-1.2, 1.2, (1, 3, 2, 2)).astype(np.float32)
    check(_gs_model(x, grid, opset=16, mode=mode), {"x": x, "g": grid})


def test_gridsample_cubic_border_refused():
    x = np.zeros((1, 1, 3, 3), np.float32)
    grid = np.zeros((1, 2, 2, 2), np.float32)
    with pytest.raises(GenError, match="border"):
        gen_compile(_gs_model(x, grid, mode="cubic", padding_mode="border"))
