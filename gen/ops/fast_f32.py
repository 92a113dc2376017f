"""gen's layer-specialized float32 kernels (runtime_c/gen_fast_f32.h): what the float Conv emits for a 2-D
(or 1-D) convolution of batch 1 with constant weights, group 1 or depthwise (other convolutions keep
gen_f32_conv), the float Gemm with a constant B, and Add/Sub/Mul/Div over one run of elements. `--kernels`
chooses int8 kernels only: a float model has no CMSIS-NN call to link.

Generation time lays the weights out for the kernel's loads: four output channels' weights of one tap
side by side ([m4 / 4][k][4], zero channels past m); the depthwise weights stay [c][kh][kw]. The layer's
shape, pads and activation reach the kernel as literals through one static wrapper per distinct layer.
"""
from __future__ import annotations

import numpy as np

from . import fast_s8
from ..c_literals import c_float

RUNTIME = ("gen_fast.h", "gen_fast_f32.h")


def kind(node, g, p) -> str | None:
    """'conv' (group 1), 'dw' (one output channel per input channel) or None (gen_f32_conv) for a float
    Conv's ConvParams p."""
    if p.n != 1 or not g.t(node.inputs[1]).is_const:
        return None
    if len(node.inputs) > 2 and node.inputs[2] and not g.t(node.inputs[2]).is_const:
        return None
    if p.group == 1:
        return "conv"
    if p.group == p.c == p.m:
        return "dw"
    return None


def direct(p) -> bool:
    """A 1x1, stride-1, unpadded layer: its taps are the input itself (no patch)."""
    return (p.kh, p.kw, p.sh, p.sw, p.pt, p.pl, p.pb, p.pr) == (1, 1, 1, 1, 0, 0, 0, 0)


def scratch(node, g, p) -> int:
    """Bytes of the kernel's scratch: the four pixels' patch ([k][4] floats; none for a direct layer), or
    the depthwise layer's zero-bordered plane."""
    k = kind(node, g, p)
    if k == "conv":
        return 0 if direct(p) else 16 * p.c * p.kh * p.kw
    if k == "dw":
        return 4 * (p.h + p.pt + p.pb) * (p.w + p.pl + p.pr)
    return 0


def conv_weights(w: np.ndarray) -> np.ndarray:
    """float [m, c, kh, kw] -> [m4 / 4][k][4]: for each block of four output channels, tap by tap, the
    four channels' weights side by side (channels past m zero)."""
    m = w.shape[0]
    k = int(np.prod(w.shape[1:]))
    m4 = (m + 3) // 4 * 4
    wp = np.zeros((m4, k), np.float32)
    wp[:m] = w.reshape(m, k)
    return np.ascontiguousarray(wp.reshape(m4 // 4, 4, k).transpose(0, 2, 1))


def _act(node) -> tuple[int, str, str, str]:
    """(act, lo, hi, alpha) of gen_fast_act_f32: 0 none, 1 Relu, 2 slope and clamp."""
    a = node.act
    if a is None:
        return 0, "0.0f", "0.0f", "1.0f"
    if a.kind == "relu":
        return 1, "0.0f", "0.0f", "1.0f"
    return 2, c_float(a.lo), c_float(a.hi), c_float(a.alpha)


def emit(ctx, node, g, p) -> str:
    """The call of gen_fast_conv_f32 / gen_fast_dw_f32 for the float Conv `node` (kind(...) is not None)."""
    k = kind(node, g, p)
    w = g.const(node.inputs[1]).astype(np.float32)
    has_bias = len(node.inputs) > 2 and node.inputs[2]
    b = ctx.array(g.const(node.inputs[2]).astype(np.float32), "b") if has_bias else "NULL"
    act, lo, hi, alpha = _act(node)
    x, y, buf = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0]), ctx.scratch(node)
    params = "const float *x, float *y, const float *w, const float *b, float *buf"
    geo = [("c", p.c), ("h", p.h), ("w", p.w)]
    if k == "conv":
        wname = ctx.array(conv_weights(w), "w")
        fn = fast_s8.wrapper(
            ctx, "conv_f32", f"convolution float32: {p.c}x{p.h}x{p.w} -> {p.m}x{p.oh}x{p.ow}, kernel {p.kh}x{p.kw}, "
                             f"stride {p.sh}x{p.sw}",
            geo + [("m", p.m), ("oh", p.oh), ("ow", p.ow), ("kh", p.kh), ("kw", p.kw), ("sh", p.sh), ("sw", p.sw),
                   ("dh", p.dh), ("dw", p.dw), ("pt", p.pt), ("pl", p.pl), ("direct", int(direct(p))), ("act", act)],
            params,
            "gen_fast_conv_f32(x, y, w, b, buf, {c}, {h}, {w}, {m}, {oh}, {ow}, {kh}, {kw}, {sh}, {sw}, {dh}, {dw}, "
            f"{{pt}}, {{pl}}, {{direct}}, {{act}}, {lo}, {hi}, {alpha})")
    else:
        wname = ctx.array(np.ascontiguousarray(w.reshape(p.c, p.kh, p.kw)), "w")
        fn = fast_s8.wrapper(
            ctx, "dw_f32", f"depthwise float32: {p.c}x{p.h}x{p.w} -> {p.oh}x{p.ow}, kernel {p.kh}x{p.kw}, "
                           f"stride {p.sh}x{p.sw}",
            geo + [("oh", p.oh), ("ow", p.ow), ("kh", p.kh), ("kw", p.kw), ("sh", p.sh), ("sw", p.sw), ("dh", p.dh),
                   ("dw", p.dw), ("pt", p.pt), ("pl", p.pl), ("hp", p.h + p.pt + p.pb), ("wp", p.w + p.pl + p.pr),
                   ("act", act)],
            params,
            "gen_fast_dw_f32(x, y, w, b, buf, {c}, {h}, {w}, {oh}, {ow}, {kh}, {kw}, {sh}, {sw}, {dh}, {dw}, {pt}, "
            f"{{pl}}, {{hp}}, {{wp}}, {{act}}, {lo}, {hi}, {alpha})")
    return f"{fn}({x}, {y}, {wname}, {b}, (float *){buf});"


def fc_applies(node, g, p) -> bool:
    """A float Gemm gen_fast_fc_f32 runs (GemmParams p): constant B, A not transposed, C absent or a
    constant bias over the outputs (one row, broadcast down)."""
    if p.ta or not g.t(node.inputs[1]).is_const:
        return False
    if len(node.inputs) > 2 and node.inputs[2] and p.beta != 0.0:
        c = g.t(node.inputs[2])
        return c.is_const and int(np.prod(c.shape)) == p.n and (len(c.shape) < 2 or c.shape[-2] == 1)
    return True


def fc_weights(b: np.ndarray) -> np.ndarray:
    """float [n, k] rows of B' -> [n8 / 8][k][8]: per block of eight outputs, tap by tap, the eight
    outputs' weights side by side (outputs past n zero)."""
    n, k = b.shape
    n8 = (n + 7) // 8 * 8
    wp = np.zeros((n8, k), np.float32)
    wp[:n] = b
    return np.ascontiguousarray(wp.reshape(n8 // 8, 8, k).transpose(0, 2, 1))


def fc(ctx, node, p, b_rows: np.ndarray, bias: np.ndarray | None) -> str:
    """The call of gen_fast_fc_f32 for a float Gemm (fc_applies): b_rows [n, k] (alpha folded in), bias
    [n] (beta folded in) or None."""
    act, lo, hi, alpha = _act(node)
    wname = ctx.array(fc_weights(b_rows), "w")
    b = ctx.array(bias.astype(np.float32).reshape(-1), "b") if bias is not None else "NULL"
    fn = fast_s8.wrapper(
        ctx, "fc_f32", f"fully connected float32: {p.m} rows of {p.k} -> {p.n}",
        [("m", p.m), ("k", p.k), ("n", p.n), ("act", act)],
        "const float *a, float *y, const float *w, const float *b",
        f"gen_fast_fc_f32(a, y, w, b, {{m}}, {{k}}, {{n}}, {{act}}, {lo}, {hi}, {alpha})")
    return f"{fn}({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {wname}, {b});"


BINARY_OPS = {"Add": 0, "Sub": 1, "Mul": 2, "Div": 3}     # gen_fast_binary_f32's op (gen_f32.h's GEN_ADD ..)


def binary_applies(node, g, p) -> bool:
    """A float Add/Sub/Mul/Div gen_fast_binary_f32 runs (BinaryParams p after coalescing): one run of
    elements, each operand whole or one broadcast value."""
    return (node.op in BINARY_OPS and len(p.shape) == 1 and p.sa[0] in (0, 1)
            and p.sb[0] in (0, 1))


def binary(ctx, node, p) -> str:
    """The call of gen_fast_binary_f32 (binary_applies)."""
    act, lo, hi, alpha = _act(node)
    fn = fast_s8.wrapper(
        ctx, "binary_f32", f"{node.op} float32: {p.shape[0]} elements",
        [("n", p.shape[0]), ("as", p.sa[0]), ("bs", p.sb[0]), ("op", BINARY_OPS[node.op]), ("act", act)],
        "const float *a, const float *b, float *y",
        f"gen_fast_binary_f32(a, b, y, {{n}}, {{as}}, {{bs}}, {{op}}, {{act}}, {lo}, {hi}, {alpha})")
    return f"{fn}({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.inputs[1])}, {ctx.ptr(node.outputs[0])});"
