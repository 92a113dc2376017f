"""--quantize, --verify-data/--verify-labels and --verify's verdict, as a user runs them.

Oracles: onnxruntime running the float model (top-1 agreement, the metrics), onnxruntime running the quantized
model's own nodes layer by layer (gen.layercheck, on the held-out inputs themselves), gen's numpy integer
reference (the C bit for bit), the form of onnxruntime's own *_int8_qdq_ort.onnx models (the op mix), numpy
formulas written here (the metrics the summary prints).

Calibration and held-out inputs: tests/quant_data.py (how each set is built where no real data exist).
The default run quantizes KWS; all four MLPerf models run in test_four_mlperf_models (marked slow).
"""
from __future__ import annotations

import collections
import re
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402
import quant_data as qd  # noqa: E402

EXAMPLE = hc.ROOT / "gen" / "examples" / "digits_cnn.onnx"
EXAMPLE_INT8 = hc.ROOT / "gen" / "examples" / "digits_cnn_int8.onnx"
have_models = all(Path(qd.float_model(s)).exists() for s in qd.STEMS)
needs_models = pytest.mark.skipif(not have_models, reason="../shared/models not there")
CLASSIFIERS = {"kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8"}


def _ort(path_or_bytes, quantized=False):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    if quantized:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(path_or_bytes, so, providers=["CPUExecutionProvider"])


def _ort_outputs(path, xs, shape):
    s = _ort(str(path))
    name = s.get_inputs()[0].name
    return np.array([s.run(None, {name: x.reshape(shape)})[0].reshape(-1) for x in xs])


def _quantize_cli(stem: str, tmp: Path, extra=()) -> tuple[Path, object]:
    cal, held = tmp / "cal.npy", tmp / "held.npy"
    np.save(cal, qd.inputs(stem, 100, qd.CALIB_SEED))
    np.save(held, qd.inputs(stem, 100, qd.HELDOUT_SEED))
    out = tmp / "out"
    r = hc.run_gen([qd.float_model(stem), "--quantize", str(cal), "-o", str(out), *extra], tmp, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr
    assert not r.stderr, r.stderr
    return out, r


def _check_form(qpath: Path, stem: str) -> None:
    """The form gen's int8 kernels take, and the op mix of onnxruntime's own quantization of the model."""
    q = onnx.load(str(qpath))
    onnx.checker.check_model(q, full_check=True)
    inits = {i.name: numpy_helper.to_array(i) for i in q.graph.initializer}
    producer = {o: n for n in q.graph.node for o in n.output}
    for n in q.graph.node:
        if n.op_type in ("Conv", "Gemm"):
            dq = producer[n.input[1]]
            assert dq.op_type == "DequantizeLinear", n.name
            w, scale, zp = (inits[i] for i in dq.input)
            assert w.dtype == np.int8 and zp.dtype == np.int8 and not zp.any(), (n.name, "symmetric int8 weights")
            if n.op_type == "Conv":
                assert scale.shape == (w.shape[0],), (n.name, "per output channel")
        if n.op_type == "QuantizeLinear":
            scale, zp = inits[n.input[1]], inits[n.input[2]]
            assert scale.ndim == 0 and zp.ndim == 0 and zp.dtype == np.int8, (n.name, "rank-0 int8 activations")
    ref = onnx.load(str(Path(qd.MODELS) / f"{stem}_int8_qdq_ort.onnx"))
    assert collections.Counter(n.op_type for n in q.graph.node) == \
        collections.Counter(n.op_type for n in ref.graph.node)


def _check_quantized(stem: str, out: Path) -> dict:
    """Top-1 agreement with the float model on the 100 held-out inputs (classifiers) or the reconstruction's
    error and anomaly scores (the autoencoder), and every layer within its tolerance of onnxruntime on those
    inputs, the C equal to gen's numpy integer reference on each."""
    from gen import driver, layercheck, refrun, verify
    from gen.host import HostModel, read_dir
    from gen.ops.layout import to_memory, to_model
    qpath = next(out.glob("*_int8.onnx"))
    assert f"  {qpath.name}\n" in (out / "gen_manifest.txt").read_text(), "NAME_int8.onnx is one of gen's files"
    _check_form(qpath, stem)
    host = HostModel(read_dir(str(out)))
    t = host.inputs[0]
    held = qd.inputs(stem, 100, qd.HELDOUT_SEED)
    got = np.array([host.run(x.reshape(t["shape"]))[0].reshape(-1) for x in held])
    want = _ort_outputs(qd.float_model(stem), held, t["shape"])
    figures = {}
    if stem in CLASSIFIERS:
        figures["top1"] = int(np.sum(got.argmax(1) == want.argmax(1)))
        assert figures["top1"] >= 95, figures
    else:
        l2r = float(np.linalg.norm(got - want) / np.linalg.norm(want))
        score_c, score_f = ((held - got) ** 2).mean(1), ((held - want) ** 2).mean(1)
        figures.update(l2r=l2r, score_corr=float(np.corrcoef(score_c, score_f)[0, 1]))
        assert l2r < 0.02 and figures["score_corr"] > 0.98, figures
    g = driver.generate(str(qpath), None, None, None, 0).graph
    lc = layercheck.LayerCheck(str(qpath), g)
    for x in held:
        qin = verify.quantize(x.reshape(t["shape"]), t)
        vals = refrun.run(g, [to_memory(g.t(g.inputs[0]), qin)], keep=True)
        lc.run(vals)
        ref = np.asarray(to_model(g.t(g.outputs[0]), vals[g.outputs[0]]))
        c = host.run_s8(qin)[0]
        assert np.array_equal(ref.reshape(c.shape), c), "the C equals gen's numpy integer reference"
    assert lc.ok() and lc.layers, layercheck.failure_text(lc)
    figures["layers"] = len(lc.layers)
    return figures


@needs_models
@pytest.mark.models
def test_quantize_kws(tmp_path):
    """The default run's model: KWS from its float file with 100 calibration inputs. --verify passes (every layer
    within 1 LSB of onnxruntime on the quantized model, the C bit-exact against the reference), the summary shows
    the accuracy cost with the top-1 agreement, the held-out checks pass, the real MFCC sample keeps its class."""
    out, r = _quantize_cli("kws_dscnn", tmp_path, ["--verify"])
    lines = r.stdout.splitlines()
    cost = [ln for ln in lines if "accuracy cost, int8 C vs the float model on the calibration inputs" in ln]
    assert len(cost) == 1 and re.search(r"top-1 agreement (\d+)/100", cost[0]), r.stdout[-2000:]
    verdict = [ln for ln in lines if ln.strip().startswith("verify:")]
    assert verdict == [lines[-2]] and verdict[0].strip().startswith("verify: PASS (tolerance: 1 LSB per int8 layer"), \
        lines[-4:]
    assert "bit-exact against gen's numpy integer reference" in verdict[0]
    _check_quantized("kws_dscnn", out)
    # the real sample keeps its class: the float model's, through the C
    from gen.host import HostModel, read_dir
    host = HostModel(read_dir(str(out)))
    x = qd.kws_sample()
    assert int(np.argmax(host.run(x)[0])) == int(np.argmax(_ort(qd.float_model("kws_dscnn")).run(None, {"input": x})[0]))


@needs_models
@pytest.mark.models
@pytest.mark.slow
@pytest.mark.parametrize("stem", qd.STEMS)
def test_four_mlperf_models(stem, tmp_path, request):
    """Each float MLPerf model quantized from 100 calibration inputs: the held-out checks of _check_quantized.
    About 2 minutes for the four on this 2-core machine: only with `-m slow`."""
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("the four MLPerf models take about 2 minutes: python -m pytest -m slow tests/test_quantize.py")
    out, _ = _quantize_cli(stem, tmp_path, ["-q", "--test-vectors", "0"])
    print(stem, _check_quantized(stem, out))


# ------------------------------------------------------------------------------ --verify-data

def _num(text: str, key: str) -> float:
    return float(re.search(rf"{key} ([-0-9.e+]+)", text).group(1))


@pytest.mark.skipif(not EXAMPLE.exists(), reason="no bundled example")
def test_verify_data_metrics_and_accuracy(tmp_path):
    """--verify-data on the bundled float example: the printed max abs, RMSE, cos, L2r and top-1 agreement are
    the ones numpy computes here from the C (the host build of DIR) and onnxruntime; the accuracy counts the
    labels the C's argmax matches."""
    rng = np.random.default_rng(5)
    xs = rng.uniform(0, 16, (20, 1, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", xs)
    want = _ort_outputs(EXAMPLE, xs, (1, 1, 8, 8))
    labels = want.argmax(1).copy()
    labels[:7] = (labels[:7] + 1) % 10          # 7 wrong labels: 13/20 right
    np.save(tmp_path / "y.npy", labels)
    out = tmp_path / "out"
    r = hc.run_gen([str(EXAMPLE), "-o", str(out), "--verify-data", str(tmp_path / "x.npy"), "--verify-labels",
                    str(tmp_path / "y.npy")], tmp_path)
    assert r.returncode == 0 and not r.stderr, r.stderr
    from gen.host import HostModel, read_dir
    host = HostModel(read_dir(str(out)))
    got = np.array([host.run(x[None])[0].reshape(-1) for x in xs]).astype(np.float64)
    d = got - want
    line = next(ln for ln in r.stdout.splitlines() if "C vs onnxruntime on 20 inputs" in ln)
    assert _num(line, "max abs") == pytest.approx(np.abs(d).max(), rel=1e-2, abs=1e-9)
    assert _num(line, "RMSE") == pytest.approx(np.sqrt((d ** 2).mean()), rel=1e-2, abs=1e-9)
    assert _num(line, "L2r") == pytest.approx(np.linalg.norm(d) / np.linalg.norm(want), rel=1e-2, abs=1e-9)
    cos = np.dot(got.ravel(), want.ravel()) / np.linalg.norm(got) / np.linalg.norm(want)
    assert _num(line, "cos") == pytest.approx(cos, abs=2e-6)
    assert f"top-1 agreement {int(np.sum(got.argmax(1) == want.argmax(1)))}/20" in line
    acc = next(ln for ln in r.stdout.splitlines() if "verify-data accuracy on 20 labels" in ln)
    assert f"the C {int(np.sum(got.argmax(1) == labels))}/20" in acc and "onnxruntime 13/20" in acc, acc


@pytest.mark.skipif(not EXAMPLE.exists(), reason="no bundled example")
def test_quantize_example_against_float(tmp_path):
    """--quantize on the bundled float example with --verify-data: the C is compared with onnxruntime on the
    quantized model and with the float original, and the figures are numpy's on the C and the float model."""
    rng = np.random.default_rng(6)
    cal = rng.uniform(0, 16, (30, 1, 8, 8)).astype(np.float32)
    xs = rng.uniform(0, 16, (10, 1, 8, 8)).astype(np.float32)
    np.save(tmp_path / "cal.npy", cal)
    np.save(tmp_path / "x.npy", xs)
    out = tmp_path / "out"
    r = hc.run_gen([str(EXAMPLE), "-o", str(out), "--quantize", str(tmp_path / "cal.npy"), "--verify",
                    "--verify-data", str(tmp_path / "x.npy")], tmp_path)
    assert r.returncode == 0 and not r.stderr, r.stdout[-2000:] + r.stderr
    assert (out / "digits_cnn_int8.onnx").exists() and (out / "digits_cnn.h").exists()
    from gen.host import HostModel, read_dir
    host = HostModel(read_dir(str(out)))
    got = np.array([host.run(x[None])[0].reshape(-1) for x in xs]).astype(np.float64)
    for who, path in (("onnxruntime", None), ("the float model", EXAMPLE)):
        if path is None:
            s = _ort(str(out / "digits_cnn_int8.onnx"), quantized=True)
            want = np.array([s.run(None, {"input": x[None]})[0].reshape(-1) for x in xs])
        else:
            want = _ort_outputs(path, xs, (1, 1, 8, 8))
        line = next(ln for ln in r.stdout.splitlines() if f"C vs {who} on 10 inputs" in ln)
        assert _num(line, "max abs") == pytest.approx(np.abs(got - want).max(), rel=1e-2, abs=1e-9), (who, line)


# ------------------------------------------------------------------------------ the verdict

@pytest.mark.skipif(not EXAMPLE_INT8.exists(), reason="no bundled example")
@pytest.mark.parametrize("which", ["float", "int8"])
def test_verify_verdict(tmp_path, which):
    """--verify's last line is the verdict and names what it judged by; exit 0 on PASS."""
    model = EXAMPLE if which == "float" else EXAMPLE_INT8
    r = hc.run_gen([str(model), "-o", str(tmp_path / "o"), "--verify"], tmp_path)
    lines = r.stdout.splitlines()
    want = {"float": "verify: PASS (tolerance: relative 1e-05 per float layer against onnxruntime; the outputs "
                     "within relative 1e-05 of onnxruntime)",
            "int8": "verify: PASS (tolerance: 1 LSB per int8 layer against onnxruntime (0 where the ops only move "
                    "bytes); the C bit-exact against gen's numpy integer reference)"}[which]
    assert r.returncode == 0 and lines[-2].strip() == want, lines[-3:]
    assert [ln for ln in lines if ln.strip().startswith("verify:")] == [lines[-2]]


@pytest.mark.skipif(not EXAMPLE_INT8.exists(), reason="no bundled example")
def test_verify_fail_verdict_names_tolerance(tmp_path):
    """Judged against a model whose second Conv has negated weights, the compiled example fails: the verdict is
    FAIL, names that Conv and the tolerance it was judged by."""
    from gen import driver, report, verify
    res = driver.generate(str(EXAMPLE_INT8), None, None, None, 0)
    m = onnx.load(str(EXAMPLE_INT8))
    w = next(i for i in m.graph.initializer if i.name == "conv2.weight_quantized")
    w.CopyFrom(numpy_helper.from_array(-numpy_helper.to_array(w), w.name))
    wrong = tmp_path / "wrong.onnx"
    onnx.save(m, str(wrong))
    _, ok = verify.against_onnxruntime(str(wrong), res)
    last = report.verify_lines(res.summary["verify_layers"])[-1].strip()
    assert not ok and last.startswith("verify: FAIL ('"), last
    assert "Conv" in last and last.endswith("; tolerance: 1 LSB per int8 layer against onnxruntime (0 where the ops "
                                             "only move bytes); the C bit-exact against gen's numpy integer "
                                             "reference)"), last


# ------------------------------------------------------------------------------ bad input

def _bad(tmp_path, argv, needle):
    out = tmp_path / "never"
    r = hc.run_gen([*argv, "-o", str(out)], tmp_path)
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("gen: error") and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


@pytest.mark.skipif(not EXAMPLE.exists(), reason="no bundled example")
@pytest.mark.parametrize("case", ["nhwc", "int", "nan", "one", "empty", "npz_key", "text", "quantized"])
def test_quantize_bad_input(tmp_path, case):
    """One line, exit 2, no output directory: samples of the wrong shape (channels last), dtype, values, count
    or file, an .npz without the input's key, and a model that is already quantized."""
    p = tmp_path / "c.npy"
    model = str(EXAMPLE)
    good = np.zeros((4, 1, 8, 8), np.float32)
    data, needle = {
        "nhwc": (np.zeros((4, 8, 8, 1), np.float32), "channels last"),
        "int": (good.astype(np.int32), "is float32, the samples are int32"),
        "nan": (np.full_like(good, np.nan), "NaN"),
        "one": (np.zeros((1, 8, 8), np.float32), "has shape [1, 8, 8]"),
        "empty": (np.zeros((0, 1, 8, 8), np.float32), "no samples"),
        "npz_key": (None, "has no array 'input'"),
        "text": (None, "not a .npy or .npz"),
        "quantized": (good, "takes a float model"),
    }[case]
    if case == "npz_key":
        p = tmp_path / "c.npz"
        np.savez(p, x=good)
    elif case == "text":
        p.write_text("1 2 3\n")
    else:
        np.save(p, data)
    if case == "quantized":
        if not EXAMPLE_INT8.exists():
            pytest.skip("no bundled int8 example")
        model = str(EXAMPLE_INT8)
    _bad(tmp_path, [model, "--quantize", str(p)], needle)


@pytest.mark.skipif(not EXAMPLE.exists(), reason="no bundled example")
@pytest.mark.parametrize("case", ["count", "range", "shape", "no_data"])
def test_verify_labels_bad_input(tmp_path, case):
    np.save(tmp_path / "x.npy", np.zeros((5, 1, 8, 8), np.float32))
    labels, needle = {"count": (np.zeros(4, np.int64), "has 4 labels, --verify-data has 5 samples"),
                      "range": (np.array([0, 1, 2, 3, 10]), "label 10 is outside the model's 10 classes"),
                      "shape": (np.zeros((5, 3)), "has shape [5, 3]"),
                      "no_data": (np.zeros(5, np.int64), "--verify-labels needs --verify-data")}[case]
    np.save(tmp_path / "y.npy", labels)
    data = [] if case == "no_data" else ["--verify-data", str(tmp_path / "x.npy")]
    _bad(tmp_path, [str(EXAMPLE), *data, "--verify-labels", str(tmp_path / "y.npy")], needle)


def test_quantize_two_inputs_npz(tmp_path):
    """A model with two inputs takes an .npz keyed by input name; its int8 C passes --verify and --verify-data
    (the .npz format too) compares it with the float model."""
    from onnx import TensorProto, helper
    rng = np.random.default_rng(7)
    w1, w2 = (rng.normal(size=(6, 4)).astype(np.float32) for _ in range(2))
    nodes = [helper.make_node("Gemm", ["a", "w1"], ["ga"], name="ga"),
             helper.make_node("Gemm", ["b", "w2"], ["gb"], name="gb"),
             helper.make_node("Add", ["ga", "gb"], ["s"], name="add"),
             helper.make_node("Relu", ["s"], ["y"], name="relu")]
    g = helper.make_graph(nodes, "two", [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 6]),
                                         helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
                          [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    model = tmp_path / "two.onnx"
    onnx.save(m, str(model))
    np.savez(tmp_path / "cal.npz", a=rng.normal(size=(40, 6)).astype(np.float32),
             b=rng.normal(size=(40, 6)).astype(np.float32))
    xa, xb = rng.normal(size=(10, 6)).astype(np.float32), rng.normal(size=(10, 6)).astype(np.float32)
    np.savez(tmp_path / "x.npz", b=xb, a=xa)
    out = tmp_path / "out"
    r = hc.run_gen([str(model), "-o", str(out), "--quantize", str(tmp_path / "cal.npz"), "--verify",
                    "--verify-data", str(tmp_path / "x.npz")], tmp_path)
    assert r.returncode == 0 and not r.stderr, r.stdout[-2000:] + r.stderr
    assert "verify: PASS" in r.stdout and (out / "two_int8.onnx").exists()
    from gen.host import HostModel, read_dir
    host = HostModel(read_dir(str(out)))
    got = np.array([host.run(a[None], b[None])[0].reshape(-1) for a, b in zip(xa, xb)])
    want = np.maximum(xa @ w1 + xb @ w2, 0)
    line = next(ln for ln in r.stdout.splitlines() if "C vs the float model on 10 inputs" in ln)
    assert _num(line, "max abs") == pytest.approx(np.abs(got - want).max(), rel=1e-2)
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()      # int8: within a few LSB of the float model


@pytest.mark.parametrize("name", ["mnist_cntk", "mlp_tf2onnx", "face_head", "denoiser", "vad_silero"])
def test_quantize_exporter_forms(tmp_path, name):
    """Float models as exporters write them (tests/models_zoo.py), quantized from 20 standard-normal inputs and
    passing --verify: CNTK's opset 7/8 with IR 3 and tf2onnx's opset 10 (brought to opset 13 first: per-channel
    weights need DequantizeLinear's axis), and a detector head whose 'boxes' output is computed in float after
    int8 layers (judged against gen's reference on the same integers, and per layer against onnxruntime), and a
    GRU denoiser with a state input (an .npz; onnxruntime computes the GRU in float between DQ and Q), and a
    Silero-like LSTM VAD whose int64 sample-rate input goes through Greater and Cast (integer samples; gen's
    reference runs such plain ops as the ONNX op)."""
    import models_zoo as zoo
    m = zoo.build(name)
    model = tmp_path / f"{name}.onnx"
    onnx.save(m, str(model))
    feeds = [zoo.feeds(m, k) for k in range(20)]
    np.savez(tmp_path / "cal.npz", **{n: np.stack([f[n] for f in feeds]) for n in feeds[0]})
    out = tmp_path / "out"
    r = hc.run_gen([str(model), "-o", str(out), "--quantize", str(tmp_path / "cal.npz"), "--verify"], tmp_path)
    assert r.returncode == 0 and not r.stderr, r.stdout[-2500:] + r.stderr
    assert r.stdout.splitlines()[-2].strip().startswith("verify: PASS (tolerance:"), r.stdout[-800:]
    q = onnx.load(str(next(out.glob("*_int8.onnx"))))
    assert next(o.version for o in q.opset_import if o.domain in ("", "ai.onnx")) >= 13


def _gather_model(tmp_path) -> Path:
    """y = Gather(Gemm(x), idx, axis 1): a float input and an int64 one (indices, as a sample rate or a
    position would be)."""
    from onnx import TensorProto, helper
    w = np.random.default_rng(8).normal(size=(6, 4)).astype(np.float32)
    g = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["g"], name="fc"),
                           helper.make_node("Gather", ["g", "idx"], ["y"], name="pick", axis=1)], "gather",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6]),
                           helper.make_tensor_value_info("idx", TensorProto.INT64, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
                          [numpy_helper.from_array(w, "w")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, str(tmp_path / "gather.onnx"))
    return tmp_path / "gather.onnx"


def test_integer_inputs_take_integer_samples(tmp_path):
    """An int64 input takes integer samples (float ones are refused for it, one line): --verify-data compares the
    float C with onnxruntime on them, and --quantize calibrates with them (quantize_static's model, run by
    onnxruntime, within a few LSB of the float model)."""
    from gen import calibrate
    model = _gather_model(tmp_path)
    rng = np.random.default_rng(9)
    x, idx = rng.normal(size=(12, 6)).astype(np.float32), rng.integers(0, 4, (12, 2)).astype(np.int64)
    np.savez(tmp_path / "d.npz", x=x, idx=idx)
    # --test-vectors 0: the default random test vector draws indices in +-1000, which the C refuses (-1)
    r = hc.run_gen([str(model), "-o", str(tmp_path / "out"), "--test-vectors", "0", "--verify-data",
                    str(tmp_path / "d.npz")], tmp_path)
    assert r.returncode == 0 and not r.stderr, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "C vs onnxruntime on 12 inputs" in ln)
    assert _num(line, "max abs") < 1e-5, line
    np.savez(tmp_path / "bad.npz", x=x, idx=idx.astype(np.float32))
    _bad(tmp_path, [str(model), "--test-vectors", "0", "--verify-data", str(tmp_path / "bad.npz")],
         "input 'idx' is int64, the samples are float32")
    # quantized, the Gather reads an int8 tensor with run-time indices into a float one (quantize_static leaves
    # its output's Q unfolded): it computes in float after a dequantize, and the C equals onnxruntime
    out = tmp_path / "q"
    r = hc.run_gen([str(model), "-o", str(out), "--test-vectors", "0", "--quantize", str(tmp_path / "d.npz"),
                    "--verify-data", str(tmp_path / "d.npz")], tmp_path)
    assert r.returncode == 0 and not r.stderr, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "C vs onnxruntime on 12 inputs" in ln)
    q = onnx.load(str(out / "gather_int8.onnx"))
    y_scale = float(next(numpy_helper.to_array(i) for i in q.graph.initializer if i.name == "g_scale"))
    assert _num(line, "max abs") <= y_scale * 1.001, (line, y_scale)      # 1 LSB (the Gemm's rounding)
    qbytes, samples, _ = calibrate.quantize_file(str(model), str(tmp_path / "d.npz"))
    assert samples[0][1].dtype == np.int64 and len(samples) == 12
    s = _ort(qbytes, quantized=True)
    got = np.array([s.run(None, {"x": a[None], "idx": i})[0] for a, i in zip(x, idx)]).reshape(12, 2)
    w = numpy_helper.to_array(onnx.load(str(model)).graph.initializer[0])
    want = np.take_along_axis(x @ w, idx, 1)
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max()
