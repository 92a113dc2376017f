"""Comparisons (Equal, Greater, Less, GreaterOrEqual, LessOrEqual: bool outputs), logic (And, Or, Xor,
Not on bool) and Where, with numpy broadcasting, on every dtype gen computes (float32, whose float16
tensors are float32 inside the graph, and the plain integers and bool). Kernels: gen_int_binary,
gen_not, gen_where (runtime_c/gen_int.c)."""
from __future__ import annotations

from ..errors import GenError
from ..ir import DTYPE_SIZE
from . import OpFamily, c_int32, register
from .dtypes import DT_CODE, INT_DTYPES, RUNTIME, bcast_fields, dtype_of

COMPARE_CODES = {"Equal": "GEN_I_EQ", "Greater": "GEN_I_GT", "Less": "GEN_I_LT", "GreaterOrEqual": "GEN_I_GE",
                 "LessOrEqual": "GEN_I_LE"}
LOGIC_CODES = {"And": "GEN_I_AND", "Or": "GEN_I_OR", "Xor": "GEN_I_XOR"}
NUMERIC = ("float32",) + INT_DTYPES


def emit_binary(node, g, ctx, code: str, a: str, b: str, y: str, dt: str | None = None) -> str:
    """One gen_int_binary call: y = a <op> b, a and b broadcast to y's shape."""
    dt = dt or g.t(a).dtype
    prm = ctx.params("gen_int_binary_params",
                     f"{code}, {DT_CODE[dt]}, {DT_CODE[g.t(y).dtype]}, {bcast_fields(node, g, [a, b], y)}")
    return f"gen_int_binary({ctx.ptr(a)}, {ctx.ptr(b)}, {ctx.ptr(y)}, {prm});"


@register
class Compare(OpFamily):
    ops = tuple(COMPARE_CODES) + tuple(LOGIC_CODES)
    runtime = RUNTIME
    dtypes = {**{op: NUMERIC for op in COMPARE_CODES}, "Equal": NUMERIC + ("bool",),
              **{op: ("bool",) for op in LOGIC_CODES}}
    plain_integers = True

    def check(self, node, g):
        allowed = ("bool",) if node.op in LOGIC_CODES else NUMERIC + (("bool",) if node.op == "Equal" else ())
        a, b = (dtype_of(node, g, i, allowed) for i in node.inputs[:2])
        if a != b:
            raise GenError(f"{node.op} of {a} and {b} tensors: ONNX needs one dtype", node.name, node.op)
        bcast_fields(node, g, node.inputs[:2], node.outputs[0])

    def kernel(self, node, g):
        return "gen_int_binary"

    def emit(self, node, g, ctx):
        code = COMPARE_CODES.get(node.op) or LOGIC_CODES[node.op]
        return emit_binary(node, g, ctx, code, node.inputs[0], node.inputs[1], node.outputs[0])


@register
class Not(OpFamily):
    ops = ("Not",)
    runtime = RUNTIME
    dtypes = {"Not": ("bool",)}
    plain_integers = True

    def check(self, node, g):
        dtype_of(node, g, node.inputs[0], ("bool",))
        c_int32(g.t(node.outputs[0]).size, "element count", node)

    def kernel(self, node, g):
        return "gen_not"

    def emit(self, node, g, ctx):
        y = g.t(node.outputs[0])
        return f"gen_not({ctx.ptr(node.inputs[0])}, {ctx.ptr(y.name)}, {c_int32(y.size, 'element count', node)});"


@register
class Where(OpFamily):
    ops = ("Where",)
    runtime = RUNTIME
    dtypes = {"Where": NUMERIC + ("bool",)}
    plain_integers = True

    def check(self, node, g):
        dtype_of(node, g, node.inputs[0], ("bool",))
        a, b = (dtype_of(node, g, i, tuple(DT_CODE)) for i in node.inputs[1:3])
        if a != b:
            raise GenError(f"Where of {a} and {b} tensors: ONNX needs one dtype", node.name, node.op)
        bcast_fields(node, g, node.inputs[:3], node.outputs[0])

    def kernel(self, node, g):
        return "gen_where"

    def emit(self, node, g, ctx):
        c, a, b = node.inputs[:3]
        y = node.outputs[0]
        prm = ctx.params("gen_where_params", bcast_fields(node, g, [c, a, b], y))
        return (f"gen_where({ctx.ptr(c)}, {ctx.ptr(a)}, {ctx.ptr(b)}, {ctx.ptr(y)}, "
                f"{DTYPE_SIZE[g.t(y).dtype]}, {prm});")
