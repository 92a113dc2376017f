/* Portable int8 softmax with the CMSIS-NN v7.0.0 API (written for gen), TFLite's fixed-point
 * algorithm: per row, d = x - max(row); elements with d < diff_min give -128; otherwise
 *   e = exp_on_negative_values(srdhm(d * 2^shift, mult))        (Q0.31, input Q5.26)
 *   sum = sum of rounding_divide_by_pot(e, 12)                    (Q12.19)
 *   h = clz(sum), scale = one_over_one_plus_x((sum << h) - 2^31) (1/sum, normalised)
 *   out = clamp(rounding_divide_by_pot(srdhm(scale, e), 35 - h) - 128, -128, 127)
 * Output scale is 1/256 with zero point -128. mult/shift/diff_min come from TFLite's
 * PreprocessSoftmaxScaling / CalculateInputRadius (see gen/quant.py softmax_params).
 * When a row holds so much probability mass at the maximum that 35 - h exceeds 31 (over about
 * 500 elements within a few quantization steps of the maximum), the reference shifts by 32 or
 * more (undefined in C, target dependent); here the quotient is then taken as 0 (output -128).
 */
#ifndef GEN_USE_CMSIS_NN

#include <stddef.h>

#include "gen_cmsis_nn.h"
#include "gen_nn_math.h"

#define GEN_SOFTMAX_ACCUM_BITS 12

static int32_t gen_softmax_exp(int32_t diff, int32_t shift, int32_t mult)
{
    const int32_t scaled = gen_nn_wrap32((int64_t)diff * ((int64_t)1 << shift));
    return gen_nn_exp_on_negative_values(gen_nn_doubling_high_mul_sat(scaled, mult));
}

void arm_softmax_s8(const int8_t *input,
                    const int32_t num_rows,
                    const int32_t row_size,
                    const int32_t mult,
                    const int32_t shift,
                    const int32_t diff_min,
                    int8_t *output)
{
    int32_t row, col;
    for (row = 0; row < num_rows; row++)
    {
        const int8_t *x = input + (size_t)row * (size_t)row_size;
        int8_t *y = output + (size_t)row * (size_t)row_size;
        int32_t max = x[0];
        uint32_t sum = 0u;
        int32_t headroom, bits_over_unit, scale, normalised;

        for (col = 1; col < row_size; col++)
        {
            max = gen_nn_max(max, (int32_t)x[col]);
        }
        for (col = 0; col < row_size; col++)
        {
            const int32_t diff = (int32_t)x[col] - max;
            if (diff >= diff_min)
            {
                sum += (uint32_t)gen_nn_divide_by_pot(gen_softmax_exp(diff, shift, mult), GEN_SOFTMAX_ACCUM_BITS);
            }
        }
        headroom = gen_nn_clz(sum);
        normalised = (int32_t)sum > 0 ? gen_nn_shl_wrap((int32_t)sum, headroom) : 0;
        scale = gen_nn_one_over_one_plus_x(gen_nn_sub_wrap(normalised, GEN_NN_Q31_MIN));
        bits_over_unit = GEN_SOFTMAX_ACCUM_BITS - headroom + 23;

        for (col = 0; col < row_size; col++)
        {
            const int32_t diff = (int32_t)x[col] - max;
            if (diff >= diff_min)
            {
                const int32_t p = gen_nn_doubling_high_mul_sat(scale, gen_softmax_exp(diff, shift, mult));
                const int32_t q = bits_over_unit <= 31 ? gen_nn_divide_by_pot(p, bits_over_unit) : 0;
                y[col] = (int8_t)gen_nn_clamp(q - 128, -128, 127);
            }
            else
            {
                y[col] = (int8_t)-128;
            }
        }
    }
}

#else
typedef int gen_unused_tu;
#endif /* GEN_USE_CMSIS_NN */
