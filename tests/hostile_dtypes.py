"""Hostile dtype inputs: what the dtype families (gen/ops/cast.py, compare.py, int_binary.py) refuse, one
line naming the op, the node and the reason."""
from __future__ import annotations

import numpy as np
from hostile_cases import _err, model, vi
from onnx import TensorProto, helper, numpy_helper


def float_mod_fmod0(tmp):
    m = model([helper.make_node("Mod", ["a", "b"], ["y"], name="mod0")], [vi("a", [4]), vi("b", [4])],
              [vi("y", [4])], opset=13)
    return _err(tmp, m, ["Mod", "mod0", "fmod=1"], "float Mod with fmod=0 (the spec needs fmod=1)")


def cast_to_string(tmp):
    m = model([helper.make_node("Cast", ["x"], ["y"], name="cast0", to=TensorProto.STRING)], [vi("x", [4])],
              [vi("y", [4], TensorProto.STRING)], opset=13)
    return _err(tmp, m, ["'y'", "string"], "Cast to string")


def cast_to_float8(tmp):
    # float64 and bfloat16 are float32 inside the graph: float8 is not supported
    m = model([helper.make_node("Cast", ["x"], ["d"], name="cast0", to=TensorProto.FLOAT8E5M2),
               helper.make_node("Cast", ["d"], ["y"], name="cast1", to=TensorProto.FLOAT)], [vi("x", [4])],
              [vi("y", [4])], opset=19)
    return _err(tmp, m, ["'d'", "float8_e5m2"], "Cast through float8")


def bitshift_int32(tmp):
    s = numpy_helper.from_array(np.array([1], np.int32), "s")
    m = model([helper.make_node("BitShift", ["x", "s"], ["y"], name="shift0", direction="LEFT")],
              [vi("x", [4], TensorProto.INT32)], [vi("y", [4], TensorProto.INT32)], [s], opset=13)
    return _err(tmp, m, ["shift0"], "BitShift of int32 (ONNX: unsigned only)")


def sum_of_int32(tmp):
    m = model([helper.make_node("Sum", ["a", "b"], ["y"], name="sum0")],
              [vi("a", [4], TensorProto.INT32), vi("b", [4], TensorProto.INT32)], [vi("y", [4], TensorProto.INT32)],
              opset=13)
    return _err(tmp, m, ["sum0"], "Sum of int32 (ONNX: float only)")


ERROR_CASES = [float_mod_fmod0, cast_to_string, cast_to_float8, bitshift_int32, sum_of_int32]
