"""Det (gen/ops/linalg.py, runtime_c/gen_linalg.c), float32. Oracle: onnxruntime, on drawn batches of
matrices (1 x 1 to 5 x 5), including singular ones (a repeated row: det 0 up to round-off) and ones
that need row exchanges (a zero on the diagonal)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs import check, make_model, node


@settings(max_examples=20)
@given(batch=st.lists(st.integers(1, 3), max_size=2), n=st.integers(1, 5),
       kind=st.sampled_from(["random", "singular", "zero_pivot"]), seed=st.integers(0, 2**16))
def test_det_matches_onnxruntime(batch, n, kind, seed):
    x = np.random.default_rng(seed).standard_normal((*batch, n, n)).astype(np.float32)
    if kind == "singular" and n > 1:
        x[..., 1, :] = x[..., 0, :]
    if kind == "zero_pivot":
        x[..., 0, 0] = 0
    m = make_model([node("Det", ["x"], ["y"])], {"x": x}, ["y"], opset=13)
    check(m, {"x": x}, rtol=1e-4, atol=1e-5)
