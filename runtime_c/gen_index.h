/* gen's multi-index walk over a tensor of up to GEN_MAX_DIMS dims, shared by the kernels that
 * broadcast or reduce over any axes (gen_f32.c, gen_int.c, gen_reduce.c, gen_norm.c). Written for gen;
 * C99, header only. */
#ifndef GEN_INDEX_H
#define GEN_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* advances idx over shape[0..ndim) (last dim fastest); returns 0 when it wraps to all zeros */
static inline int gen_index_next(int32_t *idx, const int32_t *shape, int32_t ndim)
{
    int32_t d;
    for (d = ndim - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) {
            return 1;
        }
        idx[d] = 0;
    }
    return 0;
}

/* the element offset of idx with the given element strides */
static inline size_t gen_index_offset(const int32_t *idx, const int32_t *stride, int32_t ndim)
{
    size_t off = 0;
    int32_t d;
    for (d = 0; d < ndim; d++) {
        off += (size_t)idx[d] * (size_t)stride[d];
    }
    return off;
}

#endif
