"""Control flow (gen/controlflow.py): If with a condition that is constant once the shapes are pinned,
inlined; Loop with a constant trip count and Scan over static lengths, unrolled; the rest refused with
one line. Models are written as PyTorch's exporter writes them (If on a shape comparison, branches
reading the enclosing graph's tensors; a Loop over a constant count accumulating a value; a Scan over
a sequence axis), float and int8 QDQ inside the branches; the oracle is onnxruntime running the
ORIGINAL model, control flow and all."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from gen import controlflow
from gen.errors import GenError
from gen.ops import supported_onnx_ops
from graphs import assert_close, check, gen_compile, lsb, make_model, ort_run, run_all

SETTINGS = dict(deadline=None, max_examples=15, suppress_health_check=list(HealthCheck))
F = TensorProto.FLOAT


def vi(name, shape, dtype=F):
    return helper.make_tensor_value_info(name, dtype, shape)


def _graph(nodes, outs, inputs=(), inits=None):
    return helper.make_graph(nodes, "body", list(inputs), list(outs),
                             initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()])


def _shape_cond(x: str, k: int, value: int, prefix: str = "c") -> list:
    """PyTorch's `if x.shape[k] == value`: Shape -> Gather -> Equal (folded once the shape is pinned)."""
    return [helper.make_node("Shape", [x], [f"{prefix}_s"]),
            helper.make_node("Gather", [f"{prefix}_s", f"{prefix}_k"], [f"{prefix}_d"], axis=0),
            helper.make_node("Equal", [f"{prefix}_d", f"{prefix}_v"], [prefix])]


def _shape_inits(k: int, value: int, prefix: str = "c") -> dict:
    return {f"{prefix}_k": np.array(k, np.int64), f"{prefix}_v": np.array(value, np.int64)}


def _if_model(n: int, width: int, opset: int = 13):
    """y = sigmoid(if x.shape[0] == 1: x * w (w of the enclosing graph) else: relu(x + b) @ w2)."""
    rng = np.random.default_rng(width)
    then = _graph([helper.make_node("Mul", ["x", "w"], ["t0"])], [vi("t0", None)])
    els = _graph([helper.make_node("Add", ["x", "b"], ["e0"]), helper.make_node("Relu", ["e0"], ["e1"]),
                  helper.make_node("MatMul", ["e1", "w2"], ["e2"])], [vi("e2", None)],
                 inits={"b": np.full((width,), 0.5, np.float32)})
    nodes = _shape_cond("x", 0, 1) + [helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=els),
                                      helper.make_node("Sigmoid", ["y"], ["z"])]
    inits = {"w": rng.standard_normal(width).astype(np.float32),
             "w2": rng.standard_normal((width, width)).astype(np.float32), **_shape_inits(0, 1)}
    return make_model(nodes, {"x": (n, width)}, ["z"], inits, opset=opset)


@settings(**SETTINGS)
@given(n=st.integers(1, 3), width=st.integers(1, 5), opset=st.sampled_from([11, 13, 17, 21]), seed=st.integers(0, 9))
def test_if_shape_condition_inlines_the_taken_branch(n, width, opset, seed):
    m = _if_model(n, width, opset)
    x = np.random.default_rng(seed).standard_normal((n, width)).astype(np.float32)
    _, _, res = check(m, {"x": x})
    ops = {node.op for node in res.graph.nodes}
    assert "If" not in ops and ("MatMul" in ops) == (n != 1)


def test_if_branch_outputs_wired_by_position():
    """Two outputs in the branch's order: one computed, one an outer tensor through an Identity (what
    onnxruntime asks for); the other branch's outputs in the other order (the same tensor as two
    outputs is left out: onnxruntime computes garbage for it)."""
    then = _graph([helper.make_node("Neg", ["x"], ["t0"]), helper.make_node("Identity", ["x"], ["tx"])],
                  [vi("t0", None), vi("tx", None)])
    els = _graph([helper.make_node("Abs", ["x"], ["e0"]), helper.make_node("Identity", ["x"], ["ex"])],
                 [vi("ex", None), vi("e0", None)])
    nodes = _shape_cond("x", 1, 3) + [helper.make_node("If", ["c"], ["y0", "y1"], then_branch=then, else_branch=els),
                                      helper.make_node("Add", ["y0", "q"], ["z0"]),
                                      helper.make_node("Mul", ["y1", "q"], ["z1"])]
    for width in (3, 4):
        m = make_model(nodes, {"x": (2, width)}, [("z0", (2, width)), ("z1", (2, width))],
                       {"q": np.float32(1.5), **_shape_inits(1, 3)})
        check(m, {"x": np.random.default_rng(width).standard_normal((2, width)).astype(np.float32)})


def test_if_nested_in_a_branch():
    """An If inside the taken branch, its condition on the shape of an outer tensor, its branches reading
    both the enclosing graph's tensors and the outer branch's."""
    inner_then = _graph([helper.make_node("Mul", ["t0", "w"], ["it"])], [vi("it", None)])
    inner_else = _graph([helper.make_node("Sub", ["t0", "x"], ["ie"])], [vi("ie", None)])
    then = _graph([helper.make_node("Tanh", ["x"], ["t0"])] + _shape_cond("x", 1, 4, "ic") +
                  [helper.make_node("If", ["ic"], ["t1"], then_branch=inner_then, else_branch=inner_else)],
                  [vi("t1", None)], inits=_shape_inits(1, 4, "ic"))
    els = _graph([helper.make_node("Sigmoid", ["x"], ["e0"])], [vi("e0", None)])
    nodes = _shape_cond("x", 0, 2) + [helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=els)]
    for shape in ((2, 4), (2, 3), (1, 4)):
        m = make_model(nodes, {"x": shape}, ["y"], {"w": np.float32(-2.0), **_shape_inits(0, 2)})
        _, _, res = check(m, {"x": np.random.default_rng(1).standard_normal(shape).astype(np.float32)})
        assert not any(node.op == "If" for node in res.graph.nodes)


def _q(x, s, zp):
    return np.clip(np.round(x / s) + zp, -128, 127).astype(np.int8)


def test_if_int8_qdq_in_the_branches():
    """QDQ int8 inside both branches (MatMul with int8 weights, the activation re-quantized): the taken
    branch is inlined and lowered to int8 kernels; within 1 LSB of onnxruntime per layer (2 layers)."""
    rng = np.random.default_rng(0)
    w = rng.integers(-127, 128, (8, 8)).astype(np.int8)
    s_x, s_w, s_y = np.float32(0.05), np.float32(0.01), np.float32(0.1)

    def branch(tag, relu):
        nodes = [helper.make_node("DequantizeLinear", ["wq", "sw", "zw"], [f"{tag}_w"]),
                 helper.make_node("MatMul", ["xd", f"{tag}_w"], [f"{tag}_m"])]
        last = f"{tag}_m"
        if relu:
            nodes.append(helper.make_node("Relu", [last], [f"{tag}_r"]))
            last = f"{tag}_r"
        nodes += [helper.make_node("QuantizeLinear", [last, "sy", "zy"], [f"{tag}_q"]),
                  helper.make_node("DequantizeLinear", [f"{tag}_q", "sy", "zy"], [f"{tag}_out"])]
        return _graph(nodes, [vi(f"{tag}_out", None)])

    nodes = [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"])] + _shape_cond("x", 0, 1) + \
            [helper.make_node("If", ["c"], ["y"], then_branch=branch("t", True), else_branch=branch("e", False))]
    inits = {"wq": w, "sw": s_w, "zw": np.int8(0), "sx": s_x, "zx": np.int8(3), "sy": s_y, "zy": np.int8(-5),
             **_shape_inits(0, 1)}
    for n in (1, 2):
        m = make_model(nodes, {"x": (n, 8)}, ["y"], inits, opset=13)
        xq = rng.integers(-128, 128, (n, 8)).astype(np.int8)
        res, c, ref, ort_q = run_all(m, [xq])
        assert any(node.op.endswith("S8") for node in res.graph.nodes), "the branch was not lowered to int8"
        assert np.array_equal(c[0], ref[0]), "C != gen's numpy integer reference"
        assert lsb(c[0], ort_q[0]) <= 2, "more than 1 LSB per layer from onnxruntime (2 layers)"


def test_if_runtime_condition_refused():
    then = _graph([helper.make_node("Neg", ["x"], ["t0"])], [vi("t0", None)])
    els = _graph([helper.make_node("Abs", ["x"], ["e0"])], [vi("e0", None)])
    n = helper.make_node("If", ["cond"], ["y"], name="branchy", then_branch=then, else_branch=els)
    m = helper.make_model(helper.make_graph([n], "g", [vi("x", [2, 3]), vi("cond", [], TensorProto.BOOL)],
                                            [vi("y", [2, 3])]), opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    with pytest.raises(GenError) as e:
        gen_compile(m)
    line = str(e.value)
    assert "branchy" in line and "the input 'cond'" in line and "run time" in line and "\n" not in line


# ------------------------------------------------------------------------------------------ Loop

def _loop_body(width: int, stop_at: int | None = None):
    """(i, cond, acc) -> (cond', acc + x * i, tanh(acc')): the counter cast to float (folded per copy)."""
    nodes = [helper.make_node("Cast", ["i"], ["fi"], to=F),
             helper.make_node("Mul", ["x", "fi"], ["xi"]),
             helper.make_node("Add", ["acc", "xi"], ["acc2"]),
             helper.make_node("Tanh", ["acc2"], ["sc"])]
    if stop_at is None:
        nodes.append(helper.make_node("Identity", ["cin"], ["cout"]))
    else:    # PyTorch's while loop on the counter: cond' = i + 1 < stop
        nodes += [helper.make_node("Add", ["i", "one"], ["i1"]), helper.make_node("Less", ["i1", "stop"], ["cout"])]
    return _graph(nodes, [vi("cout", [], TensorProto.BOOL), vi("acc2", [2, width]), vi("sc", [2, width])],
                  [vi("i", [], TensorProto.INT64), vi("cin", [], TensorProto.BOOL), vi("acc", [2, width])],
                  inits=None if stop_at is None else {"one": np.array(1, np.int64),
                                                      "stop": np.array(stop_at, np.int64)})


@settings(**SETTINGS)
@given(trip=st.integers(1, 6), width=st.integers(1, 4), seed=st.integers(0, 9))
def test_loop_constant_trip_count_carries_a_value(trip, width, seed):
    nodes = [helper.make_node("Loop", ["M", "T", "a0"], ["accf", "scans"], body=_loop_body(width))]
    m = make_model(nodes, {"x": (2, width)}, [("accf", (2, width)), ("scans", (trip, 2, width))],
                   {"M": np.array(trip, np.int64), "T": np.array(True), "a0": np.zeros((2, width), np.float32)})
    x = np.random.default_rng(seed).standard_normal((2, width)).astype(np.float32)
    _, _, res = check(m, {"x": x})
    assert not any(node.op == "Loop" for node in res.graph.nodes)


@pytest.mark.parametrize("stop", [1, 3, 5])
def test_loop_condition_from_the_counter_folds(stop):
    """No trip count (or a larger one): the condition, computed from the counter, folds per iteration."""
    for m_in in ("", "M"):
        nodes = [helper.make_node("Loop", [m_in, "T", "a0"], ["accf", "scans"], body=_loop_body(3, stop))]
        m = make_model(nodes, {"x": (2, 3)}, [("accf", (2, 3)), ("scans", (stop, 2, 3))],
                       {"M": np.array(100, np.int64), "T": np.array(True), "a0": np.ones((2, 3), np.float32)})
        check(m, {"x": np.random.default_rng(stop).standard_normal((2, 3)).astype(np.float32)})


def test_loop_over_the_unroll_budget_refused():
    nodes = [helper.make_node("Loop", ["M", "T", "a0"], ["accf"], name="big",
                              body=_graph(_loop_body(3).node[:3] + [_loop_body(3).node[4]],
                                          [vi("cout", [], TensorProto.BOOL), vi("acc2", [2, 3])],
                                          [vi("i", [], TensorProto.INT64), vi("cin", [], TensorProto.BOOL),
                                           vi("acc", [2, 3])]))]
    m = make_model(nodes, {"x": (2, 3)}, [("accf", (2, 3))],
                   {"M": np.array(10_000, np.int64), "T": np.array(True), "a0": np.zeros((2, 3), np.float32)})
    with pytest.raises(GenError) as e:
        gen_compile(m)
    line = str(e.value)
    assert "'big'" in line and f"{controlflow.UNROLL_BUDGET:,}" in line and "50,000 nodes" in line


def test_loop_runtime_trip_count_refused():
    nodes = [helper.make_node("Loop", ["M", "T", "a0"], ["accf"], name="dyn",
                              body=_graph(_loop_body(3).node[:3] + [_loop_body(3).node[4]],
                                          [vi("cout", [], TensorProto.BOOL), vi("acc2", [2, 3])],
                                          [vi("i", [], TensorProto.INT64), vi("cin", [], TensorProto.BOOL),
                                           vi("acc", [2, 3])]))]
    m = make_model(nodes, {"x": (2, 3), "M": np.array(3, np.int64)}, [("accf", (2, 3))],
                   {"T": np.array(True), "a0": np.zeros((2, 3), np.float32)})
    with pytest.raises(GenError) as e:
        gen_compile(m)
    assert "'dyn'" in str(e.value) and "the input 'M'" in str(e.value) and "run time" in str(e.value)


# ------------------------------------------------------------------------------------------ Scan

def _scan_model(steps: int, feat: int, hidden: int, reverse: int, out_axis: int, xs_const: bool, seed: int):
    """An RNN cell written as a Scan over the sequence axis: h' = tanh(x_t W + h U), scan output h'."""
    rng = np.random.default_rng(seed)
    body = _graph([helper.make_node("MatMul", ["xt", "W"], ["a"]), helper.make_node("MatMul", ["h", "U"], ["b"]),
                   helper.make_node("Add", ["a", "b"], ["s"]), helper.make_node("Tanh", ["s"], ["h2"]),
                   helper.make_node("Identity", ["h2"], ["yo"])],
                  [vi("h2", [1, hidden]), vi("yo", [1, hidden])], [vi("h", [1, hidden]), vi("xt", [1, feat])])
    n = helper.make_node("Scan", ["h0", "xs"], ["hT", "ys"], body=body, num_scan_inputs=1,
                         scan_input_directions=[reverse], scan_output_axes=[out_axis])
    inits = {"W": rng.standard_normal((feat, hidden)).astype(np.float32) * 0.5,
             "U": rng.standard_normal((hidden, hidden)).astype(np.float32) * 0.5}
    xs = rng.standard_normal((steps, 1, feat)).astype(np.float32)
    inputs = {"h0": (1, hidden)}
    if xs_const:
        inits["xs"] = xs
    else:
        inputs["xs"] = xs.shape
    ys_shape = [1, hidden]
    ys_shape.insert(out_axis % 3, steps)
    m = make_model([n], inputs, [("hT", (1, hidden)), ("ys", tuple(ys_shape))], inits, opset=13)
    feeds = {"h0": rng.standard_normal((1, hidden)).astype(np.float32)}
    if not xs_const:
        feeds["xs"] = xs
    return m, feeds


@settings(**SETTINGS)
@given(steps=st.integers(1, 5), feat=st.integers(1, 4), hidden=st.integers(1, 4), reverse=st.integers(0, 1),
       out_axis=st.sampled_from([0, 1, -1]), seed=st.integers(0, 9))
def test_scan_over_a_sequence_axis_unrolled(steps, feat, hidden, reverse, out_axis, seed):
    m, feeds = _scan_model(steps, feat, hidden, reverse, out_axis, True, seed)
    _, _, res = check(m, feeds)
    assert not any(node.op == "Scan" for node in res.graph.nodes)


@pytest.mark.skipif("Slice" not in supported_onnx_ops(), reason="a run-time scan input is read with Slice (b-shape)")
@pytest.mark.parametrize("reverse", [0, 1])
def test_scan_runtime_sequence_input(reverse):
    m, feeds = _scan_model(4, 3, 2, reverse, 0, False, 3)
    check(m, feeds)


def test_scan_8_refused():
    body = _graph([helper.make_node("Add", ["s", "xt"], ["s2"])], [vi("s2", [1, 2])], [vi("s", [1, 2]), vi("xt", [1, 2])])
    n = helper.make_node("Scan", ["", "s0", "xs"], ["sT"], name="old", body=body, num_scan_inputs=1)
    m = make_model([n], {"s0": (1, 1, 2), "xs": (1, 3, 2)}, [("sT", (1, 1, 2))], opset=8)
    with pytest.raises(GenError) as e:
        gen_compile(m)
    assert "Scan-8" in str(e.value) and "opset 9" in str(e.value)


def test_if_old_opset_branch_upgraded():
    """An opset-10 model: the branch's Clip-6 (min/max attributes) is converted with the If (to Clip-11)."""
    then = _graph([helper.make_node("Clip", ["x"], ["t0"], min=-0.5, max=0.25)], [vi("t0", None)])
    els = _graph([helper.make_node("Neg", ["x"], ["e0"])], [vi("e0", None)])
    nodes = [helper.make_node("If", ["c"], ["y"], then_branch=then, else_branch=els)]
    m = make_model(nodes, {"x": (2, 3)}, [("y", (2, 3))], {"c": np.array(True)}, opset=10)
    m.ir_version = 5
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    got, _ = __import__("graphs").gen_run(m, {"x": x})
    assert_close(got[0], ort_run(m, {"x": x})[0])
    assert np.all(got[0] <= 0.25) and np.all(got[0] >= -0.5)
