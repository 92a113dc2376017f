"""The summary printed after each run: a per-layer table and totals."""
from __future__ import annotations

from .errors import _printable as printable   # model names hold anything: one line, no control characters


def _kb(n: int) -> str:
    return f"{n:,} B" if n < 10 * 1024 else f"{n:,} B ({n / 1024:.1f} KiB)"


def table(rows: list[list[str]], header: list[str], right: set[int]) -> str:
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def summary_text(s: dict, out_dir: str | None = None) -> str:
    rows = []
    for r in s["layers"]:
        shapes = " ".join("x".join(map(str, i)) for i in r["inputs"]) + " -> " + "x".join(map(str, r["output"]))
        mem = "view" if r["view"] else f"{r['offset']}+{r['bytes']}"
        if r["scratch_bytes"]:
            mem += f" (scratch {r['scratch_offset']}+{r['scratch_bytes']})"
        rows.append([printable(r["node"])[:28], r["op"], r["kernel"], shapes, f"{r['macs']:,}", f"{r['weight_bytes']:,}", mem])
    out = [table(rows, ["node", "op", "kernel", "shapes", "MACs", "weights B", "arena offset+bytes"], {4, 5})]
    out.append("")
    out.append(f"model {printable(s['model'])} -> {s['name']}: {len(s['layers'])} layers, {s['macs']:,} MACs")
    out.append(f"  flash: weights and parameters {_kb(s['weight_bytes'])}")
    ram = f"  RAM:   arena {_kb(s['arena_size'])} (activations and scratch; lower bound for whole tensors " \
          f"{s['arena_lower_bound']:,} B"
    if s.get("scratch_bytes"):
        ram += f", largest scratch {s['scratch_bytes']:,} B"
    out.append(ram + ")")
    if s.get("stack_bytes") is not None:
        out.append(f"  stack: {s['stack_bytes']:,} B on the deepest call chain of one inference "
                   f"({s.get('stack_target')}, -fstack-usage)")
    for env, f in (s.get("firmware") or {}).items():
        out.append(f"  firmware for {env}: flash {f['flash']:,} B = weights {f['weights']:,} + model code "
                   f"{f['model_code']:,} + firmware and libc {f['code']:,} + test vectors {f['test_vectors']:,}; RAM {f['ram']:,} B = arena {f['arena']:,} "
                   f"+ other {f['other_ram']:,} (static; stack on top)")
    for note in s.get("notes", []):
        out.append(f"  note: {printable(note)}")
    if s.get("verify"):
        for v in s["verify"]:
            out.append(f"  verify {printable(v['output'])}: max |C - onnxruntime| = {v['max_abs']:.3g}, "
                       f"max rel = {v['max_rel']:.3g}{' ' + v['extra'] if v.get('extra') else ''}")
    if out_dir:
        out.append(f"  wrote {printable(out_dir)}/{s['name']}.h, {s['name']}.c and runtime files")
    return "\n".join(out)
