/* gen's ConvTranspose kernels (1-D and 2-D; a 1-D one has a unit height): float32 NCHW and int8
 * channels last. Written for gen; C99, no allocation, no recursion.
 *
 * Both gather: output position (oy, ox) of channel m (group gi = m / (m_total / group)) sums every
 * input position (iy, ix) and tap (ky, kx) with oy + pt = iy * sh + ky * dh and ox + pl = ix * sw + kx * dw,
 * over the group's input channels. pt/pl are the leading pads (the output is the full transposed
 * convolution cropped by pt at the top and pl at the left; output_padding and the trailing pads only
 * change oh/ow).
 */
#ifndef GEN_CONV_TRANSPOSE_H
#define GEN_CONV_TRANSPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "gen_f32.h"

typedef struct {
    int32_t n, c, h, w;         /* input */
    int32_t m, oh, ow;          /* output channels and size */
    int32_t kh, kw, sh, sw, dh, dw, pt, pl;
    int32_t group;
    gen_act act;
} gen_f32_conv_transpose_params;

/* float32, NCHW; w in ONNX's layout [c][m / group][kh][kw]; bias [m] or NULL:
 * y[n][m][oy][ox] = act(bias[m] + sum x[n][ci][iy][ix] * w[ci][m % (m / group)][ky][kx]) */
void gen_f32_conv_transpose(const float *x, const float *w, const float *bias, float *y,
                            const gen_f32_conv_transpose_params *p);

typedef struct {
    int32_t n, c, h, w;
    int32_t m, oh, ow;
    int32_t kh, kw, sh, sw, dh, dw, pt, pl;
    int32_t group;
    int32_t in_offset;          /* minus the input zero point */
    int32_t out_offset;         /* the output zero point */
    int32_t act_min, act_max;
} gen_s8_conv_transpose_params;

/* int8, channels last: x [n][h][w][c], y [n][oh][ow][m], w [m][kh][kw][c / group] (symmetric), bias [m]
 * int32 in the accumulator's scale (input scale x weight scale), per output channel mult/shift:
 *     acc = bias[m] + sum w[m][ky][kx][c] * (x[n][iy][ix][gi * c / group + c] + in_offset)
 *     y   = clamp(requantize(acc, mult[m], shift[m]) + out_offset, act_min, act_max)
 * with CMSIS-NN's double rounding (arm_nn_requantize). */
void gen_s8_conv_transpose(const int8_t *x, const int8_t *w, const int32_t *bias, const int32_t *mult,
                           const int32_t *shift, int8_t *y, const gen_s8_conv_transpose_params *p);

#endif
