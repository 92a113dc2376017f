/* gen's MaxPool with Indices (see gen_pool_indices.h). Written for gen; C99. */
#include "gen_pool_indices.h"

/* the fused activation: (v < 0 ? alpha * v : v) clamped to [lo, hi] (gen_f32.h) */
static float indices_act(float v, const gen_act *a)
{
    v = v < 0.0f ? a->alpha * v : v;
    v = v < a->lo ? a->lo : v;
    return v > a->hi ? a->hi : v;
}

void gen_f32_maxpool3_indices(const float *x, float *y, int64_t *idx, const gen_f32_pool3_params *p,
                              int32_t col_major)
{
    const size_t plane = (size_t)p->d * (size_t)p->h * (size_t)p->w;
    int32_t c, oz, oy, ox, kz, ky, kx;
    size_t o = 0;
    for (c = 0; c < p->nc; c++) {
        for (oz = 0; oz < p->od; oz++) {
            for (oy = 0; oy < p->oh; oy++) {
                for (ox = 0; ox < p->ow; ox++, o++) {
                    float best = 0.0f;
                    int64_t at = -1;
                    for (kz = 0; kz < p->kd; kz++) {
                        const int32_t iz = oz * p->sd - p->pf + kz * p->dd;
                        if (iz < 0 || iz >= p->d) {
                            continue;
                        }
                        for (ky = 0; ky < p->kh; ky++) {
                            const int32_t iy = oy * p->sh - p->pt + ky * p->dh;
                            if (iy < 0 || iy >= p->h) {
                                continue;
                            }
                            for (kx = 0; kx < p->kw; kx++) {
                                const int32_t ix = ox * p->sw - p->pl + kx * p->dw;
                                size_t k;
                                if (ix < 0 || ix >= p->w) {
                                    continue;
                                }
                                k = ((size_t)iz * (size_t)p->h + (size_t)iy) * (size_t)p->w + (size_t)ix;
                                if (at < 0 || x[(size_t)c * plane + k] > best) {
                                    best = x[(size_t)c * plane + k];
                                    at = col_major ? (int64_t)((size_t)iz * (size_t)p->h * (size_t)p->w +
                                                               (size_t)iy + (size_t)ix * (size_t)p->h)
                                                   : (int64_t)k;
                                }
                            }
                        }
                    }
                    y[o] = indices_act(best, &p->act);
                    idx[o] = (int64_t)((size_t)c * plane) + at;
                }
            }
        }
    }
}
