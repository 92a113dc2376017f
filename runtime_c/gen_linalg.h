/* gen's linear-algebra kernels (float32): Det by LU decomposition with partial pivoting.
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_LINALG_H
#define GEN_LINALG_H

#include <stdint.h>

/* y[b] = det(x[b]) for count square n x n matrices; work holds n * n floats */
void gen_f32_det(const float *x, float *y, int32_t count, int32_t n, float *work);

#endif
