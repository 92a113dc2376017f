"""gen's specialized int8 Add and Mul (runtime_c/gen_fast_eltwise_s8.h), bit-exact with arm_elementwise_add_s8
and arm_elementwise_mul_s8.

Add: each input's requantization depends on its int8 value only: it is computed here for the 256 values (one
int32 table per input, doubled for the kernel's SMMULR, stored once when identical). Both kernels requantize
with the output multiplier as a literal, the rounding division and the output offset folded into one constant
k = 2^(e-1) + out_offset * 2^e. A layer whose values could leave the ranges that make this exact (|sum| >= 2^30,
an overflow of the rounding term, a right shift of 0 or a left shift) keeps the CMSIS-NN call.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import int8ref
from . import c_int32s, fast_s8

RUNTIME = fast_s8.RUNTIME + ("gen_fast_eltwise_s8.h",)
_XS = np.arange(-128, 128, dtype=np.int64)


def _wrap32(v):
    return ((np.asarray(v, np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def add_tables(p) -> tuple[np.ndarray, np.ndarray]:
    """The inputs' requantizations for x = -128..127 (int64), as arm_elementwise_add_s8 computes them."""
    return tuple(int8ref.requantize(_wrap32((_XS + off) << p.left_shift), mult, shift)
                 for off, mult, shift in ((p.input_1_offset, p.input_1_mult, p.input_1_shift),
                                          (p.input_2_offset, p.input_2_mult, p.input_2_shift)))


def _tail(smax: int, p) -> tuple[int, int] | None:
    """(e, k) of the output requantization of sums |s| <= smax, or None where the kernel's formula is not exact."""
    e = -int(p.out_shift)
    if not 1 <= e <= 31 or 2 * smax >= 1 << 31 or int(p.out_mult) < 0:
        return None
    k = (1 << (e - 1)) + int(p.out_offset) * (1 << e)
    rmax = smax * int(p.out_mult) // (1 << 31) + 2
    if rmax + 1 + abs(k) >= 1 << 31:
        return None
    return e, k


def add_plan(p):
    """(tables, e, k) for an AddS8Params layer, or None (the CMSIS-NN call)."""
    ta, tb = add_tables(p)
    smax = int(max(abs(ta.max() + tb.max()), abs(ta.min() + tb.min())))
    tail = _tail(smax, p)
    return None if tail is None else ((ta, tb),) + tail


def mul_plan(p):
    """(e, k) for a MulS8Params layer, or None."""
    if not (-127 <= p.input_1_offset <= 128 and -127 <= p.input_2_offset <= 128):
        return None
    return _tail(255 * 255, p)


def choice(p) -> str | None:
    """'add' or 'mul' where the layer's constants allow gen's kernel, else None."""
    if hasattr(p, "left_shift"):
        return "add" if add_plan(p) is not None else None
    return "mul" if mul_plan(p) is not None else None


def emit(ctx, node, p, a: str, b: str, y: str) -> str:
    """The call of the layer's wrapper: y = a + b or a * b on p.size int8 elements."""
    lo, hi = p.out_activation_min, p.out_activation_max
    if hasattr(p, "left_shift"):
        (ta, tb), e, k = add_plan(p)
        t1 = ctx.array(c_int32s(2 * ta, "Add input table", node), "t")
        t2 = ctx.array(c_int32s(2 * tb, "Add input table", node), "t")
        fn = fast_s8.wrapper(ctx, "add_s8", f"int8 Add of {p.size} elements, the inputs' requantizations tabulated",
                             [("n", p.size), ("mult", p.out_mult), ("e", e), ("k", k), ("act_min", lo),
                              ("act_max", hi)],
                             "const int8_t *x1, const int8_t *x2, int8_t *y, const int32_t *t1, const int32_t *t2",
                             "gen_fast_add_s8(x1, x2, y, t1 + 128, t2 + 128, {n}, {mult}, {e}, {k}, {act_min}, "
                             "{act_max})")
        return f"{fn}({a}, {b}, {y}, {t1}, {t2});"
    e, k = mul_plan(p)
    fn = fast_s8.wrapper(ctx, "mul_s8", f"int8 Mul of {p.size} elements",
                         [("n", p.size), ("mult", p.out_mult), ("e", e), ("k", k), ("off1", p.input_1_offset),
                          ("off2", p.input_2_offset), ("act_min", lo), ("act_max", hi)],
                         "const int8_t *x1, const int8_t *x2, int8_t *y",
                         "gen_fast_mul_s8(x1, x2, y, {off1}, {off2}, {n}, {mult}, {e}, {k}, {act_min}, {act_max})")
    return f"{fn}({a}, {b}, {y});"


def pool_ok(p, avg: bool) -> bool:
    """gen_fast_pool_s8 covers the layer: every window holds an input pixel (CMSIS-NN refuses an empty average
    window and leaves an empty maximum's output as it was), and an average's int16 lane sums cannot overflow."""
    if p.n != 1 or (avg and p.kh * p.kw * 128 > 32767):
        return False
    for size, out, k, s, pad in ((p.h, p.oh, p.kh, p.sh, p.pt), (p.w, p.ow, p.kw, p.sw, p.pl)):
        for o in range(out):
            start = o * s - pad
            if min(k, size - start) <= max(0, -start):
                return False
    return True


def pool_emit(ctx, p, avg: bool, x: str, y: str) -> str:
    """The call of the pooling layer's wrapper (the geometry as literals)."""
    kind = "avgpool_s8" if avg else "maxpool_s8"
    fn = fast_s8.wrapper(ctx, kind, f"int8 {'average' if avg else 'max'} pooling {p.kh}x{p.kw} over "
                                    f"{p.h}x{p.w}x{p.c} -> {p.oh}x{p.ow}",
                         [("h", p.h), ("w", p.w), ("c", p.c), ("oh", p.oh), ("ow", p.ow), ("kh", p.kh), ("kw", p.kw),
                          ("sh", p.sh), ("sw", p.sw), ("pt", p.pt), ("pl", p.pl), ("act_min", p.act[0]),
                          ("act_max", p.act[1])],
                         "const int8_t *x, int8_t *y",
                         f"gen_fast_pool_s8(x, y, {int(avg)}, {{h}}, {{w}}, {{c}}, {{oh}}, {{ow}}, {{kh}}, {{kw}}, "
                         "{sh}, {sw}, {pt}, {pl}, {act_min}, {act_max})")
    return f"{fn}({x}, {y});"


def layout_ok(p) -> bool:
    """gen_fast_chlast_s8 covers a LayoutS8 node of int8 data (the caller checks the dtype): one-byte elements,
    channels first <-> last."""
    return p.elem_bytes == 1 and (p.src is None) != (p.dst is None)


def layout_emit(ctx, p, x: str, y: str) -> str:
    """The call of the layout change's wrapper (n images, c channels, hw positions as literals)."""
    to_last = p.dst is not None
    n, (c, hw) = p.shape[0], layout_dims(p)
    what = f"int8 channels {'first -> last' if to_last else 'last -> first'}: {n} x {c} channels x {hw} positions"
    args = [("n", n), ("c", c), ("hw", hw), ("to_last", int(to_last))]
    rule = ctx.overlap_rule(ctx.node)      # the overlap plan's choice (layout_overlap): in place, or None
    if rule is not None and rule.variant == "cycles":
        leaders = cycle_leaders(c, hw)
        fn = fast_s8.wrapper(ctx, "chlast_cycles_s8", what + ", in place by its cycles when y == x",
                             args + [("n_leaders", len(leaders))],
                             "const int8_t *x, int8_t *y, const int32_t *leaders",
                             "gen_fast_chlast_cycles_s8(x, y, leaders, {n_leaders}, {n}, {c}, {hw}, {to_last})")
        return f"{fn}({x}, {y}, {ctx.array(np.asarray(leaders, np.int32), 'cycles')});"
    if rule is not None and rule.variant == "bitmap":
        fn = fast_s8.wrapper(ctx, "chlast_inplace_s8", what + ", in place when y == x", args,
                             "const int8_t *x, int8_t *y, uint32_t *seen",
                             "gen_fast_chlast_inplace_s8(x, y, seen, {n}, {c}, {hw}, {to_last})")
        return f"{fn}({x}, {y}, (uint32_t *){ctx.scratch(ctx.node)});"
    fn = fast_s8.wrapper(ctx, "chlast_s8", what, args, "const int8_t *x, int8_t *y",
                         "gen_fast_chlast_s8(x, y, {n}, {c}, {hw}, {to_last})")
    return f"{fn}({x}, {y});"


def overlap():
    """The OverlapRules of gen_fast_add_s8 / gen_fast_mul_s8 over either input: their loops read x1[i..i+3] and
    x2[i..i+3] (DSP; one element on other cores) before writing y[i..i+3], walking forward: W = R after each
    step, a lead of 0 (in place, or the output lower)."""
    from ..overlap import OverlapRule
    return tuple(OverlapRule(k, 0, None, "gen_fast_add_s8 / gen_fast_mul_s8: y[i..i+3] after x1, x2[i..i+3]")
                 for k in range(2))


INPLACE_RUNTIME = RUNTIME + ("gen_fast_inplace_s8.h",)


def layout_seen_bytes(p) -> int:
    """gen_fast_chlast_inplace_s8's scratch: one bit per element of an image, in words."""
    size = 1
    for d in p.shape[1:]:
        size *= d
    return 4 * ((size + 31) // 32)


MAX_LEADERS = 256      # cycles of an in-place layout change whose leaders gen tabulates (else the bitmap)


@functools.lru_cache(maxsize=64)
def cycle_leaders(c: int, hw: int) -> tuple[int, ...] | None:
    """The smallest element of each cycle of the in-place layout change of one c x hw image (pos -> pos * c
    mod (c * hw - 1); the change back follows the same cycles the other way), 0 and the last excluded; None
    when there are more than MAX_LEADERS, or pos * max(c, hw) could pass 2^32. Cached: the overlap rule and
    the emitted call both ask, and an image's pass over its elements is linear in its size."""
    size = c * hw
    if size < 3 or c < 2 or hw < 2 or size * max(c, hw) >= 2**32:
        return None
    m, seen, leaders = size - 1, bytearray(size), []
    for i in range(1, m):
        if seen[i]:
            continue
        leaders.append(i)
        if len(leaders) > MAX_LEADERS:
            return None
        pos = i
        while not seen[pos]:
            seen[pos] = 1
            pos = pos * c % m
    return tuple(leaders)


def layout_dims(p) -> tuple[int, int]:
    """(c, hw) of a LayoutS8 node's images."""
    to_last = p.dst is not None
    c, hw = p.shape[-1] if to_last else p.shape[1], 1
    for d in (p.shape[1:-1] if to_last else p.shape[2:]):
        hw *= d
    return c, hw


def layout_overlap(p):
    """The OverlapRule of the layout change: exact, with gen_fast_chlast_inplace_s8 (runtime_c/
    gen_fast_inplace_s8.h), whose loop follows the permutation's cycles and writes each element once, after
    reading the one it replaces (any pair of buffers moves nothing in place: they are never aliased)."""
    from ..overlap import OverlapRule
    if cycle_leaders(*layout_dims(p)) is not None:
        return OverlapRule(0, None, 0, "gen_fast_chlast_cycles_s8: the permutation's cycles from their leaders",
                           slower=True, variant="cycles", kernel="gen_fast_chlast_cycles_s8")
    c = p.shape[-1] if p.dst is not None else p.shape[1]
    if layout_seen_bytes(p) * 8 * max(c, 1) >= 2**31:      # pos * c in int32
        return None
    return OverlapRule(0, None, layout_seen_bytes(p), "gen_fast_chlast_inplace_s8: the permutation's cycles",
                       slower=True, variant="bitmap", kernel="gen_fast_chlast_inplace_s8")
