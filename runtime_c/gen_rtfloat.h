/* gen_rtfloat.h: float kernels' parameters that arrive at run time (graph inputs or computed):
 * index tensors checked and narrowed, Quantize/DequantizeLinear with the scale and zero point read
 * from the arena, Clip with run-time bounds, a run-time BatchNormalization. Written for gen; C99, no
 * allocation, no recursion. A function returning int returns 0, or -1 when an index is out of range
 * (then the run returns -1). */
#ifndef GEN_RTFLOAT_H
#define GEN_RTFLOAT_H

#include <stdint.h>

#include "gen_int.h"

/* dst[k] = src[k] for k < n, each in [lo, hi); -1 (dst partly written) if one is not */
int gen_rt_index_i64(const int64_t *src, int32_t n, int64_t lo, int64_t hi, int32_t *dst);

/* Quantize/DequantizeLinear with the scale (float) and zero point (the integer side's dtype, NULL: 0)
 * read at run time: x is [outer][dim][inner]; element (o, a, i) uses scale and zero point number
 * o * s_o + (a / block) * s_a + i * s_i (per tensor: strides 0; per axis: s_a 1, block 1; blocked). */
typedef struct {
    int32_t outer, dim, inner, block;
    int32_t s_o, s_a, s_i;
    int32_t q_dt;              /* the integer side's dtype: GEN_DT_I8, _U8, _I16, _I32 (dequantize only) */
} gen_rt_quant_params;

/* y = (x - zero point) * scale, the difference exact (64-bit) before it is a float */
void gen_rt_dequantize(const void *x, const float *scale, const void *zero_point, float *y,
                       const gen_rt_quant_params *p);

/* y = saturate(round half to even(x / scale) + zero point) to q_dt's range (NaN: 0 + zero point) */
void gen_rt_quantize(const float *x, const float *scale, const void *zero_point, void *y,
                     const gen_rt_quant_params *p);

/* Clip with bounds read at run time (NULL: none): y = min(max(x, *lo), *hi), so max wins when min > max */
void gen_rt_clip(const float *x, const float *lo, const float *hi, float *y, int32_t n);

/* BatchNormalization (inference) with its parameters read at run time, x and y [n][c][inner]:
 * y = (x - mean[c]) * scale[c] / sqrt(var[c] + epsilon) + bias[c] */
void gen_rt_batchnorm(const float *x, const float *scale, const float *bias, const float *mean, const float *var,
                      float *y, int32_t n, int32_t c, int32_t inner, float epsilon);

#endif /* GEN_RTFLOAT_H */
