/* gen's Resize kernels. See gen_resize.h. */
#include "gen_resize.h"

#include "gen_nn_math.h"

void gen_resize_nearest(const void *x, void *y, size_t elem, const int32_t *rows, const int32_t *cols,
                        const gen_resize_params *p)
{
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    int32_t n, c, oy, ox;
    size_t k, o = 0;
    for (n = 0; n < p->n; n++) {
        if (p->channels_last) {
            const unsigned char *xn = xb + (size_t)n * (size_t)p->h * (size_t)p->w * (size_t)p->c * elem;
            for (oy = 0; oy < p->oh; oy++) {
                for (ox = 0; ox < p->ow; ox++) {
                    const unsigned char *src = xn + ((size_t)rows[oy] * (size_t)p->w + (size_t)cols[ox]) *
                                               (size_t)p->c * elem;
                    for (k = 0; k < (size_t)p->c * elem; k++) {
                        yb[o++] = src[k];
                    }
                }
            }
            continue;
        }
        for (c = 0; c < p->c; c++) {
            const unsigned char *xc = xb + ((size_t)n * (size_t)p->c + (size_t)c) * (size_t)p->h * (size_t)p->w * elem;
            for (oy = 0; oy < p->oh; oy++) {
                const unsigned char *xr = xc + (size_t)rows[oy] * (size_t)p->w * elem;
                for (ox = 0; ox < p->ow; ox++) {
                    const unsigned char *src = xr + (size_t)cols[ox] * elem;
                    for (k = 0; k < elem; k++) {
                        yb[o++] = src[k];
                    }
                }
            }
        }
    }
}

void gen_f32_resize_linear(const float *x, float *y, const int32_t *rows0, const int32_t *rows1, const float *wrows,
                           const int32_t *cols0, const int32_t *cols1, const float *wcols,
                           const gen_resize_params *p)
{
    int32_t nc, oy, ox;
    size_t o = 0;
    for (nc = 0; nc < p->n * p->c; nc++) {
        const float *xc = x + (size_t)nc * (size_t)p->h * (size_t)p->w;
        for (oy = 0; oy < p->oh; oy++) {
            const float *r0 = xc + (size_t)rows0[oy] * (size_t)p->w;
            const float *r1 = xc + (size_t)rows1[oy] * (size_t)p->w;
            float wy0 = wrows[oy], wy1 = wrows[p->oh + oy];
            for (ox = 0; ox < p->ow; ox++) {
                float wx0 = wcols[ox], wx1 = wcols[p->ow + ox];
                int32_t c0 = cols0[ox], c1 = cols1[ox];
                y[o++] = wx0 * wy0 * r0[c0] + wx1 * wy0 * r0[c1] + wx0 * wy1 * r1[c0] + wx1 * wy1 * r1[c1];
            }
        }
    }
}

void gen_f32_resize_cubic(const float *x, float *y, const int32_t *rows, const float *wrows, const int32_t *cols,
                          const float *wcols, const gen_resize_params *p)
{
    int32_t nc, oy, ox, t, u;
    size_t o = 0;
    for (nc = 0; nc < p->n * p->c; nc++) {
        const float *xc = x + (size_t)nc * (size_t)p->h * (size_t)p->w;
        for (oy = 0; oy < p->oh; oy++) {
            for (ox = 0; ox < p->ow; ox++) {
                float acc = 0.0f;
                for (t = 0; t < 4; t++) {
                    const float *r = xc + (size_t)rows[4 * oy + t] * (size_t)p->w;
                    float row = 0.0f;
                    for (u = 0; u < 4; u++) {
                        row += wcols[4 * ox + u] * r[cols[4 * ox + u]];
                    }
                    acc += wrows[4 * oy + t] * row;
                }
                y[o++] = acc;
            }
        }
    }
}

/* the blend of one output element's four taps (weights w00 + w01 + w10 + w11 == 2^22) */
static int8_t gen_s8_resize_blend(int32_t a, int32_t b, int32_t c, int32_t d, int32_t w00, int32_t w01,
                                  int32_t w10, int32_t w11, const gen_s8_resize_quant *q)
{
    const int32_t off = q->in_offset;
    const int32_t acc = w00 * (a + off) + w01 * (b + off) + w10 * (c + off) + w11 * (d + off);
    int32_t r = gen_nn_requantize(acc, q->mult, q->shift) + q->out_offset;
    r = r < q->lo ? q->lo : r;
    r = r > q->hi ? q->hi : r;
    return (int8_t)r;
}

void gen_s8_resize_linear(const int8_t *x, int8_t *y, const int32_t *rows0, const int32_t *rows1,
                          const int16_t *wrows, const int32_t *cols0, const int32_t *cols1, const int16_t *wcols,
                          const gen_resize_params *p, const gen_s8_resize_quant *q)
{
    const int32_t plane = p->h * p->w;
    int32_t n, c, oy, ox;
    size_t o = 0;
    for (n = 0; n < p->n; n++) {
        const int8_t *xn = x + (size_t)n * (size_t)plane * (size_t)p->c;
        if (p->channels_last) {
            for (oy = 0; oy < p->oh; oy++) {
                const int8_t *r0 = xn + (size_t)rows0[oy] * (size_t)p->w * (size_t)p->c;
                const int8_t *r1 = xn + (size_t)rows1[oy] * (size_t)p->w * (size_t)p->c;
                const int32_t wy0 = wrows[oy], wy1 = GEN_RESIZE_ONE - wy0;
                for (ox = 0; ox < p->ow; ox++) {
                    const int32_t wx0 = wcols[ox], wx1 = GEN_RESIZE_ONE - wx0;
                    const size_t c0 = (size_t)cols0[ox] * (size_t)p->c, c1 = (size_t)cols1[ox] * (size_t)p->c;
                    const int32_t w00 = wy0 * wx0, w01 = wy0 * wx1, w10 = wy1 * wx0, w11 = wy1 * wx1;
                    for (c = 0; c < p->c; c++) {
                        y[o++] = gen_s8_resize_blend(r0[c0 + (size_t)c], r0[c1 + (size_t)c], r1[c0 + (size_t)c],
                                                     r1[c1 + (size_t)c], w00, w01, w10, w11, q);
                    }
                }
            }
            continue;
        }
        for (c = 0; c < p->c; c++) {
            const int8_t *xc = xn + (size_t)c * (size_t)plane;
            for (oy = 0; oy < p->oh; oy++) {
                const int8_t *r0 = xc + (size_t)rows0[oy] * (size_t)p->w;
                const int8_t *r1 = xc + (size_t)rows1[oy] * (size_t)p->w;
                const int32_t wy0 = wrows[oy], wy1 = GEN_RESIZE_ONE - wy0;
                for (ox = 0; ox < p->ow; ox++) {
                    const int32_t wx0 = wcols[ox], wx1 = GEN_RESIZE_ONE - wx0;
                    const int32_t c0 = cols0[ox], c1 = cols1[ox];
                    y[o++] = gen_s8_resize_blend(r0[c0], r0[c1], r1[c0], r1[c1], wy0 * wx0, wy0 * wx1, wy1 * wx0,
                                                 wy1 * wx1, q);
                }
            }
        }
    }
}
