"""Cast and CastLike between gen's dtypes (float32, float16, bfloat16, float64, int8, uint8, int16, int32, int64,
uint16, uint32, uint64, bool).

ONNX's rules: float -> integer truncates toward zero, -> bool is x != 0, -> float16 rounds to nearest
even. Out of range float -> integer is undefined in the spec; gen does what onnxruntime does on x86-64
(NaN and values past int32, or int64 for int64, become that type's minimum, then wrap to the narrower
types). float16 tensors are float32 inside the graph: a Cast to float16 rounds the float32 values to
float16's precision, a Cast to bfloat16 to bfloat16's (nearest even, as onnx.reference's ml_dtypes), a Cast to
float64 gives the float32 value (float64 tensors are float32 inside the graph, double at the API). CastLike reads
its target dtype from the frontend (attrs "to", the ONNX type of its second input).
"""
from __future__ import annotations

import onnx

from ..errors import GenError
from . import OpFamily, c_int32, register
from .dtypes import DT_CODE, INT_DTYPES, ONNX_TO, RUNTIME, dtype_of


@register
class Cast(OpFamily):
    ops = ("Cast", "CastLike")
    runtime = RUNTIME
    plain_integers = True
    casts = ("Cast",)          # the op gen.qpasses inserts to compute plain integers in float32
    dtypes = {op: ("float32", "float16", "bfloat16", "float64") + INT_DTYPES + ("bool",) for op in ops}

    def onnx_attrs(self, node, types):
        """CastLike casts to its second input's ONNX type: the IR node carries it as `to` (float16 is
        float32 inside the graph)."""
        if node.op_type == "CastLike" and len(node.input) > 1 and types.get(node.input[1]) is not None:
            return {"to": int(types[node.input[1]])}
        return {}

    def target(self, node) -> str:
        to = node.attrs.get("to")
        if to not in ONNX_TO:
            name = onnx.TensorProto.DataType.Name(to).lower() if to in onnx.TensorProto.DataType.values() else to
            raise GenError(f"{node.op} to {name} is not supported (gen casts to {', '.join(sorted(set(ONNX_TO.values())))})",
                           node.name, node.op)
        return ONNX_TO[to]

    def legalize(self, node, g):
        self.target(node)

    def check(self, node, g):
        dtype_of(node, g, node.inputs[0], tuple(DT_CODE))
        self.target(node)
        c_int32(g.t(node.outputs[0]).size, "element count", node)

    def runtime_files(self, node, g):
        if self.target(node) == "bfloat16":
            return RUNTIME + ("gen_floatfmt.h", "gen_floatfmt.c")      # gen_round_bf16_n
        return RUNTIME

    def kernel(self, node, g):
        return "gen_cast"

    def emit(self, node, g, ctx):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        f16 = int(self.target(node) == "float16")
        n = c_int32(y.size, 'element count', node)
        text = f"gen_cast({ctx.ptr(x.name)}, {DT_CODE[x.dtype]}, {ctx.ptr(y.name)}, {DT_CODE[y.dtype]}, {n}, {f16});"
        if self.target(node) == "bfloat16":     # the float32 result rounded to bfloat16's precision
            text += f"\ngen_round_bf16_n({ctx.ptr(y.name)}, {n});"
        return text
