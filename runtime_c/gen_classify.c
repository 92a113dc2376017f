/* gen's float classification kernels (see gen_classify.h). Written for gen; C99. */
#include "gen_classify.h"

#include <float.h>

void gen_isnan_f32(const float *x, uint8_t *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = (uint8_t)(x[i] != x[i]);
    }
}

void gen_isinf_f32(const float *x, uint8_t *y, int32_t n, int pos, int neg)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = (uint8_t)((pos && x[i] > FLT_MAX) || (neg && x[i] < -FLT_MAX));
    }
}
