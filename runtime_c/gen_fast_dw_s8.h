/* gen_fast_dw_s8.h - gen's layer-specialized depthwise int8 kernel (written for gen).
 *
 * A 3x3 depthwise convolution with one output channel per input channel (any stride, any padding,
 * dilation 1), called from one static wrapper per distinct layer shape with the shape as literals
 * (gen/ops/fast_dw.py). What is done at generation time:
 *   - the input offset term off * sum(w) joins the bias (gen_fast_rq, as for the pointwise kernel);
 *     the padding is then the input zero point (-off), whose offset-corrected value is 0;
 *   - the weights of each channel are six int32 words of int16 pairs, per kernel row (w0, w1) and
 *     (w1, w2) (value = lo | hi << 16: no byte order).
 * At run time one channel at a time: each of its input rows is widened once into a ring of three
 * rows (arena scratch: [3][wb] int16, wb columns with the padding written as the zero point), so
 * there is no border path; two output columns a step, each row of the kernel being one SMLAD (two
 * taps) and one SMLABT/SMLATB (the third), the two columns sharing their input words; the channel's
 * weights and requantization constants stay in registers for the whole plane.
 * The portable path runs the same steps with the same words (host builds and tests check it);
 * bit-exact with CMSIS-NN's depthwise kernels (gen_fast_out).
 */
#ifndef GEN_FAST_DW_S8_H
#define GEN_FAST_DW_S8_H

#include "gen_fast_s8.h"

#ifdef GEN_NN_DSP
/* two int16 of a widened row (lo = p[0], hi = p[1]); p 2-byte aligned */
#define GEN_FAST_DW_RD(P) gen_nn_read_s16x2(P)
#define GEN_FAST_DW_SMLAD(A, B, C) __smlad((A), (B), (C))
#define GEN_FAST_DW_SMLABT(A, B, C) __smlabt((A), (B), (C))
#define GEN_FAST_DW_SMLATB(A, B, C) __smlatb((A), (B), (C))
#else
GEN_FAST_INLINE int32_t gen_fast_dw_rd(const int16_t *p)
{
    return (int32_t)(((uint32_t)(uint16_t)p[0]) | ((uint32_t)(uint16_t)p[1] << 16));
}

GEN_FAST_INLINE int32_t gen_fast_dw_lo(int32_t v)
{
    return (int32_t)(int16_t)(uint16_t)((uint32_t)v & 0xFFFFu);
}

GEN_FAST_INLINE int32_t gen_fast_dw_hi(int32_t v)
{
    return (int32_t)(int16_t)(uint16_t)((uint32_t)v >> 16);
}

#define GEN_FAST_DW_RD(P) gen_fast_dw_rd(P)
#define GEN_FAST_DW_SMLAD(A, B, C)                                                                          \
    ((C) + gen_fast_dw_lo(A) * gen_fast_dw_lo(B) + gen_fast_dw_hi(A) * gen_fast_dw_hi(B))
#define GEN_FAST_DW_SMLABT(A, B, C) ((C) + gen_fast_dw_lo(A) * gen_fast_dw_hi(B))
#define GEN_FAST_DW_SMLATB(A, B, C) ((C) + gen_fast_dw_hi(A) * gen_fast_dw_lo(B))
#endif

/* one kernel row of an output whose window starts at column b of row R: W01 = (w0, w1), W12 = (w1, w2).
 * b even: (x_b, x_b+1) . W01 + x_b+2 * w2; b odd: (x_b+1, x_b+2) . W12 + x_b * w0 (words at even columns) */
#define GEN_FAST_DW_TAP3_EVEN(R, B, W01, W12, S)                                                            \
    do                                                                                                      \
    {                                                                                                       \
        S = GEN_FAST_DW_SMLAD(GEN_FAST_DW_RD((R) + (B)), W01, S);                                           \
        S = GEN_FAST_DW_SMLABT(GEN_FAST_DW_RD((R) + (B) + 2), W12, S);                                      \
    } while (0)
#define GEN_FAST_DW_TAP3_ODD(R, B, W01, W12, S)                                                             \
    do                                                                                                      \
    {                                                                                                       \
        S = GEN_FAST_DW_SMLAD(GEN_FAST_DW_RD((R) + (B) + 1), W12, S);                                       \
        S = GEN_FAST_DW_SMLATB(GEN_FAST_DW_RD((R) + (B)-1), W01, S);                                        \
    } while (0)
#define GEN_FAST_DW_TAP3(R, B, W01, W12, S)                                                                 \
    do                                                                                                      \
    {                                                                                                       \
        if (((B)&1) == 0)                                                                                   \
        {                                                                                                   \
            GEN_FAST_DW_TAP3_EVEN(R, B, W01, W12, S);                                                       \
        }                                                                                                   \
        else                                                                                                \
        {                                                                                                   \
            GEN_FAST_DW_TAP3_ODD(R, B, W01, W12, S);                                                        \
        }                                                                                                   \
    } while (0)

/* row r of channel x (x = the input's channel, its columns c apart; the zero point outside the input)
 * widened into dst: wb int16, column j being input column j - pl (the zero point outside) */
GEN_FAST_INLINE void gen_fast_dw_row(const int8_t *x, int32_t r, int32_t h, int32_t w, int32_t c, int32_t pl,
                                     int32_t wb, int32_t zp, int16_t *dst)
{
    const int32_t j_end = pl + w < wb ? pl + w : wb; /* columns [pl, j_end) come from the input */
    int32_t j;
    if (r < 0 || r >= h)
    {
        for (j = 0; j < wb; j++)
        {
            dst[j] = (int16_t)zp;
        }
        return;
    }
    x += (size_t)r * (size_t)w * (size_t)c;
    for (j = 0; j < pl; j++)
    {
        dst[j] = (int16_t)zp;
    }
    GEN_FAST_UNROLL
    for (j = pl; j < j_end; j++)
    {
        dst[j] = x[(size_t)(j - pl) * (size_t)c];
    }
    for (j = j_end; j < wb; j++)
    {
        dst[j] = (int16_t)zp;
    }
}

/* the width of a widened row: the windows' columns, plus one (the even-column words), even */
#define GEN_FAST_DW_WB(OW, SW) ((((OW)-1) * (SW) + 4 + 1) & ~1)

/* 3x3 depthwise convolution, one output channel per input channel: in [h][w][c], out [oh][ow][c] (NHWC,
 * batch 1), stride (sh, sw), padding top pt and left pl (the bottom and right ones follow from oh, ow).
 * w: [c][6] words (per kernel row (w0, w1), (w1, w2) as int16 pairs); rq: c entries, the bias with the
 * input offset folded in; zp: the input zero point (-input offset); buf: 3 * GEN_FAST_DW_WB(ow, sw) int16
 * of scratch (2-byte aligned; the words read at even columns).
 * One channel at a time: its weights and requantization constants stay in registers for the whole
 * plane, each of its input rows is widened once into the ring of three rows. */
GEN_FAST_INLINE void gen_fast_dw3x3_s8(const int8_t *in,
                                       int8_t *out,
                                       const int32_t *w,
                                       const gen_fast_rq *rq,
                                       int16_t *buf,
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
                                       int32_t rshift,
                                       int32_t out_off,
                                       int32_t act_min,
                                       int32_t act_max)
{
    const int32_t wb = GEN_FAST_DW_WB(ow, sw);
    int32_t ch;
    for (ch = 0; ch < c; ch++)
    {
        const int32_t *wc = w + (size_t)ch * 6u;
        const int32_t a01 = wc[0], a12 = wc[1], b01 = wc[2], b12 = wc[3], c01 = wc[4], c12 = wc[5];
        const gen_fast_rq q = rq[ch];
        const int8_t *x = in + ch;
        int32_t next = 0; /* rows of the padded input [0, next) have been widened */
        int32_t oy;
        for (oy = 0; oy < oh; oy++)
        {
            const int32_t r0 = oy * sh;
            const int16_t *p0 = buf + (size_t)(r0 % 3) * (size_t)wb;
            const int16_t *p1 = buf + (size_t)((r0 + 1) % 3) * (size_t)wb;
            const int16_t *p2 = buf + (size_t)((r0 + 2) % 3) * (size_t)wb;
            int8_t *yc = out + (size_t)oy * (size_t)ow * (size_t)c + (size_t)ch;
            int32_t r, ox;
            for (r = r0 > next ? r0 : next; r < r0 + 3; r++)
            {
                gen_fast_dw_row(x, r - pt, h, wd, c, pl, wb, zp, buf + (size_t)(r % 3) * (size_t)wb);
            }
            next = r0 + 3;
            for (ox = 0; ox + 2 <= ow; ox += 2)
            {
                const int32_t b = ox * sw; /* even */
                int32_t s0 = q.bias, s1 = q.bias;
                GEN_FAST_DW_TAP3_EVEN(p0, b, a01, a12, s0);
                GEN_FAST_DW_TAP3_EVEN(p1, b, b01, b12, s0);
                GEN_FAST_DW_TAP3_EVEN(p2, b, c01, c12, s0);
                GEN_FAST_DW_TAP3(p0, b + sw, a01, a12, s1);
                GEN_FAST_DW_TAP3(p1, b + sw, b01, b12, s1);
                GEN_FAST_DW_TAP3(p2, b + sw, c01, c12, s1);
                {
                    const int8_t r0_ = gen_fast_out(s0, q, rshift, out_off, act_min, act_max);
                    const int8_t r1_ = gen_fast_out(s1, q, rshift, out_off, act_min, act_max);
                    yc[(size_t)ox * (size_t)c] = r0_;
                    yc[(size_t)(ox + 1) * (size_t)c] = r1_;
                }
            }
            if (ox < ow)
            {
                const int32_t b = ox * sw;
                int32_t s0 = q.bias;
                GEN_FAST_DW_TAP3_EVEN(p0, b, a01, a12, s0);
                GEN_FAST_DW_TAP3_EVEN(p1, b, b01, b12, s0);
                GEN_FAST_DW_TAP3_EVEN(p2, b, c01, c12, s0);
                yc[(size_t)ox * (size_t)c] = gen_fast_out(s0, q, rshift, out_off, act_min, act_max);
            }
        }
    }
}

#endif /* GEN_FAST_DW_S8_H */
