"""The recurrent transformer ops of opset 27 (float32, runtime_c/gen_attention.c): LinearAttention
(update_rule linear, gated, delta, gated_delta; grouped-query heads; a per-head or per-key decay, a
per-head or shared beta; past_state/present_state) and CausalConvWithState (a depthwise causal 1-D
convolution carrying its last kernel - 1 inputs; bias, activation silu/swish). Both compute as onnx's
reference does (onnx/reference/ops/op_linear_attention.py, op_causal_conv_with_state.py), one token
after the other. Their state inputs and outputs are how a streaming model carries them across calls
(docs/streaming.md): past_state a graph input, present_state a graph output. LinearAttention keeps one
head's state and the delta rule's retrieved value in the arena (the scratch hook).

int8: a QDQ graph around them computes in float between DequantizeLinear and QuantizeLinear.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_fields, register

RULES = {"linear": (0, 0), "gated": (1, 0), "delta": (0, 1), "gated_delta": (1, 1)}


def _err(node, msg):
    return GenError(msg, node.name, node.op)


def _input(node, k):
    return node.inputs[k] if len(node.inputs) > k and node.inputs[k] else None


def _output(node, k):
    return node.outputs[k] if len(node.outputs) > k and node.outputs[k] else None


def _shape(g, name):
    return tuple(int(d) for d in g.t(name).shape)


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


def _floats(node, g):
    for name in node.inputs:
        if name and g.t(name).dtype != "float32":
            raise _err(node, f"input '{name}' is {g.t(name).dtype}: {node.op} computes in float32")


@dataclass(frozen=True)
class LinearAttentionParams:
    batch: int
    len: int
    q_heads: int
    kv_heads: int
    dk: int
    dv: int
    gated: int
    delta: int
    decay_per_key: int
    beta_per_head: int
    scale: float


def linear_attention_params(node, g) -> LinearAttentionParams:
    _floats(node, g)
    rule = _s(node.attrs.get("update_rule", "gated_delta"))
    if rule not in RULES:
        raise _err(node, f"update_rule '{rule}' is not one of linear, gated, delta, gated_delta")
    gated, delta = RULES[rule]
    hq, hk = int(node.attrs.get("q_num_heads", 0)), int(node.attrs.get("kv_num_heads", 0))
    if hq < 1 or hk < 1 or hq % hk:
        raise _err(node, f"q_num_heads {hq} must be a positive multiple of kv_num_heads {hk}")
    qs, ks, vs = (_shape(g, node.inputs[k]) for k in range(3))
    if len(qs) != 3 or len(ks) != 3 or len(vs) != 3 or qs[-1] % hq or vs[-1] % hk:
        raise _err(node, f"query {list(qs)}, key {list(ks)}, value {list(vs)}: 3-D [B, T, heads * size] are required")
    b, t = qs[:2]
    dk, dv = qs[-1] // hq, vs[-1] // hk
    if ks != (b, t, hk * dk) or vs[:2] != (b, t):
        raise _err(node, f"key {list(ks)} / value {list(vs)} do not match query {list(qs)} with {hk} kv heads")
    past, decay, beta = _input(node, 3), _input(node, 4), _input(node, 5)
    if past is not None and _shape(g, past) != (b, hk, dk, dv):
        raise _err(node, f"past_state has shape {list(_shape(g, past))}, not {[b, hk, dk, dv]}")
    if (decay is not None) != bool(gated) or (beta is not None) != bool(delta):
        raise _err(node, f"update_rule '{rule}' takes {'a' if gated else 'no'} decay and {'a' if delta else 'no'} beta")
    per_key = per_head = 0
    if decay is not None:
        ds = _shape(g, decay)
        if ds not in ((b, t, hk), (b, t, hk * dk)):
            raise _err(node, f"decay has shape {list(ds)}, not [{b}, {t}, {hk}] or [{b}, {t}, {hk * dk}]")
        per_key = int(ds[-1] == hk * dk and hk * dk != hk)
    if beta is not None:
        bs = _shape(g, beta)
        if bs not in ((b, t, hk), (b, t, 1)):
            raise _err(node, f"beta has shape {list(bs)}, not [{b}, {t}, {hk}] or [{b}, {t}, 1]")
        per_head = int(bs[-1] == hk and hk != 1)
    scale = float(node.attrs.get("scale", 0.0)) or 1.0 / np.sqrt(dk)
    if not np.isfinite(scale):
        raise _err(node, f"scale {scale} is not finite")
    p = LinearAttentionParams(b, t, hq, hk, dk, dv, gated, delta, per_key, per_head, float(np.float32(scale)))
    return c_fields(p, node, "LinearAttention parameter")


@dataclass(frozen=True)
class CausalConvParams:
    batch: int
    channels: int
    len: int
    kernel: int
    silu: int


def causal_conv_params(node, g) -> CausalConvParams:
    _floats(node, g)
    xs, ws = _shape(g, node.inputs[0]), _shape(g, node.inputs[1])
    if len(xs) != 3 or len(ws) != 3 or ws[0] != xs[1] or ws[1] != 1:
        raise _err(node, f"input {list(xs)} / weight {list(ws)}: [B, C, L] and [C, 1, k] are required")
    b, c, n = xs
    k = ws[2]
    bias, past = _input(node, 2), _input(node, 3)
    if bias is not None and _shape(g, bias) != (c,):
        raise _err(node, f"bias has shape {list(_shape(g, bias))}, not [{c}]")
    if past is not None and _shape(g, past) != (b, c, k - 1):
        raise _err(node, f"past_state has shape {list(_shape(g, past))}, not [{b}, {c}, {k - 1}]")
    act = _s(node.attrs.get("activation", "none"))
    if act not in ("none", "silu", "swish"):
        raise _err(node, f"activation '{act}' is not one of none, silu, swish")
    return c_fields(CausalConvParams(b, c, n, k, int(act != "none")), node, "CausalConvWithState parameter")


@register
class LinearRecurrence(OpFamily):
    ops = ("LinearAttention", "CausalConvWithState")
    runtime = ("gen_attention.h", "gen_attention.c")

    def legalize(self, node, g):
        self.prepare(node, g)

    def prepare(self, node, g):
        return linear_attention_params(node, g) if node.op == "LinearAttention" else causal_conv_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def macs(self, node, g):
        p = self.params(node, g)
        if node.op == "LinearAttention":
            return p.batch * p.len * (p.kv_heads * p.dk * p.dv * (1 + p.delta + p.gated) + p.q_heads * p.dk * p.dv)
        return p.batch * p.channels * p.len * p.kernel

    def scratch(self, node, g):
        if node.op != "LinearAttention":
            return 0
        p = self.params(node, g)
        return 4 * (p.dk * p.dv + p.dv)

    def kernel(self, node, g):
        return "gen_linear_attention_f32" if node.op == "LinearAttention" else "gen_causal_conv_f32"

    def emit(self, node, g, ctx):
        p = self.params(node, g)

        def ptr(k):
            name = _input(node, k)
            return ctx.ptr(name) if name is not None else "NULL"

        def out(k):
            name = _output(node, k)
            return ctx.ptr(name) if name is not None else "NULL"
        if node.op == "CausalConvWithState":
            prm = ctx.params("gen_causal_conv_params", f"{p.batch}, {p.channels}, {p.len}, {p.kernel}, {p.silu}",
                             "causal_conv")
            return f"gen_causal_conv_f32({ptr(0)}, {ptr(1)}, {ptr(2)}, {ptr(3)}, {out(0)}, {out(1)}, {prm});"
        prm = ctx.params("gen_linear_attention_params",
                         f"{p.batch}, {p.len}, {p.q_heads}, {p.kv_heads}, {p.dk}, {p.dv}, {p.gated}, {p.delta}, "
                         f"{p.decay_per_key}, {p.beta_per_head}, {ctx.flt(p.scale)}", "linear_attention")
        args = [ptr(0), ptr(1), ptr(2), ptr(3), ptr(4), ptr(5), out(0), out(1), f"(float *){ctx.scratch(node)}", prm]
        return f"gen_linear_attention_f32({', '.join(args)});"
