"""Numpy reference of every int8 kernel gen's generated code calls (the test oracle).

Bit-exact with CMSIS-NN v7.0.0 (default double-rounding build) and with gen's portable C
(runtime_c/cmsis_nn/arm_*.c and runtime_c/gen_s8.c), written independently of both from the
kernels' arithmetic semantics. Vectorized in int64: fine for 100k-element tensors.

Conventions, as in CMSIS-NN: tensors are NHWC int8 numpy arrays; ``input_offset`` is minus the
input zero point, ``output_offset`` is the output zero point; per-channel ``multiplier`` / ``shift``
are int arrays of length C_OUT (a scalar is broadcast); ``stride``, ``padding`` (top, left: the
bottom/right padding is implied by the output size) and ``dilation`` are ``(h, w)`` pairs;
``output_hw`` defaults to the symmetric-padding size ``(in + 2*pad - dil*(k-1) - 1) // stride + 1``.

Filter layouts: conv ``[C_OUT, KH, KW, C_IN // groups]`` (groups = C_IN // filter C, output channel
o belongs to group o // (C_OUT // groups), which reads input channels [g*KC, (g+1)*KC));
depthwise ``[1, KH, KW, C_IN * ch_mult]`` (output channel i*ch_mult + m reads input channel i);
fully connected ``[C_OUT, D]`` (row r holds the D weights of output r).
"""

from __future__ import annotations

import numpy as np

from gen.quant import (
    INT32_MAX,
    INT32_MIN,
    multiply_by_quantized_multiplier,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
    wrap32,
)

__all__ = [
    "requantize",
    "conv_s8",
    "depthwise_conv_s8",
    "fully_connected_s8",
    "vector_sum_s8",
    "elementwise_add_s8",
    "elementwise_mul_s8",
    "max_pool_s8",
    "avgpool_s8",
    "softmax_s8",
    "lut",
    "requantize_s8",
    "quantize_f32",
    "dequantize_f32",
    "reduce_mean_s8",
    "conv_output_size",
]


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def _to_s8(acc, output_offset, act_min, act_max):
    return np.clip(_i64(acc) + int(output_offset), int(act_min), int(act_max)).astype(np.int8)


def requantize(acc, multiplier, shift):
    """CMSIS-NN arm_nn_requantize (double rounding), broadcasting over the last axis."""
    return _i64(multiply_by_quantized_multiplier(_i64(acc), _i64(multiplier), _i64(shift)))


def conv_output_size(in_size, kernel, stride=1, pad=0, dilation=1, pad_after=None):
    """Output length along one axis: (in + pad + pad_after - dilation*(kernel-1) - 1) // stride + 1."""
    pa = pad if pad_after is None else pad_after
    return (in_size + pad + pa - dilation * (kernel - 1) - 1) // stride + 1


def _pair(v):
    if np.ndim(v) == 0:
        return int(v), int(v)
    a, b = v
    return int(a), int(b)


def _padded_taps(x, kh, kw, stride, padding, dilation, out_hw):
    """x: int64 [N,H,W,C] already offset so that padding is 0. Yields (ky, kx, patch[N,OH,OW,C])."""
    n, h, w, c = x.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    oh, ow = out_hw
    need_h = (oh - 1) * sh + (kh - 1) * dh + 1 if oh > 0 else 0
    need_w = (ow - 1) * sw + (kw - 1) * dw + 1 if ow > 0 else 0
    hp = max(need_h, ph + h)
    wp = max(need_w, pw + w)
    xp = np.zeros((n, hp, wp, c), dtype=np.int64)
    # input rows/cols that land inside the padded frame (padding may exceed what is needed)
    xp[:, ph : ph + h, pw : pw + w, :] = x[:, : max(0, hp - ph), : max(0, wp - pw), :]
    for ky in range(kh):
        for kx in range(kw):
            y0 = ky * dh
            x0 = kx * dw
            yield ky, kx, xp[:, y0 : y0 + (oh - 1) * sh + 1 : sh, x0 : x0 + (ow - 1) * sw + 1 : sw, :]


def conv_s8(
    input,
    filter,
    bias,
    *,
    input_offset,
    output_offset,
    multiplier,
    shift,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    act_min=-128,
    act_max=127,
    output_hw=None,
):
    """arm_convolve_wrapper_s8: NHWC input [N,H,W,C], filter [O,KH,KW,KC], bias [O] or None."""
    x = _i64(input)
    w = _i64(filter)
    n, h, wd, c = x.shape
    o, kh, kw, kc = w.shape
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    groups = c // kc
    if groups <= 0 or c % groups or o % groups:
        raise ValueError("conv_s8: channels not divisible by groups")
    ocg = o // groups
    if output_hw is None:
        output_hw = (
            conv_output_size(h, kh, stride[0], padding[0], dilation[0]),
            conv_output_size(wd, kw, stride[1], padding[1], dilation[1]),
        )
    oh, ow = output_hw
    xo = x + int(input_offset)
    acc = np.zeros((n * oh * ow, groups, ocg), dtype=np.int64)
    wg = w.reshape(groups, ocg, kh, kw, kc)
    for ky, kx, patch in _padded_taps(xo, kh, kw, stride, padding, dilation, output_hw):
        p = patch[..., : groups * kc].reshape(n * oh * ow, groups, kc).transpose(1, 0, 2)  # [G, M, KC]
        acc += np.matmul(p, wg[:, :, ky, kx, :].transpose(0, 2, 1)).transpose(1, 0, 2)  # [M, G, OCG]
    acc = acc.reshape(n, oh, ow, o)
    if bias is not None:
        acc = acc + _i64(bias)
    acc = requantize(wrap32(acc), multiplier, shift)
    return _to_s8(acc, output_offset, act_min, act_max)


def depthwise_conv_s8(
    input,
    filter,
    bias,
    *,
    ch_mult,
    input_offset,
    output_offset,
    multiplier,
    shift,
    stride=(1, 1),
    padding=(0, 0),
    dilation=(1, 1),
    act_min=-128,
    act_max=127,
    output_hw=None,
):
    """arm_depthwise_conv_wrapper_s8: input [N,H,W,C], filter [1,KH,KW,C*ch_mult], bias [C*ch_mult]."""
    x = _i64(input)
    w = _i64(filter)
    n, h, wd, c = x.shape
    _, kh, kw, co = w.shape
    if co != c * ch_mult:
        raise ValueError("depthwise_conv_s8: filter channels != input channels * ch_mult")
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    if output_hw is None:
        output_hw = (
            conv_output_size(h, kh, stride[0], padding[0], dilation[0]),
            conv_output_size(wd, kw, stride[1], padding[1], dilation[1]),
        )
    oh, ow = output_hw
    xo = np.repeat(x + int(input_offset), ch_mult, axis=-1)
    acc = np.zeros((n, oh, ow, co), dtype=np.int64)
    for ky, kx, patch in _padded_taps(xo, kh, kw, stride, padding, dilation, output_hw):
        acc += patch * w[0, ky, kx, :]
    if bias is not None:
        acc = acc + _i64(bias)
    acc = requantize(wrap32(acc), multiplier, shift)
    return _to_s8(acc, output_offset, act_min, act_max)


def fully_connected_s8(
    input,
    filter,
    bias,
    *,
    input_offset,
    filter_offset,
    output_offset,
    multiplier,
    shift,
    act_min=-128,
    act_max=127,
):
    """arm_fully_connected_s8 (scalar multiplier/shift) and arm_fully_connected_per_channel_s8
    (arrays of length C_OUT): input [N, D], filter [C_OUT, D], bias [C_OUT] or None -> [N, C_OUT]."""
    x = _i64(input) + int(input_offset)
    w = _i64(filter) + int(filter_offset)
    acc = x @ w.T
    if bias is not None:
        acc = acc + _i64(bias)
    acc = requantize(wrap32(acc), multiplier, shift)
    return _to_s8(acc, output_offset, act_min, act_max)


def vector_sum_s8(vector_data, lhs_offset, rhs_offset, bias=None):
    """arm_vector_sum_s8 on a [rows, cols] matrix -> int32 [rows]."""
    v = _i64(vector_data)
    rows, cols = v.shape
    out = _i64(bias).copy() if bias is not None else np.zeros(rows, dtype=np.int64)
    if lhs_offset:
        s = v.sum(axis=1)
        if rhs_offset:
            s = s + cols * int(rhs_offset)
        out = out + wrap32(s) * int(lhs_offset)
    return wrap32(out).astype(np.int32)


def elementwise_add_s8(
    input_1,
    input_2,
    *,
    input_1_offset,
    input_1_mult,
    input_1_shift,
    input_2_offset,
    input_2_mult,
    input_2_shift,
    left_shift,
    out_offset,
    out_mult,
    out_shift,
    out_activation_min=-128,
    out_activation_max=127,
):
    """arm_elementwise_add_s8 on same-shape arrays."""
    a = wrap32((_i64(input_1) + int(input_1_offset)) << int(left_shift))
    b = wrap32((_i64(input_2) + int(input_2_offset)) << int(left_shift))
    a = requantize(a, input_1_mult, input_1_shift)
    b = requantize(b, input_2_mult, input_2_shift)
    s = requantize(wrap32(a + b), out_mult, out_shift)
    return _to_s8(s, out_offset, out_activation_min, out_activation_max)


def elementwise_mul_s8(
    input_1,
    input_2,
    *,
    input_1_offset,
    input_2_offset,
    out_offset,
    out_mult,
    out_shift,
    out_activation_min=-128,
    out_activation_max=127,
):
    """arm_elementwise_mul_s8 on same-shape arrays."""
    p = (_i64(input_1) + int(input_1_offset)) * (_i64(input_2) + int(input_2_offset))
    return _to_s8(requantize(p, out_mult, out_shift), out_offset, out_activation_min, out_activation_max)


def _pool_windows(x, kernel, stride, padding, output_hw, fill):
    """Yield the [N,OH,OW,C] tap views of x padded with `fill`, plus a validity mask per tap."""
    n, h, w, c = x.shape
    kh, kw = kernel
    mask = np.ones((1, h, w, 1), dtype=np.int64)
    xs = x.astype(np.int64)
    taps = list(_padded_taps(xs - fill, kh, kw, stride, padding, (1, 1), output_hw))
    valid = list(_padded_taps(mask, kh, kw, stride, padding, (1, 1), output_hw))
    for (_, _, t), (_, _, v) in zip(taps, valid):
        yield t + fill, v


def max_pool_s8(input, *, kernel, stride=(1, 1), padding=(0, 0), act_min=-128, act_max=127, output_hw=None, out_init=None):
    """arm_max_pool_s8: max over the window clipped to the input, then clamp. A window without
    any input element keeps out_init (clamped), which must then be given."""
    x = _i64(input)
    n, h, w, c = x.shape
    kernel, stride, padding = _pair(kernel), _pair(stride), _pair(padding)
    if output_hw is None:
        output_hw = (conv_output_size(h, kernel[0], stride[0], padding[0]), conv_output_size(w, kernel[1], stride[1], padding[1]))
    oh, ow = output_hw
    neg = -(1 << 20)
    m = np.full((n, oh, ow, c), neg, dtype=np.int64)
    for t, v in _pool_windows(x, kernel, stride, padding, output_hw, neg):
        m = np.maximum(m, np.where(v > 0, t, neg))
    empty = m == neg
    if empty.any():
        if out_init is None:
            raise ValueError("max_pool_s8: a pooling window holds no input element")
        m = np.where(empty, _i64(out_init), m)
    return np.clip(m, int(act_min), int(act_max)).astype(np.int8)


def _div_round_away(num, den):
    """(num > 0 ? num + den/2 : num - den/2) / den with C truncating division."""
    num = _i64(num)
    den = _i64(den)
    adj = np.where(num > 0, num + den // 2, num - den // 2)
    return np.where(adj >= 0, adj // den, -((-adj) // den))


def avgpool_s8(input, *, kernel, stride=(1, 1), padding=(0, 0), act_min=-128, act_max=127, output_hw=None):
    """arm_avgpool_s8: rounded mean over the window clipped to the input (padding not counted)."""
    x = _i64(input)
    n, h, w, c = x.shape
    kernel, stride, padding = _pair(kernel), _pair(stride), _pair(padding)
    if output_hw is None:
        output_hw = (conv_output_size(h, kernel[0], stride[0], padding[0]), conv_output_size(w, kernel[1], stride[1], padding[1]))
    oh, ow = output_hw
    s = np.zeros((n, oh, ow, c), dtype=np.int64)
    cnt = np.zeros((1, oh, ow, 1), dtype=np.int64)
    for t, v in _pool_windows(x, kernel, stride, padding, output_hw, 0):
        s += t
        cnt += v
    if (cnt == 0).any():
        raise ValueError("avgpool_s8: a pooling window holds no input element")
    return np.clip(_div_round_away(s, cnt), int(act_min), int(act_max)).astype(np.int8)


# ---- softmax fixed point (gemmlowp with 5 integer bits for the scaled differences) -----------


def _srdhm(a, b):
    return _i64(saturating_rounding_doubling_high_mul(_i64(a), _i64(b)))


def _rdbpot(x, e):
    return _i64(rounding_divide_by_pot(_i64(x), _i64(e)))


def _mul_pow2_sat(v, e):
    thresh = (1 << (31 - e)) - 1
    return np.where(v > thresh, INT32_MAX, np.where(v < -thresh, INT32_MIN, wrap32(v << e)))


_EXP_NEG_POW2 = (1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242)


def exp_on_negative_values(v):
    """exp(v) for v <= 0 in Q5.26 -> Q0.31 (bit-exact gemmlowp / CMSIS-NN)."""
    v = _i64(v)
    fmq = (v & ((1 << 24) - 1)) - (1 << 24)
    rem = fmq - v
    t = fmq * 32 + (1 << 28)
    t2 = _srdhm(t, t)
    t3 = _srdhm(t2, t)
    t4 = _srdhm(t2, t2)
    tail = _rdbpot(wrap32(_srdhm(wrap32(_rdbpot(t4, 2) + t3), 715827883) + t2), 1)
    res = wrap32(1895147668 + _srdhm(1895147668, wrap32(t + tail)))
    for k, cst in enumerate(_EXP_NEG_POW2):
        res = np.where((rem & (1 << (24 + k))) != 0, _srdhm(res, cst), res)
    return np.where(v == 0, INT32_MAX, res)


def one_over_one_plus_x(v):
    """1/(1+x) for x in [0,1) in Q0.31 (bit-exact gemmlowp / CMSIS-NN)."""
    s = _i64(v) + INT32_MAX
    half = np.where(s >= 0, (s + 1) // 2, -((1 - s) // 2))
    r = wrap32(1515870810 + _srdhm(half, -1010580540))
    for _ in range(3):
        err = wrap32((1 << 29) - _srdhm(half, r))
        r = wrap32(r + _mul_pow2_sat(_srdhm(r, err), 2))
    return _mul_pow2_sat(r, 1)


def _clz32(u):
    u = _i64(u)
    _, e = np.frexp(u.astype(np.float64))  # u < 2**32: exact; bit length = e
    return np.where(u == 0, 32, 32 - e.astype(np.int64))


def softmax_s8(input, mult, shift, diff_min):
    """arm_softmax_s8 along the last axis of any-shaped int8 input (output scale 1/256, zp -128)."""
    x = _i64(input)
    shape = x.shape
    x = x.reshape(-1, shape[-1]) if x.ndim else x.reshape(1, 1)
    diff = x - x.max(axis=1, keepdims=True)
    valid = diff >= int(diff_min)
    e = exp_on_negative_values(_srdhm(wrap32(diff << int(shift)), int(mult)))
    total = np.where(valid, _rdbpot(e, 12), 0).sum(axis=1, keepdims=True) & 0xFFFFFFFF
    headroom = _clz32(total)
    total_s = wrap32(total)
    normalised = np.where(total_s > 0, wrap32(total << headroom), 0)
    scale = one_over_one_plus_x(wrap32(normalised - INT32_MIN))
    bits = 35 - headroom
    q = np.where(bits <= 31, _rdbpot(_srdhm(scale, e), np.minimum(bits, 31)), 0)
    out = np.where(valid, np.clip(q - 128, -128, 127), -128)
    return out.astype(np.int8).reshape(shape)


# ---- gen's own kernels (gen_s8.c) ---------------------------------------------------------------


def lut(input, table):
    """gen_s8_lut: table[x + 128]."""
    t = np.asarray(table, dtype=np.int8)
    assert t.shape == (256,)
    return t[_i64(input) + 128]


def requantize_s8(input, *, input_offset, mult, shift, output_offset, act_min=-128, act_max=127):
    """gen_s8_requantize."""
    return _to_s8(requantize(_i64(input) + int(input_offset), mult, shift), output_offset, act_min, act_max)


def quantize_f32(input, scale, zero_point):
    """gen_s8_quantize_f32 = onnxruntime QuantizeLinear to int8 (float32 division, half to even)."""
    x = np.asarray(input, dtype=np.float32)
    lo = np.float32(-128 - int(zero_point))
    hi = np.float32(127 - int(zero_point))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        v = (x / np.float32(scale)).astype(np.float32)
    v = np.where(v >= lo, v, lo)  # NaN -> lo
    v = np.minimum(v, hi)
    return (np.rint(v).astype(np.int64) + int(zero_point)).astype(np.int8)


def dequantize_f32(input, scale, zero_point):
    """gen_s8_dequantize_f32: (x - zp) * scale in float32."""
    return (_i64(input) - int(zero_point)).astype(np.float32) * np.float32(scale)


def reduce_mean_s8(input, *, input_offset, mult, shift, output_offset, act_min=-128, act_max=127):
    """gen_s8_reduce_mean (TFLite int8 Mean over H, W): input [B, S, C] or [B, H, W, C] -> [B, C]."""
    x = _i64(input)
    x = x.reshape(x.shape[0], -1, x.shape[-1])
    count = x.shape[1]
    acc = (x + int(input_offset)).sum(axis=1)
    acc = requantize(wrap32(acc), mult, shift)
    acc = _div_round_away(acc, count)
    return _to_s8(acc, output_offset, act_min, act_max)
