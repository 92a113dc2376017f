"""int8 Conv (NHWC) on CMSIS-NN: arm_convolve_wrapper_s8 (groups included) and arm_depthwise_conv_wrapper_s8.

Weights are transposed at generation time: OIHW -> OHWI for convolution, [M,1,kh,kw] -> [1,kh,kw,M]
for depthwise. Per-channel multipliers and shifts are QuantizeMultiplier(s_in * s_w[m] / s_out).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import int8ref, quant
from ..errors import GenError
from . import OpFamily, c_fields, cmsis_scratch, fast_conv, fast_dw, fast_s8, register
from .conv import ConvGeometry, conv_geometry
from .s8common import act_range, bias_int32, check_accumulator, cmsis_ctx, dims, per_channel_quant, requant

RUNTIME = ("gen_nn.h", "gen_s8.c", "arm_convolve_s8.c", "arm_depthwise_conv_s8.c")


@dataclass(frozen=True)
class ConvS8Params(ConvGeometry):
    """A ConvS8 node's parameters: the geometry (2-D, NCHW), then the quantization and the weights."""
    in_offset: int                  # minus the input zero point
    out_offset: int                 # the output zero point
    mult: np.ndarray                # int32 [m], per output channel
    shift: np.ndarray               # int32 [m]
    act: tuple[int, int]            # (act_min, act_max)
    kind: str                       # "depthwise" or "conv"
    ch_mult: int | None             # depthwise only: output channels per input channel
    filter: np.ndarray              # int8, depthwise [kh, kw, m], conv [m, kh, kw, c // group] (OHWI)
    bias: np.ndarray                # int32 [m], in the accumulator's scale

    @property
    def depthwise(self) -> bool:
        return self.kind == "depthwise"

    @property
    def pointwise(self) -> bool:
        """A 1x1 convolution over every pixel (stride 1, no padding, one group): a matrix product."""
        return (self.kind == "conv" and self.group == 1 and (self.kh, self.kw, self.sh, self.sw) == (1, 1, 1, 1)
                and (self.pt, self.pl, self.pb, self.pr) == (0, 0, 0, 0))

    def cmsis_dims(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """(input, filter, output) cmsis_nn_dims as NHWC tuples."""
        ind = (self.n, self.h, self.w, self.c)
        outd = (self.n, self.oh, self.ow, self.m)
        fd = (1, self.kh, self.kw, self.m) if self.depthwise else (self.m, self.kh, self.kw, self.c // self.group)
        return ind, fd, outd


def is_depthwise(group: int, c: int) -> bool:
    return group == c and group > 1


def conv_s8_params(node, g) -> ConvS8Params:
    geo = conv_geometry(node, g)
    m, c, kh, kw, group = geo["m"], geo["c"], geo["kh"], geo["kw"], geo["group"]
    x, w, y = g.t(node.inputs[0]), g.t(node.inputs[1]), g.t(node.outputs[0])
    wq = w.quant
    if wq.axis not in (None, 0):
        raise GenError("per-channel weight scales must be on axis 0 (output channels)", node.name, node.op)
    w_scale = np.broadcast_to(wq.scale.reshape(-1), (m,)) if wq.per_channel else np.full(m, wq.s(), np.float32)
    mult, shift = requant(quant.conv_scale(x.quant.s(), w_scale, y.quant.s()),
                          "requantization scale (input x weight / output)", node)
    wdata = w.data.astype(np.int8)
    if is_depthwise(group, c):
        kind, ch_mult = "depthwise", m // c
        filt = np.ascontiguousarray(wdata.reshape(m, kh, kw).transpose(1, 2, 0))
    else:
        kind, ch_mult = "conv", None
        filt = np.ascontiguousarray(wdata.reshape(m, c // group, kh, kw).transpose(0, 2, 3, 1))
    bias = bias_int32(node, g, x.quant.s() * w_scale, m)
    # worst case |bias| + sum |w| * max |x - zp| (either summation order CMSIS-NN uses), per output channel
    wabs = np.abs(filt.astype(np.int64))
    wsum = wabs.sum(axis=(0, 1)) if kind == "depthwise" else wabs.reshape(m, -1).sum(axis=1)
    span = 128 + abs(x.quant.zp())
    check_accumulator(np.abs(bias.astype(np.int64)) + wsum * span, shift,
                      "bias + weights x inputs, shifted by the requantization", node)
    p = ConvS8Params(**geo, in_offset=-x.quant.zp(), out_offset=y.quant.zp(), mult=mult, shift=shift,
                     act=act_range(node, y), kind=kind, ch_mult=ch_mult, filter=filt, bias=bias)
    return c_fields(p, node, "convolution parameter")


@register
class ConvS8(OpFamily):
    ops = ("ConvS8",)
    layout = "channels_last"
    runtime = RUNTIME

    def prepare(self, node, g):
        return conv_s8_params(node, g)

    def check(self, node, g):
        p = self.params(node, g)
        if p.depthwise and p.n != 1:
            raise GenError("int8 depthwise convolution needs batch 1", node.name, node.op)
        if p.depthwise and p.ch_mult == 1 and (p.kh, p.kw) == (3, 3) and p.dh == p.dw == 1 and p.pt <= 1 and \
                p.pl <= 1 and (p.ow - 1) * p.sw + 3 - p.w - p.pl > 1:
            g.notes.append(f"depthwise '{node.name}': CMSIS-NN v7.0.0's 3x3 kernel reads the wrong column when the "
                           "right padding exceeds 1; gen's portable kernel is right, but do not link the real "
                           "CMSIS-NN (GEN_USE_CMSIS_NN) for this model")

    def fast(self, node, g) -> str | None:
        """gen's specialized kernel for this layer (gen/ops/fast_s8.py), or None for the CMSIS-NN call."""
        if not fast_s8.enabled(g):
            return None
        p = self.params(node, g)
        return "pw" if p.pointwise else "dw" if fast_dw.covers(p) else "conv" if fast_conv.applies(p) else None

    def runtime_files(self, node, g):
        fast = self.fast(node, g)
        extra = {"conv": fast_conv.RUNTIME, "dw": fast_dw.RUNTIME, "pw": fast_s8.RUNTIME}.get(fast, ())
        return self.runtime + extra

    def macs(self, node, g):
        p = self.params(node, g)
        return p.n * p.m * p.oh * p.ow * (p.c // p.group) * p.kh * p.kw

    def kernel(self, node, g):
        if self.fast(node, g) == "pw":
            return "gen_fast_pw_s8"
        if self.fast(node, g) == "conv":
            return "gen_fast_conv_s8"
        if self.fast(node, g) == "dw":
            return "gen_fast_dw3x3_s8"
        return "arm_depthwise_conv_wrapper_s8" if self.params(node, g).depthwise else "arm_convolve_wrapper_s8"

    def overlap(self, node, g):
        fast = self.fast(node, g)
        p = self.params(node, g)
        if fast == "pw":    # the input at the end of the output range (rows in order), or at its start
            n_pix = p.n * p.oh * p.ow
            rules = (fast_s8.pointwise_overlap(n_pix, p.c, p.m, "gen_fast_pw_s8: rows in order, three widened "
                                               "into scratch (DSP), two or one read as they are"),
                     fast_s8.pointwise_overlap_reverse(n_pix, p.c, p.m, "gen_fast_pw_s8_reverse: groups of three "
                                                       "rows, last first"))
            return rules if p.m <= p.c else rules[::-1]
        if fast == "dw":
            return fast_dw.overlap(p)
        return (fast_conv.overlap(p),) if fast == "conv" else ()

    def row_window(self, node, g):
        from ..bands import RowWindow
        p = self.params(node, g)
        return RowWindow(p.kh, p.sh, p.dh, p.pt, p.pb, (p.pl, p.pr)) if p.n == 1 else None

    def scratch(self, node, g):
        if self.fast(node, g) == "pw":
            return 0    # gen_fast_pw_s8 widens its rows into output rows it has not written yet
        p = self.params(node, g)
        if self.fast(node, g) == "conv":
            return fast_conv.scratch(p)
        if self.fast(node, g) == "dw":
            return fast_dw.scratch(p)   # the ring of three widened input rows
        ind, fd, outd = p.cmsis_dims()
        pad, dil, stride = (p.pt, p.pl), (p.dh, p.dw), (p.sh, p.sw)
        if p.depthwise:
            size = cmsis_scratch.depthwise_conv_wrapper_s8_buffer_size(ind, fd, padding=pad, dilation=dil)
            mve = cmsis_scratch.depthwise_conv_wrapper_s8_buffer_size_mve(ind, fd, outd, stride=stride, padding=pad,
                                                                          dilation=dil)
        else:
            size = cmsis_scratch.conv_wrapper_s8_buffer_size(ind, fd, stride=stride, padding=pad, dilation=dil,
                                                             safe=True)
            mve = cmsis_scratch.conv_wrapper_s8_buffer_size_mve(ind, fd, outd, stride=stride, padding=pad,
                                                                dilation=dil)
        return max(size, mve) if g.options.get("scratch") == "helium" else size

    def reference(self, node, g, x):
        p = self.params(node, g)
        ind, fd, _ = p.cmsis_dims()
        kw = dict(input_offset=p.in_offset, output_offset=p.out_offset, multiplier=p.mult, shift=p.shift,
                  stride=(p.sh, p.sw), padding=(p.pt, p.pl), dilation=(p.dh, p.dw), act_min=p.act[0],
                  act_max=p.act[1], output_hw=(p.oh, p.ow))
        x = x.reshape(ind)
        if p.depthwise:
            return int8ref.depthwise_conv_s8(x, p.filter.reshape(fd), p.bias, ch_mult=p.ch_mult, **kw)
        return int8ref.conv_s8(x, p.filter, p.bias, **kw)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        if self.fast(node, g) == "pw":
            return fast_s8.pointwise(ctx, node, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]),
                                     p.filter.reshape(p.m, p.c), p.bias, p.in_offset, p.mult, p.shift, p.out_offset,
                                     p.act, p.n * p.oh * p.ow)
        if self.fast(node, g) == "conv":
            return fast_conv.conv(ctx, node, p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))
        if self.fast(node, g) == "dw":
            return fast_dw.depthwise(ctx, node, p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]))
        ind, fd, outd = p.cmsis_dims()
        w = ctx.array(p.filter, "w")
        b = ctx.array(p.bias, "b")
        q = per_channel_quant(ctx, p.mult, p.shift, node)
        tile = lambda h, w_: f"{{{w_}, {h}}}"  # noqa: E731  cmsis_nn_tile is {w, h}
        lo, hi = p.act
        if p.depthwise:
            prm = ctx.params("cmsis_nn_dw_conv_params",
                             f"{p.in_offset}, {p.out_offset}, {p.ch_mult}, {tile(p.sh, p.sw)}, "
                             f"{tile(p.pt, p.pl)}, {tile(p.dh, p.dw)}, {{{lo}, {hi}}}", "dwp")
            fn = "arm_depthwise_conv_wrapper_s8"
        else:
            prm = ctx.params("cmsis_nn_conv_params",
                             f"{p.in_offset}, {p.out_offset}, {tile(p.sh, p.sw)}, {tile(p.pt, p.pl)}, "
                             f"{tile(p.dh, p.dw)}, {{{lo}, {hi}}}", "convp")
            fn = "arm_convolve_wrapper_s8"
        return (f"GEN_CHECK({fn}({cmsis_ctx(ctx, node)}, {prm}, {q}, {dims(ctx, ind, node)}, "
                f"{ctx.ptr(node.inputs[0])}, "
                f"{dims(ctx, fd)}, {w}, {dims(ctx, (1, 1, 1, p.m))}, {b}, {dims(ctx, outd)}, "
                f"{ctx.ptr(node.outputs[0])}));")
