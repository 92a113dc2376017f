"""Standalone BatchNormalization (inference): a per-channel scale and shift computed at generation time.

BatchNormalization after a Conv or Gemm is folded into its weights by passes.fold_batchnorm.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import REGISTRY, OpFamily, c_int32, check_finite, register, shape_of


def bn_scale_shift(node, g) -> tuple[np.ndarray, np.ndarray]:
    vals = [g.const(i) for i in node.inputs[1:5]]
    if any(v is None for v in vals):
        raise GenError("BatchNormalization parameters must be constant initializers", node.name, node.op)
    if int(node.attrs.get("training_mode", 0)):
        raise GenError("BatchNormalization in training mode is not supported", node.name, node.op)
    scale, bias, mean, var = (v.astype(np.float64) for v in vals)
    eps = check_finite(node.attrs.get("epsilon", 1e-5), "attribute epsilon", node)
    if np.any(var + eps <= 0) or not np.all(np.isfinite(var)):
        raise GenError("BatchNormalization variance + epsilon must be positive and finite", node.name, node.op)
    s = scale / np.sqrt(var + eps)
    return s.astype(np.float32), (bias - mean * s).astype(np.float32)


@dataclass(frozen=True)
class BatchNormParams:
    """A standalone BatchNormalization as y = x * scale + shift per channel of [n, c, inner]."""
    scale: np.ndarray           # float32 [c], read-only
    shift: np.ndarray           # float32 [c], read-only
    n: int
    c: int
    inner: int


@register
class BatchNormalization(OpFamily):
    ops = ("BatchNormalization",)
    limits = {"BatchNormalization": "inference (no training outputs)"}
    runtime = ("gen_f32.h", "gen_f32.c")
    is_batchnorm = True

    def legalize(self, node, g):
        ins = node.inputs
        x = shape_of(g, ins[0]) if ins else None
        if x is None:
            return
        from .quantize_rt import run_time_value
        if any(p and run_time_value(g, p) for p in ins[1:5]):
            node.op = "BatchNormalizationRT"     # parameters read at run time (batchnorm_rt.py)
        if len(x) < 2:
            raise GenError(f"input '{ins[0]}' has shape {list(x)}: it needs a channel dimension", node.name, node.op)
        for p in ins[1:5]:
            if shape_of(g, p) not in (None, (x[1],)):
                raise GenError(f"parameter '{p}' has shape {list(shape_of(g, p))}, not [{x[1]}] (the channels)",
                               node.name, node.op)
        if node.op != "BatchNormalization":
            REGISTRY[node.op].legalize(node, g)

    def scale_shift(self, node, g):
        return bn_scale_shift(node, g)

    def prepare(self, node, g):
        s, t = bn_scale_shift(node, g)
        for a in (s, t):
            a.flags.writeable = False
        shape = list(g.t(node.inputs[0]).shape)
        return BatchNormParams(s, t, int(shape[0]), int(shape[1]) if len(shape) > 1 else 1,
                               int(np.prod(shape[2:], dtype=np.int64)))

    def check(self, node, g):
        p = self.params(node, g)
        if len(node.outputs) > 1 and any(node.outputs[1:]):
            raise GenError("BatchNormalization with training outputs is not supported", node.name, node.op)
        for what, v in (("batch", p.n), ("channels", p.c), ("inner size", p.inner)):
            c_int32(v, what, node)

    def kernel(self, node, g):
        return "gen_f32_channel_affine"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        s, t, n, c, inner = p.scale, p.shift, p.n, p.c, p.inner
        return (f"gen_f32_channel_affine({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {n}, {c}, {inner}, "
                f"{ctx.array(s, 'bn_scale')}, {ctx.array(t, 'bn_shift')});")
