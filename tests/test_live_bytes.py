"""Per-layer live bytes (issue 12: "per layer, the live bytes and the lower bound"; gen/plan.py step_bytes).

Each layer row of the summary and the plan JSON carries `live_bytes` (the arena bytes the placed buffers alive
at the layer occupy, shared bytes once) and `whole_tensor_bytes` (the sum of the simple plan's buffers alive
then, whose maximum is the whole-tensor lower bound). They are checked against an independent recomputation:
a byte x layer occupancy grid built from the plan JSON's offsets, sizes and lifetimes (and, for the bound, from
the `--plan simple` plan JSON of the same model). Also: the kernel the summary names is the one the C calls
(the layout change in place is gen_fast_chlast_cycles_s8 / gen_fast_chlast_inplace_s8, not gen_fast_chlast_s8),
and the op modules learn the plan's choice for a node only from EmitContext.overlap_rule (Plan.rules), whose
record agrees with the plan's overlaps and scratch.
"""
from __future__ import annotations

import ast
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from graphs import float_model, mlperf_int8, node, quantize_model  # noqa: E402

from gen import driver, frontend  # noqa: E402
from gen.ops import family, supported_onnx_ops  # noqa: E402
from gen.plan import ALIGN, Buffer, Plan, make_plan, step_bytes  # noqa: E402
from gen.report import summary_text  # noqa: E402

STEMS = ["kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8", "ad_fc_autoencoder"]


def aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def plan_json(res) -> dict:
    return json.loads(res.files[f"{res.summary['name']}_plan.json"])


def buffers(s: dict) -> list[tuple[int, int, int, int]]:
    """(first, last, offset, size) of every planned buffer in a plan JSON, tensors and scratch."""
    return [(t["first"], t["last"], t["offset"], t["size"]) for t in s["tensors"].values()] + \
        [(t["node_index"], t["node_index"], t["offset"], t["size"]) for t in s["scratch"].values()]


def occupied_grid(s: dict) -> list[int]:
    """Per layer: the arena bytes some buffer alive then covers (an explicit byte grid, sizes aligned)."""
    n = len(s["layers"])
    grid = np.zeros((n, max(s["arena_size"], 1)), bool)
    for first, last, off, size in buffers(s):
        grid[first:last + 1, off:off + aligned(size)] = True
    return [int(v) for v in grid.sum(axis=1)]


def alive_sums(s: dict) -> list[int]:
    """Per layer: the sum of the aligned sizes of the buffers alive then."""
    return [sum(aligned(size) for first, last, _, size in buffers(s) if first <= i <= last)
            for i in range(len(s["layers"]))]


def check_rows(s: dict, simple: dict) -> None:
    """The layer rows of plan JSON `s` against the byte grid and the simple plan `simple` of the same graph."""
    live = [r["live_bytes"] for r in s["layers"]]
    whole = [r["whole_tensor_bytes"] for r in s["layers"]]
    assert live == occupied_grid(s)
    assert whole == alive_sums(simple)
    assert max(whole, default=s["arena_lower_bound"]) == s["arena_lower_bound"] == simple["arena_lower_bound"]
    assert max(live, default=0) <= s["arena_size"]
    peak = max(range(len(live)), key=lambda k: (live[k], -k)) if live else None
    assert s["peak_layer"] == peak and [k for k, r in enumerate(s["layers"]) if r["peak"]] == \
        ([] if peak is None else [peak])
    for i, r in enumerate(s["layers"]):
        shared = [o for o in s["overlaps"] if o["node"] == r["node"]]
        if not shared:      # no bytes shared at the layer (only a layer's own overlap shares any): union == sum
            assert r["live_bytes"] == alive_sums(s)[i], r["node"]
        else:
            assert r["live_bytes"] < alive_sums(s)[i], r["node"]


def check_simple(simple: dict) -> None:
    """--plan simple: nothing overlaps, so the live bytes are the whole-tensor sum at every layer, and the
    arena is at least its maximum."""
    assert simple["overlaps"] == []
    assert [r["live_bytes"] for r in simple["layers"]] == [r["whole_tensor_bytes"] for r in simple["layers"]]
    assert max(r["live_bytes"] for r in simple["layers"]) == simple["arena_lower_bound"] <= simple["arena_size"]


def model_path(stem):
    return mlperf_int8(stem)


_CACHE: dict = {}


def generated(stem, plan):
    if (stem, plan) not in _CACHE:
        _CACHE[stem, plan] = driver.generate(model_path(stem), None, test_vectors=0, plan=plan)
    return _CACHE[stem, plan]


@pytest.mark.parametrize("stem", STEMS)
def test_mlperf_live_bytes_against_the_plan_json(stem):
    res, simple = generated(stem, "overlap"), generated(stem, "simple")
    s, ss = plan_json(res), plan_json(simple)
    check_rows(s, ss)
    check_rows(ss, ss)
    check_simple(ss)
    assert ss["arena_size"] == ss["arena_lower_bound"]      # the MLPerf models' greedy plans reach the bound
    if stem != "ad_fc_autoencoder":     # the overlap plan: some layer below the whole-tensor sum
        assert any(r["live_bytes"] < r["whole_tensor_bytes"] for r in s["layers"])


@pytest.mark.parametrize("stem", ["kws_dscnn", "vww_mobilenetv1_025"])
def test_summary_table_shows_live_bytes_and_the_peak(stem):
    s = generated(stem, "overlap").summary
    text = summary_text(s)
    lines = text.splitlines()
    head = lines[0].split()
    assert "live" in head and "B" in head
    col = lines[0].index("live B") + len("live B")      # the column is right-aligned: its values end there
    rows = lines[2:2 + len(s["layers"])]
    shown = [row[:col].split("  ")[-1].strip() for row in rows]
    want = [("* " if r["peak"] else "") + f"{r['live_bytes']:,}" for r in s["layers"]]
    assert shown == want
    assert sum(v.startswith("* ") for v in shown) == 1
    peak = s["layers"][s["peak_layer"]]
    assert f"  live:  {peak['live_bytes']:,} B of the arena in use at the peak layer {s['peak_layer']} " in text
    # the RAM line keeps the arena beside the whole-tensor bound and TFLM's
    assert re.search(rf"arena {s['arena_size']:,} B.*lower bound for whole tensors {s['arena_lower_bound']:,} B"
                     r".*TFLM's arena [\d,]+ B", text)


# ---- small synthetic graphs: a convolution with layout changes at both ends (the in-place layout change) ----

def conv_model(c: int, h: int, w: int, m: int = 8, stride: int = 2, seed: int = 0):
    rng = np.random.default_rng(seed)
    fm = float_model([node("Conv", ["x", "W"], ["y"], pads=[1, 1, 1, 1], strides=[stride, stride])],
                     {"x": (1, c, h, w)}, ["y"], {"W": rng.normal(size=(m, c, 3, 3)).astype(np.float32)})
    return quantize_model(fm, [{"x": rng.normal(size=(1, c, h, w)).astype(np.float32)} for _ in range(4)])


def compile_model(q, plan):
    return driver.compile_graph(frontend.from_model(q, name="m", supported=supported_onnx_ops()), "m", "t.onnx",
                                plan=plan)


# (3, 32, 32): few permutation cycles (gen_fast_chlast_cycles_s8); (4, 32, 32): too many for a table, the
# bitmap kernel (gen_fast_chlast_inplace_s8); (16, 6, 5): too small to be worth a slower layout change
@pytest.mark.parametrize("shape,inplace", [((3, 32, 32), "gen_fast_chlast_cycles_s8"),
                                           ((4, 32, 32), "gen_fast_chlast_inplace_s8"), ((16, 6, 5), None)])
def test_synthetic_live_bytes_and_the_layout_kernel_called(shape, inplace):
    res, simple = compile_model(conv_model(*shape), "overlap"), compile_model(conv_model(*shape), "simple")
    s, ss = plan_json(res), plan_json(simple)
    check_rows(s, ss)
    check_rows(ss, ss)
    check_simple(ss)
    first = s["layers"][0]
    assert first["op"] == "LayoutS8"
    in_place = any(o["node"] == first["node"] for o in s["overlaps"])
    assert in_place == (inplace is not None)
    assert first["kernel"] == (inplace or "gen_fast_chlast_s8")
    assert ss["layers"][0]["kernel"] == "gen_fast_chlast_s8"
    if in_place:        # written over its input: the layer holds one copy of the image (and the bitmap's scratch)
        assert first["live_bytes"] == first["bytes"] + aligned(first["scratch_bytes"])
        assert first["whole_tensor_bytes"] == 2 * first["bytes"]
    for summary, files in ((s, res.files), (ss, simple.files)):
        c = files["m.c"].decode()
        for layer in summary["layers"]:
            if layer["op"] == "LayoutS8":    # the kernel named is the one the node's wrapper calls
                called = set(re.findall(r"\b(gen_fast_chlast\w*_s8)\(", c))
                assert layer["kernel"] in called
                assert f"LayoutS8, kernel {layer['kernel']}\n" in c
        if summary is ss:
            assert set(re.findall(r"\b(gen_fast_chlast\w*_s8)\(", c)) == {"gen_fast_chlast_s8"}


def test_vww_names_the_in_place_layout_kernel():
    """VWW int8's input layout change runs in place by its cycles (the overlap plan): the summary, the plan JSON
    and the node's comment in the C name gen_fast_chlast_cycles_s8, the function its wrapper calls."""
    res, simple = generated("vww_mobilenetv1_025", "overlap"), generated("vww_mobilenetv1_025", "simple")
    layer = res.summary["layers"][0]
    assert layer["op"] == "LayoutS8" and any(o["node"] == layer["node"] for o in res.summary["overlaps"])
    assert layer["kernel"] == "gen_fast_chlast_cycles_s8"
    c = res.files[f"{res.summary['name']}.c"].decode()
    assert "gen_fast_chlast_cycles_s8(x, y, leaders" in c and "LayoutS8, kernel gen_fast_chlast_cycles_s8\n" in c
    assert "gen_fast_chlast_s8(" not in c
    assert " gen_fast_chlast_cycles_s8 " in summary_text(res.summary).splitlines()[2]
    assert simple.summary["layers"][0]["kernel"] == "gen_fast_chlast_s8"


@settings(max_examples=int(os.environ.get("GEN_LIVE_EXAMPLES", "6")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 1000), data=st.data())
def test_random_int8_graphs_live_bytes(seed, data):
    """tests/test_property_graphs.py's int8 graphs, both plans: the rows against the plan JSON's byte grid."""
    import test_property_graphs as P
    m = data.draw(P.graphs())
    q = P.quantize(m, P.inputs_for(m, seed + 1, 8))
    res = driver.compile_graph(frontend.from_model(q, name="ov"), "ov", "ov.onnx")
    simple = driver.compile_graph(frontend.from_model(q, name="ov"), "ov", "ov.onnx", plan="simple")
    check_rows(plan_json(res), plan_json(simple))
    check_simple(plan_json(simple))


# ---- step_bytes itself, on hand-made plans: against a byte x step grid ----

@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(0, 23), st.integers(0, 7), st.integers(0, 4)),
                min_size=0, max_size=14), st.integers(0, 10))
def test_step_bytes_against_a_byte_grid(spec, steps):
    """Buffers anywhere (overlapping or not; offsets in words, as the plan places them), alive over any steps
    (some past the last, as graph outputs are): the occupied bytes and the sum of aligned sizes per step."""
    bufs = [Buffer(f"b{k}", size, start, start + life, offset=4 * word)
            for k, (word, size, start, life) in enumerate(spec)]
    top = max((b.offset + aligned(b.size) for b in bufs), default=0)
    plan = Plan(top, bufs, {}, {}, 0, bound_buffers=bufs)
    grid = np.zeros((steps, top + 1), bool)
    for b in bufs:
        grid[b.start:b.end + 1, b.offset:b.offset + aligned(b.size)] = True
    got = step_bytes(plan, steps)
    assert got.live == [int(v) for v in grid.sum(axis=1)]
    assert got.whole_tensor == [sum(aligned(b.size) for b in bufs if b.start <= i <= b.end) for i in range(steps)]
    assert got.peak == (int(np.argmax(grid.sum(axis=1))) if steps else None)


# ---- emit's one lookup of the overlap plan's choice ----

def test_op_modules_ask_the_plan_only_through_overlap_rule():
    """No op module reads the plan (its overlaps, rules, scratch) itself, nor infers the choice from the scratch
    size it was given (ctx.scratch_size only gives a CMSIS-NN context its buffer's size, s8common.cmsis_ctx);
    EmitContext.overlap_rule is the one way in."""
    found = []
    for path in sorted((Path(__file__).resolve().parents[1] / "gen" / "ops").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        found += [(path.name, n.lineno, n.attr) for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                  and (n.attr in ("plan", "overlaps", "overlap_of", "rules", "rule_of") or
                       n.attr == "scratch_size" and path.name != "s8common.py")]
    assert not found, found


@pytest.mark.parametrize("stem", ["kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8"])
def test_the_plans_record_of_its_rules(stem):
    """Plan.rules (what ctx.overlap_rule returns) holds the rule of every overlap the plan declares, one of the
    node's family's rules, with the rule's scratch planned for the node; VWW int8 uses every variant the
    MLPerf models have (the depthwise ring, the layout change by its cycles, a pointwise layer backward)."""
    g = generated(stem, "overlap").graph
    nodes = {n.name: n for n in g.nodes}
    plan = make_plan(g, {n.name: int(family(n).scratch(n, g)) for n in g.nodes},
                     {n.name: family(n).overlap(n, g) for n in g.nodes})
    assert {o.node: o.rule for o in plan.overlaps}.items() <= plan.rules.items()
    for name, rule in plan.rules.items():
        assert rule in family(nodes[name]).overlap(nodes[name], g)
        if rule.scratch:
            assert plan.scratch[name].size == rule.scratch
    if stem == "vww_mobilenetv1_025":
        assert {r.variant for r in plan.rules.values()} == {"", "ring", "cycles"}
        assert any(r.reverse for r in plan.rules.values())
    assert not make_plan(g, {n.name: int(family(n).scratch(n, g)) for n in g.nodes}).rules    # the simple plan
