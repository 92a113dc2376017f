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
