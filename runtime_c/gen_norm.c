/* gen's portable normalizations. See gen_norm.h. */
#include "gen_norm.h"
#include "gen_index.h"

#include <math.h>

void gen_norm_f32(const float *x, const float *scale, const float *bias, float *y, float *mean, float *rstd,
                  const gen_norm_params *p)
{
    int32_t idx[GEN_NORM_MAX_DIMS] = {0};
    const float *xp;
    int32_t i;
    for (i = 0; i < p->s_size; i++) {
        mean[i] = 0.0f;
        rstd[i] = 0.0f;
    }
    if (p->mode == GEN_NORM_MEANVAR) {
        xp = x;
        do {
            mean[gen_index_offset(idx, p->s_stride, p->ndim)] += *xp++;
        } while (gen_index_next(idx, p->shape, p->ndim));
        for (i = 0; i < p->s_size; i++) {
            mean[i] *= p->inv_count;
        }
    }
    xp = x;
    do {        /* rstd holds the sums of (x - mean)^2, |x| or x^2 */
        const size_t s = gen_index_offset(idx, p->s_stride, p->ndim);
        const float d = *xp++ - mean[s];
        rstd[s] += p->mode == GEN_NORM_L1 ? fabsf(d) : d * d;
    } while (gen_index_next(idx, p->shape, p->ndim));
    for (i = 0; i < p->s_size; i++) {
        if (p->mode != GEN_NORM_MEANVAR) {      /* a zero norm gives 0, as the ONNX reference does */
            const float norm = p->mode == GEN_NORM_L1 ? rstd[i] : sqrtf(rstd[i]);
            rstd[i] = norm > 0.0f ? 1.0f / norm : 0.0f;
        } else if (p->eps_outside) {
            rstd[i] = 1.0f / (sqrtf(rstd[i] * p->inv_count) + p->eps);
        } else {
            rstd[i] = 1.0f / sqrtf(rstd[i] * p->inv_count + p->eps);
        }
    }
    xp = x;
    do {
        const size_t s = gen_index_offset(idx, p->s_stride, p->ndim);
        const size_t c = gen_index_offset(idx, p->scale_stride, p->ndim);
        float v = (*xp++ - mean[s]) * rstd[s];
        if (scale != NULL) {
            v *= scale[c];
        }
        if (bias != NULL) {
            v += bias[c];
        }
        *y++ = v;
    } while (gen_index_next(idx, p->shape, p->ndim));
}
