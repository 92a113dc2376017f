/* gen's recurrent float32 kernels: ONNX LSTM, GRU and RNN (one layer, forward, reverse or
 * bidirectional). Written for gen; C99, no allocation, no recursion.
 *
 * The weights are read in ONNX's own layout: W [dirs][gates * hidden][input], R [dirs][gates *
 * hidden][hidden], B [dirs][2 * gates * hidden] (Wb then Rb), P [dirs][3 * hidden] (LSTM
 * peepholes i, o, f), gates in ONNX's order (LSTM i o f c, GRU z r h). Tensors in layout 0 are
 * X [seq][batch][input], Y [seq][dirs][batch][hidden], Y_h/Y_c and the initial states
 * [dirs][batch][hidden]; in layout 1 (batch first) X [batch][seq][input], Y [batch][seq][dirs][hidden],
 * the states [batch][dirs][hidden]. Every optional pointer may be NULL (absent input: zeros;
 * absent output: not written). The state and the gates live in `scratch` (the arena):
 * LSTM 6 * hidden floats, GRU 7 * hidden, RNN 3 * hidden.
 */
#ifndef GEN_RNN_H
#define GEN_RNN_H

#include <stdint.h>

/* the activation functions ONNX's recurrent ops name (attribute activations) */
enum {
    GEN_RNN_RELU = 0,
    GEN_RNN_TANH = 1,
    GEN_RNN_SIGMOID = 2,
    GEN_RNN_AFFINE = 3,          /* alpha * x + beta */
    GEN_RNN_LEAKY_RELU = 4,      /* x >= 0 ? x : alpha * x */
    GEN_RNN_THRESHOLDED_RELU = 5, /* x > alpha ? x : 0 */
    GEN_RNN_SCALED_TANH = 6,     /* alpha * tanh(beta * x) */
    GEN_RNN_HARD_SIGMOID = 7,    /* min(max(alpha * x + beta, 0), 1) */
    GEN_RNN_ELU = 8,             /* x >= 0 ? x : alpha * (exp(x) - 1) */
    GEN_RNN_SOFTSIGN = 9,        /* x / (1 + |x|) */
    GEN_RNN_SOFTPLUS = 10        /* log(1 + exp(x)) */
};

typedef struct {
    int32_t kind;
    float alpha, beta;
} gen_rnn_act;

typedef struct {
    int32_t seq_length, batch, input_size, hidden;
    int32_t num_directions;      /* 1 or 2 */
    int32_t reverse;             /* 1: the only direction runs from the last step to the first */
    int32_t batch_first;         /* attribute layout = 1 */
    int32_t has_clip;            /* clip the inputs of the activations to [-clip, clip] */
    float clip;
    int32_t input_forget;        /* LSTM: the forget gate is 1 - the input gate */
    int32_t linear_before_reset; /* GRU: r * (R_h h + Rb_h) instead of R_h (r * h) */
    gen_rnn_act act[6];          /* per direction: LSTM f g h, GRU f g, RNN f */
} gen_rnn_params;

/* seq_lens: NULL (every sequence is seq_length long) or batch lengths in [1, seq_length]; steps
 * past a sequence's length are zeros in Y and leave its state alone. */
void gen_rnn_lstm_f32(const float *x, const float *w, const float *r, const float *b, const int32_t *seq_lens,
                      const float *h0, const float *c0, const float *p, float *y, float *y_h, float *y_c,
                      float *scratch, const gen_rnn_params *prm);
void gen_rnn_gru_f32(const float *x, const float *w, const float *r, const float *b, const int32_t *seq_lens,
                     const float *h0, float *y, float *y_h, float *scratch, const gen_rnn_params *prm);
void gen_rnn_rnn_f32(const float *x, const float *w, const float *r, const float *b, const int32_t *seq_lens,
                     const float *h0, float *y, float *y_h, float *scratch, const gen_rnn_params *prm);

#endif /* GEN_RNN_H */
