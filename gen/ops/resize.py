"""Resize (ONNX opset 11-21, as onnxruntime computes it): 4-D NCHW spatial resize, scales or sizes
constant.

mode nearest (nearest_mode round_prefer_floor, round_prefer_ceil, floor, ceil) and mode linear
(bilinear), with coordinate_transformation_mode half_pixel, pytorch_half_pixel, align_corners,
asymmetric. The source coordinates are computed here in float32 as onnxruntime does
(upsamplebase.h), once per output row and column, and written as tables: the C kernels only gather
(nearest) or blend four taps (linear), so nearest selects exactly onnxruntime's elements.

int8: nearest selects input elements, so its int8 form ResizeS8 keeps the input's scale and zero
point (a requantize follows where the model changes them) and follows its input's layout (NCHW or
NHWC). Bilinear int8 is ResizeLinearS8, in integers: the float weights become Q11 integers summing to
2048 per axis, so the four taps of an output weigh exactly 2^22 and the accumulator is requantized to
the output's scale and zero point in one step (CMSIS-NN's double rounding). The weights' rounding moves
a result by at most 0.125 * in_scale / out_scale LSB of the output, so within 1 LSB of onnxruntime's
float blend while in_scale / out_scale <= 4; beyond that the node computes in float between
dequantize and quantize (qpasses.float_fallback). Kernels: runtime_c/gen_resize.c.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from .. import quant
from ..int8ref import requantize
from . import OpFamily, c_fields, register
from .s8common import act_range, check_accumulator, requant

RUNTIME = ("gen_resize.h",)
ONE = 2048                     # GEN_RESIZE_ONE: 1.0 of a bilinear tap weight (Q11)
MAX_RESCALE = 4.0              # in_scale / out_scale up to which the integer blend is within 1 LSB
COORD_MODES = ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric")
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")


def _attr(node, key, default):
    v = node.attrs.get(key, default)
    return v.decode() if isinstance(v, bytes) else v


def _const_input(node, g, k):
    """Input k's constant value (None when absent)."""
    if len(node.inputs) <= k or not node.inputs[k]:
        return None
    t = g.t(node.inputs[k])
    if not t.is_const:
        raise GenError(f"input {k} ('{node.inputs[k]}') must be a constant (gen resizes by constant scales or sizes)",
                       node.name, node.op)
    return np.asarray(t.data)


def _coord(mode: str, out_len: int, in_len: int, scale: np.float32) -> np.ndarray:
    """onnxruntime's original coordinate of every output index, in float32."""
    xr = np.arange(out_len, dtype=np.float32)
    half = np.float32(0.5)
    if mode == "half_pixel":
        return (xr + half) / scale - half
    if mode == "pytorch_half_pixel":
        return (xr + half) / scale - half if out_len > 1 else np.zeros(out_len, np.float32)
    if mode == "align_corners":
        if out_len == 1:
            return np.zeros(1, np.float32)
        return xr * np.float32(in_len - 1) / np.float32(out_len - 1)
    return xr / scale                                        # asymmetric


def _nearest(mode: str, x: np.ndarray, in_len: int) -> np.ndarray:
    if mode == "round_prefer_floor":
        i = np.where(x == np.floor(x) + np.float32(0.5), np.floor(x), np.sign(x) * np.floor(np.abs(x) + 0.5))
    elif mode == "round_prefer_ceil":
        i = np.sign(x) * np.floor(np.abs(x) + 0.5)           # std::round: halves away from zero
    elif mode == "floor":
        i = np.floor(x)
    else:
        i = np.ceil(x)
    return np.clip(i, 0, in_len - 1).astype(np.int32)


def _linear(x: np.ndarray, in_len: int):
    """onnxruntime's bilinear taps: (i0, i1, weight of i0, weight of i1)."""
    x = np.clip(x, np.float32(0), np.float32(in_len - 1)).astype(np.float32)
    i0 = np.minimum(x.astype(np.int32), in_len - 1)
    i1 = np.minimum(i0 + 1, in_len - 1)
    d0 = np.abs(x - i0.astype(np.float32)).astype(np.float32)
    d1 = np.abs(x - i1.astype(np.float32)).astype(np.float32)
    same = i0 == i1
    d0[same] = 0.5
    d1[same] = 0.5
    return i0.astype(np.int32), i1.astype(np.int32), d1, d0     # i0 weighs d1, i1 weighs d0


@dataclass(frozen=True)
class ResizeParams:
    """A Resize node's geometry and its source tables (rows: h-indexed, columns: w-indexed)."""
    n: int
    c: int
    h: int
    w: int
    oh: int
    ow: int
    linear: bool
    rows0: np.ndarray            # int32 [oh]: nearest row, or the first bilinear row
    cols0: np.ndarray            # int32 [ow]
    rows1: np.ndarray            # int32 [oh]: the second bilinear row (linear only, else empty)
    cols1: np.ndarray
    wrows: np.ndarray            # float32 [2 * oh]: weights of rows0, rows1 (linear only)
    wcols: np.ndarray            # float32 [2 * ow]


def resize_params(node, g) -> ResizeParams:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    mode = _attr(node, "mode", "nearest")
    coord = _attr(node, "coordinate_transformation_mode", "half_pixel")
    nmode = _attr(node, "nearest_mode", "round_prefer_floor")
    if mode not in ("nearest", "linear"):
        raise GenError(f"mode '{mode}' is not supported (nearest and linear are)", node.name, node.op)
    if coord not in COORD_MODES:
        raise GenError(f"coordinate_transformation_mode '{coord}' is not supported ({', '.join(COORD_MODES)} are)",
                       node.name, node.op)
    if mode == "nearest" and nmode not in NEAREST_MODES:
        raise GenError(f"nearest_mode '{nmode}' is not supported", node.name, node.op)
    if int(node.attrs.get("antialias", 0)):
        raise GenError("antialias is not supported", node.name, node.op)
    if "axes" in node.attrs:
        raise GenError("the axes attribute is not supported (scales or sizes for all 4 dims are)", node.name, node.op)
    if _attr(node, "keep_aspect_ratio_policy", "stretch") != "stretch":
        raise GenError("keep_aspect_ratio_policy other than stretch is not supported", node.name, node.op)
    if len(x.shape) != 4 or len(y.shape) != 4:
        raise GenError(f"a {len(x.shape)}-D Resize is not supported (4-D NCHW is)", node.name, node.op)
    scales, sizes = _const_input(node, g, 2), _const_input(node, g, 3)
    if len(node.inputs) < 3 or (scales is not None and scales.size == 0 and sizes is None):
        scales = None
    if scales is not None and scales.size == 0:
        scales = None
    if (scales is None) == (sizes is None):
        raise GenError("Resize needs exactly one of constant scales and sizes (opset 11 or later)", node.name, node.op)
    if scales is not None:
        sc = [np.float32(s) for s in scales.reshape(-1)]
        if len(sc) != 4 or any(not math.isfinite(float(s)) or s <= 0 for s in sc):
            raise GenError(f"scales {[float(s) for s in sc]} must be 4 positive numbers", node.name, node.op)
        want = [int(math.floor(float(d) * float(s))) for d, s in zip(x.shape, sc)]
        for d, s in zip(x.shape[2:], sc[2:]):
            length = float(d) * float(s)
            if coord in ("align_corners", "pytorch_half_pixel") and length != math.floor(length):
                raise GenError(f"{coord} with scales giving a fractional output length ({d} * {float(s)} = "
                               f"{length}): onnxruntime and the ONNX reference disagree there (give sizes)",
                               node.name, node.op)
    else:
        want = [int(v) for v in sizes.reshape(-1)]
        if len(want) != 4:
            raise GenError(f"sizes {want} must have 4 values", node.name, node.op)
        sc = [np.float32(np.float32(o) / np.float32(i)) for o, i in zip(want, x.shape)]
    if want[:2] != list(x.shape[:2]) or list(y.shape) != want or min(want) < 1:
        raise GenError(f"Resize from {list(x.shape)} to {want} (output {list(y.shape)}): only H and W may change, "
                       "to at least 1", node.name, node.op)
    n, c, h, w = (int(d) for d in x.shape)
    oh, ow = want[2], want[3]
    ry, rx = _coord(coord, oh, h, sc[2]), _coord(coord, ow, w, sc[3])
    empty_i, empty_f = np.zeros(0, np.int32), np.zeros(0, np.float32)
    if mode == "nearest":
        p = ResizeParams(n, c, h, w, oh, ow, False, _nearest(nmode, ry, h), _nearest(nmode, rx, w),
                         empty_i, empty_i, empty_f, empty_f)
    else:
        y0, y1, wy0, wy1 = _linear(ry, h)
        x0, x1, wx0, wx1 = _linear(rx, w)
        p = ResizeParams(n, c, h, w, oh, ow, True, y0, x0, y1, x1, np.concatenate([wy0, wy1]),
                         np.concatenate([wx0, wx1]))
    return c_fields(p, node, "Resize parameter")


def _gather(p: ResizeParams, x: np.ndarray, channels_last: bool) -> np.ndarray:
    if channels_last:
        return x.reshape(p.n, p.h, p.w, p.c)[:, p.rows0][:, :, p.cols0]
    return x.reshape(p.n, p.c, p.h, p.w)[:, :, p.rows0][:, :, :, p.cols0]


def _struct(ctx, p: ResizeParams, channels_last: bool) -> str:
    return ctx.params("gen_resize_params", f"{p.n}, {p.c}, {p.h}, {p.w}, {p.oh}, {p.ow}, {int(channels_last)}",
                      "resize")


@register
class Resize(OpFamily):
    ops = ("Resize",)
    runtime = RUNTIME
    int8_kernels = {"Resize": "ResizeS8"}

    def int8_form(self, node, g):
        try:
            p = resize_params(node, g)
        except GenError:
            return None                      # refused by check, in float
        if not p.linear:
            return "ResizeS8"
        q = g.consumers(node.outputs[0])
        x = g.t(node.inputs[0])
        y = g.t(q[0].outputs[0]) if len(q) == 1 and q[0].outputs else None
        if y is None or y.quant is None or x.quant is None or y.quant.axis is not None or x.quant.axis is not None:
            return None
        if quant.requantize_scale(x.quant.s(), y.quant.s()) > MAX_RESCALE:
            return None                      # the integer blend could be 2 LSB off: float fallback
        return "ResizeLinearS8"

    def selects_values(self, node):
        return _attr(node, "mode", "nearest") == "nearest"

    def prepare(self, node, g):
        return resize_params(node, g)

    def check(self, node, g):
        if g.t(node.inputs[0]).dtype != "float32":
            raise GenError(f"Resize of {g.t(node.inputs[0]).dtype} is not supported (float32, and int8 nearest)",
                           node.name, node.op)
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_f32_resize_linear" if self.params(node, g).linear else "gen_resize_nearest"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        if not p.linear:
            return (f"gen_resize_nearest({x}, {y}, sizeof(float), {ctx.array(p.rows0, 'rows')}, "
                    f"{ctx.array(p.cols0, 'cols')}, {_struct(ctx, p, False)});")
        return (f"gen_f32_resize_linear({x}, {y}, {ctx.array(p.rows0, 'rows')}, {ctx.array(p.rows1, 'rows')}, "
                f"{ctx.array(p.wrows, 'wrows')}, {ctx.array(p.cols0, 'cols')}, {ctx.array(p.cols1, 'cols')}, "
                f"{ctx.array(p.wcols, 'wcols')}, {_struct(ctx, p, False)});")


@dataclass(frozen=True)
class ResizeLinearS8Params:
    """An int8 bilinear Resize: the geometry and taps of ResizeParams, Q11 tap weights, requantization."""
    geometry: ResizeParams
    wrows: np.ndarray            # int16 [oh]: weight of rows0 (rows1 weighs ONE - it)
    wcols: np.ndarray            # int16 [ow]
    in_offset: int
    mult: int
    shift: int
    out_offset: int
    lo: int
    hi: int


def resize_linear_s8(x, p: "ResizeLinearS8Params") -> np.ndarray:
    """The numpy reference of gen_s8_resize_linear on an [N, C, H, W] int8 tensor: four taps, integer
    weights, acc = sum w_row * w_col * (x + in_offset), requantized with CMSIS-NN's double rounding
    (gen.int8ref.requantize) and clamped."""
    r = p.geometry
    xi = np.asarray(x, np.int64) + p.in_offset
    wy0, wx0 = p.wrows.astype(np.int64)[:, None], p.wcols.astype(np.int64)[None, :]
    wy1, wx1 = ONE - wy0, ONE - wx0
    r0, r1 = xi[:, :, r.rows0], xi[:, :, r.rows1]
    acc = (wy0 * wx0 * r0[..., r.cols0] + wy0 * wx1 * r0[..., r.cols1]
           + wy1 * wx0 * r1[..., r.cols0] + wy1 * wx1 * r1[..., r.cols1])
    return np.clip(requantize(acc, p.mult, p.shift) + p.out_offset, p.lo, p.hi).astype(np.int8)


def q11(w: np.ndarray) -> np.ndarray:
    """A float32 tap weight in [0, 1] as an integer of ONE."""
    return np.clip(np.floor(w.astype(np.float64) * ONE + 0.5), 0, ONE).astype(np.int16)


def resize_linear_s8_params(node, g) -> ResizeLinearS8Params:
    p = resize_params(node, g)
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    m, s = requant(quant.requantize_scale(x.quant.s(), y.quant.s()) / float(ONE * ONE),
                   "requantization scale (input / output / 2^22)", node)
    check_accumulator(255 * ONE * ONE, s, "the four weighted taps", node)
    lo, hi = act_range(node, y)
    return c_fields(ResizeLinearS8Params(geometry=p, wrows=q11(p.wrows[:p.oh]), wcols=q11(p.wcols[:p.ow]),
                                         in_offset=-x.quant.zp(), mult=int(m), shift=int(s),
                                         out_offset=y.quant.zp(), lo=lo, hi=hi), node, "Resize parameter")


@register
class ResizeS8(OpFamily):
    """int8 Resize: nearest is a gather of input elements, in the input's layout and quantization;
    bilinear (ResizeLinearS8) blends four taps in integers and requantizes to the output's."""
    ops = ("ResizeS8", "ResizeLinearS8")
    runtime = RUNTIME
    layout = "any"
    keeps_quant = ("ResizeS8",)

    def selects_values(self, node):
        return node.op == "ResizeS8"

    def prepare(self, node, g):
        return resize_params(node, g) if node.op == "ResizeS8" else resize_linear_s8_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_resize_nearest" if node.op == "ResizeS8" else "gen_s8_resize_linear"

    def reference(self, node, g, x):
        cl = g.t(node.inputs[0]).layout == "NHWC"
        if node.op == "ResizeS8":
            return _gather(self.params(node, g), np.asarray(x), cl)
        p = self.params(node, g)
        r = p.geometry
        xin = np.asarray(x).reshape((r.n, r.h, r.w, r.c) if cl else (r.n, r.c, r.h, r.w))
        y = resize_linear_s8(xin.transpose(0, 3, 1, 2) if cl else xin, p)
        return y.transpose(0, 2, 3, 1) if cl else y

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        cl = g.t(node.inputs[0]).layout == "NHWC"
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        if node.op == "ResizeS8":
            return (f"gen_resize_nearest({x}, {y}, 1, {ctx.array(p.rows0, 'rows')}, {ctx.array(p.cols0, 'cols')}, "
                    f"{_struct(ctx, p, cl)});")
        r = p.geometry
        qp = ctx.params("gen_s8_resize_quant", f"{p.in_offset}, {p.mult}, {p.shift}, {p.out_offset}, {p.lo}, {p.hi}",
                        "resize_quant")
        return (f"gen_s8_resize_linear({x}, {y}, {ctx.array(r.rows0, 'rows')}, {ctx.array(r.rows1, 'rows')}, "
                f"{ctx.array(p.wrows, 'wrows')}, {ctx.array(r.cols0, 'cols')}, {ctx.array(r.cols1, 'cols')}, "
                f"{ctx.array(p.wcols, 'wcols')}, {_struct(ctx, r, cl)}, {qp});")
