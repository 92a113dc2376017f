"""gen's specialized int8 Add and Mul (gen/ops/fast_eltwise.py, runtime_c/gen_fast_eltwise_s8.h) against the
numpy reference (exactly), onnxruntime (1 LSB) and the CMSIS-NN API path they replace (`--kernels cmsis-nn`,
exactly): random shapes and scales on the host (the portable C), a sample on the emulated Cortex-M4 (the DSP
path: the firmware checks the board's outputs against the host's, bit for bit)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import graphs
from graphs import float_model, node
from test_fast_kernels import _compile
from test_ops_int8 import SETTINGS, STYLES, check, feeds_for

from gen import board
from gen.host import HostModel


def _eltwise_model(op, shape, act, const_b):
    nodes = [node(op, ["a", "b"], ["c" if act else "y"])] + ([node("Relu", ["c"], ["y"])] if act else [])
    inputs = {"a": shape} if const_b else {"a": shape, "b": shape}
    inits = {"b": np.random.default_rng(len(shape)).normal(0, 1, size=shape).astype(np.float32)} if const_b else {}
    return float_model(nodes, inputs, ["y"], inits), inputs


@settings(**{**SETTINGS, "max_examples": 15})
@given(op=st.sampled_from(["Add", "Mul"]), shape=st.lists(st.integers(1, 9), min_size=2, max_size=4).map(
    lambda s: (1, *s)), scale_b=st.sampled_from([0.05, 0.3, 1.0, 7.0]), act=st.sampled_from([None, "relu"]),
       style=STYLES, seed=st.integers(0, 2**31))
def test_add_mul_fast_kernel(op, shape, scale_b, act, style, seed):
    """An int8 Add (always) or Mul (where its output shift is a right shift) runs on gen's kernel: C == the numpy
    reference, within 1 LSB of onnxruntime, and equal to the CMSIS-NN API path on the same inputs."""
    fm, inputs = _eltwise_model(op, shape, act, False)
    scales = {"b": scale_b}
    res, _, _ = check(fm, inputs, seed, style=style, scales=scales, expect=f"{op}S8")
    kernels = [layer["kernel"] for layer in res.summary["layers"]]
    if op == "Add":
        assert "gen_fast_add_s8" in kernels, kernels
    cm = _compile(graphs.quantize_model(fm, feeds_for(inputs, np.random.default_rng(seed), scales=scales),
                                        style=style), "cmsis-nn")
    assert not any(k.startswith("gen_fast") for k in (layer["kernel"] for layer in cm.summary["layers"]))
    rng = np.random.default_rng(seed + 1)
    xs = [rng.integers(-128, 128, size=s).astype(np.int8) for s in inputs.values()]
    got = HostModel(res.files).run_s8(*xs)
    want = HostModel(cm.files).run_s8(*xs)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_add_kernel_extremes():
    """Every pair of int8 values (65,536 elements: the whole table range, the 4-element steps and a tail of
    3) through the Add and Mul kernels equals the CMSIS-NN path, for narrow and wide scale ratios."""
    a = np.repeat(np.arange(-128, 128), 256).astype(np.int8)
    b = np.tile(np.arange(-128, 128), 256).astype(np.int8)
    a, b = np.concatenate([a, a[:3]]), np.concatenate([b, b[:3]])
    shape = (1, a.size)
    for op in ("Add", "Mul"):
        for scale_b in (0.01, 1.0, 30.0):
            fm, inputs = _eltwise_model(op, shape, None, False)
            qm = graphs.quantize_model(fm, feeds_for(inputs, np.random.default_rng(0), scales={"b": scale_b}),
                                       style="tflite")
            res, cm = _compile(qm, "gen"), _compile(qm, "cmsis-nn")
            if op == "Add":
                assert any(layer["kernel"] == "gen_fast_add_s8" for layer in res.summary["layers"])
            for x, y in zip(HostModel(res.files).run_s8(a, b), HostModel(cm.files).run_s8(a, b)):
                np.testing.assert_array_equal(x, y)


def _pool_model(op, c, h, w, k, stride, pads, act):
    attrs = {} if op == "GlobalAveragePool" else dict(kernel_shape=[k, k], strides=[stride, stride], pads=pads)
    nodes = [node(op, ["x"], ["c" if act else "y"], **attrs)] + ([node("Relu", ["c"], ["y"])] if act else [])
    return float_model(nodes, {"x": (1, c, h, w)}, ["y"]), {"x": (1, c, h, w)}


@settings(**{**SETTINGS, "max_examples": 15})
@given(op=st.sampled_from(["MaxPool", "AveragePool", "GlobalAveragePool"]), c=st.integers(1, 11), h=st.integers(2, 9),
       w=st.integers(2, 9), k=st.integers(1, 3), stride=st.integers(1, 3),
       pads=st.lists(st.integers(0, 1), min_size=4, max_size=4), act=st.sampled_from([None, "relu"]),
       seed=st.integers(0, 2**31))
def test_pool_fast_kernel(op, c, h, w, k, stride, pads, act, seed):
    """Max and average pooling run on gen_fast_pool_s8 and equal the CMSIS-NN API path (channel counts
    not multiples of 4, strides, pads)."""
    k = min(k, h, w)
    pads = [min(v, k - 1) for v in pads]
    fm, inputs = _pool_model(op, c, h, w, k, stride, pads, act)
    qm = graphs.quantize_model(fm, feeds_for(inputs, np.random.default_rng(seed)), style="tflite")
    res, cm = _compile(qm, "gen"), _compile(qm, "cmsis-nn")
    kernels = [layer["kernel"] for layer in res.summary["layers"]]
    if op != "GlobalAveragePool":
        assert "gen_fast_pool_s8" in kernels, kernels
    assert not any(layer["kernel"].startswith("gen_fast") for layer in cm.summary["layers"])
    x = np.random.default_rng(seed + 1).integers(-128, 128, size=inputs["x"]).astype(np.int8)
    for a, b in zip(HostModel(res.files).run_s8(x), HostModel(cm.files).run_s8(x)):
        np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------------- the DSP path on the M4

QEMU_CASES = [("Add", (1, 3, 5, 7), "relu", False), ("Add", (1, 16, 4, 4), None, False), ("Mul", (1, 2, 3, 5), None,
                                                                                           False)]


POOL_CASES = [("MaxPool", 7, 6, 5, 2, 2, [0, 0, 1, 1], None), ("AveragePool", 9, 5, 7, 3, 2, [1, 1, 1, 1], "relu"),
              ("AveragePool", 12, 5, 7, 5, 1, [0, 0, 0, 0], None)]


def _qemu_case(k):
    if k < len(QEMU_CASES):
        return _eltwise_model(*QEMU_CASES[k]), f"gen_fast_{QEMU_CASES[k][0].lower()}_s8"
    return _pool_model(*POOL_CASES[k - len(QEMU_CASES)]), "gen_fast_pool_s8"


@pytest.mark.skipif(board.missing_tools(), reason="needs arm-none-eabi-gcc, qemu-system-arm and platformio")
def test_add_mul_pool_fast_kernel_on_m4(tmp_path):
    """The DSP path (word loads, SMMULR, SSAT, SXTAB16 sums, SSUB8/SEL maxima) on the emulated Cortex-M4:
    each case's firmware checks its outputs against the host build's (test vectors), exactly."""
    board.ensure_pio_offline()
    for k in range(len(QEMU_CASES) + len(POOL_CASES)):
        (fm, inputs), kernel = _qemu_case(k)
        qm = graphs.quantize_model(fm, feeds_for(inputs, np.random.default_rng(k)), style="tflite")
        graphs.passes_on_board(qm, tmp_path / f"s{k}", "mps2-an386", [kernel.rstrip("(")], vectors=2,
                                what=k)


# ----------------------------------------------------------------------------- --io-layout nhwc

def test_io_layout_nhwc_takes_channels_last_input(tmp_path):
    """--io-layout nhwc: the int8 input and output of rank 4 are in TFLite's NHWC order (no layout change
    left; by default gen_fast_chlast_s8, with --kernels cmsis-nn gen_transpose), the build given the transposed input computes the default build's outputs transposed, NAME.h
    says so; a float model and --verify with it are refused."""
    rng = np.random.default_rng(0)
    fm = float_model([node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1]), node("Relu", ["c"], ["y"])],
                     {"x": (1, 3, 5, 7)}, ["y"], {"W": rng.normal(0, 0.5, size=(6, 3, 3, 3)).astype(np.float32)})
    qm = graphs.quantize_model(fm, feeds_for({"x": (1, 3, 5, 7)}, rng), style="tflite")
    m = graphs.onnx.ModelProto()
    m.CopyFrom(qm)
    from gen import driver, frontend
    from gen.errors import GenError
    from gen.ops import supported_onnx_ops
    model = _compile(qm, "gen")
    nhwc = driver.compile_graph(frontend.from_model(m, name="m", supported=supported_onnx_ops()), "m", "t.onnx",
                                io_layout="nhwc")
    assert [layer["kernel"] for layer in model.summary["layers"]].count("gen_fast_chlast_s8") == 2
    assert "gen_transpose" in [layer["kernel"] for layer in _compile(qm, "cmsis-nn").summary["layers"]]
    assert not {"gen_transpose", "gen_fast_chlast_s8"} & {layer["kernel"] for layer in nhwc.summary["layers"]}
    assert [t["shape"] for t in nhwc.summary["inputs"] + nhwc.summary["outputs"]] == [[1, 5, 7, 3], [1, 5, 7, 6]]
    h = nhwc.files["m.h"].decode()
    assert "int8 [1, 5, 7, 3] NHWC */" in h and "#define M_INPUT0_DIM3 3" in h
    for k in range(3):
        x = rng.integers(-128, 128, size=(1, 3, 5, 7)).astype(np.int8)
        want = HostModel(model.files).run_s8(x)[0]
        got = HostModel(nhwc.files).run_s8(np.ascontiguousarray(x.transpose(0, 2, 3, 1)))[0]
        np.testing.assert_array_equal(got, want.transpose(0, 2, 3, 1))
    ff = float_model([node("Relu", ["x"], ["y"])], {"x": (1, 2, 3, 3)}, ["y"])
    with pytest.raises(GenError, match="io-layout nhwc applies to int8"):
        driver.compile_graph(frontend.from_model(ff, name="f", supported=supported_onnx_ops()), "f", "f.onnx",
                             io_layout="nhwc")
    path = tmp_path / "m.onnx"
    graphs.onnx.save(qm, str(path))
    proc = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(tmp_path / "o"), "--io-layout", "nhwc",
                           "--verify"], cwd=board.ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and "--io-layout model" in proc.stderr + proc.stdout
