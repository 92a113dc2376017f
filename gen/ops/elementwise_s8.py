"""int8 Add and Mul on CMSIS-NN (arm_elementwise_add_s8 / arm_elementwise_mul_s8), TFLite's parameters."""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .. import int8ref, quant
from . import OpFamily, c_fields, fast_eltwise, fast_s8, register
from .layout import to_memory
from .s8common import act_range, check_accumulator, check_shift

RUNTIME = ("gen_nn.h", "gen_s8.c", "arm_elementwise_s8.c")


@dataclass(frozen=True)
class AddS8Params:
    """TFLite's int8 Add: each input offset, shifted left and requantized, then the sum requantized."""
    input_1_offset: int
    input_1_mult: int
    input_1_shift: int
    input_2_offset: int
    input_2_mult: int
    input_2_shift: int
    left_shift: int
    out_offset: int
    out_mult: int
    out_shift: int
    out_activation_min: int
    out_activation_max: int
    size: int

    def kernel_args(self) -> dict:
        """The keyword arguments of int8ref.elementwise_add_s8 (all but size)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "size"}


@dataclass(frozen=True)
class MulS8Params:
    """TFLite's int8 Mul: the product of the offset inputs requantized."""
    input_1_offset: int
    input_2_offset: int
    out_offset: int
    out_mult: int
    out_shift: int
    out_activation_min: int
    out_activation_max: int
    size: int

    kernel_args = AddS8Params.kernel_args


def elementwise_params(node, g) -> AddS8Params | MulS8Params:
    a, b, y = (g.t(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
    if node.op == "AddS8":
        q, cls = quant.add_params(a.quant.s(), a.quant.zp(), b.quant.s(), b.quant.zp(), y.quant.s(), y.quant.zp()), \
            AddS8Params
    else:
        q, cls = quant.mul_params(a.quant.s(), a.quant.zp(), b.quant.s(), b.quant.zp(), y.quant.s(), y.quant.zp()), \
            MulS8Params
    lo, hi = act_range(node, y)
    p = c_fields(cls(**{k: int(v) for k, v in q.items()}, out_activation_min=lo, out_activation_max=hi,
                     size=y.size), node, f"{node.op} parameter")
    check_shift(p.out_mult, p.out_shift, "output requantization", node)
    if isinstance(p, AddS8Params):
        # each input: ((x - zp) << left_shift) requantized by a multiplier < 1, then their sum requantized
        bound = 0
        for mult, shift, k in ((p.input_1_mult, p.input_1_shift, 1), (p.input_2_mult, p.input_2_shift, 2)):
            check_shift(mult, shift, f"input {k} requantization", node)
            real = quant.dequantize_multiplier(mult, shift)
            bound += int(255 * 2 ** p.left_shift * float(real)) + 1
        check_accumulator(bound, p.out_shift, "sum of the scaled inputs, shifted by the output requantization", node)
    else:
        check_accumulator(255 * 255, p.out_shift, "product of the inputs, shifted by the requantization", node)
    return p


def const_operand(g, name: str, y) -> np.ndarray:
    """A constant operand broadcast to the output's shape, in the output's memory layout."""
    return np.ascontiguousarray(to_memory(y, np.broadcast_to(g.t(name).data.astype(np.int8), y.shape)))


@register
class ElementwiseS8(OpFamily):
    ops = ("AddS8", "MulS8")
    layout = "any"
    runtime = RUNTIME

    def prepare(self, node, g):
        return elementwise_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def fast(self, node, g) -> str | None:
        """gen's specialized kernel for this layer (gen/ops/fast_eltwise.py), or None for the CMSIS-NN call."""
        return fast_eltwise.choice(self.params(node, g)) if fast_s8.enabled(g) else None

    def runtime_files(self, node, g):
        return self.runtime + (fast_eltwise.RUNTIME if self.fast(node, g) else ())

    def kernel(self, node, g):
        if self.fast(node, g):
            return f"gen_fast_{self.fast(node, g)}_s8"
        return "arm_elementwise_add_s8" if node.op == "AddS8" else "arm_elementwise_mul_s8"

    def overlap(self, node, g):
        if not self.fast(node, g):
            return ()
        size = g.t(node.outputs[0]).nbytes
        return tuple(r for r in fast_eltwise.overlap() if g.t(node.inputs[r.input]).nbytes == size)

    def row_window(self, node, g):
        """Pixel by pixel: a band of rows reads the same rows of every input, when no input broadcasts."""
        from ..bands import RowWindow
        shape = g.t(node.outputs[0]).shape
        ok = all(i and not g.t(i).is_const and g.t(i).shape == shape for i in node.inputs[:2])
        return RowWindow() if ok else None

    def reference(self, node, g, *acts):
        y = g.t(node.outputs[0])
        it = iter(acts)
        a, b = (const_operand(g, i, y) if g.t(i).is_const else next(it) for i in node.inputs[:2])
        p = self.params(node, g)
        return (int8ref.elementwise_add_s8 if node.op == "AddS8" else int8ref.elementwise_mul_s8)(a, b,
                                                                                                 **p.kernel_args())

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        yt = g.t(node.outputs[0])
        a, b = (ctx.array(const_operand(g, i, yt), "k") if g.t(i).is_const else ctx.ptr(i) for i in node.inputs[:2])
        y = ctx.ptr(node.outputs[0])
        if self.fast(node, g):
            return fast_eltwise.emit(ctx, node, p, a, b, y)
        if isinstance(p, AddS8Params):
            return (f"GEN_CHECK(arm_elementwise_add_s8({a}, {b}, {p.input_1_offset}, {p.input_1_mult}, "
                    f"{p.input_1_shift}, {p.input_2_offset}, {p.input_2_mult}, {p.input_2_shift}, "
                    f"{p.left_shift}, {y}, {p.out_offset}, {p.out_mult}, {p.out_shift}, "
                    f"{p.out_activation_min}, {p.out_activation_max}, {p.size}));")
        return (f"GEN_CHECK(arm_elementwise_mul_s8({a}, {b}, {p.input_1_offset}, {p.input_2_offset}, {y}, "
                f"{p.out_offset}, {p.out_mult}, {p.out_shift}, {p.out_activation_min}, {p.out_activation_max}, "
                f"{p.size}));")
