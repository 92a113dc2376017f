"""Einsum (gen/ops/einsum.py, runtime_c/gen_attention.c): float32 against onnxruntime (Einsum-12 at
opset 21, graph optimizations off) on drawn shapes of the common equation families (batched matrix
products, transposes, reductions, diagonals and traces, outer and inner products, ellipsis with
broadcasting, implicit outputs), and the same node at opset 28 (Einsum-28, which the model keeps);
what gen does not compute refused with one line naming the node."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper

import graphs
from gen.errors import GenError
from graphs import gen_compile, make_model

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck), max_examples=30)

# equation -> operand shapes as letters -> size (ellipsis: "E" a broadcast batch, drawn below)
EQUATIONS = ["bij,bjk->bik", "ij,jk->ik", "ij,jk", "ij->ji", "abc->cab", "abc->bca", "ij->i", "ij->j", "ij->",
             "ii->i", "ii", "bii->bi", "i,j->ij", "i,i->", "i,i", "bhqd,bhkd->bhqk", "bhqk,bhkd->bqhd",
             "...ij,...jk->...ik", "...ij->...ji", "i...->...", "bij,bij->bi", "ijk,k->ij", "ij,ij->ij"]


@st.composite
def einsum_cases(draw):
    eq = draw(st.sampled_from(EQUATIONS))
    sizes = {c: draw(st.integers(1, 4)) for c in "abcdhijkq"}
    ell = tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 2))))
    lhs = eq.split("->")[0].split(",")
    shapes = []
    for k, t in enumerate(lhs):
        e = ell
        if k == 1 and ell and draw(st.booleans()):      # broadcast: the second operand's batch of 1s
            e = tuple(1 for _ in ell)
        shape = []
        for part in t.split("..."):
            shape.append(tuple(sizes[c] for c in part))
        shapes.append(shape[0] + (e + shape[1] if len(shape) == 2 else ()))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    return eq, [rng.normal(size=s).astype(np.float32) for s in shapes]


def _model(eq, arrays, opset, as_inputs=True, name="ein"):
    names = [f"x{k}" for k in range(len(arrays))]
    n = helper.make_node("Einsum", names, ["y"], equation=eq, name=name)
    want = np.einsum(eq, *arrays).shape
    if as_inputs:
        return make_model([n], dict(zip(names, arrays)), [("y", want)], opset=opset)
    return make_model([n], {names[0]: arrays[0]}, [("y", want)], dict(zip(names[1:], arrays[1:])), opset=opset)


@settings(**SETTINGS)
@given(einsum_cases(), st.booleans())
def test_einsum_matches_onnxruntime(case, const_b):
    eq, arrays = case
    m = _model(eq, arrays, 21, as_inputs=not const_b)
    graphs.check(m, {"x0": arrays[0], **({} if const_b or len(arrays) == 1 else {"x1": arrays[1]})})


@pytest.mark.parametrize("eq", ["bij,bjk->bik", "ij->ji", "ii->i"])
def test_einsum_opset28(eq):
    rng = np.random.default_rng(3)
    arrays = [rng.normal(size=(2, 3, 3)).astype(np.float32), rng.normal(size=(2, 3, 4)).astype(np.float32)]
    if eq != "bij,bjk->bik":
        arrays = [rng.normal(size=(3, 3)).astype(np.float32)]
    m = _model(eq, arrays, 28)
    graphs.check(m, {f"x{k}": a for k, a in enumerate(arrays)})


def test_einsum_macs():
    a, b = np.zeros((2, 3, 4), np.float32), np.zeros((2, 4, 5), np.float32)
    res = gen_compile(_model("bij,bjk->bik", [a, b], 21))
    from gen import ops
    node = [n for n in res.graph.nodes if n.op == "Einsum"][0]
    assert ops.family(node).macs(node, res.graph) == 2 * 3 * 4 * 5


@pytest.mark.parametrize("eq, shapes, needle", [
    ("i,i,i->i", [(3,), (3,), (3,)], "3 operands"),
    ("abcdefg,hijklm->abcdefghijklm", [(1,) * 7, (1,) * 6], "13 letters"),
])
def test_einsum_refusals(eq, shapes, needle):
    arrays = [np.zeros(s, np.float32) for s in shapes]
    with pytest.raises(GenError) as e:
        gen_compile(_model(eq, arrays, 21))
    assert needle in str(e.value) and "'ein'" in str(e.value), str(e.value)
