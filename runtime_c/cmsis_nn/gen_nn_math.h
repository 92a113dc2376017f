/* gen_nn_math.h - fixed-point helpers shared by gen's portable int8 kernels (written for gen).
 *
 * All helpers reproduce, bit for bit, the integer arithmetic of CMSIS-NN v7.0.0 built without
 * CMSIS_NN_USE_SINGLE_ROUNDING (the default "double rounding" scheme, same as TFLite's reference
 * MultiplyByQuantizedMultiplier). Where the reference arithmetic overflows 32 bits it wraps
 * modulo 2^32 on every Arm core; we compute in 64 bits and wrap explicitly, which avoids
 * undefined behaviour in C while giving the same bits.
 * Relies on two implementation-defined behaviours that every C compiler for Arm and x86 has:
 * arithmetic right shift of negative values and modulo conversion to a signed type.
 */
#ifndef GEN_NN_MATH_H
#define GEN_NN_MATH_H

#include <stdint.h>

#define GEN_NN_Q31_MAX ((int32_t)0x7FFFFFFF)
#define GEN_NN_Q31_MIN ((int32_t)(-0x7FFFFFFF - 1))

static inline int32_t gen_nn_wrap32(int64_t v)
{
    return (int32_t)(uint32_t)(uint64_t)v;
}

static inline int32_t gen_nn_min(int32_t a, int32_t b)
{
    return a < b ? a : b;
}

static inline int32_t gen_nn_max(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

static inline int32_t gen_nn_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return gen_nn_min(gen_nn_max(v, lo), hi);
}

/* a * 2^s for 0 <= s <= 31, wrapping like a 32-bit multiply. */
static inline int32_t gen_nn_shl_wrap(int32_t a, int32_t s)
{
    return (int32_t)((uint32_t)a << s);
}

/* round(a * b / 2^31) with ties towards +infinity, no saturation (result wraps when a == b == INT32_MIN). */
static inline int32_t gen_nn_doubling_high_mul_nosat(int32_t a, int32_t b)
{
    const int64_t p = (int64_t)a * (int64_t)b + ((int64_t)1 << 30);
    return gen_nn_wrap32(p >> 31);
}

/* Saturating rounding doubling high multiply (gemmlowp/NEON VQRDMULH semantics). */
static inline int32_t gen_nn_doubling_high_mul_sat(int32_t a, int32_t b)
{
    int64_t p;
    if (a == GEN_NN_Q31_MIN && b == GEN_NN_Q31_MIN)
    {
        return GEN_NN_Q31_MAX;
    }
    p = (int64_t)a * (int64_t)b;
    p += ((a < 0) != (b < 0)) ? (1 - ((int64_t)1 << 30)) : ((int64_t)1 << 30);
    return (int32_t)(p / ((int64_t)1 << 31)); /* C division truncates towards zero */
}

/* round(x / 2^e), ties away from zero, 0 <= e <= 31. */
static inline int32_t gen_nn_divide_by_pot(int32_t x, int32_t e)
{
    const int32_t mask = (int32_t)(((uint32_t)1 << e) - 1u);
    const int32_t rem = x & mask;
    const int32_t q = x >> e;
    const int32_t threshold = (mask >> 1) + (q < 0 ? 1 : 0);
    return q + (rem > threshold ? 1 : 0);
}

/* x * multiplier * 2^shift with double rounding; shift in [-31, 31]. */
static inline int32_t gen_nn_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return gen_nn_divide_by_pot(gen_nn_doubling_high_mul_nosat(gen_nn_shl_wrap(x, left), multiplier), right);
}

/* gen_nn_requantize for shift < 0 (e = -shift >= 1) with both roundings folded into one 64-bit
 * multiply-accumulate (SMULL + 2^30 then the rounding division become one SMLAL and one shift):
 * with r = floor((P + 2^30) / 2^31), P = x * multiplier, the result is
 * floor((r - [r < 0] + 2^(e-1)) / 2^e) = floor((P + 2^30 + (2^(e-1) - [r < 0]) * 2^31) / 2^(31+e))
 * (nested floor divisions). [r < 0] may be replaced by [P < 0]: they differ only when r == 0, and
 * then both give 0. [P < 0] is taken as the sign of x ^ multiplier (wrong only when x or the
 * multiplier is 0, where P == 0 and r == 0 again). e1 = e - 1, c0 = 2^(e-1).
 * Same bits as gen_nn_requantize except for x == multiplier == INT32_MIN, where the reference
 * wraps (a negative multiplier is no valid CMSIS-NN quantization). */
static inline int32_t gen_nn_requant_rshift(int32_t x, int32_t multiplier, int32_t e1, int32_t c0)
{
    const int32_t c = c0 + ((x ^ multiplier) >> 31); /* 2^(e-1) - [P < 0], in [0, 2^30] */
    const uint32_t lo = ((uint32_t)c << 31) | 0x40000000u;
    const uint32_t hi = (uint32_t)(c >> 1);
    const int64_t acc = (int64_t)(((uint64_t)hi << 32) | lo) + (int64_t)x * (int64_t)multiplier;
    return (int32_t)(uint32_t)((uint64_t)acc >> 32) >> e1;
}

static inline int32_t gen_nn_add_wrap(int32_t a, int32_t b)
{
    return gen_nn_wrap32((int64_t)a + (int64_t)b);
}

static inline int32_t gen_nn_sub_wrap(int32_t a, int32_t b)
{
    return gen_nn_wrap32((int64_t)a - (int64_t)b);
}

/* x * 2^e saturated to int32 (the threshold test is the one the softmax reference uses). */
static inline int32_t gen_nn_mult_by_pot_sat(int32_t x, int32_t e)
{
    const int32_t thresh = (int32_t)(((uint32_t)1 << (31 - e)) - 1u);
    if (x > thresh)
    {
        return GEN_NN_Q31_MAX;
    }
    if (x < -thresh)
    {
        return GEN_NN_Q31_MIN;
    }
    return gen_nn_shl_wrap(x, e);
}

/* exp(x) for x <= 0, x in Q5.26, result in Q0.31 (gemmlowp's exp_on_negative_values with
 * 5 integer bits): a 4th order polynomial around -1/8 on the fractional part, then one
 * multiplication by a constant exp(-2^k) for every set bit k of the integer part. */
static inline int32_t gen_nn_exp_on_negative_values(int32_t x)
{
    static const int32_t k_exp_neg_pow2[7] = {
        1672461947, /* exp(-1/4) in Q0.31 */
        1302514674, /* exp(-1/2) */
        790015084,  /* exp(-1)   */
        290630308,  /* exp(-2)   */
        39332535,   /* exp(-4)   */
        720401,     /* exp(-8)   */
        242         /* exp(-16)  */
    };
    const int32_t k_exp_minus_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
    const int32_t k_one_third = 715827883;         /* 1/3 in Q0.31 */
    const int32_t quarter = (int32_t)1 << 24;      /* 1/4 in Q5.26 */
    const int32_t frac_minus_quarter = (x & (quarter - 1)) - quarter;
    const int32_t int_part = frac_minus_quarter - x; /* the multiples of 1/4 to apply: >= 0 */
    const int32_t t = frac_minus_quarter * 32 + ((int32_t)1 << 28); /* Q0.31, in [-1/8, 1/8) */
    const int32_t t2 = gen_nn_doubling_high_mul_sat(t, t);
    const int32_t t3 = gen_nn_doubling_high_mul_sat(t2, t);
    const int32_t t4 = gen_nn_doubling_high_mul_sat(t2, t2);
    const int32_t t4_over_4 = gen_nn_divide_by_pot(t4, 2);
    const int32_t poly_tail = gen_nn_divide_by_pot(
        gen_nn_add_wrap(gen_nn_doubling_high_mul_sat(gen_nn_add_wrap(t4_over_4, t3), k_one_third), t2), 1);
    int32_t result = gen_nn_add_wrap(k_exp_minus_eighth,
                                     gen_nn_doubling_high_mul_sat(k_exp_minus_eighth, gen_nn_add_wrap(t, poly_tail)));
    int32_t k;
    for (k = 0; k < 7; k++)
    {
        if (int_part & ((int32_t)1 << (24 + k)))
        {
            result = gen_nn_doubling_high_mul_sat(result, k_exp_neg_pow2[k]);
        }
    }
    return x == 0 ? GEN_NN_Q31_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1) in Q0.31; result in Q1.30 then doubled to Q0.31 scale of 1/2..1
 * (gemmlowp's one_over_one_plus_x_for_x_in_0_1: Newton-Raphson on the half denominator). */
static inline int32_t gen_nn_one_over_one_plus_x(int32_t x)
{
    const int64_t sum = (int64_t)x + (int64_t)GEN_NN_Q31_MAX;
    const int32_t half_den = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t k48_over_17 = 1515870810;
    const int32_t k_neg_32_over_17 = -1010580540;
    const int32_t one_q29 = (int32_t)1 << 29;
    int32_t r = gen_nn_add_wrap(k48_over_17, gen_nn_doubling_high_mul_sat(half_den, k_neg_32_over_17));
    int32_t i;
    for (i = 0; i < 3; i++)
    {
        const int32_t err = gen_nn_sub_wrap(one_q29, gen_nn_doubling_high_mul_sat(half_den, r));
        r = gen_nn_add_wrap(r, gen_nn_mult_by_pot_sat(gen_nn_doubling_high_mul_sat(r, err), 2));
    }
    return gen_nn_mult_by_pot_sat(r, 1);
}

/* Number of leading zero bits, 32 for 0. */
static inline int32_t gen_nn_clz(uint32_t v)
{
    int32_t n = 0;
    if (v == 0u)
    {
        return 32;
    }
    while ((v & 0x80000000u) == 0u)
    {
        v <<= 1;
        n++;
    }
    return n;
}

/* ---- Cortex-M DSP extension (M4, M7, M33, M55, ...): helpers of the SIMD kernel paths ----
 *
 * The kernels keep int8 data packed four to a word and widen it with SXTB16 / SXTAB16 into two
 * int16x2 words: lanes (b0, b2) and (b1, b3). SMLAD then adds two 16x16 products to a 32-bit
 * accumulator, wrapping modulo 2^32 like the reference (the Q flag it may set is never read).
 * SXTAB16 adds an int16 pair while widening, which applies the input offset for free: an int8
 * value plus an offset in [-128, 128] (or a zero point in [-128, 127]) always fits an int16 lane.
 */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#define GEN_NN_DSP 1
#include <arm_acle.h>
#include <string.h>

/* four int8 from any address (one LDR: Armv7E-M/Armv8-M Mainline allow unaligned LDR) */
static inline int32_t gen_nn_read_s8x4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* two int16 from any 2-byte aligned address */
static inline int32_t gen_nn_read_s16x2(const int16_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void gen_nn_write_s16x2(int16_t *p, int32_t v)
{
    memcpy(p, &v, sizeof v);
}

static inline int32_t gen_nn_ror8(int32_t v)
{
    const uint32_t u = (uint32_t)v;
    return (int32_t)((u >> 8) | (u << 24));
}

/* SXTB16 / SXTAB16 of the word rotated right by 8: lanes (b1, b3). GCC (12) does not fold a
 * rotate into these instructions' operand, so with GCC-compatible compilers it is written out. */
#if defined(__GNUC__)
static inline int32_t gen_nn_sxtb16_ror8(int32_t v)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}

static inline int32_t gen_nn_sxtab16_ror8(int32_t a, int32_t v)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
    return r;
}
#else
static inline int32_t gen_nn_sxtb16_ror8(int32_t v)
{
    return __sxtb16(gen_nn_ror8(v));
}

static inline int32_t gen_nn_sxtab16_ror8(int32_t a, int32_t v)
{
    return __sxtab16(a, gen_nn_ror8(v));
}
#endif

/* an int16 value in both lanes of a word */
static inline int32_t gen_nn_dup16(int32_t v)
{
    return (int32_t)(((uint32_t)v & 0xFFFFu) * 0x10001u);
}

/* gen_nn_requantize on DSP cores: right shifts through gen_nn_requant_rshift (one SMLAL and one
 * shift, see there), left shifts with the single rounding of the high multiply. */
static inline int32_t gen_nn_requantize_dsp(int32_t x, int32_t multiplier, int32_t shift)
{
    if (shift < 0)
    {
        const int32_t e1 = -shift - 1;
        return gen_nn_requant_rshift(x, multiplier, e1, (int32_t)((uint32_t)1 << e1));
    }
    x = gen_nn_shl_wrap(x, shift);
    return gen_nn_wrap32(((int64_t)x * (int64_t)multiplier + ((int64_t)1 << 30)) >> 31);
}

/* requantize, add the output offset, clamp (one SSAT for the full int8 range) */
static inline int8_t gen_nn_requant_out(int32_t acc, int32_t mult, int32_t shift, int32_t out_off, int32_t act_min,
                                        int32_t act_max)
{
    const int32_t r = gen_nn_requantize_dsp(acc, mult, shift) + out_off;
    if (act_min == -128 && act_max == 127)
    {
        return (int8_t)__ssat(r, 8);
    }
    return (int8_t)gen_nn_clamp(r, act_min, act_max);
}
#endif /* __ARM_FEATURE_DSP */

#endif /* GEN_NN_MATH_H */
