/* gen's integer kernels of dynamic quantization: MatMulInteger, ConvInteger (int8/uint8 in, exact int32
 * out) and DynamicQuantizeLinear (float32 -> uint8 with the run's scale and zero point).
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_INTMM_H
#define GEN_INTMM_H

#include <stdint.h>

typedef struct {
    int32_t batch, m, k, n;
    int32_t b_batched;          /* B has A's batch dims (else one [k, n] B) */
    int32_t a_signed, b_signed; /* int8 (1) or uint8 (0) */
    int32_t a_zp_count;         /* 0 (none), 1 (scalar) or m (per row) */
    int32_t b_zp_count;         /* 0, 1 or n (per column) */
} gen_matmul_integer_params;

/* y[b, i, j] = sum_k (a[b, i, k] - azp) * (bm[b, k, j] - bzp) */
void gen_matmul_integer(const void *a, const void *bm, const void *a_zp, const void *b_zp, int32_t *y,
                        const gen_matmul_integer_params *p);

typedef struct {
    int32_t batch, in_c, in_h, in_w;
    int32_t out_c, k_h, k_w, out_h, out_w;
    int32_t stride_h, stride_w, dil_h, dil_w, pad_top, pad_left, group;
    int32_t x_signed, w_signed;
    int32_t x_zp_count;         /* 0 or 1 */
    int32_t w_zp_count;         /* 0, 1 or out_c */
} gen_conv_integer_params;

/* NCHW convolution of (x - xzp) with (w - wzp) [out_c, in_c / group, k_h, k_w]; padding contributes 0 */
void gen_conv_integer(const void *x, const void *w, const void *x_zp, const void *w_zp, int32_t *y,
                      const gen_conv_integer_params *p);

/* ONNX DynamicQuantizeLinear on n floats */
void gen_dynamic_quantize(const float *x, uint8_t *y, float *y_scale, uint8_t *y_zero_point, int32_t n);

#endif
