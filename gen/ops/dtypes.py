"""Shared by the dtype families (cast, compare, int_binary): gen's dtypes as the C kernels' codes, and
the broadcast walk of gen_int.h's kernels. Registers no op."""
from __future__ import annotations

import onnx

from ..errors import GenError
from . import broadcast_strides, c_int32, dims6
from .elementwise import coalesce

# the dtype codes of runtime_c/gen_int.h (float16 tensors are float32 inside the graph)
DT_CODE = {"float32": "GEN_DT_F32", "int8": "GEN_DT_I8", "uint8": "GEN_DT_U8", "int16": "GEN_DT_I16",
           "int32": "GEN_DT_I32", "int64": "GEN_DT_I64", "bool": "GEN_DT_BOOL",
           "uint16": "GEN_DT_U16", "uint32": "GEN_DT_U32", "uint64": "GEN_DT_U64"}
INT_DTYPES = ("int8", "uint8", "int16", "int32", "int64", "uint16", "uint32", "uint64")
# every plain dtype gen takes (float16, bfloat16, float64: float32 inside the graph, ir.BOUNDARY_DTYPES),
# in --list-ops' order
ALL_DTYPES = ("float32", "float16", "bfloat16", "float64") + INT_DTYPES[:2] + ("int16", "int32", "int64") \
    + ("uint16", "uint32", "uint64", "bool")
RUNTIME = ("gen_int.h", "gen_int.c")

# ONNX element types Cast may target, as gen's dtypes (float16 computes as float32 rounded to float16)
ONNX_TO = {onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.FLOAT16: "float16", onnx.TensorProto.INT8: "int8",
           onnx.TensorProto.UINT8: "uint8", onnx.TensorProto.INT16: "int16", onnx.TensorProto.INT32: "int32",
           onnx.TensorProto.INT64: "int64", onnx.TensorProto.BOOL: "bool",
           onnx.TensorProto.UINT16: "uint16", onnx.TensorProto.UINT32: "uint32", onnx.TensorProto.UINT64: "uint64"}
# bfloat16 computes as float32 rounded to bfloat16; float64 as float32 (ir.BOUNDARY_DTYPES)
ONNX_TO.update({onnx.TensorProto.BFLOAT16: "bfloat16", onnx.TensorProto.DOUBLE: "float64"})


def dtype_of(node, g, name: str, allowed) -> str:
    """The dtype of tensor `name`, refused unless in `allowed` (and not a quantized int8 tensor: these
    ops compute on plain values)."""
    t = g.t(name)
    if t.dtype not in allowed:
        raise GenError(f"{node.op} on {t.dtype} tensors is not supported (gen computes it on "
                       f"{', '.join(allowed)})", node.name, node.op)
    if t.quant is not None and not t.is_const:
        raise GenError(f"{node.op} on the quantized tensor '{name}' has no int8 kernel (a DequantizeLinear "
                       "before it computes it in float)", node.name, node.op)
    return t.dtype


def bcast_fields(node, g, names, y) -> str:
    """`ndim, shape, stride per operand` of gen_int.h's broadcasting params (dims merged where every
    operand walks them the same way)."""
    yt = g.t(y)
    if len(yt.shape) > 6:
        raise GenError("broadcasting over more than 6 dims is not supported", node.name, node.op)
    c_int32(yt.size, "element count", node)
    shapes = [n if isinstance(n, tuple) else g.t(n).shape for n in names]   # a name or a shape
    shape, *strides = coalesce(yt.shape, *(broadcast_strides(s, yt.shape) for s in shapes))
    return ", ".join([str(len(shape)), dims6(shape, node)] + [dims6(s, node) for s in strides])
