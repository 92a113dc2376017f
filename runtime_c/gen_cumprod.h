/* gen's CumProd kernel. Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_CUMPROD_H
#define GEN_CUMPROD_H

#include <stdint.h>

#include "gen_int.h"

typedef struct {
    int32_t dt;         /* GEN_DT_F32, GEN_DT_I32 or GEN_DT_I64: x and y */
    int32_t axis_dt;    /* GEN_DT_I32 or GEN_DT_I64 */
    int32_t rank;       /* 1..6 */
    int32_t dims[6];
    int32_t exclusive;
    int32_t reverse;
} gen_cumprod_params;

/* y = the cumulative product of x along *axis (negative: from the end). Returns -1 (y untouched) when
 * the axis is outside [-rank, rank - 1], else 0. Integer products wrap around. */
int gen_cumprod(const void *x, const void *axis, void *y, const gen_cumprod_params *p);

#endif
