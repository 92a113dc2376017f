"""The element types each ONNX op compiles for: one table, which `python -m gen --list-ops` shows and
`check_node` enforces on the graph the frontend built (gen/legalize.py) (so a dtype the table does not list is refused with one
line, and one it lists is compiled: tests/test_list_ops.py probes every pair).

An op's dtype is the element type of its *typed operand*: the first input (else output) whose ONNX type
constraint allows more than one type (X of Relu, data of Gather, X of Where, input of Cast, ...; else the
first input, of the one type ONNX allows), unless the family names it in `dtype_operand`. The table is
the family's `dtypes` declaration for the op (default: float32), narrowed to what ONNX allows. float16,
bfloat16 and float64 are float32 inside the graph (converted at the API: ir.BOUNDARY_DTYPES), so an op
listed for float32 is listed, and compiled, for them too (unless its family's `float_boundary` says
otherwise). A family whose ops move element bytes (`moves_any_dtype`) lists every dtype.

Quantized int8 operands (QDQ, QOperator) are the op's int8 form (`int8_forms`), not a plain dtype: a
tensor with quantization parameters is not checked against the table.
"""
from __future__ import annotations

import functools

from .errors import GenError
from .ir import BOUNDARY_DTYPES, Graph, Node
from .ops import REGISTRY, has, is_int8_kernel, traits_of
from .ops.dtypes import ALL_DTYPES

QOPERATOR_DTYPES = ("int8", "uint8")     # the QLinear ops' (QOperator) quantized operands
ONNX_TYPE_STR = {"float32": "tensor(float)", "float64": "tensor(double)"}   # the others: tensor(<dtype>)


@functools.lru_cache(maxsize=None)
def typed_operand(op: str, opset: int) -> tuple[str, int, str] | None:
    """('input' or 'output', index, ONNX type parameter) of op's typed operand at `opset` (None: no ONNX
    schema at that opset, or the family says the op has none)."""
    import onnx.defs
    try:
        schema = onnx.defs.get_schema(op, opset)
    except Exception:       # onnx.defs.SchemaError: not an ONNX op at that opset
        return None
    choice = {c.type_param_str for c in schema.type_constraints if len(c.allowed_type_strs) > 1}
    named = traits_of(op).dtype_operand.get(op)
    if named == ():
        return None
    if named is not None:
        kind, k = named
        formals = schema.inputs if kind == "input" else schema.outputs
        return (kind, k, formals[k].type_str) if k < len(formals) else None
    for kind, formals in (("input", schema.inputs), ("output", schema.outputs)):
        for k, f in enumerate(formals):
            if f.type_str in choice:
                return kind, k, f.type_str
    first = ("input", schema.inputs) if schema.inputs else ("output", schema.outputs)    # one type only
    return (first[0], 0, first[1][0].type_str) if first[1] else None


@functools.lru_cache(maxsize=None)
def onnx_allows(op: str) -> frozenset[str] | None:
    """gen's dtypes that ONNX allows for op's typed operand at some opset gen reads op at (None: op has
    no typed operand, or no ONNX schema)."""
    import onnx.defs

    from .opsets import opsets_of
    span = opsets_of(op)
    found: set[str] = set()
    typed = False
    for v in range(span[0], span[1] + 1) if span else ():
        operand = typed_operand(op, v)
        if operand is None:
            continue
        typed = True
        schema = onnx.defs.get_schema(op, v)
        strs = next(c.allowed_type_strs for c in schema.type_constraints if c.type_param_str == operand[2])
        found |= {d for d in ALL_DTYPES if ONNX_TYPE_STR.get(d, f"tensor({d})") in strs}
    return frozenset(found) if typed else None


def has_own_dtype(op: str) -> bool:
    """False for the ops whose family says they have no dtype of their own (If/Loop/Scan: their bodies'
    ops are checked)."""
    return traits_of(op).dtype_operand.get(op) != ()


def listed(op: str) -> tuple[str, ...]:
    """The plain dtypes `op` (an op gen supports, or an older name it reads as one) compiles for: its
    family's, those ONNX allows for the op only."""
    from .opsets import RENAMED
    as_op = RENAMED[op][0] if op in RENAMED else op
    if op.startswith("QLinear"):
        declared = QOPERATOR_DTYPES
    elif has(as_op, "moves_any_dtype"):
        declared = ALL_DTYPES
    else:
        declared = traits_of(as_op).dtypes.get(as_op, ("float32",))
    have = set(declared) | (set(BOUNDARY_DTYPES) if "float32" in declared and has(as_op, "float_boundary") else set())
    allows = onnx_allows(op)
    return tuple(d for d in ALL_DTYPES if d in have and (allows is None or d in allows))


def int8_forms(op: str) -> str:
    """How `op` computes int8 with quantization parameters, as --list-ops shows it ('' for none): 'QDQ'
    (between DequantizeLinear/QuantizeLinear) with the int8 kernel, 'QOperator' for the QLinear ops."""
    from .opsets import RENAMED
    as_op = RENAMED[op][0] if op in RENAMED else op
    if op.startswith("QLinear"):
        return "QOperator"
    if has(as_op, "is_qdq"):
        return "QDQ boundary"
    kernel = traits_of(as_op).int8_kernels.get(as_op)
    if kernel and is_int8_kernel(kernel):
        return f"QDQ: {kernel}"
    if kernel or has(as_op, "rearranges") or has(as_op, "keeps_quant") or has(as_op, "is_view"):
        return "QDQ"            # computes on the int8 values as they are
    return ""


def quantized_integers(g: Graph) -> set[str]:
    """The integer tensors that are quantized values (gen.qpasses gives them their quantization
    parameters later): a QuantizeLinear's output and, onwards, an integer output of a node that reads one."""
    out: set[str] = set()
    for node in g.nodes:
        if has(node.op, "quantizes") or node.op.startswith("QLinear") or \
                (any(i in out for i in node.inputs if i) and not has(node.op, "dequantizes")):
            out.update(o for o in node.outputs if o in g.tensors and g.tensors[o].dtype in ("int8", "uint8", "int16"))
    return out


def check_node(node: Node, g: Graph, quantized: set[str]) -> None:
    """Refuse the node if its typed operand is a plain tensor of a dtype `listed` does not name (one in
    `quantized`, quantized_integers(g), is the op's int8 form: gen.qpasses decides)."""
    if node.op not in REGISTRY or is_int8_kernel(node.op) or has(node.op, "is_internal"):
        return
    operand = typed_operand(node.op, g.opset)
    if operand is None:
        return
    kind, k, _ = operand
    names = node.inputs if kind == "input" else node.outputs
    if k >= len(names) or not names[k] or names[k] not in g.tensors:
        return
    t = g.tensors[names[k]]
    if t.quant is not None or names[k] in quantized:
        return
    dtype = g.io_dtypes.get(names[k], t.dtype)
    if dtype not in listed(node.op):
        refuse(node, kind, k, names[k], dtype)


def refuse(node: Node, kind: str, k: int, name: str, dtype: str) -> None:
    plain = "" if dtype.startswith(("float", "bfloat")) else "plain "     # no quantization parameters
    raise GenError(f"{node.op} on {plain}{dtype} ({kind} {k} '{name}') is not supported: the dtypes gen compiles "
                   f"it for are {', '.join(listed(node.op))} (python -m gen --list-ops)", node.name, node.op)


def compact(dtypes) -> str:
    """dtypes as --list-ops prints them: 'float32/16/64 bfloat16 int8/16/32/64 uint8/16/32/64 bool' style."""
    words = []
    for base in ("float", "bfloat", "int", "uint"):
        bits = [d[len(base):] for d in dtypes if d.startswith(base) and d[len(base):].isdigit()]
        if bits:
            words.append(base + "/".join(bits))
    return " ".join(words + ["bool"] * ("bool" in dtypes))
