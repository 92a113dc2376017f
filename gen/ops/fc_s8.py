"""int8 Gemm / MatMul with constant weights on CMSIS-NN: arm_fully_connected_s8 (per-tensor weights)
and arm_fully_connected_per_channel_s8 (per-channel).

Weights are stored [N, K] (one row per output channel). The kernel sums that CMSIS-NN's Helium
build reads from ctx->buf (bias + input_offset * row sum, as arm_vector_sum_s8 computes them) are
precomputed here as const data, so the same generated code runs on every core.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import int8ref, quant
from ..errors import GenError
from . import OpFamily, c_fields, cmsis_scratch, fast_fc, fast_s8, register
from .s8common import act_range, bias_int32, check_accumulator, dims, per_channel_quant, requant

RUNTIME = ("gen_nn.h", "gen_s8.c", "arm_fully_connected_s8.c")


@dataclass(frozen=True)
class FullyConnectedS8Params:
    n: int                          # output channels
    k: int                          # input depth
    batches: int
    filter: np.ndarray              # int8 [n, k], one row per output channel
    bias: np.ndarray                # int32 [n], in the accumulator's scale
    per_channel: bool
    in_offset: int                  # minus the input zero point
    out_offset: int                 # the output zero point
    act: tuple[int, int]            # (act_min, act_max)
    mult: int | np.ndarray          # int (per tensor) or int32 [n] (per channel)
    shift: int | np.ndarray
    kernel_sums: np.ndarray         # int32 [n]: bias + in_offset * row sum (CMSIS-NN's Helium ctx->buf)


def fc_params(node, g) -> FullyConnectedS8Params:
    x, w, y = g.t(node.inputs[0]), g.t(node.inputs[1]), g.t(node.outputs[0])
    wdata = w.data.astype(np.int8)
    onnx_op = node.info.get("onnx_op", "Gemm")
    if onnx_op == "Gemm" and int(node.attrs.get("transB", 0)):
        mat, n_axis = wdata, 0          # [N, K]
    else:
        mat, n_axis = wdata.T, 1        # [K, N] -> [N, K]
    n, k = mat.shape
    if x.shape[-1] != k:
        raise GenError(f"input depth {x.shape[-1]} does not match weights {list(w.shape)}", node.name, node.op)
    batches = x.size // k
    wq = w.quant
    if wq.per_channel and wq.axis is not None and wq.axis % 2 != n_axis:
        raise GenError("per-channel weight scales must be along the output channels", node.name, node.op)
    w_scale = np.broadcast_to(wq.scale.reshape(-1), (n,)).astype(np.float32) if wq.per_channel else \
        np.full(n, wq.s(), np.float32)
    bias = bias_int32(node, g, x.quant.s() * w_scale.astype(np.float64), n)
    in_offset = -x.quant.zp()
    what = "requantization scale (input x weight / output)"
    if wq.per_channel:
        mult, shift = requant(quant.conv_scale(x.quant.s(), w_scale, y.quant.s()), what, node)
    else:
        mult, shift = requant(quant.conv_scale(x.quant.s(), float(w_scale[0]), y.quant.s()), what, node)
    # worst case |bias| + sum |w| * max |x - zp| per output channel (covers the kernel sums too)
    span = 128 + abs(x.quant.zp())
    check_accumulator(np.abs(bias.astype(np.int64)) + np.abs(mat.astype(np.int64)).sum(axis=1) * span, shift,
                      "bias + weights x inputs, shifted by the requantization", node)
    kernel_sums = (bias.astype(np.int64) + in_offset * mat.astype(np.int64).sum(axis=1)).astype(np.int32)
    p = FullyConnectedS8Params(n=n, k=k, batches=batches, filter=np.ascontiguousarray(mat), bias=bias,
                               per_channel=wq.per_channel, in_offset=in_offset, out_offset=y.quant.zp(),
                               act=act_range(node, y), mult=mult, shift=shift, kernel_sums=kernel_sums)
    return c_fields(p, node, "fully connected parameter")


@register
class FullyConnectedS8(OpFamily):
    ops = ("FullyConnectedS8",)
    runtime = RUNTIME

    def prepare(self, node, g):
        return fc_params(node, g)

    def check(self, node, g):
        p = self.params(node, g)
        if not -127 <= p.in_offset <= 128:
            raise GenError("input zero point outside CMSIS-NN's range [-128, 127]", node.name, node.op)

    def macs(self, node, g):
        p = self.params(node, g)
        return p.batches * p.n * p.k

    def fast(self, node, g) -> bool:
        """gen's pointwise kernel (gen/ops/fast_s8.py): a fully connected layer is a 1x1 convolution over
        its batch rows."""
        return fast_s8.enabled(g)

    def fast_fc(self, node, g) -> bool:
        """gen's batch-of-one kernel with int16 weights (gen/ops/fast_fc.py, --fc-weights int16)."""
        return fast_fc.covers(self.params(node, g), g)

    def runtime_files(self, node, g):
        if self.fast_fc(node, g):
            return self.runtime + fast_fc.RUNTIME
        return self.runtime + (fast_s8.RUNTIME if self.fast(node, g) else ())

    def kernel(self, node, g):
        if self.fast_fc(node, g):
            return "gen_fast_fc_s8"
        if self.fast(node, g):
            return "gen_fast_pw_s8"
        return "arm_fully_connected_per_channel_s8" if self.params(node, g).per_channel else "arm_fully_connected_s8"

    def scratch(self, node, g):
        if self.fast_fc(node, g):
            return fast_fc.scratch(self.params(node, g))   # the widened input row
        if self.fast(node, g):
            return 0    # gen_fast_pw_s8 widens its rows into output rows it has not written yet
        # the kernel sums CMSIS-NN's Helium build reads from ctx->buf are const data (see emit)
        return cmsis_scratch.fully_connected_s8_buffer_size()

    def reference(self, node, g, x):
        p = self.params(node, g)
        return int8ref.fully_connected_s8(x.reshape(p.batches, p.k), p.filter, p.bias,
                                          input_offset=p.in_offset, filter_offset=0, output_offset=p.out_offset,
                                          multiplier=p.mult, shift=p.shift, act_min=p.act[0], act_max=p.act[1])

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        mult = np.broadcast_to(np.asarray(p.mult), (p.n,))
        shift = np.broadcast_to(np.asarray(p.shift), (p.n,))
        if self.fast_fc(node, g):
            return fast_fc.fully_connected(ctx, node, p, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]), mult,
                                           shift)
        if self.fast(node, g):
            return fast_s8.pointwise(ctx, node, ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]), p.filter, p.bias,
                                     p.in_offset, mult, shift, p.out_offset, p.act, p.batches)
        w = ctx.array(p.filter, "w")
        b = ctx.array(p.bias, "b")
        sums = ctx.array(p.kernel_sums, "ksum")
        lo, hi = p.act
        c = ctx.params("cmsis_nn_context", f"(void *){sums}, {4 * p.n}", "ctx")
        fcp = ctx.params("cmsis_nn_fc_params", f"{p.in_offset}, 0, {p.out_offset}, {{{lo}, {hi}}}", "fcp")
        if p.per_channel:
            q, fn = per_channel_quant(ctx, p.mult, p.shift, node), "arm_fully_connected_per_channel_s8"
        else:
            q = ctx.params("cmsis_nn_per_tensor_quant_params", f"{p.mult}, {p.shift}", "q")
            fn = "arm_fully_connected_s8"
        return (f"GEN_CHECK({fn}({c}, {fcp}, {q}, {dims(ctx, (p.batches, 1, 1, p.k), node)}, "
                f"{ctx.ptr(node.inputs[0])}, {dims(ctx, (p.k, 1, 1, p.n))}, {w}, {dims(ctx, (1, 1, 1, p.n))}, "
                f"{b}, {dims(ctx, (p.batches, 1, 1, p.n))}, {ctx.ptr(node.outputs[0])}));")
