"""Cast and CastLike between gen's dtypes (float32, float16, int8, uint8, int16, int32, int64, uint16, uint32,
uint64, bool).

ONNX's rules: float -> integer truncates toward zero, -> bool is x != 0, -> float16 rounds to nearest
even. Out of range float -> integer is undefined in the spec; gen does what onnxruntime does on x86-64
(NaN and values past int32, or int64 for int64, become that type's minimum, then wrap to the narrower
types). float16 tensors are float32 inside the graph: a Cast to float16 rounds the float32 values to
float16's precision. CastLike reads its target dtype from the frontend (attrs "to", the ONNX type of its
second input).
"""
from __future__ import annotations

from ..errors import GenError
from . import OpFamily, c_int32, register
from .dtypes import DT_CODE, INT_DTYPES, ONNX_TO, RUNTIME, dtype_of


@register
class Cast(OpFamily):
    ops = ("Cast", "CastLike")
    runtime = RUNTIME
    plain_integers = True
    casts = ("Cast",)          # the op gen.qpasses inserts to compute plain integers in float32
    dtypes = {op: ("float32", "float16") + INT_DTYPES + ("bool",) for op in ops}

    def onnx_attrs(self, node, types):
        """CastLike casts to its second input's ONNX type: the IR node carries it as `to` (float16 is
        float32 inside the graph)."""
        if node.op_type == "CastLike" and len(node.input) > 1 and types.get(node.input[1]) is not None:
            return {"to": int(types[node.input[1]])}
        return {}

    def target(self, node) -> str:
        to = node.attrs.get("to")
        if to not in ONNX_TO:
            raise GenError(f"{node.op} to ONNX element type {to} is not supported (gen casts to float32, float16, "
                           "int8, uint8, int16, int32, int64, uint16, uint32, uint64 and bool)", node.name, node.op)
        return ONNX_TO[to]

    def legalize(self, node, g):
        self.target(node)

    def check(self, node, g):
        dtype_of(node, g, node.inputs[0], tuple(DT_CODE))
        self.target(node)
        c_int32(g.t(node.outputs[0]).size, "element count", node)

    def kernel(self, node, g):
        return "gen_cast"

    def emit(self, node, g, ctx):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        f16 = int(self.target(node) == "float16")
        return (f"gen_cast({ctx.ptr(x.name)}, {DT_CODE[x.dtype]}, {ctx.ptr(y.name)}, {DT_CODE[y.dtype]}, "
                f"{c_int32(y.size, 'element count', node)}, {f16});")
