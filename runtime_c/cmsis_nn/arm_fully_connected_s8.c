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
    gen_fc_s8_compute(fc_params, &quant_params->multiplier, &quant_params->shift, 0, input_dims, input_data,
                      filter_dims, filter_data, bias_data, output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
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
    gen_fc_s8_compute(fc_params, quant_params->multiplier, quant_params->shift, 1, input_dims, input_data,
                      filter_dims, filter_data, bias_data, output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
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
