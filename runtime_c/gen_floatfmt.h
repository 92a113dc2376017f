/* gen's float formats besides float32 and float16 (gen_int.h): bfloat16 and float64 at the API, where the
 * graph computes in float32, and Cast's rounding to bfloat16. Written for gen; C99, no allocation.
 *
 * bfloat16 values travel as their bits in a uint16_t (the upper half of a float32's bits). */
#ifndef GEN_FLOATFMT_H
#define GEN_FLOATFMT_H

#include <stdint.h>

/* bfloat16 bits -> float (exact) and float -> bfloat16 bits (round to nearest even; NaN stays a NaN) */
float gen_bf16_to_f32(uint16_t b);
uint16_t gen_f32_to_bf16(float f);
void gen_bf16_to_f32_n(const uint16_t *x, float *y, int32_t n);
void gen_f32_to_bf16_n(const float *x, uint16_t *y, int32_t n);

/* double -> float (round to nearest even, past FLT_MAX: infinite) and float -> double (exact) */
void gen_f64_to_f32_n(const double *x, float *y, int32_t n);
void gen_f32_to_f64_n(const float *x, double *y, int32_t n);

/* y[i] rounded to bfloat16's precision, in place (Cast to bfloat16 inside the graph) */
void gen_round_bf16_n(float *y, int32_t n);

#endif
