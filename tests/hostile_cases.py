"""Hostile inputs for `python -m gen`: each case builds its input under a scratch directory.

Shared by tests/test_hostile.py (the assertions) and tests/make_hostile_table.py (the table in
docs/hostile-inputs.md), so the documented messages are the ones gen really prints.

A case is a function `(tmp: Path) -> Case`. `argv` is what follows `python -m gen`; the output
directory is always `tmp/out` unless the case says otherwise with `out`.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = Path(__file__).resolve().parent.parent
OPSET = 13


@dataclass
class Case:
    argv: list[str]
    # error cases: every string must appear in the one stderr line (case-insensitive)
    needles: list[str] = field(default_factory=list)
    ok: bool = False                 # not an error: must compile (exit 0)
    out: str | None = None           # the -o directory, when the case sets it itself
    title: str = ""                  # short description of the input for the table


def run_gen(argv: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("GEN_CACHE_DIR", str(cwd / ".gencache"))
    return subprocess.run([sys.executable, "-m", "gen", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


# ---------------------------------------------------------------- tiny models

def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


def model(nodes, inputs, outputs, inits=(), opset=OPSET, name="g") -> onnx.ModelProto:
    g = helper.make_graph(list(nodes), name, list(inputs), list(outputs), initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def gemm_model() -> onnx.ModelProto:
    """x[1,8] -> Gemm(W[4,8], b) -> Relu -> y[1,4]: a real model with weights."""
    rng = np.random.default_rng(0)
    w = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "W")
    b = numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "B")
    return model([helper.make_node("Gemm", ["x", "W", "B"], ["h"], name="fc", transB=1),
                  helper.make_node("Relu", ["h"], ["y"], name="relu")],
                 [vi("x", [1, 8])], [vi("y", [1, 4])], [w, b])


def conv_model(batch="N") -> onnx.ModelProto:
    rng = np.random.default_rng(1)
    w = numpy_helper.from_array(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), "W")
    return model([helper.make_node("Conv", ["x", "W"], ["h"], name="conv", pads=[1, 1, 1, 1]),
                  helper.make_node("Relu", ["h"], ["y"], name="relu")],
                 [vi("x", [batch, 2, 6, 6])], [vi("y", [batch, 4, 6, 6])], [w])


def save(m: onnx.ModelProto, path: Path) -> str:
    path.write_bytes(m.SerializeToString())
    return str(path)


def _err(tmp: Path, m: onnx.ModelProto, needles, title, extra=()) -> Case:
    return Case([save(m, tmp / "model.onnx"), "-o", str(tmp / "out"), *extra], needles, title=title)


# ---------------------------------------------------------------- the cases

def missing_file(tmp):
    return Case([str(tmp / "nope.onnx"), "-o", str(tmp / "out")], ["nope.onnx", "no such file"],
                title="model path does not exist")


def directory_as_model(tmp):
    (tmp / "d.onnx").mkdir()
    return Case([str(tmp / "d.onnx"), "-o", str(tmp / "out")], ["d.onnx", "directory"],
                title="model path is a directory")


def empty_file(tmp):
    (tmp / "empty.onnx").write_bytes(b"")
    return Case([str(tmp / "empty.onnx"), "-o", str(tmp / "out")], ["empty.onnx", "empty"],
                title="empty file")


def truncated(tmp):
    data = gemm_model().SerializeToString()
    (tmp / "cut.onnx").write_bytes(data[: len(data) // 2])
    return Case([str(tmp / "cut.onnx"), "-o", str(tmp / "out")], ["cut.onnx", "not an ONNX model"],
                title="real model bytes cut in half")


def random_bytes(tmp):
    (tmp / "rand.onnx").write_bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return Case([str(tmp / "rand.onnx"), "-o", str(tmp / "out")], ["rand.onnx", "not an ONNX model"],
                title="4 KiB of random bytes")


def tensor_proto(tmp):
    t = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4), "t")
    (tmp / "tensor.onnx").write_bytes(t.SerializeToString())
    return Case([str(tmp / "tensor.onnx"), "-o", str(tmp / "out")], ["tensor.onnx", "not an ONNX model"],
                title="a serialized TensorProto")


def graph_proto(tmp):
    (tmp / "graph.onnx").write_bytes(gemm_model().graph.SerializeToString())
    return Case([str(tmp / "graph.onnx"), "-o", str(tmp / "out")], ["graph.onnx", "not an ONNX model"],
                title="a serialized GraphProto (no ModelProto around it)")


def empty_graph(tmp):
    return _err(tmp, model([], [], []), ["graph"], "a model whose graph has no nodes, inputs or outputs")


def no_nodes(tmp):
    return _err(tmp, model([], [vi("x", [1, 4])], [vi("x", [1, 4])]), ["no nodes"],
                "a graph whose output is its input (no nodes)")


def cycle(tmp):
    m = model([helper.make_node("Add", ["x", "b"], ["a"], name="add"),
               helper.make_node("Relu", ["a"], ["b"], name="relu")],
              [vi("x", [1, 4])], [vi("b", [1, 4])])
    return _err(tmp, m, ["cycle", "node '"], "a cycle (Add -> Relu -> Add)")


def undefined_input(tmp):
    m = model([helper.make_node("Relu", ["ghost"], ["y"], name="relu1")], [vi("x", [1, 4])], [vi("y", [1, 4])])
    return _err(tmp, m, ["ghost", "relu1", "never produced"], "a node input nobody produces")


def newline_in_names(tmp):
    m = model([helper.make_node("Relu", ["gh\nost"], ["y"], name="bad\nnode")], [vi("x", [1, 4])], [vi("y", [1, 4])])
    return _err(tmp, m, ["'gh\\nost'", "'bad\\nnode'"], "names holding a newline (the message stays one line)")


def non_utf8_name(tmp):
    data = gemm_model().SerializeToString()
    i = data.index(b"relu")
    (tmp / "model.onnx").write_bytes(data[:i] + b"\xffelu" + data[i + 4:])
    return Case([str(tmp / "model.onnx"), "-o", str(tmp / "out")], ["NodeProto.name", "UTF-8"],
                title="a node name that is not UTF-8")


def corrupt_initializer(tmp):
    m = gemm_model()
    w = m.graph.initializer[0]
    w.raw_data = w.raw_data[: len(w.raw_data) // 2]      # dims say [4, 8], the data holds 16 floats
    return _err(tmp, m, ["tensor name: W", "too small"], "an initializer whose data is shorter than its dims")


def duplicate_output(tmp):
    m = model([helper.make_node("Relu", ["x"], ["y"], name="first"),
               helper.make_node("Sigmoid", ["x"], ["y"], name="second")],
              [vi("x", [1, 4])], [vi("y", [1, 4])])
    return _err(tmp, m, ["'y'", "second", "twice"], "two nodes produce the same tensor")


def external_data_missing(tmp):
    m = gemm_model()
    big = numpy_helper.from_array(np.ones((4, 8), np.float32), "W")
    m.graph.initializer[0].CopyFrom(big)
    onnx.save_model(m, str(tmp / "ext.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="ext.weights", size_threshold=0)
    os.remove(tmp / "ext.weights")
    return Case([str(tmp / "ext.onnx"), "-o", str(tmp / "out")], ["ext.weights", "missing"],
                title="external data file deleted")


def unsupported_resize(tmp):
    roi = numpy_helper.from_array(np.zeros(0, np.float32), "roi")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    # antialias is supported (gen/ops/resize.py): the case refuses it with tf_crop_and_resize
    m = model([helper.make_node("Resize", ["x", "roi", "scales"], ["y"], name="upsample2x", mode="linear",
                                antialias=1, coordinate_transformation_mode="tf_crop_and_resize")],
              [vi("x", [1, 2, 4, 4])], [vi("y", [1, 2, 8, 8])], [roi, scales], opset=18)
    return _err(tmp, m, ["Resize", "upsample2x", "not supported"],
                "Resize with antialias and tf_crop_and_resize (gen crops without antialias)")


def unsupported_lstm(tmp):
    rng = np.random.default_rng(2)
    w = numpy_helper.from_array(rng.standard_normal((1, 12, 4)).astype(np.float32), "W")
    r = numpy_helper.from_array(rng.standard_normal((1, 12, 3)).astype(np.float32), "R")
    # LSTM is supported (gen/ops/rnn.py): the case refuses an activation the spec does not list
    m = model([helper.make_node("LSTM", ["x", "W", "R"], ["y"], name="lstm0", hidden_size=3,
                                activations=["Sigmoid", "Gelu", "Tanh"])],
              [vi("x", [5, 1, 4])], [vi("y", [5, 1, 1, 3])], [w, r])
    return _err(tmp, m, ["LSTM", "lstm0", "not supported"], "LSTM with an activation the spec does not list (Gelu)")


def float16_input(tmp):
    # float16, bfloat16 and float64 are supported (float32 inside, converted at the API): float8 is not
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4], TensorProto.FLOAT8E4M3FN)],
              [vi("y", [1, 4], TensorProto.FLOAT8E4M3FN)])
    return _err(tmp, m, ["'x'", "float8_e4m3fn"], "float8 graph input")


def int16_input(tmp):
    # int16 and the unsigned integers are supported (gen/ops/dtypes.py): complex64 is not
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4], TensorProto.COMPLEX64)],
              [vi("y", [1, 4], TensorProto.COMPLEX64)])
    return _err(tmp, m, ["'x'", "complex64"], "complex64 graph input")


def uint8_activation(tmp):
    s = numpy_helper.from_array(np.array(0.1, np.float32), "s")
    z = numpy_helper.from_array(np.array(128, np.uint8), "z")
    m = model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant"),
               helper.make_node("DequantizeLinear", ["q", "s", "z"], ["d"], name="dequant"),
               helper.make_node("Relu", ["d"], ["y"], name="relu")],
              [vi("x", [1, 4])], [vi("y", [1, 4])], [s, z])
    return _err(tmp, m, ["quant"], "uint8 activation (QuantizeLinear with a uint8 zero point)")


def uint8_input(tmp):
    # uint8 to uint64 are supported (gen/ops/dtypes.py): string is not
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4], TensorProto.STRING)],
              [vi("y", [1, 4], TensorProto.STRING)])
    return _err(tmp, m, ["'x'", "str"], "string graph input")


def dynamic_batch(tmp):
    return _err(tmp, conv_model("N"), ["'x'", "dynamic", "--input-shape x=1,2,6,6"],
                "symbolic batch 'N', no --input-shape")


def dynamic_batch_pinned(tmp):
    c = _err(tmp, conv_model("N"), [], "symbolic batch pinned with --input-shape x=1,2,6,6",
             ["--input-shape", "x=1,2,6,6", "--verify"])
    c.ok = True
    return c


def dynamic_inner_dim(tmp):
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, "T"])], [vi("y", [1, "T"])])
    return _err(tmp, m, ["'x'", "dynamic dimension 1", "'T'"], "symbolic non-batch dimension [1, 'T']")


def zero_size_input(tmp):
    # a zero-size input that a node reads is an empty constant (gen/frontend.py _bind_empty_inputs); one that is
    # also a graph output is not
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 0])], [vi("y", [1, 0]), vi("x", [1, 0])])
    return _err(tmp, m, ["'x'", "zero-size"], "zero-size graph input [1, 0] that is also a graph output")


def zero_size_activation(tmp):
    # a node whose outputs are all empty computes nothing (folded); one with an empty and a non-empty output is
    # refused
    s = numpy_helper.from_array(np.array([4, 0], np.int64), "s")
    m = model([helper.make_node("Split", ["x", "s"], ["a", "e"], name="to_empty", axis=1),
               helper.make_node("Relu", ["e"], ["y"], name="relu")],
              [vi("x", [1, 4])], [vi("a", [1, 4]), vi("y", [1, 0])], [s])
    return _err(tmp, m, ["zero-size"], "zero-size intermediate tensor (Split into [4, 0])")


def ram_limit(tmp):
    return _err(tmp, conv_model(1), ["arena", "--ram-limit 100"], "arena larger than --ram-limit 100",
                ["--ram-limit", "100"])


def out_is_file(tmp):
    (tmp / "afile").write_text("hello\n")
    return Case([save(gemm_model(), tmp / "model.onnx"), "-o", str(tmp / "afile")], ["afile", "not a directory"],
                out=str(tmp / "afile"), title="-o names an existing file")


def out_under_file(tmp):
    (tmp / "afile").write_text("hello\n")
    out = str(tmp / "afile" / "sub")
    return Case([save(gemm_model(), tmp / "model.onnx"), "-o", out], ["afile", "not a directory"], out=out,
                title="-o afile/sub, whose parent is a file")


def out_unwritable(tmp):
    out = "/proc/gen-hostile-out"
    return Case([save(gemm_model(), tmp / "model.onnx"), "-o", out], [out, "cannot write"], out=out,
                title="-o under /proc (not writable, even as root)")


def out_foreign_dir(tmp):
    (tmp / "out").mkdir()
    (tmp / "out" / "notes.txt").write_text("mine\n")
    return Case([save(gemm_model(), tmp / "model.onnx"), "-o", str(tmp / "out")], ["files gen did not write"],
                title="-o names a directory holding other files")


def opset_old(tmp):
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4])], [vi("y", [1, 4])], opset=6)
    return _err(tmp, m, ["opset 6", "7"], "opset 6")     # gen reads opsets 7 to onnx's newest (gen/opsets.py)


def opset_new(tmp):
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4])], [vi("y", [1, 4])],
              opset=onnx.defs.onnx_opset_version() + 1)
    m.ir_version = 11
    return _err(tmp, m, [f"opset {onnx.defs.onnx_opset_version() + 1}", "7 to"], "an opset above onnx's newest")


def bad_shape_syntax(tmp):
    return _err(tmp, conv_model("N"), ["--input-shape", "x=1,two,6,6", "integers"],
                "--input-shape x=1,two,6,6", ["--input-shape", "x=1,two,6,6"])


def bad_shape_no_eq(tmp):
    return _err(tmp, conv_model("N"), ["--input-shape", "'x'"], "--input-shape x (no '=')", ["--input-shape", "x"])


def bad_shape_name(tmp):
    return _err(tmp, conv_model("N"), ["'y'", "not a graph input"], "--input-shape for a name that is no input",
                ["--input-shape", "y=1,2,6,6"])


def missing_test_input(tmp):
    return _err(tmp, gemm_model(), ["--test-input", "missing.npy"], "--test-input file does not exist",
                ["--test-input", str(tmp / "missing.npy")])


def wrong_test_input_shape(tmp):
    np.save(tmp / "wrong.npy", np.zeros((3, 3), np.float32))
    return _err(tmp, gemm_model(), ["--test-input", "[3, 3]", "[1, 8]"], "--test-input of the wrong shape",
                ["--test-input", str(tmp / "wrong.npy")])


def bad_option_value(tmp):
    return _err(tmp, gemm_model(), ["--ram-limit", "lots"], "--ram-limit lots (not a number)", ["--ram-limit", "lots"])


def unknown_option(tmp):
    return _err(tmp, gemm_model(), ["--fast"], "an unknown option --fast", ["--fast"])


def negative_test_vectors(tmp):
    return _err(tmp, gemm_model(), ["--test-vectors"], "--test-vectors -1", ["--test-vectors", "-1"])


def c_keyword_names(tmp):
    """Names that are C keywords, non-ASCII, or clash after sanitizing: not errors, gen sanitizes them."""
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "static")
    m = model([helper.make_node("Gemm", ["int", "static"], ["for"], name="while", transB=1),
               helper.make_node("Relu", ["for"], ["données"], name="nœud/1"),
               helper.make_node("Sigmoid", ["données"], ["données_"], name="nœud_1"),
               helper.make_node("Add", ["données_", "for"], ["return"], name="*/ printf")],
              [vi("int", [1, 8])], [vi("return", [1, 4])], [w])
    c = _err(tmp, m, [], "names that are C keywords, non-ASCII, '*/'", ["--verify"])
    c.ok = True
    return c


ERROR_CASES = [missing_file, directory_as_model, empty_file, truncated, random_bytes, tensor_proto,
               graph_proto, empty_graph, no_nodes, cycle, undefined_input, newline_in_names, non_utf8_name,
               corrupt_initializer, duplicate_output, external_data_missing, unsupported_resize,
               unsupported_lstm, float16_input, int16_input, uint8_input, dynamic_batch,
               dynamic_inner_dim, zero_size_input, zero_size_activation, ram_limit, out_is_file,
               out_under_file, out_unwritable, out_foreign_dir, opset_old, opset_new, bad_shape_syntax,
               bad_shape_no_eq, bad_shape_name, missing_test_input, wrong_test_input_shape, bad_option_value,
               unknown_option, negative_test_vectors]
OK_CASES = [dynamic_batch_pinned, c_keyword_names]
# cases that fail late (after the compile): a previous output in the directory must survive them untouched
LATE = {"ram_limit", "unsupported_resize", "wrong_test_input_shape", "bad_shape_name", "duplicate_output"}


def _add_topic_cases() -> None:
    """Each tests/hostile_<topic>.py adds its own ERROR_CASES, OK_CASES and LATE (names of its late cases)."""
    import importlib
    here = Path(__file__).resolve().parent
    for path in sorted(here.glob("hostile_*.py")):
        if path.stem == "hostile_cases":
            continue
        mod = importlib.import_module(path.stem)
        ERROR_CASES.extend(getattr(mod, "ERROR_CASES", []))
        OK_CASES.extend(getattr(mod, "OK_CASES", []))
        for case in getattr(mod, "LATE", ()):
            LATE.add(case)
            globals()[case] = getattr(mod, case)


_add_topic_cases()
