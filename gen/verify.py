"""--verify: the generated C, built on the host, against onnxruntime on random inputs."""
from __future__ import annotations

import numpy as np

from .errors import GenError
from .host import HostModel

FLOAT_TOL = 1e-5   # of the largest output magnitude


def ort_session(model_path_or_bytes):
    try:
        import onnxruntime as ort
    except ImportError:
        raise GenError("--verify needs onnxruntime: pip install onnxruntime") from None
    so = ort.SessionOptions()
    so.log_severity_level = 3
    return ort.InferenceSession(model_path_or_bytes, so, providers=["CPUExecutionProvider"])


def against_onnxruntime(model_path: str, files: dict[str, bytes], shapes=None, trials: int = 5):
    host = HostModel(files)
    sess = ort_session(model_path)
    rng = np.random.default_rng(0)
    worst = [dict(output=t["name"], max_abs=0.0, max_rel=0.0, argmax_agree=0) for t in host.outputs]
    ok = True
    for _ in range(trials):
        ins = [rng.standard_normal(t["shape"]).astype(np.float32) for t in host.inputs]
        ref = sess.run(None, {t["name"]: x for t, x in zip(host.inputs, ins)})
        got = host.run(*ins)
        for w, r, c in zip(worst, ref, got):
            d = float(np.max(np.abs(r.astype(np.float64) - c))) if r.size else 0.0
            mag = float(np.max(np.abs(r))) if r.size else 0.0
            w["max_abs"] = max(w["max_abs"], d)
            w["max_rel"] = max(w["max_rel"], d / mag if mag else d)
            w["argmax_agree"] += int(np.argmax(r) == np.argmax(c))
            if host.int8:
                scale = [t for t in host.outputs if t["name"] == w["output"]][0]["scale"]
                if d > 8 * scale + 1e-7 and np.argmax(r) != np.argmax(c):
                    ok = False
            elif d > FLOAT_TOL * max(mag, 1e-30):
                ok = False
    for w in worst:
        w["extra"] = f"(argmax agrees {w.pop('argmax_agree')}/{trials})"
    return worst, ok
