"""Gathers and scatters: Gather, GatherElements, GatherND, Compress, ReverseSequence, Trilu,
ScatterND, ScatterElements.

Gather selects rows of its input viewed as [outer, axis, inner]: gen_gather_i32 with constant
indices (normalized and range-checked here), gen_gather_i64 / _i32 with indices computed at run
time (a negative index counts from the end; one out of range makes the run return -1).

The others take index parameters. With constant ones, their source element for every output
element is computed here once, by running the op's numpy semantics on the input's element numbers
(arange), and the C copies through that table (gen_take; -1 writes the fill, Trilu's zero). Scatters
copy the data, then write the updates to the element numbers their constant indices name
(gen_scatter; the reductions add, mul, max and min in float32: gen_scatter_f32 in
runtime_c/gen_scatter.c). When the parameter (indices, condition, sequence_lens, k) arrives at run
time, the same table is computed by the C into the node's scratch (runtime_c/gen_rtindex.c: every
index checked first; one out of range, a condition with another count of true elements than the
static output has, a length outside [0, time] make the run return -1) and the same kernels copy.

All of them move bytes, so float32, int8 (keeping the quantization: Trilu fills with the zero point)
and integer tensors share the kernels; they work in the model's order (an int8 tensor channels
last is transposed back first).
"""
from __future__ import annotations


import numpy as np

from .. import int8ref
from ..errors import GenError
from . import OpFamily, c_int32, c_int32s, contiguous_strides, register
from .layout import to_memory, to_model
from .strided import ByteMover, check_shape, elem_size

RUNTIME = ("gen_layout.h", "gen_layout.c")
RT_RUNTIME = ("gen_rtindex.h", "gen_rtindex.c")
REDUCTIONS = ("none", "add", "mul", "max", "min")
RT_DIMS = 6             # GEN_MAX_DIMS of runtime_c/gen_layout.h


def _runtime(node, g, k) -> bool:
    """Input k is present and not a constant: read from the arena at run time."""
    return len(node.inputs) > k and bool(node.inputs[k]) and g.const(node.inputs[k]) is None


def _rt_tensor(node, g, k, what, dtypes=("int32", "int64")):
    t = g.t(node.inputs[k])
    if t.dtype not in dtypes:
        raise GenError(f"{what} ('{t.name}') of dtype {t.dtype} at run time ({' or '.join(dtypes)} are)",
                       node.name, node.op)
    return t


def _dims(values, what, node) -> str:
    """A C initializer of RT_DIMS int32 entries (the rest 0)."""
    values = [int(v) for v in values]
    if len(values) > RT_DIMS:
        raise GenError(f"{what} of rank {len(values)} at run time (up to {RT_DIMS})", node.name, node.op)
    return "{" + ", ".join(str(c_int32(v, what, node)) for v in values + [0] * (RT_DIMS - len(values))) + "}"


def _size(shape) -> int:
    return int(np.prod([int(d) for d in shape], dtype=np.int64))


def emit_positions(node, g, ctx, call) -> tuple[str, str]:
    """The C that computes a run-time position table into the node's scratch (returning -1 on a bad
    index), and the scratch pointer. call = (template with {idx} {prm} {pos}, struct type, initializer)."""
    template, ctype, init = call
    pos = ctx.scratch(node)
    prm = ctx.params(ctype, init, "rt") if ctype else ""
    code = template.format(idx=ctx.ptr(node.inputs[1]), prm=prm, pos=pos)
    return f"if ({code} != 0) {{\n    return -1; /* {node.op}: a run-time parameter out of range */\n}}", pos


def elements_call(node, g, x, idx_shape, what):
    """GatherElements / ScatterElements positions of indices of idx_shape into data x (model order)."""
    i = _rt_tensor(node, g, 1, what)
    nd = len(x.shape)
    axis = _axis(node, nd)
    if len(idx_shape) != nd or any(a > b for k, (a, b) in enumerate(zip(idx_shape, x.shape)) if k != axis):
        raise GenError(f"indices {list(idx_shape)} do not fit data {list(x.shape)}", node.name, node.op)
    c_int32(x.size, "data size", node)
    init = (f"{nd}, {_dims(idx_shape, 'indices', node)}, {_dims(contiguous_strides(x.shape), 'data', node)}, "
            f"{axis}, {c_int32(x.shape[axis], 'axis length', node)}")
    return (f"gen_rt_elements_positions({{idx}}, {int(i.dtype == 'int64')}, {{prm}}, {{pos}})",
            "gen_rt_elements_params", init)


def nd_call(node, g, x, b, what):
    """GatherND (batch_dims b) / ScatterND (b = 0) positions: (call, the shape the indices select)."""
    i = _rt_tensor(node, g, 1, what)
    q = int(i.shape[-1]) if len(i.shape) else 0
    if len(i.shape) < 1 or not 0 <= b < min(len(i.shape), len(x.shape)) or b + q > len(x.shape) or \
            tuple(i.shape[:b]) != tuple(x.shape[:b]):
        raise GenError(f"indices {list(i.shape)} with batch_dims {b} do not index data {list(x.shape)}",
                       node.name, node.op)
    c_int32(x.size, "data size", node)
    strides = contiguous_strides(x.shape)
    init = (f"{_size(x.shape[:b])}, {c_int32(_size(i.shape[b:-1]), 'indices', node)}, {q}, "
            f"{_size(x.shape[b:])}, {_size(x.shape[b + q:])}, {_dims(x.shape[b:b + q], 'data', node)}, "
            f"{_dims(strides[b:b + q], 'data', node)}")
    out = tuple(x.shape[:b]) + tuple(i.shape[b:-1]) + tuple(x.shape[b + q:])
    return (f"gen_rt_nd_positions({{idx}}, {int(i.dtype == 'int64')}, {{prm}}, {{pos}})", "gen_rt_nd_params",
            init), out


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
    by `select` applied to the input's element numbers from the parameter (input 1): here from a
    constant one, in C (`rt_call`, into the node's scratch) from one that arrives at run time."""

    def select(self, node, g, x: np.ndarray, fill, p) -> np.ndarray:
        """x selected by the parameter p (input 1 in the model's order; None when absent)."""
        raise NotImplementedError

    def rt_call(self, node, g):
        """The run-time position kernel: (template with {idx} {prm} {pos}, struct type or None, init)."""
        raise GenError(f"{node.op}'s parameter ('{node.inputs[1]}') must be a constant (make it an initializer)",
                       node.name, node.op)

    def param(self, node, g, what="parameter"):
        return _const(node, g, 1, what)

    def table(self, node, g) -> np.ndarray:
        x = g.t(node.inputs[0])
        src = self.select(node, g, np.arange(x.size, dtype=np.int64).reshape(x.shape), -1, self.param(node, g))
        check_shape(node, g, node.outputs[0], src.shape)
        return c_int32s(src.reshape(-1), f"{node.op} source index", node)

    def fill(self, node, g):
        t = g.t(node.inputs[0])
        if t.quant is not None:
            return int(int8ref.quantize_f32(np.float32(0), t.quant.s(), t.quant.zp()))
        return 0

    def check(self, node, g):
        if _runtime(node, g, 1):
            self.rt_call(node, g)
            c_int32(g.t(node.outputs[0]).size, "output size", node)
        else:
            self.table(node, g)

    def scratch(self, node, g):
        return 4 * g.t(node.outputs[0]).size if _runtime(node, g, 1) else 0

    def runtime_files(self, node, g):
        return RUNTIME + RT_RUNTIME if _runtime(node, g, 1) else RUNTIME

    def kernel(self, node, g):
        return "gen_take"

    def reference(self, node, g, x, *rest):
        p = to_model(g.t(node.inputs[1]), rest[0]) if _runtime(node, g, 1) else self.param(node, g)
        y = self.select(node, g, to_model(g.t(node.inputs[0]), x),
                        np.asarray(self.fill(node, g)).astype(np.asarray(x).dtype), p)
        return to_memory(g.t(node.outputs[0]), y)

    def emit(self, node, g, ctx):
        x = g.t(node.inputs[0])
        fill = ctx.array(np.array([self.fill(node, g)], dtype=x.dtype), "fill", wide=True)   # elem bytes, int64 too
        if _runtime(node, g, 1):
            check, pos = emit_positions(node, g, ctx, self.rt_call(node, g))
            n = g.t(node.outputs[0]).size
            return check + f"\ngen_take({ctx.ptr(x.name)}, {ctx.ptr(node.outputs[0])}, {elem_size(x)}, {pos}, {n}, {fill});"
        src = self.table(node, g)
        return (f"gen_take({ctx.ptr(x.name)}, {ctx.ptr(node.outputs[0])}, {elem_size(x)}, {ctx.array(src, 'src')}, "
                f"{src.size}, {fill});")


@register
class GatherElements(Take):
    ops = ("GatherElements",)

    def param(self, node, g, what="indices"):
        return _const(node, g, 1, what)

    def select(self, node, g, x, fill, idx):
        axis = _axis(node, x.ndim)
        if idx.ndim != x.ndim:
            raise GenError(f"indices of rank {idx.ndim} for data of rank {x.ndim}", node.name, node.op)
        if any(i > d for k, (i, d) in enumerate(zip(idx.shape, x.shape)) if k != axis):
            raise GenError(f"indices {list(idx.shape)} are larger than data {list(x.shape)}", node.name, node.op)
        part = x[tuple(slice(None) if k == axis else slice(0, i) for k, i in enumerate(idx.shape))]
        return np.take_along_axis(part, _indices(node, idx, x.shape[axis]), axis=axis)

    def rt_call(self, node, g):
        i = g.t(node.inputs[1])
        check_shape(node, g, node.outputs[0], i.shape)
        return elements_call(node, g, g.t(node.inputs[0]), tuple(i.shape), "indices")


@register
class GatherND(Take):
    ops = ("GatherND",)

    def param(self, node, g, what="indices"):
        return _const(node, g, 1, what)

    def select(self, node, g, x, fill, idx):
        b = int(node.attrs.get("batch_dims", 0))
        idx = idx.astype(np.int64)
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

    def rt_call(self, node, g):
        call, out = nd_call(node, g, g.t(node.inputs[0]), int(node.attrs.get("batch_dims", 0)), "indices")
        check_shape(node, g, node.outputs[0], out)
        return call


@register
class Compress(Take):
    ops = ("Compress",)

    def param(self, node, g, what="condition"):
        return _const(node, g, 1, what)

    def select(self, node, g, x, fill, cond):
        cond = cond.astype(bool).reshape(-1)
        if "axis" not in node.attrs:
            return np.compress(cond, x.reshape(-1))
        axis = _axis(node, x.ndim)
        if cond.size > x.shape[axis]:
            raise GenError(f"condition of {cond.size} for an axis of {x.shape[axis]}", node.name, node.op)
        return np.compress(cond, x, axis=axis)

    def rt_call(self, node, g):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        c = _rt_tensor(node, g, 1, "condition", ("bool",))
        if "axis" in node.attrs:
            axis = _axis(node, len(x.shape))
            outer, dim, inner = _size(x.shape[:axis]), int(x.shape[axis]), _size(x.shape[axis + 1:])
            count = int(y.shape[axis]) if len(y.shape) == len(x.shape) else -1
            want = tuple(x.shape[:axis]) + (count,) + tuple(x.shape[axis + 1:])
        else:
            outer, dim, inner = 1, x.size, 1
            count = int(y.shape[0]) if len(y.shape) == 1 else -1
            want = (count,)
        check_shape(node, g, y.name, want)
        if len(c.shape) != 1 or c.size > dim:
            raise GenError(f"condition of shape {list(c.shape)} for an axis of {dim}", node.name, node.op)
        args = ", ".join(str(c_int32(v, "Compress size", node)) for v in (c.size, outer, dim, inner, count))
        return f"gen_rt_compress_positions({{idx}}, {args}, {{pos}})", None, None


@register
class ReverseSequence(Take):
    ops = ("ReverseSequence",)

    def param(self, node, g, what="sequence_lens"):
        return _const(node, g, 1, what)

    def axes(self, node, x_shape, n_lens):
        ta, ba = int(node.attrs.get("time_axis", 0)), int(node.attrs.get("batch_axis", 1))
        if len(x_shape) < 2 or {ta, ba} not in ({0, 1},) or n_lens != x_shape[ba]:
            raise GenError(f"time_axis {ta}, batch_axis {ba}, {n_lens} sequence_lens do not fit data "
                           f"{list(x_shape)}", node.name, node.op)
        return ta, ba

    def select(self, node, g, x, fill, lens):
        lens = lens.astype(np.int64).reshape(-1)
        ta, ba = self.axes(node, x.shape, lens.size)
        if lens.size and (lens.min() < 0 or lens.max() > x.shape[ta]):
            raise GenError(f"sequence_lens {lens.tolist()} do not fit data {list(x.shape)}", node.name, node.op)
        y = x.copy()
        for b, n in enumerate(lens):
            n = int(n)
            if ba == 1:
                y[:n, b] = x[:n, b][::-1]
            else:
                y[b, :n] = x[b, :n][::-1]
        return y

    def rt_call(self, node, g):
        x = g.t(node.inputs[0])
        lens = _rt_tensor(node, g, 1, "sequence_lens")
        if len(lens.shape) != 1:
            raise GenError(f"sequence_lens of shape {list(lens.shape)} (1-D is)", node.name, node.op)
        ta, ba = self.axes(node, tuple(x.shape), lens.size)
        check_shape(node, g, node.outputs[0], x.shape)
        args = ", ".join(str(c_int32(v, "ReverseSequence size", node))
                         for v in (int(ba == 0), x.shape[ba], x.shape[ta], _size(x.shape[2:])))
        return f"gen_rt_reverse_positions({{idx}}, {int(lens.dtype == 'int64')}, {args}, {{pos}})", None, None


@register
class Trilu(Take):
    ops = ("Trilu",)

    def select(self, node, g, x, fill, k):
        k = int(np.asarray(k).reshape(-1)[0]) if k is not None else 0
        if x.ndim < 2:
            raise GenError(f"a {x.ndim}-D input (Trilu needs at least 2-D)", node.name, node.op)
        rows, cols = x.shape[-2:]
        k = max(min(k, cols + 1), -rows - 1)         # further out changes nothing
        i, j = np.indices((rows, cols))
        keep = (j - i >= k) if int(node.attrs.get("upper", 1)) else (j - i <= k)
        return np.where(keep, x, np.asarray(fill, dtype=x.dtype))

    def rt_call(self, node, g):
        x = g.t(node.inputs[0])
        k = _rt_tensor(node, g, 1, "k", ("int64",))
        if k.size != 1:
            raise GenError(f"k of shape {list(k.shape)} (one element is)", node.name, node.op)
        if len(x.shape) < 2:
            raise GenError(f"a {len(x.shape)}-D input (Trilu needs at least 2-D)", node.name, node.op)
        check_shape(node, g, node.outputs[0], x.shape)
        args = ", ".join(str(c_int32(v, "Trilu size", node)) for v in
                         (int(bool(int(node.attrs.get("upper", 1)))), _size(x.shape[:-2]), x.shape[-2], x.shape[-1]))
        return f"gen_rt_trilu_positions({{idx}}, {args}, {{pos}})", None, None


# ------------------------------------------------------------------------------------ scatters

class Scatter(OpFamily):
    moves_any_dtype = True
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

    def rt_call(self, node, g):
        """The run-time position kernel of the indices (as Take.rt_call)."""
        raise NotImplementedError

    def check(self, node, g):
        x = g.t(node.inputs[0])
        if self.reduction(node) != "none" and x.dtype != "float32":
            raise GenError(f"reduction '{self.reduction(node)}' on {x.dtype} (float32 is supported)", node.name, node.op)
        if tuple(g.t(node.outputs[0]).shape) != tuple(x.shape):
            raise GenError("the output's shape is not the data's", node.name, node.op)
        c_int32(x.size, "data size", node)
        if _runtime(node, g, 1):
            self.rt_call(node, g)
        else:
            self.table(node, g)

    def scratch(self, node, g):
        return 4 * g.t(node.inputs[2]).size if _runtime(node, g, 1) else 0

    def kernel(self, node, g):
        return "gen_scatter" if self.reduction(node) == "none" else "gen_scatter_f32"

    def runtime_files(self, node, g):
        files = RUNTIME if self.reduction(node) == "none" else RUNTIME + ("gen_scatter.h", "gen_scatter.c")
        return files + RT_RUNTIME if _runtime(node, g, 1) else files

    def emit(self, node, g, ctx):
        x = g.t(node.inputs[0])
        args = f"{ctx.ptr(x.name)}, {ctx.ptr(node.inputs[2])}, {ctx.ptr(node.outputs[0])}"
        pre = ""
        if _runtime(node, g, 1):
            check, dst = emit_positions(node, g, ctx, self.rt_call(node, g))
            pre, n = check + "\n", g.t(node.inputs[2]).size
        else:
            table = self.table(node, g)
            dst, n = ctx.array(table, 'dst'), table.size
        r = self.reduction(node)
        if r == "none":
            return pre + f"gen_scatter({args}, {elem_size(x)}, {x.size}, {dst}, {n});"
        return pre + f"gen_scatter_f32({args}, {x.size}, {dst}, {n}, {REDUCTIONS.index(r)});"


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

    def rt_call(self, node, g):
        call, selects = nd_call(node, g, g.t(node.inputs[0]), 0, "indices")
        u = g.t(node.inputs[2])
        if tuple(u.shape) != selects:
            raise GenError(f"updates {list(u.shape)} do not match the indices (they select {list(selects)})",
                           node.name, node.op)
        return call


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

    def rt_call(self, node, g):
        i, u = g.t(node.inputs[1]), g.t(node.inputs[2])
        if tuple(u.shape) != tuple(i.shape):
            raise GenError(f"updates {list(u.shape)} do not match the indices {list(i.shape)}", node.name, node.op)
        return elements_call(node, g, g.t(node.inputs[0]), tuple(i.shape), "indices")
