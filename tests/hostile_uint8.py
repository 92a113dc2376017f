"""Hostile uint8-quantized models (gen/qpasses.py uint8_to_int8): a uint8 tensor between QuantizeLinear and
DequantizeLinear that an op computes on as integers is refused with one line naming the node."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def _q(s=0.05, z=128):
    return [numpy_helper.from_array(np.float32(s), "s"), numpy_helper.from_array(np.uint8(z), "z")]


def uint8_quantized_cast(tmp: Path) -> Case:
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant"),
             helper.make_node("Cast", ["q"], ["y"], name="tofloat", to=TensorProto.FLOAT)]
    return _err(tmp, model(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])], _q(), opset=13),
                ["'tofloat'", "uint8-quantized tensor 'q'", "byte moves"], "uint8 quantized tensor read by Cast")


def uint8_quantized_add(tmp: Path) -> Case:
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant"),
             helper.make_node("Add", ["q", "q"], ["a"], name="rawadd"),
             helper.make_node("DequantizeLinear", ["a", "s", "z"], ["y"], name="deq")]
    return _err(tmp, model(nodes, [vi("x", [1, 4])], [vi("y", [1, 4])], _q(), opset=14),
                ["'rawadd'", "uint8-quantized tensor", "computes on its integers"],
                "uint8 Add on the quantized integers themselves")


ERROR_CASES = [uint8_quantized_cast, uint8_quantized_add]
OK_CASES: list = []
LATE: set = set()
