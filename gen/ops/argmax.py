"""ArgMax / ArgMin (axis, keepdims, select_last_index; int64 indices), TopK (values and int64 indices, largest,
K constant: the attribute `k` before opset 10, input 1 from then on) and CumSum (exclusive, reverse, axis
constant), float32, on runtime_c/gen_reduce.c.

Each runs over the middle axis of [outer, len, inner]. TopK returns the values sorted (also for sorted=0,
whose order the spec leaves open), the lower index first among equal values, as the spec says. With int8
activations they compute in float between dequantize and quantize (ArgMax of the dequantized values is the
ArgMax of the bytes, so nothing is lost)."""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from . import OpFamily, c_int32, register

RUNTIME = ("gen_reduce.h", "gen_reduce.c")


def split_at(node, g, axis: int) -> tuple[int, int, int]:
    """(outer, len, inner) of the input around `axis`, refused when out of range."""
    shape = list(g.t(node.inputs[0]).shape) or [1]
    nd = len(shape)
    if not -nd <= axis < nd:
        raise GenError(f"axis {axis} is out of range for rank {nd}", node.name, node.op)
    axis %= nd
    return (c_int32(np.prod(shape[:axis], dtype=np.int64), "outer size", node), c_int32(shape[axis], "length", node),
            c_int32(np.prod(shape[axis + 1:], dtype=np.int64), "inner size", node))


def float_input(node, g) -> None:
    dt = g.t(node.inputs[0]).dtype
    if dt != "float32":
        raise GenError(f"input dtype {dt} is not supported (float32 is)", node.name, node.op)


def const_scalar(node, g, k: int, what: str) -> int:
    name = node.inputs[k] if len(node.inputs) > k else ""
    v = g.const(name)
    if v is None:
        raise GenError(f"the {what} (input {k}, '{name}') must be a constant: make it an initializer",
                       node.name, node.op)
    if np.asarray(v).size != 1:
        raise GenError(f"the {what} must hold one value, not {np.asarray(v).size}", node.name, node.op)
    return int(np.asarray(v).reshape(-1)[0])


@register
class ArgMax(OpFamily):
    ops = ("ArgMax", "ArgMin")
    runtime = RUNTIME

    def check(self, node, g):
        float_input(node, g)
        split_at(node, g, int(node.attrs.get("axis", 0)))
        if g.t(node.outputs[0]).dtype != "int64":
            raise GenError(f"output dtype {g.t(node.outputs[0]).dtype} is not int64", node.name, node.op)

    def kernel(self, node, g):
        return "gen_argreduce_f32"

    def emit(self, node, g, ctx):
        outer, n, inner = split_at(node, g, int(node.attrs.get("axis", 0)))
        last = 1 if int(node.attrs.get("select_last_index", 0)) else 0
        return (f"gen_argreduce_f32({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {outer}, {n}, {inner}, "
                f"{1 if node.op == 'ArgMax' else 0}, {last});")


def topk_k(node, g) -> int:
    if g.opset < 10 or "k" in node.attrs:
        return int(node.attrs.get("k", 1))
    return const_scalar(node, g, 1, "K")


@register
class TopK(OpFamily):
    ops = ("TopK",)
    runtime = RUNTIME
    shape_determined_inputs = {"TopK": (1,)}     # K is the output's length on the axis (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        from . import onnx_attrs
        ins, out = rtparams.shape(shapes, node.input[0]), rtparams.shape(shapes, node.output[0])
        axis = int(onnx_attrs(node).get("axis", -1))
        if rtparams.length(shapes, node.input[k]) != 1 or len(ins) != len(out) or not -len(ins) <= axis < len(ins):
            return None
        return rtparams.Determined(np.asarray([out[axis]], np.int64), "equal")

    def legalize(self, node, g):
        topk_k(node, g)

    def check(self, node, g):
        float_input(node, g)
        _, n, _ = split_at(node, g, int(node.attrs.get("axis", -1)))
        k = topk_k(node, g)
        if not 0 < k <= n:      # K = 0 gives an empty output, which gen refuses before this
            raise GenError(f"K = {k} is out of range for an axis of length {n}", node.name, node.op)

    def scratch(self, node, g):
        return 4 * split_at(node, g, int(node.attrs.get("axis", -1)))[1]

    def kernel(self, node, g):
        return "gen_topk_f32"

    def emit(self, node, g, ctx):
        outer, n, inner = split_at(node, g, int(node.attrs.get("axis", -1)))
        idx = node.outputs[1] if len(node.outputs) > 1 and node.outputs[1] else None
        largest = 1 if int(node.attrs.get("largest", 1)) else 0
        return (f"gen_topk_f32({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, "
                f"{ctx.ptr(idx) if idx else 'NULL'}, (int32_t *){ctx.scratch(node)}, {outer}, {n}, {inner}, "
                f"{topk_k(node, g)}, {largest});")


@register
class CumSum(OpFamily):
    ops = ("CumSum",)
    runtime = RUNTIME
    shape_determined_inputs = {"CumSum": (1,)}   # the axis as a graph input: read at run time (gen/rtparams.py)

    def determined_input(self, node, k, shapes, types):
        from .. import rtparams
        ins = rtparams.shape(shapes, node.input[0])
        if types.get(node.input[k]) not in (6, 7) or shapes.get(node.input[k]) is None or \
                int(np.prod(shapes[node.input[k]], dtype=np.int64)) != 1:
            return None     # one int32 or int64
        return rtparams.Determined(np.zeros(1, np.int64), "axis", in_shape=ins, keep_input=True)

    def runtime_axis(self, node, g) -> bool:
        from .. import rtparams
        return rtparams.read_at_run_time(g, node, 1)

    def legalize(self, node, g):
        if not self.runtime_axis(node, g):
            const_scalar(node, g, 1, "axis")

    def check(self, node, g):
        float_input(node, g)
        if not self.runtime_axis(node, g):
            split_at(node, g, const_scalar(node, g, 1, "axis"))
        c_int32(g.t(node.inputs[0]).size, "element count", node)

    def kernel(self, node, g):
        return "gen_cumsum_f32"

    def emit(self, node, g, ctx):
        excl = 1 if int(node.attrs.get("exclusive", 0)) else 0
        rev = 1 if int(node.attrs.get("reverse", 0)) else 0
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        if self.runtime_axis(node, g):      # [outer, len, inner] around the axis read at run time (checked)
            shape = [int(d) for d in g.t(node.inputs[0]).shape] or [1]
            dims = ctx.array(np.asarray([c_int32(d, "dimension", node) for d in shape], np.int32), "shape")
            return (f"{{\n    int32_t outer, len, inner;\n    gen_rt_split_axis((int64_t){ctx.ptr(node.inputs[1])}[0], "
                    f"{dims}, {len(shape)}, &outer, &len, &inner);\n"
                    f"    gen_cumsum_f32({x}, {y}, outer, len, inner, {excl}, {rev});\n}}")
        outer, n, inner = split_at(node, g, const_scalar(node, g, 1, "axis"))
        return f"gen_cumsum_f32({x}, {y}, {outer}, {n}, {inner}, {excl}, {rev});"
