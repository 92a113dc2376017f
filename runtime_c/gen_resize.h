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

#endif
