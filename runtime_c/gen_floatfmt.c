/* gen's float formats (see gen_floatfmt.h). Written for gen; C99, no allocation, no recursion. */
#include "gen_floatfmt.h"

#include <math.h>
#include <string.h>

float gen_bf16_to_f32(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

uint16_t gen_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) {      /* NaN: keep the sign, make it quiet */
        return (uint16_t)((u >> 16) | 0x0040u);
    }
    /* round to nearest even on the 16 bits dropped (a carry into the exponent is right, up to inf) */
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

void gen_bf16_to_f32_n(const uint16_t *x, float *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_bf16_to_f32(x[i]);
    }
}

void gen_f32_to_bf16_n(const float *x, uint16_t *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_f32_to_bf16(x[i]);
    }
}

void gen_f64_to_f32_n(const double *x, float *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        /* from FLT_MAX + half its last place on, the nearest even is infinite (C leaves the conversion of
         * an out-of-range double undefined: spelled out) */
        const double d = x[i];
        y[i] = d >= 3.4028235677973366e38 ? HUGE_VALF : d <= -3.4028235677973366e38 ? -HUGE_VALF : (float)d;
    }
}

void gen_f32_to_f64_n(const float *x, double *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = (double)x[i];
    }
}

void gen_round_bf16_n(float *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_bf16_to_f32(gen_f32_to_bf16(y[i]));
    }
}
