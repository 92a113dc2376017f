/* gen's run-time parameter kernels (see gen_rtfloat.h). Written for gen; C99. */
#include "gen_rtfloat.h"

#include <math.h>
#include <stddef.h>

int gen_rt_index_i64(const int64_t *src, int32_t n, int64_t lo, int64_t hi, int32_t *dst)
{
    int32_t k;
    for (k = 0; k < n; ++k) {
        if (src[k] < lo || src[k] >= hi) {
            return -1;
        }
        dst[k] = (int32_t)src[k];
    }
    return 0;
}

static int64_t gen_rt_int_at(const void *x, int32_t dt, int64_t k)
{
    switch (dt) {
    case GEN_DT_I8:
        return ((const int8_t *)x)[k];
    case GEN_DT_U8:
        return ((const uint8_t *)x)[k];
    case GEN_DT_I16:
        return ((const int16_t *)x)[k];
    default:
        return ((const int32_t *)x)[k];
    }
}

static float gen_rt_round_half_even(float v)
{
    float f = floorf(v);
    float d = v - f;
    if (d > 0.5f || (d == 0.5f && fmodf(f, 2.0f) != 0.0f)) {
        f += 1.0f;
    }
    return f;
}

void gen_rt_dequantize(const void *x, const float *scale, const void *zero_point, float *y,
                       const gen_rt_quant_params *p)
{
    int32_t o, a, i;
    int64_t k = 0;
    for (o = 0; o < p->outer; ++o) {
        for (a = 0; a < p->dim; ++a) {
            for (i = 0; i < p->inner; ++i, ++k) {
                int64_t s = (int64_t)o * p->s_o + (int64_t)(a / p->block) * p->s_a + (int64_t)i * p->s_i;
                int64_t zp = zero_point != NULL ? gen_rt_int_at(zero_point, p->q_dt, s) : 0;
                y[k] = (float)(gen_rt_int_at(x, p->q_dt, k) - zp) * scale[s];
            }
        }
    }
}

void gen_rt_quantize(const float *x, const float *scale, const void *zero_point, void *y,
                     const gen_rt_quant_params *p)
{
    float lo = p->q_dt == GEN_DT_I8 ? -128.0f : p->q_dt == GEN_DT_U8 ? 0.0f : -32768.0f;
    float hi = p->q_dt == GEN_DT_I8 ? 127.0f : p->q_dt == GEN_DT_U8 ? 255.0f : 32767.0f;
    int32_t o, a, i;
    int64_t k = 0;
    for (o = 0; o < p->outer; ++o) {
        for (a = 0; a < p->dim; ++a) {
            for (i = 0; i < p->inner; ++i, ++k) {
                int64_t s = (int64_t)o * p->s_o + (int64_t)(a / p->block) * p->s_a + (int64_t)i * p->s_i;
                float zp = zero_point != NULL ? (float)gen_rt_int_at(zero_point, p->q_dt, s) : 0.0f;
                float v = x[k] / scale[s];
                v = (v != v ? 0.0f : gen_rt_round_half_even(v)) + zp;
                v = v < lo ? lo : v > hi ? hi : v;
                if (p->q_dt == GEN_DT_I8) {
                    ((int8_t *)y)[k] = (int8_t)v;
                } else if (p->q_dt == GEN_DT_U8) {
                    ((uint8_t *)y)[k] = (uint8_t)v;
                } else {
                    ((int16_t *)y)[k] = (int16_t)v;
                }
            }
        }
    }
}

void gen_rt_clip(const float *x, const float *lo, const float *hi, float *y, int32_t n)
{
    int32_t k;
    for (k = 0; k < n; ++k) {
        float v = x[k];
        if (lo != NULL && v < *lo) {
            v = *lo;
        }
        if (hi != NULL && v > *hi) {
            v = *hi;
        }
        y[k] = v;
    }
}

void gen_rt_batchnorm(const float *x, const float *scale, const float *bias, const float *mean, const float *var,
                      float *y, int32_t n, int32_t c, int32_t inner, float epsilon)
{
    int32_t b, ch, i;
    int64_t k = 0;
    for (b = 0; b < n; ++b) {
        for (ch = 0; ch < c; ++ch) {
            float s = scale[ch] / sqrtf(var[ch] + epsilon);
            for (i = 0; i < inner; ++i, ++k) {
                y[k] = (x[k] - mean[ch]) * s + bias[ch];
            }
        }
    }
}
