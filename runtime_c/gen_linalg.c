/* gen's linear-algebra kernels (float32): see gen_linalg.h. */
#include "gen_linalg.h"

#include <math.h>

void gen_f32_det(const float *x, float *y, int32_t count, int32_t n, float *work)
{
    int32_t b, i, j, k;
    for (b = 0; b < count; b++) {
        const float *m = x + (int32_t)b * n * n;
        float det = 1.0f;
        for (i = 0; i < n * n; i++) {
            work[i] = m[i];
        }
        for (k = 0; k < n && det != 0.0f; k++) {
            int32_t piv = k;
            for (i = k + 1; i < n; i++) {
                if (fabsf(work[i * n + k]) > fabsf(work[piv * n + k])) {
                    piv = i;
                }
            }
            if (work[piv * n + k] == 0.0f) {
                det = 0.0f;
                break;
            }
            if (piv != k) {
                for (j = 0; j < n; j++) {
                    float t = work[k * n + j];
                    work[k * n + j] = work[piv * n + j];
                    work[piv * n + j] = t;
                }
                det = -det;
            }
            det *= work[k * n + k];
            for (i = k + 1; i < n; i++) {
                float f = work[i * n + k] / work[k * n + k];
                for (j = k + 1; j < n; j++) {
                    work[i * n + j] -= f * work[k * n + j];
                }
            }
        }
        y[b] = det;
    }
}
