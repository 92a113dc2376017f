/* gen's layout kernels: transpose, constant pad and concat on elements of any size (float or int8).
 * Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_LAYOUT_H
#define GEN_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#ifndef GEN_MAX_DIMS
#define GEN_MAX_DIMS 6
#endif

typedef struct {
    int32_t ndim;
    int32_t shape[GEN_MAX_DIMS];      /* output shape */
    int32_t x_stride[GEN_MAX_DIMS];   /* input stride (elements) for each output dim */
} gen_transpose_params;

void gen_transpose(const void *x, void *y, size_t elem, const gen_transpose_params *p);

typedef struct {
    int32_t ndim;
    int32_t y_shape[GEN_MAX_DIMS];
    int32_t x_shape[GEN_MAX_DIMS];
    int32_t before[GEN_MAX_DIMS];     /* may be negative (crop) */
} gen_pad_params;

/* constant pad: value points at one element of size elem */
void gen_pad(const void *x, void *y, size_t elem, const void *value, const gen_pad_params *p);

/* copies x, of [outer, inner] elements, into y at column offset in rows of y_inner */
void gen_concat_part(const void *x, void *y, size_t elem, int32_t outer, int32_t inner, int32_t y_inner,
                     int32_t offset);

#endif
