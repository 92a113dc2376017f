"""Softmax, LogSoftmax and Hardmax along any axis (opset < 13, or the attribute COERCE_2D that an opset
mapping may set: the 2-D coercion at `axis`, every axis from `axis` on is one row)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_int32, register

COERCE_2D = "gen_coerce_2d"     # node attribute: 1 = the opset < 13 semantics, 0 = opset 13's (default: by opset)


def coerces_2d(node, g) -> bool:
    return bool(int(node.attrs.get(COERCE_2D, g.opset < 13)))


def softmax_split(node, g) -> tuple[int, int, int]:
    """(outer, len, inner) of the softmax."""
    shape = list(g.t(node.inputs[0]).shape) or [1]
    nd = len(shape)
    coerce = coerces_2d(node, g)
    axis = int(node.attrs.get("axis", 1 if coerce else -1))
    if not -nd <= axis < nd:
        raise GenError(f"axis {axis} is out of range for rank {nd}", node.name, node.op)
    axis %= nd
    outer = c_int32(np.prod(shape[:axis], dtype=np.int64), "outer size", node)
    if coerce:
        return outer, c_int32(np.prod(shape[axis:], dtype=np.int64), "softmax length", node), 1
    return outer, c_int32(shape[axis], "softmax length", node), c_int32(np.prod(shape[axis + 1:], dtype=np.int64),
                                                                       "inner size", node)


@dataclass(frozen=True)
class SoftmaxParams:
    """A float Softmax as `outer` rows of `n` elements `inner` apart."""
    outer: int
    n: int
    inner: int


@register
class Softmax(OpFamily):
    ops = ("Softmax",)
    int8_kernels = {"Softmax": "SoftmaxS8"}

    def int8_form(self, node, g):
        # over the trailing axes in one of the two layouts (the channel axis is trailing channels last)
        from .softmax_s8 import softmax_rows
        try:
            if softmax_rows(node, g, None) is None and softmax_rows(node, g, "NHWC") is None:
                return None
        except GenError:
            return None                          # the float op's check says what is wrong
        return super().int8_form(node, g)
    runtime = ("gen_f32.h", "gen_f32.c")

    def prepare(self, node, g):
        return SoftmaxParams(*softmax_split(node, g))

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_f32_softmax"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        outer, n, inner = p.outer, p.n, p.inner
        return f"gen_f32_softmax({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {outer}, {n}, {inner});"


@register
class SoftmaxVariants(OpFamily):
    """LogSoftmax and Hardmax (float32; with int8 activations they compute in float between dequantize and
    quantize)."""
    ops = ("LogSoftmax", "Hardmax")
    runtime = ("gen_reduce.h", "gen_reduce.c")

    def check(self, node, g):
        softmax_split(node, g)

    def kernel(self, node, g):
        return "gen_logsoftmax_f32" if node.op == "LogSoftmax" else "gen_hardmax_f32"

    def emit(self, node, g, ctx):
        outer, n, inner = softmax_split(node, g)
        return f"{self.kernel(node, g)}({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {outer}, {n}, {inner});"
