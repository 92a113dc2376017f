/* gen's float32 pooling kernels. See gen_pool.h. */
#include "gen_pool.h"

#include <float.h>
#include <math.h>

static float pool_act(float v, const gen_act *a)
{
    if (v < 0.0f) {
        v = a->alpha * v;
    }
    if (v < a->lo) {
        v = a->lo;
    }
    if (v > a->hi) {
        v = a->hi;
    }
    return v;
}

void gen_f32_pool3(const float *x, float *y, const gen_f32_pool3_params *p)
{
    int32_t nc, oz, oy, ox, kz, ky, kx;
    size_t o = 0;
    for (nc = 0; nc < p->nc; nc++) {
        const float *xc = x + (size_t)nc * (size_t)p->d * (size_t)p->h * (size_t)p->w;
        for (oz = 0; oz < p->od; oz++) {
            for (oy = 0; oy < p->oh; oy++) {
                for (ox = 0; ox < p->ow; ox++) {
                    float acc = p->kind == GEN_POOL_MAX ? -FLT_MAX : 0.0f;
                    int32_t taps = 0, padded = 0;
                    for (kz = 0; kz < p->kd; kz++) {
                        const int32_t iz = oz * p->sd - p->pf + kz * p->dd;
                        if (iz >= p->d + p->pbk) {
                            break;
                        }
                        for (ky = 0; ky < p->kh; ky++) {
                            const int32_t iy = oy * p->sh - p->pt + ky * p->dh;
                            if (iy >= p->h + p->pb) {
                                break;
                            }
                            for (kx = 0; kx < p->kw; kx++) {
                                const int32_t ix = ox * p->sw - p->pl + kx * p->dw;
                                float v;
                                if (ix >= p->w + p->pr) {
                                    break;
                                }
                                padded++;
                                if (iz < 0 || iz >= p->d || iy < 0 || iy >= p->h || ix < 0 || ix >= p->w) {
                                    continue;
                                }
                                v = xc[((size_t)iz * (size_t)p->h + (size_t)iy) * (size_t)p->w + (size_t)ix];
                                taps++;
                                if (p->kind == GEN_POOL_MAX) {
                                    acc = v > acc ? v : acc;
                                } else if (p->kind == GEN_POOL_AVERAGE) {
                                    acc += v;
                                } else if (p->p == 1.0f) {
                                    acc += fabsf(v);
                                } else if (p->p == 2.0f) {
                                    acc += v * v;
                                } else {
                                    acc += powf(fabsf(v), p->p);
                                }
                            }
                        }
                    }
                    if (p->kind == GEN_POOL_AVERAGE) {
                        acc /= (float)(p->count_include_pad ? padded : taps);
                    } else if (p->kind == GEN_POOL_LP && p->p == 2.0f) {
                        acc = sqrtf(acc);
                    } else if (p->kind == GEN_POOL_LP && p->p != 1.0f) {
                        acc = powf(acc, 1.0f / p->p);
                    }
                    y[o++] = pool_act(acc, &p->act);
                }
            }
        }
    }
}

void gen_f32_lrn(const float *x, float *y, const gen_f32_lrn_params *p)
{
    const int32_t before = (p->size - 1) / 2, after = p->size / 2;
    int32_t n, c, k, j;
    for (n = 0; n < p->n; n++) {
        for (c = 0; c < p->c; c++) {
            const int32_t lo = c - before < 0 ? 0 : c - before;
            const int32_t hi = c + after >= p->c ? p->c - 1 : c + after;
            for (k = 0; k < p->inner; k++) {
                const size_t at = ((size_t)n * (size_t)p->c + (size_t)c) * (size_t)p->inner + (size_t)k;
                float sum = 0.0f;
                for (j = lo; j <= hi; j++) {
                    const float v = x[((size_t)n * (size_t)p->c + (size_t)j) * (size_t)p->inner + (size_t)k];
                    sum += v * v;
                }
                y[at] = x[at] / powf(p->bias + p->alpha / (float)p->size * sum, p->beta);
            }
        }
    }
}
