"""CMSIS-NN v7.0.0's scratch-size rules: what the real library's *_get_buffer_size return, so that the
arena gen plans is enough for gen's portable kernels and for the real library linked instead
(GEN_USE_CMSIS_NN). The int8 families (conv_s8, fc_s8, pool_s8) call these from their scratch hook;
tests/test_int8_kernels.py and tests/test_cmsis_nn_real.py hold them against both C libraries.

Shapes are NHWC; ``stride``, ``padding`` (top, left) and ``dilation`` are ``(h, w)`` pairs or scalars.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "conv_wrapper_s8_buffer_size",
    "depthwise_conv_wrapper_s8_buffer_size",
    "fully_connected_s8_buffer_size",
    "avgpool_s8_buffer_size",
    "conv_wrapper_s8_buffer_size_mve",
    "depthwise_conv_wrapper_s8_buffer_size_mve",
]


def _pair(v):
    if np.ndim(v) == 0:
        return int(v), int(v)
    a, b = v
    return int(a), int(b)


# ---- scratch sizes (what the real library's *_get_buffer_size return on DSP cores, GCC) --------


def _im2col_bytes(c, kh, kw):
    cols = kh * kw * c
    rem = cols % 4
    aligned = cols + 4 - rem if rem else cols
    return 2 * aligned * 2


def conv_wrapper_s8_buffer_size(input_shape, filter_shape, *, stride=(1, 1), padding=(0, 0), dilation=(1, 1), safe=False, armclang=False):
    """arm_convolve_wrapper_s8_get_buffer_size (DSP build). input_shape NHWC, filter_shape [O,KH,KW,KC].

    safe=True returns what the kernel actually needs: CMSIS-NN v7.0.0 reports 0 for a grouped
    (input C != filter C) unpadded 1x1 convolution but then runs its im2col kernel, which needs
    this many bytes and a non-NULL buffer. armclang=True gives the Arm Compiler 6 build's value."""
    _, _, _, c = input_shape
    _, kh, kw, kc = filter_shape
    (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
    if ph == 0 and pw == 0 and kh == 1 and kw == 1 and dh == 1 and dw == 1:
        if safe and c != kc:
            return _im2col_bytes(c, kh, kw)
        if sh == 1 and sw == 1:
            return 2 * c * 2 if armclang else 0
        return 0
    return _im2col_bytes(c, kh, kw)


def depthwise_conv_wrapper_s8_buffer_size(input_shape, filter_shape, output_channels=None, *, padding=(0, 0), dilation=(1, 1)):
    """arm_depthwise_conv_wrapper_s8_get_buffer_size (DSP build). filter_shape [1, KH, KW, C_OUT]."""
    n, _, _, c = input_shape
    _, kh, kw, co = filter_shape
    co = co if output_channels is None else output_channels
    (ph, pw), (dh, dw) = _pair(padding), _pair(dilation)
    if c == co and n == 1 and dh == 1 and dw == 1:
        if kh == 3 and kw == 3 and ph <= 1 and pw <= 1:
            return 0
        return c * kh * kw * 2
    return 0


def fully_connected_s8_buffer_size(filter_shape=None):
    """arm_fully_connected_s8_get_buffer_size (DSP build): always 0."""
    return 0


def avgpool_s8_buffer_size(output_width, channels):
    """arm_avgpool_s8_get_buffer_size (DSP build): one int32 per channel."""
    return 4 * int(channels)


# ---- scratch sizes of the real library's Helium (MVE, Cortex-M55) build --------------------------
# gen's portable kernels need none of this; it is planned only for a library meant to link the real
# CMSIS-NN on a Helium core (python -m gen --scratch helium).

CH_IN_BLOCK_MVE = 124
ONE_IN_CH_THRESHOLD_MVE = 1     # compiler dependent in CMSIS-NN (1 or 8): the smaller asks more often


def conv_wrapper_s8_buffer_size_mve(input_shape, filter_shape, output_shape, *, stride=(1, 1), padding=(0, 0),
                                    dilation=(1, 1)):
    """arm_convolve_wrapper_s8_get_buffer_size_mve."""
    _, ih, iw, c = input_shape
    _, kh, kw, kc = filter_shape
    ow = output_shape[2]
    sw, (ph, pw), (dh, dw) = _pair(stride)[1], _pair(padding), _pair(dilation)

    def generic():
        return 4 * ((c * kw * kh + 15) // 16) * 16

    if ph == 0 and pw == 0 and kh == 1 and kw == 1 and dh == 1 and dw == 1:
        return 0
    if ih == 1 and dw == 1 and kh == 1 and (sw * c) % 4 == 0:
        total_pad = (ow - 1) * sw + kw - iw
        asym = total_pad % 2
        right = max(1, (pw + asym + sw - 1) // sw) if pw + asym else 0
        left = max(1, (pw + sw - 1) // sw) if pw else 0
        if right + max(ow - (right + left), 0) + left != ow:
            return generic()
        pad_left = pw * c
        pad_right = right * c if asym else pad_left
        n_left = kw * c
        return max(n_left + pad_left, n_left - c + pad_right)
    return generic()


def depthwise_conv_wrapper_s8_buffer_size_mve(input_shape, filter_shape, output_shape, *, stride=(1, 1),
                                              padding=(0, 0), dilation=(1, 1)):
    """arm_depthwise_conv_wrapper_s8_get_buffer_size on a Helium build. filter_shape [1, KH, KW, C_OUT]."""
    n, _, _, c = input_shape
    _, kh, kw, co = filter_shape
    (dh, dw) = _pair(dilation)
    if c == 1 and co > ONE_IN_CH_THRESHOLD_MVE:
        return conv_wrapper_s8_buffer_size_mve(input_shape, (co, kh, kw, 1), output_shape, stride=stride,
                                               padding=padding, dilation=dilation) + co * kh * kw
    if c == co and n == 1 and dh == 1 and dw == 1:
        return 4 * CH_IN_BLOCK_MVE * kw * kh
    return 0
