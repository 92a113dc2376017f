/* gen_fast_f32.h - gen's layer-specialized float32 kernels (written for gen).
 *
 * Called, like the int8 ones (gen_fast_s8.h), from one static wrapper per distinct layer shape with the
 * shape as literals. NCHW, batch 1 per call. What generation time prepares (gen/ops/fast_f32.py):
 *   - convolution weights as [m4 / 4][k][4]: four output channels' weights for one tap side by side
 *     (k = c * kh * kw; channels past m are zero and never stored);
 *   - depthwise weights as they are ([c][kh][kw]).
 * Every multiply-accumulate is one fmaf: one VFMA.F32 on a core with an FPU (Cortex-M4F/M7/M33/M55),
 * the same correctly rounded value on the host, so host and board compute the same bits.
 */
#ifndef GEN_FAST_F32_H
#define GEN_FAST_F32_H

#include <math.h>
#include <stdint.h>

#include "gen_fast.h"

/* the 4x4 step in inline assembly (two VLDM, 16 VFMA) on a GNU C compiler for a Thumb-2 core with a
 * single-precision FPU that has VFMA (Cortex-M4F, M7, M33, M55); plain C elsewhere (fmaf: the same bits) */
#if defined(__GNUC__) && !defined(__clang__) && defined(__thumb2__) && defined(__ARM_FP) && (__ARM_FP & 4) && \
    defined(__ARM_FEATURE_FMA)
#define GEN_FAST_F32_ASM 1
#else
#define GEN_FAST_F32_ASM 0
#endif

/* the fused activation, `act` a literal: 0 none; 1 Relu (max(v, 0)); 2 slope alpha below zero, then the
 * clamp to [lo, hi] (LeakyRelu, Clip, Relu6) */
GEN_FAST_INLINE float gen_fast_act_f32(float v, int32_t act, float lo, float hi, float alpha)
{
    if (act == 1) {
        v = v < 0.0f ? 0.0f : v;       /* NaN stays NaN, as in the generic kernels */
    } else if (act == 2) {
        if (v < 0.0f) {
            v *= alpha;
        }
        v = v < lo ? lo : v;
        v = v > hi ? hi : v;
    }
    return v;
}

/* the first np (1..4) of four outputs of one channel, activated */
GEN_FAST_INLINE void gen_fast_store4_f32(float *yr, int32_t np, float v0, float v1, float v2, float v3, int32_t act,
                                         float lo, float hi, float alpha)
{
    yr[0] = gen_fast_act_f32(v0, act, lo, hi, alpha);
    if (np > 1) {
        yr[1] = gen_fast_act_f32(v1, act, lo, hi, alpha);
    }
    if (np > 2) {
        yr[2] = gen_fast_act_f32(v2, act, lo, hi, alpha);
    }
    if (np > 3) {
        yr[3] = gen_fast_act_f32(v3, act, lo, hi, alpha);
    }
}

/* the patch of pixel p (output row p / ow, column p % ow) into patch[kk * 4 + slot] for kk < k: input
 * taps, zero where the window leaves the input */
GEN_FAST_INLINE void gen_fast_patch_f32(const float *x, float *patch, int32_t slot, int32_t p, int32_t c, int32_t h,
                                        int32_t w, int32_t ow, int32_t kh, int32_t kw, int32_t sh, int32_t sw,
                                        int32_t dh, int32_t dw, int32_t pt, int32_t pl)
{
    const int32_t y0 = p / ow * sh - pt, x0 = p % ow * sw - pl;
    int32_t ch, i, j;
    float *d = patch + slot;
    for (ch = 0; ch < c; ch++) {
        const float *xc = x + (int32_t)ch * h * w;
        for (i = 0; i < kh; i++) {
            const int32_t yy = y0 + i * dh;
            if (yy < 0 || yy >= h) {
                for (j = 0; j < kw; j++) {
                    *d = 0.0f;
                    d += 4;
                }
                continue;
            }
            for (j = 0; j < kw; j++) {
                const int32_t xx = x0 + j * dw;
                *d = (xx >= 0 && xx < w) ? xc[yy * w + xx] : 0.0f;
                d += 4;
            }
        }
    }
}

/* the 4x4 block's step: accumulator aIJ (channel I, pixel J) += wI * tJ */
#define GEN_FAST_F32_FMA16                                                                                   \
    a00 = fmaf(w0, t0, a00), a01 = fmaf(w0, t1, a01), a02 = fmaf(w0, t2, a02), a03 = fmaf(w0, t3, a03);     \
    a10 = fmaf(w1, t0, a10), a11 = fmaf(w1, t1, a11), a12 = fmaf(w1, t2, a12), a13 = fmaf(w1, t3, a13);     \
    a20 = fmaf(w2, t0, a20), a21 = fmaf(w2, t1, a21), a22 = fmaf(w2, t2, a22), a23 = fmaf(w2, t3, a23);     \
    a30 = fmaf(w3, t0, a30), a31 = fmaf(w3, t1, a31), a32 = fmaf(w3, t2, a32), a33 = fmaf(w3, t3, a33);

/* the patch of four pixels p..p+3 of one output row whose windows lie inside the input: no tests */
GEN_FAST_INLINE void gen_fast_patch4_inside_f32(const float *x, float *patch, int32_t p, int32_t c, int32_t h,
                                                int32_t w, int32_t ow, int32_t kh, int32_t kw, int32_t sh,
                                                int32_t sw, int32_t dh, int32_t dw, int32_t pt, int32_t pl)
{
    const int32_t y0 = p / ow * sh - pt, x0 = p % ow * sw - pl;
    int32_t ch, i, j;
    float *d = patch;
    for (ch = 0; ch < c; ch++) {
        for (i = 0; i < kh; i++) {
            const float *src = x + (ch * h + y0 + i * dh) * w + x0;
            GEN_FAST_UNROLL
            for (j = 0; j < kw; j++) {
                const float *t = src + j * dw;
                d[0] = t[0];
                d[1] = t[sw];
                d[2] = t[2 * sw];
                d[3] = t[3 * sw];
                d += 4;
            }
        }
    }
}

/* one pixel of a direct (1x1, stride-1, unpadded) layer: tap kk is x[kk * n_pix], the outputs y[mm * n_pix],
 * four output channels per block (the last pixels of a layer whose pixel count is not a multiple of 4) */
GEN_FAST_INLINE void gen_fast_conv_pixel_f32(const float *x, float *y, const float *wt, const float *bias,
                                             int32_t k, int32_t m, int32_t n_pix, int32_t act, float lo, float hi,
                                             float alpha)
{
    const int32_t m4 = (m + 3) / 4 * 4;
    int32_t mb, kk, i;
    for (mb = 0; mb < m4; mb += 4) {
        const float *wp = wt + mb * k;
        float a[4];
        for (i = 0; i < 4; i++) {
            a[i] = bias && mb + i < m ? bias[mb + i] : 0.0f;
        }
        {
            float a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
            GEN_FAST_UNROLL
            for (kk = 0; kk < k; kk++) {
                const float t = x[kk * n_pix];
                a0 = fmaf(wp[0], t, a0), a1 = fmaf(wp[1], t, a1), a2 = fmaf(wp[2], t, a2), a3 = fmaf(wp[3], t, a3);
                wp += 4;
            }
            a[0] = a0, a[1] = a1, a[2] = a2, a[3] = a3;
        }
        for (i = 0; i < 4 && mb + i < m; i++) {
            y[(mb + i) * n_pix] = gen_fast_act_f32(a[i], act, lo, hi, alpha);
        }
    }
}

/* y[mm][p] = act(bias[mm] + sum_kk w[mm][kk] * tap(p, kk)) for group-1 convolutions: four output
 * channels x four pixels per block (16 accumulators, 4 + 4 operand loads per 16 fmaf). `direct`: a 1x1,
 * stride-1, unpadded layer reads its taps from x itself (tap kk of pixel p is x[kk * n_pix + p]), the
 * others from a patch of four pixels built in `patch` ([k][4] floats of scratch). */
GEN_FAST_INLINE void gen_fast_conv_f32(const float *x, float *y, const float *wt, const float *bias, float *patch,
                                       int32_t c, int32_t h, int32_t w, int32_t m, int32_t oh, int32_t ow,
                                       int32_t kh, int32_t kw, int32_t sh, int32_t sw, int32_t dh, int32_t dw,
                                       int32_t pt, int32_t pl, int32_t direct, int32_t act, float lo, float hi,
                                       float alpha)
{
    const int32_t k = c * kh * kw, n_pix = oh * ow, m4 = (m + 3) / 4 * 4;
    int32_t p, mb, kk, i;
    for (p = 0; p < n_pix; p += 4) {
        const int32_t np = n_pix - p < 4 ? n_pix - p : 4;   /* pixels in this block */
        if (direct && np < 4) {                              /* the last 1-3 pixels: no patch */
            for (i = 0; i < np; i++) {
                gen_fast_conv_pixel_f32(x + p + i, y + p + i, wt, bias, k, m, n_pix, act, lo, hi, alpha);
            }
            break;
        }
        const float *taps = direct ? x + p : patch;          /* a direct layer's taps are x itself */
        const int32_t ts = direct ? n_pix : 4;               /* from one tap to the next */
        const int32_t y0 = p / ow * sh - pt, x0 = p % ow * sw - pl;
        if (direct) {
            /* no patch */
        } else if (np == 4 && p % ow + 3 < ow && y0 >= 0 && y0 + (kh - 1) * dh < h && x0 >= 0 &&
            x0 + 3 * sw + (kw - 1) * dw < w) {
            gen_fast_patch4_inside_f32(x, patch, p, c, h, w, ow, kh, kw, sh, sw, dh, dw, pt, pl);
        } else {
            for (i = 0; i < 4; i++) {
                gen_fast_patch_f32(x, patch, i, i < np ? p + i : p, c, h, w, ow, kh, kw, sh, sw, dh, dw, pt, pl);
            }
        }
        for (mb = 0; mb < m4; mb += 4) {
            const float *wp = wt + mb * k;
            const float *tp = taps;
            const float b0 = bias && mb < m ? bias[mb] : 0.0f, b1 = bias && mb + 1 < m ? bias[mb + 1] : 0.0f;
            const float b2 = bias && mb + 2 < m ? bias[mb + 2] : 0.0f, b3 = bias && mb + 3 < m ? bias[mb + 3] : 0.0f;
            float a00 = b0, a01 = b0, a02 = b0, a03 = b0, a10 = b1, a11 = b1, a12 = b1, a13 = b1;
            float a20 = b2, a21 = b2, a22 = b2, a23 = b2, a30 = b3, a31 = b3, a32 = b3, a33 = b3;
#if GEN_FAST_F32_ASM
            GEN_FAST_UNROLL
            for (kk = 0; kk < k; kk++) {
                /* four weights and four taps in two VLDM (consecutive registers, hence pinned) */
                register float w0 __asm__("s16"), w1 __asm__("s17"), w2 __asm__("s18"), w3 __asm__("s19");
                register float t0 __asm__("s20"), t1 __asm__("s21"), t2 __asm__("s22"), t3 __asm__("s23");
                __asm__("vldmia %[w]!, {s16-s19}\n\t"
                        "vldmia %[t], {s20-s23}"
                        : "=t"(w0), "=t"(w1), "=t"(w2), "=t"(w3), "=t"(t0), "=t"(t1), "=t"(t2), "=t"(t3), [w] "+r"(wp)
                        : [t] "r"(tp), "m"(*(const float(*)[4])wp), "m"(*(const float(*)[4])tp));
                GEN_FAST_F32_FMA16
                tp += ts;
            }
#else
            GEN_FAST_UNROLL
            for (kk = 0; kk < k; kk++) {
                const float w0 = wp[0], w1 = wp[1], w2 = wp[2], w3 = wp[3];
                const float t0 = tp[0], t1 = tp[1], t2 = tp[2], t3 = tp[3];
                GEN_FAST_F32_FMA16
                wp += 4;
                tp += ts;
            }
#endif
            gen_fast_store4_f32(y + mb * n_pix + p, np, a00, a01, a02, a03, act, lo, hi, alpha);
            if (mb + 1 < m) {
                gen_fast_store4_f32(y + (mb + 1) * n_pix + p, np, a10, a11, a12, a13, act, lo, hi, alpha);
            }
            if (mb + 2 < m) {
                gen_fast_store4_f32(y + (mb + 2) * n_pix + p, np, a20, a21, a22, a23, act, lo, hi, alpha);
            }
            if (mb + 3 < m) {
                gen_fast_store4_f32(y + (mb + 3) * n_pix + p, np, a30, a31, a32, a33, act, lo, hi, alpha);
            }
        }
    }
}

/* depthwise (one output channel per input channel): per channel, the input plane is copied into the
 * interior of a zero-bordered plane `buf` ([(h + pt + pb) x wp] floats of scratch, wp = w + pl + pr; the
 * border is zeroed once) and every output is kh * kw fmaf with the channel's weights, no bounds tests */
GEN_FAST_INLINE void gen_fast_dw_f32(const float *x, float *y, const float *wt, const float *bias, float *buf,
                                     int32_t c, int32_t h, int32_t w, int32_t oh, int32_t ow, int32_t kh, int32_t kw,
                                     int32_t sh, int32_t sw, int32_t dh, int32_t dw, int32_t pt, int32_t pl,
                                     int32_t hp, int32_t wp, int32_t act, float lo, float hi, float alpha)
{
    int32_t ch, r, q, i, j;
    for (r = 0; r < hp * wp; r++) {
        buf[r] = 0.0f;
    }
    for (ch = 0; ch < c; ch++) {
        const float *xc = x + ch * h * w;
        const float *wc = wt + ch * kh * kw;
        const float b = bias ? bias[ch] : 0.0f;
        float *yc = y + ch * oh * ow;
        for (r = 0; r < h; r++) {
            float *d = buf + (r + pt) * wp + pl;
            GEN_FAST_UNROLL
            for (q = 0; q < w; q++) {
                d[q] = xc[r * w + q];
            }
        }
        for (r = 0; r < oh; r++) {
            const float *row = buf + r * sh * wp;
            float *yr = yc + r * ow;
            for (q = 0; q + 4 <= ow; q += 4) {     /* four outputs: overlapping windows' loads shared */
                const float *win = row + q * sw;
                float a0 = b, a1 = b, a2 = b, a3 = b;
                GEN_FAST_UNROLL
                for (i = 0; i < kh; i++) {
                    GEN_FAST_UNROLL
                    for (j = 0; j < kw; j++) {
                        const float wv = wc[i * kw + j];
                        const float *t = win + i * dh * wp + j * dw;
                        a0 = fmaf(wv, t[0], a0);
                        a1 = fmaf(wv, t[sw], a1);
                        a2 = fmaf(wv, t[2 * sw], a2);
                        a3 = fmaf(wv, t[3 * sw], a3);
                    }
                }
                gen_fast_store4_f32(yr + q, 4, a0, a1, a2, a3, act, lo, hi, alpha);
            }
            for (; q < ow; q++) {
                const float *win = row + q * sw;
                float acc = b;
                GEN_FAST_UNROLL
                for (i = 0; i < kh; i++) {
                    GEN_FAST_UNROLL
                    for (j = 0; j < kw; j++) {
                        acc = fmaf(wc[i * kw + j], win[i * dh * wp + j * dw], acc);
                    }
                }
                yr[q] = gen_fast_act_f32(acc, act, lo, hi, alpha);
            }
        }
    }
}

/* fully connected: y[r][j] = act(bias[j] + sum_kk a[r][kk] * w[j][kk]) for each of m rows, eight outputs
 * per block (weights [n8 / 8][k][8], outputs past n zero and never stored): per tap one load of a, the
 * eight weights in two VLDM (asm path) and eight fmaf */
GEN_FAST_INLINE void gen_fast_fc_f32(const float *a, float *y, const float *wt, const float *bias, int32_t m,
                                     int32_t k, int32_t n, int32_t act, float lo, float hi, float alpha)
{
    const int32_t n8 = (n + 7) / 8 * 8;
    int32_t r, nb, kk, i;
    for (r = 0; r < m; r++) {
        const float *ar = a + r * k;
        float *yr = y + r * n;
        for (nb = 0; nb < n8; nb += 8) {
            const float *wp = wt + nb * k;
            float acc[8];
            for (i = 0; i < 8; i++) {
                acc[i] = bias && nb + i < n ? bias[nb + i] : 0.0f;
            }
            {
                float c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3], c4 = acc[4], c5 = acc[5], c6 = acc[6];
                float c7 = acc[7];
                GEN_FAST_UNROLL
                for (kk = 0; kk < k; kk++) {
                    const float av = ar[kk];
#if GEN_FAST_F32_ASM
                    register float w0 __asm__("s16"), w1 __asm__("s17"), w2 __asm__("s18"), w3 __asm__("s19");
                    register float w4 __asm__("s20"), w5 __asm__("s21"), w6 __asm__("s22"), w7 __asm__("s23");
                    __asm__("vldmia %[w]!, {s16-s23}"
                            : "=t"(w0), "=t"(w1), "=t"(w2), "=t"(w3), "=t"(w4), "=t"(w5), "=t"(w6), "=t"(w7),
                              [w] "+r"(wp)
                            : "m"(*(const float(*)[8])wp));
#else
                    const float w0 = wp[0], w1 = wp[1], w2 = wp[2], w3 = wp[3];
                    const float w4 = wp[4], w5 = wp[5], w6 = wp[6], w7 = wp[7];
                    wp += 8;
#endif
                    c0 = fmaf(w0, av, c0), c1 = fmaf(w1, av, c1), c2 = fmaf(w2, av, c2), c3 = fmaf(w3, av, c3);
                    c4 = fmaf(w4, av, c4), c5 = fmaf(w5, av, c5), c6 = fmaf(w6, av, c6), c7 = fmaf(w7, av, c7);
                }
                acc[0] = c0, acc[1] = c1, acc[2] = c2, acc[3] = c3, acc[4] = c4, acc[5] = c5, acc[6] = c6;
                acc[7] = c7;
            }
            for (i = 0; i < 8 && nb + i < n; i++) {
                yr[nb + i] = gen_fast_act_f32(acc[i], act, lo, hi, alpha);
            }
        }
    }
}

/* y[i] = act(a[i * as] op b[i * bs]) for n elements, as and bs 0 (one value broadcast) or 1; op 0 add,
 * 1 subtract, 2 multiply, 3 divide (GEN_ADD .. GEN_DIV), a literal */
GEN_FAST_INLINE void gen_fast_binary_f32(const float *a, const float *b, float *y, int32_t n, int32_t as,
                                         int32_t bs, int32_t op, int32_t act, float lo, float hi, float alpha)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        const float u = a[i * as], v = b[i * bs];
        const float r = op == 0 ? u + v : op == 1 ? u - v : op == 2 ? u * v : u / v;
        y[i] = gen_fast_act_f32(r, act, lo, hi, alpha);
    }
}

#endif /* GEN_FAST_F32_H */
