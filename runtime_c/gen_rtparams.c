/* gen_rtparams.c: run-time checks of parameters that arrive as graph inputs (see gen_rtparams.h). */
#include "gen_rtparams.h"

#include <stddef.h>

int gen_rt_equal_i64(const int64_t *x, const int64_t *want, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (x[i] != want[i]) {
            return 0;
        }
    }
    return 1;
}

int gen_rt_all_zero_u8(const uint8_t *x, int32_t n)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        if (x[i] != 0u) {
            return 0;
        }
    }
    return 1;
}

int gen_rt_reshape_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out,
                      int32_t allowzero)
{
    int32_t i;
    int32_t inferred = 0;
    for (i = 0; i < n; ++i) {
        int64_t d = x[i];
        if (d == 0 && !allowzero) {
            if (i >= in_rank) {
                return 0;
            }
            d = in[i];
        }
        if (d == -1) {
            /* the other dims equal out's and the element count is fixed: -1 gives out[i] */
            inferred += 1;
            continue;
        }
        if (d != (int64_t)out[i]) {
            return 0;
        }
    }
    return inferred <= 1;
}

/* axis a of a rank-r shape, negative from the end; -1 when out of range */
static int32_t gen_rt_axis(int64_t a, int32_t r)
{
    if (a < 0) {
        a += r;
    }
    return (a >= 0 && a < r) ? (int32_t)a : -1;
}

int gen_rt_squeeze_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out,
                      int32_t out_rank)
{
    uint8_t drop[GEN_RT_MAX_RANK] = {0};
    int32_t i;
    int32_t k = 0;
    if (in_rank > GEN_RT_MAX_RANK) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        int32_t a = gen_rt_axis(x[i], in_rank);
        if (a < 0 || drop[a] || in[a] != 1) {
            return 0;
        }
        drop[a] = 1u;
    }
    for (i = 0; i < in_rank; ++i) {
        if (drop[i]) {
            continue;
        }
        if (k >= out_rank || in[i] != out[k]) {
            return 0;
        }
        k += 1;
    }
    return k == out_rank;
}

int gen_rt_unsqueeze_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out)
{
    uint8_t unit[GEN_RT_MAX_RANK] = {0};
    int32_t out_rank = in_rank + n;
    int32_t i;
    int32_t k = 0;
    if (out_rank > GEN_RT_MAX_RANK) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        int32_t a = gen_rt_axis(x[i], out_rank);
        if (a < 0 || unit[a]) {
            return 0;
        }
        unit[a] = 1u;
    }
    for (i = 0; i < out_rank; ++i) {
        int32_t d = unit[i] ? 1 : in[k++];
        if (d != out[i]) {
            return 0;
        }
    }
    return 1;
}

int gen_rt_reduce_axes_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t rank, const int32_t *mask,
                          const int32_t *out, int32_t out_rank, int32_t keepdims)
{
    uint8_t red[GEN_RT_MAX_RANK] = {0};
    int32_t i;
    int32_t k = 0;
    if (rank > GEN_RT_MAX_RANK) {
        return 0;
    }
    for (i = 0; i < n; ++i) {
        int32_t a = gen_rt_axis(x[i], rank);
        if (a < 0 || red[a]) {
            return 0;
        }
        red[a] = 1u;
    }
    for (i = 0; i < rank; ++i) {
        if (mask != NULL && in[i] != 1 && (int32_t)red[i] != mask[i]) {
            return 0;
        }
        if (red[i] && !keepdims) {
            continue;
        }
        if (k >= out_rank || out[k] != (red[i] ? 1 : in[i])) {
            return 0;
        }
        k += 1;
    }
    return k == out_rank;
}

int gen_rt_broadcast_ok(const int64_t *x, int32_t n, const int32_t *in, int32_t in_rank, const int32_t *out,
                        int32_t out_rank)
{
    int32_t i;
    if (out_rank != (n > in_rank ? n : in_rank)) {
        return 0;
    }
    for (i = 0; i < out_rank; ++i) {
        /* aligned from the end: a missing dim is 1 */
        int64_t a = i - (out_rank - in_rank) >= 0 ? in[i - (out_rank - in_rank)] : 1;
        int64_t b = i - (out_rank - n) >= 0 ? x[i - (out_rank - n)] : 1;
        int64_t d = a == 1 ? b : a;
        if (b < 1 || (a != b && a != 1 && b != 1) || d != (int64_t)out[i]) {
            return 0;
        }
    }
    return 1;
}

int gen_rt_axis_ok(int64_t a, int32_t rank)
{
    return gen_rt_axis(a, rank) >= 0;
}

void gen_rt_reduce_strides(const int64_t *x, int32_t n, const int32_t *shape, int32_t rank, int32_t *y_stride)
{
    uint8_t red[GEN_RT_MAX_RANK] = {0};
    int32_t stride = 1;
    int32_t i;
    for (i = 0; i < n; ++i) {
        int32_t a = gen_rt_axis(x[i], rank);
        if (a >= 0) {
            red[a] = 1u;
        }
    }
    for (i = rank - 1; i >= 0; --i) {
        y_stride[i] = red[i] ? 0 : stride;
        stride *= red[i] ? 1 : shape[i];
    }
}

void gen_rt_split_axis(int64_t a, const int32_t *shape, int32_t rank, int32_t *outer, int32_t *len, int32_t *inner)
{
    int32_t axis = gen_rt_axis(a, rank);
    int32_t i;
    *outer = 1;
    *len = 1;
    *inner = 1;
    for (i = 0; i < rank; ++i) {
        if (i < axis) {
            *outer *= shape[i];
        } else if (i == axis) {
            *len = shape[i];
        } else {
            *inner *= shape[i];
        }
    }
}
