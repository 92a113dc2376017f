"""Mod, BitShift and the variadic Max, Min, Sum, Mean (numpy broadcasting), float32 and the plain
integers where the spec has them; the integer Add/Sub/Mul/Div are gen.ops.elementwise's (same kernel,
gen_int_binary in runtime_c/gen_int.c).

Integer arithmetic wraps (two's complement), Div truncates toward zero as onnxruntime's does (a
division by zero gives 0: onnxruntime traps); Mod with fmod=0 takes the divisor's sign, fmod=1 the
dividend's (C's % and fmodf; float Mod needs fmod=1, as the spec says). A variadic op runs pairwise
into its output (each step over the output's shape), Mean divides the Sum by the count."""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from . import OpFamily, register
from .compare import NUMERIC, emit_binary
from .dtypes import DT_CODE, INT_DTYPES, RUNTIME, bcast_fields, dtype_of

VARIADIC = {"Max": "GEN_I_MAX", "Min": "GEN_I_MIN", "Sum": "GEN_I_ADD", "Mean": "GEN_I_ADD"}


@register
class IntBinary(OpFamily):
    ops = ("Mod", "BitShift") + tuple(VARIADIC)
    runtime = RUNTIME
    dtypes = {"Mod": NUMERIC, "BitShift": INT_DTYPES, "Max": NUMERIC, "Min": NUMERIC}
    plain_integers = True

    def allowed(self, node):
        if node.op == "BitShift":      # signed types from opset 28 (onnx's inference refuses them before)
            return INT_DTYPES
        if node.op in ("Sum", "Mean"):
            return ("float32",)
        return NUMERIC

    def legalize(self, node, g):
        if node.op == "Mod" and int(node.attrs.get("fmod", 0)) not in (0, 1):
            raise GenError(f"Mod's fmod = {node.attrs['fmod']} must be 0 or 1", node.name, node.op)
        if node.op == "BitShift" and node.attrs.get("direction") not in ("LEFT", "RIGHT"):
            raise GenError(f"BitShift's direction '{node.attrs.get('direction')}' must be LEFT or RIGHT",
                           node.name, node.op)

    def check(self, node, g):
        ins = [i for i in node.inputs if i]
        if not ins:
            raise GenError(f"{node.op} has no inputs", node.name, node.op)
        dts = {dtype_of(node, g, i, self.allowed(node)) for i in ins}
        if len(dts) > 1:
            raise GenError(f"{node.op} of {' and '.join(sorted(dts))} tensors: ONNX needs one dtype",
                           node.name, node.op)
        if node.op == "Mod" and dts == {"float32"} and int(node.attrs.get("fmod", 0)) != 1:
            raise GenError("Mod of float tensors with fmod=0 is refused: ONNX before opset 28 makes fmod=1 required "
                           "for floats, and gen does not compute opset 28's floor modulo of floats (use fmod=1)",
                           node.name, node.op)
        bcast_fields(node, g, ins, node.outputs[0])

    def kernel(self, node, g):
        return "gen_int_binary" if len([i for i in node.inputs if i]) > 1 or node.op == "Mean" else "gen_cast"

    def emit(self, node, g, ctx):
        ins = [i for i in node.inputs if i]
        y = node.outputs[0]
        if node.op == "Mod":
            code = "GEN_I_FMOD" if int(node.attrs.get("fmod", 0)) == 1 else "GEN_I_MOD"
            return emit_binary(node, g, ctx, code, ins[0], ins[1], y)
        if node.op == "BitShift":
            code = "GEN_I_SHL" if node.attrs["direction"] == "LEFT" else "GEN_I_SHR"
            return emit_binary(node, g, ctx, code, ins[0], ins[1], y)
        code, yt = VARIADIC[node.op], g.t(y)
        if len(ins) == 1:      # a copy (the one input has the output's shape)
            lines = [f"gen_cast({ctx.ptr(ins[0])}, {DT_CODE[yt.dtype]}, {ctx.ptr(y)}, {DT_CODE[yt.dtype]}, "
                     f"{yt.size}, 0);"]
        else:
            lines = [emit_binary(node, g, ctx, code, ins[0], ins[1], y)]
            lines += [emit_binary(node, g, ctx, code, y, x, y) for x in ins[2:]]
        if node.op == "Mean":     # y / count, the count one constant broadcast over y
            count = ctx.array(np.array([len(ins)], np.float32), "count")
            prm = ctx.params("gen_int_binary_params", f"GEN_I_DIV, GEN_DT_F32, GEN_DT_F32, "
                             f"{bcast_fields(node, g, [y, (1,)], y)}")
            lines.append(f"gen_int_binary({ctx.ptr(y)}, {count}, {ctx.ptr(y)}, {prm});")
        return "\n".join(lines)


assert set(INT_DTYPES) <= set(DT_CODE)
