"""gen's layer-specialized int8 kernels (runtime_c/gen_fast_s8.h): what the int8 families emit when a
layer has a shape they cover and `--kernels gen` (the default) is on.

A layer's data are prepared here at generation time: the input offset term folded into the bias, the
requantization constants of gen_nn_requant_rshift, the weights interleaved for the kernel's loads.
The generated code calls one `static` wrapper per distinct layer shape (shared by identical layers),
which calls the kernel with the shape as literals so that the compiler specializes it.
"""
from __future__ import annotations

import numpy as np

from . import c_int32, c_int32s

RUNTIME = ("gen_fast.h", "gen_fast_s8.h", "gen_fast_mve_s8.h")
KERNELS = ("gen", "cmsis-nn")


def enabled(g) -> bool:
    """gen's own kernels where they apply (the default), or CMSIS-NN API calls only (--kernels cmsis-nn)."""
    return g.options.get("kernels", "gen") == "gen"


def requant_table(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray, node) -> tuple[np.ndarray, int]:
    """(int32 [m, 4] rows of gen_fast_rq {bias, mult, e1, c0}, rshift): rshift 1 when every shift is a right
    shift (e1 = -shift - 1, c0 = 2^e1), 2 when moreover every shift is at most -2 and every multiplier >= 0
    (gen_fast_requant_rshift2: c0 = 2^(e1 - 1)), else 0 (e1 = shift, c0 = 0: the general requantization)."""
    shift = np.asarray(shift, np.int64)
    rshift = int(np.all(shift < 0))
    if rshift and np.all(shift <= -2) and np.all(np.asarray(mult, np.int64) >= 0):
        rshift = 2
    e1 = -shift - 1 if rshift else shift
    c0 = (np.int64(1) << e1) >> (rshift - 1) if rshift else np.zeros_like(shift)
    rows = np.stack([np.asarray(bias, np.int64), np.asarray(mult, np.int64), e1, c0], axis=1)
    return c_int32s(rows, "requantization constant", node), rshift


def folded_bias(bias: np.ndarray, in_off: int, w_rows: np.ndarray, node) -> np.ndarray:
    """bias + in_off * sum(w) per output row: the input offset term of sum((x + off) * w), moved out of
    the inner loop (exact: the accumulator bound check covers every partial sum)."""
    folded = np.asarray(bias, np.int64) + int(in_off) * w_rows.astype(np.int64).sum(axis=1)
    return c_int32s(folded, "bias with the input offset folded in", node)


def interleave_pairs(w: np.ndarray) -> np.ndarray:
    """int8 [m, k] -> gen_fast_pw_s8's layout as int32 words of four int8 (byte t = bits 8t..8t+7): k
    padded with zeros to k4 (a multiple of 4); channel pairs interleaved four weights at a time
    ([m // 2][k4 // 4][2] words), then the odd last channel's row."""
    m, k = w.shape
    k4 = (k + 3) // 4 * 4
    wp = np.zeros((m, k4), np.int8)
    wp[:, :k] = w
    pairs = wp[: m // 2 * 2].reshape(m // 2, 2, k4 // 4, 4).transpose(0, 2, 1, 3).reshape(-1)
    b = np.concatenate([pairs, wp[m // 2 * 2:].reshape(-1)]).astype(np.uint8).astype(np.uint32).reshape(-1, 4)
    return (b[:, 0] | b[:, 1] << 8 | b[:, 2] << 16 | b[:, 3] << 24).view(np.int32)


def rq_array(ctx, rows: np.ndarray) -> str:
    """A static const gen_fast_rq table (stored once when identical)."""
    key = b"gen_fast_rq:" + rows.tobytes()
    if key not in ctx._arrays:
        name = ctx._name("rq")
        body = ",\n    ".join("{" + ", ".join(str(int(v)) for v in r) + "}" for r in rows)
        ctx.decls.append(f"static const gen_fast_rq {name}[{len(rows)}] = {{\n    {body}\n}};")
        ctx._arrays[key] = name
        ctx.weight_bytes += rows.nbytes
    return ctx._arrays[key]


def wrapper(ctx, kind: str, what: str, args: list[tuple[str, int]], params: str, call: str) -> str:
    """The `static` function that calls kernel `kind` with the layer's shape as literals (one per distinct
    shape and constants: identical layers share it). `args` are (name, value) pairs; `params` the wrapper's
    parameter list; `call` the kernel call with {name} placeholders for the literals."""
    vals = {n: c_int32(v, f"{kind} {n}", ctx.node) for n, v in args}
    text = call.format(**vals)
    key = f"fn:{kind}:{text}".encode()      # the call holds every literal (also floats written into `call`)
    if key not in ctx._arrays:
        shape = "x".join(str(v).replace("-", "m") for v in (vals[n] for n, _ in args[:3]))
        name = ctx._name(kind, f"{kind}_{shape}")
        ctx.decls.append(f"/* {what} */\nGEN_FAST_LAYER void {name}({params})\n{{\n    {text};\n}}")
        ctx._arrays[key] = name
    return ctx._arrays[key]


def pointwise(ctx, node, x: str, y: str, w: np.ndarray, bias: np.ndarray, in_off: int, mult, shift, out_off: int,
              act: tuple[int, int], n_pix: int) -> str:
    """The call of the specialized pointwise kernel: y[p][m] = requant(bias[m] + sum_k (x[p][k] + in_off) w[m][k])
    for n_pix rows of k = w.shape[1]. With a planned scratch (the overlap plan gave the layer
    pointwise_overlap's), the kernel widens its rows there instead of in the output rows not written yet."""
    m, k = w.shape
    rows, rshift = requant_table(folded_bias(bias, in_off, w, node), mult, shift, node)
    wname = ctx.array(interleave_pairs(w), "w")
    rq = rq_array(ctx, rows)
    rule = ctx.overlap_rule(node)
    wide = rule is not None         # both pointwise rules plan the widened rows as scratch (wide_bytes)
    reverse = rule is not None and rule.reverse
    fn = wrapper(ctx, "pw_s8", f"pointwise int8: {n_pix} rows of {k} -> {m} channels" +
                 (", rows widened in scratch" if wide else "") + (", last rows first" if reverse else ""),
                 [("n_pix", n_pix), ("k", k), ("m", m), ("rshift", rshift), ("out_off", out_off),
                  ("act_min", act[0]), ("act_max", act[1]), ("wide", int(wide)), ("reverse", int(reverse))],
                 "const int8_t *in, int8_t *out, const int32_t *w, const gen_fast_rq *rq" +
                 (", int32_t *wide" if wide else ""),
                 ("gen_fast_pw_s8_reverse" if reverse else "gen_fast_pw_s8") + "(in, out, w, rq, " +
                 ("wide" if wide else "NULL") + ", {n_pix}, {k}, {m}, {rshift}, {out_off}, {act_min}, {act_max})")
    return f"{fn}({x}, {y}, {wname}, {rq}" + (f", (int32_t *){ctx.scratch(node)});" if wide else ");")


def wide_bytes(k: int) -> int:
    """gen_fast_pw_s8's widened rows: three rows of k4 int16 pairs (6 * k4 bytes)."""
    return 6 * ((k + 3) // 4 * 4)


def pointwise_overlap(n_pix: int, k: int, m: int, loop: str):
    """The OverlapRule of gen_fast_pw_s8 (runtime_c/gen_fast_s8.h) over its input, with its widened rows in
    scratch (`wide`), the worst of its three loop orders:
      - portable, and the DSP tail: blocks of two rows p, p + 1, read by every channel pair and written after
        each pair: after the block W = (p + 2) m, R = p k (the block's rows are still read until its end);
      - DSP: blocks of three rows widened into the scratch first, then written: W = (p + 3) m, R = (p + 3) k, but
        R = p k when m is odd (gen_fast_pw_channel reads the odd last channel's rows from the input after the
        pairs have written theirs); then the tail in pairs from 3 * floor(n / 3);
      - Helium (gen_fast_pw_mve): one row at a time: W = (p + 1) m, R = p k.
    (Without the scratch the DSP blocks write 6 * k4 + 3 bytes past their rows: a lead of ~6 k4 more.)"""
    from ..overlap import OverlapRule, lead_of

    def pairs(first):
        p = np.arange(first, n_pix, 2, dtype=np.int64)
        return lead_of(np.minimum(p + 2, n_pix) * m, p * k)

    p3 = np.arange(0, n_pix - 2, 3, dtype=np.int64)
    one = np.arange(n_pix, dtype=np.int64)
    lead = max(pairs(0), lead_of((p3 + 3) * m, (p3 + 3 * (1 - m % 2)) * k), pairs(n_pix // 3 * 3),
               lead_of((one + 1) * m, one * k))
    return OverlapRule(0, lead, wide_bytes(k), loop)


def pointwise_overlap_reverse(n_pix: int, k: int, m: int, loop: str):
    """The OverlapRule of gen_fast_pw_s8_reverse: groups of three rows [p, p + 3) from the last (the first group
    n_pix % 3 rows), each by gen_fast_pw_s8, whose every path reads only the group's rows and writes only its
    output rows: while group p runs, the lowest byte written is p m and the group's rows are still read, so
    R = (p + rows) k, W = p m: out >= in + max((p + rows) k - p m)."""
    from ..overlap import OverlapRule, lead_of
    p = np.arange(0, n_pix, 3, dtype=np.int64)
    p = p[p + 3 <= n_pix] + n_pix % 3
    starts = np.concatenate([[0], p]) if n_pix % 3 else p
    rows = np.minimum(np.append(starts[1:], n_pix) - starts, 3)
    trail = lead_of((starts + rows) * k, starts * m)
    return OverlapRule(0, None, wide_bytes(k), loop, trail=trail, slower=True,    # groups of three: more loop setup
                       kernel="gen_fast_pw_s8_reverse")
