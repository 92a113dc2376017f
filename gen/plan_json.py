"""The plan JSON (NAME_plan.json): the summary of the library, its layers, tensors and scratch."""
from __future__ import annotations

import json
import os

from . import __version__
from .ir import Graph
from .ops import family
from .ops.layout import mem_shape
from .plan import Plan, step_bytes


def kernel_called(node, g: Graph, plan: Plan) -> str:
    """The kernel the node's C calls: the one of the overlap rule the plan chose (a layout change in place, a
    pointwise layer backward), else the family's."""
    rule = plan.rule_of(node.name)
    return rule.kernel if rule is not None and rule.kernel else family(node).kernel(node, g)


def layer_table(g: Graph, plan: Plan, node_weights: dict[str, int]) -> list[dict]:
    shares = {o.node: o.shared for o in plan.overlaps}
    steps = step_bytes(plan, len(g.nodes))
    rows = []
    for k, node in enumerate(g.nodes):
        fam = family(node)
        out = next(o for o in node.outputs if o)     # an optional output may be absent ('')
        sb = plan.scratch.get(node.name)
        rows.append({
            "node": node.name, "op": node.op + (f"+{node.act.kind}" if node.act else ""),
            "kernel": kernel_called(node, g, plan),
            "inputs": [list(g.t(i).shape) for i in node.inputs if i and not g.t(i).is_const],
            "output": list(g.t(out).shape), "dtype": g.t(out).dtype,
            "macs": int(fam.macs(node, g)), "weight_bytes": node_weights[node.name],
            "offset": plan.offsets.get(out, 0), "bytes": g.t(out).nbytes,
            "scratch_offset": sb.offset if sb else None, "scratch_bytes": sb.size if sb else 0,
            # a view computes nothing (its input's bytes); a row band's window of its stage's output is written
            "view": g.t(out).view_of is not None and g.t(out).view_offset is None,
            "shares_input_bytes": shares.get(node.name, 0),
            "live_bytes": steps.live[k], "whole_tensor_bytes": steps.whole_tensor[k], "peak": k == steps.peak,
        })
    return rows


def io_info(g: Graph, plan: Plan) -> dict:
    def one(name):
        t = g.t(name)
        d = {"name": name, "shape": list(t.shape), "dtype": g.io_dtype(name), "offset": plan.offsets[name],
             "size": t.size}
        if g.options.get("io_layout") == "nhwc" and t.layout == "NHWC":    # --io-layout nhwc: memory order
            d["shape"], d["layout"] = list(mem_shape(t)), "NHWC"
        if t.quant is not None:
            d["scale"], d["zero_point"] = t.quant.s(), t.quant.zp()
        elif t.dtype == "int8":     # plain integers (no QDQ): the float entry point converts them as they are
            d["scale"], d["zero_point"] = 1.0, 0
        if name in samples:         # a parameter input the C checks (gen/rtparams.py): a value it computes
            d["sample"] = samples[name]
        return d
    from .rtparams import samples as rt_samples
    samples = rt_samples(g)
    return {"inputs": [one(n) for n in g.inputs], "outputs": [one(n) for n in g.outputs]}


def summary(g: Graph, plan: Plan, name: str, source: str, weight_bytes: int, node_weights: dict[str, int]) -> dict:
    io = io_info(g, plan)
    table = layer_table(g, plan, node_weights)
    return {
        "model": os.path.basename(source), "name": name, "generator": f"gen {__version__}",
        "arena_size": plan.arena_size, "arena_lower_bound": plan.lower_bound,
        "peak_layer": next((k for k, r in enumerate(table) if r["peak"]), None),
        "weight_bytes": weight_bytes, "macs": sum(r["macs"] for r in table),
        "scratch_bytes": max((b.size for b in plan.scratch.values()), default=0),
        **io, "layers": table,
        "tensors": {b.name: {"offset": b.offset, "size": b.size, "first": b.start, "last": b.end}
                    for b in plan.buffers if b.scratch_of is None},
        "scratch": {b.scratch_of: {"offset": b.offset, "size": b.size, "node_index": b.start}
                    for b in plan.buffers if b.scratch_of is not None},
        "overlaps": [{"node": o.node, "output": o.output, "input": o.input, "shared_bytes": o.shared,
                      "output_offset": plan.offsets[o.output], "input_offset": plan.offsets[o.input],
                      "rule": o.rule.text(),
                      "loop": o.rule.loop} for o in plan.overlaps],
        "notes": list(g.notes),
        **({"bands": g.options["bands"]} if g.options.get("bands") else {}),    # --ram min's row bands (gen/bands.py)
    }


def plan_json(summary: dict) -> bytes:
    return (json.dumps(summary, indent=1, sort_keys=True) + "\n").encode()
