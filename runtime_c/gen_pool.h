/* gen's float32 pooling kernels beyond gen_f32_pool's 1-D and 2-D max/average: 3-D max/average pools,
 * Lp pools (1-D to 3-D, global ones included) and LRN. Written for gen; C99, no allocation, no
 * recursion. Layout NCDHW (a 1-D or 2-D pool has unit leading spatial dims).
 */
#ifndef GEN_POOL_H
#define GEN_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "gen_f32.h"

#define GEN_POOL_MAX 0
#define GEN_POOL_AVERAGE 1
#define GEN_POOL_LP 2

typedef struct {
    int32_t nc;                         /* batch x channels */
    int32_t d, h, w, od, oh, ow;        /* input and output sizes */
    int32_t kd, kh, kw, sd, sh, sw, dd, dh, dw;
    int32_t pf, pt, pl;                 /* leading pads */
    int32_t pbk, pb, pr;                /* trailing pads */
    int32_t kind;                       /* GEN_POOL_MAX, GEN_POOL_AVERAGE or GEN_POOL_LP */
    int32_t count_include_pad;          /* average: divide by the taps inside the padded input */
    float p;                            /* Lp: y = (sum |x|^p)^(1/p) */
    gen_act act;
} gen_f32_pool3_params;

/* y[nc][oz][oy][ox] = act(pool over the taps x[nc][oz*sd - pf + kz*dd][...] inside the input) */
void gen_f32_pool3(const float *x, float *y, const gen_f32_pool3_params *p);

typedef struct {
    int32_t n, c, inner;                /* inner: the product of the spatial dims */
    int32_t size;                       /* the channel window: c - (size - 1) / 2 .. c + size / 2 */
    float alpha, beta, bias;
} gen_f32_lrn_params;

/* y = x / (bias + alpha / size * sum over the channel window of x^2)^beta */
void gen_f32_lrn(const float *x, float *y, const gen_f32_lrn_params *p);

#endif
