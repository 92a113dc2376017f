"""LRN (local response normalization across channels), float32, any rank >= 3 (NC...): gen_f32_lrn in
runtime_c/gen_pool.c; an int8 (QDQ) one computes in float between dequantize and quantize."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..c_literals import c_float
from ..errors import GenError
from . import OpFamily, c_int32, check_finite, register


@dataclass(frozen=True)
class LrnParams:
    n: int
    c: int
    inner: int
    size: int
    alpha: float
    beta: float
    bias: float


@register
class Lrn(OpFamily):
    ops = ("LRN",)
    runtime = ("gen_pool.h",)
    limits = {"LRN": "rank >= 3"}

    def prepare(self, node, g):
        x = g.t(node.inputs[0])
        if len(x.shape) < 3:
            raise GenError(f"LRN needs an input of rank 3 or more (N, C, spatial), not {len(x.shape)}",
                           node.name, node.op)
        if "size" not in node.attrs:
            raise GenError("the size attribute is required", node.name, node.op)
        size = c_int32(node.attrs["size"], "size", node, 1)
        vals = {k: check_finite(node.attrs.get(k, d), k, node) for k, d in (("alpha", 1e-4), ("beta", 0.75),
                                                                             ("bias", 1.0))}
        return LrnParams(n=c_int32(x.shape[0], "batch", node), c=c_int32(x.shape[1], "channels", node),
                         inner=c_int32(np.prod(x.shape[2:], dtype=np.int64), "spatial size", node), size=size,
                         **vals)

    def check(self, node, g):
        if g.t(node.inputs[0]).dtype != "float32":
            raise GenError(f"LRN of {g.t(node.inputs[0]).dtype} is not supported (float32; int8 through QDQ)",
                           node.name, node.op)
        self.params(node, g)

    def macs(self, node, g):
        p = self.params(node, g)
        return p.n * p.c * p.inner * p.size

    def kernel(self, node, g):
        return "gen_f32_lrn"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        prm = ctx.params("gen_f32_lrn_params", f"{p.n}, {p.c}, {p.inner}, {p.size}, {c_float(p.alpha)}, "
                                               f"{c_float(p.beta)}, {c_float(p.bias)}")
        return f"gen_f32_lrn({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {prm});"
