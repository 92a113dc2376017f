"""gen's portable CMSIS-NN subset against the real CMSIS-NN v7.0.0 library.

Skipped unless CMSIS_NN_DIR points at a CMSIS-NN checkout, e.g.

    mkdir -p /tmp/cmsis-nn && cd <CMSIS-NN clone> && git --work-tree=/tmp/cmsis-nn checkout v7.0.0 -- .
    CMSIS_NN_DIR=/tmp/cmsis-nn pytest -s tests/test_cmsis_nn_real.py

Host part: both are built for the host with cffi (the real library through its plain-C
fallbacks, i.e. the Cortex-M0/M3 code paths) and driven through the same API with the same
Hypothesis cases; outputs and status codes must be identical, and our *_get_buffer_size must
equal the real library's *_get_buffer_size_dsp (the scratch a Cortex-M4/M7/M33 build needs).
Building the two modules against one cdef taken from gen_cmsis_nn.h also makes cffi check that
our struct and enum definitions have the real layout.

Target part (test_dsp_build_on_qemu, needs arm-none-eabi-gcc and qemu-system-arm): the real
library compiled for Cortex-M4F (its DSP/SIMD code paths) and our port (symbols renamed) are
linked into one bare-metal program that compares them on pseudo-random cases on an emulated
MPS2-AN386, using the boards/ startup code and linker script. GEN_QEMU_CASES sets the number of
rounds (default 2000; every round draws one case per function).

Two real-library limitations are kept out of the comparison (gen's port gives the exact result):
* a grouped convolution with a NULL bias crashes the real im2col kernel (it advances the bias
  pointer per group): grouped cases get a zero bias;
* the real 3x3 depthwise kernel (ch_mult 1, one batch, no dilation, pads <= 1) reads the middle
  kernel column unconditionally, so it is wrong when the right padding implied by the output
  width exceeds 1; such cases are skipped.
Run with -s to see how many cases each function got.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

CMSIS_NN_DIR = os.environ.get("CMSIS_NN_DIR")
pytestmark = pytest.mark.skipif(
    not CMSIS_NN_DIR or not (Path(CMSIS_NN_DIR or ".") / "Include" / "arm_nnfunctions.h").exists(),
    reason="set CMSIS_NN_DIR to a CMSIS-NN v7.0.0 checkout",
)

# the cffi helpers and Hypothesis strategies of the oracle tests
_spec = importlib.util.spec_from_file_location("_gen_int8_kernel_tests", Path(__file__).with_name("test_int8_kernels.py"))
K = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(K)

SETTINGS = dict(deadline=None, suppress_health_check=K.SETTINGS["suppress_health_check"])
COUNTS: Counter = Counter()

# Source directories of the functions gen uses (and what they call); other families are skipped.
_DIRS = ["BasicMathFunctions", "ConvolutionFunctions", "FullyConnectedFunctions", "NNSupportFunctions",
         "PoolingFunctions", "SoftmaxFunctions"]
_SKIP = ("_s4", "lstm", "svdf", "_u8", "transpose_conv", "batch_matmul")


def _wanted(name: str) -> bool:
    if any(s in name for s in _SKIP):
        return False
    return "s16" not in name or "s8_s16" in name or "s8_to_s16" in name  # s8->s16 helpers are needed


def _real_sources(root: Path):
    return [f for d in _DIRS for f in sorted((root / "Source" / d).glob("*.c")) if _wanted(f.name)]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = Path(CMSIS_NN_DIR)
    real = K.build_module(
        "_cmsis_nn_real",
        tmp_path_factory.mktemp("cmsis_nn_real"),
        K.cmsis_cdef(),
        '#include "arm_nnfunctions.h"\n',
        _real_sources(root),
        [root / "Include"],
        ["-O2"],
    )
    port = K.build_port(tmp_path_factory.mktemp("cmsis_nn_port"))
    return K.CKernels(*real), K.CKernels(*port)


def _same(name, a, b):
    (sa, oa), (sb, ob) = a, b
    assert sa == sb, f"{name}: status real={sa} ours={sb}"
    np.testing.assert_array_equal(ob, oa, err_msg=f"{name}: outputs differ")
    COUNTS[name] += 1


@settings(max_examples=400, **SETTINGS)
@given(case=K.conv_cases())
def test_conv(both, case):
    real, ours = both
    x, w = case["input"], case["filter"]
    if case["bias"] is None and x.shape[3] // w.shape[3] > 1:
        # the real im2col kernel advances the bias pointer per group: a NULL bias crashes it
        case = dict(case, bias=np.zeros(w.shape[0], np.int32))
    args = (x.shape, w.shape, case["output_hw"], case["stride"], case["padding"], case["dilation"])
    assert real.conv_buffer_size(*args, dsp=True) == ours.conv_buffer_size(*args, dsp=False)
    assert real.conv_buffer_size(*args, dsp=True) == ours.conv_buffer_size(*args, dsp=True)
    COUNTS["arm_convolve_wrapper_s8_get_buffer_size"] += 1
    _same("arm_convolve_wrapper_s8", real.conv_s8(**case), ours.conv_s8(**case))


def real_dw_3x3_reads_outside(case):
    """True when the real 3x3 depthwise kernel would be picked with a right padding > 1."""
    n, _, wd, _ = case["input"].shape
    _, kh, kw, _ = case["filter"].shape
    (_, sw), (ph, pw), (dh, dw) = case["stride"], case["padding"], case["dilation"]
    ow = case["output_hw"][1]
    fast = case["ch_mult"] == 1 and n == 1 and dh == 1 and dw == 1 and kh == 3 and kw == 3 and ph <= 1 and pw <= 1
    return fast and (ow - 1) * sw + 3 - wd - pw > 1


@settings(max_examples=400, **SETTINGS)
@given(case=K.dw_cases())
def test_depthwise_conv(both, case):
    assume(not real_dw_3x3_reads_outside(case))
    real, ours = both
    x, w = case["input"], case["filter"]
    args = (x.shape, w.shape, case["output_hw"], case["ch_mult"], case["padding"], case["dilation"])
    assert real.depthwise_buffer_size(*args, dsp=True) == ours.depthwise_buffer_size(*args, dsp=False)
    assert real.depthwise_buffer_size(*args, dsp=True) == ours.depthwise_buffer_size(*args, dsp=True)
    COUNTS["arm_depthwise_conv_wrapper_s8_get_buffer_size"] += 1
    _same("arm_depthwise_conv_wrapper_s8", real.depthwise_conv_s8(**case), ours.depthwise_conv_s8(**case))


@settings(max_examples=300, **SETTINGS)
@given(case=K.fc_cases())
def test_fully_connected(both, case):
    real, ours = both
    name = "arm_fully_connected_s8" if np.ndim(case["multiplier"]) == 0 else "arm_fully_connected_per_channel_s8"
    _same(name, real.fully_connected_s8(**case), ours.fully_connected_s8(**case))
    shape = (case["filter"].shape[1], 1, 1, case["filter"].shape[0])
    assert real.lib.arm_fully_connected_s8_get_buffer_size_dsp(real._dims(*shape)) == \
        ours.lib.arm_fully_connected_s8_get_buffer_size(ours._dims(*shape))
    COUNTS["arm_fully_connected_s8_get_buffer_size"] += 1


@settings(max_examples=150, **SETTINGS)
@given(data=st.data())
def test_vector_sum(both, data):
    real, ours = both
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    rows, cols = data.draw(st.integers(1, 12)), data.draw(st.integers(1, 70))
    v = K._int8(rng, (rows, cols))
    bias = rng.integers(-(2**20), 2**20, size=rows).astype(np.int32) if data.draw(st.booleans()) else None
    lhs = data.draw(st.sampled_from([0, data.draw(st.integers(-127, 128))]))
    rhs = data.draw(st.sampled_from([0, data.draw(st.integers(-127, 128))]))
    _same("arm_vector_sum_s8", real.vector_sum_s8(v, lhs, rhs, bias), ours.vector_sum_s8(v, lhs, rhs, bias))


@settings(max_examples=300, **SETTINGS)
@given(case=K.add_cases())
def test_elementwise_add(both, case):
    real, ours = both
    _same("arm_elementwise_add_s8", real.elementwise_add_s8(**case), ours.elementwise_add_s8(**case))


@settings(max_examples=300, **SETTINGS)
@given(case=K.mul_cases())
def test_elementwise_mul(both, case):
    real, ours = both
    _same("arm_elementwise_mul_s8", real.elementwise_mul_s8(**case), ours.elementwise_mul_s8(**case))


@settings(max_examples=300, **SETTINGS)
@given(case=K.pool_cases(allow_empty=True), data=st.data())
def test_maxpool_cmsis(both, case, data):
    real, ours = both
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    n, _, _, c = case["input"].shape
    init = K._int8(rng, (n, *case["output_hw"], c))
    _same("arm_max_pool_s8", real.max_pool_s8(**case, out_init=init), ours.max_pool_s8(**case, out_init=init))


@settings(max_examples=300, **SETTINGS)
@given(case=K.pool_cases(allow_empty=True))
def test_averagepool_cmsis(both, case):
    real, ours = both
    c = case["input"].shape[3]
    size = real.lib.arm_avgpool_s8_get_buffer_size_dsp(case["output_hw"][1], c)
    assert size == ours.lib.arm_avgpool_s8_get_buffer_size(case["output_hw"][1], c)
    COUNTS["arm_avgpool_s8_get_buffer_size"] += 1
    _same("arm_avgpool_s8", real.avgpool_s8(**case, ctx_size=size), ours.avgpool_s8(**case, ctx_size=size))


@settings(max_examples=300, **SETTINGS)
@given(case=K.softmax_cases(max_row=500))
def test_softmax(both, case):
    real, ours = both
    _same("arm_softmax_s8", real.softmax_s8(**case), ours.softmax_s8(**case))


# ---------------------------------------------------------------------------------------------
# the DSP build, on an emulated Cortex-M4F

ARM_CC = "arm-none-eabi-gcc"
ARM_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-O2", "-ffunction-sections",
             "-fdata-sections"]
BOARDS = K.ROOT / "boards"
QEMU_STARTUP = BOARDS / "firmware" / "qemu" / "startup.c"
QEMU_LDSCRIPTS = BOARDS / "platform-qemu" / "ldscripts"

DRIVER_C = r"""
/* On-target differential test: the real CMSIS-NN (DSP build) against gen's portable kernels
 * (symbols renamed port_*), on pseudo-random cases generated here. Prints per-function counts. */
#include <stdio.h>
#include <string.h>

#include "arm_nnfunctions.h"
#include "port_decls.h"

#define N_CASES GEN_N_CASES

static uint32_t rng_s = 0x12345678u;
static uint32_t rnd(void)
{
    rng_s ^= rng_s << 13;
    rng_s ^= rng_s >> 17;
    rng_s ^= rng_s << 5;
    return rng_s;
}
static int32_t ri(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }

static int8_t x_buf[6000], w_buf[6000], y_a[12000], y_b[12000];
static int32_t bias_buf[128], mult_buf[128], shift_buf[128], vs_a[128], vs_b[128];
static int32_t scratch_a[4096], scratch_b[4096];
static int failures;
static char desc[256];
static int counts[16];
static const char *names[16] = {"arm_convolve_wrapper_s8", "arm_depthwise_conv_wrapper_s8", "arm_fully_connected_s8",
                                "arm_fully_connected_per_channel_s8", "arm_vector_sum_s8", "arm_elementwise_add_s8",
                                "arm_elementwise_mul_s8", "arm_max_pool_s8", "arm_avgpool_s8", "arm_softmax_s8",
                                "arm_convolve_wrapper_s8_get_buffer_size", "arm_depthwise_conv_wrapper_s8_get_buffer_size",
                                "arm_fully_connected_s8_get_buffer_size", "arm_avgpool_s8_get_buffer_size", 0, 0};

static void fill8(int8_t *p, int n) { int i; for (i = 0; i < n; i++) p[i] = (int8_t)ri(-128, 127); }
static void requant(int n)
{
    int i;
    int raw = ri(0, 3) == 0;
    for (i = 0; i < n; i++)
    {
        mult_buf[i] = ri(1 << 30, 0x7FFFFFFF);
        shift_buf[i] = raw ? ri(-31, 8) : ri(-14, 1);
    }
}
static void acts(cmsis_nn_activation *a)
{
    int32_t p = ri(-128, 127), q = ri(-128, 127);
    if (ri(0, 1)) { a->min = -128; a->max = 127; }
    else { a->min = p < q ? p : q; a->max = p < q ? q : p; }
}
static void check(int fn, int sa, int sb, const void *a, const void *b, int bytes, const char *what)
{
    counts[fn]++;
    if (sa != sb || memcmp(a, b, (size_t)bytes) != 0)
    {
        failures++;
        if (failures < 20) printf("MISMATCH %s case %d status %d/%d %s [%s]\n", names[fn], counts[fn], sa, sb, what, desc);
    }
}
/* gen's kernels may use the scratch they report (*_get_buffer_size), no more: the bytes of
 * scratch_b past that size are filled with a canary before the call and checked after it */
static void canary_fill(int from) { memset((char *)scratch_b + from, 0xA5, sizeof scratch_b - (size_t)from); }
static void canary_check(int fn, int from)
{
    const unsigned char *p = (const unsigned char *)scratch_b;
    size_t i;
    for (i = (size_t)from; i < sizeof scratch_b; i++)
    {
        if (p[i] != 0xA5)
        {
            failures++;
            if (failures < 20) printf("SCRATCH OVERRUN %s case %d byte %d of %d reported [%s]\n", names[fn], counts[fn], (int)i, from, desc);
            return;
        }
    }
}
static int outsz(int in, int k, int s, int pb, int pa, int d)
{
    const int span = in + pb + pa - d * (k - 1) - 1;
    return span < 0 ? 0 : span / s + 1;
}

static void conv_case(void)
{
    int mode = ri(0, 8), groups = 1, kc = ri(1, 5), c, o, h, w, kh, kw, n = ri(1, 2);
    int sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0, pah = 0, paw = 0, oh, ow, sa, sb, ba, bb;
    cmsis_nn_conv_params p;
    cmsis_nn_per_channel_quant_params q = {mult_buf, shift_buf};
    cmsis_nn_dims id, fd, bd, od;
    cmsis_nn_context ca = {scratch_a, sizeof scratch_a}, cb = {scratch_b, sizeof scratch_b};
    const int32_t *bias;
    if (mode == 4 || mode == 5) groups = ri(2, 3);
    c = kc * groups;
    o = groups * ri(1, 4);
    if (mode == 6) { kc = ri(2, 5); c = kc + ri(1, kc - 1); }
    h = ri(1, 10); w = ri(1, 10);
    /* 7, 8: ungrouped with more channels, the shapes of the DSP paths (tiles, tails) */
    if (mode == 7 || mode == 8) { n = 1; c = kc = ri(0, 1) ? 4 * ri(1, 12) : ri(1, 40); o = ri(1, 11); h = ri(1, 7); w = ri(1, 7); }
    if (mode == 1 || mode == 2 || mode == 5 || mode == 7)
    {
        kh = kw = 1;
        if (mode == 2 || (mode == 7 && ri(0, 2) == 0)) { sh = ri(1, 3); sw = ri(1, 3); }
    }
    else
    {
        kh = ri(1, 4); kw = ri(1, 4); sh = ri(1, 3); sw = ri(1, 3); dh = ri(1, 3); dw = ri(1, 3);
        if (mode == 3) { h = 1; kh = 1; c = kc = 4 * ri(1, 3); o = ri(1, 6); dw = 1; }
        ph = ri(0, dh * (kh - 1)); pw = ri(0, dw * (kw - 1)); pah = ri(0, dh * (kh - 1)); paw = ri(0, dw * (kw - 1));
    }
    oh = outsz(h, kh, sh, ph, pah, dh); ow = outsz(w, kw, sw, pw, paw, dw);
    snprintf(desc, sizeof desc, "mode %d n%d h%d w%d c%d kc%d o%d k%dx%d s%d,%d d%d,%d p%d,%d pa%d,%d o%dx%d", mode, n, h, w, c, kc, o, kh, kw, sh, sw, dh, dw, ph, pw, pah, paw, oh, ow);
    if (oh < 1 || ow < 1 || n * h * w * c > 6000 || o * kh * kw * kc > 6000 || n * oh * ow * o > 12000) return;
    fill8(x_buf, n * h * w * c); fill8(w_buf, o * kh * kw * kc); requant(o);
    p.input_offset = ri(-127, 128); p.output_offset = ri(-128, 127);
    p.stride.h = sh; p.stride.w = sw; p.padding.h = ph; p.padding.w = pw; p.dilation.h = dh; p.dilation.w = dw;
    acts(&p.activation);
    id.n = n; id.h = h; id.w = w; id.c = c; fd.n = o; fd.h = kh; fd.w = kw; fd.c = kc;
    bd.n = 1; bd.h = 1; bd.w = 1; bd.c = o; od.n = n; od.h = oh; od.w = ow; od.c = o;
    { int i; for (i = 0; i < o; i++) bias_buf[i] = ri(-(1 << 20), 1 << 20); }
    bias = (groups == 1 && ri(0, 1)) ? NULL : bias_buf;
    ba = arm_convolve_wrapper_s8_get_buffer_size(&p, &id, &fd, &od);
    bb = port_arm_convolve_wrapper_s8_get_buffer_size(&p, &id, &fd, &od);
    check(10, ba, bb, "", "", 0, "size");
    if (bb < 0 || bb > (int)sizeof scratch_b) return;
    memset(y_a, 0x55, sizeof y_a); memset(y_b, 0x55, sizeof y_b);
    sa = arm_convolve_wrapper_s8(&ca, &p, &q, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_a);
    cb.size = bb;
    canary_fill(bb);
    sb = port_arm_convolve_wrapper_s8(&cb, &p, &q, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_b);
    check(0, sa, sb, y_a, y_b, n * oh * ow * o, "out");
    canary_check(0, bb);
}

static void dw_case(void)
{
    int mode = ri(0, 4), c = ri(1, 12), n = 1, m = 1, kh, kw, h = ri(1, 10), w = ri(1, 10), sh = ri(1, 3), sw = ri(1, 3);
    int dh = 1, dw = 1, ph, pw, pah, paw, oh, ow, co, sa, sb;
    cmsis_nn_dw_conv_params p;
    cmsis_nn_per_channel_quant_params q = {mult_buf, shift_buf};
    cmsis_nn_dims id, fd, bd, od;
    cmsis_nn_context ca = {scratch_a, sizeof scratch_a}, cb = {scratch_b, sizeof scratch_b};
    const int32_t *bias;
    if (mode == 0) { n = ri(1, 2); m = ri(1, 3); dh = ri(1, 3); dw = ri(1, 3); }
    if (mode == 3) { n = ri(1, 2); m = 4 * ri(1, 2); }
    if (mode == 4) { c = ri(0, 1) ? 4 * ri(1, 16) : ri(1, 64); h = ri(1, 7); w = ri(1, 7); if (ri(0, 1)) dh = dw = 2; }
    if (mode == 2) { kh = kw = 3; ph = ri(0, 1); pw = ri(0, 1); pah = ri(0, 1); paw = ri(0, 1); }
    else
    {
        kh = ri(1, 4); kw = ri(1, 4);
        ph = ri(0, dh * (kh - 1)); pw = ri(0, dw * (kw - 1)); pah = ri(0, dh * (kh - 1)); paw = ri(0, dw * (kw - 1));
    }
    co = c * m;
    oh = outsz(h, kh, sh, ph, pah, dh); ow = outsz(w, kw, sw, pw, paw, dw);
    snprintf(desc, sizeof desc, "mode %d n%d h%d w%d c%d m%d k%dx%d s%d,%d d%d,%d p%d,%d pa%d,%d o%dx%d", mode, n, h, w, c, m, kh, kw, sh, sw, dh, dw, ph, pw, pah, paw, oh, ow);
    /* the real 3x3 kernel (ch_mult 1, one batch, no dilation, pads <= 1) always reads the middle
     * kernel column: the right padding implied by the output width must be at most 1 */
    if (m == 1 && n == 1 && dh == 1 && dw == 1 && kh == 3 && kw == 3 && ph <= 1 && pw <= 1 &&
        (ow - 1) * sw + 3 - w - pw > 1)
        return;
    if (oh < 1 || ow < 1 || co > 128 || n * h * w * c > 6000 || kh * kw * co > 6000 || n * oh * ow * co > 12000) return;
    fill8(x_buf, n * h * w * c); fill8(w_buf, kh * kw * co); requant(co);
    p.input_offset = ri(-127, 128); p.output_offset = ri(-128, 127); p.ch_mult = m;
    p.stride.h = sh; p.stride.w = sw; p.padding.h = ph; p.padding.w = pw; p.dilation.h = dh; p.dilation.w = dw;
    acts(&p.activation);
    id.n = n; id.h = h; id.w = w; id.c = c; fd.n = 1; fd.h = kh; fd.w = kw; fd.c = co;
    bd.n = 1; bd.h = 1; bd.w = 1; bd.c = co; od.n = n; od.h = oh; od.w = ow; od.c = co;
    { int i; for (i = 0; i < co; i++) bias_buf[i] = ri(-(1 << 20), 1 << 20); }
    bias = ri(0, 1) ? NULL : bias_buf;
    sb = port_arm_depthwise_conv_wrapper_s8_get_buffer_size(&p, &id, &fd, &od);
    check(11, arm_depthwise_conv_wrapper_s8_get_buffer_size(&p, &id, &fd, &od), sb, "", "", 0, "size");
    if (sb < 0 || sb > (int)sizeof scratch_b) return;
    cb.size = sb;
    canary_fill(sb);
    memset(y_a, 0x55, sizeof y_a); memset(y_b, 0x55, sizeof y_b);
    sa = arm_depthwise_conv_wrapper_s8(&ca, &p, &q, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_a);
    sb = port_arm_depthwise_conv_wrapper_s8(&cb, &p, &q, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_b);
    check(1, sa, sb, y_a, y_b, n * oh * ow * co, "out");
    canary_check(1, cb.size);
}

static void fc_case(void)
{
    int n = ri(1, 3), d = ri(1, 64), o = ri(1, 32), pc = ri(0, 1), sa, sb;
    if (ri(0, 1)) { n = 1; d = ri(1, 300); o = ri(1, 6000 / d < 40 ? 6000 / d : 40); }
    snprintf(desc, sizeof desc, "fc n%d d%d o%d pc%d", n, d, o, pc);
    cmsis_nn_fc_params p;
    cmsis_nn_per_channel_quant_params q = {mult_buf, shift_buf};
    cmsis_nn_per_tensor_quant_params qt;
    cmsis_nn_dims id, fd, bd, od;
    cmsis_nn_context ca = {scratch_a, sizeof scratch_a}, cb = {scratch_b, sizeof scratch_b};
    const int32_t *bias;
    fill8(x_buf, n * d); fill8(w_buf, o * d); requant(o);
    qt.multiplier = mult_buf[0]; qt.shift = shift_buf[0];
    p.input_offset = ri(-127, 128); p.filter_offset = ri(0, 1) ? 0 : ri(-127, 128); p.output_offset = ri(-128, 127);
    acts(&p.activation);
    id.n = n; id.h = 1; id.w = 1; id.c = d; fd.n = d; fd.h = 1; fd.w = 1; fd.c = o;
    bd.n = 1; bd.h = 1; bd.w = 1; bd.c = o; od.n = n; od.h = 1; od.w = 1; od.c = o;
    { int i; for (i = 0; i < o; i++) bias_buf[i] = ri(-(1 << 20), 1 << 20); }
    bias = ri(0, 1) ? NULL : bias_buf;
    check(12, arm_fully_connected_s8_get_buffer_size(&fd), port_arm_fully_connected_s8_get_buffer_size(&fd), "", "", 0, "size");
    memset(y_a, 0x55, sizeof y_a); memset(y_b, 0x55, sizeof y_b);
    cb.size = port_arm_fully_connected_s8_get_buffer_size(&fd);
    canary_fill(cb.size);
    if (pc)
    {
        sa = arm_fully_connected_per_channel_s8(&ca, &p, &q, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_a);
        sb = port_arm_fully_connected_per_channel_s8(&cb, &p, &q, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_b);
        check(3, sa, sb, y_a, y_b, n * o, "out");
    }
    else
    {
        sa = arm_fully_connected_s8(&ca, &p, &qt, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_a);
        sb = port_arm_fully_connected_s8(&cb, &p, &qt, &id, x_buf, &fd, w_buf, &bd, bias, &od, y_b);
        check(2, sa, sb, y_a, y_b, n * o, "out");
    }
    canary_check(pc ? 3 : 2, cb.size);
}

static void vsum_case(void)
{
    int rows = ri(1, 40), cols = ri(1, 80), lhs = ri(0, 1) ? 0 : ri(-127, 128), rhs = ri(0, 1) ? 0 : ri(-127, 128), sa, sb;
    const int32_t *bias;
    fill8(w_buf, rows * cols);
    { int i; for (i = 0; i < rows; i++) bias_buf[i] = ri(-(1 << 20), 1 << 20); }
    bias = ri(0, 1) ? NULL : bias_buf;
    sa = arm_vector_sum_s8(vs_a, cols, rows, w_buf, lhs, rhs, bias);
    sb = port_arm_vector_sum_s8(vs_b, cols, rows, w_buf, lhs, rhs, bias);
    check(4, sa, sb, vs_a, vs_b, rows * 4, "out");
}

static void add_mul_case(void)
{
    int size = ri(1, 100), sa, sb;
    int32_t o1 = ri(-127, 128), o2 = ri(-127, 128), oo = ri(-128, 127);
    cmsis_nn_activation a;
    fill8(x_buf, size); fill8(w_buf, size); requant(3); acts(&a);
    if (shift_buf[0] > 0) shift_buf[0] = 0;
    if (shift_buf[1] > 0) shift_buf[1] = 0;
    {
        int32_t ls = ri(16, 22);
        sa = arm_elementwise_add_s8(x_buf, w_buf, o1, mult_buf[0], shift_buf[0], o2, mult_buf[1], shift_buf[1], ls, y_a, oo,
                                    mult_buf[2], shift_buf[2], a.min, a.max, size);
        sb = port_arm_elementwise_add_s8(x_buf, w_buf, o1, mult_buf[0], shift_buf[0], o2, mult_buf[1], shift_buf[1], ls, y_b,
                                         oo, mult_buf[2], shift_buf[2], a.min, a.max, size);
        check(5, sa, sb, y_a, y_b, size, "out");
    }
    sa = arm_elementwise_mul_s8(x_buf, w_buf, o1, o2, y_a, oo, mult_buf[2], shift_buf[2], a.min, a.max, size);
    sb = port_arm_elementwise_mul_s8(x_buf, w_buf, o1, o2, y_b, oo, mult_buf[2], shift_buf[2], a.min, a.max, size);
    check(6, sa, sb, y_a, y_b, size, "out");
}

static void pool_case(void)
{
    int n = ri(1, 2), c = ri(1, 20), h = ri(1, 10), w = ri(1, 10), kh = ri(1, 4), kw = ri(1, 4), sh = ri(1, 3), sw = ri(1, 3);
    int ph = ri(0, kh), pw = ri(0, kw), pah = ri(0, kh), paw = ri(0, kw), oh, ow, sa, sb;
    cmsis_nn_pool_params p;
    cmsis_nn_dims id, fd, od;
    cmsis_nn_context ca = {scratch_a, sizeof scratch_a}, cb = {scratch_b, sizeof scratch_b};
    oh = outsz(h, kh, sh, ph, pah, 1); ow = outsz(w, kw, sw, pw, paw, 1);
    if (oh < 1 || ow < 1 || n * oh * ow * c > 12000) return;
    fill8(x_buf, n * h * w * c);
    p.stride.h = sh; p.stride.w = sw; p.padding.h = ph; p.padding.w = pw;
    acts(&p.activation);
    id.n = n; id.h = h; id.w = w; id.c = c; fd.n = 1; fd.h = kh; fd.w = kw; fd.c = 1; od.n = n; od.h = oh; od.w = ow; od.c = c;
    fill8(y_a, n * oh * ow * c); memcpy(y_b, y_a, (size_t)(n * oh * ow * c));
    sa = arm_max_pool_s8(&ca, &p, &id, x_buf, &fd, &od, y_a);
    sb = port_arm_max_pool_s8(&cb, &p, &id, x_buf, &fd, &od, y_b);
    check(7, sa, sb, y_a, y_b, n * oh * ow * c, "out");
    check(13, arm_avgpool_s8_get_buffer_size(ow, c), port_arm_avgpool_s8_get_buffer_size(ow, c), "", "", 0, "size");
    memset(y_a, 0x55, sizeof y_a); memset(y_b, 0x55, sizeof y_b);
    sa = arm_avgpool_s8(&ca, &p, &id, x_buf, &fd, &od, y_a);
    sb = port_arm_avgpool_s8(&cb, &p, &id, x_buf, &fd, &od, y_b);
    check(8, sa, sb, y_a, y_b, n * oh * ow * c, "out");
}

static void softmax_case(void)
{
    int rows = ri(1, 4), len = ri(1, 500), lo = ri(-128, 127), hi, i;
    int32_t mult = ri(1 << 30, 0x7FFFFFFF), shift = ri(0, 28);
    int32_t diff_min = -(int32_t)((31LL << 26) >> shift);
    hi = ri(lo, 127);
    if (rows * len > 6000) return;
    for (i = 0; i < rows * len; i++) x_buf[i] = (int8_t)ri(lo, hi);
    arm_softmax_s8(x_buf, rows, len, mult, shift, diff_min, y_a);
    port_arm_softmax_s8(x_buf, rows, len, mult, shift, diff_min, y_b);
    check(9, 0, 0, y_a, y_b, rows * len, "out");
}

int main(void)
{
    int i;
    for (i = 0; i < N_CASES; i++)
    {
        conv_case();
        dw_case();
        fc_case();
        vsum_case();
        add_mul_case();
        pool_case();
        softmax_case();
    }
    for (i = 0; names[i]; i++) printf("COUNT %s %d\n", names[i], counts[i]);
    printf("FAILURES %d\n", failures);
    return failures != 0;
}
void SysTick_Handler(void) {}
"""


def _port_symbols():
    protos = re.findall(r"^(?:arm_cmsis_nn_status|int32_t|void)\s+arm_\w+\([^;]*\);", K.cmsis_cdef(), flags=re.M)
    names = [re.match(r"\S+\s+(arm_\w+)", p).group(1) for p in protos]
    decls = "\n".join(re.sub(r"\b(arm_\w+)\(", r"port_\1(", p, count=1) for p in protos)
    return names, decls


def _run(cmd):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout}\n{r.stderr}"
    return r


@pytest.mark.skipif(shutil.which(ARM_CC) is None or shutil.which("qemu-system-arm") is None
                    or not QEMU_STARTUP.exists(), reason="needs arm-none-eabi-gcc, qemu-system-arm and boards/")
def test_dsp_build_on_qemu(tmp_path):
    root = Path(CMSIS_NN_DIR)
    names, decls = _port_symbols()
    (tmp_path / "port_decls.h").write_text(decls + "\n")
    (tmp_path / "syms.txt").write_text("".join(f"{n} port_{n}\n" for n in names))
    (tmp_path / "driver.c").write_text(DRIVER_C)
    jobs = []
    for i, src in enumerate(_real_sources(root)):
        jobs.append([ARM_CC, *ARM_FLAGS, f"-I{root / 'Include'}", "-c", src, "-o", tmp_path / f"real_{i}.o"])
    for src in sorted(K.CMSIS_PORT.glob("*.c")):
        jobs.append([ARM_CC, *ARM_FLAGS, "-std=c99", "-c", src, "-o", tmp_path / f"port_{src.stem}.o"])
    rounds = int(os.environ.get("GEN_QEMU_CASES", "2000"))
    jobs.append([ARM_CC, *ARM_FLAGS, "-std=gnu11", f"-I{root / 'Include'}", f"-I{tmp_path}", f"-DGEN_N_CASES={rounds}",
                 "-c", tmp_path / "driver.c", "-o", tmp_path / "driver.o"])
    jobs.append([ARM_CC, *ARM_FLAGS, f"-I{QEMU_STARTUP.parent}", "-c", QEMU_STARTUP, "-o", tmp_path / "startup.o"])
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        list(ex.map(_run, jobs))
    for obj in tmp_path.glob("port_*.o"):
        _run(["arm-none-eabi-objcopy", f"--redefine-syms={tmp_path / 'syms.txt'}", obj])
    elf = tmp_path / "test.elf"
    _run([ARM_CC, *ARM_FLAGS, "--specs=rdimon.specs", "-nostartfiles", "-Wl,--gc-sections", f"-L{QEMU_LDSCRIPTS}",
          "-T", "mps2-an386.ld", *sorted(tmp_path.glob("*.o")), "-lm", "-o", elf])
    r = subprocess.run(["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
                        "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    print("\nreal CMSIS-NN v7.0.0 (Cortex-M4 DSP build, QEMU) vs gen portable:\n" + r.stdout)
    assert "FAILURES 0" in r.stdout and r.returncode == 0, r.stdout + r.stderr
    counts = dict(re.findall(r"COUNT (\w+) (\d+)", r.stdout))
    assert len(counts) == 14 and all(int(v) > 0 for v in counts.values())


def test_summary():
    """Prints the number of compared cases per function (run pytest with -s)."""
    print("\nreal CMSIS-NN v7.0.0 vs gen portable, identical cases per function:")
    for name in sorted(COUNTS):
        print(f"  {name:48s} {COUNTS[name]:5d}")
    if COUNTS:
        assert all(v > 0 for v in COUNTS.values())
