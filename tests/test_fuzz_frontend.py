"""Fuzzing the frontend: mutated real model bytes must compile or be refused with a GenError.

Hypothesis flips, deletes, inserts, overwrites, truncates and splices bytes of real models (the
bundled examples, a tiny model built here, and kws_dscnn from ../shared/models when present), then
calls the CLI's main() in-process. The only acceptable outcomes: exit status 0, or exit status 2
with one 'gen: error' line and no output directory. Any other exception is a bug in gen.

Time budget: about 60 s (GEN_FUZZ_SCALE=4 runs four times as many examples).
"""
from __future__ import annotations

import contextlib
import glob
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402

from gen.__main__ import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "models"
SCALE = float(os.environ.get("GEN_FUZZ_SCALE", "1"))


def _seeds() -> dict[str, bytes]:
    seeds = {"gemm": hc.gemm_model().SerializeToString(), "conv": hc.conv_model(1).SerializeToString()}
    for p in sorted(glob.glob(str(ROOT / "gen" / "examples" / "*.onnx"))):
        seeds[Path(p).stem] = Path(p).read_bytes()
    for key, stem in (("kws", "kws_dscnn_float32"), ("kws_int8", "kws_dscnn_int8_qdq_tflite")):
        if (SHARED / f"{stem}.onnx").exists():
            seeds[key] = (SHARED / f"{stem}.onnx").read_bytes()
    return seeds


SEEDS = _seeds()
SMALL = sorted(k for k, v in SEEDS.items() if len(v) < 40_000)
BIG = sorted(k for k in SEEDS if k not in SMALL)

# values that make protobuf varints and lengths interesting
MAGIC = [b"\x00", b"\xff", b"\x7f", b"\x80", b"\xff\xff\xff\xff\x0f", b"\xff" * 9 + b"\x01", b"\x08\x00",
         b"\x12\x00", b"\x3a\x00"]


@st.composite
def mutated(draw, names: list[str]) -> bytes:
    name = draw(st.sampled_from(names))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        n = len(data)
        kind = draw(st.sampled_from(["flip", "delete", "insert", "magic", "truncate", "splice", "dup"]))
        pos = draw(st.integers(0, max(n - 1, 0)))
        if kind == "flip" and n:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 16))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "magic":
            m = draw(st.sampled_from(MAGIC))
            data[pos:pos + len(m)] = m
        elif kind == "truncate":
            del data[pos:]
        elif kind == "splice":   # a chunk of another model written over this one
            other = SEEDS[draw(st.sampled_from(sorted(SEEDS)))]
            a = draw(st.integers(0, len(other) - 1))
            chunk = other[a:a + draw(st.integers(1, 256))]
            data[pos:pos + len(chunk)] = chunk
        elif kind == "dup":      # a chunk repeated (duplicated fields, nodes, initializers)
            chunk = data[pos:pos + draw(st.integers(1, 64))]
            data[pos:pos] = chunk
    return bytes(data)


INTS = [-(2 ** 31), -7, -2, -1, 0, 1, 2, 3, 5, 64, 2 ** 31 - 1]
DIMS = [0, 1, 2, 3, 7, 64, -1]
OPS = ["Conv", "Relu", "Gemm", "MatMul", "Add", "Mul", "Reshape", "Flatten", "Transpose", "Softmax", "MaxPool",
       "AveragePool", "GlobalAveragePool", "Concat", "Pad", "Clip", "Squeeze", "Unsqueeze", "ReduceMean",
       "BatchNormalization", "Sigmoid", "Identity", "QuantizeLinear", "DequantizeLinear", "Sub", "Div"]


@st.composite
def mutated_model(draw, names: list[str]) -> bytes:
    """Structure-aware mutations: the protobuf stays valid, so the fuzzing reaches checks, passes and emit."""
    m = onnx.ModelProto()
    m.ParseFromString(SEEDS[draw(st.sampled_from(names))])
    g = m.graph
    tensor_names = sorted({x for n in g.node for x in list(n.input) + list(n.output)} |
                          {i.name for i in g.initializer} | {i.name for i in g.input})
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["attr", "attr_del", "op", "input_dim", "rewire", "init_dims", "init_type",
                                     "node_del", "node_dup", "opset", "output_dim"]))
        node = g.node[draw(st.integers(0, len(g.node) - 1))] if len(g.node) else None
        if kind == "attr" and node is not None and node.attribute:
            a = node.attribute[draw(st.integers(0, len(node.attribute) - 1))]
            if a.type == onnx.AttributeProto.INT:
                a.i = draw(st.sampled_from(INTS))
            elif a.type == onnx.AttributeProto.INTS and len(a.ints):
                a.ints[draw(st.integers(0, len(a.ints) - 1))] = draw(st.sampled_from(INTS))
            elif a.type == onnx.AttributeProto.FLOAT:
                a.f = draw(st.sampled_from([0.0, -1.0, 1e30, float("nan"), float("inf")]))
        elif kind == "attr_del" and node is not None and node.attribute:
            del node.attribute[draw(st.integers(0, len(node.attribute) - 1))]
        elif kind == "op" and node is not None:
            node.op_type = draw(st.sampled_from(OPS))
        elif kind in ("input_dim", "output_dim"):
            vis = g.input if kind == "input_dim" else g.output
            if len(vis) and len(vis[0].type.tensor_type.shape.dim):
                dims = vis[0].type.tensor_type.shape.dim
                d = dims[draw(st.integers(0, len(dims) - 1))]
                v = draw(st.sampled_from(DIMS + ["N"]))
                if v == "N":
                    d.dim_param = "N"
                else:
                    d.dim_value = v
        elif kind == "rewire" and node is not None and len(node.input):
            node.input[draw(st.integers(0, len(node.input) - 1))] = draw(st.sampled_from(tensor_names))
        elif kind == "init_dims" and len(g.initializer):
            t = g.initializer[draw(st.integers(0, len(g.initializer) - 1))]
            if len(t.dims):
                t.dims[draw(st.integers(0, len(t.dims) - 1))] = draw(st.sampled_from(DIMS))
            else:
                t.dims.append(draw(st.sampled_from(DIMS)))
        elif kind == "init_type" and len(g.initializer):
            t = g.initializer[draw(st.integers(0, len(g.initializer) - 1))]
            t.data_type = draw(st.sampled_from([1, 2, 3, 5, 6, 7, 9, 10, 11]))
        elif kind == "node_del" and node is not None:
            g.node.remove(node)
        elif kind == "node_dup" and node is not None:
            g.node.append(node)
        elif kind == "opset":
            m.opset_import[0].version = draw(st.integers(1, 30))
    return m.SerializeToString()


def check_one(data: bytes) -> None:
    d = tempfile.mkdtemp(prefix="gen-fuzz-")
    try:
        model, out = os.path.join(d, "m.onnx"), os.path.join(d, "out")
        with open(model, "wb") as f:
            f.write(data)
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main([model, "-o", out, "-q", "--test-vectors", "0"])
        if rc == 2:
            lines = err.getvalue().splitlines()
            assert len(lines) == 1 and lines[0].startswith("gen: error"), err.getvalue()
            assert not os.path.exists(out), "refused, yet the output directory exists"
        else:
            assert rc == 0, f"exit status {rc}: {err.getvalue()}"
            assert os.path.isdir(out)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_seeds_compile():
    """Unmutated, every seed compiles (or is refused cleanly: an int8 example before the int8 path)."""
    for name in SEEDS:
        check_one(SEEDS[name])


_common = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
               print_blob=True)


@settings(max_examples=int(1000 * SCALE), **_common)
@given(mutated(SMALL))
def test_fuzz_small_models(data):
    check_one(data)


@pytest.mark.skipif(not BIG, reason="no large seed model (../shared/models/kws_dscnn_float32.onnx)")
@settings(max_examples=int(80 * SCALE), **_common)
@given(mutated(BIG or ["gemm"]))
def test_fuzz_kws(data):
    check_one(data)


@settings(max_examples=int(1500 * SCALE), **_common)
@given(mutated_model(SMALL + BIG))
def test_fuzz_structure(data):
    check_one(data)
