"""CenterCropPad (opset 18-28): each listed axis cropped or zero-padded to the target size around its
centre (crop start (in - out) // 2, pad before (out - in) // 2, as the spec's function body), any dtype gen
moves (runtime_c/gen_crop_pad.c). The shape input sets the output's static shape: when it arrives as a
graph input it is compiled with the declared output's sizes and checked at run time (gen/rtparams.py,
`equal`: -1 for another)."""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from ..ir import DTYPE_SIZE
from . import OpFamily, c_int32, onnx_attrs, register

RUNTIME = ("gen_crop_pad.h", "gen_crop_pad.c")


def _axes(attrs: dict, rank):
    axes = [int(a) for a in attrs.get("axes", range(rank))]
    if any(not -rank <= a < rank for a in axes) or len({a % rank for a in axes}) != len(axes):
        raise ValueError(axes)
    return [a % rank for a in axes]


@register
class CenterCropPad(OpFamily):
    moves_any_dtype = True
    ops = ("CenterCropPad",)
    runtime = RUNTIME
    plain_integers = True
    rearranges = False
    const_inputs = {"CenterCropPad": (1,)}
    shape_determined_inputs = {"CenterCropPad": (1,)}
    limits = {"CenterCropPad": "rank <= 6; a run-time shape must give the declared output (checked: -1 otherwise)"}

    def determined_input(self, node, k, shapes, types):
        from ..rtparams import Determined, shape
        out = shape(shapes, node.output[0])
        axes = _axes(onnx_attrs(node), len(out))
        return Determined(np.array([out[a] for a in axes], np.int64), "equal")

    def check(self, node, g):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        if x.quant is not None and not x.is_const:
            raise GenError("CenterCropPad of a quantized tensor has no int8 form here (dequantize first)",
                           node.name, node.op)
        rank = len(x.shape)
        try:
            axes = _axes(node.attrs, rank)
        except ValueError:
            raise GenError(f"axes {node.attrs.get('axes')} are not distinct axes of rank {rank}",
                           node.name, node.op) from None
        if not 1 <= rank <= 6 or len(y.shape) != rank:
            raise GenError(f"CenterCropPad of rank {rank}: gen takes ranks 1 to 6", node.name, node.op)
        sh = g.const(node.inputs[1])
        want = list(x.shape)
        for i, a in enumerate(axes):
            want[a] = int(np.asarray(sh).reshape(-1)[i]) if sh is not None and sh.size == len(axes) else -1
        if want != list(y.shape):
            raise GenError(f"shape {None if sh is None else sh.tolist()} on axes {axes} does not give the output "
                           f"{list(y.shape)} from {list(x.shape)}", node.name, node.op)
        c_int32(y.size, "element count", node)

    def kernel(self, node, g):
        return "gen_center_crop_pad"

    def emit(self, node, g, ctx):
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        offs = [(i - o) // 2 if i >= o else -((o - i) // 2) for i, o in zip(x.shape, y.shape)]
        fmt = lambda v: "{" + ", ".join(str(c_int32(i, "dimension", node)) for i in v) + "}"  # noqa: E731
        prm = ctx.params("gen_center_crop_pad_params",
                         f"{len(x.shape)}, {fmt(x.shape)}, {fmt(y.shape)}, {fmt(offs)}, {DTYPE_SIZE[y.dtype]}")
        return f"gen_center_crop_pad({ctx.ptr(x.name)}, {ctx.ptr(y.name)}, {prm});"
