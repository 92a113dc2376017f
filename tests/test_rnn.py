"""LSTM, GRU and RNN (gen/ops/rnn.py, runtime_c/gen_rnn.c): float against onnxruntime on drawn
directions, hidden sizes, sequence lengths, batches, layouts, initial states, peepholes, sequence
lengths, activations, clip, input_forget and linear_before_reset; the models PyTorch and tf2onnx
export (a keyword spotter with an LSTM, an activity recognizer with a GRU; float and QDQ int8)
through `--verify`; a streaming model (state in, state out) run frame by frame with its state
carried across calls against onnxruntime on the whole sequence; the C loop of docs/streaming.md
compiled; what gen does not compute refused with one line."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

import graphs
from gen.errors import GenError
from graphs import ROOT, assert_close, gen_compile, gen_run, make_model, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
ACTS = {"LSTM": 3, "GRU": 2, "RNN": 1}
# every activation the spec lists, with the number of (alpha, beta) values it takes
ACTIVATIONS = {"Relu": 0, "Tanh": 0, "Sigmoid": 0, "Affine": 2, "LeakyRelu": 1, "ThresholdedRelu": 1,
               "ScaledTanh": 2, "HardSigmoid": 2, "Elu": 1, "Softsign": 0, "Softplus": 0}
NEEDS = {"Affine", "ThresholdedRelu", "ScaledTanh"}      # gen refuses these without their values


def rnn_case(op="LSTM", direction="forward", seq=3, batch=2, size=3, hidden=4, layout=0, bias=True, h0=False, c0=False,
             peep=False, lens=None, acts=None, alphas=None, betas=None, clip=None, input_forget=0, lbr=0,
             outputs=(True, True, True), weights_as_inputs=False, seed=0, opset=14, scale=1.0):
    """One recurrent node as a model, and its feeds. lens: sequence_lens (constant) or None."""
    rng = np.random.default_rng(seed)
    d = 2 if direction == "bidirectional" else 1
    g = GATES[op]
    consts = {"W": rng.normal(0, scale, (d, g * hidden, size)), "R": rng.normal(0, scale, (d, g * hidden, hidden))}
    names = ["x", "W", "R", "", "", "", "", ""]
    if bias:
        consts["B"] = rng.normal(0, scale, (d, 2 * g * hidden))
        names[3] = "B"
    if lens is not None:
        names[4] = "L"
    state = (batch, d, hidden) if layout else (d, batch, hidden)
    feeds = {"x": rng.normal(size=(batch, seq, size) if layout else (seq, batch, size)).astype(np.float32)}
    if h0:
        feeds["h0"] = rng.normal(size=state).astype(np.float32)
        names[5] = "h0"
    if c0:
        feeds["c0"] = rng.normal(size=state).astype(np.float32)
        names[6] = "c0"
    if peep:
        consts["P"] = rng.normal(0, scale, (d, 3 * hidden))
        names[7] = "P"
    while names and not names[-1]:
        names.pop()
    consts = {k: v.astype(np.float32) for k, v in consts.items()}
    inputs = {"x": feeds["x"]}
    for k in ("h0", "c0"):
        if k in feeds:
            inputs[k] = feeds[k]
    if weights_as_inputs:
        for k in ("W", "R"):
            inputs[k] = feeds[k] = consts.pop(k)
    if lens is not None:
        consts["L"] = np.asarray(lens, np.int32)
    outs = [n if want else "" for n, want in zip(["Y", "Y_h", "Y_c"][:3 if op == "LSTM" else 2], outputs)]
    while outs and not outs[-1]:
        outs.pop()
    attrs = dict(hidden_size=hidden, direction=direction, activations=acts, activation_alpha=alphas,
                 activation_beta=betas, clip=clip)
    if layout:
        attrs["layout"] = 1
    if op == "LSTM" and input_forget:
        attrs["input_forget"] = 1
    if op == "GRU" and lbr:
        attrs["linear_before_reset"] = 1
    n = graphs.node(op, names, outs, name="rec", **attrs)
    m = make_model([n], inputs, [o for o in outs if o], consts, opset=opset)
    return m, feeds


def ort_rnn(m, feeds, kw):
    """onnxruntime's outputs. It refuses layout 1 (batch first), so a batch-first case runs there as
    the same node in layout 0 on transposed inputs, its outputs transposed back."""
    if not kw.get("layout"):
        return ort_run(m, feeds)
    m0, _ = rnn_case(**{**kw, "layout": 0})
    f0 = {k: (v.transpose(1, 0, 2) if k in ("x", "h0", "c0") else v) for k, v in feeds.items()}
    outs = ort_run(m0, f0)
    return [o.transpose(2, 0, 1, 3) if o.ndim == 4 else o.transpose(1, 0, 2) for o in outs]


def check_rnn(m, feeds, what="", kw=None):
    ref = ort_rnn(m, feeds, kw or {})
    got, res = gen_run(m, feeds)
    assert len(got) == len(ref)
    for g_, r_, o in zip(got, ref, m.graph.output):
        assert_close(g_, r_, what=f"{what} output {o.name}")
    return res


@st.composite
def rnn_cases(draw, op):
    direction = draw(st.sampled_from(["forward", "reverse", "bidirectional"]))
    d = 2 if direction == "bidirectional" else 1
    seq, batch = draw(st.integers(1, 5)), draw(st.integers(1, 3))
    kw = dict(direction=direction, seq=seq, batch=batch, size=draw(st.integers(1, 4)), hidden=draw(st.integers(1, 6)),
              layout=draw(st.sampled_from([0, 1])), bias=draw(st.booleans()), h0=draw(st.booleans()),
              seed=draw(st.integers(0, 2**31)))
    if op == "LSTM":
        kw.update(c0=draw(st.booleans()), peep=draw(st.booleans()), input_forget=draw(st.sampled_from([0, 1])))
    if op == "GRU":
        kw["lbr"] = draw(st.sampled_from([0, 1]))
    if draw(st.booleans()):
        kw["lens"] = draw(st.lists(st.integers(1, seq), min_size=batch, max_size=batch))
    if draw(st.booleans()):
        acts = draw(st.lists(st.sampled_from(sorted(ACTIVATIONS)), min_size=ACTS[op] * d, max_size=ACTS[op] * d))
        n_alpha = sum(ACTIVATIONS[a] >= 1 for a in acts)
        n_beta = sum(ACTIVATIONS[a] == 2 for a in acts)
        give = any(a in NEEDS for a in acts) or draw(st.booleans())
        kw["acts"] = acts
        if give and n_alpha:
            kw["alphas"] = draw(st.lists(st.floats(0.1, 1.5), min_size=n_alpha, max_size=n_alpha))
        if give and n_beta:
            kw["betas"] = draw(st.lists(st.floats(-0.5, 1.0), min_size=n_beta, max_size=n_beta))
    if draw(st.booleans()):
        kw["clip"] = draw(st.floats(0.3, 3.0))
    outputs = draw(st.lists(st.booleans(), min_size=3, max_size=3).filter(lambda o: any(o[:3 if op == "LSTM" else 2])))
    kw["outputs"] = tuple(outputs)
    return kw


def _hypothesis_rnn(op, kw):
    m, feeds = rnn_case(op, **kw)
    check_rnn(m, feeds, f"{op} {kw}", dict(kw, op=op))


@settings(**SETTINGS, max_examples=30)
@given(kw=rnn_cases("LSTM"))
def test_lstm_float(kw):
    _hypothesis_rnn("LSTM", kw)


@settings(**SETTINGS, max_examples=30)
@given(kw=rnn_cases("GRU"))
def test_gru_float(kw):
    _hypothesis_rnn("GRU", kw)


@settings(**SETTINGS, max_examples=25)
@given(kw=rnn_cases("RNN"))
def test_rnn_float(kw):
    _hypothesis_rnn("RNN", kw)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_rnn_every_activation(op, act):
    """Each activation the spec lists in every slot of each op (the others the defaults), with its
    alpha/beta given (not the default) where it takes them: onnxruntime's answer."""
    per = ACTS[op]
    for slot in range(per):
        acts = ["Sigmoid", "Tanh", "Tanh"][:per] if op != "RNN" else ["Tanh"]
        acts[slot] = act
        alphas = [0.7] if ACTIVATIONS[act] >= 1 else None
        betas = [0.3] if ACTIVATIONS[act] == 2 else None
        m, feeds = rnn_case(op, acts=acts, alphas=alphas, betas=betas, seed=slot, hidden=3, seq=4)
        check_rnn(m, feeds, f"{op} {acts}")


def test_lstm_weights_as_graph_inputs():
    """W and R arriving as graph inputs (the kernel reads them where they are)."""
    for op in ("LSTM", "GRU", "RNN"):
        m, feeds = rnn_case(op, direction="bidirectional", h0=True, weights_as_inputs=True)
        check_rnn(m, feeds, op)


def test_lstm_macs_and_scratch():
    """MACs: the matrix products of every valid step of every direction, plus the peepholes; the
    state and the gates are arena scratch."""
    m, _ = rnn_case("LSTM", direction="bidirectional", seq=5, batch=2, size=3, hidden=4, peep=True, lens=[5, 2])
    row = gen_compile(m).summary["layers"][0]
    assert row["macs"] == 2 * (5 + 2) * (4 * 4 * (3 + 4) + 3 * 4), row
    assert row["scratch_bytes"] >= 4 * 6 * 4 and row["scratch_offset"] is not None, row
    for op, floats in (("GRU", 7), ("RNN", 3)):
        m, _ = rnn_case(op, seq=4, batch=3, size=2, hidden=5)
        row = gen_compile(m).summary["layers"][0]
        assert row["macs"] == 4 * 3 * GATES[op] * 5 * (2 + 5), row
        assert row["scratch_bytes"] >= 4 * floats * 5, row


# ----------------------------------------------------------------------------- exported models

def _init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def _pytorch_lstm_kws(batch_first: bool, bidirectional: bool, with_state: bool, frames=6, feats=5, hidden=8,
                      classes=4, seed=0):
    """A keyword spotter as torch.onnx.export writes nn.LSTM + nn.Linear: Transpose to [seq, batch,
    feat] when batch_first (PyTorch exports layout 0), LSTM, Squeeze of the direction axis (a
    Transpose and Reshape for bidirectional), then a head on the time mean and the final state, Gemm
    and Softmax."""
    rng = np.random.default_rng(seed)
    d = 2 if bidirectional else 1
    inits = [_init("W", rng.normal(0, 0.4, (d, 4 * hidden, feats)).astype(np.float32)),
             _init("R", rng.normal(0, 0.4, (d, 4 * hidden, hidden)).astype(np.float32)),
             _init("B", rng.normal(0, 0.2, (d, 8 * hidden)).astype(np.float32)),
             _init("fc_w", rng.normal(0, 0.4, (classes, d * hidden)).astype(np.float32)),
             _init("fc_b", rng.normal(0, 0.1, (classes,)).astype(np.float32)),
             _init("axes1", np.array([1], np.int64)),
             _init("shape2", np.array([0, d * hidden], np.int64))]
    xshape = (1, frames, feats) if batch_first else (frames, 1, feats)
    inputs = [helper.make_tensor_value_info("audio", TensorProto.FLOAT, list(xshape))]
    nodes = []
    x = "audio"
    if batch_first:
        nodes.append(helper.make_node("Transpose", ["audio"], ["x_t"], perm=[1, 0, 2]))
        x = "x_t"
    lstm_in = [x, "W", "R", "B", "", "h0" if with_state else "", "c0" if with_state else ""]
    if with_state:
        inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, [d, 1, hidden]) for n in ("h0", "c0")]
    nodes.append(helper.make_node("LSTM", [i for i in lstm_in], ["y", "y_h", "y_c"], hidden_size=hidden,
                                  direction="bidirectional" if bidirectional else "forward", name="lstm"))
    if bidirectional:   # [seq, 2, batch, hidden] -> [seq, batch, 2, hidden] -> [seq, batch, 2 * hidden]
        nodes += [helper.make_node("Transpose", ["y"], ["y_t"], perm=[0, 2, 1, 3]),
                  helper.make_node("Reshape", ["y_t", "shape3"], ["seq_out"])]
        inits.append(_init("shape3", np.array([frames, 1, d * hidden], np.int64)))
    else:
        nodes.append(helper.make_node("Squeeze", ["y", "axes1"], ["seq_out"]))
    # the head reads the mean over time of Y and the final state Y_h (h_n[-1] in PyTorch)
    nodes += [helper.make_node("Transpose", ["seq_out"], ["bt"], perm=[1, 0, 2]),
              helper.make_node("ReduceMean", ["bt"], ["mean_t"], axes=[1], keepdims=0),
              helper.make_node("Transpose", ["y_h"], ["h_t"], perm=[1, 0, 2]),
              helper.make_node("Reshape", ["h_t", "shape2"], ["h_last"]),
              helper.make_node("Add", ["mean_t", "h_last"], ["feat"]),
              helper.make_node("Gemm", ["feat", "fc_w", "fc_b"], ["logits"], transB=1),
              helper.make_node("Softmax", ["logits"], ["probs"], axis=1)]
    outputs = [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, classes])]
    g = helper.make_graph(nodes, "kws_lstm", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m


def _tf2onnx_gru_har(batch_first: bool, with_state: bool, steps=8, channels=3, hidden=6, classes=5, seed=1):
    """An activity recognizer as tf2onnx writes a Keras GRU (reset_after: linear_before_reset=1): a
    batch-first input [batch, steps, channels] goes through a Transpose to time major (tf2onnx never
    writes layout 1; onnxruntime refuses it), or the input is time major already; the final state
    Y_h through Squeeze, MatMul + Add, Softmax."""
    rng = np.random.default_rng(seed)
    inits = [_init("W", rng.normal(0, 0.4, (1, 3 * hidden, channels)).astype(np.float32)),
             _init("R", rng.normal(0, 0.4, (1, 3 * hidden, hidden)).astype(np.float32)),
             _init("B", rng.normal(0, 0.2, (1, 6 * hidden)).astype(np.float32)),
             _init("dense_w", rng.normal(0, 0.4, (hidden, classes)).astype(np.float32)),
             _init("dense_b", rng.normal(0, 0.1, (classes,)).astype(np.float32)),
             _init("axes", np.array([0], np.int64))]
    inputs = [helper.make_tensor_value_info("imu", TensorProto.FLOAT,
                                            [1, steps, channels] if batch_first else [steps, 1, channels])]
    nodes, x = [], "imu"
    if batch_first:
        nodes.append(helper.make_node("Transpose", ["imu"], ["x_t"], perm=[1, 0, 2]))
        x = "x_t"
    ins = [x, "W", "R", "B"]
    if with_state:
        ins += ["", "h0"]
        inputs.append(helper.make_tensor_value_info("h0", TensorProto.FLOAT, [1, 1, hidden]))
    nodes += [helper.make_node("GRU", ins, ["", "y_h"], hidden_size=hidden, linear_before_reset=1, name="gru"),
              helper.make_node("Squeeze", ["y_h", "axes"], ["state"]),
              helper.make_node("MatMul", ["state", "dense_w"], ["mm"]),
              helper.make_node("Add", ["mm", "dense_b"], ["logits"]),
              helper.make_node("Softmax", ["logits"], ["probs"], axis=-1)]
    outputs = [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, classes])]
    g = helper.make_graph(nodes, "har_gru", inputs, outputs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m


def _verify(tmp_path, m, name):
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    r = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(tmp_path / name), "--verify"],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "verify: PASS" in r.stdout + r.stderr, r.stdout[-2000:]
    return r.stdout + r.stderr


def _feeds(m, seed=0):
    rng = np.random.default_rng(seed)
    return {i.name: rng.normal(size=[d.dim_value for d in i.type.tensor_type.shape.dim]).astype(np.float32)
            for i in m.graph.input}


@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "initial_state"])
def test_lstm_kws_pytorch_float(tmp_path, batch_first, bidirectional, with_state):
    m = _pytorch_lstm_kws(batch_first, bidirectional, with_state)
    graphs.check(m, _feeds(m))
    _verify(tmp_path, m, "kws")


@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "initial_state"])
def test_gru_har_tf2onnx_float(tmp_path, batch_first, with_state):
    m = _tf2onnx_gru_har(batch_first, with_state)
    graphs.check(m, _feeds(m))
    _verify(tmp_path, m, "har")


# ----------------------------------------------------------------------------- int8 (QDQ)

QDQ_WEIGHTS = {"LSTM": (1, 2), "GRU": (1, 2), "RNN": (1, 2), "Gemm": (1,), "MatMul": (1,)}


def qdq_model(fm: onnx.ModelProto, feeds_list: list[dict]) -> onnx.ModelProto:
    """The float model in QDQ form, as a QDQ quantizer writes a recurrent model: Q -> DQ on every float
    activation (graph inputs and every output of every node, Y_h and Y_c too; scales from the
    calibration range; a Softmax output 1/256 with zero point -128, as quantizers fix it), the
    recurrent and dense weights as DequantizeLinear of symmetric int8 per-tensor integers, biases
    kept float."""
    ranges = graphs.calibrate(fm, feeds_list)
    g = fm.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    nodes, new_inits, rename = [], dict(inits), {}

    softmax = {n.output[0] for n in g.node if n.op_type == "Softmax"}

    def qdq(name):
        s, zp = (np.float32(1 / 256), np.int8(-128)) if name in softmax else graphs.qparams(*ranges[name])
        new_inits[f"{name}_s"], new_inits[f"{name}_zp"] = np.float32(s), np.int8(zp)
        nodes.append(helper.make_node("QuantizeLinear", [name, f"{name}_s", f"{name}_zp"], [f"{name}_q"]))
        nodes.append(helper.make_node("DequantizeLinear", [f"{name}_q", f"{name}_s", f"{name}_zp"], [f"{name}_dq"]))
        rename[name] = f"{name}_dq"

    for x in g.input:
        qdq(x.name)
    for n in g.node:
        ins = [rename.get(i, i) for i in n.input]
        for k in QDQ_WEIGHTS.get(n.op_type, ()):
            w = n.input[k]
            if w in inits and f"{w}_wq" not in new_inits:
                wq, ws = graphs.sym_weights(inits[w], None)
                new_inits.update({f"{w}_wq": wq, f"{w}_ws": np.float32(np.asarray(ws).reshape(-1)[0]),
                                  f"{w}_wz": np.int8(0)})
                nodes.append(helper.make_node("DequantizeLinear", [f"{w}_wq", f"{w}_ws", f"{w}_wz"], [f"{w}_wdq"]))
                new_inits.pop(w)
            ins[k] = f"{w}_wdq"
        nn = helper.make_node(n.op_type, ins, list(n.output), name=n.name)
        nn.attribute.extend(n.attribute)
        nodes.append(nn)
        for o in n.output:
            if o and o in ranges:
                qdq(o)
    outs = [helper.make_tensor_value_info(rename.get(o.name, o.name), TensorProto.FLOAT, None) for o in g.output]
    qg = helper.make_graph(nodes, "q", list(g.input), outs,
                           initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in new_inits.items()])
    m = helper.make_model(qg, opset_imports=list(fm.opset_import))
    m.ir_version = fm.ir_version
    m = onnx.shape_inference.infer_shapes(m)
    graphs._fix_outputs(m)
    onnx.checker.check_model(m)
    return m


def _int8_check(tmp_path, fm, name, seed=0):
    """The QDQ model: the recurrent node computes in float between dequantize and quantize (the note
    says so); C within 1 LSB of gen's reference (float layers) and of onnxruntime, the layer check
    (1 LSB per layer), and --verify PASS."""
    from test_ops_int8 import layer_check
    rng = np.random.default_rng(seed)
    feeds = [_feeds(fm, int(rng.integers(1 << 30))) for _ in range(4)]
    qm = qdq_model(fm, feeds)
    res = gen_compile(qm)
    rec = [n for n in res.graph.nodes if n.op in ("LSTM", "GRU", "RNN")]
    assert rec and all(g_.dtype == "float32" for n in rec for g_ in [res.graph.t(n.inputs[0])]), \
        [n.op for n in res.graph.nodes]
    assert any(f"node '{rec[0].name}' has no int8 kernel here" in n for n in res.graph.notes), res.graph.notes
    qin, _ = graphs.boundary(res)
    test = _feeds(fm, seed + 99)
    xqs = [graphs.quantize(test[i.name], s, zp) for i, (s, zp) in zip(fm.graph.input, qin)]
    res, c, ref, o = graphs.run_all(qm, xqs, res)
    layer_check(qm, res, xqs)
    for cc, rr, oo in zip(c, ref, o):
        assert graphs.lsb(cc, rr) <= 1 and graphs.lsb(cc, oo) <= 1, (graphs.lsb(cc, rr), graphs.lsb(cc, oo))
    _verify(tmp_path, qm, name)


@pytest.mark.parametrize("batch_first", [False, True], ids=["time_major", "batch_first"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
def test_lstm_kws_pytorch_int8(tmp_path, batch_first, bidirectional):
    _int8_check(tmp_path, _pytorch_lstm_kws(batch_first, bidirectional, with_state=bidirectional), "kws8")


@pytest.mark.parametrize("with_state", [False, True], ids=["zero_state", "initial_state"])
def test_gru_har_tf2onnx_int8(tmp_path, with_state):
    _int8_check(tmp_path, _tf2onnx_gru_har(True, with_state), "har8")


# ----------------------------------------------------------------------------- streaming

def streaming_model(op: str, frames: int, feats=4, hidden=8, seed=3):
    """A per-frame detector as voice-activity detectors and keyword spotters export for streaming:
    inputs frame [frames, 1, feats] and the state (h_in, and c_in for an LSTM) [1, 1, hidden];
    outputs the per-frame probability [frames, 1, 1] (Y -> MatMul -> Add -> Sigmoid) and the state
    (h_out, c_out: Y_h, Y_c). frames=1 is the streaming model, frames=T the same network over T frames."""
    rng = np.random.default_rng(seed)
    g = GATES[op]
    inits = [_init("W", rng.normal(0, 0.5, (1, g * hidden, feats)).astype(np.float32)),
             _init("R", rng.normal(0, 0.5, (1, g * hidden, hidden)).astype(np.float32)),
             _init("B", rng.normal(0, 0.2, (1, 2 * g * hidden)).astype(np.float32)),
             _init("w_out", rng.normal(0, 0.5, (hidden, 1)).astype(np.float32)),
             _init("b_out", np.array([0.1], np.float32)), _init("axes", np.array([1], np.int64))]
    state = ["h_in", "c_in"] if op == "LSTM" else ["h_in"]
    outs = ["h_out", "c_out"] if op == "LSTM" else ["h_out"]
    inputs = [helper.make_tensor_value_info("frame", TensorProto.FLOAT, [frames, 1, feats])]
    inputs += [helper.make_tensor_value_info(s, TensorProto.FLOAT, [1, 1, hidden]) for s in state]
    ins = ["frame", "W", "R", "B", ""] + state
    attrs = dict(linear_before_reset=1) if op == "GRU" else {}
    nodes = [helper.make_node(op, ins, ["y"] + outs, hidden_size=hidden, name="cell", **attrs),
             helper.make_node("Squeeze", ["y", "axes"], ["y_s"]),
             helper.make_node("MatMul", ["y_s", "w_out"], ["logit_mm"]),
             helper.make_node("Add", ["logit_mm", "b_out"], ["logit"]),
             helper.make_node("Sigmoid", ["logit"], ["prob"])]
    outputs = [helper.make_tensor_value_info("prob", TensorProto.FLOAT, [frames, 1, 1])]
    outputs += [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, 1, hidden]) for o in outs]
    m = helper.make_model(helper.make_graph(nodes, "stream", inputs, outputs, initializer=inits),
                          opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return m


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_lstm_streaming_state_across_calls(op):
    """The streaming model's C API takes and returns every named input and output (frame, h_in,
    c_in -> prob, h_out, c_out); run frame by frame on the host with each call's h_out/c_out fed to
    the next call as h_in/c_in, it equals onnxruntime on the whole sequence at once, frame by frame
    and in its final state. (The loop of docs/streaming.md passes the state in place.)"""
    from gen.host import HostModel
    frames, hidden = 12, 8
    res = gen_compile(streaming_model(op, 1), "vad")
    header = re.sub(r"\(\s+", "(", re.sub(r"\s+", " ", res.files["vad.h"].decode()))   # one prototype a line
    n_state = 2 if op == "LSTM" else 1
    args = ", ".join(["const float *input0"] + [f"const float *input{k + 1}" for k in range(n_state)] +
                     ["float *output0"] + [f"float *output{k + 1}" for k in range(n_state)])
    assert f"int vad_run({args});" in header, header
    host = HostModel(res.files)
    assert [t["name"] for t in host.inputs] == ["frame", "h_in", "c_in"][:1 + n_state]
    assert [t["name"] for t in host.outputs] == ["prob", "h_out", "c_out"][:1 + n_state]
    rng = np.random.default_rng(7)
    x = rng.normal(size=(frames, 1, 4)).astype(np.float32)
    state = [rng.normal(size=(1, 1, hidden)).astype(np.float32) for _ in range(n_state)]
    whole = streaming_model(op, frames)
    want = ort_run(whole, dict(zip(["frame", "h_in", "c_in"], [x] + state)))
    got_probs = []
    for t in range(frames):
        out = host.run(x[t:t + 1], *state)
        got_probs.append(out[0])
        state = out[1:]
    assert_close(np.concatenate(got_probs), want[0], what="per-frame prob")
    for k in range(n_state):
        assert_close(state[k], want[1 + k], what=f"state {k} after the last frame")


def _doc_snippet() -> str:
    text = open(os.path.join(ROOT, "docs", "streaming.md")).read()
    blocks = re.findall(r"```c\n(.*?)```", text, re.S)
    assert blocks, "docs/streaming.md has no C block"
    return blocks[0]


def test_lstm_streaming_doc_loop_compiles_and_runs(tmp_path):
    """The C loop of docs/streaming.md, compiled with the generated streaming model (-std=c99 -Wall
    -Wextra -Werror -pedantic) and a main that feeds frames on stdin: its per-frame outputs equal
    onnxruntime on the whole sequence."""
    frames = 10
    out = tmp_path / "vad"
    m = streaming_model("LSTM", 1)
    onnx.save(m, tmp_path / "vad.onnx")
    r = subprocess.run([sys.executable, "-m", "gen", str(tmp_path / "vad.onnx"), "-o", str(out), "--name", "vad", "-q"],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    (tmp_path / "stream.c").write_text(_doc_snippet())
    (tmp_path / "main.c").write_text("""\
#include <stdio.h>
#include "vad.h"
void vad_reset(void);
int vad_step(const float *frame, float *prob);
int main(void)
{
    float frame[VAD_INPUT0_SIZE], prob[VAD_OUTPUT0_SIZE];
    vad_reset();
    while (fread(frame, sizeof frame, 1, stdin) == 1) {
        if (vad_step(frame, prob) != 0) {
            return 1;
        }
        fwrite(prob, sizeof prob, 1, stdout);
    }
    return 0;
}
""")
    srcs = [str(p) for p in sorted(out.glob("*.c")) if p.name != "gen_testvec.c"]
    exe = tmp_path / "stream"
    cc = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", f"-I{out}",
                         str(tmp_path / "stream.c"), str(tmp_path / "main.c"), *srcs, "-lm", "-o", str(exe)],
                        capture_output=True, text=True, timeout=300)
    assert cc.returncode == 0, cc.stderr
    x = np.random.default_rng(11).normal(size=(frames, 1, 4)).astype(np.float32)
    run = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True, timeout=60)
    assert run.returncode == 0
    got = np.frombuffer(run.stdout, np.float32).reshape(frames, 1, 1)
    zeros = np.zeros((1, 1, 8), np.float32)
    want = ort_run(streaming_model("LSTM", frames), {"frame": x, "h_in": zeros, "c_in": zeros})[0]
    assert_close(got, want, what="docs/streaming.md loop")


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_rnn_bidirectional_one_activation_list(op):
    """A bidirectional node listing one direction's activations is refused with one line, as
    onnxruntime refuses it (the spec lists both directions' functions); both directions listed, each
    with its own alpha/beta consumed in order, is onnxruntime's answer."""
    one = {"LSTM": ["HardSigmoid", "LeakyRelu", "Tanh"], "GRU": ["HardSigmoid", "LeakyRelu"], "RNN": ["LeakyRelu"]}[op]
    m, feeds = rnn_case(op, direction="bidirectional", acts=one, alphas=[0.3, 0.2], betas=[0.4], seq=4, h0=True)
    with pytest.raises(Exception, match="activation"):
        ort_run(m, feeds)
    with pytest.raises(GenError, match=f"activations lists {len(one)} functions; a bidirectional {op} takes"):
        gen_compile(m)
    m, feeds = rnn_case(op, direction="bidirectional", acts=one + one[::-1], alphas=[0.3, 0.2, 0.9, 0.6],
                        betas=[0.4, -0.2], seq=4, h0=True)
    check_rnn(m, feeds, op)


@pytest.mark.parametrize("op", ["LSTM", "GRU", "RNN"])
def test_rnn_sanitized_and_static_contract(op, tmp_path):
    """The recurrent kernels under AddressSanitizer/UBSan with arena guard bytes (bidirectional,
    batch first, short sequences, only Y_h written), equal to the normal build; strict C99, no heap,
    no VLA, no recursion, bounded stack, no writable global but the arena (tests/test_sanitize.py)."""
    from test_sanitize import check_all
    for k, kw in enumerate([dict(direction="bidirectional", h0=True, c0=op == "LSTM", peep=op == "LSTM",
                                 lens=[4, 2], seq=4, clip=1.5),
                            dict(direction="reverse", layout=1, batch=3, lens=[1, 3, 2], outputs=(False, True, False),
                                 acts=["Softplus", "Elu", "HardSigmoid"][:ACTS[op]], alphas=[0.5, 0.2], betas=[0.4])]):
        m, _ = rnn_case(op, **kw, lbr=1, input_forget=1)
        d = tmp_path / str(k)
        d.mkdir()
        check_all(gen_compile(m).files, d, f"{op}{k}")
