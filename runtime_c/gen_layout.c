/* gen's layout kernels on elements of any size. See gen_layout.h. */
#include "gen_layout.h"

#include <string.h>

void gen_transpose(const void *x, void *y, size_t elem, const gen_transpose_params *p)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    int32_t idx[GEN_MAX_DIMS] = {0};
    const int32_t last = p->ndim - 1;
    const int32_t len = p->shape[last];
    const size_t step = (size_t)p->x_stride[last] * elem;
    for (;;) {
        size_t off = 0;
        int32_t d, i;
        const unsigned char *src;
        for (d = 0; d < last; d++) {
            off += (size_t)idx[d] * (size_t)p->x_stride[d];
        }
        src = xs + off * elem;
        for (i = 0; i < len; i++) {
            memcpy(yd, src, elem);
            yd += elem;
            src += step;
        }
        for (d = last - 1; d >= 0; d--) {
            if (++idx[d] < p->shape[d]) {
                break;
            }
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

void gen_pad(const void *x, void *y, size_t elem, const void *value, const gen_pad_params *p)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    int32_t idx[GEN_MAX_DIMS] = {0};
    int32_t x_stride[GEN_MAX_DIMS];
    int32_t d;
    x_stride[p->ndim - 1] = 1;
    for (d = p->ndim - 2; d >= 0; d--) {
        x_stride[d] = x_stride[d + 1] * p->x_shape[d + 1];
    }
    for (;;) {
        size_t off = 0;
        int inside = 1;
        for (d = 0; d < p->ndim; d++) {
            const int32_t xi = idx[d] - p->before[d];
            if (xi < 0 || xi >= p->x_shape[d]) {
                inside = 0;
                break;
            }
            off += (size_t)xi * (size_t)x_stride[d];
        }
        memcpy(yd, inside ? xs + off * elem : (const unsigned char *)value, elem);
        yd += elem;
        for (d = p->ndim - 1; d >= 0; d--) {
            if (++idx[d] < p->y_shape[d]) {
                break;
            }
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

void gen_concat_part(const void *x, void *y, size_t elem, int32_t outer, int32_t inner, int32_t y_inner,
                     int32_t offset)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    int32_t o;
    for (o = 0; o < outer; o++) {
        memcpy(yd + ((size_t)o * y_inner + offset) * elem, xs + (size_t)o * inner * elem, (size_t)inner * elem);
    }
}

/* the input index along one padded axis (xi outside [0, len)) for reflect (1), edge (2), wrap (3) */
static int32_t gen_pad_index(int32_t xi, int32_t len, int32_t mode)
{
    if (mode == 2) {
        return xi < 0 ? 0 : (xi >= len ? len - 1 : xi);
    }
    if (mode == 3) {
        xi %= len;
        return xi < 0 ? xi + len : xi;
    }
    if (len == 1) {
        return 0;
    }
    {
        const int32_t period = 2 * (len - 1);
        xi %= period;
        if (xi < 0) {
            xi += period;
        }
        return xi < len ? xi : period - xi;
    }
}

void gen_pad_mode(const void *x, void *y, size_t elem, int32_t mode, const gen_pad_params *p)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    int32_t idx[GEN_MAX_DIMS] = {0};
    int32_t x_stride[GEN_MAX_DIMS];
    int32_t d;
    x_stride[p->ndim - 1] = 1;
    for (d = p->ndim - 2; d >= 0; d--) {
        x_stride[d] = x_stride[d + 1] * p->x_shape[d + 1];
    }
    for (;;) {
        size_t off = 0;
        for (d = 0; d < p->ndim; d++) {
            int32_t xi = idx[d] - p->before[d];
            if (xi < 0 || xi >= p->x_shape[d]) {
                xi = gen_pad_index(xi, p->x_shape[d], mode);
            }
            off += (size_t)xi * (size_t)x_stride[d];
        }
        memcpy(yd, xs + off * elem, elem);
        yd += elem;
        for (d = p->ndim - 1; d >= 0; d--) {
            if (++idx[d] < p->y_shape[d]) {
                break;
            }
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

void gen_strided_copy(const void *x, void *y, size_t elem, const gen_copy_params *p)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    int32_t idx[GEN_COPY_DIMS] = {0};
    const int32_t last = p->ndim - 1;
    const int32_t len = p->shape[last];
    const int32_t step = p->stride[last];
    for (;;) {
        long off = p->offset;
        int32_t d, i;
        for (d = 0; d < last; d++) {
            off += (long)idx[d] * p->stride[d];
        }
        if (step == 1) {
            memcpy(yd, xs + (size_t)off * elem, (size_t)len * elem);
            yd += (size_t)len * elem;
        } else {
            for (i = 0; i < len; i++) {
                memcpy(yd, xs + (size_t)off * elem, elem);
                yd += elem;
                off += step;
            }
        }
        for (d = last - 1; d >= 0; d--) {
            if (++idx[d] < p->shape[d]) {
                break;
            }
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

int gen_gather_i32(const void *x, void *y, size_t elem, int32_t outer, int32_t axis_len, int32_t inner,
                   const int32_t *idx, int32_t n)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    const size_t row = (size_t)inner * elem;
    int32_t o, i;
    for (i = 0; i < n; i++) {
        if (idx[i] < -axis_len || idx[i] >= axis_len) {
            return -1;
        }
    }
    for (o = 0; o < outer; o++) {
        for (i = 0; i < n; i++) {
            const int32_t k = idx[i] < 0 ? idx[i] + axis_len : idx[i];
            memcpy(yd, xs + ((size_t)o * (size_t)axis_len + (size_t)k) * row, row);
            yd += row;
        }
    }
    return 0;
}

int gen_gather_i64(const void *x, void *y, size_t elem, int32_t outer, int32_t axis_len, int32_t inner,
                   const int64_t *idx, int32_t n)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    const size_t row = (size_t)inner * elem;
    int32_t o, i;
    for (i = 0; i < n; i++) {
        if (idx[i] < -(int64_t)axis_len || idx[i] >= (int64_t)axis_len) {
            return -1;
        }
    }
    for (o = 0; o < outer; o++) {
        for (i = 0; i < n; i++) {
            const int32_t k = (int32_t)(idx[i] < 0 ? idx[i] + axis_len : idx[i]);
            memcpy(yd, xs + ((size_t)o * (size_t)axis_len + (size_t)k) * row, row);
            yd += row;
        }
    }
    return 0;
}

void gen_take(const void *x, void *y, size_t elem, const int32_t *src, int32_t n, const void *fill)
{
    const unsigned char *xs = (const unsigned char *)x;
    unsigned char *yd = (unsigned char *)y;
    int32_t i;
    for (i = 0; i < n; i++) {
        memcpy(yd + (size_t)i * elem, src[i] >= 0 ? xs + (size_t)src[i] * elem : (const unsigned char *)fill, elem);
    }
}

void gen_scatter(const void *x, const void *u, void *y, size_t elem, int32_t size, const int32_t *dst,
                 int32_t n)
{
    const unsigned char *us = (const unsigned char *)u;
    unsigned char *yd = (unsigned char *)y;
    int32_t i;
    if (x != y) {
        memmove(yd, x, (size_t)size * elem);
    }
    for (i = 0; i < n; i++) {
        memcpy(yd + (size_t)dst[i] * elem, us + (size_t)i * elem, elem);
    }
}
