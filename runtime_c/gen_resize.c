/* gen's Resize kernels. See gen_resize.h. */
#include "gen_resize.h"

#include "gen_nn_math.h"

#include <float.h>
#include <math.h>

void gen_resize_nearest(const void *x, void *y, size_t elem, const int32_t *rows, const int32_t *cols,
                        const gen_resize_params *p)
{
    const unsigned char *xb = (const unsigned char *)x;
    unsigned char *yb = (unsigned char *)y;
    int32_t n, c, oy, ox;
    size_t k, o = 0;
    for (n = 0; n < p->n; n++) {
        if (p->channels_last) {
            const unsigned char *xn = xb + (size_t)n * (size_t)p->h * (size_t)p->w * (size_t)p->c * elem;
            for (oy = 0; oy < p->oh; oy++) {
                for (ox = 0; ox < p->ow; ox++) {
                    const unsigned char *src = xn + ((size_t)rows[oy] * (size_t)p->w + (size_t)cols[ox]) *
                                               (size_t)p->c * elem;
                    for (k = 0; k < (size_t)p->c * elem; k++) {
                        yb[o++] = src[k];
                    }
                }
            }
            continue;
        }
        for (c = 0; c < p->c; c++) {
            const unsigned char *xc = xb + ((size_t)n * (size_t)p->c + (size_t)c) * (size_t)p->h * (size_t)p->w * elem;
            for (oy = 0; oy < p->oh; oy++) {
                const unsigned char *xr = xc + (size_t)rows[oy] * (size_t)p->w * elem;
                for (ox = 0; ox < p->ow; ox++) {
                    const unsigned char *src = xr + (size_t)cols[ox] * elem;
                    for (k = 0; k < elem; k++) {
                        yb[o++] = src[k];
                    }
                }
            }
        }
    }
}

void gen_f32_resize_linear(const float *x, float *y, const int32_t *rows0, const int32_t *rows1, const float *wrows,
                           const int32_t *cols0, const int32_t *cols1, const float *wcols,
                           const gen_resize_params *p)
{
    int32_t nc, oy, ox;
    size_t o = 0;
    for (nc = 0; nc < p->n * p->c; nc++) {
        const float *xc = x + (size_t)nc * (size_t)p->h * (size_t)p->w;
        for (oy = 0; oy < p->oh; oy++) {
            const float *r0 = xc + (size_t)rows0[oy] * (size_t)p->w;
            const float *r1 = xc + (size_t)rows1[oy] * (size_t)p->w;
            float wy0 = wrows[oy], wy1 = wrows[p->oh + oy];
            for (ox = 0; ox < p->ow; ox++) {
                float wx0 = wcols[ox], wx1 = wcols[p->ow + ox];
                int32_t c0 = cols0[ox], c1 = cols1[ox];
                y[o++] = wx0 * wy0 * r0[c0] + wx1 * wy0 * r0[c1] + wx0 * wy1 * r1[c0] + wx1 * wy1 * r1[c1];
            }
        }
    }
}

void gen_f32_resize_cubic(const float *x, float *y, const int32_t *rows, const float *wrows, const int32_t *cols,
                          const float *wcols, const gen_resize_params *p)
{
    int32_t nc, oy, ox, t, u;
    size_t o = 0;
    for (nc = 0; nc < p->n * p->c; nc++) {
        const float *xc = x + (size_t)nc * (size_t)p->h * (size_t)p->w;
        for (oy = 0; oy < p->oh; oy++) {
            for (ox = 0; ox < p->ow; ox++) {
                float acc = 0.0f;
                for (t = 0; t < 4; t++) {
                    const float *r = xc + (size_t)rows[4 * oy + t] * (size_t)p->w;
                    float row = 0.0f;
                    for (u = 0; u < 4; u++) {
                        row += wcols[4 * ox + u] * r[cols[4 * ox + u]];
                    }
                    acc += wrows[4 * oy + t] * row;
                }
                y[o++] = acc;
            }
        }
    }
}

void gen_f32_resize_taps(const float *x, float *y, const int32_t *rows, const float *wrows, int32_t kr,
                         const int32_t *cols, const float *wcols, int32_t kc, const gen_resize_params *p)
{
    int32_t nc, oy, ox, t, u;
    size_t o = 0;
    for (nc = 0; nc < p->n * p->c; nc++) {
        const float *xc = x + (size_t)nc * (size_t)p->h * (size_t)p->w;
        for (oy = 0; oy < p->oh; oy++) {
            for (ox = 0; ox < p->ow; ox++) {
                float acc = 0.0f;
                for (t = 0; t < kr; t++) {
                    const float *r = xc + (size_t)rows[kr * oy + t] * (size_t)p->w;
                    float row = 0.0f;
                    for (u = 0; u < kc; u++) {
                        row += wcols[kc * ox + u] * r[cols[kc * ox + u]];
                    }
                    acc += wrows[kr * oy + t] * row;
                }
                y[o++] = acc;
            }
        }
    }
}

/* the blend of one output element's four taps (weights w00 + w01 + w10 + w11 == 2^22) */
static int8_t gen_s8_resize_blend(int32_t a, int32_t b, int32_t c, int32_t d, int32_t w00, int32_t w01,
                                  int32_t w10, int32_t w11, const gen_s8_resize_quant *q)
{
    const int32_t off = q->in_offset;
    const int32_t acc = w00 * (a + off) + w01 * (b + off) + w10 * (c + off) + w11 * (d + off);
    int32_t r = gen_nn_requantize(acc, q->mult, q->shift) + q->out_offset;
    r = r < q->lo ? q->lo : r;
    r = r > q->hi ? q->hi : r;
    return (int8_t)r;
}

void gen_s8_resize_linear(const int8_t *x, int8_t *y, const int32_t *rows0, const int32_t *rows1,
                          const int16_t *wrows, const int32_t *cols0, const int32_t *cols1, const int16_t *wcols,
                          const gen_resize_params *p, const gen_s8_resize_quant *q)
{
    const int32_t plane = p->h * p->w;
    int32_t n, c, oy, ox;
    size_t o = 0;
    for (n = 0; n < p->n; n++) {
        const int8_t *xn = x + (size_t)n * (size_t)plane * (size_t)p->c;
        if (p->channels_last) {
            for (oy = 0; oy < p->oh; oy++) {
                const int8_t *r0 = xn + (size_t)rows0[oy] * (size_t)p->w * (size_t)p->c;
                const int8_t *r1 = xn + (size_t)rows1[oy] * (size_t)p->w * (size_t)p->c;
                const int32_t wy0 = wrows[oy], wy1 = GEN_RESIZE_ONE - wy0;
                for (ox = 0; ox < p->ow; ox++) {
                    const int32_t wx0 = wcols[ox], wx1 = GEN_RESIZE_ONE - wx0;
                    const size_t c0 = (size_t)cols0[ox] * (size_t)p->c, c1 = (size_t)cols1[ox] * (size_t)p->c;
                    const int32_t w00 = wy0 * wx0, w01 = wy0 * wx1, w10 = wy1 * wx0, w11 = wy1 * wx1;
                    for (c = 0; c < p->c; c++) {
                        y[o++] = gen_s8_resize_blend(r0[c0 + (size_t)c], r0[c1 + (size_t)c], r1[c0 + (size_t)c],
                                                     r1[c1 + (size_t)c], w00, w01, w10, w11, q);
                    }
                }
            }
            continue;
        }
        for (c = 0; c < p->c; c++) {
            const int8_t *xc = xn + (size_t)c * (size_t)plane;
            for (oy = 0; oy < p->oh; oy++) {
                const int8_t *r0 = xc + (size_t)rows0[oy] * (size_t)p->w;
                const int8_t *r1 = xc + (size_t)rows1[oy] * (size_t)p->w;
                const int32_t wy0 = wrows[oy], wy1 = GEN_RESIZE_ONE - wy0;
                for (ox = 0; ox < p->ow; ox++) {
                    const int32_t wx0 = wcols[ox], wx1 = GEN_RESIZE_ONE - wx0;
                    const int32_t c0 = cols0[ox], c1 = cols1[ox];
                    y[o++] = gen_s8_resize_blend(r0[c0], r0[c1], r1[c0], r1[c1], wy0 * wx0, wy0 * wx1, wy1 * wx0,
                                                 wy1 * wx1, q);
                }
            }
        }
    }
}

/* ---------------------------------------------------------------- run-time scales (see gen_resize.h) */

/* the source coordinate of output index x along an axis of in_len -> out_len by scale; len is the
 * output length in * scale before flooring (== out_len unless the ONNX reference's fractional form) */
static float gen_resize_coord(int32_t coord, int32_t x, int32_t in_len, int32_t out_len, float scale, double len,
                              float start, float end)
{
    const float xr = (float)x;
    switch (coord) {
    case GEN_RESIZE_TF_CROP_AND_RESIZE:
        if (len != (double)out_len) {           /* the reference's fractional output length */
            return (float)(len == 1.0 ? (double)(end - start) * (double)(in_len - 1) / 2.0 + (double)start *
                           (double)(in_len - 1) : (double)x * (double)(end - start) * (double)(in_len - 1) /
                           (len - 1.0) + (double)start * (double)(in_len - 1));
        }
        return out_len > 1 ? start * (float)(in_len - 1) + xr * (end - start) * (float)(in_len - 1) /
                             (float)(out_len - 1) : 0.5f * (start + end) * (float)(in_len - 1);
    case GEN_RESIZE_HALF_PIXEL_SYMMETRIC: {
        const float adjustment = (float)out_len / (scale * (float)in_len);
        const float offset = (float)in_len / 2.0f * (1.0f - adjustment);
        return offset + (xr + 0.5f) / scale - 0.5f;
    }
    case GEN_RESIZE_PYTORCH_HALF_PIXEL:
        if (len != (double)out_len) {           /* the reference: -0.5 only where in * scale is 1 */
            return (xr + 0.5f) / scale - 0.5f;
        }
        return out_len > 1 ? (xr + 0.5f) / scale - 0.5f : 0.0f;
    case GEN_RESIZE_ALIGN_CORNERS:
        if (len != (double)out_len) {           /* the reference's fractional output length */
            return len == 1.0 ? 0.0f : (float)((double)x * (double)(in_len - 1) / (len - 1.0));
        }
        return out_len == 1 ? 0.0f : xr * (float)(in_len - 1) / (float)(out_len - 1);
    case GEN_RESIZE_ASYMMETRIC:
        return xr / scale;
    default:                                    /* half_pixel */
        return (xr + 0.5f) / scale - 0.5f;
    }
}

static int32_t gen_resize_clamp_index(float i, int32_t in_len)
{
    if (i < 0.0f) {
        return 0;
    }
    if (i > (float)(in_len - 1)) {
        return in_len - 1;
    }
    return (int32_t)i;
}

static int32_t gen_resize_nearest_index(int32_t mode, float x, int32_t in_len)
{
    float i;
    const float away = (x < 0.0f ? -1.0f : x > 0.0f ? 1.0f : 0.0f) * floorf(fabsf(x) + 0.5f);
    if (mode == GEN_RESIZE_ROUND_PREFER_FLOOR) {
        i = x == floorf(x) + 0.5f ? floorf(x) : away;
    } else if (mode == GEN_RESIZE_ROUND_PREFER_CEIL) {
        i = away;
    } else if (mode == GEN_RESIZE_FLOOR) {
        i = floorf(x);
    } else {
        i = ceilf(x);
    }
    return gen_resize_clamp_index(i, in_len);
}

/* one axis's table (the layout of gen_resize_tables) */
static void gen_resize_axis(const gen_resize_rt *rt, int32_t in_len, int32_t out_len, float scale, double len,
                            float start, float end, int32_t *idx, float *w, int32_t *outside)
{
    int32_t o, t;
    for (o = 0; o < out_len; o++) {
        float x = gen_resize_coord(rt->coord, o, in_len, out_len, scale, len, start, end);
        if (outside != NULL) {
            outside[o] = x < 0.0f || x > (float)(in_len - 1);
        }
        if (rt->mode == GEN_RESIZE_NEAREST) {
            idx[o] = gen_resize_nearest_index(rt->nearest_mode, x, in_len);
        } else if (rt->mode == GEN_RESIZE_LINEAR) {
            int32_t i0, i1;
            float d0, d1;
            x = x < 0.0f ? 0.0f : x > (float)(in_len - 1) ? (float)(in_len - 1) : x;
            i0 = (int32_t)x < in_len - 1 ? (int32_t)x : in_len - 1;
            i1 = i0 + 1 < in_len - 1 ? i0 + 1 : in_len - 1;
            d0 = fabsf(x - (float)i0);
            d1 = fabsf(x - (float)i1);
            if (i0 == i1) {
                d0 = 0.5f;
                d1 = 0.5f;
            }
            idx[o] = i0;
            idx[out_len + o] = i1;
            w[o] = d1;
            w[out_len + o] = d0;
        } else {
            const double a = (double)rt->cubic_a;
            const float fb = floorf(x);
            const int32_t base = (int32_t)fb;
            const double s = (double)fabsf(x - fb);
            const double t0 = s + 1.0, t1 = s, t2 = 1.0 - s, t3 = 2.0 - s;
            float sum = 0.0f;
            w[4 * o] = (float)(((a * t0 - 5.0 * a) * t0 + 8.0 * a) * t0 - 4.0 * a);
            w[4 * o + 1] = (float)((((a + 2.0) * t1 - (a + 3.0)) * t1 * t1) + 1.0);
            w[4 * o + 2] = (float)((((a + 2.0) * t2 - (a + 3.0)) * t2 * t2) + 1.0);
            w[4 * o + 3] = (float)(((a * t3 - 5.0 * a) * t3 + 8.0 * a) * t3 - 4.0 * a);
            for (t = 0; t < 4; t++) {
                const int32_t i = base - 1 + t;
                if (rt->exclude_outside && (i < 0 || i >= in_len)) {
                    w[4 * o + t] = 0.0f;
                }
                sum += w[4 * o + t];
                idx[4 * o + t] = i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
            }
            if (rt->exclude_outside) {
                for (t = 0; t < 4; t++) {
                    w[4 * o + t] = w[4 * o + t] / sum;
                }
            }
        }
    }
}

/* the tables for scales whose lengths were checked; round: the lengths are round(scale * in)
 * (keep_aspect_ratio_policy), else floor(in * scale) */
static int gen_resize_build(const float *scales, const float *roi, const int32_t *in_dims, const int32_t *out_dims,
                            const gen_resize_rt *rt, const gen_resize_params *p, int32_t *rows, float *wrows,
                            int32_t *cols, float *wcols, int32_t *outside, int round)
{
    float sh = 1.0f, sw = 1.0f, h0 = 0.0f, h1 = 1.0f, w0 = 0.0f, w1 = 1.0f;
    double lh = (double)p->oh, lw = (double)p->ow;
    int32_t k;
    for (k = 0; k < rt->count; k++) {
        const float s = scales[k];
        const float r0 = roi != NULL ? roi[k] : 0.0f, r1 = roi != NULL ? roi[rt->count + k] : 1.0f;
        const int given = rt->lengths_given || round;
        const double len = given ? (double)out_dims[k] : (double)in_dims[k] * (double)s;
        if (!(s > 0.0f) || !(s <= FLT_MAX) || !(r0 == r0) || !(r1 == r1)) {
            return -1;                          /* not positive, NaN or infinite */
        }
        if (round ? floor((double)(s * (float)in_dims[k]) + 0.5) != (double)out_dims[k]
                  : !rt->lengths_given && floor(len) != (double)out_dims[k]) {
            return -1;                          /* a length other than the compiled one */
        }
        if (k == rt->entry_h) {
            sh = s;
            lh = len;
            h0 = r0;
            h1 = r1;
        } else if (k == rt->entry_w) {
            sw = s;
            lw = len;
            w0 = r0;
            w1 = r1;
        } else if (in_dims[k] > 1 && (s != 1.0f || r0 != 0.0f || r1 != 1.0f)) {
            return -1;                          /* only h and w resample */
        }
    }
    gen_resize_axis(rt, p->h, p->oh, sh, lh, h0, h1, rows, wrows, outside);
    gen_resize_axis(rt, p->w, p->ow, sw, lw, w0, w1, cols, wcols, outside != NULL ? outside + p->oh : NULL);
    return 0;
}

int gen_resize_tables(const float *scales, const float *roi, const int32_t *in_dims, const int32_t *out_dims,
                      const gen_resize_rt *rt, const gen_resize_params *p, int32_t *rows, float *wrows,
                      int32_t *cols, float *wcols, int32_t *outside)
{
    return gen_resize_build(scales, roi, in_dims, out_dims, rt, p, rows, wrows, cols, wcols, outside, 0);
}

void gen_f32_resize_extrapolate(float *y, const int32_t *outside, float value, const gen_resize_params *p)
{
    int32_t nc, oy, ox;
    size_t o = 0;
    for (nc = 0; nc < p->n * p->c; nc++) {
        for (oy = 0; oy < p->oh; oy++) {
            for (ox = 0; ox < p->ow; ox++) {
                if (outside[oy] || outside[p->oh + ox]) {
                    y[o] = value;
                }
                o++;
            }
        }
    }
}

int gen_resize_tables_sizes(const int64_t *sizes, float *scales, const float *roi, const int32_t *in_dims,
                            const int32_t *out_dims, const gen_resize_rt *rt, const gen_resize_params *p,
                            int32_t *rows, float *wrows, int32_t *cols, float *wcols, int32_t *outside)
{
    float s = 0.0f;
    int32_t k;
    for (k = 0; k < rt->count; k++) {
        float r;
        if (sizes[k] < 1 || sizes[k] > (int64_t)1 << 24) {
            return -1;                          /* not a length (or not exact as a float) */
        }
        r = (float)sizes[k] / (float)in_dims[k];
        if (k == 0 || (rt->policy == GEN_RESIZE_NOT_LARGER ? r < s : r > s)) {
            s = r;
        }
    }
    for (k = 0; k < rt->count; k++) {
        scales[k] = s;
    }
    return gen_resize_build(scales, roi, in_dims, out_dims, rt, p, rows, wrows, cols, wcols, outside, 1);
}
