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

#include "gen_fast.h"

/* one output channel: the accumulator's start and its requantization (shift < 0: right shift by
 * e = e1 + 1 through gen_nn_requant_rshift; a layer with a shift >= 0 keeps the shift in e1 and c0 = 0).
 * A kernel's `rshift` says which (a literal per layer): 0 any shift, 1 right shifts, 2 right shifts by
 * e >= 2 with multipliers >= 0 (gen_fast_requant_rshift2: c0 is then 2^(e-2)) */
typedef struct
{
    int32_t bias;
    int32_t mult;
    int32_t e1;
    int32_t c0;
} gen_fast_rq;

/* gen_nn_requant_rshift for a multiplier >= 0 and e >= 2 (rshift 2), h = 2^(e-2): x * multiplier then has
 * x's sign (a multiplier of 0 gives 0 either way: the correction is below the rounding) and 2^(e-1) is
 * even, so the 64-bit addend (2^(e-1) - [x < 0]) * 2^31 + 2^30 has the high word h - [x < 0] and the low
 * word 2^30 with x's sign bit: two instructions fewer than the general form */
GEN_FAST_INLINE int32_t gen_fast_requant_rshift2(int32_t x, int32_t multiplier, int32_t e1, int32_t h)
{
#if defined(GEN_NN_DSP) && defined(__GNUC__)
    /* in one block: GCC would otherwise compute every output's low word first and spill them */
    int32_t hi, lo;
    __asm__("add %[hi], %[h], %[x], asr #31\n\t"
            "and %[lo], %[x], #0x80000000\n\t"
            "orr %[lo], %[lo], #0x40000000\n\t"
            "smlal %[lo], %[hi], %[x], %[m]"
            : [hi] "=&r"(hi), [lo] "=&r"(lo)
            : [h] "r"(h), [x] "r"(x), [m] "r"(multiplier));
    return hi >> e1;
#else
    const uint32_t hi = (uint32_t)(h + (x >> 31));
    const uint32_t lo = ((uint32_t)x & 0x80000000u) | 0x40000000u;
    const int64_t acc = (int64_t)(((uint64_t)hi << 32) | lo) + (int64_t)x * (int64_t)multiplier;
    return (int32_t)(uint32_t)((uint64_t)acc >> 32) >> e1;
#endif
}

/* requantize one accumulator, add the output offset, clamp; `rshift` and the range are literals.
 * The constants are passed by value: the kernels load them before storing any output (an int8
 * store may alias anything, so a load after it would be repeated). */
GEN_FAST_INLINE int8_t gen_fast_out(int32_t acc, gen_fast_rq q, int32_t rshift, int32_t out_off,
                                    int32_t act_min, int32_t act_max)
{
    int32_t r;
#ifdef GEN_NN_DSP
    if (rshift == 2)
    {
        r = gen_fast_requant_rshift2(acc, q.mult, q.e1, q.c0);
    }
    else
    {
        r = rshift ? gen_nn_requant_rshift(acc, q.mult, q.e1, q.c0) : gen_nn_requantize_dsp(acc, q.mult, q.e1);
    }
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

#ifdef GEN_NN_DSP
/* rows x0, x1, x2 widened into buf for gen_fast_dot_3x2: per four inputs two words of each row */
GEN_FAST_INLINE void gen_fast_widen_3(const int8_t *x0, const int8_t *x1, const int8_t *x2, int32_t k, int32_t *buf)
{
    int32_t j;
    for (j = 0; j < k; j += 4)
    {
        const int32_t va = gen_fast_read4(x0, j, k);
        const int32_t vb = gen_fast_read4(x1, j, k);
        const int32_t vc = gen_fast_read4(x2, j, k);
        buf[0] = __sxtb16(va);
        buf[1] = gen_nn_sxtb16_ror8(va);
        buf[2] = __sxtb16(vb);
        buf[3] = gen_nn_sxtb16_ror8(vb);
        buf[4] = __sxtb16(vc);
        buf[5] = gen_nn_sxtb16_ror8(vc);
        buf += 6;
    }
}
#endif

#if defined(GEN_NN_DSP) && defined(__GNUC__) && defined(__OPTIMIZE__)
/* four inputs of three rows times four weights of two channels: 24 multiply-accumulates in 20
 * instructions (14 registers: the most the core has; without optimization gcc keeps a frame pointer and
 * cannot give them, so -O0 builds take the C below) */
#define GEN_FAST_DOT_3X2_STEP(B, W, S00, S01, S10, S11, S20, S21)                                           \
    do                                                                                                      \
    {                                                                                                       \
        int32_t u0_, u1_, ue_, uo_, b0_, b1_;                                                               \
        __asm__("ldrd %[u0], %[u1], [%[wq]], #8\n\t"                                                        \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "ldrd %[b0], %[b1], [%[bq]], #8\n\t"                                                        \
                "smlad %[a00], %[b0], %[ue], %[a00]\n\t"                                                    \
                "smlad %[a00], %[b1], %[uo], %[a00]\n\t"                                                    \
                "smlad %[a01], %[b0], %[u0], %[a01]\n\t"                                                    \
                "smlad %[a01], %[b1], %[u1], %[a01]\n\t"                                                    \
                "ldrd %[b0], %[b1], [%[bq]], #8\n\t"                                                        \
                "smlad %[a10], %[b0], %[ue], %[a10]\n\t"                                                    \
                "smlad %[a10], %[b1], %[uo], %[a10]\n\t"                                                    \
                "smlad %[a11], %[b0], %[u0], %[a11]\n\t"                                                    \
                "smlad %[a11], %[b1], %[u1], %[a11]\n\t"                                                    \
                "ldrd %[b0], %[b1], [%[bq]], #8\n\t"                                                        \
                "smlad %[a20], %[b0], %[ue], %[a20]\n\t"                                                    \
                "smlad %[a20], %[b1], %[uo], %[a20]\n\t"                                                    \
                "smlad %[a21], %[b0], %[u0], %[a21]\n\t"                                                    \
                "smlad %[a21], %[b1], %[u1], %[a21]"                                                        \
                : [u0] "=&r"(u0_), [u1] "=&r"(u1_), [ue] "=&r"(ue_), [uo] "=&r"(uo_), [b0] "=&r"(b0_),          \
                  [b1] "=&r"(b1_), [a00] "+r"(S00), [a01] "+r"(S01), [a10] "+r"(S10), [a11] "+r"(S11),         \
                  [a20] "+r"(S20), [a21] "+r"(S21), [wq] "+r"(W), [bq] "+r"(B)                               \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
#elif defined(GEN_NN_DSP)
#define GEN_FAST_DOT_3X2_STEP(B, W, S00, S01, S10, S11, S20, S21)                                           \
    do                                                                                                      \
    {                                                                                                       \
        const int32_t ue_ = __sxtb16(W[0]), uo_ = gen_nn_sxtb16_ror8(W[0]);                                 \
        const int32_t ve_ = __sxtb16(W[1]), vo_ = gen_nn_sxtb16_ror8(W[1]);                                 \
        S00 = __smlad(B[1], uo_, __smlad(B[0], ue_, S00));                                                  \
        S01 = __smlad(B[1], vo_, __smlad(B[0], ve_, S01));                                                  \
        S10 = __smlad(B[3], uo_, __smlad(B[2], ue_, S10));                                                  \
        S11 = __smlad(B[3], vo_, __smlad(B[2], ve_, S11));                                                  \
        S20 = __smlad(B[5], uo_, __smlad(B[4], ue_, S20));                                                  \
        S21 = __smlad(B[5], vo_, __smlad(B[4], ve_, S21));                                                  \
        W += 2;                                                                                             \
        B += 6;                                                                                             \
    } while (0)
#endif

#if defined(GEN_NN_DSP) && defined(__GNUC__)
/* four int8 inputs of one row (read as they are, x advanced by 4) times four weights of two channels:
 * 8 multiply-accumulates in 12 instructions; the inputs' word is loaded with LDR (any alignment) */
#define GEN_FAST_DOT_1X2_RAW(X, W, S0, S1)                                                                  \
    do                                                                                                      \
    {                                                                                                       \
        int32_t u0_, u1_, ue_, uo_, a_, ae_;                                                                \
        __asm__("ldr %[a], [%[xq]], #4\n\t"                                                                 \
                "ldrd %[u0], %[u1], [%[wq]], #8\n\t"                                                        \
                "sxtb16 %[ae], %[a]\n\t"                                                                    \
                "sxtb16 %[a], %[a], ror #8\n\t"                                                             \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "smlad %[a0], %[ae], %[ue], %[a0]\n\t"                                                      \
                "smlad %[a0], %[a], %[uo], %[a0]\n\t"                                                       \
                "smlad %[a1], %[ae], %[u0], %[a1]\n\t"                                                      \
                "smlad %[a1], %[a], %[u1], %[a1]"                                                           \
                : [u0] "=&r"(u0_), [u1] "=&r"(u1_), [ue] "=&r"(ue_), [uo] "=&r"(uo_), [a] "=&r"(a_),            \
                  [ae] "=&r"(ae_), [a0] "+r"(S0), [a1] "+r"(S1), [wq] "+r"(W), [xq] "+r"(X)                   \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
/* four int8 inputs of one row times four weights of four channels (two pairs: W0, W1): 16
 * multiply-accumulates in 21 instructions */
#define GEN_FAST_DOT_1X4_RAW(X, W0, W1, S0, S1, S2, S3)                                                     \
    do                                                                                                      \
    {                                                                                                       \
        int32_t u0_, u1_, ue_, uo_, a_, ae_;                                                                \
        __asm__("ldr %[a], [%[xq]], #4\n\t"                                                                 \
                "ldrd %[u0], %[u1], [%[wq0]], #8\n\t"                                                       \
                "sxtb16 %[ae], %[a]\n\t"                                                                    \
                "sxtb16 %[a], %[a], ror #8\n\t"                                                             \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "smlad %[a0], %[ae], %[ue], %[a0]\n\t"                                                      \
                "smlad %[a0], %[a], %[uo], %[a0]\n\t"                                                       \
                "smlad %[a1], %[ae], %[u0], %[a1]\n\t"                                                      \
                "smlad %[a1], %[a], %[u1], %[a1]\n\t"                                                       \
                "ldrd %[u0], %[u1], [%[wq1]], #8\n\t"                                                       \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "smlad %[a2], %[ae], %[ue], %[a2]\n\t"                                                      \
                "smlad %[a2], %[a], %[uo], %[a2]\n\t"                                                       \
                "smlad %[a3], %[ae], %[u0], %[a3]\n\t"                                                      \
                "smlad %[a3], %[a], %[u1], %[a3]"                                                           \
                : [u0] "=&r"(u0_), [u1] "=&r"(u1_), [ue] "=&r"(ue_), [uo] "=&r"(uo_), [a] "=&r"(a_),            \
                  [ae] "=&r"(ae_), [a0] "+r"(S0), [a1] "+r"(S1), [a2] "+r"(S2), [a3] "+r"(S3),                 \
                  [wq0] "+r"(W0), [wq1] "+r"(W1), [xq] "+r"(X)                                               \
                :                                                                                           \
                : "memory");                                                                                \
    } while (0)
/* the same for two rows (the second at X + K): 16 multiply-accumulates in 19 instructions */
#define GEN_FAST_DOT_2X2_RAW(X, K, W, S00, S01, S10, S11)                                                   \
    do                                                                                                      \
    {                                                                                                       \
        int32_t u0_, u1_, ue_, uo_, a_, ae_;                                                                \
        __asm__("ldr %[a], [%[xq], %[kq]]\n\t"                                                              \
                "ldrd %[u0], %[u1], [%[wq]], #8\n\t"                                                        \
                "sxtb16 %[ae], %[a]\n\t"                                                                    \
                "sxtb16 %[a], %[a], ror #8\n\t"                                                             \
                "sxtb16 %[ue], %[u0]\n\t"                                                                   \
                "sxtb16 %[uo], %[u0], ror #8\n\t"                                                           \
                "sxtb16 %[u0], %[u1]\n\t"                                                                   \
                "sxtb16 %[u1], %[u1], ror #8\n\t"                                                           \
                "smlad %[a10], %[ae], %[ue], %[a10]\n\t"                                                    \
                "smlad %[a10], %[a], %[uo], %[a10]\n\t"                                                     \
                "smlad %[a11], %[ae], %[u0], %[a11]\n\t"                                                    \
                "smlad %[a11], %[a], %[u1], %[a11]\n\t"                                                     \
                "ldr %[a], [%[xq]], #4\n\t"                                                                 \
                "sxtb16 %[ae], %[a]\n\t"                                                                    \
                "sxtb16 %[a], %[a], ror #8\n\t"                                                             \
                "smlad %[a00], %[ae], %[ue], %[a00]\n\t"                                                    \
                "smlad %[a00], %[a], %[uo], %[a00]\n\t"                                                     \
                "smlad %[a01], %[ae], %[u0], %[a01]\n\t"                                                    \
                "smlad %[a01], %[a], %[u1], %[a01]"                                                         \
                : [u0] "=&r"(u0_), [u1] "=&r"(u1_), [ue] "=&r"(ue_), [uo] "=&r"(uo_), [a] "=&r"(a_),            \
                  [ae] "=&r"(ae_), [a00] "+r"(S00), [a01] "+r"(S01), [a10] "+r"(S10), [a11] "+r"(S11),         \
                  [wq] "+r"(W), [xq] "+r"(X)                                                                 \
                : [kq] "r"(K)                                                                               \
                : "memory");                                                                                \
    } while (0)
#endif

/* requantize and store row r's outputs s0, s1 of channels oc and oc + 1 (constants by value: loaded
 * before any store, see gen_fast_out) */
#define GEN_FAST_STORE_PAIR(Y, R, OUT_C, OC, Q0, Q1, S0, S1)                                                \
    do                                                                                                      \
    {                                                                                                       \
        const int8_t r0_ = gen_fast_out(S0, Q0, rshift, out_off, act_min, act_max);                        \
        const int8_t r1_ = gen_fast_out(S1, Q1, rshift, out_off, act_min, act_max);                        \
        (Y)[(size_t)(R) * (size_t)(OUT_C) + (size_t)(OC)] = r0_;                                            \
        (Y)[(size_t)(R) * (size_t)(OUT_C) + (size_t)(OC) + 1] = r1_;                                        \
    } while (0)

/* the portable form of the 2x2 block: rows x0, x1 (k int8 each) times channels oc and oc + 1 of w
 * (gen_fast_pw_s8's layout), added to the four sums */
GEN_FAST_INLINE void gen_fast_dot_2x2_c(const int8_t *x0, const int8_t *x1, const int32_t *w, int32_t k, int32_t out_c,
                                        int32_t oc, int32_t *s00, int32_t *s01, int32_t *s10, int32_t *s11)
{
    const int32_t k4 = (k + 3) & ~3;
    int32_t j;
    for (j = 0; j < k; j++)
    {
        const int32_t w0 = gen_fast_pw_weight(w, k4, out_c, oc, j);
        const int32_t w1 = gen_fast_pw_weight(w, k4, out_c, oc + 1, j);
        *s00 += (int32_t)x0[j] * w0;
        *s01 += (int32_t)x0[j] * w1;
        *s10 += (int32_t)x1[j] * w0;
        *s11 += (int32_t)x1[j] * w1;
    }
}

/* rows [0, rows) of channel oc alone (the odd last channel): plain loops */
GEN_FAST_INLINE void gen_fast_pw_channel(const int8_t *x0, int8_t *y0, const int32_t *w, const gen_fast_rq *rq,
                                         int32_t rows, int32_t k, int32_t out_c, int32_t oc, int32_t rshift,
                                         int32_t out_off, int32_t act_min, int32_t act_max)
{
    const int32_t k4 = (k + 3) & ~3;
    int32_t i;
    for (i = 0; i < rows; i++)
    {
        const int8_t *xr = x0 + (size_t)i * (size_t)k;
        int32_t s0 = rq[oc].bias;
        int32_t j;
        for (j = 0; j < k; j++)
        {
            s0 += (int32_t)xr[j] * gen_fast_pw_weight(w, k4, out_c, oc, j);
        }
        y0[(size_t)i * (size_t)out_c + (size_t)oc] = gen_fast_out(s0, rq[oc], rshift, out_off, act_min, act_max);
    }
}

#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#include "gen_fast_mve_s8.h"
#endif

/* Pointwise (1x1, stride 1) convolution and fully connected layers: out[p][m] for n_pix rows of
 * k int8 (NHWC: row p at in + p * k) and out_c output channels.
 * w: int8 weights packed four to a word, k padded with zeros to k4 (a multiple of 4): for each
 * channel pair the words alternate (channel 2i's four weights, then 2i+1's: [out_c / 2][k4 / 4][2]),
 * then the odd last channel's k4 / 4 words. rq: out_c entries.
 * DSP cores: three rows at a time are widened to int16 once, into `wide` (6 * k4 bytes of scratch,
 * word-aligned: a layer whose output overlaps its input, gen/ops/fast_s8.py) or when `wide` is NULL into
 * the output rows not written yet (no scratch: the arena stays what the tensors need), then read by every
 * channel pair (20 instructions per 24 multiply-accumulates); the last rows, where no such room is left,
 * in pairs and alone, widened as they are read. */
GEN_FAST_INLINE void gen_fast_pw_s8(const int8_t *in,
                                    int8_t *out,
                                    const int32_t *w,
                                    const gen_fast_rq *rq,
                                    int32_t *wide,
                                    int32_t n_pix,
                                    int32_t k,
                                    int32_t out_c,
                                    int32_t rshift,
                                    int32_t out_off,
                                    int32_t act_min,
                                    int32_t act_max)
{
    const int32_t k4 = (k + 3) & ~3;
    int32_t p = 0;
    (void)k4;   /* read by the DSP paths only */
    (void)wide;
#ifdef GEN_FAST_MVE
    if (k == k4) /* Helium: gen_fast_mve_s8.h */
    {
        gen_fast_pw_mve(in, out, w, rq, n_pix, k, out_c, rshift, out_off, act_min, act_max);
        return;
    }
#endif
#ifdef GEN_NN_DSP
    for (; p + 3 <= n_pix && (wide != NULL || (n_pix - p - 3) * out_c >= 6 * k4 + 3); p += 3)
    {
        const int8_t *x0 = in + (size_t)p * (size_t)k;
        int8_t *y0 = out + (size_t)p * (size_t)out_c;
        /* the widened rows: the scratch, or word-aligned in the output rows after these three */
        const uintptr_t free_at = (uintptr_t)(y0 + 3 * (size_t)out_c);
        int32_t *buf = wide != NULL ? wide
                                    : (int32_t *)(void *)(y0 + 3 * (size_t)out_c + ((4u - (free_at & 3u)) & 3u));
        int32_t oc;
        gen_fast_widen_3(x0, x0 + k, x0 + 2 * k, k, buf);
        for (oc = 0; oc + 2 <= out_c; oc += 2)
        {
            int32_t s00 = rq[oc].bias, s01 = rq[oc + 1].bias, s10 = s00, s11 = s01, s20 = s00, s21 = s01;
            const int32_t *wp = w + (size_t)oc * (size_t)(k4 >> 2);
            const int32_t *b = buf;
            gen_fast_rq q0, q1;
            int32_t j;
            GEN_FAST_UNROLL
            for (j = 0; j < k4; j += 4)
            {
                GEN_FAST_DOT_3X2_STEP(b, wp, s00, s01, s10, s11, s20, s21);
            }
            q0 = rq[oc]; /* after the products: their registers are free again */
            q1 = rq[oc + 1];
            {
                const int8_t r00 = gen_fast_out(s00, q0, rshift, out_off, act_min, act_max);
                const int8_t r01 = gen_fast_out(s01, q1, rshift, out_off, act_min, act_max);
                const int8_t r10 = gen_fast_out(s10, q0, rshift, out_off, act_min, act_max);
                const int8_t r11 = gen_fast_out(s11, q1, rshift, out_off, act_min, act_max);
                const int8_t r20 = gen_fast_out(s20, q0, rshift, out_off, act_min, act_max);
                const int8_t r21 = gen_fast_out(s21, q1, rshift, out_off, act_min, act_max);
                y0[oc] = r00;
                y0[oc + 1] = r01;
                y0[out_c + oc] = r10;
                y0[out_c + oc + 1] = r11;
                y0[2 * out_c + oc] = r20;
                y0[2 * out_c + oc + 1] = r21;
            }
        }
        if (oc < out_c)
        {
            gen_fast_pw_channel(x0, y0, w, rq, 3, k, out_c, oc, rshift, out_off, act_min, act_max);
        }
    }
#endif
    for (; p < n_pix; p += 2)
    {
        const int32_t rows = p + 2 <= n_pix ? 2 : 1;
        const int8_t *x0 = in + (size_t)p * (size_t)k;
        const int8_t *x1 = x0 + (rows == 2 ? k : 0);
        int8_t *y0 = out + (size_t)p * (size_t)out_c;
        int32_t oc = 0;
#if defined(GEN_NN_DSP) && defined(__GNUC__)
        if (rows == 1 && k == k4)   /* one row (a fully connected layer's batch of one): four channels a step */
        {
            for (; oc + 4 <= out_c; oc += 4)
            {
                int32_t s0 = rq[oc].bias, s1 = rq[oc + 1].bias, s2 = rq[oc + 2].bias, s3 = rq[oc + 3].bias;
                const int32_t *w0 = w + (size_t)oc * (size_t)(k4 >> 2);
                const int32_t *w1 = w0 + 2 * (k4 >> 2);
                const int8_t *xp = x0;
                gen_fast_rq q0, q1;
                int32_t j;
                GEN_FAST_UNROLL
                for (j = 0; j < k4; j += 4)
                {
                    GEN_FAST_DOT_1X4_RAW(xp, w0, w1, s0, s1, s2, s3);
                }
                q0 = rq[oc];
                q1 = rq[oc + 1];
                GEN_FAST_STORE_PAIR(y0, 0, out_c, oc, q0, q1, s0, s1);
                q0 = rq[oc + 2];
                q1 = rq[oc + 3];
                GEN_FAST_STORE_PAIR(y0, 0, out_c, oc + 2, q0, q1, s2, s3);
            }
        }
#endif
        for (; oc + 2 <= out_c; oc += 2)
        {
            int32_t s00 = rq[oc].bias, s01 = rq[oc + 1].bias, s10 = s00, s11 = s01;
            gen_fast_rq q0, q1;
            int32_t j;
#if defined(GEN_NN_DSP) && defined(__GNUC__)
            if (k == k4)    /* whole words: the assembly steps (else the intrinsics, which read the tail) */
            {
                const int32_t *wp = w + (size_t)oc * (size_t)(k4 >> 2);
                const int8_t *xp = x0;
                if (rows == 2)
                {
                    GEN_FAST_UNROLL
                    for (j = 0; j < k4; j += 4)
                    {
                        GEN_FAST_DOT_2X2_RAW(xp, k, wp, s00, s01, s10, s11);
                    }
                }
                else
                {
                    GEN_FAST_UNROLL
                    for (j = 0; j < k4; j += 4)
                    {
                        GEN_FAST_DOT_1X2_RAW(xp, wp, s00, s01);
                    }
                }
            }
            else
#endif
#ifdef GEN_NN_DSP
            {
                const int32_t *wp = w + (size_t)oc * (size_t)(k4 >> 2);
                GEN_FAST_UNROLL
                for (j = 0; j < k4; j += 4)
                {
                    const int32_t va = gen_fast_read4(x0, j, k);
                    const int32_t ue = __sxtb16(wp[0]), uo = gen_nn_sxtb16_ror8(wp[0]);
                    const int32_t ve = __sxtb16(wp[1]), vo = gen_nn_sxtb16_ror8(wp[1]);
                    const int32_t a_e = __sxtb16(va), a_o = gen_nn_sxtb16_ror8(va);
                    s00 = __smlad(a_o, uo, __smlad(a_e, ue, s00));
                    s01 = __smlad(a_o, vo, __smlad(a_e, ve, s01));
                    if (rows == 2)
                    {
                        const int32_t vb = gen_fast_read4(x1, j, k);
                        const int32_t b_e = __sxtb16(vb), b_o = gen_nn_sxtb16_ror8(vb);
                        s10 = __smlad(b_o, uo, __smlad(b_e, ue, s10));
                        s11 = __smlad(b_o, vo, __smlad(b_e, ve, s11));
                    }
                    wp += 2;
                }
            }
#else
            (void)j;  /* the DSP steps' counter */
            gen_fast_dot_2x2_c(x0, x1, w, k, out_c, oc, &s00, &s01, &s10, &s11);
#endif
            q0 = rq[oc];
            q1 = rq[oc + 1];
            GEN_FAST_STORE_PAIR(y0, 0, out_c, oc, q0, q1, s00, s01);
            if (rows == 2)
            {
                GEN_FAST_STORE_PAIR(y0, 1, out_c, oc, q0, q1, s10, s11);
            }
        }
        if (oc < out_c)
        {
            gen_fast_pw_channel(x0, y0, w, rq, rows, k, out_c, oc, rshift, out_off, act_min, act_max);
        }
    }
}

/* gen_fast_pw_s8 over the rows last to first, three at a time (the last group the first n_pix % 3 rows), each
 * group by gen_fast_pw_s8: for an output that starts at or after its input (the overlap plan, gen/ops/fast_s8.py
 * derives how far after from this loop). wide: as gen_fast_pw_s8's (the overlap plan always gives it). */
GEN_FAST_INLINE void gen_fast_pw_s8_reverse(const int8_t *in,
                                            int8_t *out,
                                            const int32_t *w,
                                            const gen_fast_rq *rq,
                                            int32_t *wide,
                                            int32_t n_pix,
                                            int32_t k,
                                            int32_t out_c,
                                            int32_t rshift,
                                            int32_t out_off,
                                            int32_t act_min,
                                            int32_t act_max)
{
    int32_t p = n_pix;
    while (p > 0)
    {
        const int32_t rows = p < 3 ? p : 3;
        p -= rows;
        gen_fast_pw_s8(in + (size_t)p * (size_t)k, out + (size_t)p * (size_t)out_c, w, rq, wide, rows, k, out_c, rshift,
                       out_off, act_min, act_max);
    }
}

#endif /* GEN_FAST_S8_H */
