"""Hostile inputs refused by the families' legalize hooks (gen.legalize): parameter shapes that ONNX
shape inference lets through but the passes and kernels rely on. Each case names the node and the
tensor, in the words the frontend used before the checks moved to the families."""
from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from hostile_cases import _err, model, vi


def _c(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def conv_bias_shape(tmp):
    w = _c("W", np.ones((4, 2, 3, 3), np.float32))
    b = _c("B", np.ones(3, np.float32))
    m = model([helper.make_node("Conv", ["x", "W", "B"], ["y"], name="cv", pads=[1, 1, 1, 1])],
              [vi("x", [1, 2, 6, 6])], [vi("y", [1, 4, 6, 6])], [w, b])
    return _err(tmp, m, ["cv", "bias 'B' has shape [3], not [4] (the output channels)"],
                "Conv bias of 3 for 4 channels")


def gemm_bias_broadcast(tmp):
    w = _c("W", np.ones((8, 4), np.float32))
    b = _c("B", np.ones((3, 4), np.float32))
    m = model([helper.make_node("Gemm", ["x", "W", "B"], ["y"], name="fc")],
              [vi("x", [2, 8])], [vi("y", [2, 4])], [w, b])
    return _err(tmp, m, ["fc", "bias 'B' has shape [3, 4], which does not broadcast to the output [2, 4]"],
                "Gemm bias [3, 4] for an output [2, 4]")


def batchnorm_param_shape(tmp):
    p = [_c(n, np.ones(k, np.float32)) for n, k in (("s", 3), ("b", 3), ("m", 3), ("v", 2))]
    m = model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn")],
              [vi("x", [1, 3, 4, 4])], [vi("y", [1, 3, 4, 4])], p)
    return _err(tmp, m, ["bn", "parameter 'v' has shape [2], not [3] (the channels)"],
                "BatchNormalization variance of 2 for 3 channels")


def batchnorm_rank1(tmp):
    p = [_c(n, np.ones(1, np.float32)) for n in "sbmv"]
    m = model([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn")],
              [vi("x", [3])], [vi("y", [3])], p)
    return _err(tmp, m, ["bn", "input 'x' has shape [3]: it needs a channel dimension"],
                "BatchNormalization of a rank-1 input")


def _qdq(scale, zp, axis=None):
    q = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="ql",
                         **({} if axis is None else {"axis": axis}))
    d = helper.make_node("DequantizeLinear", ["q", "s2", "z2"], ["y"], name="dq")
    inits = [_c("s", np.asarray(scale, np.float32)), _c("z", np.asarray(zp, np.int8)),
             _c("s2", np.float32(0.1)), _c("z2", np.int8(0))]
    return model([q, d], [vi("x", [1, 3, 4, 4])], [vi("y", [1, 3, 4, 4])], inits)


def quantize_scale_axis(tmp):
    m = _qdq(np.full(4, 0.1), np.zeros(4), axis=1)
    return _err(tmp, m, ["ql", "scale 's' has shape [4]: per-axis scales need one value per element of axis 1",
                         "[1, 3, 4, 4]"], "QuantizeLinear with 4 scales along an axis of 3")


def quantize_zero_point_shape(tmp):
    m = _qdq(np.full(3, 0.1), np.zeros(2), axis=1)
    return _err(tmp, m, ["ql", "zero point 'z' has shape [2], its scale [3]"],
                "QuantizeLinear with 3 scales and 2 zero points")


ERROR_CASES = [conv_bias_shape, gemm_bias_broadcast, batchnorm_param_shape, batchnorm_rank1,
               quantize_scale_axis, quantize_zero_point_shape]
