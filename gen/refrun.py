"""The numpy integer reference of a compiled int8 graph: every node through its family's `reference`
(gen.int8ref, written independently of the C), in the same memory layout as the C. It is the oracle
the generated C must equal bit for bit.
"""
from __future__ import annotations

import numpy as np

from .errors import GenError
from .ir import Graph
from .ops import family
from .ops.layout import VIEW_OPS


def _mem_shape(t):
    if t.layout == "NHWC":
        n, c, h, w = t.shape
        return (n, h, w, c)
    return t.shape


def run(g: Graph, inputs: list[np.ndarray], keep: bool = False) -> list[np.ndarray] | dict[str, np.ndarray]:
    """Runs the graph on int8 inputs (in the graph inputs' memory layout); returns the outputs (or all tensors)."""
    vals: dict[str, np.ndarray] = {}
    for name, x in zip(g.inputs, inputs):
        vals[name] = np.asarray(x).reshape(_mem_shape(g.t(name)))
    for node in g.nodes:
        ins = [vals[i] if i in vals else g.t(i).data for i in node.inputs if i]
        if node.op in VIEW_OPS or node.op in ("Identity", "Copy"):
            out = ins[0]
        else:
            fam = family(node)
            ref = getattr(fam, "reference", None)
            if ref is None:
                raise GenError(f"no numpy reference for {node.op}", node.name, node.op)
            acts = [vals[i] for i in node.inputs if i and i in vals]
            out = ref(node, g, *acts)
        y = g.t(node.outputs[0])
        vals[node.outputs[0]] = np.asarray(out).reshape(_mem_shape(y))
    if keep:
        return vals
    return [vals[o] for o in g.outputs]
