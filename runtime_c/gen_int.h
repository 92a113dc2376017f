/* gen's dtype kernels: float16 <-> float32 at the API, Cast between gen's dtypes, comparisons, logic,
 * Where, and the integer forms of the elementwise ops (broadcasting through per-operand strides).
 * Written for gen; C99, no allocation, no recursion.
 *
 * float16 values travel as their IEEE 754 binary16 bits in a uint16_t; bool is one byte, 0 or 1. */
#ifndef GEN_INT_H
#define GEN_INT_H

#include <stdint.h>

#ifndef GEN_MAX_DIMS
#define GEN_MAX_DIMS 6
#endif

/* binary16 bits -> float (exact) and float -> binary16 bits (round to nearest even, overflow to inf) */
float gen_f16_to_f32(uint16_t h);
uint16_t gen_f32_to_f16(float f);
void gen_f16_to_f32_n(const uint16_t *x, float *y, int32_t n);
void gen_f32_to_f16_n(const float *x, uint16_t *y, int32_t n);

/* gen's dtypes in the kernels below (float16 tensors are float32 inside the graph) */
enum { GEN_DT_F32 = 0, GEN_DT_I8 = 1, GEN_DT_U8 = 2, GEN_DT_I16 = 3, GEN_DT_I32 = 4, GEN_DT_I64 = 5, GEN_DT_BOOL = 6 };
/* the wider unsigned integers: values held as uint64_t bits; uint64 divides, compares and converts unsigned */
enum { GEN_DT_U16 = 20, GEN_DT_U32 = 21, GEN_DT_U64 = 22 };

/* y[i] = x[i] converted as ONNX Cast does: float -> integer truncates toward zero (NaN and values past
 * int32, or int64 for an int64 y, give that type's minimum first, then wrap: onnxruntime on x86-64;
 * a uint32 y converts through int64 and a uint64 y through its unsigned range, so every in-range value is
 * exact); integer -> integer wraps; -> bool is x != 0; round_f16: round the float result to float16's precision */
void gen_cast(const void *x, int32_t x_dt, void *y, int32_t y_dt, int32_t n, int32_t round_f16);

/* elementwise binary ops on any of gen's dtypes, with broadcasting */
enum {
    GEN_I_ADD = 0, GEN_I_SUB = 1, GEN_I_MUL = 2, GEN_I_DIV = 3,
    GEN_I_MOD = 4,   /* integer Mod, fmod = 0: the remainder has the divisor's sign */
    GEN_I_FMOD = 5,  /* fmod = 1: the remainder has the dividend's sign (C's % and fmodf) */
    GEN_I_MAX = 6, GEN_I_MIN = 7,
    GEN_I_SHL = 8, GEN_I_SHR = 9,  /* a shift < 0 or >= the width: 0 (-1 for a negative signed x >> y) */
    GEN_I_AND = 10, GEN_I_OR = 11, GEN_I_XOR = 12,    /* bool */
    GEN_I_EQ = 13, GEN_I_GT = 14, GEN_I_LT = 15, GEN_I_GE = 16, GEN_I_LE = 17, /* bool output */
    GEN_I_POW = 18   /* integer Pow: wraps; a negative exponent gives 1 / a^-b truncated (0 for a = 0) */
};

typedef struct {
    int32_t op;
    int32_t dt;                                             /* dtype of a and b */
    int32_t y_dt;                                           /* dtype of y (bool for comparisons) */
    int32_t ndim;
    int32_t shape[GEN_MAX_DIMS];                            /* output shape */
    int32_t a_stride[GEN_MAX_DIMS], b_stride[GEN_MAX_DIMS]; /* in elements; 0 = broadcast */
} gen_int_binary_params;

/* Integer division by zero gives 0 (C leaves it undefined; onnxruntime traps) */
void gen_int_binary(const void *a, const void *b, void *y, const gen_int_binary_params *p);

/* y[i] = !x[i] on bool bytes */
void gen_not(const uint8_t *x, uint8_t *y, int32_t n);

typedef struct {
    int32_t ndim;
    int32_t shape[GEN_MAX_DIMS];
    int32_t c_stride[GEN_MAX_DIMS], a_stride[GEN_MAX_DIMS], b_stride[GEN_MAX_DIMS];
} gen_where_params;

/* y = cond ? a : b elementwise (elements of elem bytes), with broadcasting */
void gen_where(const uint8_t *cond, const void *a, const void *b, void *y, int32_t elem, const gen_where_params *p);

#endif
