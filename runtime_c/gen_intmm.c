/* gen's integer kernels of dynamic quantization (see gen_intmm.h). Written for gen; C99. */
#include "gen_intmm.h"

#include <math.h>
#include <stddef.h>

static int32_t q8(const void *x, int32_t is_signed, size_t k)
{
    return is_signed ? (int32_t)((const int8_t *)x)[k] : (int32_t)((const uint8_t *)x)[k];
}

/* zero point k of a zp input of `count` values (0: none, 1: one for all) */
static int32_t zp_at(const void *zp, int32_t is_signed, int32_t count, int32_t k)
{
    if (zp == NULL || count == 0) {
        return 0;
    }
    return q8(zp, is_signed, count == 1 ? 0u : (size_t)k);
}

void gen_matmul_integer(const void *a, const void *bm, const void *a_zp, const void *b_zp, int32_t *y,
                        const gen_matmul_integer_params *p)
{
    int32_t b, i, j, k;
    for (b = 0; b < p->batch; b++) {
        const size_t a0 = (size_t)b * (size_t)p->m * (size_t)p->k;
        const size_t b0 = p->b_batched ? (size_t)b * (size_t)p->k * (size_t)p->n : 0u;
        for (i = 0; i < p->m; i++) {
            const int32_t za = zp_at(a_zp, p->a_signed, p->a_zp_count, i);
            for (j = 0; j < p->n; j++) {
                const int32_t zb = zp_at(b_zp, p->b_signed, p->b_zp_count, j);
                int32_t acc = 0;
                for (k = 0; k < p->k; k++) {
                    acc += (q8(a, p->a_signed, a0 + (size_t)i * (size_t)p->k + (size_t)k) - za) *
                           (q8(bm, p->b_signed, b0 + (size_t)k * (size_t)p->n + (size_t)j) - zb);
                }
                y[((size_t)b * (size_t)p->m + (size_t)i) * (size_t)p->n + (size_t)j] = acc;
            }
        }
    }
}

void gen_conv_integer(const void *x, const void *w, const void *x_zp, const void *w_zp, int32_t *y,
                      const gen_conv_integer_params *p)
{
    const int32_t cg = p->in_c / p->group, mg = p->out_c / p->group;
    const int32_t zx = zp_at(x_zp, p->x_signed, p->x_zp_count, 0);
    int32_t n, m, oh, ow, c, kh, kw;
    for (n = 0; n < p->batch; n++) {
        for (m = 0; m < p->out_c; m++) {
            const int32_t zw = zp_at(w_zp, p->w_signed, p->w_zp_count, m);
            const int32_t c0 = (m / mg) * cg;
            for (oh = 0; oh < p->out_h; oh++) {
                for (ow = 0; ow < p->out_w; ow++) {
                    int32_t acc = 0;
                    for (c = 0; c < cg; c++) {
                        for (kh = 0; kh < p->k_h; kh++) {
                            const int32_t ih = oh * p->stride_h - p->pad_top + kh * p->dil_h;
                            if (ih < 0 || ih >= p->in_h) {
                                continue;
                            }
                            for (kw = 0; kw < p->k_w; kw++) {
                                const int32_t iw = ow * p->stride_w - p->pad_left + kw * p->dil_w;
                                size_t xi, wi;
                                if (iw < 0 || iw >= p->in_w) {
                                    continue;
                                }
                                xi = (((size_t)n * (size_t)p->in_c + (size_t)(c0 + c)) * (size_t)p->in_h +
                                      (size_t)ih) * (size_t)p->in_w + (size_t)iw;
                                wi = (((size_t)m * (size_t)cg + (size_t)c) * (size_t)p->k_h + (size_t)kh) *
                                     (size_t)p->k_w + (size_t)kw;
                                acc += (q8(x, p->x_signed, xi) - zx) * (q8(w, p->w_signed, wi) - zw);
                            }
                        }
                    }
                    y[(((size_t)n * (size_t)p->out_c + (size_t)m) * (size_t)p->out_h + (size_t)oh) *
                      (size_t)p->out_w + (size_t)ow] = acc;
                }
            }
        }
    }
}

static uint8_t saturate_u8(float v)
{
    if (!(v > 0.0f)) {
        return 0u;
    }
    return v >= 255.0f ? (uint8_t)255u : (uint8_t)v;
}

void gen_dynamic_quantize(const float *x, uint8_t *y, float *y_scale, uint8_t *y_zero_point, int32_t n)
{
    float lo = 0.0f, hi = 0.0f, scale;
    uint8_t zp;
    int32_t i;
    for (i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    scale = (hi - lo) / 255.0f;
    if (!(scale > 0.0f)) {                  /* every x is 0 (or NaN): nothing to scale */
        *y_scale = 0.0f;
        *y_zero_point = 0u;
        for (i = 0; i < n; i++) {
            y[i] = 0u;
        }
        return;
    }
    zp = saturate_u8(nearbyintf(0.0f - lo / scale));      /* round half to even */
    *y_scale = scale;
    *y_zero_point = zp;
    for (i = 0; i < n; i++) {
        y[i] = saturate_u8(nearbyintf(x[i] / scale) + (float)zp);
    }
}
