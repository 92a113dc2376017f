"""A plain run answers at once (issue 13): no host build without test vectors or --verify, the stack
analysis's compiles cached per translation unit (gen/build_cache.py), the cache safe under concurrent runs,
and no heavy imports (cffi, onnxruntime, hypothesis) on the way."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from graphs import ROOT

from gen import driver, stack


def compiles(monkeypatch):
    """Counts the compiler runs of the stack analysis."""
    calls = []
    real = stack.subprocess.run

    def run(cmd, *a, **k):
        calls.append(os.path.basename(cmd[-1]))     # the object file
        return real(cmd, *a, **k)
    monkeypatch.setattr(stack.subprocess, "run", run)
    return calls


def test_stack_analysis_is_cached_per_translation_unit(tmp_path, monkeypatch):
    """The second run compiles nothing and finds the same stack; a model with other weights but the same
    runtime files compiles only its own NAME.c; the figure equals an uncached analysis's."""
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "cache"))
    calls = compiles(monkeypatch)
    first = driver.generate(driver.EXAMPLE_MODEL, None, "m", test_vectors=0)
    units = sorted(f for f in first.files if f.endswith(".c"))
    assert len(calls) == len(units) and first.summary["stack_bytes"] > 0
    calls.clear()
    again = driver.generate(driver.EXAMPLE_MODEL, None, "m", test_vectors=0)
    assert calls == [] and again.summary["stack_bytes"] == first.summary["stack_bytes"]
    other = driver.generate(driver.EXAMPLE_MODEL, None, "other", test_vectors=0)     # another NAME.c
    assert len(calls) == 1 and calls[0].endswith("other.o"), calls
    monkeypatch.setenv("GEN_CACHE_DIR", str(tmp_path / "fresh"))
    assert driver.stack_estimate(other.files) == (other.summary["stack_bytes"], other.summary["stack_target"])


def test_concurrent_runs_share_the_cache(tmp_path):
    """Four processes building the same host library and stack analysis into one empty cache at once all
    succeed and agree; the cache holds one entry each and no temporaries."""
    cache = tmp_path / "cache"
    code = ("import sys; from gen import driver; from gen.host import HostModel; import numpy as np; "
            "r = driver.generate(driver.EXAMPLE_MODEL, None, 'm', test_vectors=0); "
            "y = HostModel(r.files).run(np.ones((1, 1, 8, 8), np.float32))[0]; "
            "print(r.summary['stack_bytes'], repr(y.tobytes()))")
    env = dict(os.environ, GEN_CACHE_DIR=str(cache), PYTHONPATH=ROOT)
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1][-2000:] for o in outs]
    assert len({o[0] for o in outs}) == 1
    entries = sorted(os.listdir(cache))
    assert not [e for e in entries if e.startswith(".tmp-")], entries
    assert len([e for e in entries if e.endswith(".so")]) == 1, entries


@pytest.mark.skipif(not os.path.isdir(os.path.join(ROOT, "..", "shared", "models")), reason="needs ../shared/models")
def test_plain_run_imports_nothing_heavy(tmp_path):
    """python -m gen on KWS int8 without --verify or test vectors imports no cffi, onnxruntime, hypothesis."""
    model = os.path.join(ROOT, "..", "shared", "models", "kws_dscnn_int8_qdq_tflite.onnx")
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "gen", model, "-o", str(tmp_path / "o"), "-q"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert "gen.frontend" in imported
    assert not {"cffi", "onnxruntime", "hypothesis", "gen.host", "gen.testvec"} & imported
