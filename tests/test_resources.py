"""Hostile resources and sizes: gen never hangs, runs out of memory or goes quadratic.

- graph size: frontend + passes + plan scale linearly (a reversed chain, float and int8, measured at
  two sizes: quadratic code would take 16x for 4x the nodes);
- the schedule, the producer/consumer index and the memory plan against brute-force oracles;
- files: a FIFO, /dev/zero, a size limit (in a thread with a timeout: a regression must fail, not hang);
- shapes whose element count overflows int64 / int32, an arena past int32;
- constant folding: outputs of 10^12 elements refused before they are computed, control flow never run,
  small folds still computed right (numpy is the oracle), the weights' flash limit before any C.
The CLI's one-line messages for the same inputs are in tests/hostile_resources.py.
"""
from __future__ import annotations

import os
import random
import sys
import threading
import time
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402
from graphs import check  # noqa: E402

from gen import driver, frontend  # noqa: E402
from gen.errors import GenError  # noqa: E402
from gen.ir import Graph, Node, Tensor  # noqa: E402
from gen.ops import supported_onnx_ops  # noqa: E402
from gen import plan as gplan  # noqa: E402
from gen.plan import Buffer, make_plan  # noqa: E402


def _chain(n: int, order: str = "reversed", seed: int = 0) -> onnx.ModelProto:
    """x -> n nodes (Sigmoid, Relu, Identity, Reshape view, Add of a constant, in turn) -> y."""
    nodes = []
    for k in range(n):
        a, b = ("x" if k == 0 else f"t{k}"), ("y" if k == n - 1 else f"t{k + 1}")
        kind = k % 5
        if kind == 0:
            nodes.append(helper.make_node("Sigmoid", [a], [b], name=f"n{k}"))
        elif kind == 1:
            nodes.append(helper.make_node("Relu", [a], [b], name=f"n{k}"))
        elif kind == 2:
            nodes.append(helper.make_node("Identity", [a], [b], name=f"n{k}"))
        elif kind == 3:
            nodes.append(helper.make_node("Reshape", [a, "shape"], [b], name=f"n{k}"))
        else:
            nodes.append(helper.make_node("Add", [a, "c"], [b], name=f"n{k}"))
    if order == "reversed":
        nodes.reverse()
    elif order == "shuffled":
        random.Random(seed).shuffle(nodes)
    inits = [numpy_helper.from_array(np.array([1, 4], np.int64), "shape"),
             numpy_helper.from_array(np.full(4, 0.01, np.float32), "c")]
    return hc.model(nodes, [hc.vi("x", [1, 4])], [hc.vi("y", [1, 4])], inits)


def _qchain(n: int) -> onnx.ModelProto:
    """n int8 Sigmoid islands (DQ -> Sigmoid -> Q), stored in reverse order."""
    inits = [numpy_helper.from_array(np.array(0.05, np.float32), "s"), numpy_helper.from_array(np.array(0, np.int8), "z")]
    nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q0"], name="qin")]
    for k in range(n):
        nodes += [helper.make_node("DequantizeLinear", [f"q{k}", "s", "z"], [f"f{k}"], name=f"dq{k}"),
                  helper.make_node("Sigmoid", [f"f{k}"], [f"g{k}"], name=f"sig{k}"),
                  helper.make_node("QuantizeLinear", [f"g{k}", "s", "z"], [f"q{k + 1}"], name=f"q{k}")]
    nodes.append(helper.make_node("DequantizeLinear", [f"q{n}", "s", "z"], ["y"], name="dqout"))
    nodes.reverse()
    return hc.model(nodes, [hc.vi("x", [1, 16])], [hc.vi("y", [1, 16])], inits)


def _compile_seconds(m: onnx.ModelProto) -> tuple[float, Graph]:
    best, g = float("inf"), None
    for _ in range(2):          # the best of two, in this process's CPU time: other processes' load is not the code
        t = time.process_time()
        g = frontend.from_model(onnx.ModelProto.FromString(m.SerializeToString()), name="c",
                                supported=supported_onnx_ops())
        driver.compile_graph(g, "c", "c.onnx")
        best = min(best, time.process_time() - t)
    return best, g


def _assert_valid_schedule(g: Graph) -> None:
    written = set(g.inputs) | {k for k, t in g.tensors.items() if t.is_const}
    for n in g.nodes:
        missing = [i for i in n.inputs if i and i not in written]
        assert not missing, f"{n.name} reads {missing} before they are written"
        written.update(o for o in n.outputs if o)
    assert all(o in written for o in g.outputs)


@pytest.mark.parametrize("make,small", [(_chain, 2000), (_qchain, 600)], ids=["float", "int8"])
def test_graph_passes_scale_linearly(make, small):
    """4x the nodes may take at most 6x the time (quadratic code takes 16x)."""
    t_small, _ = _compile_seconds(make(small))
    t_big, g = _compile_seconds(make(4 * small))
    _assert_valid_schedule(g)
    assert t_big < 6 * t_small + 0.5, f"{small} nodes: {t_small:.2f} s, {4 * small}: {t_big:.2f} s"


def test_reversed_5000_node_chain_cli(tmp_path):
    """The whole CLI on a 5,000-node chain stored backwards (it took minutes when passes were quadratic)."""
    path = hc.save(_chain(5000), tmp_path / "chain.onnx")
    t = time.perf_counter()
    r = hc.run_gen([path, "-o", str(tmp_path / "out"), "-q", "--test-vectors", "0"], tmp_path, timeout=240)
    assert r.returncode == 0, r.stderr
    assert time.perf_counter() - t < 120


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_unsorted_chain_matches_onnxruntime(order):
    check(_chain(23, order, seed=3), {"x": np.linspace(-2, 2, 4, dtype=np.float32).reshape(1, 4)})


def test_unsorted_dag_matches_onnxruntime():
    """Branches and joins stored in a random order: sorted, compiled, same values as onnxruntime."""
    rng = random.Random(7)
    nodes, names = [], ["x"]
    for k in range(40):
        a, b = rng.choice(names), rng.choice(names)
        op = rng.choice(["Add", "Mul", "Sub"]) if a != b else "Sigmoid"
        nodes.append(helper.make_node(op, [a, b] if op != "Sigmoid" else [a], [f"v{k}"], name=f"n{k}"))
        names.append(f"v{k}")
    nodes.append(helper.make_node("Tanh", [names[-1]], ["y"], name="out"))
    rng.shuffle(nodes)
    m = hc.model(nodes, [hc.vi("x", [1, 4])], [hc.vi("y", [1, 4])])
    check(m, {"x": np.linspace(-1, 1, 4, dtype=np.float32).reshape(1, 4)})


# ------------------------------------------------------------------ schedule and index oracles

def _reaches(nodes, start) -> bool:
    """Brute force: is `start` reachable from itself through producer -> consumer edges?"""
    prod = {o: n for n in nodes for o in n.output}
    seen, todo = set(), [start]
    while todo:
        n = todo.pop()
        for i in n.input:
            p = prod.get(i)
            if p is start:
                return True
            if p is not None and id(p) not in seen:
                seen.add(id(p))
                todo.append(p)
    return False


def test_toposort_keeps_sorted_order_and_names_a_node_on_the_cycle():
    m = _chain(300, "sorted")
    assert [n.name for n in frontend._toposort(m.graph)] == [n.name for n in m.graph.node]
    # a cycle in the middle of a reversed chain, with a tail hanging off it
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="first"),
             helper.make_node("Add", ["a", "c"], ["b"], name="loop1"),
             helper.make_node("Relu", ["b"], ["c"], name="loop2"),
             helper.make_node("Relu", ["c"], ["y"], name="tail")]
    m = hc.model(list(reversed(nodes)), [hc.vi("x", [1])], [hc.vi("y", [1])])
    with pytest.raises(GenError, match="cycle") as e:
        frontend._toposort(m.graph)
    named = next(n for n in m.graph.node if n.name == e.value.node)
    assert _reaches(list(m.graph.node), named), f"{e.value.node} is not on the cycle"


def test_producer_consumer_index_matches_brute_force():
    """Random edits the passes make (attribute and item assignment, insert, remove, slice rebuild)."""
    rng = random.Random(11)
    nodes = [Node("Relu", f"n{k}", [f"t{k}"], [f"t{k + 1}"]) for k in range(60)]
    g = Graph("g", {}, nodes, ["t0"], ["t60"])
    names = [f"t{k}" for k in range(70)]
    for step in range(3000):
        n = rng.choice(g.nodes)
        op = rng.randrange(7)
        if op == 0:
            n.inputs = [rng.choice(names) for _ in range(rng.randrange(1, 3))]
        elif op == 1:
            n.inputs[0] = rng.choice(names)
        elif op == 2:
            n.outputs = [rng.choice(names)]
        elif op == 3:
            n.inputs.append(rng.choice(names))
        elif op == 4 and len(g.nodes) > 5:
            g.nodes.remove(n)
        elif op == 5:
            g.nodes.insert(rng.randrange(len(g.nodes) + 1), Node("Relu", f"m{step}", [rng.choice(names)],
                                                                 [rng.choice(names)]))
        elif op == 6 and step % 50 == 0:
            keep = [x for x in g.nodes if rng.random() < 0.9]
            g.nodes[:] = keep
        x = rng.choice(names)
        assert g.consumers(x) == [m for m in g.nodes if x in m.inputs] or \
            sorted(id(m) for m in g.consumers(x)) == sorted(id(m) for m in g.nodes if x in m.inputs)
        prods = [m for m in g.nodes if x in m.outputs]
        assert (g.producer(x) is None) == (not prods) and (not prods or g.producer(x) in prods)
        assert (n in g.nodes) == any(m is n for m in list.__iter__(g.nodes))


def test_view_chain_bases_and_remove_unused_are_linear():
    n = 20000
    tensors = {f"t{k}": Tensor(f"t{k}", (4,), "float32", view_of=f"t{k - 1}" if k else None) for k in range(n)}
    tensors["dead"] = Tensor("dead", (4,), "float32")
    g = Graph("g", tensors, [Node("Relu", "r", [f"t{n - 1}"], ["out"])], [], ["out"])
    g.tensors["out"] = Tensor("out", (4,), "float32")
    t = time.perf_counter()
    bases = g.bases()
    g.remove_unused()
    assert time.perf_counter() - t < 5
    assert bases[f"t{n - 1}"] == "t0" and bases["t7"] == "t0" and "dead" not in g.tensors and "t0" in g.tensors


# ------------------------------------------------------------------ memory plan

def _random_buffers(rng, n, steps):
    out = []
    for k in range(n):
        s = rng.randrange(steps)
        out.append(Buffer(f"b{k}", rng.randrange(1, 200), s, min(steps, s + rng.choice([0, 1, 2, 5, 40]))))
    return out


def _check_placement(bufs, size):
    for a in bufs:
        assert a.offset >= 0 and a.offset + a.size <= size
        for b in bufs:
            if a is not b and a.overlaps(b):
                assert a.offset + a.size <= b.offset or b.offset + b.size <= a.offset, (a, b)


@pytest.mark.parametrize("seed", range(4))
def test_plan_placement_against_brute_force(seed):
    rng = random.Random(seed)
    bufs = _random_buffers(rng, 150, 60)
    near = gplan._overlap_pairs(bufs, 10**9)
    for k, b in enumerate(bufs):      # the sweep finds exactly the overlapping pairs
        assert sorted(near[k]) == [j for j, c in enumerate(bufs) if j != k and b.overlaps(c)]
    size = gplan._place(bufs, lambda b: (-b.size, b.start, b.name), near)
    _check_placement(bufs, size)
    lower = max(sum((b.size + 3) // 4 * 4 for b in bufs if b.start <= s <= b.end) for s in range(-1, 62))
    assert gplan._lower_bound(bufs, 60) == lower <= size
    apart = [Buffer(b.name, b.size, b.start, b.end) for b in bufs]
    _check_placement(apart, gplan._place_apart(apart))
    assert gplan._overlap_pairs(bufs, 10) is None


def test_plan_of_many_long_lived_buffers_is_fast():
    """10,000 buffers all alive at once: the dense case skips the quadratic search."""
    n = 10000
    tensors = {"x": Tensor("x", (4,), "float32")}
    nodes = []
    for k in range(n):
        tensors[f"o{k}"] = Tensor(f"o{k}", (4,), "float32")
        nodes.append(Node("Relu", f"n{k}", ["x"], [f"o{k}"]))
    g = Graph("g", tensors, nodes, ["x"], [f"o{k}" for k in range(n)])
    t = time.perf_counter()
    plan = make_plan(g, {})
    assert time.perf_counter() - t < 20
    assert plan.arena_size == plan.lower_bound == 16 * (n + 1)
    spans = sorted((b.offset, b.offset + b.size) for b in plan.buffers)   # all alive at once: all disjoint
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])) and spans[-1][1] <= plan.arena_size


# ------------------------------------------------------------------ files

def _in_thread(fn, timeout=20.0):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as e:    # noqa: BLE001 - handed to the test
            box["error"] = e
    th = threading.Thread(target=run, daemon=True)
    th.start()
    th.join(timeout)
    assert not th.is_alive(), "gen blocked"
    return box


def test_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.onnx"
    os.mkfifo(path)
    box = _in_thread(lambda: frontend.load_model(str(path)))
    assert isinstance(box.get("error"), GenError) and "FIFO" in str(box["error"])


def test_dev_zero_is_refused():
    box = _in_thread(lambda: frontend.load_model("/dev/zero"))
    assert isinstance(box.get("error"), GenError) and "not a regular file" in str(box["error"])


def test_read_limit(tmp_path):
    p = tmp_path / "m.onnx"
    p.write_bytes(b"x" * 1000)
    with pytest.raises(GenError, match="1,000 bytes, more than the 999"):
        frontend.read_regular_file(str(p), "model", limit=999)
    assert frontend.read_regular_file(str(p), "model", limit=1000) == b"x" * 1000


def test_external_data_past_end_of_file(tmp_path):
    m = hc.gemm_model()
    w = m.graph.initializer[0]
    w.ClearField("raw_data")
    w.ClearField("float_data")
    w.data_location = TensorProto.EXTERNAL
    (tmp_path / "w.bin").write_bytes(b"\0" * 16)
    w.external_data.add(key="location", value="w.bin")
    w.external_data.add(key="offset", value="8")
    w.external_data.add(key="length", value="128")
    path = hc.save(m, tmp_path / "m.onnx")
    with pytest.raises(GenError, match="past its end"):
        frontend.load_model(path)


# ------------------------------------------------------------------ arithmetic of shapes

def test_tensor_size_is_exact():
    t = Tensor("t", (2**32, 2**32), "float32")
    assert t.size == 2**64 and t.nbytes == 2**66    # np.prod in int64 says 0


def _load(m, **kw):
    return frontend.from_model(m, name="m", supported=supported_onnx_ops(), **kw)


def test_broadcast_to_overflowing_dims_names_node():
    """Two inputs of 1 MB broadcast to 2^34 elements: the output is refused, naming the node."""
    m = hc.model([helper.make_node("Add", ["a", "b"], ["y"], name="grow")],
                 [hc.vi("a", [2**16, 1, 4]), hc.vi("b", [1, 2**16, 4])], [hc.vi("y", [2**16, 2**16, 4])])
    with pytest.raises(GenError) as e:
        _load(m)
    assert e.value.node == "grow" and "'y'" in e.value.what and "17,179,869,184 elements" in e.value.what


# ------------------------------------------------------------------ constant folding

def _folded(op_nodes, inits, out_shape):
    m = hc.model(op_nodes + [helper.make_node("Add", ["x", "k"], ["y"], name="use")],
                 [hc.vi("x", out_shape)], [hc.vi("y", out_shape)], inits)
    return m


def _quick(fn, seconds=20.0):
    t = time.perf_counter()
    try:
        fn()
    finally:
        assert time.perf_counter() - t < seconds


@pytest.mark.parametrize("case", ["range", "constant_of_shape", "expand", "tile", "onehot", "sparse_constant",
                                  "broadcast_add"])
def test_huge_fold_refused_before_computing(case):
    i64 = lambda v, n: numpy_helper.from_array(np.array(v, np.int64), n)  # noqa: E731
    f32 = lambda v, n: numpy_helper.from_array(np.array(v, np.float32), n)  # noqa: E731
    red = helper.make_node("ReduceMax", ["big"], ["k"], name="red", keepdims=0)
    if case == "range":
        nodes, inits = [helper.make_node("Range", ["a", "b", "d"], ["big"], name="big_op")], \
            [i64(0, "a"), i64(10**12, "b"), i64(1, "d")]
        nodes.insert(1, helper.make_node("Cast", ["big"], ["bigf"], to=TensorProto.FLOAT))
        red = helper.make_node("ReduceMax", ["bigf"], ["k"], name="red", keepdims=0)
    elif case == "constant_of_shape":
        nodes, inits = [helper.make_node("ConstantOfShape", ["s"], ["big"], name="big_op")], [i64([10**6] * 2, "s")]
    elif case == "expand":
        nodes, inits = [helper.make_node("Expand", ["v", "s"], ["big"], name="big_op")], \
            [f32([1.0], "v"), i64([10**6] * 2, "s")]
    elif case == "tile":
        nodes, inits = [helper.make_node("Tile", ["v", "s"], ["big"], name="big_op")], \
            [f32([[1.0]], "v"), i64([10**6] * 2, "s")]
    elif case == "onehot":
        nodes, inits = [helper.make_node("OneHot", ["i", "depth", "vals"], ["big"], name="big_op")], \
            [i64([1] * 1000, "i"), i64(10**9, "depth"), f32([0, 1], "vals")]
    elif case == "sparse_constant":
        sp = helper.make_sparse_tensor(numpy_helper.from_array(np.ones(1, np.float32), "v"),
                                       numpy_helper.from_array(np.zeros(1, np.int64), "i"), [10**12])
        nodes, inits = [helper.make_node("Constant", [], ["big"], name="big_op", sparse_value=sp)], []
    else:
        nodes, inits = [helper.make_node("Add", ["col", "row"], ["big"], name="big_op")], \
            [f32(np.zeros((10**4, 1)), "col"), f32(np.zeros((1, 10**4)), "row")]
    m = _folded(nodes + [red], inits, [1])
    with pytest.raises(GenError) as e:
        _quick(lambda: _load(m))
    assert e.value.node == "big_op", e.value.line()
    assert "elements" in e.value.what and "--flash-limit" in e.value.what


def test_fold_limit_is_the_callers():
    """A 4 MB ConstantOfShape folds by default and is refused under a 1 MB limit."""
    inits = [numpy_helper.from_array(np.array([1000, 1000], np.int64), "s")]
    nodes = [helper.make_node("ConstantOfShape", ["s"], ["big"], name="big_op",
                              value=numpy_helper.from_array(np.array([0.5], np.float32))),
             helper.make_node("ReduceSum", ["big"], ["k"], name="red", keepdims=0)]
    g = _load(_folded(nodes, inits, [1]))
    k = next(n for n in g.nodes if n.name == "use").inputs[1]
    assert float(g.const(k)) == pytest.approx(0.5 * 10**6)
    with pytest.raises(GenError, match="more than the 1,000,000 bytes"):
        _load(_folded(nodes, inits, [1]), fold_limit=10**6)


def test_small_range_still_folds():
    inits = [numpy_helper.from_array(np.array(v, np.int64), n) for n, v in (("a", 3), ("b", 40), ("d", 7))]
    nodes = [helper.make_node("Range", ["a", "b", "d"], ["r"], name="range"),
             helper.make_node("Cast", ["r"], ["k"], name="cast", to=TensorProto.FLOAT)]
    g = _load(_folded(nodes, inits, [6]))
    k = next(n for n in g.nodes if n.name == "use").inputs[1]
    np.testing.assert_array_equal(g.const(k), np.arange(3, 40, 7).astype(np.float32))


def test_loop_is_never_run():
    body = helper.make_graph([helper.make_node("Identity", ["c"], ["c_out"]),
                              helper.make_node("Add", ["v", "one"], ["v_out"])], "body",
                             [hc.vi("i", [], TensorProto.INT64), hc.vi("c", [], TensorProto.BOOL), hc.vi("v", [1])],
                             [hc.vi("c_out", [], TensorProto.BOOL), hc.vi("v_out", [1])],
                             [numpy_helper.from_array(np.ones(1, np.float32), "one")])
    inits = [numpy_helper.from_array(np.array(10**12, np.int64), "M"), numpy_helper.from_array(np.array(True), "cond"),
             numpy_helper.from_array(np.zeros(1, np.float32), "v0")]
    m = _folded([helper.make_node("Loop", ["M", "cond", "v0"], ["k"], name="spin", body=body)], inits, [1])
    with pytest.raises(GenError) as e:
        _quick(lambda: _load(m))
    # refused by gen/controlflow.py's unroll budget, without running or unrolling it
    assert e.value.node == "spin" and "4,096 gen unrolls" in e.value.what and "1,000,000,000,000" in e.value.what


def test_slow_reference_op_refused():
    """A constant MaxPool runs in Python loops in onnx's evaluator: a big one is refused, not run."""
    x = numpy_helper.from_array(np.zeros((1, 64, 256, 256), np.float32), "c")
    nodes = [helper.make_node("MaxPool", ["c"], ["p"], name="pool", kernel_shape=[9, 9], pads=[4, 4, 4, 4]),
             helper.make_node("ReduceMax", ["p"], ["k"], name="red", keepdims=0)]
    with pytest.raises(GenError) as e:
        _quick(lambda: _load(_folded(nodes, [x], [1])))
    assert e.value.node == "pool" and "steps" in e.value.what


# ------------------------------------------------------------------ flash limit

def test_flash_limit_refuses_before_writing_c(tmp_path, monkeypatch):
    """70 MB of weights: refused under the default 64 MiB, before emit renders any C."""
    w = numpy_helper.from_array(np.ones((4375, 4000), np.float32), "W")   # 70,000,000 bytes
    m = hc.model([helper.make_node("MatMul", ["x", "W"], ["y"], name="fc")], [hc.vi("x", [1, 4375])],
                 [hc.vi("y", [1, 4000])], [w])
    path = hc.save(m, tmp_path / "big.onnx")
    from gen import emit
    monkeypatch.setattr(emit, "render", lambda *a, **k: pytest.fail("rendered C past the flash limit"))
    t = time.perf_counter()
    with pytest.raises(GenError, match=r"70,000,000 bytes of flash, more than --flash-limit 67,108,864"):
        driver.generate(path, str(tmp_path / "out"), test_vectors=0)
    assert time.perf_counter() - t < 60
    assert not (tmp_path / "out").exists()
