"""Hypothesis int8 graphs that the overlap planner overlaps (tests/overlap_graphs.py), checked on the host, under
ASan/UBSan with the arena guard, and for a sample on the QEMU boards, every build with GEN_CHECK_OVERLAP (each
overlapped layer also runs from a private copy of its input; the run returns -3 when the planned run's output
differs, gen/overlap_c.py), issue 12.

Every drawn graph must overlap (an assumption: the few that do not are drawn again) and each sample, with one
explicit graph for the reverse pointwise loop (overlap_graphs.pointwise_growth_model), must reach every kernel
with an overlap rule (FAMILIES). Host: the check build, the sanitized check build, the simple
plan's build and gen's numpy reference agree bit for bit. QEMU (mps2-an386: the Cortex-M4's DSP paths; mps3-an547:
the Cortex-M55's Helium paths), builds one at a time: every test vector PASS, bit-exact against the host build's
outputs; a deliberately unsafe rule makes the board's check build return -3 (`status=-3` on each vector's line).
The whole module takes 80 s from an empty build cache on an idle machine (host 30 s, QEMU sample 40 s, the rest
10 s; 146 s at a load of 4.5 on 2 cores), so it runs in the default suite; deeper runs:
    HYPOTHESIS_PROFILE=deep GEN_OVERLAP_EXAMPLES=200 GEN_OVERLAP_BOARD_EXAMPLES=40 \
        python -m pytest tests/test_overlap_graphs.py
The float kernels declare no overlap rule (gen/ops/fast_f32.py): float graphs keep the simple plan.
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import Phase, assume, example, given, settings
from hypothesis import strategies as st

import graphs
import test_property_graphs as P
from gen import board, driver, frontend, refrun, verify
from gen.host import HostModel
from gen.ops.layout import to_memory
from overlap_graphs import overlap_graphs, overlapped_kernels, pointwise_growth_model

CHECK = "GEN_CHECK_OVERLAP"
# the kernels with overlap rules the sample must reach (the rule's C function, gen/overlap.py)
FAMILIES = {"gen_fast_dw3x3_s8", "gen_fast_pw_s8", "gen_fast_pw_s8_reverse", "gen_fast_conv_s8",
            "gen_fast_add_s8 / gen_fast_mul_s8", "gen_fast_chlast_cycles_s8", "gen_fast_chlast_inplace_s8"}
HOST_EXAMPLES = int(os.environ.get("GEN_OVERLAP_EXAMPLES", "12"))
BOARD_EXAMPLES = int(os.environ.get("GEN_OVERLAP_BOARD_EXAMPLES", "6"))
BOARDS = ("mps2-an386", "mps3-an547")
# the ci profile draws the same sample every run, which must cover FAMILIES; a deep run's random draws may not
DETERMINISTIC = settings.default.derandomize


def quantized(m, seed: int):
    """The drawn float model as QDQ int8 (calibrated on inputs of its own), compiled with the overlap plan;
    drawn again when the plan overlaps nothing."""
    q = P.quantize(m, P.inputs_for(m, seed + 1, 8))
    res = driver.compile_graph(frontend.from_model(q, name="ovg"), "ovg", "ovg.onnx")
    assume(res.summary["overlaps"])
    return q, res


def int8_inputs(m, res, seed: int) -> list[np.ndarray]:
    return [verify.quantize(x, res.summary["inputs"][0]) for x in P.inputs_for(m, seed, 2)]


def reference(res, xq) -> np.ndarray:
    g = res.graph
    return np.asarray(refrun.run(g, [to_memory(g.t(g.inputs[0]), xq)], keep=True)[g.outputs[0]]).reshape(-1)


def test_overlapped_graphs_on_the_host():
    """Each drawn graph: its check build, the same under ASan/UBSan with the arena guard, the simple plan's build
    and the numpy reference give the same bytes on two inputs; the sample reaches every family in FAMILIES."""
    seen: set[str] = set()

    @settings(max_examples=HOST_EXAMPLES, deadline=None)
    @given(m=overlap_graphs(), seed=st.integers(0, 1000))
    @example(m=pointwise_growth_model(), seed=0)        # the reverse pointwise loop, which draws rarely reach
    def run(m, seed):
        q, res = quantized(m, seed)
        simple = driver.compile_graph(frontend.from_model(q, name="ovg"), "ovg", "ovg.onnx", plan="simple")
        assert simple.summary["overlaps"] == [] and res.summary["arena_size"] < simple.summary["arena_size"]
        checked, sanitized = HostModel(res.files, cflags=[f"-D{CHECK}"]), HostModel(res.files, [f"-D{CHECK}"],
                                                                                     sanitize=True)
        plain = HostModel(simple.files)
        for xq in int8_inputs(m, res, seed):
            want = reference(res, xq)
            np.testing.assert_array_equal(plain.run_s8(xq)[0].reshape(-1), want)
            np.testing.assert_array_equal(checked.run_s8(xq)[0].reshape(-1), want)
            np.testing.assert_array_equal(sanitized.run_s8(xq)[0].reshape(-1), want)
        seen.update(overlapped_kernels(res))
    run()
    assert FAMILIES <= seen or not DETERMINISTIC, f"the sample overlapped only {sorted(seen)}"


@pytest.mark.skipif(bool(board.missing_tools()), reason=f"missing tools: {', '.join(board.missing_tools())}")
def test_overlapped_graphs_on_qemu(tmp_path):
    """A sample of the drawn graphs, each generated with 3 test vectors (their outputs from the host build) and
    built with GEN_CHECK_OVERLAP for the Cortex-M4 and the Cortex-M55 board: every vector PASS, bit-exact. No
    shrinking (each step would be two firmware builds): the host test shrinks."""
    seen: set[str] = set()
    k = iter(range(1000))

    @settings(max_examples=BOARD_EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate])
    @given(m=overlap_graphs(), seed=st.integers(0, 1000))
    @example(m=pointwise_growth_model(), seed=0)
    def run(m, seed):
        q, res = quantized(m, seed)
        i = next(k)
        for env in BOARDS:
            graphs.passes_on_board(q, tmp_path / f"g{i}", env, vectors=3, defines=(CHECK,),
                                   what=overlapped_kernels(res))
        seen.update(overlapped_kernels(res))
    run()
    assert FAMILIES <= seen or not DETERMINISTIC, f"the board sample overlapped only {sorted(seen)}"


def pointwise_model():
    """int8 Conv 1x1 16 -> 16 channels on 8 x 8 (gen_fast_pw_s8), then a Relu."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((16, 16, 1, 1)).astype(np.float32) / 4
    fm = graphs.float_model([graphs.node("Conv", ["x", "W"], ["h"]), graphs.node("Relu", ["h"], ["y"])],
                            {"x": (1, 16, 8, 8)}, ["y"], {"W": w})
    return graphs.quantize_model(fm, [{"x": rng.standard_normal((1, 16, 8, 8)).astype(np.float32)} for _ in range(4)])


def unsafe_pointwise_plan(monkeypatch):
    """pointwise_model() compiled with its layer declared safe in place (lead 0; it is not: each pair of rows is
    read by every channel pair after the first has written over the next row), and 2 test vectors from the
    host's normal build (which computes them wrong, silently)."""
    from gen import testvec
    from gen.ops import conv_s8, fast_s8
    from gen.overlap import OverlapRule
    real = conv_s8.ConvS8.overlap
    monkeypatch.setattr(conv_s8.ConvS8, "overlap", lambda self, node, g: (
        OverlapRule(0, 0, fast_s8.wide_bytes(self.params(node, g).c), "deliberately wrong"),)
        if self.fast(node, g) == "pw" else real(self, node, g))
    res = graphs.gen_compile(pointwise_model(), "unsafe")
    assert "deliberately wrong" in [o["loop"] for o in res.summary["overlaps"]]
    return {**res.files, **testvec.render(res.files, res.summary, 2)}


def test_a_run_returning_nonzero_fails_its_test_vector(tmp_path, monkeypatch):
    """gen_tv_run returns the run's status and gen_tv_check fails a vector whose run returned nonzero even when
    the outputs match (a run stopped by the GEN_CHECK_OVERLAP check, or a CMSIS-NN call's -1, may leave the
    expected bytes behind): a library whose run_s8 computes the right outputs and returns -3 fails every vector,
    the library as generated passes them."""
    import subprocess
    files = unsafe_pointwise_plan(monkeypatch)
    src = files["unsafe.c"].decode()
    call = "int status = unsafe_invoke();\n    memcpy(output0"
    assert src.count(call) == 1
    main = ('#include "gen_testvec.h"\n#include <stdio.h>\nint main(void)\n{\n    unsigned i;\n    double e;\n'
            '    for (i = 0; i < gen_tv_count; i++) {\n        int status = gen_tv_run(i);\n'
            '        printf("%d %d\\n", status, gen_tv_check(i, &e));\n    }\n    return 0;\n}\n')
    for case, c in (("returns -3", src.replace(call, call.replace("();", "() - 3;"))), ("as generated", src)):
        d = tmp_path / case.replace(" ", "_")
        d.mkdir()
        for f, data in {**files, "unsafe.c": c.encode(), "main.c": main.encode()}.items():
            (d / f).write_bytes(data)
        exe = str(d / "tv")
        subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", str(d),
                        *sorted(str(p) for p in d.glob("*.c")), "-o", exe, "-lm"], check=True)
        got = subprocess.run([exe], capture_output=True, text=True, check=True).stdout.splitlines()
        assert got == (["-3 1"] * 2 if case == "returns -3" else ["0 0"] * 2), case


@pytest.mark.skipif(bool(board.missing_tools()), reason=f"missing tools: {', '.join(board.missing_tools())}")
@pytest.mark.parametrize("env", BOARDS)
def test_the_board_check_build_catches_an_unsafe_rule(tmp_path, monkeypatch, env):
    """The unsafe plan on the board: the GEN_CHECK_OVERLAP build's run returns -3 (the unsafe layer's output
    differs from its run on a private copy), and every vector FAILs with status=-3; the normal build runs to the
    end (status 0) with outputs of its own (the kernel's paths clobber differently from the host's)."""
    files = unsafe_pointwise_plan(monkeypatch)
    checked = board.run_on_qemu(files, env, build_dir=str(tmp_path / "check"), timeout=300, defines=(CHECK,))
    assert checked["result"] == "FAIL" and len(checked["results"]) == 2, checked["log"][-2000:]
    assert all(not v["pass"] and v.get("status") == -3 for v in checked["results"]), checked["results"]
    plain = board.run_on_qemu(files, env, build_dir=str(tmp_path / "plain"), timeout=300)
    assert len(plain["results"]) == 2 and all("status" not in v for v in plain["results"]), plain["log"][-2000:]


@pytest.mark.skipif(bool(board.missing_tools()), reason=f"missing tools: {', '.join(board.missing_tools())}")
def test_board_defines_are_names(tmp_path):
    """GEN_DEFINES takes NAME or NAME=VALUE: anything else stops the build with one line naming it."""
    from gen import testvec
    res = graphs.gen_compile(pointwise_model(), "defs")
    files = {**res.files, **testvec.render(res.files, res.summary, 1)}
    r = board.run_on_qemu(files, "mps2-an386", build_dir=str(tmp_path / "ok"), timeout=300, defines=("X=2", "Y"))
    assert r["result"] == "PASS", r["log"][-2000:]
    r = board.run_on_qemu(files, "mps2-an386", build_dir=str(tmp_path / "bad"), timeout=300, defines=("1X=2",))
    assert r["returncode"] != 0 and r["result"] is None
    assert "Error: GEN_DEFINES holds '1X=2': a define is NAME or NAME=VALUE" in r["log"], r["log"][-2000:]
