/* gen's transformer float32 kernels (see gen_attention.h). Written for gen; C99. */
#include "gen_attention.h"

#include <math.h>
#include <stddef.h>

static const float *gen_att_key(const float *k, const float *past, const gen_attention_params *p, int32_t b,
                                int32_t h, int32_t j)
{
    if (j < p->past_len) {
        return past + (((int64_t)b * p->kv_heads + h) * p->past_len + j) * p->head_size;
    }
    return k + (int64_t)b * p->k_s[0] + (int64_t)h * p->k_s[1] + (int64_t)(j - p->past_len) * p->k_s[2];
}

static const float *gen_att_value(const float *v, const float *past, const gen_attention_params *p, int32_t b,
                                  int32_t h, int32_t j)
{
    if (j < p->past_len) {
        return past + (((int64_t)b * p->kv_heads + h) * p->past_len + j) * p->v_head_size;
    }
    return v + (int64_t)b * p->v_s[0] + (int64_t)h * p->v_s[1] + (int64_t)(j - p->past_len) * p->v_s[2];
}

/* the additive bias of query i, key j: the mask, causal, window and padding rules (-INFINITY: masked) */
static float gen_att_bias(const float *mask_f, const uint8_t *mask_b, const int32_t *nonpad,
                          const gen_attention_params *p, int32_t b, int32_t h, int32_t i, int32_t j)
{
    float bias = 0.0f;
    int32_t offset = p->past_len;
    int32_t pos;
    if (nonpad != NULL && p->past_len == 0) {
        offset = nonpad[b] - p->q_len;
    }
    pos = offset + i;
    if (p->has_mask) {
        int64_t at = (int64_t)b * p->mask_s[0] + (int64_t)h * p->mask_s[1] + (int64_t)i * p->mask_s[2] +
                     (int64_t)j * p->mask_s[3];
        if (j >= p->mask_len) {
            return -INFINITY;
        }
        if (p->mask_bool) {
            if (mask_b[at] == 0) {
                return -INFINITY;
            }
        } else {
            bias = mask_f[at];
        }
    }
    if (p->is_causal && j > pos) {
        return -INFINITY;
    }
    if (p->left_window >= 0 && pos - j > p->left_window) {
        return -INFINITY;
    }
    if (p->right_window >= 0 && j - pos > p->right_window) {
        return -INFINITY;
    }
    if (nonpad != NULL && j >= nonpad[b]) {
        return -INFINITY;
    }
    return bias;
}

static void gen_att_copy_cache(const float *past, const float *x, const int32_t *xs, float *present, int32_t batch,
                               int32_t heads, int32_t past_len, int32_t len, int32_t size)
{
    int32_t b, h, j, d;
    int32_t total = past_len + len;
    for (b = 0; b < batch; ++b) {
        for (h = 0; h < heads; ++h) {
            for (j = 0; j < total; ++j) {
                const float *src = j < past_len
                    ? past + (((int64_t)b * heads + h) * past_len + j) * size
                    : x + (int64_t)b * xs[0] + (int64_t)h * xs[1] + (int64_t)(j - past_len) * xs[2];
                float *dst = present + (((int64_t)b * heads + h) * total + j) * size;
                for (d = 0; d < size; ++d) {
                    dst[d] = src[d];
                }
            }
        }
    }
}

void gen_attention_f32(const float *q, const float *k, const float *v, const float *mask_f, const uint8_t *mask_b,
                       const float *past_key, const float *past_value, const int32_t *nonpad, float *y,
                       float *present_key, float *present_value, float *qk_out, float *scratch,
                       const gen_attention_params *prm)
{
    const gen_attention_params *p = prm;
    int32_t total = p->past_len + p->kv_len;
    int32_t group = p->q_heads / p->kv_heads;
    int32_t b, h, i, j, d;
    if (present_key != NULL) {
        gen_att_copy_cache(past_key, k, p->k_s, present_key, p->batch, p->kv_heads, p->past_len, p->kv_len,
                           p->head_size);
    }
    if (present_value != NULL) {
        gen_att_copy_cache(past_value, v, p->v_s, present_value, p->batch, p->kv_heads, p->past_len, p->kv_len,
                           p->v_head_size);
    }
    for (b = 0; b < p->batch; ++b) {
        for (h = 0; h < p->q_heads; ++h) {
            int32_t hk = h / group;
            for (i = 0; i < p->q_len; ++i) {
                const float *qr = q + (int64_t)b * p->q_s[0] + (int64_t)h * p->q_s[1] + (int64_t)i * p->q_s[2];
                float *yr = y + (int64_t)b * p->y_s[0] + (int64_t)h * p->y_s[1] + (int64_t)i * p->y_s[2];
                float *qk = qk_out != NULL ? qk_out + (((int64_t)b * p->q_heads + h) * p->q_len + i) * total : NULL;
                float mx = -INFINITY, sum = 0.0f;
                int32_t attended = 0;
                for (j = 0; j < total; ++j) {
                    const float *kr = gen_att_key(k, past_key, p, b, hk, j);
                    float s = 0.0f, bias;
                    for (d = 0; d < p->head_size; ++d) {
                        s += (qr[d] * p->scale) * (kr[d] * p->scale);
                    }
                    if (qk != NULL && p->qk_mode == 0) {
                        qk[j] = s;
                    }
                    if (p->softcap > 0.0f) {
                        s = p->softcap * tanhf(s / p->softcap);
                    }
                    if (qk != NULL && p->qk_mode == 1) {
                        qk[j] = s;
                    }
                    bias = gen_att_bias(mask_f, mask_b, nonpad, p, b, h, i, j);
                    if (bias != -INFINITY) {
                        attended = 1;
                    }
                    s += bias;
                    if (qk != NULL && p->qk_mode == 2) {
                        qk[j] = s;
                    }
                    scratch[j] = s;
                    if (s > mx) {
                        mx = s;
                    }
                }
                if (mx == -INFINITY) {
                    mx = 0.0f;
                }
                for (j = 0; j < total; ++j) {
                    scratch[j] = expf(scratch[j] - mx);
                    sum += scratch[j];
                }
                if (sum == 0.0f) {
                    sum = 1.0f;
                }
                for (j = 0; j < total; ++j) {
                    scratch[j] = attended ? scratch[j] / sum : 0.0f;
                    if (qk != NULL && p->qk_mode == 3) {
                        qk[j] = scratch[j];
                    }
                }
                for (d = 0; d < p->v_head_size; ++d) {
                    yr[d] = 0.0f;
                }
                for (j = 0; j < total; ++j) {
                    const float *vr = gen_att_value(v, past_value, p, b, hk, j);
                    for (d = 0; d < p->v_head_size; ++d) {
                        yr[d] += scratch[j] * vr[d];
                    }
                }
            }
        }
    }
}

void gen_rms_norm_f32(const float *x, const float *scale, float *y, const gen_rms_norm_params *prm)
{
    int32_t o, i;
    for (o = 0; o < prm->outer; ++o) {
        const float *xr = x + (int64_t)o * prm->inner;
        float *yr = y + (int64_t)o * prm->inner;
        float ss = 0.0f, inv;
        for (i = 0; i < prm->inner; ++i) {
            ss += xr[i] * xr[i];
        }
        inv = 1.0f / sqrtf(ss / (float)prm->inner + prm->epsilon);
        for (i = 0; i < prm->inner; ++i) {
            yr[i] = xr[i] * inv * scale[i];
        }
    }
}

void gen_rotary_f32(const float *x, const float *cos_c, const float *sin_c, const int32_t *positions, float *y,
                    const gen_rotary_params *prm)
{
    const gen_rotary_params *p = prm;
    int32_t half = p->rot_dim / 2;
    int32_t b, s, h, d;
    for (b = 0; b < p->batch; ++b) {
        for (s = 0; s < p->seq; ++s) {
            int64_t row = positions != NULL ? positions[(int64_t)b * p->seq + s]
                                            : (int64_t)b * p->cache_b + (int64_t)s * p->cache_s;
            const float *cr = cos_c + row * half;
            const float *sr = sin_c + row * half;
            for (h = 0; h < p->heads; ++h) {
                int64_t at = (int64_t)b * p->x_s[0] + (int64_t)s * p->x_s[1] + (int64_t)h * p->x_s[2];
                const float *xr = x + at;
                float *yr = y + at;
                for (d = 0; d < half; ++d) {
                    int32_t i1 = p->interleaved ? 2 * d : d;
                    int32_t i2 = p->interleaved ? 2 * d + 1 : d + half;
                    float x1 = xr[i1], x2 = xr[i2];
                    yr[i1] = cr[d] * x1 - sr[d] * x2;
                    yr[i2] = sr[d] * x1 + cr[d] * x2;
                }
                for (d = p->rot_dim; d < p->head_size; ++d) {
                    yr[d] = xr[d];
                }
            }
        }
    }
}

void gen_swiglu_f32(const float *a, const float *b, float *y, int32_t n, float alpha)
{
    int32_t i;
    for (i = 0; i < n; ++i) {
        y[i] = a[i] / (1.0f + expf(-alpha * a[i])) * b[i];
    }
}

void gen_einsum_f32(const float *a, const float *b, float *y, const gen_einsum_params *prm)
{
    const gen_einsum_params *p = prm;
    int32_t idx[GEN_EINSUM_MAX];
    int32_t n = p->n_out + p->n_sum;
    int32_t l;
    int64_t total = 1, sums = 1, o, s;
    for (l = 0; l < p->n_out; ++l) {
        total *= p->size[l];
    }
    for (l = p->n_out; l < n; ++l) {
        sums *= p->size[l];
    }
    for (o = 0; o < total; ++o) {
        int64_t rest = o, a0 = 0, b0 = 0;
        float acc = 0.0f;
        for (l = p->n_out - 1; l >= 0; --l) {
            idx[l] = (int32_t)(rest % p->size[l]);
            rest /= p->size[l];
            a0 += (int64_t)idx[l] * p->a_s[l];
            b0 += (int64_t)idx[l] * p->b_s[l];
        }
        for (s = 0; s < sums; ++s) {
            int64_t ai = a0, bi = b0;
            rest = s;
            for (l = n - 1; l >= p->n_out; --l) {
                int32_t i = (int32_t)(rest % p->size[l]);
                rest /= p->size[l];
                ai += (int64_t)i * p->a_s[l];
                bi += (int64_t)i * p->b_s[l];
            }
            acc += p->n_inputs == 2 ? a[ai] * b[bi] : a[ai];
        }
        y[o] = acc;
    }
}

void gen_linear_attention_f32(const float *q, const float *k, const float *v, const float *past, const float *decay,
                              const float *beta, float *y, float *present, float *scratch,
                              const gen_linear_attention_params *prm)
{
    const gen_linear_attention_params *p = prm;
    int32_t group = p->q_heads / p->kv_heads;
    int32_t b, hk, t, d, m, g;
    float *state = scratch;
    float *u = scratch + (int64_t)p->dk * p->dv;
    for (b = 0; b < p->batch; ++b) {
        for (hk = 0; hk < p->kv_heads; ++hk) {
            const float *ps = past != NULL ? past + ((int64_t)b * p->kv_heads + hk) * p->dk * p->dv : NULL;
            for (d = 0; d < p->dk * p->dv; ++d) {
                state[d] = ps != NULL ? ps[d] : 0.0f;
            }
            for (t = 0; t < p->len; ++t) {
                int64_t row = (int64_t)b * p->len + t;
                const float *kt = k + (row * p->kv_heads + hk) * p->dk;
                const float *vt = v + (row * p->kv_heads + hk) * p->dv;
                if (p->gated) {
                    for (d = 0; d < p->dk; ++d) {
                        float e = expf(p->decay_per_key ? decay[(row * p->kv_heads + hk) * p->dk + d]
                                                        : decay[row * p->kv_heads + hk]);
                        for (m = 0; m < p->dv; ++m) {
                            state[d * p->dv + m] *= e;
                        }
                    }
                }
                for (m = 0; m < p->dv; ++m) {
                    u[m] = vt[m];
                }
                if (p->delta) {
                    float bt = p->beta_per_head ? beta[row * p->kv_heads + hk] : beta[row];
                    for (m = 0; m < p->dv; ++m) {
                        float r = 0.0f;
                        for (d = 0; d < p->dk; ++d) {
                            r += state[d * p->dv + m] * kt[d];
                        }
                        u[m] = bt * (vt[m] - r);
                    }
                }
                for (d = 0; d < p->dk; ++d) {
                    for (m = 0; m < p->dv; ++m) {
                        state[d * p->dv + m] += kt[d] * u[m];
                    }
                }
                for (g = 0; g < group; ++g) {
                    int32_t h = hk * group + g;
                    const float *qt = q + (row * p->q_heads + h) * p->dk;
                    float *yt = y + (row * p->q_heads + h) * p->dv;
                    for (m = 0; m < p->dv; ++m) {
                        float acc = 0.0f;
                        for (d = 0; d < p->dk; ++d) {
                            acc += qt[d] * state[d * p->dv + m];
                        }
                        yt[m] = p->scale * acc;
                    }
                }
            }
            if (present != NULL) {
                float *out = present + ((int64_t)b * p->kv_heads + hk) * p->dk * p->dv;
                for (d = 0; d < p->dk * p->dv; ++d) {
                    out[d] = state[d];
                }
            }
        }
    }
}

void gen_causal_conv_f32(const float *x, const float *w, const float *bias, const float *past, float *y,
                         float *present, const gen_causal_conv_params *prm)
{
    const gen_causal_conv_params *p = prm;
    int32_t carry = p->kernel - 1;
    int32_t b, c, t, i;
    for (b = 0; b < p->batch; ++b) {
        for (c = 0; c < p->channels; ++c) {
            int64_t bc = (int64_t)b * p->channels + c;
            const float *xr = x + bc * p->len;
            const float *pr = past != NULL ? past + bc * carry : NULL;
            const float *wr = w + (int64_t)c * p->kernel;
            float *yr = y + bc * p->len;
            for (t = 0; t < p->len; ++t) {
                float acc = bias != NULL ? bias[c] : 0.0f;
                for (i = 0; i < p->kernel; ++i) {
                    int32_t at = t + i - carry;        /* position in x; < 0: in the carry */
                    float xv = at >= 0 ? xr[at] : (pr != NULL ? pr[carry + at] : 0.0f);
                    acc += wr[i] * xv;
                }
                yr[t] = p->silu ? acc / (1.0f + expf(-acc)) : acc;
            }
            if (present != NULL) {
                float *sr = present + bc * carry;
                for (i = 0; i < carry; ++i) {
                    int32_t at = p->len - carry + i;   /* the last carry positions of past then x */
                    sr[i] = at >= 0 ? xr[at] : (pr != NULL ? pr[carry + at] : 0.0f);
                }
            }
        }
    }
}
