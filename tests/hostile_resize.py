"""Hostile Resize nodes (gen/ops/resize.py): parameters arriving at run time in a form gen cannot
read, and what the model states wrongly and shape inference lets through, refused with one line
naming the node."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def _resize(tmp: Path, needles, title, *, inputs, ins, inits=(), out=(1, 2, 8, 8), opset=19, **attrs) -> Case:
    n = helper.make_node("Resize", ins, ["y"], name="rs", **attrs)
    return _err(tmp, model([n], [vi("x", [1, 2, 4, 4])] + inputs, [vi("y", list(out))], list(inits), opset=opset),
                ["Resize", "'rs'", *needles], title)


def resize_scales_input_wrong_length(tmp):
    return _resize(tmp, ["scales", "[4]"], "Resize scales as a graph input with 3 values for 4 axes",
                   inputs=[vi("s", [3])], ins=["x", "", "s"])


def resize_antialias_runtime_scales(tmp):
    return _resize(tmp, ["antialias", "run time"], "Resize antialias with scales as a graph input",
                   inputs=[vi("s", [4])], ins=["x", "", "s"], out=(1, 2, 2, 2), mode="linear", antialias=1)


def resize_crop_roi_length(tmp):
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    return _resize(tmp, ["roi", "[8]"], "Resize tf_crop_and_resize with a roi of 6 values for 4 axes",
                   inputs=[vi("roi", [6])], ins=["x", "roi", "scales"], inits=[scales],
                   coordinate_transformation_mode="tf_crop_and_resize")


def resize_crop_roi_nan(tmp):
    roi = numpy_helper.from_array(np.array([0, 0, np.nan, 0, 1, 1, 1, 1], np.float32), "roi")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    return _resize(tmp, ["roi", "NaN"], "Resize tf_crop_and_resize with a NaN in a constant roi",
                   inputs=[], ins=["x", "roi", "scales"], inits=[roi, scales],
                   coordinate_transformation_mode="tf_crop_and_resize")


ERROR_CASES = [resize_scales_input_wrong_length, resize_antialias_runtime_scales,
               resize_crop_roi_length, resize_crop_roi_nan]
OK_CASES: list = []
LATE: set = set()
