"""Add, Sub, Mul, Div with numpy broadcasting (float32)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import GenError
from . import OpFamily, broadcast_strides, c_int32, dims6, fast_f32, register

BINARY_CODES = {"Add": "GEN_ADD", "Sub": "GEN_SUB", "Mul": "GEN_MUL", "Div": "GEN_DIV"}
# the plain-integer form (gen_int_binary of runtime_c/gen_int.c: wraps; Div truncates toward zero)
INT_BINARY_CODES = {"Add": "GEN_I_ADD", "Sub": "GEN_I_SUB", "Mul": "GEN_I_MUL", "Div": "GEN_I_DIV"}
INT_DTYPES = ("int8", "uint8", "int16", "int32", "int64", "uint16", "uint32", "uint64")


def _integer(node, g) -> bool:
    """The node computes on plain integers (no quantization parameters)."""
    return g.t(node.inputs[0]).dtype in INT_DTYPES and g.t(node.inputs[0]).quant is None


def coalesce(out_shape, *strides):
    """Merge adjacent dims that every operand walks the same way; returns (shape, strides...)."""
    keep = [k for k, d in enumerate(out_shape) if int(d) != 1] or [len(out_shape) - 1] if len(out_shape) else []
    shape = [int(out_shape[k]) for k in keep] or [1]
    strides = [[s[k] for k in keep] or [0] for s in strides]
    i = len(shape) - 2
    while i >= 0:
        inner = shape[i + 1]
        if all((s[i] == s[i + 1] * inner) for s in strides):
            shape[i] *= inner
            for s in strides:
                s[i] = s[i + 1]
                del s[i + 1]
            del shape[i + 1]
        i -= 1
    return shape, *strides


@dataclass(frozen=True)
class BinaryParams:
    """A float Add/Sub/Mul/Div over the output's shape with the dims every operand walks alike merged
    (coalesce), and each operand's element strides (0 along a broadcast dim)."""
    shape: tuple[int, ...]
    sa: tuple[int, ...]
    sb: tuple[int, ...]


@register
class Binary(OpFamily):
    ops = tuple(BINARY_CODES)
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"Add": "AddS8", "Mul": "MulS8"}
    fuses_activation = True
    plain_integers = True     # Add/Sub/Mul/Div of plain integers: gen_int_binary
    dtypes = {op: ("float32",) + INT_DTYPES for op in BINARY_CODES}

    def int8_form(self, node, g):
        # CMSIS-NN's add/mul do not broadcast: two activations must have one shape; a constant operand
        # (per-tensor int8) is stored broadcast to the output's shape
        a, b = (g.t(i) for i in node.inputs[:2])
        y = g.t(node.outputs[0])
        for t in (a, b):
            if t.is_const and (t.dtype != "int8" or t.quant is None or t.quant.per_channel):
                return None
            if not t.is_const and t.shape != y.shape:
                return None
        return super().int8_form(node, g)

    def prepare(self, node, g):
        y = g.t(node.outputs[0])
        a, b = (g.t(i) for i in node.inputs)
        shape, sa, sb = coalesce(y.shape, broadcast_strides(a.shape, y.shape), broadcast_strides(b.shape, y.shape))
        return BinaryParams(*(tuple(int(v) for v in x) for x in (shape, sa, sb)))

    def check(self, node, g):
        y = g.t(node.outputs[0])
        if len(y.shape) > 6:
            raise GenError("broadcasting over more than 6 dims is not supported", node.name, node.op)
        if _integer(node, g):
            from .dtypes import dtype_of
            dts = {dtype_of(node, g, i, INT_DTYPES) for i in node.inputs[:2]}
            if len(dts) > 1:
                raise GenError(f"{node.op} of {' and '.join(sorted(dts))} tensors: ONNX needs one dtype",
                               node.name, node.op)
            if node.act is not None:
                raise GenError(f"a {node.act.kind} fused into an integer {node.op} is not supported", node.name,
                               node.op)
        elif any(g.t(i).dtype != "float32" for i in node.inputs):
            raise GenError(f"{node.op} on {g.t(node.inputs[0]).dtype} tensors is not supported", node.name, node.op)
        c_int32(y.size, "element count", node)
        self.params(node, g)

    def _fast(self, node, g) -> bool:
        return not _integer(node, g) and fast_f32.binary_applies(node, g, self.params(node, g))

    def runtime_files(self, node, g):
        from .dtypes import RUNTIME
        return RUNTIME if _integer(node, g) else self.runtime + (fast_f32.RUNTIME if self._fast(node, g) else ())

    def kernel(self, node, g):
        return "gen_int_binary" if _integer(node, g) else "gen_fast_binary_f32" if self._fast(node, g) \
            else "gen_f32_binary"

    def emit(self, node, g, ctx):
        if _integer(node, g):
            from .compare import emit_binary
            return emit_binary(node, g, ctx, INT_BINARY_CODES[node.op], node.inputs[0], node.inputs[1],
                               node.outputs[0])
        if self._fast(node, g):
            return fast_f32.binary(ctx, node, self.params(node, g))
        y = g.t(node.outputs[0])
        a, b = (g.t(i) for i in node.inputs)
        p = self.params(node, g)
        shape, sa, sb = p.shape, p.sa, p.sb
        prm = ctx.params("gen_f32_binary_params",
                         f"{BINARY_CODES[node.op]}, {len(shape)}, {dims6(shape, node)}, {dims6(sa, node)}, "
                         f"{dims6(sb, node)}, "
                         f"{ctx.act(node)}")
        return f"gen_f32_binary({ctx.ptr(a.name)}, {ctx.ptr(b.name)}, {ctx.ptr(y.name)}, {prm});"
