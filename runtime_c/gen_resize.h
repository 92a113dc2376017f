/* gen's Resize kernels (4-D: nearest of any element size, bilinear float32). Written for gen; C99, no
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

#endif
