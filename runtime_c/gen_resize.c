/* gen's Resize kernels. See gen_resize.h. */
#include "gen_resize.h"

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

