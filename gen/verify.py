"""--verify: the generated C, built on the host, against gen's numpy integer reference (int8, bit for
bit) or onnxruntime (float), and gen's every layer against onnxruntime running the original model's
nodes on the same layer inputs (gen.layercheck), on random inputs (for int8 models inside the input's
quantization range).

For quantized models onnxruntime runs with graph optimizations off: its QDQ reference semantics
(dequantize, float op, quantize with round half to even). Its optimized path fuses QDQ into its own
integer kernels, which on some machines give wrong answers (on the MLPerf KWS int8 model: class 9
where the float model, unfused onnxruntime and gen all say 5).
"""
from __future__ import annotations

import re
import sys
import types

import numpy as np

from . import int8ref, refrun
from .errors import GenError
from .host import HostModel
from .ops.layout import to_memory, to_model

FLOAT_TOL = 1e-5        # of the largest output magnitude


def ort_session(model_path_or_bytes, quantized: bool = False):
    try:
        import onnxruntime as ort
    except ImportError:
        raise GenError("--verify needs onnxruntime: pip install onnxruntime") from None
    so = ort.SessionOptions()
    so.log_severity_level = 4      # fatal only: an error reaches the user once, as the GenError below
    if quantized:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        return ort.InferenceSession(model_path_or_bytes, so, providers=["CPUExecutionProvider"])
    except Exception as e:     # a model gen compiles that onnxruntime refuses (an LSTM with layout 1)
        why = re.sub(r"\s+", " ", str(e)).strip()[:300]
        raise GenError(f"--verify: onnxruntime (the oracle) cannot run this model: {why}") from None


def quantize(x: np.ndarray, t: dict) -> np.ndarray:
    """A graph input as the float entry point hands it to the model: quantized like gen_s8_quantize_f32."""
    if t["dtype"] != "int8":
        from .ir import NP_DTYPE
        return np.asarray(x, NP_DTYPE[t["dtype"]])
    return int8ref.quantize_f32(x, t["scale"], t["zero_point"])


def draw_inputs(host, trials: int, rng) -> list[list[np.ndarray]]:
    """Float inputs for `trials` runs. int8 models: inside each input's quantization range (uniform over
    the float values its Q represents; one trial at the two edges, one in the outer tenth on each side
    and beyond, which saturates), float models: standard normal."""
    out = []
    for k in range(trials):
        ins = []
        for t in host.inputs:
            shape = t["shape"]
            if t["dtype"] != "int8":
                from .testvec import random_input
                x = random_input(rng, t["dtype"], shape)
                # a parameter input the C checks: the value it was compiled for (gen/rtparams.py)
                ins.append(np.asarray(t["sample"], x.dtype).reshape(x.shape) if "sample" in t else x)
                continue
            s, zp = float(t["scale"]), int(t["zero_point"])
            lo, hi = (-128 - zp) * s, (127 - zp) * s
            if k == trials - 2:          # the edges exactly
                x = np.where(rng.random(shape) < 0.5, lo, hi)
            elif k == trials - 1:        # near and past the edges
                band = 0.1 * (hi - lo)
                x = np.where(rng.random(shape) < 0.5, rng.uniform(lo - band / 2, lo + band, shape),
                             rng.uniform(hi - band, hi + band / 2, shape))
            else:
                x = rng.uniform(lo, hi, shape)
            ins.append(np.asarray(x, np.float32))
        out.append(ins)
    return out


def against_onnxruntime(model_path: str, result, trials: int = 5):
    """Returns (one dict per output with the worst end-to-end differences, ok). Also puts the layer
    check's summary (gen.layercheck) in result.summary["verify_layers"].

    ok: the C equals gen's numpy integer reference (int8; within 1 LSB where layers compute in float),
    or matches onnxruntime within FLOAT_TOL (float models); and every layer of gen's graph that has a
    tensor of the original model is within its tolerance of onnxruntime running the original model's
    nodes on gen's own inputs to that layer. The end-to-end LSB and argmax agreement of int8 models are
    information only: errors of 1 LSB per layer can add up through a deep model."""
    from . import layercheck
    host = HostModel(result.files)
    bf16 = [t["name"] for t in host.inputs + host.outputs if t["dtype"] == "bfloat16"]
    if bf16:    # onnxruntime's Python API has no numpy bfloat16
        raise GenError(f"--verify: onnxruntime (the oracle) cannot pass the bfloat16 tensor '{bf16[0]}' to or from "
                       "numpy: build without --verify (gen's tests check bfloat16 against onnx.reference)")
    g = result.graph
    sess = ort_session(model_path, host.int8 or bool(g.options.get("int8")))
    feeds_meta = sess.get_inputs()
    names = [i.name for i in feeds_meta]
    rng = np.random.default_rng(0)
    worst = [dict(output=t["name"], max_abs=0.0, max_rel=0.0, argmax=0, lsb=0, ref_lsb=0) for t in host.outputs]
    # layers without an int8 kernel compute in float: their C and numpy floats may differ in the last bits
    has_float = any(g_t.dtype == "float32" for g_t in g.tensors.values() if not g_t.is_const)
    quantized_graph = host.int8 or bool(g.options.get("int8"))
    lc = layercheck.LayerCheck(model_path, g)
    ok = True
    for ins in draw_inputs(host, trials, rng):
        qin = [quantize(x, t) for x, t in zip(ins, host.inputs)]
        # a model whose input is int8 itself (QOperator) takes the quantized values
        ort_in = [q if "int8" in fm.type else x for x, q, fm in zip(ins, qin, feeds_meta)]
        ref = sess.run(None, dict(zip(names, ort_in)))
        if host.int8:
            got_q = host.run_s8(*qin)
            mem = [to_memory(g.t(n), q) for q, n in zip(qin, g.inputs)]
            vals = refrun.run(g, mem, keep=True)
            want_q = [to_model(g.t(o), vals[o]) for o in g.outputs]
            got = [(q.astype(np.float32) - t["zero_point"]) * np.float32(t["scale"]) if t["dtype"] == "int8" else q
                   for q, t in zip(got_q, host.outputs)]
        else:
            got = host.run(*ins)
            vals = refrun.run(g, ins, keep=True)
            got_q, want_q = got, [to_model(g.t(o), vals[o]) for o in g.outputs]   # uint8 I/O of a quantized model
        lc.run(vals)
        for k, (w, r, c) in enumerate(zip(worst, ref, got)):
            t = host.outputs[k]
            u8 = t["dtype"] == "uint8" and "scale" in t     # a uint8-quantized output (gen.qpasses.uint8_to_int8)
            if u8:
                c = (c.astype(np.float32) - t["zero_point"]) * np.float32(t["scale"])
            r = np.asarray(r, np.float32) if r.dtype != np.int8 and not u8 else \
                (r.astype(np.float32) - t["zero_point"]) * np.float32(t["scale"])
            d = float(np.max(np.abs(r.astype(np.float64) - c))) if r.size else 0.0
            mag = float(np.max(np.abs(r))) if r.size else 0.0
            w["max_abs"] = max(w["max_abs"], d)
            w["max_rel"] = max(w["max_rel"], d / mag if mag else d)
            same_argmax = int(np.argmax(r) == np.argmax(c)) if r.size else 1     # an empty output agrees
            w["argmax"] += same_argmax
            if (host.int8 and t["dtype"] == "int8") or u8:
                lsb = int(round(d / t["scale"]))
                w["lsb"] = max(w["lsb"], lsb)
                ref_lsb = int(np.max(np.abs(got_q[k].reshape(-1).astype(int) -
                                            np.asarray(want_q[k]).reshape(-1).astype(int))))
                w["ref_lsb"] = max(w["ref_lsb"], ref_lsb)
                if ref_lsb > (1 if has_float else 0):
                    ok = False
            elif quantized_graph:
                # a float output of a quantized model (a float op after the last DequantizeLinear): the int8
                # layers before it may each differ from onnxruntime by their 1 LSB, so the C is judged against
                # gen's numpy reference on the same integers (the layer check judges the op against onnxruntime)
                want = np.asarray(want_q[k], np.float64).reshape(-1)
                dref = float(np.max(np.abs(np.asarray(got_q[k], np.float64).reshape(-1) - want))) if want.size else 0.0
                if not dref <= FLOAT_TOL * max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-30):
                    ok = False
            elif d > FLOAT_TOL * max(mag, 1e-30):
                ok = False
    for w in worst:
        extra = f"(argmax agrees {w.pop('argmax')}/{trials}"
        lsb, ref_lsb = w.pop("lsb"), w.pop("ref_lsb")
        if host.int8 or g.options.get("int8"):
            extra += f", {lsb} LSB end to end (information: 1 LSB per layer adds up); C " + (
                "equals the numpy integer reference" if ref_lsb == 0 else
                f"within {ref_lsb} LSB of the numpy integer reference (float layers)")
        w["extra"] = extra + ")"
    layers = lc.summary()
    layers["c_ok"] = ok
    # what the C's outputs were compared with, and how closely (gen.report.tolerance_text)
    layers["c_vs"] = "reference" if quantized_graph else "onnxruntime"
    layers["c_float_outputs"] = quantized_graph and any(t["dtype"] == "float32" for t in host.outputs)
    layers["c_ref_lsb"], layers["c_rtol"] = (1 if has_float else 0), FLOAT_TOL
    layers["inputs"] = ("inside the input quantization range (uniform, edges, saturating)" if host.int8
                        else "standard normal")
    layers["trials"] = trials
    result.summary["verify_layers"] = layers
    return worst, ok and layers["ok"]


class _CallableModule(types.ModuleType):
    """`gen.verify` is this module (gen's code and tests import it) and the Python API's function too:
    gen.verify(library) calls gen.api.verify."""

    def __call__(self, *args, **kwargs):
        from .api import verify
        return verify(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
