/* gen's Resize kernels (nearest of any element size, bilinear and bicubic
 * float32, bilinear int8). Written for gen; C99, no
 * allocation, no recursion.
 *
 * The generator computes the source coordinates as onnxruntime does and writes them as tables
 * (one entry per output row and per output column): the kernels only gather (nearest) or blend
 * four taps (bilinear). Layout: NCHW, or channels last ([n][h][w][c]) when channels_last is set.
 */
#ifndef GEN_RESIZE_H
#define GEN_RESIZE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int32_t n, c, h, w, oh, ow;
    int32_t channels_last;
} gen_resize_params;

/* nearest: y[n][c][oy][ox] = x[n][c][rows[oy]][cols[ox]], elem bytes an element (float or int8) */
void gen_resize_nearest(const void *x, void *y, size_t elem, const int32_t *rows, const int32_t *cols,
                        const gen_resize_params *p);

/* bilinear, float32, NCHW: rows0/rows1 the two source rows of each output row, wrows[oy] and
 * wrows[oh + oy] their weights (cols likewise) */
void gen_f32_resize_linear(const float *x, float *y, const int32_t *rows0, const int32_t *rows1, const float *wrows,
                           const int32_t *cols0, const int32_t *cols1, const float *wcols,
                           const gen_resize_params *p);

/* bicubic, float32, NCHW: rows[4 * oy + t] (t = 0..3) the four source rows of output row oy, already
 * clamped to the input, wrows[4 * oy + t] their weights (cols likewise);
 * y = sum over t of wrows[t] * (sum over u of wcols[u] * x[rows[t]][cols[u]]) */
void gen_f32_resize_cubic(const float *x, float *y, const int32_t *rows, const float *wrows, const int32_t *cols,
                          const float *wcols, const gen_resize_params *p);

/* antialiased bilinear or bicubic, float32, NCHW: rows[kr * oy + t] (t = 0..kr-1) the kr source rows of
 * output row oy, already clamped to the input, wrows[kr * oy + t] their weights (cols likewise, kc taps);
 * y = sum over t of wrows[t] * (sum over u of wcols[u] * x[rows[t]][cols[u]]) */
void gen_f32_resize_taps(const float *x, float *y, const int32_t *rows, const float *wrows, int32_t kr,
                         const int32_t *cols, const float *wcols, int32_t kc, const gen_resize_params *p);

/* bilinear, int8, in integers: the weight of rows0[oy] is wrows[oy] / GEN_RESIZE_ONE, that of rows1[oy]
 * is (GEN_RESIZE_ONE - wrows[oy]) / GEN_RESIZE_ONE (cols likewise), so the four tap weights of an
 * output sum to exactly GEN_RESIZE_ONE^2 = 2^22 and
 *     acc = sum over the taps of wrow * wcol * (x + in_offset)        (|acc| <= 255 * 2^22 < 2^31)
 *     y   = clamp(requantize(acc, mult, shift) + out_offset, lo, hi)
 * with mult/shift = QuantizeMultiplier(in_scale / out_scale / 2^22) and CMSIS-NN's double rounding. */
#define GEN_RESIZE_ONE 2048
typedef struct {
    int32_t in_offset;   /* minus the input zero point */
    int32_t mult, shift;
    int32_t out_offset;  /* the output zero point */
    int32_t lo, hi;      /* the output range */
} gen_s8_resize_quant;

void gen_s8_resize_linear(const int8_t *x, int8_t *y, const int32_t *rows0, const int32_t *rows1,
                          const int16_t *wrows, const int32_t *cols0, const int32_t *cols1, const int16_t *wcols,
                          const gen_resize_params *p, const gen_s8_resize_quant *q);

/* Run-time scales (a Resize whose scales arrive as a graph input, or whose sizes do with a
 * keep_aspect_ratio_policy): the output shape is static, the source tables are computed per call
 * from the scale values with the float32 arithmetic gen/ops/resize.py uses at generation time, into
 * arena scratch, and the kernels above run on them. */
#define GEN_RESIZE_NEAREST 0
#define GEN_RESIZE_LINEAR 1
#define GEN_RESIZE_CUBIC 2

#define GEN_RESIZE_HALF_PIXEL 0
#define GEN_RESIZE_HALF_PIXEL_SYMMETRIC 1
#define GEN_RESIZE_PYTORCH_HALF_PIXEL 2
#define GEN_RESIZE_ALIGN_CORNERS 3
#define GEN_RESIZE_ASYMMETRIC 4
#define GEN_RESIZE_TF_CROP_AND_RESIZE 5

#define GEN_RESIZE_ROUND_PREFER_FLOOR 0
#define GEN_RESIZE_ROUND_PREFER_CEIL 1
#define GEN_RESIZE_FLOOR 2
#define GEN_RESIZE_CEIL 3

#define GEN_RESIZE_STRETCH 0
#define GEN_RESIZE_NOT_LARGER 1
#define GEN_RESIZE_NOT_SMALLER 2

typedef struct {
    int32_t mode;            /* GEN_RESIZE_NEAREST, _LINEAR, _CUBIC */
    int32_t coord;           /* coordinate_transformation_mode, GEN_RESIZE_HALF_PIXEL ... */
    int32_t nearest_mode;    /* GEN_RESIZE_ROUND_PREFER_FLOOR ... */
    int32_t exclude_outside;
    float cubic_a;
    int32_t count;           /* entries of scales (or sizes) */
    int32_t entry_h, entry_w; /* the entries that scale the resized axes h and w (-1: none, scale 1) */
    int32_t policy;          /* keep_aspect_ratio_policy of run-time sizes (GEN_RESIZE_STRETCH: scales) */
    int32_t lengths_given;   /* 1: the scales are the generator's (constant scales or sizes), not checked */
    float extrapolation_value; /* tf_crop_and_resize: the value of an output whose source is outside */
} gen_resize_rt;

/* Run-time scales[0..count) for the axes of in_dims[0..count) -> out_dims[0..count) (the static
 * shape): returns -1 unless every scale is finite and positive and gives its axis's static length,
 * floor(in * scale) (an axis other than h and w longer than 1 must have scale 1: only h and w
 * resample). tf_crop_and_resize reads roi[0..2 * count) (the starts, then the ends, of the entries'
 * axes; an axis other than h and w longer than 1 must have 0 and 1) and flags in outside[oh + ow]
 * the rows, then the columns, whose source lies outside the input; roi and outside are NULL for the
 * other modes. Else writes the tables of the resized axes and returns 0:
 *   nearest  rows[oh], cols[ow]
 *   linear   rows[2 * oh] (rows0, then rows1), wrows[2 * oh] (their weights); cols likewise
 *   cubic    rows[4 * oh], wrows[4 * oh]; cols likewise
 * Where onnxruntime and the ONNX reference disagree (align_corners or pytorch_half_pixel with a
 * fractional in * scale, a scale other than 1 that keeps a length) the tables follow the ONNX
 * reference (the spec). */
int gen_resize_tables(const float *scales, const float *roi, const int32_t *in_dims, const int32_t *out_dims,
                      const gen_resize_rt *rt, const gen_resize_params *p, int32_t *rows, float *wrows,
                      int32_t *cols, float *wcols, int32_t *outside);

/* keep_aspect_ratio_policy not_larger / not_smaller with run-time sizes[0..count): the one scale
 * min (max) over the entries of float32(sizes[k]) / float32(in_dims[k]) written to every entry of
 * scales[0..count); returns -1 unless that scale gives each axis its static length out_dims[k],
 * round(scale * in) (halves up), then gen_resize_tables' result for those scales. */
int gen_resize_tables_sizes(const int64_t *sizes, float *scales, const float *roi, const int32_t *in_dims,
                            const int32_t *out_dims, const gen_resize_rt *rt, const gen_resize_params *p,
                            int32_t *rows, float *wrows, int32_t *cols, float *wcols, int32_t *outside);

/* tf_crop_and_resize: y[n][c][oy][ox] = value where outside[oy] or outside[oh + ox] (NCHW float32) */
void gen_f32_resize_extrapolate(float *y, const int32_t *outside, float value, const gen_resize_params *p);

#endif
