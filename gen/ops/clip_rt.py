"""Clip whose min or max is not a constant (a graph input or computed at run time), float32: the kernel
reads the bounds from the arena (runtime_c/gen_rtfloat.c), min(max(x, min), max) as ONNX says, so max
wins when min > max, as the constant path's bounds do. The Activation family's legalize hook renames
such a node to ClipRT (an internal name, no ONNX op); it fuses into no producer.
"""
from __future__ import annotations

from ..errors import GenError
from . import OpFamily, c_int32, register


def runtime_form(node, g) -> bool:
    """Rename a Clip whose bound is not constant to ClipRT (True if it did)."""
    from .quantize_rt import run_time_value
    if node.op == "Clip" and any(n and run_time_value(g, n) for n in node.inputs[1:3]):
        node.op = "ClipRT"
        return True
    return False


def _bound(node, k):
    return node.inputs[k] if len(node.inputs) > k and node.inputs[k] else None


@register
class ClipRuntime(OpFamily):
    ops = ("ClipRT",)
    is_internal = True
    runtime = ("gen_rtfloat.h", "gen_rtfloat.c")

    def legalize(self, node, g):
        self.check(node, g)

    def check(self, node, g):
        for name in [node.inputs[0]] + [_bound(node, k) for k in (1, 2)]:
            if name is not None and g.t(name).dtype != "float32":
                raise GenError(f"'{name}' is {g.t(name).dtype}: a Clip with bounds read at run time computes on "
                               "float32", node.name, "Clip")
        for k in (1, 2):
            name = _bound(node, k)
            if name is not None and g.t(name).size != 1:
                raise GenError(f"Clip bound '{name}' has shape {list(g.t(name).shape)}: a bound is one value",
                               node.name, "Clip")
        c_int32(g.t(node.outputs[0]).size, "element count", node)

    def kernel(self, node, g):
        return "gen_rt_clip"

    def emit(self, node, g, ctx):
        lo, hi = (ctx.ptr(n) if n is not None else "NULL" for n in (_bound(node, 1), _bound(node, 2)))
        return (f"gen_rt_clip({ctx.ptr(node.inputs[0])}, {lo}, {hi}, {ctx.ptr(node.outputs[0])}, "
                f"{g.t(node.outputs[0]).size});")
