"""The int8 lowering of quantized graphs: fold QDQ islands into integer kernels (gen.driver runs it
after the cleanup and legalize stages, before gen.layout_pass lays the activations out NHWC).

Input forms: QDQ as onnxruntime's quantize_static writes it (Relu/Clip folded into the Q range)
and as TFLite converters write it (an explicit Relu between the op and its Q), and the standard
QOperator form (rewritten as QDQ by gen.qoperator before the frontend checks). After `run`:

- weights and biases are constant int8/int32 tensors carrying their Quant;
- every activation between the graph's Q at the input and its DQ at the output is an int8 tensor
  with a per-tensor Quant; the graph's inputs and outputs are those int8 tensors (the float entry
  point quantizes and dequantizes at the boundary);
- each DQ -> op -> (Relu/Clip) -> Q island is one node with an int8 kernel (op names ending in
  'S8'); what has no integer form runs in float between explicit DequantizeLinear/QuantizeLinear
  nodes, and the graph's notes say so;
- a DQ -> Q chain of an int8 activation (also one an Identity/Dropout stood in, removed by the cleanup
  stage) is a requantize, or nothing where both have the same parameters.

The next stage, gen.layout_pass, puts int8 activations of rank >= 3 from the NHWC kernels on channels
last in memory (Tensor.layout, gen.ops.layout.memory_perm).
"""
from __future__ import annotations

import numpy as np

from .errors import GenError
from .ir import Graph, Node, Quant, Tensor
from .ops import has, is_int8_kernel, is_quantized_op, op_with, traits
from .passes import activation_of, bypass, fusable_producer, rename_uses

# every op-specific rule is a trait or hook of the op's family (gen.ops.OpFamily); these passes only
# drive them

def is_quantized(g: Graph) -> bool:
    return any(is_quantized_op(n.op) for n in g.nodes)


def quant_of(node: Node, g: Graph, what: str) -> Quant:
    scale = g.const(node.inputs[1])
    zp = g.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
    if scale is None or (len(node.inputs) > 2 and node.inputs[2] and zp is None):
        raise GenError(f"{what}: scale and zero point must be constant initializers", node.name, node.op)
    if zp is not None and zp.dtype not in (np.int8, np.int32):
        raise GenError(f"{what}: {zp.dtype} quantization is not supported (int8 only)", node.name, node.op)
    if scale.dtype.kind != "f":
        raise GenError(f"{what}: the scale must be a float tensor, not {scale.dtype}", node.name, node.op)
    s32 = np.asarray(scale, np.float64).astype(np.float32).reshape(-1)
    bad = ~np.isfinite(s32) | ~(s32 > 0)
    if np.any(bad):
        raise GenError(f"{what}: scale {s32[int(np.argmax(bad))]} of '{node.inputs[1]}' must be finite and "
                       "positive", node.name, node.op)
    if zp is not None:
        info = np.iinfo(zp.dtype)
        z64 = np.asarray(zp, np.int64).reshape(-1)
        if z64.size and (z64.min() < info.min or z64.max() > info.max):
            raise GenError(f"{what}: zero point outside the {zp.dtype} range", node.name, node.op)
        x = g.const(node.inputs[0])
        if x is not None and x.dtype == np.int32 and np.any(z64 != 0):
            # onnxruntime subtracts in int32: x - zero point must not wrap
            wide = x.astype(np.int64).reshape(-1)
            worst = max(abs(int(wide.max(initial=0)) - int(z64.min())), abs(int(wide.min(initial=0)) - int(z64.max())))
            if worst > info.max:
                raise GenError(f"{what}: '{node.inputs[0]}' minus its zero point overflows int32", node.name, node.op)
    zp = np.zeros_like(scale, dtype=np.int32) if zp is None else zp.astype(np.int32)
    axis = int(node.attrs.get("axis", 1)) if scale.size > 1 else None
    return Quant(scale.astype(np.float32).reshape(-1) if scale.size > 1 else scale.astype(np.float32).reshape(()),
                 zp.reshape(-1) if zp.size > 1 else zp.reshape(()), axis)


def _is_uint8_qdq(node: Node, g: Graph) -> bool:
    """A QuantizeLinear writing uint8 or a DequantizeLinear reading uint8 (onnxruntime's QUInt8)."""
    if has(node, "quantizes"):
        return g.t(node.outputs[0]).dtype == "uint8"
    return has(node, "dequantizes") and g.t(node.inputs[0]).dtype == "uint8"


def _shifted(data: np.ndarray) -> np.ndarray:
    """uint8 q as the int8 q - 128 (its top bit flipped): exact."""
    return (np.asarray(data, np.uint8) ^ np.uint8(0x80)).view(np.int8)


def uint8_to_int8(g: Graph) -> None:
    """uint8 quantization computed as int8: a uint8 tensor q with zero point z and scale s is the int8
    tensor q - 128 with zero point z - 128 and scale s, exactly. Zero points and uint8 constants (weights,
    a Pad value) are converted here; the activations between the uint8 Q/DQ nodes (through the byte moves
    of QOperator graphs) become int8; a uint8 graph input or output stays uint8 at the API with one
    FlipSignS8 node (q ^ 0x80 per element) between it and its int8 tensor."""
    acts: set[str] = set()
    for node in g.nodes:
        if not _is_uint8_qdq(node, g):
            continue
        x, s = node.inputs[0], node.inputs[1]
        zp = node.inputs[2] if len(node.inputs) > 2 and node.inputs[2] else None
        scale = g.const(s)
        zv = g.const(zp) if zp else None
        if scale is None or (zp and zv is None):
            raise GenError("uint8 quantization: scale and zero point must be constant initializers",
                           node.name, node.op)
        if zv is not None and zv.dtype != np.uint8:
            raise GenError(f"uint8 quantization with a {zv.dtype} zero point", node.name, node.op)
        z8 = _shifted(zv) if zv is not None else np.full(np.shape(scale), -128, np.int8)
        node.inputs = [x, s, g.add_const(f"{zp or s}_s8", z8)]
        node.attrs.pop("output_dtype", None)      # opset 21: the zero point's type says it
        t = g.t(x) if has(node, "dequantizes") else g.t(node.outputs[0])
        if t.is_const:
            node.inputs[0] = g.add_const(f"{x}_s8", _shifted(t.data))
        else:
            acts.add(t.name)
    if not acts:
        return
    # QOperator graphs move uint8 bytes between their QLinear nodes (MaxPool, Reshape, Concat, Pad, ...):
    # order and equality survive the shift, so those tensors are int8 too (their uint8 constants shifted)
    changed = True
    while changed:
        changed = False
        for node in g.nodes:
            if has(node, "is_qdq"):
                continue
            names = [i for i in node.inputs if i] + [o for o in node.outputs if o]
            if not any(n in acts for n in names):
                continue
            if not (has(node, "keeps_quant") or traits(node).selects_values(node)):
                hit = next(n for n in names if n in acts)
                raise GenError(f"uint8-quantized tensor '{hit}' is read or written by {node.op}, which computes on its "
                               "integers: uint8 quantization is taken between QuantizeLinear and DequantizeLinear "
                               "and through byte moves only", node.name, node.op)
            for k, n in enumerate(node.inputs):
                if n and g.t(n).dtype == "uint8" and g.t(n).is_const:
                    node.inputs[k] = g.add_const(f"{n}_s8", _shifted(g.t(n).data))
            for n in names:
                if n not in acts and g.t(n).dtype == "uint8" and not g.t(n).is_const:
                    acts.add(n)
                    changed = True
    flip = op_with("flips_sign")
    for name in [i for i in g.inputs if i in acts]:
        t = g.t(name)
        inner = g.add_tensor(f"{name}_s8", t, dtype="int8")
        rename_uses(g, name, inner)
        g.nodes.insert(0, Node(flip, f"{name}_to_int8", [name], [inner]))
        acts.discard(name)
    for k, name in enumerate(list(g.outputs)):
        if name not in acts:
            continue
        inner = g.add_tensor(f"{name}_s8", g.t(name), dtype="int8")
        prod = g.producer(name)
        for n in g.consumers(name):
            n.inputs = [inner if i == name else i for i in n.inputs]
        prod.outputs = [inner if o == name else o for o in prod.outputs]
        g.nodes.append(Node(flip, f"{name}_to_uint8", [inner], [name]))
        acts.discard(name)
    for name in acts:
        g.t(name).dtype = "int8"


def _flipped(g: Graph, name: str) -> bool:
    """`name` is the int8 side of a uint8 graph input (its producer flips the sign bit)."""
    p = g.producer(name)
    return p is not None and has(p, "flips_sign")


def uint8_boundary_quant(g: Graph) -> None:
    """A uint8 graph input or output gets its int8 tensor's quantization in uint8 terms (zero point + 128):
    the header's scale and zero point are the ones of the values the user passes."""
    for node in g.nodes:
        if has(node, "flips_sign"):
            x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
            s8, u8 = (x, y) if x.dtype == "int8" else (y, x)
            if s8.quant is not None:
                u8.quant = Quant(s8.quant.scale, s8.quant.zero_point + 128, s8.quant.axis)


def _same_quant(a: Quant | None, b: Quant | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.scale.shape == b.scale.shape and np.array_equal(a.scale, b.scale) and \
        np.array_equal(a.zero_point, b.zero_point)


def _dequantized(t: Tensor) -> np.ndarray:
    """A constant's real value: DequantizeLinear of its integers as onnxruntime computes it
    ((q - zero point) in int32, then times the scale in float32)."""
    if t.quant is None:
        return t.data
    zp = _bcast(t.quant.zero_point, t).astype(np.int32)
    return ((t.data.astype(np.int32) - zp).astype(np.float32) * _bcast(t.quant.scale, t)).astype(np.float32)


def _quantized(x: np.ndarray, q: Quant, dtype) -> np.ndarray:
    """QuantizeLinear as onnxruntime computes it: float32 division by the scale, round half to even, plus
    the zero point, saturated to the output type."""
    shape = [1] * x.ndim
    scale, zp = q.scale, q.zero_point
    if q.axis is not None and scale.ndim:
        shape[q.axis % x.ndim] = -1
        scale, zp = scale.reshape(shape), zp.reshape(shape)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        v = np.rint(np.asarray(x, np.float32) / scale.astype(np.float32)).astype(np.float64) + zp
    info = np.iinfo(dtype)
    return np.clip(np.nan_to_num(v, nan=0.0), info.min, info.max).astype(dtype)


def _evaluate(node: Node, g: Graph, values: list) -> list[np.ndarray]:
    from onnx import helper

    from .frontend import _evaluate as evaluate_onnx
    proto = helper.make_node(node.op, list(node.inputs), list(node.outputs), **dict(node.attrs))
    try:
        return evaluate_onnx(proto, values, g.opset)
    except GenError:
        raise
    except Exception as e:
        raise GenError(f"cannot evaluate this constant subgraph: {str(e).splitlines()[0] if str(e) else type(e).__name__}",
                       node.name, node.op) from None


def _fold_node(node: Node, g: Graph) -> list[Tensor]:
    ins = [g.t(i) if i else None for i in node.inputs]
    outs = node.outputs
    if has(node, "dequantizes"):
        # the integers keep their data and get the Quant: int8 kernels read them as they are
        return [Tensor(outs[0], ins[0].shape, str(ins[0].data.dtype), ins[0].data,
                       quant_of(node, g, "weight dequantization"))]
    if has(node, "quantizes"):
        q = quant_of(node, g, "weight quantization")
        zp = g.const(node.inputs[2]) if len(node.inputs) > 2 and node.inputs[2] else None
        dtype = np.int8 if zp is None else zp.dtype
        data = _quantized(_dequantized(ins[0]), q, dtype)
        return [Tensor(outs[0], tuple(data.shape), str(data.dtype), data, q)]
    src = ins[0]
    if has(node, "rearranges") and src.quant is not None and all(t is None or t.quant is None for t in ins[1:]):
        # moving the integers moves the real values: the Quant goes along (its axis with its dim)
        data = _evaluate(node, g, [src.data] + [t.data if t is not None else None for t in ins[1:]])[0]
        q = src.quant
        if q.axis is not None and q.per_channel:
            axis = traits(node).moved_axis(node, src, tuple(data.shape))
            q = Quant(q.scale, q.zero_point, axis) if axis is not None else None
        if q is not None:
            return [Tensor(outs[0], tuple(data.shape), str(data.dtype), data, q)]
    # anything else computes on the real values, as onnxruntime does between DequantizeLinear and QuantizeLinear
    vals = _evaluate(node, g, [_dequantized(t) if t is not None else None for t in ins])
    return [Tensor(o, tuple(np.shape(v)), str(np.asarray(v).dtype), np.asarray(v)) for o, v in zip(outs, vals) if o]


def fold_constants(g: Graph) -> None:
    """Every node whose inputs are all constants becomes a constant, as onnxruntime computes it: a
    DequantizeLinear of a constant keeps the integers and gets their Quant, a QuantizeLinear of a constant
    (a weight the quantizer reshaped, a DQ -> Reshape -> Q chain) becomes int8 with the Q's Quant, a
    byte move of a quantized constant moves the integers, anything else computes on the real values."""
    for node in list(g.nodes):
        ins = [i for i in node.inputs if i]
        if not ins or not all(g.t(i).is_const for i in ins) or any(o in g.outputs for o in node.outputs):
            continue
        for t in _fold_node(node, g):
            g.tensors[t.name] = t
        g.nodes.remove(node)


def fold_activation_qdq(g: Graph) -> None:
    # DQ of an activation: consumers read the int8 tensor
    for node in list(g.nodes):
        if not has(node, "dequantizes"):
            continue
        q = quant_of(node, g, "dequantization")
        src, out = node.inputs[0], node.outputs[0]
        t = g.t(src)
        if t.dtype != "int8":
            raise GenError(f"dequantization of a {t.dtype} activation is not supported (int8 only)",
                           node.name, node.op)
        if q.per_channel:
            raise GenError("per-channel quantization of activations is not supported", node.name, node.op)
        if t.quant is None:
            t.quant = q
        if out in g.outputs and _flipped(g, src):
            continue                        # uint8 input -> DQ -> float output: the DQ computes it
        if not _same_quant(t.quant, q):
            continue                        # a DQ with other parameters than its Q: stays a float boundary
        g.nodes.remove(node)
        rename_uses(g, out, src)
    # Q of a graph input: the boundary
    for node in list(g.nodes):
        if has(node, "quantizes"):
            q = quant_of(node, g, "quantization")
            out = g.t(node.outputs[0])
            if out.dtype != "int8":
                raise GenError(f"quantization to {out.dtype} is not supported (int8 only)", node.name, node.op)
            if q.per_channel:
                raise GenError("per-channel quantization of activations is not supported", node.name, node.op)
            out.quant = q
            x = node.inputs[0]
            if x in g.inputs and g.t(x).dtype == "float32" and g.sole_consumer(x, node) and \
                    not any(has(c, "flips_sign") for c in g.consumers(out.name)):  # float -> Q -> uint8 output
                g.inputs = [out.name if i == x else i for i in g.inputs]
                g.nodes.remove(node)
    # graph inputs that are int8 already carry no Quant: identity scale is meaningless, refuse
    for name in g.inputs:
        if g.t(name).dtype == "int8" and g.t(name).quant is None:
            raise GenError(f"int8 graph input '{name}' has no quantization parameters (no DequantizeLinear reads it)")


def _int8_form(node: Node, g: Graph) -> str | None:
    """The int8 op `node` becomes (its family's int8_form), if its activations are int8 with
    quantization parameters; None: it has no integer form."""
    fam = traits(node)
    if not fam.int8_kernels.get(node.op):
        return None
    acts = [i for i in node.inputs if i and not g.t(i).is_const]
    if not acts or any(g.t(i).dtype != "int8" or g.t(i).quant is None for i in acts):
        return None
    return fam.int8_form(node, g)


def fold_islands(g: Graph) -> None:
    """op -> (Relu/Clip) -> Q with int8 inputs: one int8 node writing the Q's output. A Q reading an
    int8 tensor (a DQ -> Q chain, an Identity between them removed by the cleanup) requantizes it, or
    is taken out where the parameters agree."""
    dead: set = set()
    for qn in list(g.nodes):
        if not has(qn, "quantizes") or qn not in g.nodes:
            continue
        f = qn.inputs[0]
        src = g.t(f)
        if src.dtype == "int8" and src.quant is not None:
            qn.inputs, qn.attrs = [f], {}       # the parameters are the tensors' Quant now
            if not _same_quant(src.quant, g.t(qn.outputs[0]).quant):
                qn.op = op_with("requantizes")
            elif bypass(g, qn):
                dead.add(qn)
            continue
        if f in g.outputs or f in g.inputs:
            continue
        prod = g.producer(f)
        if prod is None or not g.sole_consumer(f, qn):
            continue
        act = None
        inner = fusable_producer(g, prod, "clamps")
        if inner is not None and _int8_form(inner, g) is not None:
            act = activation_of(prod, g)
            g.nodes.remove(prod)
            prod = inner
        form = _int8_form(prod, g)
        if form is None:
            if act is not None:   # put the activation back: this island runs in float
                raise GenError("internal: activation folded into a float island", prod.name, prod.op)
            continue
        prod.act = act
        src = prod.outputs[0] if act is not None else f     # a multi-output op (Split): only f's output
        prod.outputs = [qn.outputs[0] if o == src else o for o in prod.outputs]
        g.nodes.remove(qn)
        prod.info["onnx_op"] = prod.op
        prod.op = form
    if dead:
        g.nodes[:] = [n for n in g.nodes if n not in dead]


def global_pools_to_mean(g: Graph) -> None:
    """An int8 node whose output scale differs from its input's may have a kernel that requantizes
    inside (its family's int8_requantizing_form): TFLite's int8 Mean for a global average requantizes the
    sum before dividing, where an average then a requantize would round twice and lose s_in / s_out LSB."""
    for node in g.nodes:
        alt = traits(node).int8_requantizing_form(node, g)
        if alt is None:
            continue
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        if not _same_quant(x.quant, y.quant):
            node.op = alt


def propagate_through_byte_ops(g: Graph) -> None:
    """QOperator graphs apply Flatten, MaxPool, ... to int8 tensors directly: the output keeps the input's
    quantization and the op becomes its int8 kernel."""
    for node in g.nodes:
        if not traits(node).selects_values(node) or is_int8_kernel(node.op):
            continue
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        if x.dtype == "int8" and x.quant is not None and y.dtype == "int8" and \
                (y.quant is None or _same_quant(x.quant, y.quant)):    # (its reader's DQ may have set it)
            y.quant = x.quant
            form = _int8_form(node, g)
            if form is not None and form != node.op:
                node.info["onnx_op"] = node.op
                node.op = form


def _moves_int8_to_float(node: Node, g: Graph) -> bool:
    """A byte-moving op (keeps_quant) left between an int8 tensor and a float one: its Q was not folded (a
    Gather with run-time indices, a Transpose before a Relu that onnxruntime's quantize_static did not
    quantize). It computes in float after a dequantize (float_fallback), not as an int8 move."""
    return any(i and not g.t(i).is_const and g.t(i).dtype == "int8" for i in node.inputs) and \
        any(o and g.t(o).dtype == "float32" for o in node.outputs)


def requantize_where_needed(g: Graph) -> None:
    """Ops that move bytes keep scale and zero point; where the model changes them, requantize after."""
    for node in list(g.nodes):
        if not has(node, "keeps_quant") or _moves_int8_to_float(node, g):
            continue
        every = has(node, "requant_inputs")
        ins = [i for i in node.inputs if i and not g.t(i).is_const][:1] if not every else \
            [i for i in node.inputs if i]
        y = g.t(node.outputs[0])
        qin = g.t(ins[0]).quant
        if every:   # every input in the output's quantization
            for k, name in enumerate(node.inputs):
                if name and not _same_quant(g.t(name).quant, y.quant):
                    tmp = g.add_tensor(f"{name}_rq", g.t(name), quant=y.quant)
                    rq = Node(op_with("requantizes"), f"{node.name}_rq{k}", [name], [tmp])
                    g.nodes.insert(g.nodes.index(node), rq)
                    node.inputs[k] = tmp
            continue
        for j, out in enumerate(node.outputs):     # every output of a multi-output op (Split)
            y = g.t(out) if out else None
            if y is None or _same_quant(qin, y.quant):
                continue
            tmp = g.add_tensor(f"{y.name}_pre", y, quant=qin)
            rq = Node(op_with("requantizes"), f"{node.name}_rq" + (f"{j}" if j else ""), [tmp], [y.name])
            # a fused Relu/Clip clamps in the output's quantization, after the requantize: clamped in the
            # input's, a bound beyond the input's int8 range would saturate there (Clip min 5 on an input
            # that reaches 1 gave the output's value of 1, not 5)
            rq.act, node.act = node.act, None
            g.nodes.insert(g.nodes.index(node) + 1, rq)
            node.outputs[j] = tmp


def float_fallback(g: Graph) -> None:
    """Nodes left with int8 inputs but no integer kernel compute in float between DQ and Q nodes."""
    for node in list(g.nodes):
        if is_int8_kernel(node.op) or has(node, "is_qdq") or (has(node, "keeps_quant") and
                                                               not _moves_int8_to_float(node, g)):
            continue
        changed = False
        for k, name in enumerate(node.inputs):
            if name and not g.t(name).is_const and g.t(name).dtype == "int8":
                f = g.add_tensor(f"{name}_f", g.t(name), dtype="float32", quant=None)
                g.nodes.insert(g.nodes.index(node), Node(op_with("dequantizes"), f"{node.name}_dq{k}", [name], [f]))
                node.inputs[k] = f
                changed = True
            elif name and g.t(name).is_const and g.t(name).quant is not None:
                t = g.t(name)
                deq = ((t.data.astype(np.float32) - _bcast(t.quant.zero_point, t)) * _bcast(t.quant.scale, t))
                node.inputs[k] = g.add_const(f"{name}_f", deq.astype(np.float32))
        if changed or any(g.t(i).dtype == "float32" for i in node.inputs if i):
            g.notes.append(f"{node.op} node '{node.name}' has no int8 kernel here: it computes in float "
                           "between dequantize and quantize")


def _bcast(v: np.ndarray, t: Tensor) -> np.ndarray:
    if v.ndim == 0 or t.quant.axis is None:
        return v.astype(np.float32)
    shape = [1] * len(t.shape)
    shape[t.quant.axis] = -1
    return v.reshape(shape).astype(np.float32)


# plain integers that float32 holds exactly, so that an op computed on them in float and cast back gives
# the integer op's result (selections, clamps, negation)
_EXACT_IN_FLOAT = ("int8", "uint8", "int16", "uint16")


def plain_ints_as_float(g: Graph) -> None:
    """The inputs a family computes in float32 (its `float_inputs`, by default `plain_int_as_float`) that
    hold plain integers get a Cast to float32 before the node (a constant one is converted here); an
    output of the integer dtype they had is computed in float32 and cast back (refused unless that dtype
    is exact in float)."""
    from .ops.dtypes import ONNX_TO
    onnx_of = {v: k for k, v in ONNX_TO.items()}
    cast = op_with("casts")
    for node in list(g.nodes):
        dts = set()
        for k in traits(node).float_inputs(node, g):
            name = node.inputs[k] if k < len(node.inputs) else ""
            t = g.t(name) if name else None
            if t is None or t.dtype in ("float32", "bool") or t.quant is not None or t.dtype not in onnx_of:
                continue
            dts.add(t.dtype)
            if t.is_const:
                node.inputs[k] = g.add_const(f"{name}_f", np.asarray(t.data).astype(np.float32))
                continue
            f = g.add_tensor(f"{name}_f", t, dtype="float32", quant=None)
            g.nodes.insert(g.nodes.index(node), Node(cast, f"{node.name}_in{k}_f", [name], [f],
                                                     {"to": onnx_of["float32"]}))
            node.inputs[k] = f
        for j, name in enumerate(node.outputs):
            if not name or g.t(name).dtype not in dts:
                continue
            y = g.t(name)
            if y.dtype not in _EXACT_IN_FLOAT:
                raise GenError(f"{node.op} on plain {y.dtype} tensors is not supported (gen computes it in "
                               f"float32, exact for {', '.join(_EXACT_IN_FLOAT)} only)", node.name, node.op)
            tmp = g.add_tensor(f"{name}_f", y, dtype="float32", quant=None)
            g.nodes.insert(g.nodes.index(node) + 1, Node(cast, f"{node.name}_out{j}", [tmp], [name],
                                                         {"to": onnx_of[y.dtype]}))
            node.outputs[j] = tmp


def check_plain_integers(g: Graph) -> None:
    """Integer activations without quantization parameters are plain integers: ops that only move bytes
    take them as they are; nothing else has a kernel for them."""
    from . import rtparams
    for node in g.nodes:
        if has(node, "plain_integers"):
            continue
        for k, name in enumerate(node.inputs):
            t = g.t(name) if name else None
            if rtparams.read_at_run_time(g, node, k):     # a parameter graph input its kernel reads (checked)
                continue
            if t is not None and not t.is_const and t.dtype != "float32" and t.quant is None:
                raise GenError(f"{t.dtype} tensor '{name}' has no quantization parameters: {node.op} computes on "
                               "integers only in a quantized model (between QuantizeLinear and DequantizeLinear); "
                               "plain integers can only be moved (Identity, Reshape, Transpose, Concat, Pad, ...)",
                               node.name, node.op)


def run(g: Graph) -> Graph:
    """The int8 lowering stage: islands, requantizes and float fallbacks for a quantized graph (marked
    in g.options["int8"] for gen.layout_pass); a float graph only has its plain integers checked."""
    if not is_quantized(g):
        plain_ints_as_float(g)
        check_plain_integers(g)
        return g
    g.options["int8"] = True
    uint8_to_int8(g)
    fold_constants(g)
    fold_activation_qdq(g)
    fold_islands(g)
    propagate_through_byte_ops(g)
    global_pools_to_mean(g)
    requantize_where_needed(g)
    float_fallback(g)
    uint8_boundary_quant(g)
    plain_ints_as_float(g)
    check_plain_integers(g)
    return g
