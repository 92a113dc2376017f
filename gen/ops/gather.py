"""Gathers and scatters: Gather, GatherElements, GatherND, Compress, ReverseSequence, Trilu,
ScatterND, ScatterElements.

Gather selects rows of its input viewed as [outer, axis, inner]: gen_gather_i32 with constant
indices (normalized and range-checked here), gen_gather_i64 / _i32 with indices computed at run
time (a negative index counts from the end; one out of range makes the run return -1).

The others take constant index parameters. Their source element for every output element is
computed here once, by running the op's numpy semantics on the input's element numbers (arange),
and the C copies through that table (gen_take; -1 writes the fill, Trilu's zero). Scatters copy
the data, then write the updates to the element numbers their constant indices name (gen_scatter;
the reductions add, mul, max and min in float32: gen_scatter_f32 in runtime_c/gen_scatter.c).

All of them move bytes, so float32, int8 (keeping the quantization: Trilu fills with the zero point)
and integer tensors share the kernels; they work in the model's order (an int8 tensor channels
last is transposed back first).
"""
from __future__ import annotations

import math

import numpy as np

from .. import int8ref
from ..errors import GenError
from . import OpFamily, c_int32, c_int32s, register
from .layout import to_memory, to_model
from .strided import ByteMover, check_shape, elem_size

RUNTIME = ("gen_layout.h", "gen_layout.c")
REDUCTIONS = ("none", "add", "mul", "max", "min")


def _attr(node, key, default):
    v = node.attrs.get(key, default)
    return v.decode() if isinstance(v, bytes) else v


def _const(node, g, k, what):
    if len(node.inputs) <= k or not node.inputs[k]:
        return None
    v = g.const(node.inputs[k])
    if v is None:
        raise GenError(f"{what} ('{node.inputs[k]}') must be a constant (make it an initializer)", node.name, node.op)
    return np.asarray(v)


def _axis(node, nd, default=0):
    a = int(node.attrs.get("axis", default))
    if not -nd <= a < nd:
        raise GenError(f"axis {a} is out of range for rank {nd}", node.name, node.op)
    return a % nd


def _indices(node, idx, dim, what="index"):
    """Constant indices normalized to [0, dim) (negative ones count from the end), refused out of range."""
    idx = np.asarray(idx).astype(np.int64)
    if idx.size and (idx.min() < -dim or idx.max() >= dim):
        bad = int(idx[(idx < -dim) | (idx >= dim)].reshape(-1)[0])
        raise GenError(f"{what} {bad} is out of range for an axis of {dim}", node.name, node.op)
    return np.where(idx < 0, idx + dim, idx)


@register
class Gather(ByteMover):
    ops = ("Gather",)

    def geometry(self, node, g):
        x = g.t(node.inputs[0])
        i = g.t(node.inputs[1])
        axis = _axis(node, len(x.shape))
        outer = int(np.prod(x.shape[:axis], dtype=np.int64))
        inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
        check_shape(node, g, node.outputs[0], tuple(x.shape[:axis]) + tuple(i.shape) + tuple(x.shape[axis + 1:]))
        if not i.is_const and i.dtype not in ("int32", "int64"):
            raise GenError(f"indices of dtype {i.dtype} (int32 or int64 are)", node.name, node.op)
        return axis, outer, int(x.shape[axis]), inner

    def const_indices(self, node, g):
        i = g.t(node.inputs[1])
        if not i.is_const:
            return None
        axis, _, dim, _ = self.geometry(node, g)
        return _indices(node, i.data, dim)

    def check(self, node, g):
        axis, outer, dim, inner = self.geometry(node, g)
        for v, what in ((outer, "outer size"), (dim, "axis length"), (inner, "row size")):
            c_int32(v, f"Gather {what}", node)
        self.const_indices(node, g)

    def kernel(self, node, g):
        i = g.t(node.inputs[1])
        return "gen_gather_i64" if not i.is_const and i.dtype == "int64" else "gen_gather_i32"

    def reference(self, node, g, x, *rest):
        axis = self.geometry(node, g)[0]
        idx = self.const_indices(node, g)
        if idx is None:
            dim = g.t(node.inputs[0]).shape[axis]
            idx = _indices(node, to_model(g.t(node.inputs[1]), rest[0]), dim)
        # in the model's order (a tensor whose two layouts are the same bytes may say channels last)
        return to_memory(g.t(node.outputs[0]), np.take(to_model(g.t(node.inputs[0]), x), idx, axis=axis))

    def emit(self, node, g, ctx):
        x, i = g.t(node.inputs[0]), g.t(node.inputs[1])
        axis, outer, dim, inner = self.geometry(node, g)
        idx = self.const_indices(node, g)
        args = f"{elem_size(x)}, {outer}, {dim}, {inner}"
        if idx is not None:
            return (f"(void)gen_gather_i32({ctx.ptr(x.name)}, {ctx.ptr(node.outputs[0])}, {args}, "
                    f"{ctx.array(c_int32s(idx.reshape(-1), 'index', node), 'idx')}, {c_int32(idx.size, 'indices', node)});")
        fn = self.kernel(node, g)
        return (f"if ({fn}({ctx.ptr(x.name)}, {ctx.ptr(node.outputs[0])}, {args}, {ctx.ptr(i.name)}, "
                f"{c_int32(i.size, 'indices', node)}) != 0) {{\n    return -1; /* an index out of range */\n}}")


class Take(ByteMover):
    """Ops whose output element k is input element src[k] (or the fill where src[k] < 0), src computed
    from constant parameters by `select` applied to the input's element numbers."""

    def select(self, node, g, x: np.ndarray, fill) -> np.ndarray:
        raise NotImplementedError

    def table(self, node, g) -> np.ndarray:
        x = g.t(node.inputs[0])
        src = self.select(node, g, np.arange(x.size, dtype=np.int64).reshape(x.shape), -1)
        check_shape(node, g, node.outputs[0], src.shape)
        return c_int32s(src.reshape(-1), f"{node.op} source index", node)

    def fill(self, node, g):
        t = g.t(node.inputs[0])
        if t.quant is not None:
            return int(int8ref.quantize_f32(np.float32(0), t.quant.s(), t.quant.zp()))
        return 0

    def check(self, node, g):
        self.table(node, g)

    def kernel(self, node, g):
        return "gen_take"

    def reference(self, node, g, x, *rest):
        y = self.select(node, g, to_model(g.t(node.inputs[0]), x), np.asarray(self.fill(node, g)).astype(np.asarray(x).dtype))
        return to_memory(g.t(node.outputs[0]), y)

    def emit(self, node, g, ctx):
        x = g.t(node.inputs[0])
        src = self.table(node, g)
        fill = ctx.array(np.array([self.fill(node, g)], dtype=x.dtype), "fill", wide=True)   # elem bytes, int64 too
        return (f"gen_take({ctx.ptr(x.name)}, {ctx.ptr(node.outputs[0])}, {elem_size(x)}, {ctx.array(src, 'src')}, "
                f"{src.size}, {fill});")


@register
class GatherElements(Take):
    ops = ("GatherElements",)

    def select(self, node, g, x, fill):
        axis = _axis(node, x.ndim)
        idx = _const(node, g, 1, "indices")
        if idx.ndim != x.ndim:
            raise GenError(f"indices of rank {idx.ndim} for data of rank {x.ndim}", node.name, node.op)
        if any(i > d for k, (i, d) in enumerate(zip(idx.shape, x.shape)) if k != axis):
            raise GenError(f"indices {list(idx.shape)} are larger than data {list(x.shape)}", node.name, node.op)
        part = x[tuple(slice(None) if k == axis else slice(0, i) for k, i in enumerate(idx.shape))]
        return np.take_along_axis(part, _indices(node, idx, x.shape[axis]), axis=axis)


@register
class GatherND(Take):
    ops = ("GatherND",)

    def select(self, node, g, x, fill):
        b = int(node.attrs.get("batch_dims", 0))
        idx = _const(node, g, 1, "indices").astype(np.int64)
        q = idx.shape[-1] if idx.ndim else 0
        if idx.ndim < 1 or not 0 <= b < min(idx.ndim, x.ndim) or b + q > x.ndim or idx.shape[:b] != x.shape[:b]:
            raise GenError(f"indices {list(idx.shape)} with batch_dims {b} do not index data {list(x.shape)}",
                           node.name, node.op)
        bshape = x.shape[:b]
        nb = int(np.prod(bshape, dtype=np.int64))
        xb = x.reshape((nb,) + x.shape[b:])
        ib = idx.reshape((nb, -1, q))
        outs = []
        for k in range(nb):
            cols = tuple(_indices(node, ib[k][:, j], x.shape[b + j]) for j in range(q))
            outs.append(xb[k][cols])
        out = np.stack(outs)
        return out.reshape(tuple(bshape) + idx.shape[b:-1] + x.shape[b + q:])


@register
class Compress(Take):
    ops = ("Compress",)

    def select(self, node, g, x, fill):
        cond = _const(node, g, 1, "condition").astype(bool).reshape(-1)
        if "axis" not in node.attrs:
            return np.compress(cond, x.reshape(-1))
        axis = _axis(node, x.ndim)
        if cond.size > x.shape[axis]:
            raise GenError(f"condition of {cond.size} for an axis of {x.shape[axis]}", node.name, node.op)
        return np.compress(cond, x, axis=axis)


@register
class ReverseSequence(Take):
    ops = ("ReverseSequence",)

    def select(self, node, g, x, fill):
        lens = _const(node, g, 1, "sequence_lens").astype(np.int64).reshape(-1)
        ta, ba = int(node.attrs.get("time_axis", 0)), int(node.attrs.get("batch_axis", 1))
        if x.ndim < 2 or {ta, ba} not in ({0, 1},) or lens.size != x.shape[ba] or \
                (lens.size and (lens.min() < 0 or lens.max() > x.shape[ta])):
            raise GenError(f"time_axis {ta}, batch_axis {ba}, sequence_lens {lens.tolist()} do not fit data "
                           f"{list(x.shape)}", node.name, node.op)
        y = x.copy()
        for b, n in enumerate(lens):
            n = int(n)
            if ba == 1:
                y[:n, b] = x[:n, b][::-1]
            else:
                y[b, :n] = x[b, :n][::-1]
        return y


@register
class Trilu(Take):
    ops = ("Trilu",)
    shape_determined_inputs = {"Trilu": (1,)}    # k as a graph input: read at run time (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        if len(node.input) <= k or types.get(node.input[k]) != 7 or shapes.get(node.input[k]) is None or \
                math.prod(shapes[node.input[k]]) != 1:
            return None     # one int64
        return rtparams.Determined(np.zeros(1, np.int64), "none", keep_input=True)

    def runtime_k(self, node, g) -> bool:
        from .. import rtparams
        return rtparams.read_at_run_time(g, node, 1)

    def int8_form(self, node, g):
        return None if self.runtime_k(node, g) else super().int8_form(node, g)

    def check(self, node, g):
        if not self.runtime_k(node, g):
            return super().check(node, g)
        x = g.t(node.inputs[0])
        if len(x.shape) < 2:
            raise GenError(f"a {len(x.shape)}-D input (Trilu needs at least 2-D)", node.name, node.op)
        check_shape(node, g, node.outputs[0], x.shape)
        c_int32(x.size, "element count", node)

    def kernel(self, node, g):
        return "gen_rt_trilu" if self.runtime_k(node, g) else super().kernel(node, g)

    def emit(self, node, g, ctx):
        if not self.runtime_k(node, g):
            return super().emit(node, g, ctx)
        x = g.t(node.inputs[0])
        rows, cols = (int(d) for d in x.shape[-2:])
        fill = ctx.array(np.array([self.fill(node, g)], dtype=x.dtype), "fill", wide=True)
        upper = 1 if int(node.attrs.get("upper", 1)) else 0
        return (f"gen_rt_trilu((const uint8_t *){ctx.ptr(x.name)}, (uint8_t *){ctx.ptr(node.outputs[0])}, "
                f"{elem_size(x)}, {x.size // (rows * cols)}, {rows}, {cols}, {ctx.ptr(node.inputs[1])}[0], {upper}, "
                f"(const uint8_t *){fill});")

    def reference(self, node, g, x, *rest):
        if not self.runtime_k(node, g):
            return super().reference(node, g, x, *rest)
        fill = np.asarray(self.fill(node, g)).astype(np.asarray(x).dtype)
        y = self.select(node, g, to_model(g.t(node.inputs[0]), x), fill, int(np.asarray(rest[0]).reshape(-1)[0]))
        return to_memory(g.t(node.outputs[0]), y)

    def select(self, node, g, x, fill, k=None):
        if k is None:       # else the value read at run time
            k = _const(node, g, 1, "k")
            k = int(k.reshape(-1)[0]) if k is not None else 0
        if x.ndim < 2:
            raise GenError(f"a {x.ndim}-D input (Trilu needs at least 2-D)", node.name, node.op)
        rows, cols = x.shape[-2:]
        k = max(min(k, cols + 1), -rows - 1)         # further out changes nothing
        i, j = np.indices((rows, cols))
        keep = (j - i >= k) if int(node.attrs.get("upper", 1)) else (j - i <= k)
        return np.where(keep, x, np.asarray(fill, dtype=x.dtype))


# ------------------------------------------------------------------------------------ scatters

class Scatter(OpFamily):
    runtime = RUNTIME
    plain_integers = True

    def positions(self, node, g, numbers: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def reduction(self, node):
        r = _attr(node, "reduction", "none")
        if r not in REDUCTIONS:
            raise GenError(f"reduction '{r}' is not one of {', '.join(REDUCTIONS)}", node.name, node.op)
        return r

    def table(self, node, g):
        x, u = g.t(node.inputs[0]), g.t(node.inputs[2])
        dst = self.positions(node, g, np.arange(x.size, dtype=np.int64).reshape(x.shape))
        if tuple(dst.shape) != tuple(u.shape):
            raise GenError(f"updates {list(u.shape)} do not match the indices (they select {list(dst.shape)})",
                           node.name, node.op)
        return c_int32s(dst.reshape(-1), f"{node.op} position", node)

    def check(self, node, g):
        x = g.t(node.inputs[0])
        if self.reduction(node) != "none" and x.dtype != "float32":
            raise GenError(f"reduction '{self.reduction(node)}' on {x.dtype} (float32 is supported)", node.name, node.op)
        if tuple(g.t(node.outputs[0]).shape) != tuple(x.shape):
            raise GenError("the output's shape is not the data's", node.name, node.op)
        c_int32(x.size, "data size", node)
        self.table(node, g)

    def kernel(self, node, g):
        return "gen_scatter" if self.reduction(node) == "none" else "gen_scatter_f32"

    def runtime_files(self, node, g):
        return RUNTIME if self.reduction(node) == "none" else RUNTIME + ("gen_scatter.h", "gen_scatter.c")

    def emit(self, node, g, ctx):
        x = g.t(node.inputs[0])
        dst = self.table(node, g)
        args = f"{ctx.ptr(x.name)}, {ctx.ptr(node.inputs[2])}, {ctx.ptr(node.outputs[0])}"
        r = self.reduction(node)
        if r == "none":
            return f"gen_scatter({args}, {elem_size(x)}, {x.size}, {ctx.array(dst, 'dst')}, {dst.size});"
        return f"gen_scatter_f32({args}, {x.size}, {ctx.array(dst, 'dst')}, {dst.size}, {REDUCTIONS.index(r)});"


@register
class ScatterND(Scatter):
    ops = ("ScatterND",)

    def positions(self, node, g, numbers):
        idx = _const(node, g, 1, "indices").astype(np.int64)
        q = idx.shape[-1] if idx.ndim else 0
        if idx.ndim < 1 or q > numbers.ndim:
            raise GenError(f"indices {list(idx.shape)} do not index data {list(numbers.shape)}", node.name, node.op)
        flat = idx.reshape(-1, q)
        cols = tuple(_indices(node, flat[:, j], numbers.shape[j]) for j in range(q))
        return numbers[cols].reshape(idx.shape[:-1] + numbers.shape[q:])


@register
class ScatterElements(Scatter):
    ops = ("ScatterElements", "Scatter")

    def positions(self, node, g, numbers):
        axis = _axis(node, numbers.ndim)
        idx = _const(node, g, 1, "indices")
        if idx.ndim != numbers.ndim or any(a > b for a, b in zip(idx.shape, numbers.shape)):
            raise GenError(f"indices {list(idx.shape)} do not fit data {list(numbers.shape)}", node.name, node.op)
        idx = _indices(node, idx, numbers.shape[axis])
        sl = tuple(np.indices(idx.shape))
        sl = sl[:axis] + (idx,) + sl[axis + 1:]
        return numbers[sl]
