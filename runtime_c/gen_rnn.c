/* gen's recurrent float32 kernels (ONNX LSTM, GRU, RNN). See gen_rnn.h. */
#include "gen_rnn.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

enum { CELL_LSTM = 0, CELL_GRU = 1, CELL_RNN = 2 };

/* what one call computes: the tensors (NULL when absent) and the parameters */
typedef struct {
    int32_t cell;
    int32_t gates;              /* 4 (LSTM), 3 (GRU), 1 (RNN) */
    int32_t acts;               /* activations per direction: 3, 2, 1 */
    const float *x, *w, *r, *b, *h0, *c0, *p;
    const int32_t *seq_lens;
    float *y, *y_h, *y_c, *scratch;
    const gen_rnn_params *prm;
} job;

static float act_apply(float x, const gen_rnn_act *a)
{
    switch (a->kind) {
    case GEN_RNN_RELU:
        return x > 0.0f ? x : 0.0f;
    case GEN_RNN_TANH:
        return tanhf(x);
    case GEN_RNN_SIGMOID:
        return 1.0f / (1.0f + expf(-x));
    case GEN_RNN_AFFINE:
        return a->alpha * x + a->beta;
    case GEN_RNN_LEAKY_RELU:
        return x >= 0.0f ? x : a->alpha * x;
    case GEN_RNN_THRESHOLDED_RELU:
        return x > a->alpha ? x : 0.0f;
    case GEN_RNN_SCALED_TANH:
        return a->alpha * tanhf(a->beta * x);
    case GEN_RNN_HARD_SIGMOID: {
        const float v = a->alpha * x + a->beta;
        return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
    case GEN_RNN_ELU:
        return x >= 0.0f ? x : a->alpha * (expf(x) - 1.0f);
    case GEN_RNN_SOFTSIGN:
        return x / (1.0f + fabsf(x));
    default: /* GEN_RNN_SOFTPLUS: log(1 + e^x), without overflowing e^x */
        return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x));
    }
}

static float clip(float x, const gen_rnn_params *prm)
{
    if (prm->has_clip) {
        if (x > prm->clip) {
            return prm->clip;
        }
        if (x < -prm->clip) {
            return -prm->clip;
        }
    }
    return x;
}

/* out[j] += sum_k m[j][k] * v[k] for j < rows */
static void matvec_add(const float *m, const float *v, int32_t rows, int32_t cols, float *out)
{
    int32_t j, k;
    for (j = 0; j < rows; j++) {
        const float *row = m + (size_t)j * cols;
        float acc = out[j];
        for (k = 0; k < cols; k++) {
            acc += row[k] * v[k];
        }
        out[j] = acc;
    }
}

/* out[j] = bias[j] + bias2[j] (either may be NULL) for j < n */
static void set_bias(const float *bias, const float *bias2, int32_t n, float *out)
{
    int32_t j;
    for (j = 0; j < n; j++) {
        out[j] = (bias ? bias[j] : 0.0f) + (bias2 ? bias2[j] : 0.0f);
    }
}

static size_t x_index(const gen_rnn_params *prm, int32_t t, int32_t n)
{
    const int32_t row = prm->batch_first ? n * prm->seq_length + t : t * prm->batch + n;
    return (size_t)row * prm->input_size;
}

static size_t y_index(const gen_rnn_params *prm, int32_t t, int32_t d, int32_t n)
{
    const int32_t dirs = prm->num_directions;
    const int32_t row = prm->batch_first ? (n * prm->seq_length + t) * dirs + d : (t * dirs + d) * prm->batch + n;
    return (size_t)row * prm->hidden;
}

static size_t state_index(const gen_rnn_params *prm, int32_t d, int32_t n)
{
    const int32_t row = prm->batch_first ? n * prm->num_directions + d : d * prm->batch + n;
    return (size_t)row * prm->hidden;
}

/* One step of direction d: h (and c) updated in place from input row xt. */
static void step(const job *jb, int32_t d, const float *xt, float *h, float *c, float *g, float *tmp)
{
    const gen_rnn_params *prm = jb->prm;
    const int32_t H = prm->hidden, I = prm->input_size, G = jb->gates;
    const float *w = jb->w + (size_t)d * G * H * I;
    const float *r = jb->r + (size_t)d * G * H * H;
    const float *wb = jb->b ? jb->b + (size_t)d * 2 * G * H : NULL;
    const float *rb = wb ? wb + (size_t)G * H : NULL;
    const gen_rnn_act *f = &prm->act[d * jb->acts];
    int32_t j;

    if (jb->cell == CELL_GRU) {
        /* z and r: Wb + Rb + W x + R h; the h gate's x part: Wb_h + W_h x */
        set_bias(wb, rb, 2 * H, g);
        set_bias(wb ? wb + 2 * H : NULL, NULL, H, g + 2 * H);
        matvec_add(w, xt, 3 * H, I, g);
        matvec_add(r, h, 2 * H, H, g);
        for (j = 0; j < 2 * H; j++) {
            g[j] = act_apply(clip(g[j], prm), &f[0]);
        }
        set_bias(rb ? rb + 2 * H : NULL, NULL, H, tmp + H);
        if (prm->linear_before_reset) {
            matvec_add(r + (size_t)2 * H * H, h, H, H, tmp + H);           /* R_h h + Rb_h */
            for (j = 0; j < H; j++) {
                g[2 * H + j] += g[H + j] * tmp[H + j];
            }
        } else {
            for (j = 0; j < H; j++) {
                tmp[j] = g[H + j] * h[j];                                  /* r * h */
            }
            matvec_add(r + (size_t)2 * H * H, tmp, H, H, tmp + H);         /* R_h (r * h) + Rb_h */
            for (j = 0; j < H; j++) {
                g[2 * H + j] += tmp[H + j];
            }
        }
        for (j = 0; j < H; j++) {
            const float z = g[j];
            const float hh = act_apply(clip(g[2 * H + j], prm), &f[1]);
            h[j] = (1.0f - z) * hh + z * h[j];
        }
        return;
    }
    set_bias(wb, rb, G * H, g);
    matvec_add(w, xt, G * H, I, g);
    matvec_add(r, h, G * H, H, g);
    if (jb->cell == CELL_RNN) {
        for (j = 0; j < H; j++) {
            h[j] = act_apply(clip(g[j], prm), &f[0]);
        }
        return;
    }
    /* LSTM: gates i o f c; peepholes P i o f */
    {
        const float *p = jb->p ? jb->p + (size_t)d * 3 * H : NULL;
        for (j = 0; j < H; j++) {
            const float i = act_apply(clip(g[j] + (p ? p[j] * c[j] : 0.0f), prm), &f[0]);
            const float fg = prm->input_forget ? 1.0f - i
                                               : act_apply(clip(g[2 * H + j] + (p ? p[2 * H + j] * c[j] : 0.0f), prm),
                                                           &f[0]);
            const float cc = act_apply(clip(g[3 * H + j], prm), &f[1]);
            float o;
            c[j] = fg * c[j] + i * cc;
            o = act_apply(clip(g[H + j] + (p ? p[H + j] * c[j] : 0.0f), prm), &f[0]);
            h[j] = o * act_apply(c[j], &f[2]);
        }
    }
}

static void run(const job *jb)
{
    const gen_rnn_params *prm = jb->prm;
    const int32_t H = prm->hidden, T = prm->seq_length;
    float *h = jb->scratch;
    float *c = h + H;
    float *g = c + H;                            /* gates: LSTM 4H, GRU 3H, RNN H */
    float *tmp = g + (size_t)jb->gates * H;      /* GRU: 2H */
    int32_t d, n, k;

    for (d = 0; d < prm->num_directions; d++) {
        const int32_t backwards = d == 1 || prm->reverse;
        for (n = 0; n < prm->batch; n++) {
            const int32_t len = jb->seq_lens ? jb->seq_lens[n] : T;
            const size_t s = state_index(prm, d, n);
            if (jb->h0) {
                memcpy(h, jb->h0 + s, (size_t)H * sizeof(float));
            } else {
                memset(h, 0, (size_t)H * sizeof(float));
            }
            if (jb->c0) {
                memcpy(c, jb->c0 + s, (size_t)H * sizeof(float));
            } else {
                memset(c, 0, (size_t)H * sizeof(float));
            }
            for (k = 0; k < len; k++) {
                const int32_t t = backwards ? len - 1 - k : k;
                step(jb, d, jb->x + x_index(prm, t, n), h, c, g, tmp);
                if (jb->y) {
                    memcpy(jb->y + y_index(prm, t, d, n), h, (size_t)H * sizeof(float));
                }
            }
            for (k = len; k < T && jb->y; k++) {
                memset(jb->y + y_index(prm, k, d, n), 0, (size_t)H * sizeof(float));
            }
            if (jb->y_h) {
                memcpy(jb->y_h + s, h, (size_t)H * sizeof(float));
            }
            if (jb->y_c) {
                memcpy(jb->y_c + s, c, (size_t)H * sizeof(float));
            }
        }
    }
}

/* one cell kind over the whole sequence: the job the three entry points describe (absent inputs NULL) */
static void run_cell(int32_t cell, int32_t gates, int32_t acts, const float *x, const float *w, const float *r,
                     const float *b, const int32_t *seq_lens, const float *h0, const float *c0, const float *p,
                     float *y, float *y_h, float *y_c, float *scratch, const gen_rnn_params *prm)
{
    job jb;
    jb.cell = cell;
    jb.gates = gates;
    jb.acts = acts;
    jb.x = x;
    jb.w = w;
    jb.r = r;
    jb.b = b;
    jb.seq_lens = seq_lens;
    jb.h0 = h0;
    jb.c0 = c0;
    jb.p = p;
    jb.y = y;
    jb.y_h = y_h;
    jb.y_c = y_c;
    jb.scratch = scratch;
    jb.prm = prm;
    run(&jb);
}

void gen_rnn_lstm_f32(const float *x, const float *w, const float *r, const float *b, const int32_t *seq_lens,
                      const float *h0, const float *c0, const float *p, float *y, float *y_h, float *y_c,
                      float *scratch, const gen_rnn_params *prm)
{
    run_cell(CELL_LSTM, 4, 3, x, w, r, b, seq_lens, h0, c0, p, y, y_h, y_c, scratch, prm);
}

void gen_rnn_gru_f32(const float *x, const float *w, const float *r, const float *b, const int32_t *seq_lens,
                     const float *h0, float *y, float *y_h, float *scratch, const gen_rnn_params *prm)
{
    run_cell(CELL_GRU, 3, 2, x, w, r, b, seq_lens, h0, NULL, NULL, y, y_h, NULL, scratch, prm);
}

void gen_rnn_rnn_f32(const float *x, const float *w, const float *r, const float *b, const int32_t *seq_lens,
                     const float *h0, float *y, float *y_h, float *scratch, const gen_rnn_params *prm)
{
    run_cell(CELL_RNN, 1, 1, x, w, r, b, seq_lens, h0, NULL, NULL, y, y_h, NULL, scratch, prm);
}
