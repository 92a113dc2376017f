"""Hostile inputs for int8 tensors without quantization and int8 ops gen cannot run on a rank."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def plain_int8_add(tmp: Path) -> Case:
    """int8 in, int8 out, no Q/DQ: Relu has no kernel for plain integers (Add has one now: gen_int_binary,
    so this case, named for the Add it had, refuses a Relu)."""
    m = model([helper.make_node("Relu", ["x"], ["y"], name="add_relu")], [vi("x", [1, 4], TensorProto.INT8)],
              [vi("y", [1, 4], TensorProto.INT8)], opset=14)
    return _err(tmp, m, ["add_relu", "Relu on plain int8 (input 0 'x')", "--list-ops"],
                "int8 Relu without quantization parameters (no QDQ)")


def plain_int8_maxpool_after_reshape(tmp: Path) -> Case:
    """A byte move is fine on plain int8, the Relu after it is not (MaxPool has a plain-integer form now:
    exact in float32, gen/qpasses.plain_ints_as_float, so this case, named for the MaxPool it had,
    refuses a Relu)."""
    shape = numpy_helper.from_array(np.array([1, 2, 8], np.int64), "shape")
    m = model([helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
               helper.make_node("Relu", ["r"], ["y"], name="relu_after")],
              [vi("x", [1, 16], TensorProto.INT8)], [vi("y", [1, 2, 8], TensorProto.INT8)], [shape], opset=14)
    return _err(tmp, m, ["relu_after", "Relu on plain int8 (input 0 'r')"],
                "int8 Relu after a Reshape without quantization parameters (no QDQ)")


def int8_maxpool_3d(tmp: Path) -> Case:
    """A QDQ MaxPool over a 6-D tensor (4-D pooling): no int8 kernel, no float kernel either (gen pools
    1-D to 3-D)."""
    inits = [numpy_helper.from_array(np.float32(0.05), "s"), numpy_helper.from_array(np.int8(0), "z")]
    m = model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["xq"], name="q"),
               helper.make_node("DequantizeLinear", ["xq", "s", "z"], ["xd"], name="dq"),
               helper.make_node("MaxPool", ["xd"], ["p"], name="pool3d", kernel_shape=[2, 2, 2, 2]),
               helper.make_node("QuantizeLinear", ["p", "s", "z"], ["pq"], name="q2"),
               helper.make_node("DequantizeLinear", ["pq", "s", "z"], ["y"], name="dq2")],
              [vi("x", [1, 2, 4, 4, 4, 4])], [vi("y", [1, 2, 3, 3, 3, 3])], inits)
    return _err(tmp, m, ["pool3d", "not supported"], "int8 MaxPool over a 6-D tensor (4-D pooling)")


ERROR_CASES = [plain_int8_add, plain_int8_maxpool_after_reshape, int8_maxpool_3d]
