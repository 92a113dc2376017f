"""Hostile elementwise-math nodes (gen/ops/unary.py): each is refused with one line naming the node.

An unknown Gelu approximation, a Celu alpha of 0 (exp(x / 0)), a non-finite Elu alpha, a PRelu slope
that does not broadcast to the input, a NaN Pow exponent.
"""
from __future__ import annotations

import numpy as np
from hostile_cases import _err, model, vi
from onnx import helper, numpy_helper


def _unary(tmp, op, title, needles, opset=13, **attrs):
    m = model([helper.make_node(op, ["x"], ["y"], name="act", **attrs)], [vi("x", [1, 4])], [vi("y", [1, 4])],
              opset=opset)
    return _err(tmp, m, needles, title)


def gelu_approximate_unknown(tmp):
    return _unary(tmp, "Gelu", "Gelu approximate 'fast'", ["act", "approximate 'fast'"], opset=20,
                  approximate="fast")


def celu_alpha_zero(tmp):
    return _unary(tmp, "Celu", "Celu alpha 0", ["act", "alpha = 0", "divides by zero"], alpha=0.0)


def elu_alpha_inf(tmp):
    return _unary(tmp, "Elu", "Elu alpha inf", ["act", "alpha = inf", "not finite"], alpha=float("inf"))


def prelu_slope_wider_than_input(tmp):
    s = numpy_helper.from_array(np.ones((2, 3, 4), np.float32), "s")
    m = model([helper.make_node("PRelu", ["x", "s"], ["y"], name="act")], [vi("x", [1, 3, 4])],
              [vi("y", [1, 3, 4])], [s])
    return _err(tmp, m, ["act", "slope 's'", "does not broadcast to the input"], "PRelu slope [2,3,4] on x [1,3,4]")


def pow_nan_constant(tmp):
    e = numpy_helper.from_array(np.array([1.0, np.nan, 2.0, 3.0], np.float32), "e")
    m = model([helper.make_node("Pow", ["x", "e"], ["y"], name="act")], [vi("x", [1, 4])], [vi("y", [1, 4])], [e])
    return _err(tmp, m, ["act", "'e'", "nan"], "Pow with a NaN in its constant exponent")


ERROR_CASES = [gelu_approximate_unknown, celu_alpha_zero, elu_alpha_inf, prelu_slope_wider_than_input,
               pow_nan_constant]
OK_CASES: list = []
LATE: list = []
