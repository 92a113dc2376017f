/* gen's layout kernels: transpose, pad, concat, strided copies and gathers on elements of any size
 * (float, int8 or integers).
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


/* pad modes other than constant: 1 reflect, 2 edge, 3 wrap */
void gen_pad_mode(const void *x, void *y, size_t elem, int32_t mode, const gen_pad_params *p);

#ifndef GEN_COPY_DIMS
#define GEN_COPY_DIMS 8
#endif

typedef struct {
    int32_t ndim;
    int32_t offset;                    /* input element the first output element copies */
    int32_t shape[GEN_COPY_DIMS];      /* output loop sizes, outermost first */
    int32_t stride[GEN_COPY_DIMS];     /* input step (elements, may be 0 or negative) per loop */
} gen_copy_params;

/* y[i0, ..., in] = x[offset + sum_k ik * stride[k]], y written in order: Slice, Split, Expand, Tile,
 * DepthToSpace, SpaceToDepth */
void gen_strided_copy(const void *x, void *y, size_t elem, const gen_copy_params *p);

/* Gather along one axis of x viewed as [outer, axis_len, inner] with n indices. The indices are
 * int32 (constants) or int64 (run time): a negative index counts from the end; an index out of
 * range returns -1 (nothing written), else 0. */
int gen_gather_i32(const void *x, void *y, size_t elem, int32_t outer, int32_t axis_len, int32_t inner,
                   const int32_t *idx, int32_t n);
int gen_gather_i64(const void *x, void *y, size_t elem, int32_t outer, int32_t axis_len, int32_t inner,
                   const int64_t *idx, int32_t n);

/* y[i] = x[src[i]] for src[i] >= 0, else *fill (n elements): GatherElements, GatherND, Compress,
 * ReverseSequence and Trilu with constant indices */
void gen_take(const void *x, void *y, size_t elem, const int32_t *src, int32_t n, const void *fill);

/* y = x (size elements), then y[dst[i]] = u[i] for the n updates (ScatterND, ScatterElements) */
void gen_scatter(const void *x, const void *u, void *y, size_t elem, int32_t size, const int32_t *dst,
                 int32_t n);

#endif
