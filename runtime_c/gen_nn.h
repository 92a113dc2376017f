/* gen_nn.h - the int8 kernel interface of gen's generated code (written for gen).
 *
 * 1. The CMSIS-NN v7 subset (arm_convolve_wrapper_s8, arm_depthwise_conv_wrapper_s8,
 *    arm_fully_connected_s8 / _per_channel_s8, arm_vector_sum_s8, arm_elementwise_add_s8 / _mul_s8,
 *    arm_max_pool_s8, arm_avgpool_s8, arm_softmax_s8 and the *_get_buffer_size functions).
 *    Default: gen's portable implementation, gen_cmsis_nn.h + cmsis_nn/arm_*.c, bit-exact with the
 *    real library. Define GEN_USE_CMSIS_NN and put CMSIS-NN's Include/ on the include path to call
 *    the real library instead; the portable arm_*.c files then compile to nothing.
 *    The *_get_buffer_size functions return the scratch the real library needs on DSP cores
 *    (Cortex-M4/M7/M33, GCC build); the portable kernels need no scratch but reject a NULL
 *    ctx->buf where the real DSP build does. Pass ctx->buf = NULL when the size is 0.
 *    Real-library (v7.0.0) limitations the generated code must respect; the portable kernels
 *    give the exact result in all three cases:
 *    - a grouped 1x1 convolution (input c != filter c, no padding) reports 0 bytes but runs the
 *      im2col kernel, which needs 4 * round_up4(input c) bytes and a non-NULL ctx->buf;
 *      gen/int8ref.py conv_wrapper_s8_buffer_size(..., safe=True) gives the size to plan;
 *    - a grouped convolution with bias_data == NULL crashes: pass a zero bias;
 *    - the 3x3 depthwise kernel (ch_mult 1, n 1, no dilation, padding <= 1) always reads the
 *      middle kernel column, so the right padding implied by output_dims->w must be <= 1
 *      ((out_w - 1) * stride_w + 3 - in_w - pad_w <= 1); otherwise pad the input explicitly.
 *
 * 2. gen's own int8 kernels (gen_s8.c, always compiled, independent of GEN_USE_CMSIS_NN).
 *    Offsets follow the CMSIS-NN convention: input_offset = -input_zero_point,
 *    output_offset = +output_zero_point. Requantization is the CMSIS-NN/TFLite double-rounding
 *    (multiplier Q31, shift > 0 = left shift). Sizes are element counts.
 *
 *    gen_s8_lut:       y[i] = table[x[i] + 128] (the 256-entry table is built at generation time,
 *                      gen/quant.py lut_*; table[0] is the output for input -128).
 *    gen_s8_requantize: y = clamp(requant(x + input_offset, mult, shift) + output_offset, act_min, act_max).
 *    gen_s8_quantize_f32: y = saturate(round_half_even(x / scale) + zero_point) (onnxruntime's
 *                      QuantizeLinear; float32 division, NaN gives -128). No libm needed.
 *    gen_s8_dequantize_f32: y = (float)(x - zero_point) * scale.
 *    gen_s8_reduce_mean: TFLite's int8 Mean over the spatial axes of NHWC: x is [batches][spatial][channels],
 *                      y is [batches][channels]; acc = sum (x + input_offset);
 *                      acc = requant(acc, mult, shift) (mult/shift = QuantizeMultiplier(in_scale / out_scale));
 *                      acc = rounded acc / spatial (ties away from zero); y = clamp(acc + output_offset).
 *    Transpose, constant pad and concat of any element size are in gen_layout.h.
 */
#ifndef GEN_NN_H
#define GEN_NN_H

#include <stdint.h>

#ifdef GEN_USE_CMSIS_NN
#include "arm_nnfunctions.h"
#else
#include "gen_cmsis_nn.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

void gen_s8_lut(const int8_t *input, int8_t *output, int32_t size, const int8_t *table);

void gen_s8_requantize(const int8_t *input,
                       int8_t *output,
                       int32_t size,
                       int32_t input_offset,
                       int32_t mult,
                       int32_t shift,
                       int32_t output_offset,
                       int32_t act_min,
                       int32_t act_max);

void gen_s8_quantize_f32(const float *input, int8_t *output, int32_t size, float scale, int32_t zero_point);

void gen_s8_dequantize_f32(const int8_t *input, float *output, int32_t size, float scale, int32_t zero_point);

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
                        int32_t act_max);

#ifdef __cplusplus
}
#endif

#endif /* GEN_NN_H */
