"""The one helper module for test graphs: build small ONNX graphs (float ones, and QDQ int8 ones made from
float op descriptions), run them through gen's whole pipeline in memory (frontend -> passes -> plan ->
emit -> cffi host build; for int8 also the numpy integer reference) and through onnxruntime, and compare.

    m = make_model([helper.make_node("Relu", ["x"], ["y"])], {"x": x}, ["y"])
    check(m, {"x": x})     # asserts max|C - ort| <= 1e-5 * max|ort| + ATOL for every output

    fm = float_model([node("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1])], {"x": (1, 3, 8, 8)}, ["y"],
                     {"W": w, "B": b})
    qm = quantize_model(fm, rng, style="ort")          # DQ -> Conv -> Q, per-channel int8 weights
    r = run_all(qm, [xq])                              # C, numpy reference, onnxruntime (all int8)

onnxruntime is the reference only with graph optimizations OFF (ORT_DISABLE_ALL): float tests compare
against the plain kernels, not against onnxruntime's own fusions, and for QDQ graphs every
DequantizeLinear -> op -> QuantizeLinear then runs as the plain float op between exact dequantize and
quantize (round half to even), which is what the QDQ format means. With the default optimizations
onnxruntime fuses QDQ islands into its own integer kernels, and on this machine those give wrong answers
(the MLPerf KWS int8 model: the float model and unfused onnxruntime say class 5, the fused kernels say
9), so they are no reference.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from onnx import TensorProto, helper, numpy_helper

RTOL = 1e-5           # of the largest |onnxruntime| output value
ATOL = 1e-6           # floor for outputs that are (near) zero everywhere
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

_NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
               np.dtype(np.int32): TensorProto.INT32, np.dtype(np.int8): TensorProto.INT8,
               np.dtype(np.float16): TensorProto.FLOAT16, np.dtype(np.uint8): TensorProto.UINT8,
               np.dtype(np.int16): TensorProto.INT16, np.dtype(np.bool_): TensorProto.BOOL}


# ops whose float output a following Relu/Clip fuses into (gen folds op -> Relu -> Q into one kernel)
FUSABLE = {"Conv", "Gemm", "MatMul", "Add", "Mul", "AveragePool", "MaxPool", "GlobalAveragePool", "ConvTranspose"}
# weight input of these ops is quantized int8 symmetric; per-channel axis per op
WEIGHT_OPS = {"Conv", "Gemm", "MatMul", "ConvTranspose"}


# ----------------------------------------------------------------------------- building models

def make_model(nodes, inputs: dict, outputs, inits: dict | None = None, opset: int = 13,
               name: str = "t", concrete: bool = False) -> onnx.ModelProto:
    """A model from nodes. `inputs` maps graph-input names to example arrays (or shapes);
    `inits` maps initializer names to arrays; `outputs` are names (shapes left to inference)
    or (name, shape) pairs. Outputs given by name get onnx's inferred type and rank with symbolic
    dims, or (concrete=True, what the QDQ rewriter wants) the inferred shape itself."""
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
    m.ir_version = 8 if opset < 19 or concrete else 9
    if concrete:
        _fill_output_shapes(m)
    elif any(not isinstance(o, tuple) for o in outputs):
        _fill_output_types(m)
    return m


def float_model(nodes, inputs: dict, outputs, inits: dict | None = None, opset: int = 13) -> onnx.ModelProto:
    """A float model for quantize_model: `inputs` maps names to shapes, `outputs` are names (their
    shapes from onnx's shape inference)."""
    return make_model(nodes, inputs, outputs, inits, opset=opset, name="f", concrete=True)


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


def _fill_output_shapes(m: onnx.ModelProto) -> None:
    """Graph outputs get the type and shape that onnx's shape inference finds."""
    inferred = onnx.shape_inference.infer_shapes(m)
    vis = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for o in m.graph.output:
        if o.name in vis and vis[o.name].type.tensor_type.HasField("shape"):
            o.type.CopyFrom(vis[o.name].type)


def node(op: str, inputs, outputs, **attrs) -> onnx.NodeProto:
    """helper.make_node without attributes whose value is None."""
    return helper.make_node(op, list(inputs), list(outputs), **{k: v for k, v in attrs.items() if v is not None})




# ----------------------------------------------------------------------------- onnxruntime

def ort_session(model: onnx.ModelProto):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    # ORT_DISABLE_ALL: the QDQ reference is DQ -> float op -> Q. onnxruntime's default optimizations
    # fuse QDQ into its own integer kernels, which give wrong results on this machine (KWS: class 9
    # instead of the float model's 5), so they are not a reference.
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])


def ort_run(model: onnx.ModelProto, feeds: dict) -> list[np.ndarray]:
    return ort_session(model).run(None, feeds)


def ort_all_tensors(model: onnx.ModelProto, feeds: dict, pred=lambda n: True) -> dict[str, np.ndarray]:
    """Every output of the nodes selected by pred, as extra graph outputs (keeps their dtypes)."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for n in m.graph.node:
        if pred(n):
            for o in n.output:
                if o and o not in have:
                    m.graph.output.append(helper.make_empty_tensor_value_info(o))
                    have.add(o)
    # onnx needs types for outputs: let shape inference fill them
    m = onnx.shape_inference.infer_shapes(m)
    vis = {v.name: v for v in m.graph.value_info}
    for o in m.graph.output:
        if not o.type.HasField("tensor_type") and o.name in vis:
            o.CopyFrom(vis[o.name])
    sess = ort_session(m)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(None, feeds)))


# ----------------------------------------------------------------------------- gen

def gen_compile(model: onnx.ModelProto, name: str = "m"):
    """gen's pipeline in memory: returns the driver Result (graph, files, summary)."""
    from gen import driver, frontend
    from gen.ops import supported_onnx_ops
    m = onnx.ModelProto()
    m.CopyFrom(model)
    return driver.compile_graph(frontend.from_model(m, name=name, supported=supported_onnx_ops()), name, "t.onnx")


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


def to_model_layout(res, name: str, arr: np.ndarray) -> np.ndarray:
    """A refrun value (memory layout) in the model's layout (NCHW for NHWC tensors)."""
    from gen.ops.layout import to_model
    return to_model(res.graph.t(name), arr)


def boundary(res):
    """[(scale, zp)] of the inputs and of the outputs of a compiled int8 model."""
    ins = [(np.float32(t["scale"]), int(t["zero_point"])) for t in res.summary["inputs"]]
    outs = [(np.float32(t["scale"]), int(t["zero_point"])) for t in res.summary["outputs"]]
    return ins, outs


def run_all(model: onnx.ModelProto, xqs: list[np.ndarray], res=None, name: str = "m"):
    """gen's C (run_s8), gen's numpy reference, and onnxruntime on the same int8 inputs (each fed to
    onnxruntime as its exact dequantized float). Returns (res, c_outs, ref_outs, ort_outs), all int8 in
    the model's layout; onnxruntime's float outputs are requantized with the boundary's parameters."""
    from gen import refrun
    from gen.host import HostModel
    res = res or gen_compile(model, name)
    hm = HostModel(res.files)
    c = hm.run_s8(*xqs)
    ref = refrun.run(res.graph, [_mem(res, res.graph.inputs[k], x) for k, x in enumerate(xqs)])
    ref = [to_model_layout(res, o, r) for o, r in zip(res.graph.outputs, ref)]
    (qin, qout) = boundary(res)
    feeds = {}
    ins = [i for i in model.graph.input if i.name not in {x.name for x in model.graph.initializer}]
    for i, x, (s, zp) in zip(ins, xqs, qin):
        feeds[i.name] = dequantize(x, s, zp)
    ort_f = ort_run(model, feeds)
    ort_q = [quantize(np.asarray(y, np.float32), s, zp).reshape(cc.shape) for y, (s, zp), cc in zip(ort_f, qout, c)]
    return res, c, ref, ort_q


def _mem(res, name, x):
    from gen.ops.layout import to_memory
    return to_memory(res.graph.t(name), np.asarray(x, np.int8))


def lsb(a, b) -> int:
    return int(np.abs(np.asarray(a, np.int32) - np.asarray(b, np.int32)).max()) if np.size(a) else 0


# ----------------------------------------------------------------------------- quantization helpers

def qparams(lo: float, hi: float) -> tuple[np.float32, np.int8]:
    """Asymmetric int8 scale and zero point covering [lo, hi] (and 0), as onnxruntime's calibrator does."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-6:
        hi = lo + 1e-3
    s = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(np.rint(-128 - lo / float(s)), -128, 127))
    return s, np.int8(zp)


def quantize(x, s, zp) -> np.ndarray:
    """onnxruntime's QuantizeLinear to int8: float32 division, round half to even, saturate."""
    v = np.rint(np.asarray(x, np.float32) / np.float32(s)) + int(zp)
    return np.clip(v, -128, 127).astype(np.int8)


def dequantize(q, s, zp) -> np.ndarray:
    return ((np.asarray(q, np.int32) - int(zp)).astype(np.float32) * np.float32(s)).astype(np.float32)


def sym_weights(w: np.ndarray, axis: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 weights (zero point 0): per channel along axis, or per tensor (axis None)."""
    w = np.asarray(w, np.float32)
    if axis is None:
        s = np.float32(max(float(np.abs(w).max()), 1e-4) / 127.0)
        return np.clip(np.rint(w / s), -127, 127).astype(np.int8), np.asarray(s, np.float32)
    red = tuple(k for k in range(w.ndim) if k != axis)
    s = (np.maximum(np.abs(w).max(axis=red), 1e-4) / 127.0).astype(np.float32)
    shp = [1] * w.ndim
    shp[axis] = -1
    return np.clip(np.rint(w / s.reshape(shp)), -127, 127).astype(np.int8), s


def _weight_axis(n: onnx.NodeProto) -> int:
    if n.op_type == "Conv":
        return 0
    if n.op_type == "Gemm":
        tb = next((a.i for a in n.attribute if a.name == "transB"), 0)
        return 0 if tb else 1
    return 1   # MatMul [K, N]


# ----------------------------------------------------------------------------- the QDQ rewriter

def calibrate(fm: onnx.ModelProto, feeds_list: list[dict]) -> dict[str, tuple[float, float]]:
    """Float range of every tensor (graph inputs and node outputs) over the calibration feeds."""
    ranges: dict[str, list[float]] = {}
    for feeds in feeds_list:
        vals = ort_all_tensors(fm, feeds)
        vals.update(feeds)
        for k, v in vals.items():
            v = np.asarray(v)
            if v.dtype != np.float32 or v.size == 0:
                continue
            lo, hi = ranges.get(k, [np.inf, -np.inf])
            ranges[k] = [min(lo, float(v.min())), max(hi, float(v.max()))]
    return {k: (lo, hi) for k, (lo, hi) in ranges.items()}


def quantize_model(fm: onnx.ModelProto, feeds_list: list[dict], style: str = "ort", per_channel: bool = True,
                   no_weights: bool = False, out_qparams: dict | None = None,
                   fixed: dict | None = None) -> onnx.ModelProto:
    """The float model as QDQ int8: every activation through Q -> DQ with a scale from the calibration
    range, weights of Conv/Gemm/MatMul symmetric int8 (per-channel on the output channel axis, or
    per-tensor), biases int32 with scale s_in * s_w and axis 0, per-tensor scales and zero points as
    rank-0 initializers.

    style "ort": a Relu after a fusable op is dropped and its range ([0, max]) does the clamp
    (onnxruntime's quantize_static); style "tflite": op -> Relu -> Q, no Q between op and Relu.
    `fixed` maps tensor names to (scale, zero_point) overriding the calibration (e.g. softmax 1/256)."""
    ranges = calibrate(fm, feeds_list)
    fixed = dict(fixed or {})
    g = fm.graph
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    consumers: dict[str, list] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    new_nodes, new_inits = [], {}
    qp: dict[str, tuple] = {}

    def const(name, arr):
        new_inits[name] = np.asarray(arr)
        return name

    def act_q(name):
        if name not in qp:
            qp[name] = fixed[name] if name in fixed else qparams(*ranges[name])
        return qp[name]

    def qdq(src, pname=None):
        """Q -> DQ on float tensor `src` with the parameters of tensor `pname` (default src); returns the
        DQ output name (`{pname}_dq`)."""
        pname = pname or src
        s, zp = act_q(pname)
        sn, zn = const(f"{pname}_s", np.float32(s)), const(f"{pname}_zp", np.int8(zp))
        new_nodes.append(helper.make_node("QuantizeLinear", [src, sn, zn], [f"{pname}_q"], name=f"{pname}_Q"))
        new_nodes.append(helper.make_node("DequantizeLinear", [f"{pname}_q", sn, zn], [f"{pname}_dq"],
                                          name=f"{pname}_DQ"))
        return f"{pname}_dq"

    out_names = [o.name for o in g.output]
    renames: dict[str, str] = {}
    for x in g.input:
        if x.name not in inits:
            renames[x.name] = qdq(x.name)
    skip: set[str] = set()   # outputs of Relu nodes folded into their producer's Q ("ort" style)
    for n in g.node:
        if n.output[0] in skip:
            continue
        ins = [renames.get(i, i) for i in n.input]
        if n.op_type in WEIGHT_OPS and not no_weights and len(n.input) > 1 and n.input[1] in inits:
            axis = _weight_axis(n) if per_channel else None
            wq, ws = sym_weights(inits[n.input[1]], axis)
            w = n.input[1]
            dqn = helper.make_node("DequantizeLinear", [const(f"{w}_q", wq), const(f"{w}_s", ws),
                                                        const(f"{w}_zp", np.zeros(ws.shape, np.int8))],
                                   [f"{w}_dq"], name=f"{w}_DQ")
            if axis is not None:
                dqn.attribute.extend([helper.make_attribute("axis", axis)])
            new_nodes.append(dqn)
            ins[1] = f"{w}_dq"
            if len(n.input) > 2 and n.input[2] in inits:
                sx, _ = act_q(n.input[0])
                b = inits[n.input[2]].astype(np.float32).reshape(-1)
                bs = np.broadcast_to((np.float32(sx) * ws.reshape(-1)).astype(np.float32), b.shape).copy()
                bq = np.rint(b / bs).astype(np.int32)
                bn = n.input[2]
                per = ws.size > 1
                dqb = helper.make_node("DequantizeLinear",
                                       [const(f"{bn}_q", bq), const(f"{bn}_s", bs if per else np.float32(bs[0])),
                                        const(f"{bn}_zp", np.zeros(bs.shape, np.int32) if per else np.int32(0))],
                                       [f"{bn}_dq"], name=f"{bn}_DQ")
                if per:
                    dqb.attribute.extend([helper.make_attribute("axis", 0)])
                new_nodes.append(dqb)
                ins[2] = f"{bn}_dq"
        for k, i in enumerate(n.input):   # other constants stay float (shapes, pads, ...)
            if i in inits and i not in new_inits and ins[k] == i:
                new_inits[i] = inits[i]
        out = n.output[0]
        nn = helper.make_node(n.op_type, ins, list(n.output), name=n.name or out)
        nn.attribute.extend(n.attribute)
        new_nodes.append(nn)
        cons = consumers.get(out, [])
        if n.op_type in FUSABLE and len(cons) == 1 and cons[0].op_type in ("Relu", "Clip") and out not in out_names:
            if style == "ort" and cons[0].op_type == "Relu":
                # onnxruntime's quantizer: the Relu goes, the Q with the Relu's range ([0, max]) clamps
                relu_out = cons[0].output[0]
                renames[relu_out] = qdq(out, relu_out)
                skip.add(relu_out)
            continue                        # tflite: op -> Relu -> Q, no Q in between
        renames[out] = qdq(out)
    final = new_nodes
    outs = []
    for o in g.output:
        src = renames.get(o.name, o.name)
        outs.append(helper.make_tensor_value_info(src, TensorProto.FLOAT, None))
    ins = [x for x in g.input if x.name not in inits]
    inits_p = [numpy_helper.from_array(np.asarray(v), k) for k, v in new_inits.items()]
    qg = helper.make_graph(final, "q", list(ins), outs, initializer=inits_p)
    m = helper.make_model(qg, opset_imports=list(fm.opset_import))
    m.ir_version = fm.ir_version
    m = onnx.shape_inference.infer_shapes(m)
    _fix_outputs(m)
    if out_qparams is not None:
        for o in m.graph.output:
            dq = o.name[:-3] if o.name.endswith("_dq") else o.name
            out_qparams[o.name] = qp[dq]
    onnx.checker.check_model(m)
    return m


def _fix_outputs(m: onnx.ModelProto) -> None:
    vis = {v.name: v for v in m.graph.value_info}
    for o in m.graph.output:
        if o.name in vis and not o.type.tensor_type.HasField("shape"):
            o.CopyFrom(vis[o.name])


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


def assert_refused(tmp_path, model: onnx.ModelProto, *needles: str) -> str:
    """`python -m gen` refuses `model`: exit status 2, one line on stderr holding every needle, and no
    output directory. Returns the line."""
    path = tmp_path / "m.onnx"
    onnx.save(model, path)
    r = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(tmp_path / "out"), "-q"],
                       capture_output=True, text=True, timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, (r.returncode, r.stderr)
    for n in needles:
        assert n in lines[0], lines[0]
    assert not (tmp_path / "out").exists()
    return lines[0]


def passes_on_board(model: onnx.ModelProto, out, env: str, kernels=(), vectors: int = 3, args=(), what=None,
                    exact: bool = True, defines=()) -> str:
    """Saves `model` beside `out`, generates it into `out` with `vectors` test vectors (and `args`),
    requires each of `kernels` to be called in its C, then builds (with the preprocessor `defines`, e.g.
    GEN_CHECK_OVERLAP) and runs the firmware on the QEMU env: every vector PASS (max_err 0 against the host
    build's outputs when `exact`). Returns the C source."""
    import subprocess
    import sys
    from pathlib import Path
    from gen import board
    out = Path(out)
    path = out.with_suffix(".onnx")
    onnx.save(model, str(path))
    proc = subprocess.run([sys.executable, "-m", "gen", str(path), "-o", str(out), "-q", "--test-vectors",
                           str(vectors), *args], cwd=board.ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    src = (out / f"{out.name}.c").read_text()
    for k in kernels:
        assert k + "(" in src, (k, what)
    r = board.run_on_qemu(str(out), env, build_dir=str(out.parent / f"{out.name}_{env}"), timeout=300, defines=defines)
    assert r["result"] == "PASS" and all(v["pass"] and (v["max_err"] == 0 or not exact) for v in r["results"]), \
        (what, env, r["log"][-3000:])
    return src


def mlperf_int8(stem: str) -> str:
    """The path of ../shared/models/<stem>_int8_qdq_tflite.onnx (the official TFLite int8 model as QDQ); the test
    skips when it is absent."""
    import os
    import pytest
    p = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "shared",
                     "models", f"{stem}_int8_qdq_tflite.onnx")
    if not os.path.exists(p):
        pytest.skip(f"{p} not present")
    return p


def without_overlap_check(c: str) -> str:
    """Generated C without its GEN_CHECK_OVERLAP blocks (the test build's second call of each overlapped layer,
    gen/overlap_c.py): what a count of the calls in the C should read."""
    import re
    return re.sub(r"#ifdef GEN_CHECK_OVERLAP.*?#endif", "", c, flags=re.S)
