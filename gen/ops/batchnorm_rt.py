"""BatchNormalization (inference) whose scale, bias, mean or variance is not a constant (a graph input or
computed at run time), float32: one kernel (runtime_c/gen_rtfloat.c) computing
(x - mean) * scale / sqrt(var + epsilon) + bias per channel. The BatchNormalization family's legalize
hook renames such a node to BatchNormalizationRT (an internal name, no ONNX op); it folds into no
producer.
"""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from . import OpFamily, c_int32, check_finite, register


@register
class BatchNormRuntime(OpFamily):
    ops = ("BatchNormalizationRT",)
    is_internal = True
    runtime = ("gen_rtfloat.h", "gen_rtfloat.c")

    def legalize(self, node, g):
        self.check(node, g)

    def check(self, node, g):
        where = (node.name, "BatchNormalization")
        if int(node.attrs.get("training_mode", 0)):
            raise GenError("BatchNormalization in training mode is not supported", *where)
        if len(node.outputs) > 1 and any(node.outputs[1:]):
            raise GenError("BatchNormalization with training outputs is not supported", *where)
        for name in node.inputs[:5]:
            if g.t(name).dtype != "float32":
                raise GenError(f"'{name}' is {g.t(name).dtype}: a BatchNormalization with parameters read at run "
                               "time computes on float32", *where)
        check_finite(node.attrs.get("epsilon", 1e-5), "attribute epsilon", node)
        for v in self.dims(node, g):
            c_int32(v, "BatchNormalization dimension", node)

    def dims(self, node, g):
        shape = list(g.t(node.inputs[0]).shape)
        return int(shape[0]), int(shape[1]), int(np.prod(shape[2:], dtype=np.int64))

    def macs(self, node, g):
        return int(g.t(node.inputs[0]).size)

    def kernel(self, node, g):
        return "gen_rt_batchnorm"

    def emit(self, node, g, ctx):
        n, c, inner = self.dims(node, g)
        ps = ", ".join(ctx.ptr(name) for name in node.inputs[1:5])
        eps = ctx.flt(float(np.float32(node.attrs.get("epsilon", 1e-5))))
        return (f"gen_rt_batchnorm({ctx.ptr(node.inputs[0])}, {ps}, {ctx.ptr(node.outputs[0])}, {n}, {c}, {inner}, "
                f"{eps});")
