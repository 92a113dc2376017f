"""Conv (1-D and 2-D, groups, depthwise, pads, auto_pad, strides, dilations)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import fast_f32
from . import (OpFamily, as_2d, c_params, check_window, int8_weights, int32_bias, onnx_attrs, refuse_empty_window,
               register, shape_of, spatial)


def conv_geometry(node, g) -> dict:
    """Everything about a Conv's shapes, in 2-D form (1-D convs get a unit height), NCHW."""
    x = g.t(node.inputs[0])
    w = g.t(node.inputs[1])
    y = g.t(node.outputs[0])
    if len(x.shape) not in (3, 4):
        raise GenError(f"{len(x.shape) - 2}-D convolution is not supported (1-D and 2-D are)", node.name, node.op)
    kernel = list(w.shape[2:])
    strides, dil, pb, pa = spatial(node, list(x.shape[2:]), kernel)
    group = int(node.attrs.get("group", 1))
    n, c = x.shape[0], x.shape[1]
    m = w.shape[0]
    if group < 1 or c % group or m % group or w.shape[1] * group != c:
        raise GenError(f"group={group} does not divide input channels {c} and output channels {m} "
                       f"(weights {list(w.shape)})", node.name, node.op)
    h, wd = as_2d(list(x.shape[2:]), 1)
    oh, ow = as_2d(list(y.shape[2:]), 1)
    kh, kw = as_2d(kernel, 1)
    sh, sw = as_2d(strides, 1)
    dh, dw = as_2d(dil, 1)
    pt, pl = as_2d(pb, 0)
    pbot, pr = as_2d(pa, 0)
    check_window(node, (h, wd), (kh, kw), (sh, sw), (dh, dw), (pt, pl), (pbot, pr), (oh, ow))
    for o, i, k, s, d, p0, p1 in ((oh, h, kh, sh, dh, pt, pbot), (ow, wd, kw, sw, dw, pl, pr)):
        if o != (i + p0 + p1 - (k - 1) * d - 1) // s + 1:
            raise GenError("output size does not follow from input, kernel, pads, strides and dilations",
                           node.name, node.op)
    return c_params(dict(n=n, c=c, h=h, w=wd, m=m, oh=oh, ow=ow, kh=kh, kw=kw, sh=sh, sw=sw, dh=dh, dw=dw,
                         pt=pt, pl=pl, pb=pbot, pr=pr, group=group), node, "convolution parameter")


@dataclass(frozen=True)
class ConvGeometry:
    """A convolution's geometry (conv_geometry's fields): 2-D (a 1-D conv has a unit height), NCHW; the
    float and the int8 convolutions' parameters extend it."""
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
    pb: int
    pr: int
    group: int


@dataclass(frozen=True)
class ConvParams(ConvGeometry):
    """A float Conv's parameters: its geometry."""


@register
class Conv(OpFamily):
    ops = ("Conv",)
    limits = {"Conv": "1-D and 2-D"}
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"Conv": "ConvS8"}
    fuses_activation = True
    folds_batchnorm = True

    def legalize(self, node, g):
        ins = node.inputs
        x = shape_of(g, ins[0]) if ins else None
        if x is None or len(ins) < 2 or shape_of(g, ins[1]) is None:
            return
        w = shape_of(g, ins[1])
        if len(w) != len(x) or len(w) < 3:
            raise GenError(f"weights '{ins[1]}' have shape {list(w)}, the input has shape {list(x)}: "
                           "they need the same rank (>= 3)", node.name, node.op)
        if len(ins) > 2 and shape_of(g, ins[2]) not in (None, (w[0],)):
            raise GenError(f"bias '{ins[2]}' has shape {list(shape_of(g, ins[2]))}, not [{w[0]}] (the output "
                           "channels)", node.name, node.op)

    def onnx_output_shape(self, node, out, shape, shapes):
        w = shapes.get(node.input[1]) if len(node.input) > 1 else None
        refuse_empty_window(node, out, shape, shapes.get(node.input[0]),
                            onnx_attrs(node).get("kernel_shape") or (w[2:] if w else []))

    def int8_form(self, node, g):
        if not int8_weights(node, g) or not int32_bias(node, g) or len(g.t(node.inputs[0]).shape) not in (3, 4):
            return None
        return super().int8_form(node, g)

    def fold_batchnorm(self, node, g, w, s, t, has_bias):
        w2 = w * s.reshape((-1,) + (1,) * (w.ndim - 1))
        b = g.const(node.inputs[2]).astype(np.float32) if has_bias else np.zeros(w.shape[0], np.float32)
        return w2, b * s + t

    def prepare(self, node, g):
        for name in node.inputs[1:3]:      # constant, or read from the arena at run time
            if name and g.t(name).dtype != "float32":
                raise GenError(f"'{name}' is {g.t(name).dtype}: a float convolution takes float32 weights and "
                               "bias", node.name, node.op)
        return ConvParams(**conv_geometry(node, g))

    def check(self, node, g):
        self.params(node, g)

    def macs(self, node, g):
        p = self.params(node, g)
        return p.n * p.m * p.oh * p.ow * (p.c // p.group) * p.kh * p.kw

    def fast(self, node, g) -> str | None:
        """gen's specialized kernel for this layer (gen/ops/fast_f32.py: 'conv', 'dw'), or None for gen_f32_conv."""
        return fast_f32.kind(node, g, self.params(node, g))

    def runtime_files(self, node, g):
        return self.runtime + (fast_f32.RUNTIME if self.fast(node, g) else ())

    def scratch(self, node, g):
        return fast_f32.scratch(node, g, self.params(node, g))

    def kernel(self, node, g):
        return {"conv": "gen_fast_conv_f32", "dw": "gen_fast_dw_f32"}.get(self.fast(node, g), "gen_f32_conv")

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        if self.fast(node, g):
            return fast_f32.emit(ctx, node, g, p)
        # weights and bias in ONNX's layout: const arrays, or the arena when they arrive at run time
        w = ctx.array(g.const(node.inputs[1]).astype(np.float32), "w") if g.t(node.inputs[1]).is_const \
            else ctx.ptr(node.inputs[1])
        b = "NULL"
        if len(node.inputs) > 2 and node.inputs[2]:
            b = ctx.array(g.const(node.inputs[2]).astype(np.float32), "b") if g.t(node.inputs[2]).is_const \
                else ctx.ptr(node.inputs[2])
        fields = ", ".join(str(v) for v in (p.n, p.c, p.h, p.w, p.m, p.oh, p.ow, p.kh, p.kw, p.sh, p.sw,
                                            p.dh, p.dw, p.pt, p.pl, p.group))
        prm = ctx.params("gen_f32_conv_params", f"{fields}, {ctx.act(node)}")
        return f"gen_f32_conv({ctx.ptr(node.inputs[0])}, {w}, {b}, {ctx.ptr(node.outputs[0])}, {prm});"
