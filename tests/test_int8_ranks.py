"""int8 ops on tensors that are not 4-D, constants under Q/DQ, and int8 tensors without quantization.

Models are float graphs made with onnx.helper and quantized by onnxruntime's own quantize_static (QDQ,
per-channel QInt8), as a PyTorch 1-D audio CNN would be. Oracles: onnxruntime with graph optimizations
off (DQ -> float op -> Q, see graphs.py) end to end, and per layer: each int8 node's numpy reference fed
with onnxruntime's own int8 input tensors (in the memory layout gen gives them) must be within 1 LSB of
onnxruntime's output tensor. The generated C must equal the numpy reference bit for bit.
"""
from __future__ import annotations

import os
import tempfile

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from graphs import dequantize, gen_compile, lsb, ort_all_tensors, ort_run, quantize

L = 20        # sequence length of the 1-D models


def qstatic(fm: onnx.ModelProto, calib: list[np.ndarray]) -> onnx.ModelProto:
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"x": c} for c in calib])

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "f.onnx"), os.path.join(d, "q.onnx")
        onnx.save(fm, src)
        quantize_static(src, dst, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        return onnx.load(dst)


def fmodel(nodes, x_shape, inits, opset=13) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "r", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          initializer=[numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return with_output_shapes(m)


def with_output_shapes(m: onnx.ModelProto) -> onnx.ModelProto:
    inferred = onnx.shape_inference.infer_shapes(m).graph
    vis = {v.name: v for v in list(inferred.value_info) + list(inferred.output)}
    for o in m.graph.output:
        if not o.type.tensor_type.HasField("shape") and o.name in vis and vis[o.name].type.tensor_type.HasField("shape"):
            o.CopyFrom(vis[o.name])
    return m


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], {}

    def add(self, op, ins, out, **attrs):
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def const(self, name, v):
        self.inits[name] = np.asarray(v)
        return name

    def conv1d(self, x, cin, cout, out, k=3):
        w = self.const(out + "_w", self.rng.normal(0, 0.5, (cout, cin, k)).astype(np.float32))
        b = self.const(out + "_b", self.rng.normal(0, 0.1, cout).astype(np.float32))
        return self.add("Conv", [x, w, b], out, pads=[k // 2, k // 2], kernel_shape=[k])

    def bn(self, x, c, out):
        r = self.rng
        ps = [self.const(f"{out}_{k}", v.astype(np.float32)) for k, v in
              (("s", 1 + 0.2 * r.standard_normal(c)), ("b", 0.1 * r.standard_normal(c)),
               ("m", 0.1 * r.standard_normal(c)), ("v", 1 + 0.1 * r.random(c)))]
        return self.add("BatchNormalization", [x] + ps, out)


def audio_cnn(seed, head, bn=True):
    """Conv1d -> BatchNorm1d -> ReLU -> MaxPool1d -> Conv1d -> BatchNorm1d -> ReLU -> MaxPool1d -> mean over
    time (ReduceMean or GlobalAveragePool) -> Flatten -> Gemm -> Sigmoid."""
    b = Builder(seed)
    h = b.conv1d("x", 1, 8, "c1", k=5)
    h = b.bn(h, 8, "n1") if bn else h
    h = b.add("MaxPool", [b.add("Relu", [h], "r1")], "p1", kernel_shape=[2], strides=[2])
    h = b.conv1d(h, 8, 12, "c2")
    h = b.bn(h, 12, "n2") if bn else h
    h = b.add("MaxPool", [b.add("Relu", [h], "r2")], "p2", kernel_shape=[2], strides=[2])
    h = b.add("ReduceMean", [h], "m", axes=[2], keepdims=1) if head == "mean" else b.add("GlobalAveragePool", [h], "m")
    h = b.add("Flatten", [h], "f")
    w = b.const("fc_w", b.rng.normal(0, 0.4, (12, 3)).astype(np.float32))
    h = b.add("Gemm", [h, w, b.const("fc_b", np.zeros(3, np.float32))], "g")
    b.add("Sigmoid", [h], "y")
    return fmodel(b.nodes, (1, 1, 4 * L), b.inits)


def compile_and_compare(qm, x_shape, seed, e2e_tol, layer_tol=1, min_int8=1):
    """C == numpy reference; C vs onnxruntime end to end within e2e_tol LSB; every int8 layer fed
    onnxruntime's own int8 inputs within layer_tol LSB of onnxruntime's output."""
    from gen import refrun
    from gen.host import HostModel
    from gen.ops import family
    from gen.ops.layout import to_memory, to_model
    res = gen_compile(qm)
    g = res.graph
    rng = np.random.default_rng(seed + 1)
    t_in, t_out = res.summary["inputs"][0], res.summary["outputs"][0]
    x = rng.standard_normal(x_shape).astype(np.float32)
    xq = quantize(x, t_in["scale"], t_in["zero_point"])
    c = HostModel(res.files).run_s8(xq)[0]
    ref = to_model(g.t(g.outputs[0]), refrun.run(g, [to_memory(g.t(g.inputs[0]), xq)])[0])
    feeds = {"x": dequantize(xq, t_in["scale"], t_in["zero_point"])}
    want = ort_run(qm, feeds)[0]
    c = np.asarray(c).reshape(want.shape)
    ops = [n.op for n in g.nodes]
    if t_out["dtype"] == "float32":     # the model ends in a layer without an int8 kernel (float)
        np.testing.assert_allclose(c, ref.reshape(want.shape), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(c, want, rtol=1e-4, atol=1e-5 * float(np.abs(want).max()))
    else:
        assert np.array_equal(c, ref.reshape(want.shape)), f"C differs from the numpy reference: {lsb(c, ref)} LSB"
        want = quantize(want, t_out["scale"], t_out["zero_point"])
        assert lsb(c, want) <= e2e_tol, f"C vs onnxruntime: {lsb(c, want)} LSB ({ops})"
    # layer by layer on onnxruntime's tensors
    ort = ort_all_tensors(qm, feeds)

    def model_value(name):
        if name in ort and np.asarray(ort[name]).dtype == np.int8:
            return np.asarray(ort[name]).reshape(g.t(name).shape)
        p = g.producer(name)
        if p is not None and p.op in ("LayoutS8", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Copy"):
            v = model_value(p.inputs[0])
            return None if v is None else v.reshape(g.t(name).shape)
        return None

    checked = 0
    for n in g.nodes:
        y = n.outputs[0]
        if n.op in ("LayoutS8", "QuantizeLinear", "DequantizeLinear") or y not in ort or g.t(y).dtype != "int8":
            continue
        acts = [i for i in n.inputs if i and not g.t(i).is_const]
        vals = [model_value(i) for i in acts]
        if any(v is None for v in vals) or getattr(family(n), "reference", None) is None:
            continue
        got = family(n).reference(n, g, *[to_memory(g.t(i), v) for i, v in zip(acts, vals)])
        got = to_model(g.t(y), got)
        d = lsb(got, np.asarray(ort[y]).reshape(got.shape))
        assert d <= layer_tol, f"layer {n.name} ({n.op}) is {d} LSB from onnxruntime ({ops})"
        checked += 1
    assert checked >= min_int8, f"only {checked} int8 layers checked ({ops})"
    return res


# ----------------------------------------------------------------------------- the 1-D audio CNN

@pytest.mark.parametrize("head", ["mean", "gap"])
@pytest.mark.parametrize("bn", [True, False])
def test_audio_cnn_1d(head, bn):
    """The issue's model: its int8 MaxPool read the Conv's channels-first bytes as channels last."""
    fm = audio_cnn(3, head, bn)
    rng = np.random.default_rng(0)
    qm = qstatic(fm, [rng.standard_normal((1, 1, 4 * L)).astype(np.float32) for _ in range(16)])
    res = compile_and_compare(qm, (1, 1, 4 * L), 5, e2e_tol=2, min_int8=3)
    assert "MaxPoolS8" in [n.op for n in res.graph.nodes]


# ----------------------------------------------------------------------------- every int8 op on 3-D tensors

def _after_conv1d(op):
    """x [1, 3, L] -> Conv1d (channels last in gen) -> Relu -> the op under test -> y."""
    b = Builder(11)
    h = b.add("Relu", [b.conv1d("x", 3, 6, "c")], "r")
    if op == "MaxPool":
        b.add("MaxPool", [h], "y", kernel_shape=[3], strides=[2], pads=[1, 1])
    elif op == "AveragePool":
        b.add("AveragePool", [h], "y", kernel_shape=[3], strides=[1], pads=[1, 1])
    elif op == "GlobalAveragePool":
        b.add("GlobalAveragePool", [h], "y")
    elif op == "ReduceMean":
        b.add("ReduceMean", [h], "y", axes=[2], keepdims=1)
    elif op.startswith("Softmax"):
        b.add("Softmax", [h], "y", axis=int(op[len("Softmax"):]))
    elif op == "Concat1":
        b.add("Concat", [h, b.conv1d("x", 3, 2, "c2")], "y", axis=1)
    elif op == "Concat2":
        b.add("Concat", [h, b.conv1d("x", 3, 6, "c2")], "y", axis=2)
    elif op == "Pad":
        b.add("Pad", [h, b.const("pads", np.array([0, 1, 2, 0, 0, 3], np.int64))], "y")
    elif op == "AddConv":
        b.add("Add", [h, b.conv1d("x", 3, 6, "c2")], "y")
    elif op == "AddConst":
        b.add("Add", [h, b.const("k", b.rng.normal(size=(1, 6, 1)).astype(np.float32))], "y")
    elif op == "MulConst":
        b.add("Mul", [h, b.const("k", b.rng.uniform(0.5, 2, size=(1, 1, L)).astype(np.float32))], "y")
    elif op == "Sigmoid":
        b.add("Sigmoid", [h], "y")
    elif op == "Transpose":
        b.add("Transpose", [h], "y", perm=[0, 2, 1])
    elif op == "Reshape":
        b.add("Reshape", [h, b.const("shape", np.array([1, 6 * L], np.int64))], "y")
    elif op == "Unsqueeze2d":    # a Conv2d on [N, C, 1, L] after the Conv1d
        u = b.add("Unsqueeze", [h, b.const("ax", np.array([2], np.int64))], "u")
        w = b.const("w2", b.rng.normal(0, 0.5, (4, 6, 1, 3)).astype(np.float32))
        b.add("Conv", [u, w], "y", pads=[0, 1, 0, 1])
    elif op == "MatMul":
        b.add("MatMul", [h, b.const("mw", b.rng.normal(0, 0.3, (L, 5)).astype(np.float32))], "y")
    elif op == "Conv1dChain":
        b.add("MaxPool", [b.add("Relu", [b.conv1d(h, 6, 5, "c2")], "r2")], "y", kernel_shape=[2], strides=[2])
    return fmodel(b.nodes, (1, 3, L), b.inits)


OPS_3D = ["MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "Softmax1", "Softmax-1", "Concat1", "Concat2",
          "Pad", "AddConv", "AddConst", "MulConst", "Sigmoid", "Transpose", "Reshape", "Unsqueeze2d", "MatMul",
          "Conv1dChain"]


@pytest.mark.parametrize("op", OPS_3D)
def test_int8_op_after_conv1d(op):
    fm = _after_conv1d(op)
    rng = np.random.default_rng(1)
    qm = qstatic(fm, [rng.standard_normal((1, 3, L)).astype(np.float32) for _ in range(16)])
    # pools keep the input's scale (a requantize follows where the model changes it): up to 2 LSB then
    # (ReduceMean and a final Reshape stay float in onnxruntime's quantization: only the Conv is int8)
    res = compile_and_compare(qm, (1, 3, L), 2, e2e_tol=2, layer_tol=2 if "Pool" in op else 1,
                              min_int8=1 if op in ("ReduceMean", "Reshape") else 2)
    if op in ("Conv1dChain", "Unsqueeze2d", "MaxPool", "Concat1"):
        # consecutive channels-last layers: one transpose in (C = 3 > 1), one out, none in between
        assert [n.op for n in res.graph.nodes].count("LayoutS8") == 2, [n.op for n in res.graph.nodes]


@pytest.mark.parametrize("shape,op", [((1, 2, 3, 2, 4), "Sigmoid"), ((1, 2, 3, 2, 4), "Add"),
                                      ((1, 2, 3, 2, 4), "Softmax"), ((2, 7), "Softmax"), ((2, 7), "Add"),
                                      ((1, 4, 6), "Softmax1")])
def test_int8_ops_other_ranks(shape, op):
    """5-D, 2-D and 3-D inputs straight from the graph input (model order)."""
    b = Builder(4)
    if op == "Add":
        b.add("Add", ["x", b.const("k", b.rng.normal(size=shape[-1:]).astype(np.float32))], "y")
    elif op == "Softmax1":
        b.add("Softmax", ["x"], "y", axis=1)
    else:
        b.add(op, ["x"], "y")
    fm = fmodel(b.nodes, shape, b.inits)
    rng = np.random.default_rng(2)
    qm = qstatic(fm, [rng.standard_normal(shape).astype(np.float32) for _ in range(16)])
    compile_and_compare(qm, shape, 3, e2e_tol=1)


# ----------------------------------------------------------------------------- constants under Q/DQ

def _qdq_weight_model(kind):
    """x -> Q -> DQ -> Conv whose weight is a constant chain under Q/DQ, as onnxruntime's quantizer writes
    for a weight reshaped at export (Reshape -> Q -> DQ), or a DQ -> Reshape -> Q -> DQ chain."""
    rng = np.random.default_rng(7)
    inits = {"s_x": np.float32(0.02), "z_x": np.int8(3), "s_y": np.float32(0.05), "z_y": np.int8(-2),
             "s_w": np.float32(0.01), "z_w": np.int8(0),
             "wshape": np.array([4, 2, 3], np.int64)}
    w = rng.normal(0, 0.4, (4, 6)).astype(np.float32)
    nodes = [helper.make_node("QuantizeLinear", ["x", "s_x", "z_x"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s_x", "z_x"], ["xd"])]
    if kind == "reshape_q":
        inits["w"] = w
        nodes += [helper.make_node("Reshape", ["w", "wshape"], ["wr"]),
                  helper.make_node("QuantizeLinear", ["wr", "s_w", "z_w"], ["wq"])]
    elif kind == "dq_transpose":   # per-channel int8 weight stored [k, cin, cout]: DQ (axis 2) -> Transpose
        s4 = (0.005 + 0.01 * rng.random(4)).astype(np.float32)
        inits["w8t"] = np.clip(np.rint(w.reshape(4, 2, 3).transpose(2, 1, 0) / s4), -127, 127).astype(np.int8)
        inits["s_w4"], inits["z_w4"] = s4, np.zeros(4, np.int8)
        nodes += [helper.make_node("DequantizeLinear", ["w8t", "s_w4", "z_w4"], ["wt"], axis=2),
                  helper.make_node("Transpose", ["wt"], ["wd"], perm=[2, 1, 0])]
    else:   # dq_reshape_q: the weight stored int8, dequantized, reshaped, quantized again with another scale
        inits["w8"] = np.clip(np.rint(w / 0.013), -127, 127).astype(np.int8)
        inits["s_w8"] = np.float32(0.013)
        nodes += [helper.make_node("DequantizeLinear", ["w8", "s_w8", "z_w"], ["wd0"]),
                  helper.make_node("Reshape", ["wd0", "wshape"], ["wr"]),
                  helper.make_node("QuantizeLinear", ["wr", "s_w", "z_w"], ["wq"])]
    if kind != "dq_transpose":
        nodes.append(helper.make_node("DequantizeLinear", ["wq", "s_w", "z_w"], ["wd"]))
    nodes += [helper.make_node("Conv", ["xd", "wd"], ["c"], pads=[1, 1]),
              helper.make_node("QuantizeLinear", ["c", "s_y", "z_y"], ["yq"]),
              helper.make_node("DequantizeLinear", ["yq", "s_y", "z_y"], ["y"])]
    return fmodel(nodes, (1, 2, L), inits)


@pytest.mark.parametrize("kind", ["reshape_q", "dq_reshape_q", "dq_transpose"])
def test_qdq_chain_on_constant_weight(kind):
    """Was: 'internal error: TypeError: QuantizeLinear.reference() missing ... x' under --verify."""
    qm = _qdq_weight_model(kind)
    res = compile_and_compare(qm, (1, 2, L), 0, e2e_tol=1)
    ops = [n.op for n in res.graph.nodes]
    assert "ConvS8" in ops and "QuantizeLinear" not in ops[1:], ops


def test_qdq_constant_folding_cli(tmp_path):
    """--verify on the same model through the command line: exit 0, C equals the reference."""
    from hostile_cases import run_gen, save
    r = run_gen([save(_qdq_weight_model("reshape_q"), tmp_path / "m.onnx"), "-o", str(tmp_path / "out"), "--verify"],
                tmp_path)
    assert r.returncode == 0, r.stderr
    assert "C equals the numpy integer reference" in r.stdout
    assert "verify: PASS" in r.stdout, r.stdout


def test_plain_int8_cli_verify(tmp_path):
    """int8 graph input -> Identity -> int8 output, no Q/DQ: --verify runs (was KeyError 'scale')."""
    from hostile_cases import run_gen, save
    r = run_gen([save(plain_model("Identity", (1, 3, 4), {}), tmp_path / "m.onnx"), "-o", str(tmp_path / "out"),
                 "--verify"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "C equals the numpy integer reference" in r.stdout, r.stdout
    assert "verify: PASS" in r.stdout, r.stdout


# ----------------------------------------------------------------------------- int8 without quantization

PLAIN = [("Identity", (1, 3, 4), {}), ("Transpose", (1, 3, 4), dict(perm=[0, 2, 1])),
         ("Reshape", (1, 3, 4), {}), ("Flatten", (1, 3, 4), {}), ("Concat", (1, 3, 4), dict(axis=2)),
         ("Pad", (1, 3, 4), {}), ("Squeeze", (1, 3, 1), {}), ("Unsqueeze", (3, 4), {})]


def plain_model(op, shape, attrs):
    inits = []
    ins = ["x"]
    if op == "Reshape":
        inits.append(numpy_helper.from_array(np.array([4, 3], np.int64), "shape"))
        ins.append("shape")
    elif op == "Concat":
        ins.append("x")
    elif op == "Pad":
        inits += [numpy_helper.from_array(np.array([0, 1, 0, 0, 0, 2], np.int64), "pads"),
                  numpy_helper.from_array(np.array(7, np.int8), "v")]
        ins += ["pads", "v"]
    elif op in ("Squeeze", "Unsqueeze"):
        inits.append(numpy_helper.from_array(np.array([2] if op == "Squeeze" else [0], np.int64), "axes"))
        ins.append("axes")
    g = helper.make_graph([helper.make_node(op, ins, ["y"], **attrs)], "p",
                          [helper.make_tensor_value_info("x", TensorProto.INT8, list(shape))],
                          [helper.make_tensor_value_info("y", TensorProto.INT8, None)], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    return with_output_shapes(m)


@pytest.mark.parametrize("op,shape,attrs", PLAIN, ids=[p[0] for p in PLAIN])
def test_plain_int8_byte_moves(op, shape, attrs):
    """int8 in, int8 out, no Q/DQ anywhere: gen moves the bytes as onnxruntime does (was KeyError 'scale')."""
    from gen.host import HostModel
    m = plain_model(op, shape, attrs)
    res = gen_compile(m)
    x = np.random.default_rng(0).integers(-128, 128, size=shape, dtype=np.int8)
    want = ort_run(m, {"x": x})[0]
    hm = HostModel(res.files)
    got = hm.run_s8(x)[0]
    assert np.array_equal(np.asarray(got).reshape(want.shape), want)
    # the float entry point converts plain integers as they are
    np.testing.assert_array_equal(np.asarray(hm.run(x.astype(np.float32))[0]).reshape(want.shape), want)


def test_concat_constant_part_channels_last():
    """A Concat of a channels-last Conv1d output and a constant int8 part: the constant is stored in the
    output's memory order too (onnxruntime on the DQ -> Concat -> Q graph is the oracle)."""
    rng = np.random.default_rng(9)
    w = np.clip(np.rint(rng.normal(0, 40, (4, 2, 3))), -127, 127).astype(np.int8)
    inits = {"s_x": np.float32(0.02), "z_x": np.int8(0), "s_y": np.float32(0.05), "z_y": np.int8(1),
             "s_w": np.float32(0.01), "z_w": np.int8(0), "w": w,
             "k": rng.integers(-100, 100, (1, 3, L), dtype=np.int8)}
    nodes = [helper.make_node("QuantizeLinear", ["x", "s_x", "z_x"], ["xq"]),
             helper.make_node("DequantizeLinear", ["xq", "s_x", "z_x"], ["xd"]),
             helper.make_node("DequantizeLinear", ["w", "s_w", "z_w"], ["wd"]),
             helper.make_node("Conv", ["xd", "wd"], ["c"], pads=[1, 1]),
             helper.make_node("QuantizeLinear", ["c", "s_y", "z_y"], ["cq"]),
             helper.make_node("DequantizeLinear", ["cq", "s_y", "z_y"], ["cd"]),
             helper.make_node("DequantizeLinear", ["k", "s_y", "z_y"], ["kd"]),
             helper.make_node("Concat", ["cd", "kd"], ["cat"], axis=1),
             helper.make_node("QuantizeLinear", ["cat", "s_y", "z_y"], ["yq"]),
             helper.make_node("DequantizeLinear", ["yq", "s_y", "z_y"], ["y"])]
    res = compile_and_compare(fmodel(nodes, (1, 2, L), inits), (1, 2, L), 0, e2e_tol=1)
    assert "Concat" in [n.op for n in res.graph.nodes]
