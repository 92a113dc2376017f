"""Hostile resources and sizes: files that are no regular files, shapes whose element count
overflows, folding that would compute 10^12 elements or loop 10^12 times, weights over
--flash-limit. Each is refused with one line, quickly (run_gen's timeout guards a FIFO row
should gen ever block on one again)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, gemm_model, model, vi


def fifo_model(tmp: Path) -> Case:
    path = tmp / "pipe.onnx"
    os.mkfifo(path)            # no writer: opening it for reading would wait forever
    return Case([str(path), "-o", str(tmp / "out")], ["pipe.onnx", "FIFO", "not a regular file"],
                title="the model path is a FIFO with no writer")


def dev_zero_model(tmp: Path) -> Case:
    return Case(["/dev/zero", "-o", str(tmp / "out")], ["/dev/zero", "device", "not a regular file"],
                title="the model path is /dev/zero")


def fifo_test_input(tmp: Path) -> Case:
    os.mkfifo(tmp / "in.npy")
    return _err(tmp, gemm_model(), ["--test-input", "in.npy", "FIFO"], "--test-input is a FIFO with no writer",
                ["--test-input", str(tmp / "in.npy")])


def external_data_dev_zero(tmp: Path) -> Case:
    m = gemm_model()
    w = m.graph.initializer[0]
    w.ClearField("raw_data")
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    os.symlink("/dev/zero", tmp / "zero.bin")
    w.external_data.add(key="location", value="zero.bin")
    return _err(tmp, m, ["'W'", "zero.bin", "not a regular file"], "external weights in /dev/zero (a symlink)")


def huge_input_dims(tmp: Path) -> Case:
    # 2^32 * 2^32 elements: np.prod in int64 wraps this to 0
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [2**32, 2**32])],
              [vi("y", [2**32, 2**32])])
    return _err(tmp, m, ["'x'", "18,446,744,073,709,551,616 elements", "2^31 - 1"],
                "an input of [2^32, 2^32] elements (wraps to 0 in int64)")


def int32_overflow_tensor(tmp: Path) -> Case:
    m = model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 2**29])], [vi("y", [1, 2**29])])
    return _err(tmp, m, ["'x'", "2,147,483,648 bytes", "2^31 - 1"],
                "a float tensor of 2^29 elements (2^31 bytes: past int32)")


def arena_overflow(tmp: Path) -> Case:
    # three live float tensors of 2^30 bytes each: every one fits int32, the arena (3 * 2^30) does not
    m = model([helper.make_node("Relu", ["x"], ["r"], name="relu"),
               helper.make_node("Sigmoid", ["x"], ["s"], name="sig"),
               helper.make_node("Add", ["r", "s"], ["y"], name="add")],
              [vi("x", [1, 2**28])], [vi("y", [1, 2**28])])
    return _err(tmp, m, ["arena", "3,221,225,472 bytes", "2^31 - 1"], "an arena of 3 x 2^30 bytes (past int32)")


def fold_constant_of_shape(tmp: Path) -> Case:
    shape = numpy_helper.from_array(np.array([10**6, 10**6], np.int64), "s")
    m = model([helper.make_node("ConstantOfShape", ["s"], ["c"], name="zeros"),
               helper.make_node("Add", ["x", "c"], ["y"], name="add")],
              [vi("x", [10**6, 10**6])], [vi("y", [10**6, 10**6])], [shape])
    return _err(tmp, m, ["ConstantOfShape", "'zeros'", "1,000,000,000,000 elements", "--flash-limit"],
                "ConstantOfShape of 10^12 elements at generation time")


def fold_range(tmp: Path) -> Case:
    inits = [numpy_helper.from_array(np.array(v, np.int64), k) for k, v in (("a", 0), ("b", 10**12), ("d", 1))]
    m = model([helper.make_node("Range", ["a", "b", "d"], ["r"], name="range"),
               helper.make_node("Cast", ["r"], ["rf"], name="cast", to=TensorProto.FLOAT),
               helper.make_node("ReduceSum", ["rf"], ["s"], name="sum", keepdims=1),
               helper.make_node("Add", ["x", "s"], ["y"], name="add")],
              [vi("x", [1])], [vi("y", [1])], inits)
    return _err(tmp, m, ["Range", "'range'", "1,000,000,000,000 elements"], "Range of 10^12 elements")


def fold_loop(tmp: Path) -> Case:
    body = helper.make_graph([helper.make_node("Identity", ["c"], ["c_out"]),
                              helper.make_node("Add", ["v", "one"], ["v_out"])], "body",
                             [vi("i", [], TensorProto.INT64), vi("c", [], TensorProto.BOOL), vi("v", [1])],
                             [vi("c_out", [], TensorProto.BOOL), vi("v_out", [1])],
                             [numpy_helper.from_array(np.ones(1, np.float32), "one")])
    inits = [numpy_helper.from_array(np.array(10**12, np.int64), "M"),
             numpy_helper.from_array(np.array(True), "cond"), numpy_helper.from_array(np.zeros(1, np.float32), "v0")]
    m = model([helper.make_node("Loop", ["M", "cond", "v0"], ["v"], name="spin", body=body),
               helper.make_node("Add", ["x", "v"], ["y"], name="add")], [vi("x", [1])], [vi("y", [1])], inits)
    return _err(tmp, m, ["Loop", "'spin'", "4,096 gen unrolls"], "a constant Loop of 10^12 iterations")


def fold_tile(tmp: Path) -> Case:
    inits = [numpy_helper.from_array(np.ones((1, 1), np.float32), "one"),
             numpy_helper.from_array(np.array([10**6, 10**6], np.int64), "reps")]
    m = model([helper.make_node("Tile", ["one", "reps"], ["t"], name="tile"),
               helper.make_node("ReduceMax", ["t"], ["s"], name="max", keepdims=0),
               helper.make_node("Add", ["x", "s"], ["y"], name="add")],
              [vi("x", [1])], [vi("y", [1])], inits)
    return _err(tmp, m, ["Tile", "'tile'", "1,000,000,000,000 elements"], "Tile to 10^12 elements")


def flash_limit(tmp: Path) -> Case:
    return _err(tmp, gemm_model(), ["weights", "144 bytes", "--flash-limit 100"],
                "weights larger than --flash-limit 100", ["--flash-limit", "100"])


ERROR_CASES = [fifo_model, dev_zero_model, fifo_test_input, external_data_dev_zero, huge_input_dims, int32_overflow_tensor,
               arena_overflow,                fold_constant_of_shape, fold_range, fold_loop, fold_tile, flash_limit]
LATE = {"fold_constant_of_shape", "flash_limit"}
