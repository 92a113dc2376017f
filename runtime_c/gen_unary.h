/* gen's elementwise math kernels (float32): the unary ONNX ops (Abs ... Shrink) and the two binary
 * ones whose second operand is usually a constant (Pow, PRelu), with numpy broadcasting.
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_UNARY_H
#define GEN_UNARY_H

#include <stdint.h>

#ifndef GEN_MAX_DIMS
#define GEN_MAX_DIMS 6
#endif

enum {
    GEN_U_ABS = 0, GEN_U_NEG = 1, GEN_U_EXP = 2, GEN_U_LOG = 3, GEN_U_SQRT = 4, GEN_U_RECIPROCAL = 5,
    GEN_U_FLOOR = 6, GEN_U_CEIL = 7, GEN_U_ROUND = 8, GEN_U_SIGN = 9, GEN_U_SIN = 10, GEN_U_COS = 11,
    GEN_U_TAN = 12, GEN_U_ASIN = 13, GEN_U_ACOS = 14, GEN_U_ATAN = 15, GEN_U_SINH = 16, GEN_U_COSH = 17,
    GEN_U_ASINH = 18, GEN_U_ACOSH = 19, GEN_U_ATANH = 20, GEN_U_ERF = 21, GEN_U_GELU = 22,
    GEN_U_GELU_TANH = 23, GEN_U_ELU = 24, GEN_U_SELU = 25, GEN_U_CELU = 26, GEN_U_SOFTPLUS = 27,
    GEN_U_SOFTSIGN = 28, GEN_U_MISH = 29, GEN_U_THRESHOLDED_RELU = 30, GEN_U_SHRINK = 31,
    GEN_U_POW = 32, GEN_U_PRELU = 33
};

/* y = f(x) over n elements. a, b are the op's attributes:
 * Elu, Celu, ThresholdedRelu: a = alpha; Selu: a = alpha, b = gamma; Shrink: a = lambd, b = bias;
 * Pow: a = the exponent; PRelu: a = the slope; the others take none. */
void gen_unary_f32(int32_t op, const float *x, float *y, int32_t n, float a, float b);

typedef struct {
    int32_t op;                                             /* GEN_U_POW or GEN_U_PRELU */
    int32_t ndim;
    int32_t shape[GEN_MAX_DIMS];                            /* output shape */
    int32_t a_stride[GEN_MAX_DIMS], b_stride[GEN_MAX_DIMS]; /* in elements; 0 = broadcast */
} gen_unary_binary_params;

/* y = pow(a, b) or PRelu (a < 0 ? b * a : a), elementwise with broadcasting */
void gen_unary_binary_f32(const float *a, const float *b, float *y, const gen_unary_binary_params *p);

/* int8 lookup per channel (PRelu's slope, Pow's exponent varying along one axis): x is
 * [outer, channels, inner] in memory, y[i] = tables[256 * c + x[i] + 128] with c the channel of i */
void gen_unary_lut_channel_s8(const int8_t *x, int8_t *y, int32_t outer, int32_t channels, int32_t inner,
                              const int8_t *tables);

#endif
