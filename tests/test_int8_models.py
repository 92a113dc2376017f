"""The eight int8 MLPerf Tiny models of ../shared/models (TFLite-exact QDQ and onnxruntime-quantized QDQ)
through gen: compile, integer-only inference path, C == numpy reference bit for bit, agreement with
onnxruntime (ORT_DISABLE_ALL, see graphs.py), layer-by-layer error on KWS, peak RAM against TFLite Micro.

Skipped when ../shared/models is absent.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import onnx
from gen.ops.layout import to_memory
from graphs import boundary, dequantize, gen_compile, lsb, ort_run, ort_all_tensors, quantize, to_model_layout

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(os.path.dirname(ROOT), "shared", "models")
STEMS = ["kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8", "ad_fc_autoencoder"]
VARIANTS = ["tflite", "ort"]
CASES = [(s, v) for s in STEMS for v in VARIANTS]
# TFLite Micro's activation arena for these models (MANIFEST.md of ../shared/models)
TFLM_ARENA = {"kws_dscnn": 16000, "vww_mobilenetv1_025": 73728, "ic_resnet8": 49152, "ad_fc_autoencoder": 768}
SETTINGS = dict(deadline=None, max_examples=6, suppress_health_check=list(HealthCheck))

pytestmark = pytest.mark.models


def path(stem, variant):
    return os.path.join(MODELS, f"{stem}_int8_qdq_{variant}.onnx")


_CACHE: dict = {}


def compiled(stem, variant):
    """(onnx model, gen Result, HostModel), built once per session."""
    p = path(stem, variant)
    if not os.path.exists(p):
        pytest.skip(f"{p} not present")
    key = (stem, variant)
    if key not in _CACHE:
        from gen.host import HostModel
        m = onnx.load(p)
        res = gen_compile(m, "m")
        _CACHE[key] = (m, res, HostModel(res.files))
    return _CACHE[key]


def ids(c):
    return f"{c[0]}-{c[1]}"


def random_input(res, seed: int, mode: str) -> np.ndarray:
    """An int8 input in the model's layout: uniform int8, or a float input (normal around the middle of
    the boundary's representable range) quantized with the boundary's scale and zero point."""
    t = res.summary["inputs"][0]
    rng = np.random.default_rng(seed)
    shape = tuple(t["shape"])
    if mode == "int8":
        return rng.integers(-128, 128, size=shape).astype(np.int8)
    s, zp = np.float32(t["scale"]), int(t["zero_point"])
    lo, hi = (-128 - zp) * float(s), (127 - zp) * float(s)
    x = rng.normal((lo + hi) / 2, (hi - lo) / 6, size=shape).astype(np.float32)
    return quantize(x, s, zp)


def ort_int8(model, res, xq) -> np.ndarray:
    """onnxruntime (no fusion) on the dequantized int8 input; its float output requantized with gen's
    output boundary parameters (exact: the model's last op is a DequantizeLinear with the same ones)."""
    (s_in, zp_in), = boundary(res)[0]
    (s_out, zp_out), = boundary(res)[1]
    name = model.graph.input[0].name
    y = ort_run(model, {name: dequantize(xq, s_in, zp_in)})[0]
    return quantize(y, s_out, zp_out).reshape(y.shape)


# ----------------------------------------------------------------------------- compile + float-free int8 path

@pytest.mark.parametrize("case", CASES, ids=ids)
def test_compiles_int8(case):
    m, res, _ = compiled(*case)
    ops = {n.op for n in res.graph.nodes}
    assert not {"QuantizeLinear", "DequantizeLinear"} & ops, f"float islands left: {ops}"
    assert not res.graph.notes, res.graph.notes
    assert all(t["dtype"] == "int8" for t in res.summary["inputs"] + res.summary["outputs"])


FLOAT_HELPER = re.compile(r"\s(__aeabi_[fd]\w+|__\w+[sd]f[23]|__float\w+|__fix\w+|__extend\w+|__trunc\w+|"
                          r"\w+f32\w*|roundf|lroundf|floorf|expf|tanhf)$", re.M)


def _link_arm(d: str, name: str, entry: str, ctype: str) -> str:
    """Links a bare-metal Cortex-M4 image (soft-float ABI, --gc-sections) whose only code path is
    `entry`; returns the nm listing."""
    with open(os.path.join(d, "main_check.c"), "w") as f:
        f.write(f'#include "{name}.h"\nstatic {ctype} in[{name.upper()}_INPUT0_SIZE], out[{name.upper()}_OUTPUT0_SIZE];\n'
                f"void _start(void) {{ (void){entry}(in, out); for (;;) {{}} }}\n")
    srcs = [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".c") and not f.startswith("gen_testvec")]
    elf = os.path.join(d, f"{entry}.elf")
    r = subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-O2", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=soft",
                        "-ffunction-sections", "-fdata-sections", "-nostartfiles", "-Wl,--gc-sections", "-I", d,
                        *srcs, "-o", elf, "-lc", "-lgcc", "-lm"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return subprocess.run(["arm-none-eabi-nm", elf], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("case", [("kws_dscnn", "tflite"), ("ic_resnet8", "ort"), ("ad_fc_autoencoder", "tflite")],
                         ids=ids)
def test_int8_path_has_no_float(case):
    """The integer entry point NAME_run_s8 executes no floating point at all: a soft-float Cortex-M4 image
    whose only code path is NAME_run_s8 links no float helper (__aeabi_f*, __aeabi_d*, ...) and no *_f32
    kernel, after --gc-sections drops everything unreachable. Positive control: the same image calling
    the float boundary NAME_run does link them (so the check can see float code when there is some).
    In the C source, float appears only in NAME_run (the boundary quantize/dequantize)."""
    m, res, _ = compiled(*case)
    src = res.files["m.c"].decode()
    invoke = re.search(r"static \w+ m_invoke\(void\)\n\{\n(.*?)\n\}\n", src, re.S).group(1)
    assert not re.search(r"\bfloat\b|_f32\b|\d\.\d*f\b", invoke), "float in m_invoke"
    runs = re.search(r"int m_run\(const float.*?\n\}\n", src, re.S).group(0)
    outside = src.replace(runs, "")
    body_floats = [ln for ln in outside.splitlines() if re.search(r"\bfloat\b", ln) and "#include" not in ln]
    assert not body_floats, body_floats
    with tempfile.TemporaryDirectory() as d:
        for f, data in res.files.items():
            with open(os.path.join(d, f), "wb") as fh:
                fh.write(data)
        s8 = _link_arm(d, "m", "m_run_s8", "int8_t")
        fl = _link_arm(d, "m", "m_run", "float")
    assert not FLOAT_HELPER.findall(s8), f"float code reachable from m_run_s8: {FLOAT_HELPER.findall(s8)}"
    assert "__aeabi_fmul" in fl or "__aeabi_fdiv" in fl, "positive control: m_run should link float helpers"


# ----------------------------------------------------------------------------- C == numpy reference

@pytest.mark.parametrize("case", CASES, ids=ids)
@settings(**SETTINGS)
@given(seed=st.integers(0, 2**32 - 1), mode=st.sampled_from(["int8", "float"]))
def test_c_equals_reference(case, seed, mode):
    from gen import refrun
    m, res, hm = compiled(*case)
    xq = random_input(res, seed, mode)
    c = hm.run_s8(xq)[0]
    t_in = res.graph.t(res.graph.inputs[0])
    x_mem = to_memory(t_in, xq)
    ref = to_model_layout(res, res.graph.outputs[0], refrun.run(res.graph, [x_mem])[0])
    assert np.array_equal(c, ref), f"C != reference: max {lsb(c, ref)} LSB"
    # the float boundary is quantize -> run_s8 -> dequantize
    (s_in, zp_in), = boundary(res)[0]
    (s_out, zp_out), = boundary(res)[1]
    yf = hm.run(dequantize(xq, s_in, zp_in))[0]
    assert np.array_equal(yf, dequantize(c, s_out, zp_out))


# ----------------------------------------------------------------------------- onnxruntime

# the autoencoder's 640 outputs are a reconstruction (no argmax): elementwise, at most this many LSB.
# Rounding differs between the integer kernels (TFLite fixed point, double rounding) and onnxruntime's
# float ops + round-half-even requantize by up to 1 LSB per layer; 10 Gemm layers, errors partly cancel.
AD_MAX_LSB = 4


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_matches_onnxruntime(case, record_property):
    m, res, hm = compiled(*case)
    stem = case[0]
    agree, worst = 0, 0
    for seed in range(20):
        xq = random_input(res, 1000 + seed, "float")
        c = hm.run_s8(xq)[0]
        o = ort_int8(m, res, xq)
        worst = max(worst, lsb(c, o))
        if stem == "ad_fc_autoencoder":
            assert lsb(c, o) <= AD_MAX_LSB, f"input {seed}: {lsb(c, o)} LSB from onnxruntime"
        else:
            # ties in int8 softmax outputs: any class onnxruntime ranks top counts
            agree += int(o.reshape(-1)[int(np.argmax(c))] == o.max())
    record_property("max_lsb_vs_ort", worst)
    print(f"{ids(case)}: max |C - onnxruntime| = {worst} LSB, argmax agreement {agree}/20")
    if stem != "ad_fc_autoencoder":
        assert agree >= 19, f"argmax agrees on {agree}/20 inputs (max diff {worst} LSB)"


@pytest.mark.parametrize("variant", VARIANTS)
def test_kws_sample(variant):
    """The real MFCC sample: the float model says class 5, and so do onnxruntime (no fusion) and gen on
    both int8 variants."""
    m, res, hm = compiled("kws_dscnn", variant)
    x = np.load(os.path.join(MODELS, "kws_dscnn.npy")).transpose(0, 3, 1, 2).astype(np.float32)
    fm = onnx.load(os.path.join(MODELS, "kws_dscnn_float32.onnx"))
    assert int(np.argmax(ort_run(fm, {fm.graph.input[0].name: x})[0])) == 5
    assert int(np.argmax(ort_run(m, {m.graph.input[0].name: x})[0])) == 5
    assert int(np.argmax(hm.run(x)[0])) == 5
    (s_in, zp_in), = boundary(res)[0]
    assert int(np.argmax(hm.run_s8(quantize(x, s_in, zp_in))[0])) == 5


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_layer_by_layer(case, record_property):
    """Every int8 tensor of onnxruntime's run (each QuantizeLinear output, as extra graph outputs) against
    gen's kernel fed with onnxruntime's own input to that layer (so errors do not accumulate): at most
    1 LSB per layer. KWS runs on its real MFCC sample (and two noisy copies), the others on random inputs."""
    from gen.ops import family
    from gen.ops.layout import VIEW_OPS
    m, res, _ = compiled(*case)
    g = res.graph
    (s_in, zp_in), = boundary(res)[0]
    if case[0] == "kws_dscnn":
        x = np.load(os.path.join(MODELS, "kws_dscnn.npy")).transpose(0, 3, 1, 2).astype(np.float32)
        rng = np.random.default_rng(7)
        xs = [x] + [(x + rng.normal(0, 5, size=x.shape)).astype(np.float32) for _ in range(2)]
    else:
        xs = [dequantize(random_input(res, 77 + k, "float"), s_in, zp_in) for k in range(3)]

    def mem(name, a):
        t = g.t(name)
        a = np.asarray(a).reshape(t.shape)
        return to_memory(t, a)
    worst: dict[str, int] = {}
    for xin in xs:
        ort_vals = ort_all_tensors(m, {m.graph.input[0].name: xin}, lambda n: n.op_type == "QuantizeLinear")
        vals = {name: mem(name, ort_vals[name]) for name in g.inputs}
        compared = 0
        for node in g.nodes:
            ins = [vals[i] for i in node.inputs if i and i in vals]
            if node.op in VIEW_OPS or node.op in ("Identity", "Copy"):
                out = ins[0]
            else:
                out = family(node).reference(node, g, *ins)
            y = node.outputs[0]
            out = np.asarray(out).reshape(mem(y, np.zeros(g.t(y).shape)).shape)
            if y in ort_vals and node.op not in VIEW_OPS:
                worst[node.name] = max(worst.get(node.name, 0), lsb(out, mem(y, ort_vals[y])))
                compared += 1
                vals[y] = mem(y, ort_vals[y])      # the next layer starts from onnxruntime's tensor
            else:
                vals[y] = out
        kernels = [n for n in g.nodes if n.op.endswith("S8") and n.op != "LayoutS8"]
        assert compared == len(kernels), f"compared {compared} of {len(kernels)} int8 kernels with onnxruntime"
    record_property("per_layer_lsb", worst)
    print(f"{ids(case)} per-layer max LSB: {worst}")
    bad = {k: v for k, v in worst.items() if v > 1}
    assert not bad, f"layers more than 1 LSB from onnxruntime: {bad}"


# ----------------------------------------------------------------------------- layer check (gen.layercheck)

def range_input(res, seed: int, kind: str) -> np.ndarray:
    """A float input inside the input's quantization range, quantized: uniform over the range, or at
    its two edges."""
    t = res.summary["inputs"][0]
    rng = np.random.default_rng(seed)
    s, zp = np.float32(t["scale"]), int(t["zero_point"])
    lo, hi = (-128 - zp) * float(s), (127 - zp) * float(s)
    shape = tuple(t["shape"])
    x = rng.uniform(lo, hi, shape) if kind == "uniform" else np.where(rng.random(shape) < 0.5, lo, hi)
    return quantize(np.asarray(x, np.float32), s, zp)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_layer_check(case, record_property):
    """gen.layercheck, what --verify runs: every int8 tensor gen computes that the model has, against
    onnxruntime running the ORIGINAL model's nodes (not gen's lowering) on gen's own values of that
    layer's inputs: at most 1 LSB per layer (0 where the ops only move bytes). Every int8 kernel of gen's
    graph writes such a tensor or feeds one (layout transposes and requantizes of gen's own are inside a
    layer). Inputs: uniform over the input's quantization range and at its edges."""
    from gen import layercheck
    m, res, hm = compiled(*case)
    g = res.graph
    xs = [[range_input(res, 500 + k, kind)] for k, kind in enumerate(["uniform", "uniform", "edges"])]
    lc = layercheck.check_inputs(m, g, xs)
    s = lc.summary()
    record_property("worst_layer", s["worst"])
    print(f"{ids(case)}: {s['layers']} layers, worst {s['worst']['label']} {s['worst']['err']}")
    checked = {l.tensor for l in lc.layers}
    kernels = [n for n in g.nodes if n.op.endswith("S8") and n.op != "LayoutS8"]
    covered = [n for n in kernels if n.outputs[0] in checked or
               any(n.outputs[0] in c.inputs and c.outputs[0] in checked for c in g.nodes)]
    assert len(covered) == len(kernels), f"layer check covers {len(covered)} of {len(kernels)} int8 kernels"
    assert not s["unchecked"], s["unchecked"]
    assert not s["exceptions"], f"official models need no wider tolerance: {s['exceptions']}"
    assert lc.ok(), layercheck.failure_text(lc)


# ----------------------------------------------------------------------------- memory

@pytest.mark.parametrize("case", CASES, ids=ids)
def test_peak_ram_vs_tflm(case, record_property):
    m, res, _ = compiled(*case)
    s = res.summary
    record_property("arena", s["arena_size"])
    assert s["arena_size"] <= TFLM_ARENA[case[0]] + s["scratch_bytes"], \
        f"arena {s['arena_size']} > TFLM {TFLM_ARENA[case[0]]} + scratch {s['scratch_bytes']}"
