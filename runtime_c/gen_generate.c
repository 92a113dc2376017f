/* gen's tensor generators (see gen_generate.h). Written for gen; C99. */
#include "gen_generate.h"

#include <math.h>
#include <string.h>

void gen_generate_copy(const void *src, void *dst, int32_t nbytes)
{
    if (nbytes > 0) {
        memcpy(dst, src, (size_t)nbytes);
    }
}

int gen_range_f32(const float *start, const float *limit, const float *delta, float *y, int32_t n)
{
    double count;
    int32_t i;
    if (!(*delta != 0.0f)) {
        return -1;
    }
    count = ceil(((double)*limit - (double)*start) / (double)*delta);
    if (!(count > 0.0)) {
        count = 0.0;
    }
    if (count != (double)n) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        y[i] = *start + (float)i * *delta;
    }
    return 0;
}

/* the element count of an integer Range, computed without overflow; -1 for delta 0 or a count past n */
static int64_t range_count_i64(int64_t start, int64_t limit, int64_t delta)
{
    uint64_t span, step;
    if (delta == 0) {
        return -1;
    }
    if (delta > 0) {
        if (limit <= start) {
            return 0;
        }
        span = (uint64_t)limit - (uint64_t)start;
        step = (uint64_t)delta;
    } else {
        if (limit >= start) {
            return 0;
        }
        span = (uint64_t)start - (uint64_t)limit;
        step = (uint64_t)(-(delta + 1)) + 1u;
    }
    span = (span - 1u) / step + 1u;
    return span > (uint64_t)INT32_MAX ? -1 : (int64_t)span;
}

int gen_range_i64(const int64_t *start, const int64_t *limit, const int64_t *delta, int64_t *y, int32_t n)
{
    int32_t i;
    if (range_count_i64(*start, *limit, *delta) != (int64_t)n) {
        return -1;
    }
    for (i = 0; i < n; i++) {     /* every value lies between start and limit; unsigned steps do not overflow */
        y[i] = (int64_t)((uint64_t)*start + (uint64_t)i * (uint64_t)*delta);
    }
    return 0;
}

int gen_range_i32(const int32_t *start, const int32_t *limit, const int32_t *delta, int32_t *y, int32_t n)
{
    int32_t i;
    if (range_count_i64(*start, *limit, *delta) != (int64_t)n) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        y[i] = (int32_t)((int64_t)*start + (int64_t)i * *delta);
    }
    return 0;
}

int gen_range_i16(const int16_t *start, const int16_t *limit, const int16_t *delta, int16_t *y, int32_t n)
{
    int32_t i;
    if (range_count_i64(*start, *limit, *delta) != (int64_t)n) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        y[i] = (int16_t)((int32_t)*start + i * (int32_t)*delta);
    }
    return 0;
}
