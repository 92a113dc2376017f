/* gen's sampling kernels (float32): GridSample (nearest, linear, cubic; zeros, border, reflection padding)
 * over 2 or 3 spatial axes, as the ONNX reference computes it.
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_SAMPLE_H
#define GEN_SAMPLE_H

#include <stdint.h>

enum { GEN_GS_NEAREST = 0, GEN_GS_LINEAR = 1, GEN_GS_CUBIC = 2 };
enum { GEN_GS_ZEROS = 0, GEN_GS_BORDER = 1, GEN_GS_REFLECTION = 2 };

typedef struct {
    int32_t n, c;                /* batch, channels */
    int32_t ndim;                /* spatial axes: 2 (H, W) or 3 (D, H, W) */
    int32_t in[3];               /* input spatial lengths, outermost first (2-D: in[0] = 1) */
    int32_t out[3];              /* output spatial lengths (2-D: out[0] = 1) */
    int32_t mode, padding, align_corners;
} gen_gridsample_params;

/* x [n, c, in...], grid [n, out..., ndim] (normalized, innermost axis first: x, y[, z]),
 * y [n, c, out...] */
void gen_f32_gridsample(const float *x, const float *grid, float *y, const gen_gridsample_params *p);

#endif
