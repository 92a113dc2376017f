"""Quantized graphs: fold QDQ islands into integer kernels, NHWC layout."""
from __future__ import annotations

from .errors import GenError
from .ir import Graph

QDQ_OPS = {"QuantizeLinear", "DequantizeLinear"}


def is_quantized(g: Graph) -> bool:
    return any(n.op in QDQ_OPS or n.op.startswith("QLinear") for n in g.nodes)


def run(g: Graph) -> Graph:
    raise GenError("quantized models are not supported yet")
