"""The generic graph rewrites of the pipeline (gen.driver.compile_graph runs them in its order):

- `cleanup`, first of all: the is_cleanup ops (Identity, Dropout) are removed (a Copy where an output
  needs its own bytes), so no later pass, float or int8, sees them;
- `fuse`, after the int8 lowering (gen.qpasses) and the layout (gen.layout_pass): a BatchNormalization
  folds into a folds_batchnorm producer, a float activation into a fuses_activation producer;
- `make_views`, last: is_view ops (Reshape, Flatten, ...) share their input's bytes.

`fusable_producer` is the one test of "this activation folds into its producer" that the float fusion
and gen.qpasses' islands share.
"""
from __future__ import annotations

import numpy as np

from .ir import Activation, Graph, Node
from .ops import has, op_with, traits

# every op-specific rule is a trait or hook of the op's family (gen.ops.OpFamily): is_cleanup,
# is_batchnorm / folds_batchnorm, is_activation / clamps / fuses_activation, is_view; these passes only
# drive them


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


def bypass(g: Graph, node: Node) -> bool:
    """Take out `node`, whose output equals its first input: its readers read the input (a graph
    output keeps its name: the input's producer writes it). Where the output must have its own bytes
    (a graph input, another output or a constant to a graph output) the node becomes the is_copy op
    instead and False is returned. The caller drops a removed node from g.nodes."""
    x, y = node.inputs[0], node.outputs[0]
    if y in g.outputs and (x in g.inputs or x in g.outputs or g.t(x).is_const):
        node.op, node.outputs = op_with("is_copy"), [y]
        return False
    g.detach(node)       # out of the producer/consumer index now, out of the list below
    if y in g.outputs:
        # keep the graph output's name: the producer of x writes y directly
        prod = g.producer(x)
        prod.outputs = [y if o == x else o for o in prod.outputs]
        rename_uses(g, x, y)
    else:
        rename_uses(g, y, x)
    return True


def cleanup(g: Graph) -> None:
    """Remove the is_cleanup ops (after their family's check_removable): the first stage, so no later
    pass sees them."""
    dead: set = set()
    for node in list(g.nodes):
        if not has(node, "is_cleanup"):
            continue
        traits(node).check_removable(node, g)
        if bypass(g, node):
            dead.add(node)
    _remove_nodes(g, dead)


def fold_batchnorm(g: Graph) -> None:
    dead: set = set()
    for bn in list(g.nodes):
        if not has(bn, "is_batchnorm"):
            continue
        x = bn.inputs[0]
        prod = g.producer(x)
        if prod is None or not has(prod, "folds_batchnorm") or prod.act is not None or not g.sole_consumer(x, bn):
            continue
        if any(g.const(i) is None for i in bn.inputs[1:5]) or g.const(prod.inputs[1]) is None:
            continue
        s, t = traits(bn).scale_shift(bn, g)
        w = g.const(prod.inputs[1]).astype(np.float32)
        has_bias = len(prod.inputs) > 2 and prod.inputs[2]
        if has_bias and g.const(prod.inputs[2]) is None:
            continue
        w2, b2 = traits(prod).fold_batchnorm(prod, g, w, s, t, has_bias)
        wname = g.add_const(prod.inputs[1] + "_bn", w2.astype(np.float32))
        bname = g.add_const((prod.inputs[2] if has_bias else prod.name + "_bias") + "_bn", b2.astype(np.float32))
        prod.inputs = [prod.inputs[0], wname, bname]
        prod.outputs = [bn.outputs[0]]
        g.detach(bn)
        dead.add(bn)
    _remove_nodes(g, dead)


def activation_of(node: Node, g: Graph) -> Activation | None:
    """The activation an is_activation/clamps node applies, fused into its producer."""
    return traits(node).activation(node, g)


def fusable_producer(g: Graph, node: Node, kind: str = "is_activation") -> Node | None:
    """The producer that the activation `node` (an op with trait `kind`: is_activation for float
    fusion, clamps for an int8 island) fuses into: a fuses_activation op without an activation yet,
    whose output only `node` reads. None if there is none."""
    if not has(node, kind):
        return None
    x = node.inputs[0]
    prod = g.producer(x)
    if prod is None or not has(prod, "fuses_activation") or prod.act is not None or not g.sole_consumer(x, node):
        return None
    return prod


def fuse_activations(g: Graph) -> None:
    dead: set = set()
    for node in list(g.nodes):
        prod = fusable_producer(g, node)
        if prod is None:
            continue
        x = node.inputs[0]
        if g.t(x).dtype != "float32":
            continue
        prod.act = activation_of(node, g)
        prod.outputs = [node.outputs[0] if o == x else o for o in prod.outputs]
        g.detach(node)
        dead.add(node)
    _remove_nodes(g, dead)


def make_views(g: Graph) -> None:
    for node in g.nodes:
        if has(node, "is_view"):
            g.t(node.outputs[0]).view_of = node.inputs[0]


def fuse(g: Graph) -> None:
    """The fusions the families declare: BatchNormalization into its producer, then activations."""
    fold_batchnorm(g)
    fuse_activations(g)


def run(g: Graph) -> Graph:
    """cleanup, fuse and views in one go (the driver runs them as separate stages, around gen.qpasses)."""
    cleanup(g)
    fuse(g)
    make_views(g)
    g.remove_unused()
    return g
