"""The four MLPerf Tiny float32 models (../shared/models): they compile, build on the host and match
onnxruntime; the memory plan meets the MANIFEST's bounds; generation is deterministic; the C is
warning-free for the host and for a Cortex-M4, and never allocates.

Skipped when ../shared/models (relative to the repository root) is absent.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs import ROOT, assert_close

pytestmark = pytest.mark.models

MODELS = ["kws_dscnn", "ic_resnet8", "ad_fc_autoencoder", "vww_mobilenetv1_025"]
# MANIFEST.md: "lower bound, whole tensors" (B), for int8 activations; float32 is 4x
LOWER_BOUND_INT8 = {"kws_dscnn": 16_000, "ic_resnet8": 49_152, "ad_fc_autoencoder": 768}
TFLM_ARENA_INT8 = {"vww_mobilenetv1_025": 73_728}
ALLOC = {"malloc", "free", "calloc", "realloc"}
WARN_FLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"]
ARM_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]


@pytest.fixture(scope="session")
def models_dir() -> str:
    d = os.path.normpath(os.path.join(ROOT, "..", "shared", "models"))
    if not os.path.isdir(d) or not all(os.path.exists(os.path.join(d, f"{m}_float32.onnx")) for m in MODELS):
        pytest.skip(f"the MLPerf Tiny models are not in {d}")
    return d


class Compiled:
    """One model compiled in this process: its output directory, files, summary, host build, ort session."""

    def __init__(self, path: str, out_dir: str):
        from gen import driver, host, verify
        self.path, self.out_dir = path, out_dir
        self.res = driver.generate(path, out_dir, test_vectors=1)
        self.files, self.summary = self.res.files, self.res.summary
        self.host = host.HostModel(self.files)
        self.sess = verify.ort_session(path)


_COMPILED: dict[str, Compiled] = {}


@pytest.fixture(scope="session")
def compiled(models_dir, tmp_path_factory):
    base = tmp_path_factory.mktemp("models")

    def get(stem: str) -> Compiled:
        if stem not in _COMPILED:
            _COMPILED[stem] = Compiled(os.path.join(models_dir, f"{stem}_float32.onnx"), str(base / stem))
        return _COMPILED[stem]
    return get


def _input(shape, seed: int, scale: float, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "normal":
        x = rng.standard_normal(shape)
    elif kind == "uniform":
        x = rng.uniform(-1, 1, shape)
    else:     # non-negative, like images and spectrogram magnitudes
        x = rng.uniform(0, 1, shape)
    return (x * scale).astype(np.float32)


@pytest.mark.parametrize("stem", MODELS)
def test_model_matches_onnxruntime(stem, compiled):
    m = compiled(stem)
    t = m.host.inputs[0]

    @settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(st.integers(0, 2**32 - 1), st.floats(0.1, 4.0), st.sampled_from(["normal", "uniform", "positive"]))
    def run(seed, scale, kind):
        x = _input(t["shape"], seed, scale, kind)
        ref = m.sess.run(None, {t["name"]: x})
        got = m.host.run(x)
        for g, r in zip(got, ref):
            assert_close(g, r, what=stem)
    run()


@pytest.mark.parametrize("stem", MODELS)
def test_layer_check(stem, compiled, record_property):
    """Every tensor of gen's lowered graph that the model has (after BatchNormalization folding and
    activation fusion) against onnxruntime running the model's own nodes on gen's values of their
    inputs (gen.layercheck): within FLOAT_RTOL of each layer's largest value. gen's float layers come from
    gen.refrun (the lowered nodes, weights folded); the C itself is checked end to end above."""
    import onnx

    from gen import layercheck
    m = compiled(stem)
    g = m.res.graph
    rng = np.random.default_rng(3)
    xs = [[rng.standard_normal(g.t(n).shape).astype(np.float32) for n in g.inputs] for _ in range(2)]
    lc = layercheck.check_inputs(onnx.load(m.path), g, xs)
    kernels = [n for n in g.nodes if n.op not in ("Reshape", "Flatten", "Squeeze", "Unsqueeze")]
    assert len(lc.layers) >= len(kernels), f"checked {len(lc.layers)} layers of {len(kernels)} kernels"
    record_property("worst_layer", lc.summary()["worst"])
    assert lc.ok(), layercheck.failure_text(lc)


def test_kws_sample_argmax(compiled, models_dir):
    m = compiled("kws_dscnn")
    x = np.load(os.path.join(models_dir, "kws_dscnn.npy")).astype(np.float32)
    assert x.shape == (1, 49, 10, 1)
    x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))        # NHWC -> NCHW
    ref = m.sess.run(None, {m.host.inputs[0]["name"]: x})[0]
    got = m.host.run(x)[0]
    assert_close(got, ref, what="kws sample")
    assert int(np.argmax(got)) == int(np.argmax(ref))


def test_ad_samples(compiled, models_dir):
    m = compiled("ad_fc_autoencoder")
    xs = np.load(os.path.join(models_dir, "ad_fc_autoencoder.npy")).astype(np.float32)
    for x in xs:
        x = x.reshape(1, 640)
        assert_close(m.host.run(x)[0], m.sess.run(None, {m.host.inputs[0]["name"]: x})[0], what="ad sample")


@pytest.mark.parametrize("stem", MODELS)
def test_arena_size(stem, compiled):
    s = compiled(stem).summary
    if stem in LOWER_BOUND_INT8:      # float activations: four bytes where int8 has one, plus the kernels' scratch
        bound = 4 * LOWER_BOUND_INT8[stem]
        assert bound <= s["arena_lower_bound"] <= bound + s.get("scratch_bytes", 0)
        assert s["arena_size"] == s["arena_lower_bound"]
    else:
        assert s["arena_size"] <= 4 * TFLM_ARENA_INT8[stem]
    assert s["arena_size"] >= s["arena_lower_bound"]


def test_deterministic_in_process(compiled, tmp_path):
    from gen import driver
    m = compiled("kws_dscnn")
    again = driver.generate(m.path, str(tmp_path / "again"), test_vectors=1)
    assert again.files.keys() == m.files.keys()
    for f in m.files:
        assert again.files[f] == m.files[f], f"{f} differs between two generations"


def _read_tree(d: str) -> dict[str, bytes]:
    out = {}
    for f in sorted(os.listdir(d)):
        with open(os.path.join(d, f), "rb") as fh:
            out[f] = fh.read()
    return out


@pytest.mark.parametrize("stem", MODELS)
def test_deterministic_across_hash_seeds(stem, models_dir, compiled, tmp_path):
    """python -m gen in fresh interpreters with different PYTHONHASHSEEDs writes byte-identical directories."""
    model = os.path.join(models_dir, f"{stem}_float32.onnx")
    trees = []
    for seed in ("0", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
        out = tmp_path / f"seed{seed}"
        r = subprocess.run([sys.executable, "-m", "gen", model, "-o", str(out), "-q", "--test-vectors", "1"],
                           cwd=str(tmp_path), env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        trees.append(_read_tree(str(out)))
    assert trees[0].keys() == trees[1].keys()
    for f in trees[0]:
        assert trees[0][f] == trees[1][f], f"{f} differs between PYTHONHASHSEED=0 and 12345"
    # and the same as this process wrote
    mine = _read_tree(compiled(stem).out_dir)
    assert mine == trees[0]


def _compile_all(cc: list[str], out_dir: str, obj_dir: str) -> list[str]:
    os.makedirs(obj_dir, exist_ok=True)
    objs = []
    for f in sorted(os.listdir(out_dir)):
        if not f.endswith(".c"):
            continue
        obj = os.path.join(obj_dir, f[:-2] + ".o")
        r = subprocess.run(cc + ["-I", out_dir, os.path.join(out_dir, f), "-o", obj], capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0 and not r.stderr.strip(), f"{' '.join(cc)} {f}:\n{r.stderr}"
        objs.append(obj)
    assert objs
    return objs


def _assert_no_alloc(nm: str, objs: list[str]) -> None:
    r = subprocess.run([nm, *objs], capture_output=True, text=True, check=True)
    syms = {line.split()[-1] for line in r.stdout.splitlines() if line.strip() and not line.endswith(":")}
    assert not (syms & ALLOC), f"allocation: {sorted(syms & ALLOC)}"


@pytest.mark.parametrize("stem", MODELS)
def test_c_warning_free_host(stem, compiled, tmp_path):
    objs = _compile_all(["gcc", *WARN_FLAGS, "-O2"], compiled(stem).out_dir, str(tmp_path))
    _assert_no_alloc("nm", objs)


@pytest.mark.parametrize("stem", MODELS)
def test_c_warning_free_cortex_m4(stem, compiled, tmp_path):
    cc = shutil.which("arm-none-eabi-gcc")
    if cc is None:
        pytest.skip("arm-none-eabi-gcc is not installed")
    objs = _compile_all([cc, *ARM_FLAGS, *WARN_FLAGS, "-Os"], compiled(stem).out_dir, str(tmp_path))
    _assert_no_alloc(shutil.which("arm-none-eabi-nm") or "nm", objs)


def test_bundled_example(tmp_path):
    """The bundled example (python -m gen with no model): matches onnxruntime and classifies its sample."""
    import json

    from gen import driver, host, verify
    ex = os.path.dirname(driver.EXAMPLE_MODEL)
    res = driver.generate(driver.EXAMPLE_MODEL, str(tmp_path / "ex"), test_vectors=1)
    h = host.HostModel(res.files)
    x = np.load(os.path.join(ex, "digits_sample.npy"))
    with open(os.path.join(ex, "digits_sample.json")) as f:
        label = json.load(f)["label"]
    assert x.shape == (1, 1, 8, 8) and x.dtype == np.float32
    ref = verify.ort_session(driver.EXAMPLE_MODEL).run(None, {h.inputs[0]["name"]: x})[0]
    got = h.run(x)[0]
    assert_close(got, ref, what="digits_cnn")
    assert int(np.argmax(got)) == label
    r = subprocess.run([sys.executable, "-m", "gen", "-o", str(tmp_path / "cli"), "--verify"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "digits_cnn" in r.stdout and "verify" in r.stdout
