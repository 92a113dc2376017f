"""Helpers shared by the int8 op families: activation ranges, biases, CMSIS-NN parameter structs."""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import GenError
from . import INT32_MAX, c_int32, c_int32s

# the shifts gen's requantization (gen_nn_requantize, gen_s8_requant) and CMSIS-NN's arm_nn_requantize
# handle: a left shift of at most 30 (1 << 31 overflows int32), a right shift of at most 31
SHIFT_MIN, SHIFT_MAX = -31, 30


def ordered_range(lo: int, hi: int) -> tuple[int, int]:
    """An int8 clamp range with -128 <= act_min <= act_max <= 127 that clamps like max-then-min with
    (lo, hi): a bound beyond int8 (a Clip min above the representable range) or lo > hi (a Clip
    whose min exceeds its max) leaves hi, saturated, for every value. Kernels then agree whatever
    order they clamp in."""
    hi = min(max(int(hi), -128), 127)
    lo = min(max(int(lo), -128), hi)
    return lo, hi


def act_range(node, y) -> tuple[int, int]:
    """(act_min, act_max) of a node writing int8 tensor y: its fused Relu/Clip quantized, within int8."""
    a = node.act
    if a is None:
        return -128, 127
    if a.kind == "relu":
        return ordered_range(*quant.activation_range("relu", y.quant.s(), y.quant.zp()))
    return ordered_range(*quant.activation_range("clip", y.quant.s(), y.quant.zp(), clip_min=a.lo, clip_max=a.hi))


def requant(real, what: str, node, shift_min: int = SHIFT_MIN, shift_max: int = SHIFT_MAX):
    """QuantizeMultiplier(real) for a kernel's requantization, refused (GenError naming the node) when the
    effective scale is not finite and positive, or needs a shift the kernels cannot apply. Returns
    (multiplier, shift) as ints (scalar real) or int32 arrays (per channel)."""
    r = np.asarray(real, np.float64)
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        bad = r.reshape(-1)[int(np.argmax(~np.isfinite(r.reshape(-1)) | (r.reshape(-1) <= 0)))]
        raise GenError(f"{what} {float(bad):g} is not a finite positive scale", node.name, node.op)
    m, s = quant.quantize_multiplier(r if r.ndim else float(r))
    s_arr = np.asarray(s)
    if np.any((s_arr < shift_min) | (s_arr > shift_max)):
        k = int(np.argmax((s_arr.reshape(-1) < shift_min) | (s_arr.reshape(-1) > shift_max)))
        raise GenError(f"{what} {float(r.reshape(-1)[k]):g} is out of the range int8 requantization can represent "
                       f"(shift {int(s_arr.reshape(-1)[k])} outside [{shift_min}, {shift_max}])", node.name, node.op)
    if r.ndim:
        return c_int32s(m, f"{what} multiplier", node), c_int32s(s, f"{what} shift", node)
    return c_int32(m, f"{what} multiplier", node), c_int32(s, f"{what} shift", node)


def check_shift(mult, shift, what: str, node) -> None:
    """Refuse a (multiplier, shift) pair the requantization kernels cannot apply."""
    c_int32(mult, f"{what} multiplier", node, 0)
    c_int32(shift, f"{what} shift", node, SHIFT_MIN, SHIFT_MAX)


def check_accumulator(bound, shift, what: str, node) -> None:
    """Refuse a kernel whose int32 accumulator (worst case |acc| <= bound, per channel), shifted left by a
    positive requantization shift, can overflow: int32 wraps in C (undefined behaviour) where
    onnxruntime computes the exact value."""
    b = np.asarray(bound, dtype=object).reshape(-1)
    s = np.broadcast_to(np.asarray(shift, np.int64).reshape(-1), b.shape) if np.size(shift) > 1 else \
        np.full(b.shape, int(np.asarray(shift).reshape(-1)[0]) if np.size(shift) else 0, np.int64)
    for k, (bk, sk) in enumerate(zip(b, s)):
        worst = int(bk) << max(int(sk), 0)
        if worst > INT32_MAX:
            where = f" of output channel {k}" if b.size > 1 else ""
            raise GenError(f"the int32 accumulator{where} can reach {worst:,} ({what}), more than int32 holds",
                           node.name, node.op)


def bias_int32(node, g, bias_scale: np.ndarray, m: int) -> np.ndarray:
    """The int32 bias in the accumulator's scale (s_in * s_w); requantized if the model stored another."""
    if len(node.inputs) < 3 or not node.inputs[2]:
        return np.zeros(m, np.int32)
    b = g.t(node.inputs[2])
    if b.dtype != "int32" or b.quant is None:
        raise GenError("int8 kernels need an int32 quantized bias", node.name, node.op)
    data = b.data.astype(np.int64).reshape(-1)
    if data.size == 1 and m > 1:
        data = np.full(m, data[0])
    bs = np.broadcast_to(b.quant.scale.reshape(-1), (m,)).astype(np.float64)
    want = np.asarray(bias_scale, np.float64).reshape(-1)
    if np.any(b.quant.zero_point != 0):
        raise GenError("int32 bias with a non-zero zero point is not supported", node.name, node.op)
    if not np.allclose(bs, want, rtol=1e-6, atol=0):
        real = data * bs
        r = np.round(real / want)
        if not np.all(np.isfinite(r)) or np.any(np.abs(r) > INT32_MAX):
            raise GenError(f"bias '{b.name}' in the accumulator's scale (input scale x weight scale) does not fit "
                           "int32", node.name, node.op)
        data = r.astype(np.int64)
    return c_int32s(data, f"bias '{b.name}'", node)


def dims(ctx, d, node=None) -> str:
    n, h, w, c = (c_int32(v, "dimension", node) for v in d)
    shown = "x".join(str(v).replace("-", "m") for v in (n, h, w, c))
    return ctx.params("cmsis_nn_dims", f"{n}, {h}, {w}, {c}", name=f"dims_{shown}")   # named by what it holds


def per_channel_quant(ctx, mult, shift, node=None) -> str:
    m = ctx.array(c_int32s(mult, "multiplier", node), "mult")
    s = ctx.array(c_int32s(shift, "shift", node), "shift")
    return ctx.params("cmsis_nn_per_channel_quant_params", f"(int32_t *){m}, (int32_t *){s}", "q")


def cmsis_ctx(ctx, node) -> str:
    size = ctx.scratch_size(node)
    buf = ctx.scratch(node) if size else "NULL"
    return ctx.params("cmsis_nn_context", f"{buf}, {size}", "ctx", name=None if size else "ctx_none")
