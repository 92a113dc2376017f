/* gen's OneHot kernel (see gen_onehot.h). Written for gen; C99. */
#include "gen_onehot.h"

#include <string.h>

/* element k of x (GEN_DT_* dt) as an integer; *ok = 0 when it has none (NaN, beyond int32_t) */
static int64_t read_index(const void *x, int32_t dt, int32_t k, int *ok)
{
    float f;
    *ok = 1;
    switch (dt) {
    case GEN_DT_F32:
        f = ((const float *)x)[k];
        if (!(f > -2147483648.0f && f < 2147483648.0f)) {
            *ok = 0;
            return 0;
        }
        return (int64_t)f;                                /* truncated, as a cast to int64 */
    case GEN_DT_I8: return ((const int8_t *)x)[k];
    case GEN_DT_U8: return ((const uint8_t *)x)[k];
    case GEN_DT_I16: return ((const int16_t *)x)[k];
    case GEN_DT_I32: return ((const int32_t *)x)[k];
    default: return ((const int64_t *)x)[k];
    }
}

int gen_onehot(const void *indices, const void *depth, const void *values, void *y, const gen_onehot_params *p)
{
    const uint8_t *off = (const uint8_t *)values, *on = off + p->elem;
    uint8_t *out = (uint8_t *)y;
    int32_t o, d, i;
    int ok;
    int64_t dv = read_index(depth, p->depth_dt, 0, &ok);
    if (!ok || dv != p->depth) {
        return -1;
    }
    for (o = 0; o < p->outer; o++) {
        for (i = 0; i < p->inner; i++) {
            int64_t k = read_index(indices, p->index_dt, o * p->inner + i, &ok);
            if (k < 0) {
                k += p->depth;
            }
            for (d = 0; d < p->depth; d++) {
                uint8_t *dst = out + ((size_t)(o * p->depth + d) * (size_t)p->inner + (size_t)i) * (size_t)p->elem;
                memcpy(dst, (ok && k == d) ? on : off, (size_t)p->elem);
            }
        }
    }
    return 0;
}
