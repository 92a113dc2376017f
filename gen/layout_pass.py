"""The layout pass of quantized graphs: which int8 activations are channels last in memory, and the
transposes between them (a stage of gen.driver.compile_graph, after the int8 lowering of gen.qpasses).

A pass that drives the families' traits only: each op's family says what it needs (its layout
trait, layout_for); what a layout means in memory is the one shared helper gen.ops.layout
(memory_perm, same_bytes).
"""
from __future__ import annotations

from .ir import Graph, Node
from .ops import op_with, traits
from .ops.layout import same_bytes


def _transpose(g: Graph, node_before: Node, src: str, to: str | None, tag: str) -> str:
    """Inserts a Transpose of `src` into layout `to` ('NHWC' or None) before node_before; returns the new tensor."""
    t = g.t(src)
    out = g.add_tensor(f"{src}_{'nhwc' if to else 'nchw'}", t, layout=to)
    g.nodes.insert(g.nodes.index(node_before),
                   Node(op_with("transposes_layout"), f"{node_before.name}_{tag}", [src], [out], {"to": to or "NCHW"}))
    return out


def assign_layouts(g: Graph, nhwc_io: bool = False) -> None:
    """Channels last ('NHWC', any rank >= 3: [N, C, L] as [N, L, C]) from the NHWC kernels on, as far as
    the ops after them keep it; transposes only where an op needs the other order. What a layout means
    in memory is gen.ops.layout's memory_perm. Each op's family says what it needs (its layout trait,
    layout_for): 'channels_last', 'any' (its first input's) or 'model'."""
    for name in g.inputs:
        t = g.t(name)
        if len(t.shape) >= 3 and (nhwc_io or same_bytes(t)):
            t.layout = "NHWC"

    copies: dict[tuple[str, str | None], str] = {}   # one transposed copy serves every consumer

    def want(node, k, layout):
        name = node.inputs[k]
        t = g.t(name)
        if not name or t.is_const or t.layout == layout or same_bytes(t):
            return
        if (name, layout) not in copies:
            copies[(name, layout)] = _transpose(g, node, name, layout, f"layout{k}")
        node.inputs[k] = copies[(name, layout)]

    for node in list(g.nodes):
        ins = [k for k, i in enumerate(node.inputs) if i and not g.t(i).is_const]
        outs = [g.t(o) for o in node.outputs if o]
        first = g.t(node.inputs[ins[0]]).layout if ins else None
        kind = traits(node).layout_for(node, g, first)
        if kind == "channels_last":
            for k in ins[:1]:
                want(node, k, "NHWC")
            lay = "NHWC"
        elif kind == "any":
            for k in ins:
                want(node, k, first)
            lay = first
        else:   # views, FC, Transpose, float fallback, quantize/dequantize: model (row-major) order
            for k in ins:
                want(node, k, None)
            lay = None
        for t in outs:
            t.layout = lay if len(t.shape) >= 3 else None
    # graph outputs in the model's order
    for k, name in enumerate(list(g.outputs)):
        t = g.t(name)
        if t.layout == "NHWC" and not same_bytes(t) and not nhwc_io:
            out = g.add_tensor(f"{name}_nchw", t, layout=None)
            g.nodes.append(Node(op_with("transposes_layout"), f"output{k}_layout", [name], [out], {"to": "NCHW"}))
            g.outputs[k] = out


def run(g: Graph, nhwc_io: bool = False) -> Graph:
    """The layout stage: a graph the int8 lowering marked (g.options["int8"]) gets its layouts; a float
    graph stays in the model's order."""
    if g.options.get("int8"):
        assign_layouts(g, nhwc_io)
        g.remove_unused()
    return g
