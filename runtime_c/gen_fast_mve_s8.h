/* gen_fast_mve_s8.h - the Helium (MVE, Cortex-M55/M85) paths of gen's int8 kernels (written for gen).
 *
 * Included by gen_fast_s8.h when the compiler targets MVE (__ARM_FEATURE_MVE, integer MVE). The
 * kernels read the same weights as the DSP and portable paths (one layout for every core: the
 * generated C does not depend on the target) and give the same bits.
 *
 * Pointwise layout (gen_fast_pw_s8): 16 bytes of a channel pair are four weights of channel 2i,
 * four of 2i+1, the next four of 2i, the next four of 2i+1. A byte gather (VLDRB with an offset
 * vector) reads the matching eight inputs as x0..x3 x0..x3 x4..x7 x4..x7, so one VMLADAVA gives
 * both channels' sum S and a second, on the input with the 2i+1 lanes cleared (VAND), channel
 * 2i's T alone: channel 2i+1 is S - T (modulo 2^32, as the accumulators wrap: exact, the
 * generator bounds every partial sum).
 */
/* only from gen_fast_s8.h (which includes it where its helpers are defined): elsewhere, and on other
 * cores, empty */
#if defined(GEN_FAST_S8_H) && !defined(GEN_FAST_MVE_S8_H) && defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define GEN_FAST_MVE_S8_H

#include <arm_mve.h>

#define GEN_FAST_MVE 1


GEN_FAST_INLINE int32_t gen_fast_mve_sub(int32_t s, int32_t t)
{
    return (int32_t)((uint32_t)s - (uint32_t)t);
}

GEN_FAST_INLINE int32_t gen_fast_mve_add(int32_t s, int32_t t)
{
    return (int32_t)((uint32_t)s + (uint32_t)t);
}

/* gen_fast_out of the four accumulators in r's lanes: the rounding high multiply is VQRDMULH
 * (floor((x * m + 2^30) / 2^31), saturating only for INT32_MIN squared, no valid quantization), then
 * right shifts floor((r - [r < 0] + 2^(e-1)) / 2^e) (gen_nn_requant_rshift's identity: the double
 * rounding of gen_nn_requantize) with VRSHL; with rshift 0 (e1 = shift, either sign per channel) left
 * shifts before the multiply and right shifts after it.
 * The lanes' gen_fast_rq entries are read by two word gathers at byte offsets q_offs from q (multiples
 * of 16: whole entries, any channel per lane). */
GEN_FAST_INLINE int32x4_t gen_fast_mve_requant4(int32x4_t r, const gen_fast_rq *q, uint32x4_t q_offs, int32_t rshift,
                                                int32_t out_off, int32_t act_min, int32_t act_max)
{
    const int32x4_t mult = vldrwq_gather_offset_s32(&q->mult, q_offs);
    const int32x4_t e1 = vldrwq_gather_offset_s32(&q->e1, q_offs);
    if (rshift)
    {
        r = vqrdmulhq_s32(r, mult);
        r = vaddq_s32(r, vshrq_n_s32(r, 31));
        r = vrshlq_s32(r, vmvnq_s32(e1)); /* ~e1 = -(e1 + 1) = -e: a rounding right shift by e */
    }
    else
    {   /* a layer whose channels shift both ways: e1 is each lane's shift, a left shift before the
         * multiply, a rounding right shift after it (the sign fix-up only in those lanes) */
        const int32x4_t right = vminq_s32(e1, vdupq_n_s32(0));
        r = vqrdmulhq_s32(vshlq_s32(r, vmaxq_s32(e1, vdupq_n_s32(0))), mult);
        r = vaddq_m_s32(r, r, vshrq_n_s32(r, 31), vcmpltq_n_s32(right, 0));
        r = vrshlq_s32(r, right);
    }
    r = vaddq_n_s32(r, out_off);
    r = vmaxq_s32(r, vdupq_n_s32(act_min));
    return vminq_s32(r, vdupq_n_s32(act_max));
}

/* the four accumulators a0..a3 as one vector's lanes (GCC 12: one VDUP, three lane moves; the two-lane VMOV
 * of an inline asm gave other lanes under QEMU than the Arm ARM's operand order, so it is left to the compiler) */
GEN_FAST_INLINE int32x4_t gen_fast_mve_lanes4(int32_t a0, int32_t a1, int32_t a2, int32_t a3)
{
    int32x4_t r = vdupq_n_s32(a0);
    r = vsetq_lane_s32(a1, r, 1);
    r = vsetq_lane_s32(a2, r, 2);
    return vsetq_lane_s32(a3, r, 3);
}

/* gen_fast_out for four channels at once (q: their gen_fast_rq, rq_offs 0, 16, 32, 48), stored to y[0..3] */
GEN_FAST_INLINE void gen_fast_mve_out4(int8_t *y, int32_t a0, int32_t a1, int32_t a2, int32_t a3, const gen_fast_rq *q,
                                       uint32x4_t rq_offs, int32_t rshift, int32_t out_off, int32_t act_min,
                                       int32_t act_max)
{
    vstrbq_s32(y, gen_fast_mve_requant4(gen_fast_mve_lanes4(a0, a1, a2, a3), q, rq_offs, rshift, out_off, act_min,
                                        act_max));
}

/* gen_fast_pw_s8 on MVE for k a multiple of 4 (rows read as they are: no tail bytes): one row at a
 * time, four channels a step of eight inputs (two gathers' worth of work: 32 multiply-accumulates
 * in 8 instructions), then a last pair and the odd last channel (contiguous, tail-predicated). */
GEN_FAST_INLINE void gen_fast_pw_mve(const int8_t *in, int8_t *out, const int32_t *w, const gen_fast_rq *rq,
                                     int32_t n_pix, int32_t k, int32_t out_c, int32_t rshift, int32_t out_off,
                                     int32_t act_min, int32_t act_max)
{
    /* the gather offsets of a channel pair's 16 weight bytes, the lanes of its first channel, the
     * offsets of four channels' gen_fast_rq (in function scope: no unused table elsewhere) */
    static const uint8_t pair_offs[16] = {0, 1, 2, 3, 0, 1, 2, 3, 4, 5, 6, 7, 4, 5, 6, 7};
    static const int8_t pair_even[16] = {-1, -1, -1, -1, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0, 0, 0};
    static const uint32_t rq_words[4] = {0, 16, 32, 48};
    const uint8x16_t offs = vldrbq_u8(pair_offs);
    const int8x16_t even = vldrbq_s8(pair_even);
    const uint32x4_t rq_offs = vldrwq_u32(rq_words);
    const int8_t *wb = (const int8_t *)(const void *)w;
    int32_t p;
    for (p = 0; p < n_pix; p++)
    {
        const int8_t *x = in + (size_t)p * (size_t)k;
        int8_t *y = out + (size_t)p * (size_t)out_c;
        int32_t oc = 0;
        for (; oc + 4 <= out_c; oc += 4)
        {
            const int8_t *w0 = wb + (size_t)oc * (size_t)k;
            const int8_t *w1 = w0 + 2 * (size_t)k;
            int32_t t0 = rq[oc].bias, s0 = gen_fast_mve_add(t0, rq[oc + 1].bias);
            int32_t t1 = rq[oc + 2].bias, s1 = gen_fast_mve_add(t1, rq[oc + 3].bias);
            int32_t j;
            GEN_FAST_UNROLL
            for (j = 0; j + 8 <= k; j += 8)
            {
                const int8x16_t xv = vldrbq_gather_offset_s8(x + j, offs);
                const int8x16_t xe = vandq_s8(xv, even);
                const int8x16_t u = vldrbq_s8(w0 + 2 * j);
                const int8x16_t v = vldrbq_s8(w1 + 2 * j);
                s0 = vmladavaq_s8(s0, xv, u);
                t0 = vmladavaq_s8(t0, xe, u);
                s1 = vmladavaq_s8(s1, xv, v);
                t1 = vmladavaq_s8(t1, xe, v);
            }
            if (j < k) /* four inputs left: half the lanes */
            {
                const mve_pred16_t pr = vctp8q(8);
                const int8x16_t xv = vldrbq_gather_offset_z_s8(x + j, offs, pr);
                const int8x16_t xe = vandq_s8(xv, even);
                const int8x16_t u = vldrbq_z_s8(w0 + 2 * j, pr);
                const int8x16_t v = vldrbq_z_s8(w1 + 2 * j, pr);
                s0 = vmladavaq_s8(s0, xv, u);
                t0 = vmladavaq_s8(t0, xe, u);
                s1 = vmladavaq_s8(s1, xv, v);
                t1 = vmladavaq_s8(t1, xe, v);
            }
            gen_fast_mve_out4(y + oc, t0, gen_fast_mve_sub(s0, t0), t1, gen_fast_mve_sub(s1, t1), rq + oc, rq_offs,
                              rshift, out_off, act_min, act_max);
        }
        if (oc + 2 <= out_c)
        {
            const int8_t *w0 = wb + (size_t)oc * (size_t)k;
            int32_t t0 = rq[oc].bias, s0 = gen_fast_mve_add(t0, rq[oc + 1].bias);
            gen_fast_rq q0, q1;
            int32_t j;
            GEN_FAST_UNROLL
            for (j = 0; j < k; j += 8)
            {
                const mve_pred16_t pr = vctp8q((uint32_t)(2 * (k - j)));
                const int8x16_t xv = vldrbq_gather_offset_z_s8(x + j, offs, pr);
                const int8x16_t xe = vandq_s8(xv, even);
                const int8x16_t u = vldrbq_z_s8(w0 + 2 * j, pr);
                s0 = vmladavaq_s8(s0, xv, u);
                t0 = vmladavaq_s8(t0, xe, u);
            }
            q0 = rq[oc];
            q1 = rq[oc + 1];
            {
                const int8_t r0 = gen_fast_out(t0, q0, rshift, out_off, act_min, act_max);
                const int8_t r1 = gen_fast_out(gen_fast_mve_sub(s0, t0), q1, rshift, out_off, act_min, act_max);
                y[oc] = r0;
                y[oc + 1] = r1;
            }
            oc += 2;
        }
        if (oc < out_c) /* the odd last channel: its k weights in a row */
        {
            const int8_t *w0 = wb + (size_t)oc * (size_t)k;
            int32_t s0 = rq[oc].bias;
            gen_fast_rq q0;
            int32_t j;
            GEN_FAST_UNROLL
            for (j = 0; j < k; j += 16)
            {
                const mve_pred16_t pr = vctp8q((uint32_t)(k - j));
                s0 = vmladavaq_s8(s0, vldrbq_z_s8(x + j, pr), vldrbq_z_s8(w0 + j, pr));
            }
            q0 = rq[oc];
            y[oc] = gen_fast_out(s0, q0, rshift, out_off, act_min, act_max);
        }
    }
}

/* ---- gen_fast_mve_dw_*: the depthwise kernel's helpers (gen_fast_dw_s8.h) ---------------------- */

/* gen_fast_out for four accumulators of one channel (its multiplier and e1 as scalars: VQRDMULH and
 * VRSHL by a register), before the clamp. rshift: every shift a right shift by e = e1 + 1 (the rounding
 * high multiply, then floor((r - [r < 0] + 2^(e-1)) / 2^e), gen_nn_requantize's double rounding); else
 * e1 is the shift: a left shift before the multiply, or that right shift after it. */
GEN_FAST_INLINE int32x4_t gen_fast_mve_dw_requant(int32x4_t r, int32_t mult, int32_t e1, int32_t rshift,
                                                  int32_t out_off)
{
    if (rshift)
    {
        r = vqrdmulhq_n_s32(r, mult);
        r = vaddq_s32(r, vshrq_n_s32(r, 31));
        r = vrshlq_n_s32(r, ~e1); /* ~e1 = -(e1 + 1) = -e: a rounding right shift by e */
    }
    else
    {
        r = vqrdmulhq_n_s32(vshlq_r_s32(r, e1 > 0 ? e1 : 0), mult);
        if (e1 < 0)
        {
            r = vaddq_s32(r, vshrq_n_s32(r, 31));
            r = vrshlq_n_s32(r, e1);
        }
    }
    return vaddq_n_s32(r, out_off);
}

/* four int32 lanes clamped to [-128, 127]: a saturating left shift by 24, then back (no constant vectors) */
GEN_FAST_INLINE int32x4_t gen_fast_mve_dw_sat8(int32x4_t r)
{
    return vshrq_n_s32(vqshlq_n_s32(r, 24), 24);
}

#endif /* GEN_FAST_MVE_S8_H */
