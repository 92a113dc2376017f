"""The overlap-aware memory plan (issue 12, gen/overlap.py, gen/plan.py).

Safety: the GEN_CHECK_OVERLAP build runs every overlapped layer a second time from a private copy of its
input and returns -3 when the outputs differ (gen/overlap_c.py); the MLPerf int8 models run that build here, and
their outputs must equal the simple plan's and gen's numpy reference bit for bit (Hypothesis int8 graphs: in
tests/test_property_graphs.py, and drawn to overlap on the host, under sanitizers and QEMU in
tests/test_overlap_graphs.py).
A deliberately wrong rule must be caught by it. Also: the arenas at or below issue 12's targets, `--plan
simple` = the plan before the overlap planner, the plan JSON and summary show the overlaps, and the C refuses
to build an overlapping plan against the real CMSIS-NN.
"""
from __future__ import annotations

import json
import os
import subprocess

import numpy as np
import pytest

from gen import driver, refrun
from gen.host import HostModel
from gen.ops import conv_s8, fast_s8
from gen.ops.layout import to_memory
from gen.overlap import OverlapRule
from gen.report import summary_text

from graphs import mlperf_int8  # noqa: E402

# issue 12's targets (arena with input, output and scratch, default options)
TARGETS = {"kws_dscnn": 9_500, "vww_mobilenetv1_025": 40_000, "ic_resnet8": 36_000, "ad_fc_autoencoder": 768}
# the whole-tensor plan's arenas, which --plan simple keeps (KWS's scratch includes the Helium depthwise path's
# four padded planes)
SIMPLE = {"kws_dscnn": 16_756, "vww_mobilenetv1_025": 55_296, "ic_resnet8": 49_728, "ad_fc_autoencoder": 768}
CHECK = ["-DGEN_CHECK_OVERLAP"]


def model_path(stem):
    return mlperf_int8(stem)


_CACHE: dict = {}


def compiled(stem, plan="overlap"):
    key = (stem, plan)
    if key not in _CACHE:
        _CACHE[key] = driver.generate(model_path(stem), None, test_vectors=0, plan=plan)
    return _CACHE[key]


def int8_inputs(res, seed, n=2):
    t = res.summary["inputs"][0]
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, t["size"]).astype(np.int8).reshape(t["shape"]) for _ in range(n)]


def reference(res, x):
    g = res.graph
    return np.asarray(refrun.run(g, [to_memory(g.t(g.inputs[0]), x)], keep=True)[g.outputs[0]]).reshape(-1)


def disjoint_while_alive(plan, overlaps=()):
    """Every two buffers alive at one step have disjoint bytes, but the pairs the plan declares overlapping."""
    allowed = {(o.output, o.input) for o in overlaps}
    bufs = plan.buffers
    for i, a in enumerate(bufs):
        for b in bufs[i + 1:]:
            if a.overlaps(b) and (a.name, b.name) not in allowed and (b.name, a.name) not in allowed:
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


@pytest.mark.parametrize("stem", list(TARGETS))
def test_mlperf_overlapped_layers_are_safe(stem):
    """The check build (each overlapped layer also from a private copy of its input) runs, and gives the simple
    plan's outputs and the numpy reference's, bit for bit."""
    res, simple = compiled(stem), compiled(stem, "simple")
    checked, plain = HostModel(res.files, cflags=CHECK), HostModel(simple.files)
    for x in int8_inputs(res, 1):
        got = checked.run_s8(x)[0].reshape(-1)
        np.testing.assert_array_equal(got, plain.run_s8(x)[0].reshape(-1))
        np.testing.assert_array_equal(got, reference(res, x))
    if stem != "ad_fc_autoencoder":     # fully connected layers only: nothing overlaps
        assert len(res.summary["overlaps"]) >= 8
    plan = _plan(res)
    assert plan.arena_size == res.summary["arena_size"]
    disjoint_while_alive(plan, plan.overlaps)


def _plan(res):
    from gen.ops import family
    from gen.plan import make_plan
    g = res.graph
    scratch = {n.name: int(family(n).scratch(n, g)) for n in g.nodes}
    return make_plan(g, scratch, {n.name: family(n).overlap(n, g) for n in g.nodes})


@pytest.mark.parametrize("stem", list(TARGETS))
def test_arena_at_or_below_the_targets(stem):
    s = compiled(stem).summary
    assert s["arena_size"] <= TARGETS[stem]
    assert s["arena_lower_bound"] == SIMPLE[stem]       # the whole-tensor bound stays reported


@pytest.mark.parametrize("stem", list(TARGETS))
def test_plan_simple_is_the_plan_before(stem):
    res = compiled(stem, "simple")
    assert res.summary["arena_size"] == SIMPLE[stem] and res.summary["overlaps"] == []
    disjoint_while_alive(_simple_plan(res))
    assert "GEN_CHECK_OVERLAP" not in res.files[f"{res.summary['name']}.c"].decode()


def _simple_plan(res):
    from gen.ops import family
    from gen.plan import make_plan
    g = res.graph
    return make_plan(g, {n.name: int(family(n).scratch(n, g)) for n in g.nodes})


def test_cmsis_nn_kernels_imply_the_simple_plan():
    res = driver.generate(model_path("kws_dscnn"), None, test_vectors=0, kernels="cmsis-nn")
    assert res.summary["overlaps"] == []


def test_plan_json_and_summary_show_the_overlaps():
    res = compiled("kws_dscnn")
    s = json.loads(res.files[f"{res.summary['name']}_plan.json"])
    assert s["overlaps"]
    tensors = s["tensors"]
    for o in s["overlaps"]:
        out, inp = tensors[o["output"]], tensors[o["input"]]
        shared = min(out["offset"] + out["size"], inp["offset"] + inp["size"]) - max(out["offset"], inp["offset"])
        assert shared == o["shared_bytes"] > 0
        assert out["first"] == inp["last"]       # the input dies at the layer that writes over it
    layers = {r["node"]: r for r in s["layers"]}
    assert all(layers[o["node"]]["shares_input_bytes"] == o["shared_bytes"] for o in s["overlaps"])
    text = summary_text(res.summary)
    assert f"arena {s['arena_size']:,} B" in text and f"lower bound for whole tensors {SIMPLE['kws_dscnn']:,} B" in text
    assert "TFLM's arena 22,824 B" in text
    assert sum(line.startswith("  overlap: node ") for line in text.splitlines()) == len(s["overlaps"])


def _syntax_check(files, tmp_path, defines):
    for f, data in files.items():
        (tmp_path / f).write_bytes(data)
    name = next(f for f in files if f.endswith("_plan.json"))[: -len("_plan.json")]
    inc = ["-I", "/tmp/cmsisnn/Include"] if os.path.isdir("/tmp/cmsisnn/Include") else []
    return subprocess.run(["gcc", "-std=c99", "-fsyntax-only", *defines, *inc, "-I", str(tmp_path),
                           str(tmp_path / f"{name}.c")], capture_output=True, text=True)


def test_overlapping_plan_refuses_the_real_cmsis_nn(tmp_path):
    (tmp_path / "o").mkdir()
    r = _syntax_check(compiled("kws_dscnn").files, tmp_path / "o", ["-DGEN_USE_CMSIS_NN"])
    assert r.returncode != 0 and "overlapping memory plan: generate with --plan simple" in r.stderr
    (tmp_path / "s").mkdir()
    r = _syntax_check(compiled("kws_dscnn", "simple").files, tmp_path / "s", ["-DGEN_USE_CMSIS_NN"])
    assert "overlapping memory plan" not in r.stderr
    if os.path.isdir("/tmp/cmsisnn/Include"):      # the real headers there: the simple plan builds
        assert r.returncode == 0, r.stderr


def test_the_check_build_catches_an_unsafe_rule(monkeypatch):
    """A pointwise layer declared safe in place (lead 0, it is not: every channel pair re-reads its rows after
    writing over them) makes the check build fail, while the normal build runs it silently wrong."""
    unsafe = OverlapRule(0, 0, fast_s8.wide_bytes(64), "deliberately wrong")
    real = conv_s8.ConvS8.overlap
    monkeypatch.setattr(conv_s8.ConvS8, "overlap", lambda self, node, g: (unsafe,) if self.fast(node, g) == "pw"
                        else real(self, node, g))
    res = driver.generate(model_path("kws_dscnn"), None, test_vectors=0)
    assert any(o["rule"] == "output start <= input start - 0" for o in res.summary["overlaps"])
    x = int8_inputs(res, 3, 1)[0]
    with pytest.raises(RuntimeError, match="returned -3"):
        HostModel(res.files, cflags=CHECK).run_s8(x)
    assert not np.array_equal(HostModel(res.files).run_s8(x)[0].reshape(-1), reference(res, x))


@pytest.mark.parametrize("stem", ["kws_dscnn", "ic_resnet8"])
def test_sanitizers_and_arena_guard_pass_with_overlapped_plans(stem):
    res = compiled(stem)
    san = HostModel(res.files, cflags=CHECK, sanitize=True)
    x = int8_inputs(res, 4, 1)[0]
    np.testing.assert_array_equal(san.run_s8(x)[0].reshape(-1), reference(res, x))


@pytest.mark.parametrize("n,c,hw", [(1, 3, 9216), (2, 3, 7), (1, 1, 5), (1, 9, 13), (1, 16, 1), (1, 16, 30), (2, 5, 4)])
@pytest.mark.parametrize("to_last", [1, 0])
@pytest.mark.parametrize("kernel", ["bitmap", "cycles"])
def test_inplace_layout_change_equals_numpy(tmp_path, n, c, hw, to_last, kernel):
    """gen_fast_chlast_inplace_s8 (a bitmap of the elements moved) and gen_fast_chlast_cycles_s8 (each cycle
    from its leader, fast_eltwise.cycle_leaders) with out == in permute each image as numpy's transpose does."""
    from gen.emit import runtime_closure
    from gen.ops.fast_eltwise import cycle_leaders
    leaders = cycle_leaders(c, hw)
    if kernel == "cycles" and leaders is None:
        pytest.skip("no cycle table for this shape (the bitmap kernel takes it)")
    for f, data in runtime_closure(["gen_fast_inplace_s8.h"]).items():
        (tmp_path / f).write_bytes(data)
    size = n * c * hw
    call = (f"gen_fast_chlast_inplace_s8(x, x, seen, {n}, {c}, {hw}, {to_last});" if kernel == "bitmap" else
            f"gen_fast_chlast_cycles_s8(x, x, leaders, {len(leaders)}, {n}, {c}, {hw}, {to_last});")
    table = "" if kernel == "bitmap" else f"static const int32_t leaders[] = {{{', '.join(map(str, leaders))}}};"
    (tmp_path / "t.c").write_text(f"""
#include <stdio.h>
#include "gen_fast_inplace_s8.h"
static int8_t x[{size}];
static uint32_t seen[{(c * hw + 31) // 32}];
{table}
int main(void)
{{
    int i;
    (void)seen;
    for (i = 0; i < {size}; i++) {{ x[i] = (int8_t)(i * 37 % 251 - 125); }}
    {call}
    for (i = 0; i < {size}; i++) {{ printf("%d\\n", x[i]); }}
    return 0;
}}
""")
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O2", "-I", str(tmp_path),
                    str(tmp_path / "t.c"), "-o", str(exe)], check=True, capture_output=True)
    got = np.array(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split(), np.int64)
    x = (np.arange(size) * 37 % 251 - 125)
    want = (x.reshape(n, c, hw).transpose(0, 2, 1) if to_last else x.reshape(n, hw, c).transpose(0, 2, 1)).reshape(-1)
    np.testing.assert_array_equal(got, want)
