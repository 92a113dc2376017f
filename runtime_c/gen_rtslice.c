/* gen's Slice and Pad with run-time parameters. See gen_rtslice.h. */
#include "gen_rtslice.h"

static int64_t gen_rts_value(const void *v, int32_t wide, int32_t i)
{
    return wide ? ((const int64_t *)v)[i] : (int64_t)((const int32_t *)v)[i];
}

/* an axis normalized into [0, ndim), or -1 */
static int32_t gen_rts_axis(int64_t a, int32_t ndim)
{
    if (a < -(int64_t)ndim || a >= (int64_t)ndim) {
        return -1;
    }
    return (int32_t)(a < 0 ? a + ndim : a);
}

static int64_t gen_rts_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

int gen_rt_slice(const void *x, void *y, size_t elem, const gen_rt_slice_params *p, const void *starts,
                 const void *ends, const void *axes, const void *steps)
{
    int32_t start[GEN_COPY_DIMS], step[GEN_COPY_DIMS], seen[GEN_COPY_DIMS];
    gen_copy_params c;
    int32_t a, i, k;
    for (a = 0; a < p->ndim; a++) {
        start[a] = 0;
        step[a] = 1;
        seen[a] = 0;
    }
    for (i = 0; i < p->n; i++) {
        const int32_t ax = gen_rts_axis(axes ? gen_rts_value(axes, p->wide_axes, i) : i, p->ndim);
        const int64_t st = steps ? gen_rts_value(steps, p->wide_steps, i) : 1;
        int64_t d, s, e, n;
        if (ax < 0 || seen[ax] || st == 0) {
            return -1;
        }
        seen[ax] = 1;
        d = p->x_dim[ax];
        s = gen_rts_value(starts, p->wide_starts, i);
        e = gen_rts_value(ends, p->wide_ends, i);
        s = s < 0 ? s + d : s;     /* int64 parameters near INT64_MIN stay below 0: clamped below */
        e = e < 0 ? e + d : e;
        if (st > 0) {
            s = gen_rts_clamp(s, 0, d);
            e = gen_rts_clamp(e, 0, d);
            n = e > s ? (e - s - 1) / st + 1 : 0;
        } else {
            s = gen_rts_clamp(s, 0, d - 1);
            e = gen_rts_clamp(e, -1, d - 1);
            n = s > e ? (s - e - 1) / (st < -d ? d + 1 : -st) + 1 : 0;   /* no -INT64_MIN */
        }
        if (n != p->y_dim[ax]) {
            return -1;
        }
        start[ax] = (int32_t)s;
        step[ax] = n > 1 ? (int32_t)st : 1;    /* n > 1: |st| < d */
    }
    for (a = 0; a < p->ndim; a++) {
        if (!seen[a] && p->x_dim[a] != p->y_dim[a]) {
            return -1;
        }
    }
    c.ndim = p->ndim;
    c.offset = 0;
    for (k = 0; k < p->ndim; k++) {
        a = p->order[k];
        c.offset += start[a] * p->x_stride[a];
        c.shape[k] = p->y_dim[a];
        c.stride[k] = step[a] * p->x_stride[a];
    }
    for (; k < GEN_COPY_DIMS; k++) {
        c.shape[k] = 1;
        c.stride[k] = 0;
    }
    gen_strided_copy(x, y, elem, &c);
    return 0;
}

int gen_rt_pad(const void *x, void *y, size_t elem, const void *value, const gen_rt_pad_params *p,
               const void *pads, const void *axes)
{
    int32_t before[GEN_MAX_DIMS], seen[GEN_MAX_DIMS];
    gen_pad_params q;
    int32_t a, i, k;
    for (a = 0; a < p->ndim; a++) {
        before[a] = 0;
        seen[a] = 0;
    }
    for (i = 0; i < p->n_axes; i++) {
        const int32_t ax = gen_rts_axis(axes ? gen_rts_value(axes, p->wide_axes, i) : i, p->ndim);
        int64_t d, b, e;
        if (ax < 0 || seen[ax]) {
            return -1;
        }
        seen[ax] = 1;
        d = p->x_dim[ax];
        b = gen_rts_value(pads, p->wide_pads, i);
        e = gen_rts_value(pads, p->wide_pads, i + p->n_axes);
        if (b < -d || e < -d || b > p->y_dim[ax] || e > p->y_dim[ax] || b + d + e != p->y_dim[ax]) {
            return -1;
        }
        if (p->mode != 0 && (b < 0 || e < 0 || (p->mode == 1 && (b > d - 1 || e > d - 1)))) {
            return -1;      /* a crop, or a reflection longer than the axis: not in these modes */
        }
        before[ax] = (int32_t)b;
    }
    for (a = 0; a < p->ndim; a++) {
        if (!seen[a] && p->x_dim[a] != p->y_dim[a]) {
            return -1;
        }
    }
    q.ndim = p->ndim;
    for (k = 0; k < p->ndim; k++) {
        a = p->order[k];
        q.y_shape[k] = p->y_dim[a];
        q.x_shape[k] = p->x_dim[a];
        q.before[k] = before[a];
    }
    for (; k < GEN_MAX_DIMS; k++) {
        q.y_shape[k] = 1;
        q.x_shape[k] = 1;
        q.before[k] = 0;
    }
    if (p->mode == 0) {
        gen_pad(x, y, elem, value, &q);
    } else {
        gen_pad_mode(x, y, elem, p->mode, &q);
    }
    return 0;
}
