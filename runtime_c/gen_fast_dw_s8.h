/* gen_fast_dw_s8.h - gen's layer-specialized depthwise int8 kernel (written for gen).
 *
 * A 3x3 depthwise convolution with one output channel per input channel (any stride, any padding,
 * dilation 1), called from one static wrapper per distinct layer shape with the shape as literals
 * (gen/ops/fast_dw.py). What is done at generation time:
 *   - the input offset term off * sum(w) joins the bias (gen_fast_rq, as for the pointwise kernel);
 *     the padding is then the input zero point (-off), whose offset-corrected value is 0;
 *   - the weights stored channel by channel, one word of three int8 per kernel row (12 bytes a
 *     channel); the kernel makes each channel's six int16 pairs, per kernel row (w0, w1) and (w1, w2),
 *     once per channel.
 * At run time one channel at a time: each of its input rows is widened once to int16, the padding
 * written as the input zero point, so that there is no border path: a small plane (at most
 * fast_dw.PLANE_BYTES) all at once, else into a ring of three rows, each row written twice so that
 * any three consecutive rows are contiguous (arena scratch either way). Two output columns a step,
 * each kernel row being one SMLAD (two taps) and one SMLABT/SMLATB (the third), the two columns
 * sharing their input words; the channel's weights and requantization constants stay in registers
 * for the whole plane.
 * The portable path runs the same steps with the same words (host builds and tests check it);
 * bit-exact with CMSIS-NN's depthwise kernels (gen_fast_out, gen_fast_dw_out).
 */
#ifndef GEN_FAST_DW_S8_H
#define GEN_FAST_DW_S8_H

#include "gen_fast_s8.h"

#ifdef GEN_NN_DSP
#define GEN_FAST_DW_SMLAD(A, B, C) __smlad((A), (B), (C))
#define GEN_FAST_DW_SMLABT(A, B, C) __smlabt((A), (B), (C))
#define GEN_FAST_DW_SMLATB(A, B, C) __smlatb((A), (B), (C))
#else
GEN_FAST_INLINE int32_t gen_fast_dw_lo(int32_t v)
{
    return (int32_t)(int16_t)(uint16_t)((uint32_t)v & 0xFFFFu);
}

GEN_FAST_INLINE int32_t gen_fast_dw_hi(int32_t v)
{
    return (int32_t)(int16_t)(uint16_t)((uint32_t)v >> 16);
}

#define GEN_FAST_DW_SMLAD(A, B, C)                                                                          \
    ((C) + gen_fast_dw_lo(A) * gen_fast_dw_lo(B) + gen_fast_dw_hi(A) * gen_fast_dw_hi(B))
#define GEN_FAST_DW_SMLABT(A, B, C) ((C) + gen_fast_dw_lo(A) * gen_fast_dw_hi(B))
#define GEN_FAST_DW_SMLATB(A, B, C) ((C) + gen_fast_dw_hi(A) * gen_fast_dw_lo(B))
#endif

/* gen_fast_out for a layer whose multipliers are all >= 0 (gen/ops/fast_dw.py checks it; CMSIS-NN's
 * are): the sign of x * multiplier that gen_nn_requant_rshift takes from x ^ multiplier is then x's
 * (when the multiplier is 0 both give 0: the correction is below the rounding) */
GEN_FAST_INLINE int8_t gen_fast_dw_out(int32_t acc, gen_fast_rq q, int32_t rshift, int32_t out_off, int32_t act_min,
                                       int32_t act_max)
{
#ifdef GEN_NN_DSP
    if (rshift)
    {
        int32_t r;
        if (rshift == 2)
        {
            r = gen_fast_requant_rshift2(acc, q.mult, q.e1, q.c0) + out_off;
        }
        else
        {
            const int32_t c = q.c0 + (acc >> 31);
            const uint32_t lo = ((uint32_t)c << 31) | 0x40000000u;
            const uint32_t hi = (uint32_t)(c >> 1);
            const int64_t a = (int64_t)(((uint64_t)hi << 32) | lo) + (int64_t)acc * (int64_t)q.mult;
            r = ((int32_t)(uint32_t)((uint64_t)a >> 32) >> q.e1) + out_off;
        }
        if (act_min == -128 && act_max == 127)
        {
            return (int8_t)__ssat(r, 8);
        }
        if (act_max == 127)
        {
            return (int8_t)gen_nn_max(__ssat(r, 8), act_min);
        }
        return (int8_t)gen_nn_clamp(r, act_min, act_max);
    }
#endif
    return gen_fast_out(acc, q, rshift, out_off, act_min, act_max);
}

/* two int16 as one word: lo | hi << 16 (PKHBT: GCC 12 writes UXTH and ORR) */
GEN_FAST_INLINE int32_t gen_fast_dw_pair(int32_t lo, int32_t hi)
{
#if defined(GEN_NN_DSP) && defined(__GNUC__)
    int32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
#else
    return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
#endif
}

/* one kernel row of an output whose window starts at column b of a widened row R (words: column pairs
 * (2i, 2i + 1)); W01 = (w0, w1), W12 = (w1, w2).
 * b even: (x_b, x_b+1) . W01 + x_b+2 * w2; b odd: (x_b+1, x_b+2) . W12 + x_b * w0 */
#define GEN_FAST_DW_TAP3(R, B, W01, W12, S)                                                                 \
    do                                                                                                      \
    {                                                                                                       \
        if (((B)&1) == 0)                                                                                   \
        {                                                                                                   \
            S = GEN_FAST_DW_SMLAD((R)[(B) >> 1], W01, S);                                                   \
            S = GEN_FAST_DW_SMLABT((R)[((B) >> 1) + 1], W12, S);                                            \
        }                                                                                                   \
        else                                                                                                \
        {                                                                                                   \
            S = GEN_FAST_DW_SMLAD((R)[((B) >> 1) + 1], W12, S);                                             \
            S = GEN_FAST_DW_SMLATB((R)[(B) >> 1], W01, S);                                                  \
        }                                                                                                   \
    } while (0)

/* row r of channel x (x = the input's channel, its columns c apart; the zero point outside the input)
 * widened into wb / 2 words at d0 and (twice) at d1: column j (input column j - pl) in half j & 1 of word j / 2 */
GEN_FAST_INLINE void gen_fast_dw_row(const int8_t *x, int32_t r, int32_t h, int32_t w, int32_t c, int32_t pl,
                                     int32_t wb, int32_t zp, int32_t *d0, int32_t *d1, int32_t twice)
{
    const int32_t zz = gen_fast_dw_pair(zp, zp);
    int32_t j;
    if (r < 0 || r >= h)
    {
        for (j = 0; j < wb; j += 2)
        {
            d0[j >> 1] = zz;
            if (twice)
            {
                d1[j >> 1] = zz;
            }
        }
        return;
    }
    x += (size_t)r * (size_t)w * (size_t)c;
#define GEN_FAST_DW_COL(J) ((J) >= pl && (J) < pl + w ? (int32_t)x[(size_t)((J)-pl) * (size_t)c] : zp)
    if (wb <= 32)
    {
        GEN_FAST_UNROLL
        for (j = 0; j < wb; j += 2)
        {
            const int32_t v = gen_fast_dw_pair(GEN_FAST_DW_COL(j), GEN_FAST_DW_COL(j + 1));
            d0[j >> 1] = v;
            if (twice)
            {
                d1[j >> 1] = v;
            }
        }
    }
    else
    {
        /* the borders, then the columns inside the input two at a time */
        const int32_t j0 = ((pl + 1) & ~1) < wb ? ((pl + 1) & ~1) : wb; /* first pair inside */
        const int32_t j1e = (pl + w) < wb ? ((pl + w) & ~1) : wb;
        const int32_t j1 = j1e > j0 ? j1e : j0; /* end of the pairs inside */
        for (j = 0; j < j0; j += 2)
        {
            const int32_t v = gen_fast_dw_pair(GEN_FAST_DW_COL(j), GEN_FAST_DW_COL(j + 1));
            d0[j >> 1] = v;
            if (twice)
            {
                d1[j >> 1] = v;
            }
        }
        {
            const int8_t *xj = x + (size_t)(j - pl) * (size_t)c;
            int32_t *e0 = d0 + (j >> 1), *e1 = d1 + (j >> 1);
            for (; j + 8 <= j1; j += 8)
            {
                const int32_t v0 = gen_fast_dw_pair(xj[0], xj[c]);
                const int32_t v1 = gen_fast_dw_pair(xj[2 * c], xj[3 * c]);
                const int32_t v2 = gen_fast_dw_pair(xj[4 * c], xj[5 * c]);
                const int32_t v3 = gen_fast_dw_pair(xj[6 * c], xj[7 * c]);
                e0[0] = v0;
                if (twice)
                {
                    e1[0] = v0;
                }
                e0[1] = v1;
                if (twice)
                {
                    e1[1] = v1;
                }
                e0[2] = v2;
                if (twice)
                {
                    e1[2] = v2;
                }
                e0[3] = v3;
                if (twice)
                {
                    e1[3] = v3;
                }
                xj += 8 * c;
                e0 += 4;
                e1 += 4;
            }
            for (; j < j1; j += 2)
            {
                const int32_t v = gen_fast_dw_pair(xj[0], xj[c]);
                *e0++ = v;
                if (twice)
                {
                    *e1++ = v;
                }
                xj += 2 * c;
            }
        }
        for (; j < wb; j += 2)
        {
            const int32_t v = gen_fast_dw_pair(GEN_FAST_DW_COL(j), GEN_FAST_DW_COL(j + 1));
            d0[j >> 1] = v;
            if (twice)
            {
                d1[j >> 1] = v;
            }
        }
    }
#undef GEN_FAST_DW_COL
}

/* one kernel row's word V of int8 (w0, w1, w2, 0) -> the pairs W01 = (w0, w1), W12 = (w1, w2) */
#ifdef GEN_NN_DSP
#define GEN_FAST_DW_WROW(V, W01, W12)                                                                       \
    do                                                                                                      \
    {                                                                                                       \
        const int32_t e_ = __sxtb16(V), o_ = gen_nn_sxtb16_ror8(V);                                         \
        W01 = gen_fast_dw_pair(e_, o_);                                                                     \
        W12 = (int32_t)(((uint32_t)o_ & 0xFFFFu) | ((uint32_t)e_ & 0xFFFF0000u));                          \
    } while (0)
#else
#define GEN_FAST_DW_WROW(V, W01, W12)                                                                       \
    do                                                                                                      \
    {                                                                                                       \
        W01 = gen_fast_dw_pair(gen_fast_byte(V, 0), gen_fast_byte(V, 1));                                   \
        W12 = gen_fast_dw_pair(gen_fast_byte(V, 1), gen_fast_byte(V, 2));                                   \
    } while (0)
#endif

/* the width of a widened row: the windows' columns, plus one (the even-column words), even */
#define GEN_FAST_DW_WB(OW, SW) ((((OW)-1) * (SW) + 4 + 1) & ~1)

/* two outputs (window columns b, b + sw) or one, of the three widened rows at P (rows WBW words apart) */
#define GEN_FAST_DW_PAIR(P, WBW, B, SW, S0, S1)                                                             \
    do                                                                                                      \
    {                                                                                                       \
        GEN_FAST_DW_TAP3((P), B, a01, a12, S0);                                                             \
        GEN_FAST_DW_TAP3((P), (B) + (SW), a01, a12, S1);                                                    \
        GEN_FAST_DW_TAP3((P) + (WBW), B, b01, b12, S0);                                                     \
        GEN_FAST_DW_TAP3((P) + (WBW), (B) + (SW), b01, b12, S1);                                            \
        GEN_FAST_DW_TAP3((P) + 2 * (WBW), B, c01, c12, S0);                                                 \
        GEN_FAST_DW_TAP3((P) + 2 * (WBW), (B) + (SW), c01, c12, S1);                                        \
    } while (0)

/* 3x3 depthwise convolution, one output channel per input channel: in [h][w][c], out [oh][ow][c] (NHWC,
 * batch 1), stride (sh, sw), padding top pt and left pl (the bottom and right ones follow from oh, ow).
 * w: [c][3] words of int8 (w0, w1, w2, 0) (value = w0 | w1 << 8 | w2 << 16: no byte order), per
 * channel its kernel rows, made the int16 pairs (w0, w1), (w1, w2) once per channel (kept in
 * registers); rq: c entries, the bias with the input offset folded in; zp: the input zero point
 * (-input offset); buf: GEN_FAST_DW_WB(ow, sw) / 2 words per row of scratch, for 6 rows, or with
 * `plane`, the (oh - 1) * sh + 3 rows the windows read.
 * One channel at a time: its weights and requantization constants stay in registers for the whole
 * plane; each of its input rows is widened once: with `plane` all of them first (row r at r * wb / 2),
 * else into a ring of three rows, written twice (slots s and s + 3) so that any three consecutive rows
 * are contiguous. Either way one pointer reaches the three rows of an output row. */
GEN_FAST_INLINE void gen_fast_dw3x3_s8(const int8_t *in,
                                       int8_t *out,
                                       const int32_t *w,
                                       const gen_fast_rq *rq,
                                       int32_t *buf,
                                       int32_t h,
                                       int32_t wd,
                                       int32_t c,
                                       int32_t oh,
                                       int32_t ow,
                                       int32_t sh,
                                       int32_t sw,
                                       int32_t pt,
                                       int32_t pl,
                                       int32_t zp,
                                       int32_t plane,
                                       int32_t rshift,
                                       int32_t out_off,
                                       int32_t act_min,
                                       int32_t act_max)
{
    const int32_t wb = GEN_FAST_DW_WB(ow, sw);
    const int32_t wbw = wb >> 1; /* words per widened row */
    int32_t ch;
    for (ch = 0; ch < c; ch++)
    {
        const int32_t *wc = w + (size_t)ch * 3u;
        int32_t a01, a12, b01, b12, c01, c12;
        GEN_FAST_DW_WROW(wc[0], a01, a12);
        GEN_FAST_DW_WROW(wc[1], b01, b12);
        GEN_FAST_DW_WROW(wc[2], c01, c12);
        const gen_fast_rq q = rq[ch];
        const int8_t *x = in + ch;
        int32_t next = 0; /* rows of the padded input [0, next) have been widened */
        int32_t slot = 0; /* row next's slot: next % 3 */
        int32_t oy;
        if (plane)
        {
            for (next = 0; next < (oh - 1) * sh + 3; next++)
            {
                gen_fast_dw_row(x, next - pt, h, wd, c, pl, wb, zp, buf + (size_t)next * (size_t)wbw, buf, 0);
            }
        }
        for (oy = 0; oy < oh; oy++)
        {
            const int32_t r0 = oy * sh;
            const int32_t *p;
            int8_t *yc = out + (size_t)oy * (size_t)ow * (size_t)c + (size_t)ch;
            int32_t ox;
            if (plane)
            {
                p = buf + (size_t)r0 * (size_t)wbw;
            }
            else
            {
                if (r0 > next) /* strides over 3: rows no window reads */
                {
                    next = r0;
                    slot = r0 % 3;
                }
                for (; next < r0 + 3; next++)
                {
                    int32_t *d = buf + (size_t)slot * (size_t)wbw;
                    gen_fast_dw_row(x, next - pt, h, wd, c, pl, wb, zp, d, d + 3 * wbw, 1);
                    slot = slot == 2 ? 0 : slot + 1;
                }
                p = buf + (size_t)slot * (size_t)wbw; /* row r0 = next - 3: the same slot */
            }
#define GEN_FAST_DW_STEP2                                                                                   \
    do                                                                                                      \
    {                                                                                                       \
        int32_t s0 = q.bias, s1 = q.bias;                                                                   \
        GEN_FAST_DW_PAIR(p, wbw, 0, sw, s0, s1);                                                            \
        {                                                                                                   \
            const int8_t r0_ = gen_fast_dw_out(s0, q, rshift, out_off, act_min, act_max);                      \
            const int8_t r1_ = gen_fast_dw_out(s1, q, rshift, out_off, act_min, act_max);                      \
            yc[0] = r0_;                                                                                    \
            yc[c] = r1_;                                                                                    \
        }                                                                                                   \
        p += sw;                                                                                            \
        yc += 2 * c;                                                                                        \
    } while (0)
            if (ow <= 8)
            {
                GEN_FAST_UNROLL
                for (ox = 0; ox + 2 <= ow; ox += 2)
                {
                    GEN_FAST_DW_STEP2;
                }
            }
            else
            {
                for (ox = 0; ox + 2 <= ow; ox += 2)
                {
                    GEN_FAST_DW_STEP2;
                }
            }
#undef GEN_FAST_DW_STEP2
            if (ow & 1)
            {
                int32_t s0 = q.bias;
                GEN_FAST_DW_TAP3(p, 0, a01, a12, s0);
                GEN_FAST_DW_TAP3(p + wbw, 0, b01, b12, s0);
                GEN_FAST_DW_TAP3(p + 2 * wbw, 0, c01, c12, s0);
                yc[0] = gen_fast_dw_out(s0, q, rshift, out_off, act_min, act_max);
            }
        }
    }
}

#endif /* GEN_FAST_DW_S8_H */
