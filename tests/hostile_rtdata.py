"""Hostile data-dependent parameters read at run time (gen/ops/gather.py, gen/ops/strided.py): what the
static shapes already show the run-time kernels cannot take is refused with one line naming the node."""
from __future__ import annotations

from pathlib import Path

from onnx import TensorProto, helper

from hostile_cases import Case, _err, model, vi


def compress_runtime_condition_too_long(tmp: Path) -> Case:
    n = helper.make_node("Compress", ["x", "c"], ["y"], name="comp", axis=1)
    m = model([n], [vi("x", [2, 3]), vi("c", [5], TensorProto.BOOL)], [vi("y", [2, 2])])
    return _err(tmp, m, ["'comp'", "condition of shape [5]", "axis of 3"],
                "Compress: a run-time condition longer than its axis")


def reversesequence_runtime_lens_time_axis_2(tmp: Path) -> Case:
    n = helper.make_node("ReverseSequence", ["x", "n"], ["y"], name="rev", time_axis=2, batch_axis=0)
    m = model([n], [vi("x", [2, 3, 4]), vi("n", [2], TensorProto.INT64)], [vi("y", [2, 3, 4])])
    return _err(tmp, m, ["'rev'", "time_axis 2"], "ReverseSequence: run-time lengths on a time axis other than 0/1")


def pad_runtime_pads_wrong_count(tmp: Path) -> Case:
    n = helper.make_node("Pad", ["x", "p"], ["y"], name="pad")
    m = model([n], [vi("x", [2, 3]), vi("p", [3], TensorProto.INT64)], [vi("y", [4, 5])])
    return _err(tmp, m, ["'pad'", "3 pads for 2 axes"], "Pad: a run-time pads input of the wrong length")


ERROR_CASES = [compress_runtime_condition_too_long, reversesequence_runtime_lens_time_axis_2,
               pad_runtime_pads_wrong_count]
OK_CASES: list = []
LATE: set = set()
