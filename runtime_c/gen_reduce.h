/* gen's portable reductions, arg-reductions, TopK, CumSum and the softmax variants (float32, and
 * int8 byte selections). Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_REDUCE_H
#define GEN_REDUCE_H

#include <stddef.h>
#include <stdint.h>

#define GEN_REDUCE_MAX_DIMS 6

enum {
    GEN_REDUCE_SUM = 0, GEN_REDUCE_MEAN = 1, GEN_REDUCE_MAX = 2, GEN_REDUCE_MIN = 3, GEN_REDUCE_PROD = 4,
    GEN_REDUCE_L1 = 5, GEN_REDUCE_L2 = 6, GEN_REDUCE_LOGSUM = 7, GEN_REDUCE_LOGSUMEXP = 8,
    GEN_REDUCE_SUMSQUARE = 9
};

typedef struct {
    int32_t op;                             /* GEN_REDUCE_* */
    int32_t ndim;
    int32_t shape[GEN_REDUCE_MAX_DIMS];     /* input shape */
    int32_t y_stride[GEN_REDUCE_MAX_DIMS];  /* output stride per input dim; 0 on reduced dims */
    int32_t y_size;
    float scale;                            /* GEN_REDUCE_MEAN: 1 / number of reduced elements */
} gen_reduce_params;

/* y = the reduction p->op of x over the dims whose y_stride is 0 */
/* tmp: y_size floats of scratch for GEN_REDUCE_LOGSUMEXP (else unused, may be NULL) */
void gen_reduce_f32(const float *x, float *y, float *tmp, const gen_reduce_params *p);

/* int8 ReduceMax / ReduceMin (op GEN_REDUCE_MAX or GEN_REDUCE_MIN): a selection of input bytes */
void gen_reduce_s8(const int8_t *x, int8_t *y, const gen_reduce_params *p);

/* int8 ReduceSum / ReduceMean: acc[i] = sum of (x + in_offset) over the reduced dims (acc: y_size int32 of
 * scratch), then y = clamp(requantize(acc, mult, shift) + out_offset) */
void gen_reduce_sum_s8(const int8_t *x, int8_t *y, int32_t *acc, const gen_reduce_params *p, int32_t in_offset,
                       int32_t mult, int32_t shift, int32_t out_offset);

/* over the middle axis of [outer, len, inner]: the index (int64) of the first largest (is_max) or smallest
 * value, or the last one when select_last */
void gen_argreduce_f32(const float *x, int64_t *y, int32_t outer, int32_t len, int32_t inner, int32_t is_max,
                       int32_t select_last);
void gen_argreduce_s8(const int8_t *x, int64_t *y, int32_t outer, int32_t len, int32_t inner, int32_t is_max,
                      int32_t select_last);

/* TopK over the middle axis of [outer, len, inner]: the k largest (largest) or smallest values, sorted, the
 * lower index first among equal values; indices int64 (NULL: not wanted). order: len int32 of scratch */
void gen_topk_f32(const float *x, float *values, int64_t *indices, int32_t *order, int32_t outer, int32_t len,
                  int32_t inner, int32_t k, int32_t largest);

/* CumSum over the middle axis of [outer, len, inner] */
void gen_cumsum_f32(const float *x, float *y, int32_t outer, int32_t len, int32_t inner, int32_t exclusive,
                    int32_t reverse);

/* over the middle axis of [outer, len, inner]: log(softmax(x)), and Hardmax (1 at the first largest value) */
void gen_logsoftmax_f32(const float *x, float *y, int32_t outer, int32_t len, int32_t inner);
void gen_hardmax_f32(const float *x, float *y, int32_t outer, int32_t len, int32_t inner);

#endif
