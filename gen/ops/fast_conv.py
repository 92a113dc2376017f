"""gen's specialized int8 convolution (runtime_c/gen_fast_conv_s8.h): a convolution of one group that is not
a plain 1x1 (any kernel size, stride, padding, dilation) as im2col rows, two pixels at a time, and the
pointwise kernel's matrix product over K = kh * kw * c (weights and requantization table as fast_s8's).
The same C has a DSP path (rows widened to int16, SMLAD) and a Helium one (int8 rows, the weights read by
word gathers, VMLADAVA.S8); the preprocessor picks, the weight layout is one."""
from __future__ import annotations

import numpy as np

from . import fast_s8

RUNTIME = fast_s8.RUNTIME + ("gen_fast_conv_s8.h",)


def applies(p) -> bool:
    """A convolution of one group (depthwise and grouped ones keep their kernels)."""
    return p.kind == "conv" and p.group == 1


def scratch(p) -> int:
    """Two im2col rows of k4 int16 (k4: K rounded up to a multiple of 4); Helium uses two rows of k4 int8 in it."""
    return 4 * ((p.kh * p.kw * p.c + 3) // 4 * 4)


def conv(ctx, node, p, x: str, y: str) -> str:
    """The call of gen_fast_conv_s8 for ConvS8 parameters p (filter OHWI, i.e. [m][kh * kw * c] rows)."""
    wrows = p.filter.reshape(p.m, -1)
    rows, rshift = fast_s8.requant_table(fast_s8.folded_bias(p.bias, p.in_offset, wrows, node), p.mult, p.shift,
                                         node)
    wname = ctx.array(fast_s8.interleave_pairs(wrows), "w")
    rq = fast_s8.rq_array(ctx, rows)
    args = [("h", p.h), ("w", p.w), ("c", p.c), ("n", p.n), ("oh", p.oh), ("ow", p.ow), ("m", p.m),
            ("kh", p.kh), ("kw", p.kw), ("sh", p.sh), ("sw", p.sw), ("pt", p.pt), ("pl", p.pl), ("dh", p.dh),
            ("dw", p.dw), ("in_off", p.in_offset), ("rshift", rshift), ("out_off", p.out_offset),
            ("act_min", p.act[0]), ("act_max", p.act[1])]
    fn = fast_s8.wrapper(
        ctx, "conv_s8",
        f"convolution int8: {p.n}x{p.h}x{p.w}x{p.c} -> {p.oh}x{p.ow}x{p.m}, kernel {p.kh}x{p.kw}, "
        f"stride {p.sh}x{p.sw}, pad {p.pt},{p.pl}, dilation {p.dh}x{p.dw}",
        args,
        "const int8_t *in, int8_t *out, const int32_t *w, const gen_fast_rq *rq, void *scratch",
        "gen_fast_conv_s8(in, out, w, rq, scratch, {n}, {h}, {w}, {c}, {oh}, {ow}, {m}, {kh}, {kw}, {sh}, {sw}, "
        "{pt}, {pl}, {dh}, {dw}, {in_off}, {rshift}, {out_off}, {act_min}, {act_max})")
    return f"{fn}({x}, {y}, {wname}, {rq}, {ctx.scratch(node)});"


def first_reads(p) -> np.ndarray:
    """Per output pixel (b, oy, ox in order), the lowest input byte its im2col row reads (NHWC; the input's
    size for a window of padding only): gen_fast_conv_gather's first tap inside the input."""
    def first_inside(o, size, k, s, pad, d):
        start = np.arange(o, dtype=np.int64) * s - pad
        t = np.where(start < 0, (-start + d - 1) // d, 0)    # the first tap at >= 0
        pos = start + t * d
        return np.where((t < k) & (pos < size), pos, -1)
    iy = first_inside(p.oh, p.h, p.kh, p.sh, p.pt, p.dh)
    ix = first_inside(p.ow, p.w, p.kw, p.sw, p.pl, p.dw)
    b = np.arange(p.n, dtype=np.int64)[:, None, None]
    byte = ((b * p.h + iy[None, :, None]) * p.w + ix[None, None, :]) * p.c
    none = (iy[None, :, None] < 0) | (ix[None, None, :] < 0)
    return np.where(none, p.n * p.h * p.w * p.c, byte).reshape(-1)


def overlap(p):
    """The OverlapRule of gen_fast_conv_s8 over its input: its loop `for (p = 0; p < n_pix; p += 2)` gathers
    the im2col rows of pixels p, p + 1 into the scratch, then writes both pixels' outputs: after pair p,
    W = (p + 2) m and R = the lowest byte any later pixel reads (first_reads). No Helium path."""
    from ..overlap import OverlapRule, lead_of, suffix_min
    n_pix = p.n * p.oh * p.ow
    first = first_reads(p)
    pair_first = np.minimum(first[0::2], np.append(first[1::2], first[-1])[: (n_pix + 1) // 2])
    starts = np.arange(0, n_pix, 2, dtype=np.int64)
    unread = suffix_min(pair_first, p.n * p.h * p.w * p.c)
    return OverlapRule(0, lead_of(np.minimum(starts + 2, n_pix) * p.m, unread), None,
                       "gen_fast_conv_s8: two pixels' im2col rows gathered, then their outputs written")
