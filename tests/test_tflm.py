"""gen's int8 C against the TensorFlow Lite Micro interpreter, bit for bit, on the four MLPerf Tiny
models: the original int8 .tflite files run in TFLM (`tflite-micro` on PyPI), their QDQ ONNX
conversions (`*_int8_qdq_tflite.onnx`, MANIFEST.md of ../shared/models) run through gen's C, on the
same int8 inputs; the output bytes must be identical. TFLM is an oracle written by others, so this
also checks gen's numpy reference (gen/int8ref.py) and the portable CMSIS-NN subset.

Every layer too: the converted files name each activation `t<k>_...` after TFLite tensor k, and TFLM's
kPreserveAllTensors mode keeps every tensor, so each TFLite op output is compared with the same tensor
of gen's numpy reference (which the C equals bit for bit); a mismatch names the first layer that differs.

With CMSIS_NN_DIR pointing at a CMSIS-NN v7.0.0 checkout, the C linked against the real CMSIS-NN is
compared too (skipped otherwise). Skipped when the model files are absent.
"""
from __future__ import annotations

import glob
import os
import re

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(os.path.dirname(ROOT), "shared", "models")
# ONNX stem -> original TFLite file
TFLITE = {"kws_dscnn": "kws_ref_model", "vww_mobilenetv1_025": "vww_96_int8",
          "ic_resnet8": "pretrainedResnet_quant", "ad_fc_autoencoder": "ad01_int8"}
# real float samples (NHWC like the TFLite models), quantized with the TFLite input scale
SAMPLES = {"kws_dscnn": "kws_dscnn.npy", "ad_fc_autoencoder": "ad_fc_autoencoder.npy"}
N_RANDOM = 4
CMSIS = os.environ.get("CMSIS_NN_DIR")

pytestmark = pytest.mark.models

_CACHE: dict = {}


def _runtime():
    return pytest.importorskip("tflite_micro.python.tflite_micro.runtime")


def setup(stem: str) -> dict:
    """gen's Result and host build, the TFLM interpreter and the TFLite subgraph, once per session."""
    onnx_path = os.path.join(MODELS, f"{stem}_int8_qdq_tflite.onnx")
    tfl_path = os.path.join(MODELS, f"{TFLITE[stem]}.tflite")
    for p in (onnx_path, tfl_path):
        if not os.path.exists(p):
            pytest.skip(f"{p} not present")
    if stem not in _CACHE:
        runtime = _runtime()
        from gen import driver
        from gen.host import HostModel
        res = driver.generate(onnx_path, name="m", test_vectors=0)
        with open(tfl_path, "rb") as f:
            data = f.read()
        interp = runtime.Interpreter.from_bytes(
            data, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors)
        subgraph = runtime.convert_bytearray_to_object(bytearray(data)).subgraphs[0]
        _CACHE[stem] = dict(res=res, host=HostModel(res.files), tflm=interp, subgraph=subgraph)
    return _CACHE[stem]


def to_gen(x: np.ndarray) -> np.ndarray:
    """TFLite's NHWC -> gen's API order (the model's, NCHW)."""
    return x.transpose(0, 3, 1, 2) if x.ndim == 4 else x


def tflm_run(interp, x: np.ndarray) -> np.ndarray:
    interp.set_input(x, 0)
    interp.invoke()
    return np.array(interp.get_output(0))


def quantize_tflite(x: np.ndarray, scale: float, zp: int) -> np.ndarray:
    """TFLite's quantization (round half away from zero, then saturate)."""
    v = x.astype(np.float64) / np.float64(np.float32(scale))
    return np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5) + zp, -128, 127).astype(np.int8)


def inputs(stem: str, interp) -> list[tuple[str, np.ndarray]]:
    """(label, int8 NHWC input): uniform random int8 over the whole range, both extremes, and the
    real samples quantized with the TFLite input scale and zero point."""
    d = interp.get_input_details(0)
    shape = tuple(int(s) for s in d["shape"])
    rng = np.random.default_rng(20240601)
    out = [(f"random{k}", rng.integers(-128, 128, size=shape, dtype=np.int8)) for k in range(N_RANDOM)]
    out += [("all-128", np.full(shape, -128, np.int8)), ("all127", np.full(shape, 127, np.int8))]
    if stem in SAMPLES and os.path.exists(os.path.join(MODELS, SAMPLES[stem])):
        x = np.load(os.path.join(MODELS, SAMPLES[stem])).astype(np.float32)
        q = d["quantization_parameters"]
        xq = quantize_tflite(x, float(q["scales"][0]), int(q["zero_points"][0]))
        rows = xq.reshape((-1,) + shape[1:])
        out += [(f"sample{k}", rows[k:k + 1]) for k in range(rows.shape[0])]
    return out


def _qparams(details) -> tuple[np.float32, int]:
    q = details["quantization_parameters"]
    assert len(q["scales"]) == 1 and len(q["zero_points"]) == 1
    return np.float32(q["scales"][0]), int(q["zero_points"][0])


@pytest.mark.parametrize("stem", list(TFLITE))
def test_boundary_equals_tflite(stem):
    """The int8 boundary of gen's header is the .tflite's: same shape (NHWC -> NCHW), dtype, scale, zero point."""
    s = setup(stem)
    for gen_t, det in ((s["res"].summary["inputs"][0], s["tflm"].get_input_details(0)),
                       (s["res"].summary["outputs"][0], s["tflm"].get_output_details(0))):
        shape = tuple(int(v) for v in det["shape"])
        assert gen_t["dtype"] == "int8" and det["dtype"] == np.int8
        assert tuple(gen_t["shape"]) == (to_gen(np.zeros(shape)).shape), (gen_t["name"], gen_t["shape"], shape)
        scale, zp = _qparams(det)
        assert np.float32(gen_t["scale"]) == scale, (gen_t["name"], gen_t["scale"], scale)
        assert gen_t["zero_point"] == zp, (gen_t["name"], gen_t["zero_point"], zp)
    assert len(s["res"].summary["inputs"]) == len(s["res"].summary["outputs"]) == 1


@pytest.mark.parametrize("stem", list(TFLITE))
def test_output_bytes_equal_tflm(stem):
    """gen's C (run_s8) gives TFLM's output bytes on every input."""
    s = setup(stem)
    bad = []
    for label, x in inputs(stem, s["tflm"]):
        want = tflm_run(s["tflm"], x)
        got = s["host"].run_s8(to_gen(x))[0]
        assert got.dtype == want.dtype == np.int8 and got.size == want.size
        if not np.array_equal(got.reshape(-1), want.reshape(-1)):
            d = np.abs(got.reshape(-1).astype(int) - want.reshape(-1).astype(int))
            bad.append(f"{label}: {int((d > 0).sum())}/{d.size} bytes differ, max {int(d.max())} LSB")
    assert not bad, f"{stem}: gen's C differs from TFLM: " + "; ".join(bad)


def _gen_tensors(res) -> dict[int, list]:
    """TFLite tensor index -> gen's activation tensor named after it (t<k>_...), in TFLite's memory
    layout (NHWC activations; the model-order copy of a graph input is skipped)."""
    from gen.ops.layout import mem_shape
    out = {}
    for name, t in res.graph.tensors.items():
        m = re.match(r"t(\d+)_", name)
        if m and not t.is_const and t.dtype == "int8":
            out.setdefault(int(m.group(1)), []).append((name, mem_shape(t)))
    return out


@pytest.mark.parametrize("stem", list(TFLITE))
def test_every_layer_equals_tflm(stem):
    """Each TFLite op's output tensor equals gen's numpy reference for it, and the C's output equals
    the reference's: the first layer that differs is named."""
    from gen import refrun
    s = setup(stem)
    sg, g = s["subgraph"], s["res"].graph
    ours = _gen_tensors(s["res"])
    op_outputs = [int(o) for op in sg.operators for o in op.outputs]
    missing = [k for k in op_outputs if k not in ours]
    assert not missing, f"TFLite tensors {missing} have no gen tensor named t<k>_ (converter naming changed?)"
    cases = inputs(stem, s["tflm"])
    for label, x in [cases[0]] + [c for c in cases if c[0].startswith("sample")][:2]:
        tflm_run(s["tflm"], x)
        vals = refrun.run(g, [to_gen(x)], keep=True)
        for k in op_outputs:
            want = s["tflm"].GetTensor(k, 0)["tensor_data"]
            cands = [(n, shp) for n, shp in ours[k] if tuple(shp) == tuple(want.shape)]
            assert cands, f"{stem}: no gen tensor for TFLite tensor {k} with shape {want.shape}: {ours[k]}"
            for name, _ in cands:
                got = vals[name].reshape(want.shape)
                if not np.array_equal(got, want):
                    d = np.abs(got.astype(int) - want.astype(int))
                    pytest.fail(f"{stem} {label}: first differing layer: TFLite tensor {k} "
                                f"({sg.tensors[k].name.decode()[:80]}) = gen '{name}': "
                                f"{int((d > 0).sum())}/{d.size} values differ, max {int(d.max())} LSB")
        np.testing.assert_array_equal(s["host"].run_s8(to_gen(x))[0].reshape(-1),
                                      vals[g.outputs[0]].reshape(-1), err_msg=f"{stem} {label}: C != numpy reference")


@pytest.mark.skipif(not CMSIS or not os.path.isdir(os.path.join(CMSIS or "", "Include")),
                    reason="set CMSIS_NN_DIR to a CMSIS-NN v7.0.0 checkout to run")
@pytest.mark.parametrize("stem", list(TFLITE))
def test_real_cmsis_nn_equals_tflm(stem):
    """The same C linked against the real CMSIS-NN gives TFLM's output bytes too (the simple plan: an overlapping
    one refuses to build against it)."""
    from gen import driver
    from gen.host import HostModel
    s = setup(stem)
    simple = driver.generate(os.path.join(MODELS, f"{stem}_int8_qdq_tflite.onnx"), name="m", test_vectors=0,
                             plan="simple")
    real = HostModel(simple.files, cflags=["-DGEN_USE_CMSIS_NN", "-I", os.path.join(CMSIS, "Include"), "-w"],
                     extra_sources=sorted(glob.glob(os.path.join(CMSIS, "Source", "*", "*.c"))))
    for label, x in inputs(stem, s["tflm"]):
        np.testing.assert_array_equal(real.run_s8(to_gen(x))[0].reshape(-1), tflm_run(s["tflm"], x).reshape(-1),
                                      err_msg=f"{stem} {label}: real CMSIS-NN != TFLM")
