/* gen's own int8 kernels (written for gen); see gen_nn.h for the semantics of each.
 * C99, no allocation, no recursion, no writable globals. */
#include <stddef.h>

#include "gen_nn.h"

static int32_t gen_s8_min(int32_t a, int32_t b)
{
    return a < b ? a : b;
}

static int32_t gen_s8_max(int32_t a, int32_t b)
{
    return a > b ? a : b;
}

static int32_t gen_s8_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return gen_s8_min(gen_s8_max(v, lo), hi);
}

/* The same double-rounding requantization as the CMSIS-NN kernels (kept local so that this file
 * does not depend on the portable CMSIS-NN sources). */
static int32_t gen_s8_requant(int32_t x, int32_t mult, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t xs = (int32_t)((uint32_t)x << left);
    const int64_t p = (int64_t)xs * (int64_t)mult + ((int64_t)1 << 30);
    const int32_t hi = (int32_t)(uint32_t)(uint64_t)(p >> 31);
    const int32_t mask = (int32_t)(((uint32_t)1 << right) - 1u);
    const int32_t rem = hi & mask;
    const int32_t q = hi >> right;
    const int32_t threshold = (mask >> 1) + (q < 0 ? 1 : 0);
    return q + (rem > threshold ? 1 : 0);
}

void gen_s8_lut(const int8_t *input, int8_t *output, int32_t size, const int8_t *table)
{
    int32_t i;
    for (i = 0; i < size; i++)
    {
        output[i] = table[(int32_t)input[i] + 128];
    }
}

void gen_s8_requantize(const int8_t *input,
                       int8_t *output,
                       int32_t size,
                       int32_t input_offset,
                       int32_t mult,
                       int32_t shift,
                       int32_t output_offset,
                       int32_t act_min,
                       int32_t act_max)
{
    int32_t i;
    for (i = 0; i < size; i++)
    {
        const int32_t r = gen_s8_requant((int32_t)input[i] + input_offset, mult, shift);
        output[i] = (int8_t)gen_s8_clamp(r + output_offset, act_min, act_max);
    }
}

/* v is within [-255, 255] here, so the float -> int conversion and the fraction are exact. */
static int32_t gen_s8_round_half_even(float v)
{
    int32_t i = (int32_t)v;
    const float frac = v - (float)i;
    if (frac > 0.5f || (frac == 0.5f && (i & 1) != 0))
    {
        i++;
    }
    else if (frac < -0.5f || (frac == -0.5f && (i & 1) != 0))
    {
        i--;
    }
    return i;
}

void gen_s8_quantize_f32(const float *input, int8_t *output, int32_t size, float scale, int32_t zero_point)
{
    const float lo = (float)(-128 - zero_point);
    const float hi = (float)(127 - zero_point);
    int32_t i;
    for (i = 0; i < size; i++)
    {
        float v = input[i] / scale;
        if (!(v >= lo)) /* also catches NaN */
        {
            v = lo;
        }
        if (v > hi)
        {
            v = hi;
        }
        output[i] = (int8_t)(gen_s8_round_half_even(v) + zero_point);
    }
}

void gen_s8_dequantize_f32(const int8_t *input, float *output, int32_t size, float scale, int32_t zero_point)
{
    int32_t i;
    for (i = 0; i < size; i++)
    {
        output[i] = (float)((int32_t)input[i] - zero_point) * scale;
    }
}

void gen_s8_reduce_mean(const int8_t *input,
                        int8_t *output,
                        int32_t batches,
                        int32_t spatial,
                        int32_t channels,
                        int32_t input_offset,
                        int32_t mult,
                        int32_t shift,
                        int32_t output_offset,
                        int32_t act_min,
                        int32_t act_max)
{
    int32_t b, c, s;
    for (b = 0; b < batches; b++)
    {
        const int8_t *x = input + (size_t)b * (size_t)spatial * (size_t)channels;
        for (c = 0; c < channels; c++)
        {
            int32_t acc = 0;
            for (s = 0; s < spatial; s++)
            {
                acc += (int32_t)x[(size_t)s * (size_t)channels + (size_t)c] + input_offset;
            }
            acc = gen_s8_requant(acc, mult, shift);
            acc = acc > 0 ? (acc + spatial / 2) / spatial : (acc - spatial / 2) / spatial;
            output[(size_t)b * (size_t)channels + (size_t)c] = (int8_t)gen_s8_clamp(acc + output_offset, act_min, act_max);
        }
    }
}
