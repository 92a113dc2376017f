"""Layer-by-layer check of a compiled graph against onnxruntime running the ORIGINAL model's nodes.

gen keeps the ONNX names of the tensors it computes (an int8 kernel writes its island's Q output, a
fused Conv + BatchNormalization + Relu writes the Relu's output, ...). For every such tensor T, the
smallest subgraph of the original model (after the QOperator -> QDQ rewrite of gen.qoperator, which
keeps the QOperator nodes' output names) that computes T from tensors gen also has (its frontier)
and constants runs in onnxruntime with graph optimizations off (its QDQ semantics: dequantize, float
op, quantize half to even), fed with gen's values of the frontier, and is compared with gen's T.
Errors therefore do not accumulate: every layer is judged on its own inputs, and nothing of gen's
lowering (QDQ folding, NHWC layouts, 1-D as 2-D, requantizes, BN folding, fusion) is trusted.

Tolerances (`tolerance_of`):
- int8 tensors: 1 LSB (TFLite / CMSIS-NN fixed-point requantization, ties away from zero, against
  onnxruntime's float op and round half to even); 0 where the subgraph only moves bytes (Reshape,
  Transpose, MaxPool, Concat, Pad, ... between Q/DQ of one scale and zero point).
  Two documented exceptions where gen rounds twice by construction (a byte-moving or softmax kernel
  in the input's or its own format, then a RequantizeS8 to the model's output scale):
  AvgPoolS8 then RequantizeS8: ceil(1 + r / 2) with r = s_in / s_out (the average rounds by up to
  1/2 input LSB); SoftmaxS8 (1/256) then RequantizeS8: 2.
- float tensors: FLOAT_RTOL of the largest |onnxruntime| value of the tensor.

All subgraphs go into ONE onnxruntime model (internal tensor names prefixed per layer), so a check
costs one session, built once and reused for every input.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .ir import Graph
from .ops.layout import to_memory, to_model

FLOAT_RTOL = 1e-5       # per float layer, of the largest |onnxruntime| value
FLOAT_ATOL = 1e-6       # floor for tensors that are (near) zero everywhere
# ONNX ops that move or select bytes: between Q and DQ of one scale and zero point they are exact
MOVE_OPS = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Identity", "Dropout", "MaxPool",
            "Concat", "Pad", "Slice", "Gather", "Split", "GlobalMaxPool", "Expand", "Tile", "DepthToSpace",
            "SpaceToDepth"}
QDQ = {"QuantizeLinear", "DequantizeLinear"}
_NP = {onnx.TensorProto.FLOAT: np.dtype(np.float32), onnx.TensorProto.INT8: np.dtype(np.int8),
       onnx.TensorProto.UINT8: np.dtype(np.uint8), onnx.TensorProto.INT32: np.dtype(np.int32),
       onnx.TensorProto.INT64: np.dtype(np.int64), onnx.TensorProto.BOOL: np.dtype(bool),
       onnx.TensorProto.UINT16: np.dtype(np.uint16), onnx.TensorProto.UINT32: np.dtype(np.uint32),
       onnx.TensorProto.UINT64: np.dtype(np.uint64)}


@dataclass
class Layer:
    tensor: str              # the ONNX tensor compared
    node: str                # the ONNX node that computes it (the op nearest the tensor, not a Q/DQ/Relu)
    op: str
    dtype: str               # 'int8' or 'float32'
    tol: float               # LSB (int8) or relative (float)
    why: str = ""            # why the tolerance is not the default
    err: float = 0.0         # worst over the inputs checked: LSB (int8) or relative error (float)

    @property
    def ok(self) -> bool:
        return self.err <= self.tol

    def label(self) -> str:
        return f"'{self.node}' ({self.op} -> '{self.tensor}')"

    def err_text(self) -> str:
        return f"{int(self.err)} LSB" if self.dtype == "int8" else f"rel {self.err:.2g}"

    def tol_text(self) -> str:
        return f"{int(self.tol)} LSB" if self.dtype == "int8" else f"rel {self.tol:.0e}"


def original_model(model) -> onnx.ModelProto:
    """A copy of the model as onnxruntime will run it: QOperator nodes rewritten as QDQ (gen.qoperator,
    which is what gen reads too), graph inputs that are initializers dropped."""
    from . import qoperator
    m = onnx.ModelProto()
    if isinstance(model, (str, bytes)) and not isinstance(model, onnx.ModelProto):
        m.CopyFrom(onnx.load(model) if isinstance(model, str) else onnx.load_model_from_string(model))
    else:
        m.CopyFrom(model)
    if qoperator.has_qoperator(m):
        qoperator.rewrite(m)
    inits = {i.name for i in m.graph.initializer}
    keep = [i for i in m.graph.input if i.name not in inits]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    return m


class LayerCheck:
    """Built once per (original model, compiled graph); `run` compares one set of gen's values."""

    def __init__(self, model, g: Graph):
        self.g = g
        m = original_model(model)
        self.model = m
        og = m.graph
        try:
            inferred = onnx.shape_inference.infer_shapes(m)
        except Exception:
            inferred = m
        self.otype: dict[str, np.dtype] = {}
        self.oshape: dict[str, tuple | None] = {}
        for vi in list(inferred.graph.value_info) + list(og.input) + list(og.output):
            tt = vi.type.tensor_type
            if vi.type.HasField("tensor_type"):     # float16/bfloat16/float64: not the float32 gen computes
                self.otype[vi.name] = _NP.get(tt.elem_type, np.dtype(object))
                dims = [d.dim_value if d.HasField("dim_value") else None for d in tt.shape.dim]
                self.oshape[vi.name] = tuple(dims) if tt.HasField("shape") and None not in dims else None
        self.inits = {i.name: i for i in og.initializer}
        self.nodes = list(og.node)
        self.producer = {o: k for k, n in enumerate(self.nodes) for o in n.output if o}
        self.layers: list[Layer] = []
        self.unchecked: list[str] = []
        self._build()

    # ------------------------------------------------------------------------------ structure

    def _shared(self, name: str) -> bool:
        """gen has this tensor of the model, with the model's dtype and shape (an activation)."""
        t = self.g.tensors.get(name)
        if t is None or t.is_const or (t.dtype not in ("int8", "float32") and not _uint8_quantized(t)):
            return False
        if name not in self.producer and name not in {i.name for i in self.model.graph.input}:
            return False
        ot = self.otype.get(name)
        if ot is not None and ot != np.dtype(t.dtype) and not (ot == np.uint8 and t.dtype == "int8"):
            return False    # a uint8-quantized tensor of the model is int8 in gen (q - 128, gen.qpasses)
        shp = self.oshape.get(name)
        return shp is None or tuple(shp) == tuple(t.shape)

    def _subgraph(self, target: str) -> tuple[list[int], list[str]] | None:
        """(indices of the original nodes computing target, frontier tensors), or None when the
        target needs a model input gen does not have."""
        want, seen, frontier = [self.producer[target]], set(), []
        while want:
            k = want.pop()
            if k in seen:
                continue
            seen.add(k)
            for i in self.nodes[k].input:
                if not i or i in self.inits:
                    continue
                if self._shared(i):
                    if i not in frontier:
                        frontier.append(i)
                elif i in self.producer:
                    want.append(self.producer[i])
                else:
                    return None
        return sorted(seen), frontier

    def _build(self) -> None:
        g = self.g
        nodes, outs, feeds, used_inits = [], [], {}, set()
        self._outputs: list[tuple[str, Layer]] = []
        targets = [n for n in g.tensors if n not in g.inputs and n in self.producer and self._shared(n)]
        targets.sort(key=lambda n: self.producer[n])
        for li, target in enumerate(targets):
            sub = self._subgraph(target)
            if sub is None:
                self.unchecked.append(target)
                continue
            idx, frontier = sub
            pre = f"lc{li}/"
            internal = {o for k in idx for o in self.nodes[k].output if o}

            def ren(name, internal=internal, pre=pre):
                return pre + name if name in internal else name
            for k in idx:
                n = self.nodes[k]
                c = onnx.NodeProto()
                c.CopyFrom(n)
                c.name = pre + (n.name or f"node{k}")
                del c.input[:]
                c.input.extend(ren(i) for i in n.input)
                del c.output[:]
                c.output.extend(ren(o) for o in n.output)
                nodes.append(c)
                used_inits.update(i for i in n.input if i in self.inits)
            for f in frontier:
                feeds[f] = g.t(f)
            outs.append(pre + target)
            layer = self._layer(target, [self.nodes[k] for k in idx], frontier)
            self.layers.append(layer)
            self._outputs.append((pre + target, layer))
        self.feeds = feeds
        self.session = None
        if not nodes:
            return
        ins = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(self._ort_dtype(n)), list(t.shape))
               for n, t in feeds.items()]
        outputs = [helper.make_tensor_value_info(o, helper.np_dtype_to_tensor_dtype(
            self._ort_dtype(layer.tensor) if layer.dtype == "int8" else np.dtype(layer.dtype)), None)
            for o, layer in self._outputs]
        graph = helper.make_graph(nodes, "layercheck", ins, outputs,
                                  initializer=[self.inits[i] for i in sorted(used_inits)])
        lm = helper.make_model(graph, opset_imports=list(self.model.opset_import))
        lm.ir_version = self.model.ir_version
        from .verify import ort_session
        self.session = ort_session(lm.SerializeToString(), quantized=True)

    def _ort_dtype(self, name: str) -> np.dtype:
        """The tensor's dtype in onnxruntime: gen's, or uint8 where gen computes the model's uint8 as int8."""
        ot = self.otype.get(name)
        return ot if ot == np.uint8 else np.dtype(self.g.t(name).dtype)

    def _layer(self, target: str, sub: list[onnx.NodeProto], frontier: list[str]) -> Layer:
        main = [n for n in sub if n.op_type not in QDQ | {"Relu", "Clip"}] or \
            [n for n in sub if n.op_type not in QDQ] or sub
        node = main[-1]
        dtype = "int8" if _uint8_quantized(self.g.t(target)) else self.g.t(target).dtype
        if dtype != "int8":
            return Layer(target, node.name, node.op_type, dtype, FLOAT_RTOL)
        tol, why = self.tolerance_of(target, sub, frontier)
        return Layer(target, node.name, node.op_type, dtype, tol, why)

    def _qparams(self, n: onnx.NodeProto):
        vals = []
        for i in n.input[1:3]:
            if not i:
                vals.append(None)
            elif i in self.inits:
                vals.append(numpy_helper.to_array(self.inits[i]).reshape(-1).tolist())
            else:
                return "unknown"
        return tuple(map(str, vals))

    def tolerance_of(self, target: str, sub: list[onnx.NodeProto], frontier: list[str]) -> tuple[int, str]:
        """The LSB an int8 layer may differ from onnxruntime by, and why when it is not 1."""
        ops = [n.op_type for n in sub]
        q = {self._qparams(n) for n in sub if n.op_type in QDQ}
        if all(o in MOVE_OPS | QDQ for o in ops) and len(q) <= 1 and "unknown" not in q:
            return 0, "moves bytes"
        # gen's nodes from the frontier to the target
        chain, want = [], [target]
        shared = set(frontier) | {target}
        while want:
            name = want.pop()
            p = self.g.producer(name)
            if p is None:
                continue
            chain.append(p)
            want.extend(i for i in p.inputs if i and not self.g.t(i).is_const and i not in shared)
        kinds = {n.op for n in chain}
        if "RequantizeS8" in kinds:
            rq = next(n for n in chain if n.op == "RequantizeS8")
            r = self.g.t(rq.inputs[0]).quant.s() / self.g.t(rq.outputs[0]).quant.s()
            if "AvgPoolS8" in kinds:
                return int(math.ceil(1 + r / 2)), "average then requantize (two roundings)"
            if "SoftmaxS8" in kinds:
                return 2, "softmax at 1/256 then requantize (two roundings)"
        return 1, ""

    # ------------------------------------------------------------------------------ running

    def run(self, vals: dict[str, np.ndarray]) -> list[Layer]:
        """vals: gen's value of every tensor (gen.refrun.run(..., keep=True): gen's memory layout).
        Updates and returns the layers (worst error over all calls so far)."""
        if self.session is None:
            return self.layers
        feeds = {n: _as_int8(to_model(t, vals[n]).astype(np.dtype(t.dtype)), to=self._ort_dtype(n))
                 for n, t in self.feeds.items()}
        got = self.session.run([o for o, _ in self._outputs], feeds)
        for (_, layer), want in zip(self._outputs, got):
            mine = to_model(self.g.t(layer.tensor), vals[layer.tensor])
            want = np.asarray(want).reshape(mine.shape)
            if mine.size == 0:
                continue
            if layer.dtype == "int8":     # uint8 values (onnxruntime's, a uint8 graph output) as q - 128
                mine, want = _as_int8(mine), _as_int8(want)
                err = float(np.max(np.abs(mine.astype(np.int32) - want.astype(np.int32))))
            else:
                d = np.abs(mine.astype(np.float64) - want.astype(np.float64))
                mag = float(np.max(np.abs(want)))
                err = float(np.max(d)) / max(mag, FLOAT_ATOL / FLOAT_RTOL) if np.all(np.isfinite(d)) else math.inf
            layer.err = max(layer.err, err)
        return self.layers

    def worst(self) -> Layer | None:
        """The layer furthest over (or nearest to) its tolerance."""
        if not self.layers:
            return None

        def key(l):
            return (not l.ok, (l.err - l.tol) if l.dtype == "int8" else (l.err / l.tol - 1), l.err)
        return max(self.layers, key=key)

    def ok(self) -> bool:
        return all(l.ok for l in self.layers)

    def summary(self) -> dict:
        w = self.worst()
        int8 = [l for l in self.layers if l.dtype == "int8"]
        tols = sorted({l.tol_text() for l in int8})
        return dict(ok=self.ok(), layers=len(self.layers), int8_layers=len(int8), unchecked=list(self.unchecked),
                    worst=None if w is None else dict(tensor=w.tensor, node=w.node, op=w.op, err=w.err_text(),
                                                      tol=w.tol_text(), label=w.label()),
                    exceptions=[f"{l.label()}: {l.tol_text()} ({l.why})" for l in int8 if l.tol > 1],
                    failing=[f"{l.label()} {l.err_text()} > {l.tol_text()}" for l in self.layers if not l.ok],
                    tolerances=tols, float_rtol=FLOAT_RTOL)


def _uint8_quantized(t) -> bool:
    """A uint8 graph input or output of a uint8-quantized model (gen.qpasses.uint8_to_int8)."""
    return t.dtype == "uint8" and t.quant is not None


def _as_int8(x: np.ndarray, to: np.dtype = np.dtype(np.int8)) -> np.ndarray:
    """uint8 q as the int8 q - 128 (or back, to=uint8): the top bit flipped; other dtypes as they are."""
    x = np.asarray(x)
    if {x.dtype, np.dtype(to)} == {np.dtype(np.uint8), np.dtype(np.int8)}:
        return (x.view(np.uint8) ^ np.uint8(0x80)).view(to)
    return x


def check(model, g: Graph, vals_list: list[dict[str, np.ndarray]]) -> LayerCheck:
    """Runs the layer check on gen's values for each input (refrun keep=True dicts)."""
    lc = LayerCheck(model, g)
    for vals in vals_list:
        lc.run(vals)
    return lc


def check_inputs(model, g: Graph, inputs: list[list[np.ndarray]], lc: LayerCheck | None = None) -> LayerCheck:
    """The layer check on gen's numpy reference (gen.refrun) for each list of graph inputs, given in the
    model's order (int8 for int8 graph inputs, float for float ones). Pass `lc` to reuse its session."""
    from . import refrun
    lc = lc or LayerCheck(model, g)
    for xs in inputs:
        mem = [to_memory(g.t(n), x) for x, n in zip(xs, g.inputs)]
        lc.run(refrun.run(g, mem, keep=True))
    return lc


def failure_text(lc: LayerCheck) -> str:
    s = lc.summary()
    w = s["worst"]
    return "; ".join(s["failing"]) or (f"worst {w['label']} {w['err']}" if w else "no layer")
