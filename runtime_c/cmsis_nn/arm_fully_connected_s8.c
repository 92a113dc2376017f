/* Portable int8 fully connected layer with the CMSIS-NN v7.0.0 API (written for gen).
 *
 * For every batch b (input_dims->n of them) and output row r (output_dims->c of them), with
 * D = filter_dims->n the accumulation depth and the filter stored as [rows][D]:
 * out[b][r] = clamp(requant(bias[r] + sum_d (in[b][d] + input_offset) * (filter[r][d] + filter_offset),
 *                           mult, shift) + output_offset)
 * ctx->buf (the kernel sums that the Helium build precomputes with arm_vector_sum_s8) is not used.
 */
#ifndef GEN_USE_CMSIS_NN

#include <stddef.h>

#include "gen_cmsis_nn.h"
#include "gen_nn_math.h"

#if !defined(GEN_NN_DSP)
static void gen_fc_s8_compute(const cmsis_nn_fc_params *fc_params,
                              const int32_t *mult,
                              const int32_t *shift,
                              int32_t per_channel,
                              const cmsis_nn_dims *input_dims,
                              const int8_t *input,
                              const cmsis_nn_dims *filter_dims,
                              const int8_t *filter,
                              const int32_t *bias,
                              const cmsis_nn_dims *output_dims,
                              int8_t *output)
{
    const int32_t depth = filter_dims->n;
    const int32_t rows = output_dims->c;
    const int32_t in_off = fc_params->input_offset;
    const int32_t w_off = fc_params->filter_offset;
    const int32_t out_off = fc_params->output_offset;
    const int32_t act_min = fc_params->activation.min;
    const int32_t act_max = fc_params->activation.max;
    int32_t b, r, d;

    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *y = output + (size_t)b * (size_t)rows;
        for (r = 0; r < rows; r++)
        {
            const int8_t *w = filter + (size_t)r * (size_t)depth;
            uint32_t acc = bias != NULL ? (uint32_t)bias[r] : 0u;
            int32_t q;
            for (d = 0; d < depth; d++)
            {
                acc += (uint32_t)(((int32_t)x[d] + in_off) * ((int32_t)w[d] + w_off));
            }
            q = per_channel ? gen_nn_requantize((int32_t)acc, mult[r], shift[r])
                            : gen_nn_requantize((int32_t)acc, mult[0], shift[0]);
            y[r] = (int8_t)gen_nn_clamp(q + out_off, act_min, act_max);
        }
    }
}
#endif /* !GEN_NN_DSP */

#if defined(GEN_NN_DSP)
/* DSP extension path (same results as gen_fc_s8_compute): two filter rows at a time against one
 * input row; every input word is widened once (with the input offset, SXTAB16) for both rows,
 * the filter words are widened with the filter offset the same way. No scratch. */
static void gen_fc_s8_dsp(const cmsis_nn_fc_params *fc_params,
                          const int32_t *mult,
                          const int32_t *shift,
                          int32_t per_channel,
                          const cmsis_nn_dims *input_dims,
                          const int8_t *input,
                          const cmsis_nn_dims *filter_dims,
                          const int8_t *filter,
                          const int32_t *bias,
                          const cmsis_nn_dims *output_dims,
                          int8_t *output)
{
    const int32_t depth = filter_dims->n;
    const int32_t rows = output_dims->c;
    const int32_t in_off = fc_params->input_offset;
    const int32_t w_off = fc_params->filter_offset;
    const int32_t offp = gen_nn_dup16(in_off);
    const int32_t woffp = gen_nn_dup16(w_off);
    const int32_t out_off = fc_params->output_offset;
    const int32_t act_min = fc_params->activation.min;
    const int32_t act_max = fc_params->activation.max;
    const int32_t d4 = depth >> 2;
    const int32_t dr = depth & 3;
    const int32_t q_step = per_channel ? 1 : 0;
    int32_t b;

    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *y = output + (size_t)b * (size_t)rows;
        const int8_t *w0 = filter;
        int32_t r = 0;
        for (; r + 2 <= rows; r += 2)
        {
            const int8_t *w1 = w0 + depth;
            const int8_t *xp = x;
            int32_t s0 = bias != NULL ? bias[r] : 0;
            int32_t s1 = bias != NULL ? bias[r + 1] : 0;
            int32_t j;
            for (j = d4; j > 0; j--)
            {
                const int32_t v = gen_nn_read_s8x4(xp);
                const int32_t u0 = gen_nn_read_s8x4(w0);
                const int32_t u1 = gen_nn_read_s8x4(w1);
                const int32_t v_e = __sxtab16(offp, v);
                const int32_t v_o = gen_nn_sxtab16_ror8(offp, v);
                s0 = __smlad(v_e, __sxtab16(woffp, u0), s0);
                s0 = __smlad(v_o, gen_nn_sxtab16_ror8(woffp, u0), s0);
                s1 = __smlad(v_e, __sxtab16(woffp, u1), s1);
                s1 = __smlad(v_o, gen_nn_sxtab16_ror8(woffp, u1), s1);
                xp += 4;
                w0 += 4;
                w1 += 4;
            }
            for (j = 0; j < dr; j++)
            {
                const int32_t xv = (int32_t)xp[j] + in_off;
                s0 += xv * ((int32_t)w0[j] + w_off);
                s1 += xv * ((int32_t)w1[j] + w_off);
            }
            w0 = w1 + dr;
            y[r] = gen_nn_requant_out(s0, mult[r * q_step], shift[r * q_step], out_off, act_min, act_max);
            y[r + 1] = gen_nn_requant_out(s1, mult[(r + 1) * q_step], shift[(r + 1) * q_step], out_off, act_min,
                                          act_max);
        }
        if (r < rows)
        {
            int32_t s0 = bias != NULL ? bias[r] : 0;
            int32_t j;
            for (j = 0; j < depth; j++)
            {
                s0 += ((int32_t)x[j] + in_off) * ((int32_t)w0[j] + w_off);
            }
            y[r] = gen_nn_requant_out(s0, mult[r * q_step], shift[r * q_step], out_off, act_min, act_max);
        }
    }
}
#endif /* GEN_NN_DSP */

arm_cmsis_nn_status arm_fully_connected_s8(const cmsis_nn_context *ctx,
                                           const cmsis_nn_fc_params *fc_params,
                                           const cmsis_nn_per_tensor_quant_params *quant_params,
                                           const cmsis_nn_dims *input_dims,
                                           const int8_t *input_data,
                                           const cmsis_nn_dims *filter_dims,
                                           const int8_t *filter_data,
                                           const cmsis_nn_dims *bias_dims,
                                           const int32_t *bias_data,
                                           const cmsis_nn_dims *output_dims,
                                           int8_t *output_data)
{
    (void)ctx;
    (void)bias_dims;
#if defined(GEN_NN_DSP)
    gen_fc_s8_dsp(fc_params, &quant_params->multiplier, &quant_params->shift, 0, input_dims, input_data, filter_dims, filter_data, bias_data,
                  output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
#else
    gen_fc_s8_compute(fc_params, &quant_params->multiplier, &quant_params->shift, 0, input_dims, input_data,
                      filter_dims, filter_data, bias_data, output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
#endif
}

arm_cmsis_nn_status arm_fully_connected_per_channel_s8(const cmsis_nn_context *ctx,
                                                       const cmsis_nn_fc_params *fc_params,
                                                       const cmsis_nn_per_channel_quant_params *quant_params,
                                                       const cmsis_nn_dims *input_dims,
                                                       const int8_t *input_data,
                                                       const cmsis_nn_dims *filter_dims,
                                                       const int8_t *filter_data,
                                                       const cmsis_nn_dims *bias_dims,
                                                       const int32_t *bias_data,
                                                       const cmsis_nn_dims *output_dims,
                                                       int8_t *output_data)
{
    (void)ctx;
    (void)bias_dims;
#if defined(GEN_NN_DSP)
    gen_fc_s8_dsp(fc_params, quant_params->multiplier, quant_params->shift, 1, input_dims, input_data, filter_dims, filter_data, bias_data,
                  output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
#else
    gen_fc_s8_compute(fc_params, quant_params->multiplier, quant_params->shift, 1, input_dims, input_data,
                      filter_dims, filter_data, bias_data, output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
#endif
}

int32_t arm_fully_connected_s8_get_buffer_size_dsp(const cmsis_nn_dims *filter_dims)
{
    (void)filter_dims;
    return 0;
}

int32_t arm_fully_connected_s8_get_buffer_size(const cmsis_nn_dims *filter_dims)
{
    return arm_fully_connected_s8_get_buffer_size_dsp(filter_dims);
}

arm_cmsis_nn_status arm_vector_sum_s8(int32_t *vector_sum_buf,
                                      const int32_t vector_cols,
                                      const int32_t vector_rows,
                                      const int8_t *vector_data,
                                      const int32_t lhs_offset,
                                      const int32_t rhs_offset,
                                      const int32_t *bias_data)
{
    int32_t r, c;
    for (r = 0; r < vector_rows; r++)
    {
        vector_sum_buf[r] = bias_data != NULL ? bias_data[r] : 0;
    }
    if (lhs_offset != 0)
    {
        for (r = 0; r < vector_rows; r++)
        {
            const int8_t *row = vector_data + (size_t)r * (size_t)vector_cols;
            uint32_t sum = 0u;
            for (c = 0; c < vector_cols; c++)
            {
                sum += (uint32_t)(int32_t)row[c];
            }
            if (rhs_offset != 0)
            {
                sum += (uint32_t)vector_cols * (uint32_t)rhs_offset;
            }
            vector_sum_buf[r] = (int32_t)((uint32_t)vector_sum_buf[r] + sum * (uint32_t)lhs_offset);
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

#else
typedef int gen_unused_tu;
#endif /* GEN_USE_CMSIS_NN */
