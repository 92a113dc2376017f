"""Calibration and held-out inputs for the four MLPerf Tiny float models, built as a user without the
training sets would have to build them (tests/test_quantize.py).

- KWS (DS-CNN, MFCC [1,1,49,10]): from the one real MFCC map (kws_dscnn.npy, NHWC (1,49,10,1), transposed
  to NCHW): each sample shifts it in time by up to 4 frames (edge frames repeated), scales it by 0.9-1.1
  and adds Gaussian noise of 5% of the map's standard deviation: what data augmentation of a recording does.
- AD (FC autoencoder, log-mel [1,640]): from the eight real log-mel vectors (ad_fc_autoencoder.npy): each
  sample mixes two of them (a random convex combination) and adds Gaussian noise of 0.5 (the values are in
  about -66..2).
- VWW (MobileNetV1, RGB [1,3,96,96] in 0..1) and IC (ResNet-8, CIFAR-10 RGB [1,3,32,32] in 0..255, the range
  the official int8 model's input quantization covers: scale 1, zero point -128): no real images here, so
  synthetic ones with the statistics of photographs: a smooth background (random 4x4 colours upsampled
  bilinearly), two to five filled ellipses of random colour and size, and pixel noise of 2%, clipped to range;
  of these, only the ones the float model recognizes (its top probability at least 0.8, CONFIDENT) are kept,
  as a user picks the pictures that show something. Unfiltered, most such images are near the model's decision
  boundaries: there even the official TFLite int8 IC model agrees with the float one on 93 of 100 only (and
  gen --quantize's on 93), against 100 of 100 on the kept ones (measured on HELDOUT_SEED).

Calibration and held-out sets use different seeds, so no held-out input is a calibration input.
"""
from __future__ import annotations

import os

import numpy as np

MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "models")
STEMS = ("kws_dscnn", "vww_mobilenetv1_025", "ic_resnet8", "ad_fc_autoencoder")
CALIB_SEED, HELDOUT_SEED = 1, 2


def float_model(stem: str) -> str:
    return os.path.join(MODELS, f"{stem}_float32.onnx")


def kws_sample() -> np.ndarray:
    """The real MFCC map in the model's layout, [1,1,49,10]."""
    return np.load(os.path.join(MODELS, "kws_dscnn.npy")).transpose(0, 3, 1, 2).astype(np.float32)


def _kws(n: int, rng) -> np.ndarray:
    x = kws_sample()[0, 0]
    sd = float(x.std())
    out = []
    for _ in range(n):
        s = int(rng.integers(-4, 5))
        idx = np.clip(np.arange(49) - s, 0, 48)
        y = x[idx] * rng.uniform(0.9, 1.1) + rng.normal(0, 0.05 * sd, x.shape)
        out.append(y[None])
    return np.asarray(out, np.float32)          # [n, 1, 49, 10]


def _ad(n: int, rng) -> np.ndarray:
    real = np.load(os.path.join(MODELS, "ad_fc_autoencoder.npy")).astype(np.float64)
    out = []
    for _ in range(n):
        i, j = rng.choice(len(real), 2, replace=False)
        w = rng.uniform()
        out.append(w * real[i] + (1 - w) * real[j] + rng.normal(0, 0.5, real.shape[1]))
    return np.asarray(out, np.float32)          # [n, 640]


def _images(n: int, rng, size: int, top: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / (size - 1)
    out = []
    for _ in range(n):
        grid = rng.uniform(0, 1, (3, 4, 4))
        # bilinear upsampling of the 4x4 colour grid
        gy, gx = yy * 3, xx * 3
        y0, x0 = np.minimum(gy.astype(int), 2), np.minimum(gx.astype(int), 2)
        fy, fx = gy - y0, gx - x0
        img = (grid[:, y0, x0] * (1 - fy) * (1 - fx) + grid[:, y0 + 1, x0] * fy * (1 - fx) +
               grid[:, y0, x0 + 1] * (1 - fy) * fx + grid[:, y0 + 1, x0 + 1] * fy * fx)
        for _ in range(int(rng.integers(2, 6))):
            cy, cx = rng.uniform(0, 1, 2)
            ry, rx = rng.uniform(0.08, 0.4, 2)
            mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
            img[:, mask] = rng.uniform(0, 1, (3, 1))
        img = np.clip(img + rng.normal(0, 0.02, img.shape), 0, 1)
        out.append(img * top)
    return np.asarray(out, np.float32)          # [n, 3, size, size]


CONFIDENT = 0.8


def _recognized(stem: str, n: int, rng, size: int, top: float) -> np.ndarray:
    """n synthetic images the float model gives a top probability of at least CONFIDENT."""
    import onnxruntime as ort
    sess = ort.InferenceSession(float_model(stem), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    keep = []
    while len(keep) < n:
        for x in _images(50, rng, size, top):
            if len(keep) < n and float(sess.run(None, {name: x[None]})[0].max()) >= CONFIDENT:
                keep.append(x)
    return np.asarray(keep, np.float32)


def inputs(stem: str, n: int, seed: int) -> np.ndarray:
    """n samples for the model `stem` ([n, ...the input's shape without its batch axis])."""
    rng = np.random.default_rng(seed)
    if stem == "kws_dscnn":
        return _kws(n, rng)
    if stem == "ad_fc_autoencoder":
        return _ad(n, rng)
    if stem == "vww_mobilenetv1_025":
        return _recognized(stem, n, rng, 96, 1.0)
    if stem == "ic_resnet8":
        return _recognized(stem, n, rng, 32, 255.0)
    raise KeyError(stem)
