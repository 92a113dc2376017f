"""OneHot (opset 9-28): indices of any numeric type read at run time (negative ones count from the end,
ones outside [-depth, depth - 1] give an all-off row, as the spec says; float indices are truncated),
depth and values [off, on] constants or run-time tensors (runtime_c/gen_onehot.c). The depth sets the
output's static shape: a run-time depth that is not that size makes the run return -1."""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from ..ir import DTYPE_SIZE
from . import OpFamily, c_int32, register
from .dtypes import DT_CODE

RUNTIME = ("gen_onehot.h", "gen_onehot.c")
NUMERIC = ("float32", "int8", "uint8", "int16", "int32", "int64")


def _geometry(node, g):
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    axis = int(node.attrs.get("axis", -1))
    r = len(x.shape) + 1
    if not -r <= axis < r:
        raise GenError(f"axis {axis} is outside the output's rank {r}", node.name, node.op)
    axis %= r
    if len(y.shape) != r or tuple(y.shape[:axis]) + tuple(y.shape[axis + 1:]) != tuple(x.shape):
        raise GenError(f"output {list(y.shape)} is not the indices' shape {list(x.shape)} with the depth at axis "
                       f"{axis}", node.name, node.op)
    outer = int(np.prod(x.shape[:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis:], dtype=np.int64))
    return (c_int32(outer, "outer size", node), c_int32(y.shape[axis], "depth", node),
            c_int32(inner, "inner size", node))


@register
class OneHot(OpFamily):
    ops = ("OneHot",)
    runtime = RUNTIME
    plain_integers = True
    dtypes = {"OneHot": ("float32", "float16", "int8", "uint8", "int16", "int32", "int64", "bool")}
    limits = {"OneHot": "a run-time depth must be the declared output's (checked: -1 otherwise)"}

    def check(self, node, g):
        for k, what in ((0, "indices"), (1, "depth")):
            t = g.t(node.inputs[k])
            if t.dtype not in NUMERIC or (t.quant is not None and not t.is_const):
                raise GenError(f"OneHot's {what} are {t.dtype}{' (quantized)' if t.quant else ''}: gen takes "
                               f"{', '.join(NUMERIC)}", node.name, node.op)
        d, v, y = g.t(node.inputs[1]), g.t(node.inputs[2]), g.t(node.outputs[0])
        if d.size != 1 or v.size != 2:
            raise GenError(f"depth has {d.size} elements and values {v.size}: OneHot takes a scalar depth and "
                           "[off, on]", node.name, node.op)
        if v.dtype != y.dtype or y.dtype not in DT_CODE or (v.quant is not None and not v.is_const):
            raise GenError(f"OneHot's values are {v.dtype} and its output {y.dtype}: ONNX makes them one type "
                           f"(gen: {', '.join(DT_CODE)})", node.name, node.op)
        _, depth, _ = _geometry(node, g)
        dv = g.const(node.inputs[1])
        if dv is not None:
            dv = np.asarray(dv).reshape(-1)[0]
            if not np.isfinite(dv) or int(dv) != depth:
                raise GenError(f"depth {dv} does not give the output's size {depth} at the axis", node.name, node.op)

    def kernel(self, node, g):
        return "gen_onehot"

    def emit(self, node, g, ctx):
        outer, depth, inner = _geometry(node, g)
        x, d, v, y = (g.t(n) for n in (node.inputs[0], node.inputs[1], node.inputs[2], node.outputs[0]))
        prm = ctx.params("gen_onehot_params", f"{outer}, {depth}, {inner}, {DT_CODE[x.dtype]}, {DT_CODE[d.dtype]}, "
                                              f"{DTYPE_SIZE[y.dtype]}")
        return (f"if (gen_onehot({ctx.ptr(x.name)}, {ctx.ptr(d.name)}, {ctx.ptr(v.name)}, {ctx.ptr(y.name)}, "
                f"{prm}) != 0) {{\n    return -1; /* a run-time depth that is not the output's */\n}}")
