"""Attention, RMSNormalization, RotaryEmbedding, SwiGLU (gen/ops/attention.py, runtime_c/gen_attention.c).

Oracles: onnxruntime (graph optimizations off), which implements Attention at opsets 23-25,
RMSNormalization and RotaryEmbedding at 23, on drawn shapes and attributes (3-D and 4-D, grouped-query
heads, past/present caches, float and bool masks shorter than the keys, causal, softcap, scale, every
qk_matmul_output_mode, opset 25's windows). Where onnxruntime has no kernel (SwiGLU-28: it lacks the
Swish-24 of its function body) or where the spec's behaviour is what onnx's reference computes and
onnxruntime does not say (a fully masked query row is zeros; a constant nonpad_kv_seqlen), the oracle
is onnx's reference evaluator (`onnx.reference.ReferenceEvaluator`). onnxruntime writes masked mode-2
scores as the lowest float where the spec (and gen) write -inf: those are compared as -inf.
A small keyword transformer (Conv stem -> LayerNormalization -> Attention -> MatMul) verifies in float
and in QDQ int8 (Attention in float between dequantize and quantize, 1 LSB per layer).
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import graphs
from gen.errors import GenError
from graphs import ROOT, assert_close, gen_compile, gen_run, make_model, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), max_examples=25)
LOWEST = np.finfo(np.float32).min


def _lowest_as_inf(a):
    a = np.array(a, np.float32)
    a[a <= LOWEST] = -np.inf
    return a


def _model_with_bool(nodes, feeds, outs, inits, opset):
    """make_model with bool initializers (graphs.make_model keeps dtypes of numpy arrays)."""
    m = make_model(nodes, feeds, outs, {k: v for k, v in inits.items() if v.dtype != np.bool_}, opset=opset)
    for k, v in inits.items():
        if v.dtype == np.bool_:
            m.graph.initializer.append(numpy_helper.from_array(v, k))
    return m


@st.composite
def attention_cases(draw):
    opset = draw(st.sampled_from([23, 24, 25]))
    rank = draw(st.sampled_from([3, 4]))
    b, hk, group = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.sampled_from([1, 2, 3]))
    hq = hk * group
    sq, sk, d = draw(st.integers(1, 4)), draw(st.integers(1, 5)), draw(st.integers(1, 6))
    dv = d if rank == 3 else draw(st.integers(1, 6))
    past = draw(st.sampled_from([0, 0, 2]))
    total = past + sk
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    f = {}
    if rank == 4:
        f["q"], f["k"], f["v"] = (rng.normal(size=s).astype(np.float32)
                                  for s in ((b, hq, sq, d), (b, hk, sk, d), (b, hk, sk, dv)))
    else:
        f["q"], f["k"], f["v"] = (rng.normal(size=s).astype(np.float32)
                                  for s in ((b, sq, hq * d), (b, sk, hk * d), (b, sk, hk * dv)))
    ins, inits = ["q", "k", "v", "", "", ""], {}
    mask = draw(st.sampled_from([None, "float", "float_input", "bool"]))
    if mask is not None:
        mlen = draw(st.integers(1, total))
        lead = draw(st.sampled_from([(), (sq,), (1, sq), (hq, sq), (b, 1, sq), (b, hq, sq), (1, 1, 1)]))
        if lead == (1, 1, 1):
            lead, mlen = (1, 1, sq), total
        shape = lead + (mlen,)
        if mask == "bool":
            mv = rng.random(shape) < 0.7
            mv[..., 0] = True               # key 0 stays visible: no fully masked row (see the reference test)
            inits["m"] = mv
        else:
            mv = rng.normal(size=shape).astype(np.float32)
            if mask == "float":
                inits["m"] = mv
            else:
                f["m"] = mv
        ins[3] = "m"
    if past:
        f["pk"] = rng.normal(size=(b, hk, past, d)).astype(np.float32)
        f["pv"] = rng.normal(size=(b, hk, past, dv)).astype(np.float32)
        ins[4], ins[5] = "pk", "pv"
    while not ins[-1]:
        ins.pop()
    attrs = {}
    if rank == 3:
        attrs.update(q_num_heads=hq, kv_num_heads=hk)
    if draw(st.booleans()):
        attrs["is_causal"] = 1
    if draw(st.booleans()):
        attrs["softcap"] = draw(st.sampled_from([0.5, 2.0, 10.0]))
    if draw(st.booleans()):
        attrs["scale"] = draw(st.sampled_from([0.1, 0.5, 1.0, 2.0]))
    mode = draw(st.sampled_from([None, 0, 1, 2, 3]))
    if mode is not None:
        attrs["qk_matmul_output_mode"] = mode
    if opset == 25 and draw(st.booleans()):
        attrs["left_window_size"] = draw(st.integers(-1, 3))
        attrs["right_window_size"] = draw(st.integers(-1, 3))
        if attrs["left_window_size"] >= 0 and attrs["right_window_size"] >= 0:
            attrs["left_window_size"] = max(attrs["left_window_size"], 0)
    presents = past > 0 or draw(st.booleans())
    outs = ["y", "pk_out" if presents else "", "pv_out" if presents else "", "qk" if mode is not None else ""]
    while not outs[-1]:
        outs.pop()
    n = helper.make_node("Attention", ins, outs, name="att", **attrs)
    shapes = {"y": (b, hq, sq, dv) if rank == 4 else (b, sq, hq * dv), "pk_out": (b, hk, total, d),
              "pv_out": (b, hk, total, dv), "qk": (b, hq, sq, total)}
    m = _model_with_bool([n], f, [(o, shapes[o]) for o in outs if o], inits, opset)
    # onnxruntime takes masks of rank 2-4 covering every key only; a window can hide every key of a row,
    # where the spec's zeros are the reference's: those cases take onnx's reference evaluator as the oracle
    reference = (mask is not None and (lead == () or mlen < total)) or attrs.get("left_window_size", -1) >= 0 \
        or attrs.get("right_window_size", -1) >= 0
    return m, f, attrs, reference


@settings(**SETTINGS)
@given(attention_cases())
def test_attention_matches_onnxruntime(case):
    m, f, attrs, reference = case
    ref = ReferenceEvaluator(m).run(None, f) if reference else ort_run(m, f)
    got, _ = gen_run(m, f)
    for o, g_, r_ in zip(m.graph.output, got, ref):
        assert_close(g_, _lowest_as_inf(r_), what=f"output {o.name} ({attrs})")


def test_attention_fully_masked_row_is_zero():
    """A bool mask that hides every key of a query row (and a causal frontier with nothing before it):
    the spec says Y and the mode-3 probabilities are zeros; oracle: onnx's reference evaluator."""
    rng = np.random.default_rng(1)
    f = {k: rng.normal(size=(1, 2, 3, 4)).astype(np.float32) for k in ("q", "k", "v")}
    mv = rng.random((3, 3)) < 0.5
    mv[1, :] = False
    mv[0, 0] = mv[2, 0] = True
    n = helper.make_node("Attention", ["q", "k", "v", "m"], ["y", "", "", "qk"], qk_matmul_output_mode=3)
    m = _model_with_bool([n], f, ["y", "qk"], {"m": mv}, 23)
    ref = ReferenceEvaluator(m).run(None, f)
    got, _ = gen_run(m, f)
    assert np.all(got[0][:, :, 1] == 0) and np.all(got[1][:, :, 1] == 0)
    for g_, r_ in zip(got, ref):
        assert_close(g_, r_)


@pytest.mark.parametrize("causal", [0, 1])
def test_attention_nonpad_kv_seqlen_constant(causal):
    """A constant nonpad_kv_seqlen (opset 24, the external cache): keys past each batch's count are
    masked and the causal frontier is offset by count - q_len; oracle: onnx's reference evaluator."""
    rng = np.random.default_rng(2)
    f = {"q": rng.normal(size=(2, 2, 2, 4)).astype(np.float32), "k": rng.normal(size=(2, 2, 6, 4)).astype(np.float32),
         "v": rng.normal(size=(2, 2, 6, 3)).astype(np.float32)}
    n = helper.make_node("Attention", ["q", "k", "v", "", "", "", "lens"], ["y"], is_causal=causal)
    m = make_model([n], f, ["y"], {"lens": np.array([3, 6], np.int64)}, opset=24)
    ref = ReferenceEvaluator(m).run(None, f)
    got, _ = gen_run(m, f)
    assert_close(got[0], ref[0])


def test_attention_scratch_macs():
    f = {"q": np.zeros((1, 4, 3, 8), np.float32), "k": np.zeros((1, 2, 5, 8), np.float32),
         "v": np.zeros((1, 2, 5, 6), np.float32), "pk": np.zeros((1, 2, 2, 8), np.float32),
         "pv": np.zeros((1, 2, 2, 6), np.float32)}
    n = helper.make_node("Attention", ["q", "k", "v", "", "pk", "pv"], ["y", "a", "b"], name="att")
    res = gen_compile(make_model([n], f, ["y", "a", "b"], opset=23))
    from gen import ops
    node = [x for x in res.graph.nodes if x.op == "Attention"][0]
    fam = ops.family(node)
    assert fam.scratch(node, res.graph) == 4 * 7
    assert fam.macs(node, res.graph) == 4 * 3 * 7 * (8 + 6)


REFUSALS = {"heads": ("query heads are not a multiple", dict(q_num_heads=3, kv_num_heads=2), (1, 3, 4), None),
            "3d_no_heads": ("q_num_heads", {}, (1, 3, 6), None),
            "past_alone": ("past_key and past_value", dict(q_num_heads=2, kv_num_heads=2), (1, 3, 6), "pk"),
            "softmax_precision": ("softmax_precision 10", dict(q_num_heads=2, kv_num_heads=2,
                                                               softmax_precision=TensorProto.FLOAT16), (1, 3, 6), None)}


@pytest.mark.parametrize("what", sorted(REFUSALS))
def test_attention_refusals(what):
    needle, attrs, kv, past = REFUSALS[what]
    f = {"q": np.zeros((1, 3, 6), np.float32), "k": np.zeros(kv, np.float32), "v": np.zeros(kv, np.float32)}
    ins = ["q", "k", "v"]
    if past:
        f["pk"] = np.zeros((1, 2, 2, 3), np.float32)
        ins += ["", "pk"]
    n = helper.make_node("Attention", ins, ["y"], name="att", **attrs)
    with pytest.raises(GenError) as e:
        gen_compile(make_model([n], f, [("y", (1, 3, 6))], opset=23))
    assert needle in str(e.value) and "att" in str(e.value), str(e.value)     # one line, naming the node


# ----------------------------------------------------------------------------- RMSNormalization

@settings(**SETTINGS)
@given(shape=graphs.shapes(1, 4, 1, 5), data=st.data())
def test_rmsnormalization_matches_onnxruntime(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    norm = shape[axis % len(shape):]
    k = data.draw(st.integers(0, len(norm)))
    sshape = tuple(d if data.draw(st.booleans()) else 1 for d in norm[len(norm) - k:])
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    x = rng.normal(size=shape).astype(np.float32)
    s = rng.normal(size=sshape).astype(np.float32)
    attrs = dict(axis=axis)
    if data.draw(st.booleans()):
        attrs["epsilon"] = data.draw(st.sampled_from([1e-6, 1e-3, 0.1]))
    as_input = data.draw(st.booleans()) and sshape == tuple(norm)
    n = helper.make_node("RMSNormalization", ["x", "s"], ["y"], **attrs)
    feeds = {"x": x, **({"s": s} if as_input else {})}
    m = make_model([n], feeds, ["y"], {} if as_input else {"s": s}, opset=23)
    graphs.check(m, feeds)


# ----------------------------------------------------------------------------- RotaryEmbedding

@settings(**SETTINGS)
@given(data=st.data())
def test_rotaryembedding_matches_onnxruntime(data):
    rank = data.draw(st.sampled_from([3, 4]))
    b, s, h = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 4)), data.draw(st.integers(1, 3))
    d = 2 * data.draw(st.integers(1, 4))
    rot = 2 * data.draw(st.integers(1, d // 2))
    inter = data.draw(st.sampled_from([0, 1]))
    with_pos = data.draw(st.booleans())
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31)))
    x = rng.normal(size=(b, s, h * d) if rank == 3 else (b, h, s, d)).astype(np.float32)
    attrs = dict(interleaved=inter)
    if rot != d or data.draw(st.booleans()):
        attrs["rotary_embedding_dim"] = rot
    if rank == 3:
        attrs["num_heads"] = h
    ang = rng.uniform(0, 6.3, size=(8, rot // 2) if with_pos else (b, s, rot // 2))
    inits, ins = {"cos": np.cos(ang).astype(np.float32), "sin": np.sin(ang).astype(np.float32)}, ["x", "cos", "sin"]
    if with_pos:
        inits["pos"] = rng.integers(0, 8, size=(b, s)).astype(np.int64)
        ins.append("pos")
    n = helper.make_node("RotaryEmbedding", ins, ["y"], **attrs)
    graphs.check(make_model([n], {"x": x}, ["y"], inits, opset=23), {"x": x})


def test_rotaryembedding_caches_as_graph_inputs():
    """cos/sin caches computed at run time (per-token caches [batch, seq, rot/2] as inputs)."""
    rng = np.random.default_rng(4)
    f = {"x": rng.normal(size=(1, 2, 3, 4)).astype(np.float32)}
    ang = rng.uniform(0, 6.3, size=(1, 3, 2))
    f["cos"], f["sin"] = np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
    n = helper.make_node("RotaryEmbedding", ["x", "cos", "sin"], ["y"])
    graphs.check(make_model([n], f, ["y"], opset=23), f)


# ----------------------------------------------------------------------------- SwiGLU

@settings(**SETTINGS)
@given(shape=graphs.shapes(1, 4, 1, 5), alpha=st.sampled_from([None, 0.5, 1.0, 1.702]), seed=st.integers(0, 2**31))
def test_swiglu_matches_reference(shape, alpha, seed):
    """oracle: onnx's reference evaluator (onnxruntime lacks Swish-24, SwiGLU-28's function body)."""
    rng = np.random.default_rng(seed)
    f = {"a": rng.normal(0, 3, size=shape).astype(np.float32), "b": rng.normal(size=shape).astype(np.float32)}
    n = helper.make_node("SwiGLU", ["a", "b"], ["y"], **({} if alpha is None else {"alpha": alpha}))
    m = make_model([n], f, ["y"], opset=28)
    ref = ReferenceEvaluator(m).run(None, f)
    got, _ = gen_run(m, f)
    assert_close(got[0], ref[0])


# ----------------------------------------------------------------------------- a keyword transformer

def _layernorm(x, y, c, layer_op, inits, eps=1e-5):
    """LayerNormalization over the last axis: the op (opset 17+), or as PyTorch exports it below 17."""
    rng = np.random.default_rng(5)
    inits["ln_g"] = (1 + 0.1 * rng.normal(size=c)).astype(np.float32)
    inits["ln_b"] = (0.1 * rng.normal(size=c)).astype(np.float32)
    if layer_op:
        return [helper.make_node("LayerNormalization", [x, "ln_g", "ln_b"], [y], axis=-1, epsilon=eps)]
    inits["ln_axes"], inits["ln_eps"] = np.array([-1], np.int64), np.array(eps, np.float32)
    return [helper.make_node("ReduceMean", [x, "ln_axes"], ["ln_mean"], keepdims=1),
            helper.make_node("Sub", [x, "ln_mean"], ["ln_d"]),
            helper.make_node("Mul", ["ln_d", "ln_d"], ["ln_d2"]),
            helper.make_node("ReduceMean", ["ln_d2", "ln_axes"], ["ln_var"], keepdims=1),
            helper.make_node("Add", ["ln_var", "ln_eps"], ["ln_ve"]),
            helper.make_node("Sqrt", ["ln_ve"], ["ln_std"]),
            helper.make_node("Div", ["ln_d", "ln_std"], ["ln_n"]),
            helper.make_node("Mul", ["ln_n", "ln_g"], ["ln_s"]),
            helper.make_node("Add", ["ln_s", "ln_b"], [y])]


def keyword_transformer(layer_op: bool, feats=10, frames=16, c=8, heads=2, classes=12, seed=0):
    """MFCC frames [1, feats, frames] -> Conv1d stem + Relu -> [1, frames, c] -> LayerNormalization ->
    Q/K/V projections -> Attention (3-D, heads) -> residual -> mean over time -> MatMul classifier."""
    rng = np.random.default_rng(seed)
    w = lambda *s: (rng.normal(size=s) / np.sqrt(s[-1] if len(s) == 2 else np.prod(s[1:]))).astype(np.float32)  # noqa: E731
    inits = {"stem_w": w(c, feats, 3), "stem_b": (0.1 * rng.normal(size=c)).astype(np.float32),
             "wq": w(c, c), "wk": w(c, c), "wv": w(c, c), "wo": w(c, classes), "t_axes": np.array([1], np.int64)}
    nodes = [helper.make_node("Conv", ["x", "stem_w", "stem_b"], ["stem"], pads=[1, 1], name="stem"),
             helper.make_node("Relu", ["stem"], ["stem_r"]),
             helper.make_node("Transpose", ["stem_r"], ["tokens"], perm=[0, 2, 1])]
    nodes += _layernorm("tokens", "normed", c, layer_op, inits)
    nodes += [helper.make_node("MatMul", ["normed", w_], [o]) for w_, o in (("wq", "q"), ("wk", "k"), ("wv", "v"))]
    nodes += [helper.make_node("Attention", ["q", "k", "v"], ["att"], q_num_heads=heads, kv_num_heads=heads,
                               name="attention"),
              helper.make_node("Add", ["tokens", "att"], ["res"]),
              helper.make_node("ReduceMean", ["res", "t_axes"], ["pooled"], keepdims=0),
              helper.make_node("MatMul", ["pooled", "wo"], ["logits"])]
    return make_model(nodes, {"x": (1, feats, frames)}, ["logits"], inits, opset=23)


def _supported(op):
    from gen.ops import supported_onnx_ops
    return op in supported_onnx_ops()


def _verify(tmp_path, m, name):
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    r = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(tmp_path / name), "--verify"],
                       capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 0 and "verify: PASS" in r.stdout + r.stderr, r.stdout[-2000:] + r.stderr[-2000:]


@pytest.mark.parametrize("layer_op", [False, True], ids=["ln_decomposed", "ln_op"])
def test_attention_keyword_transformer_float(tmp_path, layer_op):
    if layer_op and not _supported("LayerNormalization"):
        pytest.skip("LayerNormalization arrives with the b-reduce branch")
    m = keyword_transformer(layer_op)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1, 10, 16)).astype(np.float32)
    graphs.check(m, {"x": x})
    _verify(tmp_path, m, "kwt")


def test_attention_keyword_transformer_int8(tmp_path):
    """The QDQ model (every activation quantized, projection weights int8): Attention computes in
    float between dequantize and quantize (the note says so); C equals gen's reference within 1 LSB,
    onnxruntime within 1 LSB per layer (the layer check), and --verify PASS."""
    from test_ops_int8 import layer_check
    from test_rnn import qdq_model
    fm = keyword_transformer(False)
    rng = np.random.default_rng(8)
    feeds = [{"x": rng.normal(size=(1, 10, 16)).astype(np.float32)} for _ in range(4)]
    qm = qdq_model(fm, feeds)
    res = gen_compile(qm)
    att = [n for n in res.graph.nodes if n.op == "Attention"]
    assert att and res.graph.t(att[0].inputs[0]).dtype == "float32"
    assert any(f"node '{att[0].name}' has no int8 kernel here" in n for n in res.graph.notes), res.graph.notes
    qin, _ = graphs.boundary(res)
    xqs = [graphs.quantize(rng.normal(size=(1, 10, 16)).astype(np.float32), *qin[0])]
    res, c, ref, o = graphs.run_all(qm, xqs, res)
    layer_check(qm, res, xqs)
    for cc, rr in zip(c, ref):
        assert graphs.lsb(cc, rr) <= 1, graphs.lsb(cc, rr)
    _verify(tmp_path, qm, "kwt8")


# ----------------------------------------------------------------------------- opset 27: the recurrent ones

@st.composite
def linear_attention_cases(draw):
    rule = draw(st.sampled_from(["linear", "gated", "delta", "gated_delta", None]))
    b, t, hk, group = draw(st.integers(1, 2)), draw(st.integers(1, 5)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    hq, dk, dv = hk * group, draw(st.integers(1, 4)), draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    k = rng.normal(size=(b, t, hk, dk))
    k /= np.linalg.norm(k, axis=-1, keepdims=True)      # L2-normalized keys, as the delta rules expect
    f = {"q": rng.normal(size=(b, t, hq * dk)).astype(np.float32), "k": k.reshape(b, t, hk * dk).astype(np.float32),
         "v": rng.normal(size=(b, t, hk * dv)).astype(np.float32)}
    ins = ["q", "k", "v", "", "", ""]
    if draw(st.booleans()):
        f["past"] = rng.normal(size=(b, hk, dk, dv)).astype(np.float32)
        ins[3] = "past"
    gated, delta = rule in ("gated", "gated_delta", None), rule in ("delta", "gated_delta", None)
    if gated:
        last = hk * dk if draw(st.booleans()) else hk
        f["decay"] = (-rng.uniform(0, 1, size=(b, t, last))).astype(np.float32)
        ins[4] = "decay"
    if delta:
        f["beta"] = rng.uniform(0, 1, size=(b, t, hk if draw(st.booleans()) else 1)).astype(np.float32)
        ins[5] = "beta"
    while not ins[-1]:
        ins.pop()
    attrs = dict(q_num_heads=hq, kv_num_heads=hk, **({} if rule is None else {"update_rule": rule}))
    if draw(st.booleans()):
        attrs["scale"] = draw(st.sampled_from([0.25, 1.0]))
    n = helper.make_node("LinearAttention", ins, ["y", "state"], **attrs)
    return make_model([n], f, [("y", (b, t, hq * dv)), ("state", (b, hk, dk, dv))], opset=27), f


@settings(**SETTINGS)
@given(linear_attention_cases())
def test_linearattention_matches_onnxruntime(case):
    m, f = case
    graphs.check(m, f, rtol=1e-4)


@settings(**SETTINGS)
@given(b=st.integers(1, 2), c=st.integers(1, 4), n=st.integers(1, 6), k=st.integers(2, 4), bias=st.booleans(),
       past=st.booleans(), act=st.sampled_from([None, "none", "silu", "swish"]), seed=st.integers(0, 2**31))
def test_causalconvwithstate_matches_onnxruntime(b, c, n, k, bias, past, act, seed):
    rng = np.random.default_rng(seed)
    f = {"x": rng.normal(size=(b, c, n)).astype(np.float32)}
    inits = {"w": rng.normal(size=(c, 1, k)).astype(np.float32)}
    ins = ["x", "w", "", ""]
    if bias:
        inits["bias"] = rng.normal(size=(c,)).astype(np.float32)
        ins[2] = "bias"
    if past:
        f["past"] = rng.normal(size=(b, c, k - 1)).astype(np.float32)
        ins[3] = "past"
    while not ins[-1]:
        ins.pop()
    nd = helper.make_node("CausalConvWithState", ins, ["y", "state"], **({} if act is None else {"activation": act}))
    m = make_model([nd], f, [("y", (b, c, n)), ("state", (b, c, k - 1))], inits, opset=27)
    graphs.check(m, f)


def _streaming_block(frames, c=4, k=3, heads=2, seed=11):
    """x [1, c, frames] -> CausalConvWithState (silu) -> tokens -> LinearAttention (gated_delta): the
    Gated DeltaNet block, its two states graph inputs and outputs."""
    rng = np.random.default_rng(seed)
    inits = {"w": rng.normal(size=(c, 1, k)).astype(np.float32), "wb": rng.normal(size=(c, heads)).astype(np.float32)}
    nodes = [helper.make_node("CausalConvWithState", ["x", "w", "", "conv_in"], ["conv", "conv_out"],
                              activation="silu"),
             helper.make_node("Transpose", ["conv"], ["tok"], perm=[0, 2, 1]),
             helper.make_node("Sigmoid", ["tok"], ["gate"]),
             helper.make_node("Neg", ["gate"], ["decay"]),                     # per key dimension
             helper.make_node("MatMul", ["tok", "wb"], ["beta_pre"]),
             helper.make_node("Sigmoid", ["beta_pre"], ["beta"]),               # per head
             helper.make_node("LinearAttention", ["tok", "tok", "tok", "la_in", "decay", "beta"], ["y", "la_out"],
                              q_num_heads=heads, kv_num_heads=heads, update_rule="gated_delta")]
    d = c // heads
    return make_model(nodes, {"x": (1, c, frames), "conv_in": (1, c, k - 1), "la_in": (1, heads, d, d)},
                      [("y", (1, frames, c)), ("conv_out", (1, c, k - 1)), ("la_out", (1, heads, d, d))],
                      inits, opset=27)


def test_linearattention_causalconvwithstate_streaming_across_calls():
    """The block run one frame a call, each call's present states fed to the next as past states, equals
    onnxruntime on the whole sequence at once, frame by frame and in its final states."""
    from gen.host import HostModel
    frames = 6
    host = HostModel(gen_compile(_streaming_block(1), "blk").files)
    rng = np.random.default_rng(12)
    x = rng.normal(size=(1, 4, frames)).astype(np.float32)
    state = [rng.normal(size=(1, 4, 2)).astype(np.float32), 0.1 * rng.normal(size=(1, 2, 2, 2)).astype(np.float32)]
    want = ort_run(_streaming_block(frames), {"x": x, "conv_in": state[0], "la_in": state[1]})
    ys = []
    for t in range(frames):
        out = host.run(x[:, :, t:t + 1], *state)
        ys.append(out[0])
        state = out[1:]
    assert_close(np.concatenate(ys, axis=1), want[0], rtol=1e-4, what="per-frame output")
    assert_close(state[0], want[1], what="conv state")
    assert_close(state[1], want[2], rtol=1e-4, what="linear attention state")
