/* gen's transformer float32 kernels: ONNX Attention (opset 23-25), RMSNormalization,
 * RotaryEmbedding, SwiGLU and Einsum. Written for gen; C99, no allocation, no recursion.
 *
 * Attention reads Q, K, V, the past key/value cache and writes Y, present key/value and the QK
 * output through element strides (batch, head, sequence; the head dimension is contiguous), so
 * the 3-D form [batch][seq][heads * head_size] and the 4-D form [batch][heads][seq][head_size]
 * are one kernel. Key j < past_len is read from the past cache, the others from K. The scores of
 * one query row live in `scratch` (total key length floats, the arena).
 */
#ifndef GEN_ATTENTION_H
#define GEN_ATTENTION_H

#include <stdint.h>

typedef struct {
    int32_t batch, q_heads, kv_heads, q_len, kv_len, past_len, head_size, v_head_size;
    int32_t q_s[3], k_s[3], v_s[3], y_s[3];   /* element strides: batch, head, sequence */
    int32_t has_mask, mask_bool;               /* mask: additive float, or nonzero = attend */
    int32_t mask_len;                          /* keys the mask covers; later keys are masked */
    int32_t mask_s[4];                         /* mask strides: batch, q head, query, key (0: broadcast) */
    int32_t is_causal;
    int32_t left_window, right_window;        /* -1: unbounded */
    int32_t qk_mode;                           /* qk output: 0 scores, 1 softcapped, 2 + bias, 3 softmax */
    float scale, softcap;                      /* softcap 0: none */
} gen_attention_params;

/* nonpad: NULL or batch valid key counts (keys past it are masked, the causal offset is
 * nonpad - q_len); present_key/value, qk_out: NULL when not written. */
void gen_attention_f32(const float *q, const float *k, const float *v, const float *mask_f, const uint8_t *mask_b,
                       const float *past_key, const float *past_value, const int32_t *nonpad, float *y,
                       float *present_key, float *present_value, float *qk_out, float *scratch,
                       const gen_attention_params *prm);

typedef struct {
    int32_t outer, inner;      /* rows, elements normalized together */
    float epsilon;
} gen_rms_norm_params;

/* y = x / sqrt(mean(x^2) + epsilon) * scale, scale [inner] */
void gen_rms_norm_f32(const float *x, const float *scale, float *y, const gen_rms_norm_params *prm);

typedef struct {
    int32_t batch, seq, heads, head_size, rot_dim, interleaved;
    int32_t x_s[3];            /* element strides of x and y: batch, sequence, head */
    int32_t cache_b, cache_s;  /* cache row of (b, s): positions[b * seq + s] or b * cache_b + s * cache_s */
} gen_rotary_params;

/* cos/sin: [rows][rot_dim / 2]; positions: NULL or [batch][seq] rows */
void gen_rotary_f32(const float *x, const float *cos_c, const float *sin_c, const int32_t *positions, float *y,
                    const gen_rotary_params *prm);

/* y = a * sigmoid(alpha * a) * b, n elements */
void gen_swiglu_f32(const float *a, const float *b, float *y, int32_t n, float alpha);

#define GEN_EINSUM_MAX 12
typedef struct {
    int32_t n_inputs;                          /* 1 or 2 */
    int32_t n_out, n_sum;                      /* output letters, summed letters */
    int32_t size[GEN_EINSUM_MAX];              /* output letters first, then the summed ones */
    int32_t a_s[GEN_EINSUM_MAX], b_s[GEN_EINSUM_MAX];   /* element strides of each letter (0: absent) */
} gen_einsum_params;

/* y (row-major over the output letters) = sum over the summed letters of a (* b) */
void gen_einsum_f32(const float *a, const float *b, float *y, const gen_einsum_params *prm);

typedef struct {
    int32_t batch, len, q_heads, kv_heads, dk, dv;
    int32_t gated, delta;      /* update_rule: linear 0 0, gated 1 0, delta 0 1, gated_delta 1 1 */
    int32_t decay_per_key;     /* decay [batch][len][kv_heads * dk] (1) or [batch][len][kv_heads] (0) */
    int32_t beta_per_head;     /* beta [batch][len][kv_heads] (1) or [batch][len][1] (0) */
    float scale;
} gen_linear_attention_params;

/* ONNX LinearAttention (opset 27): q [batch][len][q_heads * dk], k [..][kv_heads * dk], v [..][kv_heads * dv],
 * the recurrent state [batch][kv_heads][dk][dv] (past: NULL = zeros; present: NULL = not written);
 * scratch: dk * dv + dv floats (one head's state and the delta rule's retrieved value). */
void gen_linear_attention_f32(const float *q, const float *k, const float *v, const float *past, const float *decay,
                              const float *beta, float *y, float *present, float *scratch,
                              const gen_linear_attention_params *prm);

typedef struct {
    int32_t batch, channels, len, kernel;
    int32_t silu;              /* activation silu/swish: y * sigmoid(y) */
} gen_causal_conv_params;

/* ONNX CausalConvWithState (opset 27): depthwise causal 1-D convolution of x [batch][channels][len] with
 * w [channels][kernel] after the carry past [batch][channels][kernel - 1] (NULL: zeros); present: the last
 * kernel - 1 positions of past followed by x (NULL: not written); bias NULL: none. */
void gen_causal_conv_f32(const float *x, const float *w, const float *bias, const float *past, float *y,
                         float *present, const gen_causal_conv_params *prm);

#endif /* GEN_ATTENTION_H */
