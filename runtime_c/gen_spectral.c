/* gen's spectral kernels (float32): see gen_spectral.h. */
#include "gen_spectral.h"

void gen_f32_dft(const float *x, float *y, const float *cos_t, const float *sin_t, const gen_dft_params *p)
{
    int32_t used = p->n_in < p->length ? p->n_in : p->length;
    float scale = p->inverse ? 1.0f / (float)p->length : 1.0f;
    float sign = p->inverse ? 1.0f : -1.0f;
    int32_t o, i, k, j;
    if (p->c2r) {
        int32_t half = p->length / 2 + 1;
        used = p->n_in < half ? p->n_in : half;
    }
    for (o = 0; o < p->outer; o++) {
        for (i = 0; i < p->inner; i++) {
            const float *xs = x + ((int32_t)o * p->n_in * p->inner + i) * p->in_comp;
            float *ys = y + ((int32_t)o * p->n_out * p->inner + i) * p->out_comp;
            for (k = 0; k < p->n_out; k++) {
                float re = 0.0f, im = 0.0f;
                int32_t m = 0;                         /* (k * j) mod length */
                for (j = 0; j < used; j++) {
                    const float *v = xs + (int32_t)j * p->inner * p->in_comp;
                    float xr = v[0], xi = p->in_comp == 2 ? v[1] : 0.0f;
                    float c = cos_t[m], s = sign * sin_t[m];
                    if (p->c2r) {
                        /* Hermitian: X[length - j] = conj(X[j]); DC and Nyquist once, their imaginary parts unused */
                        float w = (j == 0 || 2 * j == p->length) ? 1.0f : 2.0f;
                        if (j == 0 || 2 * j == p->length) {
                            xi = 0.0f;
                        }
                        re += w * (xr * c - xi * s);
                    } else {
                        re += xr * c - xi * s;
                        im += xr * s + xi * c;
                    }
                    m += k;
                    if (m >= p->length) {
                        m %= p->length;
                    }
                }
                ys[(int32_t)k * p->inner * p->out_comp] = re * scale;
                if (p->out_comp == 2) {
                    ys[(int32_t)k * p->inner * p->out_comp + 1] = im * scale;
                }
            }
        }
    }
}
