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


def _runtime_scalar(node, g, k) -> bool:
    """Input k is present and not a constant: read at run time (one integer)."""
    return len(node.inputs) > k and bool(node.inputs[k]) and not g.t(node.inputs[k]).is_const


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


def dft_params(node, g, axis=None, length=None) -> DftParams:
    """The DFT's parameters; `axis` / `length` given: the values a run-time input is tried with."""
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    if x.dtype != "float32":
        raise GenError(f"a {x.dtype} DFT is not supported (float32 is)", node.name, node.op)
    rank = len(x.shape)
    if rank < 2 or x.shape[-1] not in (1, 2):
        raise GenError(f"input {list(x.shape)}: its last axis must be 1 (real) or 2 (complex)", node.name, node.op)
    if axis is not None:
        pass
    elif g.opset >= 20:
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
    length = _const_scalar(node, g, 1, "dft_length") if length is None else length
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


@dataclass(frozen=True)
class DftRuntimeParams:
    """A DFT whose axis or dft_length is read at run time: every (axis, length) the static shapes allow,
    each with its parameters; the C picks the one the inputs hold (none: the run returns -1)."""
    rank: int
    axis_rt: int
    length_rt: int
    cases: tuple                # ((axis >= 0, length, DftParams), ...)


def dft_runtime_params(node, g) -> DftRuntimeParams:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    rank = len(x.shape)
    axis_rt, length_rt = _runtime_scalar(node, g, 2) and g.opset >= 20, _runtime_scalar(node, g, 1)
    for k, rt in ((1, length_rt), (2, axis_rt)):
        t = g.t(node.inputs[k]) if rt else None
        if t is not None and (t.dtype not in ("int64", "int32") or t.size != 1):
            raise GenError(f"input {k} ('{node.inputs[k]}') is {t.dtype} {list(t.shape)}: it must be one integer",
                           node.name, node.op)
    axes = range(max(rank - 1, 0)) if axis_rt else [None]
    cases = []
    for a in axes:
        lengths = [None]
        if length_rt and a is not None and a < len(y.shape):
            n = int(y.shape[a])
            lengths = sorted({n, 2 * (n - 1), 2 * n - 1} - {0})
        elif length_rt:             # the axis constant: every length some output dim allows (dft_params picks)
            lengths = sorted({int(d) for d in y.shape[:-1]} | {2 * (int(d) - 1) for d in y.shape[:-1]}
                             | {2 * int(d) - 1 for d in y.shape[:-1]} - {0})
        for L in lengths:
            try:
                p = dft_params(node, g, a, L)
            except GenError:
                continue
            cases.append((-1 if a is None else a, -1 if L is None else L, p))
    if not cases:
        raise GenError("no axis and dft_length give the output shape from the input shape", node.name, node.op)
    return DftRuntimeParams(rank, int(axis_rt), int(length_rt), tuple(cases))


def twiddles(length: int) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of 2 pi m / length for m < length, float64 rounded once to float32."""
    a = 2.0 * np.pi * np.arange(length, dtype=np.float64) / length
    return np.cos(a).astype(np.float32), np.sin(a).astype(np.float32)


@register
class Dft(OpFamily):
    ops = ("DFT",)
    runtime = RUNTIME
    plain_integers = True       # a run-time axis / dft_length is read as an integer (x is checked float32)
    limits = {"DFT": "direct O(length^2) transform; a run-time dft_length/axis one the shapes allow"}

    def runtime_form(self, node, g) -> bool:
        return _runtime_scalar(node, g, 1) or (g.opset >= 20 and _runtime_scalar(node, g, 2))

    def legalize(self, node, g):
        self.prepare(node, g)

    def prepare(self, node, g):
        return dft_runtime_params(node, g) if self.runtime_form(node, g) else dft_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_f32_dft"

    def macs(self, node, g):
        p = self.params(node, g)
        ps = [c[2] for c in p.cases] if isinstance(p, DftRuntimeParams) else [p]
        return max(q.outer * q.inner * q.n_out * min(q.n_in, q.length) * 4 for q in ps)

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        if not isinstance(p, DftRuntimeParams):
            return self.emit_call(node, p, ctx)
        # the run-time axis / dft_length picks one of the forms the shapes allow
        conds = []
        for a, L, q in p.cases:
            c = []
            if p.axis_rt:
                c.append(f"(axis == {a} || axis == {a - p.rank})")
            if p.length_rt:
                c.append(f"length == {L}")
            conds.append((" && ".join(c), self.emit_call(node, q, ctx)))
        text = ["{"]
        if p.axis_rt:
            text.append(f"    int64_t axis = *{ctx.ptr(node.inputs[2])};")
        if p.length_rt:
            text.append(f"    int64_t length = *{ctx.ptr(node.inputs[1])};")
        for k, (cond, call) in enumerate(conds):
            text.append(f"    {'if' if k == 0 else '} else if'} ({cond}) {{")
            text.append(f"        {call}")
        text += ["    } else {", "        return -1; /* an axis or dft_length the output shape does not allow */",
                 "    }", "}"]
        return "\n".join(text)

    def emit_call(self, node, p, ctx):
        cos_t, sin_t = twiddles(p.length)
        prm = ctx.params("gen_dft_params",
                         f".outer = {p.outer}, .inner = {p.inner}, .n_in = {p.n_in}, .in_comp = {p.in_comp}, "
                         f".n_out = {p.n_out}, .out_comp = {p.out_comp}, .length = {p.length}, "
                         f".inverse = {p.inverse}, .c2r = {p.c2r}", "dft")
        return (f"gen_f32_dft({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {ctx.array(cos_t, 'cos')}, "
                f"{ctx.array(sin_t, 'sin')}, {prm});")
