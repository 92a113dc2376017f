"""Hostile shape-like parameters that arrive as graph inputs (gen/rtparams.py): where the static shapes
do not determine the value and no kernel reads it at run time, one line naming the node and the input
("make it an initializer"); never a guess."""
from __future__ import annotations

from pathlib import Path

from onnx import TensorProto, helper

from hostile_cases import Case, _err, model, vi

I64 = TensorProto.INT64


def _one(tmp, op, x_shape, p_name, p_shape, y_shape, needles, title, opset=18, **attrs):
    n = helper.make_node(op, ["x", p_name], ["y"], name="node", **attrs)
    m = model([n], [vi("x", x_shape), vi(p_name, p_shape, I64)], [vi("y", y_shape)], opset=opset)
    return _err(tmp, m, needles, title)


def runtime_param_reduce_axes_too_many(tmp: Path) -> Case:
    # three distinct axes of a rank-2 input cannot exist: no value is consistent with the shapes
    return _one(tmp, "ReduceSum", [2, 3], "axes", [3], [1, 1], ["'node'", "'axes'", "make it an initializer"],
                "ReduceSum axes as a graph input longer than the rank", keepdims=1)


def runtime_param_reduce_axes_computed(tmp: Path) -> Case:
    # axes computed at run time (Abs of a graph input), not a graph input: nothing checks them
    n = [helper.make_node("Abs", ["a"], ["axes"], name="abs"),
         helper.make_node("ReduceMax", ["x", "axes"], ["y"], name="node", keepdims=1)]
    m = model(n, [vi("x", [2, 3]), vi("a", [1], I64)], [vi("y", [2, 1])], opset=18)
    return _err(tmp, m, ["'node'", "'axes'", "make it an initializer"], "ReduceMax axes computed at run time")


def runtime_param_topk_k_two_values(tmp: Path) -> Case:
    n = helper.make_node("TopK", ["x", "k"], ["y", "i"], name="node")
    m = model([n], [vi("x", [2, 5]), vi("k", [2], I64)], [vi("y", [2, 3]), vi("i", [2, 3], I64)], opset=11)
    return _err(tmp, m, ["'node'", "'k'", "make it an initializer"], "TopK K as a graph input of two values")


def runtime_param_tile_repeats_wrong_length(tmp: Path) -> Case:
    return _one(tmp, "Tile", [2, 3], "reps", [3], [4, 3], ["'node'", "'reps'", "make it an initializer"],
                "Tile repeats as a graph input of another length than the rank", opset=13)


def runtime_param_cumsum_axis_two_values(tmp: Path) -> Case:
    return _one(tmp, "CumSum", [2, 3], "axis", [2], [2, 3], ["'node'", "'axis'", "make it an initializer"],
                "CumSum axis as a graph input of two values", opset=14)


ERROR_CASES = [runtime_param_reduce_axes_too_many, runtime_param_reduce_axes_computed, runtime_param_topk_k_two_values,
               runtime_param_tile_repeats_wrong_length, runtime_param_cumsum_axis_two_values]
OK_CASES: list = []
LATE: set = set()
