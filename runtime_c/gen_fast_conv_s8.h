/* gen_fast_conv_s8.h - gen's specialized int8 convolution (written for gen): any kernel size, stride,
 * padding and dilation, one group, as im2col and a matrix product with K = kh * kw * c.
 *
 * For each pair of output pixels the two im2col rows are gathered into the scratch buffer (a padded
 * tap is the input zero point, the byte -in_off: the bias has in_off * sum(w) folded in, so such a tap
 * adds -in_off * w + in_off * w = 0, as it does in CMSIS-NN) and widened to int16 on DSP cores (as they
 * are read when c is a multiple of 4, else in place after the int8 row),
 * then every pair of output channels takes a 2x2 register block over them (15 instructions per 16
 * multiply-accumulates) and the requantization of gen_fast_pw_s8 (gen_fast_out).
 * Helium (GEN_FAST_MVE, gen_fast_mve_s8.h): the rows stay int8 and the 2x2 block is VMLADAVA.S8 over 16
 * inputs a step (gen_fast_conv_mve_2x2), its four outputs requantized as one vector.
 * Order of reads and writes (every path): pixels p and p + 1's input taps are all read (gathered) before
 * either pixel's outputs are written, and pixels go in output order.
 * Weights and requantization constants are those of gen_fast_pw_s8 (gen/ops/fast_s8.py), the
 * filter read as [m][k] rows (OHWI). Scratch: 4 * k4 bytes, word-aligned (two rows of k4 int16; Helium
 * reads the int8 rows gathered into their second halves).
 */
#ifndef GEN_FAST_CONV_S8_H
#define GEN_FAST_CONV_S8_H

#include "gen_fast_s8.h"

/* im2col row of output pixel (b, oy, ox) into row (k4 int8: the taps in [ky][kx][c] order, then zeros) */
GEN_FAST_INLINE void gen_fast_conv_gather(const int8_t *in, int8_t *row, int32_t b, int32_t oy, int32_t ox,
                                          int32_t h, int32_t w, int32_t c, int32_t kh, int32_t kw, int32_t sh,
                                          int32_t sw, int32_t pt, int32_t pl, int32_t dh, int32_t dw, int32_t k4,
                                          int32_t zp)
{
    const int8_t *img = in + (size_t)b * (size_t)h * (size_t)w * (size_t)c;
    int32_t ky, kx, t;
    for (ky = 0; ky < kh; ky++)
    {
        const int32_t iy = oy * sh - pt + ky * dh;
        if (iy < 0 || iy >= h)
        {
            memset(row, zp, (size_t)kw * (size_t)c);
            row += kw * c;
            continue;
        }
        if (dw == 1 && ox * sw - pl >= 0 && ox * sw - pl + kw <= w) /* the row's taps are contiguous */
        {
            memcpy(row, img + ((size_t)iy * (size_t)w + (size_t)(ox * sw - pl)) * (size_t)c, (size_t)kw * (size_t)c);
            row += kw * c;
            continue;
        }
        GEN_FAST_UNROLL
        for (kx = 0; kx < kw; kx++)
        {
            const int32_t ix = ox * sw - pl + kx * dw;
            if (ix < 0 || ix >= w)
            {
                memset(row, zp, (size_t)c);
            }
            else
            {
                memcpy(row, img + ((size_t)iy * (size_t)w + (size_t)ix) * (size_t)c, (size_t)c);
            }
            row += c;
        }
    }
    for (t = kh * kw * c; t < k4; t++)
    {
        *row++ = 0;
    }
}

/* n bytes from src to dst (n a literal): 16 a vector on Helium, the last 0-15 (and elsewhere all) by memcpy */
GEN_FAST_INLINE void gen_fast_conv_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    int32_t i = 0;
#ifdef GEN_FAST_MVE
    GEN_FAST_UNROLL
    for (; i + 16 <= n; i += 16)
    {
        vstrbq_s8(dst + i, vldrbq_s8(src + i));
    }
#endif
    memcpy(dst + i, src + i, (size_t)(n - i));
}

/* gen_fast_conv_gather for a pixel whose taps are all inside the image (no padded tap: no test per row or
 * tap), iy0 = oy * sh - pt and ix0 = ox * sw - pl its first tap's row and column */
GEN_FAST_INLINE void gen_fast_conv_gather_inside(const int8_t *img, int8_t *row, int32_t iy0, int32_t ix0, int32_t w,
                                                 int32_t c, int32_t kh, int32_t kw, int32_t dh, int32_t dw,
                                                 int32_t k4)
{
    const int8_t *src = img + ((size_t)iy0 * (size_t)w + (size_t)ix0) * (size_t)c;
    int32_t ky, kx;
    GEN_FAST_UNROLL
    for (ky = 0; ky < kh; ky++)
    {
        if (dw == 1) /* the row's taps are contiguous */
        {
            gen_fast_conv_copy(row, src, kw * c);
        }
        else
        {
            GEN_FAST_UNROLL
            for (kx = 0; kx < kw; kx++)
            {
                gen_fast_conv_copy(row + kx * c, src + (size_t)kx * (size_t)dw * (size_t)c, c);
            }
        }
        row += kw * c;
        src += (size_t)dh * (size_t)w * (size_t)c;
    }
    memset(row, 0, (size_t)(k4 - kh * kw * c));
}

/* the rows are widened to int16 (the DSP path's SMLAD); Helium reads them as int8 */
#if defined(GEN_NN_DSP) && !defined(GEN_FAST_MVE)
#define GEN_FAST_CONV_WIDE 1
#endif

#ifdef GEN_FAST_MVE
/* the rows' and the weights' addresses made opaque to the optimizer at each step (no instruction): the
 * step's loads then stay in it; else the compiler issues all the row loads of a channel pair at its start
 * (or hoists them out of the channel loop) and spills them to the stack, one more load and store each */
#if defined(__GNUC__)
#define GEN_FAST_MVE_CONV_STEP_BARRIER(R0, R1, W) __asm__ volatile("" : "+r"(R0), "+r"(R1) : "r"(W))
#else
#define GEN_FAST_MVE_CONV_STEP_BARRIER(R0, R1, W) ((void)0)
#endif

/* rows x0, x1 (k4 int8, zeros past k, word-aligned) times the channel pair whose interleaved weights start
 * at wp, added to the four sums: per 16 inputs 2 row loads, 2 word gathers of the pair's weights (the first
 * channel's four words at byte offsets offs0 = 0, 8, 16, 24, the second's at offs1 = offs0 + 4), the step
 * of the gathers' base and 4 VMLADAVA.S8: 64 multiply-accumulates in 9 instructions. The last 4, 8 or 12
 * inputs with the words past k4 predicated off (never read). */
GEN_FAST_INLINE void gen_fast_conv_mve_2x2(const int8_t *x0, const int8_t *x1, const int32_t *wp, int32_t k4,
                                           uint32x4_t offs0, uint32x4_t offs1, int32_t *s00, int32_t *s01,
                                           int32_t *s10, int32_t *s11)
{
    const int32_t *r0 = (const int32_t *)(const void *)x0;
    const int32_t *r1 = (const int32_t *)(const void *)x1;
    int32_t a00 = *s00, a01 = *s01, a10 = *s10, a11 = *s11;
    int32_t j;
    GEN_FAST_UNROLL
    for (j = 0; j + 16 <= k4; j += 16)
    {
        int8x16_t a, b, u, v;
        GEN_FAST_MVE_CONV_STEP_BARRIER(r0, r1, wp);
        a = vreinterpretq_s8_s32(vldrwq_s32(r0));
        b = vreinterpretq_s8_s32(vldrwq_s32(r1));
        u = vreinterpretq_s8_s32(vldrwq_gather_offset_s32(wp, offs0));
        v = vreinterpretq_s8_s32(vldrwq_gather_offset_s32(wp, offs1));
        a00 = vmladavaq_s8(a00, a, u);
        a01 = vmladavaq_s8(a01, a, v);
        a10 = vmladavaq_s8(a10, b, u);
        a11 = vmladavaq_s8(a11, b, v);
        r0 += 4;
        r1 += 4;
        wp += 8;
    }
    if (j < k4)
    {
        const mve_pred16_t pr = vctp32q((uint32_t)((k4 - j) >> 2));
        const int8x16_t a = vreinterpretq_s8_s32(vldrwq_z_s32(r0, pr));
        const int8x16_t b = vreinterpretq_s8_s32(vldrwq_z_s32(r1, pr));
        const int8x16_t u = vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(wp, offs0, pr));
        const int8x16_t v = vreinterpretq_s8_s32(vldrwq_gather_offset_z_s32(wp, offs1, pr));
        a00 = vmladavaq_s8(a00, a, u);
        a01 = vmladavaq_s8(a01, a, v);
        a10 = vmladavaq_s8(a10, b, u);
        a11 = vmladavaq_s8(a11, b, v);
    }
    *s00 = a00;
    *s01 = a01;
    *s10 = a10;
    *s11 = a11;
}

/* the odd last channel (its k4 weights in a row at wp) times rows x0, x1: 16 inputs a step */
GEN_FAST_INLINE void gen_fast_conv_mve_2x1(const int8_t *x0, const int8_t *x1, const int8_t *wp, int32_t k4,
                                           int32_t *s0, int32_t *s1)
{
    int32_t a0 = *s0, a1 = *s1;
    int32_t j;
    GEN_FAST_UNROLL
    for (j = 0; j < k4; j += 16)
    {
        const mve_pred16_t pr = vctp8q((uint32_t)(k4 - j));
        const int8x16_t u = vldrbq_z_s8(wp + j, pr);
        a0 = vmladavaq_s8(a0, vldrbq_z_s8(x0 + j, pr), u);
        a1 = vmladavaq_s8(a1, vldrbq_z_s8(x1 + j, pr), u);
    }
    *s0 = a0;
    *s1 = a1;
}
#endif

#ifdef GEN_FAST_CONV_WIDE
/* the k4 int8 at buf + k4 widened into buf's k4 int16, in place (group g is read before it is written,
 * and its 8 bytes end at or before group g + 1's): per four inputs (x0, x2), (x1, x3) */
GEN_FAST_INLINE void gen_fast_conv_widen(int32_t *buf, int32_t k4)
{
    const int32_t *src = buf + (k4 >> 2);
    int32_t j;
    GEN_FAST_UNROLL
    for (j = 0; j < k4; j += 4)
    {
        const int32_t v = *src++;
        buf[0] = __sxtb16(v);
        buf[1] = gen_nn_sxtb16_ror8(v);
        buf += 2;
    }
}

/* c a multiple of 4: the im2col row of pixel (b, oy, ox) gathered already widened into buf (k int16: per
 * four inputs (x0, x2), (x1, x3)), a padded tap as the zero point's pair (zp, zp) */
GEN_FAST_INLINE void gen_fast_conv_gather_wide(const int8_t *in, int32_t *buf, int32_t b, int32_t oy, int32_t ox,
                                               int32_t h, int32_t w, int32_t c, int32_t kh, int32_t kw, int32_t sh,
                                               int32_t sw, int32_t pt, int32_t pl, int32_t dh, int32_t dw, int32_t zp)
{
    const int8_t *img = in + (size_t)b * (size_t)h * (size_t)w * (size_t)c;
    const int32_t zz = (int32_t)(((uint32_t)zp & 0xffffu) | ((uint32_t)zp << 16));
    int32_t ky, kx, t;
    for (ky = 0; ky < kh; ky++)
    {
        const int32_t iy = oy * sh - pt + ky * dh;
        if (dw == 1 && iy >= 0 && iy < h && ox * sw - pl >= 0 && ox * sw - pl + kw <= w) /* contiguous taps */
        {
            const int8_t *src = img + ((size_t)iy * (size_t)w + (size_t)(ox * sw - pl)) * (size_t)c;
            GEN_FAST_UNROLL
            for (t = 0; t < kw * c; t += 4)
            {
                int32_t v;
                memcpy(&v, src + t, sizeof v);
                buf[0] = __sxtb16(v);
                buf[1] = gen_nn_sxtb16_ror8(v);
                buf += 2;
            }
            continue;
        }
        for (kx = 0; kx < kw; kx++)
        {
            const int32_t ix = ox * sw - pl + kx * dw;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
            {
                GEN_FAST_UNROLL
                for (t = 0; t < c; t += 4)
                {
                    buf[0] = zz;
                    buf[1] = zz;
                    buf += 2;
                }
            }
            else
            {
                const int8_t *src = img + ((size_t)iy * (size_t)w + (size_t)ix) * (size_t)c;
                GEN_FAST_UNROLL
                for (t = 0; t < c; t += 4)
                {
                    int32_t v;
                    memcpy(&v, src + t, sizeof v);
                    buf[0] = __sxtb16(v);
                    buf[1] = gen_nn_sxtb16_ror8(v);
                    buf += 2;
                }
            }
        }
    }
}
#endif

#if defined(GEN_NN_DSP) && defined(__GNUC__)
/* four widened inputs of two rows (B0, B1) times four weights of two channels: 16 multiply-accumulates
 * in 15 instructions (13 registers) */
#define GEN_FAST_CONV_DOT_2X2_STEP(B0, B1, W, S00, S01, S10, S11)                                           \
    do                                                                                                      \
    {                                                                                                       \
        int32_t u0_, u1_, ue_, uo_, b0_, b1_;                                                               \
        __asm__("ldrd %[u0], %[u1], [%[wq]], #8\n\t"                                                        \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "ldrd %[b0], %[b1], [%[bq0]], #8\n\t"                                                       \
                "smlad %[a00], %[b0], %[ue], %[a00]\n\t"                                                    \
                "smlad %[a00], %[b1], %[uo], %[a00]\n\t"                                                    \
                "smlad %[a01], %[b0], %[u0], %[a01]\n\t"                                                    \
                "smlad %[a01], %[b1], %[u1], %[a01]\n\t"                                                    \
                "ldrd %[b0], %[b1], [%[bq1]], #8\n\t"                                                       \
                "smlad %[a10], %[b0], %[ue], %[a10]\n\t"                                                    \
                "smlad %[a10], %[b1], %[uo], %[a10]\n\t"                                                    \
                "smlad %[a11], %[b0], %[u0], %[a11]\n\t"                                                    \
                "smlad %[a11], %[b1], %[u1], %[a11]"                                                        \
                : [u0] "=&r"(u0_), [u1] "=&r"(u1_), [ue] "=&r"(ue_), [uo] "=&r"(uo_), [b0] "=&r"(b0_),          \
                  [b1] "=&r"(b1_), [a00] "+r"(S00), [a01] "+r"(S01), [a10] "+r"(S10), [a11] "+r"(S11),         \
                  [wq] "+r"(W), [bq0] "+r"(B0), [bq1] "+r"(B1)                                               \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
#elif defined(GEN_NN_DSP)
#define GEN_FAST_CONV_DOT_2X2_STEP(B0, B1, W, S00, S01, S10, S11)                                           \
    do                                                                                                      \
    {                                                                                                       \
        const int32_t ue_ = __sxtb16(W[0]), uo_ = gen_nn_sxtb16_ror8(W[0]);                                 \
        const int32_t ve_ = __sxtb16(W[1]), vo_ = gen_nn_sxtb16_ror8(W[1]);                                 \
        S00 = __smlad(B0[1], uo_, __smlad(B0[0], ue_, S00));                                                \
        S01 = __smlad(B0[1], vo_, __smlad(B0[0], ve_, S01));                                                \
        S10 = __smlad(B1[1], uo_, __smlad(B1[0], ue_, S10));                                                \
        S11 = __smlad(B1[1], vo_, __smlad(B1[0], ve_, S11));                                                \
        W += 2;                                                                                             \
        B0 += 2;                                                                                            \
        B1 += 2;                                                                                            \
    } while (0)
#endif

/* Convolution, one group, NHWC: out[b][oy][ox][m] for n batches of h x w x c inputs and oh x ow outputs,
 * kernel kh x kw, stride sh x sw, padding pt (top) and pl (left), dilation dh x dw; in_off is minus
 * the input zero point. w, rq: as gen_fast_pw_s8's for k = kh * kw * c. scratch: 4 * k4 bytes,
 * word-aligned. */
GEN_FAST_INLINE void gen_fast_conv_s8(const int8_t *in,
                                      int8_t *out,
                                      const int32_t *w,
                                      const gen_fast_rq *rq,
                                      void *scratch,
                                      int32_t n,
                                      int32_t h,
                                      int32_t wd,
                                      int32_t c,
                                      int32_t oh,
                                      int32_t ow,
                                      int32_t out_c,
                                      int32_t kh,
                                      int32_t kw,
                                      int32_t sh,
                                      int32_t sw,
                                      int32_t pt,
                                      int32_t pl,
                                      int32_t dh,
                                      int32_t dw,
                                      int32_t in_off,
                                      int32_t rshift,
                                      int32_t out_off,
                                      int32_t act_min,
                                      int32_t act_max)
{
    const int32_t k = kh * kw * c;
    const int32_t k4 = (k + 3) & ~3;
    const int32_t n_pix = n * oh * ow;
    int32_t *buf0 = (int32_t *)scratch;     /* two rows of k4 int16 (k4 / 2 words each) */
    int32_t *buf1 = buf0 + (k4 >> 1);
    int32_t b = 0, oy = 0, ox = 0;
    int32_t p;
#ifdef GEN_FAST_MVE
    /* a 2x2 block's outputs (pixel, channel) (0, oc), (0, oc + 1), (1, oc), (1, oc + 1) as vector lanes:
     * their gen_fast_rq entries' and output bytes' offsets */
    static const uint32_t block_rq[4] = {0, 16, 0, 16};
    /* the byte offsets of a pair's first channel's four words in 32 bytes of its interleaved words */
    static const uint32_t pair_first[4] = {0, 8, 16, 24};
    const uint32_t block_y[4] = {0, 1, (uint32_t)out_c, (uint32_t)out_c + 1u};
    const uint32x4_t offs0 = vldrwq_u32(pair_first);
    const uint32x4_t offs1 = vaddq_n_u32(offs0, 4);
    const uint32x4_t rq_offs = vldrwq_u32(block_rq);
    const uint32x4_t y_offs = vldrwq_u32(block_y);
    const int8_t *wb = (const int8_t *)(const void *)w;
#endif
    for (p = 0; p < n_pix; p += 2)
    {
        const int32_t rows = p + 2 <= n_pix ? 2 : 1;
        int8_t *y0 = out + (size_t)p * (size_t)out_c;
        int32_t oc = 0;
        int32_t r;
        /* each row's int8 in the second half of its k4 int16 (widened in place on DSP cores) */
        for (r = 0; r < rows; r++)
        {
#ifdef GEN_FAST_CONV_WIDE
            if ((c & 3) == 0)
            {
                gen_fast_conv_gather_wide(in, r ? buf1 : buf0, b, oy, ox, h, wd, c, kh, kw, sh, sw, pt, pl, dh, dw,
                                          -in_off);
            }
            else
#endif
#ifdef GEN_FAST_MVE
            if (oy * sh - pt >= 0 && oy * sh - pt + (kh - 1) * dh < h && ox * sw - pl >= 0 &&
                ox * sw - pl + (kw - 1) * dw < wd)
            {
                gen_fast_conv_gather_inside(in + (size_t)b * (size_t)h * (size_t)wd * (size_t)c,
                                            (int8_t *)(void *)((r ? buf1 : buf0) + (k4 >> 2)), oy * sh - pt,
                                            ox * sw - pl, wd, c, kh, kw, dh, dw, k4);
            }
            else
#endif
            {
                gen_fast_conv_gather(in, (int8_t *)(void *)((r ? buf1 : buf0) + (k4 >> 2)), b, oy, ox, h, wd, c, kh,
                                     kw, sh, sw, pt, pl, dh, dw, k4, -in_off);
#ifdef GEN_FAST_CONV_WIDE
                gen_fast_conv_widen(r ? buf1 : buf0, k4);
#endif
            }
            if (++ox == ow)
            {
                ox = 0;
                if (++oy == oh)
                {
                    oy = 0;
                    b++;
                }
            }
        }
#ifdef GEN_FAST_MVE
        for (; oc + 2 <= out_c; oc += 2)
        {
            const int8_t *x0 = (const int8_t *)(const void *)(buf0 + (k4 >> 2));
            const int8_t *x1 = (const int8_t *)(const void *)((rows == 2 ? buf1 : buf0) + (k4 >> 2));
            int32_t s00 = rq[oc].bias, s01 = rq[oc + 1].bias, s10 = s00, s11 = s01;
            int32x4_t r;
            gen_fast_conv_mve_2x2(x0, x1, w + (size_t)oc * (size_t)(k4 >> 2), k4, offs0, offs1, &s00, &s01, &s10, &s11);
            r = gen_fast_mve_requant4(gen_fast_mve_lanes4(s00, s01, s10, s11), rq + oc, rq_offs,
                                      rshift, out_off, act_min, act_max);
            if (rows == 2)
            {
                vstrbq_scatter_offset_s32(y0 + oc, y_offs, r);
            }
            else    /* the last pixel alone: its two lanes */
            {
                vstrbq_scatter_offset_p_s32(y0 + oc, y_offs, r, vctp32q(2));
            }
        }
        if (oc < out_c) /* the odd last channel */
        {
            const int8_t *x0 = (const int8_t *)(const void *)(buf0 + (k4 >> 2));
            const int8_t *x1 = (const int8_t *)(const void *)((rows == 2 ? buf1 : buf0) + (k4 >> 2));
            int32_t s0 = rq[oc].bias, s1 = s0;
            gen_fast_rq q0;
            gen_fast_conv_mve_2x1(x0, x1, wb + (size_t)oc * (size_t)k4, k4, &s0, &s1);
            q0 = rq[oc];
            {
                const int8_t r0 = gen_fast_out(s0, q0, rshift, out_off, act_min, act_max);
                const int8_t r1 = gen_fast_out(s1, q0, rshift, out_off, act_min, act_max);
                y0[oc] = r0;
                if (rows == 2)
                {
                    y0[out_c + oc] = r1;
                }
            }
        }
#else
        for (; oc + 2 <= out_c; oc += 2)
        {
            int32_t s00 = rq[oc].bias, s01 = rq[oc + 1].bias, s10 = s00, s11 = s01;
            gen_fast_rq q0, q1;
            int32_t j;
#ifdef GEN_NN_DSP
            const int32_t *wp = w + (size_t)oc * (size_t)(k4 >> 2);
            const int32_t *b0 = buf0;
            const int32_t *b1 = rows == 2 ? buf1 : buf0;
            GEN_FAST_UNROLL
            for (j = 0; j < k4; j += 4)
            {
                GEN_FAST_CONV_DOT_2X2_STEP(b0, b1, wp, s00, s01, s10, s11);
            }
#else
            const int8_t *x0 = (const int8_t *)(const void *)(buf0 + (k4 >> 2));
            const int8_t *x1 = (const int8_t *)(const void *)((rows == 2 ? buf1 : buf0) + (k4 >> 2));
            (void)j;  /* the DSP steps' counter */
            gen_fast_dot_2x2_c(x0, x1, w, k, out_c, oc, &s00, &s01, &s10, &s11);
#endif
            q0 = rq[oc];
            q1 = rq[oc + 1];
            GEN_FAST_STORE_PAIR(y0, 0, out_c, oc, q0, q1, s00, s01);
            if (rows == 2)
            {
                GEN_FAST_STORE_PAIR(y0, 1, out_c, oc, q0, q1, s10, s11);
            }
        }
        if (oc < out_c) /* the odd last channel */
        {
            for (r = 0; r < rows; r++)
            {
                int32_t s0 = rq[oc].bias;
                int32_t j;
#ifdef GEN_NN_DSP
                const int32_t *wp = w + (size_t)oc * (size_t)(k4 >> 2);
                const int32_t *bp = r ? buf1 : buf0;
                for (j = 0; j < k4; j += 4)
                {
                    s0 = __smlad(bp[0], __sxtb16(*wp), s0);
                    s0 = __smlad(bp[1], gen_nn_sxtb16_ror8(*wp), s0);
                    wp++;
                    bp += 2;
                }
#else
                const int8_t *x0 = (const int8_t *)(const void *)((r ? buf1 : buf0) + (k4 >> 2));
                for (j = 0; j < k; j++)
                {
                    s0 += (int32_t)x0[j] * gen_fast_pw_weight(w, k4, out_c, oc, j);
                }
#endif
                y0[(size_t)r * (size_t)out_c + (size_t)oc] =
                    gen_fast_out(s0, rq[oc], rshift, out_off, act_min, act_max);
            }
        }
#endif
    }
}

#endif /* GEN_FAST_CONV_S8_H */
