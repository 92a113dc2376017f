"""Gemm (transA/transB, alpha/beta, broadcast C) and MatMul (batched, broadcast, 1-D promotion)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import fast_f32
from . import (OpFamily, broadcast_strides, c_int32, check_finite, dims6, int8_weights, int32_bias, register,
               shape_of)


def _c_strides(c_shape: tuple[int, ...]) -> tuple[int, int]:
    shp = (1,) * (2 - len(c_shape)) + tuple(c_shape)
    rows, cols = shp
    return (cols if rows > 1 else 0), (1 if cols > 1 else 0)


def gemm_dims(node, g) -> tuple[int, int, int]:
    a, b = g.t(node.inputs[0]), g.t(node.inputs[1])
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise GenError("Gemm inputs must be 2-D", node.name, node.op)
    ta, tb = int(bool(node.attrs.get("transA", 0))), int(bool(node.attrs.get("transB", 0)))
    m, k = (a.shape[1], a.shape[0]) if ta else a.shape
    k2, n = (b.shape[1], b.shape[0]) if tb else b.shape
    if k != k2:
        raise GenError(f"Gemm inner dimensions differ ({k} and {k2})", node.name, node.op)
    return c_int32(m, "rows", node), c_int32(k, "inner dimension", node), c_int32(n, "columns", node)


@dataclass(frozen=True)
class GemmParams:
    """A float Gemm: Y[m, n] = alpha * A' B' + beta * C, with A' [m, k] and B' [k, n] (transA/transB)."""
    m: int
    k: int
    n: int
    ta: int                 # transA, transB: non-zero is true
    tb: int
    alpha: float
    beta: float


@register
class Gemm(OpFamily):
    ops = ("Gemm",)
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"Gemm": "FullyConnectedS8"}
    fuses_activation = True
    folds_batchnorm = True

    def legalize(self, node, g):
        ins = node.inputs
        if shape_of(g, ins[0]) is None or len(ins) < 3 or shape_of(g, ins[2]) is None or \
                shape_of(g, node.outputs[0]) is None:
            return
        c, y = shape_of(g, ins[2]), shape_of(g, node.outputs[0])
        try:
            ok = len(c) <= len(y) and np.broadcast_shapes(c, y) == y
        except ValueError:
            ok = False
        if not ok:
            raise GenError(f"bias '{ins[2]}' has shape {list(c)}, which does not broadcast to the output "
                           f"{list(y)}", node.name, node.op)

    def int8_form(self, node, g):
        if not int8_weights(node, g) or not int32_bias(node, g):
            return None
        if int(node.attrs.get("transA", 0)) or float(node.attrs.get("alpha", 1.0)) != 1.0 \
                or float(node.attrs.get("beta", 1.0)) != 1.0:
            return None
        return super().int8_form(node, g)

    def fold_batchnorm(self, node, g, w, s, t, has_bias):
        if int(node.attrs.get("transB", 0)):
            w2 = w * s.reshape(-1, 1)
        else:
            w2 = w * s.reshape(1, -1)
        beta = float(node.attrs.get("beta", 1.0))
        c = g.const(node.inputs[2]).astype(np.float32) * np.float32(beta) if has_bias else np.float32(0)
        c = np.broadcast_to(c, np.broadcast_shapes(np.shape(c), s.shape)) if np.ndim(c) < 2 else c
        b2 = (c * s + t).astype(np.float32)
        node.attrs["beta"] = 1.0
        return w2, b2

    def prepare(self, node, g):
        m, k, n = gemm_dims(node, g)
        return GemmParams(m, k, n, int(bool(node.attrs.get("transA", 0))), int(bool(node.attrs.get("transB", 0))),
                          float(node.attrs.get("alpha", 1.0)), float(node.attrs.get("beta", 1.0)))

    def check(self, node, g):
        p = self.params(node, g)
        m, n = p.m, p.n
        for a, default, k in (("alpha", 1.0, 1), ("beta", 1.0, 2)):
            v = check_finite(node.attrs.get(a, default), f"attribute {a}", node)
            data = g.const(node.inputs[k]) if len(node.inputs) > k and node.inputs[k] else None
            if data is not None and v != 1.0 and not np.all(np.isfinite(data.astype(np.float32) * np.float32(v))):
                # emit folds alpha (beta) into the constant B (C): the product must stay a float32
                raise GenError(f"{a} = {v:g} times '{node.inputs[k]}' overflows float32", node.name, node.op)
        if len(node.inputs) > 2 and node.inputs[2]:
            c = g.t(node.inputs[2])
            shp = (1,) * (2 - len(c.shape)) + tuple(c.shape)
            if len(c.shape) > 2 or shp[0] not in (1, m) or shp[1] not in (1, n):
                raise GenError(f"Gemm C of shape {list(c.shape)} does not broadcast to [{m}, {n}]",
                               node.name, node.op)

    def macs(self, node, g):
        p = self.params(node, g)
        return p.m * p.k * p.n

    def runtime_files(self, node, g):
        return self.runtime + (fast_f32.RUNTIME if fast_f32.fc_applies(node, g, self.params(node, g)) else ())

    def kernel(self, node, g):
        return "gen_fast_fc_f32" if fast_f32.fc_applies(node, g, self.params(node, g)) else "gen_f32_gemm"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        m, k, n, ta, tb, alpha, beta = p.m, p.k, p.n, p.ta, p.tb, p.alpha, p.beta
        bdata = g.const(node.inputs[1])
        if bdata is not None:   # constant B: fold alpha, store as [N, K] rows for contiguous dot products
            bmat = bdata.astype(np.float32)
            bmat = bmat if tb else bmat.T
            bmat = np.ascontiguousarray(bmat * np.float32(alpha)) if alpha != 1.0 else bmat
            if fast_f32.fc_applies(node, g, p):
                has_c = len(node.inputs) > 2 and node.inputs[2] and beta != 0.0
                bias = g.const(node.inputs[2]).astype(np.float32) * np.float32(beta) if has_c else None
                return fast_f32.fc(ctx, node, p, bmat, bias)
            b = ctx.array(bmat, "w")
            tb, alpha = 1, 1.0
        else:
            b = ctx.ptr(node.inputs[1])
        c, c_sm, c_sn = "NULL", 0, 0
        if len(node.inputs) > 2 and node.inputs[2] and beta != 0.0:
            cdata = g.const(node.inputs[2])
            c_sm, c_sn = _c_strides(g.t(node.inputs[2]).shape)
            if cdata is not None:
                c = ctx.array((cdata.astype(np.float32) * np.float32(beta)).reshape(-1), "b")
                beta = 1.0
            else:
                c = ctx.ptr(node.inputs[2])
        prm = ctx.params("gen_f32_gemm_params",
                         f"{m}, {n}, {k}, {ta}, {tb}, {ctx.flt(alpha)}, {ctx.flt(beta)}, {c_sm}, {c_sn}, "
                         f"{ctx.act(node)}")
        return f"gen_f32_gemm({ctx.ptr(node.inputs[0])}, {b}, {c}, {ctx.ptr(node.outputs[0])}, {prm});"


def matmul_dims(node, g):
    a, b = list(g.t(node.inputs[0]).shape), list(g.t(node.inputs[1]).shape)
    a2 = [1] + a if len(a) == 1 else a
    b2 = b + [1] if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise GenError(f"MatMul inner dimensions differ ({a2[-1]} and {b2[-2]})", node.name, node.op)
    try:
        batch = list(np.broadcast_shapes(tuple(a2[:-2]), tuple(b2[:-2])))
    except ValueError:
        raise GenError(f"MatMul batch dims {a2[:-2]} and {b2[:-2]} do not broadcast", node.name, node.op) from None
    return a2, b2, batch


@dataclass(frozen=True)
class MatMulParams:
    """A float MatMul's operand shapes with 1-D operands promoted (a2 [.., m, k], b2 [.., k, n]) and the
    broadcast batch dims."""
    a2: tuple[int, ...]
    b2: tuple[int, ...]
    batch: tuple[int, ...]

    def shapes(self) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        return self.a2, self.b2, self.batch


@register
class MatMul(OpFamily):
    ops = ("MatMul",)
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"MatMul": "FullyConnectedS8"}
    fuses_activation = True

    def int8_form(self, node, g):
        if not int8_weights(node, g) or len(g.t(node.inputs[1]).shape) != 2 or not int32_bias(node, g):
            return None
        return super().int8_form(node, g)

    def prepare(self, node, g):
        return MatMulParams(*(tuple(int(d) for d in v) for v in matmul_dims(node, g)))

    def check(self, node, g):
        a2, b2, batch = self.params(node, g).shapes()
        if len(batch) > 6:
            raise GenError("MatMul with more than 6 batch dims is not supported", node.name, node.op)
        for d in a2 + b2 + batch:
            c_int32(d, "dimension", node)
        c_int32(int(np.prod(a2[:-1], dtype=np.int64)), "rows", node)

    def macs(self, node, g):
        a2, b2, batch = self.params(node, g).shapes()
        return int(np.prod(batch, dtype=np.int64)) * a2[-2] * a2[-1] * b2[-1]

    def kernel(self, node, g):
        a2, b2, batch = self.params(node, g).shapes()
        return "gen_f32_gemm" if g.const(node.inputs[1]) is not None and len(b2) == 2 else "gen_f32_matmul"

    def emit(self, node, g, ctx):
        a2, b2, batch = self.params(node, g).shapes()
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        bdata = g.const(node.inputs[1])
        k, n = a2[-1], b2[-1]
        if bdata is not None and len(b2) == 2:
            m = int(np.prod(a2[:-1]))
            w = ctx.array(np.ascontiguousarray(bdata.astype(np.float32).reshape(k, n).T), "w")
            prm = ctx.params("gen_f32_gemm_params",
                             f"{m}, {n}, {k}, 0, 1, 1.0f, 1.0f, 0, 0, {ctx.act(node)}")
            return f"gen_f32_gemm({x}, {w}, NULL, {y}, {prm});"
        batch = batch or [1]
        nd = len(batch)

        sa, sb = broadcast_strides(a2[:-2], batch), broadcast_strides(b2[:-2], batch)
        prm = ctx.params("gen_f32_matmul_params",
                         f"{nd}, {dims6(batch, node)}, {dims6(sa, node)}, {dims6(sb, node)}, {a2[-2]}, {k}, {n}, "
                         f"{ctx.act(node)}")
        return f"gen_f32_matmul({x}, {ctx.ptr(node.inputs[1])}, {y}, {prm});"
