/* gen's portable normalizations (float32): LayerNormalization, InstanceNormalization, GroupNormalization,
 * MeanVarianceNormalization and LpNormalization on one strided kernel. Written for gen; C99, no allocation,
 * no recursion. */
#ifndef GEN_NORM_H
#define GEN_NORM_H

#include <stddef.h>
#include <stdint.h>

#define GEN_NORM_MAX_DIMS 6

enum { GEN_NORM_MEANVAR = 0, GEN_NORM_L1 = 1, GEN_NORM_L2 = 2 };

typedef struct {
    int32_t mode;                               /* GEN_NORM_* */
    int32_t ndim;
    int32_t shape[GEN_NORM_MAX_DIMS];           /* input shape */
    int32_t s_stride[GEN_NORM_MAX_DIMS];        /* stride of each input dim in the statistics; 0 on normalized dims */
    int32_t scale_stride[GEN_NORM_MAX_DIMS];    /* stride of each input dim in scale and bias; 0 = broadcast */
    int32_t s_size;                             /* number of statistics (normalized groups) */
    float inv_count;                            /* 1 / elements per group */
    float eps;
    int32_t eps_outside;                        /* (x - mean) / (sqrt(var) + eps) instead of / sqrt(var + eps) */
} gen_norm_params;

/* GEN_NORM_MEANVAR: y = (x - mean) * rstd * scale + bias over each group (mean, var of the group; scale, bias
 * may be NULL: 1 and 0). GEN_NORM_L1 / L2: y = x / sum|x| or x / sqrt(sum x^2) (mean is 0, rstd the
 * reciprocal norm). mean and rstd: s_size floats each, written (LayerNormalization's Mean and InvStdDev). */
void gen_norm_f32(const float *x, const float *scale, const float *bias, float *y, float *mean, float *rstd,
                  const gen_norm_params *p);

#endif
