/* gen's spectral kernels (float32): DFT along one axis (forward, inverse, one-sided, real or complex
 * input, a real inverse of a one-sided spectrum), a direct O(n^2) transform on a twiddle table that
 * gen computes at generation time.
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_SPECTRAL_H
#define GEN_SPECTRAL_H

#include <stdint.h>

typedef struct {
    int32_t outer, inner;        /* the tensors as [outer, n, inner, components] */
    int32_t n_in, in_comp;       /* input points along the axis (read: min(n_in, length)); 1 real, 2 complex */
    int32_t n_out, out_comp;     /* output points; 2 complex, 1 real (c2r) */
    int32_t length;              /* the transform length */
    int32_t inverse;             /* e^{+i}, scaled by 1 / length */
    int32_t c2r;                 /* inverse of a one-sided spectrum: real output of Hermitian input */
} gen_dft_params;

/* y = DFT(x); cos_t[m] = cos(2 pi m / length), sin_t[m] = sin(2 pi m / length) for m < length */
void gen_f32_dft(const float *x, float *y, const float *cos_t, const float *sin_t, const gen_dft_params *p);

#endif
