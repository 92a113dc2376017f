"""LSTM, GRU and RNN (ONNX opset 7-21, float32; as onnxruntime computes them): one layer, direction
forward, reverse or bidirectional, outputs Y, Y_h, Y_c in any subset, optional B, initial_h,
initial_c, P (peepholes), a constant sequence_lens, activations with activation_alpha/beta, clip,
input_forget, layout (batch first, opset 14) and GRU's linear_before_reset.

The C kernels (runtime_c/gen_rnn.c) read W, R, B and P in ONNX's layout, so weights are const
arrays (flash) when they are initializers and arena tensors when they arrive as graph inputs;
initial_h/initial_c as graph inputs and Y_h/Y_c as graph outputs are how streaming models carry
their state across calls (docs/streaming.md). The state and the gates of one step live in the
arena (the scratch hook). MACs: the matrix products, W x and R h at every step of every sequence
(sequence_lens counted), plus the LSTM peepholes.

Activation parameters are consumed as onnxruntime does (rnn_helpers.cc): activation_alpha and
activation_beta are read in order by the activations that take them (Affine, LeakyRelu,
ThresholdedRelu, ScaledTanh, HardSigmoid, Elu); a missing LeakyRelu, HardSigmoid or Elu value has
its ONNX operator's default. Affine, ThresholdedRelu and ScaledTanh without their values are refused:
onnxruntime uses 0 where the spec says "the default of the corresponding ONNX operator" (1 for
ThresholdedRelu and Affine's alpha). A bidirectional node lists the activations of both directions
(forward first), as the spec and onnxruntime require.

int8: a QDQ LSTM/GRU/RNN (DequantizeLinear on the weights and activations around the float op)
computes in float between dequantize and quantize (qpasses.float_fallback, which notes it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_fields, register

RUNTIME = ("gen_rnn.h", "gen_rnn.c")
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
DEFAULT_ACTS = {"LSTM": ("Sigmoid", "Tanh", "Tanh"), "GRU": ("Sigmoid", "Tanh"), "RNN": ("Tanh",)}
KERNELS = {"LSTM": "gen_rnn_lstm_f32", "GRU": "gen_rnn_gru_f32", "RNN": "gen_rnn_rnn_f32"}
# name (lower case) -> (C enum, takes alpha, takes beta, default alpha, default beta); None: no default
ACTIVATIONS = {
    "relu": ("GEN_RNN_RELU", False, False, 0.0, 0.0),
    "tanh": ("GEN_RNN_TANH", False, False, 0.0, 0.0),
    "sigmoid": ("GEN_RNN_SIGMOID", False, False, 0.0, 0.0),
    "affine": ("GEN_RNN_AFFINE", True, True, None, None),
    "leakyrelu": ("GEN_RNN_LEAKY_RELU", True, False, 0.01, 0.0),
    "thresholdedrelu": ("GEN_RNN_THRESHOLDED_RELU", True, False, None, 0.0),
    "scaledtanh": ("GEN_RNN_SCALED_TANH", True, True, None, None),
    "hardsigmoid": ("GEN_RNN_HARD_SIGMOID", True, True, 0.2, 0.5),
    "elu": ("GEN_RNN_ELU", True, False, 1.0, 0.0),
    "softsign": ("GEN_RNN_SOFTSIGN", False, False, 0.0, 0.0),
    "softplus": ("GEN_RNN_SOFTPLUS", False, False, 0.0, 0.0),
}
# input positions
X, W, R, B, SEQ, H0, C0, P = range(8)


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _input(node, k):
    return node.inputs[k] if len(node.inputs) > k and node.inputs[k] else None


def _output(node, k):
    return node.outputs[k] if len(node.outputs) > k and node.outputs[k] else None


@dataclass(frozen=True)
class RnnParams:
    cell: str
    seq: int
    batch: int
    input_size: int
    hidden: int
    dirs: int
    reverse: int
    batch_first: int
    has_clip: int
    clip: float
    input_forget: int
    linear_before_reset: int
    acts: tuple                  # ((C enum, alpha, beta), ...) per direction, acts-per-direction each
    seq_lens: np.ndarray         # int32 [batch]; empty: every sequence is `seq` long


def _err(node, msg):
    return GenError(msg, node.name, node.op)


def _shape(g, name):
    return tuple(int(d) for d in g.t(name).shape)


def _check_shapes(node, g):
    """The shapes the kernel relies on (ONNX's shape inference checks few of them); returns
    (seq, batch, input_size, hidden, dirs, batch_first)."""
    op = node.op
    if node.attrs.get("output_sequence") is not None:
        raise _err(node, "attribute output_sequence (opset 1) is not supported")
    direction = _s(node.attrs.get("direction", "forward"))
    if direction not in ("forward", "reverse", "bidirectional"):
        raise _err(node, f"direction '{direction}' is not one of forward, reverse, bidirectional")
    dirs = 2 if direction == "bidirectional" else 1
    batch_first = int(node.attrs.get("layout", 0))
    if batch_first not in (0, 1):
        raise _err(node, f"layout {batch_first} is not 0 or 1")
    if _input(node, W) is None or _input(node, R) is None:
        raise _err(node, "inputs W and R are required")
    xs, ws, rs = _shape(g, node.inputs[X]), _shape(g, node.inputs[W]), _shape(g, node.inputs[R])
    if len(xs) != 3:
        raise _err(node, f"X has shape {list(xs)}: a 3-D input is required")
    seq, batch = (xs[1], xs[0]) if batch_first else (xs[0], xs[1])
    size = xs[2]
    gates = GATES[op]
    if len(rs) != 3 or rs[0] != dirs or rs[1] % gates or rs[1] // gates != rs[2]:
        raise _err(node, f"R has shape {list(rs)}, not [{dirs}, {gates} * hidden_size, hidden_size]")
    hidden = rs[2]
    hs = node.attrs.get("hidden_size")
    if hs is not None and int(hs) != hidden:
        raise _err(node, f"hidden_size {int(hs)} differs from R's shape {list(rs)}")
    if ws != (dirs, gates * hidden, size):
        raise _err(node, f"W has shape {list(ws)}, not [{dirs}, {gates * hidden}, {size}]")
    want = {B: (dirs, 2 * gates * hidden), SEQ: (batch,), P: (dirs, 3 * hidden)}
    state = (batch, dirs, hidden) if batch_first else (dirs, batch, hidden)
    want[H0] = want[C0] = state
    names = {B: "B", SEQ: "sequence_lens", H0: "initial_h", C0: "initial_c", P: "P"}
    for k in (B, SEQ, H0, C0, P):
        name = _input(node, k)
        if name is None:
            continue
        if k in (C0, P) and op != "LSTM":
            raise _err(node, f"{op} has no input {names[k]}")
        if _shape(g, name) != want[k]:
            raise _err(node, f"{names[k]} '{name}' has shape {list(_shape(g, name))}, not {list(want[k])}")
    return seq, batch, size, hidden, dirs, batch_first


def _activations(node, dirs):
    op = node.op
    per = len(DEFAULT_ACTS[op])
    names = [_s(a) for a in node.attrs.get("activations") or DEFAULT_ACTS[op] * dirs]
    if len(names) != per * dirs:
        raise _err(node, f"activations lists {len(names)} functions; a {'bidirectional ' * (dirs == 2)}{op} "
                   f"takes {per * dirs} ({per} per direction)")
    alphas = [float(a) for a in node.attrs.get("activation_alpha") or []]
    betas = [float(b) for b in node.attrs.get("activation_beta") or []]
    out = []
    for name in names:
        key = name.lower()
        if key not in ACTIVATIONS:
            raise _err(node, f"activation '{name}' is not supported (the spec's are Relu, Tanh, Sigmoid, Affine, "
                       "LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, Softsign, Softplus)")
        enum, takes_a, takes_b, da, db = ACTIVATIONS[key]
        vals = []
        for takes, pool, default, what in ((takes_a, alphas, da, "alpha"), (takes_b, betas, db, "beta")):
            if not takes:
                vals.append(0.0)
            elif pool:
                vals.append(pool.pop(0))
            elif default is None:
                raise _err(node, f"activation {name} needs its {what} in activation_{what}: onnxruntime's "
                           "default (0) and the ONNX operator's differ")
            else:
                vals.append(default)
        if not all(np.isfinite(vals)):
            raise _err(node, f"activation {name} has a non-finite alpha or beta")
        out.append((enum, float(np.float32(vals[0])), float(np.float32(vals[1]))))
    return tuple(out)


def rnn_params(node, g) -> RnnParams:
    seq, batch, size, hidden, dirs, batch_first = _check_shapes(node, g)
    for k in [X, W, R, B, H0, C0, P]:
        name = _input(node, k)
        if name is not None and g.t(name).dtype != "float32":
            raise _err(node, f"input '{name}' is {g.t(name).dtype}: {node.op} computes in float32")
    lens = np.zeros(0, np.int32)
    name = _input(node, SEQ)
    if name is not None:
        t = g.t(name)
        if not t.is_const:
            raise _err(node, f"sequence_lens '{name}' is a graph input: gen needs it constant (make it an "
                       "initializer)")
        v = np.asarray(t.data).astype(np.int64).reshape(-1)
        if v.size and (v.min() < 1 or v.max() > seq):
            raise _err(node, f"sequence_lens {v.tolist()} must lie in [1, {seq}] (the sequence length)")
        if not np.all(v == seq):
            lens = v.astype(np.int32)
    clip = node.attrs.get("clip")
    if clip is not None and not (np.isfinite(clip) and clip > 0):
        raise _err(node, f"clip {clip} must be a positive finite number")
    input_forget = int(node.attrs.get("input_forget", 0))
    lbr = int(node.attrs.get("linear_before_reset", 0))
    if input_forget not in (0, 1) or lbr not in (0, 1):
        raise _err(node, "input_forget and linear_before_reset must be 0 or 1")
    p = RnnParams(node.op, seq, batch, size, hidden, dirs,
                  int(_s(node.attrs.get("direction", "forward")) == "reverse"), batch_first,
                  int(clip is not None), float(np.float32(clip)) if clip is not None else 0.0,
                  input_forget, lbr, _activations(node, dirs), lens)
    return c_fields(p, node, f"{node.op} parameter")


def _scratch_floats(p: RnnParams) -> int:
    """h, c and the gates of one step (GRU: and two more hidden vectors), in floats."""
    return (2 + GATES[p.cell] + (2 if p.cell == "GRU" else 0)) * p.hidden


@register
class Rnn(OpFamily):
    ops = ("LSTM", "GRU", "RNN")
    plain_integers = True      # sequence_lens is int32; the check refuses every other non-float input
    runtime = RUNTIME

    def legalize(self, node, g):
        _check_shapes(node, g)

    def prepare(self, node, g):
        return rnn_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def macs(self, node, g):
        p = self.params(node, g)
        steps = int(p.seq_lens.sum()) if p.seq_lens.size else p.seq * p.batch
        per_step = GATES[p.cell] * p.hidden * (p.input_size + p.hidden)
        if _input(node, P) is not None:
            per_step += 3 * p.hidden
        return p.dirs * steps * per_step

    def scratch(self, node, g):
        return 4 * _scratch_floats(self.params(node, g))

    def kernel(self, node, g):
        return KERNELS[node.op]

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        acts = list(p.acts) + [("GEN_RNN_RELU", 0.0, 0.0)] * (6 - len(p.acts))
        act_init = ", ".join(f"{{{e}, {ctx.flt(a)}, {ctx.flt(b)}}}" for e, a, b in acts)
        prm = ctx.params("gen_rnn_params",
                         f".seq_length = {p.seq}, .batch = {p.batch}, .input_size = {p.input_size}, "
                         f".hidden = {p.hidden}, .num_directions = {p.dirs}, .reverse = {p.reverse}, "
                         f".batch_first = {p.batch_first}, .has_clip = {p.has_clip}, .clip = {ctx.flt(p.clip)}, "
                         f".input_forget = {p.input_forget}, .linear_before_reset = {p.linear_before_reset}, "
                         f".act = {{{act_init}}}", node.op.lower())

        def ptr(k):
            name = _input(node, k)
            return ctx.ptr(name) if name is not None else "NULL"

        def out(k):
            name = _output(node, k)
            return ctx.ptr(name) if name is not None else "NULL"
        lens = ctx.array(p.seq_lens, "seq_lens") if p.seq_lens.size else "NULL"
        scratch = f"(float *){ctx.scratch(node)}"
        args = [ptr(X), ptr(W), ptr(R), ptr(B), lens, ptr(H0)]
        if node.op == "LSTM":
            args += [ptr(C0), ptr(P), out(0), out(1), out(2)]
        else:
            args += [out(0), out(1)]
        return f"{KERNELS[node.op]}({', '.join(args + [scratch, prm])});"
