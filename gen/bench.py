"""Benchmark gen's output on the QEMU boards.

    python -m gen.bench [MODEL.onnx ...] [--boards mps2-an386,mps3-an547] [--kernels gen,cmsis-nn]
                        [--ram default,min] [--cmsis-nn DIR] [--out DIR | --update]

For every model and --kernels variant: ``python -m gen MODEL --kernels K`` into a scratch
folder; for every board: build the firmware around it and run it in QEMU (``pio run -e BOARD
-t upload``, offline), with progress (N/M done, seconds elapsed) on stderr. With --cmsis-nn DIR
one more variant links the real CMSIS-NN (DIR) to the `--kernels cmsis-nn` output (to the
`gen` one if cmsis-nn is not asked for; on the Helium board planned with --scratch helium).
Float models have one variant per library: --kernels only changes int8 layers. With --ram default,min
every --kernels variant runs once per --ram mode (`python -m gen --ram min`: row bands), labelled e.g.
`gen --ram min`; the CMSIS-NN variant runs --ram default only.

Then it prints a comparison table, one row per (model, board): each variant's instructions and
instructions/MAC, and TFLM + CMSIS-NN's figures for the official *_int8_qdq_tflite models on
the M4 and M55 (TFLM_CMSIS_NN: issue 11) with the first variant's ratio to them; results.md
has it and below it one row per run; results.json keeps every figure. They go into a new
scratch folder (printed), --out DIR, or with --update the checkout's committed bench/. The
header names what each variant linked: gen's own library, or the CMSIS-NN checkout (its path
and version).

Columns of the per-run table: instructions per inference (QEMU -icount shift=0: exact to the SysTick
resolution, 31-50 instructions), MACs (from NAME_plan.json), instructions per MAC, arena
bytes, weights bytes (the model's const data), model code bytes (the kernels and the
generated graph code), flash bytes (text + data of the firmware ELF, including the ~40 KB
test firmware and newlib printf), RAM bytes (data + bss: arena, buffers, libc), stack bytes (high-water
mark of gen_tv_run on the painted stack).

Default models: the 4 float32 + 8 int8 MLPerf Tiny models in ../shared/models (relative
to the repository root) when that folder exists, else gen's bundled example model.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from gen import board as boards

SHARED_MODELS = os.path.join(os.path.dirname(boards.ROOT), "shared", "models")
MLPERF_TINY = ("kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8", "ad_fc_autoencoder")
COLUMNS = (
    ("model", "model"), ("board", "board"), ("variant", "kernels"), ("result", "result"),
    ("instructions", "instructions"), ("macs", "MACs"), ("instr_per_mac", "instr/MAC"),
    ("weights", "weights B"), ("model_code", "model code B"), ("flash", "flash B"), ("ram", "RAM B"),
    ("arena", "arena B"), ("stack", "stack B"),
)
KERNELS = ("gen", "cmsis-nn")       # python -m gen --kernels
RAM_MODES = ("default", "low", "min")      # python -m gen --ram

# TFLM + CMSIS-NN's executed instructions per inference on the same QEMU boards, same counting
# (-icount shift=0), on the official MLPerf Tiny int8 models (the TFLite files of
# ../shared/models/*_int8_qdq_tflite.onnx). Source: issue 11, "Acceptance" (Cortex-M4: TFLM with
# CMSIS-NN's DSP build; Cortex-M55: its Helium build). The reference column of the table.
TFLM_CMSIS_NN_SOURCE = "issue 11 (TFLM + CMSIS-NN on the same QEMU boards, same counting)"
TFLM_CMSIS_NN = {
    "mps2-an386": {"kws_dscnn": 7_699_867, "vww_mobilenetv1_025": 24_101_895, "ic_resnet8": 29_864_101,
                   "ad_fc_autoencoder": 582_937},
    "mps3-an547": {"kws_dscnn": 1_815_773, "vww_mobilenetv1_025": 6_558_259, "ic_resnet8": 4_912_137,
                   "ad_fc_autoencoder": 149_970},
}
TFLM_MODEL_SUFFIX = "_int8_qdq_tflite"     # only these models are the ones TFLM ran


def tflm_reference(model: str, board: str) -> int | None:
    """TFLM + CMSIS-NN's instructions for this model (by its file name) and board, or None."""
    if not model.endswith(TFLM_MODEL_SUFFIX):
        return None
    return TFLM_CMSIS_NN.get(board, {}).get(model[:-len(TFLM_MODEL_SUFFIX)])


def parse_choices(values, option: str, choices: tuple) -> list:
    """A comma or space separated, repeatable option's values as a list in order (default: choices[0])."""
    out = []
    for v in values or []:
        out += [k for k in v.replace(",", " ").split() if k and k not in out]
    bad = [k for k in out if k not in choices]
    if bad:
        raise ValueError("unknown %s %s; choose from %s" % (option, ", ".join(bad), ", ".join(choices)))
    return out or [choices[0]]


def parse_kernels(values) -> list:
    """--kernels gen,cmsis-nn as a list in order, default ['gen']."""
    return parse_choices(values, "--kernels", KERNELS)


def parse_ram(values) -> list:
    """--ram default,min as a list in order, default ['default']."""
    return parse_choices(values, "--ram", RAM_MODES)


def variants(kernels: list, cmsis_nn, rams=("default",)) -> list:
    """The columns of the table: (kernels, library, ram) for each --kernels and each --ram mode with gen's
    portable library, and with --cmsis-nn the real library linked to the cmsis-nn output (the first one's if
    it is not asked), --ram default only."""
    out = [(k, "portable", r) for k in kernels for r in rams]
    if cmsis_nn:
        out.append(("cmsis-nn" if "cmsis-nn" in kernels else kernels[0], "CMSIS-NN", "default"))
    return out


def cmsis_nn_ram_note(cmsis_nn, rams: list) -> str | None:
    """What to tell a user who asks --cmsis-nn with --ram modes other than default, or None."""
    other = [r for r in rams if r != "default"]
    if not cmsis_nn or not other:
        return None
    return "the --cmsis-nn variant (the real CMSIS-NN kernels) runs --ram default only, not --ram " + ", ".join(other)


def suffix(value: str, default: str = "gen") -> str:
    """A scratch folder's name part for a non-default option value: '' or '-value'."""
    return "" if value == default else "-" + value


def ram_suffix(ram: str) -> str:
    """A scratch folder's name part for a --ram mode: '' or '-ram-min'."""
    return "" if ram == "default" else "-ram-" + ram


def variant_label(kernels: str, library: str, ram: str = "default") -> str:
    """A variant's name in the tables: 'gen', 'gen --ram min', 'cmsis-nn + CMSIS-NN'."""
    label = kernels if library == "portable" else kernels + " + CMSIS-NN"
    return label if ram == "default" else label + " --ram " + ram


def default_models() -> list:
    """The MLPerf Tiny float32 + int8 models from ../shared/models, or [] (bundled example)."""
    if not os.path.isdir(SHARED_MODELS):
        return []
    found = []
    for stem in MLPERF_TINY:
        found += sorted(glob.glob(os.path.join(SHARED_MODELS, stem + "_float32.onnx")))
        found += sorted(glob.glob(os.path.join(SHARED_MODELS, stem + "_int8*.onnx")))
    return found


def model_name(model) -> str:
    return os.path.splitext(os.path.basename(model))[0] if model else "example"


HELIUM_BOARDS = ("mps3-an547",)
COMMITTED = os.path.join(boards.ROOT, "bench")   # the results the README quotes


def cmsis_nn_version(path: str) -> str:
    """A CMSIS-NN checkout's version: ``git describe --tags``, else 'version unknown'."""
    try:
        out = subprocess.run(["git", "-C", path, "describe", "--tags"], capture_output=True, text=True,
                             timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return "version unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "version unknown"


def linked_text(rows: list, cmsis_nn) -> str:
    """What each variant's firmware linked (rows' `kernels`, `library` and `ram_mode`), as the header says it;
    each names its --ram mode when some variant is not --ram default."""
    parts, seen = [], set()
    name_ram = any(r.get("ram_mode", "default") != "default" for r in rows)
    for r in rows:
        key = (r.get("kernels"), r.get("library"), r.get("ram_mode", "default"))
        if None in key or key in seen:
            continue
        seen.add(key)
        label = variant_label(*key)
        options = f"--kernels {key[0]}" + (f" --ram {key[2]}" if name_ram else "")
        if key[1] == "portable":
            parts.append(f"`{label}`: `{options}`, gen's own library only (its kernels and its portable "
                         "CMSIS-NN subset, `runtime_c/`)")
        elif cmsis_nn:
            parts.append(f"`{label}`: `{options}`, Arm's CMSIS-NN from `{cmsis_nn}` "
                         f"({cmsis_nn_version(cmsis_nn)}; on the Helium board planned with `--scratch helium`)")
    return "; ".join(parts) or "nothing (no firmware was built)"


def generate(model, out_dir: str, extra=()) -> dict:
    """Run ``python -m gen`` into out_dir; returns {'ok', 'log', 'plan', 'name'}."""
    cmd = [sys.executable, "-m", "gen"] + ([model] if model else []) + ["-o", out_dir, "-q", "--test-vectors", "1",
                                                                       *extra]
    proc = subprocess.run(cmd, cwd=boards.ROOT, capture_output=True, text=True, check=False)
    plan = None
    plans = sorted(glob.glob(os.path.join(out_dir, "*_plan.json")))
    if proc.returncode == 0 and plans:
        with open(plans[0], encoding="utf-8") as fp:
            plan = json.load(fp)
    return {"ok": proc.returncode == 0 and os.path.isfile(os.path.join(out_dir, "gen_testvec.h")),
            "log": proc.stdout + proc.stderr, "plan": plan}


def bench_one(name: str, gen_dir: str, board: str, work: str, plan: dict, timeout: float,
              kernels: str = "gen", cmsis_nn=None, ram: str = "default") -> dict:
    t0 = time.time()
    res = boards.run_on_qemu(gen_dir, board, build_dir=os.path.join(work, "pio"), timeout=timeout,
                             cmsis_nn_dir=cmsis_nn)
    library = "CMSIS-NN" if cmsis_nn else "portable"
    row = {"model": name, "board": board, "kernels": kernels, "library": library, "ram_mode": ram,
           "variant": variant_label(kernels, library, ram)}
    macs = plan.get("macs")
    if res["result"] is not None:
        row["result"] = res["result"]
    elif res["fault"]:
        row["result"] = "FAULT"
    elif res["returncode"] == 124:
        row["result"] = "TIMEOUT"
    else:
        row["result"] = "BUILD FAILED" if res["elf"] is None else "ERROR"
    row["instructions"] = res.get("instructions")
    row["macs"] = macs
    if row["instructions"] and macs:
        row["instr_per_mac"] = round(row["instructions"] / macs, 2)
    else:
        row["instr_per_mac"] = None
    row["arena"] = res.get("arena")
    split = boards.firmware_breakdown(res["elf"], plan["name"]) if res["elf"] and plan.get("name") else {}
    row["weights"] = split.get("weights")
    row["model_code"] = split.get("model_code")
    row["flash_split"] = split or None
    size = res.get("size") or {}
    row["flash"] = size.get("flash")
    row["ram"] = size.get("ram")
    row["stack"] = res.get("stack")
    row["elf_size"] = size or None
    row["vectors"] = res.get("results")
    row["status"] = res.get("status")
    row["timer_check"] = res.get("timer_check")
    row["tflm_cmsis_nn"] = tflm_reference(name, board)
    row["seconds"] = round(time.time() - t0, 1)
    row["_elf"] = res["elf"]        # for the report (write_report); not a column
    if row["result"] != "PASS":
        log_path = os.path.join(work, "%s.log" % board)
        row["log_tail"] = res["log"][-2000:]
        with open(log_path, "w", encoding="utf-8") as fp:
            fp.write(res["log"])
        row["log"] = log_path
    return row


def profile_one(gen_dir: str, board: str, work: str, timeout: float, cmsis_nn=None) -> dict | None:
    """Each layer's instructions ({index: n}) from a GEN_PROFILE build, or None if it did not run."""
    res = boards.run_on_qemu(gen_dir, board, build_dir=os.path.join(work, "pio-profile"), timeout=timeout,
                             cmsis_nn_dir=cmsis_nn, profile=True)
    profile = boards.layer_profile(res)
    return profile["layers"] if res["result"] == "PASS" and profile else None


def write_report(plan: dict, row: dict, work: str) -> str:
    """<work>/NAME_report.html: gen's report of the model with this run's per-layer instructions, the
    firmware's flash and RAM split and its measured stack (beside the gen output, which stays as gen wrote it)."""
    from gen import report_html  # pylint: disable=import-outside-toplevel
    summary = dict(plan, stack_bytes=row.get("stack"), stack_target=f"measured on {row['board']}")
    if row.get("_elf"):
        summary["firmware"] = {row["board"]: boards.firmware_breakdown(row["_elf"], plan["name"])}
    profile = {"board": f"{row['board']} ({row['variant']} kernels)", "unit": "instructions",
               "layers": row["layer_instructions"]}
    path = os.path.join(work, f"{plan['name']}_report.html")
    with open(path, "wb") as fp:
        fp.write(report_html.render(summary, profile))
    return path


def layer_rows(row: dict, plan: dict) -> list:
    """The per-layer table rows of one (model, board) run with a profile: the plan's layers and their time."""
    times = row.get("layer_instructions") or {}
    total = sum(times.values()) or 1
    out = []
    for k, layer in enumerate(plan.get("layers", [])):
        t = times.get(k)
        macs = layer.get("macs") or 0
        out.append({"model": row["model"], "board": row["board"], "variant": row["variant"], "layer": k,
                    "node": layer["node"], "op": layer["op"], "kernel": layer.get("kernel") or "",
                    "macs": macs or None, "instructions": t,
                    "instr_per_mac": round(t / macs, 2) if t and macs else None,
                    "share": round(100.0 * t / total, 1) if t is not None else None})
    return out


LAYER_COLUMNS = [("model", "model"), ("board", "board"), ("variant", "kernels"), ("layer", "layer"),
                 ("node", "node"), ("op", "op"), ("kernel", "kernel"), ("macs", "MACs"),
                 ("instructions", "instructions"), ("instr_per_mac", "instr/MAC"), ("share", "% of layers")]


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "%.2f" % v
    if isinstance(v, int):
        return "{:,}".format(v)
    return str(v)


TEXT_COLUMNS = ("model", "board", "variant", "result", "node", "op", "kernel")


def summary(rows: list, labels: list) -> tuple[list, list]:
    """The comparison table: one row per (model, board) in the rows' order, each variant's instructions
    and instructions/MAC (its result instead when it did not PASS), TFLM + CMSIS-NN's figure where there is
    one, the first variant's instructions over it, and its flash: weights and model code. Returns
    (columns, rows)."""
    first = labels[0]
    columns = [("model", "model"), ("board", "board")]
    for label in labels:
        columns += [(label + ":instructions", label), (label + ":instr_per_mac", "instr/MAC")]
    columns += [("tflm_cmsis_nn", "TFLM + CMSIS-NN"), ("ratio", f"{first} / TFLM"),
                ("weights", f"{first} weights B"), ("model_code", f"{first} model code B")]
    out, index = [], {}
    for r in rows:
        key = (r["model"], r["board"])
        if key not in index:
            index[key] = {"model": r["model"], "board": r["board"],
                          "tflm_cmsis_nn": tflm_reference(r["model"], r["board"])}
            out.append(index[key])
        s = index[key]
        label = r.get("variant") or first
        passed = r.get("result") == "PASS"
        s[label + ":instructions"] = r.get("instructions") if passed else r.get("result")
        s[label + ":instr_per_mac"] = r.get("instr_per_mac") if passed else None
        if label == first:
            s["weights"], s["model_code"] = r.get("weights"), r.get("model_code")
    for s in out:
        gen_n, ref = s.get(first + ":instructions"), s["tflm_cmsis_nn"]
        s["ratio"] = round(gen_n / ref, 2) if isinstance(gen_n, int) and ref else None
    return columns, out


def _is_text(key: str) -> bool:
    return key in TEXT_COLUMNS


def markdown(rows: list, columns=None) -> str:
    columns = columns or COLUMNS
    head = "| " + " | ".join(title for _, title in columns) + " |"
    sep = "|" + "|".join("---" if _is_text(k) else "---:" for k, _ in columns) + "|"
    body = ["| " + " | ".join(_fmt(r.get(k)) for k, _ in columns) + " |" for r in rows]
    return "\n".join([head, sep] + body) + "\n"


def text_table(rows: list, columns=None) -> str:
    columns = columns or COLUMNS
    cells = [[title for _, title in columns]] + [[_fmt(r.get(k)) for k, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) if _is_text(k) else c.rjust(w)
                               for (k, _), c, w in zip(columns, row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def parse_boards(values) -> list:
    out = []
    for v in values or []:
        out += [b for b in v.replace(",", " ").split() if b]
    if not out:
        return list(boards.QEMU_BOARDS)
    bad = [b for b in out if b not in boards.QEMU_BOARDS]
    if bad:
        raise ValueError("unknown board(s) %s; QEMU boards: %s"
                         % (", ".join(bad), ", ".join(boards.QEMU_BOARDS)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m gen.bench", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n", 2)[2])
    ap.add_argument("models", nargs="*", help="ONNX models (default: MLPerf Tiny from "
                    "../shared/models, else the bundled example)")
    ap.add_argument("--boards", nargs="+", metavar="BOARD",
                    help="QEMU envs, comma or space separated (default: all: %s)"
                    % ", ".join(boards.QEMU_BOARDS))
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="DIR",
                       help="output folder for results.md / results.json (default: a new scratch folder)")
    where.add_argument("--update", action="store_true",
                       help="write them into the checkout's committed bench/ (%s)" % COMMITTED)
    ap.add_argument("-j", "--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)),
                    help="parallel builds/runs (default: min(4, CPUs))")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds per build+run")
    ap.add_argument("--profile", action="store_true",
                    help="also build each firmware with GEN_PROFILE and write each layer's instructions "
                         "to layers.md / layers.json beside results.md, and into a report per run "
                         "(work/MODEL/BOARD[-cmsis-nn][-CMSIS-NN][-ram-min]/NAME_report.html)")
    ap.add_argument("--kernels", action="append", metavar="K[,K]",
                    help="the `python -m gen --kernels` variants to run, comma separated, each model generated "
                         "once per variant: gen, cmsis-nn (default: gen)")
    ap.add_argument("--ram", action="append", metavar="MODE[,MODE]",
                    help="the `python -m gen --ram` modes to run each --kernels variant with, comma separated: "
                         "default, min (default: default; the --cmsis-nn variant: default only)")
    ap.add_argument("--cmsis-nn", metavar="DIR",
                    help="one more variant: the --kernels cmsis-nn output (gen's if cmsis-nn is not asked for) "
                         "linked with the real CMSIS-NN (a v7.0.0 checkout) instead of gen's portable "
                         "subset (GEN_USE_CMSIS_NN)")
    args = ap.parse_args(argv)

    try:
        board_list = parse_boards(args.boards)
        kernel_list = parse_kernels(args.kernels)
        ram_list = parse_ram(args.ram)
    except ValueError as e:
        print("gen.bench: %s" % e, file=sys.stderr)
        return 2
    missing = boards.missing_tools()
    if missing:
        print("gen.bench: missing tools: %s" % ", ".join(missing), file=sys.stderr)
        return 2
    boards.ensure_pio_offline()

    models = args.models or default_models() or [None]
    if args.update and not os.path.isdir(COMMITTED):
        print("gen.bench: --update: no committed bench/ folder at %s (not a checkout of gen)" % COMMITTED,
              file=sys.stderr)
        return 2
    out = COMMITTED if args.update else os.path.abspath(args.out) if args.out else tempfile.mkdtemp(prefix="gen-bench-")
    os.makedirs(out, exist_ok=True)
    # the builds: beside the results, but never inside the committed folder
    work_root = tempfile.mkdtemp(prefix="gen-bench-work-") if args.update else os.path.join(out, "work")
    t_start = time.time()

    cmsis_nn = os.path.abspath(args.cmsis_nn) if args.cmsis_nn else None
    variant_list = variants(kernel_list, cmsis_nn, ram_list)
    if cmsis_nn_ram_note(cmsis_nn, ram_list):
        print("gen.bench: " + cmsis_nn_ram_note(cmsis_nn, ram_list), file=sys.stderr)
    labels = [variant_label(*v) for v in variant_list]
    jobs, rows, plans = [], [], {}
    for model in models:
        name = model_name(model)
        source = os.path.abspath(model) if model else None
        outputs = {}        # (kernels, scratch, plan, ram) -> gen's output folder, each generated once

        def output(kernels, scratch="dsp", plan="overlap", ram="default", name=name, source=source,
                   outputs=outputs):
            key = (kernels, scratch, plan, ram)
            if key not in outputs:
                gen_dir = os.path.join(work_root, name, "gen" + suffix(kernels) + suffix(scratch, "dsp")
                                       + suffix(plan, "overlap") + ram_suffix(ram))
                print("gen.bench: generating %s --kernels %s%s%s%s (%.0f s)" % (
                    name, kernels, "" if scratch == "dsp" else " --scratch " + scratch,
                    "" if plan == "overlap" else " --plan " + plan, "" if ram == "default" else " --ram " + ram,
                    time.time() - t_start), file=sys.stderr, flush=True)
                outputs[key] = (gen_dir, generate(source, gen_dir, ["--kernels", kernels, "--scratch", scratch,
                                                                    "--plan", plan, "--ram", ram]))
            return outputs[key]

        def failed(board, variant, g, name=name):
            kernels, library, ram = variant
            return {"model": name, "board": board, "kernels": kernels, "library": library, "ram_mode": ram,
                    "variant": variant_label(*variant), "result": "GEN FAILED",
                    "error": (g["log"].strip().splitlines() or [""])[-1]}

        for variant in variant_list:
            kernels, library, ram = variant
            gen_dir, g = output(kernels, ram=ram)
            if not g["ok"]:
                print(g["log"].strip(), file=sys.stderr)
                rows += [failed(b, variant, g) for b in board_list]
                continue
            plan = plans[(name, kernels, ram)] = g["plan"] or {}
            first_of_ram = next(v for v in variant_list if v[2] == ram)
            if not os.path.isfile(os.path.join(gen_dir, "gen_nn.h")) and variant != first_of_ram:
                continue    # a float model: --kernels and the CMSIS-NN library change nothing, one run per --ram
            for b in board_list:
                run_dir = gen_dir
                if library == "CMSIS-NN":
                    # the real library: the simple plan (an overlapping one refuses to build against it), its
                    # Helium kernels their own scratch plan
                    run_dir, linked = output(kernels, "helium" if b in HELIUM_BOARDS else "dsp", "simple")
                    if not linked["ok"]:
                        rows.append(failed(b, variant, linked))
                        continue
                work = os.path.join(work_root, name, b + suffix(kernels) + suffix(library, "portable")
                                    + ram_suffix(ram))
                jobs.append((name, run_dir, b, work, plan, kernels, cmsis_nn if library == "CMSIS-NN" else None,
                             ram))

    done = []
    lock = threading.Lock()

    def _run(job):
        name, gen_dir, b, work, plan, kernels, cmsis_dir, ram = job
        os.makedirs(work, exist_ok=True)
        row = bench_one(name, gen_dir, b, work, plan, args.timeout, kernels, cmsis_dir, ram)
        if args.profile and row["result"] == "PASS":
            row["layer_instructions"] = profile_one(gen_dir, b, work, args.timeout, cmsis_dir)
            if row["layer_instructions"]:
                write_report(plan, row, work)
        row.pop("_elf", None)
        with lock:
            done.append(row)
            print("gen.bench: [%d/%d, %.0f s] %-34s %-11s %-19s %-7s %s instructions" % (
                len(done), len(jobs), time.time() - t_start, name, b, row["variant"], row["result"],
                _fmt(row["instructions"])), file=sys.stderr, flush=True)
        return row

    # every run builds its own PlatformIO project (gen/pio_project.py: its own platforms folder)
    with cf.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        rows += list(pool.map(_run, jobs))

    order = {m: i for i, m in enumerate(model_name(m) for m in models)}
    rows.sort(key=lambda r: (order.get(r["model"], 0), board_list.index(r["board"]), labels.index(r["variant"])))
    summary_columns, summary_rows = summary(rows, labels)
    print()
    print(text_table(summary_rows, summary_columns), end="")
    with open(os.path.join(out, "results.md"), "w", encoding="utf-8") as fp:
        fp.write("# gen on QEMU boards\n\nGenerated by `python -m gen.bench " + " ".join(
                     os.path.basename(a) if a.endswith(".onnx") else a for a in (argv if argv is not None
                                                                                  else sys.argv[1:]))
                 + "`. Linked: " + linked_text(rows, cmsis_nn) + ". Instructions per "
                 "inference under `qemu-system-arm -icount shift=0` (1 instruction = 1 ns of "
                 "virtual time). TFLM + CMSIS-NN: " + TFLM_CMSIS_NN_SOURCE + ", for the official "
                 "`*" + TFLM_MODEL_SUFFIX + "` models on the M4 and M55.\n\n")
        fp.write(markdown(summary_rows, summary_columns))
        fp.write("\n## Every run\n\nweights = the model's const data, model code = the kernels and the generated "
                 "graph code (`board.firmware_breakdown`); flash = text + data of the whole firmware ELF (with "
                 "the test firmware, newlib and the test vectors); RAM = data + bss; stack = high-water mark of "
                 "one inference.\n\n")
        fp.write(markdown(rows))
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as fp:
        json.dump({"columns": [k for k, _ in COLUMNS], "rows": rows,
                   "summary_columns": [k for k, _ in summary_columns], "summary": summary_rows,
                   "tflm_cmsis_nn": {"source": TFLM_CMSIS_NN_SOURCE, "instructions": TFLM_CMSIS_NN}},
                  fp, indent=1, sort_keys=True)
        fp.write("\n")
    print("gen.bench: wrote %s and %s" % (os.path.join(out, "results.md"),
                                           os.path.join(out, "results.json")))
    if args.profile:
        layers = [lr for r in rows if r.get("layer_instructions")
                  for lr in layer_rows(r, plans.get((r["model"], r["kernels"], r["ram_mode"]), {}))]
        with open(os.path.join(out, "layers.md"), "w", encoding="utf-8") as fp:
            fp.write("# gen per layer on QEMU boards\n\nEach layer's executed instructions in the first vector's "
                     "inference, from a firmware built with GEN_PROFILE (`python -m gen.bench --profile`): the "
                     "clock between the generated code's gen_profile_layer calls, less one empty call pair. "
                     "The per-model table (results.md) comes from builds without the hooks.\n\n")
            fp.write(markdown(layers, LAYER_COLUMNS))
        with open(os.path.join(out, "layers.json"), "w", encoding="utf-8") as fp:
            json.dump({"columns": [k for k, _ in LAYER_COLUMNS], "rows": layers}, fp, indent=1, sort_keys=True)
            fp.write("\n")
        print("gen.bench: wrote %s" % os.path.join(out, "layers.md"))
    ok = rows and all(r["result"] == "PASS" for r in rows)
    if args.update and ok:
        shutil.rmtree(work_root, ignore_errors=True)
    elif args.update:
        print("gen.bench: the failing runs' logs are in %s" % work_root, file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
