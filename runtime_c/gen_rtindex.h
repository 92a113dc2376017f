/* gen's run-time index kernels: the element positions that GatherElements, GatherND, ScatterElements,
 * ScatterND, Compress, ReverseSequence and Trilu read or write when their indices (condition, lengths,
 * k) arrive at run time. Each writes one int32 position per element into pos (arena scratch) after
 * checking every index: a negative index counts from the end, and one out of range (a condition
 * with another count of true elements, a length outside [0, time]) makes it return -1 before pos is
 * used; else 0. gen_take / gen_scatter (gen_layout.h) then move the bytes.
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_RTINDEX_H
#define GEN_RTINDEX_H

#include <stdint.h>

#include "gen_layout.h"

/* GatherElements / ScatterElements: the indices of shape[0..ndim) select along axis of data with
 * element strides x_stride; pos[i] is the data element of index element i */
typedef struct {
    int32_t ndim;
    int32_t shape[GEN_MAX_DIMS];
    int32_t x_stride[GEN_MAX_DIMS];
    int32_t axis;
    int32_t axis_len;
} gen_rt_elements_params;

int gen_rt_elements_positions(const void *idx, int32_t wide, const gen_rt_elements_params *p, int32_t *pos);

/* GatherND / ScatterND: batches x count index tuples of depth entries, entry k indexing a data axis of
 * dim[k] elements at element stride stride[k]; each tuple names a slab of inner elements, and
 * pos[(b * count + j) * inner + r] = b * batch_stride + sum_k idx * stride[k] + r */
typedef struct {
    int32_t batches;
    int32_t count;
    int32_t depth;
    int32_t batch_stride;
    int32_t inner;
    int32_t dim[GEN_MAX_DIMS];
    int32_t stride[GEN_MAX_DIMS];
} gen_rt_nd_params;

int gen_rt_nd_positions(const void *idx, int32_t wide, const gen_rt_nd_params *p, int32_t *pos);

/* Compress of data viewed as [outer, axis_len, inner] by cond[0..n_cond) (bytes, 0 false): the
 * positions of the count * outer * inner selected elements; -1 unless count conditions are true */
int gen_rt_compress_positions(const uint8_t *cond, int32_t n_cond, int32_t outer, int32_t axis_len,
                              int32_t inner, int32_t count, int32_t *pos);

/* ReverseSequence of data viewed as [time, batch, inner] (batch_major 0) or [batch, time, inner]
 * (batch_major 1): the first lens[b] steps of batch b reversed; -1 unless each is in [0, time] */
int gen_rt_reverse_positions(const void *lens, int32_t wide, int32_t batch_major, int32_t batch, int32_t time,
                             int32_t inner, int32_t *pos);

/* Trilu of batches [rows, cols] matrices with the diagonal offset *k (int64): pos[i] = i for the
 * elements kept (upper: j - i >= k, else j - i <= k), -1 for those zeroed; always 0 */
int gen_rt_trilu_positions(const int64_t *k, int32_t upper, int32_t batches, int32_t rows, int32_t cols,
                           int32_t *pos);

#endif
