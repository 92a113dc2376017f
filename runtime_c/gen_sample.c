/* gen's sampling kernels (float32): see gen_sample.h. */
#include "gen_sample.h"

#include <math.h>

/* reflect x by the near border until it lies within [lo, hi] (the ONNX reference's _gs_reflect) */
static float gs_reflect(float x, float lo, float hi)
{
    float range = hi - lo, d, r;
    int32_t k;
    if (range <= 0.0f) {
        return lo;
    }
    if (x < lo) {
        d = lo - x;
        k = (int32_t)(d / range);
        r = d - (float)k * range;
        return (k % 2 == 0) ? lo + r : hi - r;
    }
    if (x > hi) {
        d = x - hi;
        k = (int32_t)(d / range);
        r = d - (float)k * range;
        return (k % 2 == 0) ? hi - r : lo + r;
    }
    return x;
}

/* the element index that tap i reads along an axis of length len (-1: a zero of zeros padding) */
static int32_t gs_index(int32_t i, int32_t len, int32_t padding, float lo, float hi)
{
    if (padding == GEN_GS_ZEROS) {
        return (i >= 0 && i < len) ? i : -1;
    }
    if (padding == GEN_GS_BORDER) {
        return i < 0 ? 0 : (i > len - 1 ? len - 1 : i);
    }
    i = (int32_t)gs_reflect((float)i, lo, hi);
    return i < 0 ? 0 : (i > len - 1 ? len - 1 : i);
}

static void gs_cubic(float t, float *w)
{
    const float a = -0.75f;
    float s = fabsf(t);
    w[0] = ((a * (s + 1.0f) - 5.0f * a) * (s + 1.0f) + 8.0f * a) * (s + 1.0f) - 4.0f * a;
    w[1] = ((a + 2.0f) * s - (a + 3.0f)) * s * s + 1.0f;
    w[2] = ((a + 2.0f) * (1.0f - s) - (a + 3.0f)) * (1.0f - s) * (1.0f - s) + 1.0f;
    w[3] = ((a * (2.0f - s) - 5.0f * a) * (2.0f - s) + 8.0f * a) * (2.0f - s) - 4.0f * a;
}

void gen_f32_gridsample(const float *x, const float *grid, float *y, const gen_gridsample_params *p)
{
    int32_t taps = p->mode == GEN_GS_NEAREST ? 1 : (p->mode == GEN_GS_LINEAR ? 2 : 4);
    int32_t in_size = p->in[0] * p->in[1] * p->in[2];
    int32_t out_size = p->out[0] * p->out[1] * p->out[2];
    int32_t b, ch, o, a, t0, t1, t2;
    for (b = 0; b < p->n; b++) {
        for (o = 0; o < out_size; o++) {
            const float *gp = grid + ((int32_t)b * out_size + o) * p->ndim;
            int32_t idx[3][4];
            float w[3][4];
            for (a = 0; a < 3; a++) {
                int32_t len = p->in[a];
                float lo = p->align_corners ? 0.0f : -0.5f;
                float hi = p->align_corners ? (float)len - 1.0f : (float)len - 0.5f;
                float v, f;
                int32_t base, k;
                if (a < 3 - p->ndim) {            /* the absent depth axis of a 2-D sample */
                    idx[a][0] = 0;
                    w[a][0] = 1.0f;
                    for (k = 1; k < taps; k++) {
                        idx[a][k] = -1;
                        w[a][k] = 0.0f;
                    }
                    continue;
                }
                v = gp[2 - a];                      /* the grid lists x (innermost) first */
                v = p->align_corners ? (v + 1.0f) / 2.0f * (float)(len - 1) : ((v + 1.0f) * (float)len - 1.0f) / 2.0f;
                if (p->mode == GEN_GS_NEAREST) {
                    v = rintf(v);
                }
                if (v < lo || v > hi) {
                    if (p->padding == GEN_GS_BORDER) {
                        v = v < 0.0f ? 0.0f : (v > (float)(len - 1) ? (float)(len - 1) : v);
                    } else if (p->padding == GEN_GS_REFLECTION) {
                        v = gs_reflect(v, lo, hi);
                    }
                }
                if (p->mode == GEN_GS_NEAREST) {
                    idx[a][0] = gs_index((int32_t)v, len, p->padding, lo, hi);
                    w[a][0] = 1.0f;
                    continue;
                }
                f = floorf(v);
                base = (int32_t)f;
                if (p->mode == GEN_GS_LINEAR) {
                    w[a][0] = 1.0f - fabsf(v - f);
                    w[a][1] = fabsf(v - f);
                } else {
                    gs_cubic(v - f, w[a]);
                    base -= 1;
                }
                for (k = 0; k < taps; k++) {
                    idx[a][k] = gs_index(base + k, len, p->padding, lo, hi);
                }
            }
            for (ch = 0; ch < p->c; ch++) {
                const float *xc = x + ((int32_t)b * p->c + ch) * in_size;
                float acc = 0.0f;
                for (t0 = 0; t0 < taps; t0++) {
                    if (idx[0][t0] < 0) {
                        continue;
                    }
                    for (t1 = 0; t1 < taps; t1++) {
                        float row = 0.0f;
                        if (idx[1][t1] < 0) {
                            continue;
                        }
                        for (t2 = 0; t2 < taps; t2++) {
                            if (idx[2][t2] >= 0) {
                                row += w[2][t2] * xc[(idx[0][t0] * p->in[1] + idx[1][t1]) * p->in[2] + idx[2][t2]];
                            }
                        }
                        acc += w[0][t0] * w[1][t1] * row;
                    }
                }
                y[((int32_t)b * p->c + ch) * out_size + o] = acc;
            }
        }
    }
}
