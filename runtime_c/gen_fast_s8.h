/* gen_fast_s8.h - gen's layer-specialized int8 kernels (written for gen).
 *
 * gen knows every shape, offset and multiplier of a layer when it writes the C. The kernels here
 * are static inline functions that the generated code calls from one small wrapper per distinct
 * layer shape, with the shape as literal arguments: the compiler then folds the loop bounds,
 * unrolls the inner loops and drops the branches that the layer does not take. What the layer's
 * data allow is done at generation time (gen/ops/fast_s8.py):
 *   - the input offset term off * sum(w) joins the bias (one int32 per output channel);
 *   - the requantization constants of gen_nn_requant_rshift (multiplier, e - 1, 2^(e - 1)) are
 *     stored beside that bias, four words per output channel (gen_fast_rq);
 *   - the weights of two output channels are interleaved four bytes at a time, so that one
 *     doubleword load brings both channels' next four weights.
 * The results are bit-exact with the CMSIS-NN kernels they replace (gen_nn_math.h's double rounding).
 */
#ifndef GEN_FAST_S8_H
#define GEN_FAST_S8_H

#include <stdint.h>
#include <string.h>

#include "gen_nn_math.h"

#if defined(__GNUC__)
#define GEN_FAST_INLINE static inline __attribute__((always_inline))
#else
#define GEN_FAST_INLINE static inline
#endif

/* unroll the next loop (its trip count is a literal after inlining): no counter, no branch */
#if defined(__clang__)
#define GEN_FAST_UNROLL _Pragma("unroll")
#elif defined(__GNUC__) && __GNUC__ >= 8
#define GEN_FAST_UNROLL _Pragma("GCC unroll 64")
#else
#define GEN_FAST_UNROLL
#endif

/* one output channel: the accumulator's start and its requantization (shift < 0: right shift by
 * e = e1 + 1 through gen_nn_requant_rshift; a layer with a shift >= 0 keeps the shift in e1 and c0 = 0) */
typedef struct
{
    int32_t bias;
    int32_t mult;
    int32_t e1;
    int32_t c0;
} gen_fast_rq;

/* requantize one accumulator, add the output offset, clamp; `rshift` and the range are literals.
 * The constants are passed by value: the kernels load them before storing any output (an int8
 * store may alias anything, so a load after it would be repeated). */
GEN_FAST_INLINE int8_t gen_fast_out(int32_t acc, gen_fast_rq q, int32_t rshift, int32_t out_off,
                                    int32_t act_min, int32_t act_max)
{
    int32_t r;
#ifdef GEN_NN_DSP
    r = rshift ? gen_nn_requant_rshift(acc, q.mult, q.e1, q.c0) : gen_nn_requantize_dsp(acc, q.mult, q.e1);
#else
    r = gen_nn_requantize(acc, q.mult, rshift ? -(q.e1 + 1) : q.e1);
#endif
    r += out_off;
#ifdef GEN_NN_DSP
    if (act_min == -128 && act_max == 127)
    {
        return (int8_t)__ssat(r, 8);
    }
    if (act_max == 127)
    {
        return (int8_t)gen_nn_max(__ssat(r, 8), act_min);
    }
#endif
    return (int8_t)gen_nn_clamp(r, act_min, act_max);
}

/* four int8 of row x from k4-padded position j: a whole word where the row has it, else the tail
 * bytes and zeros (never a read past the row) */
GEN_FAST_INLINE int32_t gen_fast_read4(const int8_t *x, int32_t j, int32_t k)
{
    int32_t v = 0;
    if (j + 4 <= k)
    {
        memcpy(&v, x + j, sizeof v);
    }
    else
    {
        int8_t b[4] = {0, 0, 0, 0};
        int32_t t;
        for (t = 0; j + t < k; t++)
        {
            b[t] = x[j + t];
        }
        memcpy(&v, b, sizeof v);
    }
    return v;
}

#ifdef GEN_NN_DSP
/* rows x0 and x1 (k int8 each) widened into buf for gen_fast_dot_2x2: per four inputs j..j+3 the words
 * (x0 lanes 0/2, x0 lanes 1/3, x1 lanes 0/2, x1 lanes 1/3) */
GEN_FAST_INLINE void gen_fast_widen_2(const int8_t *x0, const int8_t *x1, int32_t k, int32_t *buf)
{
    int32_t j;
    for (j = 0; j < k; j += 4)
    {
        const int32_t va = gen_fast_read4(x0, j, k);
        const int32_t vb = gen_fast_read4(x1, j, k);
        buf[0] = __sxtb16(va);
        buf[1] = gen_nn_sxtb16_ror8(va);
        buf[2] = __sxtb16(vb);
        buf[3] = gen_nn_sxtb16_ror8(vb);
        buf += 4;
    }
}
#endif

/* byte t (0..3) of a word of packed int8 weights (value = b0 | b1 << 8 | ...: no byte order) */
GEN_FAST_INLINE int32_t gen_fast_byte(int32_t word, int32_t t)
{
    return (int32_t)((uint32_t)word << (24 - 8 * t)) >> 24;
}

/* weight j of output channel oc in gen_fast_pw_s8's layout */
GEN_FAST_INLINE int32_t gen_fast_pw_weight(const int32_t *w, int32_t k4, int32_t out_c, int32_t oc, int32_t j)
{
    if ((oc & ~1) + 2 <= out_c)
    {
        return gen_fast_byte(w[(size_t)(oc & ~1) * (size_t)(k4 >> 2) + (size_t)((j >> 2) * 2 + (oc & 1))], j & 3);
    }
    return gen_fast_byte(w[(size_t)oc * (size_t)(k4 >> 2) + (size_t)(j >> 2)], j & 3);
}

#if defined(GEN_NN_DSP) && defined(__GNUC__)
/* four inputs of two rows (b: the widened words, see gen_fast_widen_2) times four weights of two
 * channels (w: their two packed words): 16 multiply-accumulates in 15 instructions */
#define GEN_FAST_DOT_2X2_STEP(B, W, S00, S01, S10, S11)                                                     \
    do                                                                                                      \
    {                                                                                                       \
        int32_t u0_, u1_, ue_, uo_, b0_, b1_;                                                               \
        __asm__("ldrd %[u0], %[u1], [%[wq]], #8\n\t"                                                         \
                "ldrd %[b0], %[b1], [%[bq]], #8\n\t"                                                         \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "smlad %[a00], %[b0], %[ue], %[a00]\n\t"                                                    \
                "smlad %[a00], %[b1], %[uo], %[a00]\n\t"                                                    \
                "smlad %[a01], %[b0], %[u0], %[a01]\n\t"                                                    \
                "smlad %[a01], %[b1], %[u1], %[a01]\n\t"                                                    \
                "ldrd %[b0], %[b1], [%[bq]], #8\n\t"                                                         \
                "smlad %[a10], %[b0], %[ue], %[a10]\n\t"                                                    \
                "smlad %[a10], %[b1], %[uo], %[a10]\n\t"                                                    \
                "smlad %[a11], %[b0], %[u0], %[a11]\n\t"                                                    \
                "smlad %[a11], %[b1], %[u1], %[a11]"                                                        \
                : [u0] "=&r"(u0_), [u1] "=&r"(u1_), [ue] "=&r"(ue_), [uo] "=&r"(uo_), [b0] "=&r"(b0_),          \
                  [b1] "=&r"(b1_), [a00] "+r"(S00), [a01] "+r"(S01), [a10] "+r"(S10), [a11] "+r"(S11),         \
                  [wq] "+r"(W), [bq] "+r"(B)                                                                   \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
#elif defined(GEN_NN_DSP)
#define GEN_FAST_DOT_2X2_STEP(b, w, s00, s01, s10, s11)                                                     \
    do                                                                                                      \
    {                                                                                                       \
        const int32_t ue_ = __sxtb16(w[0]), uo_ = gen_nn_sxtb16_ror8(w[0]);                                 \
        const int32_t ve_ = __sxtb16(w[1]), vo_ = gen_nn_sxtb16_ror8(w[1]);                                 \
        s00 = __smlad(b[1], uo_, __smlad(b[0], ue_, s00));                                                  \
        s01 = __smlad(b[1], vo_, __smlad(b[0], ve_, s01));                                                  \
        s10 = __smlad(b[3], uo_, __smlad(b[2], ue_, s10));                                                  \
        s11 = __smlad(b[3], vo_, __smlad(b[2], ve_, s11));                                                  \
        w += 2;                                                                                             \
        b += 4;                                                                                             \
    } while (0)
#endif

#ifdef GEN_NN_DSP
/* one row widened into buf: per four inputs the words (lanes 0/2, lanes 1/3) */
GEN_FAST_INLINE void gen_fast_widen_1(const int8_t *x0, int32_t k, int32_t *buf)
{
    int32_t j;
    for (j = 0; j < k; j += 4)
    {
        const int32_t va = gen_fast_read4(x0, j, k);
        buf[0] = __sxtb16(va);
        buf[1] = gen_nn_sxtb16_ror8(va);
        buf += 2;
    }
}
#endif

#if defined(GEN_NN_DSP) && defined(__GNUC__)
/* four inputs of one row (b: its two widened words) times four weights of two channels: 8
 * multiply-accumulates in 10 instructions */
#define GEN_FAST_DOT_1X2_STEP(B, W, S0, S1)                                                                 \
    do                                                                                                      \
    {                                                                                                       \
        int32_t u0_, u1_, ue_, uo_, b0_, b1_;                                                               \
        __asm__("ldrd %[u0], %[u1], [%[wq]], #8\n\t"                                                        \
                "ldrd %[b0], %[b1], [%[bq]], #8\n\t"                                                        \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "smlad %[a0], %[b0], %[ue], %[a0]\n\t"                                                      \
                "smlad %[a0], %[b1], %[uo], %[a0]\n\t"                                                      \
                "smlad %[a1], %[b0], %[u0], %[a1]\n\t"                                                      \
                "smlad %[a1], %[b1], %[u1], %[a1]"                                                          \
                : [u0] "=&r"(u0_), [u1] "=&r"(u1_), [ue] "=&r"(ue_), [uo] "=&r"(uo_), [b0] "=&r"(b0_),          \
                  [b1] "=&r"(b1_), [a0] "+r"(S0), [a1] "+r"(S1), [wq] "+r"(W), [bq] "+r"(B)                   \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
#elif defined(GEN_NN_DSP)
#define GEN_FAST_DOT_1X2_STEP(B, W, S0, S1)                                                                 \
    do                                                                                                      \
    {                                                                                                       \
        S0 = __smlad(B[1], gen_nn_sxtb16_ror8(W[0]), __smlad(B[0], __sxtb16(W[0]), S0));                   \
        S1 = __smlad(B[1], gen_nn_sxtb16_ror8(W[1]), __smlad(B[0], __sxtb16(W[1]), S1));                   \
        W += 2;                                                                                             \
        B += 2;                                                                                             \
    } while (0)
#endif

/* Pointwise (1x1, stride 1) convolution and fully connected layers: out[p][m] for n_pix rows of
 * k int8 (NHWC: row p at in + p * k) and out_c output channels.
 * w: int8 weights packed four to a word, k padded with zeros to k4 (a multiple of 4): for each
 * channel pair the words alternate (channel 2i's four weights, then 2i+1's: [out_c / 2][k4 / 4][2]),
 * then the odd last channel's k4 / 4 words. rq: out_c entries. buf: scratch of 4 * k4 bytes,
 * word-aligned (DSP cores: two input rows widened to int16 once, then read by every channel pair). */
GEN_FAST_INLINE void gen_fast_pw_s8(const int8_t *in,
                                    int8_t *out,
                                    const int32_t *w,
                                    const gen_fast_rq *rq,
                                    int32_t *buf,
                                    int32_t n_pix,
                                    int32_t k,
                                    int32_t out_c,
                                    int32_t rshift,
                                    int32_t out_off,
                                    int32_t act_min,
                                    int32_t act_max)
{
    const int32_t k4 = (k + 3) & ~3;
    int32_t p;
    (void)buf;
    /* rows in pairs, then an odd last row alone */
    for (p = 0; p + 2 <= n_pix; p += 2)
    {
        const int8_t *x0 = in + (size_t)p * (size_t)k;
        const int8_t *x1 = x0 + k;
        int8_t *y0 = out + (size_t)p * (size_t)out_c;
        int32_t oc;
#ifdef GEN_NN_DSP
        gen_fast_widen_2(x0, x1, k, buf);
#endif
        for (oc = 0; oc + 2 <= out_c; oc += 2)
        {
            int32_t s00 = rq[oc].bias, s01 = rq[oc + 1].bias, s10 = s00, s11 = s01;
            gen_fast_rq q0, q1;
            int8_t r00, r01, r10, r11;
            int32_t j;
#ifdef GEN_NN_DSP
            const int32_t *wp = w + (size_t)oc * (size_t)(k4 >> 2);
            const int32_t *b = buf;
            GEN_FAST_UNROLL
            for (j = 0; j < k4; j += 4)
            {
                GEN_FAST_DOT_2X2_STEP(b, wp, s00, s01, s10, s11);
            }
#else
            for (j = 0; j < k; j++)
            {
                const int32_t w0 = gen_fast_pw_weight(w, k4, out_c, oc, j);
                const int32_t w1 = gen_fast_pw_weight(w, k4, out_c, oc + 1, j);
                s00 += (int32_t)x0[j] * w0;
                s01 += (int32_t)x0[j] * w1;
                s10 += (int32_t)x1[j] * w0;
                s11 += (int32_t)x1[j] * w1;
            }
#endif
            q0 = rq[oc]; /* after the products: their registers are free again */
            q1 = rq[oc + 1];
            r00 = gen_fast_out(s00, q0, rshift, out_off, act_min, act_max);
            r01 = gen_fast_out(s01, q1, rshift, out_off, act_min, act_max);
            r10 = gen_fast_out(s10, q0, rshift, out_off, act_min, act_max);
            r11 = gen_fast_out(s11, q1, rshift, out_off, act_min, act_max);
            y0[oc] = r00;
            y0[oc + 1] = r01;
            y0[out_c + oc] = r10;
            y0[out_c + oc + 1] = r11;
        }
        if (oc < out_c)
        {
            int32_t s0 = rq[oc].bias, s1 = rq[oc].bias;
            int32_t j;
            for (j = 0; j < k; j++)
            {
                const int32_t wv = gen_fast_pw_weight(w, k4, out_c, oc, j);
                s0 += (int32_t)x0[j] * wv;
                s1 += (int32_t)x1[j] * wv;
            }
            y0[oc] = gen_fast_out(s0, rq[oc], rshift, out_off, act_min, act_max);
            y0[out_c + oc] = gen_fast_out(s1, rq[oc], rshift, out_off, act_min, act_max);
        }
    }
    if (p < n_pix)
    {
        const int8_t *x0 = in + (size_t)p * (size_t)k;
        int8_t *y0 = out + (size_t)p * (size_t)out_c;
        int32_t oc;
#ifdef GEN_NN_DSP
        gen_fast_widen_1(x0, k, buf);
#endif
        for (oc = 0; oc + 2 <= out_c; oc += 2)
        {
            int32_t s0 = rq[oc].bias, s1 = rq[oc + 1].bias;
            gen_fast_rq q0, q1;
            int8_t r0, r1;
            int32_t j;
#ifdef GEN_NN_DSP
            const int32_t *wp = w + (size_t)oc * (size_t)(k4 >> 2);
            const int32_t *b = buf;
            GEN_FAST_UNROLL
            for (j = 0; j < k4; j += 4)
            {
                GEN_FAST_DOT_1X2_STEP(b, wp, s0, s1);
            }
#else
            for (j = 0; j < k; j++)
            {
                s0 += (int32_t)x0[j] * gen_fast_pw_weight(w, k4, out_c, oc, j);
                s1 += (int32_t)x0[j] * gen_fast_pw_weight(w, k4, out_c, oc + 1, j);
            }
#endif
            q0 = rq[oc];
            q1 = rq[oc + 1];
            r0 = gen_fast_out(s0, q0, rshift, out_off, act_min, act_max);
            r1 = gen_fast_out(s1, q1, rshift, out_off, act_min, act_max);
            y0[oc] = r0;
            y0[oc + 1] = r1;
        }
        if (oc < out_c)
        {
            int32_t s0 = rq[oc].bias;
            int32_t j;
            for (j = 0; j < k; j++)
            {
                s0 += (int32_t)x0[j] * gen_fast_pw_weight(w, k4, out_c, oc, j);
            }
            y0[oc] = gen_fast_out(s0, rq[oc], rshift, out_off, act_min, act_max);
        }
    }
}

#endif /* GEN_FAST_S8_H */
