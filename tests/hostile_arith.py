"""Hostile arithmetic and quantization parameters: each is refused with one line naming the node.

A kernel larger than its padded input, a stride that does not fit C's int32_t, output scales of 0, NaN
and Inf, a requantization multiplier of 2**40, an int32 bias whose accumulation overflows, NaN/Inf
float weights. (tests/test_fuzz_attrs.py draws many more; these are the table's rows.)
"""
from __future__ import annotations

import numpy as np
from hostile_cases import _err, model, vi
from onnx import TensorProto, helper, numpy_helper


def _conv(tmp, w_shape, x_shape, y_shape, title, needles, **attrs):
    w = numpy_helper.from_array(np.ones(w_shape, np.float32), "W")
    m = model([helper.make_node("Conv", ["x", "W"], ["y"], name="conv", **attrs)],
              [vi("x", x_shape)], [vi("y", y_shape)], [w])
    return _err(tmp, m, needles, title)


def kernel_larger_than_input(tmp):
    return _conv(tmp, (1, 1, 7, 7), [1, 1, 4, 4], ["a", "b", "c", "d"], "Conv kernel 7x7 on a 4x4 input with pads 1",
                 ["conv", "extent 7", "larger than the padded input (6)"], pads=[1, 1, 1, 1])


def dilated_kernel_larger_than_input(tmp):
    return _conv(tmp, (1, 1, 3, 3), [1, 1, 4, 4], ["a", "b", "c", "d"], "Conv 3x3 kernel, dilation 3, on a 4x4 input",
                 ["conv", "extent 7", "larger than the padded input (4)"], dilations=[3, 3])


def dilation_2_40(tmp):
    return _conv(tmp, (1, 1, 3, 3), [1, 1, 4, 4], ["a", "b", "c", "d"], "Conv dilation 2^40",
                 ["conv", "dilation 1099511627776", "larger than the padded input"], dilations=[2**40, 1])


def pool_window_in_padding(tmp):
    m = model([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], pads=[3, 0, 0, 0])],
              [vi("x", [1, 1, 4, 4])], [vi("y", ["a", "b", "c", "d"])])
    return _err(tmp, m, ["pool", "whole pooling window", "padding"], "MaxPool 2x2 with a top pad of 3")


def stride_2_40(tmp):
    return _conv(tmp, (1, 1, 3, 3), [1, 1, 8, 8], [1, 1, 1, 1], "Conv stride 2^40",
                 ["conv", "1099511627776", "int32"], strides=[2**40, 2**40])


def qdq_gemm(x_s=0.05, w_s=0.01, y_s=0.1, bias_q=None, w_q=None) -> "onnx.ModelProto":  # noqa: F821
    """x[1,8] -> Q -> DQ -> Gemm(DQ(W), DQ(B)) -> Q -> DQ -> y[1,4], hand-written QDQ int8."""
    rng = np.random.default_rng(0)
    wq = np.asarray(w_q if w_q is not None else rng.integers(-127, 128, (4, 8)), np.int8)
    bq = np.asarray(bias_q if bias_q is not None else rng.integers(-100, 100, 4), np.int32)
    f = lambda v, n: numpy_helper.from_array(np.asarray(v, np.float32), n)  # noqa: E731
    inits = [f(x_s, "x_s"), numpy_helper.from_array(np.int8(3), "x_zp"), numpy_helper.from_array(wq, "W_q"),
             f(w_s, "W_s"), numpy_helper.from_array(np.int8(0), "W_zp"), numpy_helper.from_array(bq, "B_q"),
             f(np.float32(x_s) * np.float32(w_s), "B_s"), numpy_helper.from_array(np.int32(0), "B_zp"),
             f(y_s, "y_s"), numpy_helper.from_array(np.int8(-5), "y_zp")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "x_s", "x_zp"], ["xq"], name="x_Q"),
             helper.make_node("DequantizeLinear", ["xq", "x_s", "x_zp"], ["xd"], name="x_DQ"),
             helper.make_node("DequantizeLinear", ["W_q", "W_s", "W_zp"], ["Wd"], name="W_DQ"),
             helper.make_node("DequantizeLinear", ["B_q", "B_s", "B_zp"], ["Bd"], name="B_DQ"),
             helper.make_node("Gemm", ["xd", "Wd", "Bd"], ["h"], name="fc", transB=1),
             helper.make_node("QuantizeLinear", ["h", "y_s", "y_zp"], ["hq"], name="y_Q"),
             helper.make_node("DequantizeLinear", ["hq", "y_s", "y_zp"], ["y"], name="y_DQ")]
    return model(nodes, [vi("x", [1, 8])], [vi("y", [1, 4])], inits)


def output_scale_zero(tmp):
    return _err(tmp, qdq_gemm(y_s=0.0), ["'y_s'", "y_DQ", "scale", "finite and positive"], "int8 Gemm, output scale 0")


def output_scale_nan(tmp):
    return _err(tmp, qdq_gemm(y_s=np.nan), ["'y_s'", "y_DQ", "scale nan", "finite and positive"],
                "int8 Gemm, output scale NaN")


def output_scale_inf(tmp):
    return _err(tmp, qdq_gemm(y_s=np.inf), ["'y_s'", "y_DQ", "scale inf", "finite and positive"],
                "int8 Gemm, output scale Inf")


def multiplier_2_40(tmp):
    y_s = float(np.float32(0.05) * np.float32(0.01)) / 2.0**40    # s_in * s_w / s_out = 2**40
    return _err(tmp, qdq_gemm(y_s=y_s), ["fc", "requantization scale", "shift"],
                "int8 Gemm, requantization multiplier s_in*s_w/s_out = 2^40")


def bias_near_int32_max(tmp):
    return _err(tmp, qdq_gemm(bias_q=[2**31 - 100, 0, 0, 0], w_q=np.full((4, 8), 127)),
                ["fc", "accumulator of output channel 0", "more than int32 holds"],
                "int8 Gemm, int32 bias 2^31 - 100 (the accumulation overflows)")


def _float_gemm(tmp, value, title):
    w = np.ones((4, 8), np.float32)
    w[1, 2] = value
    m = model([helper.make_node("Gemm", ["x", "W"], ["y"], name="fc", transB=1)], [vi("x", [1, 8])],
              [vi("y", [1, 4])], [numpy_helper.from_array(w, "W")])
    return _err(tmp, m, ["fc", "'W'", "must be finite"], title)


def nan_weight(tmp):
    return _float_gemm(tmp, np.nan, "float Gemm weight NaN")


def inf_weight(tmp):
    return _float_gemm(tmp, np.inf, "float Gemm weight Inf")


ERROR_CASES = [kernel_larger_than_input, dilated_kernel_larger_than_input, dilation_2_40, pool_window_in_padding,
               stride_2_40, output_scale_zero, output_scale_nan, output_scale_inf,
               multiplier_2_40, bias_near_int32_max, nan_weight, inf_weight]
_ = TensorProto
