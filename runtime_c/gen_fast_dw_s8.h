/* gen_fast_dw_s8.h - gen's layer-specialized depthwise int8 kernel (written for gen).
 *
 * A 3x3 depthwise convolution with one output channel per input channel (any stride, any padding,
 * dilation 1), called from one static wrapper per distinct layer shape with the shape as literals
 * (gen/ops/fast_dw.py). What is done at generation time:
 *   - the input offset term off * sum(w) joins the bias (gen_fast_rq, as for the pointwise kernel);
 *     the padding is then the input zero point (-off), whose offset-corrected value is 0;
 *   - the weights stored channel by channel, one word of three int8 per kernel row (12 bytes a
 *     channel); the kernel makes each channel's six int16 pairs, per kernel row (w0, w1) and (w1, w2),
 *     once per channel (the Helium path gathers the channel's nine bytes in one load).
 * At run time one channel at a time: each of its input rows is widened once to int16, the padding
 * written as the input zero point, so that there is no border path: a small plane (at most
 * fast_dw.PLANE_BYTES) all at once, else into a ring of three rows, each row written twice so that
 * any three consecutive rows are contiguous (arena scratch either way). Two output columns a step,
 * each kernel row being one SMLAD (two taps) and one SMLABT/SMLATB (the third), the two columns
 * sharing their input words; the channel's weights and requantization constants stay in registers
 * for the whole plane.
 * The portable path runs the same steps with the same words (host builds and tests check it);
 * bit-exact with CMSIS-NN's depthwise kernels (gen_fast_out, gen_fast_dw_out). Helium: below
 * (gen_fast_dw3x3_mve).
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

#ifdef GEN_FAST_MVE
/* Helium (gen_fast_mve_s8.h). The input rows padded with the zero point, int8, wp = (ow - 1) * sw + 3
 * columns each, channel by channel: with `planes` 4 the whole padded planes of four channels at once
 * (one widening load of a pixel's four channels, one byte scatter to the four planes), with 1 one
 * channel's plane, with 0 a ring of three rows written twice (as the widened rows of the other cores).
 * Outputs go in pairs of neighbours (along a row, or a column for narrow layers such as KWS's 25 x 5):
 * one byte gather reads the union of the two windows (at most 15 taps, offsets at most 255) and two
 * VMLADAV.S8 take each window's sum with the channel's weights placed in that window's lanes (zeros
 * elsewhere); two pairs are requantized as one vector and stored by one byte scatter. A row or column
 * whose outputs are not a multiple of four ends with a block overlapping the previous one (the same
 * values written again). */

/* the columns of a padded row */
#define GEN_FAST_DW_MVE_WP(OW, SW) (((OW)-1) * (SW) + 3)

/* the blocks of four outputs (two pairs): along a row, along a column, 2 x 2 */
#define GEN_FAST_DW_MVE_ROW 0
#define GEN_FAST_DW_MVE_COLUMN 1
#define GEN_FAST_DW_MVE_SQUARE 2

/* the Helium path takes the layer when the gather offsets of four windows of a row fit in a byte */
#define GEN_FAST_DW_MVE_FITS(OW, SW) (2 * GEN_FAST_DW_MVE_WP(OW, SW) + 2 + 3 * (SW) <= 255)

/* row r of channel x (its columns c apart) into d (and d2 unless NULL): input columns [0, n) at d + pl,
 * sixteen a step (a byte gather: 15 c <= 255) or eight (a halfword-offset gather and a narrowing store);
 * rows outside the input, with `fill`, all the zero point (the padding columns keep it from the first fill) */
GEN_FAST_INLINE void gen_fast_dw_mve_row(const int8_t *x, int32_t r, int32_t h, int32_t w, int32_t c, int32_t pl,
                                         int32_t wp, int32_t zp, int8_t *d, int8_t *d2, int32_t fill)
{
    const int32_t n = wp - pl < w ? wp - pl : w; /* the input columns a window reads */
    int32_t j;
    if (r < 0 || r >= h)
    {
        if (fill)
        {
            const int8x16_t z = vdupq_n_s8((int8_t)zp);
            for (j = 0; j < wp; j += 16)
            {
                const mve_pred16_t pr = vctp8q((uint32_t)(wp - j));
                vstrbq_p_s8(d + j, z, pr);
                if (d2)
                {
                    vstrbq_p_s8(d2 + j, z, pr);
                }
            }
        }
        return;
    }
    x += (size_t)r * (size_t)w * (size_t)c;
    d += pl;
    if (d2)
    {
        d2 += pl;
    }
    if (15 * c <= 255) /* sixteen columns a step: byte offsets */
    {
        const uint8x16_t offs = vmulq_n_u8(vidupq_n_u8(0, 1), (uint8_t)c);
        for (j = 0; j + 16 <= n; j += 16)
        {
            const int8x16_t v = vldrbq_gather_offset_s8(x + (size_t)j * (size_t)c, offs);
            vstrbq_s8(d + j, v);
            if (d2)
            {
                vstrbq_s8(d2 + j, v);
            }
        }
        if (j < n)
        {
            const mve_pred16_t pr = vctp8q((uint32_t)(n - j));
            const int8x16_t v = vldrbq_gather_offset_z_s8(x + (size_t)j * (size_t)c, offs, pr);
            vstrbq_p_s8(d + j, v, pr);
            if (d2)
            {
                vstrbq_p_s8(d2 + j, v, pr);
            }
        }
        return;
    }
    {
        const uint16x8_t offs = vmulq_n_u16(vidupq_n_u16(0, 1), (uint16_t)c);
        for (j = 0; j + 8 <= n; j += 8)
        {
            const int16x8_t v = vldrbq_gather_offset_s16(x + (size_t)j * (size_t)c, offs);
            vstrbq_s16(d + j, v);
            if (d2)
            {
                vstrbq_s16(d2 + j, v);
            }
        }
        if (j < n)
        {
            const mve_pred16_t pr = vctp16q((uint32_t)(n - j));
            const int16x8_t v = vldrbq_gather_offset_z_s16(x + (size_t)j * (size_t)c, offs, pr);
            vstrbq_p_s16(d + j, v, pr);
            if (d2)
            {
                vstrbq_p_s16(d2 + j, v, pr);
            }
        }
    }
}

/* the padded planes of channels x[0 .. nch) (nch <= 4; their columns c apart) into d, d + ps, ...: per
 * input pixel one widening load of its channels and one byte scatter */
GEN_FAST_INLINE void gen_fast_dw_mve_planes4(const int8_t *x, int32_t nch, int32_t rows, int32_t h, int32_t w,
                                             int32_t c, int32_t pt, int32_t pl, int32_t wp, int8_t *d)
{
    const int32_t n = wp - pl < w ? wp - pl : w; /* the input columns a window reads */
    const uint32x4_t poffs = vmulq_n_u32(vidupq_n_u32(0, 1), (uint32_t)(rows * wp));
    const int32_t j0 = pt, j1 = pt + h < rows ? pt + h : rows; /* the plane rows inside the input */
    const int8_t *xr = x;
    int8_t *dr = d + (size_t)j0 * (size_t)wp + (size_t)pl;
    int32_t j, col;
    if (nch == 4)
    {
        for (j = j0; j < j1; j++)
        {
            for (col = 0; col < n; col++)
            {
                vstrbq_scatter_offset_s32(dr + col, poffs, vldrbq_s32(xr));
                xr += c;
            }
            xr += (size_t)(w - n) * (size_t)c;
            dr += wp;
        }
    }
    else
    {
        const mve_pred16_t pr = vctp32q((uint32_t)nch);
        for (j = j0; j < j1; j++)
        {
            for (col = 0; col < n; col++)
            {
                vstrbq_scatter_offset_p_s32(dr + col, poffs, vldrbq_z_s32(xr, pr), pr);
                xr += c;
            }
            xr += (size_t)(w - n) * (size_t)c;
            dr += wp;
        }
    }
}

/* four accumulators + bias requantized and stored at y + soffs (one byte each) */
GEN_FAST_INLINE void gen_fast_dw_mve_store4(int8_t *y, uint32x4_t soffs, int32_t s0, int32_t s1, int32_t s2,
                                            int32_t s3, int32_t bias, int32_t mult, int32_t e1, int32_t rshift,
                                            int32_t out_off, int32_t act_min, int32_t act_max)
{
    const int32x4_t r = gen_fast_mve_dw_requant(vaddq_n_s32(gen_fast_mve_lanes4(s0, s1, s2, s3), bias), mult, e1,
                                                rshift, out_off);
    if (act_min == -128 && act_max == 127)
    {
        vstrbq_scatter_offset_s32(y, soffs, gen_fast_mve_dw_sat8(r));
    }
    else
    {
        vstrbq_scatter_offset_s32(y, soffs, vminq_s32(vmaxq_s32(r, vdupq_n_s32(act_min)), vdupq_n_s32(act_max)));
    }
}

/* the four outputs of two pairs: windows at b (and its neighbour) and b + 2 step (and its neighbour) */
#define GEN_FAST_DW_MVE_OUT4(B, Y)                                                                          \
    do                                                                                                      \
    {                                                                                                       \
        const int8x16_t g0_ = vldrbq_gather_offset_s8((B), uoffs);                                          \
        const int8x16_t g1_ = vldrbq_gather_offset_s8((B), uoffs2);                                         \
        gen_fast_dw_mve_store4((Y), soffs, vmladavq_s8(g0_, wa), vmladavq_s8(g0_, wb), vmladavq_s8(g1_, wa),   \
                               vmladavq_s8(g1_, wb), q.bias, q.mult, q.e1, rshift, out_off, act_min, act_max); \
    } while (0)

/* one output whose window starts at b */
#define GEN_FAST_DW_MVE_OUT1(B, Y)                                                                          \
    (*(Y) = gen_fast_dw_out(vmladavaq_s8(q.bias, vldrbq_gather_offset_s8((B), uoffs), wa), q, rshift, out_off,  \
                            act_min, act_max))

/* one padded plane p of the channel whose weights wa, wb and constants q are set: the outputs in blocks of
 * four along a column (mode GEN_FAST_DW_MVE_COLUMN), of 2 x 2 (GEN_FAST_DW_MVE_SQUARE) or along a row; a last
 * block overlapping the one before where the outputs do not divide */
#define GEN_FAST_DW_MVE_PLANE(P, YC)                                                                        \
    do                                                                                                      \
    {                                                                                                       \
        int32_t oy_, ox_;                                                                                   \
        if (mode == GEN_FAST_DW_MVE_COLUMN)                                                                 \
        {                                                                                                   \
            for (ox_ = 0; ox_ < ow; ox_++)                                                                  \
            {                                                                                               \
                const int8_t *b_ = (P) + (size_t)ox_ * (size_t)sw;                                          \
                int8_t *y_ = (YC) + (size_t)ox_ * (size_t)c;                                                \
                for (oy_ = 0; oy_ + 4 <= oh; oy_ += 4)                                                      \
                {                                                                                           \
                    GEN_FAST_DW_MVE_OUT4(b_ + (size_t)oy_ * (size_t)sh * (size_t)wp,                        \
                                         y_ + (size_t)oy_ * (size_t)ow * (size_t)c);                        \
                }                                                                                           \
                if (oh & 3)                                                                                 \
                {                                                                                           \
                    GEN_FAST_DW_MVE_OUT4(b_ + (size_t)(oh - 4) * (size_t)sh * (size_t)wp,                   \
                                         y_ + (size_t)(oh - 4) * (size_t)ow * (size_t)c);                   \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
        else if (mode == GEN_FAST_DW_MVE_SQUARE)                                                            \
        {                                                                                                   \
            for (oy_ = 0; oy_ < oh; oy_ += 2)                                                               \
            {                                                                                               \
                const int32_t y0_ = oy_ + 2 <= oh ? oy_ : oh - 2;                                           \
                const int8_t *b_ = (P) + (size_t)y0_ * (size_t)sh * (size_t)wp;                             \
                int8_t *y_ = (YC) + (size_t)y0_ * (size_t)ow * (size_t)c;                                   \
                for (ox_ = 0; ox_ + 2 <= ow; ox_ += 2)                                                      \
                {                                                                                           \
                    GEN_FAST_DW_MVE_OUT4(b_ + (size_t)ox_ * (size_t)sw, y_ + (size_t)ox_ * (size_t)c);      \
                }                                                                                           \
                if (ow & 1)                                                                                 \
                {                                                                                           \
                    GEN_FAST_DW_MVE_OUT4(b_ + (size_t)(ow - 2) * (size_t)sw, y_ + (size_t)(ow - 2) * (size_t)c); \
                }                                                                                           \
            }                                                                                               \
        }                                                                                                   \
        else                                                                                                \
        {                                                                                                   \
            for (oy_ = 0; oy_ < oh; oy_++)                                                                  \
            {                                                                                               \
                GEN_FAST_DW_MVE_ROWOUT((P) + (size_t)oy_ * (size_t)sh * (size_t)wp,                          \
                                       (YC) + (size_t)oy_ * (size_t)ow * (size_t)c);                         \
            }                                                                                               \
        }                                                                                                   \
    } while (0)

/* the outputs of one row whose windows start at b */
#define GEN_FAST_DW_MVE_ROWOUT(B, Y)                                                                        \
    do                                                                                                      \
    {                                                                                                       \
        int32_t o_;                                                                                         \
        if (ow >= 4)                                                                                        \
        {                                                                                                   \
            for (o_ = 0; o_ + 4 <= ow; o_ += 4)                                                             \
            {                                                                                               \
                GEN_FAST_DW_MVE_OUT4((B) + (size_t)o_ * (size_t)sw, (Y) + (size_t)o_ * (size_t)c);          \
            }                                                                                               \
            if (ow & 3)                                                                                     \
            {                                                                                               \
                GEN_FAST_DW_MVE_OUT4((B) + (size_t)(ow - 4) * (size_t)sw, (Y) + (size_t)(ow - 4) * (size_t)c); \
            }                                                                                               \
        }                                                                                                   \
        else                                                                                                \
        {                                                                                                   \
            for (o_ = 0; o_ < ow; o_++)                                                                     \
            {                                                                                               \
                GEN_FAST_DW_MVE_OUT1((B) + (size_t)o_ * (size_t)sw, (Y) + (size_t)o_ * (size_t)c);          \
            }                                                                                               \
        }                                                                                                   \
    } while (0)

/* gen_fast_dw3x3_s8 on Helium (GEN_FAST_DW_MVE_FITS); buf: planes * ((oh - 1) * sh + 3) padded rows of wp
 * bytes, or 6 (the ring) when planes is 0. Order of the memory accesses, as on the other cores: channel by
 * channel (with planes 4, four channels at a time), all the rows of a channel's input read (with the ring:
 * in increasing order, up to row oy * sh - pt + 2 before output row oy) before its outputs are written. */
GEN_FAST_INLINE void gen_fast_dw3x3_mve(const int8_t *in, int8_t *out, const int32_t *w, const gen_fast_rq *rq,
                                        int8_t *buf, int32_t h, int32_t wd, int32_t c, int32_t oh, int32_t ow,
                                        int32_t sh, int32_t sw, int32_t pt, int32_t pl, int32_t zp, int32_t planes,
                                        int32_t rshift, int32_t out_off, int32_t act_min, int32_t act_max)
{
    const int32_t wp = GEN_FAST_DW_MVE_WP(ow, sw);
    const int32_t rows = (oh - 1) * sh + 3;
    const int32_t ps = rows * wp; /* bytes of a plane */
    /* the blocks of four outputs: of a row (each row rounded up to fours), of a column, or 2 x 2, whichever
     * takes fewest where its gather offsets fit in a byte (the last two need the whole plane) */
    const int32_t n_row = ow >= 4 ? oh * ((ow + 3) >> 2) : 0x7fffffff;
    const int32_t n_column = planes && oh >= 4 && (3 * sh + 2) * wp + 2 <= 255 ? ow * ((oh + 3) >> 2) : 0x7fffffff;
    const int32_t n_square = planes && oh >= 2 && ow >= 2 && (sh + 2) * wp + 2 + sw <= 255
                                 ? ((oh + 1) >> 1) * ((ow + 1) >> 1)
                                 : 0x7fffffff;
    const int32_t mode = n_column < n_row && n_column <= n_square ? GEN_FAST_DW_MVE_COLUMN
                         : n_square < n_row                         ? GEN_FAST_DW_MVE_SQUARE
                                                                    : GEN_FAST_DW_MVE_ROW;
    const int32_t vertical = mode == GEN_FAST_DW_MVE_COLUMN; /* a pair: two outputs of a column, else of a row */
    const int32_t uc = vertical ? 3 : 3 + sw;                /* a pair's windows: ur rows of uc columns */
    const int32_t ur = vertical ? 3 + sh : 3;
    /* the second pair of a block: its windows' offset in the plane, its outputs' offset */
    const int32_t q_in = mode == GEN_FAST_DW_MVE_COLUMN   ? 2 * sh * wp
                         : mode == GEN_FAST_DW_MVE_SQUARE ? sh * wp
                                                          : 2 * sw;
    const int32_t q_out = mode == GEN_FAST_DW_MVE_COLUMN   ? 2 * ow * c
                          : mode == GEN_FAST_DW_MVE_SQUARE ? ow * c
                                                           : 2 * c;
    const int32_t d_out = vertical ? ow * c : c; /* the pair's second output */
    uint32_t t_soffs[4];
    uint8_t t_off[16], t_wa[16], t_wb[16]; /* per lane: its offset in the pair, its tap in either window */
    uint8x16_t uoffs, uoffs2, wsel_a, wsel_b;
    uint32x4_t soffs;
    uint32_t pa = 0, pb = 0; /* the lanes of either window (mve_pred16_t: one bit per byte lane) */
    int32_t ch, j;
    for (j = 0; j < 16; j++)
    {
        const int32_t r = j / uc, col = j % uc, in_u = j < ur * uc;
        const int32_t rb = vertical ? r - sh : r, cb = vertical ? col : col - sw;
        t_off[j] = (uint8_t)(in_u ? r * wp + col : 0);
        t_wa[j] = (uint8_t)(in_u && r < 3 && col < 3 ? 4 * r + col : 0);
        t_wb[j] = (uint8_t)(in_u && rb >= 0 && rb < 3 && cb >= 0 && cb < 3 ? 4 * rb + cb : 0);
        pa |= (uint32_t)(in_u && r < 3 && col < 3) << j;
        pb |= (uint32_t)(in_u && rb >= 0 && rb < 3 && cb >= 0 && cb < 3) << j;
    }
    t_soffs[0] = 0;
    t_soffs[1] = (uint32_t)d_out;
    t_soffs[2] = (uint32_t)q_out;
    t_soffs[3] = (uint32_t)(q_out + d_out);
    soffs = vldrwq_u32(t_soffs);
    uoffs = vldrbq_u8(t_off);
    uoffs2 = vaddq_n_u8(uoffs, (uint8_t)q_in);
    wsel_a = vldrbq_u8(t_wa);
    wsel_b = vldrbq_u8(t_wb);
    {
        const int32_t nbuf = (planes ? planes * rows : 6) * wp;
        for (j = 0; j < nbuf; j += 16) /* the padding, once: columns outside the input, rows outside it */
        {
            vstrbq_p_s8(buf + j, vdupq_n_s8((int8_t)zp), vctp8q((uint32_t)(nbuf - j)));
        }
    }
    for (ch = 0; ch < c; ch++)
    {
        const int8_t *wc = (const int8_t *)(const void *)(w + (size_t)ch * 3u); /* little-endian: byte t = w_t */
        const int8x16_t wa = vldrbq_gather_offset_z_s8(wc, wsel_a, (mve_pred16_t)pa);
        const int8x16_t wb = vldrbq_gather_offset_z_s8(wc, wsel_b, (mve_pred16_t)pb);
        int8_t *yc = out + ch;
        const int8_t *p = buf;
        const gen_fast_rq q = rq[ch];
        if (planes == 4)
        {
            if ((ch & 3) == 0)
            {
                gen_fast_dw_mve_planes4(in + ch, c - ch < 4 ? c - ch : 4, rows, h, wd, c, pt, pl, wp, buf);
            }
            p = buf + (size_t)(ch & 3) * (size_t)ps;
        }
        else if (planes)
        {
            for (j = 0; j < rows; j++)
            {
                gen_fast_dw_mve_row(in + ch, j - pt, h, wd, c, pl, wp, zp, buf + (size_t)j * (size_t)wp, NULL, 0);
            }
        }
        if (planes)
        {
            GEN_FAST_DW_MVE_PLANE(p, yc);
        }
        else
        {
            int32_t next = 0, slot = 0; /* the ring: rows [0, next) read, row next goes to slot next % 3 */
            int32_t oy;
            for (oy = 0; oy < oh; oy++)
            {
                const int32_t r0 = oy * sh;
                if (r0 > next) /* strides over 3: rows no window reads */
                {
                    next = r0;
                    slot = r0 % 3;
                }
                for (; next < r0 + 3; next++)
                {
                    int8_t *d = buf + (size_t)slot * (size_t)wp;
                    gen_fast_dw_mve_row(in + ch, next - pt, h, wd, c, pl, wp, zp, d, d + 3 * wp, 1);
                    slot = slot == 2 ? 0 : slot + 1;
                }
                /* row r0 = next - 3: the same slot */
                GEN_FAST_DW_MVE_ROWOUT(buf + (size_t)slot * (size_t)wp, yc + (size_t)oy * (size_t)ow * (size_t)c);
            }
        }
    }
}
#undef GEN_FAST_DW_MVE_OUT4
#undef GEN_FAST_DW_MVE_OUT1
#undef GEN_FAST_DW_MVE_PLANE
#undef GEN_FAST_DW_MVE_ROWOUT
#endif

/* 3x3 depthwise convolution, one output channel per input channel: in [h][w][c], out [oh][ow][c] (NHWC,
 * batch 1), stride (sh, sw), padding top pt and left pl (the bottom and right ones follow from oh, ow).
 * w: [c][3] words of int8 (w0, w1, w2, 0) (value = w0 | w1 << 8 | w2 << 16: no byte order), per
 * channel its kernel rows, made the int16 pairs (w0, w1), (w1, w2) once per channel (kept in
 * registers); rq: c entries, the bias with the input offset folded in; zp: the input zero point
 * (-input offset); buf: GEN_FAST_DW_WB(ow, sw) / 2 words per row of scratch, for 6 rows, or with
 * `plane`, the (oh - 1) * sh + 3 rows the windows read; on Helium (GEN_FAST_DW_MVE_FITS) the layout
 * gen_fast_dw3x3_mve describes, with mve_planes for its `planes`.
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
                                       int32_t mve_planes,
                                       int32_t rshift,
                                       int32_t out_off,
                                       int32_t act_min,
                                       int32_t act_max)
{
    const int32_t wb = GEN_FAST_DW_WB(ow, sw);
    const int32_t wbw = wb >> 1; /* words per widened row */
    int32_t ch;
#if defined(GEN_FAST_MVE) && !defined(__ARM_BIG_ENDIAN)
    if (GEN_FAST_DW_MVE_FITS(ow, sw))
    {
        gen_fast_dw3x3_mve(in, out, w, rq, (int8_t *)(void *)buf, h, wd, c, oh, ow, sh, sw, pt, pl, zp, mve_planes,
                           rshift, out_off, act_min, act_max);
        return;
    }
#endif
    (void)mve_planes;
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
