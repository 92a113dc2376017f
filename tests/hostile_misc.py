"""Hostile nodes of the misc families (GridSample, DFT, Det, the losses, ...): each refused with one
line naming the node and the reason."""
from __future__ import annotations

from hostile_cases import _err, model, vi
from onnx import helper


def gridsample_cubic_5d(tmp):
    m = model([helper.make_node("GridSample", ["x", "g"], ["y"], name="gs", mode="cubic")],
              [vi("x", [1, 1, 2, 3, 3]), vi("g", [1, 2, 2, 2, 3])], [vi("y", [1, 1, 2, 2, 2])], opset=20)
    return _err(tmp, m, ["gs", "cubic", "4-D inputs only"], "GridSample cubic on a 5-D input")


def gridsample_cubic_border(tmp):
    m = model([helper.make_node("GridSample", ["x", "g"], ["y"], name="gs", mode="cubic", padding_mode="border")],
              [vi("x", [1, 1, 3, 3]), vi("g", [1, 2, 2, 2])], [vi("y", [1, 1, 2, 2])], opset=20)
    return _err(tmp, m, ["gs", "border", "results differ"], "GridSample cubic with border padding")


def dft_axis_on_components(tmp):
    m = model([helper.make_node("DFT", ["x"], ["y"], name="fft", axis=2)], [vi("x", [1, 4, 2])],
              [vi("y", [1, 4, 2])], opset=17)
    return _err(tmp, m, ["fft", "axis", "invalid"], "DFT along the components axis")


ERROR_CASES = [gridsample_cubic_5d, gridsample_cubic_border, dft_axis_on_components]
OK_CASES: list = []
LATE: list = []
