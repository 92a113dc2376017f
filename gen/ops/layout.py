"""Layout ops: views (Reshape, Flatten, Squeeze, Unsqueeze), Concat, Transpose, Pad (constant, reflect,
edge, wrap), Copy.

Views cost nothing: passes.make_views marks their output as a view of the input, so it shares the
input's arena bytes and no code is emitted. Concat, Transpose and Pad move bytes, so one kernel
serves float and int8.
"""
from __future__ import annotations

import numpy as np

from .. import int8ref
from ..errors import GenError, counted
from . import OpFamily, contiguous_strides, dims6, register

VIEW_OPS = ("Reshape", "Flatten", "Squeeze", "Unsqueeze")
PAD_MODES = ("constant", "reflect", "edge", "wrap")     # gen_pad_mode's numbering


# ---------------------------------------------------------------------------------------------
# memory order: the one place that knows how a tensor's layout maps model axes to memory
#
# layout None: row-major in the model's axis order. layout "NHWC": channels last, for any rank >= 3
# ([N, C, L] is stored [N, L, C], [N, C, H, W] as [N, H, W, C], [N, C, D, H, W] as [N, D, H, W, C]);
# a 1-D tensor [N, C, L] channels last is the bytes of the 2-D [N, 1, L, C] the NHWC kernels read.

def layout_perm(nd: int, layout: str | None) -> tuple[int, ...]:
    """The model axes in memory order (memory axis k holds model axis perm[k])."""
    if layout == "NHWC" and nd >= 3:
        return (0,) + tuple(range(2, nd)) + (1,)
    return tuple(range(nd))


def memory_perm(t, layout: str | None = "") -> tuple[int, ...]:
    """Tensor t's model axes in memory order (in `layout` if given, else t's own)."""
    return layout_perm(len(t.shape), t.layout if layout == "" else layout)


def mem_shape(t, layout: str | None = "") -> tuple[int, ...]:
    return tuple(t.shape[k] for k in memory_perm(t, layout))


def mem_axis(t, axis: int, layout: str | None = "") -> int:
    """Where model axis `axis` of t is in memory."""
    return memory_perm(t, layout).index(axis % len(t.shape))


def to_memory(t, v: np.ndarray, layout: str | None = "") -> np.ndarray:
    """A value of t in the model's order (shape t.shape) -> memory order."""
    return np.asarray(v).reshape(t.shape).transpose(memory_perm(t, layout))


def to_model(t, v: np.ndarray, layout: str | None = "") -> np.ndarray:
    """A value of t in memory order -> the model's order."""
    return np.asarray(v).reshape(mem_shape(t, layout)).transpose(np.argsort(memory_perm(t, layout)))


def same_bytes(t) -> bool:
    """Channels first and channels last are the same bytes (C == 1 or one spatial position)."""
    return len(t.shape) < 3 or t.shape[1] == 1 or int(np.prod(t.shape[2:], dtype=np.int64)) == 1


def require_channels_last(node, g, name: str) -> None:
    """NHWC kernels (CMSIS-NN's conv, pools, gen's mean) read their input channels last: a tensor in
    another layout here is a bug of the layout pass, never something to compute on."""
    t = g.t(name)
    if t.layout != "NHWC" and not same_bytes(t):
        raise GenError(f"internal: {node.op} reads '{name}' channels last, but it is stored in the model's order",
                       node.name, node.op)


def keeps_channels_last(x, y) -> bool:
    """A view (Reshape, Squeeze, ...) from x to y that only adds or drops unit spatial dims: x channels
    last and y channels last are the same bytes (as [N, C, L] and [N, C, 1, L] are)."""
    if len(x.shape) < 3 or len(y.shape) < 3 or x.shape[:2] != y.shape[:2]:
        return False
    return [d for d in x.shape[2:] if d != 1] == [d for d in y.shape[2:] if d != 1]


def _inputs_of(node, g, acts, layout):
    """Every input's value for a reference, in memory order of `layout` (the output's; an input in the
    other layout is one whose bytes are the same in both): activations as given, constants from the
    graph."""
    it = iter(acts)
    out = []
    for name in node.inputs:
        if not name:
            continue
        t = g.t(name)
        v = to_memory(t, t.data, layout) if t.is_const else np.asarray(next(it))
        out.append(v.reshape(mem_shape(t, layout)))
    return out


@register
class View(OpFamily):
    moves_any_dtype = True
    ops = VIEW_OPS
    const_inputs = {"Reshape": (1,), "Squeeze": (1,), "Unsqueeze": (1,)}
    shape_determined_inputs = const_inputs      # the output shape fixes the shape/axes (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        from . import onnx_attrs
        ins, out = rtparams.shape(shapes, node.input[0]), rtparams.shape(shapes, node.output[0])
        n = rtparams.length(shapes, node.input[k])
        if node.op_type == "Reshape":
            allowzero = bool(onnx_attrs(node).get("allowzero", 0))
            return rtparams.Determined(np.asarray(out, np.int64), "reshape", ins, out, allowzero) \
                if n == len(out) else None
        axes = (rtparams.squeeze_axes if node.op_type == "Squeeze" else rtparams.unsqueeze_axes)(ins, out)
        if axes is None or len(axes) != n:
            return None
        return rtparams.Determined(np.asarray(axes, np.int64), node.op_type.lower(), ins, out)

    int8_kernels = {op: op for op in VIEW_OPS}
    keeps_quant = True
    plain_integers = True
    rearranges = True
    is_view = True
    may_alias_input = True

    def layout_for(self, node, g, first):
        # [N, C, L] <-> [N, C, 1, L]: the same bytes channels last
        if first == "NHWC" and keeps_channels_last(g.t(node.inputs[0]), g.t(node.outputs[0])):
            return "any"
        return "model"

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
    moves_any_dtype = True
    ops = ("Copy",)
    layout = "any"
    keeps_quant = True      # moves the bytes: no float fallback around it
    plain_integers = True
    is_copy = True

    def kernel(self, node, g):
        return "memcpy"

    def emit(self, node, g, ctx):
        t = g.t(node.outputs[0])
        return f"memcpy({ctx.ptr(node.outputs[0])}, {ctx.ptr(node.inputs[0])}, {t.nbytes});"


@register
class Concat(OpFamily):
    moves_any_dtype = True
    ops = ("Concat",)
    int8_kernels = {"Concat": "Concat"}
    layout = "any"
    keeps_quant = True
    requant_inputs = True
    plain_integers = True
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
        axis = mem_axis(y, int(node.attrs.get("axis", 0)))
        return np.concatenate(_inputs_of(node, g, xs, y.layout), axis=axis)

    def emit(self, node, g, ctx):
        y = g.t(node.outputs[0])
        # every input is in the output's layout (or the same bytes in either order)
        axis = mem_axis(y, int(node.attrs.get("axis", 0)))
        perm = memory_perm(y)

        def mem(shp):
            return [shp[k] for k in perm]
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
            # a constant part is stored in the output's memory order
            src = ctx.array(to_memory(t, t.data.astype(t.dtype), y.layout), f"input{node.inputs.index(name)}",
                            wide=True) if t.is_const else ctx.ptr(name)
            if inner:
                lines.append(f"gen_concat_part({src}, {ctx.ptr(y.name)}, {t.nbytes // t.size}, {outer}, "
                              f"{inner}, {y_inner}, {off});")
            off += inner
        return "\n".join(lines)


@register
class Transpose(OpFamily):
    moves_any_dtype = True
    ops = ("Transpose",)
    int8_kernels = {"Transpose": "Transpose"}
    keeps_quant = True
    plain_integers = True
    rearranges = True

    def moved_axis(self, node, src, out_shape):
        ax = src.quant.axis % len(src.shape)
        perm = [int(p) for p in (node.attrs.get("perm") or list(range(len(src.shape)))[::-1])]
        return perm.index(ax)
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
        if not all(memory_perm(g.t(n)) == tuple(range(len(g.t(n).shape))) or same_bytes(g.t(n))
                   for n in (node.inputs[0], node.outputs[0])):
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
    moves_any_dtype = True
    ops = ("Pad",)
    limits = {"Pad": "modes constant, reflect, edge, wrap; up to 6 dims; a run-time constant_value not on int8"}
    int8_kernels = {"Pad": "Pad"}
    layout = "any"
    keeps_quant = True
    plain_integers = True
    runtime = ("gen_layout.h", "gen_layout.c")

    def pads(self, node, g):
        x = g.t(node.inputs[0])
        nd = len(x.shape)
        mode = self.mode(node)
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
        if len(pads) != 2 * len(axes):
            raise GenError(f"{counted(len(pads), 'pad')} for {counted(len(axes), 'axis', 'axes')}", node.name, node.op)
        before, after = [0] * nd, [0] * nd
        for k, ax in enumerate(axes):
            before[ax], after[ax] = pads[k], pads[k + len(axes)]
        if mode != "constant":
            for ax in range(nd):
                d = int(x.shape[ax])
                if min(before[ax], after[ax]) < 0:
                    raise GenError(f"Pad mode '{mode}' with a negative pad (a crop) is not supported", node.name,
                                   node.op)
                if mode == "reflect" and max(before[ax], after[ax]) > d - 1 and max(before[ax], after[ax]) > 0:
                    raise GenError(f"Pad mode 'reflect' needs pads below the axis length ({d}) on axis {ax}",
                                   node.name, node.op)
        return before, after, value

    def mode(self, node) -> str:
        mode = node.attrs.get("mode", "constant")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        if mode not in PAD_MODES:
            raise GenError(f"Pad mode '{mode}' is not supported ({', '.join(PAD_MODES)} are)", node.name, node.op)
        return mode

    def check(self, node, g):
        if strided.runtime_pad(node, g):       # pads, constant_value or axes read at run time (gen/ops/strided.py)
            self.mode(node)
            return strided.rt_pad_check(node, g, PAD_MODES)
        self.pads(node, g)
        if len(g.t(node.inputs[0]).shape) > 6:
            raise GenError("Pad of more than 6 dims is not supported", node.name, node.op)

    def kernel(self, node, g):
        if strided.runtime_pad(node, g):
            return "gen_rt_pad"
        return "gen_pad" if self.mode(node) == "constant" else "gen_pad_mode"

    def runtime_files(self, node, g):
        return self.runtime + strided.RT_RUNTIME if strided.runtime_pad(node, g) else self.runtime

    def value(self, node, g):
        """The pad constant in the input's dtype: for a quantized tensor the real constant's quantized form
        (0.0 is the zero point), rounded half to even as QuantizeLinear does."""
        t = g.t(node.inputs[0])
        v = g.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
        value = v.reshape(-1)[0] if v is not None else float(node.attrs.get("value", 0.0))
        if t.quant is not None:
            value = int(int8ref.quantize_f32(np.float32(value), t.quant.s(), t.quant.zp()))
        return np.array([value], dtype=t.dtype)

    def reference(self, node, g, x, *rest):
        t = g.t(node.inputs[0])
        if strided.runtime_pad(node, g):      # the run-time parameters in refrun's order
            rt = [k for k in (1, 2, 3) if k < len(node.inputs) and node.inputs[k] and g.const(node.inputs[k]) is None]
            vals = dict(zip(rt, rest))
            before, after = strided.rt_pad_ranges(node, g, vals, self.mode(node))
            value = np.asarray(vals[2]).reshape(-1)[0] if 2 in vals else self.value(node, g)[0]
        else:
            before, after, _ = self.pads(node, g)
            value = self.value(node, g)[0]
        perm = memory_perm(t)
        before, after = [before[k] for k in perm], [after[k] for k in perm]
        if self.mode(node) != "constant":
            return np.pad(x, list(zip(before, after)), mode=self.mode(node))
        return np.pad(x, list(zip(before, after)), mode="constant", constant_values=value)

    def emit(self, node, g, ctx):
        if strided.runtime_pad(node, g):
            return strided.rt_pad_emit(node, g, ctx, PAD_MODES.index(self.mode(node)), self.value(node, g))
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        before, _, _ = self.pads(node, g)
        mode = self.mode(node)
        ys, xs = list(y.shape), list(x.shape)
        perm = memory_perm(x)          # shapes and pads in memory order (the output has x's layout)
        ys, xs, before = ([v[k] for k in perm] for v in (ys, xs, before))
        prm = ctx.params("gen_pad_params", f"{len(x.shape)}, {dims6(ys)}, {dims6(xs)}, {dims6(before)}")
        if mode != "constant":
            return (f"gen_pad_mode({ctx.ptr(x.name)}, {ctx.ptr(y.name)}, {x.nbytes // x.size}, "
                    f"{PAD_MODES.index(mode)}, {prm});")
        val = ctx.array(self.value(node, g), "pad_value", wide=True)   # bytes of the element: int64 stays int64
        return f"gen_pad({ctx.ptr(x.name)}, {ctx.ptr(y.name)}, {x.nbytes // x.size}, {val}, {prm});"


# Pad's run-time form lives with Slice's (gen_rtslice.c); imported last: strided imports this module
from . import strided  # noqa: E402
