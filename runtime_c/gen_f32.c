/* gen's portable float32 kernels. See gen_f32.h. */
#include "gen_f32.h"
#include "gen_index.h"

#include <math.h>

static float act_apply(float v, const gen_act *a)
{
    if (v < 0.0f) {
        v *= a->alpha;
    }
    if (v < a->lo) {
        v = a->lo;
    }
    if (v > a->hi) {
        v = a->hi;
    }
    return v;
}

/* first and last output index whose input tap (o * stride - pad + k * dil) falls inside [0, size) */
static void tap_range(int32_t size, int32_t out, int32_t stride, int32_t pad, int32_t off, int32_t *lo, int32_t *hi)
{
    const int32_t first = pad - off;              /* o * stride >= first */
    const int32_t last = size - 1 + pad - off;    /* o * stride <= last */
    *lo = first <= 0 ? 0 : (first + stride - 1) / stride;
    *hi = last < 0 ? -1 : last / stride;
    if (*hi > out - 1) {
        *hi = out - 1;
    }
}

/* Per output channel, the output plane starts as the bias and every (input channel, tap) adds
 * w * (input plane shifted): the inner loop runs over a row without bounds checks, and each output
 * element still sums in the order bias, then channels, then taps. */
void gen_f32_conv(const float *x, const float *w, const float *bias, float *y, const gen_f32_conv_params *p)
{
    const int32_t cg = p->c / p->group; /* input channels per group */
    const int32_t mg = p->m / p->group; /* output channels per group */
    const size_t plane = (size_t)p->oh * p->ow;
    int32_t n, m, c, i, j, oh;
    size_t k;
    for (n = 0; n < p->n; n++) {
        for (m = 0; m < p->m; m++) {
            const int32_t g = m / mg;
            const float *wm = w + (size_t)m * cg * p->kh * p->kw;
            const float *xg = x + ((size_t)n * p->c + (size_t)g * cg) * p->h * p->w;
            float *ym = y + ((size_t)n * p->m + m) * plane;
            const float b = bias ? bias[m] : 0.0f;
            for (k = 0; k < plane; k++) {
                ym[k] = b;
            }
            for (c = 0; c < cg; c++) {
                const float *xc = xg + (size_t)c * p->h * p->w;
                for (i = 0; i < p->kh; i++) {
                    int32_t oh_lo, oh_hi;
                    tap_range(p->h, p->oh, p->sh, p->pt, i * p->dh, &oh_lo, &oh_hi);
                    for (j = 0; j < p->kw; j++) {
                        const float wv = wm[((size_t)c * p->kh + i) * p->kw + j];
                        int32_t ow_lo, ow_hi, ow;
                        tap_range(p->w, p->ow, p->sw, p->pl, j * p->dw, &ow_lo, &ow_hi);
                        for (oh = oh_lo; oh <= oh_hi; oh++) {
                            const int32_t ih = oh * p->sh - p->pt + i * p->dh;
                            const float *xr = xc + (size_t)ih * p->w + (ow_lo * p->sw - p->pl + j * p->dw);
                            float *yr = ym + (size_t)oh * p->ow;
                            if (p->sw == 1) {
                                for (ow = ow_lo; ow <= ow_hi; ow++) {
                                    yr[ow] += wv * *xr++;
                                }
                            } else {
                                for (ow = ow_lo; ow <= ow_hi; ow++) {
                                    yr[ow] += wv * *xr;
                                    xr += p->sw;
                                }
                            }
                        }
                    }
                }
            }
            for (k = 0; k < plane; k++) {
                ym[k] = act_apply(ym[k], &p->act);
            }
        }
    }
}

void gen_f32_gemm(const float *a, const float *b, const float *c, float *y, const gen_f32_gemm_params *p)
{
    int32_t i, j, k;
    /* element (i, k) of A' and (k, j) of B' */
    const int32_t a_si = p->trans_a ? 1 : p->k, a_sk = p->trans_a ? p->m : 1;
    const int32_t b_sk = p->trans_b ? 1 : p->n, b_sj = p->trans_b ? p->k : 1;
    for (i = 0; i < p->m; i++) {
        for (j = 0; j < p->n; j++) {
            const float *ap = a + (size_t)i * a_si;
            const float *bp = b + (size_t)j * b_sj;
            float acc = 0.0f;
            if (a_sk == 1 && b_sk == 1) { /* the usual case: rows of A and of a [N, K] B */
                for (k = 0; k < p->k; k++) {
                    acc += ap[k] * bp[k];
                }
            } else {
                for (k = 0; k < p->k; k++) {
                    acc += ap[(size_t)k * a_sk] * bp[(size_t)k * b_sk];
                }
            }
            acc *= p->alpha;
            if (c) {
                acc += p->beta * c[(size_t)i * p->c_sm + (size_t)j * p->c_sn];
            }
            y[(size_t)i * p->n + j] = act_apply(acc, &p->act);
        }
    }
}

void gen_f32_matmul(const float *a, const float *b, float *y, const gen_f32_matmul_params *p)
{
    int32_t idx[GEN_MAX_DIMS] = {0};
    const size_t mk = (size_t)p->m * p->k, kn = (size_t)p->k * p->n, mn = (size_t)p->m * p->n;
    do {
        const float *ab = a + gen_index_offset(idx, p->a_stride, p->ndim) * mk;
        const float *bb = b + gen_index_offset(idx, p->b_stride, p->ndim) * kn;
        int32_t i, j, k;
        for (i = 0; i < p->m; i++) {
            for (j = 0; j < p->n; j++) {
                float acc = 0.0f;
                for (k = 0; k < p->k; k++) {
                    acc += ab[(size_t)i * p->k + k] * bb[(size_t)k * p->n + j];
                }
                y[(size_t)i * p->n + j] = act_apply(acc, &p->act);
            }
        }
        y += mn;
    } while (gen_index_next(idx, p->shape, p->ndim));
}

static float binary_op(int32_t op, float a, float b)
{
    switch (op) {
    case GEN_ADD:
        return a + b;
    case GEN_SUB:
        return a - b;
    case GEN_MUL:
        return a * b;
    default:
        return a / b;
    }
}

void gen_f32_binary(const float *a, const float *b, float *y, const gen_f32_binary_params *p)
{
    int32_t idx[GEN_MAX_DIMS] = {0};
    const int32_t last = p->ndim - 1;
    const int32_t len = p->shape[last], sa = p->a_stride[last], sb = p->b_stride[last];
    /* the innermost dim runs in a tight loop; the outer ones step with next_index */
    do {
        const float *ap = a + gen_index_offset(idx, p->a_stride, last);
        const float *bp = b + gen_index_offset(idx, p->b_stride, last);
        int32_t i;
        for (i = 0; i < len; i++) {
            y[i] = act_apply(binary_op(p->op, ap[(size_t)i * sa], bp[(size_t)i * sb]), &p->act);
        }
        y += len;
    } while (gen_index_next(idx, p->shape, last));
}

void gen_f32_unary(int32_t op, const float *x, float *y, int32_t n, float a, float b)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        const float v = x[i];
        float r;
        switch (op) {
        case GEN_RELU:
            r = v > 0.0f ? v : 0.0f;
            break;
        case GEN_SIGMOID:
            r = v >= 0.0f ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v));
            break;
        case GEN_TANH:
            r = tanhf(v);
            break;
        case GEN_HARDSIGMOID:
            r = a * v + b;
            r = r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r);
            break;
        case GEN_HARDSWISH:
            r = v / 6.0f + 0.5f;
            r = r < 0.0f ? 0.0f : (r > 1.0f ? 1.0f : r);
            r *= v;
            break;
        case GEN_CLIP: /* ONNX: min(max(v, lo), hi), so hi wins when lo > hi */
            r = v < a ? a : v;
            r = r > b ? b : r;
            break;
        default: /* GEN_LEAKYRELU */
            r = v < 0.0f ? a * v : v;
            break;
        }
        y[i] = r;
    }
}

void gen_f32_softmax(const float *x, float *y, int32_t outer, int32_t len, int32_t inner)
{
    int32_t o, i, k;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xp = x + (size_t)o * len * inner + i;
            float *yp = y + (size_t)o * len * inner + i;
            float mx = xp[0], sum = 0.0f;
            for (k = 1; k < len; k++) {
                if (xp[(size_t)k * inner] > mx) {
                    mx = xp[(size_t)k * inner];
                }
            }
            for (k = 0; k < len; k++) {
                const float e = expf(xp[(size_t)k * inner] - mx);
                yp[(size_t)k * inner] = e;
                sum += e;
            }
            for (k = 0; k < len; k++) {
                yp[(size_t)k * inner] /= sum;
            }
        }
    }
}

void gen_f32_pool(const float *x, float *y, const gen_f32_pool_params *p)
{
    int32_t c, oh, ow, i, j;
    for (c = 0; c < p->nc; c++) {
        const float *xc = x + (size_t)c * p->h * p->w;
        for (oh = 0; oh < p->oh; oh++) {
            for (ow = 0; ow < p->ow; ow++) {
                const int32_t ih0 = oh * p->sh - p->pt, iw0 = ow * p->sw - p->pl;
                float acc = p->is_max ? -INFINITY : 0.0f;
                int32_t count = 0;
                for (i = 0; i < p->kh; i++) {
                    const int32_t ih = ih0 + i * p->dh;
                    const int in_h = ih >= 0 && ih < p->h;
                    const int pad_h = ih >= -p->pt && ih < p->h + p->pb;
                    for (j = 0; j < p->kw; j++) {
                        const int32_t iw = iw0 + j * p->dw;
                        const int in_w = iw >= 0 && iw < p->w;
                        if (in_h && in_w) {
                            const float v = xc[ih * p->w + iw];
                            if (p->is_max) {
                                acc = v > acc ? v : acc;
                            } else {
                                acc += v;
                            }
                            count++;
                        } else if (p->count_include_pad && pad_h && iw >= -p->pl && iw < p->w + p->pr) {
                            count++;
                        }
                    }
                }
                if (!p->is_max) {
                    acc = count ? acc / (float)count : 0.0f;
                }
                y[((size_t)c * p->oh + oh) * p->ow + ow] = act_apply(acc, &p->act);
            }
        }
    }
}

void gen_f32_mean_inner(const float *x, float *y, int32_t outer, int32_t inner)
{
    int32_t o, i;
    for (o = 0; o < outer; o++) {
        float acc = 0.0f;
        for (i = 0; i < inner; i++) {
            acc += x[(size_t)o * inner + i];
        }
        y[o] = acc / (float)inner;
    }
}

void gen_f32_reduce_mean(const float *x, float *y, const gen_f32_reduce_params *p)
{
    int32_t idx[GEN_MAX_DIMS] = {0};
    int32_t i;
    for (i = 0; i < p->y_size; i++) {
        y[i] = 0.0f;
    }
    do {
        y[gen_index_offset(idx, p->y_stride, p->ndim)] += *x++;
    } while (gen_index_next(idx, p->shape, p->ndim));
    for (i = 0; i < p->y_size; i++) {
        y[i] *= p->scale;
    }
}

void gen_f32_channel_affine(const float *x, float *y, int32_t n, int32_t c, int32_t inner,
                            const float *scale, const float *shift)
{
    int32_t b, ch, i;
    for (b = 0; b < n; b++) {
        for (ch = 0; ch < c; ch++) {
            const float s = scale[ch], t = shift[ch];
            for (i = 0; i < inner; i++) {
                *y++ = *x++ * s + t;
            }
        }
    }
}
