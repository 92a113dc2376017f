"""python -m gen.bench (gen/bench.py): what its header says was linked, where it writes, its --kernels variants
and --ram modes (real QEMU runs of the bundled int8 example) and the TFLM + CMSIS-NN reference column. More of its QEMU runs in
tests/test_packaging.py (from an installed gen) and tests/test_boards.py."""
import json
import os
import subprocess
import sys

import pytest

from gen import bench, board

EXAMPLE_INT8 = os.path.join(board.ROOT, "gen", "examples", "digits_cnn_int8.onnx")
CMSIS_NN_DIR = os.environ.get("CMSIS_NN_DIR")
HAVE_CMSIS_NN = bool(CMSIS_NN_DIR) and os.path.isfile(os.path.join(CMSIS_NN_DIR, "Include", "arm_nnfunctions.h"))


def test_header_names_what_was_linked(tmp_path):
    """gen's library alone names no CMSIS-NN; rows linked with a checkout name it with git's own version."""
    portable = [{"kernels": "gen", "library": "portable"}]
    text = bench.linked_text(portable, str(tmp_path))
    assert text.startswith("`gen`: `--kernels gen`, gen's own library only") and "CMSIS-NN from" not in text
    repo = tmp_path / "cmsis"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run(git + ["init", "-q"], check=True)
    (repo / "README").write_text("x")
    subprocess.run(git + ["add", "README"], check=True)
    subprocess.run(git + ["commit", "-qm", "x"], check=True)
    subprocess.run(git + ["tag", "v9.8.7"], check=True)
    real = {"kernels": "cmsis-nn", "library": "CMSIS-NN"}
    text = bench.linked_text(portable + [real], str(repo))
    assert f"`cmsis-nn + CMSIS-NN`: `--kernels cmsis-nn`, Arm's CMSIS-NN from `{repo}` (v9.8.7;" in text
    assert "gen's own library only" in text
    assert "(version unknown;" in bench.linked_text([real], str(tmp_path / "nogit"))


def test_update_needs_the_committed_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench, "COMMITTED", str(tmp_path / "bench"))
    monkeypatch.setattr(bench.boards, "missing_tools", lambda: [])
    monkeypatch.setattr(bench.boards, "ensure_pio_offline", lambda: "ok")
    assert bench.main(["--update", "--boards", "mps2-an386"]) == 2
    assert "no committed bench/ folder" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        bench.main(["--update", "--out", str(tmp_path / "o")])
    assert e.value.code == 2 and not (tmp_path / "o").exists()


def test_bad_kernels_or_board_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench.boards, "missing_tools", lambda: [])
    out = tmp_path / "o"
    assert bench.main(["--kernels", "gen,fast", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == "gen.bench: unknown --kernels fast; choose from gen, cmsis-nn\n" and not out.exists()
    assert bench.main(["--ram", "default,tiny", "--out", str(out)]) == 2
    assert capsys.readouterr().err == "gen.bench: unknown --ram tiny; choose from default, low, min\n"
    assert bench.main(["--boards", "mps2-an999", "--out", str(out)]) == 2
    assert "unknown board(s) mps2-an999" in capsys.readouterr().err and not out.exists()


def test_variants():
    """One column per --kernels with gen's library; --cmsis-nn adds the real library on the cmsis-nn output."""
    assert bench.parse_kernels(None) == ["gen"]
    assert bench.parse_kernels(["cmsis-nn,gen", "gen"]) == ["cmsis-nn", "gen"]
    assert bench.variants(["gen"], None) == [("gen", "portable", "default")]
    assert bench.variants(["gen", "cmsis-nn"], "/x") == [("gen", "portable", "default"),
                                                          ("cmsis-nn", "portable", "default"),
                                                          ("cmsis-nn", "CMSIS-NN", "default")]
    assert bench.variants(["gen"], "/x") == [("gen", "portable", "default"), ("gen", "CMSIS-NN", "default")]


def test_ram_modes():
    """--ram default,min: each --kernels variant once per mode, in that order, labelled `K --ram min`; the
    real CMSIS-NN stays --ram default (and says so when only min is asked); the header names every mode."""
    assert bench.parse_ram(None) == ["default"] and bench.parse_ram(["min, default", "min"]) == ["min", "default"]
    with pytest.raises(ValueError, match="^unknown --ram tiny; choose from default, low, min$"):
        bench.parse_ram(["default,tiny"])
    found = bench.variants(["gen", "cmsis-nn"], "/x", ["default", "min"])
    assert found == [("gen", "portable", "default"), ("gen", "portable", "min"), ("cmsis-nn", "portable", "default"),
                     ("cmsis-nn", "portable", "min"), ("cmsis-nn", "CMSIS-NN", "default")]
    assert [bench.variant_label(*v) for v in found] == ["gen", "gen --ram min", "cmsis-nn", "cmsis-nn --ram min",
                                                        "cmsis-nn + CMSIS-NN"]
    assert bench.variants(["gen"], "/x", ["min"]) == [("gen", "portable", "min"), ("gen", "CMSIS-NN", "default")]
    assert "--ram default only, not --ram min" in bench.cmsis_nn_ram_note("/x", ["min"])
    assert bench.cmsis_nn_ram_note("/x", ["default"]) is None and bench.cmsis_nn_ram_note(None, ["min"]) is None
    rows = [{"kernels": k, "library": lib, "ram_mode": r} for k, lib, r in found]
    text = bench.linked_text(rows, "/x")
    assert "`gen`: `--kernels gen --ram default`, gen's own library only" in text
    assert "`gen --ram min`: `--kernels gen --ram min`, gen's own library only" in text
    assert "`cmsis-nn + CMSIS-NN`: `--kernels cmsis-nn --ram default`, Arm's CMSIS-NN from `/x`" in text
    # without --ram the header is today's: no mode named
    assert "--ram" not in bench.linked_text([dict(rows[0], ram_mode="default")], "/x")


def test_reference_column_only_for_the_official_models_on_m4_and_m55():
    """TFLM + CMSIS-NN's figures (issue 11) beside the *_int8_qdq_tflite models on the M4 and M55, the ratio
    the first variant's count over them; no figure for other models or boards, a failed run shows its result."""
    issue = {("kws_dscnn", "mps2-an386"): 7_699_867, ("vww_mobilenetv1_025", "mps2-an386"): 24_101_895,
             ("ic_resnet8", "mps2-an386"): 29_864_101, ("ad_fc_autoencoder", "mps2-an386"): 582_937,
             ("kws_dscnn", "mps3-an547"): 1_815_773, ("vww_mobilenetv1_025", "mps3-an547"): 6_558_259,
             ("ic_resnet8", "mps3-an547"): 4_912_137, ("ad_fc_autoencoder", "mps3-an547"): 149_970}
    for stem in bench.MLPERF_TINY:
        for b in board.QEMU_BOARDS:
            assert bench.tflm_reference(stem + "_int8_qdq_tflite", b) == issue.get((stem, b))
            assert bench.tflm_reference(stem + "_float32", b) is None
            assert bench.tflm_reference(stem + "_int8_qdq", b) is None
    rows = [{"model": "kws_dscnn_int8_qdq_tflite", "board": "mps2-an386", "variant": "gen", "result": "PASS",
             "instructions": 3_558_000, "instr_per_mac": 1.34, "weights": 1, "model_code": 2},
            {"model": "kws_dscnn_int8_qdq_tflite", "board": "mps2-an386", "variant": "cmsis-nn", "result": "FAIL",
             "instructions": 7_000_000, "instr_per_mac": 2.6},
            {"model": "kws_dscnn_int8_qdq_tflite", "board": "mps2-an500", "variant": "gen", "result": "PASS",
             "instructions": 3_000_000, "instr_per_mac": 1.1}]
    columns, out = bench.summary(rows, ["gen", "cmsis-nn"])
    assert [title for _, title in columns] == ["model", "board", "gen", "instr/MAC", "cmsis-nn", "instr/MAC",
                                               "TFLM + CMSIS-NN", "gen / TFLM", "gen weights B", "gen model code B"]
    m4, m7 = out
    assert m4["tflm_cmsis_nn"] == 7_699_867 and m4["ratio"] == round(3_558_000 / 7_699_867, 2)
    assert m4["cmsis-nn:instructions"] == "FAIL" and m4["cmsis-nn:instr_per_mac"] is None
    assert (m4["weights"], m4["model_code"]) == (1, 2)
    assert m7["tflm_cmsis_nn"] is None and m7["ratio"] is None
    assert "| kws_dscnn_int8_qdq_tflite | mps2-an386 | 3,558,000 | 1.34 | FAIL |  | 7,699,867 | 0.46 |" in \
        bench.markdown(out, columns)


@pytest.mark.skipif(bool(board.missing_tools()), reason="missing tools: %s" % ", ".join(board.missing_tools()))
def test_one_run_benches_every_variant(tmp_path):
    """python -m gen.bench --kernels gen,cmsis-nn [--cmsis-nn DIR] on the bundled int8 example and the M4: one
    row per variant, all PASS, each the count of its own `python -m gen --kernels K` output run in QEMU here
    (the cmsis-nn one built again from a fresh output), flash split into weights and model code."""
    variants = ["gen", "cmsis-nn"] + (["cmsis-nn + CMSIS-NN"] if HAVE_CMSIS_NN else [])
    out = tmp_path / "bench"
    argv = [EXAMPLE_INT8, "--boards", "mps2-an386", "--kernels", "gen,cmsis-nn", "--out", str(out), "-j", "2"]
    argv += ["--cmsis-nn", CMSIS_NN_DIR] if HAVE_CMSIS_NN else []
    proc = subprocess.run([sys.executable, "-m", "gen.bench", *argv], cwd=board.ROOT, capture_output=True,
                          text=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "gen.bench: [%d/%d, " % (len(variants), len(variants)) in proc.stderr
    data = json.loads((out / "results.json").read_text())
    rows = {r["variant"]: r for r in data["rows"]}
    assert list(rows) == variants and all(r["result"] == "PASS" for r in rows.values())

    fresh = tmp_path / "fresh"
    gen = subprocess.run([sys.executable, "-m", "gen", EXAMPLE_INT8, "-o", str(fresh), "-q", "--test-vectors", "1",
                          "--kernels", "cmsis-nn"], cwd=board.ROOT, capture_output=True, text=True, check=False)
    assert gen.returncode == 0, gen.stdout + gen.stderr
    again = board.run_on_qemu(str(fresh), "mps2-an386", build_dir=str(tmp_path / "pio"), timeout=600)
    assert again["result"] == "PASS" and again["instructions"] == rows["cmsis-nn"]["instructions"]
    # gen's kernels are another program: another count, and fewer instructions than the CMSIS-NN calls
    assert rows["gen"]["instructions"] < rows["cmsis-nn"]["instructions"]
    for r in rows.values():
        split = r["flash_split"]
        assert r["weights"] == split["weights"] > 0 and r["model_code"] == split["model_code"] > 0
        assert split["weights"] + split["model_code"] + split["code"] + split["test_vectors"] == r["flash"]
        assert r["instr_per_mac"] == round(r["instructions"] / r["macs"], 2) and r["tflm_cmsis_nn"] is None
    if HAVE_CMSIS_NN:   # the real library's own kernels: more code than gen's portable subset of them
        assert rows["cmsis-nn + CMSIS-NN"]["model_code"] != rows["cmsis-nn"]["model_code"]

    summary = data["summary"]
    assert len(summary) == 1 and summary[0]["gen:instructions"] == rows["gen"]["instructions"]
    assert all(summary[0][v + ":instructions"] == rows[v]["instructions"] for v in variants)
    md = (out / "results.md").read_text()
    header = "| model | board | " + " | ".join(f"{v} | instr/MAC" for v in variants)
    assert header + " | TFLM + CMSIS-NN | gen / TFLM | gen weights B | gen model code B |" in md
    assert md.count("| digits_cnn_int8 | mps2-an386 |") == 1 + len(variants)
    assert "`cmsis-nn`: `--kernels cmsis-nn`, gen's own library only" in md


@pytest.mark.skipif(bool(board.missing_tools()), reason="missing tools: %s" % ", ".join(board.missing_tools()))
def test_ram_min_runs_beside_the_default(tmp_path):
    """python -m gen.bench --ram default,min on the bundled int8 example (which --ram min cuts into row bands)
    and the M4: both columns PASS in the comparison table, each run's arena the one its own output planned,
    --ram min's smaller."""
    out = tmp_path / "bench"
    argv = [EXAMPLE_INT8, "--boards", "mps2-an386", "--ram", "default,min", "--out", str(out), "-j", "1"]
    proc = subprocess.run([sys.executable, "-m", "gen.bench", *argv], cwd=board.ROOT, capture_output=True,
                          text=True, timeout=1200, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((out / "results.json").read_text())
    rows = {r["variant"]: r for r in data["rows"]}
    assert list(rows) == ["gen", "gen --ram min"] and all(r["result"] == "PASS" for r in rows.values())
    assert [r["ram_mode"] for r in rows.values()] == ["default", "min"]
    plans = {}
    for variant, folder in (("gen", "gen"), ("gen --ram min", "gen-ram-min")):
        (path,) = (out / "work" / "digits_cnn_int8" / folder).glob("*_plan.json")
        plans[variant] = json.loads(path.read_text())
        assert rows[variant]["arena"] == plans[variant]["arena_size"]
    assert "bands" in plans["gen --ram min"] and "bands" not in plans["gen"]
    assert rows["gen --ram min"]["arena"] < rows["gen"]["arena"]

    (summary,) = data["summary"]
    assert all(summary[v + ":instructions"] == rows[v]["instructions"] > 0 for v in rows)
    md = (out / "results.md").read_text()
    assert "| model | board | gen | instr/MAC | gen --ram min | instr/MAC | TFLM + CMSIS-NN |" in md
    assert "`gen --ram min`: `--kernels gen --ram min`, gen's own library only" in md
    for v, r in rows.items():
        assert "| digits_cnn_int8 | mps2-an386 | %s | PASS | %s |" % (v, bench._fmt(r["instructions"])) in md
