"""Hostile plain-integer nodes (gen/ops/int_binary.py, unary.py, activation.py, pool.py through
gen/qpasses.plain_ints_as_float): what gen cannot compute exactly on plain integers is refused with one
line naming the node, never rounded."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def uint_clip_int32_plain(tmp: Path) -> Case:
    n = helper.make_node("Clip", ["x", "lo"], ["y"], name="clamp")
    m = model([n], [vi("x", [4], TensorProto.INT32)], [vi("y", [4], TensorProto.INT32)],
              [numpy_helper.from_array(np.asarray(2, np.int32), "lo")], opset=13)
    return _err(tmp, m, ["'clamp'", "Clip on plain int32", "int8, uint8, int16, uint16"],
                "Clip on plain int32 (float32 would round it)")


def uint_abs_int64_plain(tmp: Path) -> Case:
    n = helper.make_node("Abs", ["x"], ["y"], name="ab")
    m = model([n], [vi("x", [4], TensorProto.INT64)], [vi("y", [4], TensorProto.INT64)], opset=13)
    return _err(tmp, m, ["'ab'", "Abs on plain int64"], "Abs on plain int64 (float32 would round it)")


def uint_pow_mixed_integer_types(tmp: Path) -> Case:
    n = helper.make_node("Pow", ["x", "e"], ["y"], name="pw")
    m = model([n], [vi("x", [4], TensorProto.INT32), vi("e", [4], TensorProto.INT64)],
              [vi("y", [4], TensorProto.INT32)], opset=15)
    return _err(tmp, m, ["'pw'", "Pow of a plain int32 base to a int64 exponent"],
                "Pow of an int32 base to an int64 exponent")


def uint_bitshift_signed_before_28(tmp: Path) -> Case:
    n = helper.make_node("BitShift", ["x", "s"], ["y"], name="sh", direction="LEFT")
    m = model([n], [vi("x", [4], TensorProto.INT16), vi("s", [4], TensorProto.INT16)],
              [vi("y", [4], TensorProto.INT16)], opset=21)
    return _err(tmp, m, ["BitShift", "int16"], "BitShift on int16 at opset 21 (signed types are new at 28)")


ERROR_CASES = [uint_clip_int32_plain, uint_abs_int64_plain, uint_pow_mixed_integer_types,
               uint_bitshift_signed_before_28]
OK_CASES: list = []
LATE: set = set()
