"""NAME_report.html: the run's report as one self-contained page (inline SVG and CSS, no script, no
network): totals, flash and RAM split as bars, the memory plan as a picture (every planned buffer a
rectangle over arena offset x layer), the per-layer table, and the --verify result.

It reads only the summary dict (gen/plan_json.py's, plus what --verify and --board add) and an
optional per-layer profile from a board run, so the same bytes come from the same input. Every
string from the model (names of nodes, tensors, the file, notes) goes through `text()` (HTML-escaped,
control characters written as escapes); numbers are formatted here.
"""
from __future__ import annotations

import html

from .errors import _printable, counted
from .report import verdict_line, verify_lines, verify_output_lines

PLOT_W, PLOT_H = 900, 380          # the memory plan's plot area, in SVG units
LEFT, TOP, RIGHT, BOTTOM = 78, 14, 180, 44       # margins: offsets left, peak and lower-bound labels right
OVERLAP_PAIRS = 100_000            # overlapping buffer pairs looked for at most (a huge graph: marks left out)


def text(s) -> str:
    """Any string from the model as HTML text or attribute value."""
    return html.escape(_printable(str(s)), quote=True)


def _n(v: int) -> str:
    return f"{v:,}"


def _bytes(n: int) -> str:
    return f"{n:,} B" if n < 10 * 1024 else f"{n:,} B ({n / 1024:.1f} KiB)"


def _shape(s) -> str:
    return "x".join(map(str, s)) if s else "scalar"


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1200px;
color:#1d2330;background:#fafbfc;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde1e8;padding-bottom:4px}
.sub{color:#5b6475;margin:0 0 14px}.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:19px}.card span{color:#5b6475;font-size:12px}.card b .badge{color:#fff;font-size:17px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-weight:700;color:#fff}
.pass{background:#2e8540}.fail{background:#c0392b}
.bar{display:flex;height:28px;border-radius:4px;overflow:hidden;border:1px solid #c9ced8;background:#fff;margin:4px 0}
.bar div{height:100%;min-width:2px}.legend{font-size:12px;color:#3a4150;margin-bottom:12px}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px;border-radius:2px}
.barlabel{font-size:13px;margin-top:10px}
table{border-collapse:collapse;font-size:12.5px;background:#fff;width:100%}
th,td{border:1px solid #dde1e8;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#eef1f5;position:sticky;top:0}td.r,th.r{text-align:right;white-space:nowrap}
td.name{max-width:220px;overflow-wrap:anywhere}tbody tr:nth-child(even){background:#f6f8fa}
tbody tr.peak{background:#fde2dd;font-weight:600}
.mb{display:block;height:4px;background:#5b8def;margin-top:2px}
.pb{display:block;height:4px;background:#e07b39;margin-top:2px}
svg text{font-size:11px;fill:#3a4150}svg .buf{stroke:#1d2330;stroke-width:.4}svg .buf:hover{stroke-width:2}
svg .overlap{fill:url(#overlap);stroke:#c0392b;stroke-width:1.2}
pre{background:#fff;border:1px solid #dde1e8;padding:8px;font-size:12px;white-space:pre-wrap}
"""

FLASH_COLORS = {"weights": "#5b8def", "model code": "#e07b39", "firmware and libc": "#9aa5b8",
                "test vectors": "#c9ced8"}
RAM_COLORS = {"arena": "#2e8540", "stack": "#d4a017", "other static RAM": "#9aa5b8"}


def render(summary: dict, profile: dict | None = None) -> bytes:
    """The report page. profile: a board run's per-layer measurements, {'board': env, 'unit': 'instructions',
    'layers': {layer index: count}} (python -m gen.bench --profile); default: the summary's 'profile'."""
    s = summary
    profile = profile if profile is not None else s.get("profile")
    title = f"{s['name']}: gen report"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>{text(title)}</title>", f"<style>{CSS}</style></head><body>",
             f"<h1>{text(s['name'])}</h1>",
             f"<p class=\"sub\">{text(s['model'])} compiled by {text(s.get('generator', 'gen'))}</p>",
             _cards(s, profile), _sizes(s), _memory_plan(s), _bands(s), _layer_table(s, profile), _verification(s),
             _notes(s), "</body></html>", ""]
    # ASCII like every file gen writes: other characters as character references (the browser shows them)
    return "\n".join(p for p in parts if p is not None).encode("ascii", "xmlcharrefreplace")


def _cards(s: dict, profile: dict | None) -> str:
    cards = [(counted(len(s["layers"]), "layer"), "in the schedule"), (_n(s["macs"]), "MACs per inference"),
             (_bytes(s["weight_bytes"]), "weights and parameters (flash)"),
             (_bytes(s["arena_size"]), "arena (RAM)"),
             (_bytes(s["arena_lower_bound"]), "lower bound for whole tensors")]
    if s.get("stack_bytes") is not None:
        cards.append((_bytes(s["stack_bytes"]), f"stack ({text(s.get('stack_target') or '')})"))
    if profile:
        total = sum(profile["layers"].values())
        unit = text(profile.get("unit", "instructions"))
        cards.append((_n(total), f"{unit} in the layers on {text(profile['board'])}"))
        if s["macs"]:
            cards.append((f"{total / s['macs']:.2f}", f"{unit} per MAC"))
    out = ['<div class="cards">']
    out += [f'<div class="card"><b>{a}</b><span>{b}</span></div>' for a, b in cards]
    if s.get("verify_layers"):
        ok = _verify_ok(s["verify_layers"])
        out.append(f'<div class="card"><b><span class="badge {"pass" if ok else "fail"}">'
                   f'{"PASS" if ok else "FAIL"}</span></b><span>--verify</span></div>')
    out.append("</div>")
    return "\n".join(out)


def _bar(label: str, parts: list[tuple[str, int]], colors: dict[str, str], total_note: str) -> str:
    parts = [(k, v) for k, v in parts if v > 0]
    total = sum(v for _, v in parts) or 1
    segs = "".join(f'<div style="width:{100 * v / total:.3f}%;background:{colors[k]}" '
                   f'title="{k}: {v:,} B"></div>' for k, v in parts)
    legend = "".join(f'<i style="background:{colors[k]}"></i>{k} {v:,} B' for k, v in parts)
    return (f'<div class="barlabel"><b>{label}</b> {total_note}</div><div class="bar">{segs}</div>'
            f'<div class="legend">{legend}</div>')


def _sizes(s: dict) -> str:
    """Flash and RAM bars: the figures gen has (weights, arena, the stack estimate) and, after a --board
    build, the firmware's measured split."""
    out = ["<h2>Flash and RAM</h2>"]
    stack = s.get("stack_bytes") or 0
    firmware = s.get("firmware") or {}
    if not firmware:
        out.append(_bar("flash", [("weights", s["weight_bytes"])], FLASH_COLORS,
                        f"{s['weight_bytes']:,} B of weights and parameters (code size: build with --board ENV)"))
        out.append(_bar("RAM", [("arena", s["arena_size"]), ("stack", stack)], RAM_COLORS,
                        f"{s['arena_size'] + stack:,} B: arena + stack"))
    for env, f in sorted(firmware.items()):
        out.append(_bar(f"flash, firmware for {text(env)}",
                        [("weights", f["weights"]), ("model code", f["model_code"]), ("firmware and libc", f["code"]),
                         ("test vectors", f["test_vectors"])], FLASH_COLORS,
                        f"{f['flash']:,} B (text + data of the ELF)"))
        out.append(_bar(f"RAM, firmware for {text(env)}",
                        [("arena", f["arena"]), ("stack", stack), ("other static RAM", f["other_ram"])], RAM_COLORS,
                        f"{f['ram'] + stack:,} B: static {f['ram']:,} B (data + bss) + stack {stack:,} B"))
    return "\n".join(out)


def plan_buffers(s: dict) -> list[dict]:
    """Every planned buffer (tensors, then scratch) as {'name', 'kind', 'offset', 'size', 'first', 'last'}."""
    bufs = [{"name": k, "kind": "tensor", "offset": t["offset"], "size": t["size"], "first": t["first"],
             "last": t["last"]} for k, t in s.get("tensors", {}).items()]
    bufs += [{"name": k, "kind": "scratch", "offset": t["offset"], "size": t["size"], "first": t["node_index"],
              "last": t["node_index"]} for k, t in s.get("scratch", {}).items()]
    return bufs


def overlaps(bufs: list[dict]) -> list[tuple[int, int]] | None:
    """Index pairs of buffers alive at one layer that share bytes (the plan puts an output over its input
    where the kernel allows it); None past OVERLAP_PAIRS pairs of simultaneously live buffers."""
    order = sorted(range(len(bufs)), key=lambda k: (bufs[k]["first"], k))
    active: list[int] = []
    found, examined = [], 0
    for k in order:
        b = bufs[k]
        active = [j for j in active if bufs[j]["last"] >= b["first"]]
        examined += len(active)
        if examined > OVERLAP_PAIRS:
            return None
        for j in active:
            a = bufs[j]
            if a["size"] and b["size"] and a["offset"] < b["offset"] + b["size"] \
                    and b["offset"] < a["offset"] + a["size"]:
                found.append((j, k))
        active.append(k)
    return found


def _memory_plan(s: dict) -> str:
    n = len(s["layers"])
    cols = max(n, 1)
    # the offset axis: the arena, or the whole-tensor bound where an overlapping plan goes below it
    arena = max(s["arena_size"], s["arena_lower_bound"], 1)
    cw = PLOT_W / cols
    bufs = plan_buffers(s)

    def x(i: int) -> float:
        return LEFT + min(max(i, 0), cols - 1) * cw

    def y(off: int) -> float:
        return TOP + PLOT_H - off / arena * PLOT_H

    def box(first, last, lo, hi):
        top, bottom = y(hi), y(lo)
        return (f'x="{x(first):.2f}" y="{top:.2f}" width="{x(last) + cw - x(first):.2f}" '
                f'height="{max(bottom - top, 1.0):.2f}"')

    w, h = LEFT + PLOT_W + RIGHT, TOP + PLOT_H + BOTTOM
    out = ["<h2>Memory plan</h2>",
           f'<p class="sub">{counted(len(bufs), "planned buffer")} in one arena of {s["arena_size"]:,} B: each '
           "rectangle is a buffer over the layers it is alive (x) and its bytes in the arena (y); hatched orange: "
           "a kernel's scratch, red: bytes two live buffers share; the black steps: the arena bytes in use at each "
           "layer (live B in the table below). "
           "Hover for names.</p>",
           f'<svg id="memory" xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'style="max-width:100%;height:auto">',
           '<defs><pattern id="scratch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect class="pat" width="6" height="6" fill="#f6c89f"/>'
           '<line x1="0" y1="0" x2="0" y2="6" stroke="#e07b39" stroke-width="3"/></pattern>'
           '<pattern id="overlap" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">'
           '<line x1="0" y1="0" x2="0" y2="5" stroke="#c0392b" stroke-width="2"/></pattern></defs>',
           f'<rect class="plot" x="{LEFT}" y="{TOP}" width="{PLOT_W}" height="{PLOT_H}" fill="#fff" stroke="#c9ced8"/>']
    for i, layer in enumerate(s["layers"]):   # one column per layer, its name on hover
        out.append(f'<rect class="col" x="{x(i):.2f}" y="{TOP}" width="{cw:.2f}" height="{PLOT_H}" '
                   f'fill="{"#f3f5f8" if i % 2 else "#fff"}"><title>layer {i}: {text(layer["node"])} '
                   f'({text(layer["op"])}, {text(layer["kernel"])})</title></rect>')
    for k in range(5):                         # the offset axis
        off = arena * k // 4
        out.append(f'<text x="{LEFT - 6}" y="{y(off) + 4:.2f}" text-anchor="end">{off:,}</text>')
    step = max(1, -(-cols // 32))
    for i in range(0, n, step):
        out.append(f'<text x="{x(i) + cw / 2:.2f}" y="{TOP + PLOT_H + 14}" text-anchor="middle">{i}</text>')
    out.append(f'<text x="{LEFT + PLOT_W / 2}" y="{h - 8}" text-anchor="middle">layer (schedule order)</text>')
    out.append(f'<text x="14" y="{TOP + PLOT_H / 2}" text-anchor="middle" transform="rotate(-90 14 '
               f'{TOP + PLOT_H / 2})">arena offset (bytes)</text>')
    for k, b in enumerate(bufs):
        fill = "url(#scratch)" if b["kind"] == "scratch" else f"hsl({k * 47 % 360},55%,72%)"
        what = f"scratch of node {b['name']}" if b["kind"] == "scratch" else f"tensor {b['name']}"
        life = f"layer {b['first']}" if b["first"] == b["last"] else f"layers {b['first']}-{b['last']}"
        out.append(f'<rect class="buf {b["kind"]}" data-name="{text(b["name"])}" '
                   f'{box(b["first"], b["last"], b["offset"], b["offset"] + b["size"])} fill="{fill}" '
                   f'fill-opacity="0.9"><title>{text(what)}: offset {b["offset"]:,}, {b["size"]:,} B, {life}'
                   f'</title></rect>')
    for b in bufs:     # the names of the tensors whose rectangle has room for a few characters
        bw = x(b["last"]) + cw - x(b["first"])
        bh = b["size"] / arena * PLOT_H
        room = int((bw - 6) / 6.2)
        if b["kind"] == "tensor" and bh >= 14 and room >= 4:
            label = b["name"] if len(b["name"]) <= room else b["name"][:room - 1] + "\u2026"
            out.append(f'<text class="label" x="{x(b["first"]) + 3:.2f}" y="{y(b["offset"] + b["size"]) + 12:.2f}" '
                       f'pointer-events="none">{text(label)}</text>')
    live = [layer.get("live_bytes", 0) for layer in s["layers"]]
    steps = " ".join(f"{x(i):.2f},{y(v):.2f} {x(i) + cw:.2f},{y(v):.2f}" for i, v in enumerate(live))
    out.append(f'<polyline class="live" points="{steps}" fill="none" stroke="#1d2330" stroke-width="1.2">'
               "<title>arena bytes in use at each layer (shared bytes once)</title></polyline>")
    pairs = overlaps(bufs)
    for j, k in pairs or []:
        a, b = bufs[j], bufs[k]
        lo, hi = max(a["offset"], b["offset"]), min(a["offset"] + a["size"], b["offset"] + b["size"])
        first, last = max(a["first"], b["first"]), min(a["last"], b["last"])
        out.append(f'<rect class="overlap" {box(first, last, lo, hi)}><title>{text(a["name"])} and '
                   f'{text(b["name"])} share bytes {lo:,}-{hi - 1:,} at layer {first}'
                   f'{"" if first == last else f"-{last}"}</title></rect>')
    lines = [(s["arena_size"], "peak (arena)", "#c0392b"), (s["arena_lower_bound"], "lower bound", "#2e5aac")]
    higher = max(range(2), key=lambda k: (lines[k][0], -k))
    for k, (value, label, color) in enumerate(lines):   # the higher line's label above it, the other's below
        yy = y(value)
        out.append(f'<line x1="{LEFT}" x2="{LEFT + PLOT_W}" y1="{yy:.2f}" y2="{yy:.2f}" stroke="{color}" '
                   f'stroke-width="1.5" stroke-dasharray="6 3"/>')
        out.append(f'<text x="{LEFT + PLOT_W + 6}" y="{yy + (-3 if k == higher else 12):.2f}" '
                   f'style="fill:{color}">{label} {value:,} B</text>')
    out.append("</svg>")
    listed = s.get("overlaps")
    if listed:        # the plan's own account of the bytes it shares (an overlap-aware planner)
        out.append(f"<p><b>Overlaps the plan declares</b> ({len(listed)}):</p><ul>")
        out += [f"<li>{_entry(e)}</li>" for e in listed]
        out.append("</ul>")
    elif pairs is None:
        out.append('<p class="sub">Shared bytes are not marked: too many buffers are alive at once.</p>')
    return "\n".join(out)


def _entry(e) -> str:
    if isinstance(e, dict):
        return ", ".join(f"{text(k)}: {text(v)}" for k, v in sorted(e.items()))
    return text(e)


def _layer_table(s: dict, profile: dict | None) -> str:
    times = {int(k): v for k, v in (profile or {}).get("layers", {}).items()}
    unit = (profile or {}).get("unit", "instructions")
    max_macs = max((r["macs"] for r in s["layers"]), default=0) or 1
    max_time = max(times.values(), default=0) or 1
    head = ["#", "node", "op", "kernel", "inputs &rarr; output", "MACs", "weights B", "arena offset", "bytes",
            "scratch offset+bytes", "live B", "whole tensors B"]
    right = {0, 5, 6, 7, 8, 9, 10, 11, 12, 13}
    if profile:
        head += [text(unit), f"{text(unit)}/MAC"]
    out = ["<h2>Layers</h2>", '<p class="sub">live B: the arena bytes in use at the layer as the plan places its '
           "buffers (shared bytes once); whole tensors B: the sum of the buffers alive then, each with bytes of its "
           "own (the lower bound is its maximum). The peak layer's row is highlighted.</p>"]
    if profile:
        out.append(f'<p class="sub">Measured on {text(profile["board"])}: each layer\'s {text(unit)} in one '
                   "inference (a GEN_PROFILE build, python -m gen.bench --profile).</p>")
    out.append('<table id="layers"><thead><tr>' +
               "".join(f'<th{" class=r" if i in right else ""}>{h}</th>' for i, h in enumerate(head)) +
               "</tr></thead><tbody>")
    for i, r in enumerate(s["layers"]):
        shapes = " ".join(_shape(v) for v in r["inputs"]) + " &rarr; " + _shape(r["output"])
        bar = f'<span class="mb" style="width:{100 * r["macs"] / max_macs:.1f}%"></span>' if r["macs"] else ""
        cells = [(str(i), "r"), (text(r["node"]), "name"), (text(r["op"]), ""), (text(r["kernel"]), ""),
                 (shapes, ""), (f'{r["macs"]:,}{bar}', "r"), (f'{r["weight_bytes"]:,}', "r"),
                 ("view" if r["view"] else f'{r["offset"]:,}', "r"), (f'{r["bytes"]:,}', "r"),
                 (f'{r["scratch_offset"]:,}+{r["scratch_bytes"]:,}' if r["scratch_bytes"] else "", "r"),
                 (_optional(r.get("live_bytes")), "r"), (_optional(r.get("whole_tensor_bytes")), "r")]
        if profile:
            t = times.get(i)
            cells += [("" if t is None else f'{t:,}<span class="pb" style="width:{100 * t / max_time:.1f}%"></span>',
                       "r"), (f"{t / r['macs']:.2f}" if t is not None and r["macs"] else "", "r")]
        tr = '<tr class="peak" title="the peak layer">' if r.get("peak") else "<tr>"
        out.append(tr + "".join(f'<td class="{c}">{v}</td>' if c else f"<td>{v}</td>" for v, c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


def _optional(v) -> str:
    return "" if v is None else f"{v:,}"


def _verify_ok(v: dict) -> bool:
    return bool(v.get("c_ok", True) and v["ok"])


def _verification(s: dict) -> str | None:
    if not s.get("verify_layers"):
        return '<h2>Verification</h2><p class="sub">Not run (python -m gen MODEL --verify).</p>'
    ok = _verify_ok(s["verify_layers"])
    lines = verify_output_lines(s) + verify_lines(s["verify_layers"])
    return (f'<h2>Verification <span id="verdict" class="badge {"pass" if ok else "fail"}">'
            f'{"PASS" if ok else "FAIL"}</span></h2><p>{text(verdict_line(s["verify_layers"]).strip())}</p>'
            "<pre>" + "\n".join(text(line.strip()) for line in lines) + "</pre>")


def _bands(s: dict) -> str | None:
    """--ram min's row bands (gen/bands.py): the cut taken and the trade-offs the search found."""
    b = s.get("bands")
    if not b:
        return None
    from .report import bands_lines
    rows = "".join(f"<tr><td>{t['arena']:,}</td><td>{t['extra_macs']:,}</td><td>{text(t['output'])}</td>"
                   f"<td>{t['rows_per_band']}</td><td>{'row buffers' if t.get('row_buffers') else 'recomputed'}</td></tr>"
                   for t in b.get("trade_offs", []))
    return (f'<h2 id="bands">Row bands (--ram min)</h2><p>{text(bands_lines(s)[0].strip())}</p>'
            '<table id="trade-offs"><tr><th>arena B</th><th>MACs more</th><th>stage output</th><th>rows per band</th>'
            f"<th>rows two bands read</th></tr>{rows}</table>")


def _notes(s: dict) -> str | None:
    if not s.get("notes"):
        return None
    return "<h2>Notes</h2><ul>" + "".join(f"<li>{text(n)}</li>" for n in s["notes"]) + "</ul>"
