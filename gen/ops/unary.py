"""Elementwise math (float32, gen_unary.c): Abs, Neg, Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Round,
Sign, the trigonometric and hyperbolic functions and their inverses, Erf, Gelu, Elu, Selu, Celu,
Softplus, Softsign, Mish, ThresholdedRelu, Shrink, and the two binary ops whose second operand is
usually a constant: Pow (the exponent) and PRelu (the slope), broadcast as numpy does.

int8: every unary op, Pow with one constant exponent and PRelu with one constant slope become a
256-entry lookup table (LutS8 in gen/ops/quantize.py), built by `lut_function`: the op in float32 on
each dequantized int8 value, then quantized (round half to even, saturate), which is DQ -> op -> Q
exactly. A constant slope or exponent that varies along one axis (PRelu per channel) is one such table
per channel (LutChannelS8, below, in the input's layout); one varying along more axes, or a run-time
one, computes in float between DQ and Q.
"""
from __future__ import annotations

import math

import numpy as np

from dataclasses import dataclass

from .. import quant
from ..errors import GenError
from . import OpFamily, broadcast_strides, c_fields, c_int32, check_finite, dims6, register, shape_of
from .compare import emit_binary
from .dtypes import INT_DTYPES, bcast_fields
from .dtypes import RUNTIME as INT_RUNTIME
from .elementwise import coalesce
from .layout import mem_axis, mem_shape

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
MAX_LUT_CHANNELS = 1024     # per-channel tables: 256 bytes of flash each

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


def channel_values(g, node) -> tuple[int, np.ndarray] | None:
    """(axis, values) when the constant second operand (PRelu's slope, Pow's exponent), broadcast to
    the input's shape, varies along one axis of the input only (a slope per channel); else None."""
    x, y = shape_of(g, node.inputs[0]), shape_of(g, node.outputs[0])
    v = const_values(g, node.inputs[1]) if len(node.inputs) > 1 else None
    if v is None or x != y or v.ndim > len(x):
        return None
    padded = v.reshape((1,) * (len(x) - v.ndim) + v.shape)
    axes = [k for k, d in enumerate(padded.shape) if d > 1]
    if len(axes) != 1 or padded.shape[axes[0]] != x[axes[0]] or x[axes[0]] > MAX_LUT_CHANNELS:
        return None
    return axes[0], padded.reshape(-1)


@register
class Unary(OpFamily):
    ops = tuple(UNARY) + tuple(BINARY)
    # exact in float32 on plain integers: Abs, Neg; Pow's integer exponent (rounded past 2^24)
    plain_int_as_float = {"Abs": (0,), "Neg": (0,), "Pow": (1,)}
    plain_integers = ("Pow",)      # an integer base: integer powers (gen_int_binary); check refuses the rest
    dtypes = {"Abs": ("float32", "int8", "uint8", "int16", "uint16"), "Neg": ("float32", "int8", "int16"),
              "Pow": ("float32", "int8", "int32", "int64")}
    limits = {"Pow": "an integer base takes an exponent of its own type; an integer exponent on a float base is "
                     "exact up to 2^24"}

    def _int_pow(self, node, g) -> bool:
        return node.op == "Pow" and g.t(node.inputs[0]).dtype in INT_DTYPES and g.t(node.inputs[0]).quant is None

    def float_inputs(self, node, g):
        return () if self._int_pow(node, g) else super().float_inputs(node, g)

    def runtime_files(self, node, g):
        return INT_RUNTIME if self._int_pow(node, g) else self.runtime
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
            if channel_values(g, node) is not None:
                return "LutChannelS8"     # one table per channel
            return None      # a per-element exponent or slope, or a run-time one: float between DQ and Q
        return super().int8_form(node, g)

    def check(self, node, g):
        x = g.t(node.inputs[0])
        if self._int_pow(node, g):
            p = g.t(node.inputs[1])
            if p.dtype != x.dtype:
                raise GenError(f"Pow of a plain {x.dtype} base to a {p.dtype} exponent is not supported (gen "
                               "computes integer powers of one integer type)", node.name, node.op)
            bcast_fields(node, g, node.inputs[:2], node.outputs[0])
            return
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
        if self._int_pow(node, g):
            return "gen_int_binary"
        if node.op in BINARY and self._scalar_operand(node, g) is None:
            return "gen_unary_binary_f32"
        return "gen_unary_f32"

    def emit(self, node, g, ctx):
        x, y = node.inputs[0], node.outputs[0]
        n = g.t(y).size
        if self._int_pow(node, g):
            return emit_binary(node, g, ctx, "GEN_I_POW", x, node.inputs[1], y)
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
        # a constant of another dtype (an int64 exponent, a dequantized int8 slope) is stored as float32
        b_ptr = ctx.array(const_values(g, b.name), "c") if b.is_const else ctx.ptr(b.name)
        shape, sa, sb = coalesce(y.shape, broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape))
        prm = ctx.params("gen_unary_binary_params",
                         f".op = {BINARY[node.op]}, .ndim = {len(shape)}, .shape = {dims6(shape, node)}, "
                         f".a_stride = {dims6(sa, node)}, .b_stride = {dims6(sb, node)}")
        return f"gen_unary_binary_f32({ctx.ptr(a.name)}, {b_ptr}, {ctx.ptr(y.name)}, {prm});"


@dataclass(frozen=True)
class LutChannelS8Params:
    outer: int                      # the input in memory as [outer, channels, inner]
    channels: int
    inner: int
    tables: np.ndarray              # int8 [channels, 256], indexed by [c, x + 128]


@register
class LutChannelS8(OpFamily):
    """int8 PRelu / Pow whose constant slope / exponent varies along one axis: one 256-entry table per
    channel, each DQ -> op in float32 -> Q exactly (as LutS8's). Follows its input's layout."""
    ops = ("LutChannelS8",)
    layout = "any"
    runtime = ("gen_unary.h", "gen_unary.c")

    def prepare(self, node, g):
        op = node.info.get("onnx_op")
        found = channel_values(g, node)
        if op not in BINARY or found is None:
            raise GenError("internal: a per-channel table needs a constant varying along one axis", node.name,
                           node.op)
        axis, values = found
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        if not np.all(np.isfinite(values)):
            raise GenError(f"constant '{node.inputs[1]}' is not finite", node.name, node.op)
        args = (x.quant.s(), x.quant.zp(), y.quant.s(), y.quant.zp())
        tables = np.stack([quant.build_lut(float_fn(op, float(v), 0.0), *args) for v in values]).astype(np.int8)
        ma, shape = mem_axis(x, axis), mem_shape(x)
        return c_fields(LutChannelS8Params(outer=int(np.prod(shape[:ma], dtype=np.int64)), channels=shape[ma],
                                           inner=int(np.prod(shape[ma + 1:], dtype=np.int64)), tables=tables),
                        node, "table parameter")

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_unary_lut_channel_s8"

    def reference(self, node, g, x):
        p = self.params(node, g)
        xs = np.asarray(x, np.int64).reshape(p.outer, p.channels, p.inner) + 128
        return p.tables[np.arange(p.channels).reshape(1, -1, 1), xs].reshape(np.shape(x))

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        tables = ctx.array(p.tables.reshape(-1), "lut")
        return (f"gen_unary_lut_channel_s8({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {p.outer}, "
                f"{p.channels}, {p.inner}, {tables});")
