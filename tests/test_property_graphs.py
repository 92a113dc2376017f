"""Property tests: Hypothesis draws whole graphs, gen compiles them, the C must agree.

Graphs are chains and DAGs of the supported ops (branches that rejoin through Add, Mul or
Concat), with random shapes, kernel sizes, strides, symmetric and asymmetric pads, dilations,
groups and depth multipliers, broadcasting and fused activations. Each float graph is compared
with onnxruntime; its int8 version (onnxruntime's quantize_static, QDQ, per-channel) must equal
gen's numpy integer reference bit for bit and stay close to onnxruntime's QDQ semantics.

A failing graph is saved (after shrinking, Hypothesis's last failing example is the small one)
under tests/regressions/, which test_regressions.py replays on every run.
Profiles: HYPOTHESIS_PROFILE=ci (default, fits the CI budget) or deep (long runs):
    HYPOTHESIS_PROFILE=deep python -m pytest tests/test_property_graphs.py -q
"""
from __future__ import annotations

import hashlib
import logging
import os

import numpy as np
import onnx
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from gen import driver, frontend, layercheck, refrun, verify
from gen.host import HostModel
from gen.ops.layout import to_memory

HERE = os.path.dirname(os.path.abspath(__file__))
REGRESSIONS = os.path.join(HERE, "regressions")

FLOAT_EXAMPLES = 1000 if os.environ.get("HYPOTHESIS_PROFILE") == "deep" else 25

DRAWN = {"float": 0, "int8": 0}
logging.getLogger().setLevel(logging.ERROR)   # onnxruntime's quantizer warns about pre-processing


class Builder:
    """Accumulates nodes and initializers while shapes are tracked in Python."""

    def __init__(self, draw, rng):
        self.draw, self.rng = draw, rng
        self.nodes, self.inits, self.k = [], [], 0

    def name(self, hint):
        self.k += 1
        return f"{hint}{self.k}"

    def const(self, arr, hint="w"):
        n = self.name(hint)
        arr = np.asarray(arr)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        self.inits.append(numpy_helper.from_array(arr, n))
        return n

    def add(self, op, inputs, hint, **attrs):
        out = self.name(hint)
        self.nodes.append(helper.make_node(op, inputs, [out], name=self.name(op.lower() + "_"), **attrs))
        return out

    def conv(self, x, shape):
        d = self.draw
        n, c, h, w = shape
        k = d(st.sampled_from([1, 3, 5]))
        stride = d(st.sampled_from([1, 1, 2]))
        dil = d(st.sampled_from([1, 1, 2]))
        span = (k - 1) * dil + 1
        pads = [d(st.integers(0, k // 2 * dil)) for _ in range(4)]
        if h + pads[0] + pads[2] < span or w + pads[1] + pads[3] < span:
            pads = [span // 2] * 4
        kind = d(st.sampled_from(["full", "depthwise", "group"]))
        if kind == "depthwise":
            group, m = c, c * d(st.sampled_from([1, 2]))
        elif kind == "group" and c % 2 == 0 and c > 2:
            group, m = 2, 2 * d(st.integers(1, 4))
        else:
            group, m = 1, d(st.integers(1, 8))
        wgt = self.rng.standard_normal((m, c // group, k, k)).astype(np.float32) / np.sqrt(k * k * c / group)
        bias = self.rng.standard_normal(m).astype(np.float32) * 0.1
        y = self.add("Conv", [x, self.const(wgt), self.const(bias, "b")], "conv", kernel_shape=[k, k],
                     strides=[stride, stride], dilations=[dil, dil], pads=pads, group=group)
        oh = (h + pads[0] + pads[2] - span) // stride + 1
        ow = (w + pads[1] + pads[3] - span) // stride + 1
        y = self.activation(y)
        return y, (n, m, oh, ow)

    def activation(self, y):
        act = self.draw(st.sampled_from(["none", "Relu", "Relu", "Clip", "LeakyRelu", "Sigmoid", "HardSwish", "Tanh"]))
        if act == "none":
            return y
        if act == "Clip":
            return self.add("Clip", [y, self.const(np.float32(0.0), "lo"), self.const(np.float32(6.0), "hi")], "clip")
        if act == "LeakyRelu":
            return self.add("LeakyRelu", [y], "lrelu", alpha=0.1)
        return self.add(act, [y], act.lower())

    def pool(self, x, shape):
        n, c, h, w = shape
        k = self.draw(st.integers(2, min(3, h, w)))
        s = self.draw(st.integers(1, k))
        op = self.draw(st.sampled_from(["MaxPool", "AveragePool"]))
        y = self.add(op, [x], "pool", kernel_shape=[k, k], strides=[s, s])
        return y, (n, c, (h - k) // s + 1, (w - k) // s + 1)


@st.composite
def graphs(draw):
    """A random float32 model: input [1,C,H,W] -> body (DAG) -> GlobalAveragePool -> Flatten -> Gemm."""
    seed = draw(st.integers(0, 2**31 - 1))
    b = Builder(draw, np.random.default_rng(seed))
    shape = (1, draw(st.integers(1, 6)), draw(st.integers(4, 12)), draw(st.integers(4, 12)))
    x0 = "input"
    live = [(x0, shape)]
    for _ in range(draw(st.integers(1, 5))):
        x, shp = live[-1]
        step = draw(st.sampled_from(["conv", "conv", "pool", "residual", "concat", "mul"]))
        if step == "pool" and min(shp[2:]) >= 2:
            live.append(b.pool(x, shp))
        elif step == "residual":
            # two conv branches with stride 1 and 'same' padding rejoin through Add
            y1 = b.add("Conv", [x, b.const(b.rng.standard_normal((shp[1], shp[1], 3, 3)).astype(np.float32) / 3)],
                       "br", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
            y = b.add("Add", [y1, x], "add")
            live.append((b.activation(y), shp))
        elif step == "concat":
            y1, s1 = b.add("Relu", [x], "r"), shp
            y2 = b.add("Conv", [x, b.const(b.rng.standard_normal((2, shp[1], 1, 1)).astype(np.float32))], "c1",
                       kernel_shape=[1, 1])
            live.append((b.add("Concat", [y1, y2], "cat", axis=1), (1, s1[1] + 2, shp[2], shp[3])))
        elif step == "mul":
            scale = b.const(b.rng.uniform(0.5, 1.5, (1, shp[1], 1, 1)).astype(np.float32), "s")
            live.append((b.add("Mul", [x, scale], "mul"), shp))
        else:
            live.append(b.conv(x, shp))
        assume(live[-1][1][2] >= 1 and live[-1][1][3] >= 1)
    x, shp = live[-1]
    g = b.add("GlobalAveragePool", [x], "gap")
    f = b.add("Flatten", [g], "flat")
    ncls = draw(st.integers(2, 6))
    wf = b.rng.standard_normal((ncls, shp[1])).astype(np.float32)
    y = b.add("Gemm", [f, b.const(wf), b.const(np.zeros(ncls, np.float32), "fb")], "fc", transB=1)
    if draw(st.booleans()):
        y = b.add("Softmax", [y], "sm", axis=-1)
    graph = helper.make_graph(b.nodes, "prop", [helper.make_tensor_value_info(x0, TensorProto.FLOAT, list(shape))],
                              [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, ncls])], initializer=b.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


POOLS_1D = ("MaxPool", "AveragePool", "GlobalAveragePool")


@st.composite
def graphs_nd(draw, rank: int, pool: str | None = None):
    """A random float32 model on 3-D tensors [1, C, L] (rank 3: Conv1d, residual Add, Concat, Softmax on
    3-D, and `pool`, forced at least once: MaxPool1d / AveragePool1d, or GlobalAveragePool on 3-D at the
    end) or on 2-D tensors [N, K] (rank 2: Gemm, residual Add, Concat, Softmax), ending in Flatten -> Gemm."""
    seed = draw(st.integers(0, 2**31 - 1))
    b = Builder(draw, np.random.default_rng(seed))
    if rank == 3:
        shape = (1, draw(st.integers(1, 6)), draw(st.integers(4, 16)))
    else:
        shape = (draw(st.integers(1, 3)), draw(st.integers(2, 16)))
    x, shp = "input", shape
    steps = draw(st.lists(st.sampled_from(["layer", "layer", "residual", "concat", "softmax"]), min_size=1,
                          max_size=4))
    if pool in ("MaxPool", "AveragePool"):
        steps.insert(draw(st.integers(0, len(steps))), "pool")
    for step in steps:
        c = shp[1]
        if step == "pool" and shp[2] >= 2:
            k = draw(st.integers(2, min(3, shp[2])))
            st_ = draw(st.integers(1, k))
            x = b.add(pool, [x], "pool", kernel_shape=[k], strides=[st_])
            shp = (1, c, (shp[2] - k) // st_ + 1)
        elif step == "softmax":
            x = b.add("Softmax", [x], "sm", axis=-1)     # gen's int8 softmax: the last axis
        elif step == "residual":
            if rank == 3:
                w = b.rng.standard_normal((c, c, 3)).astype(np.float32) / np.sqrt(3 * c)
                y1 = b.add("Conv", [x, b.const(w)], "br", kernel_shape=[3], pads=[1, 1])
            else:
                w = b.rng.standard_normal((c, c)).astype(np.float32) / np.sqrt(c)
                y1 = b.add("Gemm", [x, b.const(w), b.const(np.zeros(c, np.float32), "b")], "br", transB=1)
            x = b.activation(b.add("Add", [y1, x], "add"))
        elif step == "concat":
            y1 = b.add("Relu", [x], "r")
            if rank == 3:
                y2 = b.add("Conv", [x, b.const(b.rng.standard_normal((2, c, 1)).astype(np.float32))], "c1",
                           kernel_shape=[1])
            else:
                y2 = b.add("Gemm", [x, b.const(b.rng.standard_normal((2, c)).astype(np.float32))], "c1", transB=1)
            x = b.add("Concat", [y1, y2], "cat", axis=1)
            shp = (shp[0], c + 2) + shp[2:]
        elif rank == 3:
            k = draw(st.sampled_from([1, 3, 5]))
            stride, dil = draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2]))
            span = (k - 1) * dil + 1
            pads = [draw(st.integers(0, k // 2 * dil)) for _ in range(2)]
            if shp[2] + sum(pads) < span:
                pads = [span // 2] * 2
            if draw(st.booleans()) and c > 1:
                group, m = c, c
            else:
                group, m = 1, draw(st.integers(1, 8))
            w = b.rng.standard_normal((m, c // group, k)).astype(np.float32) / np.sqrt(k * c / group)
            x = b.add("Conv", [x, b.const(w), b.const(b.rng.standard_normal(m).astype(np.float32) * 0.1, "b")],
                      "conv", kernel_shape=[k], strides=[stride], dilations=[dil], pads=pads, group=group)
            x = b.activation(x)
            shp = (1, m, (shp[2] + sum(pads) - span) // stride + 1)
        else:
            m = draw(st.integers(1, 12))
            w = b.rng.standard_normal((m, c)).astype(np.float32) / np.sqrt(c)
            x = b.activation(b.add("Gemm", [x, b.const(w), b.const(b.rng.standard_normal(m).astype(np.float32) * 0.1,
                                                                   "b")], "fc", transB=1))
            shp = (shp[0], m)
        assume(all(d >= 1 for d in shp))
    if pool == "GlobalAveragePool":
        x = b.add("GlobalAveragePool", [x], "gap")
        shp = (1, shp[1], 1)
    feat = int(np.prod(shp[1:]))
    if rank == 3:
        x = b.add("Flatten", [x], "flat")
    ncls = draw(st.integers(2, 6))
    y = b.add("Gemm", [x, b.const(b.rng.standard_normal((ncls, feat)).astype(np.float32) / np.sqrt(feat)),
                       b.const(np.zeros(ncls, np.float32), "fb")], "out", transB=1)
    graph = helper.make_graph(b.nodes, f"prop{rank}d", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                                      list(shape))],
                              [helper.make_tensor_value_info(y, TensorProto.FLOAT, [shp[0], ncls])],
                              initializer=b.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


_SAVED: dict[str, str] = {}


def save_regression(m: onnx.ModelProto, kind: str) -> str:
    """Keeps the latest failing graph of this run: Hypothesis replays the shrunk example last."""
    os.makedirs(REGRESSIONS, exist_ok=True)
    data = m.SerializeToString()
    path = os.path.join(REGRESSIONS, f"{kind}_{hashlib.sha256(data).hexdigest()[:12]}.onnx")
    if kind in _SAVED and _SAVED[kind] != path and os.path.exists(_SAVED[kind]):
        os.remove(_SAVED[kind])
    with open(path, "wb") as f:
        f.write(data)
    _SAVED[kind] = path
    return path


def ort(m: onnx.ModelProto, feeds: dict) -> list[np.ndarray]:
    import onnxruntime as rt
    so = rt.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = rt.GraphOptimizationLevel.ORT_DISABLE_ALL
    return rt.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"]).run(None, feeds)


def check_float(m: onnx.ModelProto, xs: list[np.ndarray]) -> None:
    res = driver.compile_graph(frontend.from_model(m, name="p"), "p", "prop.onnx")
    host = HostModel(res.files)
    for x in xs:
        want = ort(m, {"input": x})[0]
        got = host.run(x)[0]
        err = np.max(np.abs(got - want))
        assert err <= 1e-5 * max(np.max(np.abs(want)), 1e-3), f"max |C - onnxruntime| = {err}"


def quantize(m: onnx.ModelProto, calib: list[np.ndarray]) -> onnx.ModelProto:
    import tempfile

    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter([{"input": c} for c in calib])

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "f.onnx"), os.path.join(d, "q.onnx")
        onnx.save(m, src)
        quantize_static(src, dst, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        return onnx.load(dst)


def check_int8(q: onnx.ModelProto, xs: list[np.ndarray]) -> None:
    """The C (the overlap plan, the default, in its GEN_CHECK_OVERLAP build: each overlapped layer also runs from a
    private copy of its input, the run fails when the outputs differ) == the reference, each layer within 1 LSB of
    onnxruntime on its inputs, the whole within an LSB per layer of onnxruntime."""
    res = driver.compile_graph(frontend.from_model(q, name="p"), "p", "prop_int8.onnx")
    host = HostModel(res.files, cflags=["-DGEN_CHECK_OVERLAP"])
    t_in, t_out = res.summary["inputs"][0], res.summary["outputs"][0]
    lc = None
    for x in xs:
        xq = verify.quantize(x, t_in)
        x_mem = to_memory(res.graph.t(res.graph.inputs[0]), xq)
        got = host.run_s8(xq)[0]
        vals = refrun.run(res.graph, [x_mem], keep=True)
        ref = vals[res.graph.outputs[0]]
        np.testing.assert_array_equal(got.reshape(-1), np.asarray(ref).reshape(-1), "C differs from the reference")
        # every layer against onnxruntime running the model's own nodes on gen's inputs to that layer
        lc = lc or layercheck.LayerCheck(q, res.graph)
        lc.run(vals)
        assert lc.ok(), f"layer check: {layercheck.failure_text(lc)}"
        want = ort(q, {"input": x})[0]
        lsb = np.max(np.abs(want / t_out["scale"] + t_out["zero_point"] - got.astype(np.float64)))
        # 1 LSB per layer is the contract; end to end the differences add up through the layers
        layers = sum(1 for n in res.graph.nodes if n.op.endswith("S8"))
        assert lsb <= max(2, layers + 1), f"{lsb:.1f} LSB from onnxruntime over {layers} int8 layers"


def inputs_for(m: onnx.ModelProto, seed: int, n: int = 2) -> list[np.ndarray]:
    shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape).astype(np.float32) for _ in range(n)]


@settings(max_examples=FLOAT_EXAMPLES)
@given(m=graphs(), seed=st.integers(0, 1000))
def test_random_float_graphs(m, seed):
    DRAWN["float"] += 1
    try:
        check_float(m, inputs_for(m, seed))
    except Exception:
        save_regression(m, "float")
        raise


def check_drawn_int8(m, seed) -> None:
    """A drawn float graph quantized (calibrated on inputs of its own), then checked on two inputs; a
    failing graph is kept in tests/regressions/ (Hypothesis has shrunk it by then)."""
    DRAWN["int8"] += 1
    q = quantize(m, inputs_for(m, seed + 1, 8))
    try:
        check_int8(q, inputs_for(m, seed, 2))
    except Exception:
        save_regression(q, "int8")
        raise


@settings(max_examples=int(os.environ.get("GEN_INT8_EXAMPLES", "12")))
@given(m=graphs(), seed=st.integers(0, 1000))
def test_random_int8_graphs(m, seed):
    check_drawn_int8(m, seed)


ND_EXAMPLES = int(os.environ.get("GEN_INT8_EXAMPLES", "8"))


@settings(max_examples=ND_EXAMPLES)
@given(m=graphs_nd(3), seed=st.integers(0, 1000))
def test_random_int8_1d_graphs(m, seed):
    """3-D tensors: Conv1d (full and depthwise, strides, dilations, pads), residual Add, Concat, Softmax on
    3-D, every activation; C == reference, and every layer within 1 LSB of onnxruntime on its inputs."""
    check_drawn_int8(m, seed)


@pytest.mark.parametrize("pool", POOLS_1D)
def test_random_int8_1d_pools(pool):
    """MaxPool1d, AveragePool1d and GlobalAveragePool on 3-D tensors in 1-D graphs (forced into each
    graph: the 1-D int8 pools once read channels-first bytes as channels-last, issue 8)."""
    @settings(max_examples=3)
    @given(m=graphs_nd(3, pool), seed=st.integers(0, 1000))
    def run(m, seed):
        check_drawn_int8(m, seed)
    run()


@settings(max_examples=ND_EXAMPLES)
@given(m=graphs_nd(2), seed=st.integers(0, 1000))
def test_random_int8_2d_graphs(m, seed):
    """2-D tensors [N, K]: Gemm chains, residual Add, Concat, Softmax, every activation."""
    check_drawn_int8(m, seed)


@pytest.fixture(autouse=True)
def _count_drawn(request):
    """Hands the number of graphs each property test drew to conftest.py, which prints the total
    at the end of the run (also under pytest-xdist, where tests run in worker processes)."""
    before = dict(DRAWN)
    yield
    for kind in DRAWN:
        if DRAWN[kind] > before[kind]:
            request.node.user_properties.append(("graphs_drawn", (kind, DRAWN[kind] - before[kind])))


@pytest.mark.parametrize("path", sorted(
    os.path.join(REGRESSIONS, f) for f in (os.listdir(REGRESSIONS) if os.path.isdir(REGRESSIONS) else [])
    if f.endswith(".onnx")), ids=os.path.basename)
def test_regressions(path):
    m = onnx.load(path)
    xs = inputs_for(m, 0, 3)
    if os.path.basename(path).startswith("int8"):
        check_int8(m, xs)
    else:
        check_float(m, xs)
