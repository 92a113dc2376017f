/* gen's own int8 kernels (written for gen); see gen_nn.h for the semantics of each.
 * C99, no allocation, no recursion, no writable globals. */
#include <stddef.h>
#include <string.h>

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

/* Left-pads a rank <= 4 description to exactly 4 axes. */
static void gen_s8_dims4(int32_t rank, const int32_t *src, int32_t fill, int32_t *dst)
{
    int32_t k;
    for (k = 0; k < 4; k++)
    {
        dst[k] = k < 4 - rank ? fill : src[k - (4 - rank)];
    }
}

void gen_s8_pad(const int8_t *input,
                int8_t *output,
                int32_t rank,
                const int32_t *in_dims,
                const int32_t *pad_before,
                const int32_t *pad_after,
                int8_t pad_value)
{
    int32_t id[4], pb[4], pa[4], od[4];
    int32_t i0, i1, i2, k;
    int32_t lo, hi;
    gen_s8_dims4(rank, in_dims, 1, id);
    gen_s8_dims4(rank, pad_before, 0, pb);
    gen_s8_dims4(rank, pad_after, 0, pa);
    for (k = 0; k < 4; k++)
    {
        od[k] = id[k] + pb[k] + pa[k];
    }
    /* innermost run: output columns [lo, hi) come from the input, the rest is padding */
    lo = gen_s8_clamp(pb[3], 0, od[3]);
    hi = gen_s8_clamp(id[3] + pb[3], lo, od[3]);
    for (i0 = 0; i0 < od[0]; i0++)
    {
        const int32_t s0 = i0 - pb[0];
        for (i1 = 0; i1 < od[1]; i1++)
        {
            const int32_t s1 = i1 - pb[1];
            for (i2 = 0; i2 < od[2]; i2++)
            {
                const int32_t s2 = i2 - pb[2];
                int8_t *row = output + (((size_t)i0 * (size_t)od[1] + (size_t)i1) * (size_t)od[2] + (size_t)i2) * (size_t)od[3];
                if (s0 < 0 || s0 >= id[0] || s1 < 0 || s1 >= id[1] || s2 < 0 || s2 >= id[2] || hi <= lo)
                {
                    memset(row, (unsigned char)pad_value, (size_t)od[3]);
                }
                else
                {
                    const int8_t *src =
                        input + (((size_t)s0 * (size_t)id[1] + (size_t)s1) * (size_t)id[2] + (size_t)s2) * (size_t)id[3];
                    memset(row, (unsigned char)pad_value, (size_t)lo);
                    memcpy(row + lo, src + (lo - pb[3]), (size_t)(hi - lo));
                    memset(row + hi, (unsigned char)pad_value, (size_t)(od[3] - hi));
                }
            }
        }
    }
}

void gen_s8_transpose(const int8_t *input, int8_t *output, int32_t rank, const int32_t *in_dims, const int32_t *perm)
{
    int32_t id[4], p[4], od[4], st[4], os[4];
    int32_t k, i0, i1, i2, i3;
    size_t n = 0;
    gen_s8_dims4(rank, in_dims, 1, id);
    for (k = 0; k < 4; k++)
    {
        p[k] = k < 4 - rank ? k : perm[k - (4 - rank)] + (4 - rank);
    }
    st[3] = 1;
    for (k = 2; k >= 0; k--)
    {
        st[k] = st[k + 1] * id[k + 1];
    }
    for (k = 0; k < 4; k++)
    {
        od[k] = id[p[k]];
        os[k] = st[p[k]]; /* input stride of output axis k */
    }
    for (i0 = 0; i0 < od[0]; i0++)
    {
        for (i1 = 0; i1 < od[1]; i1++)
        {
            for (i2 = 0; i2 < od[2]; i2++)
            {
                const int8_t *src = input + (size_t)i0 * (size_t)os[0] + (size_t)i1 * (size_t)os[1] + (size_t)i2 * (size_t)os[2];
                for (i3 = 0; i3 < od[3]; i3++)
                {
                    output[n++] = src[(size_t)i3 * (size_t)os[3]];
                }
            }
        }
    }
}

void gen_s8_concat(const int8_t *input, int8_t *output, int32_t outer, int32_t in_inner, int32_t out_inner, int32_t offset)
{
    int32_t o;
    for (o = 0; o < outer; o++)
    {
        memcpy(output + (size_t)o * (size_t)out_inner + (size_t)offset, input + (size_t)o * (size_t)in_inner,
               (size_t)in_inner);
    }
}
