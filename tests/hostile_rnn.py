"""Hostile LSTM/GRU/RNN nodes (gen/ops/rnn.py): what gen cannot compute, or what the model states
wrongly and shape inference lets through, is refused with one line naming the node."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, model, vi

T, N, I, H = 3, 1, 2, 4


def _lstm(tmp: Path, needles, title, *, op="LSTM", attrs=None, w_shape=None, seq_input=False, seq=None,
          opset=14, out_h=H) -> Case:
    g = {"LSTM": 4, "GRU": 3, "RNN": 1}[op]
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.normal(size=w_shape or (1, g * H, I)).astype(np.float32), "W"),
             numpy_helper.from_array(rng.normal(size=(1, g * H, H)).astype(np.float32), "R")]
    inputs = [vi("x", [T, N, I])]
    ins = ["x", "W", "R", ""]
    if seq_input:
        inputs.append(vi("lens", [N], TensorProto.INT32))
        ins.append("lens")
    elif seq is not None:
        inits.append(numpy_helper.from_array(np.asarray(seq, np.int32), "lens"))
        ins.append("lens")
    n = helper.make_node(op, ins, ["", "y_h"], name="rec", **{"hidden_size": H, **(attrs or {})})
    return _err(tmp, model([n], inputs, [vi("y_h", [1, N, out_h])], inits, opset=opset), needles, title)


def rnn_sequence_lens_input(tmp: Path) -> Case:
    # refused by the frontend's input dtypes today (int32), by the LSTM ("make it an initializer") once
    # int32 graph inputs are taken: the needle holds for both
    return _lstm(tmp, ["'lens'"], "LSTM sequence_lens as a graph input (run-time lengths)", seq_input=True)


def rnn_sequence_lens_range(tmp: Path) -> Case:
    return _lstm(tmp, ["'rec'", "sequence_lens [0]", "[1, 3]"], "LSTM sequence_lens of 0", seq=[0])


def rnn_thresholded_relu_no_alpha(tmp: Path) -> Case:
    return _lstm(tmp, ["'rec'", "ThresholdedRelu", "activation_alpha", "differ"],
                 "RNN activation ThresholdedRelu without its alpha (onnxruntime and the spec differ)",
                 op="RNN", attrs=dict(activations=["ThresholdedRelu"]))


def rnn_unknown_activation(tmp: Path) -> Case:
    return _lstm(tmp, ["'rec'", "activation 'Gelu'"], "GRU activation Gelu (not in the spec's list)",
                 op="GRU", attrs=dict(activations=["Sigmoid", "Gelu"]))


def rnn_activation_count(tmp: Path) -> Case:
    return _lstm(tmp, ["'rec'", "activations lists 2 functions", "takes 3"], "LSTM with 2 activations",
                 attrs=dict(activations=["Sigmoid", "Tanh"]))


def rnn_weight_shape(tmp: Path) -> Case:
    return _lstm(tmp, ["'rec'", "W has shape [1, 16, 3]", "[1, 16, 2]"],
                 "LSTM W whose input size is not X's", w_shape=(1, 4 * H, I + 1))


def rnn_hidden_size_mismatch(tmp: Path) -> Case:
    return _lstm(tmp, ["'rec'", "hidden_size 5", "R's shape"], "GRU hidden_size unlike R's shape",
                 op="GRU", attrs=dict(hidden_size=5), out_h=5)


def rnn_bad_clip(tmp: Path) -> Case:
    return _lstm(tmp, ["'rec'", "clip", "positive finite"], "LSTM clip = -1", attrs=dict(clip=-1.0))


ERROR_CASES = [rnn_sequence_lens_input, rnn_sequence_lens_range, rnn_thresholded_relu_no_alpha,
               rnn_unknown_activation, rnn_activation_count, rnn_weight_shape, rnn_hidden_size_mismatch,
               rnn_bad_clip]
OK_CASES: list = []
LATE: set = set()
