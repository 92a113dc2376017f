"""Parameters that arrive as graph inputs and that the static shapes determine (gen/rtparams.py):
Reshape's shape, Squeeze/Unsqueeze axes, Resize's sizes. Each is compiled with the value the shapes
determine; the C checks at run time that the input gives the same result. Against onnxruntime with
values the compiled model computes (every form that gives the output shape: 0, -1, negative axes), and
with values it cannot (the run returns -1 and leaves the outputs untouched)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from onnx import TensorProto, helper

from graphs import assert_close, gen_compile, ort_run

SENTINEL = np.float32(-12345.0)


def _model(op, x_shape, p_name, p_len, y_shape, opset=13, inputs=None, **attrs):
    ins = inputs or ["x", p_name]
    node = helper.make_node(op, ins, ["y"], **attrs)
    vis = [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape)),
           helper.make_tensor_value_info(p_name, TensorProto.INT64, [p_len])]
    g = helper.make_graph([node], "g", vis, [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(y_shape))])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


class Compiled:
    """A model compiled once with gen, run through its C entry point directly (status and untouched
    outputs visible)."""

    def __init__(self, model):
        from gen.host import HostModel
        self.res = gen_compile(model)
        self.host = HostModel(self.res.files)

    def run(self, feeds):
        h = self.host
        ins = [np.ascontiguousarray(np.asarray(feeds[t["name"]]).reshape(-1)) for t in h.inputs]
        outs = [np.full(t["size"], SENTINEL, np.dtype(t.get("dtype", "float32"))) for t in h.outputs]
        from gen.host import CT
        ptrs = [h.ffi.from_buffer(CT[a.dtype.name] + "[]", a) for a in ins + outs]
        rc = getattr(h.lib, "m_run")(*ptrs)
        return rc, [o.reshape(t["shape"]) for o, t in zip(outs, h.outputs)]


def _accepts(c: Compiled, model, feeds):
    rc, got = c.run(feeds)
    assert rc == 0, feeds
    assert_close(got[0], ort_run(model, feeds)[0])


def _refuses(c: Compiled, feeds):
    rc, got = c.run(feeds)
    assert rc == -1, feeds
    assert np.all(got[0] == SENTINEL), "the outputs must be untouched when a parameter check fails"


@st.composite
def _reshapes(draw):
    dims = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    n = math.prod(dims)
    out = list(dims)
    draw(st.randoms()).shuffle(out)
    if draw(st.booleans()):
        out = [n // out[-1], out[-1]] if len(out) > 1 else [n]
    return dims, out


@settings(max_examples=12)
@given(_reshapes(), st.data())
def test_reshape_shape_as_graph_input(shapes, data):
    x_shape, y_shape = shapes
    m = _model("Reshape", x_shape, "shape", len(y_shape), y_shape, opset=14)
    c = Compiled(m)
    x = np.random.default_rng(0).standard_normal(x_shape).astype(np.float32)
    exact = np.asarray(y_shape, np.int64)
    _accepts(c, m, {"x": x, "shape": exact})
    # the other forms of the same shape: -1 for one dim, 0 where the input's dim is the same
    k = data.draw(st.integers(0, len(y_shape) - 1))
    minus = exact.copy()
    minus[k] = -1
    _accepts(c, m, {"x": x, "shape": minus})
    zero = np.asarray([0 if i < len(x_shape) and x_shape[i] == d else d for i, d in enumerate(y_shape)], np.int64)
    _accepts(c, m, {"x": x, "shape": zero})
    # values the compiled model cannot compute: two -1, another dim, a negative dim
    if len(y_shape) > 1:
        two = exact.copy()
        two[:2] = -1
        _refuses(c, {"x": x, "shape": two})
        if y_shape[0] != y_shape[1]:
            _refuses(c, {"x": x, "shape": np.concatenate([exact[1::-1], exact[2:]])})
    bad = exact.copy()
    bad[k] = exact[k] + 1
    _refuses(c, {"x": x, "shape": bad})
    bad[k] = -2
    _refuses(c, {"x": x, "shape": bad})


def test_reshape_allowzero_checks_zero_as_a_dim():
    """allowzero=1: a 0 in the shape is a zero dim, not a copy: refused at run time."""
    m = _model("Reshape", [2, 3], "shape", 2, [2, 3], opset=14, allowzero=1)
    c = Compiled(m)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    _accepts(c, m, {"x": x, "shape": np.asarray([2, -1], np.int64)})
    _refuses(c, {"x": x, "shape": np.asarray([0, 3], np.int64)})


@pytest.mark.parametrize("x_shape, axes", [([1, 3, 1, 2], [0, 2]), ([3, 1, 1], [-1]), ([1, 1, 4], [1])])
def test_squeeze_axes_as_graph_input(x_shape, axes):
    y_shape = [d for i, d in enumerate(x_shape) if i not in [a % len(x_shape) for a in axes]]
    m = _model("Squeeze", x_shape, "axes", len(axes), y_shape)
    c = Compiled(m)
    x = np.random.default_rng(1).standard_normal(x_shape).astype(np.float32)
    _accepts(c, m, {"x": x, "axes": np.asarray(axes, np.int64)})
    neg = [a - len(x_shape) if a >= 0 else a + len(x_shape) for a in axes]     # the same axes counted the other way
    _accepts(c, m, {"x": x, "axes": np.asarray(neg, np.int64)})
    non_unit = [i for i, d in enumerate(x_shape) if d != 1][0]
    _refuses(c, {"x": x, "axes": np.asarray([non_unit] + axes[1:], np.int64)})
    _refuses(c, {"x": x, "axes": np.asarray([len(x_shape)] + axes[1:], np.int64)})
    if len(axes) > 1:
        _refuses(c, {"x": x, "axes": np.asarray([axes[0]] * len(axes), np.int64)})


@pytest.mark.parametrize("x_shape, axes", [([3, 2], [0, 3]), ([4], [-1]), ([2, 3], [1])])
def test_unsqueeze_axes_as_graph_input(x_shape, axes):
    r = len(x_shape) + len(axes)
    y_shape = list(x_shape)
    for a in sorted(a % r for a in axes):
        y_shape.insert(a, 1)
    m = _model("Unsqueeze", x_shape, "axes", len(axes), y_shape)
    c = Compiled(m)
    x = np.random.default_rng(2).standard_normal(x_shape).astype(np.float32)
    _accepts(c, m, {"x": x, "axes": np.asarray(axes, np.int64)})
    _accepts(c, m, {"x": x, "axes": np.asarray([a - r if a >= 0 else a + r for a in axes], np.int64)})
    other = [i for i in range(r) if y_shape[i] != 1][0]
    _refuses(c, {"x": x, "axes": np.asarray([other] + axes[1:], np.int64)})
    _refuses(c, {"x": x, "axes": np.asarray([r] + axes[1:], np.int64)})


@pytest.mark.parametrize("mode", ["nearest", "linear"])
def test_resize_sizes_as_graph_input(mode):
    x_shape, sizes = [1, 2, 3, 4], [1, 2, 5, 7]
    m = _model("Resize", x_shape, "sizes", 4, sizes, inputs=["x", "", "", "sizes"], mode=mode)
    c = Compiled(m)
    x = np.random.default_rng(3).standard_normal(x_shape).astype(np.float32)
    _accepts(c, m, {"x": x, "sizes": np.asarray(sizes, np.int64)})
    _refuses(c, {"x": x, "sizes": np.asarray([1, 2, 7, 5], np.int64)})


def test_resize_roi_unchecked_by_nearest():
    """roi is read only by tf_crop_and_resize: any value is the same result, no check."""
    x_shape, sizes = [1, 1, 2, 2], [1, 1, 4, 4]
    node = helper.make_node("Resize", ["x", "roi", "", "sizes"], ["y"], mode="nearest")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape),
                                        helper.make_tensor_value_info("roi", TensorProto.FLOAT, [8]),
                                        helper.make_tensor_value_info("sizes", TensorProto.INT64, [4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, sizes)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    c = Compiled(m)
    x = np.arange(4, dtype=np.float32).reshape(x_shape)
    for roi in (np.zeros(8, np.float32), np.linspace(-1, 3, 8).astype(np.float32)):
        _accepts(c, m, {"x": x, "roi": roi, "sizes": np.asarray(sizes, np.int64)})


def test_reshape_runtime_shape_header_says_so():
    m = _model("Reshape", [2, 3], "shape", 2, [3, 2])
    h = Compiled(m).res.files["m.h"].decode()
    assert "'shape'" in h and "returns -1" in h


def test_reshape_shape_length_mismatch_refused():
    """A shape input whose length does not match the output's rank cannot be the output shape: the
    one-line refusal stays."""
    from gen.errors import GenError
    m = _model("Reshape", [2, 3], "shape", 3, [3, 2])
    with pytest.raises(GenError, match="make it an initializer"):
        gen_compile(m)


def _graph(nodes, inputs, outputs, opset):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
                          [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


REDUCE_OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSumExp", "ReduceSumSquare"]


@st.composite
def _reductions(draw):
    dims = draw(st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=4))
    r = len(dims)
    axes = draw(st.lists(st.integers(0, r - 1), min_size=1, max_size=r, unique=True))
    keep = draw(st.booleans())
    op = draw(st.sampled_from(REDUCE_OPS))
    return op, dims, axes, keep


def _reduced(dims, axes, keep):
    if keep:
        return [1 if i in axes else d for i, d in enumerate(dims)]
    return [d for i, d in enumerate(dims) if i not in axes]


@settings(max_examples=20)
@given(_reductions())
def test_reduce_axes_as_graph_input(case):
    """Reduce* at opset 18 with the axes a graph input, keepdims either way: every form of the axes that gives
    the compiled result (negative, reordered, unit dims added or left out) runs; axes reducing other dims,
    repeated or out of range return -1 and leave the output untouched."""
    op, dims, axes, keep = case
    r = len(dims)
    y_shape = _reduced(dims, axes, keep)
    m = _graph([helper.make_node(op, ["x", "axes"], ["y"], keepdims=int(keep))],
               [("x", TensorProto.FLOAT, dims), ("axes", TensorProto.INT64, [len(axes)])],
               [("y", TensorProto.FLOAT, y_shape)], 18)
    c = Compiled(m)
    x = (np.random.default_rng(4).random(dims) + 0.5).astype(np.float32)
    _accepts(c, m, {"x": x, "axes": np.asarray(axes, np.int64)})
    _accepts(c, m, {"x": x, "axes": np.asarray([a - r for a in reversed(axes)], np.int64)})
    # another set of the same size: computed (as onnxruntime does) when it gives the output shape (the same
    # non-unit dims, or a keepdims=0 output that other dims give too: read at run time), else -1
    for other in ([(a + 1) % r for a in axes], [r - 1 - a for a in axes]):
        if len(set(other)) != len(other):
            continue
        if _reduced(dims, other, keep) == y_shape:
            _accepts(c, m, {"x": x, "axes": np.asarray(other, np.int64)})
        else:
            _refuses(c, {"x": x, "axes": np.asarray(other, np.int64)})
    if len(axes) > 1:
        _refuses(c, {"x": x, "axes": np.asarray([axes[0]] * len(axes), np.int64)})
    _refuses(c, {"x": x, "axes": np.asarray([r] + axes[1:], np.int64)})
    _refuses(c, {"x": x, "axes": np.asarray([-r - 1] + axes[1:], np.int64)})
    non = [i for i in range(r) if dims[i] != 1 and i not in axes]
    if non:     # reducing a dim the output keeps
        _refuses(c, {"x": x, "axes": np.asarray([non[0]] + axes[1:], np.int64)})


def test_reducesum_axes_read_at_run_time_keepdims_0():
    """keepdims=0, [3,2,2] -> [3,2]: axis 1 and axis 2 both give the output shape, with other values: the
    kernel reduces the axes it is given (against onnxruntime for each)."""
    m = _graph([helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)],
               [("x", TensorProto.FLOAT, [3, 2, 2]), ("axes", TensorProto.INT64, [1])],
               [("y", TensorProto.FLOAT, [3, 2])], 18)
    c = Compiled(m)
    x = np.random.default_rng(5).standard_normal((3, 2, 2)).astype(np.float32)
    for a in (1, 2, -1, -2):
        _accepts(c, m, {"x": x, "axes": np.asarray([a], np.int64)})
    _refuses(c, {"x": x, "axes": np.asarray([0], np.int64)})     # [2, 2]
    _refuses(c, {"x": x, "axes": np.asarray([3], np.int64)})


def test_reducel2_axes_through_elementwise_nodes():
    """ReduceL2 expanded as onnx writes it (ReduceSum over graph-input axes, then Cast, Sqrt, CastLike): the
    reduction's output shape comes back from the graph output's."""
    n = [helper.make_node("Mul", ["x", "x"], ["sq"]), helper.make_node("ReduceSum", ["sq", "axes"], ["s"], keepdims=1),
         helper.make_node("Cast", ["s"], ["sd"], to=TensorProto.FLOAT), helper.make_node("Sqrt", ["sd"], ["r"]),
         helper.make_node("CastLike", ["r", "x"], ["y"])]
    m = _graph(n, [("x", TensorProto.FLOAT, [3, 2, 2]), ("axes", TensorProto.INT64, [1])],
               [("y", TensorProto.FLOAT, [3, 1, 2])], 18)
    c = Compiled(m)
    x = np.random.default_rng(6).standard_normal((3, 2, 2)).astype(np.float32)
    _accepts(c, m, {"x": x, "axes": np.asarray([1], np.int64)})
    _accepts(c, m, {"x": x, "axes": np.asarray([-2], np.int64)})
    _refuses(c, {"x": x, "axes": np.asarray([2], np.int64)})


@pytest.mark.parametrize("x_shape, axis, k", [([3, 4], 1, 2), ([2, 5, 3], -2, 5), ([6], 0, 1)])
def test_topk_k_as_graph_input(x_shape, axis, k):
    y_shape = list(x_shape)
    y_shape[axis] = k
    m = _graph([helper.make_node("TopK", ["x", "k"], ["v", "i"], axis=axis)],
               [("x", TensorProto.FLOAT, x_shape), ("k", TensorProto.INT64, [1])],
               [("v", TensorProto.FLOAT, y_shape), ("i", TensorProto.INT64, y_shape)], 11)
    c = Compiled(m)
    x = np.random.default_rng(7).permutation(int(np.prod(x_shape))).reshape(x_shape).astype(np.float32)
    _accepts(c, m, {"x": x, "k": np.asarray([k], np.int64)})
    _refuses(c, {"x": x, "k": np.asarray([k + 1], np.int64)})
    _refuses(c, {"x": x, "k": np.asarray([k - 1], np.int64)})


@settings(max_examples=10)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.integers(0, 1))
def test_split_sizes_as_graph_input(sizes, axis):
    x_shape = [2, 2]
    x_shape[axis] = sum(sizes)
    outs = []
    for k, n in enumerate(sizes):
        s = list(x_shape)
        s[axis] = n
        outs.append((f"y{k}", TensorProto.FLOAT, s))
    m = _graph([helper.make_node("Split", ["x", "split"], [o[0] for o in outs], axis=axis)],
               [("x", TensorProto.FLOAT, x_shape), ("split", TensorProto.INT64, [len(sizes)])], outs, 13)
    c = Compiled(m)
    x = np.random.default_rng(8).standard_normal(x_shape).astype(np.float32)
    _accepts(c, m, {"x": x, "split": np.asarray(sizes, np.int64)})
    if len(sizes) > 1 and sizes[0] != sizes[1]:
        _refuses(c, {"x": x, "split": np.asarray([sizes[1], sizes[0]] + sizes[2:], np.int64)})


@settings(max_examples=10)
@given(st.lists(st.tuples(st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=3))
def test_tile_repeats_as_graph_input(dims_reps):
    dims, reps = [d for d, _ in dims_reps], [r for _, r in dims_reps]
    m = _graph([helper.make_node("Tile", ["x", "reps"], ["y"])],
               [("x", TensorProto.FLOAT, dims), ("reps", TensorProto.INT64, [len(dims)])],
               [("y", TensorProto.FLOAT, [d * r for d, r in zip(dims, reps)])], 13)
    c = Compiled(m)
    x = np.random.default_rng(9).standard_normal(dims).astype(np.float32)
    _accepts(c, m, {"x": x, "reps": np.asarray(reps, np.int64)})
    bad = list(reps)
    bad[0] += 1
    _refuses(c, {"x": x, "reps": np.asarray(bad, np.int64)})


@pytest.mark.parametrize("x_shape, shape, forms, bad", [
    ([3, 1], [2, 3, 4], [[2, 3, 4], [2, 1, 4]], [[2, 3, 5], [2, 2, 4], [2, 3, 0]]),
    ([1, 4], [3, 4], [[3, 4], [3, 1]], [[4, 4], [3, 2]]),
])
def test_expand_shape_as_graph_input(x_shape, shape, forms, bad):
    """Every shape that broadcasts to the output runs (1 where the input has the dim); others return -1."""
    y_shape = list(np.broadcast_shapes(tuple(x_shape), tuple(shape)))
    m = _graph([helper.make_node("Expand", ["x", "shape"], ["y"])],
               [("x", TensorProto.FLOAT, x_shape), ("shape", TensorProto.INT64, [len(shape)])],
               [("y", TensorProto.FLOAT, y_shape)], 13)
    c = Compiled(m)
    x = np.random.default_rng(10).standard_normal(x_shape).astype(np.float32)
    for f in forms:
        _accepts(c, m, {"x": x, "shape": np.asarray(f, np.int64)})
    for b in bad:
        _refuses(c, {"x": x, "shape": np.asarray(b, np.int64)})


@settings(max_examples=12)
@given(st.integers(1, 4), st.integers(1, 4), st.booleans())
def test_trilu_k_as_graph_input(rows, cols, upper):
    """k read at run time: every k (beyond the matrix too) against onnxruntime."""
    m = _graph([helper.make_node("Trilu", ["x", "k"], ["y"], upper=int(upper))],
               [("x", TensorProto.FLOAT, [2, rows, cols]), ("k", TensorProto.INT64, [])],
               [("y", TensorProto.FLOAT, [2, rows, cols])], 14)
    c = Compiled(m)
    x = np.random.default_rng(11).standard_normal((2, rows, cols)).astype(np.float32)
    for k in range(-rows - 1, cols + 2):
        _accepts(c, m, {"x": x, "k": np.asarray(k, np.int64)})


@pytest.mark.parametrize("axis_dtype", [TensorProto.INT32, TensorProto.INT64])
def test_cumsum_axis_as_graph_input(axis_dtype):
    """The axis read at run time: each axis of the input, negative too; out of range returns -1."""
    shape = [2, 3, 4]
    m = _graph([helper.make_node("CumSum", ["x", "axis"], ["y"], exclusive=1)],
               [("x", TensorProto.FLOAT, shape), ("axis", axis_dtype, [])], [("y", TensorProto.FLOAT, shape)], 14)
    c = Compiled(m)
    x = np.random.default_rng(12).standard_normal(shape).astype(np.float32)
    dt = np.int32 if axis_dtype == TensorProto.INT32 else np.int64
    for a in range(-3, 3):
        _accepts(c, m, {"x": x, "axis": np.asarray(a, dt)})
    _refuses(c, {"x": x, "axis": np.asarray(3, dt)})
    _refuses(c, {"x": x, "axis": np.asarray(-4, dt)})


def test_trilu_k_and_cumsum_axis_inside_the_graph():
    """The nodes reading a parameter at run time in the middle of a graph (their outputs not graph outputs)."""
    n = [helper.make_node("Trilu", ["x", "k"], ["t"], upper=0), helper.make_node("CumSum", ["t", "axis"], ["c"]),
         helper.make_node("Relu", ["c"], ["y"])]
    m = _graph(n, [("x", TensorProto.FLOAT, [3, 4]), ("k", TensorProto.INT64, []), ("axis", TensorProto.INT64, [])],
               [("y", TensorProto.FLOAT, [3, 4])], 14)
    c = Compiled(m)
    x = np.random.default_rng(13).standard_normal((3, 4)).astype(np.float32)
    for k, a in ((0, 0), (1, 1), (-1, -2)):
        _accepts(c, m, {"x": x, "k": np.asarray(k, np.int64), "axis": np.asarray(a, np.int64)})
    _refuses(c, {"x": x, "k": np.asarray(0, np.int64), "axis": np.asarray(2, np.int64)})


def test_reducesum_trilu_cumsum_parameter_inputs_verify_in_the_cli(tmp_path):
    """`python -m gen --verify` (and the test vectors) on parameter graph inputs: the sample inputs hold
    values the compiled model computes (random ones return -1: an internal error before)."""
    import subprocess
    import sys

    import onnx
    n = [helper.make_node("ReduceSum", ["x", "axes"], ["r"], keepdims=0), helper.make_node("Trilu", ["r", "k"], ["t"]),
         helper.make_node("CumSum", ["t", "axis"], ["c"]), helper.make_node("Reshape", ["x", "shape"], ["y"]),
         helper.make_node("Relu", ["c"], ["z"])]
    m = _graph(n, [("x", TensorProto.FLOAT, [3, 3, 4, 4]), ("axes", TensorProto.INT64, [1]),
                   ("k", TensorProto.INT64, []), ("axis", TensorProto.INT32, []), ("shape", TensorProto.INT64, [2])],
               [("y", TensorProto.FLOAT, [36, 4]), ("z", TensorProto.FLOAT, [3, 4, 4])], 18)
    onnx.save(m, tmp_path / "m.onnx")
    r = subprocess.run([sys.executable, "-m", "gen", str(tmp_path / "m.onnx"), "-o", str(tmp_path / "out"), "--verify"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    assert "verify: PASS" in r.stdout + r.stderr
