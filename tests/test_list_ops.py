"""`python -m gen --list-ops` is true: every op's dtypes column (gen/op_dtypes.py) is what gen compiles.

Every (op, dtype) pair ONNX allows is probed with onnx's own single-node cases of the op retyped to the
dtype (tests/dtype_probe.py) through gen's frontend, passes, checks and C emission: a listed dtype must
compile, an unlisted one must be refused with one line. A sample of the compiled pairs is built and run
against onnxruntime, and the refusal is checked through the command line (exit status 2, one line).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import helper

from dtype_probe import compiled_ops, probe, qdq_wrapped, retyped, seeds
from gen.op_dtypes import has_own_dtype, int8_forms, listed
from gen.ops import op_info, supported_onnx_ops

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPS = sorted(op for op in supported_onnx_ops() if has_own_dtype(op))   # If/Loop/Scan: their bodies' ops


def _gen(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "gen", *args], capture_output=True, text=True, cwd=cwd or ROOT)


@pytest.mark.parametrize("op", OPS)
def test_list_ops_dtypes_are_what_compiles(op):
    got = probe(op)
    assert any(v[0] == "ok" for v in got.values()), f"{op}: no single-node case compiles in any dtype: {got}"
    for dtype in listed(op):
        assert dtype in got, f"{op}: --list-ops lists {dtype}, which no ONNX opset gen reads allows"
        outcome, detail, _ = got[dtype]
        assert outcome == "ok", f"{op}: --list-ops lists {dtype} but gen refuses it: {detail}"
    for dtype, (outcome, detail, _) in got.items():
        if dtype not in listed(op):
            assert outcome == "refused", f"{op} on {dtype}: not listed, yet {outcome} {detail}"
            assert detail and "\n" not in detail, f"{op} on {dtype}: not one line: {detail!r}"


# compiled pairs built and run against onnxruntime (each a dtype the old table did not list or gets wrong)
SAMPLE = [("Squeeze", "int16"), ("Trilu", "int64"), ("Relu", "float16"), ("Gather", "bool"), ("Add", "uint32"),
          ("Concat", "uint8"), ("Transpose", "int32"), ("Shape", "uint16"), ("Pow", "int64")]


@pytest.mark.parametrize("op,dtype", SAMPLE)
def test_list_ops_sample_runs_like_onnxruntime(op, dtype):
    import onnxruntime as ort
    from dtype_util import gen_run_native
    assert dtype in listed(op)
    outcome, detail, (case, variant, same) = probe(op)[dtype]
    assert outcome == "ok", detail
    model, feeds = retyped(case, dtype, variant, same)
    want = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(None, feeds)
    got, _ = gen_run_native(model, feeds)
    for g_, w in zip(got, want):
        assert g_.dtype == w.dtype and g_.shape == w.shape, (g_.dtype, w.dtype, g_.shape, w.shape)
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g_.astype(np.float64), w.astype(np.float64), rtol=1e-3, atol=1e-3)
        else:
            np.testing.assert_array_equal(g_, w)


QDQ_OPS = [op for op in OPS if int8_forms(op).startswith("QDQ") and "boundary" not in int8_forms(op)]


@pytest.mark.parametrize("op", QDQ_OPS)
def test_list_ops_int8_form_computes_in_int8(op):
    """An op listed with a QDQ int8 form has one: between DequantizeLinear and QuantizeLinear, one of onnx's
    cases of it compiles with no float left, into int8 kernels ('QDQ: LutS8') or on the int8 values as
    they are ('QDQ'). Ops with weights or several activations (whose every operand needs quantizing) are
    tests/test_ops_int8.py's."""
    from gen.errors import GenError
    models = [m for m in (qdq_wrapped(c) for c in seeds(op)) if m is not None]
    if not models:
        pytest.skip(f"{op}: onnx's cases have weights or several activations")
    tried = []
    for m in models:
        try:
            ops = compiled_ops(m)
        except GenError as e:
            tried.append(str(e))
            continue
        tried.append(ops)
        in_int8 = any(o.endswith("S8") for o in ops) if ": " in int8_forms(op) else op in ops
        if in_int8 and not {"DequantizeLinear", "QuantizeLinear"} & set(ops):
            return
    pytest.fail(f"{op} ({int8_forms(op)}): no case computes in int8: {tried}")


def test_list_ops_unlisted_dtype_refused_by_the_cli(tmp_path):
    """Relu on int32 (ONNX allows it from opset 14; gen has no integer Relu): exit status 2, one line that
    names the node, the dtype and what the op compiles for; no output directory."""
    assert "int32" not in listed("Relu")
    x = helper.make_tensor_value_info("x", onnx.TensorProto.INT32, [2, 3])
    y = helper.make_tensor_value_info("y", onnx.TensorProto.INT32, [2, 3])
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="act")], "t", [x], [y])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    path = tmp_path / "relu_int32.onnx"
    onnx.save(m, path)
    r = _gen(str(path), "-o", str(tmp_path / "out"))
    assert r.returncode == 2, r
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    assert "Relu on plain int32" in lines[0] and "'act'" in lines[0] and "--list-ops" in lines[0], lines
    assert "float32, float16" in lines[0]
    assert not (tmp_path / "out").exists()


def test_list_ops_json_is_the_table():
    r = _gen("--list-ops", "--format", "json")
    assert r.returncode == 0 and not r.stderr
    rows = json.loads(r.stdout)
    assert [row["op"] for row in rows] == sorted(supported_onnx_ops())
    for row in rows:
        assert row == op_info(row["op"])
        assert row["dtypes"] is None or row["dtypes"] == list(listed(row["op"]))
    by_op = {row["op"]: row for row in rows}
    assert by_op["Conv"]["int8"] == "QDQ: ConvS8" and by_op["QLinearConv"]["int8"] == "QOperator"
    assert "bool" in by_op["Squeeze"]["dtypes"] and "float16" in by_op["Relu"]["dtypes"]


def test_list_ops_text_one_line_per_op():
    r = _gen("--list-ops")
    assert r.returncode == 0 and not r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["#", "op", "dtypes", "opsets", "int8", "limits"]
    assert [ln.split()[0] for ln in lines[1:]] == sorted(supported_onnx_ops())
    squeeze = next(ln for ln in lines if ln.startswith("Squeeze "))
    assert "float32/16/64 bfloat16 int8/16/32/64 uint8/16/32/64 bool" in squeeze, squeeze


def test_list_ops_format_without_list_ops_refused():
    r = _gen("--format", "json")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "--list-ops" in r.stderr, r
