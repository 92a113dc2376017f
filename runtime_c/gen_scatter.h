/* gen's float32 scatter with a reduction (ScatterND, ScatterElements). Written for gen; C99, no
 * allocation, no recursion. */
#ifndef GEN_SCATTER_H
#define GEN_SCATTER_H

#include <stdint.h>

/* y = x (size elements), then y[dst[i]] = y[dst[i]] op u[i] for the n updates in order, op being
 * 1 add, 2 mul, 3 max, 4 min (0: replace) */
void gen_scatter_f32(const float *x, const float *u, float *y, int32_t size, const int32_t *dst, int32_t n,
                     int32_t op);

#endif
