"""Shared helpers for the op and model tests: build small ONNX graphs, run them through gen's
whole pipeline in memory (frontend -> passes -> plan -> emit -> cffi host build) and through
onnxruntime, and compare.

    m = make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": x}, ["y"])
    check(m, {"x": x})     # asserts max|C - ort| <= 1e-5 * max|ort| + ATOL for every output
"""
from __future__ import annotations

import os

import numpy as np
import onnx
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper, numpy_helper

RTOL = 1e-5           # of the largest |onnxruntime| output value
ATOL = 1e-6           # floor for outputs that are (near) zero everywhere
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
               np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int8): TensorProto.INT8}


# ----------------------------------------------------------------------------- building models

def make_model(nodes, inputs: dict, outputs, inits: dict | None = None, opset: int = 13,
               name: str = "t") -> onnx.ModelProto:
    """A model from nodes. `inputs` maps graph-input names to example arrays (or shapes);
    `inits` maps initializer names to arrays; `outputs` are names (shapes left to inference)
    or (name, shape) pairs."""
    ins = []
    for k, v in inputs.items():
        if isinstance(v, np.ndarray):
            ins.append(helper.make_tensor_value_info(k, _NP_TO_ONNX[v.dtype], list(v.shape)))
        else:
            ins.append(helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v)))
    outs = []
    for o in outputs:
        if isinstance(o, tuple):
            outs.append(helper.make_tensor_value_info(o[0], TensorProto.FLOAT, list(o[1])))
        else:
            outs.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, None))
    init = [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()]
    g = helper.make_graph(list(nodes), name, ins, outs, initializer=init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8 if opset < 19 else 9
    if any(not isinstance(o, tuple) for o in outputs):
        _fill_output_types(m)
    return m


def _fill_output_types(m: onnx.ModelProto) -> None:
    """Graph outputs given by name only get the type and rank that onnx's shape inference finds, with
    symbolic dims (the compiler infers them; onnx's inference is wrong in a few corners)."""
    inferred = onnx.shape_inference.infer_shapes(m, data_prop=True)
    vis = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for o in m.graph.output:
        v = vis.get(o.name)
        if v is not None and v.type.tensor_type.HasField("shape"):
            o.type.CopyFrom(v.type)
            for k, d in enumerate(o.type.tensor_type.shape.dim):
                d.dim_param = f"{o.name}_{k}"


def node(op: str, inputs, outputs, **attrs) -> onnx.NodeProto:
    """helper.make_node without attributes whose value is None."""
    return helper.make_node(op, list(inputs), list(outputs), **{k: v for k, v in attrs.items() if v is not None})


# ----------------------------------------------------------------------------- running

def ort_run(model: onnx.ModelProto, feeds: dict) -> list[np.ndarray]:
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    # no graph optimizations: compare against the plain kernels, not against onnxruntime's own fusions
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def gen_compile(model: onnx.ModelProto, name: str = "t"):
    """gen's pipeline in memory: returns the driver Result (graph, files, summary)."""
    from gen import driver, frontend
    from gen.ops import supported_onnx_ops
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = frontend.from_model(m, name=name, supported=supported_onnx_ops())
    return driver.compile_graph(g, name, "test.onnx")


def gen_run(model: onnx.ModelProto, feeds: dict, name: str = "t"):
    """Compiles, builds on the host (cached by content hash) and runs; returns (outputs, Result)."""
    from gen.host import HostModel
    res = gen_compile(model, name)
    host = HostModel(res.files)
    ins = [feeds[t["name"]] for t in host.inputs]
    return host.run(*ins), res


def assert_close(got: np.ndarray, ref: np.ndarray, rtol: float = RTOL, atol: float = ATOL, what: str = ""):
    ref = np.asarray(ref)
    got = np.asarray(got)
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, onnxruntime {ref.shape}"
    if ref.size == 0:
        return
    assert np.all(np.isfinite(got) == np.isfinite(ref)), f"{what}: non-finite values differ"
    fin = np.isfinite(ref)
    if not fin.all():
        assert np.array_equal(got[~fin], ref[~fin]), f"{what}: infinities differ"
    d = np.abs(got[fin].astype(np.float64) - ref[fin].astype(np.float64))
    mag = float(np.max(np.abs(ref[fin]))) if fin.any() else 0.0
    err = float(d.max()) if d.size else 0.0
    tol = rtol * mag + atol
    assert err <= tol, (f"{what}: max|C - onnxruntime| = {err:.3g} > {tol:.3g} (max|ort| = {mag:.3g}); "
                        f"at {np.unravel_index(int(np.argmax(d)), ref.shape) if d.size == ref.size else '?'}")


def check(model: onnx.ModelProto, feeds: dict, rtol: float = RTOL, atol: float = ATOL, name: str = "t"):
    """Runs gen and onnxruntime on the same model and inputs; asserts every output matches.
    Returns (gen outputs, onnxruntime outputs, gen Result)."""
    ref = ort_run(model, feeds)
    got, res = gen_run(model, feeds, name)
    out_names = [o.name for o in model.graph.output]
    assert len(got) == len(ref) == len(out_names)
    for n, gv, rv in zip(out_names, got, ref):
        assert_close(gv, rv, rtol, atol, what=f"output '{n}'")
    return got, ref, res


def ops_after_passes(res) -> list[str]:
    """The op types left in the compiled graph (after Identity removal, folding and fusion)."""
    return [n.op + (f"+{n.act.kind}" if n.act else "") for n in res.graph.nodes]


# ----------------------------------------------------------------------------- strategies

def floats(lo: float = -4.0, hi: float = 4.0):
    lo32, hi32 = np.float32(lo), np.float32(hi)       # bounds representable in float32, inside [lo, hi]
    lo32 = lo32 if lo32 >= lo else np.nextafter(lo32, np.float32(np.inf))
    hi32 = hi32 if hi32 <= hi else np.nextafter(hi32, np.float32(-np.inf))
    return st.floats(float(lo32), float(hi32), allow_nan=False, allow_infinity=False, width=32)


def farray(shape, lo: float = -4.0, hi: float = 4.0):
    """float32 arrays of `shape`, values in [lo, hi], no NaN."""
    return hnp.arrays(np.float32, tuple(int(d) for d in shape), elements=floats(lo, hi))


def nonzero_farray(shape, lo: float = 0.25, hi: float = 4.0):
    """float32 arrays with |values| in [lo, hi] (divisors)."""
    mag = hnp.arrays(np.float32, tuple(shape), elements=floats(lo, hi))
    sign = hnp.arrays(np.bool_, tuple(shape))
    return st.builds(lambda m, s: np.where(s, -m, m).astype(np.float32), mag, sign)


def shapes(min_dims=1, max_dims=4, min_side=1, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
