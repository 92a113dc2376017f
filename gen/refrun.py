"""The numpy integer reference of a compiled int8 graph: every node through its family's `reference`
(gen.int8ref, written independently of the C), in the same memory layout as the C. It is the oracle
the generated C must equal bit for bit.
"""
from __future__ import annotations

import numpy as np

from .errors import GenError
from .ir import NP_DTYPE, Graph
from .ops import family, has
from .ops.layout import mem_shape, to_memory, to_model


def float_reference(node, g: Graph, ins: list[np.ndarray]) -> list[np.ndarray]:
    """A node that computes in float (no int8 kernel): the ONNX op, then its fused
    activation, through onnxruntime (needed only for graphs with float layers); one array per output
    the node has (an absent optional output, '', gets none). Not bit-exact with the C's float kernels,
    which may differ in the last float bits."""
    from onnx import helper
    import onnxruntime as ort   # onnx's own reference evaluator gets BatchNormalization wrong (onnx 1.23)

    names = [f"i{k}" if i else "" for k, i in enumerate(node.inputs)]
    outs = [f"y{k}" if o else "" for k, o in enumerate(node.outputs)]
    ins = [np.asarray(v) if v is not None else v for v in ins]    # a rank-0 value may come as a numpy scalar
    proto = helper.make_node(node.op, names, outs, **{k: v for k, v in node.attrs.items()})
    vis = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
           for n, v in zip(names, ins) if n]
    model = helper.make_model(helper.make_graph([proto], "f", vis, [helper.make_empty_tensor_value_info(o)
                                                                    for o in outs if o]),
                              opset_imports=[helper.make_opsetid("", g.opset)])
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    # each output in gen's dtype of it: float32, or a plain integer / bool (a comparison, a Cast of one)
    dts = [NP_DTYPE.get(g.t(o).dtype, np.float32) for o in node.outputs if o]
    ys = [y.astype(dt) for y, dt in zip(sess.run(None, {n: v for n, v in zip(names, ins) if n}), dts)]
    a = node.act
    if a is not None:
        ys[0] = np.where(ys[0] < 0, ys[0] * np.float32(a.alpha), ys[0])
        ys[0] = np.clip(ys[0], np.float32(a.lo), np.float32(a.hi)).astype(np.float32)
    return ys


def run(g: Graph, inputs: list[np.ndarray], keep: bool = False) -> list[np.ndarray] | dict[str, np.ndarray]:
    """Runs the graph on int8 inputs (in the graph inputs' memory layout); returns the outputs (or all tensors)."""
    vals: dict[str, np.ndarray] = {}
    for name, x in zip(g.inputs, inputs):
        vals[name] = np.asarray(x).reshape(mem_shape(g.t(name)))
    for node in g.nodes:
        ins = [vals[i] if i in vals else g.t(i).data for i in node.inputs if i]
        if has(node, "is_view") or has(node, "is_cleanup") or has(node, "is_copy"):
            out = ins[0]
        else:
            fam = family(node)
            ref = getattr(fam, "reference", None)
            first = next(o for o in node.outputs if o)      # an optional output may be absent ('')
            if ref is None and (g.t(first).dtype == "float32" or g.t(first).quant is None):
                # a float op, or one on plain integers / bools (no int8 kernel): the ONNX op itself
                # the ONNX op sees tensors in the model's order (NHWC ones are only ever trivially so here)
                outs = float_reference(node, g, [to_model(g.t(i), vals[i]) if i in vals else
                                                 g.t(i).data if i else None for i in node.inputs])
                for o, y in zip([o for o in node.outputs if o], outs):   # every output (LSTM: Y, Y_h, Y_c)
                    vals[o] = np.asarray(to_memory(g.t(o), y)).reshape(mem_shape(g.t(o)))
                continue
            elif ref is None:
                raise GenError(f"no numpy reference for {node.op}", node.name, node.op)
            else:
                acts = [vals[i] for i in node.inputs if i and i in vals]
                out = ref(node, g, *acts)
        outs = [o for o in node.outputs if o]
        if len(outs) > 1:       # a multi-output op (Split): its reference returns one value per output
            for o, v in zip(outs, out):
                vals[o] = np.asarray(v).reshape(mem_shape(g.t(o)))
            continue
        y = g.t(node.outputs[0])
        vals[node.outputs[0]] = np.asarray(out).reshape(mem_shape(y))
    if keep:
        return vals
    return [vals[o] for o in g.outputs]
