"""Legalize: the checks of the graph the frontend built that belong to an op, before any pass.

A generic driver: each node's family refuses, in its `legalize` hook (gen.ops.OpFamily), what the
model states wrongly and ONNX shape inference lets through (parameter shapes the passes and kernels
rely on). Nodes are visited in execution order; the first refusal is the GenError.

Parameters (the families' `const_inputs` trait): an input a family needs as a constant (weights,
bounds, shapes, pads, scales) that is not one is refused with one line that says what to do. The
frontend asks `refuse_graph_input_params` on the ONNX graph first, before its dtype and shape checks
(a shape or an axes list arriving as a graph input would otherwise be refused for its int64 dtype or
for the shape it leaves unknown); `run` asks it again on the graph the frontend built, where a
parameter computed from constants only (int8 weights through DequantizeLinear) is one.
"""
from __future__ import annotations

from .errors import GenError
from . import op_dtypes
from .ir import Graph
from .ops import REGISTRY, traits


def const_inputs(op: str) -> tuple[int, ...]:
    """The input indices of `op` that its family needs as constants."""
    fam = REGISTRY.get(op)
    return tuple(fam.const_inputs.get(op, ())) if fam is not None else ()


def check_const_inputs(op: str, node: str | None, inputs, is_const) -> None:
    """Refuse the first input of `const_inputs(op)` that is present and not `is_const(name)`."""
    for k in const_inputs(op):
        if k < len(inputs) and inputs[k] and not is_const(inputs[k]):
            raise GenError(f"input {k} ('{inputs[k]}') of {op} must be a constant: make it an initializer", node, op)


def refuse_graph_input_params(graph) -> None:
    """The ONNX graph (onnx.GraphProto): a parameter input that is a graph input (not an initializer)."""
    real = {i.name for i in graph.input} - {i.name for i in graph.initializer}
    for k, n in enumerate(graph.node):      # an unnamed node as the frontend names it (op_index)
        if n.domain in ("", "ai.onnx"):
            check_const_inputs(n.op_type, n.name or f"{n.op_type}_{k}", list(n.input), lambda name: name not in real)


def run(g: Graph) -> Graph:
    # a parameter may be computed from constants only (a DequantizeLinear of int8 weights, folded by
    # the passes), not from the graph's inputs at run time
    fixed = {name for name, t in g.tensors.items() if t.is_const}
    for node in g.nodes:
        check_const_inputs(node.op, node.name, node.inputs, lambda name: name in fixed)
        if all(i in fixed for i in node.inputs if i):
            fixed.update(node.outputs)
        traits(node).legalize(node, g)
    # then a dtype --list-ops does not list for its op (after the refusals above, which say what to change)
    quantized = op_dtypes.quantized_integers(g)
    for node in g.nodes:
        op_dtypes.check_node(node, g, quantized)
    return g
