"""The tensor generators: Shape, Size, Constant, ConstantOfShape, EyeLike and Range.

gen's shapes are static, so every one of them but a Range of run-time bounds is a constant: the frontend
folds those whose outputs other nodes read (gen/frontend.py `_fold_constants`); what reaches this family is
a generator whose output is a graph output (or an EyeLike of a run-time tensor), which the C writes from a
constant computed here (`gen_generate_copy`). A ConstantOfShape whose shape is a graph input is compiled
with the shape its declared output has (gen/rtparams.py, kind `equal`: the run returns -1 for another).
A Range whose start, limit or delta is computed at run time has the static length its declared output
shape gives: `gen_range_*` (runtime_c/gen_generate.c) computes the element count from the run's values and
returns -1 when it is not that length (outputs untouched), else writes start + i * delta.
"""
from __future__ import annotations

import math

import numpy as np
import onnx

from ..errors import GenError
from . import OpFamily, c_int32, onnx_attrs, register
from .dtypes import ALL_DTYPES, ONNX_TO

RUNTIME = ("gen_generate.h", "gen_generate.c")
OPS = ("Shape", "Size", "Constant", "ConstantOfShape", "EyeLike", "Range")
RANGE_DTYPES = ("float32", "int16", "int32", "int64")
ALL = ALL_DTYPES


def _np_dtype(dt: str):
    return np.float32 if dt == "float16" else np.dtype(dt)


def _onnx_dtype(node, code: int, what: str) -> str:
    dt = ONNX_TO.get(int(code))
    if dt is None:
        raise GenError(f"{what} {onnx.helper.tensor_dtype_to_string(int(code))} is not supported (gen takes "
                       f"{', '.join(ALL)})", node.name, node.op)
    return dt


def _constant_value(node) -> np.ndarray:
    a = node.attrs
    if "value" in a:
        return np.asarray(a["value"])
    if "value_float" in a:
        return np.array(a["value_float"], np.float32)
    if "value_floats" in a:
        return np.array(a["value_floats"], np.float32)
    if "value_int" in a:
        return np.array(a["value_int"], np.int64)
    if "value_ints" in a:
        return np.array(a["value_ints"], np.int64)
    raise GenError("a Constant of strings or a sparse tensor is not supported (gen computes numbers)",
                   node.name, node.op)


def range_count(start, limit, delta) -> int:
    """ONNX Range's element count, max(ceil((limit - start) / delta), 0), exact for integers."""
    if isinstance(start, (int, np.integer)):
        s, l, d = int(start), int(limit), int(delta)
        return max(-((s - l) // d), 0)
    return max(int(math.ceil((float(limit) - float(start)) / float(delta))), 0)


def generated(node, g) -> np.ndarray | None:
    """The node's output as gen computes it at generation time (None: a Range of run-time values)."""
    y = g.t(node.outputs[0])
    op = node.op
    if op == "Shape":
        shp = np.array(g.t(node.inputs[0]).shape, np.int64)
        start, end = node.attrs.get("start", 0), node.attrs.get("end", None)
        val = shp[int(start):(None if end is None else int(end))]
    elif op == "Size":
        val = np.array(int(np.prod(g.t(node.inputs[0]).shape, dtype=object)), np.int64)
    elif op == "Constant":
        val = _constant_value(node)
    elif op == "ConstantOfShape":
        shp = g.const(node.inputs[0])
        if shp is None:
            return None
        if [int(d) for d in np.asarray(shp).reshape(-1)] != list(y.shape):
            raise GenError(f"shape {np.asarray(shp).reshape(-1).tolist()} is not the output's {list(y.shape)}",
                           node.name, node.op)
        fill = node.attrs.get("value")
        v = np.asarray(fill).reshape(-1)[0] if fill is not None else np.float32(0)
        val = np.full(y.shape, v)
    elif op == "EyeLike":
        x = g.t(node.inputs[0])
        if len(x.shape) != 2:
            raise GenError(f"EyeLike's input has rank {len(x.shape)}: ONNX takes 2-D tensors", node.name, node.op)
        val = np.eye(x.shape[0], x.shape[1], k=int(node.attrs.get("k", 0)))
    else:   # Range
        vals = [g.const(i) for i in node.inputs[:3]]
        if any(v is None for v in vals):
            return None
        s, l, d = (np.asarray(v).reshape(-1)[0] for v in vals)
        if d == 0:
            raise GenError("Range's delta is 0", node.name, node.op)
        n = range_count(s.item(), l.item(), d.item())
        if [n] != list(y.shape):        # before computing: a count of 10^12 is refused here, not allocated
            raise GenError(f"start {s.item()}, limit {l.item()} and delta {d.item()} give {n:,} elements, the "
                           f"output '{y.name}' {list(y.shape)}", node.name, node.op)
        val = (s + np.arange(n, dtype=np.asarray(s).dtype) * d).astype(np.asarray(s).dtype)
    val = np.asarray(val)
    if tuple(val.shape) != tuple(y.shape):
        raise GenError(f"the value has shape {list(val.shape)}, the output '{y.name}' {list(y.shape)}",
                       node.name, node.op)
    if val.dtype.kind == "f" and not np.all(np.isfinite(val)) and y.dtype not in ("float32", "float16"):
        raise GenError("a non-finite value for an integer output", node.name, node.op)
    return val.astype(_np_dtype(y.dtype))


@register
class Generators(OpFamily):
    ops = OPS
    runtime = RUNTIME
    plain_integers = True
    const_inputs = {"ConstantOfShape": (0,)}
    shape_determined_inputs = {"ConstantOfShape": (0,)}
    dtypes = {"Shape": ALL, "Size": ALL, "Constant": ALL, "ConstantOfShape": ALL,
              "EyeLike": ALL, "Range": ("float32", "float16", "int16", "int32", "int64")}
    limits = {"Shape": "static shapes: an int64 constant", "Size": "static shapes: an int64 constant",
              "Constant": "numbers (no strings, no sparse tensors)",
              "ConstantOfShape": "a run-time shape must be the declared output's (checked: -1 otherwise)",
              "EyeLike": "a constant of the input's shape",
              "Range": "run-time start/limit/delta: the declared output length (checked: -1 otherwise)"}

    def determined_input(self, node, k, shapes, types):
        from ..rtparams import Determined, shape
        out = shape(shapes, node.output[0])
        return Determined(np.array(out, np.int64), "equal")

    folds_from_shapes = ("Shape", "Size", "Constant")

    def onnx_fold(self, node, shapes, opset):
        from ..frontend import _evaluate, _one_line
        if node.op_type == "Constant":
            try:
                return _evaluate(node, [], opset)
            except Exception as e:   # noqa: BLE001  (onnx's reader: a malformed attribute)
                raise GenError(f"cannot read this constant: {_one_line(e)}", node.name, node.op_type) from None
        shp = shapes.get(node.input[0])
        if shp is None:
            return None
        if node.op_type == "Shape":
            a = onnx_attrs(node)
            return [np.array(shp, dtype=np.int64)[a.get("start", 0):a.get("end", None)]]
        size = math.prod(shp)
        if size >= 2**63:
            raise GenError(f"input '{node.input[0]}' has {size:,} elements: past int64", node.name, node.op_type)
        return [np.array(size, dtype=np.int64)]

    def check(self, node, g):
        y = g.t(node.outputs[0])
        if node.op == "EyeLike" and "dtype" in node.attrs:
            want = _onnx_dtype(node, node.attrs["dtype"], "EyeLike's dtype")
            if (want if want != "float16" else "float32") != y.dtype:
                raise GenError(f"EyeLike's dtype {want} is not its output's ({y.dtype})", node.name, node.op)
        c_int32(y.size, "element count", node)
        if node.op == "Range" and generated(node, g) is None:
            for name in node.inputs[:3]:
                t = g.t(name)
                if t.dtype not in RANGE_DTYPES or t.dtype != y.dtype or t.size != 1:
                    raise GenError(f"Range's input '{name}' is a {t.dtype} of shape {list(t.shape)}: it takes "
                                   f"scalars of the output's type ({', '.join(RANGE_DTYPES)})", node.name, node.op)
            if len(y.shape) != 1:
                raise GenError("Range's output must be 1-D", node.name, node.op)
            return
        generated(node, g)

    def kernel(self, node, g):
        if node.op == "Range" and generated(node, g) is None:
            return f"gen_range_{_SUFFIX[g.t(node.outputs[0]).dtype]}"
        return "gen_generate_copy"

    def emit(self, node, g, ctx):
        y = g.t(node.outputs[0])
        val = generated(node, g)
        if val is None:
            s, l, d = (ctx.ptr(i) for i in node.inputs[:3])
            return (f"if (gen_range_{_SUFFIX[y.dtype]}({s}, {l}, {d}, {ctx.ptr(y.name)}, "
                    f"{c_int32(y.size, 'element count', node)}) != 0) {{\n"
                    "    return -1; /* not the declared length */\n}")
        src = ctx.array(val, "value", wide=val.dtype == np.int64)
        return (f"gen_generate_copy({src}, {ctx.ptr(y.name)}, "
                f"{c_int32(val.nbytes, 'byte count', node)});")


_SUFFIX = {"float32": "f32", "int16": "i16", "int32": "i32", "int64": "i64"}
