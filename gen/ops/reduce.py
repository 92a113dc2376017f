"""ReduceMean over any axes (attribute before opset 18, input from 18), keepdims."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_int32, contiguous_strides, dims6, register


def reduce_axes(node, g) -> list[int]:
    shape = g.t(node.inputs[0]).shape
    nd = len(shape)
    axes = node.attrs.get("axes")
    if len(node.inputs) > 1 and node.inputs[1]:
        v = g.const(node.inputs[1])
        if v is None:
            raise GenError("ReduceMean axes must be a constant", node.name, node.op)
        axes = [int(a) for a in v.reshape(-1)]
    if not axes:
        if int(node.attrs.get("noop_with_empty_axes", 0)):
            return []
        axes = list(range(nd))
    if any(not -nd <= a < nd for a in axes):
        raise GenError(f"axes {axes} out of range for rank {nd}", node.name, node.op)
    return sorted({a % nd for a in axes})


@dataclass(frozen=True)
class ReduceMeanParams:
    """A float ReduceMean: the input's shape (a scalar as [1]) and the sorted axes it averages over."""
    shape: tuple[int, ...]
    axes: tuple[int, ...]


@register
class ReduceMean(OpFamily):
    ops = ("ReduceMean",)
    const_inputs = {"ReduceMean": (1,)}
    limits = {"ReduceMean": "constant axes; up to 6 dims"}
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"ReduceMean": "ReduceMeanS8"}

    def int8_form(self, node, g):
        # the mean over every spatial position of a channels-last tensor (1-D, 2-D, ... spatial)
        x = g.t(node.inputs[0])
        if len(x.shape) < 3 or reduce_axes(node, g) != list(range(2, len(x.shape))):
            return None
        return super().int8_form(node, g)

    def prepare(self, node, g):
        return ReduceMeanParams(tuple(int(d) for d in g.t(node.inputs[0]).shape) or (1,), tuple(reduce_axes(node, g)))

    def check(self, node, g):
        self.params(node, g)
        if len(g.t(node.inputs[0]).shape) > 6:
            raise GenError("ReduceMean over more than 6 dims is not supported", node.name, node.op)
        c_int32(g.t(node.inputs[0]).size, "element count", node)

    def kernel(self, node, g):
        return "gen_f32_reduce_mean"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        shape, axes = list(p.shape), list(p.axes)
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        kept = [1 if k in axes else d for k, d in enumerate(shape)]
        ystr = [0 if k in axes else s for k, s in enumerate(contiguous_strides(kept))]
        count = int(np.prod([shape[a] for a in axes], dtype=np.int64)) if axes else 1
        inner = int(np.prod([shape[a] for a in axes], dtype=np.int64))
        if axes and axes == list(range(len(shape) - len(axes), len(shape))):   # trailing axes: one pass
            return f"gen_f32_mean_inner({x}, {y}, {int(np.prod(shape)) // inner}, {inner});"
        prm = ctx.params("gen_f32_reduce_params",
                         f"{len(shape)}, {dims6(shape)}, {dims6(ystr)}, {int(np.prod(kept))}, {ctx.flt(1.0 / count)}")
        return f"gen_f32_reduce_mean({x}, {y}, {prm});"
