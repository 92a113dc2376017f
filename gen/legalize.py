"""Legalize: the checks of the graph the frontend built that belong to an op, before any pass.

A generic driver: each node's family refuses, in its `legalize` hook (gen.ops.OpFamily), what the
model states wrongly and ONNX shape inference lets through (parameter shapes the passes and kernels
rely on). Nodes are visited in execution order; the first refusal is the GenError.
"""
from __future__ import annotations

from .ir import Graph
from .ops import traits


def run(g: Graph) -> Graph:
    for node in g.nodes:
        traits(node).legalize(node, g)
    return g
