"""Small models of the kinds users bring, each written the way its exporter writes it (onnx.helper, weights
from a seeded rng): PyTorch (Conv/Relu/MaxPool/Flatten/Gemm, opset 13-17), tf2onnx (MatMul + Add, batch-
major recurrent inputs transposed to time-major, opset 10-13) and the old CNTK exporter (opset 7-9:
Reshape with a shape initializer, BatchNormalization with spatial=1, 2-D Softmax, Times as MatMul).

    m = models_zoo.build("vad_silero")      # an onnx.ModelProto
    models_zoo.MODELS["vad_silero"].state   # streaming: [(state input, state output)]

COVERS says which model carries each of issue 10's refusal reasons (the ops and forms gen stopped at on
eleven public models); tests/test_models_zoo.py checks that every reason has a model and that the model
really contains it (the op, the opset, the dtype).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


@dataclass
class Zoo:
    build: object                 # () -> onnx.ModelProto
    kind: str                     # what it stands for
    exporter: str
    int8: bool = False            # the CNNs: also checked as onnxruntime's quantize_static QDQ form
    state: list = field(default_factory=list)   # [(state input, state output)] of a streaming model


class _G:
    """A graph under construction: nodes, initializers from a seeded rng, unique names."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.k = 0

    def name(self, base: str) -> str:
        self.k += 1
        return f"{base}_{self.k}"

    def const(self, arr, base: str = "c") -> str:
        n = self.name(base)
        self.inits.append(numpy_helper.from_array(np.asarray(arr), n))
        return n

    def w(self, shape, base: str = "w", scale: float | None = None) -> str:
        fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])
        s = scale if scale is not None else 1.0 / np.sqrt(max(fan_in, 1))
        return self.const((self.rng.standard_normal(shape) * s).astype(np.float32), base)

    def op(self, op: str, inputs, n_out: int = 1, **attrs):
        outs = [self.name(op.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=self.name(op),
                                           **{k: v for k, v in attrs.items() if v is not None}))
        return outs[0] if n_out == 1 else outs

    def conv(self, x, cin, cout, k, stride=1, pad=0, group=1, dims=2, bias=True):
        ks = [k] * dims
        ins = [x, self.w([cout, cin // group, *ks])]
        if bias:
            ins.append(self.w([cout], "b", 0.1))
        return self.op("Conv", ins, kernel_shape=ks, strides=[stride] * dims, pads=[pad] * (2 * dims),
                       group=group if group != 1 else None)

    def bn(self, x, c, **attrs):
        r = self.rng
        return self.op("BatchNormalization", [x, self.const((1 + 0.1 * r.standard_normal(c)).astype(np.float32)),
                                              self.const((0.1 * r.standard_normal(c)).astype(np.float32)),
                                              self.const((0.1 * r.standard_normal(c)).astype(np.float32)),
                                              self.const((1 + 0.2 * r.random(c)).astype(np.float32))], **attrs)

    def gemm(self, x, k, n):     # PyTorch's Linear: Gemm with transB=1
        return self.op("Gemm", [x, self.w([n, k]), self.w([n], "b", 0.1)], transB=1)

    def dense(self, x, k, n):    # tf2onnx's / CNTK's: MatMul + Add
        return self.op("Add", [self.op("MatMul", [x, self.w([k, n])]), self.w([n], "b", 0.1)])

    def model(self, inputs, outputs, opset: int, name: str) -> onnx.ModelProto:
        """inputs/outputs: (name, elem type, shape); output shapes may be None (left to inference)."""
        ins = [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs]
        outs = [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs]
        if opset < 9:      # IR 3: the exporters of that time listed every initializer as a graph input too
            ins += [helper.make_tensor_value_info(i.name, i.data_type, list(i.dims)) for i in self.inits]
        g = helper.make_graph(self.nodes, name, ins, outs, initializer=self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name=name)
        m.ir_version = 8 if opset >= 9 else 3 if opset == 7 else 4
        m = onnx.shape_inference.infer_shapes(m)
        onnx.checker.check_model(m)
        return m

    def rename(self, old: str, new: str) -> str:
        """Gives a node output its graph-output name."""
        for n in self.nodes:
            for k, o in enumerate(n.output):
                if o == old:
                    n.output[k] = new
            for k, i in enumerate(n.input):
                if i == old:
                    n.input[k] = new
        return new


F = TensorProto.FLOAT


# ----------------------------------------------------------------------------- CNNs

def mnist_pytorch() -> onnx.ModelProto:
    """torch.onnx.export of the classic MNIST CNN (opset 13): Conv/Relu/MaxPool twice, Flatten, Gemm."""
    g = _G(1)
    y = g.op("MaxPool", [g.op("Relu", [g.conv("input", 1, 4, 3, pad=1)])], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("MaxPool", [g.op("Relu", [g.conv(y, 4, 8, 3)])], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("Flatten", [y], axis=1)
    y = g.gemm(g.op("Relu", [g.gemm(y, 8 * 6 * 6, 32)]), 32, 10)
    g.rename(y, "logits")
    return g.model([("input", F, [1, 1, 28, 28])], [("logits", F, [1, 10])], 13, "mnist_pytorch")


def cifar_pytorch() -> onnx.ModelProto:
    """torch.onnx.export of a small CIFAR-10 CNN (opset 17): three Conv/Relu, two MaxPool, Flatten, two Gemm."""
    g = _G(2)
    y = g.op("MaxPool", [g.op("Relu", [g.conv("input", 3, 8, 3, pad=1)])], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("MaxPool", [g.op("Relu", [g.conv(y, 8, 16, 3, pad=1)])], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("Relu", [g.conv(y, 16, 16, 3, stride=2, pad=1)])
    y = g.op("Flatten", [y], axis=1)
    y = g.gemm(g.op("Relu", [g.gemm(y, 16 * 4 * 4, 32)]), 32, 10)
    g.rename(y, "logits")
    return g.model([("input", F, [1, 3, 32, 32])], [("logits", F, [1, 10])], 17, "cifar_pytorch")


def mnist_cntk() -> onnx.ModelProto:
    """The CNTK exporter's MNIST (opset 7): Conv without bias, BatchNormalization spatial=1, Relu, MaxPool,
    Reshape to [1, -1] with a shape initializer, Times as MatMul + Add, 2-D Softmax."""
    g = _G(3)
    y = g.op("Relu", [g.bn(g.conv("Input3", 1, 4, 5, pad=2, bias=False), 4, spatial=1, epsilon=1e-5)])
    y = g.op("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("Relu", [g.bn(g.conv(y, 4, 8, 5, pad=2, bias=False), 8, spatial=1, epsilon=1e-5)])
    y = g.op("MaxPool", [y], kernel_shape=[3, 3], strides=[3, 3])
    y = g.op("Reshape", [y, g.const(np.array([1, 8 * 4 * 4], np.int64), "shape")])
    y = g.op("Softmax", [g.dense(y, 8 * 4 * 4, 10)], axis=1)
    g.rename(y, "Plus214_Output_0")
    return g.model([("Input3", F, [1, 1, 28, 28])], [("Plus214_Output_0", F, [1, 10])], 7, "mnist_cntk")


def cifar_cntk() -> onnx.ModelProto:
    """The CNTK exporter's CIFAR ResNet-ish block (opset 8): Conv + BatchNormalization spatial=1, a
    residual Add, AveragePool, Reshape with a shape initializer, MatMul + Add, Softmax on 2-D."""
    g = _G(4)
    a = g.op("Relu", [g.bn(g.conv("data", 3, 8, 3, pad=1), 8, spatial=1)])
    b = g.bn(g.conv(g.op("Relu", [g.bn(g.conv(a, 8, 8, 3, pad=1), 8, spatial=1)]), 8, 8, 3, pad=1), 8, spatial=1)
    y = g.op("Relu", [g.op("Add", [a, b])])
    y = g.op("MaxPool", [y], kernel_shape=[2, 2], strides=[2, 2])
    y = g.op("AveragePool", [y], kernel_shape=[4, 4], strides=[4, 4])
    y = g.op("Reshape", [y, g.const(np.array([1, 8 * 2 * 2], np.int64), "shape")])
    y = g.op("Softmax", [g.dense(y, 32, 10)])
    g.rename(y, "prob")
    return g.model([("data", F, [1, 3, 16, 16])], [("prob", F, [1, 10])], 8, "cifar_cntk")


def mlp_tf2onnx() -> onnx.ModelProto:
    """A Keras MLP through tf2onnx (opset 10): MatMul + Add, Relu, Softmax, an Identity on the output."""
    g = _G(5)
    y = g.op("Relu", [g.dense("dense_input", 64, 32)])
    y = g.op("Relu", [g.dense(y, 32, 16)])
    y = g.op("Identity", [g.op("Softmax", [g.dense(y, 16, 4)], axis=1)])
    g.rename(y, "dense_2")
    return g.model([("dense_input", F, [1, 64])], [("dense_2", F, [1, 4])], 10, "mlp_tf2onnx")


# ----------------------------------------------------------------------------- audio

VAD_HIDDEN = 16


def vad_silero() -> onnx.ModelProto:
    """A Silero-like voice-activity detector (PyTorch, opset 16), one 64-sample chunk per call:
    `state` [2, 1, H] holds the LSTM's h and c (Slice apart, Concat back as `stateN`), `sr` is the int64
    sample rate; `If(Equal(Shape(input)[1], 64))` (constant once the chunk length is pinned) picks the
    16 kHz branch, which reads a tensor of the enclosing graph; the encoder is a strided Conv1d, the
    decoder a 1x1 Conv + Sigmoid, gated by Cast(Greater(sr, 0))."""
    g = _G(6)
    h = VAD_HIDDEN
    x = g.op("Unsqueeze", ["input", g.const(np.array([1], np.int64), "axes")])          # [1, 1, 64]
    enc = g.op("Relu", [g.conv(x, 1, 8, 16, stride=16, dims=1)])                      # [1, 8, 4]
    # the If: its then-branch scales the encoder's output (an outer-scope read), the else-branch copies it
    n64 = g.op("Equal", [g.op("Gather", [g.op("Shape", ["input"]), g.const(np.array(1, np.int64), "i")], axis=0),
                         g.const(np.array(64, np.int64), "n")])
    scale = g.const(np.array(0.5, np.float32), "scale")
    then_g = helper.make_graph([helper.make_node("Mul", [enc, scale], ["then_out"])], "then", [],
                               [helper.make_tensor_value_info("then_out", F, None)])
    else_g = helper.make_graph([helper.make_node("Identity", [enc], ["else_out"])], "else", [],
                               [helper.make_tensor_value_info("else_out", F, None)])
    enc = g.op("If", [n64], then_branch=then_g, else_branch=else_g)
    seq = g.op("Transpose", [enc], perm=[2, 0, 1])                                     # [4, 1, 8]: 4 steps
    st0 = g.op("Slice", ["state", g.const(np.array([0], np.int64)), g.const(np.array([1], np.int64)),
                         g.const(np.array([0], np.int64))])
    st1 = g.op("Slice", ["state", g.const(np.array([1], np.int64)), g.const(np.array([2], np.int64)),
                         g.const(np.array([0], np.int64))])
    w = g.w([1, 4 * h, 8], "W")
    r = g.w([1, 4 * h, h], "R")
    b = g.w([1, 8 * h], "B", 0.1)
    _, yh, yc = g.op("LSTM", [seq, w, r, b, "", st0, st1], n_out=3, hidden_size=h)
    g.rename(g.op("Concat", [yh, yc], axis=0), "stateN")
    dec = g.op("Transpose", [yh], perm=[1, 2, 0])                                        # [1, H, 1]
    dec = g.op("Sigmoid", [g.conv(g.op("Relu", [dec]), h, 1, 1, dims=1)])              # [1, 1, 1]
    gate = g.op("Cast", [g.op("Greater", ["sr", g.const(np.array([0], np.int64), "zero")])], to=F)
    out = g.op("Mul", [g.op("Squeeze", [dec, g.const(np.array([1], np.int64), "axes")]), gate])   # [1, 1]
    g.rename(out, "output")
    return g.model([("input", F, [1, 64]), ("state", F, [2, 1, h]), ("sr", TensorProto.INT64, [1])],
                   [("output", F, [1, 1]), ("stateN", F, [2, 1, h])], 16, "vad_silero")


def speech_enhance() -> onnx.ModelProto:
    """An STFT-free speech-enhancement net (PyTorch, opset 13): the spectrum as [1, 2F, T] (real and
    imaginary parts Split apart), magnitudes by Sqrt(Pow(re, 2) + Pow(im, 2)), Log compression, a Conv1d
    over time, a GRU, a Sigmoid mask that Mul applies to both parts."""
    g = _G(7)
    f, t, c = 12, 6, 8
    re, im = g.op("Split", ["spec", g.const(np.array([f, f], np.int64), "split")], n_out=2, axis=1)
    two = g.const(np.array(2.0, np.float32), "two")
    mag = g.op("Sqrt", [g.op("Add", [g.op("Add", [g.op("Pow", [re, two]), g.op("Pow", [im, two])]),
                                     g.const(np.array(1e-6, np.float32), "eps")])])
    lm = g.op("Log", [g.op("Add", [mag, g.const(np.array(1e-3, np.float32), "eps")])])
    y = g.op("Relu", [g.conv(lm, f, c, 3, pad=1, dims=1)])                             # [1, C, T]
    seq = g.op("Transpose", [y], perm=[2, 0, 1])                                       # [T, 1, C]
    yseq = g.op("GRU", [seq, g.w([1, 3 * f, c], "W"), g.w([1, 3 * f, f], "R"), g.w([1, 6 * f], "B", 0.1)],
                hidden_size=f, linear_before_reset=1)                                  # [T, 1, 1, F]
    mask = g.op("Sigmoid", [g.op("Squeeze", [yseq, g.const(np.array([1], np.int64), "axes")])])   # [T, 1, F]
    mask = g.op("Transpose", [mask], perm=[1, 2, 0])                                   # [1, F, T]
    g.rename(g.op("Mul", [re, mask]), "re_out")
    g.rename(g.op("Mul", [im, mask]), "im_out")
    return g.model([("spec", F, [1, 2 * f, t])], [("re_out", F, [1, f, t]), ("im_out", F, [1, f, t])], 13,
                   "speech_enhance")


def denoiser() -> onnx.ModelProto:
    """An RNNoise-like noise suppressor through tf2onnx (opset 12): batch-major features [1, T, 42],
    a dense layer with Tanh, a GRU with its state in and out (`h_in` -> `h_out`), gains by a sigmoid the
    exporter wrote out as 1 / (1 + Exp(Neg(x))), floored with Max, and a VAD output."""
    g = _G(8)
    t, feat, d, h, bands = 4, 42, 24, 16, 22
    x = g.op("Tanh", [g.dense("features", feat, d)])                                   # [1, T, D]
    seq = g.op("Transpose", [x], perm=[1, 0, 2])                                       # [T, 1, D]
    yseq, yh = g.op("GRU", [seq, g.w([1, 3 * h, d], "W"), g.w([1, 3 * h, h], "R"), g.w([1, 6 * h], "B", 0.1),
                            "", "h_in"], n_out=2, hidden_size=h, linear_before_reset=1)
    g.rename(yh, "h_out")
    ys = g.op("Transpose", [g.op("Squeeze", [yseq], axes=[1])], perm=[1, 0, 2])      # opset 12: axes attribute
    cat = g.op("Concat", [x, ys], axis=2)                                              # [1, T, D + H]
    z = g.dense(cat, d + h, bands)
    one = g.const(np.array(1.0, np.float32), "one")
    gains = g.op("Div", [one, g.op("Add", [one, g.op("Exp", [g.op("Neg", [z])])])])
    g.rename(g.op("Max", [gains, g.const(np.array(0.01, np.float32), "floor")]), "gains")
    g.rename(g.op("Sigmoid", [g.dense(ys, h, 1)]), "vad")
    return g.model([("features", F, [1, t, feat]), ("h_in", F, [1, 1, h])],
                   [("gains", F, [1, t, bands]), ("vad", F, [1, t, 1]), ("h_out", F, [1, 1, h])], 12,
                   "denoiser")


def dscnn_kws() -> onnx.ModelProto:
    """A DS-CNN wake-word detector (PyTorch, opset 13) on [1, 1, 49, 10] MFCCs: reflect-padded convolutions
    (Pad mode reflect, as nn.Conv2d(padding_mode='reflect') exports), BatchNorm, PRelu, a depthwise +
    pointwise block, GlobalAveragePool, Flatten, Gemm, Softmax."""
    g = _G(9)
    c = 8

    def reflect(x, p):
        return g.op("Pad", [x, g.const(np.array([0, 0, p, p, 0, 0, p, p], np.int64), "pads")], mode="reflect")

    def prelu(x):
        return g.op("PRelu", [x, g.const((0.25 + 0.05 * g.rng.standard_normal((c, 1, 1))).astype(np.float32),
                                         "slope")])
    y = prelu(g.bn(g.conv(reflect("mfcc", 1), 1, c, 3, stride=2), c))                 # [1, C, 25, 5]
    for _ in range(2):
        y = prelu(g.bn(g.conv(reflect(y, 1), c, c, 3, group=c, bias=False), c))     # depthwise
        y = prelu(g.bn(g.conv(y, c, c, 1, bias=False), c))                           # pointwise
    y = g.op("Flatten", [g.op("GlobalAveragePool", [y])], axis=1)
    g.rename(g.op("Softmax", [g.gemm(y, c, 12)], axis=1), "probs")
    return g.model([("mfcc", F, [1, 1, 49, 10])], [("probs", F, [1, 12])], 13, "dscnn_kws")


# ----------------------------------------------------------------------------- vision heads, streaming

def face_head() -> onnx.ModelProto:
    """An Ultra-Light-Fast-style face detector with a two-level FPN (PyTorch, opset 13): strided Convs,
    Resize nearest x2 of the coarse level, Concat, class and box heads (Conv -> Transpose -> Reshape),
    Softmax over the two classes, the face score by Gather on the scores, and the box centres decoded in
    place as PyTorch's `boxes[..., :2] = sigmoid(boxes[..., :2])` exports it (Slice, ScatterND)."""
    g = _G(10)
    a = 2    # anchors per cell
    c1 = g.op("Relu", [g.conv("image", 3, 8, 3, stride=2, pad=1)])                    # [1, 8, 8, 8]
    c2 = g.op("Relu", [g.conv(c1, 8, 8, 3, stride=2, pad=1)])                         # [1, 8, 4, 4]
    up = g.op("Resize", [c2, "", g.const(np.array([1, 1, 2, 2], np.float32), "scales")], mode="nearest")
    p = g.op("Relu", [g.conv(g.op("Concat", [c1, up], axis=1), 16, 8, 3, pad=1)])     # [1, 8, 8, 8]
    n = 8 * 8 * a
    cls = g.op("Reshape", [g.op("Transpose", [g.conv(p, 8, 2 * a, 3, pad=1)], perm=[0, 2, 3, 1]),
                           g.const(np.array([1, -1, 2], np.int64), "shape")])
    scores = g.rename(g.op("Softmax", [cls], axis=-1), "scores")
    g.rename(g.op("Gather", [scores, g.const(np.array(1, np.int64), "face")], axis=2), "face")
    box = g.op("Reshape", [g.op("Transpose", [g.conv(p, 8, 4 * a, 3, pad=1)], perm=[0, 2, 3, 1]),
                           g.const(np.array([1, -1, 4], np.int64), "shape")])
    ctr = g.op("Sigmoid", [g.op("Slice", [box, g.const(np.array([0], np.int64)), g.const(np.array([2], np.int64)),
                                          g.const(np.array([2], np.int64))])])
    idx = np.array([[[[0, i, k] for k in range(2)] for i in range(n)]], np.int64)        # [1, N, 2, 3]
    g.rename(g.op("ScatterND", [box, g.const(idx, "idx"), ctr]), "boxes")
    return g.model([("image", F, [1, 3, 16, 16])],
                   [("scores", F, [1, n, 2]), ("face", F, [1, n]), ("boxes", F, [1, n, 4])], 13, "face_head")


STREAM_KERNEL = 3


def stream_cnn() -> onnx.ModelProto:
    """A streaming 1-D CNN (PyTorch, opset 13), one frame [1, C, 1] per call: the last K - 1 frames are a
    graph input `buf` and output `bufN` (Concat the new frame, Slice the tail off), so the causal Conv1d
    sees K frames; a 1x1 Conv and Relu after it."""
    g = _G(11)
    c, k = 4, STREAM_KERNEL
    cat = g.op("Concat", ["buf", "frame"], axis=2)                                     # [1, C, K]
    g.rename(g.op("Slice", [cat, g.const(np.array([1], np.int64)), g.const(np.array([2 ** 62], np.int64)),
                            g.const(np.array([2], np.int64))]), "bufN")
    y = g.op("Relu", [g.conv(cat, c, 8, k, dims=1)])                                  # [1, 8, 1]
    g.rename(g.conv(y, 8, 2, 1, dims=1), "out")
    return g.model([("frame", F, [1, c, 1]), ("buf", F, [1, c, k - 1])],
                   [("out", F, [1, 2, 1]), ("bufN", F, [1, c, k - 1])], 13, "stream_cnn")


MODELS: dict[str, Zoo] = {
    "mnist_pytorch": Zoo(mnist_pytorch, "MNIST CNN", "PyTorch", int8=True),
    "cifar_pytorch": Zoo(cifar_pytorch, "CIFAR CNN", "PyTorch", int8=True),
    "mnist_cntk": Zoo(mnist_cntk, "MNIST CNN", "CNTK (opset 7)", int8=True),
    "cifar_cntk": Zoo(cifar_cntk, "CIFAR CNN", "CNTK (opset 8)", int8=True),
    "mlp_tf2onnx": Zoo(mlp_tf2onnx, "MLP", "tf2onnx (opset 10)"),
    "vad_silero": Zoo(vad_silero, "voice-activity detector (LSTM, streaming)", "PyTorch",
                      state=[("state", "stateN")]),
    "speech_enhance": Zoo(speech_enhance, "speech enhancement (Conv1d, GRU, mask)", "PyTorch"),
    "denoiser": Zoo(denoiser, "noise suppression (dense + GRU, streaming)", "tf2onnx",
                        state=[("h_in", "h_out")]),
    "dscnn_kws": Zoo(dscnn_kws, "wake-word detector (DS-CNN)", "PyTorch"),
    "face_head": Zoo(face_head, "face-detector head (FPN)", "PyTorch"),
    "stream_cnn": Zoo(stream_cnn, "streaming 1-D CNN", "PyTorch", state=[("buf", "bufN")]),
}

# issue 10's refusal reasons -> (the model that carries it, what to look for: ("op", type) /
# ("opset", max) / ("input", elem type) / ("bool",) a bool tensor made by a comparison and Cast)
COVERS: dict[str, tuple[str, tuple]] = {
    "Slice": ("vad_silero", ("op", "Slice")),
    "Pow": ("speech_enhance", ("op", "Pow")),
    "Sqrt": ("speech_enhance", ("op", "Sqrt")),
    "opsets 7-10": ("mnist_cntk", ("opset", 10)),
    "If constant once shapes are pinned": ("vad_silero", ("op", "If")),
    "LSTM": ("vad_silero", ("op", "LSTM")),
    "Gather on run-time data": ("face_head", ("op", "Gather")),
    "Pad mode reflect": ("dscnn_kws", ("op", "Pad")),
    "GRU": ("denoiser", ("op", "GRU")),
    "PRelu": ("dscnn_kws", ("op", "PRelu")),
    "ScatterND": ("face_head", ("op", "ScatterND")),
    "Split": ("speech_enhance", ("op", "Split")),
    "Log": ("speech_enhance", ("op", "Log")),
    "Neg": ("denoiser", ("op", "Neg")),
    "Max": ("denoiser", ("op", "Max")),
    "Exp": ("denoiser", ("op", "Exp")),
    "bool tensors from comparisons and Cast": ("vad_silero", ("op", "Greater")),
    "an int64 graph input": ("vad_silero", ("input", TensorProto.INT64)),
    # ConvTranspose: waits for branch b-conv (not merged yet)
}
# the other opsets 7-10 models: cifar_cntk (8), mlp_tf2onnx (10)


def build(name: str) -> onnx.ModelProto:
    return MODELS[name].build()


def graph_inputs(m: onnx.ModelProto) -> list:
    """The graph inputs that are not initializers (IR 3 lists the initializers among the inputs)."""
    inits = {i.name for i in m.graph.initializer}
    return [i for i in m.graph.input if i.name not in inits]


def feeds(m: onnx.ModelProto, seed: int = 0) -> dict[str, np.ndarray]:
    """Inputs for one run: float inputs standard normal, an int64 sample rate 16000."""
    rng = np.random.default_rng(seed)
    out = {}
    for i in graph_inputs(m):
        shape = [d.dim_value for d in i.type.tensor_type.shape.dim]
        if i.type.tensor_type.elem_type == TensorProto.INT64:
            out[i.name] = np.full(shape, 16000, np.int64)
        else:
            out[i.name] = rng.standard_normal(shape).astype(np.float32)
    return out
