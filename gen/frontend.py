"""ONNX in, ir.Graph out: load, check, pin shapes, infer shapes, fold constants.

Every problem with the input is a GenError naming the node; nothing here writes files.
"""
from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from .errors import GenError
from .ir import Graph, Node, Quant, Tensor

MIN_OPSET, MAX_OPSET = 11, 21

ONNX_DTYPES = {
    onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT8: "int8", onnx.TensorProto.UINT8: "uint8",
    onnx.TensorProto.INT32: "int32", onnx.TensorProto.INT64: "int64", onnx.TensorProto.BOOL: "bool",
}
# ops evaluated at generation time when all their inputs are constants
_NONDETERMINISTIC = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
                     "Bernoulli"}
# dtypes an activation (non-constant tensor) may have
ACTIVATION_DTYPES = {"float32", "int8"}


def _dtype_name(elem_type: int) -> str:
    try:
        return onnx.helper.tensor_dtype_to_np_dtype(elem_type).name
    except Exception:  # pragma: no cover - unknown enum value
        return f"type {elem_type}"


def load_model(path: str) -> onnx.ModelProto:
    if not os.path.exists(path):
        raise GenError(f"cannot read model '{path}': no such file")
    if os.path.isdir(path):
        raise GenError(f"cannot read model '{path}': it is a directory")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise GenError(f"cannot read model '{path}': {e.strerror}") from None
    if not data:
        raise GenError(f"'{path}' is not an ONNX model: the file is empty")
    try:
        model = onnx.load_model_from_string(data)
    except Exception:
        raise GenError(f"'{path}' is not an ONNX model: it does not parse as an ONNX protobuf "
                       "(truncated or corrupt file?)") from None
    bad = _non_utf8_field(model)
    if bad:
        raise GenError(f"'{path}' is not a valid ONNX model: a string in field {bad} is not UTF-8 (corrupt file?)")
    if not model.HasField("graph"):
        raise GenError(f"'{path}' is not an ONNX model: it has no graph")
    if not model.graph.node and not model.graph.output:
        raise GenError(f"'{path}' has an empty graph: no nodes and no outputs")
    # external data (weights stored beside the model)
    base = os.path.dirname(os.path.abspath(path))
    for init in model.graph.initializer:
        if init.data_location == onnx.TensorProto.EXTERNAL:
            loc = {e.key: e.value for e in init.external_data}.get("location", "")
            if not os.path.exists(os.path.join(base, loc)):
                raise GenError(f"initializer '{init.name}' keeps its data in external file '{loc}', "
                               f"which is missing next to '{path}'")
    try:
        onnx.external_data_helper.load_external_data_for_model(model, base)
    except Exception as e:
        raise GenError(f"cannot load external data of '{path}': {_one_line(e)}") from None
    return model


def _non_utf8_field(msg) -> str | None:
    """The first string field holding invalid UTF-8 (protobuf then hands out bytes, not str), or None."""
    for fd, val in msg.ListFields():
        if fd.type == fd.TYPE_STRING:
            if any(isinstance(v, bytes) for v in ([val] if isinstance(val, (str, bytes)) else val)):
                return fd.full_name
        elif fd.type == fd.TYPE_MESSAGE:
            for m in ([val] if hasattr(val, "ListFields") else val):
                bad = _non_utf8_field(m)
                if bad:
                    return bad
    return None


def _array(t: onnx.TensorProto, what: str | None = None) -> np.ndarray:
    """A tensor's data; a corrupt one (data that does not fill its dims, unknown type) is a GenError."""
    try:
        return numpy_helper.to_array(t)
    except Exception as e:
        raise GenError(f"{what or 'initializer'} '{t.name}' is corrupt: {_one_line(e)}") from None


def _one_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    text = [t.strip() for t in text if t.strip()]
    return text[0] if text else type(e).__name__


def _opset(model: onnx.ModelProto) -> int:
    opset = None
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            opset = o.version
    if opset is None:
        raise GenError("the model imports no version of the default ONNX opset")
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise GenError(f"opset {opset} is not supported: gen reads ONNX opsets {MIN_OPSET} to {MAX_OPSET}")
    return opset


def _check_structure(g: onnx.GraphProto) -> None:
    """Cycles, undefined inputs and duplicate names, with the node named (the checker's words are long)."""
    known = {i.name for i in g.initializer} | {i.name for i in g.input}
    produced: dict[str, str] = {}
    for n in g.node:
        for o in n.output:
            if not o:
                continue
            if o in produced or o in known:
                raise GenError(f"tensor '{o}' is produced twice (duplicate tensor name)", n.name, n.op_type)
            produced[o] = n.name
    if not g.node:
        raise GenError("the graph has no nodes")
    for n in g.node:
        if n.domain not in ("", "ai.onnx"):
            raise GenError(f"operator domain '{n.domain}' is not supported (only the default ONNX domain)",
                           n.name, n.op_type)
        for i in n.input:
            if i and i not in known and i not in produced:
                raise GenError(f"input '{i}' is never produced by any node, initializer or graph input",
                               n.name, n.op_type)
    for o in g.output:
        if o.name not in known and o.name not in produced:
            raise GenError(f"graph output '{o.name}' is never produced")


def _toposort(g: onnx.GraphProto) -> list[onnx.NodeProto]:
    ready = {i.name for i in g.initializer} | {i.name for i in g.input} | {""}
    pending = list(g.node)
    out = []
    while pending:
        rest = []
        for n in pending:
            if all(i in ready for i in n.input):
                out.append(n)
                ready.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            n = rest[0]
            raise GenError("the graph has a cycle: this node depends on its own output", n.name, n.op_type)
        pending = rest
    return out


def _pin_inputs(model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]]) -> None:
    g = model.graph
    inits = {i.name for i in g.initializer}
    names = [i.name for i in g.input if i.name not in inits]
    for k in input_shapes:
        if k not in names:
            raise GenError(f"--input-shape names '{k}', which is not a graph input (inputs: {', '.join(names)})")
    for inp in g.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        if not inp.type.HasField("tensor_type"):
            raise GenError(f"graph input '{inp.name}' is not a tensor")
        dims = tt.shape.dim
        if inp.name in input_shapes:
            shape = input_shapes[inp.name]
            if tt.HasField("shape") and len(dims) != len(shape):
                raise GenError(f"--input-shape gives {len(shape)} dims for '{inp.name}', which has {len(dims)}")
            for k, d in enumerate(dims):
                if d.HasField("dim_value") and d.dim_value != shape[k]:
                    raise GenError(f"--input-shape {inp.name}={','.join(map(str, shape))} contradicts the model's "
                                   f"fixed dimension {k} = {d.dim_value}")
            tt.shape.ClearField("dim")
            for v in shape:
                tt.shape.dim.add().dim_value = int(v)
            continue
        if not tt.HasField("shape"):
            raise GenError(f"graph input '{inp.name}' has no shape: give one with --input-shape {inp.name}=...")
        for k, d in enumerate(dims):
            if not d.HasField("dim_value") or d.dim_value <= 0:
                sym = d.dim_param or "?"
                hint = (f"pin it with --input-shape {inp.name}=" +
                        ",".join("1" if not x.HasField("dim_value") else str(x.dim_value) for x in dims))
                if d.HasField("dim_value") and d.dim_value == 0:
                    raise GenError(f"graph input '{inp.name}' has a zero-size dimension {k}")
                raise GenError(f"graph input '{inp.name}' has a dynamic dimension {k} ('{sym}'): gen needs static "
                               f"shapes; {hint}")


def _infer(model: onnx.ModelProto) -> onnx.ModelProto:
    try:
        return shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except Exception as e:
        raise GenError(f"shape inference failed: {_one_line(e)}") from None


def _evaluate(node: onnx.NodeProto, values: list[np.ndarray], opset: int) -> list[np.ndarray]:
    from onnx.reference import ReferenceEvaluator
    ins = [helper.make_tensor_value_info(f"i{k}", helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
           for k, v in enumerate(values)]
    n = onnx.NodeProto()
    n.CopyFrom(node)
    n.ClearField("input")
    n.input.extend(f"i{k}" if name else "" for k, name in enumerate(node.input))
    n.ClearField("output")
    n.output.extend(f"o{k}" for k in range(len(node.output)))
    outs = [helper.make_empty_tensor_value_info(f"o{k}") for k in range(len(node.output))]
    g = helper.make_graph([n], "fold", [i for i, name in zip(ins, node.input) if name], outs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    feeds = {f"i{k}": v for k, (v, name) in enumerate(zip(values, node.input)) if name}
    return [np.asarray(x) for x in ReferenceEvaluator(m).run(None, feeds)]


def _fold_constants(model: onnx.ModelProto, opset: int) -> bool:
    """Replace every node whose inputs are all constant (or whose output is a known Shape) by an initializer."""
    g = model.graph
    consts = {i.name: _array(i) for i in g.initializer}
    shapes = _value_shapes(model)
    keep, changed = [], False
    outputs = {o.name for o in g.output}
    for n in g.node:
        vals = None
        if n.op_type in _NONDETERMINISTIC or n.op_type in ("QuantizeLinear", "DequantizeLinear"):
            keep.append(n)
            continue
        if n.op_type == "Constant":
            try:
                vals = _evaluate(n, [], opset)
            except Exception as e:
                raise GenError(f"cannot read this constant: {_one_line(e)}", n.name, n.op_type) from None
        elif n.op_type == "Shape" and shapes.get(n.input[0]) is not None:
            shp = np.array(shapes[n.input[0]], dtype=np.int64)
            a = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            start, end = a.get("start", 0), a.get("end", None)
            vals = [shp[start:end]]
        elif n.op_type == "Size" and shapes.get(n.input[0]) is not None:
            vals = [np.array(int(np.prod(shapes[n.input[0]])), dtype=np.int64)]
        elif n.input and all((not i) or i in consts for i in n.input) and not any(o in outputs for o in n.output):
            try:
                vals = _evaluate(n, [consts[i] if i else None for i in n.input], opset)
            except Exception as e:
                raise GenError(f"cannot evaluate this constant subgraph: {_one_line(e)}", n.name, n.op_type) from None
        if vals is None or any(o in outputs for o in n.output):
            keep.append(n)
            continue
        for name, v in zip(n.output, vals):
            if name:
                consts[name] = v
                g.initializer.append(numpy_helper.from_array(np.asarray(v), name))
        changed = True
    if changed:
        del g.node[:]
        g.node.extend(keep)
    return changed


def _value_shapes(model: onnx.ModelProto) -> dict[str, tuple[int, ...] | None]:
    out = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            out[vi.name] = None
            continue
        dims = []
        for d in tt.shape.dim:
            if not d.HasField("dim_value"):
                dims = None
                break
            dims.append(d.dim_value)
        out[vi.name] = tuple(dims) if dims is not None else None
    for i in model.graph.initializer:
        out[i.name] = tuple(i.dims)
    return out


def _value_types(model: onnx.ModelProto) -> dict[str, int]:
    out = {}
    for vi in list(model.graph.value_info) + list(model.graph.input) + list(model.graph.output):
        if vi.type.HasField("tensor_type"):
            out[vi.name] = vi.type.tensor_type.elem_type
    for i in model.graph.initializer:
        out[i.name] = i.data_type
    return out


def load(path: str, input_shapes: dict[str, tuple[int, ...]] | None = None, name: str = "model",
         supported: set[str] | None = None) -> Graph:
    """The whole frontend: returns a Graph with static shapes and no constant subgraphs."""
    model = load_model(path)
    return from_model(model, input_shapes, name, supported)


def from_model(model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]] | None = None,
               name: str = "model", supported: set[str] | None = None) -> Graph:
    opset = _opset(model)
    from . import qoperator
    if qoperator.has_qoperator(model):
        qoperator.rewrite(model)
    g = model.graph
    _check_structure(g)
    _toposort(g)
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise GenError(f"the ONNX checker rejects the model: {_one_line(e)}") from None
    # graph inputs that are also initializers are constants (old exporters write them)
    inits = {i.name for i in g.initializer}
    real_inputs = [i for i in g.input if i.name not in inits]
    del g.input[:]
    g.input.extend(real_inputs)
    _pin_inputs(model, input_shapes or {})
    for inp in g.input:
        et = inp.type.tensor_type.elem_type
        if ONNX_DTYPES.get(et) not in ACTIVATION_DTYPES:
            raise GenError(f"graph input '{inp.name}' has dtype {_dtype_name(et)}: gen supports float32 and int8 "
                           "inputs")
    # ops computed at generation time (Shape->Gather->Concat chains) need no kernel: checked after folding
    foldable = _generation_time_nodes(g)
    if supported is not None:
        _check_supported([n for k, n in enumerate(g.node) if k not in foldable], supported)
    # infer, fold, repeat: PyTorch's Shape->Gather->Concat->Reshape chains need a few rounds
    for _ in range(32):
        model = _infer(model)
        if _fix_ceil_mode_pools(model):
            model = _infer(model)
        if not _fold_constants(model, opset):
            break
    model = _infer(model)
    if supported is not None:
        _check_supported(model.graph.node, supported)
    _check_param_shapes(model)
    return _to_ir(model, opset, name)


def _check_supported(nodes, supported: set[str]) -> None:
    for n in nodes:
        if n.op_type not in supported:
            raise GenError(f"operator {n.op_type} is not supported (see the supported list: "
                           "python -m gen --list-ops)", n.name, n.op_type)


def _generation_time_nodes(g: onnx.GraphProto) -> set[int]:
    """Indices of the nodes whose outputs depend only on constants and shapes: folding removes them."""
    known = {i.name for i in g.initializer}
    outputs = {o.name for o in g.output}
    out: set[int] = set()
    grew = True
    while grew:
        grew = False
        for k, n in enumerate(g.node):
            if k in out or n.op_type in _NONDETERMINISTIC or n.op_type in ("QuantizeLinear", "DequantizeLinear") \
                    or any(o in outputs for o in n.output):
                continue
            if n.op_type in ("Constant", "Shape", "Size") or \
                    (n.input and all((not i) or i in known for i in n.input)):
                out.add(k)
                known.update(o for o in n.output if o)
                grew = True
    return out


def _fix_ceil_mode_pools(model: onnx.ModelProto) -> bool:
    """ceil_mode pooling ignores a last window that starts in the right padding (ONNX spec, onnxruntime);
    onnx's shape inference counts it. Such nodes become the same op in ceil_mode=0, with the right
    pads extended by what ceil_mode added along the axes where its window is real (padding takes no
    part in MaxPool or in AveragePool without count_include_pad). Returns True if a node changed
    (value_info is then cleared, for a fresh inference)."""
    shapes = _value_shapes(model)
    changed = False
    for n in model.graph.node:
        if n.op_type not in ("MaxPool", "AveragePool"):
            continue
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        shp = shapes.get(n.input[0])
        if not int(a.get("ceil_mode", 0)) or shp is None or "kernel_shape" not in a:
            continue
        auto_pad = a.get("auto_pad", b"NOTSET")
        auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
        if auto_pad not in ("NOTSET", "VALID"):
            continue
        sizes, kernel = list(shp[2:]), [int(k) for k in a["kernel_shape"]]
        nd = len(sizes)
        if len(kernel) != nd:
            continue
        strides = [int(v) for v in a.get("strides", [1] * nd)]
        dil = [int(v) for v in a.get("dilations", [1] * nd)]
        pads = [int(v) for v in a.get("pads", [0] * 2 * nd)] if auto_pad == "NOTSET" else [0] * 2 * nd
        dropped, extra = False, [0] * nd
        for i in range(nd):
            span = sizes[i] + pads[i] + pads[i + nd] - (kernel[i] - 1) * dil[i] - 1
            if span < 0 or span % strides[i] == 0:
                continue
            if (span // strides[i] + 1) * strides[i] >= sizes[i] + pads[i]:
                dropped = True
            else:
                extra[i] = strides[i] - span % strides[i]
        if not dropped:
            continue
        if any(extra) and n.op_type == "AveragePool" and int(a.get("count_include_pad", 0)):
            raise GenError("ceil_mode=1 adds a window starting in the right padding along one axis and a real "
                           "window along another: not supported with count_include_pad=1", n.name, n.op_type)
        keep = [x for x in n.attribute if x.name not in ("ceil_mode", "pads", "auto_pad")]
        del n.attribute[:]
        n.attribute.extend(keep)
        n.attribute.append(helper.make_attribute("pads", pads[:nd] + [p + e for p, e in zip(pads[nd:], extra)]))
        changed = True
    if changed:   # shapes downstream were inferred from the wrong count: infer them again
        del model.graph.value_info[:]
        for o in model.graph.output:
            for k, d in enumerate(o.type.tensor_type.shape.dim):
                d.dim_param = f"{o.name}_dim{k}"
    return changed


def _check_param_shapes(model: onnx.ModelProto) -> None:
    """Parameter shapes ONNX shape inference lets through but the passes and kernels rely on."""
    shapes = _value_shapes(model)

    def shp(name):
        return shapes.get(name) if name else None
    for n in model.graph.node:
        ins = list(n.input)
        x = shp(ins[0]) if ins else None
        if x is None:
            continue
        if n.op_type == "Conv" and len(ins) > 1 and shp(ins[1]) is not None:
            w = shp(ins[1])
            if len(w) != len(x) or len(w) < 3:
                raise GenError(f"weights '{ins[1]}' have shape {list(w)}, the input has shape {list(x)}: "
                               "they need the same rank (>= 3)", n.name, n.op_type)
            if len(ins) > 2 and shp(ins[2]) not in (None, (w[0],)):
                raise GenError(f"bias '{ins[2]}' has shape {list(shp(ins[2]))}, not [{w[0]}] (the output channels)",
                               n.name, n.op_type)
        elif n.op_type == "Gemm" and len(ins) > 2 and shp(ins[2]) is not None and shp(n.output[0]) is not None:
            c, y = shp(ins[2]), shp(n.output[0])
            try:
                ok = len(c) <= len(y) and np.broadcast_shapes(c, y) == y
            except ValueError:
                ok = False
            if not ok:
                raise GenError(f"bias '{ins[2]}' has shape {list(c)}, which does not broadcast to the output "
                               f"{list(y)}", n.name, n.op_type)
        elif n.op_type == "BatchNormalization":
            if len(x) < 2:
                raise GenError(f"input '{ins[0]}' has shape {list(x)}: it needs a channel dimension", n.name, n.op_type)
            for p in ins[1:5]:
                if shp(p) not in (None, (x[1],)):
                    raise GenError(f"parameter '{p}' has shape {list(shp(p))}, not [{x[1]}] (the channels)",
                                   n.name, n.op_type)
        elif n.op_type in ("QuantizeLinear", "DequantizeLinear") and len(ins) > 1 and shp(ins[1]) is not None:
            sc = shp(ins[1])
            axis = next((helper.get_attribute_value(a) for a in n.attribute if a.name == "axis"), 1)
            if sc not in ((), (1,)):
                if not -len(x) <= axis < len(x) or sc != (x[axis],):
                    raise GenError(f"scale '{ins[1]}' has shape {list(sc)}: per-axis scales need one value per "
                                   f"element of axis {axis} of {list(x)}", n.name, n.op_type)
            scalar = ((), (1,))
            zp = shp(ins[2]) if len(ins) > 2 else None
            if zp is not None and zp != sc and not (zp in scalar and sc in scalar):
                raise GenError(f"zero point '{ins[2]}' has shape {list(shp(ins[2]))}, its scale {list(sc)}",
                               n.name, n.op_type)


def _to_ir(model: onnx.ModelProto, opset: int, name: str) -> Graph:
    g = model.graph
    nodes = _toposort(g)
    shapes = _value_shapes(model)
    types = _value_types(model)
    tensors: dict[str, Tensor] = {}
    for init in g.initializer:
        arr = _array(init)
        dt = arr.dtype.name
        if dt == "float64":
            arr, dt = arr.astype(np.float32), "float32"
        tensors[init.name] = Tensor(init.name, tuple(int(d) for d in arr.shape), dt, arr)
    used_names = set()
    for i, n in enumerate(nodes):
        nm = n.name or f"{n.op_type}_{i}"
        if nm in used_names:
            nm = f"{nm}_{i}"
        used_names.add(nm)
        n.name = nm
    for n in nodes:
        for o in list(n.input) + list(n.output):
            if not o or o in tensors:
                continue
            shp = shapes.get(o)
            et = types.get(o)
            if shp is None or et is None:
                raise GenError(f"tensor '{o}' has no static shape after shape inference (a dynamic dimension?)",
                               n.name, n.op_type)
            if any(d == 0 for d in shp):
                raise GenError(f"tensor '{o}' has a zero-size dimension {shp}", n.name, n.op_type)
            dt = ONNX_DTYPES.get(et)
            if dt is None:
                raise GenError(f"tensor '{o}' has dtype {_dtype_name(et)}, which gen does not support",
                               n.name, n.op_type)
            tensors[o] = Tensor(o, tuple(int(d) for d in shp), dt)
    for vi in list(g.input) + list(g.output):
        if vi.name not in tensors:
            shp = shapes.get(vi.name)
            if shp is None:
                raise GenError(f"graph input/output '{vi.name}' has no static shape")
            tensors[vi.name] = Tensor(vi.name, shp, ONNX_DTYPES.get(types.get(vi.name), "float32"))
    irnodes = [Node(n.op_type, n.name, list(n.input), list(n.output),
                    {a.name: _attr(a) for a in n.attribute}) for n in nodes]
    graph = Graph(name, tensors, irnodes, [i.name for i in g.input], [o.name for o in g.output], opset)
    for o in graph.outputs:
        if graph.tensors[o].is_const:
            raise GenError(f"graph output '{o}' is a constant: nothing to compute")
        if graph.tensors[o].dtype not in ACTIVATION_DTYPES:
            raise GenError(f"graph output '{o}' has dtype {graph.tensors[o].dtype}: gen supports float32 and int8")
    return graph


def _attr(a: onnx.AttributeProto):
    v = helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, onnx.TensorProto):
        return _array(v, f"the tensor of attribute '{a.name}'")
    if isinstance(v, list):
        return [x.decode() if isinstance(x, bytes) else x for x in v]
    return v


__all__ = ["load", "from_model", "load_model", "Quant"]
