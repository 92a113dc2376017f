/* gen's dtype kernels (see gen_int.h). Written for gen; C99, no allocation, no recursion. */
#include "gen_int.h"
#include "gen_index.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

static uint32_t gen_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof(u));
    return u;
}

static float gen_bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof(f));
    return f;
}

float gen_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (uint32_t)(h >> 10) & 0x1Fu;
    uint32_t man = (uint32_t)h & 0x3FFu;
    if (exp == 0x1Fu) {                 /* inf or NaN */
        return gen_bits_f32(sign | 0x7F800000u | (man << 13));
    }
    if (exp == 0) {                     /* zero or subnormal: man * 2^-24 */
        float v = (float)man * 5.9604644775390625e-8f;
        return sign ? -v : v;
    }
    return gen_bits_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

uint16_t gen_f32_to_f16(float f)
{
    uint32_t u = gen_f32_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7FFFFFFFu;
    if (a >= 0x7F800000u) {             /* inf or NaN (a quiet NaN stays a NaN) */
        return (uint16_t)(sign | 0x7C00u | (a > 0x7F800000u ? 0x200u : 0u));
    }
    if (a >= 0x477FF000u) {             /* rounds past 65504: inf */
        return (uint16_t)(sign | 0x7C00u);
    }
    if (a < 0x38800000u) {              /* below 2^-14: a subnormal or zero, in units of 2^-24 */
        float v = gen_bits_f32(a) * 16777216.0f;   /* exact: a power-of-two scaling */
        uint32_t q = (uint32_t)v;
        float rest = v - (float)q;
        if (rest > 0.5f || (rest == 0.5f && (q & 1u))) {
            q++;
        }
        return (uint16_t)(sign | q);
    }
    {
        uint32_t exp = (a >> 23) - 112u;
        uint32_t man = a & 0x7FFFFFu;
        uint32_t h = (exp << 10) | (man >> 13);
        uint32_t rest = man & 0x1FFFu;
        if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) {
            h++;                        /* may carry into the exponent: still right */
        }
        return (uint16_t)(sign | h);
    }
}

void gen_f16_to_f32_n(const uint16_t *x, float *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_f16_to_f32(x[i]);
    }
}

void gen_f32_to_f16_n(const float *x, uint16_t *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = gen_f32_to_f16(x[i]);
    }
}

/* ---------------------------------------------------------------- element access by dtype */

static int64_t load_int(const void *p, int32_t dt, size_t i)
{
    switch (dt) {
    case GEN_DT_I8:
        return ((const int8_t *)p)[i];
    case GEN_DT_U8:
    case GEN_DT_BOOL:
        return ((const uint8_t *)p)[i];
    case GEN_DT_I16:
        return ((const int16_t *)p)[i];
    case GEN_DT_I32:
        return ((const int32_t *)p)[i];
    case GEN_DT_I64:
        return ((const int64_t *)p)[i];
    case GEN_DT_U16:
        return ((const uint16_t *)p)[i];
    case GEN_DT_U32:
        return ((const uint32_t *)p)[i];
    case GEN_DT_U64:
        return (int64_t)((const uint64_t *)p)[i];   /* the bits: uint64_op reads them unsigned */
    default:
        return 0;
    }
}

/* stores v wrapped to the dtype's width (two's complement), bool as v != 0 */
static void store_int(void *p, int32_t dt, size_t i, int64_t v)
{
    switch (dt) {
    case GEN_DT_I8:
        ((int8_t *)p)[i] = (int8_t)(uint8_t)((uint64_t)v & 0xFFu);
        break;
    case GEN_DT_U8:
        ((uint8_t *)p)[i] = (uint8_t)((uint64_t)v & 0xFFu);
        break;
    case GEN_DT_BOOL:
        ((uint8_t *)p)[i] = (uint8_t)(v != 0);
        break;
    case GEN_DT_I16:
        ((int16_t *)p)[i] = (int16_t)(uint16_t)((uint64_t)v & 0xFFFFu);
        break;
    case GEN_DT_I32:
        ((int32_t *)p)[i] = (int32_t)(uint32_t)((uint64_t)v & 0xFFFFFFFFu);
        break;
    case GEN_DT_I64:
        ((int64_t *)p)[i] = v;
        break;
    case GEN_DT_U16:
        ((uint16_t *)p)[i] = (uint16_t)((uint64_t)v & 0xFFFFu);
        break;
    case GEN_DT_U32:
        ((uint32_t *)p)[i] = (uint32_t)((uint64_t)v & 0xFFFFFFFFu);
        break;
    case GEN_DT_U64:
        ((uint64_t *)p)[i] = (uint64_t)v;
        break;
    case GEN_DT_F32:
        ((float *)p)[i] = (float)v;
        break;
    default:
        break;
    }
}

/* float -> integer as onnxruntime does on x86-64: truncation toward zero; NaN or out of range gives
 * INT32_MIN (INT64_MIN for int64, uint32 and uint64), which then wraps to the narrower types; uint64
 * takes [2^63, 2^64) unsigned (and 0 past it) */
static int64_t float_to_int(float f, int32_t dt)
{
    if (dt == GEN_DT_U64 && f >= 9223372036854775808.0f) {
        return f < 18446744073709551616.0f ? (int64_t)(uint64_t)f : 0;
    }
    if (dt == GEN_DT_I64 || dt == GEN_DT_U32 || dt == GEN_DT_U64) {
        if (!(f >= -9223372036854775808.0f && f < 9223372036854775808.0f)) {
            return INT64_MIN;
        }
        return (int64_t)f;
    }
    if (!(f >= -2147483648.0f && f < 2147483648.0f)) {
        return INT32_MIN;
    }
    return (int64_t)(int32_t)f;
}

void gen_cast(const void *x, int32_t x_dt, void *y, int32_t y_dt, int32_t n, int32_t round_f16)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        if (x_dt == GEN_DT_F32) {
            const float f = ((const float *)x)[i];
            if (y_dt == GEN_DT_F32) {
                ((float *)y)[i] = round_f16 ? gen_f16_to_f32(gen_f32_to_f16(f)) : f;
            } else if (y_dt == GEN_DT_BOOL) {
                ((uint8_t *)y)[i] = (uint8_t)(f != 0.0f);   /* NaN != 0: true */
            } else {
                store_int(y, y_dt, (size_t)i, float_to_int(f, y_dt));
            }
        } else {
            const int64_t v = load_int(x, x_dt, (size_t)i);
            if (y_dt == GEN_DT_F32) {
                const float f = x_dt == GEN_DT_U64 ? (float)(uint64_t)v : (float)v;
                ((float *)y)[i] = round_f16 ? gen_f16_to_f32(gen_f32_to_f16(f)) : f;
            } else {
                store_int(y, y_dt, (size_t)i, v);
            }
        }
    }
}

/* ---------------------------------------------------------------- broadcasting walk */

/* a^e by squaring, wrapping modulo 2^64 (and so modulo any narrower width) */
static uint64_t pow_wrap(uint64_t a, uint64_t e)
{
    uint64_t r = 1u;
    while (e != 0u) {
        if (e & 1u) {
            r *= a;
        }
        a *= a;
        e >>= 1;
    }
    return r;
}

/* a and b are values of a signed type or of an unsigned type narrower than 64 bits (zero-extended); the
 * result is stored wrapped to y's width (store_int) */
static int64_t int_op(int32_t op, int64_t a, int64_t b)
{
    switch (op) {
    case GEN_I_ADD:
        return (int64_t)((uint64_t)a + (uint64_t)b);
    case GEN_I_SUB:
        return (int64_t)((uint64_t)a - (uint64_t)b);
    case GEN_I_MUL:
        return (int64_t)((uint64_t)a * (uint64_t)b);
    case GEN_I_DIV:
        if (b == 0) {
            return 0;
        }
        if (b == -1) {
            return (int64_t)(0u - (uint64_t)a);  /* INT64_MIN / -1 wraps */
        }
        return a / b;                            /* C99 truncates toward zero, as onnxruntime */
    case GEN_I_MOD:
    case GEN_I_FMOD: {
        int64_t r;
        if (b == 0 || b == -1) {
            return 0;
        }
        r = a % b;
        if (op == GEN_I_MOD && r != 0 && ((r < 0) != (b < 0))) {
            r += b;
        }
        return r;
    }
    case GEN_I_MAX:
        return a > b ? a : b;
    case GEN_I_MIN:
        return a < b ? a : b;
    case GEN_I_SHL:
        return (b < 0 || b >= 64) ? 0 : (int64_t)((uint64_t)a << b);
    case GEN_I_SHR:              /* arithmetic: a negative signed a fills with ones, even past the width */
        if (b < 0 || b >= 64) {
            return a < 0 ? -1 : 0;
        }
        return a < 0 ? ~(~a >> b) : a >> b;
    case GEN_I_POW:              /* b < 0: 1 / a^-b truncated toward zero (0 where a = 0, as Div by 0) */
        if (b < 0) {
            return a == 1 ? 1 : (a == -1 ? (((uint64_t)b & 1u) ? -1 : 1) : 0);
        }
        return (int64_t)pow_wrap((uint64_t)a, (uint64_t)b);
    case GEN_I_AND:
        return (a != 0) && (b != 0);
    case GEN_I_OR:
        return (a != 0) || (b != 0);
    case GEN_I_XOR:
        return (a != 0) != (b != 0);
    case GEN_I_EQ:
        return a == b;
    case GEN_I_GT:
        return a > b;
    case GEN_I_LT:
        return a < b;
    case GEN_I_GE:
        return a >= b;
    case GEN_I_LE:
        return a <= b;
    default:
        return 0;
    }
}

/* uint64 a and b (their bits): the ops whose result depends on reading them unsigned */
static int64_t uint64_op(int32_t op, uint64_t a, uint64_t b)
{
    switch (op) {
    case GEN_I_DIV:
        return b == 0 ? 0 : (int64_t)(a / b);
    case GEN_I_MOD:
    case GEN_I_FMOD:
        return b == 0 ? 0 : (int64_t)(a % b);
    case GEN_I_MAX:
        return (int64_t)(a > b ? a : b);
    case GEN_I_MIN:
        return (int64_t)(a < b ? a : b);
    case GEN_I_SHR:
        return b >= 64 ? 0 : (int64_t)(a >> b);
    case GEN_I_POW:
        return (int64_t)pow_wrap(a, b);
    case GEN_I_GT:
        return a > b;
    case GEN_I_LT:
        return a < b;
    case GEN_I_GE:
        return a >= b;
    case GEN_I_LE:
        return a <= b;
    default:                     /* wrapping arithmetic, SHL (b >= 64 reads negative: 0), equality, logic */
        return int_op(op, (int64_t)a, (int64_t)b);
    }
}

/* float ops; comparisons give 0 or 1. Max/Min propagate NaN (as numpy and onnxruntime) */
static float float_op(int32_t op, float a, float b)
{
    switch (op) {
    case GEN_I_ADD:
        return a + b;
    case GEN_I_SUB:
        return a - b;
    case GEN_I_MUL:
        return a * b;
    case GEN_I_DIV:
        return a / b;
    case GEN_I_FMOD:
        return fmodf(a, b);
    case GEN_I_MAX:
        return (a != a || a > b) ? a : b;
    case GEN_I_MIN:
        return (a != a || a < b) ? a : b;
    case GEN_I_EQ:
        return (float)(a == b);
    case GEN_I_GT:
        return (float)(a > b);
    case GEN_I_LT:
        return (float)(a < b);
    case GEN_I_GE:
        return (float)(a >= b);
    case GEN_I_LE:
        return (float)(a <= b);
    default:
        return 0.0f;
    }
}

void gen_int_binary(const void *a, const void *b, void *y, const gen_int_binary_params *p)
{
    int32_t idx[GEN_MAX_DIMS] = {0};
    size_t i = 0;
    do {
        const size_t ia = gen_index_offset(idx, p->a_stride, p->ndim), ib = gen_index_offset(idx, p->b_stride, p->ndim);
        if (p->dt == GEN_DT_F32) {
            const float r = float_op(p->op, ((const float *)a)[ia], ((const float *)b)[ib]);
            if (p->y_dt == GEN_DT_F32) {
                ((float *)y)[i] = r;
            } else {
                ((uint8_t *)y)[i] = (uint8_t)(r != 0.0f);
            }
        } else if (p->dt == GEN_DT_U64) {
            store_int(y, p->y_dt, i, uint64_op(p->op, ((const uint64_t *)a)[ia], ((const uint64_t *)b)[ib]));
        } else {
            store_int(y, p->y_dt, i, int_op(p->op, load_int(a, p->dt, ia), load_int(b, p->dt, ib)));
        }
        i++;
    } while (gen_index_next(idx, p->shape, p->ndim));
}

void gen_not(const uint8_t *x, uint8_t *y, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; i++) {
        y[i] = (uint8_t)(x[i] == 0);
    }
}

void gen_where(const uint8_t *cond, const void *a, const void *b, void *y, int32_t elem, const gen_where_params *p)
{
    int32_t idx[GEN_MAX_DIMS] = {0};
    size_t i = 0;
    do {
        const int c = cond[gen_index_offset(idx, p->c_stride, p->ndim)] != 0;
        const size_t off = gen_index_offset(idx, c ? p->a_stride : p->b_stride, p->ndim);
        const uint8_t *src = (const uint8_t *)(c ? a : b) + off * (size_t)elem;
        memcpy((uint8_t *)y + i * (size_t)elem, src, (size_t)elem);
        i++;
    } while (gen_index_next(idx, p->shape, p->ndim));
}
