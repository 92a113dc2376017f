/* gen's float classification kernels: IsNaN, IsInf (bool outputs as uint8_t 0/1).
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_CLASSIFY_H
#define GEN_CLASSIFY_H

#include <stdint.h>

/* y[i] = x[i] is NaN */
void gen_isnan_f32(const float *x, uint8_t *y, int32_t n);
/* y[i] = x[i] is +inf (when pos) or -inf (when neg) */
void gen_isinf_f32(const float *x, uint8_t *y, int32_t n, int pos, int neg);

#endif
