"""TFLite / CMSIS-NN compatible fixed-point quantization math (numpy, vectorized).

Everything here reproduces the integer arithmetic of TFLite's reference kernels and of CMSIS-NN
v7.0.0's default ("double rounding") build, which gen's runtime (runtime_c/cmsis_nn) implements:

* ``quantize_multiplier(real)`` -> ``(multiplier, shift)``: TFLite's QuantizeMultiplier. The real
  value is ``multiplier * 2**(shift - 31)``; ``multiplier`` is a Q31 int in [2**30, 2**31) (or 0),
  ``shift > 0`` means a left shift. Rounding is half away from zero (``std::round``).
* ``multiply_by_quantized_multiplier(x, m, s)``: CMSIS-NN's ``arm_nn_requantize`` =
  ``rounding_divide_by_pot(doubling_high_mul(x * 2**max(s, 0), m), max(-s, 0))`` with 32-bit wrap of
  the left shift, identical to TFLite's MultiplyByQuantizedMultiplier for every non-negative
  multiplier.
* Layer parameter helpers mirror the TFLite(-Micro) ``Prepare`` functions (float32 scales are
  widened to double exactly as TFLite does): :func:`conv_multipliers`, :func:`requantize_params`,
  :func:`add_params`, :func:`mul_params`, :func:`softmax_params`, :func:`activation_range`.
* LUT builders (:func:`build_lut`, :func:`lut_sigmoid`, ...) return the 256-entry int8 table that
  ``gen_s8_lut`` applies (``table[0]`` is the output for input -128). They emulate onnxruntime's
  QDQ float path: dequantize in float32, apply the function in float64, round the result to
  float32, divide by the output scale in float32 and round half to even (``rounding="half_even"``,
  the default, as onnxruntime's QuantizeLinear) or half away from zero (``rounding="half_away"``,
  as TFLite's reference quantize). Bit-exactness of a LUT op is only between gen's C and
  :func:`gen.int8ref.lut`, which apply the same table.

All integer functions accept Python ints or numpy arrays and compute in int64.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

# TFLite's kScaledDiffIntegerBits for int8 softmax
SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5
# TFLite's left shift for int8 Add/Sub inputs
ADD_LEFT_SHIFT = 20


def _i64(x):
    return np.asarray(x, dtype=np.int64)


def _out(x, like):
    """Return a Python int for scalar input, else an int64 array."""
    if np.ndim(like) == 0 and np.ndim(x) == 0:
        return int(x)
    return x


def wrap32(x):
    """Wrap int64 values modulo 2**32 into the int32 range (two's complement)."""
    x = _i64(x)
    return ((x + 2**31) & 0xFFFFFFFF) - 2**31


def round_half_away(x):
    """std::round / TfLiteRound: round to nearest, ties away from zero (float64 or float32 input)."""
    x = np.asarray(x, dtype=np.float64)  # float32 widens exactly; |x| + 0.5 is then exact
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


# ---------------------------------------------------------------------------------------------
# multipliers


def quantize_multiplier(real):
    """TFLite QuantizeMultiplier (double-rounding build): real -> (Q31 multiplier, shift).

    Vectorized: an array of reals gives two int64 arrays (per-channel). 0 maps to (0, 0);
    reals below about 2**-32 flush to (0, 0) as in TFLite. Negative reals give negative
    multipliers (only non-negative ones are meaningful to CMSIS-NN).
    """
    r = np.asarray(real, dtype=np.float64)
    if not np.all(np.isfinite(r)):
        raise ValueError("quantize_multiplier: non-finite multiplier")
    q, shift = np.frexp(r)
    q_fixed = round_half_away(q * float(1 << 31)).astype(np.int64)
    shift = shift.astype(np.int64)
    full = q_fixed == (1 << 31)
    q_fixed = np.where(full, q_fixed // 2, q_fixed)
    shift = np.where(full, shift + 1, shift)
    tiny = shift < -31
    q_fixed = np.where(tiny, 0, q_fixed)
    shift = np.where(tiny, 0, shift)
    zero = r == 0.0
    q_fixed = np.where(zero, 0, q_fixed)
    shift = np.where(zero, 0, shift)
    if np.ndim(real) == 0:
        return int(q_fixed), int(shift)
    return q_fixed.astype(np.int64), shift.astype(np.int64)


def quantize_multiplier_smaller_than_one_exp(real):
    """TFLite QuantizeMultiplierSmallerThanOneExp: requires 0 < real < 1, returns shift <= 0."""
    if not 0.0 < float(real) < 1.0:
        raise ValueError(f"multiplier {real!r} is not in (0, 1)")
    m, s = quantize_multiplier(float(real))
    assert s <= 0
    return m, s


def quantize_multiplier_greater_than_one(real):
    """TFLite QuantizeMultiplierGreaterThanOne: requires real > 1, returns shift >= 0."""
    if not float(real) > 1.0:
        raise ValueError(f"multiplier {real!r} is not > 1")
    m, s = quantize_multiplier(float(real))
    assert s >= 0
    return m, s


def dequantize_multiplier(mult, shift):
    """The real value a (multiplier, shift) pair represents: mult * 2**(shift - 31)."""
    return np.asarray(mult, dtype=np.float64) * np.exp2(np.asarray(shift, dtype=np.float64) - 31.0)


# ---------------------------------------------------------------------------------------------
# fixed-point primitives (bit-exact with gen_nn_math.h / CMSIS-NN / gemmlowp)


def saturating_rounding_doubling_high_mul(a, b):
    """gemmlowp SaturatingRoundingDoublingHighMul (CMSIS-NN arm_nn_doubling_high_mult, NEON VQRDMULH):
    (a*b + nudge) / 2**31 truncated towards zero, nudge = 2**30 (or 1 - 2**30 when the product is
    negative), i.e. a*b / 2**31 rounded to nearest with ties up; INT32_MIN * INT32_MIN saturates
    to INT32_MAX."""
    a = _i64(a)
    b = _i64(b)
    p = a * b  # |p| <= 2**62, fits int64
    nudge = np.where((a < 0) != (b < 0), 1 - (1 << 30), 1 << 30)
    s = p + nudge
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))  # C division truncates towards zero
    q = np.where((a == INT32_MIN) & (b == INT32_MIN), INT32_MAX, q)
    return _out(q, a if np.ndim(a) else b)


def doubling_high_mul_no_sat(a, b):
    """CMSIS-NN arm_nn_doubling_high_mult_no_sat: (a*b + 2**30) >> 31, wrapped to int32."""
    a = _i64(a)
    b = _i64(b)
    q = wrap32((a * b + (1 << 30)) >> 31)
    return _out(q, a if np.ndim(a) else b)


def rounding_divide_by_pot(x, exponent):
    """gemmlowp RoundingDivideByPOT / CMSIS-NN arm_nn_divide_by_power_of_two: x / 2**e rounded to
    nearest, ties away from zero; 0 <= e <= 31 (may be an array)."""
    x = _i64(x)
    e = _i64(exponent)
    mask = (np.int64(1) << e) - 1
    rem = x & mask
    q = x >> e
    threshold = (mask >> 1) + (q < 0)
    r = q + (rem > threshold)
    return _out(r, x if np.ndim(x) else e)


def multiply_by_quantized_multiplier(x, multiplier, shift):
    """CMSIS-NN arm_nn_requantize (default double rounding) = TFLite MultiplyByQuantizedMultiplier.

    x * 2**max(shift,0) wraps modulo 2**32 like the 32-bit multiply of the reference."""
    x = _i64(x)
    m = _i64(multiplier)
    s = _i64(shift)
    left = np.maximum(s, 0)
    right = np.maximum(-s, 0)
    xs = wrap32(wrap32(x) << left)
    r = rounding_divide_by_pot(doubling_high_mul_no_sat(xs, m), right)
    like = x if np.ndim(x) else (m if np.ndim(m) else s)
    return _out(_i64(r), like)


# ---------------------------------------------------------------------------------------------
# layer parameters (TFLite Prepare equivalents)


def _f32(x):
    """A float32 tensor scale widened to double, as TFLite does with static_cast<double>."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def conv_scale(input_scale, filter_scales, output_scale):
    """The real multiplier of Conv/DepthwiseConv/FullyConnected: double(in) * double(filter[c]) / double(out)."""
    eff = _f32(input_scale) * _f32(filter_scales) / _f32(output_scale)
    return eff if np.ndim(filter_scales) else float(eff)


def conv_multipliers(input_scale, filter_scales, output_scale):
    """Per-channel (or per-tensor) requantization of Conv/DepthwiseConv/FullyConnected:
    QuantizeMultiplier(double(in) * double(filter[c]) / double(out)). Returns int64 arrays
    (or ints for a scalar filter scale)."""
    return quantize_multiplier(conv_scale(input_scale, filter_scales, output_scale))


def requantize_scale(input_scale, output_scale):
    """The real multiplier of an int8 -> int8 rescale."""
    return float(_f32(input_scale) / _f32(output_scale))


def requantize_params(input_scale, output_scale):
    """int8 -> int8 rescale (gen_s8_requantize, and TFLite Mean's multiplier)."""
    return quantize_multiplier(requantize_scale(input_scale, output_scale))


reduce_mean_params = requantize_params


def quantize_value(f, scale, zero_point):
    """TFLite's quantize lambda in CalculateActivationRangeQuantized:
    zero_point + (int)TfLiteRound(f / scale) with float32 arithmetic."""
    v = np.float32(f) / np.float32(scale)
    return int(zero_point) + int(round_half_away(np.float32(v)))


def activation_range(activation, scale, zero_point, qmin=-128, qmax=127, clip_min=None, clip_max=None):
    """CalculateActivationRangeQuantized: (act_min, act_max) for a fused activation.

    activation: None / "none", "relu", "relu6", "relu_n1_to_1", or "clip" (with clip_min /
    clip_max floats, either may be None or infinite for no bound). The range is intersected with
    [qmin, qmax]."""
    a = (activation or "none").lower()
    if a == "none":
        lo, hi = None, None
    elif a == "relu":
        lo, hi = 0.0, None
    elif a == "relu6":
        lo, hi = 0.0, 6.0
    elif a == "relu_n1_to_1":
        lo, hi = -1.0, 1.0
    elif a == "clip":
        lo, hi = clip_min, clip_max
    else:
        raise ValueError(f"unknown activation {activation!r}")
    act_min, act_max = int(qmin), int(qmax)
    if lo is not None and math.isfinite(lo):
        act_min = max(act_min, quantize_value(lo, scale, zero_point))
    if hi is not None and math.isfinite(hi):
        act_max = min(act_max, quantize_value(hi, scale, zero_point))
    return act_min, act_max


def softmax_params(input_scale, beta=1.0, input_integer_bits=SOFTMAX_SCALED_DIFF_INTEGER_BITS):
    """int8 softmax parameters (mult, shift, diff_min) for arm_softmax_s8, as TFLite(-Micro)'s
    CalculateSoftmaxParams: PreprocessSoftmaxScaling (double-rounding max 2**31 - 1) and
    diff_min = -CalculateInputRadius(5, shift, 31). Output must be scale 1/256, zero point -128."""
    beta_d = float(np.float32(beta))
    real = min(beta_d * float(_f32(input_scale)) * float(1 << (31 - input_integer_bits)), float((1 << 31) - 1))
    mult, shift = quantize_multiplier_greater_than_one(real)
    radius = math.floor(
        1.0 * ((1 << input_integer_bits) - 1) * float(1 << (31 - input_integer_bits)) / float(1 << shift)
    )
    return mult, shift, -int(radius)


def add_params(scale1, zp1, scale2, zp2, out_scale, out_zp, left_shift=ADD_LEFT_SHIFT):
    """TFLite int8 Add prepare -> keyword arguments of arm_elementwise_add_s8 (minus activation):
    input_1_offset, input_1_mult, input_1_shift, input_2_..., left_shift, out_offset, out_mult,
    out_shift. Multipliers use 2 * max(scale1, scale2) as TFLite does. (TFLite requires every
    multiplier to be < 1; when the output multiplier is not, a positive shift is returned.)"""
    s1 = float(_f32(scale1))
    s2 = float(_f32(scale2))
    so = float(_f32(out_scale))
    twice_max = 2.0 * float(np.float64(max(np.float32(scale1), np.float32(scale2))))
    m1, sh1 = quantize_multiplier_smaller_than_one_exp(s1 / twice_max)
    m2, sh2 = quantize_multiplier_smaller_than_one_exp(s2 / twice_max)
    real_out = twice_max / (float(1 << left_shift) * so)
    if 0.0 < real_out < 1.0:
        mo, sho = quantize_multiplier_smaller_than_one_exp(real_out)
    else:
        mo, sho = quantize_multiplier(real_out)
    return dict(
        input_1_offset=-int(zp1),
        input_1_mult=m1,
        input_1_shift=sh1,
        input_2_offset=-int(zp2),
        input_2_mult=m2,
        input_2_shift=sh2,
        left_shift=int(left_shift),
        out_offset=int(out_zp),
        out_mult=mo,
        out_shift=sho,
    )


def mul_params(scale1, zp1, scale2, zp2, out_scale, out_zp):
    """TFLite int8 Mul prepare -> keyword arguments of arm_elementwise_mul_s8 (minus activation)."""
    real = float(_f32(scale1)) * float(_f32(scale2)) / float(_f32(out_scale))
    m, s = quantize_multiplier(real)
    return dict(
        input_1_offset=-int(zp1),
        input_2_offset=-int(zp2),
        out_offset=int(out_zp),
        out_mult=m,
        out_shift=s,
    )


# ---------------------------------------------------------------------------------------------
# lookup tables for gen_s8_lut


def _round(v, rounding):
    if rounding == "half_even":
        return np.rint(v)
    if rounding == "half_away":
        return round_half_away(v)
    raise ValueError(f"unknown rounding {rounding!r}")


def build_lut(fn, in_scale, in_zp, out_scale, out_zp, rounding="half_even", qmin=-128, qmax=127):
    """256-entry int8 table: table[q + 128] = quantize(fn(dequantize(q))).

    fn maps a float64 numpy array to float64 values."""
    q = np.arange(-128, 128, dtype=np.int32)
    x = ((q - np.int32(in_zp)).astype(np.float32) * np.float32(in_scale)).astype(np.float32)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        y = np.asarray(fn(x.astype(np.float64)), dtype=np.float64).astype(np.float32)
        v = (y / np.float32(out_scale)).astype(np.float32)
        v = np.where(np.isnan(v), np.float32(qmin - out_zp), v)
        v = np.clip(v, np.float32(qmin - out_zp), np.float32(qmax - out_zp))
    r = _round(v.astype(np.float64), rounding).astype(np.int64) + int(out_zp)
    return np.clip(r, qmin, qmax).astype(np.int8)


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def lut_sigmoid(in_scale, in_zp, out_scale, out_zp, rounding="half_even"):
    return build_lut(_sigmoid, in_scale, in_zp, out_scale, out_zp, rounding)


def lut_tanh(in_scale, in_zp, out_scale, out_zp, rounding="half_even"):
    return build_lut(np.tanh, in_scale, in_zp, out_scale, out_zp, rounding)


def lut_hardswish(in_scale, in_zp, out_scale, out_zp, rounding="half_even"):
    return build_lut(lambda x: x * np.clip(x + 3.0, 0.0, 6.0) / 6.0, in_scale, in_zp, out_scale, out_zp, rounding)


def lut_hardsigmoid(in_scale, in_zp, out_scale, out_zp, alpha=0.2, beta=0.5, rounding="half_even"):
    return build_lut(lambda x: np.clip(alpha * x + beta, 0.0, 1.0), in_scale, in_zp, out_scale, out_zp, rounding)


def lut_leaky_relu(in_scale, in_zp, out_scale, out_zp, alpha=0.01, rounding="half_even"):
    a = float(np.float32(alpha))
    return build_lut(lambda x: np.where(x >= 0, x, a * x), in_scale, in_zp, out_scale, out_zp, rounding)


def lut_elu(in_scale, in_zp, out_scale, out_zp, alpha=1.0, rounding="half_even"):
    return build_lut(lambda x: np.where(x >= 0, x, alpha * np.expm1(x)), in_scale, in_zp, out_scale, out_zp, rounding)


def lut_gelu(in_scale, in_zp, out_scale, out_zp, rounding="half_even"):
    erf = np.vectorize(math.erf, otypes=[np.float64])
    return build_lut(lambda x: 0.5 * x * (1.0 + erf(x / math.sqrt(2.0))), in_scale, in_zp, out_scale, out_zp, rounding)
