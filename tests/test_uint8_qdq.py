"""uint8-quantized models (onnxruntime's QUInt8 activations and weights, QDQ and QOperator) compile to the
int8 kernels: a uint8 tensor q with zero point z is the int8 tensor q - 128 with zero point z - 128 and the
same scale (gen.qpasses.uint8_to_int8). Each model is quantized here by onnxruntime's quantize_static with
a calibration reader; the oracles are gen's numpy integer reference (the C equals it bit for bit) and
onnxruntime running the model's own nodes per layer (gen.layercheck, at most 1 LSB, with onnxruntime's
uint8 values compared as q - 128)."""
import logging
import os

import numpy as np
import onnx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from gen import driver, frontend, layercheck, refrun, verify
from gen.host import HostModel
from graphs import float_model, node, ort_session

logging.getLogger().setLevel(logging.ERROR)
MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "models")


def quantize(fm, path, shape, weight_type="QUInt8", per_channel=True, fmt="QDQ", n=8, seed=0, extra=None,
             inp="x"):
    """onnxruntime's quantize_static with uint8 activations; returns the quantized model's path."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    src = str(path) + ".f.onnx"
    onnx.save(fm, src) if isinstance(fm, onnx.ModelProto) else None
    rng = np.random.default_rng(seed)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{inp: rng.standard_normal(shape).astype(np.float32)} for _ in range(n)])

        def get_next(self):
            return next(self.it, None)
    dst = str(path) + ".q.onnx"
    quantize_static(src if isinstance(fm, onnx.ModelProto) else fm, dst, Reader(),
                    quant_format=getattr(QuantFormat, fmt), per_channel=per_channel,
                    activation_type=QuantType.QUInt8, weight_type=getattr(QuantType, weight_type),
                    extra_options=extra or {})
    return dst


def compile_and_verify(path, trials=3):
    """Compiles the model, runs --verify's checks (C == numpy reference exactly, every layer within its
    tolerance of onnxruntime) and returns the compile result."""
    res = driver.compile_graph(frontend.load(path, name="q"), "q", path)
    worst, ok = verify.against_onnxruntime(path, res, trials=trials)
    layers = res.summary["verify_layers"]
    assert ok, (worst, layers["failing"])
    assert layers["int8_layers"] > 0 and not layers["unchecked"], layers
    assert all("equals the numpy integer reference" in w["extra"] for w in worst), worst
    return res


def _uint8_in_model(path) -> bool:
    m = onnx.load(path)
    return any(i.data_type == TensorProto.UINT8 for i in m.graph.initializer)


def cnn(rng):
    def w(*s):
        return (rng.standard_normal(s) * 0.4).astype(np.float32)
    return float_model(
        [node("Conv", ["x", "W1", "B1"], ["c1"], pads=[1, 1, 1, 1]), node("Relu", ["c1"], ["r1"]),
         node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
         node("Conv", ["p1", "W2", "B2"], ["c2"], group=4, pads=[1, 1, 1, 1]), node("Relu", ["c2"], ["r2"]),
         node("Add", ["r2", "p1"], ["a"]),
         node("GlobalAveragePool", ["a"], ["g"]), node("Flatten", ["g"], ["f"]),
         node("Gemm", ["f", "W3", "B3"], ["z"], transB=1), node("Softmax", ["z"], ["y"])],
        {"x": (1, 3, 8, 8)}, ["y"],
        {"W1": w(4, 3, 3, 3), "B1": w(4), "W2": w(4, 1, 3, 3), "B2": w(4), "W3": w(5, 4), "B3": w(5)})


@pytest.mark.parametrize("weight_type,per_channel,symmetric", [
    ("QInt8", True, None), ("QInt8", False, None), ("QUInt8", True, None), ("QUInt8", False, True)])
def test_uint8_cnn_int8_kernels(tmp_path, weight_type, per_channel, symmetric):
    """uint8 activations with int8 weights, or uint8 weights with zero point 128 (symmetric): every op
    an int8 kernel, as for the int8 model."""
    extra = {} if symmetric is None else {"WeightSymmetric": symmetric}
    path = quantize(cnn(np.random.default_rng(1)), tmp_path / "m", (1, 3, 8, 8), weight_type, per_channel,
                    extra=extra)
    assert _uint8_in_model(path)
    res = compile_and_verify(path)
    ops = {n.op for n in res.graph.nodes}
    assert {"ConvS8", "FullyConnectedS8", "SoftmaxS8", "AddS8"} <= ops, ops
    assert not res.graph.notes, res.graph.notes
    assert all(t.dtype != "uint8" for t in res.graph.tensors.values() if not t.is_const)


def test_uint8_asymmetric_weights_fall_back_to_float(tmp_path):
    """uint8 weights whose zero point is not 128 are asymmetric int8: CMSIS-NN's kernels take symmetric
    weights only, so those layers compute in float between dequantize and quantize (said in the notes)."""
    path = quantize(cnn(np.random.default_rng(2)), tmp_path / "m", (1, 3, 8, 8), "QUInt8", False,
                    extra={"WeightSymmetric": False})
    m = onnx.load(path)
    zps = [numpy_helper.to_array(i) for i in m.graph.initializer if i.name.endswith("zero_point")
           and i.data_type == TensorProto.UINT8]
    assert zps
    res = compile_and_verify(path)
    assert any("Conv" in note and "in float" in note for note in res.graph.notes), res.graph.notes


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), hidden=st.integers(2, 12), per_channel=st.booleans(),
       weight_type=st.sampled_from(["QInt8", "QUInt8"]))
def test_uint8_mlp_matches_onnxruntime(tmp_path_factory, seed, hidden, per_channel, weight_type):
    rng = np.random.default_rng(seed)
    fm = float_model([node("Gemm", ["x", "W1", "B1"], ["h"], transB=1), node("Relu", ["h"], ["r"]),
                      node("Gemm", ["r", "W2", "B2"], ["y"], transB=1)], {"x": (1, 6)}, ["y"],
                     {"W1": rng.standard_normal((hidden, 6)).astype(np.float32),
                      "B1": rng.standard_normal(hidden).astype(np.float32),
                      "W2": rng.standard_normal((3, hidden)).astype(np.float32),
                      "B2": rng.standard_normal(3).astype(np.float32)})
    path = quantize(fm, tmp_path_factory.mktemp("mlp") / "m", (1, 6), weight_type, per_channel, seed=seed,
                    extra={"WeightSymmetric": True})
    res = compile_and_verify(path)
    assert "FullyConnectedS8" in {n.op for n in res.graph.nodes}


def _uint8_io(path) -> onnx.ModelProto:
    """The quantized model with its boundary Q and DQ taken away: a uint8 graph input and output."""
    m = onnx.load(path)
    g = m.graph
    q_in = next(n for n in g.node if n.op_type == "QuantizeLinear" and n.input[0] == g.input[0].name)
    dq_out = next(n for n in g.node if n.op_type == "DequantizeLinear" and n.output[0] == g.output[0].name)
    g.node.remove(q_in)
    g.node.remove(dq_out)
    shape_in = [d.dim_value for d in g.input[0].type.tensor_type.shape.dim]
    shape_out = [d.dim_value for d in g.output[0].type.tensor_type.shape.dim]
    del g.input[:]
    del g.output[:]
    g.input.append(helper.make_tensor_value_info(q_in.output[0], TensorProto.UINT8, shape_in))
    g.output.append(helper.make_tensor_value_info(dq_out.input[0], TensorProto.UINT8, shape_out))
    onnx.checker.check_model(m)
    return m


def test_uint8_graph_input_and_output_at_the_api(tmp_path):
    """A uint8 image in, uint8 scores out: the API takes and returns uint8_t with the model's own scale and
    zero point, and the C equals onnxruntime within 1 LSB end to end on this two-layer model, the numpy
    reference exactly."""
    rng = np.random.default_rng(3)
    fm = float_model([node("Conv", ["x", "W", "B"], ["c"], pads=[1, 1, 1, 1]), node("Relu", ["c"], ["y"])],
                     {"x": (1, 2, 5, 5)}, ["y"],
                     {"W": (rng.standard_normal((3, 2, 3, 3)) * 0.5).astype(np.float32),
                      "B": rng.standard_normal(3).astype(np.float32)})
    m = _uint8_io(quantize(fm, tmp_path / "m", (1, 2, 5, 5), "QInt8", True))
    path = str(tmp_path / "io.onnx")
    onnx.save(m, path)
    res = compile_and_verify(path)
    header = res.files["q.h"].decode()
    assert "int q_run(const uint8_t *input0, uint8_t *output0);" in header
    assert "q_run_s8" not in header
    dq_in = next(n for n in m.graph.node if n.input[0] == m.graph.input[0].name)
    zp_in = int(numpy_helper.to_array(next(i for i in m.graph.initializer if i.name == dq_in.input[2])))
    assert f"#define Q_INPUT0_ZERO_POINT {zp_in}" in header
    assert sum(n.op == "FlipSignS8" for n in res.graph.nodes) == 2
    host = HostModel(res.files)
    sess = ort_session(m)
    for k in range(4):
        x = rng.integers(0, 256, (1, 2, 5, 5)).astype(np.uint8)
        if k == 0:
            x[:] = rng.choice([0, 255], x.shape)
        got = host.run(x)[0]
        assert got.dtype == np.uint8
        want = sess.run(None, {m.graph.input[0].name: x})[0]
        assert np.max(np.abs(got.astype(int) - want.astype(int))) <= 1
        assert np.array_equal(got, refrun.run(res.graph, [x])[0].reshape(got.shape))


def test_uint8_qoperator_qlinearconv(tmp_path):
    """QLinearConv / QLinearMatMul (QGemm) with uint8 tensors: the same int8 kernels."""
    path = quantize(cnn(np.random.default_rng(4)), tmp_path / "m", (1, 3, 8, 8), "QInt8", True, fmt="QOperator")
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert "QLinearConv" in ops, ops
    res = compile_and_verify(path)
    assert {"ConvS8", "FullyConnectedS8"} <= {n.op for n in res.graph.nodes}


def test_uint8_layercheck_sees_a_wrong_layer(tmp_path):
    """The layer check compares gen's int8 with onnxruntime's uint8 as q - 128: one flipped value of a
    layer is found (and an unchanged run is within 1 LSB)."""
    path = quantize(cnn(np.random.default_rng(5)), tmp_path / "m", (1, 3, 8, 8), "QInt8", True)
    res = driver.compile_graph(frontend.load(path, name="q"), "q", path)
    g = res.graph
    x = np.random.default_rng(0).integers(-128, 128, g.t(g.inputs[0]).shape).astype(np.int8)
    from gen.ops.layout import to_memory
    vals = refrun.run(g, [to_memory(g.t(g.inputs[0]), x)], keep=True)
    lc = layercheck.LayerCheck(path, g)
    assert lc.layers and all(layer.ok for layer in lc.run(vals))
    conv = next(n for n in g.nodes if n.op == "ConvS8")
    vals[conv.outputs[0]] = vals[conv.outputs[0]].copy()
    vals[conv.outputs[0]].reshape(-1)[0] += np.int8(40) if vals[conv.outputs[0]].reshape(-1)[0] < 0 else np.int8(-40)
    lc2 = layercheck.LayerCheck(path, g)
    bad = [layer for layer in lc2.run(vals) if not layer.ok]
    assert any(layer.tensor == conv.outputs[0] for layer in bad), [(l.tensor, l.err) for l in lc2.layers]


def test_uint8_activation_cli_verify_passes(tmp_path):
    """`python -m gen --verify` on a uint8 QuantizeLinear -> DequantizeLinear -> Relu (refused before):
    exit 0, verify: PASS, the graph input quantized to int8 with zero point 128 - 128 = 0."""
    import subprocess
    import sys
    s, z = numpy_helper.from_array(np.float32(0.1), "s"), numpy_helper.from_array(np.uint8(128), "z")
    m = helper.make_model(helper.make_graph(
        [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"]), helper.make_node("DequantizeLinear",
                                                                                      ["q", "s", "z"], ["d"]),
         helper.make_node("Relu", ["d"], ["y"])], "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [s, z]),
        opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, tmp_path / "m.onnx")
    r = subprocess.run([sys.executable, "-m", "gen", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "out"),
                        "--verify", "--name", "m"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "verify: PASS" in r.stdout, r.stdout + r.stderr
    assert "#define M_INPUT0_ZERO_POINT 0" in (tmp_path / "out" / "m.h").read_text()


@pytest.mark.parametrize("stem,shape", [("kws_dscnn", (1, 1, 49, 10)), ("ic_resnet8", (1, 3, 32, 32))])
def test_uint8_mlperf_float_models_quantized_to_uint8(tmp_path, stem, shape):
    src = os.path.join(MODELS, f"{stem}_float32.onnx")
    if not os.path.exists(src):
        pytest.skip("no ../shared/models")
    inp = onnx.load(src).graph.input[0].name
    path = quantize(src, tmp_path / stem, shape, "QInt8", True, n=3, inp=inp)
    res = compile_and_verify(path, trials=2)
    assert "ConvS8" in {n.op for n in res.graph.nodes}
