"""BandShift: --ram min's row buffers keep the rows the next band reads again (gen/bands.py, `cut` with reuse).

A layer's row buffer holds the rows of its output the current band needs, first row first. Before the next
band, the rows it needs again move to the buffer's start (memmove: the two ranges may overlap), and the layer
computes only its new rows after them, so no row is computed twice. The node reads a window of the buffer
and writes another window of the same buffer; it exists only in a banded graph (no ONNX op).
"""
from __future__ import annotations

from . import OpFamily, register


@register
class BandShift(OpFamily):
    ops = ("BandShift",)
    layout = "any"
    moves_any_dtype = True
    keeps_quant = True
    is_internal = True

    def kernel(self, node, g):
        return "memmove"

    def emit(self, node, g, ctx):
        t = g.t(node.outputs[0])
        return f"memmove({ctx.ptr(node.outputs[0])}, {ctx.ptr(node.inputs[0])}, {t.nbytes});"
