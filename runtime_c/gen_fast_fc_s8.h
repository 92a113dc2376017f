/* gen_fast_fc_s8.h - gen's fully connected kernel for a batch of one row with int16 weights (written
 * for gen).
 *
 * A batch of one reads every weight once: the kernel is bound by the weight loads and their
 * widening, not by the multiplies. So the weights are widened to int16 at generation time
 * (gen/ops/fast_fc.py, `--fc-weights int16`, the default: twice the int8 weights' flash), and the
 * input row is widened once per layer into the layer's scratch, or, where k is a multiple of 8, in
 * registers as it is read (no scratch: 2 LDR + 4 SXTB16 per eight inputs of four channels, a byte gather
 * on Helium). The multiply-accumulates: one SMLAD (Cortex-M DSP) per two, one VMLADAVA (Helium) per eight.
 *
 * Layout (int32 words of two int16, the low half first; k padded with zeros to k8, a multiple of 8):
 * each group of eight inputs is in the order SXTB16 widens them, x0 x2 x1 x3 x4 x6 x5 x7, in the
 * widened row and in the weights. The weights of four output channels at a time: per group of
 * eight inputs, channel 4i's eight int16, then 4i+1's, 4i+2's, 4i+3's (16 words, [out_c / 4][k8 / 8]
 * [4][4]); then each of the last out_c % 4 channels alone, its k8 / 2 words in a row.
 * Bit-exact with gen_fast_pw_s8 and CMSIS-NN (the same sums, requantized by gen_fast_out).
 */
#ifndef GEN_FAST_FC_S8_H
#define GEN_FAST_FC_S8_H

#include "gen_fast_s8.h"

/* the low and high int16 of a word of two */
GEN_FAST_INLINE int32_t gen_fast_lo16(int32_t v)
{
    return (int32_t)((uint32_t)v << 16) >> 16;
}

GEN_FAST_INLINE int32_t gen_fast_hi16(int32_t v)
{
    return v >> 16;
}

/* lo * lo + hi * hi + s for two words of two int16: SMLAD, or its portable form */
GEN_FAST_INLINE int32_t gen_fast_dot16x2(int32_t x, int32_t w, int32_t s)
{
#ifdef GEN_NN_DSP
    return __smlad(x, w, s);
#else
    return s + gen_fast_lo16(x) * gen_fast_lo16(w) + gen_fast_hi16(x) * gen_fast_hi16(w);
#endif
}

/* four int8 (a word) as SXTB16 widens them: the pairs (x0, x2) and (x1, x3) into p[0], p[1] */
GEN_FAST_INLINE void gen_fast_fc_pairs(int32_t v, int32_t *p)
{
#ifdef GEN_NN_DSP
    p[0] = __sxtb16(v);
    p[1] = gen_nn_sxtb16_ror8(v);
#else
    p[0] = (int32_t)(((uint32_t)gen_fast_byte(v, 0) & 0xFFFFu) | ((uint32_t)gen_fast_byte(v, 2) << 16));
    p[1] = (int32_t)(((uint32_t)gen_fast_byte(v, 1) & 0xFFFFu) | ((uint32_t)gen_fast_byte(v, 3) << 16));
#endif
}

/* the k int8 of x widened into buf (k8 / 2 words): per four inputs the pairs (x0, x2), (x1, x3),
 * zeros past k */
GEN_FAST_INLINE void gen_fast_fc_widen(const int8_t *x, int32_t k, int32_t *buf)
{
    const int32_t k8 = (k + 7) & ~7;
    int32_t j;
    for (j = 0; j < k8; j += 4)
    {
        gen_fast_fc_pairs(j < k ? gen_fast_read4(x, j, k) : 0, buf);
        buf += 2;
    }
}

#if defined(GEN_NN_DSP) && defined(__GNUC__) && !defined(GEN_FAST_MVE)
/* the 16 SMLAD and 8 LDRD of four channels' eight int16 weights (W) against eight widened inputs in a0 a1
 * (x0..x3) and b0 b1 (x4..x7); the load at W's own address comes last, post-indexed */
#define GEN_FAST_FC_MACS_ASM                                                                                \
    "ldrd %[u0], %[u1], [%[wq], #16]\n\t"                                                       \
    "smlad %[s1], %[a0], %[u0], %[s1]\n\t"                                                      \
    "smlad %[s1], %[a1], %[u1], %[s1]\n\t"                                                      \
    "ldrd %[u0], %[u1], [%[wq], #32]\n\t"                                                       \
    "smlad %[s2], %[a0], %[u0], %[s2]\n\t"                                                      \
    "smlad %[s2], %[a1], %[u1], %[s2]\n\t"                                                      \
    "ldrd %[u0], %[u1], [%[wq], #48]\n\t"                                                       \
    "smlad %[s3], %[a0], %[u0], %[s3]\n\t"                                                      \
    "smlad %[s3], %[a1], %[u1], %[s3]\n\t"                                                      \
    "ldrd %[u0], %[u1], [%[wq], #8]\n\t"                                                        \
    "smlad %[s0], %[b0], %[u0], %[s0]\n\t"                                                      \
    "smlad %[s0], %[b1], %[u1], %[s0]\n\t"                                                      \
    "ldrd %[u0], %[u1], [%[wq], #24]\n\t"                                                       \
    "smlad %[s1], %[b0], %[u0], %[s1]\n\t"                                                      \
    "smlad %[s1], %[b1], %[u1], %[s1]\n\t"                                                      \
    "ldrd %[u0], %[u1], [%[wq], #40]\n\t"                                                       \
    "smlad %[s2], %[b0], %[u0], %[s2]\n\t"                                                      \
    "smlad %[s2], %[b1], %[u1], %[s2]\n\t"                                                      \
    "ldrd %[u0], %[u1], [%[wq], #56]\n\t"                                                       \
    "smlad %[s3], %[b0], %[u0], %[s3]\n\t"                                                      \
    "smlad %[s3], %[b1], %[u1], %[s3]\n\t"                                                      \
    "ldrd %[u0], %[u1], [%[wq]], #64\n\t"                                                       \
    "smlad %[s0], %[a0], %[u0], %[s0]\n\t"                                                      \
    "smlad %[s0], %[a1], %[u1], %[s0]"

/* eight widened inputs (B, advanced by 16 bytes) times four channels' eight int16 weights (W, advanced
 * by 64): 32 multiply-accumulates in 26 instructions (2 + 8 LDRD, 16 SMLAD). The load at W's own
 * address comes last, post-indexed, so no instruction advances W. */
#define GEN_FAST_FC_STEP_4(B, W, S0, S1, S2, S3)                                                            \
    do                                                                                                      \
    {                                                                                                       \
        int32_t a0_, a1_, b0_, b1_, u0_, u1_;                                                               \
        __asm__("ldrd %[a0], %[a1], [%[bq]], #8\n\t"                                                        \
                "ldrd %[b0], %[b1], [%[bq]], #8\n\t"                                                        \
                GEN_FAST_FC_MACS_ASM                                                                        \
                : [a0] "=&r"(a0_), [a1] "=&r"(a1_), [b0] "=&r"(b0_), [b1] "=&r"(b1_), [u0] "=&r"(u0_),          \
                  [u1] "=&r"(u1_), [s0] "+r"(S0), [s1] "+r"(S1), [s2] "+r"(S2), [s3] "+r"(S3), [wq] "+r"(W),   \
                  [bq] "+r"(B)                                                                              \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
/* GEN_FAST_FC_STEP_4 reading eight int8 inputs (X, advanced by 8 bytes) and widening them in registers
 * (2 LDR + 4 SXTB16 for 2 LDRD: 30 instructions per 32 MACs): a layer with k a multiple of 8 needs no
 * widened row, so no scratch */
#define GEN_FAST_FC_STEP_4X(X, W, S0, S1, S2, S3)                                                           \
    do                                                                                                      \
    {                                                                                                       \
        int32_t a0_, a1_, b0_, b1_, u0_, u1_;                                                               \
        __asm__("ldr %[a1], [%[xq]], #4\n\t"                                                                \
                "ldr %[b1], [%[xq]], #4\n\t"                                                                \
                "sxtb16 %[a0], %[a1]\n\t"                                                                   \
                "sxtb16 %[a1], %[a1], ror #8\n\t"                                                           \
                "sxtb16 %[b0], %[b1]\n\t"                                                                   \
                "sxtb16 %[b1], %[b1], ror #8\n\t"                                                           \
                GEN_FAST_FC_MACS_ASM                                                                        \
                : [a0] "=&r"(a0_), [a1] "=&r"(a1_), [b0] "=&r"(b0_), [b1] "=&r"(b1_), [u0] "=&r"(u0_),          \
                  [u1] "=&r"(u1_), [s0] "+r"(S0), [s1] "+r"(S1), [s2] "+r"(S2), [s3] "+r"(S3), [wq] "+r"(W),   \
                  [xq] "+r"(X)                                                                              \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
/* four widened inputs times one channel's four int16 weights (the channels after the blocks of four) */
#define GEN_FAST_FC_STEP_1(B, W, S0)                                                                        \
    do                                                                                                      \
    {                                                                                                       \
        int32_t a0_, a1_, u0_, u1_;                                                                         \
        __asm__("ldrd %[a0], %[a1], [%[bq]], #8\n\t"                                                        \
                "ldrd %[u0], %[u1], [%[wq]], #8\n\t"                                                        \
                "smlad %[s0], %[a0], %[u0], %[s0]\n\t"                                                      \
                "smlad %[s0], %[a1], %[u1], %[s0]"                                                          \
                : [a0] "=&r"(a0_), [a1] "=&r"(a1_), [u0] "=&r"(u0_), [u1] "=&r"(u1_), [s0] "+r"(S0),          \
                  [wq] "+r"(W), [bq] "+r"(B)                                                                \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
#else
#define GEN_FAST_FC_STEP_1(B, W, S0)                                                                        \
    do                                                                                                      \
    {                                                                                                       \
        S0 = gen_fast_dot16x2((B)[1], (W)[1], gen_fast_dot16x2((B)[0], (W)[0], S0));                        \
        (B) += 2;                                                                                           \
        (W) += 2;                                                                                           \
    } while (0)
#define GEN_FAST_FC_STEP_4X(X, W, S0, S1, S2, S3)                                                           \
    do                                                                                                      \
    {                                                                                                       \
        int32_t xw_[4];                                                                                     \
        const int32_t *xb_ = xw_;                                                                           \
        gen_fast_fc_pairs(gen_fast_read4((X), 0, 8), xw_);                                                  \
        gen_fast_fc_pairs(gen_fast_read4((X), 4, 8), xw_ + 2);                                              \
        GEN_FAST_FC_STEP_4(xb_, W, S0, S1, S2, S3);                                                         \
        (X) += 8;                                                                                           \
    } while (0)
#define GEN_FAST_FC_STEP_4(B, W, S0, S1, S2, S3)                                                            \
    do                                                                                                      \
    {                                                                                                       \
        int32_t t_;                                                                                         \
        for (t_ = 0; t_ < 4; t_++)                                                                          \
        {                                                                                                   \
            S0 = gen_fast_dot16x2((B)[t_], (W)[t_], S0);                                                    \
            S1 = gen_fast_dot16x2((B)[t_], (W)[4 + t_], S1);                                                \
            S2 = gen_fast_dot16x2((B)[t_], (W)[8 + t_], S2);                                                \
            S3 = gen_fast_dot16x2((B)[t_], (W)[12 + t_], S3);                                               \
        }                                                                                                   \
        (B) += 4;                                                                                           \
        (W) += 16;                                                                                          \
    } while (0)
#endif

/* Fully connected, one row: out[m] = requant(rq[m].bias + sum_j x[j] w[m][j]) for k int8 inputs and
 * out_c channels; w in the layout above, rq: out_c entries (the input offset folded into the bias),
 * buf: the layer's scratch, k8 / 2 words (the widened row). */
GEN_FAST_INLINE void gen_fast_fc_s8(const int8_t *in, int8_t *out, const int32_t *w, const gen_fast_rq *rq,
                                    int32_t *buf, int32_t k, int32_t out_c, int32_t rshift, int32_t out_off,
                                    int32_t act_min, int32_t act_max)
{
    const int32_t k8 = (k + 7) & ~7;
    const int32_t m4 = out_c & ~3; /* the channels in blocks of four */
    const int32_t *wp = w;
    const int32_t direct = (k & 7) == 0; /* the inputs widened as they are read: buf unused (no scratch) */
    int32_t oc;
    if (!direct)
    {
        gen_fast_fc_widen(in, k, buf);
    }
#ifdef GEN_FAST_MVE
    {
        /* Helium: four channels a step of eight inputs, one VMLADAVA each; gen_fast_mve_out4 requantizes */
        static const uint32_t rq_words[4] = {0, 16, 32, 48};
        static const uint16_t sxtb16_order[8] = {0, 2, 1, 3, 4, 6, 5, 7}; /* x0 x2 x1 x3 x4 x6 x5 x7 */
        const uint32x4_t rq_offs = vldrwq_u32(rq_words);
        const uint16x8_t group = vldrhq_u16(sxtb16_order);
        const int16_t *xh = (const int16_t *)(const void *)buf;
        for (oc = 0; oc < m4; oc += 4)
        {
            const int16_t *wh = (const int16_t *)(const void *)wp;
            int32_t s0 = rq[oc].bias, s1 = rq[oc + 1].bias, s2 = rq[oc + 2].bias, s3 = rq[oc + 3].bias;
            const int16_t *xp = xh;
            int32_t j;
            /* not unrolled: GCC would keep every input vector of the row live across the blocks, spilled */
            for (j = 0; j < k8; j += 8)
            {
                const int16x8_t xv = direct ? vldrbq_gather_offset_s16(in + j, group) : vldrhq_s16(xp);
                s0 = vmladavaq_s16(s0, xv, vldrhq_s16(wh));
                s1 = vmladavaq_s16(s1, xv, vldrhq_s16(wh + 8));
                s2 = vmladavaq_s16(s2, xv, vldrhq_s16(wh + 16));
                s3 = vmladavaq_s16(s3, xv, vldrhq_s16(wh + 24));
                wh += 32;
                xp += 8;
            }
            gen_fast_mve_out4(out + oc, s0, s1, s2, s3, rq + oc, rq_offs, rshift, out_off, act_min, act_max);
            wp += (size_t)(k8 << 1);
        }
    }
#else
    for (oc = 0; oc < m4; oc += 4)
    {
        int32_t s0 = rq[oc].bias, s1 = rq[oc + 1].bias, s2 = rq[oc + 2].bias, s3 = rq[oc + 3].bias;
        const int32_t *b = buf;
        const int8_t *x = in;
        gen_fast_rq q0, q1;
        int32_t j;
        if (direct)
        {
            GEN_FAST_UNROLL
            for (j = 0; j < k8; j += 8)
            {
                GEN_FAST_FC_STEP_4X(x, wp, s0, s1, s2, s3);
            }
        }
        else
        {
            GEN_FAST_UNROLL
            for (j = 0; j < k8; j += 8)
            {
                GEN_FAST_FC_STEP_4(b, wp, s0, s1, s2, s3);
            }
        }
        q0 = rq[oc]; /* after the products: their registers are free again */
        q1 = rq[oc + 1];
        GEN_FAST_STORE_PAIR(out, 0, out_c, oc, q0, q1, s0, s1);
        q0 = rq[oc + 2];
        q1 = rq[oc + 3];
        GEN_FAST_STORE_PAIR(out, 0, out_c, oc + 2, q0, q1, s2, s3);
    }
#endif
    for (oc = m4; oc < out_c; oc++) /* the last out_c % 4 channels, each alone */
    {
        int32_t s0 = rq[oc].bias;
        const int32_t *b = buf;
        gen_fast_rq q0;
        int32_t j;
        GEN_FAST_UNROLL
        for (j = 0; j < k8; j += 4)
        {
            int32_t xw[2];
            if (direct)
            {
                gen_fast_fc_pairs(gen_fast_read4(in, j, k), xw);
                b = xw;
            }
            GEN_FAST_FC_STEP_1(b, wp, s0);
        }
        q0 = rq[oc];
        out[oc] = gen_fast_out(s0, q0, rshift, out_off, act_min, act_max);
    }
}

#endif /* GEN_FAST_FC_S8_H */
