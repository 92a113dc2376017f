"""Resize (ONNX opset 11-21, as onnxruntime computes it): 4-D NCHW spatial resize, scales or sizes
constant.

mode nearest (nearest_mode round_prefer_floor, round_prefer_ceil, floor, ceil) and mode linear
(bilinear), with coordinate_transformation_mode half_pixel, pytorch_half_pixel, align_corners,
asymmetric. The source coordinates are computed here in float32 as onnxruntime does
(upsamplebase.h), once per output row and column, and written as tables: the C kernels only gather
(nearest) or blend four taps (linear), so nearest selects exactly onnxruntime's elements.

int8: nearest selects input elements, so its int8 form ResizeS8 keeps the input's scale and zero
point (a requantize follows where the model changes them) and follows its input's layout (NCHW or
NHWC). Bilinear int8 has no integer kernel here: it computes in float between dequantize and
quantize (qpasses.float_fallback).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_fields, register

RUNTIME = ("gen_f32.h", "gen_f32.c")
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
        return None if p.linear else "ResizeS8"   # bilinear int8: float fallback

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
        return (f"gen_f32_resize_linear({x}, {y}, {ctx.array(p.rows0, 'rows0')}, {ctx.array(p.rows1, 'rows1')}, "
                f"{ctx.array(p.wrows, 'wrows')}, {ctx.array(p.cols0, 'cols0')}, {ctx.array(p.cols1, 'cols1')}, "
                f"{ctx.array(p.wcols, 'wcols')}, {_struct(ctx, p, False)});")


@register
class ResizeS8(OpFamily):
    """int8 nearest Resize: a gather of input elements, in the input's layout and quantization."""
    ops = ("ResizeS8",)
    runtime = RUNTIME
    layout = "any"
    keeps_quant = True

    def selects_values(self, node):
        return True

    def prepare(self, node, g):
        return resize_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_resize_nearest"

    def reference(self, node, g, x):
        return _gather(self.params(node, g), np.asarray(x), g.t(node.inputs[0]).layout == "NHWC")

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        cl = g.t(node.inputs[0]).layout == "NHWC"
        return (f"gen_resize_nearest({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, 1, "
                f"{ctx.array(p.rows0, 'rows')}, {ctx.array(p.cols0, 'cols')}, {_struct(ctx, p, cl)});")
