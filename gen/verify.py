"""--verify: the generated C, built on the host, against onnxruntime (and, for int8, against the numpy
integer reference, bit for bit) on random inputs.

For quantized models onnxruntime runs with graph optimizations off: its QDQ reference semantics
(dequantize, float op, quantize with round half to even). Its optimized path fuses QDQ into its own
integer kernels, which on some machines give wrong answers (on the MLPerf KWS int8 model: class 9
where the float model, unfused onnxruntime and gen all say 5).
"""
from __future__ import annotations

import numpy as np

from . import int8ref, refrun
from .errors import GenError
from .host import HostModel

FLOAT_TOL = 1e-5        # of the largest output magnitude
INT8_ARGMAX_LSB = 8     # an int8 output whose argmax differs must still be this close (LSB)


def ort_session(model_path_or_bytes, quantized: bool = False):
    try:
        import onnxruntime as ort
    except ImportError:
        raise GenError("--verify needs onnxruntime: pip install onnxruntime") from None
    so = ort.SessionOptions()
    so.log_severity_level = 3
    if quantized:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model_path_or_bytes, so, providers=["CPUExecutionProvider"])


def quantize(x: np.ndarray, t: dict) -> np.ndarray:
    """A graph input as the float entry point hands it to the model: quantized like gen_s8_quantize_f32."""
    if t["dtype"] != "int8":
        return np.asarray(x, np.float32)
    return int8ref.quantize_f32(x, t["scale"], t["zero_point"])


def against_onnxruntime(model_path: str, result, trials: int = 5):
    """Returns (one dict per output with the worst differences, ok)."""
    host = HostModel(result.files)
    sess = ort_session(model_path, host.int8)
    names = [i.name for i in sess.get_inputs()]
    rng = np.random.default_rng(0)
    worst = [dict(output=t["name"], max_abs=0.0, max_rel=0.0, argmax=0, lsb=0, ref_lsb=0) for t in host.outputs]
    # layers without an int8 kernel compute in float: their C and numpy floats may differ in the last bits
    has_float = any(g_t.dtype == "float32" for g_t in result.graph.tensors.values() if not g_t.is_const)
    ok = True
    for _ in range(trials):
        ins = [rng.standard_normal(t["shape"]).astype(np.float32) for t in host.inputs]
        # an int8 model input (plain integers, no QDQ) takes what the float entry point makes of x
        ref = sess.run(None, dict(zip(names, [quantize(x, t) if s.type == "tensor(int8)" else x
                                              for x, t, s in zip(ins, host.inputs, sess.get_inputs())])))
        if host.int8:
            qin = [quantize(x, t) for x, t in zip(ins, host.inputs)]
            got_q = host.run_s8(*qin)
            want_q = refrun.run(result.graph, qin)
            got = [(q.astype(np.float32) - t["zero_point"]) * np.float32(t["scale"]) if t["dtype"] == "int8" else q
                   for q, t in zip(got_q, host.outputs)]
        else:
            got = host.run(*ins)
        for k, (w, r, c) in enumerate(zip(worst, ref, got)):
            d = float(np.max(np.abs(r.astype(np.float64) - c))) if r.size else 0.0
            mag = float(np.max(np.abs(r))) if r.size else 0.0
            w["max_abs"] = max(w["max_abs"], d)
            w["max_rel"] = max(w["max_rel"], d / mag if mag else d)
            same_argmax = int(np.argmax(r) == np.argmax(c))
            w["argmax"] += same_argmax
            if host.int8 and host.outputs[k]["dtype"] == "int8":
                t = host.outputs[k]
                lsb = int(round(d / t["scale"]))
                w["lsb"] = max(w["lsb"], lsb)
                ref_lsb = int(np.max(np.abs(got_q[k].reshape(-1).astype(int) -
                                            np.asarray(want_q[k]).reshape(-1).astype(int))))
                w["ref_lsb"] = max(w["ref_lsb"], ref_lsb)
                if ref_lsb > (1 if has_float else 0) or (not same_argmax and lsb > INT8_ARGMAX_LSB):
                    ok = False
            elif d > FLOAT_TOL * max(mag, 1e-30):
                ok = False
    for w in worst:
        extra = f"(argmax agrees {w.pop('argmax')}/{trials}"
        lsb, ref_lsb = w.pop("lsb"), w.pop("ref_lsb")
        if host.int8:
            extra += f", {lsb} LSB; C " + ("equals the numpy integer reference" if ref_lsb == 0 else
                                           f"within {ref_lsb} LSB of the numpy reference (float layers)")
        w["extra"] = extra + ")"
    return worst, ok
