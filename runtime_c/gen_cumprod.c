/* gen's CumProd kernel (see gen_cumprod.h). Written for gen; C99. */
#include "gen_cumprod.h"

#include <stddef.h>

int gen_cumprod(const void *x, const void *axis, void *y, const gen_cumprod_params *p)
{
    int64_t a = p->axis_dt == GEN_DT_I32 ? (int64_t)*(const int32_t *)axis : *(const int64_t *)axis;
    size_t outer = 1, len, inner = 1, o, i, k;
    int32_t d;
    if (a < 0) {
        a += p->rank;
    }
    if (a < 0 || a >= p->rank) {
        return -1;
    }
    for (d = 0; d < p->rank; d++) {
        if (d < a) {
            outer *= (size_t)p->dims[d];
        } else if (d > a) {
            inner *= (size_t)p->dims[d];
        }
    }
    len = (size_t)p->dims[a];
    for (o = 0; o < outer; o++) {
        for (i = 0; i < inner; i++) {
            const size_t base = o * len * inner + i;
            float accf = 1.0f;
            uint64_t acci = 1u;                     /* unsigned: a product that overflows wraps around */
            for (k = 0; k < len; k++) {
                const size_t at = base + (p->reverse ? len - 1 - k : k) * inner;
                if (p->dt == GEN_DT_F32) {
                    const float v = ((const float *)x)[at];
                    if (!p->exclusive) {
                        accf *= v;
                    }
                    ((float *)y)[at] = accf;
                    if (p->exclusive) {
                        accf *= v;
                    }
                } else {
                    const uint64_t v = p->dt == GEN_DT_I32 ? (uint64_t)(int64_t)((const int32_t *)x)[at]
                                                           : (uint64_t)((const int64_t *)x)[at];
                    if (!p->exclusive) {
                        acci *= v;
                    }
                    if (p->dt == GEN_DT_I32) {
                        ((int32_t *)y)[at] = (int32_t)(uint32_t)acci;
                    } else {
                        ((int64_t *)y)[at] = (int64_t)acci;
                    }
                    if (p->exclusive) {
                        acci *= v;
                    }
                }
            }
        }
    }
    return 0;
}
