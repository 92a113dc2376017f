"""Strided copies: Slice, Split, Expand, Tile, DepthToSpace, SpaceToDepth.

Each of these ops writes its output in order and reads every output element from one input element
whose offset is an affine function of the output index: `offset + sum_k i_k * stride[k]` over at
most 8 loops. One small C kernel, gen_strided_copy (runtime_c/gen_layout.c), runs them all from a
descriptor (a memcpy per row where the innermost stride is 1); no index tables. They move bytes, so
float32, int8 (the output keeps the input's quantization) and plain integer tensors share it.

Slice, Split and Tile treat every axis on its own, so they work in either layout of their input
(an int8 tensor channels last after a Conv stays channels last: the descriptor is built over the
tensor's memory order); Expand does too when it keeps the rank. DepthToSpace and SpaceToDepth mix
axes: they ask for the model's order.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError, counted
from . import OpFamily, c_int32, contiguous_strides, has, register
from .layout import mem_axis, mem_shape, memory_perm, to_memory, to_model

RUNTIME = ("gen_layout.h", "gen_layout.c")
COPY_DIMS = 8


@dataclass(frozen=True)
class StridedCopy:
    """One strided copy: y (in order) from x at offset + sum i_k * strides[k]."""
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]


def simplify(offset, shape, strides, node) -> StridedCopy:
    """Drop unit loops and merge loops that walk the input contiguously (fewer, longer rows)."""
    dims = [(int(d), int(s)) for d, s in zip(shape, strides) if int(d) != 1] or [(1, 1)]
    out = [dims[0]]
    for d, s in dims[1:]:
        pd, ps = out[-1]
        if ps == s * d:
            out[-1] = (pd * d, s)
        else:
            out.append((d, s))
    if len(out) > COPY_DIMS:
        raise GenError(f"{node.op} needs a copy over {len(out)} loops (gen's kernel has {COPY_DIMS})",
                       node.name, node.op)
    c_int32(offset, "copy offset", node)
    for d, s in out:
        c_int32(d, "copy size", node)
        c_int32(s, "copy stride", node)
    return StridedCopy(int(offset), tuple(d for d, _ in out), tuple(s for _, s in out))


def axis_copy(x, y, per_axis, node) -> StridedCopy:
    """A copy whose output axis a reads input axis a only: per_axis[a] = (start, [(size, step), ...]),
    the loops of output axis a (outermost first) in steps of input axis a. Built over x's memory
    order (y has x's layout and rank)."""
    xs_mem = contiguous_strides(mem_shape(x))
    xstride = [xs_mem[mem_axis(x, a)] for a in range(len(x.shape))]
    offset = sum(int(per_axis[a][0]) * xstride[a] for a in range(len(x.shape)))
    shape, strides = [], []
    for a in memory_perm(y):
        for size, step in per_axis[a][1]:
            shape.append(size)
            strides.append(int(step) * xstride[a])
    return simplify(offset, shape, strides, node)


def emit_copy(ctx, x: str, y: str, elem: int, c: StridedCopy) -> str:
    n = len(c.shape)
    pad = [0] * (COPY_DIMS - n)
    init = (f"{n}, {c.offset}, {{{', '.join(str(v) for v in list(c.shape) + pad)}}}, "
            f"{{{', '.join(str(v) for v in list(c.strides) + pad)}}}")
    prm = ctx.params("gen_copy_params", init, "copy")
    return f"gen_strided_copy({x}, {y}, {elem}, {prm});"


def const_ints(node, g, k, what) -> list[int] | None:
    """Input k as a list of ints (None when absent); refused unless constant."""
    if len(node.inputs) <= k or not node.inputs[k]:
        return None
    v = g.const(node.inputs[k])
    if v is None:
        raise GenError(f"{what} ('{node.inputs[k]}') must be a constant (make it an initializer)",
                       node.name, node.op)
    return [int(i) for i in np.asarray(v).reshape(-1)]


def elem_size(t) -> int:
    return t.nbytes // t.size


# ------------------------------------------------------------------------------------ Slice

def slice_ranges(node, g, values=None) -> list[tuple[int, int, int]]:
    """(start, length, step) per axis of the input, clamped as the spec says (`values`: input index ->
    the run-time value of a parameter input, for the reference)."""
    x = g.t(node.inputs[0])
    nd = len(x.shape)
    if len(node.inputs) > 1:
        def ints(k, what):
            if values and k in values:
                return [int(v) for v in np.asarray(values[k]).reshape(-1)]
            return const_ints(node, g, k, what)
        starts, ends, axes, steps = (ints(k, w) for k, w in enumerate(("starts", "ends", "axes", "steps"), 1))
    else:                                 # opset < 10: attributes
        starts, ends = [int(v) for v in node.attrs.get("starts", [])], [int(v) for v in node.attrs.get("ends", [])]
        axes, steps = node.attrs.get("axes"), None
        axes = [int(v) for v in axes] if axes is not None else None
    if starts is None or ends is None or len(starts) != len(ends):
        raise GenError("starts and ends must be given, of one length", node.name, node.op)
    axes = list(range(len(starts))) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    if len(axes) != len(starts) or len(steps) != len(starts):
        raise GenError("starts, ends, axes and steps must have one length", node.name, node.op)
    if any(not -nd <= a < nd for a in axes) or len({a % nd for a in axes}) != len(axes):
        raise GenError(f"axes {axes} are out of range or repeated for rank {nd}", node.name, node.op)
    out = [(0, int(d), 1) for d in x.shape]
    for a, s, e, st in zip(axes, starts, ends, steps):
        d = int(x.shape[a % nd])
        if st == 0:
            raise GenError("a step of 0", node.name, node.op)
        s = s + d if s < 0 else s
        e = e + d if e < 0 else e
        if st > 0:
            s, e = min(max(s, 0), d), min(max(e, 0), d)
            n = max(0, -(-(e - s) // st))
        else:
            s, e = min(max(s, 0), d - 1), min(max(e, -1), d - 1)
            n = max(0, -(-(s - e) // -st))
        out[a % nd] = (s, n, st)
    return out


def check_shape(node, g, name, want) -> None:
    got = tuple(g.t(name).shape)
    if got != tuple(want):
        raise GenError(f"output '{name}' has shape {list(got)}, but the op computes {list(want)}", node.name, node.op)


class ByteMover(OpFamily):
    """Families that only move bytes: float32, int8 (keeping the quantization) and integers alike."""
    moves_any_dtype = True
    runtime = RUNTIME
    keeps_quant = True
    plain_integers = True
    rearranges = True

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.int8_kernels = {op: op for op in cls.ops}

    def moved_axis(self, node, src, out_shape):
        return None                     # a per-axis quantized constant is not rearranged here

    def copies(self, node, g) -> list[tuple[str, StridedCopy]]:
        raise NotImplementedError

    def check(self, node, g):
        self.copies(node, g)

    def kernel(self, node, g):
        return "gen_strided_copy"

    def emit(self, node, g, ctx):
        x = g.t(node.inputs[0])
        return "\n".join(emit_copy(ctx, ctx.ptr(x.name), ctx.ptr(y), elem_size(x), c)
                         for y, c in self.copies(node, g))

    def model_reference(self, node, g, x) -> list[np.ndarray]:
        """The outputs in the model's order from x in the model's order (numpy's own semantics)."""
        raise NotImplementedError

    def reference(self, node, g, x):
        xt = g.t(node.inputs[0])
        ys = self.model_reference(node, g, to_model(xt, x))
        outs = [to_memory(g.t(o), y) for o, y in zip([o for o in node.outputs if o], ys)]
        return outs[0] if len(outs) == 1 else tuple(outs)


def runtime_slice(node, g) -> bool:
    """Slice (opset 10 on) with a starts, ends, axes or steps input that is not a constant."""
    return any(k < len(node.inputs) and node.inputs[k] and g.const(node.inputs[k]) is None for k in (1, 2, 3, 4))


RT_RUNTIME = ("gen_rtslice.h", "gen_rtslice.c")


def rt_param(node, g, ctx, k, what, dtypes=("int32", "int64")) -> tuple[str, int]:
    """Input k of a run-time parameter kernel as (C pointer, wide): NULL when absent, a constant as an
    int64 array."""
    if len(node.inputs) <= k or not node.inputs[k]:
        return "NULL", 1
    t = g.t(node.inputs[k])
    if t.dtype not in dtypes:
        raise GenError(f"{what} ('{t.name}') of dtype {t.dtype} ({' or '.join(dtypes)} are)", node.name, node.op)
    if len(t.shape) != 1:
        raise GenError(f"{what} ('{t.name}') of shape {list(t.shape)} (1-D is)", node.name, node.op)
    if ctx is None:
        return "", t.size
    if t.is_const:
        return ctx.array(np.asarray(t.data).astype(np.int64).reshape(-1), what, wide=True), 1
    return ctx.ptr(t.name), int(t.dtype == "int64")


def rt_dims(values, n, what, node) -> str:
    values = [c_int32(v, what, node) for v in values]
    if len(values) > n:
        raise GenError(f"{what} of rank {len(values)} at run time (up to {n})", node.name, node.op)
    return "{" + ", ".join(str(v) for v in values + [0] * (n - len(values))) + "}"


@register
class Slice(ByteMover):
    ops = ("Slice",)
    layout = "any"

    def rt_check(self, node, g):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        n = rt_param(node, g, None, 1, "starts")[1]
        for k, what in ((2, "ends"), (3, "axes"), (4, "steps")):
            if k < len(node.inputs) and node.inputs[k] and rt_param(node, g, None, k, what)[1] != n:
                raise GenError("starts, ends, axes and steps must have one length", node.name, node.op)
        if len(y.shape) != len(x.shape) or len(node.inputs) < 3 or not node.inputs[2]:
            raise GenError("starts and ends must be given, the output of the input's rank", node.name, node.op)
        c_int32(x.size, "Slice input size", node)

    def check(self, node, g):
        if runtime_slice(node, g):
            self.rt_check(node, g)
        else:
            self.copies(node, g)

    def runtime_files(self, node, g):
        return RUNTIME + RT_RUNTIME if runtime_slice(node, g) else RUNTIME

    def kernel(self, node, g):
        return "gen_rt_slice" if runtime_slice(node, g) else "gen_strided_copy"

    def emit(self, node, g, ctx):
        if not runtime_slice(node, g):
            return super().emit(node, g, ctx)
        self.rt_check(node, g)
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        ptrs = [rt_param(node, g, ctx, k, what) for k, what in enumerate(("starts", "ends", "axes", "steps"), 1)]
        xs_mem = contiguous_strides(mem_shape(x))
        nd = len(x.shape)
        init = (f"{nd}, {rt_dims(x.shape, COPY_DIMS, 'Slice input', node)}, "
                f"{rt_dims([xs_mem[mem_axis(x, a)] for a in range(nd)], COPY_DIMS, 'Slice input', node)}, "
                f"{rt_dims(y.shape, COPY_DIMS, 'Slice output', node)}, "
                f"{rt_dims(memory_perm(y), COPY_DIMS, 'Slice output', node)}, "
                f"{rt_param(node, g, None, 1, 'starts')[1]}, " + ", ".join(str(w) for _, w in ptrs))
        prm = ctx.params("gen_rt_slice_params", init, "rtslice")
        return (f"if (gen_rt_slice({ctx.ptr(x.name)}, {ctx.ptr(y.name)}, {elem_size(x)}, {prm}, "
                f"{', '.join(p for p, _ in ptrs)}) != 0) {{\n"
                f"    return -1; /* Slice: the run-time starts, ends, axes, steps give another shape */\n}}")

    @staticmethod
    def sliced(node, g, x, values=None):
        r = slice_ranges(node, g, values)
        return x[tuple(slice(s, s + n * st if s + n * st >= 0 else None, st) for s, n, st in r)]

    def reference(self, node, g, x, *rest):
        # the run-time parameters come in refrun's order: the parameter inputs that are not constants
        rt = [k for k in (1, 2, 3, 4) if k < len(node.inputs) and node.inputs[k] and g.const(node.inputs[k]) is None]
        y = self.sliced(node, g, to_model(g.t(node.inputs[0]), x), dict(zip(rt, rest)))
        return to_memory(g.t(node.outputs[0]), y)

    def model_reference(self, node, g, x):
        return [self.sliced(node, g, x)]

    def copies(self, node, g):
        x, y = g.t(node.inputs[0]), node.outputs[0]
        r = slice_ranges(node, g)
        check_shape(node, g, y, [n for _, n, _ in r])
        return [(y, axis_copy(x, g.t(y), [(s, [(n, st)]) for s, n, st in r], node))]


@register
class Split(ByteMover):
    ops = ("Split",)
    layout = "any"
    shape_determined_inputs = {"Split": (1,)}    # the outputs' lengths on the axis (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        from . import onnx_attrs
        ins = rtparams.shape(shapes, node.input[0])
        axis = int(onnx_attrs(node).get("axis", 0))
        outs = [rtparams.shape(shapes, o) for o in node.output]
        if not node.output or not all(node.output) or not -len(ins) <= axis < len(ins) or \
                rtparams.length(shapes, node.input[k]) != len(outs) or any(len(o) != len(ins) for o in outs):
            return None
        return rtparams.Determined(np.asarray([o[axis] for o in outs], np.int64), "equal")

    def int8_form(self, node, g):
        # int8 only when every output is quantized (each folds its QuantizeLinear in turn): an output
        # left float would receive int8 bytes
        for o in node.outputs:
            if not o or g.t(o).dtype == "int8":
                continue
            if o in g.outputs or not g.consumers(o) or not all(has(c, "quantizes") for c in g.consumers(o)):
                return None
        return "Split"

    def parts(self, node, g) -> tuple[int, list[int]]:
        x = g.t(node.inputs[0])
        nd = len(x.shape)
        axis = int(node.attrs.get("axis", 0))
        if not -nd <= axis < nd:
            raise GenError(f"axis {axis} is out of range for rank {nd}", node.name, node.op)
        axis %= nd
        d = int(x.shape[axis])
        n_out = len(node.outputs)
        split = const_ints(node, g, 1, "split")
        if split is None and "split" in node.attrs:
            split = [int(v) for v in node.attrs["split"]]
        if split is None:
            k = int(node.attrs.get("num_outputs", n_out))
            if k != n_out or k < 1:
                raise GenError(f"num_outputs {k} but {counted(n_out, 'output')}", node.name, node.op)
            chunk = -(-d // k)
            split = [min(chunk, d - i * chunk) for i in range(k)]
        if len(split) != n_out or sum(split) != d or min(split) < 0:
            raise GenError(f"split {split} does not cut axis {axis} ({d}) into {counted(n_out, 'output')}",
                           node.name, node.op)
        return axis, split

    def copies(self, node, g):
        x = g.t(node.inputs[0])
        axis, split = self.parts(node, g)
        out, start = [], 0
        for name, n in zip(node.outputs, split):
            want = list(x.shape)
            want[axis] = n
            if name:
                check_shape(node, g, name, want)
                per = [(0, [(int(d), 1)]) for d in x.shape]
                per[axis] = (start, [(n, 1)])
                out.append((name, axis_copy(x, g.t(name), per, node)))
            start += n
        return out

    def model_reference(self, node, g, x):
        axis, split = self.parts(node, g)
        cuts = np.cumsum(split)[:-1]
        return [p for p, name in zip(np.split(x, cuts, axis=axis), node.outputs) if name]


@register
class Tile(ByteMover):
    ops = ("Tile",)
    layout = "any"
    shape_determined_inputs = {"Tile": (1,)}     # repeats = output / input, dim by dim (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        ins, out = rtparams.shape(shapes, node.input[0]), rtparams.shape(shapes, node.output[0])
        if rtparams.length(shapes, node.input[k]) != len(ins) or len(out) != len(ins) or \
                any(o % i for i, o in zip(ins, out)):
            return None
        return rtparams.Determined(np.asarray([o // i for i, o in zip(ins, out)], np.int64), "equal")

    def copies(self, node, g):
        x, y = g.t(node.inputs[0]), node.outputs[0]
        reps = const_ints(node, g, 1, "repeats")
        if reps is None or len(reps) != len(x.shape) or min(reps) < 1:
            raise GenError(f"repeats {reps} must be {len(x.shape)} positive numbers", node.name, node.op)
        check_shape(node, g, y, [int(d) * r for d, r in zip(x.shape, reps)])
        return [(y, axis_copy(x, g.t(y), [(0, [(r, 0), (int(d), 1)]) for d, r in zip(x.shape, reps)], node))]

    def model_reference(self, node, g, x):
        return [np.tile(x, const_ints(node, g, 1, "repeats"))]


@register
class Expand(ByteMover):
    ops = ("Expand",)
    shape_determined_inputs = {"Expand": (1,)}   # any shape that broadcasts to the output (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        ins, out = rtparams.shape(shapes, node.input[0]), rtparams.shape(shapes, node.output[0])
        n = rtparams.length(shapes, node.input[k])
        lead = len(out) - n         # a shorter shape: the input gives the leading dims
        if not rtparams.broadcast_shape(ins, out) or lead < 0 or (lead and list(ins[:lead]) != list(out[:lead])):
            return None
        return rtparams.Determined(np.asarray(out[lead:], np.int64), "broadcast", ins, out)

    def layout_for(self, node, g, first):
        return "any" if len(g.t(node.inputs[0]).shape) == len(g.t(node.outputs[0]).shape) else "model"

    def copies(self, node, g):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        shape = const_ints(node, g, 1, "shape")
        nd = max(len(shape), len(x.shape))
        xs = [1] * (nd - len(x.shape)) + [int(d) for d in x.shape]
        ss = [1] * (nd - len(shape)) + shape
        want = []
        for a, b in zip(xs, ss):
            if a != b and a != 1 and b != 1:
                raise GenError(f"shape {shape} does not broadcast with the input {list(x.shape)}", node.name, node.op)
            want.append(max(a, b))
        check_shape(node, g, y.name, want)
        if nd == len(x.shape):
            per = [(0, [(w, 0 if d == 1 else 1)]) for d, w in zip(xs, want)]
            return [(y.name, axis_copy(x, y, per, node))]
        st = contiguous_strides(xs)         # model order (layout 'model')
        return [(y.name, simplify(0, want, [0 if d == 1 else s for d, s in zip(xs, st)], node))]

    def model_reference(self, node, g, x):
        shape = const_ints(node, g, 1, "shape")
        return [np.broadcast_to(x, np.broadcast_shapes(x.shape, tuple(shape))).copy()]


class SpaceDepth(ByteMover):
    """DepthToSpace / SpaceToDepth: a 6-D transpose of a reshape, in the model's order."""
    layout = "model"

    def block(self, node, g):
        x = g.t(node.inputs[0])
        b = int(node.attrs.get("blocksize", 0))
        if len(x.shape) != 4:
            raise GenError(f"a {len(x.shape)}-D input (4-D NCHW is supported)", node.name, node.op)
        if b < 1:
            raise GenError(f"blocksize {b} must be at least 1", node.name, node.op)
        return b, [int(d) for d in x.shape]


@register
class DepthToSpace(SpaceDepth):
    ops = ("DepthToSpace",)

    def mode(self, node):
        m = node.attrs.get("mode", "DCR")
        m = m.decode() if isinstance(m, bytes) else m
        if m not in ("DCR", "CRD"):
            raise GenError(f"mode '{m}' is not DCR or CRD", node.name, node.op)
        return m

    def copies(self, node, g):
        b, (n, c, h, w) = self.block(node, g)
        if c % (b * b):
            raise GenError(f"channels {c} are not a multiple of blocksize^2 = {b * b}", node.name, node.op)
        oc = c // (b * b)
        y = node.outputs[0]
        check_shape(node, g, y, [n, oc, h * b, w * b])
        # output [n, oc, h, b1, w, b2]; input channel = (b1, b2, oc) for DCR, (oc, b1, b2) for CRD
        cs = h * w
        if self.mode(node) == "DCR":
            s_oc, s_b1, s_b2 = cs, b * oc * cs, oc * cs
        else:
            s_oc, s_b1, s_b2 = b * b * cs, b * cs, cs
        return [(y, simplify(0, [n, oc, h, b, w, b], [c * cs, s_oc, w, s_b1, 1, s_b2], node))]

    def model_reference(self, node, g, x):
        b, (n, c, h, w) = self.block(node, g)
        if self.mode(node) == "DCR":
            t = x.reshape(n, b, b, c // (b * b), h, w).transpose(0, 3, 4, 1, 5, 2)
        else:
            t = x.reshape(n, c // (b * b), b, b, h, w).transpose(0, 1, 4, 2, 5, 3)
        return [t.reshape(n, c // (b * b), h * b, w * b)]


@register
class SpaceToDepth(SpaceDepth):
    ops = ("SpaceToDepth",)

    def copies(self, node, g):
        b, (n, c, h, w) = self.block(node, g)
        if h % b or w % b:
            raise GenError(f"H and W ({h}, {w}) are not multiples of blocksize {b}", node.name, node.op)
        y = node.outputs[0]
        oh, ow = h // b, w // b
        check_shape(node, g, y, [n, c * b * b, oh, ow])
        # output [n, b1, b2, c, oh, ow] from input [n, c, oh, b1, ow, b2]
        return [(y, simplify(0, [n, b, b, c, oh, ow], [c * h * w, w, 1, h * w, b * w, b], node))]

    def model_reference(self, node, g, x):
        b, (n, c, h, w) = self.block(node, g)
        t = x.reshape(n, c, h // b, b, w // b, b).transpose(0, 3, 5, 1, 2, 4)
        return [t.reshape(n, c * b * b, h // b, w // b)]


# ------------------------------------------------------------------------------------ Pad at run time
# (the Pad family is gen/ops/layout.py's; these are its form with pads, constant_value or axes inputs
# that are not constants: gen_rt_pad, runtime_c/gen_rtslice.c)

def runtime_pad(node, g) -> bool:
    return any(k < len(node.inputs) and node.inputs[k] and g.const(node.inputs[k]) is None for k in (1, 2, 3))


def rt_pad_check(node, g, modes) -> None:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    nd = len(x.shape)
    if len(y.shape) != nd or nd > 6:
        raise GenError(f"a {nd}-D Pad at run time (up to 6-D, the output of the input's rank)", node.name, node.op)
    n_pads = rt_param(node, g, None, 1, "pads")[1]
    n_axes = rt_param(node, g, None, 3, "axes")[1] if len(node.inputs) > 3 and node.inputs[3] else nd
    if n_pads != 2 * n_axes:
        raise GenError(f"{counted(n_pads, 'pad')} for {counted(n_axes, 'axis', 'axes')}", node.name, node.op)
    if len(node.inputs) > 2 and node.inputs[2] and g.const(node.inputs[2]) is None:
        v = g.t(node.inputs[2])
        if x.quant is not None or v.dtype != x.dtype or v.size != 1:
            raise GenError(f"a run-time constant_value ('{v.name}') must be one element of the data's dtype "
                           "(not quantized)", node.name, node.op)
    c_int32(y.size, "Pad output size", node)


def rt_pad_emit(node, g, ctx, mode: int, const_value) -> str:
    """gen_rt_pad's call; const_value: the pad element (a numpy array of one) when it is not a run-time input."""
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    nd = len(x.shape)
    pads, axes = rt_param(node, g, ctx, 1, "pads"), rt_param(node, g, ctx, 3, "axes")
    n_axes = rt_param(node, g, None, 3, "axes")[1] if axes[0] != "NULL" else nd
    if len(node.inputs) > 2 and node.inputs[2] and g.const(node.inputs[2]) is None:
        value = ctx.ptr(node.inputs[2])
    else:
        value = ctx.array(const_value, "pad_value", wide=True)
    init = (f"{nd}, {rt_dims(x.shape, 6, 'Pad input', node)}, {rt_dims(y.shape, 6, 'Pad output', node)}, "
            f"{rt_dims(memory_perm(x), 6, 'Pad input', node)}, {mode}, {n_axes}, {pads[1]}, {axes[1]}")
    prm = ctx.params("gen_rt_pad_params", init, "rtpad")
    return (f"if (gen_rt_pad({ctx.ptr(x.name)}, {ctx.ptr(y.name)}, {elem_size(x)}, {value}, {prm}, {pads[0]}, "
            f"{axes[0]}) != 0) {{\n    return -1; /* Pad: the run-time pads give another shape */\n}}")


def rt_pad_ranges(node, g, values: dict, mode: str) -> tuple[list[int], list[int]]:
    """before, after per model axis from the parameter inputs' values (run-time ones in `values`), as
    gen_rt_pad computes them; GenError where it returns -1 (the reference has no -1)."""
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    nd = len(x.shape)

    def ints(k):
        v = values.get(k, g.const(node.inputs[k]) if len(node.inputs) > k and node.inputs[k] else None)
        return None if v is None else [int(i) for i in np.asarray(v).reshape(-1)]
    pads, axes = ints(1), ints(3)
    axes = list(range(nd)) if axes is None else axes
    before, after = [0] * nd, [0] * nd
    for k, a in enumerate(axes):
        before[a % nd], after[a % nd] = pads[k], pads[k + len(axes)]
    bad = len(set(a % nd for a in axes)) != len(axes) or any(not -nd <= a < nd for a in axes) or \
        any(b + int(d) + e != int(w) for b, d, e, w in zip(before, x.shape, after, y.shape)) or \
        (mode != "constant" and min(before + after) < 0) or \
        (mode == "reflect" and any(max(b, e) > int(d) - 1 for b, e, d in zip(before, after, x.shape)))
    if bad:
        raise GenError(f"run-time pads {pads} (axes {axes}) do not give the output shape", node.name, node.op)
    return before, after
