"""onnxruntime's QOperator form (QLinearConv, QGemm, QLinearSoftmax, ... with int8 tensors between them)
compiles to the same integer kernels as the QDQ form and agrees with onnxruntime."""
import logging
import os

import numpy as np
import onnx
import pytest

from gen import driver, frontend, refrun, verify
from gen.host import HostModel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "gen", "examples", "digits_cnn.onnx")
logging.getLogger().setLevel(logging.ERROR)


def quantize_qoperator(src, dst, shape, n=16):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            rng = np.random.default_rng(0)
            self.it = iter([{"input": rng.standard_normal(shape).astype(np.float32)} for _ in range(n)])

        def get_next(self):
            return next(self.it, None)
    quantize_static(src, dst, Reader(), quant_format=QuantFormat.QOperator, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)


@pytest.fixture(scope="module")
def qop_model(tmp_path_factory):
    dst = str(tmp_path_factory.mktemp("qop") / "digits_qop.onnx")
    quantize_qoperator(EXAMPLE, dst, (1, 1, 8, 8))
    return dst


def test_qoperator_ops_present(qop_model):
    ops = {n.op_type for n in onnx.load(qop_model).graph.node}
    assert {"QLinearConv", "QGemm", "QLinearSoftmax"} <= ops


def test_qoperator_matches_onnxruntime(qop_model):
    import onnxruntime as ort
    res = driver.compile_graph(frontend.load(qop_model, name="q"), "q", qop_model)
    kernels = {n.op for n in res.graph.nodes}
    assert {"ConvS8", "FullyConnectedS8", "SoftmaxS8"} <= kernels
    host = HostModel(res.files)
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    m = onnx.load(qop_model)
    m.graph.output.append(onnx.helper.make_tensor_value_info("logits_quantized", onnx.TensorProto.INT8, None))
    sess = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    t_in = res.summary["inputs"][0]
    rng = np.random.default_rng(1)
    for _ in range(10):
        x = rng.standard_normal((1, 1, 8, 8)).astype(np.float32)
        xq = verify.quantize(x, t_in)
        got = host.run_s8(xq)[0]
        vals = refrun.run(res.graph, [xq], keep=True)
        ref = vals[res.graph.outputs[0]]
        # the model keeps BatchNormalization in float between its integer layers: 1 LSB of float rounding
        assert np.max(np.abs(got.astype(int) - ref.astype(int))) <= 1
        want, want_logits = sess.run(None, {"input": x})
        # logits within 2 LSB; softmax (1/256 steps, onnxruntime's float exp) amplifies them, so there argmax
        assert np.max(np.abs(vals["logits_quantized"].astype(int) - want_logits.astype(int))) <= 2
        assert np.argmax(want) == np.argmax(got)
