"""--ram min's row bands (issue 12, gen/bands.py).

The oracle: the banded C must give the uncut graph's outputs bit for bit (the default build's C and gen's numpy
reference of the uncut graph, Result.graph) and, on the MLPerf models, TFLM's. Hypothesis draws int8 chains of
convolutions, depthwise layers, pooling and residual Adds with uneven heights, strides, dilations and
asymmetric pads, and forces a cut at a drawn band height, so the cut itself is checked even where it would
not lower the arena; some run under ASan/UBSan and one on the QEMU Cortex-M4.
"""
from __future__ import annotations

import os
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import helper

from gen import bands, driver, frontend, refrun, verify
from gen.host import HostModel
from gen.ops.layout import to_memory
from graphs import mlperf_int8, passes_on_board, quantize_model

STEMS = ["kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8", "ad_fc_autoencoder"]


def model_path(stem):
    return mlperf_int8(stem)


_CACHE: dict = {}


def compiled(stem, ram):
    if (stem, ram) not in _CACHE:
        _CACHE[stem, ram] = driver.generate(model_path(stem), None, name="m", test_vectors=0, ram=ram)
    return _CACHE[stem, ram]


def reference(res, xq):
    g = res.graph
    return np.asarray(refrun.run(g, [to_memory(g.t(g.inputs[0]), xq)], keep=True)[g.outputs[0]]).reshape(-1)


def int8_inputs(summary, seed, n):
    t = summary["inputs"][0]
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, t["size"]).astype(np.int8).reshape(t["shape"]) for _ in range(n)]


def layer_macs(summary):
    return sum(r["macs"] for r in summary["layers"])


@pytest.mark.parametrize("stem", STEMS)
def test_mlperf_ram_min_is_bit_exact_and_smaller(stem):
    """--ram min: an arena no larger than the default's (smaller where a stage is cut), the same output bytes as
    the default build and the numpy reference, the extra MACs the layers' own, and the trade-offs reported."""
    low, default = compiled(stem, "min"), compiled(stem, "default")
    s = low.summary
    assert s["arena_size"] <= default.summary["arena_size"]
    a, b = HostModel(low.files), HostModel(default.files)
    for x in int8_inputs(s, 3, 3):
        got = a.run_s8(x)[0].reshape(-1)
        np.testing.assert_array_equal(got, b.run_s8(x)[0].reshape(-1))
        np.testing.assert_array_equal(got, reference(low, x))
    if stem == "ad_fc_autoencoder":     # fully connected: no rows to cut
        assert "bands" not in s
        return
    bd = s["bands"]
    assert s["arena_size"] < default.summary["arena_size"] == bd["default_arena"]
    assert layer_macs(s) == layer_macs(default.summary) + bd["extra_macs"]
    assert bd["bands"] == -(-dict(zip(*_y_rows(default, bd["output"])))["rows"] // bd["rows_per_band"])
    assert {"arena": s["arena_size"], "extra_macs": bd["extra_macs"], "output": bd["output"],
            "rows_per_band": bd["rows_per_band"], "row_buffers": bd["row_buffers"]} in bd["trade_offs"]
    arenas = [t["arena"] for t in bd["trade_offs"]]
    assert min(arenas) == s["arena_size"]
    # a trade-off with fewer MACs is taken when --ram-limit leaves room for it
    if len(bd["trade_offs"]) > 1:
        roomy = bd["trade_offs"][-1]
        res = driver.generate(model_path(stem), None, name="m", test_vectors=0, ram="min", ram_limit=roomy["arena"])
        assert res.summary["arena_size"] <= roomy["arena"]
        assert res.summary["bands"]["extra_macs"] == min(t["extra_macs"] for t in bd["trade_offs"])


def test_report_shows_the_bands():
    """The HTML report has the cut and one row per trade-off, with the summary's figures."""
    from html.parser import HTMLParser
    low = compiled("ic_resnet8", "min")

    class Cells(HTMLParser):
        rows, inside = [], False

        def handle_starttag(self, tag, attrs):
            if tag == "table" and ("id", "trade-offs") in attrs:
                self.inside = True
            elif tag == "tr" and self.inside:
                self.rows.append([])

        def handle_endtag(self, tag):
            if tag == "table":
                self.inside = False

        def handle_data(self, data):
            if self.inside and self.rows:
                self.rows[-1].append(data)

    p = Cells()
    p.feed(low.files["m_report.html"].decode())
    got = [(int(r[0].replace(",", "")), int(r[1].replace(",", ""))) for r in p.rows[1:]]
    assert got == [(t["arena"], t["extra_macs"]) for t in low.summary["bands"]["trade_offs"]] and got


def _y_rows(res, tensor):
    return ["rows"], [res.graph.t(tensor).shape[2]]


@pytest.mark.parametrize("stem", ["vww_mobilenetv1_025", "ic_resnet8"])
def test_mlperf_ram_low_computes_no_row_twice(stem):
    """--ram low: the smallest of --ram min's trade-offs that computes no row twice, bit-exact with the default."""
    low, least, default = compiled(stem, "low"), compiled(stem, "min"), compiled(stem, "default")
    bd = low.summary["bands"]
    assert bd["extra_macs"] <= 0 and layer_macs(low.summary) <= layer_macs(default.summary)
    free = [t["arena"] for t in least.summary["bands"]["trade_offs"] if t["extra_macs"] <= 0]
    assert low.summary["arena_size"] == min(free) < default.summary["arena_size"]
    a, b = HostModel(low.files), HostModel(default.files)
    for x in int8_inputs(low.summary, 4, 2):
        np.testing.assert_array_equal(a.run_s8(x)[0].reshape(-1), b.run_s8(x)[0].reshape(-1))


def test_mlperf_ram_min_figures():
    """Issue 12 asks what --ram min reaches on IC and VWW: below the default overlap plan, and IC below HALE's
    slow mode (21,104 B)."""
    ic, vww = compiled("ic_resnet8", "min").summary, compiled("vww_mobilenetv1_025", "min").summary
    assert ic["arena_size"] < 21_104 and vww["arena_size"] < 30_000


@pytest.mark.parametrize("stem", ["kws_dscnn", "ic_resnet8"])
def test_mlperf_ram_min_sanitized(stem):
    low = compiled(stem, "min")
    san = HostModel(low.files, cflags=["-DGEN_CHECK_OVERLAP"], sanitize=True)
    x = int8_inputs(low.summary, 5, 1)[0]
    np.testing.assert_array_equal(san.run_s8(x)[0].reshape(-1), reference(low, x))
    assert "ERROR" not in san.report and "runtime error" not in san.report, san.report


@pytest.mark.parametrize("stem", ["kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8"])
def test_mlperf_ram_min_equals_tflm(stem):
    import test_tflm as T
    s = T.setup(stem)
    host = HostModel(driver.generate(model_path(stem), None, name="m", test_vectors=0, ram="min").files)
    for label, x in T.inputs(stem, s["tflm"]):
        np.testing.assert_array_equal(host.run_s8(T.to_gen(x))[0].reshape(-1), T.tflm_run(s["tflm"], x).reshape(-1),
                                      err_msg=label)


def test_float_models_are_not_cut():
    """Row bands need channels-last rows (int8 layouts): a float model's C is the default's."""
    from graphs import float_model, node
    w = np.random.default_rng(0).standard_normal((4, 2, 3, 3)).astype(np.float32)
    m = float_model([node("Conv", ["x", "w"], ["y"], pads=[1, 1, 1, 1])], {"x": [1, 2, 12, 6]}, ["y"], {"w": w})
    a = driver.compile_graph(frontend.from_model(m, name="f"), "f", "f.onnx", ram="min")
    b = driver.compile_graph(frontend.from_model(m, name="f"), "f", "f.onnx")
    assert a.files == b.files and "bands" not in a.summary


# ---- Hypothesis: int8 chains, cut at a drawn height whether or not that lowers the arena ----

@st.composite
def chains(draw):
    """(float model, input shape): NCHW input, 2-5 layers (convolutions of 1x1, 3x3 or 5x5 with strides,
    dilations and pads that differ top and bottom, depthwise ones, max / average pooling, Relu, a residual
    Add of two tensors of one shape), for quantize_model."""
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    shape = (draw(st.integers(1, 6)), draw(st.integers(5, 19)), draw(st.integers(2, 7)))
    x_shape = (1, *shape)
    nodes, inits, cur = [], {}, "x"
    same: dict[tuple, str] = {shape: "x"}
    for k in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(["conv", "conv", "dw", "pool", "add"]))
        c, h, w = shape
        out = f"t{k}"
        if kind == "add":
            if same.get(shape, cur) == cur:
                continue
            nodes.append(helper.make_node("Add", [cur, same[shape]], [out]))
        elif kind == "pool":
            kk, s = draw(st.integers(2, 3)), draw(st.integers(1, 2))
            pt, pb = draw(st.integers(0, kk - 1)), draw(st.integers(0, kk - 1))
            if h + pt + pb < kk or w < kk:
                continue
            nodes.append(helper.make_node(draw(st.sampled_from(["MaxPool", "AveragePool"])), [cur], [out],
                                          kernel_shape=[kk, kk], strides=[s, s], pads=[pt, 0, pb, 0]))
            shape = (c, (h + pt + pb - kk) // s + 1, (w - kk) // s + 1)
        else:
            dw = kind == "dw" and c > 1
            kk = draw(st.sampled_from([1, 3, 5]))
            s, d = draw(st.integers(1, 2)), (draw(st.integers(1, 2)) if kk > 1 else 1)
            ext = (kk - 1) * d + 1
            pt, pb = draw(st.integers(0, ext // 2 + 1)), draw(st.integers(0, ext // 2 + 1))
            pl = pr = (ext - 1) // 2
            if h + pt + pb < ext or w + pl + pr < ext:
                continue
            m = c if dw else draw(st.integers(1, 8))
            inits[f"w{k}"] = (rng.standard_normal((m, 1 if dw else c, kk, kk)) * 0.5).astype(np.float32)
            inits[f"b{k}"] = (rng.standard_normal(m) * 0.1).astype(np.float32)
            nodes.append(helper.make_node("Conv", [cur, f"w{k}", f"b{k}"], [out], kernel_shape=[kk, kk],
                                          strides=[s, s], dilations=[d, d], pads=[pt, pl, pb, pr],
                                          group=c if dw else 1))
            shape = (m, (h + pt + pb - ext) // s + 1, (w + pl + pr - ext) // s + 1)
            if draw(st.booleans()):
                nodes.append(helper.make_node("Relu", [out], [out + "r"]))
                out += "r"
        cur = out
        same.setdefault(shape, cur)
    if not nodes:
        inits["w"], inits["b"] = np.ones((2, shape[0], 3, 3), np.float32), np.zeros(2, np.float32)
        nodes.append(helper.make_node("Conv", ["x", "w", "b"], ["t"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]))
        cur = "t"
    from graphs import float_model
    return float_model(nodes, {"x": list(x_shape)}, [cur], inits), x_shape


def _forced(rows, reuse):
    """bands.smallest as if every cut lowered the arena, trying `rows` rows of Y per band only, recomputed or kept
    in row buffers (`reuse`)."""
    real = bands.smallest
    return [mock.patch.object(bands, "HEIGHTS", (rows,)), mock.patch.object(bands, "MODES", (reuse,)),
            mock.patch.object(bands, "smallest",
                              lambda g, ev, size, limit=None, hot=None, **kw: real(g, ev, 2**31 - 1, limit))]


def banded_and_default(model, x_shape, rows, style, reuse=False):
    rng = np.random.default_rng(0)
    q = quantize_model(model, [{"x": rng.standard_normal(x_shape).astype(np.float32) * 2} for _ in range(8)], style)
    patches = _forced(rows, reuse)
    for p in patches:
        p.start()
    try:
        low = driver.compile_graph(frontend.from_model(q, name="b"), "b", "b.onnx", ram="min")
    finally:
        for p in patches:
            p.stop()
    return q, low, driver.compile_graph(frontend.from_model(q, name="b"), "b", "b.onnx")


@settings(max_examples=int(os.environ.get("GEN_BAND_EXAMPLES", "30")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(chain=chains(), rows=st.sampled_from([1, 2, 3, 5]), style=st.sampled_from(["ort", "tflite"]),
       reuse=st.booleans(), seed=st.integers(0, 1000))
def test_random_int8_chains_cut_into_bands_are_bit_exact(chain, rows, style, reuse, seed):
    model, x_shape = chain
    q, low, default = banded_and_default(model, x_shape, rows, style, reuse)
    a, b = HostModel(low.files), HostModel(default.files)
    t_in = low.summary["inputs"][0]
    xs = [np.random.default_rng(seed + k).standard_normal(x_shape).astype(np.float32) * 2 for k in range(2)]
    for x in xs:
        xq = verify.quantize(x, t_in)
        got = a.run_s8(xq)[0].reshape(-1)
        np.testing.assert_array_equal(got, b.run_s8(xq)[0].reshape(-1))
        np.testing.assert_array_equal(got, reference(low, xq))
    if "bands" in low.summary:
        bd = low.summary["bands"]
        # negative where the uncut graph computes rows no later layer reads (a stride that skips the last ones)
        assert layer_macs(low.summary) == layer_macs(default.summary) + bd["extra_macs"]
        assert bd["row_buffers"] == reuse and (bd["extra_macs"] <= 0 or not reuse)   # row buffers: each row once
        assert ("BandShift" in {r["op"] for r in low.summary["layers"]}) <= reuse


def _banded_example():
    """A conv 3x3 then a depthwise 3x3 of stride 2 over 32 x 32: cut on its merits (no forcing)."""
    rng = np.random.default_rng(1)
    w0 = (rng.standard_normal((16, 4, 3, 3)) * 0.3).astype(np.float32)
    w1 = (rng.standard_normal((16, 1, 3, 3)) * 0.3).astype(np.float32)
    from graphs import float_model, node
    m = float_model([node("Conv", ["x", "w0"], ["a"], pads=[1, 1, 1, 1]), node("Relu", ["a"], ["ar"]),
                     node("Conv", ["ar", "w1"], ["y"], pads=[0, 0, 1, 1], strides=[2, 2], group=16)],
                    {"x": [1, 4, 32, 32]}, ["y"], {"w0": w0, "w1": w1})
    feeds = [{"x": rng.standard_normal((1, 4, 32, 32)).astype(np.float32)} for _ in range(8)]
    return quantize_model(m, feeds, "tflite")


def test_sanitized_banded_chain():
    q = _banded_example()
    low = driver.compile_graph(frontend.from_model(q, name="b"), "b", "b.onnx", ram="min")
    default = driver.compile_graph(frontend.from_model(q, name="b"), "b", "b.onnx")
    assert "bands" in low.summary and low.summary["arena_size"] < default.summary["arena_size"]
    san = HostModel(low.files, sanitize=True)
    x = int8_inputs(low.summary, 0, 1)[0]
    np.testing.assert_array_equal(san.run_s8(x)[0].reshape(-1), reference(low, x))
    assert "ERROR" not in san.report and "runtime error" not in san.report, san.report


def test_banded_chain_on_the_cortex_m4(tmp_path):
    pytest.importorskip("platformio")
    src = passes_on_board(_banded_example(), tmp_path / "bands", "mps2-an386", args=["--ram", "min"])
    assert "_rows0_" in src


@pytest.mark.parametrize("stem", ["kws_dscnn", "ic_resnet8"])
def test_ram_min_with_cmsis_nn_kernels(stem):
    """--ram min --kernels cmsis-nn: the band layers are CMSIS-NN calls (no overlap inside a call, so the plan may
    link the real library), bit-exact with the default build; with the real CMSIS-NN too when CMSIS_NN_DIR is set."""
    low = driver.generate(model_path(stem), None, name="m", test_vectors=0, ram="min", kernels="cmsis-nn")
    assert "bands" in low.summary and all(o["node"].startswith("bands:") for o in low.summary["overlaps"])
    assert "GEN_CHECK_OVERLAP" not in low.files["m.c"].decode()     # no overlapped layer: nothing to #error on
    hosts = [HostModel(low.files)]
    cmsis = os.environ.get("CMSIS_NN_DIR")
    if cmsis and os.path.isdir(os.path.join(cmsis, "Include")):
        import test_cmsis_nn_models as C
        hosts.append(HostModel(low.files, cflags=["-DGEN_USE_CMSIS_NN", "-I", os.path.join(cmsis, "Include"), "-w"],
                               extra_sources=C.cmsis_sources()))
    default = HostModel(compiled(stem, "default").files)
    for x in int8_inputs(low.summary, 9, 2):
        want = default.run_s8(x)[0].reshape(-1)
        for h in hosts:
            np.testing.assert_array_equal(h.run_s8(x)[0].reshape(-1), want)


def test_api_takes_the_ram_mode():
    import gen
    lib = gen.compile(model_path("ic_resnet8"), ram="low")
    assert lib.arena_size == compiled("ic_resnet8", "low").summary["arena_size"] < compiled("ic_resnet8", "default").summary["arena_size"]
