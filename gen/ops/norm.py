"""LayerNormalization (axis, epsilon; the Mean and InvStdDev outputs computed), InstanceNormalization,
GroupNormalization (scale and bias per group at opset 18, per channel from 21), MeanVarianceNormalization
(axes; its function body's (x - mean) / (sqrt(var) + 1e-9)) and LpNormalization (p 1 or 2), float32, on one
strided kernel (runtime_c/gen_norm.c): the statistics of each group of input elements, then every element
normalized with its group's statistics and scaled by a broadcast scale and bias (constants or run-time
tensors). With int8 activations they compute in float between dequantize and quantize."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError, counted
from . import OpFamily, broadcast_strides, c_fields, c_int32, contiguous_strides, dims6, register

RUNTIME = ("gen_norm.h", "gen_norm.c")
MAX_DIMS = 6
MEANVAR, L1, L2 = 0, 1, 2


@dataclass(frozen=True)
class NormParams:
    mode: int
    shape: tuple[int, ...]          # the input's shape as the kernel walks it (GroupNormalization: [N, G, C/G, S])
    s_stride: tuple[int, ...]
    scale_stride: tuple[int, ...]
    s_size: int
    count: int                      # elements per group
    eps: float
    eps_outside: bool


def _input(node, k):
    return node.inputs[k] if len(node.inputs) > k and node.inputs[k] else None


def _stats_strides(shape, normalized) -> tuple[list[int], int]:
    kept = [1 if k in normalized else d for k, d in enumerate(shape)]
    return [0 if k in normalized else s for k, s in enumerate(contiguous_strides(kept))], int(np.prod(kept))


def _axis(node, nd, default):
    a = int(node.attrs.get("axis", default))
    if not -nd <= a < nd:
        raise GenError(f"axis {a} is out of range for rank {nd}", node.name, node.op)
    return a % nd


def _param_strides(node, g, k, shape, lead: int) -> list[int]:
    """Input k's (scale, bias) strides over `shape`: it broadcasts to shape[lead:] (numpy rules)."""
    t = g.t(node.inputs[k])
    sub = list(shape[lead:])
    if len(t.shape) > len(sub) or any(d not in (1, s) for d, s in zip(reversed(t.shape), reversed(sub))):
        raise GenError(f"input {k} ('{node.inputs[k]}') of shape {list(t.shape)} does not broadcast to "
                       f"{sub}", node.name, node.op)
    return [0] * lead + broadcast_strides(t.shape, sub)


def norm_params(node, g) -> NormParams:
    x = g.t(node.inputs[0])
    if x.dtype != "float32":
        raise GenError(f"input dtype {x.dtype} is not supported (float32 is)", node.name, node.op)
    shape = list(x.shape)
    nd = len(shape)
    c_int32(x.size, "element count", node)
    eps = float(node.attrs.get("epsilon", 1e-5))
    outside, mode = False, MEANVAR
    scale_stride = [0] * nd
    if node.op == "LayerNormalization":
        axis = _axis(node, nd, -1)
        normalized = set(range(axis, nd))
        scale_stride = _param_strides(node, g, 1, shape, axis)
        if _input(node, 2):
            if _param_strides(node, g, 2, shape, axis) != scale_stride:
                raise GenError("the bias must have the scale's shape", node.name, node.op)
    elif node.op == "InstanceNormalization":
        if nd < 3:
            raise GenError(f"a {nd}-D input has no spatial axes (N, C, D1, ...)", node.name, node.op)
        for k in (1, 2):
            if g.t(node.inputs[k]).size != shape[1]:
                raise GenError(f"input {k} ('{node.inputs[k]}') must hold C = {shape[1]} values", node.name, node.op)
        normalized = set(range(2, nd))
        scale_stride = [0, 1] + [0] * (nd - 2)
    elif node.op == "GroupNormalization":
        groups = int(node.attrs.get("num_groups", 0))
        if nd < 2 or groups < 1 or shape[1] % groups:
            raise GenError(f"num_groups {groups} does not divide the "
                           f"{counted(shape[1], 'channel') if nd > 1 else '? channels'}",
                           node.name, node.op)
        c = shape[1]
        sizes = {g.t(node.inputs[k]).size for k in (1, 2)}
        if len(sizes) != 1 or sizes.pop() not in (c, groups):
            raise GenError(f"scale and bias must hold C = {c} (opset 21) or num_groups = {groups} (opset 18) values",
                           node.name, node.op)
        per_channel = g.t(node.inputs[1]).size == c
        shape = [shape[0], groups, c // groups, int(np.prod(shape[2:], dtype=np.int64))]
        normalized = {2, 3}
        scale_stride = [0, c // groups, 1, 0] if per_channel else [0, 1, 0, 0]
    elif node.op == "MeanVarianceNormalization":
        axes = [int(a) for a in node.attrs.get("axes", [0, 2, 3])]
        if any(not -nd <= a < nd for a in axes):
            raise GenError(f"axes {axes} out of range for rank {nd}", node.name, node.op)
        normalized = {a % nd for a in axes}
        eps, outside = 1e-9, True
    else:                                   # LpNormalization
        p = int(node.attrs.get("p", 2))
        if p not in (1, 2):
            raise GenError(f"p = {p} is not supported (1 and 2 are)", node.name, node.op)
        normalized = {_axis(node, nd, -1)}
        mode = L1 if p == 1 else L2
    if len(shape) > MAX_DIMS:
        raise GenError(f"more than {MAX_DIMS} dims are not supported", node.name, node.op)
    if not np.isfinite(eps) or eps < 0:
        raise GenError(f"epsilon {eps} must be finite and non-negative", node.name, node.op)
    s_stride, s_size = _stats_strides(shape, normalized)
    count = int(np.prod([shape[k] for k in normalized], dtype=np.int64))
    return c_fields(NormParams(mode=mode, shape=tuple(shape), s_stride=tuple(s_stride),
                               scale_stride=tuple(scale_stride), s_size=s_size, count=count, eps=eps,
                               eps_outside=outside), node, "normalization parameter")


@register
class Normalization(OpFamily):
    ops = ("LayerNormalization", "InstanceNormalization", "GroupNormalization", "MeanVarianceNormalization",
           "LpNormalization")
    # onnx's own function body of MeanVarianceNormalization fails its shape inference on float16/float64
    float_boundary = tuple(op for op in ops if op != "MeanVarianceNormalization")
    runtime = RUNTIME

    def prepare(self, node, g):
        return norm_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def _stash(self, node) -> list[str | None]:
        """LayerNormalization's Mean and InvStdDev outputs (None: not wanted)."""
        return [(node.outputs[k] if len(node.outputs) > k and node.outputs[k] else None) for k in (1, 2)]

    def scratch(self, node, g):
        p = self.params(node, g)
        return 4 * p.s_size * sum(1 for o in self._stash(node) if o is None)

    def kernel(self, node, g):
        return "gen_norm_f32"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        scale = ctx.ptr(node.inputs[1]) if node.op not in ("MeanVarianceNormalization", "LpNormalization") else "NULL"
        bias = ctx.ptr(_input(node, 2)) if _input(node, 2) and scale != "NULL" else "NULL"
        stash, tmp, k = [], ctx.scratch(node), 0
        for o in self._stash(node):
            if o is not None:
                stash.append(ctx.ptr(o))
            else:
                stash.append(f"((float *){tmp} + {k * p.s_size})")
                k += 1
        prm = ctx.params("gen_norm_params", f"{p.mode}, {len(p.shape)}, {dims6(p.shape, node)}, "
                                            f"{dims6(p.s_stride, node)}, {dims6(p.scale_stride, node)}, {p.s_size}, "
                                            f"{ctx.flt(1.0 / p.count)}, {ctx.flt(p.eps)}, {int(p.eps_outside)}")
        return (f"gen_norm_f32({ctx.ptr(node.inputs[0])}, {scale}, {bias}, {ctx.ptr(node.outputs[0])}, "
                f"{stash[0]}, {stash[1]}, {prm});")
