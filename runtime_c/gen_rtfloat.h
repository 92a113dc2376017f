/* gen_rtfloat.h: float kernels' parameters that arrive at run time (graph inputs or computed):
 * index tensors checked and narrowed, Quantize/DequantizeLinear with the scale and zero point read
 * from the arena, Clip with run-time bounds, a run-time BatchNormalization. Written for gen; C99, no
 * allocation, no recursion. A function returning int returns 0, or -1 when an index is out of range
 * (then the run returns -1). */
#ifndef GEN_RTFLOAT_H
#define GEN_RTFLOAT_H

#include <stdint.h>

/* dst[k] = src[k] for k < n, each in [lo, hi); -1 (dst partly written) if one is not */
int gen_rt_index_i64(const int64_t *src, int32_t n, int64_t lo, int64_t hi, int32_t *dst);

#endif /* GEN_RTFLOAT_H */
