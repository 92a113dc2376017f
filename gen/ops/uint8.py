"""The uint8 boundary of uint8-quantized models (onnxruntime's QUInt8, TFLite's older uint8 models).

gen.qpasses.uint8_to_int8 computes every uint8-quantized tensor as int8: a uint8 tensor q with zero
point z and scale s is the int8 tensor q - 128 with zero point z - 128 and scale s (exact, no rounding),
and q - 128 is q with its top bit flipped. Constants are converted at generation time; a uint8 graph
input or output stays uint8 at the API and FlipSignS8 (`runtime_c/gen_uint8.c`) flips the bit once
per element between it and the int8 tensor the kernels read or write (in place where the planner lets
it share the input's bytes).
"""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from ..ir import NP_DTYPE
from . import OpFamily, c_int32, register


@register
class FlipSign(OpFamily):
    ops = ("FlipSignS8",)
    runtime = ("gen_uint8.h", "gen_uint8.c")
    flips_sign = True
    plain_integers = True       # its uint8 side has no int8 quantization
    may_alias_input = True

    def layout_for(self, node, g, first):
        # the uint8 graph input is in the model's order (the int8 side follows it); a uint8 graph output
        # is written in the model's order (the transpose, if any, is on the int8 side)
        return "model" if g.t(node.outputs[0]).dtype == "uint8" else "any"

    def check(self, node, g):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        if {x.dtype, y.dtype} != {"uint8", "int8"} or x.shape != y.shape:
            raise GenError(f"internal: FlipSignS8 from {x.dtype} {list(x.shape)} to {y.dtype} {list(y.shape)}",
                           node.name, node.op)

    def kernel(self, node, g):
        return "gen_flip_sign_bit"

    def reference(self, node, g, x):
        y = g.t(node.outputs[0])
        return (np.asarray(x).view(np.uint8) ^ np.uint8(0x80)).view(NP_DTYPE[y.dtype])

    def emit(self, node, g, ctx):
        n = c_int32(g.t(node.outputs[0]).size, "element count", node)
        return f"gen_flip_sign_bit({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {n});"
