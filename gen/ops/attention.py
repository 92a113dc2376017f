"""The transformer ops (float32, runtime_c/gen_attention.c): Attention (opset 23-25: 3-D or 4-D Q/K/V,
q_num_heads/kv_num_heads with grouped-query and multi-query heads, scale, is_causal, a float or bool
attn_mask broadcast to [batch, heads, q, keys] and shorter than the keys, softcap, every
qk_matmul_output_mode, past_key/past_value with present_key/present_value, a constant
nonpad_kv_seqlen, opset 25's left/right_window_size), RMSNormalization (opset 23), RotaryEmbedding
(opset 23: interleaved, rotary_embedding_dim, a constant position_ids or per-token caches) and SwiGLU
(opset 28).

Attention computes as onnx's reference does (onnx/reference/ops/op_attention.py, which writes the
node cases): Q and K each scaled by sqrt(scale), the causal frontier bottom-right aligned (a key j is
seen by query i iff j <= i + offset, offset the past length or nonpad_kv_seqlen - q_len), a fully
masked query row gives zeros. qk_matmul_output_mode as the schema says (0: the raw scores, 1: after the
softcap, 2: plus the bias, 3: the softmax), as onnxruntime computes it; onnx's reference writes the
softcapped scores in mode 0 too (no node case has that combination). The scores of one query row
live in the arena (the scratch hook).

int8: a QDQ graph around them computes in float between DequantizeLinear and QuantizeLinear
(qpasses.float_fallback, which notes it).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError, counted
from . import OpFamily, c_fields, register

RUNTIME = ("gen_attention.h", "gen_attention.c")
RT_RUNTIME = ("gen_rtfloat.h", "gen_rtfloat.c")     # parameters read at run time
Q, K, V, MASK, PAST_K, PAST_V, NONPAD = range(7)


def _err(node, msg):
    return GenError(msg, node.name, node.op)


def _input(node, k):
    return node.inputs[k] if len(node.inputs) > k and node.inputs[k] else None


def _output(node, k):
    return node.outputs[k] if len(node.outputs) > k and node.outputs[k] else None


def _shape(g, name):
    return tuple(int(d) for d in g.t(name).shape)


def _float_inputs(node, g, ks):
    for k in ks:
        name = _input(node, k)
        if name is not None and g.t(name).dtype != "float32":
            raise _err(node, f"input '{name}' is {g.t(name).dtype}: {node.op} computes in float32")


@dataclass(frozen=True)
class AttentionParams:
    batch: int
    q_heads: int
    kv_heads: int
    q_len: int
    kv_len: int
    past_len: int
    head_size: int
    v_head_size: int
    q_s: tuple
    k_s: tuple
    v_s: tuple
    y_s: tuple
    has_mask: int
    mask_bool: int
    mask_len: int
    mask_s: tuple
    is_causal: int
    left_window: int
    right_window: int
    qk_mode: int
    scale: float
    softcap: float
    nonpad: np.ndarray          # int32 [batch]; empty: none (or read at run time)
    nonpad_rt: int = 0          # 1: nonpad_kv_seqlen is read from the arena at run time (int64 [batch])


def _heads_form(node, g, name, heads, what):
    """(batch, heads, seq, size, strides (batch, head, seq)) of a 3-D or 4-D Q/K/V."""
    s = _shape(g, name)
    if len(s) == 4:
        b, h, n, d = s
        return b, h, n, d, (h * n * d, n * d, d)
    if len(s) == 3:
        if not heads:
            raise _err(node, f"{what} '{name}' is 3-D: attributes q_num_heads and kv_num_heads are required")
        b, n, hidden = s
        if hidden % heads:
            raise _err(node, f"{what} '{name}' has hidden size {hidden}, not a multiple of its {heads} heads")
        d = hidden // heads
        return b, heads, n, d, (n * hidden, d, hidden)
    raise _err(node, f"{what} '{name}' has shape {list(s)}: Attention takes 3-D or 4-D inputs")


def attention_params(node, g) -> AttentionParams:
    _float_inputs(node, g, (Q, K, V, PAST_K, PAST_V))
    a = node.attrs
    qh, kvh = int(a.get("q_num_heads", 0)), int(a.get("kv_num_heads", 0))
    rank = len(_shape(g, node.inputs[Q]))
    if not (rank == len(_shape(g, node.inputs[K])) == len(_shape(g, node.inputs[V]))):
        raise _err(node, "Q, K and V must have the same rank")
    if rank == 3 and (qh < 1 or kvh < 1):
        raise _err(node, "3-D Q, K, V need attributes q_num_heads and kv_num_heads (>= 1)")
    b, hq, sq, d, q_s = _heads_form(node, g, node.inputs[Q], qh, "Q")
    bk, hk, sk, dk, k_s = _heads_form(node, g, node.inputs[K], kvh, "K")
    bv, hv, sv, dv, v_s = _heads_form(node, g, node.inputs[V], kvh, "V")
    if rank == 4 and ((qh and qh != hq) or (kvh and kvh != hk)):
        raise _err(node, f"q_num_heads {qh} / kv_num_heads {kvh} contradict the 4-D shapes ({hq}, {hk} heads)")
    if not (b == bk == bv) or hk != hv or sk != sv or dk != d:
        raise _err(node, f"Q {list(_shape(g, node.inputs[Q]))}, K {list(_shape(g, node.inputs[K]))} and V "
                   f"{list(_shape(g, node.inputs[V]))} do not agree on batch, heads, key length and head size")
    if hq % hk:
        raise _err(node, f"{hq} query heads are not a multiple of {hk} key/value heads")
    pk, pv = _input(node, PAST_K), _input(node, PAST_V)
    if (pk is None) != (pv is None):
        raise _err(node, "past_key and past_value must be given together")
    past = 0
    if pk is not None:
        ps, pvs = _shape(g, pk), _shape(g, pv)
        if len(ps) != 4 or ps[:2] != (b, hk) or ps[3] != d or pvs != (b, hk, ps[2], dv):
            raise _err(node, f"past_key {list(ps)} / past_value {list(pvs)} are not [{b}, {hk}, past, {d}] / "
                       f"[{b}, {hk}, past, {dv}]")
        past = ps[2]
    total = past + sk
    nonpad, nonpad_rt = np.zeros(0, np.int32), 0
    name = _input(node, NONPAD)
    if name is not None:
        if pk is not None:
            raise _err(node, "nonpad_kv_seqlen cannot be combined with past_key/past_value")
        t = g.t(name)
        if not t.is_const:
            # read at run time: the C checks each value is in [0, total] (else the run returns -1)
            if t.dtype != "int64" or _shape(g, name) != (b,):
                raise _err(node, f"nonpad_kv_seqlen '{name}' is {t.dtype} {list(_shape(g, name))}: it must be "
                           f"int64 [{b}]")
            nonpad_rt = 1
        else:
            v = np.asarray(t.data).astype(np.int64).reshape(-1)
            if v.shape != (b,) or v.min() < 0 or v.max() > total:
                raise _err(node, f"nonpad_kv_seqlen {v.tolist()} must be {counted(b, 'value')} in [0, {total}]")
            nonpad = v.astype(np.int32)
    has_mask, mask_bool, mask_len, mask_s = 0, 0, 0, (0, 0, 0, 0)
    name = _input(node, MASK)
    if name is not None:
        t = g.t(name)
        if t.dtype not in ("float32", "bool"):
            raise _err(node, f"attn_mask '{name}' is {t.dtype}: gen takes a float32 or bool mask")
        ms = _shape(g, name)
        want = (b, hq, sq, ms[-1] if ms else 0)
        lead_ok = all(m in (1, w) for m, w in zip(ms[::-1][1:], want[::-1][1:]))
        if not 1 <= len(ms) <= 4 or ms[-1] > total or not lead_ok:
            raise _err(node, f"attn_mask '{name}' has shape {list(ms)}: not broadcastable to [{b}, {hq}, {sq}, "
                       f"<= {total}]")
        # the key axis is never broadcast: a mask shorter than the keys (even of length 1) masks the rest
        full = (1,) * (4 - len(ms)) + ms
        strides, acc = [0] * 4, 1
        for k in range(3, -1, -1):
            strides[k] = 0 if full[k] == 1 and k < 3 else acc
            acc *= full[k]
        mask_len = full[3]
        has_mask, mask_bool, mask_s = 1, int(t.dtype == "bool"), tuple(strides)
    causal = int(a.get("is_causal", 0))
    mode = int(a.get("qk_matmul_output_mode", 0))
    left, right = int(a.get("left_window_size", -1)), int(a.get("right_window_size", -1))
    if causal not in (0, 1) or mode not in (0, 1, 2, 3) or left < -1 or right < -1:
        raise _err(node, f"is_causal {causal}, qk_matmul_output_mode {mode}, left/right_window_size {left}/{right}: "
                   "is_causal is 0 or 1, the mode 0 to 3, a window -1 or >= 0")
    prec = int(a.get("softmax_precision", 0))
    if prec not in (0, 1, 11):
        raise _err(node, f"softmax_precision {prec}: gen computes the softmax in float32")
    scale = a.get("scale")
    scale = float(scale) if scale is not None else 1.0 / np.sqrt(d)
    softcap = float(a.get("softcap", 0.0))
    if not (np.isfinite(scale) and scale >= 0 and np.isfinite(softcap)):
        raise _err(node, f"scale {scale} / softcap {softcap} must be finite, scale >= 0")
    y_s = (sq * hq * dv, dv, hq * dv) if rank == 3 else (hq * sq * dv, sq * dv, dv)
    p = AttentionParams(b, hq, hk, sq, sk, past, d, dv, q_s, k_s, v_s, y_s, has_mask, mask_bool, mask_len, mask_s,
                        causal, left, right, mode, float(np.float32(np.sqrt(scale))),
                        float(np.float32(softcap)) if softcap > 0 else 0.0, nonpad, nonpad_rt)
    return c_fields(p, node, "Attention parameter")


@dataclass(frozen=True)
class RmsNormParams:
    outer: int
    inner: int
    epsilon: float
    scale: np.ndarray | None     # the constant scale broadcast to [inner]; None: the input as it is


def rms_params(node, g) -> RmsNormParams:
    _float_inputs(node, g, (0, 1))
    xs = _shape(g, node.inputs[0])
    axis = int(node.attrs.get("axis", -1))
    if not -len(xs) <= axis < len(xs):
        raise _err(node, f"axis {axis} is out of range for rank {len(xs)}")
    axis %= len(xs)
    if int(node.attrs.get("stash_type", 1)) != 1:
        raise _err(node, f"stash_type {int(node.attrs['stash_type'])}: gen computes in float32 (stash_type 1)")
    eps = float(node.attrs.get("epsilon", 1e-5))
    if not (np.isfinite(eps) and eps >= 0):
        raise _err(node, f"epsilon {eps} must be finite and >= 0")
    norm = xs[axis:]
    inner = int(np.prod(norm, dtype=np.int64))
    outer = int(np.prod(xs[:axis], dtype=np.int64))
    st = g.t(node.inputs[1])
    ss = _shape(g, node.inputs[1])
    if len(ss) > len(norm) or any(s not in (1, n) for s, n in zip(ss[::-1], norm[::-1])):
        raise _err(node, f"scale has shape {list(ss)}: not broadcastable to the normalized shape {list(norm)}")
    scale = None
    if st.is_const:
        scale = np.broadcast_to(np.asarray(st.data, np.float32), norm).reshape(-1).copy()
    elif int(np.prod(ss, dtype=np.int64)) != inner:
        raise _err(node, f"scale '{node.inputs[1]}' is computed at run time and broadcast to {list(norm)}: gen "
                   "needs it constant (make it an initializer) or of the normalized shape")
    return c_fields(RmsNormParams(outer, inner, float(np.float32(eps)), scale), node, "RMSNormalization parameter")


@dataclass(frozen=True)
class RotaryParams:
    batch: int
    seq: int
    heads: int
    head_size: int
    rot_dim: int
    interleaved: int
    x_s: tuple
    cache_b: int
    cache_s: int
    positions: np.ndarray        # int32 [batch * seq]; empty: none (or read at run time)
    positions_rt: int = 0        # 1: position_ids read from the arena at run time (int64 [batch, seq])
    max_position: int = 0        # the caches' rows: a run-time position must be below it


def rotary_params(node, g) -> RotaryParams:
    _float_inputs(node, g, (0, 1, 2))
    xs = _shape(g, node.inputs[0])
    nh = int(node.attrs.get("num_heads", 0))
    if len(xs) == 4:
        b, h, s, d = xs
        x_s = (h * s * d, d, s * d)
        if nh and nh != h:
            raise _err(node, f"num_heads {nh} differs from the 4-D input's {h} heads")
    elif len(xs) == 3:
        b, s, hidden = xs
        if nh < 1 or hidden % nh:
            raise _err(node, f"a 3-D input needs num_heads dividing its hidden size {hidden} (num_heads {nh})")
        h, d = nh, hidden // nh
        x_s = (s * hidden, hidden, d)
    else:
        raise _err(node, f"input has shape {list(xs)}: RotaryEmbedding takes 3-D or 4-D input")
    rot = int(node.attrs.get("rotary_embedding_dim", 0)) or d
    inter = int(node.attrs.get("interleaved", 0))
    if rot % 2 or not 0 < rot <= d or inter not in (0, 1):
        raise _err(node, f"rotary_embedding_dim {rot} must be even and in [2, head size {d}]; interleaved 0 or 1")
    cs, sn = _shape(g, node.inputs[1]), _shape(g, node.inputs[2])
    if cs != sn:
        raise _err(node, f"cos_cache {list(cs)} and sin_cache {list(sn)} differ in shape")
    positions = np.zeros(0, np.int32)
    cache_b = cache_s = 0
    pname = _input(node, 3)
    if pname is not None:
        if len(cs) != 2 or cs[1] != rot // 2:
            raise _err(node, f"cos_cache has shape {list(cs)}, not [max_position, {rot // 2}]")
        pt = g.t(pname)
        if not pt.is_const:
            # read at run time: the C checks each is in [0, max_position) (else the run returns -1)
            if pt.dtype != "int64" or _shape(g, pname) != (b, s):
                raise _err(node, f"position_ids '{pname}' is {pt.dtype} {list(_shape(g, pname))}: it must be "
                           f"int64 [{b}, {s}]")
            return c_fields(RotaryParams(b, s, h, d, rot, inter, x_s, 0, 0, positions, 1, cs[0]), node,
                            "RotaryEmbedding parameter")
        pos = np.asarray(pt.data).astype(np.int64)
        if pos.shape != (b, s) or pos.min() < 0 or pos.max() >= cs[0]:
            raise _err(node, f"position_ids must be [{b}, {s}] values in [0, {cs[0]})")
        positions = pos.reshape(-1).astype(np.int32)
    else:
        if len(cs) != 3 or cs[0] not in (1, b) or cs[1] != s or cs[2] != rot // 2:
            raise _err(node, f"cos_cache has shape {list(cs)}, not [{b}, {s}, {rot // 2}] (no position_ids)")
        cache_b, cache_s = (s if cs[0] == b and b > 1 else 0), 1
    return c_fields(RotaryParams(b, s, h, d, rot, inter, x_s, cache_b, cache_s, positions), node,
                    "RotaryEmbedding parameter")


def _ints(xs):
    return "{" + ", ".join(str(int(x)) for x in xs) + "}"


@register
class Transformer(OpFamily):
    ops = ("Attention", "RMSNormalization", "RotaryEmbedding", "SwiGLU")
    runtime = RUNTIME
    # a bool attn_mask, int64 nonpad_kv_seqlen and position_ids are read as they are (checked here)
    plain_integers = ("Attention", "RotaryEmbedding")
    limits = {"Attention": "float32 (a bool or float mask); softmax in float32",
              "RMSNormalization": "stash_type 1 (float32)"}

    def runtime_files(self, node, g):
        p = self.params(node, g) if node.op in ("Attention", "RotaryEmbedding") else None
        if getattr(p, "nonpad_rt", 0) or getattr(p, "positions_rt", 0):
            return RUNTIME + RT_RUNTIME
        return RUNTIME

    def legalize(self, node, g):
        self.prepare(node, g)

    def prepare(self, node, g):
        if node.op == "Attention":
            return attention_params(node, g)
        if node.op == "RMSNormalization":
            return rms_params(node, g)
        if node.op == "RotaryEmbedding":
            return rotary_params(node, g)
        _float_inputs(node, g, (0, 1))
        if _shape(g, node.inputs[0]) != _shape(g, node.inputs[1]):
            raise _err(node, f"A {list(_shape(g, node.inputs[0]))} and B {list(_shape(g, node.inputs[1]))} "
                       "must have one shape (SwiGLU does not broadcast)")
        alpha = float(node.attrs.get("alpha", 1.0))
        if not np.isfinite(alpha):
            raise _err(node, f"alpha {alpha} is not finite")
        return float(np.float32(alpha))

    def check(self, node, g):
        self.params(node, g)

    def macs(self, node, g):
        p = self.params(node, g)
        if node.op == "Attention":
            return p.batch * p.q_heads * p.q_len * (p.past_len + p.kv_len) * (p.head_size + p.v_head_size)
        return int(np.prod(g.t(node.outputs[0]).shape, dtype=np.int64))

    def scratch(self, node, g):
        if node.op == "RotaryEmbedding":
            p = self.params(node, g)
            return 4 * p.batch * p.seq if p.positions_rt else 0
        if node.op != "Attention":
            return 0
        p = self.params(node, g)
        return 4 * (p.past_len + p.kv_len) + (4 * p.batch if p.nonpad_rt else 0)

    def kernel(self, node, g):
        return {"Attention": "gen_attention_f32", "RMSNormalization": "gen_rms_norm_f32",
                "RotaryEmbedding": "gen_rotary_f32", "SwiGLU": "gen_swiglu_f32"}[node.op]

    def emit(self, node, g, ctx):
        p = self.params(node, g)

        def ptr(k):
            name = _input(node, k)
            return ctx.ptr(name) if name is not None else "NULL"

        def out(k):
            name = _output(node, k)
            return ctx.ptr(name) if name is not None else "NULL"
        if node.op == "SwiGLU":
            n = int(np.prod(g.t(node.outputs[0]).shape, dtype=np.int64))
            return f"gen_swiglu_f32({ptr(0)}, {ptr(1)}, {out(0)}, {n}, {ctx.flt(p)});"
        if node.op == "RMSNormalization":
            prm = ctx.params("gen_rms_norm_params", f"{p.outer}, {p.inner}, {ctx.flt(p.epsilon)}", "rms")
            scale = ctx.array(p.scale, "scale") if p.scale is not None else ptr(1)
            return f"gen_rms_norm_f32({ptr(0)}, {scale}, {out(0)}, {prm});"
        if node.op == "RotaryEmbedding":
            prm = ctx.params("gen_rotary_params", f"{p.batch}, {p.seq}, {p.heads}, {p.head_size}, {p.rot_dim}, "
                             f"{p.interleaved}, {_ints(p.x_s)}, {p.cache_b}, {p.cache_s}", "rotary")
            pos = ctx.array(p.positions, "positions") if p.positions.size else "NULL"
            call = f"gen_rotary_f32({ptr(0)}, {ptr(1)}, {ptr(2)}, {{pos}}, {out(0)}, {prm});"
            if p.positions_rt:
                pos = f"(int32_t *){ctx.scratch(node)}"
                return (f"if (gen_rt_index_i64({ptr(3)}, {p.batch * p.seq}, 0, {p.max_position}, {pos}) != 0) {{\n"
                        f"    return -1; /* a position id out of range */\n}}\n" + call.format(pos=pos))
            return call.format(pos=pos)
        prm = ctx.params("gen_attention_params",
                         f"{p.batch}, {p.q_heads}, {p.kv_heads}, {p.q_len}, {p.kv_len}, {p.past_len}, {p.head_size}, "
                         f"{p.v_head_size}, {_ints(p.q_s)}, {_ints(p.k_s)}, {_ints(p.v_s)}, {_ints(p.y_s)}, "
                         f"{p.has_mask}, {p.mask_bool}, {p.mask_len}, {_ints(p.mask_s)}, {p.is_causal}, "
                         f"{p.left_window}, {p.right_window}, {p.qk_mode}, {ctx.flt(p.scale)}, {ctx.flt(p.softcap)}",
                         "attention")
        mask_f = mask_b = "NULL"
        mname = _input(node, MASK)
        if mname is not None:
            t = g.t(mname)
            if t.dtype == "bool":
                mask_b = (ctx.array(np.asarray(t.data).astype(np.uint8), "mask") if t.is_const
                          else f"(const uint8_t *){ctx.ptr(mname)}")
            else:
                mask_f = ctx.ptr(mname)
        nonpad = ctx.array(p.nonpad, "nonpad") if p.nonpad.size else "NULL"
        pre = ""
        if p.nonpad_rt:
            total = p.past_len + p.kv_len
            nonpad = f"(int32_t *)((uint8_t *){ctx.scratch(node)} + {4 * total})"
            pre = (f"if (gen_rt_index_i64({ptr(NONPAD)}, {p.batch}, 0, {total + 1}, {nonpad}) != 0) {{\n"
                   "    return -1; /* a nonpad_kv_seqlen out of [0, the key length] */\n}\n")
        args = [ptr(Q), ptr(K), ptr(V), mask_f, mask_b, ptr(PAST_K), ptr(PAST_V), nonpad, out(0), out(1), out(2),
                out(3), f"(float *){ctx.scratch(node)}", prm]
        return pre + f"gen_attention_f32({', '.join(args)});"
