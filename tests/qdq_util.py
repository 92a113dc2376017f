"""Helpers for the int8 tests: make QDQ graphs from float op descriptions, run them through gen
(C on the host and the numpy integer reference) and through onnxruntime.

onnxruntime is the QDQ reference only with graph optimizations OFF (ORT_DISABLE_ALL): then every
DequantizeLinear -> op -> QuantizeLinear runs as the plain float op between exact dequantize and
quantize (round half to even), which is what the QDQ format means. With the default optimizations
onnxruntime fuses QDQ islands into its own integer kernels, and on this machine those give wrong
answers (the MLPerf KWS int8 model: the float model and unfused onnxruntime say class 5, the fused
kernels say 9), so they are no reference.

    fm = float_model([node("Conv", ["x", "W", "B"], ["y"], pads=[1, 1, 1, 1])], {"x": (1, 3, 8, 8)}, ["y"],
                     {"W": w, "B": b})
    qm = quantize_model(fm, rng, style="ort")          # DQ -> Conv -> Q, per-channel int8 weights
    r = run_all(qm, [xq])                              # C, numpy reference, onnxruntime (all int8)
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def node(op: str, inputs, outputs, **attrs) -> onnx.NodeProto:
    """helper.make_node without attributes whose value is None."""
    return helper.make_node(op, list(inputs), list(outputs), **{k: v for k, v in attrs.items() if v is not None})


def make_model(nodes, inputs: dict, outputs, inits: dict | None = None, opset: int = 13) -> onnx.ModelProto:
    """A float model: `inputs` maps names to shapes, `outputs` are names (types from shape inference)."""
    ins = [helper.make_tensor_value_info(k, TensorProto.FLOAT, list(v)) for k, v in inputs.items()]
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
    init = [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()]
    m = helper.make_model(helper.make_graph(list(nodes), "f", ins, outs, initializer=init),
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(m)
    vis = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for o in m.graph.output:
        if o.name in vis and vis[o.name].type.tensor_type.HasField("shape"):
            o.type.CopyFrom(vis[o.name].type)
    return m

# ops whose float output a following Relu/Clip fuses into (gen folds op -> Relu -> Q into one kernel)
FUSABLE = {"Conv", "Gemm", "MatMul", "Add", "Mul", "AveragePool", "MaxPool", "GlobalAveragePool"}
# weight input of these ops is quantized int8 symmetric; per-channel axis per op
WEIGHT_OPS = {"Conv", "Gemm", "MatMul"}


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

def float_model(nodes, inputs: dict, outputs, inits: dict | None = None, opset: int = 13) -> onnx.ModelProto:
    return make_model(nodes, inputs, outputs, inits, opset=opset)


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
    producers = {o: n for n in g.node for o in n.output}
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
    for o in m.graph.output:
        pass
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


# ----------------------------------------------------------------------------- gen

def gen_compile(model: onnx.ModelProto, name: str = "m"):
    from gen import driver, frontend
    from gen.ops import supported_onnx_ops
    m = onnx.ModelProto()
    m.CopyFrom(model)
    return driver.compile_graph(frontend.from_model(m, name=name, supported=supported_onnx_ops()), name, "t.onnx")


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
