"""ONNX opsets: which versions gen reads, and what each version change of an op means for gen.

gen reads every default-domain opset from 7 to the newest the installed onnx defines. The op
families are written for opsets 11 to 21 (`READS`): where an op changed inside that range, the family
reads `g.opset` (Softmax's 2-D coercion before 13, Clip's bounds as inputs from 11, ReduceMean's axes
input from 18, ...). `convert`, called once by the frontend after the checker accepted the model as
written, brings the other opsets into that range, node by node, by the op's own version history:

- opset 7-10 -> 11: each node goes through every schema version of its op up to its version at 11,
  and each change is applied as `TABLE` says: an attribute that became an input becomes a constant
  input (Clip min/max, Pad pads/value, Slice starts/ends/axes), Upsample (7-9) and Resize-10 become
  Resize-11 with the coordinates they meant (asymmetric, floor), BatchNormalization-7's spatial=1 is
  version 9's only form (spatial=0 is refused), Dropout's mask became bool at 10 (a model that reads
  the mask is refused); the rest are "same" (no change on what gen computes) or "types".
- opset 22-newest -> 21: every change above 21 of an op gen supports only adds element types (or an
  attribute whose default is version 21's meaning, refused when set otherwise).

`TABLE[op][v]` is the change of version `v` of `op` (the schema `onnx.defs.get_schema(op, v)`), one
entry for every schema version in effect from opset 7 on (tests/test_opsets.py holds every supported
op to that, and the "types" entries to their schemas). An op no table names (one gen folds away at
generation time, Shape or Cast, or does not support) is relabelled only where its schema is the same
version at both opsets, else refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .errors import GenError

MIN_OPSET = 7
MAX_OPSET = onnx.defs.onnx_opset_version()
READS = (11, 21)        # the opsets the families read (g.opset); the others are converted into this range
FLT_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Change:
    """What version v of an op changed, for gen. kind: 'first' (the version in effect at opset 7),
    'types' (adds element types only), 'same' (no change in what gen computes: a documentation
    change, negative axes allowed, a new optional attribute or input whose default is the old meaning),
    'family' (a change inside READS that the family reads from g.opset; its `up`, where it has one,
    rewrites the node when a conversion crosses it: a QOperator model at opset 10-12 goes to 13, the
    opset of the DequantizeLinear with axis that gen/qoperator.py writes), 'convert' (the node is
    rewritten into version v's form by `up`), 'attr-default' (above READS: the new attribute keeps
    version 21's meaning only at its default, `down` refuses it otherwise)."""
    kind: str
    why: str
    up: Callable | None = None       # up(node, ctx): rewrites the node from the previous version's form
    down: Callable | None = None     # down(node, ctx): refuses what version 21 cannot say


def _first(why="the version in effect at opset 7"):
    return Change("first", why)


def _types(why="adds element types only"):
    return Change("types", why)


def _same(why):
    return Change("same", why)


def _family(why):
    return Change("family", why)


def _convert(up, why):
    return Change("convert", why, up=up)


def _family_up(up, why):
    return Change("family", why, up=up)


def _default_only(down, why):
    return Change("attr-default", why, down=down)


class _Ctx:
    """The model being converted: its initializers, consumers and graph outputs, new names."""

    def __init__(self, model: onnx.ModelProto):
        self.g = model.graph
        self.model = model      # its opset (still the original one): gen.controlflow.convert_bodies
        self.names = {i.name for i in self.g.initializer} | {v.name for v in self.g.input}
        for n in self.g.node:
            self.names.update(n.output)
        self.consumed = {i for n in self.g.node for i in n.input} | {o.name for o in self.g.output}
        self.inits = {i.name: i for i in self.g.initializer}
        self.before: dict[int, list] = {}     # id(node) -> nodes to insert before it
        self.after: dict[int, list] = {}      # id(node) -> nodes to insert after it

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self.names:
            name, k = f"{base}_{k}", k + 1
        self.names.add(name)
        return name

    def const(self, node, what: str, value: np.ndarray) -> str:
        name = self.fresh(f"{node.output[0] if node.output else node.name}_{what}")
        self.g.initializer.append(numpy_helper.from_array(value, name))
        return name


def _attrs(node) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _drop_attrs(node, *names) -> None:
    keep = [a for a in node.attribute if a.name not in names]
    del node.attribute[:]
    node.attribute.extend(keep)


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def _refuse(node, why: str):
    raise GenError(why, node.name or None, node.op_type)


# ------------------------------------------------------------------ the conversions (old form -> new)

def _clip_11(node, ctx):
    """Clip-6: min/max attributes (defaults the float range) -> Clip-11: optional inputs."""
    a = _attrs(node)
    _drop_attrs(node, "min", "max")
    lo = ctx.const(node, "min", np.array(a.get("min", -FLT_MAX), np.float32))
    hi = ctx.const(node, "max", np.array(a.get("max", FLT_MAX), np.float32))
    node.input.extend([lo, hi])


def _pad_11(node, ctx):
    """Pad-2: pads/value attributes -> Pad-11: a pads input (int64) and a constant_value input."""
    a = _attrs(node)
    if "pads" not in a:
        _refuse(node, "Pad (opset < 11) has no pads attribute")
    _drop_attrs(node, "pads", "value")
    node.input.append(ctx.const(node, "pads", np.array(a["pads"], np.int64)))
    if _text(a.get("mode", "constant")) == "constant":
        node.input.append(ctx.const(node, "value", np.array(a.get("value", 0.0), np.float32)))


def _slice_10(node, ctx):
    """Slice-1: starts/ends/axes attributes -> Slice-10: int64 inputs."""
    a = _attrs(node)
    if "starts" not in a or "ends" not in a:
        _refuse(node, "Slice (opset < 10) needs the starts and ends attributes")
    _drop_attrs(node, "starts", "ends", "axes")
    node.input.extend([ctx.const(node, "starts", np.array(a["starts"], np.int64)),
                       ctx.const(node, "ends", np.array(a["ends"], np.int64))])
    if "axes" in a:
        node.input.append(ctx.const(node, "axes", np.array(a["axes"], np.int64)))


def _asymmetric_resize(node, ctx, scales: str) -> None:
    """Upsample and Resize-10 as the Resize-11 that computes the same (onnxruntime's upsample.h: for
    them the source coordinate is x_out / scale, nearest takes its floor)."""
    a = _attrs(node)
    mode = _text(a.get("mode", "nearest"))
    del node.attribute[:]
    node.op_type = "Resize"
    node.attribute.extend([helper.make_attribute("mode", mode),
                           helper.make_attribute("coordinate_transformation_mode", "asymmetric")])
    if mode == "nearest":
        node.attribute.append(helper.make_attribute("nearest_mode", "floor"))
    roi = ctx.const(node, "roi", np.zeros(0, np.float32))
    x = node.input[0]
    del node.input[:]
    node.input.extend([x, roi, scales])


def _upsample_7(node, ctx):
    """Upsample-7: the scales attribute (kept on the node for version 9's conversion)."""


def _upsample_9(node, ctx):
    """Upsample-7's scales attribute -> Upsample-9's scales input (done with the Resize rewrite)."""
    a = _attrs(node)
    if "scales" in a:
        _drop_attrs(node, "scales")
        node.input.append(ctx.const(node, "scales", np.array(a["scales"], np.float32)))


def _upsample_resize(node, ctx):
    """Upsample-9/10 (deprecated at 10) -> Resize-11."""
    if len(node.input) < 2 or not node.input[1]:
        _refuse(node, "Upsample has no scales")
    _asymmetric_resize(node, ctx, node.input[1])


def _resize_11(node, ctx):
    """Resize-10 (X, scales; asymmetric coordinates) -> Resize-11 (X, roi, scales)."""
    if len(node.input) < 2 or not node.input[1]:
        _refuse(node, "Resize (opset 10) has no scales")
    _asymmetric_resize(node, ctx, node.input[1])


def _batchnorm_9(node, ctx):
    """BatchNormalization-7's spatial attribute: 1 (the default) is version 9's only form."""
    a = _attrs(node)
    if int(a.get("spatial", 1)) != 1:
        _refuse(node, "BatchNormalization with spatial=0 (statistics per element, opset < 9) is not supported")
    _drop_attrs(node, "spatial")


def _dropout_10(node, ctx):
    """Dropout-7's mask is the input's type, Dropout-10's bool: a model that reads it is refused."""
    if len(node.output) > 1 and node.output[1]:
        if node.output[1] in ctx.consumed:
            _refuse(node, "the mask output of Dropout (opset < 10) is used: not supported")
        del node.output[1:]


def _dropout_12(node, ctx):
    """Dropout-10's ratio attribute -> Dropout-12's optional ratio input (unused at inference: dropped)."""
    _drop_attrs(node, "ratio")


def _axes_13(node, ctx):
    """Squeeze/Unsqueeze-11's axes attribute -> Squeeze/Unsqueeze-13's int64 axes input."""
    a = _attrs(node)
    if "axes" in a:
        _drop_attrs(node, "axes")
        node.input.append(ctx.const(node, "axes", np.array(a["axes"], np.int64)))


def _split_13(node, ctx):
    """Split-11's split attribute -> Split-13's int64 split input."""
    a = _attrs(node)
    if "split" in a:
        _drop_attrs(node, "split")
        node.input.append(ctx.const(node, "split", np.array(a["split"], np.int64)))


def _coerced_13(node, ctx):
    """Softmax/LogSoftmax/Hardmax before 13 compute over the input coerced to 2-D at `axis`: at 13
    that is Flatten(axis) -> op(axis=1) -> Reshape to the input's shape (Shape folds at generation time)."""
    axis = int(_attrs(node).get("axis", 1))
    x, y = node.input[0], node.output[0]
    flat, flat_y, shape = ctx.fresh(f"{y}_2d_in"), ctx.fresh(f"{y}_2d"), ctx.fresh(f"{y}_shape")
    ctx.before[id(node)] = [helper.make_node("Flatten", [x], [flat], axis=axis),
                            helper.make_node("Shape", [x], [shape])]
    ctx.after[id(node)] = [helper.make_node("Reshape", [flat_y, shape], [y])]
    _drop_attrs(node, "axis")
    node.attribute.append(helper.make_attribute("axis", 1))
    node.input[0], node.output[0] = flat, flat_y


def _q_precision(node, ctx):
    """QuantizeLinear-23's precision: 0 (the default) computes in y_scale's type, version 21's meaning."""
    if int(_attrs(node).get("precision", 0)) != 0:
        _refuse(node, "the precision attribute of QuantizeLinear (opset 23) is not supported")
    _drop_attrs(node, "precision")


def _dq_output_dtype(node, ctx):
    """DequantizeLinear-23's output_dtype: 0 (the default) or x_scale's type is version 21's meaning."""
    v = int(_attrs(node).get("output_dtype", 0))
    s = ctx.inits.get(node.input[1]) if len(node.input) > 1 else None
    if v not in (0, s.data_type if s is not None else -1):
        _refuse(node, "the output_dtype attribute of DequantizeLinear (opset 23) is not supported unless it is "
                      "x_scale's type")
    _drop_attrs(node, "output_dtype")


def _bodies(node, ctx):
    """If/Loop/Scan: the nodes of its bodies converted too (gen.controlflow.convert_bodies)."""
    from . import controlflow
    controlflow.convert_bodies(node, ctx)


def _scan_8(node, ctx):
    from . import controlflow
    controlflow.refuse_scan_8(node, ctx)


def _topk_10(node, ctx):
    """TopK-1's k attribute -> TopK-10's K input (int64 [1])."""
    a = _attrs(node)
    if "k" not in a:
        _refuse(node, "TopK (opset < 10) has no k attribute")
    _drop_attrs(node, "k")
    node.input.append(ctx.const(node, "k", np.array([a["k"]], np.int64)))


def _round_mode(node, ctx):
    """Cast/CastLike-24's round_mode applies only to float8e8m0 targets (which gen refuses): for every
    other target any value is version 21's meaning, and the attribute goes."""
    _drop_attrs(node, "round_mode")


def _space_to_depth_mode(node, ctx):
    """SpaceToDepth-28's mode: DCR (the default) is version 13's only order; CRD is refused."""
    if _text(_attrs(node).get("mode", "DCR")) != "DCR":
        _refuse(node, "SpaceToDepth mode CRD (opset 28) is not supported (DCR is)")
    _drop_attrs(node, "mode")


_NEG = "negative axes allowed (documentation)"
_DOC = "documentation only"
_BCAST7 = "numpy (multidirectional) broadcasting; the axis/broadcast attributes (opset < 7) are gone"

# op -> {schema version: Change}, every version in effect from opset 7 to MAX_OPSET
TABLE: dict[str, dict[int, Change]] = {
    **{op: {7: _first(_BCAST7), 13: _types(), 14: _types()} for op in ("Add", "Sub", "Mul", "Div")},
    "Attention": {23: _first("new at 23 (above READS: the model keeps its opset, the family reads it)"),
                  24: _same("nonpad_kv_seqlen input added (optional)"),
                  25: _same("left/right_window_size added (default -1: no window); the causal frontier documented "
                            "bottom-right, as the reference computes at every version")},
    "CausalConvWithState": {27: _first("new at 27")},
    "Einsum": {12: _first("new at 12"), 28: _types("bfloat16")},
    "RMSNormalization": {23: _first("new at 23")},
    "RotaryEmbedding": {23: _first("new at 23")},
    "SwiGLU": {28: _first("new at 28")},
    "AveragePool": {7: _first("count_include_pad added (default 0: as before)"),
                    10: _same("ceil_mode added (default 0: as before; the frontend handles ceil_mode=1)"),
                    11: _same("pads documentation"), 19: _family("dilations added (default 1)"), 22: _types()},
    "BatchNormalization": {7: _first("spatial attribute (default 1)"),
                           9: _convert(_batchnorm_9, "spatial removed: spatial=1 kept, spatial=0 refused"),
                           14: _family("training_mode added (default 0: inference, as gen computes)"),
                           15: _types("scale/B and mean/var types split")},
    "Clip": {6: _first("min/max attributes"), 11: _convert(_clip_11, "min/max attributes -> inputs"),
             12: _types("integer types"), 13: _types()},
    "Concat": {4: _first(), 11: _same(_NEG), 13: _types()},
    "Conv": {1: _first(), 11: _same("pads documentation"), 22: _types()},
    "ConvTranspose": {1: _first(), 11: _same("pads/output_shape documentation"), 22: _types()},
    "DFT": {17: _first("new at 17: axis attribute (default 1)"),
            20: _family("axis attribute -> optional input (default -2): the family reads g.opset")},
    "Det": {11: _first("new at 11"), 22: _types()},
    "DequantizeLinear": {10: _first("per-tensor"), 13: _same("axis added (per-axis; a per-tensor node as before)"),
                         19: _types("float8 types"), 21: _family("block_size added (default 0: per tensor/axis)"),
                         23: _default_only(_dq_output_dtype, "output_dtype added (default: x_scale's type)"),
                         24: _types(), 25: _types(), 28: _types()},
    "Dropout": {7: _first("ratio attribute; is_test gone: inference is identity"),
                10: _convert(_dropout_10, "the mask output is bool"),
                12: _family_up(_dropout_12, "ratio/training_mode inputs (inference is identity)"), 13: _types(),
                22: _types()},
    "Flatten": {1: _first(), 9: _types(), 11: _same(_NEG), 13: _types(), 21: _types(), 23: _types(),
                24: _types(), 25: _types()},
    "Gemm": {7: _first("broadcast attribute gone: C broadcasts unidirectionally"), 9: _types(),
             11: _same("C optional"), 13: _types()},
    "GlobalAveragePool": {1: _first(), 22: _types()},
    "GlobalMaxPool": {1: _first(), 22: _types()},
    "GridSample": {16: _first("new at 16: 4-D, modes bilinear/nearest/bicubic"),
                   20: _family("N-D, modes renamed linear/nearest/cubic: the family reads both names"), 22: _types()},
    "HardSigmoid": {6: _first(), 22: _types()},
    "HardSwish": {14: _first("new at 14"), 22: _types()},
    "Hardmax": {1: _first("2-D coercion at axis"), 11: _same(_NEG),
                13: _family_up(_coerced_13, "axis alone (default -1), no 2-D coercion: the family reads g.opset")},
    # control flow (gen/controlflow.py inlines or unrolls it before folding): the bodies convert with the node
    **{op: {1: _first(), 11: _convert(_bodies, "outputs may differ in shape per iteration/branch; the body's nodes "
                                                "are converted with it"),
            13: _types("sequences"), 16: _types("optionals"), 19: _types(), 21: _types(),
            23: Change("types", "adds element types only; the body's nodes are converted with it", down=_bodies),
            24: Change("types", "adds element types only", down=_bodies),
            25: Change("types", "adds element types only", down=_bodies)} for op in ("If", "Loop")},
    "Scan": {8: _first("a batch axis and sequence_lens (refused at conversion)"),
             9: _convert(_scan_8, "no batch axis; scan_input_axes/directions, scan_output_axes/directions"),
             11: _convert(_bodies, "negative axes allowed; the body's nodes are converted with it"),
             16: _types(), 19: _types(), 21: _types(),
             23: Change("types", "adds element types only; the body's nodes are converted with it", down=_bodies),
             24: Change("types", "adds element types only", down=_bodies),
             25: Change("types", "adds element types only", down=_bodies)},
    "Identity": {1: _first(), 13: _types(), 14: _types("sequences"), 16: _types("optionals"), 19: _types(),
                 21: _types(), 23: _types(), 24: _types(), 25: _types()},
    "LinearAttention": {27: _first("new at 27")},
    "LeakyRelu": {6: _first(), 16: _types()},
    "LogSoftmax": {1: _first("2-D coercion at axis"), 11: _same(_NEG),
                   13: _family_up(_coerced_13, "axis alone (default -1), no 2-D coercion: the family reads g.opset")},
    "LRN": {1: _first(), 13: _types("bfloat16")},
    "LpPool": {2: _first("p an int"), 11: _same("pads documentation"),
               18: _family("ceil_mode, dilations added (defaults: as before; the frontend handles ceil_mode=1)"),
               22: _types()},
    "GlobalLpPool": {2: _first("p an int"), 22: _types()},
    "MatMul": {1: _first(), 9: _types(), 13: _types()},
    "MaxPool": {1: _first(), 8: _same("storage_order and the Indices output added (optional)"),
                10: _same("ceil_mode, dilations added (defaults: as before)"), 11: _same("pads documentation"),
                12: _types("int8/uint8"), 22: _types()},
    "Pad": {2: _first("pads/value attributes"),
            11: _convert(_pad_11, "pads/value attributes -> inputs"), 13: _types(),
            18: _family("axes input added (optional)"), 19: _same("mode wrap added"), 21: _types(),
            23: _types(), 24: _types(), 25: _types()},
    "QLinearConv": {10: _first("new at 10")},
    "QLinearMatMul": {10: _first("new at 10"), 21: _types()},
    "QuantizeLinear": {10: _first("per-tensor"), 13: _same("axis added (per-axis; a per-tensor node as before)"),
                       19: _family("saturate added (float8 only)"),
                       21: _family("block_size, output_dtype added (defaults: as before)"),
                       23: _default_only(_q_precision, "precision added (default: y_scale's type)"),
                       24: _types(), 25: _types(), 28: _types()},
    "ReduceMean": {1: _first("axes attribute"), 11: _same(_NEG), 13: _types(),
                   18: _family("axes input, noop_with_empty_axes")},
    "Relu": {6: _first(), 13: _types(), 14: _types()},
    "Reshape": {5: _first("shape input"), 13: _types(), 14: _family("allowzero added (default 0: as before)"),
                19: _types(), 21: _types(), 23: _types(), 24: _types(), 25: _types()},
    "Resize": {10: _first("new at 10: X, scales, asymmetric coordinates"),
               11: _convert(_resize_11, "roi input, coordinate_transformation_mode (Resize-10 is asymmetric)"),
               13: _same("roi optional, more modes"), 18: _family("antialias, axes, keep_aspect_ratio_policy"),
               19: _family("half_pixel_symmetric coordinates")},
    "Sigmoid": {6: _first(), 13: _types()},
    "Slice": {1: _first("starts/ends/axes attributes"),
              10: _convert(_slice_10, "starts/ends/axes attributes -> inputs, steps input"),
              11: _same(_NEG), 13: _types()},
    "Softmax": {1: _first("2-D coercion at axis"), 11: _same(_NEG),
                13: _family_up(_coerced_13, "axis alone (default -1), no 2-D coercion: the family reads g.opset")},
    "Split": {2: _first("split attribute"), 11: _same(_NEG), 13: _family_up(_split_13, "split attribute -> input"),
              18: _family("num_outputs added")},
    "Squeeze": {1: _first("axes attribute"), 11: _same(_NEG), 13: _family_up(_axes_13, "axes attribute -> input"),
                21: _types(), 23: _types(), 24: _types(), 25: _types()},
    "Tanh": {6: _first(), 13: _types()},
    "Transpose": {1: _first(), 13: _types(), 21: _types(), 23: _types(), 24: _types(), 25: _types()},
    "Unsqueeze": {1: _first("axes attribute"), 11: _same(_NEG), 13: _family_up(_axes_13, "axes attribute -> input"),
                  21: _types(), 23: _types(), 24: _types(), 25: _types()},
    "Upsample": {7: _first("scales attribute (Upsample-7)"), 9: _convert(_upsample_9, "scales attribute -> input"),
                 10: _same("deprecated (the same op)")},
    # the unary math family (gen/ops/unary.py): every change after the first adds element types only
    **{op: {6: _first(), 13: _types("bfloat16")} for op in ("Abs", "Exp", "Log", "Neg", "Reciprocal", "Sqrt")},
    **{op: {6: _first(), 13: _types("bfloat16 (the doc names the special values, as C's ceilf/floorf)")}
       for op in ("Ceil", "Floor")},
    **{op: {7: _first(), 22: _types("bfloat16")} for op in ("Acos", "Asin", "Atan", "Cos", "Sin", "Tan")},
    **{op: {9: _first("new at 9"), 22: _types("bfloat16")} for op in ("Acosh", "Asinh", "Atanh", "Cosh", "Sinh")},
    **{op: {6: _first(), 22: _types("bfloat16")} for op in ("Elu", "Selu")},
    **{op: {1: _first(), 22: _types("bfloat16")} for op in ("Softplus", "Softsign")},
    "ThresholdedRelu": {10: _first("new at 10"), 22: _types("bfloat16")},
    "Round": {11: _first("new at 11"), 22: _types("bfloat16")},
    "Mish": {18: _first("new at 18"), 22: _types("bfloat16")},
    "Celu": {12: _first("new at 12"), 28: _types("bfloat16, float16, double")},
    "Erf": {9: _first("new at 9"), 13: _types("bfloat16 added, the integer types removed")},
    "Sign": {9: _first("new at 9"), 13: _types("bfloat16")},
    "Gelu": {20: _first("new at 20")},
    "Shrink": {9: _first("new at 9")},
    "PRelu": {7: _first("slope broadcasts unidirectionally"), 9: _types("integer types"), 16: _types("bfloat16")},
    "Pow": {7: _first(_BCAST7), 12: _types("the exponent's type (T1) apart from the base's; int32/int64 bases"),
            13: _types("bfloat16"), 15: _types("bfloat16 exponents")},
    # comparisons, logic, Where (gen/ops/compare.py)
    **{op: {7: _first(_BCAST7)} for op in ("And", "Or", "Xor")},
    "Not": {1: _first()},
    "Equal": {7: _first(_BCAST7), 11: _types("float and more integer types"), 13: _types("bfloat16"),
              19: _types("string")},
    **{op: {7: _first(_BCAST7), 9: _types("integer types"), 13: _types("bfloat16")} for op in ("Greater", "Less")},
    **{op: {12: _first("new at 12"), 16: _types("bfloat16")} for op in ("GreaterOrEqual", "LessOrEqual")},
    "Where": {9: _first("new at 9"), 16: _types("bfloat16")},
    # Cast (gen/ops/cast.py)
    "Cast": {6: _first(), 9: _types("string"), 13: _types("bfloat16 (the doc spells out the rules it had)"),
             19: _same("saturate added: it applies to float8 targets only, which gen refuses"),
             21: _types("int4/uint4"), 23: _types("float4e2m1"),
             24: _default_only(_round_mode, "round_mode added: it applies to float8e8m0 targets only"),
             25: _types("int2/uint2"), 28: _types("float6 types")},
    "CastLike": {15: _first("new at 15"),
                 19: _same("saturate added: it applies to float8 targets only, which gen refuses"),
                 21: _types("int4/uint4"), 23: _types("float4e2m1"),
                 24: _default_only(_round_mode, "round_mode added: it applies to float8e8m0 targets only"),
                 25: _types("int2/uint2")},
    # Mod, BitShift, Max/Min/Sum/Mean (gen/ops/int_binary.py)
    "Mod": {10: _first("new at 10"), 13: _types("bfloat16 (the doc restates fmod's rules)"),
            28: _same("documentation: float inputs with fmod=0 (A - floor(A/B)*B) are defined; gen refuses them "
                      "(float Mod needs fmod=1) with one line")},
    "BitShift": {11: _first("new at 11"),
                 28: _same("signed types added (arithmetic right shift; a model on them keeps opset 28); a shift "
                           "< 0 or past the width is defined (0, or -1 for a negative x >> y), which gen computes")},
    **{op: {6: _first("every input the same shape"), 8: _same("numpy broadcasting (equal shapes are a case of it)"),
            12: _types("integer types"), 13: _types("bfloat16")} for op in ("Max", "Min")},
    **{op: {6: _first("every input the same shape"), 8: _same("numpy broadcasting (equal shapes are a case of it)"),
            13: _types("bfloat16")} for op in ("Sum", "Mean")},
    # LSTM, GRU, RNN (gen/ops/rnn.py)
    **{op: {7: _first(), 14: _same("layout added (default 0: as before; the family reads it)"),
            22: _types("bfloat16")} for op in ("LSTM", "GRU", "RNN")},
    # the Reduce ops (gen/ops/reduce.py): the family reads the axes attribute or the axes input, which it finds
    **{op: {1: _first("axes attribute"), 11: _same(_NEG), 13: _types("bfloat16"),
            18: _family("axes attribute -> optional input, noop_with_empty_axes added: the family reads either form"),
            **({28: _types("the integer types removed")} if op in ("ReduceLogSum", "ReduceLogSumExp") else {})}
       for op in ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceProd", "ReduceSumSquare")},
    **{op: {1: _first("axes attribute"), 11: _same(_NEG), 12: _types("int8/uint8"), 13: _types("bfloat16"),
            18: _family("axes attribute -> optional input, noop_with_empty_axes added: the family reads either form"),
            20: _types("bool (False < True)")} for op in ("ReduceMax", "ReduceMin")},
    "ReduceSum": {1: _first("axes attribute"), 11: _same(_NEG),
                  13: _family("axes attribute -> optional input, noop_with_empty_axes added: the family reads "
                              "either form")},
    # ArgMax/ArgMin, TopK, CumSum (gen/ops/argmax.py)
    **{op: {1: _first(), 11: _same(_NEG), 12: _same("select_last_index added (default 0: as before; the family "
                                                    "reads it)"), 13: _types("bfloat16")} for op in ("ArgMax", "ArgMin")},
    "TopK": {1: _first("k attribute"), 10: _convert(_topk_10, "k attribute -> K input"),
             11: _same("largest and sorted added (defaults 1: as before), negative axis, integer types"),
             24: _types("bfloat16")},
    "CumSum": {11: _first("new at 11"), 14: _types("float16, bfloat16")},
    # the normalizations (gen/ops/norm.py)
    "LayerNormalization": {17: _first("new at 17")},
    "GroupNormalization": {18: _first("new at 18: scale and bias per group"),
                           21: _family("scale and bias per channel, stash_type added (default 1: float32, as gen "
                                       "computes); onnx deprecated version 18: its checker rejects it")},
    "InstanceNormalization": {6: _first(), 22: _types("bfloat16")},
    "LpNormalization": {1: _first(), 22: _types("bfloat16")},
    "MeanVarianceNormalization": {9: _first("new at 9"), 13: _types("bfloat16")},
    # the data-movement ops of b-shape (gen/ops/gather.py, strided.py, ...)
    "Gather": {1: _first(), 11: _same("negative indices allowed (out of range before)"), 13: _types("bfloat16")},
    "GatherElements": {11: _first("new at 11"), 13: _types("bfloat16")},
    "GatherND": {11: _first("new at 11"), 12: _same("batch_dims added (default 0: as before; the family reads it)"),
                 13: _types("bfloat16")},
    "Scatter": {9: _first("new at 9"), 11: _same("negative indices allowed; deprecated for ScatterElements")},
    **{op: {11: _first("new at 11"), 13: _types("bfloat16"),
            16: _same("reduction added (default none: as before; the family reads it)"),
            18: _same("reductions max and min added (the family reads them)")}
       for op in ("ScatterElements", "ScatterND")},
    "Expand": {8: _first("new at 8"), 13: _types("bfloat16")},
    "Tile": {6: _first(), 13: _types("bfloat16")},
    "DepthToSpace": {1: _first("DCR order"), 11: _same("mode added (default DCR: as before; the family reads it)"),
                     13: _types("bfloat16"), 28: _same("a function body defines it (no change)")},
    "SpaceToDepth": {1: _first("DCR order"), 13: _types("bfloat16"),
                     28: _default_only(_space_to_depth_mode, "mode added (default DCR: version 13's order)")},
    "Trilu": {14: _first("new at 14")},
    "ReverseSequence": {10: _first("new at 10"), 28: _types("bfloat16")},
    "Compress": {9: _first("new at 9"), 11: _same(_NEG), 28: _types("bfloat16")},
    # OneHot (gen/ops/onehot.py)
    "OneHot": {9: _first("new at 9"), 11: _same("negative indices (and axis) allowed"),
               28: _types("bfloat16 values (the doc states the all-off rule for indices out of range)")},
    # CumProd (gen/ops/cumprod.py)
    "CumProd": {26: _first("new at 26")},
    # dynamic quantization's integer ops (gen/ops/integer_mm.py)
    "MatMulInteger": {10: _first("new at 10")},
    "ConvInteger": {10: _first("new at 10")},
    "DynamicQuantizeLinear": {11: _first("new at 11")},
    # CenterCropPad (gen/ops/center_crop_pad.py)
    "CenterCropPad": {18: _first("new at 18")},
    # IsNaN, IsInf (gen/ops/classify.py)
    "IsNaN": {9: _first("new at 9"), 13: _types("bfloat16"), 20: _types("float8 types")},
    "IsInf": {10: _first("new at 10"), 20: _types("float16, bfloat16, float8 types")},
    # the tensor generators (gen/ops/generators.py): constants at generation time, Range at run time
    "Shape": {1: _first(), 13: _types("bfloat16"), 15: _same("start and end added (defaults: the whole shape; the "
                                                             "family reads them)"),
              **{v: _types() for v in (19, 21, 23, 24, 25)}},
    "Size": {1: _first(), **{v: _types() for v in (13, 19, 21, 23, 24, 25)}},
    "Constant": {1: _first("value (float types)"), 9: _types("every tensor type"),
                 11: _same("sparse_value added (gen refuses it)"),
                 12: _same("value_float(s)/value_int(s)/value_string(s) added (the family reads the numbers)"),
                 **{v: _types() for v in (13, 19, 21, 23, 24, 25)}},
    "ConstantOfShape": {9: _first("new at 9"), **{v: _types() for v in (20, 21, 23, 24, 25)}},
    "EyeLike": {9: _first("new at 9"), 22: _types("bfloat16")},
    "Range": {11: _first("new at 11"),
              27: _same("float16/bfloat16 and stash_type added (the precision of a float16 Range's arithmetic; gen "
                        "computes in float32, the default)")},
}

# ops that no longer exist at READS[0], and the conversion that gives their node its op there
RENAMED = {"Upsample": ("Resize", _upsample_resize)}


def since(op: str, opset: int) -> int | None:
    """The schema version of `op` in effect at `opset` (None: the op does not exist there)."""
    try:
        return onnx.defs.get_schema(op, opset, "").since_version
    except onnx.defs.SchemaError:
        return None


def versions(op: str) -> list[int]:
    """Every schema version of `op` in effect at some opset from MIN_OPSET to MAX_OPSET."""
    out = {since(op, v) for v in range(MIN_OPSET, MAX_OPSET + 1)}
    return sorted(v for v in out if v is not None)


def opsets_of(op: str) -> tuple[int, int] | None:
    """The first and last opset gen reads `op` at (for --list-ops)."""
    last = READS[0] - 1 if op in RENAMED else MAX_OPSET       # Upsample: deprecated from 10, gone at 11
    got = [v for v in range(MIN_OPSET, last + 1) if since(op, v) is not None]
    return (got[0], got[-1]) if got else None


def model_opset(model: onnx.ModelProto) -> int:
    opset = None
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            opset = o.version
    if opset is None:
        raise GenError("the model imports no version of the default ONNX opset")
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise GenError(f"opset {opset} is not supported: gen reads ONNX opsets {MIN_OPSET} to {MAX_OPSET}")
    return opset


def target(opset: int) -> int:
    """The opset inside READS that a model at `opset` is converted to."""
    return min(max(opset, READS[0]), READS[1])


def convert(model: onnx.ModelProto, at_least: int = 0) -> int:
    """Rewrite every default-domain node of `model` (in place) into its form at target(opset) (or
    `at_least`, if higher) and set the model's opset to it; returns that opset. GenError for a change
    gen cannot express."""
    opset = model_opset(model)
    to = max(target(opset), at_least)
    if any(node.domain in ("", "ai.onnx") and since(node.op_type, READS[1]) is None
           and since(node.op_type, opset) is not None for node in model.graph.node):
        to = opset      # an op new above READS (Attention, ...): the model keeps its opset, every other node
        #                 is still put in its READS[1] form below; the new op's family reads g.opset
    elif to < opset and _types_only_above(model, to):
        to = opset      # a node on an element type its op takes only above `to` (signed BitShift-28): the
        #                 same, or onnx's shape inference at `to` would reject the type
    if to == opset and opset <= READS[1]:
        return opset
    ctx = _Ctx(model)
    nodes = []
    for node in list(model.graph.node):
        if node.domain in ("", "ai.onnx"):
            _convert_node(node, opset, to, ctx)
        nodes += ctx.before.get(id(node), []) + [node] + ctx.after.get(id(node), [])
    if len(nodes) != len(model.graph.node):
        copies = [onnx.NodeProto() for _ in nodes]
        for c, n in zip(copies, nodes):
            c.CopyFrom(n)
        del model.graph.node[:]
        model.graph.node.extend(copies)
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = to
    # the IR version that goes with the new opset (IR 3 also lists initializers as graph inputs, which
    # the frontend drops: onnx's shape inference would then not see them)
    model.ir_version = max(model.ir_version, helper.find_min_ir_version_for(list(model.opset_import), True))
    return to


def _types_only_above(model: onnx.ModelProto, to: int) -> bool:
    """Whether a default-domain node of `model` reads a tensor whose element type its op's schema at
    opset `to` does not allow (a "types" change above `to`: the types onnx's inference, at the model's
    own opset, gives the tensors)."""
    try:
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=False, data_prop=False)
    except Exception:
        return False        # the frontend's own inference refuses the model with its message
    types = {vi.name: vi.type.tensor_type.elem_type for vi in list(inferred.graph.input) + list(
        inferred.graph.value_info) + list(inferred.graph.output) if vi.type.HasField("tensor_type")}
    types.update((t.name, t.data_type) for t in model.graph.initializer)
    for node in model.graph.node:
        if node.domain not in ("", "ai.onnx") or since(node.op_type, to) is None:
            continue
        schema = onnx.defs.get_schema(node.op_type, to, "")
        allowed = {c.type_param_str: set(c.allowed_type_strs) for c in schema.type_constraints}
        for k, name in enumerate(node.input):
            if not name or not types.get(name) or not schema.inputs:
                continue
            formal = schema.inputs[min(k, len(schema.inputs) - 1)].type_str
            ok = allowed.get(formal, {formal})
            if f"tensor({onnx.TensorProto.DataType.Name(types[name]).lower()})" not in ok:
                return True
    return False


def _convert_node(node, opset: int, to: int, ctx: _Ctx) -> None:
    op = node.op_type
    v_from, v_to = since(op, opset), since(RENAMED[op][0] if op in RENAMED else op, to)
    table = TABLE.get(op)
    if table is None:
        if v_from != v_to:
            _refuse(node, f"{op} changed between opset {opset} (version {v_from}) and opset {to} "
                          f"(version {v_to}) and gen has no rule for that change")
        return
    if to > opset:          # up: apply every change after the node's version, up to its version at `to`
        for v in sorted(table):
            if v_from is not None and v <= v_from:
                continue
            if v > to:
                break
            ch = table[v]
            if ch.up is not None:
                ch.up(node, ctx)
            elif ch.kind == "family":
                _refuse(node, f"{op} changed at version {v} and gen cannot convert the node from opset {opset} "
                              f"to {to}")
        if op in RENAMED:
            RENAMED[op][1](node, ctx)
    else:                   # down: every change above `to` up to the node's version keeps 21's meaning
        if since(op, READS[1]) is None:
            return          # new above READS: its family reads the node's version (g.opset)
        for v in sorted(table):
            if v <= min(to, READS[1]) or v > v_from:
                continue
            ch = table[v]
            if ch.kind not in ("types", "same", "attr-default"):
                _refuse(node, f"{op} version {v} (opset {opset}) means more than version {v_to}: "
                              "not supported")
            if ch.down is not None:
                ch.down(node, ctx)
