"""The op families' parameter contract (gen/ops/__init__.py): prepare runs once per node, after the
passes, and every hook of the compile and of the numpy reference reads that one frozen object."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from graphs import float_model, gen_compile, node, quantize_model, run_all


def _model():
    """Conv -> Relu -> MaxPool -> Add (skip) -> Flatten -> Gemm -> Softmax: most int8 families."""
    rng = np.random.default_rng(3)
    w = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    dw = rng.normal(size=(4, 1, 3, 3)).astype(np.float32)
    fc = rng.normal(size=(4 * 3 * 3, 5)).astype(np.float32)
    fm = float_model([node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
                      node("Relu", ["c"], ["r"]),
                      node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
                      node("Conv", ["p", "DW"], ["d"], pads=[1, 1, 1, 1], group=4),
                      node("Add", ["p", "d"], ["a"]),
                      node("Flatten", ["a"], ["f"]),
                      node("MatMul", ["f", "FC"], ["m"]),
                      node("Softmax", ["m"], ["y"])],
                     {"x": (1, 3, 6, 6)}, ["y"], {"W": w, "DW": dw, "FC": fc})
    return quantize_model(fm, [{"x": rng.normal(size=(1, 3, 6, 6)).astype(np.float32)} for _ in range(4)])


def test_prepare_runs_once_per_node(monkeypatch):
    from gen.ops import REGISTRY, OpFamily
    calls: dict[int, int] = {}
    for fam in set(REGISTRY.values()):
        own = type(fam).prepare
        if own is OpFamily.prepare:
            continue

        def counting(self, n, g, _own=own):
            calls[id(n)] = calls.get(id(n), 0) + 1
            return _own(self, n, g)
        monkeypatch.setattr(type(fam), "prepare", counting)
    qm = _model()
    res = gen_compile(qm)
    ops = {n.op for n in res.graph.nodes}
    assert {"ConvS8", "MaxPoolS8", "AddS8", "FullyConnectedS8", "SoftmaxS8"} <= ops, ops
    run_all(qm, [np.zeros((1, 3, 6, 6), np.int8)], res)       # C against the numpy reference: reads them again
    prepared = [n for n in res.graph.nodes if id(n) in calls]
    assert len(prepared) >= 6
    assert all(calls[id(n)] == 1 for n in prepared), {n.name: calls[id(n)] for n in prepared}
    for n in prepared:
        p = n.info["params"]
        assert dataclasses.is_dataclass(p) and type(p).__dataclass_params__.frozen
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(p, dataclasses.fields(p)[0].name, 0)
        for f in dataclasses.fields(p):
            v = getattr(p, f.name)
            assert not isinstance(v, dict)
            if isinstance(v, np.ndarray):
                assert not v.flags.writeable, (n.name, f.name)


def test_params_only_after_the_passes():
    """A pass cannot read parameters (they would go stale when it changes the node), and freeze drops
    whatever a node carries."""
    from gen import frontend, passes, qpasses
    from gen.ops import family, freeze, supported_onnx_ops
    g = frontend.from_model(_model(), name="m", supported=supported_onnx_ops())
    qpasses.run(g)
    passes.run(g)
    conv = next(n for n in g.nodes if n.op == "ConvS8")
    with pytest.raises(AssertionError, match="before the passes"):
        family(conv).params(conv, g)
    conv.info["params"] = "stale"
    freeze(g)
    assert "params" not in conv.info
    p = family(conv).params(conv, g)
    assert family(conv).params(conv, g) is p and conv.info["params"] is p


FLOAT_FAMILIES = ("Conv", "MaxPool", "AveragePool", "Gemm", "MatMul", "BatchNormalization", "ReduceMean", "Softmax",
                  "Add", "Mul", "Sigmoid", "Resize")


def _float_model():
    """A float graph with a node of every float family that has parameters (FLOAT_FAMILIES)."""
    from graphs import make_model
    rng = np.random.default_rng(5)
    inits = {"W": rng.normal(size=(4, 3, 3, 3)).astype(np.float32),
             "bs": rng.uniform(0.5, 2, 4).astype(np.float32), "bb": rng.normal(size=4).astype(np.float32),
             "bm": rng.normal(size=4).astype(np.float32), "bv": rng.uniform(0.5, 2, 4).astype(np.float32),
             "G": rng.normal(size=(16, 6)).astype(np.float32), "M": rng.normal(size=(6, 5)).astype(np.float32),
             "k": np.array([1, 1, 2, 2], np.float32), "two": np.full((1, 4, 1, 1), 2.0, np.float32)}
    nodes = [node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
             node("Sigmoid", ["c"], ["s"]),                      # not fused: a standalone activation
             node("BatchNormalization", ["s", "bs", "bb", "bm", "bv"], ["b"]),
             node("Mul", ["b", "two"], ["m2"]),
             node("Resize", ["m2", "", "k"], ["rz"], mode="nearest"),
             node("AveragePool", ["rz"], ["ap"], kernel_shape=[2, 2], strides=[2, 2]),
             node("MaxPool", ["ap"], ["mp"], kernel_shape=[2, 2], strides=[2, 2]),
             node("Add", ["mp", "mp"], ["ad"]),
             node("ReduceMean", ["ad"], ["rm"], axes=[3], keepdims=0),
             node("Flatten", ["rm"], ["f"]),
             node("Gemm", ["f", "G"], ["gm"]),
             node("MatMul", ["gm", "M"], ["mm"]),
             node("Softmax", ["mm"], ["y"])]
    return make_model(nodes, {"x": (1, 3, 8, 8)}, ["y"], inits)


def test_float_families_prepare_once_frozen(monkeypatch):
    """Every float family with parameters computes them in prepare, once per node, as a frozen dataclass
    (its numpy fields read-only) that check, macs, kernel and emit read; the C still matches onnxruntime."""
    from gen.ops import REGISTRY
    from graphs import check
    calls: dict[int, int] = {}
    for cls in {type(REGISTRY[op]) for op in FLOAT_FAMILIES}:
        own = cls.prepare

        def counting(self, n, g, _own=own):
            calls[id(n)] = calls.get(id(n), 0) + 1
            return _own(self, n, g)
        monkeypatch.setattr(cls, "prepare", counting)
    m = _float_model()
    x = np.random.default_rng(6).normal(size=(1, 3, 8, 8)).astype(np.float32)
    res = check(m, {"x": x})[2]
    by_op = {n.op: n for n in res.graph.nodes}
    assert set(FLOAT_FAMILIES) <= set(by_op), sorted(by_op)
    for op in FLOAT_FAMILIES:
        n = by_op[op]
        assert calls.get(id(n)) == 1, (op, calls.get(id(n)))
        p = n.info["params"]
        assert dataclasses.is_dataclass(p) and type(p).__dataclass_params__.frozen, op
        for f in dataclasses.fields(p):
            v = getattr(p, f.name)
            assert not isinstance(v, (dict, list)), (op, f.name)
            if isinstance(v, np.ndarray):
                assert not v.flags.writeable, (op, f.name)
