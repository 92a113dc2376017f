/* Portable int8 convolution with the CMSIS-NN v7.0.0 wrapper API (written for gen).
 *
 * out[b][y][x][o] = clamp(requant(bias[o] + sum (in[b][y*sh-ph+ky*dh][x*sw-pw+kx*dw][g*kc+c] + input_offset)
 *                                           * filter[o][ky][kx][c], mult[o], shift[o]) + output_offset)
 * with kc = filter_dims->c, groups = input_dims->c / kc, g = o / (output_dims->c / groups); taps that
 * fall outside the input contribute nothing (the padding value is the input zero point).
 * Accumulation wraps modulo 2^32 like the reference.
 */
#ifndef GEN_USE_CMSIS_NN

#include <stddef.h>

#include "gen_cmsis_nn.h"
#include "gen_nn_math.h"

/* Scratch bytes of the real library's im2col kernel (DSP build): two int16 columns of the
 * kernel volume, rounded up to a multiple of 4 entries. Note that it uses input_dims->c, not the
 * per-group channel count. */
static int32_t gen_conv_im2col_bytes(const cmsis_nn_dims *input_dims, const cmsis_nn_dims *filter_dims)
{
    const int32_t cols = filter_dims->w * filter_dims->h * input_dims->c;
    const int32_t rem = cols % 4;
    const int32_t aligned = rem != 0 ? cols + 4 - rem : cols;
    return 2 * aligned * (int32_t)sizeof(int16_t);
}

int32_t arm_convolve_wrapper_s8_get_buffer_size_dsp(const cmsis_nn_conv_params *conv_params,
                                                    const cmsis_nn_dims *input_dims,
                                                    const cmsis_nn_dims *filter_dims,
                                                    const cmsis_nn_dims *output_dims)
{
    (void)output_dims;
    if (conv_params->padding.w == 0 && conv_params->padding.h == 0 && filter_dims->w == 1 && filter_dims->h == 1 &&
        conv_params->dilation.w == 1 && conv_params->dilation.h == 1)
    {
        if (conv_params->stride.w == 1 && conv_params->stride.h == 1)
        {
#if defined(__ARMCC_VERSION) && (__ARMCC_VERSION >= 6010050)
            /* Arm Compiler 6 builds of the real library use an optional int16 row pair here. */
            return 2 * input_dims->c * (int32_t)sizeof(int16_t);
#else
            return 0;
#endif
        }
        return 0;
    }
    /* Both the 1xN kernel and the generic kernel use the im2col size on DSP cores. */
    return gen_conv_im2col_bytes(input_dims, filter_dims);
}

int32_t arm_convolve_wrapper_s8_get_buffer_size(const cmsis_nn_conv_params *conv_params,
                                                const cmsis_nn_dims *input_dims,
                                                const cmsis_nn_dims *filter_dims,
                                                const cmsis_nn_dims *output_dims)
{
    return arm_convolve_wrapper_s8_get_buffer_size_dsp(conv_params, input_dims, filter_dims, output_dims);
}

static void gen_conv_s8_compute(const cmsis_nn_conv_params *conv_params,
                                const cmsis_nn_per_channel_quant_params *quant_params,
                                const cmsis_nn_dims *input_dims,
                                const int8_t *input_data,
                                const cmsis_nn_dims *filter_dims,
                                const int8_t *filter_data,
                                const int32_t *bias_data,
                                const cmsis_nn_dims *output_dims,
                                int8_t *output_data,
                                int32_t groups)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t k_c = filter_dims->c;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t out_c = output_dims->c;
    const int32_t oc_per_group = out_c / groups;
    const int32_t stride_x = conv_params->stride.w;
    const int32_t stride_y = conv_params->stride.h;
    const int32_t pad_x = conv_params->padding.w;
    const int32_t pad_y = conv_params->padding.h;
    const int32_t dil_x = conv_params->dilation.w;
    const int32_t dil_y = conv_params->dilation.h;
    const int32_t in_off = conv_params->input_offset;
    const int32_t out_off = conv_params->output_offset;
    const int32_t act_min = conv_params->activation.min;
    const int32_t act_max = conv_params->activation.max;
    const int32_t filter_size = k_h * k_w * k_c;
    int32_t b, oy, ox, oc;

    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *in_b = input_data + (size_t)b * (size_t)(in_h * in_w * in_c);
        for (oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * stride_y - pad_y;
            for (ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * stride_x - pad_x;
                for (oc = 0; oc < out_c; oc++)
                {
                    const int32_t ch0 = (oc / oc_per_group) * k_c;
                    const int8_t *w_o = filter_data + (size_t)oc * (size_t)filter_size;
                    uint32_t acc = bias_data != NULL ? (uint32_t)bias_data[oc] : 0u;
                    int32_t ky, kx, c;
                    for (ky = 0; ky < k_h; ky++)
                    {
                        const int32_t iy = y0 + ky * dil_y;
                        if (iy < 0 || iy >= in_h)
                        {
                            continue;
                        }
                        for (kx = 0; kx < k_w; kx++)
                        {
                            const int32_t ix = x0 + kx * dil_x;
                            const int8_t *ip;
                            const int8_t *wp;
                            if (ix < 0 || ix >= in_w)
                            {
                                continue;
                            }
                            ip = in_b + (size_t)((iy * in_w + ix) * in_c + ch0);
                            wp = w_o + (size_t)((ky * k_w + kx) * k_c);
                            for (c = 0; c < k_c; c++)
                            {
                                acc += (uint32_t)(((int32_t)ip[c] + in_off) * (int32_t)wp[c]);
                            }
                        }
                    }
                    {
                        int32_t r = gen_nn_requantize((int32_t)acc, quant_params->multiplier[oc], quant_params->shift[oc]);
                        r = gen_nn_clamp(r + out_off, act_min, act_max);
                        output_data[(size_t)((((b * out_h) + oy) * out_w + ox) * out_c + oc)] = (int8_t)r;
                    }
                }
            }
        }
    }
}

arm_cmsis_nn_status arm_convolve_wrapper_s8(const cmsis_nn_context *ctx,
                                            const cmsis_nn_conv_params *conv_params,
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
    int32_t groups;
    (void)bias_dims;

    if (conv_params->padding.w == 0 && conv_params->padding.h == 0 && filter_dims->w == 1 && filter_dims->h == 1 &&
        conv_params->dilation.w == 1 && conv_params->dilation.h == 1 && input_dims->c == filter_dims->c)
    {
        /* pointwise kernels: no scratch needed, no further argument checks */
        gen_conv_s8_compute(conv_params, quant_params, input_dims, input_data, filter_dims, filter_data, bias_data,
                            output_dims, output_data, 1);
        return ARM_CMSIS_NN_SUCCESS;
    }
    if (input_dims->h == 1 && conv_params->dilation.w == 1 && filter_dims->h == 1 &&
        (conv_params->stride.w * input_dims->c) % 4 == 0 && input_dims->c == filter_dims->c)
    {
        /* the real library's 1xN kernel checks these first */
        if (ctx->buf == NULL || conv_params->stride.w == 0)
        {
            return ARM_CMSIS_NN_ARG_ERROR;
        }
    }
    /* generic (im2col) kernel */
    if (ctx->buf == NULL || filter_dims->c <= 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    groups = input_dims->c / filter_dims->c;
    if (groups <= 0 || input_dims->c % groups != 0 || output_dims->c % groups != 0)
    {
        return ARM_CMSIS_NN_ARG_ERROR;
    }
    gen_conv_s8_compute(conv_params, quant_params, input_dims, input_data, filter_dims, filter_data, bias_data,
                        output_dims, output_data, groups);
    return ARM_CMSIS_NN_SUCCESS;
}

#else
typedef int gen_unused_tu;
#endif /* GEN_USE_CMSIS_NN */
