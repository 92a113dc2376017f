"""The Reduce* ops over any axes (attribute before opset 13 (ReduceSum) or 18 (the others), an input
from then on), keepdims, noop_with_empty_axes (empty axes then apply the op's elementwise part: L1 gives
|x|, SumSquare x^2, as the ONNX reference does).

ReduceMean keeps its own kernel (gen_f32.c); the others run on gen_reduce_f32 (runtime_c/gen_reduce.c).
int8: ReduceMax / ReduceMin select input bytes (the output keeps the input's quantization, a requantize
follows where the model changes it); ReduceSum, and a ReduceMean over other axes than the spatial ones,
sum int32 and requantize once (gen_reduce_sum_s8); the others compute in float between dequantize and
quantize."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError

from .. import int8ref, quant
from . import OpFamily, c_fields, c_int32, contiguous_strides, dims6, register


def runtime_axes(node, g) -> bool:
    """The axes are a graph input the kernel reads at run time (a keepdims=0 output that several axis
    sets give; the entry point checks them first, gen/rtparams.py)."""
    from .. import rtparams
    return rtparams.read_at_run_time(g, node, 1)


def reduce_axes(node, g) -> list[int]:
    """The sorted axes; for axes read at run time, one set that gives the output shape (the sizes are
    the same for every such set; the strides are computed at run time)."""
    shape = g.t(node.inputs[0]).shape
    nd = len(shape)
    axes = node.attrs.get("axes")
    if runtime_axes(node, g):
        from .. import rtparams
        found = rtparams.reduce_axes(shape, g.t(node.outputs[0]).shape, False, g.t(node.inputs[1]).size)
        if found is None:
            raise GenError(f"no axes reduce {list(shape)} to {list(g.t(node.outputs[0]).shape)}", node.name, node.op)
        return found[0]
    if len(node.inputs) > 1 and node.inputs[1]:
        v = g.const(node.inputs[1])
        if v is None:
            raise GenError(f"the axes (input 1, '{node.inputs[1]}') must be a constant: make it an initializer",
                           node.name, node.op)
        axes = [int(a) for a in v.reshape(-1)]
    if not axes:
        if int(node.attrs.get("noop_with_empty_axes", 0)):
            return []
        axes = list(range(nd))
    if any(not -nd <= a < nd for a in axes):
        raise GenError(f"axes {axes} out of range for rank {nd}", node.name, node.op)
    return sorted({a % nd for a in axes})


@dataclass(frozen=True)
class ReduceMeanParams:
    """A float ReduceMean: the input's shape (a scalar as [1]) and the sorted axes it averages over."""
    shape: tuple[int, ...]
    axes: tuple[int, ...]


def determined_axes(node, k, shapes, types):
    """The axes input (a graph input) as the static shapes determine it (gen/rtparams.py): the dims that
    the output reduces, up to unit dims; a keepdims=0 output that axis sets reducing different dims give
    is read at run time (the check: the axes give the output shape)."""
    from .. import rtparams
    from . import onnx_attrs
    ins, out = rtparams.shape(shapes, node.input[0]), rtparams.shape(shapes, node.output[0])
    n = rtparams.length(shapes, node.input[k])
    keep = bool(onnx_attrs(node).get("keepdims", 1))
    found = rtparams.reduce_axes(ins, out, keep, n) if len(ins) <= MAX_DIMS else None
    if found is None:
        return None
    axes, same = found
    if same:
        mask = tuple(1 if i in axes else 0 for i in range(len(ins)))
        return rtparams.Determined(np.asarray(axes, np.int64), "reduce_axes", ins, out, mask=mask, keepdims=keep)
    return rtparams.Determined(np.asarray(axes, np.int64), "reduce_axes", ins, out, keepdims=keep, keep_input=True)


def runtime_strides(node, g, ctx, ctype: str, prm: str, call: str) -> str:
    """The kernel call on a copy of the parameter struct prm whose output strides come from the axes
    read at run time (`call` names the copy `p`)."""
    axes = g.t(node.inputs[1])
    return (f"{{\n    {ctype} p = *{prm};\n    gen_rt_reduce_strides({ctx.ptr(axes.name)}, {axes.size}, p.shape, "
            f"p.ndim, p.y_stride);\n    {call}\n}}")


def legalize_axes(node, g) -> None:
    """A run-time axes input is refused before the passes (which would call it a plain integer tensor)."""
    if len(node.inputs) > 1 and node.inputs[1] and g.const(node.inputs[1]) is None and not runtime_axes(node, g):
        reduce_axes(node, g)


@register
class ReduceMean(OpFamily):
    ops = ("ReduceMean",)
    shape_determined_inputs = {"ReduceMean": (1,)}     # the axes as a graph input (gen/rtparams.py)
    limits = {"ReduceMean": "axes constant or a graph input; up to 6 dims"}

    def determined_input(self, node, k, shapes, types):
        return determined_axes(node, k, shapes, types)
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"ReduceMean": "ReduceMeanS8"}

    def int8_form(self, node, g):
        # the mean over every spatial position of a channels-last tensor (1-D, 2-D, ... spatial); over
        # other axes a sum and one requantize in model order
        x = g.t(node.inputs[0])
        if runtime_axes(node, g):
            return None         # in float between dequantize and quantize
        if len(x.shape) < 3 or reduce_axes(node, g) != list(range(2, len(x.shape))):
            return "ReduceSumS8" if len(x.shape) <= MAX_DIMS else None
        return super().int8_form(node, g)

    def prepare(self, node, g):
        return ReduceMeanParams(tuple(int(d) for d in g.t(node.inputs[0]).shape) or (1,), tuple(reduce_axes(node, g)))

    def legalize(self, node, g):
        legalize_axes(node, g)

    def check(self, node, g):
        self.params(node, g)
        if len(g.t(node.inputs[0]).shape) > 6:
            raise GenError("ReduceMean over more than 6 dims is not supported", node.name, node.op)
        c_int32(g.t(node.inputs[0]).size, "element count", node)

    def kernel(self, node, g):
        return "gen_f32_reduce_mean"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        shape, axes = list(p.shape), list(p.axes)
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        kept = [1 if k in axes else d for k, d in enumerate(shape)]
        ystr = [0 if k in axes else s for k, s in enumerate(contiguous_strides(kept))]
        count = int(np.prod([shape[a] for a in axes], dtype=np.int64)) if axes else 1
        inner = int(np.prod([shape[a] for a in axes], dtype=np.int64))
        run_time = runtime_axes(node, g)
        if axes and axes == list(range(len(shape) - len(axes), len(shape))) and not run_time:   # trailing: one pass
            return f"gen_f32_mean_inner({x}, {y}, {int(np.prod(shape)) // inner}, {inner});"
        prm = ctx.params("gen_f32_reduce_params",
                         f"{len(shape)}, {dims6(shape)}, {dims6(ystr)}, {int(np.prod(kept))}, {ctx.flt(1.0 / count)}")
        if run_time:
            return runtime_strides(node, g, ctx, "gen_f32_reduce_params", prm, f"gen_f32_reduce_mean({x}, {y}, &p);")
        return f"gen_f32_reduce_mean({x}, {y}, {prm});"


MAX_DIMS = 6
# the GEN_REDUCE_* op codes of runtime_c/gen_reduce.h
REDUCE_CODES = {"ReduceSum": 0, "ReduceMean": 1, "ReduceMax": 2, "ReduceMin": 3, "ReduceProd": 4, "ReduceL1": 5,
                "ReduceL2": 6, "ReduceLogSum": 7, "ReduceLogSumExp": 8, "ReduceSumSquare": 9}
RUNTIME = ("gen_reduce.h", "gen_reduce.c")


@dataclass(frozen=True)
class ReduceParams:
    """A reduction of the input (shape, row-major) into the output: each input dim's stride in the
    output, 0 on a reduced dim."""
    code: int
    shape: tuple[int, ...]
    y_stride: tuple[int, ...]
    y_size: int
    count: int                      # input elements per output element


def reduce_params(node, g, op: str | None = None) -> ReduceParams:
    x = g.t(node.inputs[0])
    shape = list(x.shape) or [1]
    if len(shape) > MAX_DIMS:
        raise GenError(f"{node.op} over more than {MAX_DIMS} dims is not supported", node.name, node.op)
    axes = reduce_axes(node, g)
    kept = [1 if k in axes else d for k, d in enumerate(shape)]
    ystr = [0 if k in axes else s for k, s in enumerate(contiguous_strides(kept))]
    c_int32(x.size, "element count", node)
    count = int(np.prod([shape[a] for a in axes], dtype=np.int64)) if axes else 1
    code = REDUCE_CODES[op or node.info.get("onnx_op", node.op)]
    return c_fields(ReduceParams(code=code, shape=tuple(shape), y_stride=tuple(ystr),
                                 y_size=int(np.prod(kept, dtype=np.int64)), count=count), node, "reduce parameter")


def reduce_struct(p: ReduceParams, ctx, node, scale: float = 1.0) -> str:
    return ctx.params("gen_reduce_params", f"{p.code}, {len(p.shape)}, {dims6(p.shape, node)}, "
                                           f"{dims6(p.y_stride, node)}, {p.y_size}, {ctx.flt(scale)}")


@register
class Reduce(OpFamily):
    """ReduceSum, ReduceMax, ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp,
    ReduceSumSquare (float32)."""
    ops = ("ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
           "ReduceLogSumExp", "ReduceSumSquare")
    runtime = RUNTIME
    int8_kernels = {"ReduceMax": "ReduceMaxS8", "ReduceMin": "ReduceMinS8", "ReduceSum": "ReduceSumS8"}
    shape_determined_inputs = {op: (1,) for op in ops}     # the axes as a graph input (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        return determined_axes(node, k, shapes, types)

    def int8_form(self, node, g):
        return None if runtime_axes(node, g) else super().int8_form(node, g)

    def selects_values(self, node):
        return node.op in ("ReduceMax", "ReduceMin")

    def legalize(self, node, g):
        legalize_axes(node, g)

    def prepare(self, node, g):
        return reduce_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def scratch(self, node, g):
        p = self.params(node, g)
        return 4 * p.y_size if node.op == "ReduceLogSumExp" else 0

    def kernel(self, node, g):
        return "gen_reduce_f32"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        tmp = f"(float *){ctx.scratch(node)}" if node.op == "ReduceLogSumExp" else "NULL"
        if runtime_axes(node, g):
            call = f"gen_reduce_f32({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {tmp}, &p);"
            return runtime_strides(node, g, ctx, "gen_reduce_params", reduce_struct(p, ctx, node), call)
        return (f"gen_reduce_f32({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {tmp}, "
                f"{reduce_struct(p, ctx, node)});")


@register
class ReduceSelectS8(OpFamily):
    """int8 ReduceMax / ReduceMin: a selection of input bytes in model order (the output keeps the input's
    scale and zero point)."""
    ops = ("ReduceMaxS8", "ReduceMinS8")
    runtime = RUNTIME
    keeps_quant = True

    def selects_values(self, node):
        return True

    def prepare(self, node, g):
        return reduce_params(node, g, "ReduceMax" if node.op == "ReduceMaxS8" else "ReduceMin")

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_reduce_s8"

    def reference(self, node, g, x):
        p = self.params(node, g)
        axes = tuple(k for k, s in enumerate(p.y_stride) if s == 0)
        xs = np.asarray(x).reshape(p.shape)
        y = xs.max(axis=axes, keepdims=True) if node.op == "ReduceMaxS8" else xs.min(axis=axes, keepdims=True)
        return y.astype(np.int8)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        return f"gen_reduce_s8({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {reduce_struct(p, ctx, node)});"


@dataclass(frozen=True)
class ReduceSumS8Params:
    red: ReduceParams
    in_offset: int                  # minus the input zero point
    mult: int                       # s_in / s_out (ReduceSum), s_in / (s_out * count) (ReduceMean)
    shift: int
    out_offset: int


@register
class ReduceSumS8(OpFamily):
    """int8 ReduceSum / ReduceMean over any axes, model order: an int32 sum of (x - zp_in), requantized once."""
    ops = ("ReduceSumS8",)
    runtime = RUNTIME

    def prepare(self, node, g):
        from .s8common import check_accumulator, requant
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        onnx_op = node.info.get("onnx_op", "ReduceSum")
        red = reduce_params(node, g, "ReduceSum")
        real = quant.requantize_scale(x.quant.s(), y.quant.s())
        if onnx_op == "ReduceMean":
            real = real / red.count
        m, s = requant(real, "requantization scale (input / output)", node)
        check_accumulator(255 * red.count, s, "sum over the reduced axes, shifted by the requantization", node)
        return c_fields(ReduceSumS8Params(red=red, in_offset=-x.quant.zp(), mult=int(m), shift=int(s),
                                          out_offset=y.quant.zp()), node, "reduce parameter")

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_reduce_sum_s8"

    def scratch(self, node, g):
        return 4 * self.params(node, g).red.y_size

    def reference(self, node, g, x):
        p = self.params(node, g)
        axes = tuple(k for k, s in enumerate(p.red.y_stride) if s == 0)
        acc = (np.asarray(x, np.int64).reshape(p.red.shape) + p.in_offset).sum(axis=axes, keepdims=True)
        return int8ref.requantize_s8(acc, input_offset=0, mult=p.mult, shift=p.shift, output_offset=p.out_offset)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        return (f"gen_reduce_sum_s8({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, "
                f"(int32_t *){ctx.scratch(node)}, {reduce_struct(p.red, ctx, node)}, {p.in_offset}, {p.mult}, "
                f"{p.shift}, {p.out_offset});")
