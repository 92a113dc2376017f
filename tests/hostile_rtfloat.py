"""Hostile float parameters arriving as graph inputs (gen/ops/quantize_rt.py, clip_rt.py, batchnorm_rt.py,
spectral.py, attention.py, identity.py): what the run-time forms cannot take is refused with one line
naming the node."""
from __future__ import annotations

from pathlib import Path

from onnx import TensorProto, helper

from hostile_cases import Case, _err, model, vi


def rtfloat_dropout_training_mode_input(tmp: Path) -> Case:
    n = helper.make_node("Dropout", ["x", "r", "t"], ["y"], name="drop")
    m = model([n], [vi("x", [2, 3]), vi("r", []), vi("t", [], TensorProto.BOOL)], [vi("y", [2, 3])], opset=13)
    return _err(tmp, m, ["'drop'", "training_mode 't' is not a constant", "at random"],
                "Dropout training_mode as a graph input (training drops at random)")


def rtfloat_quantize_block_shape(tmp: Path) -> Case:
    n = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"], name="q", axis=1, block_size=2)
    m = model([n], [vi("x", [2, 4]), vi("s", [2, 3]), vi("z", [2, 3], TensorProto.INT8)],
              [vi("y", [2, 4], TensorProto.INT8)], opset=21)
    return _err(tmp, m, ["'q'", "blocks of 2", "[2, 2]"], "QuantizeLinear run-time blocked scale of a wrong shape")


def rtfloat_clip_bound_not_scalar(tmp: Path) -> Case:
    n = helper.make_node("Clip", ["x", "lo"], ["y"], name="clip")
    m = model([n], [vi("x", [2, 3]), vi("lo", [3])], [vi("y", [2, 3])], opset=13)
    return _err(tmp, m, ["'clip'"], "Clip min of 3 values as a graph input")


def rtfloat_batchnorm_training_mode(tmp: Path) -> Case:
    n = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], name="bn",
                         training_mode=1)
    m = model([n], [vi("x", [1, 2, 3])] + [vi(k, [2]) for k in "sbmv"], [vi("y", [1, 2, 3])], opset=15)
    return _err(tmp, m, ["'bn'", "training mode"], "BatchNormalization in training mode, parameters as inputs")


def rtfloat_attention_nonpad_int32(tmp: Path) -> Case:
    n = helper.make_node("Attention", ["q", "k", "v", "", "", "", "np"], ["y"], name="att")
    m = model([n], [vi("q", [1, 1, 2, 4]), vi("k", [1, 1, 3, 4]), vi("v", [1, 1, 3, 4]),
                    vi("np", [2], TensorProto.INT64)], [vi("y", [1, 1, 2, 4])], opset=24)
    return _err(tmp, m, ["'att'", "nonpad_kv_seqlen 'np'", "int64 [1]"],
                "Attention nonpad_kv_seqlen of the wrong shape as a graph input")


ERROR_CASES = [rtfloat_dropout_training_mode_input, rtfloat_quantize_block_shape,
               rtfloat_clip_bound_not_scalar, rtfloat_batchnorm_training_mode, rtfloat_attention_nonpad_int32]
OK_CASES: list = []
LATE: set = set()
