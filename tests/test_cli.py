"""The command line as a user meets it: help, --list-ops, the default example, determinism, --verify."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402

EXAMPLE = hc.ROOT / "gen" / "examples" / "digits_cnn.onnx"
needs_example = pytest.mark.skipif(not EXAMPLE.exists(), reason="gen/examples/digits_cnn.onnx not there yet")


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_help(tmp_path):
    r = hc.run_gen(["--help"], tmp_path)
    assert r.returncode == 0 and not r.stderr
    out = r.stdout
    assert out.startswith("usage: python -m gen")
    for needle in ("-o DIR", "--verify", "--input-shape", "--list-ops", "exit status", "examples:"):
        assert needle in out, needle
    assert max(len(line) for line in out.splitlines()) <= 120


def test_list_ops(tmp_path):
    r = hc.run_gen(["--list-ops"], tmp_path)
    assert r.returncode == 0 and not r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["#", "op", "dtypes", "opsets", "int8", "limits"]
    ops = [ln.split()[0] for ln in lines[1:]]
    assert ops == sorted(ops)
    conv = next(ln for ln in lines if ln.startswith("Conv "))
    assert "float32/16/64 bfloat16 " in conv and "QDQ: ConvS8" in conv and f"7-{onnx.defs.onnx_opset_version()}" in conv, conv
    for op in ("Conv", "Gemm", "MatMul", "Relu", "Softmax", "AveragePool", "MaxPool", "Add", "Reshape"):
        assert op in ops


@needs_example
def test_default_model(tmp_path):
    """No argument at all: compiles the bundled example into ./build and prints the summary."""
    r = hc.run_gen([], tmp_path)
    assert r.returncode == 0, r.stderr
    assert not r.stderr
    files = _files(tmp_path / "build")
    assert "digits_cnn.h" in files and "digits_cnn.c" in files and "digits_cnn_plan.json" in files
    assert "digits_cnn" in r.stdout


def _det_model(tmp_path) -> str:
    return str(EXAMPLE) if EXAMPLE.exists() else hc.save(hc.conv_model(1), tmp_path / "conv.onnx")


def test_two_runs_are_byte_identical(tmp_path):
    model = _det_model(tmp_path)
    a = hc.run_gen([model, "-o", str(tmp_path / "a"), "-q", "--name", "m"], tmp_path)
    b = hc.run_gen([model, "-o", str(tmp_path / "b"), "-q", "--name", "m"], tmp_path)
    assert a.returncode == 0 and b.returncode == 0, a.stderr + b.stderr
    fa, fb = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert fa.keys() == fb.keys()
    for k in fa:
        assert fa[k] == fb[k], f"{k} differs between two runs"


def test_rerun_replaces_previous_output(tmp_path):
    """A second run into the same directory replaces it atomically (no stale files, no .gen-* left)."""
    model = _det_model(tmp_path)
    out = tmp_path / "out"
    for _ in range(2):
        r = hc.run_gen([model, "-o", str(out), "-q"], tmp_path)
        assert r.returncode == 0, r.stderr
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gen-")]


def test_verify_good_model(tmp_path):
    model = _det_model(tmp_path)
    r = hc.run_gen([model, "-o", str(tmp_path / "out"), "--verify"], tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert not r.stderr


def _gather_model(path: Path) -> np.ndarray:
    """A float Gather whose indices are a run-time int64 input (the C returns -1 for an index out of range)."""
    from onnx import TensorProto, helper, numpy_helper
    data = np.arange(20, dtype=np.float32).reshape(5, 4)
    g = helper.make_graph([helper.make_node("Gather", ["data", "idx"], ["y"], axis=0)], "g",
                          [helper.make_tensor_value_info("idx", TensorProto.INT64, [3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])],
                          [numpy_helper.from_array(data, "data")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, str(path))
    return data


def test_test_vectors_for_index_inputs(tmp_path):
    """Drawn integers (+-1000) are out of range as indices: the vector falls back to zeros (valid for any
    non-empty axis) instead of an internal error; each written vector's outputs are numpy's gather of its
    inputs. A --test-input out of range is refused with one line, exit 2, nothing written."""
    from gen.host import HostModel
    model = tmp_path / "g.onnx"
    data = _gather_model(model)
    r = hc.run_gen([str(model), "-o", str(tmp_path / "o"), "--test-vectors", "2", "-q"], tmp_path)
    assert r.returncode == 0, r.stderr
    files = _files(tmp_path / "o")
    host = HostModel({n: b for n, b in files.items() if not n.startswith("gen_testvec")})
    idx = np.zeros(3, np.int64)
    np.testing.assert_array_equal(host.run(idx)[0], np.take(data, idx, axis=0))
    assert b"gen_tv_check" in files["gen_testvec.c"]
    np.save(tmp_path / "bad.npy", np.array([7, 9, 100], np.int64))
    r = hc.run_gen([str(model), "-o", str(tmp_path / "o2"), "--test-input", str(tmp_path / "bad.npy"), "-q"], tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "--test-input" in r.stderr, r.stderr
    assert not (tmp_path / "o2").exists()
