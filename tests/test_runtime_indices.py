"""Data-dependent parameters that arrive as graph inputs and that the kernels read at run time:
GatherElements / GatherND / ScatterElements / ScatterND indices, Compress's condition,
ReverseSequence's sequence_lens, Trilu's k, Slice's starts/ends/axes/steps and Pad's pads /
constant_value / axes. The output shapes are static; the C checks every value (an index out of range,
a count of true conditions, a length, a slice or pad that gives another shape: the run returns -1
and leaves the outputs untouched). Against onnxruntime on values drawn in range (negative indices
too), and with values out of range."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st
from onnx import TensorProto, helper

from graphs import assert_close, ort_run
from test_runtime_params import Compiled, SENTINEL

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def _model(op, inputs: dict, y_shape, opset=18, **attrs):
    """One node, every input a graph input: name -> (onnx type, shape)."""
    node = helper.make_node(op, list(inputs), ["y"], **attrs)
    vis = [helper.make_tensor_value_info(n, t, list(s)) for n, (t, s) in inputs.items()]
    g = helper.make_graph([node], "g", vis, [helper.make_tensor_value_info("y", F, list(y_shape))])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _accepts(c, m, feeds):
    rc, got = c.run(feeds)
    assert rc == 0, feeds
    assert_close(got[0], ort_run(m, feeds)[0])


def _refuses(c, feeds):
    rc, got = c.run(feeds)
    assert rc == -1, feeds
    assert np.all(got[0] == SENTINEL), "the outputs must be untouched when a run-time check fails"


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


shape3 = st.lists(st.integers(1, 4), min_size=1, max_size=3)


@settings(max_examples=10)
@given(shape3, st.data())
def test_gatherelements_runtime_indices(x_shape, data):
    nd = len(x_shape)
    axis = data.draw(st.integers(-nd, nd - 1))
    a = axis % nd
    i_shape = [data.draw(st.integers(1, d)) if k != a else data.draw(st.integers(1, 4)) for k, d in enumerate(x_shape)]
    m = _model("GatherElements", {"x": (F, x_shape), "i": (I64, i_shape)}, i_shape, axis=axis)
    c = Compiled(m)
    d = x_shape[a]
    idx = np.asarray(data.draw(st.lists(st.integers(-d, d - 1), min_size=int(np.prod(i_shape)),
                                        max_size=int(np.prod(i_shape)))), np.int64).reshape(i_shape)
    x = _x(x_shape)
    _accepts(c, m, {"x": x, "i": idx})
    bad = idx.copy()
    bad.reshape(-1)[-1] = data.draw(st.sampled_from([d, -d - 1, 2**40]))
    _refuses(c, {"x": x, "i": bad})


@settings(max_examples=10)
@given(st.lists(st.integers(1, 3), min_size=2, max_size=4), st.data())
def test_gathernd_runtime_indices(x_shape, data):
    b = data.draw(st.integers(0, 1))
    q = data.draw(st.integers(1, len(x_shape) - b))
    m_count = data.draw(st.integers(1, 3))
    i_shape = x_shape[:b] + [m_count, q]
    y_shape = x_shape[:b] + [m_count] + x_shape[b + q:]
    m = _model("GatherND", {"x": (F, x_shape), "i": (I64, i_shape)}, y_shape, batch_dims=b)
    c = Compiled(m)
    dims = x_shape[b:b + q]
    idx = np.stack([np.asarray(data.draw(st.lists(st.integers(-d, d - 1), min_size=int(np.prod(i_shape[:-1])),
                                                   max_size=int(np.prod(i_shape[:-1])))), np.int64)
                    for d in dims], axis=-1).reshape(i_shape)
    x = _x(x_shape)
    _accepts(c, m, {"x": x, "i": idx})
    bad = idx.copy()
    bad.reshape(-1, q)[0, q - 1] = dims[-1]
    _refuses(c, {"x": x, "i": bad})


@settings(max_examples=10)
@given(shape3, st.sampled_from(["none", "add", "max"]), st.data())
def test_scatterelements_runtime_indices(x_shape, reduction, data):
    nd = len(x_shape)
    a = data.draw(st.integers(0, nd - 1))
    d = x_shape[a]
    # distinct positions along the axis (duplicates with reduction none are undefined in ONNX)
    k = data.draw(st.integers(1, d))
    i_shape = list(x_shape)
    i_shape[a] = k
    m = _model("ScatterElements", {"x": (F, x_shape), "i": (I64, i_shape), "u": (F, i_shape)}, x_shape,
               axis=a, reduction=reduction)
    c = Compiled(m)
    rows = [data.draw(st.permutations(range(d)))[:k] for _ in range(int(np.prod(i_shape)) // k)]
    idx = np.moveaxis(np.asarray(rows, np.int64).reshape([s for j, s in enumerate(i_shape) if j != a] + [k]), -1, a)
    idx = np.where(data.draw(st.booleans()), idx - d, idx)          # negative ones count from the end
    x, u = _x(x_shape), _x(i_shape, 1)
    _accepts(c, m, {"x": x, "i": idx, "u": u})
    bad = idx.copy()
    bad.reshape(-1)[0] = d
    _refuses(c, {"x": x, "i": bad, "u": u})


@settings(max_examples=10)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.sampled_from(["none", "mul"]), st.data())
def test_scatternd_runtime_indices(x_shape, reduction, data):
    q = data.draw(st.integers(1, len(x_shape)))
    cells = [tuple(int(v) for v in c) for c in np.ndindex(*x_shape[:q])]
    n = data.draw(st.integers(1, len(cells)))
    chosen = data.draw(st.permutations(cells))[:n]
    idx = np.asarray(chosen, np.int64).reshape(n, q)
    u_shape = [n] + x_shape[q:]
    m = _model("ScatterND", {"x": (F, x_shape), "i": (I64, [n, q]), "u": (F, u_shape)}, x_shape, reduction=reduction)
    c = Compiled(m)
    x, u = _x(x_shape), _x(u_shape, 1)
    _accepts(c, m, {"x": x, "i": idx, "u": u})
    _accepts(c, m, {"x": x, "i": idx - np.asarray(x_shape[:q], np.int64), "u": u})   # negative indices
    bad = idx.copy()
    bad[-1, 0] = -x_shape[0] - 1
    _refuses(c, {"x": x, "i": bad, "u": u})


@settings(max_examples=10)
@given(shape3, st.data())
def test_compress_runtime_condition(x_shape, data):
    use_axis = data.draw(st.booleans())
    nd = len(x_shape)
    a = data.draw(st.integers(0, nd - 1))
    dim = x_shape[a] if use_axis else int(np.prod(x_shape))
    n_cond = data.draw(st.integers(1, dim))
    cond = np.asarray(data.draw(st.lists(st.booleans(), min_size=n_cond, max_size=n_cond)), bool)
    if not cond.any():
        cond[0] = True
    count = int(cond.sum())
    y_shape = x_shape[:a] + [count] + x_shape[a + 1:] if use_axis else [count]
    attrs = {"axis": a - nd} if use_axis else {}
    m = _model("Compress", {"x": (F, x_shape), "c": (B, [n_cond])}, y_shape, **attrs)
    c = Compiled(m)
    x = _x(x_shape)
    _accepts(c, m, {"x": x, "c": cond})
    _accepts(c, m, {"x": x, "c": np.roll(cond, 1)})          # other positions, the same count
    other = cond.copy()
    other[0] = not other[0]
    _refuses(c, {"x": x, "c": other})


@settings(max_examples=10)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.booleans(), st.data())
def test_reversesequence_runtime_lens(time, batch, inner, batch_major, data):
    x_shape = [batch, time, inner] if batch_major else [time, batch, inner]
    m = _model("ReverseSequence", {"x": (F, x_shape), "n": (I64, [batch])}, x_shape,
               time_axis=int(batch_major), batch_axis=int(not batch_major))
    c = Compiled(m)
    lens = np.asarray(data.draw(st.lists(st.integers(1, time), min_size=batch, max_size=batch)), np.int64)
    x = _x(x_shape)
    _accepts(c, m, {"x": x, "n": lens})
    bad = lens.copy()
    bad[-1] = data.draw(st.sampled_from([time + 1, -1]))
    _refuses(c, {"x": x, "n": bad})


@settings(max_examples=8)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=3), st.booleans(), st.data())
def test_trilu_runtime_k(x_shape, upper, data):
    m = _model("Trilu", {"x": (F, x_shape), "k": (I64, [])}, x_shape, opset=14, upper=int(upper))
    c = Compiled(m)
    x = _x(x_shape)
    for k in data.draw(st.lists(st.integers(-6, 6), min_size=1, max_size=3)) + [2**40]:
        _accepts(c, m, {"x": x, "k": np.asarray(k, np.int64)})


def _slice_len(d, s, e, st_):
    return len(range(d)[slice(s, e, st_)])


@settings(max_examples=12)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.data())
def test_slice_runtime_starts_ends_axes_steps(x_shape, data):
    nd = len(x_shape)
    axes = data.draw(st.permutations(range(nd)))[:data.draw(st.integers(1, nd))]
    axes = [a - nd if data.draw(st.booleans()) else a for a in axes]
    starts, ends, steps = [], [], []
    y_shape = list(x_shape)
    for a in axes:
        d = x_shape[a % nd]
        s = data.draw(st.integers(-d, d - 1))         # a start inside, an end anywhere (clamped)
        stp = data.draw(st.sampled_from([1, 2, -1, -2, 2**62]))
        e = data.draw(st.integers(-d - 2, d + 2))
        if _slice_len(d, s, e, stp) == 0:
            e = 2**62 if stp > 0 else -2**62
        n = _slice_len(d, s, e, stp)
        starts.append(s)
        ends.append(e)
        steps.append(stp)
        y_shape[a % nd] = n
    k = len(axes)
    m = _model("Slice", {"x": (F, x_shape), "s": (I64, [k]), "e": (I64, [k]), "a": (I64, [k]), "t": (I64, [k])},
               y_shape, opset=13)
    c = Compiled(m)
    x = _x(x_shape)
    feeds = {"x": x, "s": np.asarray(starts, np.int64), "e": np.asarray(ends, np.int64),
             "a": np.asarray(axes, np.int64), "t": np.asarray(steps, np.int64)}
    _accepts(c, m, feeds)
    # another shape (an empty or longer range), an axis out of range, a repeated axis, a step of 0
    grown = dict(feeds, s=np.full(k, 0, np.int64), e=np.full(k, 2**62, np.int64), t=np.ones(k, np.int64))
    if tuple(x.shape) != tuple(y_shape):
        _refuses(c, grown)
    _refuses(c, dict(feeds, a=np.asarray([nd] + axes[1:], np.int64)))
    if k > 1:
        _refuses(c, dict(feeds, a=np.asarray([axes[0]] * k, np.int64)))
    _refuses(c, dict(feeds, t=np.zeros(k, np.int64)))


def test_slice_runtime_starts_only():
    """Only starts at run time (ends, axes, steps constants): the same kernel."""
    node = helper.make_node("Slice", ["x", "s", "e", "a"], ["y"])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", F, [4, 6]),
                                        helper.make_tensor_value_info("s", I64, [1])],
                          [helper.make_tensor_value_info("y", F, [4, 3])],
                          [helper.make_tensor("e", I64, [1], [2**62]), helper.make_tensor("a", I64, [1], [1])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    c = Compiled(m)
    x = _x([4, 6])
    _accepts(c, m, {"x": x, "s": np.asarray([3], np.int64)})
    _accepts(c, m, {"x": x, "s": np.asarray([-3], np.int64)})
    _refuses(c, {"x": x, "s": np.asarray([2], np.int64)})


@settings(max_examples=12)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.sampled_from(["constant", "reflect", "edge", "wrap"]),
       st.booleans(), st.data())
def test_pad_runtime_pads(x_shape, mode, with_axes, data):
    nd = len(x_shape)
    axes = list(data.draw(st.permutations(range(nd))))[:data.draw(st.integers(1, nd))] if with_axes else list(range(nd))
    lo = -1 if mode == "constant" else 0
    pads = []
    for a in axes:
        hi = x_shape[a] - 1 if mode == "reflect" else 3
        lo_a = max(lo, -(x_shape[a] - 1) // 2) if mode == "constant" else 0
        pads.append((data.draw(st.integers(lo_a, max(lo_a, hi))), data.draw(st.integers(lo_a, max(lo_a, hi)))))
    y_shape = list(x_shape)
    for a, (b, e) in zip(axes, pads):
        y_shape[a] = x_shape[a] + b + e
    flat = np.asarray([b for b, _ in pads] + [e for _, e in pads], np.int64)
    inputs = {"x": (F, x_shape), "p": (I64, [2 * len(axes)])}
    feeds = {"x": _x(x_shape), "p": flat}
    if mode == "constant":
        inputs["v"] = (F, [])
        feeds["v"] = np.asarray(data.draw(st.floats(-3, 3, width=32)), np.float32)
    if with_axes:
        if mode != "constant":
            inputs["v"] = (F, [])
            feeds["v"] = np.asarray(0, np.float32)
        inputs["a"] = (I64, [len(axes)])
        feeds["a"] = np.asarray(axes, np.int64)
    m = _model("Pad", inputs, y_shape, mode=mode)
    c = Compiled(m)
    _accepts(c, m, feeds)
    bad = flat.copy()
    bad[0] += 1                     # another output shape
    _refuses(c, dict(feeds, p=bad))
    shifted = flat.copy()           # the same shape, but more before and less after: still computed
    shifted[0] += 1
    shifted[len(axes)] -= 1
    if mode == "constant" or (shifted[len(axes)] >= 0 and (mode != "reflect" or shifted[0] < x_shape[axes[0]])):
        _accepts(c, m, dict(feeds, p=shifted))
    else:
        _refuses(c, dict(feeds, p=shifted))
