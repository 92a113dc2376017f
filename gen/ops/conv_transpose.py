"""ConvTranspose (1-D and 2-D; strides, pads, dilations, output_padding, output_shape, group, auto_pad,
bias): float32 NCHW (gen_f32_conv_transpose) and int8 (ConvTransposeS8: a QDQ DQ -> ConvTranspose -> Q
island with symmetric int8 weights, channels last like ConvS8, int32 accumulation, per-channel
requantization with CMSIS-NN's double rounding). Kernels: runtime_c/gen_conv_transpose.c.

Pads: with output_shape or auto_pad SAME_* the total padding is full - output (full = stride * (in - 1)
+ output_padding + (kernel - 1) * dilation + 1, the output of SAME being in * stride); SAME_UPPER puts
total // 2 first, every other case total - total // 2 (the spec, and onnxruntime). The kernels crop the
full result by the leading pads.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import quant
from ..errors import GenError
from ..int8ref import requantize
from . import (OpFamily, as_2d, attr_ints, c_fields, c_params, int8_weights, int32_bias, onnx_attrs, register,
               shape_of)
from .s8common import act_range, bias_int32, check_accumulator, requant

RUNTIME = ("gen_conv_transpose.h",)
GEOMETRY = ("n", "c", "h", "w", "m", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "group")


def explicit_pads(node, shapes) -> bool:
    """A ConvTranspose ONNX node with output_shape or auto_pad SAME_* gets the explicit pads these mean
    (onnx's shape inference gives a 1-D output_shape's output the wrong rank); True if it changed. The
    node is left as it is where the sizes are unknown or the attributes wrong (the geometry refuses it)."""
    from onnx import helper
    a = onnx_attrs(node)
    auto_pad = a.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if "output_shape" not in a and auto_pad not in ("SAME_UPPER", "SAME_LOWER"):
        return False
    x = shapes.get(node.input[0]) if node.input else None
    w = shapes.get(node.input[1]) if len(node.input) > 1 else None
    if x is None or w is None or len(x) != len(w) or len(x) < 3:
        return False
    nd = len(x) - 2
    strides = [int(v) for v in a.get("strides", [1] * nd)]
    dil = [int(v) for v in a.get("dilations", [1] * nd)]
    opad = [int(v) for v in a.get("output_padding", [0] * nd)]
    oshape = [int(v) for v in a["output_shape"]] if "output_shape" in a else None
    if len(strides) != nd or len(dil) != nd or len(opad) != nd or (oshape is not None and len(oshape) not in (nd, nd + 2)):
        return False
    if oshape is None and any(opad):
        return False                      # refused by the geometry (onnx and onnxruntime disagree)
    full = [s * (i - 1) + op + (k - 1) * d + 1 for s, i, op, k, d in zip(strides, x[2:], opad, w[2:], dil)]
    out = oshape[-nd:] if oshape is not None else [i * s for i, s in zip(x[2:], strides)]
    total = [f - o for f, o in zip(full, out)]
    if any(t < 0 for t in total):
        return False
    before = [t // 2 if auto_pad == "SAME_UPPER" else t - t // 2 for t in total]
    keep = [v for v in node.attribute if v.name not in ("output_shape", "auto_pad", "pads")]
    del node.attribute[:]
    node.attribute.extend(keep)
    node.attribute.append(helper.make_attribute("pads", before + [t - b for t, b in zip(total, before)]))
    return True


def conv_transpose_geometry(node, g) -> dict:
    """A ConvTranspose's shapes in 2-D form (1-D gets a unit height), NCHW, pads resolved."""
    x, w, y = g.t(node.inputs[0]), g.t(node.inputs[1]), g.t(node.outputs[0])
    where = (node.name, node.op)
    if len(x.shape) not in (3, 4):
        raise GenError(f"{len(x.shape) - 2}-D ConvTranspose is not supported (1-D and 2-D are)", *where)
    if len(w.shape) != len(x.shape):
        raise GenError(f"weights have shape {list(w.shape)}, the input {list(x.shape)}: they need the same rank",
                       *where)
    nd = len(x.shape) - 2
    sizes, kernel = list(x.shape[2:]), list(w.shape[2:])
    ks = attr_ints(node, "kernel_shape", None)
    if ks is not None and ks != kernel:
        raise GenError(f"kernel_shape {ks} is not the weights' spatial shape {kernel}", *where)
    group = int(node.attrs.get("group", 1))
    n, c = x.shape[0], x.shape[1]
    if group < 1 or c % group or w.shape[0] != c:
        raise GenError(f"group={group} does not divide input channels {c}, or the weights {list(w.shape)} do not "
                       f"have {c} input channels first", *where)
    m = w.shape[1] * group
    strides = attr_ints(node, "strides", [1] * nd)
    dil = attr_ints(node, "dilations", [1] * nd)
    opad = attr_ints(node, "output_padding", [0] * nd)
    oshape = attr_ints(node, "output_shape", None)
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    if isinstance(auto_pad, bytes):
        auto_pad = auto_pad.decode()
    if len(strides) != nd or len(dil) != nd or len(opad) != nd:
        raise GenError("strides/dilations/output_padding do not match the number of spatial dims", *where)
    if any(s < 1 for s in strides) or any(d < 1 for d in dil) or any(p < 0 for p in opad):
        raise GenError("strides and dilations must be positive and output_padding non-negative", *where)
    for op, s in zip(opad, strides):
        if op >= s:
            raise GenError(f"output_padding {op} must be less than the stride {s} (onnxruntime refuses it)", *where)
    if auto_pad not in ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"):
        raise GenError(f"auto_pad '{auto_pad}' is not a valid value", *where)
    full = [s * (i - 1) + op + (k - 1) * d + 1 for s, i, op, k, d in zip(strides, sizes, opad, kernel, dil)]
    if oshape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if oshape is not None:
            if len(oshape) not in (nd, nd + 2):
                raise GenError(f"output_shape {oshape} does not match the number of spatial dims", *where)
            out = oshape[-nd:]
        else:
            if any(opad):
                raise GenError("output_padding with auto_pad SAME_* is not supported (onnx's shape inference and "
                               "onnxruntime disagree on its output size)", *where)
            out = [i * s for i, s in zip(sizes, strides)]
        total = [f - o for f, o in zip(full, out)]
        if any(t < 0 for t in total):
            what = "output_shape" if oshape is not None else "auto_pad's output (input x stride)"
            raise GenError(f"{what} {out} is larger than the full transposed convolution {full} (negative padding)",
                           *where)
        before = [t // 2 if auto_pad == "SAME_UPPER" else t - t // 2 for t in total]
        after = [t - b for t, b in zip(total, before)]
    elif auto_pad == "VALID":
        before, after = [0] * nd, [0] * nd
    else:
        pads = attr_ints(node, "pads", [0] * 2 * nd)
        if len(pads) != 2 * nd or any(p < 0 for p in pads):
            raise GenError(f"pads {pads} must be {2 * nd} non-negative values", *where)
        before, after = pads[:nd], pads[nd:]
    out = [f - b - a for f, b, a in zip(full, before, after)]
    if any(o < 1 for o in out):
        raise GenError(f"pads {before + after} leave no output (full transposed convolution {full})", *where)
    if list(y.shape) != [n, m] + out:
        raise GenError(f"output shape {list(y.shape)} is not the [{n}, {m}] + {out} the attributes give", *where)
    h, wd = as_2d(sizes, 1)
    oh, ow = as_2d(out, 1)
    kh, kw = as_2d(kernel, 1)
    sh, sw = as_2d(strides, 1)
    dh, dw = as_2d(dil, 1)
    pt, pl = as_2d(before, 0)
    return c_params(dict(n=n, c=c, h=h, w=wd, m=m, oh=oh, ow=ow, kh=kh, kw=kw, sh=sh, sw=sw, dh=dh, dw=dw,
                         pt=pt, pl=pl, group=group), node, "ConvTranspose parameter")


@dataclass(frozen=True)
class ConvTransposeParams:
    """A float ConvTranspose's geometry (conv_transpose_geometry's fields): 2-D, NCHW."""
    n: int
    c: int
    h: int
    w: int
    m: int
    oh: int
    ow: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int
    pl: int
    group: int

    def fields(self) -> str:
        return ", ".join(str(getattr(self, f)) for f in GEOMETRY)


def _macs(p) -> int:
    return p.n * p.c * p.h * p.w * (p.m // p.group) * p.kh * p.kw


@register
class ConvTranspose(OpFamily):
    ops = ("ConvTranspose",)
    limits = {"ConvTranspose": "1-D and 2-D"}
    runtime = RUNTIME
    int8_kernels = {"ConvTranspose": "ConvTransposeS8"}
    fuses_activation = True

    def legalize(self, node, g):
        ins = node.inputs
        x = shape_of(g, ins[0]) if ins else None
        w = shape_of(g, ins[1]) if len(ins) > 1 else None
        if x is None or w is None:
            return
        if len(w) != len(x) or len(w) < 3:
            raise GenError(f"weights '{ins[1]}' have shape {list(w)}, the input has shape {list(x)}: "
                           "they need the same rank (>= 3)", node.name, node.op)
        m = w[1] * int(node.attrs.get("group", 1))
        if len(ins) > 2 and shape_of(g, ins[2]) not in (None, (m,)):
            raise GenError(f"bias '{ins[2]}' has shape {list(shape_of(g, ins[2]))}, not [{m}] (the output "
                           "channels)", node.name, node.op)

    def onnx_rewrite(self, node, shapes):
        return explicit_pads(node, shapes)

    def onnx_output_shape(self, node, out, shape, shapes):
        raise GenError(f"output '{out}' would have shape {list(shape)}: the pads leave no output of the full "
                       "transposed convolution", node.name, node.op_type)

    def int8_form(self, node, g):
        if not int8_weights(node, g) or not int32_bias(node, g) or len(g.t(node.inputs[0]).shape) not in (3, 4):
            return None
        wq = g.t(node.inputs[1]).quant
        if wq.per_channel and wq.axis != 1:
            return None                      # per input channel scales cannot requantize per output: float
        return super().int8_form(node, g)

    def prepare(self, node, g):
        return ConvTransposeParams(**conv_transpose_geometry(node, g))

    def check(self, node, g):
        if g.t(node.inputs[0]).dtype != "float32":
            raise GenError(f"ConvTranspose of {g.t(node.inputs[0]).dtype} is not supported (float32, and int8 "
                           "through QDQ)", node.name, node.op)
        for name in node.inputs[1:3]:      # constant, or read from the arena at run time
            if name and g.t(name).dtype != "float32":
                raise GenError(f"'{name}' is {g.t(name).dtype}: a float ConvTranspose takes float32 weights and "
                               "bias", node.name, node.op)
        self.params(node, g)

    def macs(self, node, g):
        return _macs(self.params(node, g))

    def kernel(self, node, g):
        return "gen_f32_conv_transpose"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        # weights and bias in ONNX's layout: const arrays, or the arena when they arrive at run time
        w = ctx.array(g.const(node.inputs[1]).astype(np.float32), "w") if g.t(node.inputs[1]).is_const \
            else ctx.ptr(node.inputs[1])
        b = "NULL"
        if len(node.inputs) > 2 and node.inputs[2]:
            b = ctx.array(g.const(node.inputs[2]).astype(np.float32), "b") if g.t(node.inputs[2]).is_const \
                else ctx.ptr(node.inputs[2])
        prm = ctx.params("gen_f32_conv_transpose_params", f"{p.fields()}, {ctx.act(node)}")
        return f"gen_f32_conv_transpose({ctx.ptr(node.inputs[0])}, {w}, {b}, {ctx.ptr(node.outputs[0])}, {prm});"


@dataclass(frozen=True)
class ConvTransposeS8Params:
    """A ConvTransposeS8 node: the geometry (2-D, NCHW sizes), quantization and the weights as
    [m][kh][kw][c / group] int8 (each output channel's taps over its group's input channels)."""
    geometry: ConvTransposeParams
    in_offset: int               # minus the input zero point
    out_offset: int              # the output zero point
    mult: np.ndarray             # int32 [m]
    shift: np.ndarray            # int32 [m]
    act: tuple[int, int]
    filter: np.ndarray           # int8 [m, kh, kw, c // group]
    bias: np.ndarray             # int32 [m]


def conv_transpose_s8_params(node, g) -> ConvTransposeS8Params:
    geo = ConvTransposeParams(**conv_transpose_geometry(node, g))
    x, w, y = g.t(node.inputs[0]), g.t(node.inputs[1]), g.t(node.outputs[0])
    m, c, grp, kh, kw = geo.m, geo.c, geo.group, geo.kh, geo.kw
    mg, cg = m // grp, c // grp
    wq = w.quant
    if wq.per_channel:
        if wq.axis != 1 or wq.scale.size != mg:
            raise GenError("per-channel weight scales must be on axis 1 (output channels)", node.name, node.op)
        w_scale = np.tile(wq.scale.reshape(-1).astype(np.float64), grp)      # output channel gi * mg + mm: mm
    else:
        w_scale = np.full(m, wq.s(), np.float64)
    mult, shift = requant(quant.conv_scale(x.quant.s(), w_scale, y.quant.s()),
                          "requantization scale (input x weight / output)", node)
    wd = w.data.astype(np.int8).reshape(grp, cg, mg, kh, kw)                # [gi][c][mm][ky][kx]
    filt = np.ascontiguousarray(wd.transpose(0, 2, 3, 4, 1).reshape(m, kh, kw, cg))
    bias = bias_int32(node, g, x.quant.s() * w_scale, m)
    span = 128 + abs(x.quant.zp())
    wsum = np.abs(filt.astype(np.int64)).reshape(m, -1).sum(axis=1)
    check_accumulator(np.abs(bias.astype(np.int64)) + wsum * span, shift,
                      "bias + weights x inputs, shifted by the requantization", node)
    p = ConvTransposeS8Params(geometry=geo, in_offset=-x.quant.zp(), out_offset=y.quant.zp(), mult=mult, shift=shift,
                              act=act_range(node, y), filter=filt, bias=bias)
    return c_fields(p, node, "ConvTranspose parameter")


def conv_transpose_s8(x: np.ndarray, p: ConvTransposeS8Params) -> np.ndarray:
    """The numpy reference of gen_s8_conv_transpose on an NHWC [n, h, w, c] int8 tensor, computed the
    other way round (every input position scattered into the full output, then cropped):
    acc = bias + sum w * (x + in_offset) in int64, requantized with CMSIS-NN's double rounding."""
    r = p.geometry
    grp, cg, mg = r.group, r.c // r.group, r.m // r.group
    xi = np.asarray(x, np.int64).reshape(r.n, r.h, r.w, r.c) + p.in_offset
    fh = max((r.h - 1) * r.sh + (r.kh - 1) * r.dh + 1, r.pt + r.oh)
    fw = max((r.w - 1) * r.sw + (r.kw - 1) * r.dw + 1, r.pl + r.ow)
    acc = np.zeros((r.n, fh, fw, r.m), np.int64)
    f = p.filter.astype(np.int64)
    for ky in range(r.kh):
        for kx in range(r.kw):
            y0, x0 = ky * r.dh, kx * r.dw
            for gi in range(grp):
                contrib = np.einsum("nhwc,mc->nhwm", xi[..., gi * cg:(gi + 1) * cg], f[gi * mg:(gi + 1) * mg, ky, kx])
                acc[:, y0:y0 + (r.h - 1) * r.sh + 1:r.sh, x0:x0 + (r.w - 1) * r.sw + 1:r.sw,
                    gi * mg:(gi + 1) * mg] += contrib
    acc = acc[:, r.pt:r.pt + r.oh, r.pl:r.pl + r.ow, :] + p.bias.astype(np.int64)
    out = requantize(acc, p.mult, p.shift) + p.out_offset
    return np.clip(out, p.act[0], p.act[1]).astype(np.int8)


@register
class ConvTransposeS8(OpFamily):
    ops = ("ConvTransposeS8",)
    layout = "channels_last"
    runtime = RUNTIME

    def prepare(self, node, g):
        return conv_transpose_s8_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def macs(self, node, g):
        return _macs(self.params(node, g).geometry)

    def kernel(self, node, g):
        return "gen_s8_conv_transpose"

    def reference(self, node, g, x):
        return conv_transpose_s8(x, self.params(node, g))

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        r = p.geometry
        prm = ctx.params("gen_s8_conv_transpose_params",
                         f"{r.fields()}, {p.in_offset}, {p.out_offset}, {p.act[0]}, {p.act[1]}")
        return (f"gen_s8_conv_transpose({ctx.ptr(node.inputs[0])}, {ctx.array(p.filter, 'w')}, "
                f"{ctx.array(p.bias, 'b')}, {ctx.array(p.mult, 'mult')}, {ctx.array(p.shift, 'shift')}, "
                f"{ctx.ptr(node.outputs[0])}, {prm});")
