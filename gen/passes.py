"""Graph rewrites between the frontend and the planner.

Float: drop Identity/Dropout, fold BatchNormalization into Conv/Gemm, fuse Relu/Clip/LeakyRelu into
the producing kernel, make Reshape/Flatten/Squeeze/Unsqueeze views. Quantized graphs go through
gen.qpasses (QDQ folding, NHWC) before the same float-independent steps.
"""
from __future__ import annotations

import numpy as np

from .errors import GenError
from .ir import Activation, Graph, Node
from .ops.activation import clip_bounds
from .ops.batchnorm import bn_scale_shift
from .ops.layout import VIEW_OPS

FUSABLE = {"Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "MaxPool", "AveragePool", "GlobalAveragePool",
           "GlobalMaxPool"}


def rename_uses(g: Graph, old: str, new: str) -> None:
    """Every read of `old` reads `new` (in time proportional to old's readers, not to the graph)."""
    for n in g.consumers(old):
        n.inputs = [new if i == old else i for i in n.inputs]
    if old in g.outputs:
        g.outputs = [new if o == old else o for o in g.outputs]


def _remove_nodes(g: Graph, dead: set) -> None:
    """Drop nodes from the schedule in one pass (list.remove per node would be quadratic)."""
    if dead:
        g.nodes[:] = [n for n in g.nodes if n not in dead]


def drop_identity(g: Graph) -> None:
    dead: set = set()
    for node in list(g.nodes):
        if node.op not in ("Identity", "Dropout"):
            continue
        if node.op == "Dropout" and len(node.outputs) > 1 and node.outputs[1] and g.consumers(node.outputs[1]):
            raise GenError("Dropout's mask output is used: gen compiles inference graphs only", node.name, node.op)
        if node.op == "Dropout" and len(node.inputs) > 2 and node.inputs[2]:
            mode = g.const(node.inputs[2])
            if mode is None or bool(np.asarray(mode).reshape(-1)[0]):   # training mode drops at random
                raise GenError("Dropout in training mode (training_mode not a constant false) is not supported: "
                               "gen compiles inference graphs only", node.name, node.op)
        x, y = node.inputs[0], node.outputs[0]
        if y in g.outputs and (x in g.inputs or x in g.outputs or g.t(x).is_const):
            node.op, node.outputs = "Copy", [y]      # an output must have its own bytes
            continue
        g.detach(node)       # out of the producer/consumer index now, out of the list below
        dead.add(node)
        if y in g.outputs:
            # keep the graph output's name: the producer of x writes y directly
            prod = g.producer(x)
            prod.outputs = [y if o == x else o for o in prod.outputs]
            rename_uses(g, x, y)
        else:
            rename_uses(g, y, x)
    _remove_nodes(g, dead)


def _sole_consumer(g: Graph, name: str, node: Node) -> bool:
    return name not in g.outputs and g.consumers(name) == [node]


def fold_batchnorm(g: Graph) -> None:
    dead: set = set()
    for bn in list(g.nodes):
        if bn.op != "BatchNormalization":
            continue
        x = bn.inputs[0]
        prod = g.producer(x)
        if prod is None or prod.op not in ("Conv", "Gemm") or prod.act is not None or not _sole_consumer(g, x, bn):
            continue
        if any(g.const(i) is None for i in bn.inputs[1:5]) or g.const(prod.inputs[1]) is None:
            continue
        s, t = bn_scale_shift(bn, g)
        w = g.const(prod.inputs[1]).astype(np.float32)
        has_bias = len(prod.inputs) > 2 and prod.inputs[2]
        if has_bias and g.const(prod.inputs[2]) is None:
            continue
        if prod.op == "Conv":
            w2 = w * s.reshape((-1,) + (1,) * (w.ndim - 1))
            b = g.const(prod.inputs[2]).astype(np.float32) if has_bias else np.zeros(w.shape[0], np.float32)
            b2 = b * s + t
        else:
            if int(prod.attrs.get("transB", 0)):
                w2 = w * s.reshape(-1, 1)
            else:
                w2 = w * s.reshape(1, -1)
            beta = float(prod.attrs.get("beta", 1.0))
            c = g.const(prod.inputs[2]).astype(np.float32) * np.float32(beta) if has_bias else np.float32(0)
            c = np.broadcast_to(c, np.broadcast_shapes(np.shape(c), s.shape)) if np.ndim(c) < 2 else c
            b2 = (c * s + t).astype(np.float32)
            prod.attrs["beta"] = 1.0
        wname = g.add_const(prod.inputs[1] + "_bn", w2.astype(np.float32))
        bname = g.add_const((prod.inputs[2] if has_bias else prod.name + "_bias") + "_bn", b2.astype(np.float32))
        prod.inputs = [prod.inputs[0], wname, bname]
        prod.outputs = [bn.outputs[0]]
        g.detach(bn)
        dead.add(bn)
    _remove_nodes(g, dead)


def activation_of(node: Node, g: Graph) -> Activation | None:
    if node.op == "Relu":
        return Activation("relu", 0.0, float("inf"), 0.0)
    if node.op == "Clip":
        lo, hi = clip_bounds(node, g)
        return Activation("clip", lo, hi, 1.0)
    if node.op == "LeakyRelu":
        return Activation("leakyrelu", float("-inf"), float("inf"), float(node.attrs.get("alpha", 0.01)))
    return None


def fuse_activations(g: Graph) -> None:
    dead: set = set()
    for node in list(g.nodes):
        if node.op not in ("Relu", "Clip", "LeakyRelu"):
            continue
        x = node.inputs[0]
        prod = g.producer(x)
        if prod is None or prod.op not in FUSABLE or prod.act is not None or not _sole_consumer(g, x, node):
            continue
        if g.t(x).dtype != "float32":
            continue
        prod.act = activation_of(node, g)
        prod.outputs = [node.outputs[0] if o == x else o for o in prod.outputs]
        g.detach(node)
        dead.add(node)
    _remove_nodes(g, dead)


def make_views(g: Graph) -> None:
    for node in g.nodes:
        if node.op in VIEW_OPS:
            g.t(node.outputs[0]).view_of = node.inputs[0]


def run(g: Graph) -> Graph:
    drop_identity(g)
    fold_batchnorm(g)
    fuse_activations(g)
    make_views(g)
    g.remove_unused()
    return g
