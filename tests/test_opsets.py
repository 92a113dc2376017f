"""Opsets 7 to onnx's newest (gen/opsets.py): the version table is complete and honest, and each
conversion computes what the node meant at its own opset (oracle: onnxruntime running the model at
that opset, which it supports)."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from gen import frontend, opsets
from gen.errors import GenError
from gen.ops import supported_onnx_ops
from graphs import check, gen_compile

OLD = (7, 8, 9, 10)


def _model(nodes, x_shape, outputs, inits=None, opset=7):
    """A model at `opset` as the old exporters wrote it: IR version 3, initializers also graph inputs."""
    init = [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()]
    ins = [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))]
    ins += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in init]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    m = helper.make_model(helper.make_graph(nodes, "old", ins, outs, initializer=init),
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 3 if opset < 8 else 4 if opset < 10 else 5
    inferred = onnx.shape_inference.infer_shapes(m)
    vis = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for o in m.graph.output:
        o.type.CopyFrom(vis[o.name].type)
    return m


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32) * 2


# ------------------------------------------------------------------------------------------ the table

def _schema(op, v):
    s = onnx.defs.get_schema(op, v, "")
    attrs = {k: (a.default_value.SerializeToString(), a.required) for k, a in s.attributes.items()}
    return (attrs, [(i.name, i.option) for i in s.inputs], [(o.name, o.option) for o in s.outputs])


def test_opsets_table_covers_every_version_of_every_supported_op():
    """Every schema version of every op gen supports, from opset 7 to onnx's newest, has its entry:
    a new op (or a newer onnx) without its versions fails here."""
    missing = {}
    for op in sorted(supported_onnx_ops()):
        want = opsets.versions(op)
        have = sorted(opsets.TABLE.get(op, {}))
        if want != have:
            missing[op] = (want, have)
    assert not missing, f"versions (schema, table) not in gen/opsets.py TABLE: {missing}"
    assert opsets.MAX_OPSET == onnx.defs.onnx_opset_version()


def test_opsets_types_entries_only_add_types():
    """A 'types' entry is honest: the schema keeps its attributes (and their defaults), inputs and
    outputs; 'first' is the version in effect at opset 7 (or the op's first); 'family' lies in the
    opsets the families read; a 'convert' entry has its rewrite."""
    for op, table in opsets.TABLE.items():
        vs = sorted(table)
        assert table[vs[0]].kind == "first", op
        for p, v in zip(vs, vs[1:]):
            ch = table[v]
            assert ch.kind != "first", (op, v)
            if ch.kind == "types":
                assert _schema(op, p) == _schema(op, v), f"{op} {v} is not 'types only'"
            if ch.kind == "family":
                assert opsets.READS[0] <= v <= opsets.READS[1], (op, v)
            if ch.kind == "convert":
                assert ch.up is not None and v <= opsets.READS[0], (op, v)
            if v > opsets.READS[1]:
                assert ch.kind in ("types", "same", "attr-default"), (op, v)


def test_opsets_range_refused_outside():
    m = _model([helper.make_node("Relu", ["x"], ["y"])], (1, 4), ["y"], opset=7)
    m.opset_import[0].version = 6
    with pytest.raises(GenError, match="opset 6 is not supported: gen reads ONNX opsets 7 to"):
        gen_compile(m)


def _unlisted_changed_op(monkeypatch) -> str:
    """An ONNX op gen has no table for whose schema differs at opsets 7 and 11 (the first by name); when
    gen has a table for every such op, the first one-input op of them with its table taken away."""
    names = sorted({s.name for s in onnx.defs.get_all_schemas_with_history() if s.domain in ("", "ai.onnx")})
    changed = [op for op in names if opsets.since(op, 7) is not None and opsets.since(op, 7) != opsets.since(op, 11)]
    unlisted = [op for op in changed if op not in opsets.TABLE]
    if unlisted:
        return unlisted[0]
    op = next(op for op in changed
              if onnx.defs.get_schema(op, 7).min_input == 1 == onnx.defs.get_schema(op, 7).max_input)
    monkeypatch.delitem(opsets.TABLE, op)
    return op


def test_opsets_unlisted_op_changed_refused(monkeypatch):
    """An op without a table whose schema differs at the two opsets is refused, not relabelled."""
    op = _unlisted_changed_op(monkeypatch)
    m = _model([helper.make_node(op, ["x"], ["c"]), helper.make_node("Relu", ["c"], ["y"])], (1, 1, 4, 4), ["y"],
               opset=7)
    with pytest.raises(GenError, match=f"{op} changed between opset 7 .* no rule"):
        opsets.convert(m)


# ------------------------------------------------------------------------------------------ conversions

@pytest.mark.parametrize("opset", OLD)
@settings(max_examples=8)
@given(lo=st.one_of(st.none(), st.floats(-2, 1, width=32)), hi=st.one_of(st.none(), st.floats(-1, 2, width=32)))
def test_opsets_clip_attributes(opset, lo, hi):
    """Clip-6 (min/max attributes, defaults the float range) becomes Clip-11 with constant inputs
    (onnxruntime refuses min > max at Clip-6)."""
    assume(lo is None or hi is None or lo <= hi)
    attrs = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
    check(_model([helper.make_node("Clip", ["x"], ["y"], **attrs)], (1, 3, 4, 4), ["y"], opset=opset),
          {"x": _x((1, 3, 4, 4))})


@pytest.mark.parametrize("opset", OLD)
@pytest.mark.parametrize("mode", ["constant", "reflect", "edge"])
def test_opsets_pad_attributes(opset, mode):
    """Pad-2 (pads/value attributes) becomes Pad-11 with constant inputs (or is refused, one line,
    where gen's Pad does not take the mode)."""
    attrs = {"pads": [0, 0, 1, 2, 0, 0, 2, 1], "mode": mode}
    if mode == "constant":
        attrs["value"] = 0.75
    m = _model([helper.make_node("Pad", ["x"], ["y"], **attrs)], (1, 2, 4, 4), ["y"], opset=opset)
    try:
        check(m, {"x": _x((1, 2, 4, 4))})
    except GenError as e:
        assert mode != "constant" and "mode" in str(e), e


@pytest.mark.parametrize("opset", OLD)
@pytest.mark.parametrize("mode,scale", [("nearest", 2.0), ("nearest", 3.0), ("linear", 2.0)])
def test_opsets_upsample_resize(opset, mode, scale):
    """Upsample-7 (scales attribute), Upsample-9 (scales input) and Resize-10 become the Resize-11
    that computes what onnxruntime computes for them."""
    scales = np.array([1, 1, scale, scale], np.float32)
    if opset < 9:
        nodes, inits = [helper.make_node("Upsample", ["x"], ["y"], mode=mode, scales=list(scales))], {}
    else:
        op = "Upsample" if opset == 9 else "Resize"
        nodes, inits = [helper.make_node(op, ["x", "s"], ["y"], mode=mode)], {"s": scales}
    check(_model(nodes, (1, 2, 3, 4), ["y"], inits, opset=opset), {"x": _x((1, 2, 3, 4))})


@pytest.mark.parametrize("opset", OLD)
def test_opsets_batchnorm_spatial(opset):
    """BatchNormalization-7's spatial=1 (written explicitly, as CNTK does) is version 9's form."""
    rng = np.random.default_rng(1)
    p = {k: rng.uniform(0.5, 1.5, 3).astype(np.float32) for k in ("s", "b", "m", "v")}
    attrs = {"epsilon": 1e-3, **({"spatial": 1} if opset < 9 else {})}
    check(_model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], **attrs)],
                 (1, 3, 4, 4), ["y"], p, opset=opset), {"x": _x((1, 3, 4, 4))})


def test_opsets_batchnorm_spatial_0_refused():
    p = {k: np.ones((3, 4, 4), np.float32) for k in ("s", "b", "m", "v")}
    m = _model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], spatial=0)],
               (1, 3, 4, 4), ["y"], p, opset=7)
    with pytest.raises(GenError, match="spatial=0"):
        gen_compile(m)


@pytest.mark.parametrize("opset", OLD + (11, 12))
@pytest.mark.parametrize("axis", [1, 2, 3])
def test_opsets_softmax_coerces_before_13(opset, axis):
    """Softmax before 13 coerces its input to 2-D at `axis` (the family reads g.opset, kept in 11-21)."""
    check(_model([helper.make_node("Softmax", ["x"], ["y"], axis=axis)], (1, 2, 3, 4), ["y"], opset=opset),
          {"x": _x((1, 2, 3, 4))})


@pytest.mark.parametrize("opset", (7, 8, 9))
def test_opsets_dropout_ratio_attribute(opset):
    """Dropout-7 (ratio attribute; mask output unread) is the identity at inference."""
    check(_model([helper.make_node("Dropout", ["x"], ["d", "mask"], ratio=0.3),
                  helper.make_node("Relu", ["d"], ["y"])], (1, 6), ["y"], opset=opset), {"x": _x((1, 6))})


@pytest.mark.parametrize("opset", (10, 11, 12, 13, opsets.MAX_OPSET))
def test_opsets_pool_ceil_mode(opset):
    """MaxPool/AveragePool ceil_mode (from 10) at every opset that has it."""
    nodes = [helper.make_node("MaxPool", ["x"], ["a"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
             helper.make_node("AveragePool", ["a"], ["y"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)]
    check(_model(nodes, (1, 2, 8, 8), ["y"], opset=opset), {"x": _x((1, 2, 8, 8))})


def test_opsets_newest_relabelled_types_only():
    """A model at onnx's newest opset: every op's changes above 21 add types only; it computes as at 21."""
    rng = np.random.default_rng(2)
    inits = {"W": rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "B": rng.standard_normal(4).astype(np.float32),
             "shape": np.array([1, -1], np.int64)}
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]), helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2]),
             helper.make_node("Reshape", ["p", "shape"], ["f"]), helper.make_node("Softmax", ["f"], ["y"])]
    m = _model(nodes, (1, 3, 6, 6), ["y"], inits, opset=opsets.MAX_OPSET)
    m.ir_version = 10
    check(m, {"x": _x((1, 3, 6, 6))})


def test_opsets_quantize_precision_refused():
    m = _model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], precision=TensorProto.DOUBLE),
                helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])], (1, 4), ["y"],
               {"s": np.array(0.1, np.float32), "z": np.array(0, np.int8)}, opset=23)
    m.ir_version = 11
    with pytest.raises(GenError, match="precision"):
        opsets.convert(m)


# ------------------------------------------------------------------------------------------ an old CNN

def _old_cnn(opset: int):
    """A small CNN as CNTK / tf2onnx / PyTorch 1.x wrote it at opsets 7-10: BatchNormalization with
    spatial, Dropout with a ratio attribute, Pad and Clip with attributes, Upsample (Resize at 10), a
    Softmax over a 4-D tensor (2-D coercion) and a Flatten -> Gemm -> Softmax head."""
    rng = np.random.default_rng(opset)
    f = np.float32
    inits = {"W1": rng.standard_normal((4, 3, 3, 3)).astype(f) * 0.5, "B1": rng.standard_normal(4).astype(f),
             "s": rng.uniform(0.5, 1.5, 4).astype(f), "b": rng.standard_normal(4).astype(f),
             "m": rng.standard_normal(4).astype(f) * 0.1, "v": rng.uniform(0.5, 1.5, 4).astype(f),
             "W2": rng.standard_normal((2, 4, 3, 3)).astype(f) * 0.5,
             "G": rng.standard_normal((5, 128)).astype(f) * 0.1, "C": rng.standard_normal(5).astype(f)}
    bn = {"epsilon": 1e-5, **({"spatial": 1} if opset < 9 else {})}
    nodes = [helper.make_node("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("BatchNormalization", ["c1", "s", "b", "m", "v"], ["bn"], **bn),
             helper.make_node("Relu", ["bn"], ["r1"]),
             helper.make_node("Pad", ["r1"], ["pd"], pads=[0, 0, 1, 1, 0, 0, 1, 1], value=0.5),
             helper.make_node("MaxPool", ["pd"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Clip", ["mp"], ["cl"], min=-1.0, max=2.0)]
    if opset < 9:
        nodes.append(helper.make_node("Upsample", ["cl"], ["up"], mode="nearest", scales=[1.0, 1.0, 2.0, 2.0]))
    else:
        inits["sc"] = np.array([1, 1, 2, 2], f)
        nodes.append(helper.make_node("Upsample" if opset == 9 else "Resize", ["cl", "sc"], ["up"], mode="nearest"))
    if opset < 10:
        nodes.append(helper.make_node("Dropout", ["up"], ["dr"], ratio=0.5))
    else:
        nodes.append(helper.make_node("Dropout", ["up"], ["dr"]))
    nodes += [helper.make_node("Conv", ["dr", "W2"], ["c2"], kernel_shape=[3, 3]),     # [1, 2, 8, 8]
              helper.make_node("Softmax", ["c2"], ["y1"], axis=1),                      # over 2 * 8 * 8
              helper.make_node("Flatten", ["c2"], ["fl"], axis=1),
              helper.make_node("Gemm", ["fl", "G", "C"], ["gm"], transB=1),
              helper.make_node("Softmax", ["gm"], ["y2"])]
    return _model(nodes, (1, 3, 8, 8), ["y1", "y2"], inits, opset=opset)


@pytest.mark.parametrize("opset", OLD)
def test_opsets_old_cnn(opset):
    """The old exporters' CNN compiles at its own opset and matches onnxruntime at that opset."""
    got, ref, res = check(_old_cnn(opset), {"x": _x((1, 3, 8, 8), opset)})
    assert res.graph.opset == 11
    np.testing.assert_allclose(got[0].sum(), 1.0, rtol=1e-5)      # one softmax over all of C*H*W


# ------------------------------------------------------------------------------------------ parameters

def _const_input_cases():
    from gen.ops import REGISTRY
    # inputs the static shapes may determine are compiled and checked at run time where they do
    # (gen/rtparams.py; tests/test_runtime_params.py holds both outcomes)
    return sorted({(op, k) for op, fam in REGISTRY.items() for k in fam.const_inputs.get(op, ())
                   if k not in fam.shape_determined_inputs.get(op, ())})


def _case_with_input(op, k):
    """An onnx node case of `op` whose node has input k, with every operand but the first and input k
    made an initializer (so input k is the one parameter that is a graph input)."""
    from test_onnx_node_cases import node_cases
    for c in node_cases():
        nodes = c.model.graph.node
        if len(nodes) != 1 or nodes[0].op_type != op or len(nodes[0].input) <= k or not nodes[0].input[k]:
            continue
        name, first = nodes[0].input[k], c.model.graph.input[0].name
        if name == first or name not in {i.name for i in c.model.graph.input}:
            continue
        if any(np.asarray(a).size == 0 for a in c.data_sets[0][0]):
            continue    # an input without elements is a known (empty) value: compiled as a constant
        m = onnx.ModelProto()
        m.CopyFrom(c.model)
        feeds = {vi.name: a for vi, a in zip(m.graph.input, c.data_sets[0][0])}
        keep = [vi for vi in m.graph.input if vi.name in (first, name)]
        for vi in m.graph.input:
            if vi.name not in (first, name):
                t = feeds[vi.name]
                m.graph.initializer.append(t if isinstance(t, onnx.TensorProto) else
                                           numpy_helper.from_array(np.asarray(t), vi.name))
        del m.graph.input[:]
        m.graph.input.extend(keep)
        return m, name
    return None


def _conv_bias_model(op="Conv"):
    rng = np.random.default_rng(0)
    w = (3, 2, 3, 3) if op == "Conv" else (2, 3, 3, 3)      # ConvTranspose: [C, M, kh, kw]
    m = _model([helper.make_node(op, ["x", "W", "B"], ["y"])], (1, 2, 4, 4), ["y"],
               {"W": rng.standard_normal(w).astype(np.float32)}, opset=13)
    del m.graph.input[1:]
    m.graph.input.append(helper.make_tensor_value_info("B", TensorProto.FLOAT, [3]))
    return m, "B"


def _dft_length_model():
    m = helper.make_model(helper.make_graph(
        [helper.make_node("DFT", ["x", "n"], ["y"])], "dft",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 1]),
         helper.make_tensor_value_info("n", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 2])]), opset_imports=[helper.make_opsetid("", 17)])
    return m, "n"


@pytest.mark.parametrize("op,k", _const_input_cases(), ids=lambda v: str(v))
def test_opsets_const_inputs_refused(op, k):
    """Every input a family declares in `const_inputs`, arriving as a graph input, is refused with the
    one line that says to make it an initializer (the op's own onnx node case, or a model built here)."""
    from gen import frontend
    from gen.ops import supported_onnx_ops
    found = _case_with_input(op, k) or ((op, k) in (("Conv", 2), ("ConvTranspose", 2)) and _conv_bias_model(op)) \
        or ((op, k) == ("DFT", 1) and _dft_length_model()) or None
    assert found is not None, f"no model for {op} input {k}: build one here"
    m, name = found
    with pytest.raises(GenError) as e:
        frontend.from_model(m, name="m", supported=supported_onnx_ops())
    assert f"input {k} ('{name}') of {op} must be a constant: make it an initializer" in str(e.value)
    assert f"({op} node" in str(e.value)


def test_opsets_clip_runtime_bound_computed():
    """A Clip bound computed at run time (not a graph input) is read at run time too (ClipRT)."""
    m = _model([helper.make_node("ReduceMean", ["x"], ["m"], axes=[0, 1, 2, 3], keepdims=0),
                helper.make_node("Clip", ["x", "m"], ["y"])], (1, 2, 3, 3), ["y"], opset=13)
    x = np.random.default_rng(0).normal(size=(1, 2, 3, 3)).astype(np.float32)
    _, _, res = check(m, {"x": x})
    assert "ClipRT" in [n.op for n in res.graph.nodes]


# ------------------------------------------------------------------------------------------ --list-ops

def test_opsets_list_ops_shows_dtypes_opsets_limits():
    """--list-ops: every supported op with its element types, the opsets gen reads it at (from the
    version table) and its family's limits; --help says so."""
    import subprocess
    import sys
    import json
    r = subprocess.run([sys.executable, "-m", "gen", "--list-ops"], capture_output=True, text=True, check=True)
    rows = {ln.split()[0]: ln for ln in r.stdout.splitlines()[1:]}
    assert sorted(rows) == sorted(supported_onnx_ops())
    for op, ln in rows.items():
        first, last = opsets.opsets_of(op)
        assert f"  {first}-{last}" in ln and first >= opsets.MIN_OPSET and last <= opsets.MAX_OPSET, ln
    r = subprocess.run([sys.executable, "-m", "gen", "--list-ops", "--format", "json"], capture_output=True,
                       text=True, check=True)
    for row in json.loads(r.stdout):
        dts = row["dtypes"]     # gen's dtypes (BitShift: integers only; If/Loop/Scan: None, their bodies')
        assert dts is None or dts and set(dts) <= frontend.ACTIVATION_DTYPES, row
    assert f"7-{opsets.MAX_OPSET}" in rows["Conv"] and "1-D and 2-D" in rows["Conv"]
    assert "7-10" in rows["Upsample"] and "read as Resize" in rows["Upsample"]
    h = subprocess.run([sys.executable, "-m", "gen", "--help"], capture_output=True, text=True, check=True).stdout
    assert "--list-ops" in h and "dtypes, opsets, int8 forms, limits" in h


# ------------------------------------------------------------------------------------------ QOperator at 10-12

@pytest.mark.parametrize("opset", (10, 11, 12))
def test_opsets_qlinearconv_old_opset(opset):
    """A QOperator model (QLinearConv with per-channel weights, as onnxruntime's quantizer wrote them
    at opset 10-12) goes to opset 13, the opset of the per-axis DequantizeLinear that gen's QDQ rewrite
    writes: C == numpy reference, within 1 LSB of onnxruntime at the model's own opset."""
    from graphs import lsb, quantize, run_all
    rng = np.random.default_rng(opset)
    sx, so = np.float32(0.05), np.float32(0.1)
    inits = {"sx": np.array(sx), "zx": np.array(0, np.int8),
             "w": rng.integers(-100, 100, (4, 2, 3, 3)).astype(np.int8),
             "sw": rng.uniform(0.002, 0.01, 4).astype(np.float32), "zw": np.zeros(4, np.int8),
             "so": np.array(so), "zo": np.array(3, np.int8), "b": rng.integers(-500, 500, 4).astype(np.int32)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
             helper.make_node("QLinearConv", ["xq", "sx", "zx", "w", "sw", "zw", "so", "zo", "b"], ["cq"],
                              pads=[1, 1, 1, 1]),
             helper.make_node("DequantizeLinear", ["cq", "so", "zo"], ["y"])]
    m = _model(nodes, (1, 2, 5, 5), ["y"], inits, opset=opset)
    m.ir_version = 6
    res, c, ref, ort = run_all(m, [quantize(_x((1, 2, 5, 5), opset), sx, 0)])
    assert res.graph.opset == 13
    np.testing.assert_array_equal(c[0], ref[0])
    assert lsb(c[0], ort[0]) <= 1


@pytest.mark.parametrize("opset", (10, 11, 12))
@pytest.mark.parametrize("axis", [1, 2, 3])
def test_opsets_crossing_13(opset, axis):
    """The rewrites a conversion to 13 applies (Dropout's ratio attribute, Squeeze/Unsqueeze's axes
    and Split's split attributes as inputs, Softmax/LogSoftmax/Hardmax's 2-D coercion as Flatten ->
    op -> Reshape): onnxruntime computes the same on the model before and after."""
    from graphs import ort_run
    nodes = [helper.make_node("Dropout", ["x"], ["d"], **({"ratio": 0.25} if opset < 12 else {})),
             helper.make_node("Unsqueeze", ["d"], ["u"], axes=[0]),
             helper.make_node("Squeeze", ["u"], ["s"], axes=[0]),
             helper.make_node("Split", ["s"], ["s0", "s1"], axis=3, split=[1, 3]),
             helper.make_node("Softmax", ["s1"], ["y0"], axis=axis),
             helper.make_node("LogSoftmax", ["s1"], ["y1"], axis=axis),
             helper.make_node("Hardmax", ["s1"], ["y2"], axis=axis)]
    m = _model(nodes, (1, 2, 3, 4), ["s0", "y0", "y1", "y2"], opset=opset)
    m.ir_version = 6
    new = onnx.ModelProto()
    new.CopyFrom(m)
    assert opsets.convert(new, at_least=13) == 13
    onnx.checker.check_model(new, full_check=True)
    feeds = {"x": _x((1, 2, 3, 4), axis)}
    for a, b in zip(ort_run(m, feeds), ort_run(new, feeds)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------------------------ round-2 ops

def _consts_not_inputs(m):
    """The initializers as constants only (the form gen's const_inputs need from IR 4 on)."""
    inits = {i.name for i in m.graph.initializer}
    keep = [vi for vi in m.graph.input if vi.name not in inits]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    m.ir_version = max(m.ir_version, 7)
    return m


def _set_outputs(m, *types):
    """The graph outputs' element types and shapes (where onnx's inference leaves them open)."""
    for o, (elem, shape) in zip(m.graph.output, types):
        o.type.CopyFrom(helper.make_tensor_type_proto(elem, shape))


@pytest.mark.parametrize("opset", (7, 8, 9, 10, 11))
@pytest.mark.parametrize("largest", [None, 0])
def test_opsets_topk_k_attribute(opset, largest):
    """TopK-1's k attribute (opset 7-9) becomes TopK-10's constant K input; Values and Indices match
    onnxruntime at the model's own opset (largest from 11)."""
    if opset < 10:
        node, inits = helper.make_node("TopK", ["x"], ["v", "i"], axis=1, k=3), {}
    else:
        node, inits = helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=1), {"k": np.array([3], np.int64)}
    if largest is not None:
        if opset < 11:
            return
        node.attribute.append(helper.make_attribute("largest", largest))
    m = _consts_not_inputs(_model([node], (2, 7, 3), ["v", "i"], inits, opset=opset))
    _set_outputs(m, (TensorProto.FLOAT, [2, 3, 3]), (TensorProto.INT64, [2, 3, 3]))
    new = onnx.ModelProto()
    new.CopyFrom(m)
    opsets.convert(new)
    top = next(n for n in new.graph.node if n.op_type == "TopK")
    assert len(top.input) == 2 and all(a.name != "k" for a in top.attribute), top
    x = np.random.default_rng(opset).permutation(42).astype(np.float32).reshape(2, 7, 3)     # no ties
    got, ref, res = check(m, {"x": x})
    assert res.graph.opset == max(opset, 11)


_REDUCE_OPS = ("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceProd", "ReduceSumSquare",
               "ReduceMax", "ReduceMin", "ReduceSum")


@pytest.mark.parametrize("op", _REDUCE_OPS)
@pytest.mark.parametrize("opset", (7, 11, 12, 13, 17, 18, 21))
def test_opsets_reduce_axes_attribute_and_input(op, opset):
    """The Reduce ops' axes: an attribute up to version 11/12 (ReduceSum) or 13 (the others), an input
    from ReduceSum-13 / the others' 18; the family reads either; onnxruntime at the model's opset."""
    as_input = opset >= (13 if op == "ReduceSum" else 18)
    if as_input:
        node, inits = helper.make_node(op, ["x", "axes"], ["y"], keepdims=0), {"axes": np.array([1, -1], np.int64)}
    else:
        node, inits = helper.make_node(op, ["x"], ["y"], axes=[1, 3], keepdims=0), {}
    m = _consts_not_inputs(_model([node], (2, 3, 2, 4), ["y"], inits, opset=opset))
    x = np.abs(_x((2, 3, 2, 4), opset)) * 0.5 + 0.25          # positive: the log reductions are defined
    check(m, {"x": x})


@pytest.mark.parametrize("opset", (18, 19, 20, 21))
@pytest.mark.parametrize("groups", [1, 2, 4])
def test_opsets_groupnormalization_scale_per_group_then_channel(opset, groups):
    """GroupNormalization-18's scale and bias hold one value per group, -21's one per channel. onnx
    deprecated version 18 (its checker rejects it: gen refuses the model with that one line, where
    onnxruntime still runs it); at 21 gen matches onnxruntime."""
    c = 4
    n = groups if opset < 21 else c
    rng = np.random.default_rng(opset * 10 + groups)
    inits = {"s": rng.uniform(0.5, 1.5, n).astype(np.float32), "b": rng.standard_normal(n).astype(np.float32)}
    m = _consts_not_inputs(_model([helper.make_node("GroupNormalization", ["x", "s", "b"], ["y"], num_groups=groups)],
                                  (2, c, 3, 3), ["y"], inits, opset=opset))
    _set_outputs(m, (TensorProto.FLOAT, [2, c, 3, 3]))
    if opset < 21:
        with pytest.raises(GenError, match="checker rejects the model: .*GroupNormalization is deprecated"):
            gen_compile(m)
        return
    check(m, {"x": _x((2, c, 3, 3), groups)})


def test_opsets_cast_round_mode_relabelled():
    """Cast-24's round_mode (float8e8m0 targets only) goes when the model is read at 21: a float ->
    int32 -> float Cast pair at onnx's newest opset computes as onnxruntime does."""
    nodes = [helper.make_node("Cast", ["x"], ["i"], to=TensorProto.INT32, round_mode="nearest"),
             helper.make_node("Cast", ["i"], ["y"], to=TensorProto.FLOAT)]
    m = _model(nodes, (2, 5), ["y"], opset=opsets.MAX_OPSET)
    m.ir_version = 10
    new = onnx.ModelProto()
    new.CopyFrom(m)
    assert opsets.convert(new) == opsets.READS[1]
    assert all(a.name != "round_mode" for n in new.graph.node for a in n.attribute)
    from graphs import assert_close, gen_run, ort_run
    plain = onnx.ModelProto()          # onnxruntime refuses round_mode on a cast to another type than float8e8m0
    plain.CopyFrom(m)
    for n in plain.graph.node:
        _drop = [a for a in n.attribute if a.name != "round_mode"]
        del n.attribute[:]
        n.attribute.extend(_drop)
    feeds = {"x": _x((2, 5))}
    got, _ = gen_run(m, feeds)
    assert_close(got[0], ort_run(plain, feeds)[0], 0, 0, what="y")


@pytest.mark.parametrize("mode", [None, "DCR", "CRD"])
def test_opsets_spacetodepth_mode_down_to_21(mode):
    """SpaceToDepth-28's mode: DCR (default) is version 13's order and the attribute goes at 21; CRD,
    which version 13 cannot say, is refused with one line."""
    attrs = {"blocksize": 2, **({"mode": mode} if mode else {})}
    m = _model([helper.make_node("SpaceToDepth", ["x"], ["y"], **attrs)], (1, 2, 4, 4), ["y"], opset=opsets.MAX_OPSET)
    m.ir_version = 10
    if mode == "CRD":
        with pytest.raises(GenError, match="SpaceToDepth mode CRD .* not supported"):
            opsets.convert(m)
        return
    assert opsets.convert(m) == opsets.READS[1]
    assert all(a.name != "mode" for a in m.graph.node[0].attribute)
