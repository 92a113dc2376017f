/* gen's MaxPool with its Indices output (float32, 1-D to 3-D, NCDHW on gen_pool.h's parameters).
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_POOL_INDICES_H
#define GEN_POOL_INDICES_H

#include <stdint.h>

#include "gen_pool.h"

/* y as gen_f32_pool3 with GEN_POOL_MAX; idx[...] = the flat index into x of the first maximum of each
 * window: row-major over (n, c, d, h, w), or with h and w column-major (h + w * H) when col_major */
void gen_f32_maxpool3_indices(const float *x, float *y, int64_t *idx, const gen_f32_pool3_params *p,
                              int32_t col_major);

#endif
