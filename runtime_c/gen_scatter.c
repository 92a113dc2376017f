/* gen's float32 scatter with a reduction. See gen_scatter.h. */
#include "gen_scatter.h"

#include <string.h>

void gen_scatter_f32(const float *x, const float *u, float *y, int32_t size, const int32_t *dst, int32_t n,
                     int32_t op)
{
    int32_t i;
    if (x != y) {
        memmove(y, x, (size_t)size * sizeof(float));
    }
    for (i = 0; i < n; i++) {
        float *t = y + dst[i];
        switch (op) {
        case 1:
            *t += u[i];
            break;
        case 2:
            *t *= u[i];
            break;
        case 3:
            *t = u[i] > *t ? u[i] : *t;
            break;
        case 4:
            *t = u[i] < *t ? u[i] : *t;
            break;
        default:
            *t = u[i];
            break;
        }
    }
}
