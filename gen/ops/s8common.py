"""Helpers shared by the int8 op families: activation ranges, biases, CMSIS-NN parameter structs."""
from __future__ import annotations

import numpy as np

from .. import quant
from ..errors import GenError


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
        data = np.round(real / want).astype(np.int64)
    return np.clip(data, -2**31, 2**31 - 1).astype(np.int32)


def dims(ctx, d) -> str:
    n, h, w, c = (int(v) for v in d)
    return ctx.params("cmsis_nn_dims", f"{n}, {h}, {w}, {c}", "dims")


def per_channel_quant(ctx, mult, shift) -> str:
    m = ctx.array(np.asarray(mult, np.int32), "mult")
    s = ctx.array(np.asarray(shift, np.int32), "shift")
    return ctx.params("cmsis_nn_per_channel_quant_params", f"(int32_t *){m}, (int32_t *){s}", "q")


def cmsis_ctx(ctx, node) -> str:
    size = ctx.scratch_size(node)
    buf = ctx.scratch(node) if size else "NULL"
    return ctx.params("cmsis_nn_context", f"{buf}, {size}", "ctx")
