"""What constant folding costs, per ONNX op, before gen runs it (gen.frontend's fold budget).

onnx's ReferenceEvaluator has no bounds: a Range or a ConstantOfShape of 10^12 elements ends in
MemoryError, a pool of a large constant runs for hours in Python loops. This module models that
evaluator (any ONNX op, not only the ones gen compiles): an upper bound of an output's elements
before it is computed, and the numpy and Python-loop work of one evaluation. gen's own op rules
live in gen/ops; nothing here decides what gen compiles.
"""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import helper

# steps of the Python loops of onnx's ReferenceEvaluator per output element and kernel element
PY_LOOP_OPS = {"MaxPool": 1, "AveragePool": 1, "LpPool": 1, "MaxRoiPool": 16, "MaxUnpool": 1, "GridSample": 32,
               "RoiAlign": 64, "DeformConv": 8, "Col2Im": 4, "CenterCropPad": 1, "NonMaxSuppression": 1}
# ops whose output size comes from the values of their inputs, for which gen has no estimate: folded
# only when shape inference knows the output's shape
VALUE_SIZED = {"MelWeightMatrix", "DFT", "STFT", "Col2Im", "MaxUnpool", "CenterCropPad", "Upsample", "Resize",
               "Pad", "StringSplit", "SplitToSequence", "ConcatFromSequence", "ConvTranspose", "TfIdfVectorizer",
               "Gather", "GatherND", "GatherElements", "Einsum", "MatMul", "Gemm", "Conv", "AffineGrid",
               "ImageDecoder", "Im2Col", "MaxPool", "AveragePool", "LpPool", "RoiAlign", "GridSample"}


def _scalar(v) -> float | None:
    a = np.asarray(v).reshape(-1)
    if a.size != 1 or a.dtype.kind not in "iufb":
        return None
    x = a[0].item()
    return x if math.isfinite(x) else None


def _ints(v) -> list[int] | None:
    a = np.asarray(v)
    if a.dtype.kind not in "iu" or a.ndim > 1:
        return None
    return [int(x) for x in a.reshape(-1).tolist()]


def _bcast_bound(*shapes) -> int:
    r = max((len(sh) for sh in shapes), default=0)
    dims = [max([1] + [sh[len(sh) - r + k] for sh in shapes if len(sh) - r + k >= 0]) for k in range(r)]
    return math.prod(dims)


def fold_output_elems(n: onnx.NodeProto, name: str, ins: list, shapes: dict) -> int | None:
    """An upper bound of the elements of output `name` of `n` (inputs `ins`: arrays or None), before
    evaluating it; None when gen cannot tell."""
    op = n.op_type
    if op == "Constant":
        total = 0
        for a in n.attribute:
            v = a.t if a.type == onnx.AttributeProto.TENSOR else \
                a.sparse_tensor.values if a.type == onnx.AttributeProto.SPARSE_TENSOR else None
            if a.type == onnx.AttributeProto.SPARSE_TENSOR:
                total += math.prod(int(d) for d in a.sparse_tensor.dims)
            elif v is not None:
                total += math.prod(int(d) for d in v.dims)
            else:
                total += max(1, len(a.ints) + len(a.floats) + len(a.strings))
        return total
    known = shapes.get(name)
    if known is not None and all(d >= 0 for d in known):
        return math.prod(known)
    shp = [np.shape(v) if v is not None else None for v in ins]
    try:
        if op == "Range":
            start, limit, delta = (_scalar(v) for v in ins[:3])
            if None in (start, limit, delta) or delta == 0:
                return None
            return max(math.ceil((limit - start) / delta), 0)
        if op == "ConstantOfShape":
            d = _ints(ins[0])
            return None if d is None or any(x < 0 for x in d) else math.prod(d)
        if op == "Expand":
            d = _ints(ins[1])
            return None if d is None or any(x < 0 for x in d) else _bcast_bound(shp[0], tuple(d))
        if op == "Tile":
            d = _ints(ins[1])
            if d is None or len(d) != len(shp[0]) or any(x < 0 for x in d):
                return None
            return math.prod(a * b for a, b in zip(shp[0], d))
        if op == "OneHot":
            depth = _scalar(ins[1])
            return None if depth is None or depth < 0 else math.prod(shp[0]) * int(depth)
        if op in ("HannWindow", "HammingWindow", "BlackmanWindow"):
            size = _scalar(ins[0])
            return None if size is None or size < 0 else int(size)
        if op == "EyeLike":
            return math.prod(shp[0])
    except (TypeError, IndexError, ValueError, OverflowError):
        return None
    if op in VALUE_SIZED or op in ("Range", "ConstantOfShape", "Expand", "Tile", "OneHot", "HannWindow",
                                    "HammingWindow", "BlackmanWindow", "EyeLike"):
        return None
    # the rest maps elements to elements (elementwise with broadcasting, Cast, Shape, Transpose, Concat,
    # NonZero-like): bounded by the inputs
    present = [sh for sh in shp if sh is not None]
    rank = max((len(sh) for sh in present), default=1)
    return max(_bcast_bound(*present), sum(math.prod(sh) for sh in present)) * max(rank, 1)


def fold_work(n: onnx.NodeProto, ins: list, out_elems: int) -> tuple[int, int]:
    """(numpy multiply-adds, Python loop steps) evaluating `n` takes, roughly."""
    op = n.op_type
    shp = [tuple(np.shape(v)) if v is not None else None for v in ins]

    def size(k):
        return math.prod(shp[k]) if k < len(shp) and shp[k] is not None else 0
    attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
    work = out_elems + sum(size(k) for k in range(len(shp)))
    if op in ("Conv", "ConvInteger", "QLinearConv"):
        w = shp[3 if op == "QLinearConv" else 1]
        work = out_elems * math.prod(w[1:]) if w else work
    elif op == "ConvTranspose" and shp[1] is not None:
        work = size(0) * math.prod(shp[1][1:])
    elif op in ("MatMul", "MatMulInteger", "QLinearMatMul", "Gemm") and shp[0]:
        a = shp[0]
        k = a[0] if op == "Gemm" and int(attrs.get("transA", 0)) else a[-1]
        work = out_elems * max(int(k), 1)
    elif op == "Einsum":
        work = out_elems * max([size(k) for k in range(len(shp))] + [1])
    elif op in ("RNN", "GRU", "LSTM") and shp[0] and len(shp[0]) >= 2:
        work = shp[0][0] * shp[0][1] * (size(1) + size(2))
    loop = 0
    if op in PY_LOOP_OPS:
        kernel = math.prod(int(k) for k in attrs.get("kernel_shape", [1]))
        loop = out_elems * kernel * PY_LOOP_OPS[op]
        if op == "NonMaxSuppression" and shp[0] and len(shp[0]) == 3:
            loop = shp[0][0] * shp[0][1] ** 2 * max(size(1) // max(shp[0][1], 1), 1)
    return work, loop
