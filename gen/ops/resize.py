"""Resize (ONNX opset 11-21, as onnxruntime computes it): the last two axes of a 1-D to 6-D tensor
resize (the others stay), by constant scales or sizes, for every axis or the ones the axes attribute
lists (opset 18), with keep_aspect_ratio_policy stretch, not_larger or not_smaller.

mode nearest (nearest_mode round_prefer_floor, round_prefer_ceil, floor, ceil), mode linear
(bilinear) and mode cubic (bicubic: cubic_coeff_a, exclude_outside), with
coordinate_transformation_mode half_pixel, half_pixel_symmetric (not with nearest), pytorch_half_pixel,
align_corners, asymmetric. The source coordinates are computed here in float32 as onnxruntime does
(upsamplebase.h), once per output row and column, and written as tables: the C kernels only gather
(nearest) or blend two or four taps per axis, so nearest selects exactly onnxruntime's elements.
Where onnxruntime and the ONNX reference disagree (fractional lengths with align_corners /
pytorch_half_pixel, a scale that keeps a length, nearest with half_pixel_symmetric) gen refuses
constant scales.

antialias=1 (opset 18, linear and cubic): the ONNX reference's filters, widened by 1 / scale on a
downsampled axis, as generation-time tables of K taps per output row and column (gen_f32_resize_taps).

Run-time parameters (ResizeRuntime): scales that arrive as a graph input (or are computed at run time),
sizes with keep_aspect_ratio_policy not_larger / not_smaller (stretch sizes the static shapes determine,
gen/rtparams.py), and every tf_crop_and_resize (roi constant or at run time, extrapolation_value). The
output shape is static; the C (gen_resize_tables) checks that the values give it (floor(in * scale),
or round(scale * in) for the policies; an axis other than the last two longer than 1 must keep scale 1
and roi 0..1), else the run returns -1 with the outputs untouched; then it computes the same tables as
this module, with the same float32 arithmetic, into arena scratch, and runs the same kernels. Where
onnxruntime and the ONNX reference disagree the run-time tables follow the reference (the spec): the
fractional length in * scale with align_corners, pytorch_half_pixel and tf_crop_and_resize, an axis
whose scale is not 1 that keeps its length resampled.

int8: nearest selects input elements, so its int8 form ResizeS8 keeps the input's scale and zero
point (a requantize follows where the model changes them) and follows its input's layout (NCHW or
NHWC), for constant scales or sizes. Bilinear int8 is ResizeLinearS8, in integers: the float weights
become Q11 integers summing to 2048 per axis, so the four taps of an output weigh exactly 2^22 and
the accumulator is requantized to the output's scale and zero point in one step (CMSIS-NN's double
rounding). The weights' rounding moves
a result by at most 0.125 * in_scale / out_scale LSB of the output, so within 1 LSB of onnxruntime's
float blend while in_scale / out_scale <= 4; beyond that the node computes in float between
dequantize and quantize (qpasses.float_fallback); so do bicubic, antialias and every run-time form (a
note says so). Kernels: runtime_c/gen_resize.c.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ..errors import GenError, counted
from .. import quant
from ..int8ref import requantize
from . import OpFamily, c_fields, register
from .s8common import act_range, check_accumulator, requant

RUNTIME = ("gen_resize.h",)
ONE = 2048                     # GEN_RESIZE_ONE: 1.0 of a bilinear tap weight (Q11)
MAX_RESCALE = 4.0              # in_scale / out_scale up to which the integer blend is within 1 LSB
MODES = ("nearest", "linear", "cubic")
COORD_MODES = ("half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
               "tf_crop_and_resize")       # tf_crop_and_resize: always the run-time tables (ResizeRuntime)
NEAREST_MODES = ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
ASPECT_POLICIES = ("stretch", "not_larger", "not_smaller")


def _attr(node, key, default):
    v = node.attrs.get(key, default)
    return v.decode() if isinstance(v, bytes) else v


def _const_input(node, g, k):
    """Input k's constant value (None when absent)."""
    if len(node.inputs) <= k or not node.inputs[k]:
        return None
    t = g.t(node.inputs[k])
    if not t.is_const:
        raise GenError(f"input {k} ('{node.inputs[k]}') must be a constant (gen resizes by constant scales or sizes): "
                       "make it an initializer", node.name, node.op)
    return np.asarray(t.data)


def _runtime_input(node, g, policy):
    """2 (scales) or 3 (sizes with a keep_aspect_ratio_policy) when that parameter is not a constant
    (a graph input, or computed at run time), else None (constant, absent or empty)."""
    for k in (2, 3):
        if len(node.inputs) > k and node.inputs[k] and not g.t(node.inputs[k]).is_const \
                and g.t(node.inputs[k]).size > 0:
            if k == 3 and policy == "stretch":
                raise GenError(f"input 3 ('{node.inputs[3]}') must be a constant (run-time sizes are read with a "
                               "keep_aspect_ratio_policy only; give the output shape): make it an initializer",
                               node.name, node.op)
            return k
    return None


def _runtime_scales(node, g, x, axes, k):
    """The scales and lengths of a Resize whose scales (or policy sizes) arrive at run time: scale 1
    and the static output's lengths here (the C checks the values give them, and computes the tables)."""
    t, y = g.t(node.inputs[k]), g.t(node.outputs[0])
    want_dtype = "float32" if k == 2 else "int64"
    if t.dtype != want_dtype or len(t.shape) != 1 or t.size != len(axes):
        raise GenError(f"{'scales' if k == 2 else 'sizes'} '{node.inputs[k]}' ({t.dtype} {list(t.shape)}) must be "
                       f"{want_dtype} [{len(axes)}], one per axis", node.name, node.op)
    if len(y.shape) != len(x.shape):
        raise GenError(f"a {len(x.shape)}-D Resize is not supported (1-D to 6-D are)", node.name, node.op)
    return [np.float32(1)] * len(x.shape), [int(d) for d in y.shape], tuple(axes)


def _coord(mode: str, out_len: int, in_len: int, scale: np.float32) -> np.ndarray:
    """onnxruntime's original coordinate of every output index, in float32 (upsamplebase.h)."""
    xr = np.arange(out_len, dtype=np.float32)
    half = np.float32(0.5)
    if mode == "half_pixel":
        return (xr + half) / scale - half
    if mode == "half_pixel_symmetric":
        adjustment = np.float32(out_len) / (scale * np.float32(in_len))
        offset = np.float32(in_len) / np.float32(2) * (np.float32(1) - adjustment)
        return offset + (xr + half) / scale - half
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


def _cubic(x: np.ndarray, in_len: int, a: float, exclude_outside: bool):
    """onnxruntime's bicubic taps along one axis: (indices [out, 4], weights [out, 4]), the taps
    floor(x) - 1 ... floor(x) + 2 clamped to the input (its edge repeated); with exclude_outside the
    taps beyond the input weigh 0 and the others are renormalized."""
    x = x.astype(np.float32)
    base = np.floor(x).astype(np.int64)
    s = np.abs(x - base.astype(np.float32)).astype(np.float64)
    a = float(a)
    t = [s + 1, s, 1 - s, 2 - s]
    w = np.stack([((a * t[0] - 5 * a) * t[0] + 8 * a) * t[0] - 4 * a,
                  ((a + 2) * t[1] - (a + 3)) * t[1] * t[1] + 1,
                  ((a + 2) * t[2] - (a + 3)) * t[2] * t[2] + 1,
                  ((a * t[3] - 5 * a) * t[3] + 8 * a) * t[3] - 4 * a], axis=1).astype(np.float32)
    idx = base[:, None] + np.arange(-1, 3)[None, :]
    if exclude_outside:
        w = np.where((idx < 0) | (idx >= in_len), np.float32(0), w)
        w = (w / np.sum(w, axis=1, keepdims=True, dtype=np.float32)).astype(np.float32)
    return np.clip(idx, 0, in_len - 1).astype(np.int32), w


def _antialias(x: np.ndarray, in_len: int, scale, cubic: bool, a: float, exclude_outside: bool):
    """The ONNX reference's antialiased taps along one axis (linear: the triangle filter, cubic: the
    cubic kernel, both widened by 1 / scale when downsampling; an upsampled axis keeps 2 or 4 taps):
    (indices [out, n] clamped to the input, float32 weights [out, n]), computed in float64."""
    sc = min(float(scale), 1.0)
    i_start = int(np.floor((-2.0 if cubic else -1.0) / sc) + 1)
    n = 2 - 2 * i_start
    x = x.astype(np.float64)
    base = np.floor(x)
    whole = x == base
    ratio = np.where(whole, 1.0, x - base)
    i = np.arange(i_start, i_start + n, dtype=np.float64)
    t = np.abs((i[None, :] - ratio[:, None]) * sc)
    if cubic:
        w = np.where(t <= 1, (a + 2) * t ** 3 - (a + 3) * t ** 2 + 1,
                     np.where(t < 2, a * t ** 3 - 5 * a * t ** 2 + 8 * a * t - 4 * a, 0.0))
    else:
        w = np.clip(1 - t, 0, 1)
    w = w / np.sum(w, axis=1, keepdims=True)
    idx = (np.where(whole, base - 1, base)[:, None] + i[None, :]).astype(np.int64)
    if exclude_outside:
        w = np.where((idx < 0) | (idx >= in_len), 0.0, w)
        total = np.sum(w, axis=1, keepdims=True)
        w = w / np.where(total == 0, 1.0, total)
    return np.clip(idx, 0, in_len - 1).astype(np.int32), w.astype(np.float32)


@dataclass(frozen=True)
class ResizeParams:
    """A Resize node's geometry and its source tables (rows: h-indexed, columns: w-indexed). The tensor
    is seen as [n, c, h, w]: its last two axes resize, the others stay (rank 4: N and C; other ranks:
    n the product of the leading axes, c 1)."""
    n: int
    c: int
    h: int
    w: int
    oh: int
    ow: int
    linear: bool
    rows0: np.ndarray            # int32 [oh]: nearest row, or the first bilinear row; cubic: [oh * 4] taps
    cols0: np.ndarray            # int32 [ow]; cubic [ow * 4]
    rows1: np.ndarray            # int32 [oh]: the second bilinear row (linear only, else empty)
    cols1: np.ndarray
    wrows: np.ndarray            # float32 [2 * oh]: weights of rows0, rows1 (linear); cubic [oh * 4]
    wcols: np.ndarray            # float32 [2 * ow]; cubic [ow * 4]
    cubic: bool = False
    rt: "ResizeRuntime | None" = None    # run-time scales: the tables are computed in C per call
    taps_h: int = 0              # antialias: taps per output row (rows0/wrows [oh * taps_h]); 0 otherwise
    taps_w: int = 0


@dataclass(frozen=True)
class ResizeRuntime:
    """A Resize whose scales (input 2), or sizes with a keep_aspect_ratio_policy (input 3), arrive at
    run time: what gen_resize_tables reads (the entries' axes' static lengths, which entries scale h
    and w) to compute the source tables per call into arena scratch."""
    input: int                   # 2 scales, 3 sizes (run-time); 0 constant (tf_crop_and_resize)
    mode: int                    # GEN_RESIZE_NEAREST, _LINEAR, _CUBIC
    coord: int
    nearest_mode: int
    exclude_outside: int
    cubic_a: float
    in_dims: np.ndarray          # int32 [count]: the input's length of each entry's axis
    out_dims: np.ndarray         # int32 [count]: the static output's
    entry_h: int                 # the entry that scales h (-1: none)
    entry_w: int
    policy: int                  # GEN_RESIZE_STRETCH (scales), _NOT_LARGER, _NOT_SMALLER (sizes)
    scales: np.ndarray           # float32 [count]: the constant scales (input 0), else empty
    crop: bool = False           # tf_crop_and_resize: roi read, outside flags, extrapolation_value
    extrapolation: float = 0.0

    @property
    def taps(self) -> int:
        return (1, 2, 4)[self.mode]


def _axes(node, rank: int) -> list[int]:
    """The axes attribute (opset 18; every axis without it), each in [0, rank)."""
    axes = node.attrs.get("axes")
    axes = list(range(rank)) if axes is None else [int(a) for a in axes]
    if any(not -rank <= a < rank for a in axes) or len({a % rank for a in axes}) != len(axes):
        raise GenError(f"axes {axes} are not distinct axes of a rank-{rank} tensor", node.name, node.op)
    return [a % rank for a in axes]


def _scales_and_sizes(node, g, x, coord):
    """(float32 scale per axis, output length per axis) from the constant scales or sizes, the axes
    attribute (opset 18) and keep_aspect_ratio_policy, as onnxruntime computes them."""
    rank = len(x.shape)
    axes = _axes(node, rank)
    policy = _attr(node, "keep_aspect_ratio_policy", "stretch")
    if policy not in ASPECT_POLICIES:
        raise GenError(f"keep_aspect_ratio_policy '{policy}' is not valid ({', '.join(ASPECT_POLICIES)} are)",
                       node.name, node.op)
    k = _runtime_input(node, g, policy)
    if k is not None:
        return _runtime_scales(node, g, x, axes, k)
    scales, sizes = _const_input(node, g, 2), _const_input(node, g, 3)
    if scales is not None and scales.size == 0:
        scales = None
    if sizes is not None and sizes.size == 0:
        sizes = None
    if (scales is None) == (sizes is None):
        raise GenError("Resize needs exactly one of constant scales and sizes (opset 11 or later)", node.name, node.op)
    sc = [np.float32(1)] * rank
    want = [int(d) for d in x.shape]
    given = scales if scales is not None else sizes
    if given.size != len(axes):
        raise GenError(f"{'scales' if scales is not None else 'sizes'} has {counted(given.size, 'value')} for "
                       f"{counted(len(axes), 'axis', 'axes')}",
                       node.name, node.op)
    if scales is not None:
        for a, s in zip(axes, scales.reshape(-1)):
            s = np.float32(s)
            if not math.isfinite(float(s)) or s <= 0:
                raise GenError(f"scales {[float(v) for v in scales.reshape(-1)]} must be positive numbers",
                               node.name, node.op)
            sc[a] = s
            want[a] = int(math.floor(float(x.shape[a]) * float(s)))
            length = float(x.shape[a]) * float(s)
            if coord in ("align_corners", "pytorch_half_pixel") and length != math.floor(length) and x.shape[a] > 1:
                raise GenError(f"{coord} with scales giving a fractional output length ({x.shape[a]} * {float(s)} = "
                               f"{length}): onnxruntime and the ONNX reference disagree there (give sizes)",
                               node.name, node.op)
            if want[a] == x.shape[a] > 1 and s != 1:
                raise GenError(f"scale {float(s)} keeps axis {a}'s length {x.shape[a]}: onnxruntime copies that axis, "
                               "the ONNX reference resamples it (give sizes, or scale 1)", node.name, node.op)
        return sc, want, None
    out = [int(v) for v in sizes.reshape(-1)]
    if min(out) < 1:
        raise GenError(f"sizes {out} must be at least 1", node.name, node.op)
    if policy == "stretch":
        for a, o in zip(axes, out):
            want[a] = o
            sc[a] = np.float32(np.float32(o) / np.float32(x.shape[a]))
        return sc, want, None
    ratios = [np.float32(np.float32(o) / np.float32(x.shape[a])) for a, o in zip(axes, out)]
    s = min(ratios) if policy == "not_larger" else max(ratios)
    for a in axes:
        sc[a] = s
        want[a] = int(math.floor(float(s * np.float32(x.shape[a])) + 0.5))    # std::round of a float32 product
    return sc, want, None


def resize_params(node, g) -> ResizeParams:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    mode = _attr(node, "mode", "nearest")
    coord = _attr(node, "coordinate_transformation_mode", "half_pixel")
    nmode = _attr(node, "nearest_mode", "round_prefer_floor")
    if mode not in MODES:
        raise GenError(f"mode '{mode}' is not supported ({', '.join(MODES)} are)", node.name, node.op)
    if coord not in COORD_MODES:
        raise GenError(f"coordinate_transformation_mode '{coord}' is not supported ({', '.join(COORD_MODES)} are)",
                       node.name, node.op)
    if mode == "nearest" and nmode not in NEAREST_MODES:
        raise GenError(f"nearest_mode '{nmode}' is not supported", node.name, node.op)
    if mode == "nearest" and coord == "half_pixel_symmetric":
        raise GenError("nearest with half_pixel_symmetric is not supported (onnxruntime and the ONNX reference pick "
                       "different pixels where a source coordinate is an integer)", node.name, node.op)
    antialias = bool(int(node.attrs.get("antialias", 0))) and mode != "nearest"
    if not 1 <= len(x.shape) <= 6 or len(y.shape) != len(x.shape):
        raise GenError(f"a {len(x.shape)}-D Resize is not supported (1-D to 6-D are)", node.name, node.op)
    sc, want, rt_axes = _scales_and_sizes(node, g, x, coord)
    shape = [int(d) for d in x.shape]
    fixed = [k for k in range(len(shape) - 2) if shape[k] > 1 or want[k] != shape[k]]
    if list(y.shape) != want or min(want) < 1 or any(want[k] != shape[k] or sc[k] != 1 for k in fixed):
        raise GenError(f"Resize from {shape} to {want} (output {list(y.shape)}): only the last two axes may change, "
                       "to at least 1", node.name, node.op)
    full = [1] * (2 - len(shape)) + shape                       # rank 1: [1, L]
    fsc = [np.float32(1)] * (2 - len(shape)) + sc
    fwant = [1] * (2 - len(shape)) + want
    if len(full) == 4:
        n, c = full[0], full[1]
    else:
        n, c = int(np.prod(full[:-2], dtype=np.int64)), 1
    h, w = full[-2], full[-1]
    oh, ow = fwant[-2], fwant[-1]
    empty_i, empty_f = np.zeros(0, np.int32), np.zeros(0, np.float32)
    if antialias and coord == "tf_crop_and_resize":
        raise GenError("antialias with tf_crop_and_resize is not supported", node.name, node.op)
    if antialias and rt_axes is not None:
        raise GenError("antialias with scales or sizes given at run time is not supported (make them an "
                       "initializer)", node.name, node.op)
    if antialias:
        _check_antialias(node, g, coord, (h, w), (oh, ow), fsc[-2:])
    const_scales = None
    if coord == "tf_crop_and_resize" and rt_axes is None:       # constant scales or sizes, roi either
        rt_axes = tuple(_axes(node, len(shape)))
        const_scales = np.asarray([sc[a] for a in rt_axes], np.float32)
    if rt_axes is not None:
        tables = ResizeParams(n, c, h, w, oh, ow, mode == "linear", empty_i, empty_i, empty_i, empty_i, empty_f,
                              empty_f, cubic=mode == "cubic")
        return _runtime_params(node, g, rt_axes, const_scales, tables, mode, coord, nmode)
    ry, rx = _coord(coord, oh, h, fsc[-2]), _coord(coord, ow, w, fsc[-1])
    if antialias:
        a = float(node.attrs.get("cubic_coeff_a", -0.75))
        if not math.isfinite(a):
            raise GenError(f"cubic_coeff_a = {a} is not finite", node.name, node.op)
        excl = bool(int(node.attrs.get("exclude_outside", 0)))
        iy, wy = _antialias(ry, h, fsc[-2], mode == "cubic", a, excl)
        ix, wx = _antialias(rx, w, fsc[-1], mode == "cubic", a, excl)
        p = ResizeParams(n, c, h, w, oh, ow, False, iy.reshape(-1), ix.reshape(-1), empty_i, empty_i,
                         wy.reshape(-1), wx.reshape(-1), taps_h=iy.shape[1], taps_w=ix.shape[1])
    elif mode == "nearest":
        p = ResizeParams(n, c, h, w, oh, ow, False, _nearest(nmode, ry, h), _nearest(nmode, rx, w),
                         empty_i, empty_i, empty_f, empty_f)
    elif mode == "linear":
        y0, y1, wy0, wy1 = _linear(ry, h)
        x0, x1, wx0, wx1 = _linear(rx, w)
        p = ResizeParams(n, c, h, w, oh, ow, True, y0, x0, y1, x1, np.concatenate([wy0, wy1]),
                         np.concatenate([wx0, wx1]))
    else:
        a = float(node.attrs.get("cubic_coeff_a", -0.75))
        if not math.isfinite(a):
            raise GenError(f"cubic_coeff_a = {a} is not finite", node.name, node.op)
        excl = bool(int(node.attrs.get("exclude_outside", 0)))
        iy, wy = _cubic(ry, h, a, excl)
        ix, wx = _cubic(rx, w, a, excl)
        p = ResizeParams(n, c, h, w, oh, ow, False, iy.reshape(-1), ix.reshape(-1), empty_i, empty_i,
                         wy.reshape(-1), wx.reshape(-1), cubic=True)
    return c_fields(p, node, "Resize parameter")


MAX_TAPS = 1024       # antialias taps per output element along an axis (a scale down to about 1 / 512)


def _check_antialias(node, g, coord, lens, outs, scales):
    """Antialias where onnxruntime and the ONNX reference agree: refused for a fractional in * scale
    (given scales) with half_pixel_symmetric, pytorch_half_pixel to one output element, and for more
    than MAX_TAPS taps."""
    by_scales = _const_input(node, g, 2) is not None and _const_input(node, g, 2).size > 0
    for n, o, s in zip(lens, outs, scales):
        length = float(n) * float(s)
        if coord == "half_pixel_symmetric" and by_scales and length != math.floor(length):
            raise GenError(f"antialias with half_pixel_symmetric and a fractional output length ({n} * {float(s)} = "
                           f"{length}): onnxruntime and the ONNX reference disagree there (give sizes)",
                           node.name, node.op)
        if coord == "pytorch_half_pixel" and o == 1 and n > 1:
            raise GenError("antialias with pytorch_half_pixel to a length of 1: onnxruntime and the ONNX reference "
                           "disagree there", node.name, node.op)
        if 2 / min(float(s), 1.0) * 2 + 2 > MAX_TAPS:
            raise GenError(f"antialias scale {float(s)} needs more than {MAX_TAPS} taps per output element",
                           node.name, node.op)


def _runtime_params(node, g, axes, const_scales, p: ResizeParams, mode, coord, nmode) -> ResizeParams:
    from . import c_int32s
    axes = list(axes)
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    rank = len(x.shape)
    a = float(node.attrs.get("cubic_coeff_a", -0.75))
    extrapolation = float(node.attrs.get("extrapolation_value", 0.0))
    if not math.isfinite(a) or not math.isfinite(extrapolation):
        raise GenError(f"cubic_coeff_a = {a}, extrapolation_value = {extrapolation}: not finite", node.name, node.op)
    crop = coord == "tf_crop_and_resize"
    if crop:
        roi = g.t(node.inputs[1]) if len(node.inputs) > 1 and node.inputs[1] else None
        if roi is None or roi.dtype != "float32" or roi.shape != (2 * len(axes),):
            what = "absent" if roi is None else f"{roi.dtype} {list(roi.shape)}"
            raise GenError(f"tf_crop_and_resize needs roi as float32 [{2 * len(axes)}] (starts and ends of the "
                           f"{len(axes)} axes), it is {what}", node.name, node.op)
        if roi.is_const and not np.all(np.isfinite(roi.data)):
            raise GenError("roi holds a NaN or an infinity", node.name, node.op)
    if const_scales is not None:
        k = 0
    else:
        k = 3 if len(node.inputs) > 3 and node.inputs[3] and not g.t(node.inputs[3]).is_const else 2
    policy = ASPECT_POLICIES.index(_attr(node, "keep_aspect_ratio_policy", "stretch")) if k == 3 else 0
    rt = ResizeRuntime(k, MODES.index(mode), COORD_MODES.index(coord), NEAREST_MODES.index(nmode),
                       int(bool(int(node.attrs.get("exclude_outside", 0)))), a,
                       c_int32s([x.shape[d] for d in axes], "dimension", node),
                       c_int32s([y.shape[d] for d in axes], "dimension", node),
                       axes.index(rank - 2) if rank >= 2 and rank - 2 in axes else -1,
                       axes.index(rank - 1) if rank - 1 in axes else -1, policy,
                       np.zeros(0, np.float32) if const_scales is None else const_scales, crop, extrapolation)
    for arr in (rt.in_dims, rt.out_dims, rt.scales):
        arr.flags.writeable = False
    return dataclasses.replace(c_fields(p, node, "Resize parameter"), rt=rt)


def _rt_scratch(p: ResizeParams) -> int:
    """Bytes of the run-time tables (indices, weights unless nearest, the policy's scales)."""
    r = p.rt
    per = r.taps * (p.oh + p.ow)
    return 4 * (per * (1 if r.mode == 0 else 2) + (r.in_dims.size if r.input == 3 else 0)
                + (p.oh + p.ow if r.crop else 0))


def _emit_runtime(node, g, ctx, p: ResizeParams, elem: str, channels_last: bool) -> str:
    """The per-call tables from the run-time scales (-1 when they do not give the compiled shape), then
    the kernel on them."""
    r, base = p.rt, f"(int32_t *){ctx.scratch(node)}"
    kh, kw = r.taps * p.oh, r.taps * p.ow
    rows, cols = base, f"{base} + {kh}"
    wrows = f"(float *)({base} + {kh + kw})" if r.mode else "NULL"
    wcols = f"(float *)({base} + {2 * kh + kw})" if r.mode else "NULL"
    st = _struct(ctx, p, channels_last)

    def macro(names, k):
        return "GEN_RESIZE_" + names[k].upper()
    init = (f"{macro(MODES, r.mode)}, {macro(COORD_MODES, r.coord)}, {macro(NEAREST_MODES, r.nearest_mode)}, "
            f"{r.exclude_outside}, {ctx.flt(r.cubic_a)}, {r.in_dims.size}, {r.entry_h}, {r.entry_w}, "
            f"{macro(ASPECT_POLICIES, r.policy)}")
    if r.input == 0 or r.crop:      # the fields the other forms leave zero
        init += f", {int(r.input == 0)}, {ctx.flt(r.extrapolation)}"
    rtp = ctx.params("gen_resize_rt", init, "resize_rt")
    dims = f"{ctx.array(r.in_dims, 'in_dims')}, {ctx.array(r.out_dims, 'out_dims')}"
    after = (2 if r.mode else 1) * (kh + kw)
    roi = ctx.ptr(node.inputs[1]) if r.crop else "NULL"
    outside = f"{base} + {after + (r.in_dims.size if r.input == 3 else 0)}" if r.crop else "NULL"
    if r.input == 3:
        tables = f"gen_resize_tables_sizes({ctx.ptr(node.inputs[3])}, (float *)({base} + {after}), {roi}, {dims}"
    else:
        scales = ctx.array(r.scales, "scales") if r.input == 0 else ctx.ptr(node.inputs[2])
        tables = f"gen_resize_tables({scales}, {roi}, {dims}"
    tables += f", {rtp}, {st}, {rows}, {wrows}, {cols}, {wcols}, {outside})"
    x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
    if r.mode == 0:
        call = f"gen_resize_nearest({x}, {y}, {elem}, {rows}, {cols}, {st});"
    elif r.mode == 1:
        call = (f"gen_f32_resize_linear({x}, {y}, {rows}, {rows} + {p.oh}, {wrows}, {cols}, {cols} + {p.ow}, "
                f"{wcols}, {st});")
    else:
        call = f"gen_f32_resize_cubic({x}, {y}, {rows}, {wrows}, {cols}, {wcols}, {st});"
    if r.crop:
        call += f"\ngen_f32_resize_extrapolate({y}, {outside}, {ctx.flt(r.extrapolation)}, {st});"
    return f"if ({tables} != 0) {{\n    return -1; /* scales that do not give the compiled output shape */\n}}\n{call}"


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
    const_inputs = {"Resize": ()}       # scales, policy sizes and roi may arrive at run time (ResizeRuntime)
    plain_integers = True               # run-time int64 sizes (check refuses data other than float32)
    shape_determined_inputs = {"Resize": (1, 3)}    # roi unless tf_crop_and_resize; sizes (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        from . import onnx_attrs
        a = onnx_attrs(node)
        n = rtparams.length(shapes, node.input[k])
        if k == 1:      # roi is read only by tf_crop_and_resize
            if a.get("coordinate_transformation_mode", b"half_pixel") in (b"tf_crop_and_resize",
                                                                          "tf_crop_and_resize") or n % 2:
                return None
            return rtparams.Determined(np.asarray([0.0] * (n // 2) + [1.0] * (n // 2), np.float32), "none")
        policy = a.get("keep_aspect_ratio_policy", b"stretch")
        if policy not in (b"stretch", "stretch"):
            return None         # the sizes bound the output, they are not it
        out = rtparams.shape(shapes, node.output[0])
        axes = [int(x) % len(out) for x in a.get("axes", range(len(out)))]
        if n != len(axes):
            return None
        return rtparams.Determined(np.asarray([out[x] for x in axes], np.int64), "equal")

    limits = {"Resize": "1-D to 6-D, the last two axes resample; nearest, linear, cubic, antialias (constant "
                        "scales or sizes), tf_crop_and_resize; scales, roi and policy sizes also at run time; "
                        "int8: nearest and linear (4-D, constant), the others in float"}
    runtime = RUNTIME
    int8_kernels = {"Resize": "ResizeS8"}

    def int8_form(self, node, g):
        try:
            p = resize_params(node, g)
        except GenError:
            return None                      # refused by check, in float
        if len(g.t(node.inputs[0]).shape) != 4 or p.cubic or p.rt is not None or p.taps_h:
            return None                      # int8 forms are 4-D; bicubic, run-time scales, antialias: in float
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
            raise GenError(f"Resize of {g.t(node.inputs[0]).dtype} is not supported (float32, and int8 4-D)",
                           node.name, node.op)
        self.params(node, g)

    def kernel(self, node, g):
        p = self.params(node, g)
        if p.taps_h:
            return "gen_f32_resize_taps"
        return "gen_f32_resize_linear" if p.linear else "gen_f32_resize_cubic" if p.cubic else "gen_resize_nearest"

    def macs(self, node, g):
        p = self.params(node, g)
        if p.taps_h:
            return p.n * p.c * p.oh * p.ow * (p.taps_h * p.taps_w + p.taps_h)
        return p.n * p.c * p.oh * p.ow * (4 if p.linear else 16 if p.cubic else 0)

    def scratch(self, node, g):
        p = self.params(node, g)
        return _rt_scratch(p) if p.rt is not None else 0

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        if p.rt is not None:
            return _emit_runtime(node, g, ctx, p, "sizeof(float)", False)
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        if p.taps_h:
            return (f"gen_f32_resize_taps({x}, {y}, {ctx.array(p.rows0, 'rows')}, {ctx.array(p.wrows, 'wrows')}, "
                    f"{p.taps_h}, {ctx.array(p.cols0, 'cols')}, {ctx.array(p.wcols, 'wcols')}, {p.taps_w}, "
                    f"{_struct(ctx, p, False)});")
        if p.cubic:
            return (f"gen_f32_resize_cubic({x}, {y}, {ctx.array(p.rows0, 'rows')}, {ctx.array(p.wrows, 'wrows')}, "
                    f"{ctx.array(p.cols0, 'cols')}, {ctx.array(p.wcols, 'wcols')}, {_struct(ctx, p, False)});")
        if not p.linear:
            return (f"gen_resize_nearest({x}, {y}, sizeof(float), {ctx.array(p.rows0, 'rows')}, "
                    f"{ctx.array(p.cols0, 'cols')}, {_struct(ctx, p, False)});")
        return (f"gen_f32_resize_linear({x}, {y}, {ctx.array(p.rows0, 'rows0')}, {ctx.array(p.rows1, 'rows1')}, "
                f"{ctx.array(p.wrows, 'wrows')}, {ctx.array(p.cols0, 'cols0')}, {ctx.array(p.cols1, 'cols1')}, "
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
