"""Builds gen's bundled example: a small CNN digit classifier on scikit-learn's 8x8 digits.

    python gen/examples/make_example.py        (needs: pip install -e .[examples])

The network, NCHW, float32, opset 13, batch 1:

    input [1,1,8,8] -> Conv(8, 3x3, pad 1) -> BatchNormalization -> Relu -> MaxPool 2x2
          -> Conv(16, 3x3, pad 1) -> Relu -> Flatten -> Gemm(256 -> 10) -> Softmax -> [1,10]

It is trained here with plain numpy (hand-written backprop, Adam, batch-statistics BatchNorm with
running averages for inference), on the training split of sklearn.datasets.load_digits (bundled
with scikit-learn: no download). Fixed seeds: running it twice writes identical files.

Writes, next to this script:
  digits_cnn.onnx        the float32 model
  digits_cnn_int8.onnx   int8 QDQ (onnxruntime quantize_static, per-channel weights, QInt8),
                         calibrated on training digits
  digits_sample.npy      one real test digit, float32 [1,1,8,8]
  digits_sample.json     its label (and the float/int8 models' predictions)
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))  # gen itself

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240601
C1, C2, CLASSES = 8, 16, 10
BN_EPS = 1e-5


# --------------------------------------------------------------------------- data

def load_data():
    from sklearn.datasets import load_digits
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(SEED).permutation(len(x))
    x, y = x[perm], y[perm]
    n_test = len(x) // 5
    return x[n_test:], y[n_test:], x[:n_test], y[:n_test]


# --------------------------------------------------------------------------- layers (NCHW)

def im2col3(x):
    """[N,C,H,W] -> [N*H*W, C*9]: the 3x3, pad 1, stride 1 patches."""
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cols = np.empty((n, h, w, c, 3, 3), np.float32)
    for i in range(3):
        for j in range(3):
            cols[:, :, :, :, i, j] = xp[:, :, i:i + h, j:j + w].transpose(0, 2, 3, 1)
    return cols.reshape(n * h * w, c * 9)


def col2im3(dcols, shape):
    n, c, h, w = shape
    d = dcols.reshape(n, h, w, c, 3, 3)
    dxp = np.zeros((n, c, h + 2, w + 2), np.float32)
    for i in range(3):
        for j in range(3):
            dxp[:, :, i:i + h, j:j + w] += d[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dxp[:, :, 1:-1, 1:-1]


def conv_fwd(x, w, b):
    n, _, h, wd = x.shape
    cols = im2col3(x)
    y = cols @ w.reshape(w.shape[0], -1).T + b
    return y.reshape(n, h, wd, -1).transpose(0, 3, 1, 2), cols


def conv_bwd(dy, cols, w, xshape):
    m = w.shape[0]
    dyf = dy.transpose(0, 2, 3, 1).reshape(-1, m)
    dw = (dyf.T @ cols).reshape(w.shape)
    db = dyf.sum(0)
    dx = col2im3(dyf @ w.reshape(m, -1), xshape)
    return dx, dw, db


def forward(p, x, train, bn_state=None, momentum=0.9):
    cache = {}
    z1, cache["cols1"] = conv_fwd(x, p["w1"], p["b1"])
    if train:
        mu, var = z1.mean(axis=(0, 2, 3)), z1.var(axis=(0, 2, 3))
        bn_state["mean"] = momentum * bn_state["mean"] + (1 - momentum) * mu
        bn_state["var"] = momentum * bn_state["var"] + (1 - momentum) * var * (z1.size / z1.shape[1]) / \
            (z1.size / z1.shape[1] - 1)
    else:
        mu, var = bn_state["mean"], bn_state["var"]
    inv = 1.0 / np.sqrt(var + BN_EPS)
    xhat = (z1 - mu[None, :, None, None]) * inv[None, :, None, None]
    a1 = xhat * p["gamma"][None, :, None, None] + p["beta"][None, :, None, None]
    r1 = np.maximum(a1, 0)
    n = x.shape[0]
    win = r1.reshape(n, C1, 4, 2, 4, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, C1, 4, 4, 4)
    arg = win.argmax(-1)
    p1 = np.take_along_axis(win, arg[..., None], -1)[..., 0]
    z2, cache["cols2"] = conv_fwd(p1, p["w2"], p["b2"])
    r2 = np.maximum(z2, 0)
    f = r2.reshape(n, -1)
    logits = f @ p["wf"].T + p["bf"]
    cache.update(z1=z1, xhat=xhat, inv=inv, a1=a1, arg=arg, p1=p1, z2=z2, f=f, x=x)
    return logits, cache


def backward(p, cache, dlogits):
    g = {}
    n = dlogits.shape[0]
    g["wf"] = dlogits.T @ cache["f"]
    g["bf"] = dlogits.sum(0)
    df = dlogits @ p["wf"]
    dz2 = df.reshape(cache["z2"].shape) * (cache["z2"] > 0)
    dp1, g["w2"], g["b2"] = conv_bwd(dz2, cache["cols2"], p["w2"], cache["p1"].shape)
    dwin = np.zeros((n, C1, 4, 4, 4), np.float32)
    np.put_along_axis(dwin, cache["arg"][..., None], dp1[..., None], -1)
    dr1 = dwin.reshape(n, C1, 4, 4, 2, 2).transpose(0, 1, 2, 4, 3, 5).reshape(n, C1, 8, 8)
    da1 = dr1 * (cache["a1"] > 0)
    g["gamma"] = (da1 * cache["xhat"]).sum(axis=(0, 2, 3))
    g["beta"] = da1.sum(axis=(0, 2, 3))
    dxhat = da1 * p["gamma"][None, :, None, None]
    m = dxhat.size / dxhat.shape[1]
    xhat, inv = cache["xhat"], cache["inv"]
    dz1 = (inv[None, :, None, None] / m) * (m * dxhat - dxhat.sum(axis=(0, 2, 3), keepdims=True)
                                            - xhat * (dxhat * xhat).sum(axis=(0, 2, 3), keepdims=True))
    _, g["w1"], g["b1"] = conv_bwd(dz1.astype(np.float32), cache["cols1"], p["w1"], cache["x"].shape)
    return g


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def train(xtr, ytr, epochs=30, batch=32, lr=3e-3):
    rng = np.random.default_rng(SEED)

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    p = {"w1": he((C1, 1, 3, 3), 9), "b1": np.zeros(C1, np.float32),
         "gamma": np.ones(C1, np.float32), "beta": np.zeros(C1, np.float32),
         "w2": he((C2, C1, 3, 3), C1 * 9), "b2": np.zeros(C2, np.float32),
         "wf": he((CLASSES, C2 * 16), C2 * 16) * np.float32(0.5), "bf": np.zeros(CLASSES, np.float32)}
    bn = {"mean": np.zeros(C1, np.float32), "var": np.ones(C1, np.float32)}
    adam_m = {k: np.zeros_like(v) for k, v in p.items()}
    adam_v = {k: np.zeros_like(v) for k, v in p.items()}
    step = 0
    for epoch in range(epochs):
        order = rng.permutation(len(xtr))
        rate = lr * (0.5 * (1 + np.cos(np.pi * epoch / epochs)))   # cosine decay
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            logits, cache = forward(p, xtr[idx], True, bn)
            prob = softmax(logits)
            prob[np.arange(len(idx)), ytr[idx]] -= 1
            grads = backward(p, cache, (prob / len(idx)).astype(np.float32))
            step += 1
            for k in p:
                gk = grads[k] + (1e-4 * p[k] if k.startswith("w") else 0)
                adam_m[k] = 0.9 * adam_m[k] + 0.1 * gk
                adam_v[k] = 0.999 * adam_v[k] + 0.001 * gk * gk
                mh = adam_m[k] / (1 - 0.9 ** step)
                vh = adam_v[k] / (1 - 0.999 ** step)
                p[k] = (p[k] - rate * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
    p = {k: v.astype(np.float32) for k, v in p.items()}
    return p, {k: v.astype(np.float32) for k, v in bn.items()}


def predict(p, bn, x):
    return forward(p, x, False, bn)[0].argmax(-1)


# --------------------------------------------------------------------------- ONNX

def to_onnx(p, bn) -> onnx.ModelProto:
    inits = [numpy_helper.from_array(v, k) for k, v in [
        ("conv1.weight", p["w1"]), ("conv1.bias", p["b1"]),
        ("bn1.scale", p["gamma"]), ("bn1.bias", p["beta"]), ("bn1.mean", bn["mean"]), ("bn1.var", bn["var"]),
        ("conv2.weight", p["w2"]), ("conv2.bias", p["b2"]),
        ("fc.weight", p["wf"]), ("fc.bias", p["bf"])]]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["conv1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"], ["bn1"],
                         name="bn1", epsilon=BN_EPS),
        helper.make_node("Relu", ["bn1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("Flatten", ["relu2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "digits_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, CLASSES])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="gen-examples")
    model.ir_version = 8
    model.doc_string = "8x8 digit classifier (sklearn digits), trained by gen/examples/make_example.py"
    onnx.checker.check_model(model, full_check=True)
    return model


def quantize(float_path: str, calib: np.ndarray) -> onnx.ModelProto:
    # gen --quantize's own quantization (gen/calibrate.py): onnxruntime's pre-processing and quantize_static,
    # per-channel symmetric int8 weights, int8 activations, rank-0 per-tensor scales
    from gen.calibrate import quantize_static_qdq
    q = quantize_static_qdq(float_path, [{"input": calib[i:i + 1]} for i in range(len(calib))])
    q.producer_name, q.producer_version = "gen-examples", ""
    q.doc_string = "int8 QDQ of digits_cnn.onnx (onnxruntime quantize_static, per-channel QInt8)"
    onnx.checker.check_model(q, full_check=True)
    for n in q.graph.node:
        if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            axis_given = any(a.name == "axis" for a in n.attribute)
            for i in n.input[1:]:
                arr = numpy_helper.to_array(next(t for t in q.graph.initializer if t.name == i))
                assert arr.ndim == 0 or (arr.ndim == 1 and arr.size > 1), (n.name, i, arr.shape, axis_given)
    return q


def ort_predict(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    return np.array([sess.run(None, {"input": x[i:i + 1]})[0][0] for i in range(len(x))])


def main() -> int:
    np.random.seed(SEED)
    xtr, ytr, xte, yte = load_data()
    p, bn = train(xtr, ytr)
    acc_np = float((predict(p, bn, xte) == yte).mean())
    model = to_onnx(p, bn)
    fpath = os.path.join(HERE, "digits_cnn.onnx")
    qpath = os.path.join(HERE, "digits_cnn_int8.onnx")
    onnx.save(model, fpath)
    probs = ort_predict(model.SerializeToString(), xte)
    acc_f = float((probs.argmax(-1) == yte).mean())
    # calibration: a fixed subset of the training digits
    calib = xtr[np.random.default_rng(SEED + 1).choice(len(xtr), 200, replace=False)]
    q = quantize(fpath, calib)
    onnx.save(q, qpath)
    qprobs = ort_predict(q.SerializeToString(), xte)
    acc_q = float((qprobs.argmax(-1) == yte).mean())
    # the sample: the first test digit both models classify correctly
    k = next(i for i in range(len(xte)) if probs[i].argmax() == yte[i] == qprobs[i].argmax())
    np.save(os.path.join(HERE, "digits_sample.npy"), xte[k:k + 1].astype(np.float32))
    with open(os.path.join(HERE, "digits_sample.json"), "w") as f:
        json.dump({"file": "digits_sample.npy", "label": int(yte[k]), "shape": [1, 1, 8, 8],
                   "float_prediction": int(probs[k].argmax()), "int8_prediction": int(qprobs[k].argmax())},
                  f, indent=1)
        f.write("\n")
    print(f"train {len(xtr)} / test {len(xte)} digits")
    print(f"test accuracy: numpy {acc_np:.4f}, float ONNX {acc_f:.4f}, int8 QDQ {acc_q:.4f}")
    print(f"wrote {fpath}, {qpath}, digits_sample.npy (label {int(yte[k])})")
    if acc_f < 0.9:
        print("warning: float test accuracy below 90%", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
