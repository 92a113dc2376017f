/* gen_fast_eltwise_s8.h - gen's layer-specialized int8 elementwise kernels (written for gen).
 *
 * Add (TFLite / CMSIS-NN arm_elementwise_add_s8, bit-exact): each input's requantization
 * requant((x + offset) << left_shift, mult, shift) depends on one int8 value only, so gen computes it
 * at generation time for all 256 values (gen/ops/fast_eltwise.py): one int32 table per input, doubled
 * (2a), pointed at its middle (t[x] for x in [-128, 127]). The kernel adds two table entries and
 * requantizes the sum once with the output multiplier and shift as literals:
 *   r = round(s * mult / 2^31) (s = a + b, |s| < 2^30 checked at generation time) = SMMULR(2s, mult)
 *   out = (r + (r >> 31) + k) >> e, k = 2^(e-1) + out_offset * 2^e (e = -out_shift >= 1): the rounding
 *   division of gen_nn_divide_by_pot (half away from zero) with the output offset added (no overflow:
 *   checked at generation time), then the activation clamp (one SSAT with the shift for int8's range).
 * Mul (arm_elementwise_mul_s8): the product of the offset inputs (|p| <= 2^16) the same way.
 * Every path (DSP cores, portable C) computes these same formulas, so the bits are the same.
 */
#ifndef GEN_FAST_ELTWISE_S8_H
#define GEN_FAST_ELTWISE_S8_H

#include "gen_fast_s8.h"

/* round(s2 * mult / 2^32) with ties towards +infinity: SMMULR; s2 = 2s gives gen_nn_doubling_high_mul_nosat(s, mult) */
GEN_FAST_INLINE int32_t gen_fast_smmulr(int32_t s2, int32_t mult)
{
#if defined(GEN_NN_DSP) && defined(__GNUC__)
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(s2), "r"(mult));
    return r;
#else
    return (int32_t)(((int64_t)s2 * (int64_t)mult + ((int64_t)1 << 31)) >> 32);
#endif
}

/* the requantized doubled sum s2, the output offset added and clamped (the constants are literals) */
GEN_FAST_INLINE int8_t gen_fast_eltwise_out(int32_t s2, int32_t mult, int32_t e, int32_t k, int32_t act_min,
                                            int32_t act_max)
{
    const int32_t r = gen_fast_smmulr(s2, mult);
    const int32_t v = (r + (r >> 31) + k) >> e;
#ifdef GEN_NN_DSP
    if (act_min == -128 && act_max == 127)
    {
        return (int8_t)__ssat(v, 8);
    }
    if (act_max == 127)
    {
        return (int8_t)gen_nn_max(__ssat(v, 8), act_min);
    }
#endif
    return (int8_t)gen_nn_clamp(v, act_min, act_max);
}

/* y[i] = add(x1[i], x2[i]) for n elements; t1, t2: the inputs' doubled requantization tables, at their
 * middle (index -128..127). Four elements a step: one word of each input, each byte's table entry. */
GEN_FAST_INLINE void gen_fast_add_s8(const int8_t *x1, const int8_t *x2, int8_t *y, const int32_t *t1,
                                     const int32_t *t2, int32_t n, int32_t mult, int32_t e, int32_t k,
                                     int32_t act_min, int32_t act_max)
{
    int32_t i = 0;
#ifdef GEN_NN_DSP
    for (; i + 4 <= n; i += 4)
    {
        const int32_t a = gen_nn_read_s8x4(x1 + i);
        const int32_t b = gen_nn_read_s8x4(x2 + i);
        const int8_t r0 = gen_fast_eltwise_out(t1[(int8_t)a] + t2[(int8_t)b], mult, e, k, act_min, act_max);
        const int8_t r1 = gen_fast_eltwise_out(t1[(int8_t)(a >> 8)] + t2[(int8_t)(b >> 8)], mult, e, k, act_min,
                                               act_max);
        const int8_t r2 = gen_fast_eltwise_out(t1[(int8_t)(a >> 16)] + t2[(int8_t)(b >> 16)], mult, e, k, act_min,
                                               act_max);
        const int8_t r3 = gen_fast_eltwise_out(t1[a >> 24] + t2[b >> 24], mult, e, k, act_min, act_max);
        y[i] = r0;
        y[i + 1] = r1;
        y[i + 2] = r2;
        y[i + 3] = r3;
    }
#endif
    for (; i < n; i++)
    {
        y[i] = gen_fast_eltwise_out(t1[x1[i]] + t2[x2[i]], mult, e, k, act_min, act_max);
    }
}

/* y[i] = requant((x1[i] + off1) * (x2[i] + off2)) for n elements (offsets in [-127, 128]) */
GEN_FAST_INLINE void gen_fast_mul_s8(const int8_t *x1, const int8_t *x2, int8_t *y, int32_t off1, int32_t off2,
                                     int32_t n, int32_t mult, int32_t e, int32_t k, int32_t act_min, int32_t act_max)
{
    int32_t i = 0;
#ifdef GEN_NN_DSP
    const int32_t o1 = gen_nn_dup16(off1), o2 = gen_nn_dup16(off2);
    for (; i + 4 <= n; i += 4)
    {
        const int32_t a = gen_nn_read_s8x4(x1 + i);
        const int32_t b = gen_nn_read_s8x4(x2 + i);
        const int32_t ae = __sxtab16(o1, a), ao = gen_nn_sxtab16_ror8(o1, a);
        const int32_t be = __sxtab16(o2, b), bo = gen_nn_sxtab16_ror8(o2, b);
        const int8_t r0 = gen_fast_eltwise_out(2 * ((int32_t)(int16_t)ae * (int16_t)be), mult, e, k, act_min, act_max);
        const int8_t r1 = gen_fast_eltwise_out(2 * ((int32_t)(int16_t)ao * (int16_t)bo), mult, e, k, act_min, act_max);
        const int8_t r2 = gen_fast_eltwise_out(2 * ((ae >> 16) * (be >> 16)), mult, e, k, act_min, act_max);
        const int8_t r3 = gen_fast_eltwise_out(2 * ((ao >> 16) * (bo >> 16)), mult, e, k, act_min, act_max);
        y[i] = r0;
        y[i + 1] = r1;
        y[i + 2] = r2;
        y[i + 3] = r3;
    }
#endif
    for (; i < n; i++)
    {
        y[i] = gen_fast_eltwise_out(2 * ((x1[i] + off1) * (x2[i] + off2)), mult, e, k, act_min, act_max);
    }
}

#endif /* GEN_FAST_ELTWISE_S8_H */
