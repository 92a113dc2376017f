/* Portable int8 elementwise add and multiply with the CMSIS-NN v7.0.0 API (written for gen).
 * Both inputs have block_size elements (no broadcasting).
 *
 * add: a = requant((x1 + input_1_offset) * 2^left_shift, input_1_mult, input_1_shift)
 *      b = requant((x2 + input_2_offset) * 2^left_shift, input_2_mult, input_2_shift)
 *      out = clamp(requant(a + b, out_mult, out_shift) + out_offset)
 *      (TFLite's int8 Add uses left_shift = 20; the real DSP kernel is only equivalent for
 *      left_shift >= 16, which TFLite parameters always satisfy.)
 * mul: out = clamp(requant((x1 + input_1_offset) * (x2 + input_2_offset), out_mult, out_shift) + out_offset)
 */
#ifndef GEN_USE_CMSIS_NN

#include "gen_cmsis_nn.h"
#include "gen_nn_math.h"

arm_cmsis_nn_status arm_elementwise_add_s8(const int8_t *input_1_vect,
                                           const int8_t *input_2_vect,
                                           const int32_t input_1_offset,
                                           const int32_t input_1_mult,
                                           const int32_t input_1_shift,
                                           const int32_t input_2_offset,
                                           const int32_t input_2_mult,
                                           const int32_t input_2_shift,
                                           const int32_t left_shift,
                                           int8_t *output,
                                           const int32_t out_offset,
                                           const int32_t out_mult,
                                           const int32_t out_shift,
                                           const int32_t out_activation_min,
                                           const int32_t out_activation_max,
                                           const int32_t block_size)
{
    int32_t i;
    for (i = 0; i < block_size; i++)
    {
        const int32_t a = gen_nn_requantize(
            gen_nn_shl_wrap((int32_t)input_1_vect[i] + input_1_offset, left_shift), input_1_mult, input_1_shift);
        const int32_t b = gen_nn_requantize(
            gen_nn_shl_wrap((int32_t)input_2_vect[i] + input_2_offset, left_shift), input_2_mult, input_2_shift);
        const int32_t s = gen_nn_requantize(gen_nn_add_wrap(a, b), out_mult, out_shift);
        output[i] = (int8_t)gen_nn_clamp(gen_nn_add_wrap(s, out_offset), out_activation_min, out_activation_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

arm_cmsis_nn_status arm_elementwise_mul_s8(const int8_t *input_1_vect,
                                           const int8_t *input_2_vect,
                                           const int32_t input_1_offset,
                                           const int32_t input_2_offset,
                                           int8_t *output,
                                           const int32_t out_offset,
                                           const int32_t out_mult,
                                           const int32_t out_shift,
                                           const int32_t out_activation_min,
                                           const int32_t out_activation_max,
                                           const int32_t block_size)
{
    int32_t i;
    for (i = 0; i < block_size; i++)
    {
        const int32_t p = ((int32_t)input_1_vect[i] + input_1_offset) * ((int32_t)input_2_vect[i] + input_2_offset);
        const int32_t r = gen_nn_requantize(p, out_mult, out_shift);
        output[i] = (int8_t)gen_nn_clamp(gen_nn_add_wrap(r, out_offset), out_activation_min, out_activation_max);
    }
    return ARM_CMSIS_NN_SUCCESS;
}

#else
typedef int gen_unused_tu;
#endif /* GEN_USE_CMSIS_NN */
