"""The library as an application links it (gen/c_arena.py, issue 13 "Library hygiene"):

- `python -m gen MODEL -o DIR` writes only the library (no test vectors), so `cc DIR/*.c` builds the model
  alone; `--test-vectors N`, `--board`, `--test-input` and `--verify` still write gen_testvec.c/.h for the
  firmware;
- NAME_ARENA_ATTR places the static arena (a named section), NAME_EXTERNAL_ARENA takes the caller's buffer
  (NAME_set_arena), NAME_input<k>()/NAME_output<k>() with NAME_run_in_place() skip the copies.

Each variant is compiled with -Werror (gcc; arm-none-eabi-gcc too where installed) into a program that runs
the copying entry point and the in-place one on the same inputs: both equal the copying API loaded through
cffi, and that equals onnxruntime (float: within 1e-5 of the largest output; int8: the KWS sample keeps
onnxruntime's class).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import pytest

from graphs import ROOT, ort_run

from gen import board, driver
from gen.c_arena import arena_ctype
from gen.host import HostModel
from gen.verify import quantize

MODELS = os.path.normpath(os.path.join(ROOT, "..", "shared", "models"))
KWS = os.path.join(MODELS, "kws_dscnn_int8_qdq_tflite.onnx")
STRICT = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SECTION = ".gen_arena_test"
VARIANTS = {
    "static": [],
    "section": [f"-DM_ARENA_ATTR=__attribute__((section(\"{SECTION}\")))"],
    "external": ["-DM_EXTERNAL_ARENA"],
}


def harness(summary: dict, int8: bool) -> str:
    """main(in.bin, copy.bin, inplace.bin): runs m_run (float models) or m_run_s8 (int8) on the inputs, then
    m_run_in_place on the same inputs written through m_input<k>(), and writes both outputs. With
    M_EXTERNAL_ARENA it first checks that runs and bad arenas are refused, then gives its own arena and
    checks that the in-place pointers are inside it."""
    ins, outs = summary["inputs"], summary["outputs"]
    run = "m_run_s8" if int8 else "m_run"
    lines = ["#include <stdio.h>", "#include <string.h>", '#include "m.h"', "",
             "#ifdef M_EXTERNAL_ARENA",
             "static union {", "    double align;", "    uint8_t bytes[M_ARENA_SIZE + 8];", "} user_arena;",
             "static int inside(const void *p)", "{",
             "    const uint8_t *b = (const uint8_t *)p;",
             "    return b >= user_arena.bytes && b < user_arena.bytes + M_ARENA_SIZE;", "}", "#endif", ""]
    lines += [f"static {arena_ctype(t)} in{k}[M_INPUT{k}_SIZE];" for k, t in enumerate(ins)]
    lines += [f"static {arena_ctype(t)} out{k}[M_OUTPUT{k}_SIZE];" for k, t in enumerate(outs)]
    args = ", ".join([f"in{k}" for k in range(len(ins))] + [f"out{k}" for k in range(len(outs))])
    lines += ["", "int main(int argc, char **argv)", "{", "    FILE *fi, *fc, *fp;", "    (void)argc;",
              '    fi = fopen(argv[1], "rb");', '    fc = fopen(argv[2], "wb");', '    fp = fopen(argv[3], "wb");',
              "    if (!fi || !fc || !fp) {", "        return 20;", "    }"]
    lines += [f"    if (fread(in{k}, sizeof in{k}, 1, fi) != 1) {{\n        return 21;\n    }}"
              for k in range(len(ins))]
    lines += ["#ifdef M_EXTERNAL_ARENA",
              f"    if ({run}({args}) != -1 || m_run_in_place() != -1) {{", "        return 10;   /* no arena yet */",
              "    }",
              "    if (m_set_arena(NULL) != -1 || m_set_arena(user_arena.bytes + 1) != -1) {", "        return 11;",
              "    }", "    if (m_set_arena(user_arena.bytes) != 0) {", "        return 12;", "    }",
              *[f"    if (!inside(m_input{k}())) {{\n        return 13;\n    }}" for k in range(len(ins))],
              *[f"    if (!inside(m_output{k}())) {{\n        return 13;\n    }}" for k in range(len(outs))],
              "#endif",
              f"    if ({run}({args}) != 0) {{", "        return 2;", "    }"]
    lines += [f"    fwrite(out{k}, sizeof out{k}, 1, fc);" for k in range(len(outs))]
    lines += [f"    memset(out{k}, 0, sizeof out{k});" for k in range(len(outs))]
    lines += [f"    memcpy(m_input{k}(), in{k}, sizeof in{k});" for k in range(len(ins))]
    lines += ["    if (m_run_in_place() != 0) {", "        return 3;", "    }"]
    lines += [f"    fwrite(m_output{k}(), sizeof out{k}, 1, fp);" for k in range(len(outs))]
    lines += ["    fclose(fi);", "    fclose(fc);", "    fclose(fp);", "    return 0;", "}", ""]
    return "\n".join(lines)


def build_and_run(out, summary, int8, variant, inputs, tmp):
    (tmp / "main.c").write_text(harness(summary, int8))
    exe = tmp / f"prog_{variant}"
    srcs = sorted(str(p) for p in out.glob("*.c"))
    cc = subprocess.run(["gcc", *STRICT, *VARIANTS[variant], f"-I{out}", str(tmp / "main.c"), *srcs, "-lm",
                         "-o", str(exe)], capture_output=True, text=True, timeout=600)
    assert cc.returncode == 0, cc.stderr[-3000:]
    (tmp / "in.bin").write_bytes(b"".join(np.ascontiguousarray(x).tobytes() for x in inputs))
    r = subprocess.run([str(exe), str(tmp / "in.bin"), str(tmp / "copy.bin"), str(tmp / "inplace.bin")],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, (variant, r.returncode, r.stderr)
    return exe, (tmp / "copy.bin").read_bytes(), (tmp / "inplace.bin").read_bytes()


def arena_symbol(exe, objdump="objdump"):
    """(section, size) of the symbol m_arena."""
    table = subprocess.run([objdump, "-t", str(exe)], capture_output=True, text=True, check=True).stdout
    for line in table.splitlines():
        if line.split()[-1:] == ["m_arena"]:
            parts = line.split()
            return parts[-3], int(parts[-2], 16)
    raise AssertionError("no m_arena symbol")


def check_variants(out, summary, int8, inputs, expected: bytes, tmp):
    for variant in VARIANTS:
        exe, copied, in_place = build_and_run(out, summary, int8, variant, inputs, tmp)
        assert copied == expected, f"{variant}: the copying entry point differs from the cffi build"
        assert in_place == expected, f"{variant}: m_run_in_place differs from the copying entry point"
        section, size = arena_symbol(exe)
        if variant == "section":
            assert section == SECTION and size >= summary["arena_size"], (section, size)
        elif variant == "external":     # only a pointer: the arena is the caller's
            assert size == 8 and section == ".bss", (section, size)
        else:
            assert section == ".bss" and size >= summary["arena_size"], (section, size)


def arm_compiles(out, variants=("section", "external")):
    """Every variant compiles -Werror for a Cortex-M4 (and the library at every optimization level: a debug
    build is -O0); the section variant puts m_arena in SECTION."""
    if shutil.which("arm-none-eabi-gcc") is None:
        return
    for level in ("-O0", "-Og", "-Os"):
        r = subprocess.run(["arm-none-eabi-gcc", *STRICT, level, "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                            "-mfpu=fpv4-sp-d16", f"-I{out}", "-c", *sorted(str(p) for p in out.glob("*.c"))],
                           cwd=out.parent, capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, (level, r.stderr[-3000:])
    for variant in variants:
        obj = out.parent / f"arm_{variant}.o"
        r = subprocess.run(["arm-none-eabi-gcc", *STRICT, "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard",
                            "-mfpu=fpv4-sp-d16", *VARIANTS[variant], f"-I{out}", "-c", str(out / "m.c"),
                            "-o", str(obj)], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr[-3000:]
        section, size = arena_symbol(obj, "arm-none-eabi-objdump")
        if variant == "section":
            assert section == SECTION, section
        else:
            assert size == 4, size      # a pointer on the M4


def test_float_model_variants_equal_copying_api_and_onnxruntime(tmp_path):
    out = tmp_path / "lib"
    res = driver.generate(driver.EXAMPLE_MODEL, str(out), "m", test_vectors=0)
    x = np.random.default_rng(3).standard_normal(res.summary["inputs"][0]["shape"]).astype(np.float32)
    model = onnx.load(driver.EXAMPLE_MODEL)
    want = ort_run(model, {model.graph.input[0].name: x})[0]
    got = HostModel(res.files).run(x)[0]
    assert np.max(np.abs(got - want)) <= 1e-5 * np.max(np.abs(want))
    check_variants(out, res.summary, False, [x], got.astype(np.float32).tobytes(), tmp_path)
    arm_compiles(out)


@pytest.mark.skipif(not os.path.exists(KWS), reason="needs ../shared/models")
def test_int8_model_variants_equal_copying_api_and_keep_the_class(tmp_path):
    out = tmp_path / "lib"
    res = driver.generate(KWS, str(out), "m", test_vectors=0)
    t = res.summary["inputs"][0]
    x = np.load(os.path.join(MODELS, "kws_dscnn.npy")).transpose(0, 3, 1, 2).astype(np.float32)
    model = onnx.load(KWS)
    want_class = int(np.argmax(ort_run(model, {model.graph.input[0].name: x})[0]))
    xq = quantize(x, t).reshape(t["shape"])
    got = HostModel(res.files).run_s8(xq)[0]
    assert int(np.argmax(got)) == want_class == 5
    check_variants(out, res.summary, True, [xq], got.astype(np.int8).tobytes(), tmp_path)
    arm_compiles(out)


def test_plain_run_writes_only_the_library(tmp_path):
    """No gen_testvec.* by default, so every .c of DIR is the model's; --test-vectors, --test-input and --verify
    (and --board, tests/test_outdir.py) write them."""
    def gen(out, *extra):
        r = subprocess.run([sys.executable, "-m", "gen", "-o", str(out), "-q", "--name", "m", *extra], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        return sorted(os.listdir(out))

    plain = gen(tmp_path / "plain")
    assert not [f for f in plain if f.startswith("gen_testvec")], plain
    objs = subprocess.run(["gcc", *STRICT, "-c", *sorted(str(tmp_path / "plain" / f) for f in plain
                                                           if f.endswith(".c"))],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert objs.returncode == 0, objs.stderr
    nm = subprocess.run(["nm", *sorted(str(p) for p in tmp_path.glob("*.o"))], capture_output=True, text=True)
    assert "gen_tv_" not in nm.stdout and " m_run" in nm.stdout
    assert {"gen_testvec.c", "gen_testvec.h"} <= set(gen(tmp_path / "tv", "--test-vectors", "2"))
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 8, 8), np.float32))
    assert {"gen_testvec.c", "gen_testvec.h"} <= set(gen(tmp_path / "ti", "--test-input", str(tmp_path / "x.npy")))
    assert "gen_tv_count = 2;" in (tmp_path / "tv" / "gen_testvec.c").read_text()
    assert {"gen_testvec.c", "gen_testvec.h"} <= set(gen(tmp_path / "v", "--verify"))   # built on the host anyway


@pytest.mark.skipif(bool(board.missing_tools()) or not os.path.exists(KWS), reason="needs QEMU tools and the models")
def test_unoptimized_int8_build_passes_on_the_m4(tmp_path, monkeypatch):
    """An -O0 firmware (a debug build: gen's 14-register DSP block needs optimization, the C path stands in)
    gives the host's outputs bit for bit on the QEMU Cortex-M4."""
    out = tmp_path / "lib"
    r = subprocess.run([sys.executable, "-m", "gen", KWS, "-o", str(out), "-q", "--test-vectors", "3"], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    board.ensure_pio_offline()
    monkeypatch.setenv("PLATFORMIO_BUILD_FLAGS", "-O0")
    res = board.run_on_qemu(str(out), "mps2-an386", build_dir=str(tmp_path / "pio"), timeout=900)
    assert res["result"] == "PASS" and res["status"] == 0, res["log"][-3000:]
    assert len(res["results"]) == 3 and all(v["pass"] and v["max_err"] == 0 for v in res["results"])
    assert res["instructions"] > 10_000_000     # unoptimized indeed (3.7 M at the firmware's -O2)
