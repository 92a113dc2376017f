"""The integer matrix ops of dynamic quantization (onnxruntime's quantize_dynamic writes
DynamicQuantizeLinear -> MatMulInteger / ConvInteger -> Cast -> Mul): exact integer kernels on plain
int8/uint8 tensors (runtime_c/gen_intmm.c).

- MatMulInteger: int32 y = (A - a_zero_point) x (B - b_zero_point); A [..., M, K], B [K, N] or with A's
  batch dims; a_zero_point a scalar or one per row (M), b_zero_point a scalar or one per column (N);
  the zero points constants or run-time tensors.
- ConvInteger: int32 y = conv(x - x_zero_point, w - w_zero_point), 1-D or 2-D, every pad/stride/dilation/
  group; padding counts as x_zero_point (0 after the subtraction); w_zero_point a scalar or one per output
  channel.
- DynamicQuantizeLinear: float32 x -> uint8 y with the run's scale (max(0, max x) - min(0, min x)) / 255 and
  zero point round(-min / scale), saturated, rounding half to even (an all-zero x: scale 0, y 0).
"""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from . import INT32_MAX, OpFamily, c_int32, check_window, register, spatial
from .dtypes import dtype_of

RUNTIME = ("gen_intmm.h", "gen_intmm.c")
Q8 = ("int8", "uint8")


def _signed(node, g, name) -> int:
    return 1 if dtype_of(node, g, name, Q8) == "int8" else 0


def _zero_point(node, g, k, dt, sizes, what):
    """(pointer-or-None, count) of the optional zero point input k: a scalar or one of `sizes`."""
    if len(node.inputs) <= k or not node.inputs[k]:
        return None, 0
    t = g.t(node.inputs[k])
    if dtype_of(node, g, t.name, Q8) != dt:
        raise GenError(f"{what} is {t.dtype}, its data {dt}: ONNX makes them one type", node.name, node.op)
    if t.size != 1 and t.size not in sizes:
        raise GenError(f"{what} has {t.size} elements: gen takes a scalar or one per "
                       f"{'row / column' if len(sizes) > 1 else 'output channel'} ({', '.join(map(str, sizes))})",
                       node.name, node.op)
    return t.name, c_int32(t.size, f"{what} size", node)


def _check_accumulator(node, taps: int) -> None:
    """Each int32 sum adds `taps` products of at most 255 * 255: refused where that could overflow int32."""
    if taps * 255 * 255 > INT32_MAX:
        raise GenError(f"{taps:,} products per output can overflow the int32 accumulator (at most "
                       f"{INT32_MAX // (255 * 255):,})", node.name, node.op)


def _mm_geometry(node, g):
    a, b, y = (g.t(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
    if y.dtype != "int32":
        raise GenError(f"output '{y.name}' is {y.dtype}: MatMulInteger gives int32", node.name, node.op)
    ash = list(a.shape) if len(a.shape) > 1 else [1] + list(a.shape)
    bsh = list(b.shape) if len(b.shape) > 1 else list(b.shape) + [1]
    m, k, n = ash[-2], ash[-1], bsh[-1]
    if bsh[-2] != k:
        raise GenError(f"A {list(a.shape)} and B {list(b.shape)}: inner dims differ", node.name, node.op)
    batch = int(np.prod(ash[:-2], dtype=np.int64))
    if len(bsh) == 2:
        b_batched = 0
    elif bsh[:-2] == ash[:-2]:
        b_batched = 1
    else:
        raise GenError(f"A {list(a.shape)} and B {list(b.shape)}: gen takes a 2-D B or B with A's batch dims",
                       node.name, node.op)
    if y.size != batch * m * n:
        raise GenError(f"output {list(y.shape)} is not the product's shape", node.name, node.op)
    _check_accumulator(node, k)
    azp = _zero_point(node, g, 2, a.dtype, (m,), "a_zero_point")
    bzp = _zero_point(node, g, 3, b.dtype, (n,), "b_zero_point")
    return (c_int32(batch, "batch", node), c_int32(m, "M", node), c_int32(k, "K", node), c_int32(n, "N", node),
            b_batched, azp, bzp)


def _conv_geometry(node, g):
    x, w, y = (g.t(n) for n in (node.inputs[0], node.inputs[1], node.outputs[0]))
    if y.dtype != "int32":
        raise GenError(f"output '{y.name}' is {y.dtype}: ConvInteger gives int32", node.name, node.op)
    if len(x.shape) not in (3, 4) or len(w.shape) != len(x.shape):
        raise GenError(f"input {list(x.shape)}, weights {list(w.shape)}: gen's ConvInteger is 1-D or 2-D",
                       node.name, node.op)
    xs, ws, ys = list(x.shape), list(w.shape), list(y.shape)
    if len(xs) == 3:
        xs, ws, ys = xs[:2] + [1] + xs[2:], ws[:2] + [1] + ws[2:], ys[:2] + [1] + ys[2:]
    group = int(node.attrs.get("group", 1))
    if group < 1 or xs[1] % group or ws[0] % group or ws[1] * group != xs[1]:
        raise GenError(f"group {group} does not divide input channels {xs[1]} and weights {list(w.shape)}",
                       node.name, node.op)
    strides, dil, before, after = spatial(node, list(x.shape[2:]), list(w.shape[2:]))
    if len(x.shape) == 3:
        strides, dil, before, after = [1] + strides, [1] + dil, [0] + before, [0] + after
    outs = [(xs[2 + i] + before[i] + after[i] - ((ws[2 + i] - 1) * dil[i] + 1)) // strides[i] + 1 for i in range(2)]
    check_window(node, xs[2:], ws[2:], strides, dil, before, after, outs)
    if [ys[0], ys[1]] + outs != [xs[0], ws[0]] + outs or ys[2:] != outs:
        raise GenError(f"output {list(y.shape)} is not the convolution's shape", node.name, node.op)
    _check_accumulator(node, ws[1] * ws[2] * ws[3])
    xzp = _zero_point(node, g, 2, x.dtype, (), "x_zero_point")
    wzp = _zero_point(node, g, 3, w.dtype, (ws[0],), "w_zero_point")
    fields = [xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], ys[2], ys[3], strides[0], strides[1], dil[0], dil[1],
              before[0], before[1], group]
    return [c_int32(v, "convolution parameter", node) for v in fields], xzp, wzp


@register
class IntegerMatMul(OpFamily):
    ops = ("MatMulInteger", "ConvInteger", "DynamicQuantizeLinear")
    runtime = RUNTIME
    plain_integers = True
    dtypes = {"MatMulInteger": ("int8", "uint8", "int32"), "ConvInteger": ("int8", "uint8", "int32"),
              "DynamicQuantizeLinear": ("float32", "uint8")}
    limits = {"MatMulInteger": "B 2-D or with A's batch dims; zero points scalar, per row (A), per column (B)",
              "ConvInteger": "1-D and 2-D; w_zero_point scalar or per output channel",
              "DynamicQuantizeLinear": ""}

    def check(self, node, g):
        if node.op == "MatMulInteger":
            _signed(node, g, node.inputs[0]), _signed(node, g, node.inputs[1])
            _mm_geometry(node, g)
        elif node.op == "ConvInteger":
            _signed(node, g, node.inputs[0]), _signed(node, g, node.inputs[1])
            _conv_geometry(node, g)
        else:
            dtype_of(node, g, node.inputs[0], ("float32",))
            outs = [g.t(o) for o in node.outputs]
            if [t.dtype for t in outs] != ["uint8", "float32", "uint8"] or outs[1].size != 1 or outs[2].size != 1:
                raise GenError("DynamicQuantizeLinear gives uint8 y, a float32 scale and a uint8 zero point",
                               node.name, node.op)
            c_int32(outs[0].size, "element count", node)

    def macs(self, node, g):
        if node.op == "MatMulInteger":
            batch, m, k, n, *_ = _mm_geometry(node, g)
            return batch * m * k * n
        if node.op == "ConvInteger":
            f, _, _ = _conv_geometry(node, g)
            return f[0] * f[4] * f[7] * f[8] * (f[1] // f[15]) * f[5] * f[6]
        return 0

    def kernel(self, node, g):
        return {"MatMulInteger": "gen_matmul_integer", "ConvInteger": "gen_conv_integer",
                "DynamicQuantizeLinear": "gen_dynamic_quantize"}[node.op]

    def emit(self, node, g, ctx):
        if node.op == "DynamicQuantizeLinear":
            y, s, z = (ctx.ptr(o) for o in node.outputs)
            n = c_int32(g.t(node.outputs[0]).size, "element count", node)
            return f"gen_dynamic_quantize({ctx.ptr(node.inputs[0])}, {y}, {s}, {z}, {n});"
        sa, sb = _signed(node, g, node.inputs[0]), _signed(node, g, node.inputs[1])
        if node.op == "MatMulInteger":
            batch, m, k, n, b_batched, (az, an), (bz, bn) = _mm_geometry(node, g)
            prm = ctx.params("gen_matmul_integer_params",
                             f"{batch}, {m}, {k}, {n}, {b_batched}, {sa}, {sb}, {an}, {bn}")
        else:
            f, (az, an), (bz, bn) = _conv_geometry(node, g)
            prm = ctx.params("gen_conv_integer_params",
                             ", ".join(str(v) for v in f) + f", {sa}, {sb}, {an}, {bn}")
        azp = ctx.ptr(az) if az else "NULL"
        bzp = ctx.ptr(bz) if bz else "NULL"
        fn = "gen_matmul_integer" if node.op == "MatMulInteger" else "gen_conv_integer"
        return (f"{fn}({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.inputs[1])}, {azp}, {bzp}, "
                f"{ctx.ptr(node.outputs[0])}, {prm});")
