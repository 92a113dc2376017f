/* gen's tensor generators: a constant computed at generation time copied into an output, and Range
 * of run-time start, limit and delta. Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_GENERATE_H
#define GEN_GENERATE_H

#include <stdint.h>

/* dst[0..nbytes) = src[0..nbytes) */
void gen_generate_copy(const void *src, void *dst, int32_t nbytes);

/* ONNX Range: y[i] = start + i * delta for the max(ceil((limit - start) / delta), 0) elements. Returns 0
 * when that count is n (y written), -1 when it is another or delta is 0 (y untouched). */
int gen_range_f32(const float *start, const float *limit, const float *delta, float *y, int32_t n);
int gen_range_i16(const int16_t *start, const int16_t *limit, const int16_t *delta, int16_t *y, int32_t n);
int gen_range_i32(const int32_t *start, const int32_t *limit, const int32_t *delta, int32_t *y, int32_t n);
int gen_range_i64(const int64_t *start, const int64_t *limit, const int64_t *delta, int64_t *y, int32_t n);

#endif
