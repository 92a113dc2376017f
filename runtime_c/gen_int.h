/* gen's dtype kernels: float16 <-> float32 at the API, Cast between gen's dtypes, comparisons, logic,
 * Where, and the integer forms of the elementwise ops (broadcasting through per-operand strides).
 * Written for gen; C99, no allocation, no recursion.
 *
 * float16 values travel as their IEEE 754 binary16 bits in a uint16_t; bool is one byte, 0 or 1. */
#ifndef GEN_INT_H
#define GEN_INT_H

#include <stdint.h>

#ifndef GEN_MAX_DIMS
#define GEN_MAX_DIMS 6
#endif

/* binary16 bits -> float (exact) and float -> binary16 bits (round to nearest even, overflow to inf) */
float gen_f16_to_f32(uint16_t h);
uint16_t gen_f32_to_f16(float f);
void gen_f16_to_f32_n(const uint16_t *x, float *y, int32_t n);
void gen_f32_to_f16_n(const float *x, uint16_t *y, int32_t n);

#endif
