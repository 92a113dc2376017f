"""Standalone activations: Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid, HardSwish.

Relu, Clip and LeakyRelu usually disappear into the producing kernel (passes.fuse_activations);
what is left runs here, elementwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import GenError
from ..ir import Activation as FusedActivation
from . import REGISTRY, OpFamily, c_int32, check_finite, register

CODES = {"Relu": "GEN_RELU", "Sigmoid": "GEN_SIGMOID", "Tanh": "GEN_TANH", "HardSigmoid": "GEN_HARDSIGMOID",
         "HardSwish": "GEN_HARDSWISH", "Clip": "GEN_CLIP", "LeakyRelu": "GEN_LEAKYRELU"}


def clip_bounds(node, g) -> tuple[float, float]:
    """Clip's (min, max): attributes before opset 11, constant inputs after. ONNX's Clip is
    min(max(x, min), max), so with min > max every value becomes max: the bounds come back as
    (max, max) then, and every implementation (float kernels, fused activations, int8 ranges) clamps
    to the right value whatever order it applies them in."""
    lo, hi = node.attrs.get("min", -math.inf), node.attrs.get("max", math.inf)
    for k, default in ((1, lo), (2, hi)):
        if len(node.inputs) > k and node.inputs[k]:
            v = g.const(node.inputs[k])
            if v is None:
                raise GenError("Clip bounds must be constants", node.name, node.op)
            if k == 1:
                lo = float(v.reshape(-1)[0])
            else:
                hi = float(v.reshape(-1)[0])
    if math.isnan(float(lo)) or math.isnan(float(hi)):
        raise GenError(f"Clip bounds ({lo}, {hi}) must not be NaN", node.name, node.op)
    lo, hi = float(lo), float(hi)
    return (hi, hi) if lo > hi else (lo, hi)


@dataclass(frozen=True)
class ActivationParams:
    """The two float coefficients gen_f32_unary takes: HardSigmoid (alpha, beta), LeakyRelu (alpha, 0),
    Clip (min, max), else (0, 0)."""
    a: float
    b: float


@register
class Activation(OpFamily):
    ops = tuple(CODES)
    plain_int_as_float = {"Clip": (0, 1, 2)}     # a clamp of plain integers: exact in float32
    dtypes = {"Clip": ("float32", "int8", "uint8", "int16", "uint16")}
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"Sigmoid": "LutS8", "Tanh": "LutS8", "HardSwish": "LutS8", "HardSigmoid": "LutS8",
                    "LeakyRelu": "LutS8", "Relu": "RequantizeS8", "Clip": "RequantizeS8"}
    is_activation = ("Relu", "Clip", "LeakyRelu")    # fused into a float producer
    clamps = ("Relu", "Clip")                       # folded into an int8 kernel's output range

    def activation(self, node, g):
        if node.op == "Relu":
            return FusedActivation("relu", 0.0, float("inf"), 0.0)
        if node.op == "Clip":
            lo, hi = clip_bounds(node, g)
            return FusedActivation("clip", lo, hi, 1.0)
        if node.op == "LeakyRelu":
            return FusedActivation("leakyrelu", float("-inf"), float("inf"), float(node.attrs.get("alpha", 0.01)))
        return None

    def legalize(self, node, g):
        from .clip_rt import runtime_form   # bounds read at run time: the node becomes ClipRT
        if runtime_form(node, g):
            REGISTRY[node.op].legalize(node, g)

    def check(self, node, g):
        if g.t(node.inputs[0]).dtype != "float32":
            raise GenError(f"{node.op} on {g.t(node.inputs[0]).dtype} is not supported", node.name, node.op)
        if node.op == "Clip":
            clip_bounds(node, g)
        c_int32(g.t(node.outputs[0]).size, "element count", node)
        p = self.params(node, g)
        for k, v in (("a", p.a), ("b", p.b)):
            if node.op != "Clip":
                check_finite(v, f"attribute {'alpha' if k == 'a' else 'beta'}", node)

    def kernel(self, node, g):
        return "gen_f32_unary"

    def prepare(self, node, g):
        return ActivationParams(*self.coefficients(node, g))

    def coefficients(self, node, g) -> tuple[float, float]:
        if node.op == "HardSigmoid":
            return float(node.attrs.get("alpha", 0.2)), float(node.attrs.get("beta", 0.5))
        if node.op == "LeakyRelu":
            return float(node.attrs.get("alpha", 0.01)), 0.0
        if node.op == "Clip":
            return clip_bounds(node, g)
        return 0.0, 0.0

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        a, b = p.a, p.b
        n = g.t(node.outputs[0]).size
        return (f"gen_f32_unary({CODES[node.op]}, {ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {n}, "
                f"{ctx.flt(a)}, {ctx.flt(b)});")
