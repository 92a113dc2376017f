"""Hostile control flow (gen/controlflow.py): an If whose condition is known only at run time, a Loop
whose trip count is a graph input, a Loop past the unroll budget, a Loop that never ends, Scan-8:
each refused with one line naming the node and why."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def _body(cond_out="cin"):
    nodes = [helper.make_node("Add", ["acc", "x"], ["acc2"])]
    if cond_out == "cin":
        nodes.append(helper.make_node("Identity", ["cin"], ["cout"]))
    return helper.make_graph(nodes, "body", [vi("i", [], TensorProto.INT64), vi("cin", [], TensorProto.BOOL),
                                             vi("acc", [1, 2])],
                             [vi("cout", [], TensorProto.BOOL), vi("acc2", [1, 2])])


def _loop(tmp: Path, needles, title, m_value=None, m_input=False, cond=True) -> Case:
    inits = [numpy_helper.from_array(np.array(cond), "T"), numpy_helper.from_array(np.zeros((1, 2), np.float32), "a0")]
    inputs = [vi("x", [1, 2])]
    if m_input:
        inputs.append(vi("M", [], TensorProto.INT64))
    elif m_value is not None:
        inits.append(numpy_helper.from_array(np.array(m_value, np.int64), "M"))
    n = helper.make_node("Loop", ["M" if (m_input or m_value is not None) else "", "T", "a0"], ["y"], name="lp",
                         body=_body())
    return _err(tmp, model([n], inputs, [vi("y", [1, 2])], inits, opset=13), needles, title)


def controlflow_if_runtime_condition(tmp: Path) -> Case:
    br = [helper.make_graph([helper.make_node(op, ["x"], [f"{op}_o"])], op, [], [vi(f"{op}_o", [1, 2])])
          for op in ("Neg", "Abs")]
    n = helper.make_node("If", ["c"], ["y"], name="br", then_branch=br[0], else_branch=br[1])
    m = model([n], [vi("x", [1, 2]), vi("c", [], TensorProto.BOOL)], [vi("y", [1, 2])], opset=13)
    return _err(tmp, m, ["'br'", "the input 'c'", "run time"], "If whose condition is a graph input")


def controlflow_loop_runtime_trip_count(tmp: Path) -> Case:
    return _loop(tmp, ["'lp'", "trip count", "the input 'M'", "run time"], "Loop whose trip count is a graph input",
                 m_input=True)


def controlflow_loop_over_budget(tmp: Path) -> Case:
    return _loop(tmp, ["'lp'", "4,096", "2,000,000,000 iterations"], "Loop of 2e9 iterations (unrolled)",
                 m_value=2_000_000_000)


def controlflow_loop_never_ends(tmp: Path) -> Case:
    return _loop(tmp, ["'lp'", "never ends"], "Loop without a trip count, its condition always true")


def controlflow_scan_8(tmp: Path) -> Case:
    body = helper.make_graph([helper.make_node("Add", ["s", "xt"], ["s2"])], "b", [vi("s", [1, 2]), vi("xt", [1, 2])],
                             [vi("s2", [1, 2])])
    n = helper.make_node("Scan", ["", "s0", "xs"], ["sT"], name="sc", body=body, num_scan_inputs=1)
    m = model([n], [vi("s0", [1, 1, 2]), vi("xs", [1, 3, 2])], [vi("sT", [1, 1, 2])], opset=8)
    m.ir_version = 4
    return _err(tmp, m, ["Scan-8", "opset 9"], "Scan at opset 8 (batch axis)")


ERROR_CASES = [controlflow_if_runtime_condition, controlflow_loop_runtime_trip_count, controlflow_loop_over_budget,
               controlflow_loop_never_ends, controlflow_scan_8]
OK_CASES: list = []
LATE: set = set()
