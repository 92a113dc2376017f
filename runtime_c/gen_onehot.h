/* gen's OneHot kernel. Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_ONEHOT_H
#define GEN_ONEHOT_H

#include <stdint.h>

#include "gen_int.h"

typedef struct {
    int32_t outer;      /* elements of the indices before the axis */
    int32_t depth;      /* the output's size at the axis */
    int32_t inner;      /* elements of the indices from the axis on */
    int32_t index_dt;   /* GEN_DT_* of the indices */
    int32_t depth_dt;   /* GEN_DT_* of the depth */
    int32_t elem;       /* bytes of one output element */
} gen_onehot_params;

/* y[o, d, i] = values[1] if indices[o, i] (plus depth when negative) is d, else values[0]; an index
 * outside [-depth, depth - 1] gives an all-off row. Returns -1 (y untouched) when *depth read as an
 * integer is not p->depth, else 0. */
int gen_onehot(const void *indices, const void *depth, const void *values, void *y, const gen_onehot_params *p);

#endif
