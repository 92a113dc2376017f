"""Hostile inputs: `python -m gen` as a subprocess, so the exit status and stderr are the real ones.

The product rule: bad input gets ONE line on stderr (what, which node, why), exit status 2, no
traceback, and no half-written output directory. The cases live in tests/hostile_cases.py (shared
with tests/make_hostile_table.py, which writes docs/hostile-inputs.md from the same runs).
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402

# cases that fail late (after the compile): the previous output must survive them untouched
LATE = hc.LATE


def snapshot(path: Path):
    """The directory's files and bytes, or None when it does not exist (or is not a directory)."""
    if not path.is_dir():
        return None if not path.exists() else ("file", path.read_bytes())
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    try:
        return sorted(p.name for p in parent.iterdir() if p.name.startswith(".gen-"))
    except OSError:
        return []


def assert_refused(case, r, out: Path, before, parent_before):
    line = r.stderr.strip()
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    assert r.returncode == 2, f"exit {r.returncode}, stderr:\n{r.stderr}"
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and line, f"want one stderr line, got:\n{r.stderr}"
    assert line.startswith("gen: error"), line
    for needle in case.needles:
        assert needle.lower() in line.lower(), f"{needle!r} missing from: {line}"
    assert snapshot(out) == before, "the output directory changed"
    assert leftovers(out.parent) == parent_before, "a temporary directory was left behind"


@pytest.mark.parametrize("make", hc.ERROR_CASES, ids=lambda f: f.__name__)
def test_refused(make, tmp_path):
    case = make(tmp_path)
    out = Path(case.out or tmp_path / "out")
    before, parent_before = snapshot(out), leftovers(out.parent)
    r = hc.run_gen(case.argv, tmp_path)
    assert_refused(case, r, out, before, parent_before)


@pytest.mark.parametrize("name", sorted(LATE))
def test_refused_keeps_previous_output(name, tmp_path):
    """A failing run over a directory that holds an earlier gen output leaves it byte-for-byte as it was."""
    prev = hc.run_gen([hc.save(hc.gemm_model(), tmp_path / "prev.onnx"), "-o", str(tmp_path / "out"), "-q"],
                      tmp_path)
    assert prev.returncode == 0, prev.stderr
    case = getattr(hc, name)(tmp_path)
    out = tmp_path / "out"
    before = snapshot(out)
    assert before and any(k.endswith("_plan.json") for k in before)
    r = hc.run_gen(case.argv, tmp_path)
    assert_refused(case, r, out, before, leftovers(tmp_path))


def _ort(model_path: str, feeds: dict) -> list[np.ndarray]:
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(model_path, so, providers=["CPUExecutionProvider"]).run(None, feeds)


@pytest.mark.parametrize("make", hc.OK_CASES, ids=lambda f: f.__name__)
def test_accepted(make, tmp_path):
    """Not errors: C keywords / non-ASCII names are sanitized, a pinned symbolic batch compiles."""
    from gen.host import load
    case = make(tmp_path)
    r = hc.run_gen(case.argv, tmp_path)
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 0, r.stderr   # the argv has --verify: 0 means it matched onnxruntime
    out = tmp_path / "out"
    for f in out.iterdir():
        f.read_bytes().decode("ascii")      # every generated file is plain ASCII
    host = load(str(out))
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal(t["shape"]).astype(np.float32) for t in host.inputs]
    got = host.run(*xs)
    ref = _ort(case.argv[0], {t["name"]: x for t, x in zip(host.inputs, xs)})
    for g, e in zip(got, ref):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-5)


def test_keyword_names_are_sanitized(tmp_path):
    case = hc.c_keyword_names(tmp_path)
    r = hc.run_gen([a for a in case.argv if a != "--verify"] + ["-q"], tmp_path)
    assert r.returncode == 0, r.stderr
    src = (tmp_path / "out" / "model.c").read_text()
    assert "*/ printf" not in src            # a node name must not close the comment it is written in
