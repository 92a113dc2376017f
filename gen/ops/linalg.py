"""Det (ONNX opset 11-22, float32): the determinant of each n x n matrix of a [..., n, n] input, by LU
decomposition with partial pivoting in float32 (runtime_c/gen_linalg.c), n * n floats of arena scratch.
"""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from . import OpFamily, c_int32, register

RUNTIME = ("gen_linalg.h", "gen_linalg.c")


def _det_shape(node, g):
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    if x.dtype != "float32":
        raise GenError(f"a {x.dtype} Det is not supported (float32 is)", node.name, node.op)
    if len(x.shape) < 2 or x.shape[-1] != x.shape[-2] or list(y.shape) != list(x.shape[:-2]):
        raise GenError(f"input {list(x.shape)}, output {list(y.shape)}: Det takes [..., n, n] and gives [...]",
                       node.name, node.op)
    count = int(np.prod(x.shape[:-2], dtype=np.int64))
    return c_int32(count, "matrix count", node), c_int32(int(x.shape[-1]), "matrix size", node)


@register
class Det(OpFamily):
    ops = ("Det",)
    runtime = RUNTIME

    def legalize(self, node, g):
        _det_shape(node, g)

    def check(self, node, g):
        _det_shape(node, g)

    def kernel(self, node, g):
        return "gen_f32_det"

    def macs(self, node, g):
        count, n = _det_shape(node, g)
        return count * n * n * n // 3

    def scratch(self, node, g):
        _, n = _det_shape(node, g)
        return 4 * n * n

    def emit(self, node, g, ctx):
        count, n = _det_shape(node, g)
        return (f"gen_f32_det({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.outputs[0])}, {count}, {n}, "
                f"(float *){ctx.scratch(node)});")
