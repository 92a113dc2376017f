/* gen's ConvTranspose kernels. See gen_conv_transpose.h. */
#include "gen_conv_transpose.h"

#include "gen_nn_math.h"

static float ct_act(float v, const gen_act *a)
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

/* the input row (or column) tap k of output position o reads, or -1 when it reads none */
static int32_t ct_source(int32_t o, int32_t k, int32_t pad, int32_t stride, int32_t dil, int32_t size)
{
    const int32_t t = o + pad - k * dil;
    if (t < 0 || t % stride != 0 || t / stride >= size) {
        return -1;
    }
    return t / stride;
}

void gen_f32_conv_transpose(const float *x, const float *w, const float *bias, float *y,
                            const gen_f32_conv_transpose_params *p)
{
    const int32_t cg = p->c / p->group, mg = p->m / p->group;
    int32_t n, m, oy, ox, c, ky, kx;
    size_t o = 0;
    for (n = 0; n < p->n; n++) {
        for (m = 0; m < p->m; m++) {
            const int32_t gi = m / mg, mm = m % mg;
            for (oy = 0; oy < p->oh; oy++) {
                for (ox = 0; ox < p->ow; ox++) {
                    float acc = bias != NULL ? bias[m] : 0.0f;
                    for (c = 0; c < cg; c++) {
                        const int32_t ci = gi * cg + c;
                        const float *xc = x + ((size_t)n * (size_t)p->c + (size_t)ci) * (size_t)p->h * (size_t)p->w;
                        const float *wc = w + ((size_t)ci * (size_t)mg + (size_t)mm) * (size_t)p->kh * (size_t)p->kw;
                        for (ky = 0; ky < p->kh; ky++) {
                            const int32_t iy = ct_source(oy, ky, p->pt, p->sh, p->dh, p->h);
                            if (iy < 0) {
                                continue;
                            }
                            for (kx = 0; kx < p->kw; kx++) {
                                const int32_t ix = ct_source(ox, kx, p->pl, p->sw, p->dw, p->w);
                                if (ix < 0) {
                                    continue;
                                }
                                acc += xc[(size_t)iy * (size_t)p->w + (size_t)ix] *
                                       wc[(size_t)ky * (size_t)p->kw + (size_t)kx];
                            }
                        }
                    }
                    y[o++] = ct_act(acc, &p->act);
                }
            }
        }
    }
}

void gen_s8_conv_transpose(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
                           const int32_t *shift, int8_t *y, const gen_s8_conv_transpose_params *p)
{
    const int32_t cg = p->c / p->group, mg = p->m / p->group;
    int32_t n, m, oy, ox, c, ky, kx;
    size_t o = 0;
    for (n = 0; n < p->n; n++) {
        const int8_t *xn = x + (size_t)n * (size_t)p->h * (size_t)p->w * (size_t)p->c;
        for (oy = 0; oy < p->oh; oy++) {
            for (ox = 0; ox < p->ow; ox++) {
                for (m = 0; m < p->m; m++) {
                    const int32_t gi = m / mg;
                    int32_t acc = bias[m], r;
                    for (ky = 0; ky < p->kh; ky++) {
                        const int32_t iy = ct_source(oy, ky, p->pt, p->sh, p->dh, p->h);
                        if (iy < 0) {
                            continue;
                        }
                        for (kx = 0; kx < p->kw; kx++) {
                            const int32_t ix = ct_source(ox, kx, p->pl, p->sw, p->dw, p->w);
                            const int8_t *xp, *wp;
                            if (ix < 0) {
                                continue;
                            }
                            xp = xn + ((size_t)iy * (size_t)p->w + (size_t)ix) * (size_t)p->c + (size_t)gi * (size_t)cg;
                            wp = w + (((size_t)m * (size_t)p->kh + (size_t)ky) * (size_t)p->kw + (size_t)kx) *
                                         (size_t)cg;
                            for (c = 0; c < cg; c++) {
                                acc += (int32_t)wp[c] * ((int32_t)xp[c] + p->in_offset);
                            }
                        }
                    }
                    r = gen_nn_requantize(acc, mult[m], shift[m]) + p->out_offset;
                    r = r < p->act_min ? p->act_min : r;
                    r = r > p->act_max ? p->act_max : r;
                    y[o++] = (int8_t)r;
                }
            }
        }
    }
}
