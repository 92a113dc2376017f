"""IsNaN and IsInf (float32, whose float16 tensors are float32 inside the graph): bool outputs of the same
shape, elementwise (runtime_c/gen_classify.c); IsInf's detect_positive / detect_negative select which
infinities count."""
from __future__ import annotations

from ..errors import GenError
from . import OpFamily, c_int32, register
from .dtypes import dtype_of

RUNTIME = ("gen_classify.h", "gen_classify.c")


@register
class Classify(OpFamily):
    ops = ("IsNaN", "IsInf")
    runtime = RUNTIME
    plain_integers = True
    dtypes = {"IsNaN": ("float32", "float16"), "IsInf": ("float32", "float16")}

    def check(self, node, g):
        dtype_of(node, g, node.inputs[0], ("float32",))
        y = g.t(node.outputs[0])
        if y.dtype != "bool" or y.shape != g.t(node.inputs[0]).shape:
            raise GenError(f"output '{y.name}' is {y.dtype} {list(y.shape)}: {node.op} gives bool of the input's "
                           "shape", node.name, node.op)
        c_int32(y.size, "element count", node)

    def kernel(self, node, g):
        return "gen_isnan_f32" if node.op == "IsNaN" else "gen_isinf_f32"

    def emit(self, node, g, ctx):
        y = g.t(node.outputs[0])
        n = c_int32(y.size, "element count", node)
        x, out = ctx.ptr(node.inputs[0]), ctx.ptr(y.name)
        if node.op == "IsNaN":
            return f"gen_isnan_f32({x}, {out}, {n});"
        pos = 1 if int(node.attrs.get("detect_positive", 1)) else 0
        neg = 1 if int(node.attrs.get("detect_negative", 1)) else 0
        return f"gen_isinf_f32({x}, {out}, {n}, {pos}, {neg});"
