/* gen's elementwise math kernels (float32), see gen_unary.h. Each op as the ONNX spec defines it;
 * where a formula overflows for large |x| the kernel uses an equivalent that does not. */
#include "gen_unary.h"

#include <math.h>

static float gen_softplus(float v)
{
    /* log(1 + exp(v)) without overflowing: v + log1p(exp(-v)) for v > 0 */
    return v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v));
}

static float gen_unary_one(int32_t op, float v, float a, float b)
{
    switch (op) {
    case GEN_U_ABS:
        return fabsf(v);
    case GEN_U_NEG:
        return -v;
    case GEN_U_EXP:
        return expf(v);
    case GEN_U_LOG:
        return logf(v);
    case GEN_U_SQRT:
        return sqrtf(v);
    case GEN_U_RECIPROCAL:
        return 1.0f / v;
    case GEN_U_FLOOR:
        return floorf(v);
    case GEN_U_CEIL:
        return ceilf(v);
    case GEN_U_ROUND: /* half to even: the default rounding mode */
        return rintf(v);
    case GEN_U_SIGN:
        return v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : v * 0.0f);
    case GEN_U_SIN:
        return sinf(v);
    case GEN_U_COS:
        return cosf(v);
    case GEN_U_TAN:
        return tanf(v);
    case GEN_U_ASIN:
        return asinf(v);
    case GEN_U_ACOS:
        return acosf(v);
    case GEN_U_ATAN:
        return atanf(v);
    case GEN_U_SINH:
        return sinhf(v);
    case GEN_U_COSH:
        return coshf(v);
    case GEN_U_ASINH:
        return asinhf(v);
    case GEN_U_ACOSH:
        return acoshf(v);
    case GEN_U_ATANH:
        return atanhf(v);
    case GEN_U_ERF:
        return erff(v);
    case GEN_U_GELU: /* 0.5 x (1 + erf(x / sqrt(2))) */
        return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    case GEN_U_GELU_TANH: /* 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) */
        return 0.5f * v * (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
    case GEN_U_ELU:
        return v >= 0.0f ? v : a * expm1f(v);
    case GEN_U_SELU:
        return v > 0.0f ? b * v : b * (a * expf(v) - a);
    case GEN_U_CELU: /* max(0, x) + min(0, alpha (exp(x / alpha) - 1)) */
        return v > 0.0f ? v : a * expm1f(v / a);
    case GEN_U_SOFTPLUS:
        return gen_softplus(v);
    case GEN_U_SOFTSIGN:
        return v / (1.0f + fabsf(v));
    case GEN_U_MISH:
        return v * tanhf(gen_softplus(v));
    case GEN_U_THRESHOLDED_RELU:
        return v > a ? v : 0.0f;
    case GEN_U_SHRINK:
        return v < -a ? v + b : (v > a ? v - b : 0.0f);
    case GEN_U_POW:
        return powf(v, a);
    default: /* GEN_U_PRELU */
        return v < 0.0f ? a * v : v;
    }
}

void gen_unary_f32(int32_t op, const float *x, float *y, int32_t n, float a, float b)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_unary_one(op, x[i], a, b);
    }
}

void gen_unary_binary_f32(const float *a, const float *b, float *y, const gen_unary_binary_params *p)
{
    int32_t idx[GEN_MAX_DIMS] = {0};
    int32_t total = 1, i, d, ia = 0, ib = 0;
    for (d = 0; d < p->ndim; d++) {
        total *= p->shape[d];
    }
    for (i = 0; i < total; i++) {
        y[i] = gen_unary_one(p->op, a[ia], b[ib], 0.0f);
        /* next output index: advance the last dim, carry into the ones before */
        for (d = p->ndim - 1; d >= 0; d--) {
            idx[d]++;
            ia += p->a_stride[d];
            ib += p->b_stride[d];
            if (idx[d] < p->shape[d]) {
                break;
            }
            ia -= p->a_stride[d] * p->shape[d];
            ib -= p->b_stride[d] * p->shape[d];
            idx[d] = 0;
        }
    }
}

void gen_unary_lut_channel_s8(const int8_t *x, int8_t *y, int32_t outer, int32_t channels, int32_t inner,
                              const int8_t *tables)
{
    int32_t o, c, k, i = 0;
    for (o = 0; o < outer; o++) {
        for (c = 0; c < channels; c++) {
            const int8_t *table = tables + 256 * c;
            for (k = 0; k < inner; k++, i++) {
                y[i] = table[x[i] + 128];
            }
        }
    }
}
