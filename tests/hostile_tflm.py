"""Hostile inputs found by ONNX's own node test cases (tests/test_onnx_node_cases.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def dropout_training_mode(tmp: Path) -> Case:
    """Dropout with training_mode true drops at random: not an inference graph (was silently the identity)."""
    inits = [numpy_helper.from_array(np.array(0.5, np.float32), "r"),
             numpy_helper.from_array(np.array(True), "t")]
    m = model([helper.make_node("Dropout", ["x", "r", "t"], ["y"], name="drop")],
              [vi("x", [1, 4])], [vi("y", [1, 4])], inits)
    return _err(tmp, m, ["Dropout", "drop", "training mode"], "Dropout with training_mode true")


ERROR_CASES = [dropout_training_mode]
