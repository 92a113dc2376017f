/* gen's dtype kernels (see gen_int.h). Written for gen; C99, no allocation, no recursion. */
#include "gen_int.h"

#include <string.h>

static uint32_t gen_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static float gen_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

float gen_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (uint32_t)(h >> 10) & 0x1Fu;
    uint32_t man = (uint32_t)h & 0x3FFu;
    if (exp == 0x1Fu) {                 /* inf or NaN */
        return gen_bits_f32(sign | 0x7F800000u | (man << 13));
    }
    if (exp == 0) {                     /* zero or subnormal: man * 2^-24 */
        float v = (float)man * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return gen_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t gen_f32_to_f16(float f)
{
    uint32_t u = gen_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7FFFFFFFu;
    if (a >= 0x7F800000u) {             /* inf or NaN (a quiet NaN stays a NaN) */
        return (uint16_t)(sign | 0x7C00u | (a > 0x7F800000u ? 0x200u : 0u));
    }
    if (a >= 0x477FF000u) {             /* rounds past 65504: inf */
        return (uint16_t)(sign | 0x7C00u);
    }
    if (a < 0x38800000u) {              /* below 2^-14: a subnormal or zero, in units of 2^-24 */
        float v = gen_bits_f32(a) * 16777216.0f;   /* exact: a power-of-two scaling */
        uint32_t q = (uint32_t)v;
        float rest = v - (float)q;
        if (rest > 0.5f || (rest == 0.5f && (q & 1u))) {
            q++;
        }
        return (uint16_t)(sign | q);
    }
    {
        uint32_t exp = (a >> 23) - 112u;
        uint32_t man = a & 0x7FFFFFu;
        uint32_t h = (exp << 10) | (man >> 13);
        uint32_t rest = man & 0x1FFFu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) {
            h++;                        /* may carry into the exponent: still right */
        }
        return (uint16_t)(sign | h);
    }
}

void gen_f16_to_f32_n(const uint16_t *x, float *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_f16_to_f32(x[i]);
    }
}

void gen_f32_to_f16_n(const float *x, uint16_t *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_f32_to_f16(x[i]);
    }
}
