"""DFT (ONNX opset 17-21, float32, as the ONNX reference computes it): along one axis (opset 17: the
axis attribute, default 1; opset 20: a constant axis input, default -2), a real [..., 1] or complex
[..., 2] input, a constant dft_length (zero-padded or truncated), onesided (the first length // 2 + 1
frequencies) and inverse (scaled by 1 / length); inverse and onesided together is the real inverse of
a one-sided spectrum (numpy's irfft: output [..., 1], default length 2 * (n - 1)). A direct transform
on a twiddle table computed here in float64 (kernel runtime_c/gen_spectral.c): O(length^2) per
transform, which is what a keyword spotter's short frames need.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_fields, register

RUNTIME = ("gen_spectral.h", "gen_spectral.c")


def _const_scalar(node, g, k, what):
    if len(node.inputs) <= k or not node.inputs[k]:
        return None
    t = g.t(node.inputs[k])
    if not t.is_const:
        raise GenError(f"input {k} ('{node.inputs[k]}', {what}) must be a constant: make it an initializer",
                       node.name, node.op)
    v = np.asarray(t.data).reshape(-1)
    if v.size != 1 or v.dtype.kind not in "iu":
        raise GenError(f"{what} must be one integer, not {v.tolist()}", node.name, node.op)
    return int(v[0])


@dataclass(frozen=True)
class DftParams:
    outer: int
    inner: int
    n_in: int
    in_comp: int
    n_out: int
    out_comp: int
    length: int
    inverse: int
    c2r: int


def dft_params(node, g) -> DftParams:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    if x.dtype != "float32":
        raise GenError(f"a {x.dtype} DFT is not supported (float32 is)", node.name, node.op)
    rank = len(x.shape)
    if rank < 2 or x.shape[-1] not in (1, 2):
        raise GenError(f"input {list(x.shape)}: its last axis must be 1 (real) or 2 (complex)", node.name, node.op)
    if g.opset >= 20:
        axis = _const_scalar(node, g, 2, "axis")
        axis = -2 if axis is None else axis
    else:
        axis = int(node.attrs.get("axis", 1))
    if not -rank <= axis < rank or axis % rank == rank - 1:
        raise GenError(f"axis {axis} is not a signal axis of a rank-{rank} input (the last axis holds the "
                       "components)", node.name, node.op)
    axis %= rank
    inverse, onesided = int(node.attrs.get("inverse", 0)), int(node.attrs.get("onesided", 0))
    if inverse not in (0, 1) or onesided not in (0, 1):
        raise GenError(f"inverse = {inverse}, onesided = {onesided}: each is 0 or 1", node.name, node.op)
    n_in = int(x.shape[axis])
    length = _const_scalar(node, g, 1, "dft_length")
    c2r = inverse and onesided
    if length is None:
        length = 2 * (n_in - 1) if c2r else n_in
    if length < 1:
        raise GenError(f"dft_length {length} must be at least 1", node.name, node.op)
    n_out = length if c2r or not onesided else length // 2 + 1
    out_comp = 1 if c2r else 2
    want = [int(d) for d in x.shape[:axis]] + [n_out] + [int(d) for d in x.shape[axis + 1:-1]] + [out_comp]
    if list(y.shape) != want:
        raise GenError(f"output {list(y.shape)}, the DFT gives {want}", node.name, node.op)
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:-1], dtype=np.int64))
    return c_fields(DftParams(outer, inner, n_in, int(x.shape[-1]), n_out, out_comp, length, inverse, int(c2r)),
                    node, "DFT parameter")


def twiddles(length: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of 2 pi m / length for m < length, float64 rounded once to float32."""
    a = 2.0 * np.pi * np.arange(length, dtype=np.float64) / length
    return np.cos(a).astype(np.float32), np.sin(a).astype(np.float32)


@register
class Dft(OpFamily):
    ops = ("DFT",)
    runtime = RUNTIME
    const_inputs = {"DFT": (1, 2)}
    limits = {"DFT": "constant dft_length and axis; direct O(length^2) transform"}

    def legalize(self, node, g):
        dft_params(node, g)

    def prepare(self, node, g):
        return dft_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_f32_dft"

    def macs(self, node, g):
        p = self.params(node, g)
        return p.outer * p.inner * p.n_out * min(p.n_in, p.length) * 4

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        cos_t, sin_t = twiddles(p.length)
        prm = ctx.params("gen_dft_params",
                         f".outer = {p.outer}, .inner = {p.inner}, .n_in = {p.n_in}, .in_comp = {p.in_comp}, "
                         f".n_out = {p.n_out}, .out_comp = {p.out_comp}, .length = {p.length}, "
                         f".inverse = {p.inverse}, .c2r = {p.c2r}", "dft")
        return (f"gen_f32_dft({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {ctx.array(cos_t, 'cos')}, "
                f"{ctx.array(sin_t, 'sin')}, {prm});")
