/* gen's portable reductions, arg-reductions, TopK, CumSum and softmax variants. See gen_reduce.h. */
#include "gen_reduce.h"
#include "gen_index.h"

#include <math.h>

static float reduce_init(int32_t op)
{
    switch (op) {
    case GEN_REDUCE_MAX:
    case GEN_REDUCE_LOGSUMEXP:
        return -INFINITY;
    case GEN_REDUCE_MIN:
        return INFINITY;
    case GEN_REDUCE_PROD:
        return 1.0f;
    default:
        return 0.0f;
    }
}

static float reduce_step(int32_t op, float acc, float v)
{
    switch (op) {
    case GEN_REDUCE_MAX:
    case GEN_REDUCE_LOGSUMEXP:          /* first pass: the largest value */
        return v > acc ? v : acc;
    case GEN_REDUCE_MIN:
        return v < acc ? v : acc;
    case GEN_REDUCE_PROD:
        return acc * v;
    case GEN_REDUCE_L1:
        return acc + fabsf(v);
    case GEN_REDUCE_L2:
    case GEN_REDUCE_SUMSQUARE:
        return acc + v * v;
    default:
        return acc + v;
    }
}

void gen_reduce_f32(const float *x, float *y, float *tmp, const gen_reduce_params *p)
{
    int32_t idx[GEN_REDUCE_MAX_DIMS] = {0};
    const float *xp = x;
    const float init = reduce_init(p->op);
    int32_t i;
    for (i = 0; i < p->y_size; i++) {
        y[i] = init;
    }
    do {
        float *yp = y + gen_index_offset(idx, p->y_stride, p->ndim);
        *yp = reduce_step(p->op, *yp, *xp++);
    } while (gen_index_next(idx, p->shape, p->ndim));
    if (p->op == GEN_REDUCE_LOGSUMEXP) {        /* y holds the maxima: tmp = sum(exp(x - max)) */
        for (i = 0; i < p->y_size; i++) {
            tmp[i] = 0.0f;
        }
        xp = x;
        do {
            const size_t o = gen_index_offset(idx, p->y_stride, p->ndim);
            tmp[o] += expf(*xp++ - y[o]);
        } while (gen_index_next(idx, p->shape, p->ndim));
    }
    for (i = 0; i < p->y_size; i++) {
        switch (p->op) {
        case GEN_REDUCE_MEAN:
            y[i] *= p->scale;
            break;
        case GEN_REDUCE_L2:
            y[i] = sqrtf(y[i]);
            break;
        case GEN_REDUCE_LOGSUM:
            y[i] = logf(y[i]);
            break;
        case GEN_REDUCE_LOGSUMEXP:
            y[i] = logf(tmp[i]) + y[i];
            break;
        default:
            break;
        }
    }
}

void gen_reduce_s8(const int8_t *x, int8_t *y, const gen_reduce_params *p)
{
    int32_t idx[GEN_REDUCE_MAX_DIMS] = {0};
    const int is_max = p->op == GEN_REDUCE_MAX;
    int32_t i;
    for (i = 0; i < p->y_size; i++) {
        y[i] = (int8_t)(is_max ? -128 : 127);
    }
    do {
        int8_t *yp = y + gen_index_offset(idx, p->y_stride, p->ndim);
        if (is_max ? *x > *yp : *x < *yp) {
            *yp = *x;
        }
        x++;
    } while (gen_index_next(idx, p->shape, p->ndim));
}

/* the double-rounding requantization of the CMSIS-NN kernels (as gen_s8.c's, kept local) */
static int32_t reduce_requant(int32_t x, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t xs = (int32_t)((uint32_t)x << left);
    const int64_t prod = (int64_t)xs * (int64_t)mult + ((int64_t)1 << 30);
    const int32_t hi = (int32_t)(uint32_t)(uint64_t)(prod >> 31);
    const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    const int32_t rem = hi & mask;
    const int32_t q = hi >> right;
    const int32_t threshold = (mask >> 1) + (q < 0 ? 1 : 0);
    return q + (rem > threshold ? 1 : 0);
}

void gen_reduce_sum_s8(const int8_t *x, int8_t *y, int32_t *acc, const gen_reduce_params *p, int32_t in_offset,
                       int32_t mult, int32_t shift, int32_t out_offset)
{
    int32_t idx[GEN_REDUCE_MAX_DIMS] = {0};
    int32_t i;
    for (i = 0; i < p->y_size; i++) {
        acc[i] = 0;
    }
    do {
        acc[gen_index_offset(idx, p->y_stride, p->ndim)] += (int32_t)*x++ + in_offset;
    } while (gen_index_next(idx, p->shape, p->ndim));
    for (i = 0; i < p->y_size; i++) {
        int32_t v = reduce_requant(acc[i], mult, shift) + out_offset;
        v = v < -128 ? -128 : (v > 127 ? 127 : v);
        y[i] = (int8_t)v;
    }
}

void gen_argreduce_f32(const float *x, int64_t *y, int32_t outer, int32_t len, int32_t inner, int32_t is_max,
                       int32_t select_last)
{
    int32_t o, i, k;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xp = x + (size_t)o * (size_t)len * (size_t)inner + (size_t)i;
            int32_t best = 0;
            for (k = 1; k < len; k++) {
                const float v = xp[(size_t)k * (size_t)inner], b = xp[(size_t)best * (size_t)inner];
                const int better = is_max ? v > b : v < b;
                if (better || (select_last && v == b)) {
                    best = k;
                }
            }
            y[(size_t)o * (size_t)inner + (size_t)i] = (int64_t)best;
        }
    }
}

void gen_argreduce_s8(const int8_t *x, int64_t *y, int32_t outer, int32_t len, int32_t inner, int32_t is_max,
                      int32_t select_last)
{
    int32_t o, i, k;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const int8_t *xp = x + (size_t)o * (size_t)len * (size_t)inner + (size_t)i;
            int32_t best = 0;
            for (k = 1; k < len; k++) {
                const int8_t v = xp[(size_t)k * (size_t)inner], b = xp[(size_t)best * (size_t)inner];
                const int better = is_max ? v > b : v < b;
                if (better || (select_last && v == b)) {
                    best = k;
                }
            }
            y[(size_t)o * (size_t)inner + (size_t)i] = (int64_t)best;
        }
    }
}

void gen_topk_f32(const float *x, float *values, int64_t *indices, int32_t *order, int32_t outer, int32_t len,
                  int32_t inner, int32_t k, int32_t largest)
{
    int32_t o, i, j, m;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const float *xp = x + (size_t)o * (size_t)len * (size_t)inner + (size_t)i;
            const size_t base = (size_t)o * (size_t)k * (size_t)inner + (size_t)i;
            /* a stable insertion sort of the indices: equal values keep the lower index first */
            for (j = 0; j < len; j++) {
                const int32_t cur = j;
                const float v = xp[(size_t)cur * (size_t)inner];
                m = j;
                while (m > 0) {
                    const float w = xp[(size_t)order[m - 1] * (size_t)inner];
                    if (largest ? !(v > w) : !(v < w)) {
                        break;
                    }
                    order[m] = order[m - 1];
                    m--;
                }
                order[m] = cur;
            }
            for (j = 0; j < k; j++) {
                values[base + (size_t)j * (size_t)inner] = xp[(size_t)order[j] * (size_t)inner];
                if (indices != NULL) {
                    indices[base + (size_t)j * (size_t)inner] = (int64_t)order[j];
                }
            }
        }
    }
}

void gen_cumsum_f32(const float *x, float *y, int32_t outer, int32_t len, int32_t inner, int32_t exclusive,
                    int32_t reverse)
{
    int32_t o, i, k;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const size_t base = (size_t)o * (size_t)len * (size_t)inner + (size_t)i;
            float acc = 0.0f;
            for (k = 0; k < len; k++) {
                const size_t at = base + (size_t)(reverse ? len - 1 - k : k) * (size_t)inner;
                const float v = x[at];
                if (exclusive) {
                    y[at] = acc;
                    acc += v;
                } else {
                    acc += v;
                    y[at] = acc;
                }
            }
        }
    }
}

void gen_logsoftmax_f32(const float *x, float *y, int32_t outer, int32_t len, int32_t inner)
{
    int32_t o, i, k;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const size_t base = (size_t)o * (size_t)len * (size_t)inner + (size_t)i;
            float mx = x[base], sum = 0.0f, lse;
            for (k = 1; k < len; k++) {
                if (x[base + (size_t)k * (size_t)inner] > mx) {
                    mx = x[base + (size_t)k * (size_t)inner];
                }
            }
            for (k = 0; k < len; k++) {
                sum += expf(x[base + (size_t)k * (size_t)inner] - mx);
            }
            lse = logf(sum);
            for (k = 0; k < len; k++) {
                y[base + (size_t)k * (size_t)inner] = x[base + (size_t)k * (size_t)inner] - mx - lse;
            }
        }
    }
}

void gen_hardmax_f32(const float *x, float *y, int32_t outer, int32_t len, int32_t inner)
{
    int32_t o, i, k;
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const size_t base = (size_t)o * (size_t)len * (size_t)inner + (size_t)i;
            int32_t best = 0;
            for (k = 1; k < len; k++) {
                if (x[base + (size_t)k * (size_t)inner] > x[base + (size_t)best * (size_t)inner]) {
                    best = k;
                }
            }
            for (k = 0; k < len; k++) {
                y[base + (size_t)k * (size_t)inner] = k == best ? 1.0f : 0.0f;
            }
        }
    }
}
