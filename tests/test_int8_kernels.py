"""gen's int8 runtime (runtime_c/cmsis_nn + gen_s8.c) against the numpy oracle gen/int8ref.py,
and gen/quant.py against TFLite's documented fixed-point behaviour.

The C is built once per session with cffi. The helpers at the top (cdef extraction, CKernels)
are reused by test_cmsis_nn_real.py to drive the real CMSIS-NN library through the same API.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gen import int8ref as ref
from gen import quant
from gen.ops import cmsis_scratch

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "runtime_c"
CMSIS_PORT = RUNTIME / "cmsis_nn"
# flags for the cffi modules (cffi's generated glue is not -pedantic clean; the strict flags are
# checked by test_runtime_compiles_cleanly)
HOST_CFLAGS = ["-O2"]
STRICT_CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
ARM_CFLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]

SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# ---------------------------------------------------------------------------------------------
# cffi plumbing (shared with test_cmsis_nn_real.py)


def header_cdef(path: Path) -> str:
    """The declarations of a C header in a form cffi's cdef accepts."""
    text = path.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"#ifdef __cplusplus.*?#endif", "", text, flags=re.S)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def cmsis_cdef() -> str:
    return header_cdef(CMSIS_PORT / "gen_cmsis_nn.h")


def gen_s8_cdef() -> str:
    text = header_cdef(RUNTIME / "gen_nn.h")
    return text


def build_module(name, tmpdir, cdef, source, sources, include_dirs, extra_compile_args):
    import cffi

    ffi = cffi.FFI()
    ffi.cdef(cdef)
    ffi.set_source(
        name,
        source,
        sources=[str(s) for s in sources],
        include_dirs=[str(i) for i in include_dirs],
        extra_compile_args=list(extra_compile_args),
    )
    so = ffi.compile(tmpdir=str(tmpdir), verbose=False)
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, so)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ffi, mod.lib


def build_port(tmpdir):
    """gen's portable CMSIS-NN subset and gen_s8 kernels in one module."""
    sources = sorted(CMSIS_PORT.glob("*.c")) + [RUNTIME / "gen_s8.c"]
    return build_module(
        "_gen_int8_port",
        tmpdir,
        cmsis_cdef() + "\n" + gen_s8_cdef(),
        '#include "gen_nn.h"\n',
        sources,
        [RUNTIME, CMSIS_PORT],
        HOST_CFLAGS,
    )


def _s8(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.int8))


def _i32(a):
    return np.ascontiguousarray(np.asarray(a, dtype=np.int32))


class CKernels:
    """Calls the CMSIS-NN API (ours or the real one) with int8ref-style arguments.

    Every method returns (status, output array); status is None for void functions."""

    def __init__(self, ffi, lib):
        self.ffi = ffi
        self.lib = lib
        self._keep = []

    def _buf(self, ctype, arr):
        if len(self._keep) > 1000:  # a call never holds more than a few dozen
            del self._keep[:-100]
        self._keep.append(arr)
        return self.ffi.from_buffer(ctype, arr)

    def _dims(self, n, h, w, c):
        return self.ffi.new("cmsis_nn_dims *", {"n": n, "h": h, "w": w, "c": c})

    def _ctx(self, size):
        if size is None:
            return self.ffi.new("cmsis_nn_context *", {"buf": self.ffi.NULL, "size": 0})
        buf = self.ffi.new("int8_t[]", max(int(size), 1))
        self._keep.append(buf)
        return self.ffi.new("cmsis_nn_context *", {"buf": buf, "size": int(size)})

    def _pc_quant(self, mult, shift, n):
        m = _i32(np.broadcast_to(mult, (n,)))
        s = _i32(np.broadcast_to(shift, (n,)))
        return self.ffi.new(
            "cmsis_nn_per_channel_quant_params *",
            {"multiplier": self._buf("int32_t[]", m), "shift": self._buf("int32_t[]", s)},
        )

    # ---- convolution
    def conv_s8(self, input, filter, bias, *, input_offset, output_offset, multiplier, shift, stride=(1, 1),
                padding=(0, 0), dilation=(1, 1), act_min=-128, act_max=127, output_hw=None, ctx_size="auto",
                out_init=None):
        x, w = _s8(input), _s8(filter)
        n, h, wd, c = x.shape
        o, kh, kw, kc = w.shape
        if output_hw is None:
            output_hw = (ref.conv_output_size(h, kh, stride[0], padding[0], dilation[0]),
                         ref.conv_output_size(wd, kw, stride[1], padding[1], dilation[1]))
        oh, ow = output_hw
        params = self.ffi.new("cmsis_nn_conv_params *", {
            "input_offset": input_offset, "output_offset": output_offset,
            "stride": {"h": stride[0], "w": stride[1]}, "padding": {"h": padding[0], "w": padding[1]},
            "dilation": {"h": dilation[0], "w": dilation[1]}, "activation": {"min": act_min, "max": act_max}})
        idims, fdims = self._dims(n, h, wd, c), self._dims(o, kh, kw, kc)
        bdims, odims = self._dims(1, 1, 1, o), self._dims(n, oh, ow, o)
        size = self.lib.arm_convolve_wrapper_s8_get_buffer_size_dsp(params, idims, fdims, odims)
        if ctx_size == "auto":
            ctx_size = max(size, cmsis_scratch.conv_wrapper_s8_buffer_size(x.shape, w.shape, stride=stride, padding=padding,
                                                                 dilation=dilation, safe=True))
        out = np.zeros((n, oh, ow, o), np.int8) if out_init is None else _s8(out_init).copy()
        b = self._buf("int32_t[]", _i32(bias)) if bias is not None else self.ffi.NULL
        st_ = self.lib.arm_convolve_wrapper_s8(
            self._ctx(ctx_size), params, self._pc_quant(multiplier, shift, o), idims, self._buf("int8_t[]", x),
            fdims, self._buf("int8_t[]", w), bdims, b, odims, self.ffi.from_buffer("int8_t[]", out))
        return int(st_), out

    def conv_buffer_size(self, input_shape, filter_shape, output_hw, stride, padding, dilation, dsp=True):
        params = self.ffi.new("cmsis_nn_conv_params *", {
            "input_offset": 0, "output_offset": 0, "stride": {"h": stride[0], "w": stride[1]},
            "padding": {"h": padding[0], "w": padding[1]}, "dilation": {"h": dilation[0], "w": dilation[1]},
            "activation": {"min": -128, "max": 127}})
        n, h, w, c = input_shape
        o, kh, kw, kc = filter_shape
        f = self.lib.arm_convolve_wrapper_s8_get_buffer_size_dsp if dsp else self.lib.arm_convolve_wrapper_s8_get_buffer_size
        return int(f(params, self._dims(n, h, w, c), self._dims(o, kh, kw, kc), self._dims(n, output_hw[0], output_hw[1], o)))

    def depthwise_conv_s8(self, input, filter, bias, *, ch_mult, input_offset, output_offset, multiplier, shift,
                          stride=(1, 1), padding=(0, 0), dilation=(1, 1), act_min=-128, act_max=127, output_hw=None,
                          ctx_size="auto"):
        x, w = _s8(input), _s8(filter)
        n, h, wd, c = x.shape
        _, kh, kw, co = w.shape
        if output_hw is None:
            output_hw = (ref.conv_output_size(h, kh, stride[0], padding[0], dilation[0]),
                         ref.conv_output_size(wd, kw, stride[1], padding[1], dilation[1]))
        oh, ow = output_hw
        params = self.ffi.new("cmsis_nn_dw_conv_params *", {
            "input_offset": input_offset, "output_offset": output_offset, "ch_mult": ch_mult,
            "stride": {"h": stride[0], "w": stride[1]}, "padding": {"h": padding[0], "w": padding[1]},
            "dilation": {"h": dilation[0], "w": dilation[1]}, "activation": {"min": act_min, "max": act_max}})
        idims, fdims = self._dims(n, h, wd, c), self._dims(1, kh, kw, co)
        bdims, odims = self._dims(1, 1, 1, co), self._dims(n, oh, ow, co)
        if ctx_size == "auto":
            ctx_size = self.depthwise_buffer_size(x.shape, w.shape, output_hw, ch_mult, padding, dilation)
        out = np.zeros((n, oh, ow, co), np.int8)
        b = self._buf("int32_t[]", _i32(bias)) if bias is not None else self.ffi.NULL
        st_ = self.lib.arm_depthwise_conv_wrapper_s8(
            self._ctx(ctx_size), params, self._pc_quant(multiplier, shift, co), idims, self._buf("int8_t[]", x),
            fdims, self._buf("int8_t[]", w), bdims, b, odims, self.ffi.from_buffer("int8_t[]", out))
        return int(st_), out

    def depthwise_buffer_size(self, input_shape, filter_shape, output_hw, ch_mult, padding, dilation, dsp=True):
        params = self.ffi.new("cmsis_nn_dw_conv_params *", {
            "input_offset": 0, "output_offset": 0, "ch_mult": ch_mult, "stride": {"h": 1, "w": 1},
            "padding": {"h": padding[0], "w": padding[1]}, "dilation": {"h": dilation[0], "w": dilation[1]},
            "activation": {"min": -128, "max": 127}})
        n, h, w, c = input_shape
        _, kh, kw, co = filter_shape
        f = (self.lib.arm_depthwise_conv_wrapper_s8_get_buffer_size_dsp if dsp
             else self.lib.arm_depthwise_conv_wrapper_s8_get_buffer_size)
        return int(f(params, self._dims(n, h, w, c), self._dims(1, kh, kw, co), self._dims(n, output_hw[0], output_hw[1], co)))

    # ---- fully connected
    def fully_connected_s8(self, input, filter, bias, *, input_offset, filter_offset, output_offset, multiplier,
                           shift, act_min=-128, act_max=127):
        x, w = _s8(input), _s8(filter)
        n, d = x.shape
        o = w.shape[0]
        params = self.ffi.new("cmsis_nn_fc_params *", {
            "input_offset": input_offset, "filter_offset": filter_offset, "output_offset": output_offset,
            "activation": {"min": act_min, "max": act_max}})
        idims, fdims = self._dims(n, 1, 1, d), self._dims(d, 1, 1, o)
        bdims, odims = self._dims(1, 1, 1, o), self._dims(n, 1, 1, o)
        out = np.zeros((n, o), np.int8)
        b = self._buf("int32_t[]", _i32(bias)) if bias is not None else self.ffi.NULL
        ctx = self._ctx(self.lib.arm_fully_connected_s8_get_buffer_size_dsp(fdims))
        if np.ndim(multiplier) == 0:
            q = self.ffi.new("cmsis_nn_per_tensor_quant_params *", {"multiplier": int(multiplier), "shift": int(shift)})
            st_ = self.lib.arm_fully_connected_s8(ctx, params, q, idims, self._buf("int8_t[]", x), fdims,
                                                  self._buf("int8_t[]", w), bdims, b, odims,
                                                  self.ffi.from_buffer("int8_t[]", out))
        else:
            st_ = self.lib.arm_fully_connected_per_channel_s8(ctx, params, self._pc_quant(multiplier, shift, o), idims,
                                                              self._buf("int8_t[]", x), fdims, self._buf("int8_t[]", w),
                                                              bdims, b, odims, self.ffi.from_buffer("int8_t[]", out))
        return int(st_), out

    def vector_sum_s8(self, vector_data, lhs_offset, rhs_offset, bias=None):
        v = _s8(vector_data)
        rows, cols = v.shape
        out = np.full(rows, 12345, np.int32)
        b = self._buf("int32_t[]", _i32(bias)) if bias is not None else self.ffi.NULL
        st_ = self.lib.arm_vector_sum_s8(self.ffi.from_buffer("int32_t[]", out), cols, rows, self._buf("int8_t[]", v),
                                         lhs_offset, rhs_offset, b)
        return int(st_), out

    # ---- elementwise
    def elementwise_add_s8(self, input_1, input_2, *, input_1_offset, input_1_mult, input_1_shift, input_2_offset,
                           input_2_mult, input_2_shift, left_shift, out_offset, out_mult, out_shift,
                           out_activation_min=-128, out_activation_max=127):
        a, b = _s8(input_1), _s8(input_2)
        out = np.zeros(a.shape, np.int8)
        st_ = self.lib.arm_elementwise_add_s8(
            self._buf("int8_t[]", a), self._buf("int8_t[]", b), input_1_offset, input_1_mult, input_1_shift,
            input_2_offset, input_2_mult, input_2_shift, left_shift, self.ffi.from_buffer("int8_t[]", out),
            out_offset, out_mult, out_shift, out_activation_min, out_activation_max, a.size)
        return int(st_), out

    def elementwise_mul_s8(self, input_1, input_2, *, input_1_offset, input_2_offset, out_offset, out_mult, out_shift,
                           out_activation_min=-128, out_activation_max=127):
        a, b = _s8(input_1), _s8(input_2)
        out = np.zeros(a.shape, np.int8)
        st_ = self.lib.arm_elementwise_mul_s8(
            self._buf("int8_t[]", a), self._buf("int8_t[]", b), input_1_offset, input_2_offset,
            self.ffi.from_buffer("int8_t[]", out), out_offset, out_mult, out_shift, out_activation_min,
            out_activation_max, a.size)
        return int(st_), out

    # ---- pooling
    def _pool(self, fn, input, kernel, stride, padding, act_min, act_max, output_hw, ctx_size, out_init):
        x = _s8(input)
        n, h, w, c = x.shape
        if output_hw is None:
            output_hw = (ref.conv_output_size(h, kernel[0], stride[0], padding[0]),
                         ref.conv_output_size(w, kernel[1], stride[1], padding[1]))
        oh, ow = output_hw
        params = self.ffi.new("cmsis_nn_pool_params *", {
            "stride": {"h": stride[0], "w": stride[1]}, "padding": {"h": padding[0], "w": padding[1]},
            "activation": {"min": act_min, "max": act_max}})
        out = np.zeros((n, oh, ow, c), np.int8) if out_init is None else _s8(out_init).copy()
        st_ = fn(self._ctx(ctx_size), params, self._dims(n, h, w, c), self._buf("int8_t[]", x),
                 self._dims(1, kernel[0], kernel[1], 1), self._dims(n, oh, ow, c), self.ffi.from_buffer("int8_t[]", out))
        return int(st_), out

    def max_pool_s8(self, input, *, kernel, stride=(1, 1), padding=(0, 0), act_min=-128, act_max=127, output_hw=None,
                    out_init=None, ctx_size=0):
        return self._pool(self.lib.arm_max_pool_s8, input, kernel, stride, padding, act_min, act_max, output_hw,
                          ctx_size, out_init)

    def avgpool_s8(self, input, *, kernel, stride=(1, 1), padding=(0, 0), act_min=-128, act_max=127, output_hw=None,
                   ctx_size="auto"):
        x = _s8(input)
        if ctx_size == "auto":
            ctx_size = self.lib.arm_avgpool_s8_get_buffer_size_dsp(0, x.shape[3])
        return self._pool(self.lib.arm_avgpool_s8, input, kernel, stride, padding, act_min, act_max, output_hw,
                          ctx_size, None)

    def softmax_s8(self, input, mult, shift, diff_min):
        x = _s8(input)
        rows = x.size // x.shape[-1]
        out = np.zeros(x.shape, np.int8)
        self.lib.arm_softmax_s8(self._buf("int8_t[]", x), rows, x.shape[-1], mult, shift, diff_min,
                                self.ffi.from_buffer("int8_t[]", out))
        return None, out


# ---------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="session")
def port(tmp_path_factory):
    ffi, lib = build_port(tmp_path_factory.mktemp("gen_int8_port"))
    return ffi, lib


@pytest.fixture(scope="session")
def ck(port):
    return CKernels(*port)


# ---------------------------------------------------------------------------------------------
# strategies (shared with test_cmsis_nn_real.py)

offsets_in = st.integers(-127, 128)
offsets_out = st.integers(-128, 127)


@st.composite
def requant_pairs(draw, n=None):
    """(multiplier, shift) scalars or arrays: mostly from real scales, sometimes raw extremes."""
    size = () if n is None else (n,)
    kind = draw(st.sampled_from(["real", "real", "raw"]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if kind == "real":
        lo = draw(st.sampled_from([-14, -10, -6, -3]))
        real = np.exp2(rng.uniform(lo, 1.0, size=size))
        m, s = quant.quantize_multiplier(real if n is not None else float(real))
    else:
        m = rng.integers(2**30, 2**31, size=size)
        s = rng.integers(-31, 9, size=size)
        if n is None:
            m, s = int(m), int(s)
    return m, s


@st.composite
def act_ranges(draw):
    a = draw(st.integers(-128, 127))
    b = draw(st.integers(-128, 127))
    if draw(st.booleans()):
        return -128, 127
    return min(a, b), max(a, b)


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def _int8(rng, shape):
    return rng.integers(-128, 128, size=shape).astype(np.int8)


@st.composite
def conv_cases(draw, max_hw=8):
    """Keyword sets for ref.conv_s8 / CKernels.conv_s8 covering every wrapper path."""
    rng = _rng(draw)
    mode = draw(st.sampled_from(["generic", "1x1", "1x1_strided", "1xn", "grouped", "grouped_1x1", "uneven"]))
    n = draw(st.integers(1, 2))
    groups = draw(st.integers(2, 3)) if mode.startswith("grouped") else 1
    kc = draw(st.integers(1, 5))
    c = kc * groups
    if mode == "uneven":  # C_IN not a multiple of the filter depth: one group reading the first KC channels
        kc = draw(st.integers(2, 5))
        c = kc + draw(st.integers(1, kc - 1))
    o = groups * draw(st.integers(1, 4))
    if mode in ("1x1", "1x1_strided", "grouped_1x1"):
        kh = kw = 1
        pad = (0, 0)
        dil = (1, 1)
        stride = (1, 1) if mode != "1x1_strided" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
        pad_after = (0, 0)
    else:
        if mode == "1xn":
            h, kh = 1, 1
            c = kc = draw(st.sampled_from([1, 2, 4, 8]))
            o = draw(st.integers(1, 4))
            stride = (draw(st.integers(1, 2)), draw(st.sampled_from([s for s in (1, 2, 4) if (s * c) % 4 == 0] or [4])))
            dil = (draw(st.integers(1, 2)), 1)
        else:
            h = draw(st.integers(1, max_hw))
            kh = draw(st.integers(1, 4))
            stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
            dil = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        w = draw(st.integers(1, max_hw))
        kw = draw(st.integers(1, 4))
        keh, kew = dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1
        pad = (draw(st.integers(0, keh - 1)), draw(st.integers(0, kew - 1)))
        pad_after = (draw(st.integers(0, keh - 1)), draw(st.integers(0, kew - 1)))
    oh = ref.conv_output_size(h, kh, stride[0], pad[0], dil[0], pad_after[0])
    ow = ref.conv_output_size(w, kw, stride[1], pad[1], dil[1], pad_after[1])
    assume(oh >= 1 and ow >= 1)
    m, s = draw(requant_pairs(o))
    amin, amax = draw(act_ranges())
    bias = rng.integers(-(2**20), 2**20, size=o).astype(np.int32) if draw(st.booleans()) else None
    return dict(
        input=_int8(rng, (n, h, w, c)), filter=_int8(rng, (o, kh, kw, kc)), bias=bias,
        input_offset=draw(offsets_in), output_offset=draw(offsets_out), multiplier=m, shift=s,
        stride=stride, padding=pad, dilation=dil, act_min=amin, act_max=amax, output_hw=(oh, ow))


@st.composite
def dw_cases(draw, max_hw=8):
    rng = _rng(draw)
    mode = draw(st.sampled_from(["generic", "mult1", "3x3", "mult4"]))
    c = draw(st.integers(1, 9))
    if mode in ("mult1", "3x3"):
        n, ch_mult, dil = 1, 1, (1, 1)
    else:
        n = draw(st.integers(1, 2))
        ch_mult = draw(st.sampled_from([4, 8])) if mode == "mult4" else draw(st.integers(1, 3))
        dil = (1, 1) if mode == "mult4" else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    if mode == "3x3":
        kh = kw = 3
        pad = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
        pad_after = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    else:
        kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        keh, kew = dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1
        pad = (draw(st.integers(0, keh - 1)), draw(st.integers(0, kew - 1)))
        pad_after = (draw(st.integers(0, keh - 1)), draw(st.integers(0, kew - 1)))
    h, w = draw(st.integers(1, max_hw)), draw(st.integers(1, max_hw))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    oh = ref.conv_output_size(h, kh, stride[0], pad[0], dil[0], pad_after[0])
    ow = ref.conv_output_size(w, kw, stride[1], pad[1], dil[1], pad_after[1])
    assume(oh >= 1 and ow >= 1)
    co = c * ch_mult
    m, s = draw(requant_pairs(co))
    amin, amax = draw(act_ranges())
    bias = rng.integers(-(2**20), 2**20, size=co).astype(np.int32) if draw(st.booleans()) else None
    return dict(
        input=_int8(rng, (n, h, w, c)), filter=_int8(rng, (1, kh, kw, co)), bias=bias, ch_mult=ch_mult,
        input_offset=draw(offsets_in), output_offset=draw(offsets_out), multiplier=m, shift=s,
        stride=stride, padding=pad, dilation=dil, act_min=amin, act_max=amax, output_hw=(oh, ow))


@st.composite
def fc_cases(draw):
    rng = _rng(draw)
    n, d, o = draw(st.integers(1, 3)), draw(st.integers(1, 40)), draw(st.integers(1, 10))
    per_channel = draw(st.booleans())
    m, s = draw(requant_pairs(o if per_channel else None))
    amin, amax = draw(act_ranges())
    bias = rng.integers(-(2**20), 2**20, size=o).astype(np.int32) if draw(st.booleans()) else None
    return dict(
        input=_int8(rng, (n, d)), filter=_int8(rng, (o, d)), bias=bias, input_offset=draw(offsets_in),
        filter_offset=draw(st.sampled_from([0, 0, draw(st.integers(-127, 128))])), output_offset=draw(offsets_out),
        multiplier=m, shift=s, act_min=amin, act_max=amax)


@st.composite
def add_cases(draw):
    rng = _rng(draw)
    size = draw(st.integers(1, 70))
    if draw(st.booleans()):
        scales = [float(np.float32(np.exp2(draw(st.floats(-12, 0))))) for _ in range(3)]
        p = quant.add_params(scales[0], draw(offsets_out), scales[1], draw(offsets_out), scales[2], draw(offsets_out))
    else:
        m1, s1 = draw(requant_pairs())
        m2, s2 = draw(requant_pairs())
        mo, so = draw(requant_pairs())
        p = dict(input_1_offset=draw(offsets_in), input_1_mult=m1, input_1_shift=min(s1, 0),
                 input_2_offset=draw(offsets_in), input_2_mult=m2, input_2_shift=min(s2, 0),
                 left_shift=draw(st.integers(16, 22)), out_offset=draw(offsets_out), out_mult=mo, out_shift=so)
    amin, amax = draw(act_ranges())
    return dict(input_1=_int8(rng, size), input_2=_int8(rng, size), out_activation_min=amin,
                out_activation_max=amax, **p)


@st.composite
def mul_cases(draw):
    rng = _rng(draw)
    size = draw(st.integers(1, 70))
    mo, so = draw(requant_pairs())
    amin, amax = draw(act_ranges())
    return dict(input_1=_int8(rng, size), input_2=_int8(rng, size), input_1_offset=draw(offsets_in),
                input_2_offset=draw(offsets_in), out_offset=draw(offsets_out), out_mult=mo, out_shift=so,
                out_activation_min=amin, out_activation_max=amax)


@st.composite
def pool_cases(draw, allow_empty=False):
    rng = _rng(draw)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 9))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pmax = (kernel[0] - 1, kernel[1] - 1) if not allow_empty else (kernel[0] + 1, kernel[1] + 1)
    pad = (draw(st.integers(0, pmax[0])), draw(st.integers(0, pmax[1])))
    pad_after = (draw(st.integers(0, pmax[0])), draw(st.integers(0, pmax[1])))
    oh = ref.conv_output_size(h, kernel[0], stride[0], pad[0], 1, pad_after[0])
    ow = ref.conv_output_size(w, kernel[1], stride[1], pad[1], 1, pad_after[1])
    assume(oh >= 1 and ow >= 1)
    amin, amax = draw(act_ranges())
    return dict(input=_int8(rng, (n, h, w, c)), kernel=kernel, stride=stride, padding=pad, act_min=amin,
                act_max=amax, output_hw=(oh, ow))


@st.composite
def softmax_cases(draw, max_row=300):
    rng = _rng(draw)
    rows, row = draw(st.integers(1, 4)), draw(st.integers(1, max_row))
    if draw(st.booleans()):
        scale = float(np.float32(np.exp2(draw(st.floats(-8, 2)))))
        beta = draw(st.sampled_from([1.0, 1.0, 0.5, 2.0]))
        mult, shift, diff_min = quant.softmax_params(scale, beta)
    else:
        mult = draw(st.integers(2**30, 2**31 - 1))
        shift = draw(st.integers(0, 30))
        diff_min = -draw(st.integers(0, 300))
    lo = draw(st.integers(-128, 127))
    hi = draw(st.integers(lo, 127))
    x = rng.integers(lo, hi + 1, size=(rows, row)).astype(np.int8)
    return dict(input=x, mult=mult, shift=shift, diff_min=diff_min)


# ---------------------------------------------------------------------------------------------
# CMSIS-NN API: C port vs numpy oracle


@settings(max_examples=150, **SETTINGS)
@given(case=conv_cases())
def test_conv(ck, case):
    status, out = ck.conv_s8(**case)
    assert status == 0
    np.testing.assert_array_equal(out, ref.conv_s8(**case))


@settings(max_examples=120, **SETTINGS)
@given(case=dw_cases())
def test_depthwise_conv(ck, case):
    status, out = ck.depthwise_conv_s8(**case)
    assert status == 0
    np.testing.assert_array_equal(out, ref.depthwise_conv_s8(**case))


@settings(max_examples=100, **SETTINGS)
@given(case=fc_cases())
def test_gemm_matmul_fully_connected_kernel(ck, case):
    status, out = ck.fully_connected_s8(**case)
    assert status == 0
    np.testing.assert_array_equal(out, ref.fully_connected_s8(**case))


@settings(max_examples=50, **SETTINGS)
@given(data=st.data())
def test_gemm_matmul_vector_sum_kernel(ck, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    rows, cols = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 40))
    v = _int8(rng, (rows, cols))
    bias = rng.integers(-(2**20), 2**20, size=rows).astype(np.int32) if data.draw(st.booleans()) else None
    lhs = data.draw(st.sampled_from([0, data.draw(st.integers(-127, 128))]))
    rhs = data.draw(st.sampled_from([0, data.draw(st.integers(-127, 128))]))
    status, out = ck.vector_sum_s8(v, lhs, rhs, bias)
    assert status == 0
    np.testing.assert_array_equal(out, ref.vector_sum_s8(v, lhs, rhs, bias))


@settings(max_examples=100, **SETTINGS)
@given(case=add_cases())
def test_elementwise_add(ck, case):
    status, out = ck.elementwise_add_s8(**case)
    assert status == 0
    np.testing.assert_array_equal(out, ref.elementwise_add_s8(**case))


@settings(max_examples=100, **SETTINGS)
@given(case=mul_cases())
def test_elementwise_mul(ck, case):
    status, out = ck.elementwise_mul_s8(**case)
    assert status == 0
    np.testing.assert_array_equal(out, ref.elementwise_mul_s8(**case))


@settings(max_examples=100, **SETTINGS)
@given(case=pool_cases())
def test_maxpool_kernel(ck, case):
    status, out = ck.max_pool_s8(**case)
    assert status == 0
    np.testing.assert_array_equal(out, ref.max_pool_s8(**case))


@settings(max_examples=100, **SETTINGS)
@given(case=pool_cases())
def test_averagepool_kernel(ck, case):
    status, out = ck.avgpool_s8(**case)
    assert status == 0
    np.testing.assert_array_equal(out, ref.avgpool_s8(**case))


@settings(max_examples=40, **SETTINGS)
@given(case=pool_cases(allow_empty=True), data=st.data())
def test_maxpool_averagepool_empty_windows(ck, case, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    n, _, _, c = case["input"].shape
    init = _int8(rng, (n, *case["output_hw"], c))
    status, out = ck.max_pool_s8(**case, out_init=init)
    assert status == 0
    np.testing.assert_array_equal(out, ref.max_pool_s8(**case, out_init=init))
    try:
        expect = ref.avgpool_s8(**case)
    except ValueError:
        expect = None
    status, out = ck.avgpool_s8(**case)
    if expect is None:
        assert status == -1
    else:
        assert status == 0
        np.testing.assert_array_equal(out, expect)


@settings(max_examples=120, **SETTINGS)
@given(case=softmax_cases())
def test_softmax(ck, case):
    _, out = ck.softmax_s8(**case)
    np.testing.assert_array_equal(out, ref.softmax_s8(**case))


def test_softmax_is_a_distribution(ck):
    rng = np.random.default_rng(1)
    x = rng.integers(-128, 128, size=(50, 37)).astype(np.int8)
    scale = 0.0625
    mult, shift, diff_min = quant.softmax_params(scale)
    _, out = ck.softmax_s8(x, mult, shift, diff_min)
    p = (out.astype(np.float64) + 128) / 256
    xf = x.astype(np.float64) * scale
    e = np.exp(xf - xf.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p, e / e.sum(axis=1, keepdims=True), atol=2.5 / 256)


def test_large_softmax_row(ck):
    """All-equal rows long enough that the reference's final shift exceeds 31."""
    mult, shift, diff_min = quant.softmax_params(0.05)
    x = np.zeros((2, 1500), np.int8)
    x[1, ::2] = 5
    _, out = ck.softmax_s8(x, mult, shift, diff_min)
    np.testing.assert_array_equal(out, ref.softmax_s8(x, mult, shift, diff_min))


def test_status_codes(ck):
    """Argument checks mirror the real library's DSP build."""
    rng = np.random.default_rng(0)
    x = _int8(rng, (1, 5, 5, 4))
    base = dict(input_offset=0, output_offset=0, multiplier=2**30, shift=0)
    # generic conv without scratch buffer
    st_, _ = ck.conv_s8(x, _int8(rng, (2, 3, 3, 4)), None, ctx_size=None, **base)
    assert st_ == -1
    # pointwise conv needs none
    st_, _ = ck.conv_s8(x, _int8(rng, (2, 1, 1, 4)), None, ctx_size=None, **base)
    assert st_ == 0
    # grouped pointwise: real library reports 0 bytes but needs a buffer
    assert ck.conv_buffer_size(x.shape, (2, 1, 1, 2), (5, 5), (1, 1), (0, 0), (1, 1)) == 0
    st_, _ = ck.conv_s8(x, _int8(rng, (2, 1, 1, 2)), None, ctx_size=None, **base)
    assert st_ == -1
    # channels not divisible by groups
    st_, _ = ck.conv_s8(x, _int8(rng, (3, 3, 3, 2)), None, **base)
    assert st_ == -1
    # depthwise: the DSP kernel for ch_mult 1 needs its buffer unless 3x3
    st_, _ = ck.depthwise_conv_s8(x, _int8(rng, (1, 2, 2, 4)), None, ch_mult=1, ctx_size=None, **base)
    assert st_ == -1
    st_, _ = ck.depthwise_conv_s8(x, _int8(rng, (1, 3, 3, 4)), None, ch_mult=1, ctx_size=None, **base)
    assert st_ == 0
    st_, _ = ck.depthwise_conv_s8(x, _int8(rng, (1, 2, 2, 8)), None, ch_mult=2, ctx_size=None, **base)
    assert st_ == 0
    # avgpool needs its buffer
    st_, _ = ck.avgpool_s8(x, kernel=(2, 2), ctx_size=None)
    assert st_ == -1
    st_, _ = ck.max_pool_s8(x, kernel=(2, 2), ctx_size=None)
    assert st_ == 0


@settings(max_examples=100, **SETTINGS)
@given(case=conv_cases(), dw=dw_cases())
def test_buffer_sizes(ck, case, dw):
    x, w = case["input"], case["filter"]
    got = ck.conv_buffer_size(x.shape, w.shape, case["output_hw"], case["stride"], case["padding"], case["dilation"])
    assert got == cmsis_scratch.conv_wrapper_s8_buffer_size(x.shape, w.shape, stride=case["stride"], padding=case["padding"],
                                                  dilation=case["dilation"])
    assert got == ck.conv_buffer_size(x.shape, w.shape, case["output_hw"], case["stride"], case["padding"],
                                      case["dilation"], dsp=False)
    x, w = dw["input"], dw["filter"]
    got = ck.depthwise_buffer_size(x.shape, w.shape, dw["output_hw"], dw["ch_mult"], dw["padding"], dw["dilation"])
    assert got == cmsis_scratch.depthwise_conv_wrapper_s8_buffer_size(x.shape, w.shape, padding=dw["padding"],
                                                            dilation=dw["dilation"])
    assert ck.lib.arm_avgpool_s8_get_buffer_size(3, x.shape[3]) == cmsis_scratch.avgpool_s8_buffer_size(3, x.shape[3])
    assert ck.lib.arm_fully_connected_s8_get_buffer_size(ck._dims(5, 1, 1, 7)) == 0


def test_large_tensors_vectorized(ck):
    """The oracle must stay fast on ~100k-element tensors."""
    rng = np.random.default_rng(7)
    x = _int8(rng, (1, 64, 64, 24))
    w = _int8(rng, (24, 3, 3, 24))
    m, s = quant.quantize_multiplier(np.full(24, 0.002))
    case = dict(input=x, filter=w, bias=rng.integers(-5000, 5000, 24).astype(np.int32), input_offset=5,
                output_offset=-3, multiplier=m, shift=s, stride=(1, 1), padding=(1, 1))
    st_, out = ck.conv_s8(**case)
    assert st_ == 0
    np.testing.assert_array_equal(out, ref.conv_s8(**case))
    sm = rng.integers(-128, 128, size=(100, 1000)).astype(np.int8)
    mult, shift, diff_min = quant.softmax_params(0.1)
    np.testing.assert_array_equal(ck.softmax_s8(sm, mult, shift, diff_min)[1], ref.softmax_s8(sm, mult, shift, diff_min))


# ---------------------------------------------------------------------------------------------
# gen_s8 kernels vs numpy oracle


def _p(ffi, ctype, a):
    return ffi.from_buffer(ctype, a)


@settings(max_examples=40, **SETTINGS)
@given(data=st.data())
def test_sigmoid_tanh_hardswish_leakyrelu_lut_kernel(port, data):
    ffi, lib = port
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    table = _int8(rng, 256)
    x = _int8(rng, data.draw(st.integers(0, 600)))
    out = np.zeros_like(x)
    lib.gen_s8_lut(_p(ffi, "int8_t[]", x), _p(ffi, "int8_t[]", out), x.size, _p(ffi, "int8_t[]", table))
    np.testing.assert_array_equal(out, ref.lut(x, table))


@settings(max_examples=80, **SETTINGS)
@given(data=st.data(), rq=requant_pairs(), act=act_ranges())
def test_gen_s8_requantize(port, data, rq, act):
    ffi, lib = port
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    x = _int8(rng, data.draw(st.integers(1, 300)))
    kw = dict(input_offset=data.draw(offsets_in), mult=rq[0], shift=min(rq[1], 20), output_offset=data.draw(offsets_out),
              act_min=act[0], act_max=act[1])
    out = np.zeros_like(x)
    lib.gen_s8_requantize(_p(ffi, "int8_t[]", x), _p(ffi, "int8_t[]", out), x.size, kw["input_offset"], kw["mult"],
                          kw["shift"], kw["output_offset"], kw["act_min"], kw["act_max"])
    np.testing.assert_array_equal(out, ref.requantize_s8(x, **kw))


@settings(max_examples=80, **SETTINGS)
@given(data=st.data())
def test_quantizelinear_dequantizelinear_kernel(port, data):
    ffi, lib = port
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    scale = np.float32(np.exp2(data.draw(st.floats(-12, 3))))
    zp = data.draw(offsets_out)
    q = _int8(rng, 257)
    x = ((q.astype(np.float32) - zp) * scale).astype(np.float32)  # exact grid points
    halves = ((q.astype(np.float32) - zp + np.float32(0.5)) * scale).astype(np.float32)  # ties
    noise = (rng.normal(size=257) * 200 * scale).astype(np.float32)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e30, -1e30], np.float32)
    x = np.concatenate([x, halves, noise, special]).astype(np.float32)
    out = np.zeros(x.size, np.int8)
    lib.gen_s8_quantize_f32(_p(ffi, "float[]", x), _p(ffi, "int8_t[]", out), x.size, float(scale), zp)
    np.testing.assert_array_equal(out, ref.quantize_f32(x, scale, zp))
    back = np.zeros(q.size, np.float32)
    lib.gen_s8_dequantize_f32(_p(ffi, "int8_t[]", q), _p(ffi, "float[]", back), q.size, float(scale), zp)
    np.testing.assert_array_equal(back, ref.dequantize_f32(q, scale, zp))


def test_quantizelinear_matches_onnx_rounding(port):
    """QuantizeLinear rounds half to even and saturates."""
    ffi, lib = port
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 127.5, 128.0, -128.5, -129.0, 300.0], np.float32)
    out = np.zeros(x.size, np.int8)
    lib.gen_s8_quantize_f32(_p(ffi, "float[]", x), _p(ffi, "int8_t[]", out), x.size, 1.0, 0)
    assert out.tolist() == [0, 2, 2, 0, -2, -2, 127, 127, -128, -128, 127]


@settings(max_examples=60, **SETTINGS)
@given(data=st.data(), rq=requant_pairs(), act=act_ranges())
def test_reducemean_kernel(port, data, rq, act):
    ffi, lib = port
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    b, s, c = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 70)), data.draw(st.integers(1, 9))
    x = _int8(rng, (b, s, c))
    kw = dict(input_offset=data.draw(offsets_in), mult=rq[0], shift=min(rq[1], 8), output_offset=data.draw(offsets_out),
              act_min=act[0], act_max=act[1])
    out = np.zeros((b, c), np.int8)
    lib.gen_s8_reduce_mean(_p(ffi, "int8_t[]", x), _p(ffi, "int8_t[]", out), b, s, c, kw["input_offset"], kw["mult"],
                           kw["shift"], kw["output_offset"], kw["act_min"], kw["act_max"])
    np.testing.assert_array_equal(out, ref.reduce_mean_s8(x, **kw))


def test_reducemean_tflite_semantics():
    """Same scale in and out: the mean rounds half away from zero."""
    m, s = quant.reduce_mean_params(0.5, 0.5)
    x = np.array([[[1], [2]], [[-1], [-2]], [[1], [1]], [[2], [3]]], np.int8).reshape(4, 2, 1)
    out = ref.reduce_mean_s8(x, input_offset=0, mult=m, shift=s, output_offset=0)
    assert out.ravel().tolist() == [2, -2, 1, 3]


def _runtime_sources():
    return sorted(CMSIS_PORT.glob("*.c")) + [RUNTIME / "gen_s8.c"]


@pytest.mark.parametrize("cc", ["gcc", "arm-none-eabi-gcc"])
def test_runtime_compiles_cleanly(cc, tmp_path):
    import shutil
    import subprocess

    if shutil.which(cc) is None:
        pytest.skip(f"{cc} not installed")
    flags = STRICT_CFLAGS + (ARM_CFLAGS if cc.startswith("arm") else []) + ["-O2", f"-I{RUNTIME}", f"-I{CMSIS_PORT}"]
    for src in _runtime_sources():
        for defs in ([], ["-DGEN_USE_CMSIS_NN"]):
            if defs and src.name == "gen_s8.c":
                continue  # needs the real arm_nnfunctions.h
            obj = tmp_path / (src.stem + ".o")
            r = subprocess.run([cc, *flags, *defs, "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
            assert r.returncode == 0, f"{cc} {' '.join(defs)} {src.name}:\n{r.stderr}"
            if defs:
                nm = subprocess.run(["nm", str(obj)], capture_output=True, text=True).stdout
                assert " T " not in nm, f"{src.name} defines symbols under GEN_USE_CMSIS_NN"


def test_runtime_has_no_writable_globals(tmp_path):
    import subprocess

    for src in _runtime_sources():
        obj = tmp_path / (src.stem + ".o")
        subprocess.run(["gcc", "-std=c99", "-O2", f"-I{RUNTIME}", f"-I{CMSIS_PORT}", "-c", str(src), "-o", str(obj)],
                       check=True)
        nm = subprocess.run(["nm", str(obj)], capture_output=True, text=True).stdout
        kinds = {line.split()[-2] for line in nm.splitlines() if len(line.split()) >= 2}
        assert not kinds & {"D", "d", "B", "b", "C"}, f"{src.name} has writable data: {nm}"


# ---------------------------------------------------------------------------------------------
# gen/quant.py against TFLite's documented behaviour


@settings(max_examples=300, deadline=None)
@given(real=st.floats(min_value=2.0**-31, max_value=2.0**30, allow_nan=False))
def test_quantize_multiplier_roundtrip(real):
    m, s = quant.quantize_multiplier(real)
    assert 2**30 <= m < 2**31
    assert abs(float(quant.dequantize_multiplier(m, s)) - real) <= real * 2.0**-31
    va, vs = quant.quantize_multiplier(np.array([real, real]))
    assert va.tolist() == [m, m] and vs.tolist() == [s, s]


def test_quantize_multiplier_tflite_cases():
    assert quant.quantize_multiplier(0.0) == (0, 0)
    assert quant.quantize_multiplier(1.0) == (2**30, 1)
    assert quant.quantize_multiplier(0.5) == (2**30, 0)
    assert quant.quantize_multiplier(0.25) == (2**30, -1)
    # mantissa that rounds up to 2**31 renormalises
    assert quant.quantize_multiplier(1.0 - 2.0**-40) == (2**30, 1)
    # tiny multipliers flush to zero (shift < -31)
    assert quant.quantize_multiplier(2.0**-40) == (0, 0)
    # round half away from zero on the 31-bit mantissa
    assert quant.quantize_multiplier(0.5 + 2.0**-32) == (2**30 + 1, 0)
    with pytest.raises(ValueError):
        quant.quantize_multiplier_smaller_than_one_exp(1.5)
    with pytest.raises(ValueError):
        quant.quantize_multiplier_greater_than_one(0.5)


def test_srdhm_and_rounding_primitives():
    srdhm = quant.saturating_rounding_doubling_high_mul
    assert srdhm(quant.INT32_MIN, quant.INT32_MIN) == quant.INT32_MAX
    assert srdhm(2**30, 2**30) == 2**29
    assert srdhm(quant.INT32_MAX, quant.INT32_MAX) == quant.INT32_MAX - 1
    assert srdhm(-(2**30), 2**30) == -(2**29)
    assert srdhm(1, 2**30) == 1  # 0.5 rounds up
    assert srdhm(-1, 2**30) == 0  # -0.5 rounds up (towards +inf) as in gemmlowp
    assert srdhm(3, 2**30) == 2
    assert srdhm(-3, 2**30) == -1
    rdbp = quant.rounding_divide_by_pot
    assert [rdbp(v, 1) for v in (-3, -2, -1, 0, 1, 2, 3)] == [-2, -1, -1, 0, 1, 1, 2]  # ties away from zero
    assert rdbp(12, 0) == 12 and rdbp(-(2**31), 31) == -1 and rdbp(2**31 - 1, 31) == 1
    arr = rdbp(np.array([5, -5, 6]), np.array([1, 1, 2]))
    assert arr.tolist() == [3, -3, 2]
    mbqm = quant.multiply_by_quantized_multiplier
    assert mbqm(100, 2**30, 0) == 50
    assert mbqm(100, 2**30, 1) == 100
    assert mbqm(-101, 2**30, -1) == -25  # -25.25
    assert mbqm(-100, 2**30, -2) == -13  # -12.5 -> away from zero
    m, s = quant.quantize_multiplier(0.3)
    xs = np.arange(-5000, 5000)
    np.testing.assert_array_equal(mbqm(xs, m, s), np.array([mbqm(int(v), m, s) for v in xs]))
    # double rounding: within one unit, and more than half a unit off for some inputs
    err = np.abs(mbqm(xs, m, s) - xs * 0.3)
    assert err.max() < 1.0 and err.max() > 0.5


def test_softmax_params_tflite():
    # input scale 0.1 (float32): beta*scale*2**26 = 6710886.5 -> Q31 mantissa and left shift 23
    mult, shift, diff_min = quant.softmax_params(0.1)
    assert (shift, diff_min) == (23, -248)
    assert abs(mult * 2.0**(shift - 31) - float(np.float32(0.1)) * 2**26) < 1e-3
    # huge scales clamp the real multiplier to 2**31 - 1
    mult, shift, diff_min = quant.softmax_params(1000.0)
    assert (mult, shift, diff_min) == (2**31 - 1, 31, 0) or shift == 31


def test_add_mul_params_tflite():
    p = quant.add_params(0.5, 1, 0.25, -3, 1.0, 7)
    # twice_max = 1.0: input multipliers 0.5 and 0.25, output 1/2**20
    assert (p["input_1_mult"], p["input_1_shift"]) == (2**30, 0)
    assert (p["input_2_mult"], p["input_2_shift"]) == (2**30, -1)
    assert (p["out_mult"], p["out_shift"]) == (2**30, -19)
    assert p["left_shift"] == 20 and p["input_1_offset"] == -1 and p["input_2_offset"] == 3 and p["out_offset"] == 7
    q = quant.mul_params(0.5, 0, 0.25, 0, 0.5, 0)
    assert (q["out_mult"], q["out_shift"]) == (2**30, -1)
    # float semantics: x = (q1 + off1) * s1 + (q2 + off2) * s2
    rng = np.random.default_rng(3)
    s1, s2, so = 0.02, 0.05, 0.06
    a, b = _int8(rng, 1000), _int8(rng, 1000)
    p = quant.add_params(s1, 3, s2, -5, so, 2)
    out = ref.elementwise_add_s8(a, b, **p).astype(np.float64)
    real = ((a - 3.0) * s1 + (b + 5.0) * s2) / so + 2
    assert np.max(np.abs(out - np.clip(np.round(real), -128, 127))) <= 1


def test_activation_range():
    assert quant.activation_range(None, 0.1, 3) == (-128, 127)
    assert quant.activation_range("relu", 0.1, 3) == (3, 127)
    assert quant.activation_range("relu6", 0.05, -10) == (-10, 110)
    assert quant.activation_range("relu6", 0.01, 0) == (0, 127)
    assert quant.activation_range("clip", 0.1, 0, clip_min=-1.0, clip_max=1.0) == (-10, 10)
    assert quant.activation_range("clip", 0.1, 0, clip_min=-math.inf, clip_max=0.25) == (-128, 3)  # 2.5 -> 3


def test_conv_multipliers_per_channel():
    m, s = quant.conv_multipliers(0.5, np.array([0.01, 0.02, 0.0]), 0.25)
    assert m.tolist()[2] == 0 and s.tolist()[2] == 0
    real = quant.dequantize_multiplier(m[:2], s[:2])
    expect = np.float32(0.5).astype(np.float64) * np.array([0.01, 0.02], np.float32).astype(np.float64) / 0.25
    np.testing.assert_allclose(real, expect, rtol=2.0**-30)


def test_sigmoid_tanh_hardswish_leakyrelu_luts():
    t = quant.lut_sigmoid(0.1, 0, 1 / 256, -128)
    assert t.dtype == np.int8 and t.shape == (256,)
    assert t[128] == 0  # sigmoid(0) = 0.5 -> 128 - 128
    assert t[0] == -128 + round(256 / (1 + math.exp(12.8)))
    assert np.all(np.diff(t.astype(int)) >= 0)
    t = quant.lut_tanh(0.05, 0, 1 / 128, 0)
    assert t[128] == 0 and t[255] == 127 and t[0] == -128
    t = quant.lut_hardswish(0.1, 0, 0.1, 0)
    assert t[128 + 50] == 50 and t[128 - 50] == 0 and t[128 + 10] == round(1 * 4 / 6 * 10)
    t = quant.lut_leaky_relu(0.1, 0, 0.1, 0, alpha=0.5)
    assert t[128 - 10] == -5 and t[128 + 10] == 10
    # half to even vs half away on an exact tie: 0.5 * 1 / 1
    te = quant.build_lut(lambda x: x / 2, 1.0, 0, 1.0, 0)
    ta = quant.build_lut(lambda x: x / 2, 1.0, 0, 1.0, 0, rounding="half_away")
    assert te[128 + 1] == 0 and ta[128 + 1] == 1 and te[128 + 3] == 2 and ta[128 - 1] == -1
