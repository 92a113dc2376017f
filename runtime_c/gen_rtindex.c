/* gen's run-time index kernels. See gen_rtindex.h. */
#include "gen_rtindex.h"

#include "gen_index.h"

/* element i of an int32 (wide 0) or int64 (wide 1) index tensor */
static int64_t gen_rt_index(const void *idx, int32_t wide, int32_t i)
{
    return wide ? ((const int64_t *)idx)[i] : (int64_t)((const int32_t *)idx)[i];
}

/* v normalized into [0, len) (a negative one counts from the end), or -1 out of range */
static int32_t gen_rt_normalize(int64_t v, int32_t len)
{
    if (v < -(int64_t)len || v >= (int64_t)len) {
        return -1;
    }
    return (int32_t)(v < 0 ? v + len : v);
}

int gen_rt_elements_positions(const void *idx, int32_t wide, const gen_rt_elements_params *p, int32_t *pos)
{
    int32_t at[GEN_MAX_DIMS] = {0};
    int32_t i = 0;
    do {
        const int32_t k = gen_rt_normalize(gen_rt_index(idx, wide, i), p->axis_len);
        int32_t off = 0, d;
        if (k < 0) {
            return -1;
        }
        for (d = 0; d < p->ndim; d++) {
            off += (d == p->axis ? k : at[d]) * p->x_stride[d];
        }
        pos[i++] = off;
    } while (gen_index_next(at, p->shape, p->ndim));
    return 0;
}

int gen_rt_nd_positions(const void *idx, int32_t wide, const gen_rt_nd_params *p, int32_t *pos)
{
    int32_t b, j, k, r, i = 0, t = 0;
    for (b = 0; b < p->batches; b++) {
        for (j = 0; j < p->count; j++) {
            int32_t off = b * p->batch_stride;
            for (k = 0; k < p->depth; k++) {
                const int32_t v = gen_rt_normalize(gen_rt_index(idx, wide, t++), p->dim[k]);
                if (v < 0) {
                    return -1;
                }
                off += v * p->stride[k];
            }
            for (r = 0; r < p->inner; r++) {
                pos[i++] = off + r;
            }
        }
    }
    return 0;
}

int gen_rt_compress_positions(const uint8_t *cond, int32_t n_cond, int32_t outer, int32_t axis_len,
                              int32_t inner, int32_t count, int32_t *pos)
{
    int32_t c, o, r, n = 0, i = 0;
    for (c = 0; c < n_cond; c++) {
        n += cond[c] != 0;
    }
    if (n != count) {
        return -1;
    }
    for (o = 0; o < outer; o++) {
        for (c = 0; c < n_cond; c++) {
            if (cond[c] != 0) {
                for (r = 0; r < inner; r++) {
                    pos[i++] = (o * axis_len + c) * inner + r;
                }
            }
        }
    }
    return 0;
}

int gen_rt_reverse_positions(const void *lens, int32_t wide, int32_t batch_major, int32_t batch, int32_t time,
                             int32_t inner, int32_t *pos)
{
    int32_t b, t, r;
    for (b = 0; b < batch; b++) {
        const int64_t n = gen_rt_index(lens, wide, b);
        if (n < 0 || n > time) {
            return -1;
        }
    }
    for (b = 0; b < batch; b++) {
        const int32_t n = (int32_t)gen_rt_index(lens, wide, b);
        for (t = 0; t < time; t++) {
            const int32_t src = t < n ? n - 1 - t : t;
            const int32_t y = batch_major ? b * time + t : t * batch + b;
            const int32_t x = batch_major ? b * time + src : src * batch + b;
            for (r = 0; r < inner; r++) {
                pos[y * inner + r] = x * inner + r;
            }
        }
    }
    return 0;
}

int gen_rt_trilu_positions(const int64_t *k, int32_t upper, int32_t batches, int32_t rows, int32_t cols,
                           int32_t *pos)
{
    int32_t b, i, j, n = 0;
    for (b = 0; b < batches; b++) {
        for (i = 0; i < rows; i++) {
            for (j = 0; j < cols; j++) {
                const int64_t diag = (int64_t)j - i;
                const int keep = upper ? diag >= *k : diag <= *k;
                pos[n] = keep ? n : -1;
                n++;
            }
        }
    }
    return 0;
}
