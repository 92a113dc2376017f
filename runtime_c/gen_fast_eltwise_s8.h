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
#ifdef GEN_FAST_MVE
    /* Helium: four elements a step, each input's table entries by one word gather (index x + 128 from the
     * table's start), the doubled sum s2 requantized by VRMULH (round(s2 * mult / 2^32), ties towards
     * +infinity: SMMULR), then the same rounding division and clamp as gen_fast_eltwise_out */
    {
        const int32x4_t vm = vdupq_n_s32(mult);
        for (; i + 4 <= n; i += 4)
        {
            const uint32x4_t a = vreinterpretq_u32_s32(vaddq_n_s32(vldrbq_s32(x1 + i), 128));
            const uint32x4_t b = vreinterpretq_u32_s32(vaddq_n_s32(vldrbq_s32(x2 + i), 128));
            const int32x4_t s2 = vaddq_s32(vldrwq_gather_shifted_offset_s32(t1 - 128, a),
                                           vldrwq_gather_shifted_offset_s32(t2 - 128, b));
            const int32x4_t r = vrmulhq_s32(s2, vm);
            const int32x4_t v = vshlq_r_s32(vaddq_n_s32(vaddq_s32(r, vshrq_n_s32(r, 31)), k), -e);
            if (act_min == -128 && act_max == 127)
            {
                vstrbq_s32(y + i, gen_fast_mve_dw_sat8(v));
            }
            else
            {
                vstrbq_s32(y + i, vminq_s32(vmaxq_s32(v, vdupq_n_s32(act_min)), vdupq_n_s32(act_max)));
            }
        }
    }
#endif
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

/* ---- pooling (arm_avgpool_s8 / arm_max_pool_s8, NHWC, batch 1): the geometry as literals ----
 * The window of output pixel (oy, ox) is clipped to the input as CMSIS-NN clips it; gen checks at
 * generation time that no window is empty. Four channels a step on DSP cores: the average sums one word
 * per pixel into two int16x2 lanes with SXTAB16 (exact: gen checks count * 128 <= 32767), the maximum
 * takes the larger bytes with SSUB8 + SEL. */

#ifdef GEN_NN_DSP
/* the larger (larger != 0) or the smaller of each signed byte of a and b */
GEN_FAST_INLINE int32_t gen_fast_minmax8x4(int32_t a, int32_t b, int32_t larger)
{
#if defined(__GNUC__)
    int32_t d, r;
    if (larger)
    {
        __asm__("ssub8 %[d], %[a], %[b]\n\t"
                "sel %[r], %[a], %[b]"
                : [d] "=&r"(d), [r] "=&r"(r)
                : [a] "r"(a), [b] "r"(b)
                : "cc");
    }
    else
    {
        __asm__("ssub8 %[d], %[a], %[b]\n\t"
                "sel %[r], %[b], %[a]"
                : [d] "=&r"(d), [r] "=&r"(r)
                : [a] "r"(a), [b] "r"(b)
                : "cc");
    }
    (void)d;
    return r;
#else
    uint32_t r = 0u;
    int32_t t;
    for (t = 0; t < 32; t += 8)
    {
        const int32_t u = (int32_t)(int8_t)(a >> t), v = (int32_t)(int8_t)(b >> t);
        r |= ((uint32_t)((u > v) == (larger != 0) ? u : v) & 0xFFu) << t;
    }
    return (int32_t)r;
#endif
}

/* an int8 value in all four bytes of a word */
GEN_FAST_INLINE int32_t gen_fast_dup8(int32_t v)
{
    return (int32_t)(((uint32_t)v & 0xFFu) * 0x01010101u);
}
#endif

/* sum rounded half away from zero over count, as arm_avgpool_s8 divides */
GEN_FAST_INLINE int32_t gen_fast_avg_div(int32_t sum, int32_t count)
{
    return sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
}

/* v clamped to [act_min, act_max] (one SSAT for int8's whole range on DSP cores) */
GEN_FAST_INLINE int8_t gen_fast_clamp8(int32_t v, int32_t act_min, int32_t act_max)
{
#ifdef GEN_NN_DSP
    if (act_min == -128 && act_max == 127)
    {
        return (int8_t)__ssat(v, 8);
    }
#endif
    return (int8_t)gen_nn_clamp(v, act_min, act_max);
}

GEN_FAST_INLINE void gen_fast_pool_s8(const int8_t *in, int8_t *out, int32_t avg, int32_t in_h, int32_t in_w,
                                      int32_t ch, int32_t out_h, int32_t out_w, int32_t k_h, int32_t k_w,
                                      int32_t s_h, int32_t s_w, int32_t p_h, int32_t p_w, int32_t act_min,
                                      int32_t act_max)
{
    int32_t oy, ox;
    for (oy = 0; oy < out_h; oy++)
    {
        const int32_t y0 = oy * s_h - p_h;
        const int32_t ky0 = gen_nn_max(0, -y0);
        const int32_t ky1 = gen_nn_min(k_h, in_h - y0);
        for (ox = 0; ox < out_w; ox++)
        {
            const int32_t x0 = ox * s_w - p_w;
            const int32_t kx0 = gen_nn_max(0, -x0);
            const int32_t kx1 = gen_nn_min(k_w, in_w - x0);
            const int32_t count = (ky1 - ky0) * (kx1 - kx0);
            const int8_t *win = in + ((size_t)(y0 + ky0) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)ch;
            int8_t *y = out + ((size_t)oy * (size_t)out_w + (size_t)ox) * (size_t)ch;
            int32_t c = 0;
#ifdef GEN_NN_DSP
            for (; c + 4 <= ch; c += 4)
            {
                int32_t se = 0, so = 0, m = gen_fast_dup8(-128);
                int32_t ky, kx;
                for (ky = 0; ky < ky1 - ky0; ky++)
                {
                    const int8_t *row = win + (size_t)ky * (size_t)in_w * (size_t)ch + (size_t)c;
                    GEN_FAST_UNROLL
                    for (kx = 0; kx < kx1 - kx0; kx++)
                    {
                        const int32_t v = gen_nn_read_s8x4(row + (size_t)kx * (size_t)ch);
                        if (avg)
                        {
                            se = __sxtab16(se, v);
                            so = gen_nn_sxtab16_ror8(so, v);
                        }
                        else
                        {
                            m = gen_fast_minmax8x4(m, v, 1);
                        }
                    }
                }
                if (avg)
                {
                    const int32_t r0 = gen_fast_avg_div((int16_t)se, count);
                    const int32_t r1 = gen_fast_avg_div((int16_t)so, count);
                    const int32_t r2 = gen_fast_avg_div(se >> 16, count);
                    const int32_t r3 = gen_fast_avg_div(so >> 16, count);
                    y[c] = gen_fast_clamp8(r0, act_min, act_max);
                    y[c + 1] = gen_fast_clamp8(r1, act_min, act_max);
                    y[c + 2] = gen_fast_clamp8(r2, act_min, act_max);
                    y[c + 3] = gen_fast_clamp8(r3, act_min, act_max);
                }
                else
                {
                    if (act_min > -128)
                    {
                        m = gen_fast_minmax8x4(m, gen_fast_dup8(act_min), 1);
                    }
                    if (act_max < 127)
                    {
                        m = gen_fast_minmax8x4(m, gen_fast_dup8(act_max), 0);
                    }
                    memcpy(y + c, &m, sizeof m);
                }
            }
#endif
            for (; c < ch; c++)
            {
                int32_t sum = 0, m = win[c];
                int32_t ky, kx;
                for (ky = 0; ky < ky1 - ky0; ky++)
                {
                    for (kx = 0; kx < kx1 - kx0; kx++)
                    {
                        const int32_t v = win[((size_t)ky * (size_t)in_w + (size_t)kx) * (size_t)ch + (size_t)c];
                        sum += v;
                        m = v > m ? v : m;
                    }
                }
                y[c] = gen_fast_clamp8(avg ? gen_fast_avg_div(sum, count) : m, act_min, act_max);
            }
        }
    }
}

/* ---- channels first <-> channels last of int8 data (the boundary's layout change), the shape as literals:
 * n images of c channels by hw positions; to_last: [n][c][hw] -> [n][hw][c], else back. The channel loop
 * is the inner one either way (unrolled), so every position's channels are read or written together. */
GEN_FAST_INLINE void gen_fast_chlast_s8(const int8_t *in, int8_t *out, int32_t n, int32_t c, int32_t hw,
                                        int32_t to_last)
{
    int32_t b, p, k;
#ifdef GEN_FAST_MVE
    if (15 * c <= 255) /* Helium: sixteen positions of a channel a step, one contiguous access, one byte
                          gather or scatter */
    {
        const uint8x16_t offs = vmulq_n_u8(vidupq_n_u8(0, 1), (uint8_t)c);
        for (b = 0; b < n; b++)
        {
            const int8_t *x = in + (size_t)b * (size_t)c * (size_t)hw;
            int8_t *y = out + (size_t)b * (size_t)c * (size_t)hw;
            for (p = 0; p + 16 <= hw; p += 16)
            {
                GEN_FAST_UNROLL
                for (k = 0; k < c; k++)
                {
                    if (to_last)
                    {
                        vstrbq_scatter_offset_s8(y + (size_t)p * (size_t)c + (size_t)k, offs,
                                                 vldrbq_s8(x + (size_t)k * (size_t)hw + (size_t)p));
                    }
                    else
                    {
                        vstrbq_s8(y + (size_t)k * (size_t)hw + (size_t)p,
                                  vldrbq_gather_offset_s8(x + (size_t)p * (size_t)c + (size_t)k, offs));
                    }
                }
            }
            if (p < hw)
            {
                const mve_pred16_t pr = vctp8q((uint32_t)(hw - p));
                for (k = 0; k < c; k++)
                {
                    if (to_last)
                    {
                        vstrbq_scatter_offset_p_s8(y + (size_t)p * (size_t)c + (size_t)k, offs,
                                                   vldrbq_z_s8(x + (size_t)k * (size_t)hw + (size_t)p, pr), pr);
                    }
                    else
                    {
                        vstrbq_p_s8(y + (size_t)k * (size_t)hw + (size_t)p,
                                    vldrbq_gather_offset_z_s8(x + (size_t)p * (size_t)c + (size_t)k, offs, pr), pr);
                    }
                }
            }
        }
        return;
    }
#endif
    for (b = 0; b < n; b++)
    {
        const int8_t *x = in + (size_t)b * (size_t)c * (size_t)hw;
        int8_t *y = out + (size_t)b * (size_t)c * (size_t)hw;
        for (p = 0; p < hw; p++)
        {
            GEN_FAST_UNROLL
            for (k = 0; k < c; k++)
            {
                if (to_last)
                {
                    y[(size_t)p * (size_t)c + (size_t)k] = x[(size_t)k * (size_t)hw + (size_t)p];
                }
                else
                {
                    y[(size_t)k * (size_t)hw + (size_t)p] = x[(size_t)p * (size_t)c + (size_t)k];
                }
            }
        }
    }
}

#endif /* GEN_FAST_ELTWISE_S8_H */
