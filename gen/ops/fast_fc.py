"""gen's fully connected kernel for a batch of one row (runtime_c/gen_fast_fc_s8.h): int16 weights.

A batch of one reads every weight once, so what costs is loading and widening the weights, not the
multiplies. `--fc-weights int16` (the default) widens them here, at generation time, in the order the
kernel reads them (twice the int8 weights' flash); the kernel widens the input row once into the layer's
scratch. `--fc-weights int8` keeps int8 weights in flash (gen_fast_pw_s8, which widens them as it reads).
Batches of two rows or more reuse each weight and always take gen_fast_pw_s8.
"""
from __future__ import annotations

import numpy as np

from . import fast_s8

RUNTIME = fast_s8.RUNTIME + ("gen_fast_fc_s8.h",)
FC_WEIGHTS = ("int16", "int8")

# within a group of eight inputs, the order SXTB16 widens a word's bytes into two words: x0 x2 x1 x3
GROUP_ORDER = np.array([0, 2, 1, 3, 4, 6, 5, 7])


def covers(p, g) -> bool:
    """The fully connected layers (FullyConnectedS8Params) gen_fast_fc_s8 runs."""
    return fast_s8.enabled(g) and p.batches == 1 and g.options.get("fc_weights", "int16") == "int16"


def k8(p) -> int:
    return (p.k + 7) // 8 * 8


def scratch(p) -> int:
    """Bytes of the widened input row (k8 int16); none where k is a multiple of 8 (the kernel widens the
    inputs in registers as it reads them: AD's layers, whose arena is then the input and output only)."""
    return 0 if p.k % 8 == 0 else 2 * k8(p)


def weights_int16(w: np.ndarray) -> np.ndarray:
    """int8 [m, k] -> gen_fast_fc_s8's layout as int32 words of two int16 (the low half first): k padded
    with zeros to k8, each group of eight in GROUP_ORDER; blocks of four channels interleaved group by
    group ([m // 4][k8 // 8][4][8] int16), then the last m % 4 channels' rows."""
    m, k = w.shape
    kp = (k + 7) // 8 * 8
    wp = np.zeros((m, kp), np.int16)
    wp[:, :k] = w
    wp = wp.reshape(m, kp // 8, 8)[:, :, GROUP_ORDER]
    m4 = m // 4 * 4
    blocks = wp[:m4].reshape(m // 4, 4, kp // 8, 8).transpose(0, 2, 1, 3).reshape(-1)
    h = np.concatenate([blocks, wp[m4:].reshape(-1)]).astype(np.uint16).astype(np.uint32).reshape(-1, 2)
    return (h[:, 0] | h[:, 1] << 16).view(np.int32)


def fully_connected(ctx, node, p, x: str, y: str, mult: np.ndarray, shift: np.ndarray) -> str:
    """The call of gen_fast_fc_s8 for FullyConnectedS8Params p (covers(p))."""
    rows, rshift = fast_s8.requant_table(fast_s8.folded_bias(p.bias, p.in_offset, p.filter, node), mult, shift,
                                         node)
    wname = ctx.array(weights_int16(p.filter), "w")
    rq = fast_s8.rq_array(ctx, rows)
    fn = fast_s8.wrapper(ctx, "fc_s8", f"fully connected int8, int16 weights: {p.k} -> {p.n} channels",
                         [("rows", 1), ("k", p.k), ("m", p.n), ("rshift", rshift), ("out_off", p.out_offset),
                          ("act_min", p.act[0]), ("act_max", p.act[1])],
                         "const int8_t *in, int8_t *out, const int32_t *w, const gen_fast_rq *rq, int32_t *buf",
                         "gen_fast_fc_s8(in, out, w, rq, buf, {k}, {m}, {rshift}, {out_off}, {act_min}, {act_max})")
    return f"{fn}({x}, {y}, {wname}, {rq}, (int32_t *){ctx.scratch(node)});"
