"""Hypothesis int8 graphs in which the overlap planner overlaps (issue 12): chains of the layers whose kernels
declare overlap rules (gen/overlap.py) — depthwise 3x3 (gen_fast_dw3x3_s8), pointwise 1x1 with channels
growing or shrinking (gen_fast_pw_s8, forward and reverse), full convolutions (gen_fast_conv_s8), residual Adds
and constant Muls (gen_fast_add_s8 / gen_fast_mul_s8) — between the layout changes at the boundary (the input
channels first -> last, the output of a "map" graph back: gen_fast_chlast_cycles_s8, and for one draw in six an
image with too many cycles to tabulate, gen_fast_chlast_inplace_s8).

Convolutions draw asymmetric pads and (the full ones) dilation 2, the rules' derivations read them.
`overlap_graphs()` draws the float model (tests/test_property_graphs.py's Builder, quantized by onnxruntime's
quantize_static like its int8 graphs); `overlapped_kernels(res)` names the kernels whose outputs share bytes
with their inputs in the compiled plan."""
from __future__ import annotations

import numpy as np
import onnx
from hypothesis import strategies as st
from onnx import TensorProto, helper

from test_property_graphs import Builder

ACTIVATIONS = ("none", "Relu", "Relu", "Clip")          # fused into the layer: the chain stays of kernels with rules
STEPS = ("dw", "dw", "pw", "pw", "conv", "residual", "mul")
BITMAP_IMAGES = (10, 12)        # c = h = w: more than MAX_LEADERS cycles (gen/ops/fast_eltwise.py: cycle_leaders)


def _act(b: Builder, y: str) -> str:
    act = b.draw(st.sampled_from(ACTIVATIONS))
    if act == "Clip":
        return b.add("Clip", [y, b.const(np.float32(0.0), "lo"), b.const(np.float32(6.0), "hi")], "clip")
    return y if act == "none" else b.add(act, [y], act.lower())


def _conv(b: Builder, x: str, c: int, m: int, k: int, stride: int, group: int, pads=None, dil: int = 1) -> str:
    """Conv k x k, c -> m channels; pads [top, left, bottom, right] (default: 'same' for stride 1)."""
    w = b.rng.standard_normal((m, c // group, k, k)).astype(np.float32) / np.sqrt(k * k * c / group)
    bias = b.rng.standard_normal(m).astype(np.float32) * 0.1
    return b.add("Conv", [x, b.const(w), b.const(bias, "b")], "conv", kernel_shape=[k, k], strides=[stride] * 2,
                 pads=list(pads or [k // 2 * dil] * 4), dilations=[dil] * 2, group=group)


@st.composite
def overlap_graphs(draw):
    """A float32 model [N, C, H, W] (N = 2 for one draw in three, without depthwise layers then) -> 2..5 steps ->
    the feature map itself ("map", NCHW, so the layout changes back at the output) or GlobalAveragePool ->
    Flatten -> Gemm ("head")."""
    b = Builder(draw, np.random.default_rng(draw(st.integers(0, 2**31 - 1))))
    n = draw(st.sampled_from([1, 1, 2]))
    shape = (n, draw(st.integers(2, 12)), draw(st.integers(5, 14)), draw(st.integers(5, 14)))
    if draw(st.integers(0, 5)) == 0:    # images with too many cycles to tabulate: gen_fast_chlast_inplace_s8
        shape = (n,) + (draw(st.sampled_from(BITMAP_IMAGES)),) * 3
    x, (_, c, h, w) = "input", shape
    for step in draw(st.lists(st.sampled_from(STEPS), min_size=2, max_size=5)):
        if n > 1 and step == "dw":      # gen's int8 depthwise convolution takes batch 1
            step = "pw"
        if step in ("dw", "conv"):      # 3 x 3, asymmetric pads; the full convolution also dilated
            stride = draw(st.sampled_from([1, 1, 2])) if min(h, w) >= 4 else 1
            dil = 1 if step == "dw" else draw(st.sampled_from([1, 1, 2]))
            span = 2 * dil + 1
            pads = [draw(st.integers(0, dil)) for _ in range(4)]
            if h + pads[0] + pads[2] < span or w + pads[1] + pads[3] < span:
                pads = [dil] * 4
            m = c if step == "dw" else draw(st.integers(1, 16))
            x = _act(b, _conv(b, x, c, m, 3, stride, c if step == "dw" else 1, pads, dil))
            c, h, w = m, (h + pads[0] + pads[2] - span) // stride + 1, (w + pads[1] + pads[3] - span) // stride + 1
        elif step == "pw":
            m = draw(st.integers(max(1, c // 3), 3 * c))
            x, c = _act(b, _conv(b, x, c, m, 1, 1, 1)), m
        elif step == "residual":          # x + branch(x): the Add may write over either input, both die there
            branch = _conv(b, x, c, c, *draw(st.sampled_from([(3, 1, c if n == 1 else 1), (1, 1, 1)])))
            x = _act(b, b.add("Add", [branch, x], "add"))
        else:
            x = b.add("Mul", [x, b.const(b.rng.uniform(0.5, 1.5, (1, c, 1, 1)).astype(np.float32), "s")], "mul")
    if draw(st.booleans()):
        out = helper.make_tensor_value_info(x, TensorProto.FLOAT, [n, c, h, w])
    else:
        f = b.add("Flatten", [b.add("GlobalAveragePool", [x], "gap")], "flat")
        ncls = draw(st.integers(2, 6))
        wf = b.rng.standard_normal((ncls, c)).astype(np.float32) / np.sqrt(c)
        y = b.add("Gemm", [f, b.const(wf), b.const(np.zeros(ncls, np.float32), "fb")], "fc", transB=1)
        out = helper.make_tensor_value_info(y, TensorProto.FLOAT, [n, ncls])
    graph = helper.make_graph(b.nodes, "ovl", [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(shape))],
                              [out], initializer=b.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def overlapped_kernels(res) -> list[str]:
    """The kernels (the C function each overlap's rule relies on) whose outputs share bytes with an input."""
    return sorted({o["loop"].split(":")[0] for o in res.summary["overlaps"]})


def pointwise_growth_model() -> onnx.ModelProto:
    """The drawn graph that the planner runs with gen_fast_pw_s8_reverse (its first layer grows 3 -> 5 channels
    over its input, walking backward), which draws reach about once in 40: [1, 3, 11, 14] -> Conv 1x1 5 + Relu ->
    Conv 1x1 1 + Relu -> GlobalAveragePool -> Flatten -> Gemm 5. The samples' explicit example."""
    import graphs
    rng = np.random.default_rng(11)
    n = graphs.node
    nodes = [n("Conv", ["input", "W1", "B1"], ["c1"]), n("Relu", ["c1"], ["r1"]),
             n("Conv", ["r1", "W2", "B2"], ["c2"]), n("Relu", ["c2"], ["r2"]),
             n("GlobalAveragePool", ["r2"], ["gap"]), n("Flatten", ["gap"], ["flat"]),
             n("Gemm", ["flat", "W3", "B3"], ["y"], transB=1)]
    inits = {"W1": rng.standard_normal((5, 3, 1, 1)).astype(np.float32) / 2, "B1": np.full(5, 0.1, np.float32),
             "W2": rng.standard_normal((1, 5, 1, 1)).astype(np.float32) / 2, "B2": np.zeros(1, np.float32),
             "W3": rng.standard_normal((5, 1)).astype(np.float32), "B3": np.zeros(5, np.float32)}
    return graphs.float_model(nodes, {"input": (1, 3, 11, 14)}, ["y"], inits, opset=14)
