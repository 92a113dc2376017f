"""The summary printed after each run: a per-layer table and totals."""
from __future__ import annotations

from .errors import _printable as printable   # model names hold anything: one line, no control characters
from .errors import counted


# TFLite Micro's arena for the int8 MLPerf Tiny models (issue 12), by the model file's name
TFLM_ARENA = {"kws_dscnn": 22_824, "vww_mobilenetv1_025": 100_712, "ic_resnet8": 55_000, "ad_fc_autoencoder": 3_012}


def tflm_arena(model: str) -> int | None:
    return next((v for k, v in TFLM_ARENA.items() if model.startswith(k) and "int8" in model), None)


def _kb(n: int) -> str:
    return f"{n:,} B" if n < 10 * 1024 else f"{n:,} B ({n / 1024:.1f} KiB)"


def table(rows: list[list[str]], header: list[str], right: set[int]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


MAX_OVERLAP_LINES = 12      # the summary's overlap lines (a banded graph has one per band and layer)


def _more(macs: int) -> str:
    return f"{macs:,} MACs more" if macs >= 0 else f"{-macs:,} MACs fewer (rows no later layer reads)"


def bands_lines(s: dict) -> list[str]:
    """--ram min's row bands (gen/bands.py): the stage cut, its cost in MACs, and the trade-offs found."""
    b = s.get("bands")
    if not b:
        return []
    nodes = b["nodes"]
    what = printable(nodes[0]) + (f" .. {printable(nodes[-1])}" if len(nodes) > 1 else "")
    pct = f" (+{100 * b['extra_macs'] / max(s['macs'] - b['extra_macs'], 1):.0f}% of the model)" if b["extra_macs"] > 0 else ""
    how = "rows the next band reads again kept in row buffers" if b.get("row_buffers") else \
        "rows two bands need computed twice"
    lines = [f"  bands: {counted(len(nodes), 'layer')} ({what}) run in {b['bands']} bands of {counted(b['rows_per_band'], 'row')} "
             f"of {printable(b['output'])}, {how}: {_more(b['extra_macs'])}{pct}; arena {s['arena_size']:,} B "
             f"against {b['default_arena']:,} B uncut"]
    others = [t for t in b.get("trade_offs", []) if t["arena"] != s["arena_size"] or t["extra_macs"] != b["extra_macs"]]
    if others:
        lines.append("  bands: other cuts (arena B / MACs more; --ram-limit takes the fewest MACs within it): " +
                     ", ".join(f"{t['arena']:,} / {t['extra_macs']:,}" for t in others))
    return lines


def summary_text(s: dict, out_dir: str | None = None) -> str:
    rows = []
    for r in s["layers"]:
        shapes = " ".join("x".join(map(str, i)) for i in r["inputs"]) + " -> " + "x".join(map(str, r["output"]))
        mem = "view" if r["view"] else f"{r['offset']}+{r['bytes']}"
        if r["scratch_bytes"]:
            mem += f" (scratch {r['scratch_offset']}+{r['scratch_bytes']})"
        if r.get("shares_input_bytes"):
            mem += f" over {r['shares_input_bytes']} B of its input"
        live = "" if r.get("live_bytes") is None else ("* " if r.get("peak") else "") + f"{r['live_bytes']:,}"
        rows.append([printable(r["node"])[:28], r["op"], r["kernel"], shapes, f"{r['macs']:,}",
                     f"{r['weight_bytes']:,}", live, mem])
    out = [table(rows, ["node", "op", "kernel", "shapes", "MACs", "weights B", "live B", "arena offset+bytes"],
                 {4, 5, 6})]
    out.append("")
    out.append(f"model {printable(s['model'])} -> {s['name']}: {counted(len(s['layers']), 'layer')}, "
               f"{counted(s['macs'], 'MAC')}")
    out.append(f"  flash: weights and parameters {_kb(s['weight_bytes'])}")
    ram = f"  RAM:   arena {_kb(s['arena_size'])} (activations and scratch; lower bound for whole tensors " \
          f"{s['arena_lower_bound']:,} B"
    if s.get("scratch_bytes"):
        ram += f", largest scratch {s['scratch_bytes']:,} B"
    tflm = tflm_arena(s["model"])
    out.append(ram + (f"; TFLM's arena {tflm:,} B" if tflm else "") + ")")
    if s.get("peak_layer") is not None:
        peak = s["layers"][s["peak_layer"]]
        out.append(f"  live:  {peak['live_bytes']:,} B of the arena in use at the peak layer "
                   f"{s['peak_layer']} ({printable(peak['node'])}, * in the table; whole tensors there "
                   f"{peak['whole_tensor_bytes']:,} B)")
    out.extend(bands_lines(s))
    overlaps = s.get("overlaps", [])
    for o in overlaps[:MAX_OVERLAP_LINES]:
        out.append(f"  overlap: node {printable(o['node'])} writes {printable(o['output'])} "
                   f"({o['output_offset']}+) over {o['shared_bytes']:,} B of {printable(o['input'])} "
                   f"({o['input_offset']}+), {o['rule']}")
    if len(overlaps) > MAX_OVERLAP_LINES:
        out.append(f"  overlap: {len(overlaps) - MAX_OVERLAP_LINES:,} more (NAME_plan.json, \"overlaps\")")
    if s.get("stack_bytes") is not None:
        out.append(f"  stack: {s['stack_bytes']:,} B on the deepest call chain of one inference "
                   f"({s.get('stack_target')}, -fstack-usage)")
    for env, f in (s.get("firmware") or {}).items():
        out.append(f"  firmware for {env}: flash {f['flash']:,} B = weights {f['weights']:,} + model code "
                   f"{f['model_code']:,} + firmware and libc {f['code']:,} + test vectors {f['test_vectors']:,}; RAM {f['ram']:,} B = arena {f['arena']:,} "
                   f"+ other {f['other_ram']:,} (static; stack on top)")
    for note in s.get("notes", []):
        out.append(f"  note: {printable(note)}")
    from .validate import summary_lines
    out.extend(summary_lines(s))      # --quantize's accuracy cost, --verify-data's metrics
    out.extend(verify_output_lines(s))
    if s.get("verify_layers"):
        out.extend(verify_lines(s["verify_layers"]))
    if out_dir:
        out.append(f"  wrote {printable(out_dir)}/{s['name']}.h, {s['name']}.c and runtime files; the report: "
                   f"{printable(out_dir)}/{s['name']}_report.html")
    return "\n".join(out)


def verify_output_lines(s: dict) -> list[str]:
    """--verify's end-to-end comparison of each output with onnxruntime (information, not the verdict)."""
    return [f"  verify {printable(v['output'])}: max |C - onnxruntime| = {v['max_abs']:.3g}, "
            f"max rel = {v['max_rel']:.3g}{' ' + v['extra'] if v.get('extra') else ''}" for v in s.get("verify") or []]


def verify_lines(v: dict) -> list[str]:
    """The layer check of --verify (gen.layercheck) and the verdict: `verify: PASS` or `verify: FAIL (...)`."""
    w = v.get("worst")
    n8 = v["int8_layers"]
    what = counted(v['layers'], 'layer') + (f" ({n8} int8)" if n8 else "")
    lines = [f"  verify layers: {what} against onnxruntime running the model's own nodes on gen's inputs to "
             f"each layer, {counted(v['trials'], 'input')} {v['inputs']}" +
             (f"; worst {w['label']} {w['err']} (tolerance {w['tol']})" if w else "")]
    for e in v.get("exceptions", []):
        lines.append(f"    wider by construction: {e}")
    for f in v.get("failing", [])[:5]:
        lines.append(f"    over tolerance: {f}")
    if v.get("unchecked"):
        lines.append(f"    not checked (need a model input gen does not keep): {', '.join(v['unchecked'][:5])}")
    lines.append(verdict_line(v))
    return lines


def verdict_line(v: dict) -> str:
    """The last line of --verify: `verify: PASS (tolerance: ...)` or `verify: FAIL (...; tolerance: ...)`."""
    w = v.get("worst")
    tol = tolerance_text(v)
    if not v.get("c_ok", True):
        return ("  verify: FAIL (the C differs from gen's numpy integer reference or from onnxruntime; "
                f"tolerance: {tol})")
    if not v["ok"]:
        return f"  verify: FAIL ({w['label']} {w['err']}; tolerance: {tol})"
    return f"  verify: PASS (tolerance: {tol})"


def tolerance_text(v: dict) -> str:
    """What --verify's verdict was judged by (gen.verify.against_onnxruntime, gen.layercheck)."""
    n8 = v["int8_layers"]
    parts = (["1 LSB per int8 layer against onnxruntime (0 where the ops only move bytes)"] if n8 else []) + \
        ([f"relative {v['float_rtol']:.0e} per float layer against onnxruntime"] if v["layers"] > n8 else [])
    if v.get("c_vs") == "reference":
        ref = v.get("c_ref_lsb", 0)
        parts.append("the C bit-exact against gen's numpy integer reference" if ref == 0 else
                     f"the C within {ref} LSB of gen's numpy integer reference (layers computed in float)")
        if v.get("c_float_outputs"):
            parts.append(f"its float outputs within relative {v['c_rtol']:.0e} of the reference")
    elif v.get("c_vs") == "onnxruntime":
        parts.append(f"the outputs within relative {v['c_rtol']:.0e} of onnxruntime")
    return "; ".join(parts) or "no layer to check"
