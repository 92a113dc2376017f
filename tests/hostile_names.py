"""Hostile names: model text that would splice or end a C comment, names of gen's own files and helpers,
very long names. See tests/test_names.py for the fuzz and the every-code-point test of the escaping."""
from __future__ import annotations

import numpy as np
from hostile_cases import Case, _err, gemm_model, model, save, vi
from onnx import helper, numpy_helper

SPLICE = ["x\\", "y??/", "*/ int evil; /*", "n\r", "z\\\r\n", "q\x00", "'\"", "??=define", "a*\\\n/ int b; /*"]


def splice_names(tmp):
    """Every name holds a line splice, a trigraph, a comment end, CR, NUL, quotes: compiles, verifies."""
    rng = np.random.default_rng(4)
    w = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), SPLICE[0])
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), SPLICE[1])
    m = model([helper.make_node("Gemm", [SPLICE[2], SPLICE[0], SPLICE[1]], [SPLICE[3]], name=SPLICE[4], transB=1),
               helper.make_node("Relu", [SPLICE[3]], [SPLICE[5]], name=SPLICE[6]),
               helper.make_node("Sigmoid", [SPLICE[5]], [SPLICE[7]], name=SPLICE[8])],
              [vi(SPLICE[2], [1, 8])], [vi(SPLICE[7], [1, 4])], [w, b], name="g\\\n#error injected")
    path = tmp / "ev*il\\??.onnx"
    c = Case([save(m, path), "-o", str(tmp / "out"), "--verify"], [], ok=True,
             title="names ending in a backslash or holding ??/, */, CR, NUL (escaped into comments)")
    return c


def runtime_file_name(tmp):
    """A float model saved as gen_f32.onnx: the runtime's gen_f32.h stays gen's, the library is m_gen_f32."""
    c = Case([save(gemm_model(), tmp / "gen_f32.onnx"), "-o", str(tmp / "out"), "--verify"], [], ok=True,
             title="a model file named like a runtime file (gen_f32.onnx): prefix m_gen_f32")
    return c


def long_file_name(tmp):
    c = Case([save(gemm_model(), tmp / ("n" * 250 + ".onnx")), "-o", str(tmp / "out"), "--verify"], [], ok=True,
             title="a 250-character model file name: the prefix is cut to 40 with a hash")
    return c


def name_runtime_file(tmp):
    return _err(tmp, gemm_model(), ["--name 'gen_testvec'", "gen_ namespace"], "--name gen_testvec (gen's own file)",
                ["--name", "gen_testvec"])


def name_cmsis_helper(tmp):
    return _err(tmp, gemm_model(), ["--name", "arm_ namespace"], "--name arm_convolve_s8 (a runtime helper)",
                ["--name", "arm_convolve_s8"])


def name_libc_header(tmp):
    return _err(tmp, gemm_model(), ["--name", "math.h", "<math.h>"], "--name math (would shadow <math.h>)",
                ["--name", "math"])


def name_too_long(tmp):
    return _err(tmp, gemm_model(), ["--name", "300 characters", "at most 40"], "a 300-character --name",
                ["--name", "k" * 300])


OK_CASES = [splice_names, runtime_file_name, long_file_name]
ERROR_CASES = [name_runtime_file, name_cmsis_helper, name_libc_header, name_too_long]
