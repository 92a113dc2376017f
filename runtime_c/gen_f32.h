/* gen's portable float32 kernels (NCHW). Written for gen; C99, no allocation, no recursion.
 *
 * Every kernel takes its shape parameters in a const struct that the generated code keeps in
 * flash. A fused activation is (lo, hi, alpha): y = (x < 0 ? alpha * x : x) clamped to [lo, hi];
 * alpha = 1 and lo/hi = -/+FLT_MAX is no activation, alpha = 0 with lo = 0 is Relu.
 */
#ifndef GEN_F32_H
#define GEN_F32_H

#include <stddef.h>
#include <stdint.h>

#define GEN_MAX_DIMS 6

typedef struct {
    float lo, hi, alpha;
} gen_act;

typedef struct {
    int32_t n, c, h, w;         /* input */
    int32_t m, oh, ow;          /* output channels and size */
    int32_t kh, kw, sh, sw, dh, dw, pt, pl;
    int32_t group;
    gen_act act;
} gen_f32_conv_params;

/* y[n][m][oh][ow] = act(bias[m] + sum w[m][c][kh][kw] * x[n][g*C/group + c][...]) */
void gen_f32_conv(const float *x, const float *w, const float *bias, float *y, const gen_f32_conv_params *p);

typedef struct {
    int32_t m, n, k;
    int32_t trans_a, trans_b;
    float alpha, beta;
    int32_t c_sm, c_sn;         /* strides of C over rows/cols (0 = broadcast) */
    gen_act act;
} gen_f32_gemm_params;

/* Y[m][n] = act(alpha * sum_k A'[m][k] * B'[k][n] + beta * C[m*c_sm + n*c_sn]); C may be NULL. */
void gen_f32_gemm(const float *a, const float *b, const float *c, float *y, const gen_f32_gemm_params *p);

typedef struct {
    int32_t ndim;               /* batch dims */
    int32_t shape[GEN_MAX_DIMS];
    int32_t a_stride[GEN_MAX_DIMS], b_stride[GEN_MAX_DIMS]; /* in matrices; 0 = broadcast */
    int32_t m, k, n;
    gen_act act;
} gen_f32_matmul_params;

void gen_f32_matmul(const float *a, const float *b, float *y, const gen_f32_matmul_params *p);

enum { GEN_ADD = 0, GEN_SUB = 1, GEN_MUL = 2, GEN_DIV = 3 };

typedef struct {
    int32_t op;
    int32_t ndim;
    int32_t shape[GEN_MAX_DIMS];                            /* output shape */
    int32_t a_stride[GEN_MAX_DIMS], b_stride[GEN_MAX_DIMS]; /* in elements; 0 = broadcast */
    gen_act act;
} gen_f32_binary_params;

void gen_f32_binary(const float *a, const float *b, float *y, const gen_f32_binary_params *p);

enum {
    GEN_RELU = 0, GEN_SIGMOID = 1, GEN_TANH = 2, GEN_HARDSIGMOID = 3, GEN_HARDSWISH = 4,
    GEN_CLIP = 5, GEN_LEAKYRELU = 6
};

/* y = f(x) over n elements; a, b are the op's parameters (HardSigmoid alpha/beta, Clip lo/hi, LeakyRelu alpha) */
void gen_f32_unary(int32_t op, const float *x, float *y, int32_t n, float a, float b);

/* softmax over the middle axis of [outer, len, inner] */
void gen_f32_softmax(const float *x, float *y, int32_t outer, int32_t len, int32_t inner);

typedef struct {
    int32_t nc, h, w, oh, ow;
    int32_t kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    int32_t is_max, count_include_pad;
    gen_act act;
} gen_f32_pool_params;

void gen_f32_pool(const float *x, float *y, const gen_f32_pool_params *p);

/* mean over the last dim of [outer, inner] */
void gen_f32_mean_inner(const float *x, float *y, int32_t outer, int32_t inner);

typedef struct {
    int32_t ndim;
    int32_t shape[GEN_MAX_DIMS];      /* input shape */
    int32_t y_stride[GEN_MAX_DIMS];   /* output stride per input dim; 0 on reduced dims */
    int32_t y_size;
    float scale;                      /* 1 / number of reduced elements */
} gen_f32_reduce_params;

void gen_f32_reduce_mean(const float *x, float *y, const gen_f32_reduce_params *p);

/* y[n][c][i] = x[n][c][i] * scale[c] + shift[c] */
void gen_f32_channel_affine(const float *x, float *y, int32_t n, int32_t c, int32_t inner,
                            const float *scale, const float *shift);

#endif
