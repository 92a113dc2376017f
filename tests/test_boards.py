"""Board path: gen output -> firmware -> QEMU (offline PlatformIO envs of platformio.ini).

Skipped, with the reason, when qemu-system-arm / arm-none-eabi-gcc / PlatformIO are absent.
Uses the MLPerf Tiny KWS models from ../shared/models when present, else the bundled
example model.
"""

import os
import subprocess
import sys

import pytest

from gen import board

ROOT = board.ROOT
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "models")
QEMU_ENV = "mps2-an386"  # Cortex-M4F

MISSING = board.missing_tools()
needs_qemu = pytest.mark.skipif(bool(MISSING), reason="missing tools: %s" % ", ".join(MISSING))

FAKE_TESTVEC_H = """\
#ifndef GEN_TESTVEC_H
#define GEN_TESTVEC_H
extern const char *const gen_tv_model_name;
extern const unsigned long gen_tv_arena_size;
extern const unsigned gen_tv_count;
int gen_tv_run(unsigned i);
int gen_tv_check(unsigned i, double *max_abs_err);
#endif
"""

FAKE_C = """\
#include "gen_testvec.h"
static float arena[64];
const char *const gen_tv_model_name = "fake";
const unsigned long gen_tv_arena_size = sizeof(arena);
const unsigned gen_tv_count = 2;
int gen_tv_run(unsigned i)
{
    unsigned k;
    if (%(fault)d && i == 1)
        *(volatile unsigned *)0xF0000000u = 1u; /* bus fault */
    for (k = 0; k < 64; k++)
        arena[k] = (float)(k + i);
    return 0;
}
int gen_tv_check(unsigned i, double *max_abs_err)
{
    *max_abs_err = i == 1 ? 0.25 : 0.0;
    return %(fail)d && i == 1;
}
"""


def fake_gen_dir(path, fail=0, fault=0):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "gen_testvec.h"), "w") as fp:
        fp.write(FAKE_TESTVEC_H)
    with open(os.path.join(path, "gen_testvec.c"), "w") as fp:   # the test vectors of a fake model
        fp.write(FAKE_C % {"fail": fail, "fault": fault})
    return str(path)


def test_parse_output():
    text = "\n".join([
        "noise",
        "gen: board=mps2-an386",
        "gen: model=kws",
        "gen: vectors=2",
        "gen: timer_check expected=2000000 measured=2000080 resolution=40",
        "gen: vector=0 PASS max_err=0 instructions=1200",
        "gen: vector=1 FAIL max_err=2.500000e-01 instructions=1240",
        "gen: instructions=1200",
        "gen: arena=16000",
        "gen: stack=312",
        "gen: RESULT FAIL",
    ])
    res = board.parse_output(text)
    assert res["model"] == "kws" and res["vectors"] == 2
    assert res["instructions"] == 1200 and res["arena"] == 16000 and res["stack"] == 312
    assert res["results"][1] == {"index": 1, "pass": False, "max_err": 0.25, "instructions": 1240}
    assert res["timer_check"]["measured"] == 2000080
    assert res["result"] == "FAIL"


@pytest.fixture(scope="module")
def pio_ready():
    if MISSING:
        pytest.skip("missing tools: %s" % ", ".join(MISSING))
    board.ensure_pio_offline()


@needs_qemu
def test_firmware_reports_and_exit_status(pio_ready, tmp_path):
    """Passing vectors -> exit 0; a failing vector -> 1; a fault -> 2 (and pio fails)."""
    ok = board.run_on_qemu(fake_gen_dir(tmp_path / "ok"), QEMU_ENV, build_dir=tmp_path / "b")
    assert ok["returncode"] == 0 and ok["status"] == 0, ok["log"][-3000:]
    assert ok["result"] == "PASS" and ok["model"] == "fake" and ok["arena"] == 256
    assert [v["pass"] for v in ok["results"]] == [True, True]
    assert ok["results"][1]["max_err"] == 0.25
    # SysTick -> instructions conversion against a loop of 2,000,000 instructions.
    tc = ok["timer_check"]
    assert tc["expected"] <= tc["measured"] <= tc["expected"] + 2 * tc["resolution"] + 100
    assert ok["size"]["flash"] > 0 and ok["size"]["text"] > 0

    bad = board.run_on_qemu(fake_gen_dir(tmp_path / "bad", fail=1), QEMU_ENV,
                            build_dir=tmp_path / "b")
    assert bad["returncode"] != 0 and bad["status"] == 1 and bad["result"] == "FAIL"

    fault = board.run_on_qemu(fake_gen_dir(tmp_path / "fault", fault=1), QEMU_ENV,
                              build_dir=tmp_path / "b")
    assert fault["returncode"] != 0 and fault["status"] == 2 and fault["fault"]


def models():
    float_model = os.path.join(SHARED, "kws_dscnn_float32.onnx")
    int8_models = [os.path.join(SHARED, "kws_dscnn_int8_qdq_ort.onnx"),
                   os.path.join(SHARED, "kws_dscnn_int8_qdq_tflite.onnx")]
    out = [pytest.param(float_model if os.path.isfile(float_model) else None, id="float32")]
    int8 = [m for m in int8_models if os.path.isfile(m)]
    out.append(pytest.param(int8[0] if int8 else "", id="int8"))
    return out


@needs_qemu
@pytest.mark.parametrize("model", models())
def test_model_on_qemu(pio_ready, tmp_path, model):
    if model == "":
        pytest.skip("no int8 model: ../shared/models/kws_dscnn_int8_qdq_*.onnx not present")
    gen_dir = tmp_path / "gen"
    cmd = [sys.executable, "-m", "gen"] + ([model] if model else []) + ["-o", str(gen_dir), "-q", "--test-vectors", "1"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0 and "not supported" in proc.stdout + proc.stderr:
        pytest.skip("gen cannot compile %s yet: %s" % (
            os.path.basename(model or "example"), (proc.stdout + proc.stderr).strip()[-300:]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = board.run_on_qemu(str(gen_dir), QEMU_ENV, build_dir=tmp_path / "pio", timeout=600)
    assert res["returncode"] == 0 and res["status"] == 0, res["log"][-4000:]
    assert res["result"] == "PASS"
    assert res["vectors"] >= 1 and all(v["pass"] for v in res["results"])
    assert res["instructions"] > 0 and res["arena"] > 0 and res["stack"] > 0


# ----------------------------------------------------------------------------- streaming: state across calls

STREAM_MAIN = """\
#include <stdio.h>
#include "gen_testvec.h"
int main(void)
{
    unsigned i, fails = 0;
    double err;
    for (i = 0; i < gen_tv_count; i++) {
        if (%(skip)d && i == 1)
            continue; /* frame 2 then starts from frame 0's state, not frame 1's */
        gen_tv_run(i);
        fails += gen_tv_check(i, &err) != 0;
    }
    printf("fails=%%u\\n", fails);
    return fails != 0;
}
"""


def _stream_dir(tmp_path, name, frames):
    """The zoo's streaming model `name` compiled with `frames` consecutive frames as test vectors."""
    import onnx
    import models_zoo
    m = models_zoo.build(name)
    path = tmp_path / f"{name}.onnx"
    onnx.save(m, path)
    feeds = models_zoo.feeds(m, 0)
    out = tmp_path / "gen"
    summary = board.write_stream_dir(str(path), str(out), frames, models_zoo.MODELS[name].state, name=name,
                                     inputs=[feeds[i.name] for i in models_zoo.graph_inputs(m)])
    return out, summary


@pytest.mark.parametrize("name", ["vad_silero", "denoiser", "stream_cnn"])
def test_stream_testvec_carries_state_on_host(tmp_path, name):
    """The firmware's contract built on the host: frames run in order pass; skipping a frame (the next one
    then gets a state the host never fed it) fails, so the vectors do check the carried state."""
    out, summary = _stream_dir(tmp_path, name, 4)
    src = open(out / "gen_testvec.c").read()
    assert "gen_tv_state" in src
    srcs = [str(p) for p in out.glob("*.c")]
    for skip, want in ((0, 0), (1, 1)):
        main = tmp_path / f"main{skip}.c"
        main.write_text(STREAM_MAIN % {"skip": skip})
        exe = tmp_path / f"a{skip}"
        subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-O1", "-I", str(out),
                        str(main), *srcs, "-o", str(exe), "-lm"], check=True, capture_output=True, text=True)
        r = subprocess.run([str(exe)], capture_output=True, text=True)
        assert r.returncode == want, (skip, r.stdout)


@needs_qemu
def test_stream_vad_on_qemu(pio_ready, tmp_path):
    """The LSTM voice-activity detector (tests/models_zoo.py) frame by frame on the Cortex-M4: each frame's
    state output is the next frame's state input on the board; every frame matches the host's."""
    frames = 6
    out, _ = _stream_dir(tmp_path, "vad_silero", frames)
    res = board.run_on_qemu(str(out), QEMU_ENV, build_dir=tmp_path / "pio", timeout=600)
    assert res["returncode"] == 0 and res["status"] == 0, res["log"][-4000:]
    assert res["result"] == "PASS" and res["vectors"] == frames
    assert [v["pass"] for v in res["results"]] == [True] * frames


def test_stream_testvec_refuses_bad_state(tmp_path):
    """A state pair must name an input and an output of one dtype and size: else one clear GenError."""
    import onnx
    import models_zoo
    from gen.errors import GenError
    path = tmp_path / "d.onnx"
    onnx.save(models_zoo.build("denoiser"), path)
    for state, why in (([("nope", "h_out")], "no such input"), ([("h_in", "nope")], "no such output"),
                       ([("h_in", "vad")], "differ"), ([("h_in", "h_out"), ("h_in", "h_out")], "paired twice")):
        with pytest.raises(GenError, match=why):
            board.write_stream_dir(str(path), str(tmp_path / "o"), 2, state)
    assert not (tmp_path / "o").exists()


@needs_qemu
def test_profile_firmware_times_every_layer(pio_ready, tmp_path):
    """A GEN_PROFILE build prints one time per layer of the plan (python -m gen.bench --profile), the
    compute layers' times are positive and together they are the inference less its boundary copies:
    between 80% and 100% of the unprofiled build's count."""
    import json
    gen_dir = tmp_path / "gen"
    proc = subprocess.run([sys.executable, "-m", "gen", "-o", str(gen_dir), "-q", "--test-vectors", "1"], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    plan = json.loads(next(gen_dir.glob("*_plan.json")).read_text())
    plain = board.run_on_qemu(str(gen_dir), QEMU_ENV, build_dir=tmp_path / "plain", timeout=600)
    prof = board.run_on_qemu(str(gen_dir), QEMU_ENV, build_dir=tmp_path / "prof", timeout=600, profile=True)
    assert plain["result"] == prof["result"] == "PASS", prof["log"][-3000:]
    assert "layers" not in plain
    layers = prof["layers"]
    assert sorted(layers) == list(range(len(plan["layers"])))
    times = [layers[k]["instructions"] for k in sorted(layers)]
    assert all(t > 0 for t, layer in zip(times, plan["layers"]) if layer["macs"])
    assert 0.8 * plain["instructions"] <= sum(times) <= plain["instructions"], (times, plain["instructions"])
