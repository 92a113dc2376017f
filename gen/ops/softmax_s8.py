"""int8 Softmax on CMSIS-NN's arm_softmax_s8 (TFLite's fixed-point exp; output scale 1/256, zero point -128).

The softmax runs over the trailing memory axes (the channel axis of a channels-last tensor, or the
last axes of a row-major one). When the model asks for another output scale (onnxruntime's quantizer writes
1/255), the kernel writes to scratch and gen_s8_requantize converts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import int8ref, quant
from ..errors import GenError
from . import OpFamily, c_fields, register
from .layout import memory_perm, same_bytes
from .s8common import check_accumulator, requant

RUNTIME = ("gen_nn.h", "arm_softmax_s8.c", "gen_s8.c")
OUT_SCALE, OUT_ZP = 1.0 / 256, -128


def softmax_axes(node, g) -> list[int]:
    """The model axes one softmax runs over: `axis` (opset >= 13), or every axis from `axis` on (the 2-D
    coercion of opset < 13)."""
    nd = len(g.t(node.inputs[0]).shape)
    axis = int(node.attrs.get("axis", -1 if g.opset >= 13 else 1))
    if not -nd <= axis < nd:
        raise GenError(f"axis {axis} is out of range for rank {nd}", node.name, node.op)
    axis %= nd
    return [axis] if g.opset >= 13 else list(range(axis, nd))


def softmax_rows(node, g, layout: str | None = "") -> int | None:
    """The row length when the softmax's axes are the trailing memory axes of the input in `layout`
    (default its own), so that arm_softmax_s8 runs over contiguous rows; else None."""
    x = g.t(node.inputs[0])
    axes = softmax_axes(node, g)
    perm = memory_perm(x, layout)
    if sorted(perm.index(a) for a in axes) != list(range(len(perm) - len(axes), len(perm))):
        return None
    return int(np.prod([x.shape[a] for a in axes], dtype=np.int64))


@dataclass(frozen=True)
class SoftmaxS8Params:
    rows: int
    row: int                        # the softmax's length: contiguous trailing memory axes
    mult: int                       # arm_softmax_s8's input multiplier, shift and diff_min
    shift: int
    diff_min: int
    direct: bool                    # the output is in arm_softmax_s8's scale (1/256, -128): no requantize
    rq_mult: int | None = None      # not direct: gen_s8_requantize from (1/256, -128) to the output's
    rq_shift: int | None = None
    rq_in_offset: int | None = None
    rq_out_offset: int | None = None


def softmax_s8_params(node, g) -> SoftmaxS8Params:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    row = softmax_rows(node, g)
    if row is None and same_bytes(x):     # the same bytes in either layout
        row = softmax_rows(node, g, None if x.layout else "NHWC")
    if row is None:
        raise GenError(f"int8 softmax over axes {softmax_axes(node, g)} of a {len(x.shape)}-D tensor "
                       f"{'stored channels last ' if x.layout else ''}is not over its last memory axes",
                       node.name, node.op)
    if float(np.float32(x.quant.s())) * 2.0 ** (31 - quant.SOFTMAX_SCALED_DIFF_INTEGER_BITS) <= 1.0:
        raise GenError(f"input scale {x.quant.s():g} is too small for arm_softmax_s8 (its input multiplier must "
                       "exceed 1)", node.name, node.op)
    mult, shift, diff_min = quant.softmax_params(x.quant.s())
    direct = bool(np.float32(y.quant.s()) == np.float32(OUT_SCALE) and y.quant.zp() == OUT_ZP)
    rq = {}
    if not direct:
        m, s = requant(quant.requantize_scale(OUT_SCALE, y.quant.s()), "output requantization scale", node)
        check_accumulator(255, s, "softmax output, shifted by the requantization", node)
        rq = dict(rq_mult=m, rq_shift=s, rq_in_offset=-OUT_ZP, rq_out_offset=y.quant.zp())
    p = SoftmaxS8Params(rows=x.size // row, row=row, mult=int(mult), shift=int(shift), diff_min=int(diff_min),
                        direct=direct, **rq)
    return c_fields(p, node, "softmax parameter")


@register
class SoftmaxS8(OpFamily):
    ops = ("SoftmaxS8",)
    runtime = RUNTIME

    def layout_for(self, node, g, first):
        # rows over the trailing axes in the input's layout, else in the other one
        if softmax_rows(node, g, first) is None and not same_bytes(g.t(node.inputs[0])):
            first = None if first else "NHWC"
        return "channels_last" if first == "NHWC" else "model"

    def prepare(self, node, g):
        return softmax_s8_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "arm_softmax_s8" + ("" if self.params(node, g).direct else " + gen_s8_requantize")

    def scratch(self, node, g):
        return 0 if self.params(node, g).direct else g.t(node.outputs[0]).size

    def reference(self, node, g, x):
        p = self.params(node, g)
        y = int8ref.softmax_s8(x.reshape(p.rows, p.row), p.mult, p.shift, p.diff_min)
        if not p.direct:
            y = int8ref.requantize_s8(y, input_offset=p.rq_in_offset, mult=p.rq_mult, shift=p.rq_shift,
                                      output_offset=p.rq_out_offset)
        return y

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        if p.direct:
            return f"arm_softmax_s8({x}, {p.rows}, {p.row}, {p.mult}, {p.shift}, {p.diff_min}, {y});"
        tmp = f"(int8_t *){ctx.scratch(node)}"
        n = p.rows * p.row
        return (f"arm_softmax_s8({x}, {p.rows}, {p.row}, {p.mult}, {p.shift}, {p.diff_min}, "
                f"{tmp});\n"
                f"gen_s8_requantize({tmp}, {y}, {n}, {p.rq_in_offset}, {p.rq_mult}, {p.rq_shift}, "
                f"{p.rq_out_offset}, -128, 127);")
