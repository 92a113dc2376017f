"""gen's depthwise int8 kernel (runtime_c/gen_fast_dw_s8.h): 3x3, one output channel per input channel,
dilation 1, any stride and padding, batch 1. Other depthwise layers keep the CMSIS-NN call.

Generation time: the input offset folded into the bias (the padding is then the input zero point), the
requantization table (gen_fast_rq), the weights channel by channel (a word of three int8 per kernel row; the
DSP and portable paths pair them once per channel, the Helium path gathers the nine bytes in one load). The
layer's scratch, the larger of the two paths': DSP/portable, one channel's widened input rows (the whole
plane when it takes at most PLANE_BYTES, else a ring of three rows); Helium, the padded int8 planes of four
channels (or one channel's plane, or its ring of three rows) as they fit PLANE_BYTES.
"""
from __future__ import annotations

import numpy as np

from . import fast_s8

RUNTIME = fast_s8.RUNTIME + ("gen_fast_dw_s8.h",)


def covers(p) -> bool:
    """The depthwise layers gen_fast_dw3x3_s8 runs (ConvS8Params)."""
    return (p.depthwise and p.ch_mult == 1 and p.n == 1 and (p.kh, p.kw) == (3, 3) and p.dh == p.dw == 1
            and p.pt >= 0 and p.pl >= 0 and bool(np.all(np.asarray(p.mult) >= 0)))   # gen_fast_dw_out


def row_width(p) -> int:
    """GEN_FAST_DW_WB: the columns of one widened row (the windows' columns plus one, even)."""
    return ((p.ow - 1) * p.sw + 5) // 2 * 2


PLANE_BYTES = 6144   # a channel's widened rows up to this size are widened all at once (no ring)


def plane_rows(p) -> int:
    """The padded input rows the windows read."""
    return (p.oh - 1) * p.sh + 3


def plane(p) -> int:
    """1 when the layer widens a whole channel at once (small planes), 0 for the ring of three rows."""
    return int(plane_rows(p) * row_width(p) * 2 <= PLANE_BYTES)


def mve_row(p) -> int:
    """GEN_FAST_DW_MVE_WP: the columns of one padded int8 row of the Helium path."""
    return (p.ow - 1) * p.sw + 3


def mve_fits(p) -> bool:
    """GEN_FAST_DW_MVE_FITS: the Helium path takes the layer (its gather offsets fit in a byte)."""
    return 2 * mve_row(p) + 2 + 3 * p.sw <= 255


def mve_planes(p, ring: bool = False) -> int:
    """The padded planes the Helium path keeps at once (the buffer at most PLANE_BYTES): 4 (four channels
    copied together), 1, or 0 for its ring of three rows (also with `ring`: the overlap plan's choice)."""
    size = plane_rows(p) * mve_row(p)
    return 0 if ring else 4 if 4 * size <= PLANE_BYTES else 1 if size <= PLANE_BYTES else 0


def mve_scratch(p, ring: bool = False) -> int:
    """Bytes of the Helium path's padded int8 rows: its planes, or the ring of three rows written twice."""
    if not mve_fits(p):
        return 0
    return (mve_planes(p, ring) * plane_rows(p) if mve_planes(p, ring) else 6) * mve_row(p)


def scratch(p, ring: bool = False) -> int:
    """Bytes of the scratch of either path (the generated C serves both): one channel's widened rows (the
    whole plane, or (or with `ring`) the ring of three rows written twice, [6][wb] int16), or the Helium
    path's padded planes or ring."""
    return max((plane_rows(p) if plane(p) and not ring else 6) * row_width(p) * 2, mve_scratch(p, ring))


def channel_weights(filt: np.ndarray) -> np.ndarray:
    """int8 [3, 3, c] -> int32 [c, 3]: per channel, per kernel row, the word w0 | w1 << 8 | w2 << 16 (int8
    bytes, the fourth 0)."""
    b = filt.astype(np.int8).astype(np.uint8).astype(np.uint32).transpose(2, 0, 1)
    return np.ascontiguousarray(b[:, :, 0] | b[:, :, 1] << 8 | b[:, :, 2] << 16).view(np.int32)


def depthwise(ctx, node, p, x: str, y: str) -> str:
    """The call of gen_fast_dw3x3_s8 for ConvS8Params p (covers(p))."""
    w_rows = p.filter.reshape(9, p.c).T
    rows, rshift = fast_s8.requant_table(fast_s8.folded_bias(p.bias, p.in_offset, w_rows, node), p.mult, p.shift,
                                         node)
    wname = ctx.array(channel_weights(p.filter), "w")
    rq = fast_s8.rq_array(ctx, rows)
    rule = ctx.overlap_rule(node)
    ring = rule is not None and rule.variant == "ring"      # the overlap plan planned the ring's scratch only
    whole = int(plane(p) and not ring)
    fn = fast_s8.wrapper(
        ctx, "dw_s8", f"depthwise 3x3 int8: {p.h}x{p.w}x{p.c} -> {p.oh}x{p.ow}, stride {p.sh}x{p.sw}",
        [("h", p.h), ("w", p.w), ("c", p.c), ("oh", p.oh), ("ow", p.ow), ("sh", p.sh), ("sw", p.sw), ("pt", p.pt),
         ("pl", p.pl), ("zp", -p.in_offset), ("plane", whole), ("mve_planes", mve_planes(p, ring)),
         ("rshift", rshift), ("out_off", p.out_offset), ("act_min", p.act[0]), ("act_max", p.act[1])],
        "const int8_t *in, int8_t *out, const int32_t *w, const gen_fast_rq *rq, int32_t *buf",
        "gen_fast_dw3x3_s8(in, out, w, rq, buf, {h}, {w}, {c}, {oh}, {ow}, {sh}, {sw}, {pt}, {pl}, {zp}, {plane}, "
        "{mve_planes}, {rshift}, {out_off}, {act_min}, {act_max})")
    return f"{fn}({x}, {y}, {wname}, {rq}, (int32_t *){ctx.scratch(node)});"


def overlap(p):
    """The OverlapRules of gen_fast_dw3x3_s8 over its input: exact (the output at the input's offset).
    Its loop `for (ch = 0; ch < c; ch++)` reads and writes channel ch only, and writes output row oy of the
    channel (pixels oy * ow .. oy * ow + ow - 1, each over the input byte of the same pixel index and channel)
    once the channel's padded input rows up to oy * sh + 2 are widened (with `plane`, all of them first): safe
    when the input row of each such pixel index is among those rows (then no later step reads it)."""
    from ..overlap import OverlapRule
    rules = []
    if plane(p):
        rules.append(OverlapRule(0, None, None, "gen_fast_dw3x3_s8: channel by channel, the plane widened first"))
    oy = np.arange(p.oh, dtype=np.int64)
    last = np.minimum(oy * p.ow + p.ow - 1, p.h * p.w - 1)
    if not np.any(last // p.w > oy * p.sh + 2 - p.pt):     # the ring: less scratch, a little slower than the plane
        rules.append(OverlapRule(0, None, scratch(p, ring=True), "gen_fast_dw3x3_s8: channel by channel, "
                                 "rows widened into a ring of three as the output rows need them", slower=plane(p),
                                 variant="ring"))
    return tuple(rules)
