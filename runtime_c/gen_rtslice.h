/* gen's Slice and Pad with their parameters (starts, ends, axes, steps; pads, axes, constant value)
 * read at run time. The output shape is fixed at generation time: each kernel computes the ranges
 * as ONNX says (clamped), returns -1 without writing y when they give another output shape (or a
 * parameter is out of range: an axis, a step of 0, a pad the mode cannot take), else copies and
 * returns 0. Written for gen; C99, no allocation, no recursion. */
#ifndef GEN_RTSLICE_H
#define GEN_RTSLICE_H

#include <stddef.h>
#include <stdint.h>

#include "gen_layout.h"

/* parameter arrays are int32 (wide 0) or int64 (wide 1) */
typedef struct {
    int32_t ndim;
    int32_t x_dim[GEN_COPY_DIMS];     /* input dims, model order */
    int32_t x_stride[GEN_COPY_DIMS];  /* element stride of each model axis in x's memory */
    int32_t y_dim[GEN_COPY_DIMS];     /* the output dims, model order */
    int32_t order[GEN_COPY_DIMS];     /* the model axis of each memory axis of y, outermost first */
    int32_t n;                        /* entries of starts and ends (and of axes, steps when given) */
    int32_t wide_starts;
    int32_t wide_ends;
    int32_t wide_axes;
    int32_t wide_steps;
} gen_rt_slice_params;

/* axes NULL: 0 .. n-1; steps NULL: 1 */
int gen_rt_slice(const void *x, void *y, size_t elem, const gen_rt_slice_params *p, const void *starts,
                 const void *ends, const void *axes, const void *steps);

typedef struct {
    int32_t ndim;
    int32_t x_dim[GEN_MAX_DIMS];      /* model order */
    int32_t y_dim[GEN_MAX_DIMS];
    int32_t order[GEN_MAX_DIMS];      /* the model axis of each memory axis, outermost first */
    int32_t mode;                     /* 0 constant, 1 reflect, 2 edge, 3 wrap */
    int32_t n_axes;                   /* pads has 2 * n_axes entries: the befores, then the afters */
    int32_t wide_pads;
    int32_t wide_axes;
} gen_rt_pad_params;

/* axes NULL: 0 .. n_axes-1; value: one element (mode constant) */
int gen_rt_pad(const void *x, void *y, size_t elem, const void *value, const gen_rt_pad_params *p,
               const void *pads, const void *axes);

#endif
