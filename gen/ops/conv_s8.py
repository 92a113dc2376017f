"""int8 Conv (NHWC) on CMSIS-NN: arm_convolve_wrapper_s8 (groups included) and arm_depthwise_conv_wrapper_s8.

Weights are transposed at generation time: OIHW -> OHWI for convolution, [M,1,kh,kw] -> [1,kh,kw,M]
for depthwise. Per-channel multipliers and shifts are QuantizeMultiplier(s_in * s_w[m] / s_out).
"""
from __future__ import annotations

import numpy as np

from .. import int8ref, quant
from ..errors import GenError
from . import OpFamily, c_params, register
from .conv import conv_geometry
from .s8common import act_range, bias_int32, check_accumulator, cmsis_ctx, dims, per_channel_quant, requant

RUNTIME = ("gen_nn.h", "gen_cmsis_nn.h", "gen_nn_math.h", "gen_s8.c", "arm_convolve_s8.c", "arm_depthwise_conv_s8.c")


def is_depthwise(p: dict) -> bool:
    return p["group"] == p["c"] and p["group"] > 1


def conv_s8_params(node, g) -> dict:
    p = conv_geometry(node, g)
    x, w, y = g.t(node.inputs[0]), g.t(node.inputs[1]), g.t(node.outputs[0])
    if p["n"] != 1 and is_depthwise(p):
        pass
    wq = w.quant
    if wq.axis not in (None, 0):
        raise GenError("per-channel weight scales must be on axis 0 (output channels)", node.name, node.op)
    w_scale = np.broadcast_to(wq.scale.reshape(-1), (p["m"],)) if wq.per_channel else np.full(p["m"], wq.s(),
                                                                                              np.float32)
    mult, shift = requant(quant.conv_scale(x.quant.s(), w_scale, y.quant.s()),
                          "requantization scale (input x weight / output)", node)
    p.update(in_offset=-x.quant.zp(), out_offset=y.quant.zp(), mult=mult, shift=shift, act=act_range(node, y))
    wdata = w.data.astype(np.int8)
    if is_depthwise(p):
        p["kind"] = "depthwise"
        p["ch_mult"] = p["m"] // p["c"]
        p["filter"] = np.ascontiguousarray(wdata.reshape(p["m"], p["kh"], p["kw"]).transpose(1, 2, 0))
    else:
        p["kind"] = "conv"
        cg = p["c"] // p["group"]
        p["filter"] = np.ascontiguousarray(wdata.reshape(p["m"], cg, p["kh"], p["kw"]).transpose(0, 2, 3, 1))
    p["bias"] = bias_int32(node, g, x.quant.s() * w_scale, p["m"])
    # worst case |bias| + sum |w| * max |x - zp| (either summation order CMSIS-NN uses), per output channel
    wabs = np.abs(p["filter"].astype(np.int64))
    wsum = wabs.sum(axis=(0, 1)) if p["kind"] == "depthwise" else wabs.reshape(p["m"], -1).sum(axis=1)
    span = 128 + abs(x.quant.zp())
    check_accumulator(np.abs(p["bias"].astype(np.int64)) + wsum * span, p["shift"],
                      "bias + weights x inputs, shifted by the requantization", node)
    return c_params(p, node, "convolution parameter")


def _dims(p):
    ind = (p["n"], p["h"], p["w"], p["c"])
    outd = (p["n"], p["oh"], p["ow"], p["m"])
    if p["kind"] == "depthwise":
        fd = (1, p["kh"], p["kw"], p["m"])
    else:
        fd = (p["m"], p["kh"], p["kw"], p["c"] // p["group"])
    return ind, fd, outd


@register
class ConvS8(OpFamily):
    ops = ("ConvS8",)
    layout = "channels_last"
    runtime = RUNTIME

    def check(self, node, g):
        p = conv_s8_params(node, g)
        if p["kind"] == "depthwise" and p["n"] != 1:
            raise GenError("int8 depthwise convolution needs batch 1", node.name, node.op)
        if p["kind"] == "depthwise" and p["ch_mult"] == 1 and (p["kh"], p["kw"]) == (3, 3) and \
                p["dh"] == p["dw"] == 1 and p["pt"] <= 1 and p["pl"] <= 1 and \
                (p["ow"] - 1) * p["sw"] + 3 - p["w"] - p["pl"] > 1:
            g.notes.append(f"depthwise '{node.name}': CMSIS-NN v7.0.0's 3x3 kernel reads the wrong column when the "
                           "right padding exceeds 1; gen's portable kernel is right, but do not link the real "
                           "CMSIS-NN (GEN_USE_CMSIS_NN) for this model")

    def macs(self, node, g):
        p = conv_geometry(node, g)
        return p["n"] * p["m"] * p["oh"] * p["ow"] * (p["c"] // p["group"]) * p["kh"] * p["kw"]

    def kernel(self, node, g):
        kind = conv_s8_params(node, g)["kind"]
        return "arm_depthwise_conv_wrapper_s8" if kind == "depthwise" else "arm_convolve_wrapper_s8"

    def scratch(self, node, g):
        p = conv_s8_params(node, g)
        ind, fd, outd = _dims(p)
        pad, dil, stride = (p["pt"], p["pl"]), (p["dh"], p["dw"]), (p["sh"], p["sw"])
        if p["kind"] == "depthwise":
            size = int8ref.depthwise_conv_wrapper_s8_buffer_size(ind, fd, padding=pad, dilation=dil)
            mve = int8ref.depthwise_conv_wrapper_s8_buffer_size_mve(ind, fd, outd, stride=stride, padding=pad,
                                                                    dilation=dil)
        else:
            size = int8ref.conv_wrapper_s8_buffer_size(ind, fd, stride=stride, padding=pad, dilation=dil, safe=True)
            mve = int8ref.conv_wrapper_s8_buffer_size_mve(ind, fd, outd, stride=stride, padding=pad, dilation=dil)
        return max(size, mve) if g.options.get("scratch") == "helium" else size

    def reference(self, node, g, x):
        p = conv_s8_params(node, g)
        kw = dict(input_offset=p["in_offset"], output_offset=p["out_offset"], multiplier=p["mult"],
                  shift=p["shift"], stride=(p["sh"], p["sw"]), padding=(p["pt"], p["pl"]),
                  dilation=(p["dh"], p["dw"]), act_min=p["act"][0], act_max=p["act"][1], output_hw=(p["oh"], p["ow"]))
        x = x.reshape(_dims(p)[0])
        if p["kind"] == "depthwise":
            return int8ref.depthwise_conv_s8(x, p["filter"].reshape(_dims(p)[1]), p["bias"], ch_mult=p["ch_mult"], **kw)
        return int8ref.conv_s8(x, p["filter"], p["bias"], **kw)

    def emit(self, node, g, ctx):
        p = conv_s8_params(node, g)
        ind, fd, outd = _dims(p)
        w = ctx.array(p["filter"], "w")
        b = ctx.array(p["bias"], "b")
        q = per_channel_quant(ctx, p["mult"], p["shift"], node)
        tile = lambda a, b_: f"{{{p[b_]}, {p[a]}}}"  # noqa: E731  cmsis_nn_tile is {w, h}
        lo, hi = p["act"]
        if p["kind"] == "depthwise":
            prm = ctx.params("cmsis_nn_dw_conv_params",
                             f"{p['in_offset']}, {p['out_offset']}, {p['ch_mult']}, {tile('sh', 'sw')}, "
                             f"{tile('pt', 'pl')}, {tile('dh', 'dw')}, {{{lo}, {hi}}}", "dwp")
            fn = "arm_depthwise_conv_wrapper_s8"
        else:
            prm = ctx.params("cmsis_nn_conv_params",
                             f"{p['in_offset']}, {p['out_offset']}, {tile('sh', 'sw')}, {tile('pt', 'pl')}, "
                             f"{tile('dh', 'dw')}, {{{lo}, {hi}}}", "convp")
            fn = "arm_convolve_wrapper_s8"
        return (f"GEN_CHECK({fn}({cmsis_ctx(ctx, node)}, {prm}, {q}, {dims(ctx, ind, node)}, "
                f"{ctx.ptr(node.inputs[0])}, "
                f"{dims(ctx, fd)}, {w}, {dims(ctx, (1, 1, 1, p['m']))}, {b}, {dims(ctx, outd)}, "
                f"{ctx.ptr(node.outputs[0])}));")
