/*
 * gen test/benchmark firmware, model-agnostic: links against any output directory of
 * `python -m gen model.onnx -o DIR` through its gen_testvec.h contract.
 *
 * Output, one fact per line, stable and parseable ("gen: key=value ..."):
 *   gen: board=mps2-an386
 *   gen: model=NAME
 *   gen: vectors=N
 *   gen: vector=I PASS|FAIL max_err=E instructions=T   (unit: instructions|cycles|us)
 *                              a run that returned nonzero FAILs, with status=S at the end of its line
 *                              (-1: a failed CMSIS-NN call; -3: the GEN_CHECK_OVERLAP build caught a layer)
 *   gen: instructions=T        time of one inference (vector 0), in the port's unit
 *   gen: arena=BYTES           gen_tv_arena_size
 *   gen: stack=BYTES           stack used by gen_tv_run (high-water mark, painted stack)
 *   gen: layer=K instructions=T  built with -DGEN_PROFILE: layer K of vector 0 (gen_profile_layer)
 *   gen: RESULT PASS|FAIL
 * gen_fw_main() returns 0 when every vector passes, 1 otherwise.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gen_fw_port.h"
#include "gen_testvec.h"

#define GEN_PAINT_WORD 0xA5C3A5C3u
#define GEN_PAINT_MARGIN 64u /* bytes left untouched below the painter's own frame */

/* ---- tiny formatting helpers (no printf: works with printf-less/nano libcs) ---- */

static char *put_str(char *p, const char *s)
{
    while (*s)
        *p++ = *s++;
    *p = '\0';
    return p;
}

static char *put_u64(char *p, uint64_t v);

#ifdef GEN_PROFILE
/* The generated code calls gen_profile_begin() when an inference starts and gen_profile_layer(k)
 * when its layer k ends. Each layer's time is the port's clock between the two stamps, less the
 * cost of one empty begin/layer pair (measured first), so that the hooks' own cost is not counted. */
#define GEN_PROFILE_MAX 1024
static uint64_t prof_time[GEN_PROFILE_MAX];
static uint64_t prof_last;
static uint64_t prof_bias;
static int prof_layers;
static int prof_on;

void gen_profile_begin(void)
{
    if (prof_on)
        prof_last = gen_port_now();
}

void gen_profile_layer(int layer)
{
    uint64_t now;
    if (!prof_on)
        return;
    now = gen_port_now();
    if (layer >= 0 && layer < GEN_PROFILE_MAX) {
        prof_time[layer] = now - prof_last;
        if (layer + 1 > prof_layers)
            prof_layers = layer + 1;
    }
    prof_last = gen_port_now();
}

static void profile_calibrate(void)
{
    prof_on = 1;
    gen_profile_begin();
    gen_profile_layer(0);
    prof_bias = prof_time[0];
    prof_layers = 0;
}

static void profile_report(void)
{
    char buf[96];
    char *p;
    int k;
    for (k = 0; k < prof_layers; k++) {
        uint64_t t = prof_time[k] > prof_bias ? prof_time[k] - prof_bias : 0;
        p = put_str(buf, "gen: layer=");
        p = put_u64(p, (uint64_t)k);
        p = put_str(p, " ");
        p = put_str(p, gen_port_unit());
        p = put_str(p, "=");
        put_u64(p, t);
        gen_port_puts(buf);
    }
}
#endif

static char *put_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    *p = '\0';
    return p;
}

/* %.6e-like: "0", "3.051758e-05", "inf", "nan". */
static char *put_double(char *p, double x)
{
    int e = 0;
    uint64_t m;
    char digits[8];
    int i;
    if (x != x)
        return put_str(p, "nan");
    if (x < 0) {
        *p++ = '-';
        x = -x;
    }
    if (x == 0.0)
        return put_str(p, "0");
    if (x > 1e300)
        return put_str(p, "inf");
    while (x >= 10.0) {
        x /= 10.0;
        e++;
    }
    while (x < 1.0) {
        x *= 10.0;
        e--;
    }
    m = (uint64_t)(x * 1000000.0 + 0.5); /* 7 significant digits: d.dddddd */
    if (m >= 10000000u) {
        m /= 10u;
        e++;
    }
    for (i = 6; i >= 0; i--) {
        digits[i] = (char)('0' + (int)(m % 10u));
        m /= 10u;
    }
    *p++ = digits[0];
    *p++ = '.';
    for (i = 1; i < 7; i++)
        *p++ = digits[i];
    *p++ = 'e';
    if (e < 0) {
        *p++ = '-';
        e = -e;
    } else {
        *p++ = '+';
    }
    if (e < 10)
        *p++ = '0';
    return put_u64(p, (uint64_t)e);
}

static void line_kv(const char *key, uint64_t value)
{
    char buf[96];
    char *p = put_str(buf, "gen: ");
    p = put_str(p, key);
    p = put_str(p, "=");
    put_u64(p, value);
    gen_port_puts(buf);
}

/* ---- stack painting ---- */

/* Paint [limit, own frame - margin) and return the top of the painted area. noinline so
 * that its frame lies below the caller's, which is where gen_tv_run's frame will go. */
__attribute__((noinline)) static uintptr_t paint_stack(uintptr_t limit)
{
    volatile uint32_t here = 0;
    uintptr_t top = ((uintptr_t)&here - GEN_PAINT_MARGIN) & ~(uintptr_t)3u;
    volatile uint32_t *w;
    limit = (limit + 3u) & ~(uintptr_t)3u;
    for (w = (volatile uint32_t *)limit; (uintptr_t)w < top; w++)
        *w = GEN_PAINT_WORD;
    return top;
}

/* Lowest address written since paint_stack (or `top` if nothing below it was). */
static uintptr_t lowest_touched(uintptr_t limit, uintptr_t top)
{
    const volatile uint32_t *w;
    limit = (limit + 3u) & ~(uintptr_t)3u;
    for (w = (const volatile uint32_t *)limit; (uintptr_t)w < top; w++)
        if (*w != GEN_PAINT_WORD)
            return (uintptr_t)w;
    return top;
}

__attribute__((noinline)) static uintptr_t current_sp(void)
{
    volatile uint32_t here = 0;
    return (uintptr_t)&here;
}

int gen_fw_main(void)
{
    char buf[160];
    char *p;
    unsigned i;
    unsigned failures = 0;
    uint64_t first_time = 0;
    uintptr_t max_stack = 0;
    int saturated = 0;

#ifdef GEN_BOARD_NAME
    p = put_str(buf, "gen: board=");
    put_str(p, GEN_BOARD_NAME);
    gen_port_puts(buf);
#endif
    p = put_str(buf, "gen: model=");
    put_str(p, gen_tv_model_name);
    gen_port_puts(buf);
    line_kv("vectors", gen_tv_count);
    gen_port_self_check();

    for (i = 0; i < gen_tv_count; i++) {
        double err = 0.0;
        int rc, status;
        uint64_t t0, t1;
        uintptr_t sp = current_sp();
        uintptr_t limit = gen_port_stack_limit(sp);
        uintptr_t top = paint_stack(limit);
        uintptr_t low;

#ifdef GEN_PROFILE
        if (i == 0)
            profile_calibrate();
#endif
        t0 = gen_port_now();
        status = gen_tv_run(i);
        t1 = gen_port_now();
#ifdef GEN_PROFILE
        prof_on = 0;
#endif

        low = lowest_touched(limit, top);
        if (low == limit)
            saturated = 1;
        if (sp > low && sp - low > max_stack)
            max_stack = sp - low;

        rc = gen_tv_check(i, &err) != 0 || status != 0;
        if (rc != 0)
            failures++;
        if (i == 0)
            first_time = t1 - t0;

        p = put_str(buf, "gen: vector=");
        p = put_u64(p, i);
        p = put_str(p, rc == 0 ? " PASS max_err=" : " FAIL max_err=");
        p = put_double(p, err);
        p = put_str(p, " ");
        p = put_str(p, gen_port_unit());
        p = put_str(p, "=");
        p = put_u64(p, t1 - t0);
        if (status != 0) {
            p = put_str(p, status < 0 ? " status=-" : " status=");
            put_u64(p, (uint64_t)(status < 0 ? -(int64_t)status : (int64_t)status));
        }
        gen_port_puts(buf);
    }

    if (gen_tv_count > 0) {
        line_kv(gen_port_unit(), first_time);
        gen_port_report_time(first_time);
    }
#ifdef GEN_PROFILE
    profile_report();
#endif
    line_kv("arena", gen_tv_arena_size);
    line_kv("stack", max_stack);
    if (saturated)
        gen_port_puts("gen: warning=stack high-water mark reached the painted window's limit");
    if (gen_tv_count == 0) {
        gen_port_puts("gen: warning=no test vectors");
        failures++;
    }
    gen_port_puts(failures ? "gen: RESULT FAIL" : "gen: RESULT PASS");
    return failures ? 1 : 0;
}
