"""The Python API (gen/api.py): gen.compile and gen.verify give what `python -m gen` writes and prints, and
their figures are onnxruntime's."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from graphs import ROOT

import gen
from gen import driver
from gen.host import HostModel

MODELS = os.path.normpath(os.path.join(ROOT, "..", "shared", "models"))
KWS = os.path.join(MODELS, "kws_dscnn_int8_qdq_tflite.onnx")


def cli(*args):
    r = subprocess.run([sys.executable, "-m", "gen", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout, r.stderr


def tree(d):
    return {f: open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))}


def test_import_gen_is_cheap():
    """`import gen` loads no numpy, onnx, onnxruntime or cffi; the API loads them on first use."""
    code = ("import sys, gen; heavy = [m for m in ('numpy', 'onnx', 'onnxruntime', 'cffi', 'hypothesis') "
            "if m in sys.modules]; print(heavy); gen.compile; print('numpy' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["[]", "True"], r.stdout


def test_compile_equals_the_cli(tmp_path):
    """The same files, byte for byte, as `python -m gen -o DIR --name m`, and the summary's figures as the CLI
    prints them and its plan JSON holds them."""
    lib = gen.compile(driver.EXAMPLE_MODEL, str(tmp_path / "api"), name="m")
    rc, out, err = cli("-o", str(tmp_path / "cli"), "--name", "m")
    assert rc == 0, err
    assert tree(tmp_path / "api") == tree(tmp_path / "cli")
    assert lib.files == sorted(str(tmp_path / "api" / f) for f in os.listdir(tmp_path / "api"))
    plan = json.loads((tmp_path / "cli" / "m_plan.json").read_text())
    assert lib.arena_size == plan["arena_size"] and lib.layers == plan["layers"]
    assert (lib.name, lib.macs, lib.weight_bytes) == ("m", plan["macs"], plan["weight_bytes"])
    assert f"{len(lib.layers)} layers, {lib.macs:,} MACs" in out
    assert f"arena {lib.arena_size:,} B" in out and f"weights and parameters {lib.weight_bytes:,} B" in out
    # the report attribute is the path of NAME_report.html, which every run writes
    report = tmp_path / "api" / "m_report.html"
    assert report.exists() and lib.report == str(report)
    # in memory: the same contents, nothing written
    mem = gen.compile(driver.EXAMPLE_MODEL, name="m")
    assert mem.files == [] and mem.contents == lib.contents and mem.report is None


def test_verify_float_equals_onnxruntime_and_the_cli(tmp_path):
    lib = gen.compile(driver.EXAMPLE_MODEL, str(tmp_path / "o"), name="m")
    v = gen.verify(lib)
    assert v.ok and v.verdict.startswith("verify: PASS (tolerance: ")
    # the figure it reports is onnxruntime's (default optimizations for a float model): recomputed here on
    # the same 5 inputs
    import onnxruntime
    sess = onnxruntime.InferenceSession(driver.EXAMPLE_MODEL, providers=["CPUExecutionProvider"])
    host = HostModel(lib.contents)
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(5):
        x = rng.standard_normal(lib.inputs[0]["shape"]).astype(np.float32)
        want = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        worst = max(worst, float(np.max(np.abs(want.astype(np.float64) - host.run(x)[0]))))
    assert v.outputs[0]["max_abs"] == pytest.approx(worst, rel=1e-6, abs=1e-12)
    rc, out, err = cli("-o", str(tmp_path / "cli"), "--name", "m", "--verify")
    assert rc == 0, err
    assert f"max |C - onnxruntime| = {v.outputs[0]['max_abs']:.3g}" in out
    assert v.verdict in [line.strip() for line in out.splitlines()]


@pytest.mark.skipif(not os.path.exists(KWS), reason="needs ../shared/models")
def test_verify_int8_model_path_equals_the_cli(tmp_path):
    """gen.verify on a model path (compiled in memory): the layer check's figures are the CLI's."""
    v = gen.verify(KWS, name="kws")
    assert v.ok and v.verdict.startswith("verify: PASS (tolerance: ")
    assert v.layers["int8_layers"] > 0
    rc, out, err = cli(KWS, "-o", str(tmp_path / "cli"), "--name", "kws", "--verify")
    assert rc == 0, err
    w = v.layers["worst"]
    assert f"worst {w['label']} {w['err']} (tolerance {w['tol']})" in out
    assert f"{v.layers['layers']} layers ({v.layers['int8_layers']} int8)" in out
    assert v.verdict in [line.strip() for line in out.splitlines()]
    # gen.compile(verify=True) checks before writing
    lib = gen.compile(KWS, str(tmp_path / "api"), name="kws", verify=True)
    assert lib.verification.ok and lib.verification.layers["worst"] == w
    assert os.path.isfile(tmp_path / "api" / "kws.c")


def test_verification_failure_writes_nothing(tmp_path, monkeypatch):
    """compile(verify=True) raises VerificationFailed (a GenError naming the verdict) and leaves out_dir
    absent when the check fails (here made to fail: the check's own correctness is the tests above)."""
    from gen import verify as verify_module

    def failing(model, res, trials=5):
        res.summary["verify_layers"] = {"ok": False, "c_ok": True, "layers": 1, "int8_layers": 1, "trials": trials,
                                        "inputs": "", "float_rtol": 1e-5,
                                        "worst": {"label": "'x' (Conv -> 'y')", "err": "3 LSB", "tol": "1 LSB"}}
        return [], False
    monkeypatch.setattr(verify_module, "against_onnxruntime", failing)
    with pytest.raises(gen.VerificationFailed) as e:
        gen.compile(driver.EXAMPLE_MODEL, str(tmp_path / "o"), verify=True)
    assert "verify: FAIL ('x' (Conv -> 'y') 3 LSB; tolerance: 1 LSB per int8 layer" in str(e.value)
    assert not (tmp_path / "o").exists()


def test_bad_input_raises_the_cli_line(tmp_path):
    """A GenError whose message is the line the CLI prints (exit status 2), and no output directory."""
    bad = tmp_path / "missing.onnx"
    with pytest.raises(gen.GenError) as e:
        gen.compile(str(bad), str(tmp_path / "o"))
    rc, out, err = cli(str(bad), "-o", str(tmp_path / "o"))
    assert rc == 2 and err.strip() == f"gen: {e.value.line()}"
    assert not (tmp_path / "o").exists()
    with pytest.raises(gen.GenError, match="--ram-limit"):
        gen.compile(driver.EXAMPLE_MODEL, str(tmp_path / "o"), ram_limit=16)
    assert not (tmp_path / "o").exists()


def test_test_vectors_equal_the_cli(tmp_path):
    """test_inputs (as --test-input) writes one test vector, byte for byte the CLI's; test_vectors=N as
    --test-vectors N."""
    x = np.random.default_rng(5).standard_normal((1, 1, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    lib = gen.compile(driver.EXAMPLE_MODEL, str(tmp_path / "api"), name="m", test_inputs=[x])
    rc, _, err = cli("-o", str(tmp_path / "cli"), "--name", "m", "--test-input", str(tmp_path / "x.npy"))
    assert rc == 0, err
    assert "gen_testvec.c" in lib.contents and tree(tmp_path / "api") == tree(tmp_path / "cli")
    two = gen.compile(driver.EXAMPLE_MODEL, name="m", test_vectors=2)
    assert b"gen_tv_count = 2;" in two.contents["gen_testvec.c"]
