"""Layout ops: views (Reshape, Flatten, Squeeze, Unsqueeze), Concat, Transpose, Pad (constant), Copy.

Views cost nothing: passes.make_views marks their output as a view of the input, so it shares the
input's arena bytes and no code is emitted. Concat, Transpose and Pad move bytes, so one kernel
serves float and int8.
"""
from __future__ import annotations

import numpy as np

from .. import int8ref
from ..errors import GenError
from . import OpFamily, contiguous_strides, dims6, register

VIEW_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze")
NHWC_AXIS = (0, 3, 1, 2)   # model (NCHW) axis -> memory axis of an NHWC tensor


def _inputs_of(node, g, acts, layout):
    """Every input's value for a reference, shaped in `layout` (the output's; an input in the other layout
    is one whose bytes are the same in both: C == 1 or H * W == 1): activations as given, constants from
    the graph."""
    it = iter(acts)
    out = []
    for name in node.inputs:
        if not name:
            continue
        t = g.t(name)
        if t.is_const:
            v = t.data.transpose(0, 2, 3, 1) if layout == "NHWC" else t.data
        else:
            v = np.asarray(next(it))
        out.append(v.reshape([t.shape[k] for k in (0, 2, 3, 1)] if layout == "NHWC" else t.shape))
    return out


@register
class View(OpFamily):
    ops = VIEW_OPS

    def check(self, node, g):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        if x.size != y.size:
            raise GenError(f"{node.op} changes the element count ({x.size} -> {y.size})", node.name, node.op)
        if node.op == "Flatten" and not -len(x.shape) <= int(node.attrs.get("axis", 1)) <= len(x.shape):
            raise GenError(f"axis {node.attrs.get('axis')} is out of range for rank {len(x.shape)}", node.name, node.op)

    def kernel(self, node, g):
        return "(view)" if g.t(node.outputs[0]).view_of else "memcpy"

    def emit(self, node, g, ctx):
        if g.t(node.outputs[0]).view_of:
            return f"/* {node.op}: a view, no code */"
        return Copy().emit(node, g, ctx)


@register
class Copy(OpFamily):
    """A copy that passes keep where a graph output is a graph input or another output (Identity)."""
    ops = ("Copy",)

    def kernel(self, node, g):
        return "memcpy"

    def emit(self, node, g, ctx):
        t = g.t(node.outputs[0])
        return f"memcpy({ctx.ptr(node.outputs[0])}, {ctx.ptr(node.inputs[0])}, {t.nbytes});"


@register
class Concat(OpFamily):
    ops = ("Concat",)
    runtime = ("gen_layout.h", "gen_layout.c")

    def check(self, node, g):
        y = g.t(node.outputs[0])
        axis = int(node.attrs.get("axis", 0))
        if not -len(y.shape) <= axis < len(y.shape):
            raise GenError(f"axis {axis} out of range", node.name, node.op)

    def kernel(self, node, g):
        return "gen_concat_part"

    def reference(self, node, g, *xs):
        y = g.t(node.outputs[0])
        axis = int(node.attrs.get("axis", 0)) % len(y.shape)
        if y.layout == "NHWC":
            axis = NHWC_AXIS[axis]
        return np.concatenate(_inputs_of(node, g, xs, y.layout), axis=axis)

    def emit(self, node, g, ctx):
        y = g.t(node.outputs[0])
        axis = int(node.attrs.get("axis", 0)) % len(y.shape)
        nhwc = y.layout == "NHWC"      # every input is then NHWC too (or the same bytes in either order)
        mem = (lambda shp: [shp[k] for k in (0, 2, 3, 1)]) if nhwc else list
        if nhwc:
            axis = NHWC_AXIS[axis]
        ys = mem(y.shape)
        outer = int(np.prod(ys[:axis], dtype=np.int64))
        inner_unit = int(np.prod(ys[axis + 1:], dtype=np.int64))
        y_inner = ys[axis] * inner_unit
        lines, off = [], 0
        for name in node.inputs:
            if not name:
                continue
            t = g.t(name)
            inner = mem(t.shape)[axis] * inner_unit
            if inner:
                lines.append(f"gen_concat_part({ctx.ptr(name)}, {ctx.ptr(y.name)}, {t.nbytes // t.size}, {outer}, "
                              f"{inner}, {y_inner}, {off});")
            off += inner
        return "\n".join(lines)


@register
class Transpose(OpFamily):
    ops = ("Transpose",)
    runtime = ("gen_layout.h", "gen_layout.c")

    def perm(self, node, g):
        nd = len(g.t(node.inputs[0]).shape)
        perm = node.attrs.get("perm") or list(range(nd))[::-1]
        return [int(p) for p in perm]

    def check(self, node, g):
        if len(g.t(node.inputs[0]).shape) > 6:
            raise GenError("Transpose of more than 6 dims is not supported", node.name, node.op)

    def kernel(self, node, g):
        return "gen_transpose"

    def reference(self, node, g, x):
        if g.t(node.inputs[0]).layout == "NHWC" or g.t(node.outputs[0]).layout == "NHWC":
            raise GenError("internal: Transpose runs in the model's layout", node.name, node.op)
        return np.transpose(x, self.perm(node, g))

    def emit(self, node, g, ctx):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        perm = self.perm(node, g)
        xs = contiguous_strides(x.shape)
        shape, strides = [y.shape[k] for k in range(len(perm))], [xs[p] for p in perm]
        # unit dims carry nothing
        keep = [k for k, d in enumerate(shape) if d != 1] or [0]
        shape, strides = [shape[k] for k in keep], [strides[k] for k in keep]
        prm = ctx.params("gen_transpose_params", f"{len(shape)}, {dims6(shape)}, {dims6(strides)}")
        return f"gen_transpose({ctx.ptr(x.name)}, {ctx.ptr(y.name)}, {x.nbytes // x.size}, {prm});"


@register
class Pad(OpFamily):
    ops = ("Pad",)
    runtime = ("gen_layout.h", "gen_layout.c")

    def pads(self, node, g):
        x = g.t(node.inputs[0])
        nd = len(x.shape)
        mode = node.attrs.get("mode", "constant")
        if mode != "constant":
            raise GenError(f"Pad mode '{mode}' is not supported (only 'constant')", node.name, node.op)
        if len(node.inputs) > 1 and node.inputs[1]:
            p = g.const(node.inputs[1])
            if p is None:
                raise GenError("Pad pads must be a constant", node.name, node.op)
            pads = [int(v) for v in p.reshape(-1)]
        else:
            pads = [int(v) for v in node.attrs.get("pads", [0] * 2 * nd)]
        value = float(node.attrs.get("value", 0.0))
        if len(node.inputs) > 2 and node.inputs[2]:
            v = g.const(node.inputs[2])
            if v is None:
                raise GenError("Pad constant_value must be a constant", node.name, node.op)
            value = v.reshape(-1)[0]
        axes = list(range(nd))
        if len(node.inputs) > 3 and node.inputs[3]:
            a = g.const(node.inputs[3])
            if a is None:
                raise GenError("Pad axes must be a constant", node.name, node.op)
            axes = [int(v) % nd for v in a.reshape(-1)]
        before, after = [0] * nd, [0] * nd
        for k, ax in enumerate(axes):
            before[ax], after[ax] = pads[k], pads[k + len(axes)]
        return before, after, value

    def check(self, node, g):
        self.pads(node, g)
        if len(g.t(node.inputs[0]).shape) > 6:
            raise GenError("Pad of more than 6 dims is not supported", node.name, node.op)

    def kernel(self, node, g):
        return "gen_pad"

    def value(self, node, g):
        """The pad constant in the input's dtype: for a quantized tensor the real constant's quantized form
        (0.0 is the zero point), rounded half to even as QuantizeLinear does."""
        t = g.t(node.inputs[0])
        value = self.pads(node, g)[2]
        if t.quant is not None:
            value = int(int8ref.quantize_f32(np.float32(value), t.quant.s(), t.quant.zp()))
        return np.array([value], dtype=t.dtype)

    def reference(self, node, g, x):
        t = g.t(node.inputs[0])
        before, after, _ = self.pads(node, g)
        value = self.value(node, g)[0]
        if t.layout == "NHWC":
            before, after = [before[k] for k in (0, 2, 3, 1)], [after[k] for k in (0, 2, 3, 1)]
        return np.pad(x, list(zip(before, after)), mode="constant", constant_values=value)

    def emit(self, node, g, ctx):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        before, _, _ = self.pads(node, g)
        val = ctx.array(self.value(node, g), "pad_value")
        ys, xs = list(y.shape), list(x.shape)
        if x.layout == "NHWC":        # NHWC in memory: shapes and pads in memory order
            ys, xs, before = ([v[k] for k in (0, 2, 3, 1)] for v in (ys, xs, before))
        prm = ctx.params("gen_pad_params", f"{len(x.shape)}, {dims6(ys)}, {dims6(xs)}, {dims6(before)}")
        return f"gen_pad({ctx.ptr(x.name)}, {ctx.ptr(y.name)}, {x.nbytes // x.size}, {val}, {prm});"
