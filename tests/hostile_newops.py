"""Hostile nodes of the ops added by gen/ops/generators.py, onehot.py, cumprod.py, integer_mm.py and
center_crop_pad.py: what gen cannot compute, or what the model states wrongly and shape inference lets
through, is refused with one line naming the node."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def range_length_unknown(tmp: Path) -> Case:
    # run-time bounds and an output declared without a length: gen cannot size the output
    n = helper.make_node("Range", ["s", "l", "d"], ["y"], name="rng")
    ins = [vi(k, [], TensorProto.INT32) for k in ("s", "l", "d")]
    return _err(tmp, model([n], ins, [vi("y", ["n"], TensorProto.INT32)], opset=13), ["'rng'", "static shape"],
                "Range of run-time bounds with no declared output length")


def onehot_values_not_a_pair(tmp: Path) -> Case:
    n = helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="oh")
    inits = [numpy_helper.from_array(np.array(4, np.int64), "d"),
             numpy_helper.from_array(np.array([0, 1, 2], np.float32), "v")]
    return _err(tmp, model([n], [vi("i", [3], TensorProto.INT64)], [vi("y", [3, 4])], inits, opset=11),
                ["oh", "two elements"], "OneHot values of 3 elements")


def matmulinteger_broadcast_batch(tmp: Path) -> Case:
    n = helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mmi")
    ins = [vi("a", [2, 3, 4], TensorProto.UINT8), vi("b", [1, 4, 5], TensorProto.UINT8)]
    return _err(tmp, model([n], ins, [vi("y", [2, 3, 5], TensorProto.INT32)], opset=10), ["'mmi'", "batch dims"],
                "MatMulInteger with a broadcast batch of B")


def matmulinteger_accumulator_overflow(tmp: Path) -> Case:
    n = helper.make_node("MatMulInteger", ["a", "b"], ["y"], name="mmi")
    inits = [numpy_helper.from_array(np.full((40000, 1), 255, np.uint8), "b")]
    return _err(tmp, model([n], [vi("a", [1, 40000], TensorProto.UINT8)], [vi("y", [1, 1], TensorProto.INT32)],
                           inits, opset=10), ["'mmi'", "int32 accumulator"],
                "MatMulInteger with 40,000 products per output (int32 overflow)")


def convinteger_3d(tmp: Path) -> Case:
    n = helper.make_node("ConvInteger", ["x", "w"], ["y"], name="ci", kernel_shape=[1, 1, 1])
    inits = [numpy_helper.from_array(np.ones((2, 1, 1, 1, 1), np.uint8), "w")]
    return _err(tmp, model([n], [vi("x", [1, 1, 2, 2, 2], TensorProto.UINT8)],
                           [vi("y", [1, 2, 2, 2, 2], TensorProto.INT32)], inits, opset=10),
                ["'ci'", "1-D or 2-D"], "3-D ConvInteger")


def cumprod_rank7(tmp: Path) -> Case:
    n = helper.make_node("CumProd", ["x", "a"], ["y"], name="cp")
    inits = [numpy_helper.from_array(np.array(0, np.int64), "a")]
    return _err(tmp, model([n], [vi("x", [1] * 7)], [vi("y", [1] * 7)], inits, opset=26), ["'cp'", "ranks 1 to 6"],
                "CumProd of rank 7")


def constant_sparse(tmp: Path) -> Case:
    sp = helper.make_sparse_tensor(numpy_helper.from_array(np.array([1.0], np.float32), "v"),
                                   numpy_helper.from_array(np.array([1], np.int64), "i"), [3])
    n = helper.make_node("Constant", [], ["c"], name="cst", sparse_value=sp)
    add = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    return _err(tmp, model([n, add], [vi("x", [3])], [vi("c", [3]), vi("y", [3])], opset=13), ["'cst'", "sparse"],
                "a sparse Constant as a graph output")


ERROR_CASES = [range_length_unknown, onehot_values_not_a_pair, matmulinteger_broadcast_batch,
               matmulinteger_accumulator_overflow, convinteger_3d,
               cumprod_rank7, constant_sparse]
OK_CASES: list = []
LATE: set = set()
