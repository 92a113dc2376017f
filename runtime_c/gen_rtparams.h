/* gen_rtparams.h: run-time checks of parameters that arrive as graph inputs (gen/rtparams.py).
 *
 * A parameter input (Reshape's shape, Squeeze/Unsqueeze axes, Resize's sizes, Dropout's
 * training_mode) whose value the static shapes determine is compiled with that value; before the
 * model runs, these functions check that the input holds a value that gives the same result. Each
 * returns 1 when it does, 0 otherwise (the entry point then returns -1 and computes nothing). */
#ifndef GEN_RTPARAMS_H
#define GEN_RTPARAMS_H

#include <stdint.h>

/* the largest rank a shape check handles */
#define GEN_RT_MAX_RANK 16

/* x[0..n) equal want[0..n) */
int gen_rt_equal_i64(const int64_t *x, const int64_t *want, int32_t n);

/* every one of x[0..n) is 0 (false) */
int gen_rt_all_zero_u8(const uint8_t *x, int32_t n);

/* Reshape's shape x (n entries, 0 copies the input's dim unless allowzero, one -1 infers the rest)
 * gives out[0..n) from an input of shape in[0..in_rank) */
int gen_rt_reshape_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out,
                      int32_t allowzero);

/* Squeeze's axes x (n entries, negative from the end) remove only unit dims of in[0..in_rank) and
 * leave out[0..out_rank) */
int gen_rt_squeeze_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out,
                      int32_t out_rank);

/* Unsqueeze's axes x (n entries, negative from the end of the output) insert unit dims into
 * in[0..in_rank) to give out[0..in_rank + n) */
int gen_rt_unsqueeze_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out);

/* Reduce's axes x (n entries, negative from the end, no repeats) reduce in[0..rank) to out[0..out_rank)
 * (keepdims: the reduced dims stay as 1) and, unless mask is NULL, reduce exactly the dims whose mask is 1
 * among those of in that are not 1 (a unit dim reduced or not gives the same values) */
int gen_rt_reduce_axes_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t rank, const int32_t *mask,
                          const int32_t *out, int32_t out_rank, int32_t keepdims);

/* Expand's shape x (n entries) broadcast with in[0..in_rank) gives out[0..out_rank) */
int gen_rt_broadcast_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out,
                        int32_t out_rank);

/* a is an axis of a rank-r tensor, negative from the end */
int gen_rt_axis_ok(int64_t a, int32_t rank);

/* ---- the run-time parts of kernels that read a parameter input (checked by the functions above first) */

/* the output stride of each dim of shape[0..rank) for a reduction over the axes x[0..n): 0 on a reduced
 * dim, the contiguous strides of the output (reduced dims as 1) on the others */
void gen_rt_reduce_strides(const int64_t *x, int32_t n, const int32_t *shape, int32_t rank, int32_t *y_stride);

/* shape[0..rank) as [outer, len, inner] around the axis a (negative from the end; checked in range) */
void gen_rt_split_axis(int64_t a, const int32_t *shape, int32_t rank, int32_t *outer, int32_t *len, int32_t *inner);

#endif /* GEN_RTPARAMS_H */
