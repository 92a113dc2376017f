"""The QOperator form (onnxruntime's QuantFormat.QOperator) rewritten as QDQ, before anything else reads it.

QLinearConv, QLinearMatMul (ONNX) and QGemm, QLinearAdd, QLinearMul, QLinearAveragePool,
QLinearGlobalAveragePool, QLinearSoftmax, QLinearSigmoid, QLinearLeakyRelu, QLinearConcat
(com.microsoft) become DequantizeLinear -> float op -> QuantizeLinear, which gen.qpasses folds back
into one int8 kernel: one folding path serves both forms.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .errors import GenError

MS = "com.microsoft"
# op -> (float op, [(x, scale, zero point) input triples], (y scale, y zero point) input indices)
SIMPLE = {
    "QLinearAdd": ("Add", [(0, 1, 2), (3, 4, 5)], (6, 7)),
    "QLinearMul": ("Mul", [(0, 1, 2), (3, 4, 5)], (6, 7)),
    "QLinearAveragePool": ("AveragePool", [(0, 1, 2)], (3, 4)),
    "QLinearGlobalAveragePool": ("GlobalAveragePool", [(0, 1, 2)], (3, 4)),
    "QLinearSoftmax": ("Softmax", [(0, 1, 2)], (3, 4)),
    "QLinearSigmoid": ("Sigmoid", [(0, 1, 2)], (3, 4)),
    "QLinearLeakyRelu": ("LeakyRelu", [(0, 1, 2)], (3, 4)),
    "QLinearMatMul": ("MatMul", [(0, 1, 2), (3, 4, 5)], (6, 7)),
}
KNOWN = set(SIMPLE) | {"QLinearConv", "QGemm", "QLinearConcat"}
DROP_ATTRS = {"channels_last", "opset", "domain"}


def has_qoperator(model: onnx.ModelProto) -> bool:
    return any(n.op_type in KNOWN for n in model.graph.node)


def rewrite(model: onnx.ModelProto) -> None:
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    names = {o for n in g.node for o in list(n.input) + list(n.output)} | set(inits)
    out_nodes = []

    def fresh(hint):
        k, name = 0, hint
        while name in names:
            k += 1
            name = f"{hint}_{k}"
        names.add(name)
        return name

    def const(name):
        if name not in inits:
            return None
        return numpy_helper.to_array(inits[name])

    def dq(x, s, z, tag, node, axis=None):
        y = fresh(f"{x}_{tag}_dq")
        attrs = {"axis": axis} if axis is not None else {}
        out_nodes.append(helper.make_node("DequantizeLinear", [x, s, z] if z else [x, s], [y],
                                          name=fresh(f"{node.name or node.op_type}_{tag}_dq"), **attrs))
        return y

    def q(x, s, z, y, node):
        out_nodes.append(helper.make_node("QuantizeLinear", [x, s, z] if z else [x, s], [y],
                                          name=fresh(f"{node.name or node.op_type}_q")))

    def bias_dq(b, xs, ws, node):
        sx, sw = const(xs), const(ws)
        if sx is None or sw is None:
            raise GenError("QOperator bias needs constant input and weight scales", node.name, node.op_type)
        scale = (sx.astype(np.float32) * sw.astype(np.float32)).astype(np.float32).reshape(-1)
        sname, zname = fresh(f"{b}_scale"), fresh(f"{b}_zero_point")
        g.initializer.extend([numpy_helper.from_array(scale if scale.size > 1 else scale.reshape(()), sname),
                              numpy_helper.from_array(np.zeros(scale.shape if scale.size > 1 else (), np.int32),
                                                      zname)])
        return dq(b, sname, zname, "b", node, axis=0 if scale.size > 1 else None)

    for node in g.node:
        op = node.op_type
        if op not in KNOWN:
            out_nodes.append(node)
            continue
        ins = list(node.input) + [""] * 10
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute if a.name not in DROP_ATTRS}
        if op == "QLinearGlobalAveragePool" and attrs.get("channels_last"):
            raise GenError("channels_last QLinearGlobalAveragePool is not supported", node.name, op)
        y = node.output[0]
        if op == "QLinearConv":
            x = dq(ins[0], ins[1], ins[2], "x", node)
            w = dq(ins[3], ins[4], ins[5], "w", node, axis=0)
            fins = [x, w] + ([bias_dq(ins[8], ins[1], ins[4], node)] if ins[8] else [])
            f = fresh(f"{y}_f")
            out_nodes.append(helper.make_node("Conv", fins, [f], name=node.name, **attrs))
            q(f, ins[6], ins[7], y, node)
        elif op == "QGemm":
            x = dq(ins[0], ins[1], ins[2], "x", node)
            axis = 0 if int(attrs.get("transB", 0)) else 1
            w = dq(ins[3], ins[4], ins[5], "w", node, axis=axis)
            fins = [x, w] + ([bias_dq(ins[6], ins[1], ins[4], node)] if ins[6] else [])
            if not ins[7]:    # no output scale: the output is float
                out_nodes.append(helper.make_node("Gemm", fins, [y], name=node.name, **attrs))
                continue
            f = fresh(f"{y}_f")
            out_nodes.append(helper.make_node("Gemm", fins, [f], name=node.name, **attrs))
            q(f, ins[7], ins[8], y, node)
        elif op == "QLinearConcat":
            ys, yz = ins[0], ins[1]
            rest = list(node.input)[2:]
            xs = [dq(rest[k], rest[k + 1], rest[k + 2], f"x{k // 3}", node) for k in range(0, len(rest), 3)]
            f = fresh(f"{y}_f")
            out_nodes.append(helper.make_node("Concat", xs, [f], name=node.name, **attrs))
            q(f, ys, yz, y, node)
        else:
            fop, triples, (si, zi) = SIMPLE[op]
            xs = [dq(ins[a], ins[b], ins[c], f"x{k}", node, axis=None) for k, (a, b, c) in enumerate(triples)]
            if op == "QLinearMatMul" and const(ins[3]) is not None and np.size(const(ins[4])) > 1:
                out_nodes.pop()     # per-channel weights: along the output columns
                xs[1] = dq(ins[3], ins[4], ins[5], "w", node, axis=1)
            f = fresh(f"{y}_f")
            out_nodes.append(helper.make_node(fop, xs, [f], name=node.name, **attrs))
            q(f, ins[si], ins[zi], y, node)
    del g.node[:]
    g.node.extend(out_nodes)
    # drop the com.microsoft import if nothing uses it any more
    if not any(n.domain == MS for n in g.node):
        keep = [o for o in model.opset_import if o.domain != MS]
        del model.opset_import[:]
        model.opset_import.extend(keep)
