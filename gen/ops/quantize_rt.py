"""QuantizeLinear / DequantizeLinear whose scale or zero point is not a constant (a graph input or
computed at run time) in a float model: float kernels that read them from the arena
(runtime_c/gen_rtfloat.c), per tensor, per axis or blocked, saturating and rounding half to even as the
spec says. The QuantizeLinear family's legalize hook renames such a node to the ops here (internal
names, no ONNX ops), so the int8 lowering, which folds constant scales into its kernels, never sees
it; a node whose scale and zero point are constants keeps today's path.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_fields, c_int32, register, shape_of
from .dtypes import DT_CODE

RUNTIME = ("gen_rtfloat.h", "gen_rtfloat.c")
FORM = {"QuantizeLinear": "QuantizeLinearRT", "DequantizeLinear": "DequantizeLinearRT"}
INTS = {"QuantizeLinearRT": ("int8", "uint8", "int16"), "DequantizeLinearRT": ("int8", "uint8", "int16", "int32")}


def run_time_value(g, name: str) -> bool:
    """Tensor `name` is known only at run time: a graph input, or computed from one (a parameter computed
    from constants only, a DequantizeLinear of int8 weights that the passes fold, is not)."""
    todo, seen = [name], set()
    while todo:
        t = todo.pop()
        if t in seen or not t:
            continue
        seen.add(t)
        if g.t(t).is_const:
            continue
        prod = g.producer(t)
        if prod is None:
            return True
        todo.extend(prod.inputs)
    return False


def runtime_form(node, g) -> bool:
    """Rename a Quantize/DequantizeLinear node whose scale or zero point is not constant to its
    run-time form (True if it did)."""
    params = [n for n in node.inputs[1:3] if n]
    if node.op in FORM and any(run_time_value(g, n) for n in params):
        node.op = FORM[node.op]
        return True
    return False


@dataclass(frozen=True)
class RtQuantParams:
    outer: int
    dim: int
    inner: int
    block: int
    s_o: int
    s_a: int
    s_i: int
    q_dtype: str                 # the integer side's dtype


def _err(node, msg):
    return GenError(msg, node.name, node.op)


def rt_quant_params(node, g) -> RtQuantParams:
    ins = node.inputs
    quantize = node.op == "QuantizeLinearRT"
    f, q = (ins[0], node.outputs[0]) if quantize else (node.outputs[0], ins[0])
    q_dtype = g.t(q).dtype
    if g.t(f).dtype != "float32" or q_dtype not in INTS[node.op]:
        raise _err(node, f"'{q}' is {q_dtype} and '{f}' {g.t(f).dtype}: with a scale read at run time gen "
                   f"{'quantizes' if quantize else 'dequantizes'} float32 {'to' if quantize else 'from'} "
                   f"{', '.join(INTS[node.op])}")
    if g.t(ins[1]).dtype != "float32":
        raise _err(node, f"scale '{ins[1]}' is {g.t(ins[1]).dtype}: gen takes a float32 (or float16) scale")
    if len(ins) > 2 and ins[2] and g.t(ins[2]).dtype != q_dtype:
        raise _err(node, f"zero point '{ins[2]}' is {g.t(ins[2]).dtype}, not {q_dtype} as '{q}'")
    x, sc = tuple(shape_of(g, ins[0])), tuple(shape_of(g, ins[1]))
    zp = tuple(shape_of(g, ins[2])) if len(ins) > 2 and ins[2] else None
    if zp is not None and zp != sc and not (zp in ((), (1,)) and sc in ((), (1,))):
        raise _err(node, f"zero point '{ins[2]}' has shape {list(zp)}, its scale {list(sc)}")
    size = int(np.prod(x, dtype=np.int64))
    axis = int(node.attrs.get("axis", 1))
    block = int(node.attrs.get("block_size", 0))
    if sc in ((), (1,)):
        return c_fields(RtQuantParams(1, size, 1, max(size, 1), 0, 0, 0, q_dtype), node, "quantization geometry")
    if not -len(x) <= axis < len(x):
        raise _err(node, f"axis {axis} is out of range for '{ins[0]}' of rank {len(x)}")
    axis %= len(x)
    outer, dim = int(np.prod(x[:axis], dtype=np.int64)), x[axis]
    inner = int(np.prod(x[axis + 1:], dtype=np.int64))
    if block <= 0:
        if sc != (dim,):
            raise _err(node, f"scale '{ins[1]}' has shape {list(sc)}: per-axis scales need one value per element "
                       f"of axis {axis} of {list(x)}")
        return c_fields(RtQuantParams(outer, dim, inner, 1, 0, 1, 0, q_dtype), node, "quantization geometry")
    nb = -(-dim // block)
    want = x[:axis] + (nb,) + x[axis + 1:]
    if sc != want:
        raise _err(node, f"scale '{ins[1]}' has shape {list(sc)}: blocks of {block} along axis {axis} of "
                   f"{list(x)} need {list(want)}")
    return c_fields(RtQuantParams(outer, dim, inner, block, nb * inner, inner, 1, q_dtype), node,
                    "quantization geometry")


@register
class QuantizeRuntime(OpFamily):
    ops = ("QuantizeLinearRT", "DequantizeLinearRT")
    is_internal = True
    plain_integers = True       # the integer side has no Quant: the scale arrives at run time
    runtime = RUNTIME

    def legalize(self, node, g):
        rt_quant_params(node, g)

    def prepare(self, node, g):
        return rt_quant_params(node, g)

    def check(self, node, g):
        self.params(node, g)
        c_int32(g.t(node.inputs[0]).size, "element count", node)

    def macs(self, node, g):
        return int(g.t(node.inputs[0]).size)

    def kernel(self, node, g):
        return "gen_rt_quantize" if node.op == "QuantizeLinearRT" else "gen_rt_dequantize"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        prm = ctx.params("gen_rt_quant_params", f"{p.outer}, {p.dim}, {p.inner}, {p.block}, {p.s_o}, {p.s_a}, "
                         f"{p.s_i}, {DT_CODE[p.q_dtype]}", "quant")
        zp = ctx.ptr(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else "NULL"
        return (f"{self.kernel(node, g)}({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.inputs[1])}, {zp}, "
                f"{ctx.ptr(node.outputs[0])}, {prm});")
