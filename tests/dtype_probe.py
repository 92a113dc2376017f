"""Probe which plain dtypes gen compiles each op for: onnx's own single-node test cases of the op
(tests/test_onnx_node_cases.py) retyped to each dtype ONNX allows for the op's typed operand
(gen.op_dtypes.typed_operand: every operand of that type parameter gets the dtype), run through gen's
frontend, passes, checks and C emission (no C build).

    python tests/dtype_probe.py [OP ...]     # per op: the dtypes that compile, and what differs from --list-ops
"""
from __future__ import annotations

import os
import sys
import tempfile
import warnings

import numpy as np
import onnx
from onnx import helper, numpy_helper

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_onnx_node_cases import node_cases  # noqa: E402

ONNX_TYPE = {"float32": onnx.TensorProto.FLOAT, "float16": onnx.TensorProto.FLOAT16,
             "bfloat16": onnx.TensorProto.BFLOAT16, "float64": onnx.TensorProto.DOUBLE,
             "int8": onnx.TensorProto.INT8, "uint8": onnx.TensorProto.UINT8, "int16": onnx.TensorProto.INT16,
             "int32": onnx.TensorProto.INT32, "int64": onnx.TensorProto.INT64, "uint16": onnx.TensorProto.UINT16,
             "uint32": onnx.TensorProto.UINT32, "uint64": onnx.TensorProto.UINT64, "bool": onnx.TensorProto.BOOL}
TYPE_STR = {"float32": "tensor(float)", "float16": "tensor(float16)", "bfloat16": "tensor(bfloat16)",
            "float64": "tensor(double)", "bool": "tensor(bool)"}
SEEDS = 4       # single-node cases tried per op (the first that compiles decides)


class HandCase:
    """A single-node case for an op onnx's node cases do not give one gen can compile (their model only)."""
    def __init__(self, op: str, opset: int, x_shape, **attrs):
        x = np.random.default_rng(0).normal(size=x_shape).astype(np.float32)
        node = helper.make_node(op, ["x"], ["y"], **attrs)
        g = helper.make_graph([node], op, [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, x_shape)],
                              [helper.make_empty_tensor_value_info("y")])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        self.model = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        del self.model.graph.value_info[:]
        self.name, self.data_sets = f"hand_{op}", [([x], [])]


# onnx's cases of these do not compile in float32 (test_mvn's function body fails onnx's shape inference) or
# do not exist (GlobalLpPool)
HAND_CASES = {"MeanVarianceNormalization": lambda: HandCase("MeanVarianceNormalization", 9, [1, 2, 3, 3]),
              "GlobalLpPool": lambda: HandCase("GlobalLpPool", 13, [1, 2, 3, 3], p=2)}


def type_str(dtype: str) -> str:
    return TYPE_STR.get(dtype, f"tensor({dtype})")


def seeds(op: str) -> list:
    """onnx's single-node cases of `op`, those whose typed operand is float32 first, then fewest inputs."""
    from gen.op_dtypes import typed_operand
    out = []
    for c in node_cases():
        g = c.model.graph
        if len(g.node) != 1 or g.node[0].op_type != op:
            continue
        opset = next((o.version for o in c.model.opset_import if o.domain in ("", "ai.onnx")), None)
        operand = typed_operand(op, opset) if opset else None
        if operand is None:
            continue
        kind, k, _ = operand
        names = list(g.node[0].input if kind == "input" else g.node[0].output)
        vis = {v.name: v for v in list(g.input) + list(g.output)}
        if k < len(names) and names[k] in vis:
            out.append((vis[names[k]].type.tensor_type.elem_type != onnx.TensorProto.FLOAT, len(g.input), c.name, c))
    hand = [HAND_CASES[op]()] if op in HAND_CASES else []
    return hand + [c for *_, c in sorted(out, key=lambda t: t[:3])][:SEEDS]


def _formal_types(op: str, opset: int, names: list[str], formals) -> dict[str, str]:
    """Tensor name -> its formal's type parameter (the last formal of a variadic list repeats)."""
    out = {}
    for i, n in enumerate(names):
        if n and formals:
            out[n] = formals[min(i, len(formals) - 1)].type_str
    return out


def allowed(op: str, opset: int) -> list[str]:
    """gen's dtypes that ONNX allows for op's typed operand at `opset`."""
    from gen.op_dtypes import ALL_DTYPES, typed_operand
    schema = onnx.defs.get_schema(op, opset)
    if typed_operand(op, opset) is None:
        return []
    tp = typed_operand(op, opset)[2]
    strs = next(c.allowed_type_strs for c in schema.type_constraints if c.type_param_str == tp)
    return [d for d in ALL_DTYPES if type_str(d) in strs]


def convert(a: np.ndarray, dtype: str) -> np.ndarray:
    a = np.asarray(a)
    if dtype == "bool":
        return a != 0
    if dtype in ("float32", "float16", "float64", "bfloat16"):
        return a.astype(np.float32 if dtype == "bfloat16" else dtype)
    info = np.iinfo(dtype)
    return np.clip(np.round(a.astype(np.float64)), info.min, info.max).astype(dtype)


def _tensor(name: str, a: np.ndarray, dtype: str | None) -> onnx.TensorProto:
    if dtype == "bfloat16":
        return helper.make_tensor(name, onnx.TensorProto.BFLOAT16, a.shape, a.reshape(-1).tolist())
    return numpy_helper.from_array(a, name)


def opset_for(case, dtype: str) -> int | None:
    """The case's opset (at least gen's first) if ONNX allows `dtype` for its op there, else the first newer
    one gen reads that does (None: none does)."""
    from gen.opsets import MAX_OPSET, MIN_OPSET
    op = case.model.graph.node[0].op_type
    first = next(o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx"))
    return next((v for v in range(max(first, MIN_OPSET), MAX_OPSET + 1) if dtype in allowed(op, v)), None)


def retyped(case, dtype: str, variant: str, same: str = "param") -> tuple[onnx.ModelProto, dict]:
    """The case's model with its typed operand of `dtype`, and with it (same='param') every operand of the
    same ONNX type parameter, or (same='dtype') every tensor, tensor attribute included, of the typed
    operand's dtype in the case (a scale, a Constant's value). Variant 'const': every graph input but
    the first an initializer. Returns (model, feeds of the graph inputs)."""
    from gen.op_dtypes import typed_operand
    m = onnx.ModelProto()
    m.CopyFrom(case.model)
    g, node = m.graph, m.graph.node[0]
    opset = opset_for(case, dtype)
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = opset
    schema = onnx.defs.get_schema(node.op_type, opset)
    kind, k, tp = typed_operand(node.op_type, opset)
    types = {**_formal_types(node.op_type, opset, list(node.input), schema.inputs),
             **_formal_types(node.op_type, opset, list(node.output), schema.outputs)}
    vis = {v.name: v for v in list(g.input) + list(g.output)}
    seed_type = vis[list(node.input if kind == "input" else node.output)[k]].type.tensor_type.elem_type
    if same == "param":
        changes = {n for n, t in types.items() if t == tp}
    else:
        changes = {n for n, v in vis.items() if v.type.tensor_type.elem_type == seed_type}
        for a in node.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == seed_type:
                a.t.CopyFrom(_tensor(a.t.name, convert(numpy_helper.to_array(a.t), dtype), dtype))
    ins, _ = case.data_sets[0]
    feeds = {}
    for vi, a in zip(g.input, ins):
        a = numpy_helper.to_array(a) if isinstance(a, onnx.TensorProto) else np.asarray(a)
        feeds[vi.name] = convert(a, dtype) if vi.name in changes else a
    for vi in list(g.input) + list(g.output):
        if vi.name in changes:
            vi.type.tensor_type.elem_type = ONNX_TYPE[dtype]
    if variant == "const" and len(g.input) > 1:
        keep = onnx.ValueInfoProto()
        keep.CopyFrom(g.input[0])
        for vi in list(g.input)[1:]:
            g.initializer.append(_tensor(vi.name, feeds.pop(vi.name), dtype if vi.name in changes else None))
        del g.input[:]
        g.input.append(keep)
    return m, feeds


def qdq_wrapped(case) -> onnx.ModelProto | None:
    """The case's float32 model with its one activation input arriving as int8 through a DequantizeLinear and
    its first output leaving through a QuantizeLinear (scale 0.05, zero point 0), its other inputs made
    initializers (None when it has float initializers then, e.g. weights: those need quantizing too)."""
    m, _ = retyped(case, "float32", "const", "param")
    g, node = m.graph, m.graph.node[0]
    if any(t.data_type == onnx.TensorProto.FLOAT for t in g.initializer) or len(node.output) != 1:
        return None
    x, y = g.input[0].name, g.output[0].name
    node.input[list(node.input).index(x)] = "x_dequantized"
    node.output[0] = "y_float"
    g.initializer.extend([numpy_helper.from_array(np.array(0.05, np.float32), "qdq_scale"),
                          numpy_helper.from_array(np.array(0, np.int8), "qdq_zero_point")])
    nodes = [helper.make_node("DequantizeLinear", [x, "qdq_scale", "qdq_zero_point"], ["x_dequantized"]), node,
             helper.make_node("QuantizeLinear", ["y_float", "qdq_scale", "qdq_zero_point"], [y])]
    del g.node[:]
    g.node.extend(nodes)
    y_float = onnx.ValueInfoProto()
    y_float.CopyFrom(g.output[0])           # the shape the case declares (Compress: data-dependent)
    y_float.name = "y_float"
    g.value_info.append(y_float)
    g.input[0].type.tensor_type.elem_type = g.output[0].type.tensor_type.elem_type = onnx.TensorProto.INT8
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = max(o.version, 13)     # per-tensor int8 QDQ as every opset from 13 reads it
    return m


def compiled_ops(model: onnx.ModelProto) -> list[str]:
    """The ops of the graph gen compiles `model` into (GenError when it refuses)."""
    from gen import driver, frontend
    from gen.ops import supported_onnx_ops
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        res = driver.compile_graph(frontend.load(path, name="m", supported=supported_onnx_ops()), "m", path)
    return [n.op for n in res.graph.nodes]


def compile_outcome(model: onnx.ModelProto) -> tuple[str, str]:
    """('ok', '') when gen compiles the model (frontend, passes, checks, C emission), ('refused', the
    GenError's line) or ('crashed', what)."""
    from gen import driver, frontend
    from gen.errors import GenError
    from gen.ops import supported_onnx_ops
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        try:
            driver.compile_graph(frontend.load(path, name="m", supported=supported_onnx_ops()), "m", path)
        except GenError as e:
            return "refused", str(e)
        except Exception as e:      # the CLI's internal error
            return "crashed", f"{type(e).__name__}: {e}".splitlines()[0]
    return "ok", ""


def probe(op: str) -> dict[str, tuple[str, str, object]]:
    """dtype -> (outcome, detail, the case) over the dtypes ONNX allows for op: 'ok' when one of op's seed
    cases (in either variant) compiles retyped to it, else the first seed's outcome."""
    result = {}
    cases = seeds(op)
    if not cases:
        return result
    from gen.op_dtypes import ALL_DTYPES, onnx_allows
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in (d for d in ALL_DTYPES if d in (onnx_allows(op) or ())):
            first = None
            for case, variant, same in ((c, v, s) for c in cases if opset_for(c, dtype) for s in ("param", "dtype")
                                        for v in ("const", "graph")):
                model, _ = retyped(case, dtype, variant, same)
                got = compile_outcome(model)
                first = first or (*got, case)
                if got[0] == "ok":
                    first = (*got, (case, variant, same))
                    break
            if first:
                result[dtype] = first
    return result


if __name__ == "__main__":
    from gen.op_dtypes import listed
    from gen.ops import supported_onnx_ops
    for op in sys.argv[1:] or sorted(supported_onnx_ops()):
        r = probe(op)
        ok = [d for d, v in r.items() if v[0] == "ok"]
        lst = [d for d in listed(op) if d in r]
        crashed = [f"{d}: {v[1]}" for d, v in r.items() if v[0] == "crashed"]
        mark = "" if ok == lst else f"   LISTED {','.join(lst)}"
        print(f"{op}: {','.join(ok) if r else 'NO SEED'}{mark}" + (f"   CRASH {crashed[0]}" if crashed else ""),
              flush=True)
