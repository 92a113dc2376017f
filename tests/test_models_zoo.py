"""The model zoo (tests/models_zoo.py): small models of the kinds users bring, in their exporters' forms,
compiled by gen and compared with onnxruntime: float within tests/graphs.py's tolerance, the CNNs also
as onnxruntime's quantize_static QDQ int8 (what `--verify` checks: C == gen's numpy integer reference,
every layer within 1 LSB of onnxruntime), and the streaming models frame by frame with their state
carried across calls (gen's C carrying its own state, onnxruntime its own).
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest

import models_zoo as zoo
from graphs import assert_close, check, gen_run, ort_run

# issue 10's list of what stopped the eleven public models
REASONS = ["Slice", "Pow", "Sqrt", "opsets 7-10", "If constant once shapes are pinned", "LSTM",
           "Gather on run-time data", "Pad mode reflect", "GRU", "PRelu", "ScatterND", "Split", "Log", "Neg",
           "Max", "Exp", "bool tensors from comparisons and Cast", "an int64 graph input"]
# "ConvTranspose" joins when branch b-conv (ConvTranspose) is merged


def _ops(m: onnx.ModelProto) -> set[str]:
    out = set()
    for n in m.graph.node:
        out.add(n.op_type)
        for a in n.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                out |= {b.op_type for b in a.g.node}
    return out


def test_zoo_covers_every_refusal_reason():
    """Each reason has a model, and that model really has it (the op, an old opset, an int64 input, a
    comparison whose bool result is Cast)."""
    assert set(REASONS) <= set(zoo.COVERS), sorted(set(REASONS) - set(zoo.COVERS))
    for reason, (name, (kind, *what)) in zoo.COVERS.items():
        m = zoo.build(name)
        if kind == "op":
            assert what[0] in _ops(m), (reason, name)
        elif kind == "opset":
            assert m.opset_import[0].version <= what[0], (reason, name)
        elif kind == "input":
            assert what[0] in [i.type.tensor_type.elem_type for i in zoo.graph_inputs(m)], (reason, name)
    vad = zoo.build("vad_silero")
    assert {"Greater", "Cast"} <= _ops(vad)
    old = sorted(zoo.build(n).opset_import[0].version for n in zoo.MODELS)
    assert [v for v in old if v <= 10] == [7, 8, 10]


@pytest.mark.parametrize("name", sorted(zoo.MODELS))
def test_zoo_float(name):
    m = zoo.build(name)
    for seed in range(2):
        check(m, zoo.feeds(m, seed), name=name)


def _quantized(m: onnx.ModelProto, path) -> str:
    """onnxruntime's quantize_static (QDQ, per-channel int8 weights, int8 activations) calibrated on 8 random
    inputs. Opset 7/8 models go to opset 13 through onnx's version converter first (the quantizer writes
    per-channel DequantizeLinear, which needs 13) and drop their initializers from the graph inputs."""
    from onnx import version_converter
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    m2 = onnx.ModelProto()
    m2.CopyFrom(m)
    keep = zoo.graph_inputs(m2)
    del m2.graph.input[:]
    m2.graph.input.extend(keep)
    m2.ir_version = max(m2.ir_version, 7)
    if m2.opset_import[0].version < 13:
        m2 = version_converter.convert_version(m2, 13)
    calib = [zoo.feeds(m, 100 + k) for k in range(8)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(calib)

        def get_next(self):
            return next(self.it, None)

    fp, qp = str(path / "f.onnx"), str(path / "q.onnx")
    onnx.save(m2, fp)
    quantize_static(fp, qp, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    return qp


@pytest.mark.parametrize("name", sorted(n for n, z in zoo.MODELS.items() if z.int8))
def test_zoo_int8_qdq(name, tmp_path):
    from gen import driver, verify
    qp = _quantized(zoo.build(name), tmp_path)
    res = driver.generate(qp, None, "q", test_vectors=0)
    assert res.summary["inputs"][0]["dtype"] == "int8"
    rows, ok = verify.against_onnxruntime(qp, res, trials=3)
    lc = res.summary["verify_layers"]
    assert ok and lc["ok"] and lc["c_ok"], (rows, lc["failing"], lc["worst"])
    assert lc["int8_layers"] >= 5 and not lc["unchecked"]


@pytest.mark.parametrize("name", sorted(n for n, z in zoo.MODELS.items() if z.state))
def test_zoo_stream_frames(name):
    """Frame by frame: gen's C gets back its own state output as the next state input, onnxruntime its own;
    every frame's outputs (state included) must agree, so an error in the state would grow over frames."""
    m = zoo.build(name)
    pairs = zoo.MODELS[name].state
    outs = [o.name for o in m.graph.output]
    cur_c = zoo.feeds(m, 0)
    cur_o = dict(cur_c)
    for frame in range(5):
        ref = dict(zip(outs, ort_run(m, cur_o)))
        got, _ = gen_run(m, cur_c, name)
        got = dict(zip(outs, got))
        for o in outs:
            assert_close(got[o], ref[o], what=f"frame {frame} output '{o}'")
        nxt = zoo.feeds(m, frame + 1)
        cur_c = {**nxt, **{i: np.asarray(got[o]) for i, o in pairs}}
        cur_o = {**nxt, **{i: np.asarray(ref[o]) for i, o in pairs}}
    # the state moved: frames do depend on it
    assert all(not np.allclose(cur_o[i], zoo.feeds(m, 5)[i]) for i, _ in pairs)
