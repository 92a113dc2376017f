"""int8 glue kernels (gen_s8.c): QuantizeLinear, DequantizeLinear, requantize (and standalone Relu/Clip),
lookup-table activations (Sigmoid, Tanh, HardSwish, HardSigmoid, LeakyRelu), spatial ReduceMean and
the NCHW <-> NHWC layout transposes that qpasses inserts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import int8ref, quant
from ..errors import GenError
from . import REGISTRY, OpFamily, c_fields, c_int32, check_finite, contiguous_strides, dims6, register, shape_of
from .layout import mem_shape, memory_perm, require_channels_last, to_memory, to_model
from .s8common import act_range, check_accumulator, ordered_range, requant

RUNTIME = ("gen_nn.h", "gen_s8.c")


@dataclass(frozen=True)
class QuantizeParams:
    size: int                       # elements
    scale: float                    # the int8 side's per-tensor scale and zero point
    zero_point: int


def quantize_params(node, g) -> QuantizeParams:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    q = (y if node.op == "QuantizeLinear" else x).quant
    if q is None or q.per_channel:
        raise GenError(f"{node.op} needs per-tensor int8 parameters here", node.name, node.op)
    return QuantizeParams(size=c_int32(x.size, "element count", node), scale=q.s(),
                          zero_point=c_int32(q.zp(), "zero point", node, -128, 127))


@register
class QuantizeLinear(OpFamily):
    ops = ("QuantizeLinear", "DequantizeLinear")
    # a scale or zero point read at run time: the node becomes its run-time form (quantize_rt.py)
    limits = {"QuantizeLinear": "a run-time scale (float model): to int8, uint8, int16",
              "DequantizeLinear": "a run-time scale (float model): from int8, uint8, int16, int32"}
    dtypes = {"QuantizeLinear": ("float32",), "DequantizeLinear": ("int8", "uint8", "int16", "int32")}
    is_qdq = True
    quantizes = ("QuantizeLinear",)
    dequantizes = ("DequantizeLinear",)
    runtime = RUNTIME

    def legalize(self, node, g):
        from .quantize_rt import runtime_form
        if runtime_form(node, g):
            REGISTRY[node.op].legalize(node, g)
            return
        ins = node.inputs
        x = shape_of(g, ins[0]) if ins else None
        if x is None or len(ins) < 2 or shape_of(g, ins[1]) is None:
            return
        sc = shape_of(g, ins[1])
        axis = node.attrs.get("axis", 1)
        if sc not in ((), (1,)):
            if not -len(x) <= axis < len(x) or sc != (x[axis],):
                raise GenError(f"scale '{ins[1]}' has shape {list(sc)}: per-axis scales need one value per "
                               f"element of axis {axis} of {list(x)}", node.name, node.op)
        scalar = ((), (1,))
        zp = shape_of(g, ins[2]) if len(ins) > 2 else None
        if zp is not None and zp != sc and not (zp in scalar and sc in scalar):
            raise GenError(f"zero point '{ins[2]}' has shape {list(zp)}, its scale {list(sc)}",
                           node.name, node.op)

    def prepare(self, node, g):
        return quantize_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_s8_quantize_f32" if node.op == "QuantizeLinear" else "gen_s8_dequantize_f32"

    def reference(self, node, g, x):
        p = self.params(node, g)
        if node.op == "QuantizeLinear":
            return int8ref.quantize_f32(x, p.scale, p.zero_point)
        return int8ref.dequantize_f32(x, p.scale, p.zero_point)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        fn = "gen_s8_quantize_f32" if node.op == "QuantizeLinear" else "gen_s8_dequantize_f32"
        return f"{fn}({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {p.size}, {ctx.flt(p.scale)}, " \
               f"{p.zero_point});"


@dataclass(frozen=True)
class RequantizeS8Params:
    in_offset: int                  # minus the input zero point
    mult: int
    shift: int
    out_offset: int                 # the output zero point
    lo: int                         # the clamp: fused activation and a lowered Relu/Clip
    hi: int
    size: int


def requantize_params(node, g) -> RequantizeS8Params:
    for name in (node.inputs[0], node.outputs[0]):
        if g.t(name).quant is None or g.t(name).dtype != "int8":
            raise GenError(f"'{name}' is not an int8 tensor with quantization parameters (a float constant in an "
                           "int8 graph needs a QuantizeLinear/DequantizeLinear pair)", node.name, node.op)
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    m, s = requant(quant.requantize_scale(x.quant.s(), y.quant.s()), "requantization scale (input / output)", node)
    check_accumulator(255, s, "input minus zero point, shifted by the requantization", node)
    lo, hi = act_range(node, y)
    onnx_op = node.info.get("onnx_op")
    if onnx_op == "Relu":
        lo = max(lo, quant.activation_range("relu", y.quant.s(), y.quant.zp())[0])
    elif onnx_op == "Clip":
        from .activation import clip_bounds
        c_lo, c_hi = clip_bounds(node, g)
        a, b = quant.activation_range("clip", y.quant.s(), y.quant.zp(), clip_min=c_lo, clip_max=c_hi)
        lo, hi = max(lo, a), min(hi, b)
    lo, hi = ordered_range(lo, hi)
    return c_fields(RequantizeS8Params(in_offset=-x.quant.zp(), mult=int(m), shift=int(s), out_offset=y.quant.zp(),
                                       lo=lo, hi=hi, size=x.size), node, "requantization parameter")


@register
class RequantizeS8(OpFamily):
    ops = ("RequantizeS8",)
    layout = "any"
    requantizes = True
    runtime = RUNTIME

    def prepare(self, node, g):
        return requantize_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_s8_requantize"

    def reference(self, node, g, x):
        p = self.params(node, g)
        return int8ref.requantize_s8(x, input_offset=p.in_offset, mult=p.mult, shift=p.shift,
                                     output_offset=p.out_offset, act_min=p.lo, act_max=p.hi)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        return (f"gen_s8_requantize({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {p.size}, "
                f"{p.in_offset}, {p.mult}, {p.shift}, {p.out_offset}, {p.lo}, {p.hi});")


def lut_table(node, g) -> np.ndarray:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    args = (x.quant.s(), x.quant.zp(), y.quant.s(), y.quant.zp())
    op = node.info.get("onnx_op")
    if op == "Sigmoid":
        return quant.lut_sigmoid(*args)
    if op == "Tanh":
        return quant.lut_tanh(*args)
    if op == "HardSwish":
        return quant.lut_hardswish(*args)
    if op == "HardSigmoid":
        return quant.lut_hardsigmoid(*args, alpha=float(node.attrs.get("alpha", 0.2)),
                                     beta=float(node.attrs.get("beta", 0.5)))
    if op == "LeakyRelu":
        return quant.lut_leaky_relu(*args, alpha=float(node.attrs.get("alpha", 0.01)))
    fn = getattr(REGISTRY.get(op), "lut_function", None)   # a family that gives its op as a float function
    if fn is not None:
        return quant.build_lut(fn(node, g), *args)
    raise GenError(f"no int8 table for {op}", node.name, node.op)


@dataclass(frozen=True)
class LutS8Params:
    size: int                       # elements
    table: np.ndarray               # int8 [256], indexed by x + 128


def lut_params(node, g) -> LutS8Params:
    size = c_int32(g.t(node.inputs[0]).size, "element count", node)
    for a in ("alpha", "beta"):
        if a in node.attrs:
            check_finite(node.attrs[a], f"attribute {a}", node)
    table = np.asarray(lut_table(node, g), np.int8)
    table.flags.writeable = False
    return LutS8Params(size=size, table=table)


@register
class LutS8(OpFamily):
    ops = ("LutS8",)
    layout = "any"
    runtime = RUNTIME

    def prepare(self, node, g):
        return lut_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_s8_lut"

    def reference(self, node, g, x):
        return int8ref.lut(x, self.params(node, g).table)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        table = ctx.array(p.table, "lut")
        return f"gen_s8_lut({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {p.size}, {table});"


@dataclass(frozen=True)
class ReduceMeanS8Params:
    """A mean over the spatial positions of a channels-last [N, spatial..., C] tensor."""
    batches: int
    spatial: int
    channels: int
    in_offset: int                  # minus the input zero point
    mult: int
    shift: int
    out_offset: int                 # the output zero point
    lo: int                         # (act_min, act_max) of the fused activation
    hi: int


def reduce_mean_params(node, g) -> ReduceMeanS8Params:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    m, s = requant(quant.requantize_scale(x.quant.s(), y.quant.s()), "requantization scale (input / output)", node)
    spatial = int(np.prod(x.shape[2:], dtype=np.int64))
    check_accumulator(255 * spatial, s, "sum over the reduced axes, shifted by the requantization", node)
    lo, hi = act_range(node, y)
    # channels last [N, spatial..., C] in memory (1-D, 2-D, ... spatial), mean over the spatial positions
    return c_fields(ReduceMeanS8Params(batches=x.shape[0], spatial=spatial, channels=x.shape[1],
                                       in_offset=-x.quant.zp(), mult=int(m), shift=int(s), out_offset=y.quant.zp(),
                                       lo=lo, hi=hi), node, "mean parameter")


@register
class ReduceMeanS8(OpFamily):
    ops = ("ReduceMeanS8",)
    layout = "channels_last"
    runtime = RUNTIME

    def prepare(self, node, g):
        return reduce_mean_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_s8_reduce_mean"

    def reference(self, node, g, x):
        require_channels_last(node, g, node.inputs[0])
        p = self.params(node, g)
        return int8ref.reduce_mean_s8(x.reshape(p.batches, p.spatial, p.channels), input_offset=p.in_offset,
                                      mult=p.mult, shift=p.shift, output_offset=p.out_offset, act_min=p.lo,
                                      act_max=p.hi)

    def emit(self, node, g, ctx):
        require_channels_last(node, g, node.inputs[0])
        p = self.params(node, g)
        return (f"gen_s8_reduce_mean({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {p.batches}, "
                f"{p.spatial}, {p.channels}, {p.in_offset}, {p.mult}, {p.shift}, {p.out_offset}, "
                f"{p.lo}, {p.hi});")


@dataclass(frozen=True)
class LayoutS8Params:
    src: str | None                 # the input's and the output's layout (None: model order)
    dst: str | None
    shape: tuple[int, ...]          # the output's memory shape
    strides: tuple[int, ...]        # for each output memory axis, its element stride in the input
    elem_bytes: int


@register
class LayoutS8(OpFamily):
    """Channels first <-> channels last of a tensor of rank 3 to 6 (any element size)."""
    ops = ("LayoutS8",)
    transposes_layout = True
    runtime = ("gen_layout.h", "gen_layout.c")

    def layouts(self, node):
        to = None if node.attrs["to"] == "NCHW" else node.attrs["to"]
        return ("NHWC" if to is None else None), to

    def prepare(self, node, g):
        t = g.t(node.inputs[0])
        if not 3 <= len(t.shape) <= 6:
            raise GenError("internal: a layout change needs rank 3 to 6", node.name, node.op)
        src, dst = self.layouts(node)
        pin, pout = memory_perm(t, src), memory_perm(t, dst)
        in_strides = contiguous_strides(mem_shape(t, src))
        return LayoutS8Params(src=src, dst=dst, shape=tuple(mem_shape(t, dst)),
                              strides=tuple(in_strides[pin.index(a)] for a in pout), elem_bytes=t.nbytes // t.size)

    def check(self, node, g):
        self.params(node, g)

    def fast(self, node, g) -> str | None:
        """gen's specialized layout change (gen/ops/fast_eltwise.py), or None for gen_transpose."""
        from . import fast_eltwise, fast_s8
        ok = g.t(node.inputs[0]).dtype == "int8" and fast_eltwise.layout_ok(self.params(node, g))
        return "chlast" if fast_s8.enabled(g) and ok else None

    def runtime_files(self, node, g):
        from . import fast_eltwise
        return fast_eltwise.INPLACE_RUNTIME if self.fast(node, g) else self.runtime

    def kernel(self, node, g):
        return "gen_fast_chlast_s8" if self.fast(node, g) else "gen_transpose"

    def overlap(self, node, g):
        from . import fast_eltwise
        rule = fast_eltwise.layout_overlap(self.params(node, g)) if self.fast(node, g) else None
        return (rule,) if rule else ()

    def reference(self, node, g, x):
        t = g.t(node.inputs[0])
        p = self.params(node, g)
        return to_memory(t, to_model(t, x, p.src), p.dst)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        if self.fast(node, g):
            from . import fast_eltwise
            return fast_eltwise.layout_emit(ctx, p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))
        prm = ctx.params("gen_transpose_params", f"{len(p.shape)}, {dims6(p.shape, node)}, {dims6(p.strides, node)}")
        return f"gen_transpose({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {p.elem_bytes}, {prm});"
