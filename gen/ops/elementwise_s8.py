"""int8 Add and Mul on CMSIS-NN (arm_elementwise_add_s8 / arm_elementwise_mul_s8), TFLite's parameters."""
from __future__ import annotations

import numpy as np

from .. import int8ref, quant
from . import OpFamily, c_params, register
from .layout import to_memory
from .s8common import act_range, check_accumulator, check_shift

RUNTIME = ("gen_nn.h", "gen_cmsis_nn.h", "gen_nn_math.h", "gen_s8.c", "arm_elementwise_s8.c")


def elementwise_params(node, g) -> dict:
    a, b, y = (g.t(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
    if node.op == "AddS8":
        p = quant.add_params(a.quant.s(), a.quant.zp(), b.quant.s(), b.quant.zp(), y.quant.s(), y.quant.zp())
    else:
        p = quant.mul_params(a.quant.s(), a.quant.zp(), b.quant.s(), b.quant.zp(), y.quant.s(), y.quant.zp())
    p = {k: int(v) for k, v in p.items()}
    p["out_activation_min"], p["out_activation_max"] = act_range(node, y)
    p["size"] = y.size
    return p


def const_operand(g, name: str, y) -> np.ndarray:
    """A constant operand broadcast to the output's shape, in the output's memory layout."""
    return np.ascontiguousarray(to_memory(y, np.broadcast_to(g.t(name).data.astype(np.int8), y.shape)))


@register
class ElementwiseS8(OpFamily):
    ops = ("AddS8", "MulS8")
    layout = "any"
    runtime = RUNTIME

    def check(self, node, g):
        p = c_params(elementwise_params(node, g), node, f"{node.op} parameter")
        check_shift(p["out_mult"], p["out_shift"], "output requantization", node)
        if node.op == "AddS8":
            # each input: ((x - zp) << left_shift) requantized by a multiplier < 1, then their sum requantized
            bound = 0
            for k in (1, 2):
                check_shift(p[f"input_{k}_mult"], p[f"input_{k}_shift"], f"input {k} requantization", node)
                real = quant.dequantize_multiplier(p[f"input_{k}_mult"], p[f"input_{k}_shift"])
                bound += int(255 * 2 ** p["left_shift"] * float(real)) + 1
            check_accumulator(bound, p["out_shift"], "sum of the scaled inputs, shifted by the output requantization",
                              node)
        else:
            check_accumulator(255 * 255, p["out_shift"], "product of the inputs, shifted by the requantization", node)

    def kernel(self, node, g):
        return "arm_elementwise_add_s8" if node.op == "AddS8" else "arm_elementwise_mul_s8"

    def reference(self, node, g, *acts):
        y = g.t(node.outputs[0])
        it = iter(acts)
        a, b = (const_operand(g, i, y) if g.t(i).is_const else next(it) for i in node.inputs[:2])
        p = elementwise_params(node, g)
        del p["size"]
        return (int8ref.elementwise_add_s8 if node.op == "AddS8" else int8ref.elementwise_mul_s8)(a, b, **p)

    def emit(self, node, g, ctx):
        p = elementwise_params(node, g)
        yt = g.t(node.outputs[0])
        a, b = (ctx.array(const_operand(g, i, yt), "k") if g.t(i).is_const else ctx.ptr(i) for i in node.inputs[:2])
        y = ctx.ptr(node.outputs[0])
        if node.op == "AddS8":
            return (f"GEN_CHECK(arm_elementwise_add_s8({a}, {b}, {p['input_1_offset']}, {p['input_1_mult']}, "
                    f"{p['input_1_shift']}, {p['input_2_offset']}, {p['input_2_mult']}, {p['input_2_shift']}, "
                    f"{p['left_shift']}, {y}, {p['out_offset']}, {p['out_mult']}, {p['out_shift']}, "
                    f"{p['out_activation_min']}, {p['out_activation_max']}, {p['size']}));")
        return (f"GEN_CHECK(arm_elementwise_mul_s8({a}, {b}, {p['input_1_offset']}, {p['input_2_offset']}, {y}, "
                f"{p['out_offset']}, {p['out_mult']}, {p['out_shift']}, {p['out_activation_min']}, {p['out_activation_max']}, "
                f"{p['size']}));")
