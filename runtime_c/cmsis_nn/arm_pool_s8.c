/* Portable int8 max and average pooling with the CMSIS-NN v7.0.0 API (written for gen).
 * NHWC, input and output share scale and zero point, the window is clipped to the input
 * (padding never contributes and is not counted).
 *
 * max: out = clamp(max over the clipped window). A window with no input element leaves the
 *      output byte as it was (then clamps it), like the reference.
 * avg: s = sum over the clipped window, n = its element count,
 *      out = clamp((s > 0 ? s + n/2 : s - n/2) / n) with C division (truncation): a rounded mean,
 *      ties away from zero. An empty window makes the call fail with ARM_CMSIS_NN_ARG_ERROR.
 *      On DSP cores the real kernel needs ch_src * 4 bytes of scratch; a NULL ctx->buf is
 *      rejected as it is there.
 */
#ifndef GEN_USE_CMSIS_NN

#include <stddef.h>

#include "gen_cmsis_nn.h"
#include "gen_nn_math.h"

arm_cmsis_nn_status arm_max_pool_s8(const cmsis_nn_context *ctx,
                                    const cmsis_nn_pool_params *pool_params,
                                    const cmsis_nn_dims *input_dims,
                                    const int8_t *input_data,
                                    const cmsis_nn_dims *filter_dims,
                                    const cmsis_nn_dims *output_dims,
                                    int8_t *output_data)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t ch = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t act_min = pool_params->activation.min;
    const int32_t act_max = pool_params->activation.max;
    int32_t b, oy, ox, c;
    (void)ctx;

    if (input_dims->n < 1)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *in_b = input_data + (size_t)b * (size_t)(in_h * in_w * ch);
        int8_t *out_b = output_data + (size_t)b * (size_t)(out_h * out_w * ch);
        for (oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * pool_params->stride.h - pool_params->padding.h;
            const int32_t ky0 = gen_nn_max(0, -y0);
            const int32_t ky1 = gen_nn_min(filter_dims->h, in_h - y0);
            for (ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * pool_params->stride.w - pool_params->padding.w;
                const int32_t kx0 = gen_nn_max(0, -x0);
                const int32_t kx1 = gen_nn_min(filter_dims->w, in_w - x0);
                int8_t *out = out_b + (size_t)((oy * out_w + ox) * ch);
                for (c = 0; c < ch; c++)
                {
                    int32_t ky, kx;
                    int32_t m = (int32_t)out[c];
                    int first = 1;
                    for (ky = ky0; ky < ky1; ky++)
                    {
                        for (kx = kx0; kx < kx1; kx++)
                        {
                            const int32_t v = (int32_t)in_b[(size_t)(((y0 + ky) * in_w + (x0 + kx)) * ch + c)];
                            if (first || v > m)
                            {
                                m = v;
                            }
                            first = 0;
                        }
                    }
                    out[c] = (int8_t)gen_nn_clamp(m, act_min, act_max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

int32_t arm_avgpool_s8_get_buffer_size_dsp(const int dim_dst_width, const int ch_src)
{
    (void)dim_dst_width;
    return ch_src * (int32_t)sizeof(int32_t);
}

int32_t arm_avgpool_s8_get_buffer_size(const int dim_dst_width, const int ch_src)
{
    return arm_avgpool_s8_get_buffer_size_dsp(dim_dst_width, ch_src);
}

arm_cmsis_nn_status arm_avgpool_s8(const cmsis_nn_context *ctx,
                                   const cmsis_nn_pool_params *pool_params,
                                   const cmsis_nn_dims *input_dims,
                                   const int8_t *input_data,
                                   const cmsis_nn_dims *filter_dims,
                                   const cmsis_nn_dims *output_dims,
                                   int8_t *output_data)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t ch = input_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t act_min = pool_params->activation.min;
    const int32_t act_max = pool_params->activation.max;
    int32_t b, oy, ox, c;

    if (input_dims->n < 1)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    if (ctx->buf == NULL && arm_avgpool_s8_get_buffer_size_dsp(output_dims->w, input_dims->c) != 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *in_b = input_data + (size_t)b * (size_t)(in_h * in_w * ch);
        int8_t *out_b = output_data + (size_t)b * (size_t)(out_h * out_w * ch);
        for (oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * pool_params->stride.h - pool_params->padding.h;
            const int32_t ky0 = gen_nn_max(0, -y0);
            const int32_t ky1 = gen_nn_min(filter_dims->h, in_h - y0);
            for (ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * pool_params->stride.w - pool_params->padding.w;
                const int32_t kx0 = gen_nn_max(0, -x0);
                const int32_t kx1 = gen_nn_min(filter_dims->w, in_w - x0);
                const int32_t count = (ky1 > ky0 && kx1 > kx0) ? (ky1 - ky0) * (kx1 - kx0) : 0;
                int8_t *out = out_b + (size_t)((oy * out_w + ox) * ch);
                if (count == 0)
                {
                    return ARM_CMSIS_NN_ARG_ERROR;
                }
                for (c = 0; c < ch; c++)
                {
                    int32_t ky, kx;
                    int32_t sum = 0;
                    for (ky = ky0; ky < ky1; ky++)
                    {
                        for (kx = kx0; kx < kx1; kx++)
                        {
                            sum += (int32_t)in_b[(size_t)(((y0 + ky) * in_w + (x0 + kx)) * ch + c)];
                        }
                    }
                    sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
                    out[c] = (int8_t)gen_nn_clamp(sum, act_min, act_max);
                }
            }
        }
    }
    return ARM_CMSIS_NN_SUCCESS;
}

#else
typedef int gen_unused_tu;
#endif /* GEN_USE_CMSIS_NN */
