"""Data movement ops (gen/ops/strided.py, gen/ops/gather.py, Pad's modes in gen/ops/layout.py): Slice,
Split, Tile, Expand, DepthToSpace, SpaceToDepth, Pad (reflect, edge, wrap), Gather, GatherElements,
GatherND, ReverseSequence, Trilu, ScatterND, ScatterElements.

Each op on Hypothesis-drawn shapes and parameters: float32 against onnxruntime (exactly: the ops only
move values); int8 QDQ with the output's quantization the input's (C == numpy reference and ==
onnxruntime exactly, no requantize); and int8 after an int8 Conv, whose output is channels last: an op
that works in either layout (Slice, Split, Tile, Pad, same-rank Expand) keeps it, the others get their
input back in the model's order, both exact. What gen does not compute is refused with one line.
"""
from __future__ import annotations


import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import graphs
from test_ops_int8 import check as int8_check
from graphs import gen_run, make_model, node, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))
I64 = np.int64
BIG = 2**63 - 1


def i64(v):
    return np.array(v, I64)


# ------------------------------------------------------------------ cases: (nodes, inits, opset, outputs)
# each builder draws the op's parameters for an input of `shape` (named x); outputs y, y1, ...

def slice_case(draw, shape):
    nd = len(shape)
    axes = draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True))
    starts, ends, steps = [], [], []
    for a in axes:
        d = shape[a]
        while True:
            st_ = draw(st.sampled_from([1, 1, 2, 3, -1, -2]))
            s = draw(st.one_of(st.integers(-d - 2, d + 2), st.sampled_from([-BIG - 1, BIG])))
            e = draw(st.one_of(st.integers(-d - 2, d + 2), st.sampled_from([-BIG - 1, BIG])))
            if len(range(*slice(s, e, st_).indices(d))):
                break
            s, e = (0, d) if st_ > 0 else (d - 1, -BIG - 1)
            if len(range(*slice(s, e, st_).indices(d))):
                break
        starts.append(s)
        ends.append(e)
        steps.append(st_)
    neg = draw(st.booleans())
    axes_in = [a - nd if neg else a for a in axes]
    return ([node("Slice", ["x", "s", "e", "a", "st"], ["y"])],
            {"s": i64(starts), "e": i64(ends), "a": i64(axes_in), "st": i64(steps)}, 13, ["y"])


def split_case(draw, shape):
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    d = shape[axis]
    form = draw(st.sampled_from(["attr", "input", "num_outputs"]))
    if form == "num_outputs":
        k = draw(st.integers(1, min(d, 3)))
        while k > 1 and (-(-d // k)) * (k - 1) >= d:   # every output non-empty
            k -= 1
        outs = [f"y{i}" for i in range(k)]
        return [node("Split", ["x"], outs, axis=axis, num_outputs=k)], {}, 18, outs
    cuts = sorted(draw(st.lists(st.integers(1, d - 1), max_size=2, unique=True))) if d > 1 else []
    split = [b - a for a, b in zip([0] + cuts, cuts + [d])]
    outs = [f"y{i}" for i in range(len(split))]
    if form == "attr":
        return [node("Split", ["x"], outs, axis=axis, split=split)], {}, 11, outs
    return [node("Split", ["x", "sp"], outs, axis=axis)], {"sp": i64(split)}, 13, outs


def tile_case(draw, shape):
    reps = [draw(st.integers(1, 3)) for _ in shape]
    return [node("Tile", ["x", "r"], ["y"])], {"r": i64(reps)}, 13, ["y"]


def expand_case(draw, shape):
    target = [draw(st.sampled_from([1, 2, 3])) if d == 1 else draw(st.sampled_from([d, 1])) for d in shape]
    lead = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 6 - len(shape))) if len(shape) < 6 else 0)]
    return [node("Expand", ["x", "sh"], ["y"])], {"sh": i64(lead[:2] + target)}, 13, ["y"]


def pad_case(draw, shape):
    mode = draw(st.sampled_from(["reflect", "edge", "wrap", "constant"]))
    nd = len(shape)
    hi = [d - 1 if mode == "reflect" else min(d, 3) for d in shape]
    pads = [draw(st.integers(0, h)) for h in hi] + [draw(st.integers(0, h)) for h in hi]
    return [node("Pad", ["x", "p"], ["y"], mode=mode)], {"p": i64(pads)}, 19 if nd and mode == "wrap" else 18, ["y"]


def depthtospace_case(draw, shape):
    return [node("DepthToSpace", ["x"], ["y"], blocksize=shape["b"], mode=draw(st.sampled_from(["DCR", "CRD"])))], \
        {}, 13, ["y"]


def spacetodepth_case(draw, shape):
    return [node("SpaceToDepth", ["x"], ["y"], blocksize=shape["b"])], {}, 13, ["y"]


def gather_case(draw, shape):
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    d = shape[axis]
    ishape = draw(st.lists(st.integers(1, 3), max_size=2))
    idx = np.array(draw(st.lists(st.integers(-d, d - 1), min_size=int(np.prod(ishape)),
                                 max_size=int(np.prod(ishape)))), I64).reshape(ishape)
    return [node("Gather", ["x", "i"], ["y"], axis=axis)], {"i": idx}, 13, ["y"]


def gatherelements_case(draw, shape):
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1))
    ishape = [draw(st.integers(1, d)) if k != axis % nd else draw(st.integers(1, 4)) for k, d in enumerate(shape)]
    d = shape[axis]
    n = int(np.prod(ishape))
    idx = np.array(draw(st.lists(st.integers(-d, d - 1), min_size=n, max_size=n)), I64).reshape(ishape)
    return [node("GatherElements", ["x", "i"], ["y"], axis=axis)], {"i": idx}, 13, ["y"]


def gathernd_case(draw, shape):
    nd = len(shape)
    b = draw(st.integers(0, min(1, nd - 1)))
    q = draw(st.integers(1, nd - b))
    m = draw(st.integers(1, 3))
    rows = [[draw(st.integers(-shape[b + j], shape[b + j] - 1)) for j in range(q)]
            for _ in range(int(np.prod(shape[:b])) * m)]
    idx = np.array(rows, I64).reshape(tuple(shape[:b]) + (m, q))
    return [node("GatherND", ["x", "i"], ["y"], batch_dims=b)], {"i": idx}, 13, ["y"]


def trilu_case(draw, shape):
    k = draw(st.integers(-4, 4))
    upper = draw(st.sampled_from([0, 1]))
    if draw(st.booleans()):
        return [node("Trilu", ["x", "k"], ["y"], upper=upper)], {"k": i64(k)}, 14, ["y"]
    return [node("Trilu", ["x"], ["y"], upper=upper)], {}, 14, ["y"]


def reversesequence_case(draw, shape):
    ta = draw(st.sampled_from([0, 1]))
    ba = 1 - ta
    lens = [draw(st.integers(1, shape[ta])) for _ in range(shape[ba])]
    return [node("ReverseSequence", ["x", "l"], ["y"], time_axis=ta, batch_axis=ba)], {"l": i64(lens)}, 13, ["y"]


# op -> (builder, shape strategy kind, int8, after Conv, keeps a channels-last input)
OPS = {
    "Slice": (slice_case, "any", True, True, True),
    "Split": (split_case, "any", True, True, True),
    "Tile": (tile_case, "any", True, True, True),
    "Expand": (expand_case, "any", True, True, False),
    "Pad": (pad_case, "any", True, True, True),
    "DepthToSpace": (depthtospace_case, "d2s", True, True, False),
    "SpaceToDepth": (spacetodepth_case, "s2d", True, True, False),
    "Gather": (gather_case, "any", True, True, False),
    "GatherElements": (gatherelements_case, "any", True, True, False),
    "GatherND": (gathernd_case, "any", True, True, False),
    "Trilu": (trilu_case, "2d", True, True, False),
    "ReverseSequence": (reversesequence_case, "rs", True, False, False),
}


@st.composite
def op_cases(draw, op, conv=False):
    """(input shape, nodes, inits, opset, outputs) for op; conv: a 4-D [1, C, H, W] input."""
    builder, kind, _, _, _ = OPS[op]
    if conv or kind in ("d2s", "s2d"):
        b = draw(st.integers(1, 3)) if kind in ("d2s", "s2d") else 1
        c = draw(st.integers(1, 3)) * (b * b if kind == "d2s" else 1)
        h, w = draw(st.integers(1, 4)) * (b if kind == "s2d" else 1), draw(st.integers(1, 4)) * (b if kind == "s2d" else 1)
        shape = (1 if conv else draw(st.integers(1, 2)), c, h, w)
        arg = {"b": b} if kind in ("d2s", "s2d") else shape
    else:
        lo = {"2d": 2, "rs": 2}.get(kind, 1)
        hi = 3 if kind == "rs" else 4
        shape = tuple(draw(st.lists(st.integers(1, 4), min_size=lo, max_size=hi)))
        arg = shape
    nodes, inits, opset, outs = builder(draw, arg)
    return shape, nodes, inits, opset, outs


def _float_test(op):
    @settings(**SETTINGS, max_examples=25)
    @given(case=op_cases(op), seed=st.integers(0, 2**31))
    def test(case, seed):
        shape, nodes, inits, opset, outs = case
        m = make_model(nodes, {"x": shape}, outs, inits, opset=opset)
        x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
        ref = ort_run(m, {"x": x})
        got, res = gen_run(m, {"x": x})
        assert op in [n.op for n in res.graph.nodes]
        for g_, r_ in zip(got, ref):      # the ops only move values: exactly onnxruntime's
            assert g_.shape == r_.shape and np.array_equal(g_, r_), (case, g_, r_)
    return test


QP = (np.float32(0.03), np.int8(5))      # every activation's quantization: the op keeps it


def qdq_model(nodes, inits, opset, outs, in_shape, conv_w=None, out_qp=None):
    """QDQ int8 around the op (every output through Q -> DQ), all activations quantized with QP (the
    outputs with out_qp[k] if given); with conv_w an int8 Conv (symmetric per-tensor weights) before
    it, writing x."""
    s, zp = QP
    inits = dict(inits, qs=np.float32(s), qz=np.int8(zp))
    for k, (os_, oz) in enumerate(out_qp or []):
        inits.update({f"os{k}": np.float32(os_), f"oz{k}": np.int8(oz)})
    pre = [node("QuantizeLinear", ["x0" if conv_w is not None else "x", "qs", "qz"], ["xq"]),
           node("DequantizeLinear", ["xq", "qs", "qz"], ["xd"])]
    if conv_w is not None:
        ws = np.float32(np.abs(conv_w).max() / 127)
        inits.update(wq=np.clip(np.rint(conv_w / ws), -127, 127).astype(np.int8), ws=ws, wz=np.int8(0))
        pre += [node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"]),
                node("Conv", ["xd", "wd"], ["xc"], pads=[1, 1, 1, 1]),
                node("QuantizeLinear", ["xc", "qs", "qz"], ["xcq"]),
                node("DequantizeLinear", ["xcq", "qs", "qz"], ["xcd"])]
    src = "xcd" if conv_w is not None else "xd"
    body = []
    for n in nodes:
        m = onnx.NodeProto()
        m.CopyFrom(n)
        m.input[0] = src
        body.append(m)
    post = []
    for k, o in enumerate(outs):
        sn, zn = (f"os{k}", f"oz{k}") if out_qp else ("qs", "qz")
        post += [node("QuantizeLinear", [o, sn, zn], [f"{o}_q"]), node("DequantizeLinear", [f"{o}_q", sn, zn],
                                                                       [f"{o}_dq"])]
    inputs = {"x0" if conv_w is not None else "x": in_shape}
    return make_model(pre + body + post, inputs, [f"{o}_dq" for o in outs], inits, opset=opset, concrete=True)


def _int8_test(op, conv):
    @settings(**SETTINGS, max_examples=12 if conv else 15)
    @given(case=op_cases(op, conv=conv), seed=st.integers(0, 2**31))
    def test(case, seed):
        from test_ops_int8 import layer_check
        shape, nodes, inits, opset, outs = case
        rng = np.random.default_rng(seed)
        if conv:
            w = rng.normal(0, 0.3, size=(shape[1], 2, 3, 3)).astype(np.float32)
            in_shape = (1, 2) + tuple(shape[2:])
            qm = qdq_model(nodes, inits, opset, outs, in_shape, w)
        else:
            in_shape = shape
            qm = qdq_model(nodes, inits, opset, outs, in_shape)
        xq = rng.integers(-128, 128, size=in_shape).astype(np.int8)
        res, c, ref, o = graphs.run_all(qm, [xq])
        ops = [n.op for n in res.graph.nodes]
        assert op in ops and "RequantizeS8" not in ops, ops   # the output keeps the input's quantization
        assert not {"QuantizeLinear", "DequantizeLinear"} & set(ops), ops
        for cc, rr, oo in zip(c, ref, o):       # byte moves: exact (the Conv's requantize: 1 LSB)
            assert np.array_equal(cc, rr), f"C != numpy reference ({ops})"
            assert graphs.lsb(cc, oo) <= (1 if conv else 0), f"C != onnxruntime: {graphs.lsb(cc, oo)} LSB ({ops})"
        layer_check(qm, res, [xq])      # every layer against onnxruntime on gen's inputs: 0 LSB for the op
        mine = [n for n in res.graph.nodes if n.op == op][0]
        xin = res.graph.t(mine.inputs[0])
        assert xin.dtype == "int8" and xin.quant is not None
        if conv and OPS[op][4] and not graphs_same_bytes(xin):
            assert xin.layout == "NHWC", f"{op} after an NHWC Conv keeps channels last ({ops})"
    return test


@settings(**SETTINGS, max_examples=10)
@given(n=st.integers(2, 3), seed=st.integers(0, 2**31))
def test_split_int8_requantizes_each_output(n, seed):
    """Outputs of one int8 Split quantized differently: each output gets its own requantize (C ==
    numpy reference, within 1 LSB of onnxruntime, the layer check)."""
    from test_ops_int8 import layer_check
    rng = np.random.default_rng(seed)
    outs = [f"y{k}" for k in range(n)]
    out_qp = [(float(rng.uniform(0.01, 0.08)), int(rng.integers(-20, 20))) for _ in outs]
    qm = qdq_model([node("Split", ["x"], outs, axis=1, num_outputs=n)], {}, 18, outs, (2, 2 * n, 3), out_qp=out_qp)
    xq = rng.integers(-128, 128, size=(2, 2 * n, 3)).astype(np.int8)
    res, c, ref, o = graphs.run_all(qm, [xq])
    ops = [x.op for x in res.graph.nodes]
    assert ops.count("RequantizeS8") == n, ops
    for cc, rr, oo in zip(c, ref, o):
        assert np.array_equal(cc, rr)
        assert graphs.lsb(cc, oo) <= 1
    layer_check(qm, res, [xq])


def graphs_same_bytes(t):
    from gen.ops.layout import same_bytes
    return same_bytes(t)


for _op, (_b, _k, _int8, _conv, _cl) in OPS.items():
    globals()[f"test_{_op.lower()}_float"] = _float_test(_op)
    if _int8:
        globals()[f"test_{_op.lower()}_int8"] = _int8_test(_op, False)
    if _conv:
        globals()[f"test_{_op.lower()}_int8_after_conv"] = _int8_test(_op, True)


# ------------------------------------------------------------------ scatters (float32; int8 computes in float)

@st.composite
def scatter_cases(draw, op):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    red = draw(st.sampled_from(["none", "add", "mul", "max", "min"]))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    nd = len(shape)
    if op == "ScatterND":
        q = draw(st.integers(1, nd))
        cells = int(np.prod(shape[:q]))
        m = draw(st.integers(1, cells))
        flat = rng.permutation(cells)[:m] if red == "none" else rng.integers(0, cells, size=m)
        idx = np.stack(np.unravel_index(flat, shape[:q]), axis=-1).astype(I64)
        idx = np.where(rng.random(idx.shape) < 0.3, idx - np.array(shape[:q]), idx)    # negative: from the end
        ushape = (m,) + shape[q:]
        n = node("ScatterND", ["d", "i", "u"], ["y"], reduction=red)
    else:
        axis = draw(st.integers(-nd, nd - 1))
        ishape = [draw(st.integers(1, d)) for d in shape]
        d = shape[axis]
        if red == "none":    # distinct positions along the axis
            idx = np.argsort(rng.random(tuple(ishape[:axis % nd]) + (d,) + tuple(ishape[axis % nd + 1:])),
                             axis=axis)
            idx = np.take(idx, range(ishape[axis]), axis=axis).astype(I64)
        else:
            idx = rng.integers(-d, d, size=ishape).astype(I64)
        ushape = tuple(ishape)
        n = node("ScatterElements", ["d", "i", "u"], ["y"], axis=axis, reduction=red)
    return shape, ushape, n, idx, seed


def _scatter_test(op):
    @settings(**SETTINGS, max_examples=25)
    @given(case=scatter_cases(op))
    def test(case):
        shape, ushape, n, idx, seed = case
        m = make_model([n], {"d": shape, "u": ushape}, ["y"], {"i": idx}, opset=18)
        rng = np.random.default_rng(seed)
        feeds = {"d": rng.normal(size=shape).astype(np.float32), "u": rng.normal(size=ushape).astype(np.float32)}
        ref = ort_run(m, feeds)[0]
        got, res = gen_run(m, feeds)
        assert [x.op for x in res.graph.nodes] == [op]
        graphs.assert_close(got[0], ref, what=str(case))
    return test


test_scatternd_float = _scatter_test("ScatterND")
test_scatterelements_float = _scatter_test("ScatterElements")


# ------------------------------------------------------------------ refusals: one line, exit 2



def test_slice_starts_not_constant(tmp_path):
    m = make_model([node("Slice", ["x", "s", "e", "a"], ["y"], name="sl")], {"x": (2, 6), "s": np.zeros(1, I64)},
                   [("y", (2, 3))], {"e": i64([3]), "a": i64([1])})
    # run-time starts (an int64 graph input) are read by the kernel: computed as onnxruntime does
    # (tests/test_runtime_indices.py holds the checks of values that give another shape)
    feeds = {"x": np.arange(12, dtype=np.float32).reshape(2, 6), "s": np.asarray([-6], np.int64)}
    np.testing.assert_array_equal(gen_run(m, feeds)[0][0], ort_run(m, feeds)[0])


def test_gather_index_out_of_range(tmp_path):
    m = make_model([node("Gather", ["x", "i"], ["y"], name="ga", axis=1)], {"x": (2, 6)}, ["y"], {"i": i64([1, 6])})
    graphs.assert_refused(tmp_path, m, "index 6 is out of range")


def test_pad_reflect_too_wide(tmp_path):
    m = make_model([node("Pad", ["x", "p"], ["y"], name="pd", mode="reflect")], {"x": (2, 3)}, ["y"],
                   {"p": i64([0, 3, 0, 0])}, opset=18)
    graphs.assert_refused(tmp_path, m, "'pd'")


def test_scatterelements_reduction_int8_computes_in_float():
    """No byte-moving int8 form for a reduction: between DQ and Q the scatter runs in float."""
    shape = (3, 4)
    idx = i64([[0, 1, 2, 3], [3, 2, 1, 0]])
    fm = graphs.float_model([node("ScatterElements", ["x", "i", "u"], ["y"], axis=1, reduction="add")],
                            {"x": shape, "u": (2, 4)}, ["y"], {"i": idx}, opset=18)
    res, _, _ = int8_check(fm, {"x": shape, "u": (2, 4)}, 1, note="ScatterElements")
    assert [n for n in res.graph.nodes if n.op == "ScatterElements"]


@pytest.mark.parametrize("op", ["Shape", "Size", "ConstantOfShape", "Range", "Constant"])
def test_constant_folding_of_shape_ops(op):
    """Shape, Size, ConstantOfShape, Range and Constant fold at generation time: no node left, and the
    value the rest of the graph computes with is onnxruntime's."""
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32)
    if op in ("Shape", "Size"):
        nodes = [node(op, ["x"], ["s"]), node("Cast", ["s"], ["sf"], to=onnx.TensorProto.FLOAT),
                 node("Add", ["x", "sf"], ["y"])] if op == "Size" else \
            [node("Shape", ["x"], ["s"]), node("Slice", ["s", "a", "b"], ["s2"]),
             node("ConstantOfShape", ["s2"], ["c"], value=onnx.helper.make_tensor("v", 1, [1], [1.5])),
             node("Add", ["x", "c"], ["y"])]
        inits = {"a": i64([2]), "b": i64([3])}
    elif op == "ConstantOfShape":
        nodes = [node(op, ["sh"], ["c"], value=onnx.helper.make_tensor("v", 1, [1], [2.0])), node("Mul", ["x", "c"], ["y"])]
        inits = {"sh": i64([3, 4])}
    elif op == "Range":
        nodes = [node("Range", ["a", "b", "d"], ["r"]), node("Add", ["x", "r"], ["y"])]
        inits = {"a": np.float32(-1), "b": np.float32(1), "d": np.float32(0.5)}
    else:
        nodes = [node("Constant", [], ["c"], value=onnx.numpy_helper.from_array(np.arange(4, dtype=np.float32))),
                 node("Sub", ["x", "c"], ["y"])]
        inits = {}
    m = make_model(nodes, {"x": x}, ["y"], inits, opset=13)
    ref = ort_run(m, {"x": x})[0]
    got, res = gen_run(m, {"x": x})
    assert op not in [n.op for n in res.graph.nodes]
    graphs.assert_close(got[0], ref)


@pytest.mark.parametrize("op", ["Range", "ConstantOfShape"])
def test_range_constantofshape_run_time_input_checked(op):
    """A Range or ConstantOfShape whose input arrives at run time is computed with the declared output's
    shape (gen/ops/generators.py): onnxruntime's values for an input that gives it, -1 for one that does not."""
    if op == "Range":
        m = make_model([node("Range", ["a", "b", "d"], ["y"], name="rg")], {"a": np.zeros((), np.float32)},
                       [("y", (4,))], {"b": np.float32(4), "d": np.float32(1)})
        good, bad = {"a": np.array(0.5, np.float32)}, {"a": np.array(-3, np.float32)}
    else:
        m = make_model([node("ConstantOfShape", ["s"], ["y"], name="rg")], {"s": np.zeros(2, I64)},
                       [("y", (2, 3))])
        good, bad = {"s": np.array([2, 3], I64)}, {"s": np.array([3, 2], I64)}
    got, _ = gen_run(m, good)
    graphs.assert_close(got[0], graphs.ort_run(m, good)[0])
    with pytest.raises(RuntimeError, match="returned -1"):
        gen_run(m, bad)
