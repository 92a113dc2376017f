"""CumProd (opset 26-28; float32, int32, int64): the cumulative product along an axis, inclusive or
exclusive, forward or reverse (runtime_c/gen_cumprod.c). The axis is read at run time (a constant or a
graph input): the kernel walks the input's static shape, and an axis outside [-rank, rank - 1] makes the
run return -1 (output untouched). Integer products wrap around as two's complement."""
from __future__ import annotations

from ..errors import GenError
from . import OpFamily, c_int32, register
from .dtypes import DT_CODE, dtype_of

RUNTIME = ("gen_cumprod.h", "gen_cumprod.c")
DTYPES = ("float32", "int32", "int64")


@register
class CumProd(OpFamily):
    ops = ("CumProd",)
    runtime = RUNTIME
    plain_integers = True
    dtypes = {"CumProd": ("float32", "float16", "int32", "int64")}
    limits = {"CumProd": "rank <= 6"}

    def check(self, node, g):
        x = g.t(node.inputs[0])
        dtype_of(node, g, x.name, DTYPES)
        dtype_of(node, g, node.inputs[1], ("int32", "int64"))
        if g.t(node.inputs[1]).size != 1:
            raise GenError("CumProd's axis must be a scalar", node.name, node.op)
        if not 1 <= len(x.shape) <= 6:
            raise GenError(f"CumProd of rank {len(x.shape)}: gen takes ranks 1 to 6", node.name, node.op)
        c_int32(x.size, "element count", node)
        ax = g.const(node.inputs[1])
        if ax is not None and not -len(x.shape) <= int(ax.reshape(-1)[0]) < len(x.shape):
            raise GenError(f"axis {int(ax.reshape(-1)[0])} is outside the input's rank {len(x.shape)}",
                           node.name, node.op)

    def kernel(self, node, g):
        return "gen_cumprod"

    def emit(self, node, g, ctx):
        x = g.t(node.inputs[0])
        dims = ", ".join(str(c_int32(d, "dimension", node)) for d in x.shape)
        excl = 1 if int(node.attrs.get("exclusive", 0)) else 0
        rev = 1 if int(node.attrs.get("reverse", 0)) else 0
        prm = ctx.params("gen_cumprod_params", f"{DT_CODE[x.dtype]}, {DT_CODE[g.t(node.inputs[1]).dtype]}, "
                                               f"{len(x.shape)}, {{{dims}}}, {excl}, {rev}")
        return (f"if (gen_cumprod({ctx.ptr(x.name)}, {ctx.ptr(node.inputs[1])}, {ctx.ptr(node.outputs[0])}, "
                f"{prm}) != 0) {{\n    return -1; /* the axis is outside the rank */\n}}")
