"""Elementwise math (float32, gen_unary.c): Abs, Neg, Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Round,
Sign, the trigonometric and hyperbolic functions and their inverses, Erf, Gelu, Elu, Selu, Celu,
Softplus, Softsign, Mish, ThresholdedRelu, Shrink, and the two binary ops whose second operand is
usually a constant: Pow (the exponent) and PRelu (the slope), broadcast as numpy does.

int8: every unary op, Pow with one constant exponent and PRelu with one constant slope become a
256-entry lookup table (LutS8 in gen/ops/quantize.py), built by `lut_function`: the op in float32 on
each dequantized int8 value, then quantized (round half to even, saturate), which is DQ -> op -> Q
exactly. A per-channel PRelu slope or a run-time exponent computes in float between DQ and Q.
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import GenError
from . import OpFamily, broadcast_strides, c_int32, check_finite, dims6, register, shape_of
from .elementwise import coalesce

SELU_ALPHA = 1.67326319217681884765625
SELU_GAMMA = 1.05070102214813232421875

# op -> (C code, ((attribute, default), ...)): the attributes become the kernel's a, b
UNARY = {
    "Abs": ("GEN_U_ABS", ()), "Neg": ("GEN_U_NEG", ()), "Exp": ("GEN_U_EXP", ()), "Log": ("GEN_U_LOG", ()),
    "Sqrt": ("GEN_U_SQRT", ()), "Reciprocal": ("GEN_U_RECIPROCAL", ()), "Floor": ("GEN_U_FLOOR", ()),
    "Ceil": ("GEN_U_CEIL", ()), "Round": ("GEN_U_ROUND", ()), "Sign": ("GEN_U_SIGN", ()),
    "Sin": ("GEN_U_SIN", ()), "Cos": ("GEN_U_COS", ()), "Tan": ("GEN_U_TAN", ()), "Asin": ("GEN_U_ASIN", ()),
    "Acos": ("GEN_U_ACOS", ()), "Atan": ("GEN_U_ATAN", ()), "Sinh": ("GEN_U_SINH", ()),
    "Cosh": ("GEN_U_COSH", ()), "Asinh": ("GEN_U_ASINH", ()), "Acosh": ("GEN_U_ACOSH", ()),
    "Atanh": ("GEN_U_ATANH", ()), "Erf": ("GEN_U_ERF", ()), "Gelu": ("GEN_U_GELU", ()),
    "Elu": ("GEN_U_ELU", (("alpha", 1.0),)),
    "Selu": ("GEN_U_SELU", (("alpha", SELU_ALPHA), ("gamma", SELU_GAMMA))),
    "Celu": ("GEN_U_CELU", (("alpha", 1.0),)),
    "Softplus": ("GEN_U_SOFTPLUS", ()), "Softsign": ("GEN_U_SOFTSIGN", ()), "Mish": ("GEN_U_MISH", ()),
    "ThresholdedRelu": ("GEN_U_THRESHOLDED_RELU", (("alpha", 1.0),)),
    "Shrink": ("GEN_U_SHRINK", (("lambd", 0.5), ("bias", 0.0))),
}
BINARY = {"Pow": "GEN_U_POW", "PRelu": "GEN_U_PRELU"}
GELU_APPROX = ("none", "tanh")

F = np.float32


def _softplus(x):
    return np.where(x > 0, x + np.log1p(np.exp(-x)), np.log1p(np.exp(x)))


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x.astype(np.float64)).astype(F)


def _gelu_np(x, approx):
    if approx == "tanh":
        return F(0.5) * x * (F(1) + np.tanh(F(math.sqrt(2 / math.pi)) * (x + F(0.044715) * x * x * x)))
    return F(0.5) * x * (F(1) + _erf(x * F(1 / math.sqrt(2.0))))


def float_fn(op: str, a: float, b: float, approx: str = "none"):
    """The op as a numpy function of a float32 array (computed in float32): the LUT's float step."""
    a, b = F(a), F(b)
    fns = {
        "Abs": np.abs, "Neg": np.negative, "Exp": np.exp, "Log": np.log, "Sqrt": np.sqrt,
        "Reciprocal": lambda x: F(1) / x, "Floor": np.floor, "Ceil": np.ceil, "Round": np.rint, "Sign": np.sign,
        "Sin": np.sin, "Cos": np.cos, "Tan": np.tan, "Asin": np.arcsin, "Acos": np.arccos, "Atan": np.arctan,
        "Sinh": np.sinh, "Cosh": np.cosh, "Asinh": np.arcsinh, "Acosh": np.arccosh, "Atanh": np.arctanh,
        "Erf": _erf, "Gelu": lambda x: _gelu_np(x, approx),
        "Elu": lambda x: np.where(x >= 0, x, a * np.expm1(x)),
        "Selu": lambda x: np.where(x > 0, b * x, b * (a * np.exp(x) - a)),
        "Celu": lambda x: np.where(x > 0, x, a * np.expm1(x / a)),
        "Softplus": _softplus, "Softsign": lambda x: x / (F(1) + np.abs(x)),
        "Mish": lambda x: x * np.tanh(_softplus(x)),
        "ThresholdedRelu": lambda x: np.where(x > a, x, F(0)),
        "Shrink": lambda x: np.where(x < -a, x + b, np.where(x > a, x - b, F(0))),
        "Pow": lambda x: np.power(x, a), "PRelu": lambda x: np.where(x < 0, a * x, x),
    }
    fn = fns[op]

    def f32(x):
        with np.errstate(all="ignore"):
            return np.asarray(fn(np.asarray(x, F)), F)
    return f32


def const_values(g, name: str) -> np.ndarray | None:
    """A constant operand as float32 (an int8 one with quantization parameters dequantized)."""
    t = g.tensors.get(name) if name else None
    if t is None or not t.is_const:
        return None
    if t.quant is not None and t.data.dtype.kind in "iu":
        zp, s = np.asarray(t.quant.zero_point, np.float32), np.asarray(t.quant.scale, np.float32)
        if t.quant.axis is not None and zp.ndim:
            shape = [1] * len(t.shape)
            shape[t.quant.axis] = -1
            zp, s = zp.reshape(shape), s.reshape(shape)
        return ((t.data.astype(np.float32) - zp) * s).astype(np.float32)
    return np.asarray(t.data).astype(np.float32)


def _one_value(v: np.ndarray | None) -> float | None:
    """The single value of a constant that holds one (all its elements equal), else None."""
    if v is None or v.size == 0:
        return None
    flat = v.reshape(-1)
    return float(flat[0]) if np.all(flat == flat[0]) else None


@register
class Unary(OpFamily):
    ops = tuple(UNARY) + tuple(BINARY)
    runtime = ("gen_unary.h", "gen_unary.c")
    int8_kernels = {op: "LutS8" for op in tuple(UNARY) + tuple(BINARY)}

    # ---- the op's parameters
    def _attrs(self, node) -> tuple[float, float]:
        """The kernel's (a, b): the op's attributes, defaults by the spec (refused unless finite)."""
        op = node.info.get("onnx_op", node.op)     # the ONNX op of a LutS8 node
        vals = [check_finite(node.attrs.get(k, d), f"attribute {k}", node) for k, d in UNARY[op][1]]
        if op == "Celu" and vals[0] == 0.0:
            raise GenError("attribute alpha = 0 divides by zero (Celu computes exp(x / alpha))", node.name, node.op)
        return tuple(vals + [0.0] * (2 - len(vals)))

    def _approx(self, node) -> str:
        approx = node.attrs.get("approximate", "none")
        approx = approx.decode() if isinstance(approx, bytes) else str(approx)
        if approx not in GELU_APPROX:
            raise GenError(f"attribute approximate '{approx}' is not one of 'none', 'tanh'", node.name, node.op)
        return approx

    def _scalar_operand(self, node, g) -> float | None:
        """Pow's exponent / PRelu's slope when it is one constant value (a scalar, or all equal
        and not widening the output)."""
        x, y = shape_of(g, node.inputs[0]), shape_of(g, node.outputs[0])
        if x != y:
            return None
        return _one_value(const_values(g, node.inputs[1]))

    def lut_function(self, node, g):
        """The op on float32 values, for LutS8's table (checks the attributes)."""
        op = node.info.get("onnx_op", node.op)
        if op in BINARY:
            v = self._scalar_operand(node, g)
            if v is None:
                raise GenError("internal: a lookup table needs one constant operand", node.name, op)
            return float_fn(op, check_finite(v, "the constant operand", node), 0.0)
        a, b = self._attrs(node)
        return float_fn(op, a, b, self._approx(node) if op == "Gelu" else "none")

    # ---- hooks
    def legalize(self, node, g):
        if node.op not in BINARY or len(node.inputs) < 2:
            return
        x, p, y = shape_of(g, node.inputs[0]), shape_of(g, node.inputs[1]), shape_of(g, node.outputs[0])
        if x is None or p is None:
            return
        try:
            out = np.broadcast_shapes(x, p)
        except ValueError:
            out = None
        if node.op == "PRelu" and out != tuple(x):
            raise GenError(f"slope '{node.inputs[1]}' has shape {list(p)}, which does not broadcast to the "
                           f"input {list(x)}", node.name, node.op)
        if out is None or (y is not None and tuple(y) != out):
            raise GenError(f"'{node.inputs[1]}' has shape {list(p)}, which does not broadcast with {list(x)}",
                           node.name, node.op)

    def int8_form(self, node, g):
        if node.op in BINARY and self._scalar_operand(node, g) is None:
            return None      # a per-element exponent or slope, or a run-time one: float between DQ and Q
        return super().int8_form(node, g)

    def check(self, node, g):
        x = g.t(node.inputs[0])
        if x.dtype != "float32":
            raise GenError(f"{node.op} on {x.dtype} is not supported (float32, or int8 in a QDQ graph)",
                           node.name, node.op)
        y = g.t(node.outputs[0])
        c_int32(y.size, "element count", node)
        if node.op in BINARY:
            p = g.t(node.inputs[1])
            if p.dtype != "float32" and not (p.is_const and np.dtype(p.dtype).kind in "iuf"):
                raise GenError(f"{node.op}'s second operand '{p.name}' is {p.dtype}: a run-time one must be "
                               "float32", node.name, node.op)
            if len(y.shape) > 6:
                raise GenError("broadcasting over more than 6 dims is not supported", node.name, node.op)
            if p.is_const:
                v = const_values(g, p.name)
                if not np.all(np.isfinite(v)):
                    raise GenError(f"constant '{p.name}' is not finite", node.name, node.op)
            return
        self._attrs(node)
        if node.op == "Gelu":
            self._approx(node)

    def kernel(self, node, g):
        if node.op in BINARY and self._scalar_operand(node, g) is None:
            return "gen_unary_binary_f32"
        return "gen_unary_f32"

    def emit(self, node, g, ctx):
        x, y = node.inputs[0], node.outputs[0]
        n = g.t(y).size
        if node.op in BINARY:
            v = self._scalar_operand(node, g)
            if v is None:
                return self._emit_binary(node, g, ctx)
            a, b, code = v, 0.0, BINARY[node.op]
        else:
            (a, b), code = self._attrs(node), UNARY[node.op][0]
            if node.op == "Gelu" and self._approx(node) == "tanh":
                code = "GEN_U_GELU_TANH"
        return f"gen_unary_f32({code}, {ctx.ptr(x)}, {ctx.ptr(y)}, {n}, {ctx.flt(a)}, {ctx.flt(b)});"

    def _emit_binary(self, node, g, ctx):
        a, b, y = (g.t(i) for i in (node.inputs[0], node.inputs[1], node.outputs[0]))
        b_ptr = ctx.ptr(b.name)
        if b.is_const and (b.dtype != "float32" or b.quant is not None):
            b_ptr = ctx.array(const_values(g, b.name), "c")
        shape, sa, sb = coalesce(y.shape, broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape))
        prm = ctx.params("gen_unary_binary_params",
                         f"{BINARY[node.op]}, {len(shape)}, {dims6(shape, node)}, {dims6(sa, node)}, "
                         f"{dims6(sb, node)}")
        return f"gen_unary_binary_f32({ctx.ptr(a.name)}, {b_ptr}, {ctx.ptr(y.name)}, {prm});"
