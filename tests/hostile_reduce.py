"""Hostile inputs of the reductions, arg-reductions, TopK, CumSum and normalizations (gen/ops/reduce.py,
argmax.py, norm.py): a run-time parameter where gen needs a constant, values out of range, a norm gen does
not compute. Each is refused with one line naming the op and the node."""
from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import _err, model, vi


def _c(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


# a parameter that arrives as a graph input is derived from the shapes or read at run time
# (gen/rtparams.py, tests/test_runtime_params.py); one computed at run time from a graph input is refused

def _abs(src, dst):
    return helper.make_node("Abs", [src], [dst], name=f"abs_{dst}")


def reduce_axes_runtime(tmp):
    m = model([_abs("a", "axes"), helper.make_node("ReduceSum", ["x", "axes"], ["y"], name="rsum", keepdims=1)],
              [vi("x", [2, 3]), vi("a", [1], TensorProto.INT64)], [vi("y", [2, 1])])
    return _err(tmp, m, ["ReduceSum", "'rsum'", "axes", "make it an initializer"],
                "ReduceSum axes computed at run time")


def topk_k_runtime(tmp):
    m = model([_abs("a", "k"), helper.make_node("TopK", ["x", "k"], ["v", "i"], name="top")],
              [vi("x", [2, 3]), vi("a", [1], TensorProto.INT64)],
              [vi("v", [2, 2]), vi("i", [2, 2], TensorProto.INT64)])
    return _err(tmp, m, ["TopK", "'top'", "K", "make it an initializer"], "TopK's K computed at run time")


def cumsum_axis_runtime(tmp):
    m = model([_abs("a", "ax"), helper.make_node("CumSum", ["x", "ax"], ["y"], name="cs")],
              [vi("x", [2, 3]), vi("a", [], TensorProto.INT64)], [vi("y", [2, 3])])
    return _err(tmp, m, ["CumSum", "'cs'", "axis", "make it an initializer"], "CumSum axis computed at run time")


def lpnorm_p3(tmp):
    m = model([helper.make_node("LpNormalization", ["x"], ["y"], name="lp", p=3)], [vi("x", [2, 3])], [vi("y", [2, 3])])
    return _err(tmp, m, ["LpNormalization", "'lp'", "p = 3"], "LpNormalization with p = 3")


def instancenorm_scale_size(tmp):
    m = model([helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], name="inorm")],
              [vi("x", [1, 3, 4])], [vi("y", [1, 3, 4])],
              [_c("s", np.ones(2, np.float32)), _c("b", np.ones(2, np.float32))])
    return _err(tmp, m, ["InstanceNormalization", "'inorm'", "C = 3"],
                "InstanceNormalization scale of 2 for 3 channels")


ERROR_CASES = [reduce_axes_runtime, topk_k_runtime, cumsum_axis_runtime, lpnorm_p3, instancenorm_scale_size]
