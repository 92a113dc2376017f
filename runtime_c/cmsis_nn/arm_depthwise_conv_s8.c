/* Portable int8 depthwise convolution with the CMSIS-NN v7.0.0 wrapper API (written for gen).
 *
 * Output channel o = i * ch_mult + m reads input channel i:
 * out[b][y][x][o] = clamp(requant(bias[o] + sum (in[b][y*sh-ph+ky*dh][x*sw-pw+kx*dw][i] + input_offset)
 *                                           * filter[0][ky][kx][o], mult[o], shift[o]) + output_offset)
 * Taps outside the input contribute nothing. Batches > 1, any ch_mult and dilation are supported.
 */
#ifndef GEN_USE_CMSIS_NN

#include <stddef.h>

#include "gen_cmsis_nn.h"
#include "gen_nn_math.h"

static int gen_dw_uses_3x3_kernel(const cmsis_nn_dw_conv_params *p, const cmsis_nn_dims *filter_dims)
{
    return filter_dims->w == 3 && filter_dims->h == 3 && p->padding.h <= 1 && p->padding.w <= 1;
}

int32_t arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                          const cmsis_nn_dims *input_dims,
                                                          const cmsis_nn_dims *filter_dims,
                                                          const cmsis_nn_dims *output_dims)
{
    if (input_dims->c == output_dims->c && input_dims->n == 1 && dw_conv_params->dilation.w == 1 &&
        dw_conv_params->dilation.h == 1)
    {
        if (gen_dw_uses_3x3_kernel(dw_conv_params, filter_dims))
        {
            return 0;
        }
        /* the DSP kernel keeps one int16 im2col column of the whole kernel volume */
        return input_dims->c * filter_dims->w * filter_dims->h * (int32_t)sizeof(int16_t);
    }
    return 0;
}

int32_t arm_depthwise_conv_wrapper_s8_get_buffer_size(const cmsis_nn_dw_conv_params *dw_conv_params,
                                                      const cmsis_nn_dims *input_dims,
                                                      const cmsis_nn_dims *filter_dims,
                                                      const cmsis_nn_dims *output_dims)
{
    return arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(dw_conv_params, input_dims, filter_dims, output_dims);
}

static void gen_dw_conv_s8_compute(const cmsis_nn_dw_conv_params *p,
                                   const cmsis_nn_per_channel_quant_params *quant_params,
                                   const cmsis_nn_dims *input_dims,
                                   const int8_t *input,
                                   const cmsis_nn_dims *filter_dims,
                                   const int8_t *filter,
                                   const int32_t *bias,
                                   const cmsis_nn_dims *output_dims,
                                   int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t ch_mult = p->ch_mult;
    const int32_t out_c = in_c * ch_mult;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t in_off = p->input_offset;
    const int32_t out_off = p->output_offset;
    const int32_t act_min = p->activation.min;
    const int32_t act_max = p->activation.max;
    int32_t b, oy, ox, i, m;
    size_t out_idx = 0;

    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *in_b = input + (size_t)b * (size_t)(in_h * in_w * in_c);
        for (oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            for (ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                for (i = 0; i < in_c; i++)
                {
                    for (m = 0; m < ch_mult; m++)
                    {
                        const int32_t o = i * ch_mult + m;
                        uint32_t acc = bias != NULL ? (uint32_t)bias[o] : 0u;
                        int32_t ky, kx, r;
                        for (ky = 0; ky < k_h; ky++)
                        {
                            const int32_t iy = y0 + ky * p->dilation.h;
                            if (iy < 0 || iy >= in_h)
                            {
                                continue;
                            }
                            for (kx = 0; kx < k_w; kx++)
                            {
                                const int32_t ix = x0 + kx * p->dilation.w;
                                if (ix < 0 || ix >= in_w)
                                {
                                    continue;
                                }
                                acc += (uint32_t)(((int32_t)in_b[(size_t)((iy * in_w + ix) * in_c + i)] + in_off) *
                                                  (int32_t)filter[(size_t)((ky * k_w + kx) * out_c + o)]);
                            }
                        }
                        r = gen_nn_requantize((int32_t)acc, quant_params->multiplier[o], quant_params->shift[o]);
                        output[out_idx++] = (int8_t)gen_nn_clamp(r + out_off, act_min, act_max);
                    }
                }
            }
        }
    }
}

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include <arm_mve.h>

/* requantize four channels' accumulators (from channel c), add the output offset, clamp, store the
 * lanes of pr: VQRDMULH (= the reference's rounding high multiply), then the rounding right shift with
 * ties away from zero as VRSHL of r - [r < 0] (gen_nn_requant_rshift's identity) */
static inline void gen_dw_mve_out4(int8_t *out, int32x4_t acc, const cmsis_nn_per_channel_quant_params *q, int32_t c,
                                   mve_pred16_t pr, int32_t out_off, int32x4_t act_min, int32x4_t act_max)
{
    const int32x4_t zero = vdupq_n_s32(0);
    const int32x4_t shift = vldrwq_z_s32(q->shift + c, pr);
    const int32x4_t left = vmaxq_s32(shift, zero);
    const int32x4_t right = vmaxq_s32(vnegq_s32(shift), zero);
    int32x4_t r = vqrdmulhq_s32(vshlq_s32(acc, left), vldrwq_z_s32(q->multiplier + c, pr));
    /* - [r < 0] where a right shift follows */
    r = vaddq_s32(r, vandq_s32(vshrq_n_s32(r, 31), vnegq_s32(vminq_s32(right, vdupq_n_s32(1)))));
    r = vrshlq_s32(r, vnegq_s32(right));
    r = vminq_s32(vmaxq_s32(vaddq_n_s32(r, out_off), act_min), act_max);
    vstrbq_p_s32(out, r, pr);
}

/* acc[0..3] += (x + in_off) * w over a window of rows x cols taps of sixteen channels (x, w: the first
 * tap's; a row of taps further at x_row, w_row; a tap at in_c). Out of line: inside the pixel loops GCC
 * spills the pointers. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void gen_dw_mve_taps16(const int8_t *x, const int8_t *w, int32_t rows, int32_t cols, int32_t x_row,
                              int32_t w_row, int32_t in_c, int32_t in_off, int32x4_t *acc)
{
    int32x4_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t ky, kx;
    for (ky = 0; ky < rows; ky++)
    {
        const int8_t *xr = x + (size_t)ky * (size_t)x_row;
        const int8_t *wr = w + (size_t)ky * (size_t)w_row;
        for (kx = 0; kx < cols; kx++)
        {
            a0 = vaddq_s32(a0, vmulq_s32(vaddq_n_s32(vldrbq_s32(xr), in_off), vldrbq_s32(wr)));
            a1 = vaddq_s32(a1, vmulq_s32(vaddq_n_s32(vldrbq_s32(xr + 4), in_off), vldrbq_s32(wr + 4)));
            a2 = vaddq_s32(a2, vmulq_s32(vaddq_n_s32(vldrbq_s32(xr + 8), in_off), vldrbq_s32(wr + 8)));
            a3 = vaddq_s32(a3, vmulq_s32(vaddq_n_s32(vldrbq_s32(xr + 12), in_off), vldrbq_s32(wr + 12)));
            xr += in_c;
            wr += in_c;
        }
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* Helium (MVE) depthwise convolution, one output channel per input channel, dilation 1: four channels
 * a vector (the filter [kh][kw][c] and the input NHWC both hold them side by side: VLDRB.S32), every
 * tap of the pixel's window that is inside the input (padding taps skipped, as the reference does),
 * (x + in_off) * w with VMUL and VADD; requantization per four channels: VQRDMULH (= the reference's
 * rounding high multiply), then the rounding right shift with ties away from zero as
 * VRSHL of r - [r < 0] (gen_nn_requant_rshift's identity), predicated on the channels' tail. */
static void gen_dw_conv_s8_mve(const cmsis_nn_dw_conv_params *p,
                               const cmsis_nn_per_channel_quant_params *quant_params,
                               const cmsis_nn_dims *input_dims,
                               const int8_t *input,
                               const cmsis_nn_dims *filter_dims,
                               const int8_t *filter,
                               const int32_t *bias,
                               const cmsis_nn_dims *output_dims,
                               int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t in_c = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t in_off = p->input_offset;
    const int32_t out_off = p->output_offset;
    const int32x4_t act_min = vdupq_n_s32(p->activation.min);
    const int32x4_t act_max = vdupq_n_s32(p->activation.max);
    const int32x4_t zero = vdupq_n_s32(0);
    int32_t b, oy, ox, c;

    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *in_b = input + (size_t)b * (size_t)(in_h * in_w * in_c);
        int8_t *out_b = output + (size_t)b * (size_t)(out_h * out_w * in_c);
        for (oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            const int32_t ky0 = y0 < 0 ? -y0 : 0;
            const int32_t ky1 = in_h - y0 < k_h ? in_h - y0 : k_h;
            for (ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                const int32_t kx0 = x0 < 0 ? -x0 : 0;
                const int32_t kx1 = in_w - x0 < k_w ? in_w - x0 : k_w;
                int8_t *out_p = out_b + (size_t)(oy * out_w + ox) * (size_t)in_c;
                for (c = 0; c + 16 <= in_c; c += 16) /* sixteen channels a tap: four accumulators */
                {
                    int32x4_t a0, a1, a2, a3;
                    if (bias != NULL)
                    {
                        a0 = vldrwq_s32(bias + c);
                        a1 = vldrwq_s32(bias + c + 4);
                        a2 = vldrwq_s32(bias + c + 8);
                        a3 = vldrwq_s32(bias + c + 12);
                    }
                    else
                    {
                        a0 = a1 = a2 = a3 = zero;
                    }
                    if (ky1 > ky0 && kx1 > kx0)
                    {
                        int32x4_t acc[4];
                        acc[0] = a0;
                        acc[1] = a1;
                        acc[2] = a2;
                        acc[3] = a3;
                        gen_dw_mve_taps16(in_b + ((size_t)(y0 + ky0) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)in_c + c,
                                          filter + (size_t)(ky0 * k_w + kx0) * (size_t)in_c + c, ky1 - ky0, kx1 - kx0,
                                          in_w * in_c, k_w * in_c, in_c, in_off, acc);
                        a0 = acc[0];
                        a1 = acc[1];
                        a2 = acc[2];
                        a3 = acc[3];
                    }
                    gen_dw_mve_out4(out_p + c, a0, quant_params, c, vctp32q(4u), out_off, act_min, act_max);
                    gen_dw_mve_out4(out_p + c + 4, a1, quant_params, c + 4, vctp32q(4u), out_off, act_min, act_max);
                    gen_dw_mve_out4(out_p + c + 8, a2, quant_params, c + 8, vctp32q(4u), out_off, act_min, act_max);
                    gen_dw_mve_out4(out_p + c + 12, a3, quant_params, c + 12, vctp32q(4u), out_off, act_min, act_max);
                }
                for (; c < in_c; c += 4)
                {
                    const mve_pred16_t pr = vctp32q((uint32_t)(in_c - c));
                    int32x4_t acc = bias != NULL ? vldrwq_z_s32(bias + c, pr) : zero;
                    int32_t ky, kx;
                    for (ky = ky0; ky < ky1; ky++)
                    {
                        const int8_t *xr = in_b + ((size_t)(y0 + ky) * (size_t)in_w + (size_t)(x0 + kx0)) * (size_t)in_c + c;
                        const int8_t *wr = filter + (size_t)(ky * k_w + kx0) * (size_t)in_c + c;
                        for (kx = kx0; kx < kx1; kx++)
                        {
                            const int32x4_t xv = vaddq_n_s32(vldrbq_z_s32(xr, pr), in_off);
                            acc = vaddq_s32(acc, vmulq_s32(xv, vldrbq_z_s32(wr, pr)));
                            xr += in_c;
                            wr += in_c;
                        }
                    }
                    gen_dw_mve_out4(out_p + c, acc, quant_params, c, pr, out_off, act_min, act_max);
                }
            }
        }
    }
}
#endif /* __ARM_FEATURE_MVE */

#if defined(GEN_NN_DSP)
/* DSP extension path for ch_mult == 1 (same results as gen_dw_conv_s8_compute): four channels at
 * a time, each tap adds to four accumulators with SMLABB / SMLATT on the widened halfwords (the
 * input offset added by SXTAB16). No scratch. One call per output pixel, with the taps that fall
 * inside the input: n_ky rows of n_kx taps from in_t0 / w_t0 (channel 0). */
typedef struct
{
    const int32_t *bias;
    const int32_t *mult;
    const int32_t *shift;
    int32_t c;          /* channels */
    int32_t x_step;     /* bytes between horizontal taps in the input */
    int32_t in_row;     /* bytes between tap rows in the input */
    int32_t w_row;      /* bytes between tap rows in the filter */
    int32_t in_off;
    int32_t out_off;
    int32_t act_min;
    int32_t act_max;
} gen_dw_args;

#define GEN_DW_TAP(ip, wp)                                                                                         \
    do                                                                                                             \
    {                                                                                                              \
        const int32_t v_ = gen_nn_read_s8x4(ip);                                                                   \
        const int32_t u_ = gen_nn_read_s8x4(wp);                                                                   \
        const int32_t ve_ = __sxtab16(offp, v_);                                                                   \
        const int32_t ue_ = __sxtb16(u_);                                                                          \
        const int32_t vo_ = gen_nn_sxtab16_ror8(offp, v_);                                                         \
        const int32_t uo_ = gen_nn_sxtb16_ror8(u_);                                                                \
        s0 = __smlabb(ve_, ue_, s0);                                                                               \
        s2 = __smlatt(ve_, ue_, s2);                                                                               \
        s1 = __smlabb(vo_, uo_, s1);                                                                               \
        s3 = __smlatt(vo_, uo_, s3);                                                                               \
    } while (0)

static void gen_dw_pixel_dsp(const gen_dw_args *a,
                             const int8_t *in_t0,
                             const int8_t *w_t0,
                             int32_t n_ky,
                             int32_t n_kx,
                             int8_t *out)
{
    const int32_t c = a->c;
    const int32_t offp = gen_nn_dup16(a->in_off);
    const int32_t *const bias = a->bias;
    const int32_t *const mult = a->mult;
    const int32_t *const shift = a->shift;
    const int32_t x_step = a->x_step;
    const int32_t in_row = a->in_row;
    const int32_t w_row = a->w_row;
    const int32_t out_off = a->out_off;
    const int32_t act_min = a->act_min;
    const int32_t act_max = a->act_max;
    int32_t ch;

    for (ch = 0; ch + 4 <= c; ch += 4)
    {
        int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const int8_t *ir = in_t0 + ch;
        const int8_t *wr = w_t0 + ch;
        int32_t ky, kx;
        if (bias != NULL)
        {
            s0 = bias[ch];
            s1 = bias[ch + 1];
            s2 = bias[ch + 2];
            s3 = bias[ch + 3];
        }
        if (n_kx == 3)
        {
            const int32_t xs = x_step;
            for (ky = n_ky; ky > 0; ky--)
            {
                GEN_DW_TAP(ir, wr);
                GEN_DW_TAP(ir + xs, wr + c);
                GEN_DW_TAP(ir + 2 * xs, wr + 2 * c);
                ir += in_row;
                wr += w_row;
            }
        }
        else
        {
            for (ky = n_ky; ky > 0; ky--)
            {
                const int8_t *ip = ir;
                const int8_t *wp = wr;
                for (kx = n_kx; kx > 0; kx--)
                {
                    GEN_DW_TAP(ip, wp);
                    ip += x_step;
                    wp += c;
                }
                ir += in_row;
                wr += w_row;
            }
        }
        {
            const int8_t o0 = gen_nn_requant_out(s0, mult[ch], shift[ch], out_off, act_min, act_max);
            const int8_t o1 = gen_nn_requant_out(s1, mult[ch + 1], shift[ch + 1], out_off, act_min, act_max);
            const int8_t o2 = gen_nn_requant_out(s2, mult[ch + 2], shift[ch + 2], out_off, act_min, act_max);
            const int8_t o3 = gen_nn_requant_out(s3, mult[ch + 3], shift[ch + 3], out_off, act_min, act_max);
            out[ch] = o0;
            out[ch + 1] = o1;
            out[ch + 2] = o2;
            out[ch + 3] = o3;
        }
    }
    for (; ch < c; ch++)
    {
        int32_t s0 = bias != NULL ? bias[ch] : 0;
        const int8_t *ir = in_t0 + ch;
        const int8_t *wr = w_t0 + ch;
        int32_t ky, kx;
        for (ky = 0; ky < n_ky; ky++)
        {
            for (kx = 0; kx < n_kx; kx++)
            {
                s0 += ((int32_t)ir[kx * x_step] + a->in_off) * (int32_t)wr[kx * c];
            }
            ir += in_row;
            wr += w_row;
        }
        out[ch] = gen_nn_requant_out(s0, mult[ch], shift[ch], out_off, act_min, act_max);
    }
}
#undef GEN_DW_TAP

/* Requantization of four channels (ch .. ch + 3) of the row kernel: when all four shifts are
 * right shifts the folded gen_nn_requant_rshift, else the general helper. */
typedef struct
{
    int32_t mult[4];
    int32_t e1[4];
    int32_t c0[4];
    int32_t shift[4];
    int32_t fast;
} gen_dw_rq4;

static void gen_dw_rq4_init(gen_dw_rq4 *q, const int32_t *mult, const int32_t *shift)
{
    int32_t i;
    q->fast = 1;
    for (i = 0; i < 4; i++)
    {
        const int32_t sh = shift[i];
        q->mult[i] = mult[i];
        q->shift[i] = sh;
        if (sh < 0)
        {
            q->e1[i] = -sh - 1;
            q->c0[i] = (int32_t)((uint32_t)1 << (-sh - 1));
        }
        else
        {
            q->e1[i] = 0;
            q->c0[i] = 0;
            q->fast = 0;
        }
    }
}

static inline int8_t gen_dw_rq_out(const gen_dw_rq4 *q, int32_t i, int32_t acc, int32_t out_off, int32_t act_min,
                                   int32_t act_max)
{
    const int32_t r = gen_nn_requant_rshift(acc, q->mult[i], q->e1[i], q->c0[i]);
    if (act_min == -128 && act_max == 127)
    {
        return (int8_t)__ssat(r + out_off, 8);
    }
    return (int8_t)gen_nn_clamp(r + out_off, act_min, act_max);
}

/* The interior block: n_rows output rows (row_step input bytes, out_row output bytes apart) of
 * n_px pixels (px_step input bytes apart) whose taps (n_ky rows of k_w) all fall inside the input,
 * so one call per layer. Channels outer in groups of four: the input offset joins the bias as
 * in_off * sum(w) of the group, so the inner loop widens raw bytes; the group's 3x3 filter words
 * are widened once into locals and its requantization constants prepared once (see gen_dw_rq4).
 * (Two pixels per step would need 8 accumulators: GCC 12 then spills them on the Cortex-M4.) */
#define GEN_DW_TAP1(ip, wp)                                                                                        \
    do                                                                                                             \
    {                                                                                                              \
        const int32_t u_ = gen_nn_read_s8x4(wp);                                                                   \
        const int32_t v_ = gen_nn_read_s8x4(ip);                                                                   \
        const int32_t ue_ = __sxtb16(u_);                                                                          \
        const int32_t uo_ = gen_nn_sxtb16_ror8(u_);                                                                \
        const int32_t ve_ = __sxtb16(v_);                                                                          \
        const int32_t vo_ = gen_nn_sxtb16_ror8(v_);                                                                \
        s0 = __smlabb(ve_, ue_, s0);                                                                               \
        s2 = __smlatt(ve_, ue_, s2);                                                                               \
        s1 = __smlabb(vo_, uo_, s1);                                                                               \
        s3 = __smlatt(vo_, uo_, s3);                                                                               \
    } while (0)

#define GEN_DW_TAPW(ip, t)                                                                                         \
    do                                                                                                             \
    {                                                                                                              \
        const int32_t v_ = gen_nn_read_s8x4(ip);                                                                   \
        const int32_t ve_ = __sxtb16(v_);                                                                          \
        const int32_t vo_ = gen_nn_sxtb16_ror8(v_);                                                                \
        s0 = __smlabb(ve_, we[t], s0);                                                                             \
        s2 = __smlatt(ve_, we[t], s2);                                                                             \
        s1 = __smlabb(vo_, wo[t], s1);                                                                             \
        s3 = __smlatt(vo_, wo[t], s3);                                                                             \
    } while (0)

#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void gen_dw_block_dsp(const gen_dw_args *a,
                             int32_t k_w,
                             const int8_t *in_t0,
                             const int8_t *w_t0,
                             int32_t n_ky,
                             int32_t n_rows,
                             int32_t row_step,
                             int32_t out_row,
                             int32_t n_px,
                             int32_t px_step,
                             int8_t *out)
{
    const int32_t c = a->c;
    const int32_t x_step = a->x_step;
    const int32_t in_row = a->in_row;
    const int32_t w_row = a->w_row;
    const int32_t in_off = a->in_off;
    const int32_t out_off = a->out_off;
    const int32_t act_min = a->act_min;
    const int32_t act_max = a->act_max;
    const int32_t full3 = k_w == 3 && n_ky == 3 && x_step == c;
    int32_t ch;

    for (ch = 0; ch + 4 <= c; ch += 4)
    {
        gen_dw_rq4 q;
        int32_t b[4];
        int32_t we[9], wo[9];
        const int8_t *const w0 = w_t0 + ch;
        int32_t i, ky, kx, p, row;

        gen_dw_rq4_init(&q, a->mult + ch, a->shift + ch);
        if (full3)
        {
            /* the group's 9 filter words, widened once per row */
            for (i = 0; i < 9; i++)
            {
                const int32_t u = gen_nn_read_s8x4(w0 + i * c);
                we[i] = __sxtb16(u);
                wo[i] = gen_nn_sxtb16_ror8(u);
            }
        }
        for (i = 0; i < 4; i++)
        {
            /* the bias plus in_off * (sum of the filter taps), wrapping like the reference */
            uint32_t ws = 0;
            const int8_t *wr = w0 + i;
            for (ky = 0; ky < n_ky; ky++)
            {
                for (kx = 0; kx < k_w; kx++)
                {
                    ws += (uint32_t)(int32_t)wr[kx * c];
                }
                wr += w_row;
            }
            b[i] = (int32_t)((a->bias != NULL ? (uint32_t)a->bias[ch + i] : 0u) + (uint32_t)in_off * ws);
        }

        for (row = 0; row < n_rows; row++)
        {
            const int8_t *ipx = in_t0 + (size_t)row * (size_t)row_step + ch;
            int8_t *o = out + (size_t)row * (size_t)out_row + ch;
            for (p = n_px; p > 0; p--)
            {
                int32_t s0 = b[0], s1 = b[1], s2 = b[2], s3 = b[3];
                if (full3)
                {
                    const int8_t *ir = ipx;
                    GEN_DW_TAPW(ir, 0);
                    GEN_DW_TAPW(ir + c, 1);
                    GEN_DW_TAPW(ir + 2 * c, 2);
                    ir += in_row;
                    GEN_DW_TAPW(ir, 3);
                    GEN_DW_TAPW(ir + c, 4);
                    GEN_DW_TAPW(ir + 2 * c, 5);
                    ir += in_row;
                    GEN_DW_TAPW(ir, 6);
                    GEN_DW_TAPW(ir + c, 7);
                    GEN_DW_TAPW(ir + 2 * c, 8);
                }
                else
                {
                    const int8_t *ir = ipx;
                    const int8_t *wr = w0;
                    for (ky = n_ky; ky > 0; ky--)
                    {
                        const int8_t *ip = ir;
                        const int8_t *wp = wr;
                        for (kx = k_w; kx > 0; kx--)
                        {
                            GEN_DW_TAP1(ip, wp);
                            ip += x_step;
                            wp += c;
                        }
                        ir += in_row;
                        wr += w_row;
                    }
                }
                if (q.fast)
                {
                    o[0] = gen_dw_rq_out(&q, 0, s0, out_off, act_min, act_max);
                    o[1] = gen_dw_rq_out(&q, 1, s1, out_off, act_min, act_max);
                    o[2] = gen_dw_rq_out(&q, 2, s2, out_off, act_min, act_max);
                    o[3] = gen_dw_rq_out(&q, 3, s3, out_off, act_min, act_max);
                }
                else
                {
                    o[0] = gen_nn_requant_out(s0, q.mult[0], q.shift[0], out_off, act_min, act_max);
                    o[1] = gen_nn_requant_out(s1, q.mult[1], q.shift[1], out_off, act_min, act_max);
                    o[2] = gen_nn_requant_out(s2, q.mult[2], q.shift[2], out_off, act_min, act_max);
                    o[3] = gen_nn_requant_out(s3, q.mult[3], q.shift[3], out_off, act_min, act_max);
                }
                ipx += px_step;
                o += c;
            }
        }
    }
    for (; ch < c; ch++)
    {
        int32_t p, row;
        for (row = 0; row < n_rows; row++)
        {
            const int8_t *ipx = in_t0 + (size_t)row * (size_t)row_step + ch;
            for (p = 0; p < n_px; p++)
            {
                int32_t s0 = a->bias != NULL ? a->bias[ch] : 0;
                const int8_t *ir = ipx;
                const int8_t *wr = w_t0 + ch;
                int32_t ky, kx;
                for (ky = 0; ky < n_ky; ky++)
                {
                    for (kx = 0; kx < k_w; kx++)
                    {
                        s0 += ((int32_t)ir[kx * x_step] + in_off) * (int32_t)wr[kx * c];
                    }
                    ir += in_row;
                    wr += w_row;
                }
                out[(size_t)row * (size_t)out_row + (size_t)p * (size_t)c + (size_t)ch] =
                    gen_nn_requant_out(s0, a->mult[ch], a->shift[ch], out_off, act_min, act_max);
                ipx += px_step;
            }
        }
    }
}
#undef GEN_DW_TAP1
#undef GEN_DW_TAPW

static void gen_dw_conv_s8_dsp(const cmsis_nn_dw_conv_params *p,
                               const cmsis_nn_per_channel_quant_params *quant_params,
                               const cmsis_nn_dims *input_dims,
                               const int8_t *input,
                               const cmsis_nn_dims *filter_dims,
                               const int8_t *filter,
                               const int32_t *bias,
                               const cmsis_nn_dims *output_dims,
                               int8_t *output)
{
    const int32_t in_h = input_dims->h;
    const int32_t in_w = input_dims->w;
    const int32_t c = input_dims->c;
    const int32_t k_h = filter_dims->h;
    const int32_t k_w = filter_dims->w;
    const int32_t out_h = output_dims->h;
    const int32_t out_w = output_dims->w;
    const int32_t dil_x = p->dilation.w;
    const int32_t dil_y = p->dilation.h;
    gen_dw_args a;
    int32_t b, oy, ox, x_lo, x_hi, y_lo, y_hi;
    int8_t *out = output;

    a.bias = bias;
    a.mult = quant_params->multiplier;
    a.shift = quant_params->shift;
    a.c = c;
    a.x_step = dil_x * c;
    a.in_row = dil_y * in_w * c;
    a.w_row = k_w * c;
    a.in_off = p->input_offset;
    a.out_off = p->output_offset;
    a.act_min = p->activation.min;
    a.act_max = p->activation.max;

    /* output columns [x_lo, x_hi) have all k_w taps inside the input */
    {
        const int32_t sw = p->stride.w;
        const int32_t last = in_w - 1 - (k_w - 1) * dil_x + p->padding.w; /* x0 + pad of the last one */
        x_lo = (p->padding.w + sw - 1) / sw;
        x_hi = last < 0 ? 0 : last / sw + 1;
        if (x_hi > out_w)
        {
            x_hi = out_w;
        }
        if (x_lo > x_hi)
        {
            x_lo = x_hi;
        }
    }
    {
        const int32_t sh = p->stride.h;
        const int32_t last = in_h - 1 - (k_h - 1) * dil_y + p->padding.h;
        y_lo = (p->padding.h + sh - 1) / sh;
        y_hi = last < 0 ? 0 : last / sh + 1;
        if (y_hi > out_h)
        {
            y_hi = out_h;
        }
        if (y_lo > y_hi)
        {
            y_lo = y_hi;
        }
    }

    for (b = 0; b < input_dims->n; b++)
    {
        const int8_t *in_b = input + (size_t)b * (size_t)(in_h * in_w * c);
        if (x_hi > x_lo && y_hi > y_lo)
        {
            /* the interior block: every tap inside the input */
            gen_dw_block_dsp(&a, k_w,
                             in_b + (size_t)(((y_lo * p->stride.h - p->padding.h) * in_w + x_lo * p->stride.w -
                                              p->padding.w) *
                                             c),
                             filter, k_h, y_hi - y_lo, p->stride.h * in_w * c, out_w * c, x_hi - x_lo,
                             p->stride.w * c, out + (size_t)((y_lo * out_w + x_lo) * c));
        }
        for (oy = 0; oy < out_h; oy++)
        {
            const int32_t y0 = oy * p->stride.h - p->padding.h;
            /* taps ky in [ky0, ky1) fall inside the input */
            int32_t ky0 = 0;
            int32_t ky1 = k_h;
            while (ky0 < k_h && y0 + ky0 * dil_y < 0)
            {
                ky0++;
            }
            while (ky1 > ky0 && y0 + (ky1 - 1) * dil_y >= in_h)
            {
                ky1--;
            }
            for (ox = 0; ox < out_w; ox++)
            {
                const int32_t x0 = ox * p->stride.w - p->padding.w;
                if (ox == x_lo && x_hi > x_lo && oy >= y_lo && oy < y_hi)
                {
                    /* inside the interior block, done above */
                    out += (size_t)(x_hi - x_lo) * (size_t)c;
                    ox = x_hi - 1;
                    continue;
                }
                int32_t kx0 = 0;
                int32_t kx1 = k_w;
                int32_t n_kx, n_ky;
                while (kx0 < k_w && x0 + kx0 * dil_x < 0)
                {
                    kx0++;
                }
                while (kx1 > kx0 && x0 + (kx1 - 1) * dil_x >= in_w)
                {
                    kx1--;
                }
                n_kx = kx1 - kx0;
                n_ky = n_kx > 0 ? ky1 - ky0 : 0;
                if (n_ky > 0)
                {
                    gen_dw_pixel_dsp(&a, in_b + (size_t)(((y0 + ky0 * dil_y) * in_w + x0 + kx0 * dil_x) * c),
                                     filter + (size_t)((ky0 * k_w + kx0) * c), n_ky, n_kx, out);
                }
                else
                {
                    gen_dw_pixel_dsp(&a, in_b, filter, 0, 0, out);
                }
                out += c;
            }
        }
    }
}
#endif /* GEN_NN_DSP */

arm_cmsis_nn_status arm_depthwise_conv_wrapper_s8(const cmsis_nn_context *ctx,
                                                  const cmsis_nn_dw_conv_params *dw_conv_params,
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
    (void)bias_dims;
    if (dw_conv_params->ch_mult == 1 && input_dims->n == 1 && dw_conv_params->dilation.w == 1 &&
        dw_conv_params->dilation.h == 1)
    {
        /* the real library's specialised kernels: both require in_c == out_c; the non-3x3 one needs
         * its scratch buffer on DSP cores */
        if (input_dims->c != output_dims->c)
        {
            return ARM_CMSIS_NN_ARG_ERROR;
        }
        if (!gen_dw_uses_3x3_kernel(dw_conv_params, filter_dims) && ctx->buf == NULL &&
            arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp(dw_conv_params, input_dims, filter_dims, output_dims) > 0)
        {
            return ARM_CMSIS_NN_ARG_ERROR;
        }
    }
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
    if (dw_conv_params->ch_mult == 1 && input_dims->c == output_dims->c && dw_conv_params->dilation.w == 1 &&
        dw_conv_params->dilation.h == 1)
    {
        gen_dw_conv_s8_mve(dw_conv_params, quant_params, input_dims, input_data, filter_dims, filter_data, bias_data,
                           output_dims, output_data);
        return ARM_CMSIS_NN_SUCCESS;
    }
#endif
#if defined(GEN_NN_DSP)
    if (dw_conv_params->ch_mult == 1 && input_dims->c == output_dims->c)
    {
        gen_dw_conv_s8_dsp(dw_conv_params, quant_params, input_dims, input_data, filter_dims, filter_data, bias_data,
                           output_dims, output_data);
        return ARM_CMSIS_NN_SUCCESS;
    }
#endif
    gen_dw_conv_s8_compute(dw_conv_params, quant_params, input_dims, input_data, filter_dims, filter_data, bias_data,
                           output_dims, output_data);
    return ARM_CMSIS_NN_SUCCESS;
}

#else
typedef int gen_unused_tu;
#endif /* GEN_USE_CMSIS_NN */
