"""NAME_report.html in a real browser: headless Chromium renders the report of a compiled model and a
probe script (added to a copy of the page by the test; the report itself has none) reads back what
the browser made of it: the names as text (hostile ones included), one rectangle per planned buffer
where the plan JSON puts it, one table row per layer, the --verify verdict, and a board run's
per-layer instructions (gen.bench --profile on QEMU)."""
from __future__ import annotations

import html
import json
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402

from gen import board, report_html  # noqa: E402
from gen import report as gen_report  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
MODELS = hc.ROOT.parent / "shared" / "models"
IC_INT8 = MODELS / "ic_resnet8_int8_qdq_tflite.onnx"

# names a model file may hold: markup that would run or inject if the report did not escape it
HOSTILE = {"node": "</script><img src=x onerror=\"document.title='pwned'\">",
           "tensor": "<svg onload=alert(1)>&amp;\"'",
           "graph_input": "x<!--",
           "add": "</td></tr></table><b>add</b> \u00e9\u30ce\U0001F600"}

PROBE = """<script>
(function () {
  var svg = document.getElementById('memory'), plot = svg.querySelector('rect.plot').getBBox();
  var rects = Array.prototype.map.call(svg.querySelectorAll('rect.buf'), function (r) {
    var b = r.getBBox();
    return {name: r.getAttribute('data-name'), kind: r.classList.contains('scratch') ? 'scratch' : 'tensor',
            title: r.querySelector('title').textContent, x: b.x, y: b.y, w: b.width, h: b.height};
  });
  var rows = Array.prototype.map.call(document.querySelectorAll('#layers tbody tr'), function (tr) {
    return Array.prototype.map.call(tr.cells, function (c) { return c.textContent; });
  });
  var peak = [];
  Array.prototype.forEach.call(document.querySelectorAll('#layers tbody tr'), function (tr, i) {
    if (tr.classList.contains('peak')) { peak.push(i); }
  });
  var v = document.getElementById('verdict');
  var out = {plot: {x: plot.x, y: plot.y, w: plot.width, h: plot.height}, rects: rects, rows: rows,
             head: Array.prototype.map.call(document.querySelectorAll('#layers thead th'),
                                            function (t) { return t.textContent; }),
             imgs: document.getElementsByTagName('img').length, scripts: document.scripts.length,
             title: document.title, verdict: v ? v.textContent : null,
             overlaps: svg.querySelectorAll('rect.overlap').length, peak: peak,
             live: svg.querySelector('polyline.live').points.length ? Array.prototype.map.call(
               svg.querySelector('polyline.live').points, function (q) { return q.y; }) : [],
             external: document.querySelectorAll('[src],link[href]').length};
  var pre = document.createElement('pre');
  pre.id = 'probe';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def chromium(args: list[str], tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--user-data-dir={tmp / 'chromium-profile'}", *args],
                          capture_output=True, text=True, timeout=180, check=True)


def probe(report: Path, tmp: Path) -> dict:
    """What Chromium made of the report: the probe's JSON from the rendered DOM."""
    page = report.read_text(encoding="utf-8")
    assert page.count("</body>") == 1
    copy = tmp / "probed.html"
    copy.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = chromium(["--dump-dom", copy.as_uri()], tmp).stdout
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert m, dom[-2000:]
    return json.loads(html.unescape(m.group(1)))


def check_page(p: dict, plan: dict) -> None:
    """The page against the plan JSON gen wrote beside it."""
    assert p["imgs"] == 0 and p["scripts"] == 1 and p["external"] == 0     # only the probe; nothing loaded
    assert "pwned" not in p["title"]
    # one rectangle per planned buffer, named as the plan names it (the browser decodes the escapes)
    want = {("tensor", k): t for k, t in plan["tensors"].items()}
    want.update({("scratch", k): {"offset": t["offset"], "size": t["size"], "first": t["node_index"],
                                  "last": t["node_index"]} for k, t in plan["scratch"].items()})
    got = {(r["kind"], r["name"]): r for r in p["rects"]}
    assert len(p["rects"]) == len(want) and set(got) == set(want)
    # the offset axis spans the arena, or the whole-tensor bound where an overlapping plan is below it
    cols, arena, box = max(len(plan["layers"]), 1), max(plan["arena_size"], plan["arena_lower_bound"], 1), p["plot"]
    for key, t in want.items():
        r = got[key]
        assert r["title"].startswith(("tensor " if key[0] == "tensor" else "scratch of node ") + key[1] + ":")
        last = min(t["last"], cols - 1)
        assert r["x"] == pytest.approx(box["x"] + t["first"] * box["w"] / cols, abs=0.05), key
        assert r["w"] == pytest.approx((last - t["first"] + 1) * box["w"] / cols, abs=0.05), key
        top = box["y"] + box["h"] * (1 - (t["offset"] + t["size"]) / arena)
        assert r["y"] == pytest.approx(top, abs=0.05), key
        assert r["h"] == pytest.approx(max(box["h"] * t["size"] / arena, 1.0), abs=0.05), key
        assert box["y"] - 0.05 <= r["y"] and r["y"] + r["h"] <= box["y"] + box["h"] + 1.05
    # one row per layer: index, node name as text, op, kernel, MACs, weights, offset
    assert len(p["rows"]) == len(plan["layers"])
    for i, (row, layer) in enumerate(zip(p["rows"], plan["layers"])):
        assert row[:4] == [str(i), layer["node"], layer["op"], layer["kernel"]]
        assert row[5] == f"{layer['macs']:,}" and row[6] == f"{layer['weight_bytes']:,}"
        assert row[7] == ("view" if layer["view"] else f"{layer['offset']:,}") and row[8] == f"{layer['bytes']:,}"
        assert row[10:12] == [f"{layer['live_bytes']:,}", f"{layer['whole_tensor_bytes']:,}"]
    # the black steps: two points per layer at the height of its live bytes
    assert p["live"] == pytest.approx([box["y"] + box["h"] * (1 - layer["live_bytes"] / arena)
                                       for layer in plan["layers"] for _ in range(2)], abs=0.05)
    # the peak layer's row is the one marked (the largest live bytes, the first of equal ones)
    assert p["peak"] == ([] if plan["peak_layer"] is None else [plan["peak_layer"]])


def hostile_model(path: Path) -> str:
    """x -> Conv (named to close a script) -> Relu -> Add(C) -> z, with markup in node, tensor and input names."""
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "W")
    c = numpy_helper.from_array(rng.standard_normal((1, 4, 6, 6)).astype(np.float32), "C")
    x, r = HOSTILE["graph_input"], HOSTILE["tensor"]       # r: the Relu's output, which the fused Conv writes
    m = hc.model([helper.make_node("Conv", [x, "W"], ["h"], name=HOSTILE["node"], pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", ["h"], [r], name="relu"),
                  helper.make_node("Add", [r, "C"], ["z"], name=HOSTILE["add"])],
                 [hc.vi(x, [1, 2, 6, 6])], [hc.vi("z", [1, 4, 6, 6])], [w, c])
    return hc.save(m, path)


def run(argv: list[str], tmp: Path):
    r = hc.run_gen(argv, tmp, timeout=600)
    assert r.returncode == 0, r.stderr
    return r


def outputs(out: Path) -> tuple[Path, dict]:
    (plan_path,) = out.glob("*_plan.json")
    name = plan_path.name[:-len("_plan.json")]
    return out / f"{name}_report.html", json.loads(plan_path.read_text())


def test_report_is_written_and_listed(tmp_path):
    """Every run writes NAME_report.html, one of gen's files (the manifest lists it), the same bytes for
    the same input, self-contained (no script, no external reference)."""
    model = hostile_model(tmp_path / "m.onnx")
    run([model, "-o", str(tmp_path / "a"), "-q"], tmp_path)
    run([model, "-o", str(tmp_path / "b"), "-q"], tmp_path)
    report, _ = outputs(tmp_path / "a")
    manifest = (tmp_path / "a" / "gen_manifest.txt").read_text()
    assert f"  {report.name}\n" in manifest
    page = report.read_bytes()
    page.decode("ascii")        # like every file gen writes; other characters as references
    assert page == (tmp_path / "b" / report.name).read_bytes()
    assert b"<script" not in page and b"http://" not in page.replace(b'xmlns="http://www.w3.org/2000/svg"', b"")
    assert b"https://" not in page and b"@import" not in page and b"url(http" not in page
    for name in HOSTILE.values():       # no model string reaches the page unescaped
        if any(ch in name for ch in "<>&\""):
            assert name.encode() not in page


@needs_chromium
def test_hostile_names_render_as_text(tmp_path):
    """Markup in node and tensor names shows as text in the table and in the hover titles; the picture
    puts every buffer where the plan JSON does; --verify's verdict is on the page."""
    out = tmp_path / "out"
    r = run([hostile_model(tmp_path / "m.onnx"), "-o", str(out), "--verify"], tmp_path)
    report, plan = outputs(out)
    p = probe(report, tmp_path)
    check_page(p, plan)
    assert HOSTILE["node"] in [row[1] for row in p["rows"]]
    assert HOSTILE["add"] in [row[1] for row in p["rows"]]
    assert {HOSTILE["graph_input"], HOSTILE["tensor"]} <= {r["name"] for r in p["rects"]}
    assert "verify: PASS" in r.stdout and p["verdict"] == "PASS"


@needs_chromium
@pytest.mark.skipif(not IC_INT8.exists(), reason="needs ../shared/models")
def test_ic_int8_report(tmp_path):
    """The MLPerf IC int8 report: every buffer of its plan (scratch included) and every layer; a
    screenshot renders (the one in docs/ is made this way)."""
    out = tmp_path / "ic"
    run([str(IC_INT8), "-o", str(out), "--verify"], tmp_path)
    report, plan = outputs(out)
    assert plan["scratch"], "IC int8's convolutions have scratch"
    p = probe(report, tmp_path)
    check_page(p, plan)
    assert sum(r["kind"] == "scratch" for r in p["rects"]) == len(plan["scratch"])
    assert p["verdict"] == "PASS" and p["overlaps"] == len(report_html.overlaps(report_html.plan_buffers(plan)))
    png = tmp_path / "ic.png"
    chromium(["--window-size=1280,1400", f"--screenshot={png}", report.as_uri()], tmp_path)
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1280, 1400)


@needs_chromium
def test_failed_verification_shows_fail(tmp_path):
    """A real layer-check failure (gen's graph of a Conv checked against the model with the weights
    negated, as tests/test_ops_int8.py does): the page says FAIL and names the layer the check printed."""
    import onnx

    from gen import driver, verify
    from graphs import float_model, gen_compile, node, quantize_model

    def conv_pool(sign: float):
        rng = np.random.default_rng(4)
        w = sign * rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
        fm = float_model([node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]),
                          node("MaxPool", ["c"], ["y"], kernel_shape=[2, 2], strides=[2, 2])],
                         {"x": (1, 3, 6, 6)}, ["y"], {"W": w})
        return quantize_model(fm, [{"x": rng.normal(size=(1, 3, 6, 6)).astype(np.float32)} for _ in range(4)])

    res = gen_compile(conv_pool(1.0))
    wrong = tmp_path / "wrong.onnx"
    onnx.save(conv_pool(-1.0), str(wrong))
    res.summary["verify"], ok = verify.against_onnxruntime(str(wrong), res)
    assert not ok
    driver.attach_report(res)
    report = tmp_path / "m_report.html"
    report.write_bytes(res.files["m_report.html"])
    p = probe(report, tmp_path)
    assert p["verdict"] == "FAIL"
    dom = chromium(["--dump-dom", report.as_uri()], tmp_path).stdout
    worst = res.summary["verify_layers"]["worst"]
    assert f"{worst['label']} {worst['err']}" in gen_report.verdict_line(res.summary["verify_layers"])
    assert html.escape(gen_report.verdict_line(res.summary["verify_layers"]).strip(), quote=False) in dom


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 20), st.integers(0, 9), st.integers(0, 4)),
                min_size=1, max_size=12))
def test_overlaps_against_a_byte_grid(spec):
    """The red marks: pairs of buffers that are alive at one layer and share a byte, against an explicit
    byte x layer occupancy grid."""
    bufs = [{"name": f"b{k}", "kind": "tensor", "offset": off, "size": size, "first": first, "last": first + life}
            for k, (off, size, first, life) in enumerate(spec)]
    grid = np.zeros((len(bufs), 90, 16), bool)
    for k, b in enumerate(bufs):
        grid[k, b["offset"]:b["offset"] + b["size"], b["first"]:b["last"] + 1] = True
    want = {(j, k) for j in range(len(bufs)) for k in range(j + 1, len(bufs)) if (grid[j] & grid[k]).any()}
    assert {tuple(sorted(p)) for p in report_html.overlaps(bufs)} == want


def test_one_layer_is_singular(tmp_path):
    """The summary counts in the right number: '1 layer', not '1 layers'."""
    m = hc.model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [hc.vi("x", [1, 4])],
                 [hc.vi("y", [1, 4])])
    r = run([hc.save(m, tmp_path / "one.onnx"), "-o", str(tmp_path / "o"), "--verify"], tmp_path)
    assert re.search(r": 1 layer, 0 MACs\n", r.stdout), r.stdout
    assert "verify layers: 1 layer " in r.stdout and "1 layers" not in r.stdout
    _, plan = outputs(tmp_path / "o")
    assert len(plan["layers"]) == 1


needs_qemu = pytest.mark.skipif(bool(board.missing_tools()), reason="needs arm-none-eabi-gcc, QEMU and PlatformIO")


@needs_chromium
@needs_qemu
def test_board_build_and_profile_in_report(tmp_path):
    """--board: the report's flash and RAM bars are the firmware's measured split (as the summary prints
    it); gen.bench --profile: the report beside each run shows each layer's instructions from QEMU, the
    ones gen.bench wrote to layers.json; --board --profile: the same counts from the CLI's own QEMU run."""
    model = str(hc.ROOT / "gen" / "examples" / "digits_cnn.onnx")
    out = tmp_path / "b"
    r = run([model, "-o", str(out), "--board", board.DEFAULT_BOARD, "--profile"], tmp_path)
    m = re.search(r"firmware for \S+: flash ([\d,]+) B = weights ([\d,]+) \+ model code ([\d,]+) \+ firmware and "
                  r"libc ([\d,]+) \+ test vectors ([\d,]+); RAM ([\d,]+) B = arena ([\d,]+)", r.stdout)
    assert m, r.stdout
    page = outputs(out)[0].read_text()
    for label, value in zip(("weights", "model code", "firmware and libc", "test vectors"), m.groups()[1:5]):
        assert f"{label} {value} B" in page, label
    assert f"arena {m.group(7)} B" in page and f"{m.group(1)} B (text + data of the ELF)" in page
    # the report rewritten after the build is the one the manifest lists: the next run takes DIR as gen's
    subprocess.run(["sha256sum", "-c", "--quiet", "gen_manifest.txt"], cwd=out, check=True)
    cli = probe(outputs(out)[0], tmp_path)
    run([model, "-o", str(out), "-q"], tmp_path)

    bench = tmp_path / "bench"
    proc = subprocess.run([sys.executable, "-m", "gen.bench", model, "--boards", board.DEFAULT_BOARD, "--profile",
                           "--out", str(bench), "-j", "1"], cwd=hc.ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = json.loads((bench / "layers.json").read_text())["rows"]
    report = bench / "work" / "digits_cnn" / board.DEFAULT_BOARD / "digits_cnn_report.html"
    p = probe(report, tmp_path)
    plan = json.loads(next((bench / "work" / "digits_cnn" / "gen").glob("*_plan.json")).read_text())
    check_page(p, plan)
    assert p["head"][12:14] == ["instructions", "instructions/MAC"]
    assert [row[12] for row in p["rows"]] == [f"{r['instructions']:,}" for r in rows]
    assert [row[13] for row in p["rows"]] == [f"{r['instr_per_mac']:.2f}" if r["instr_per_mac"] else "" for r in rows]
    # --board --profile: the same firmware's layers measured by its own QEMU run (instruction counts are exact)
    assert cli["head"][12] == "instructions" and [row[12] for row in cli["rows"]] == [row[12] for row in p["rows"]]
