/* gen's run-time parameter kernels (see gen_rtfloat.h). Written for gen; C99. */
#include "gen_rtfloat.h"

int gen_rt_index_i64(const int64_t *src, int32_t n, int64_t lo, int64_t hi, int32_t *dst)
{
    int32_t k;
    for (k = 0; k < n; ++k) {
        if (src[k] < lo || src[k] >= hi) {
            return -1;
        }
        dst[k] = (int32_t)src[k];
    }
    return 0;
}
