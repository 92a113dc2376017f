"""Op families: one module per family, each registering the ops it implements.

An op family knows, for the nodes it owns: the checks that refuse what it cannot do (GenError
with the node), the MACs, the scratch bytes it needs in the arena, the kernel it calls (for the
summary) and the C it emits. Adding an op touches only its family's module: every module of this
package is imported at the end of this file, and its @register classes register themselves.

Parameters: a family computes what its hooks need (multipliers, shifts, transposed weights,
geometry) once per node in `prepare`, which returns a frozen dataclass and runs the checks that
refuse the node (c_int32, requant, check_accumulator). The hooks read it through `params`, which
caches it in node.info["params"]. Parameters exist only for the final graph: the driver calls
`freeze(g)` after the passes (which drops every cached value and marks the graph), and `params`
asserts that mark, so a pass can never read, nor leave behind, parameters of a node it changes.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import GenError
from ..ir import Graph, Node

INT32_MIN, INT32_MAX = -2**31, 2**31 - 1


PARAMS_KEY = "params"       # node.info key of the cached prepare() result
FROZEN_KEY = "params_frozen"  # g.options key set by freeze(): the passes are done


def freeze(g: Graph) -> None:
    """The passes are done: drop every node's cached parameters and allow OpFamily.params from now on."""
    for node in g.nodes:
        node.info.pop(PARAMS_KEY, None)
        node.info.pop("plan_hooks", None)       # gen.driver.plan_graph's, computed from the parameters
    g.options[FROZEN_KEY] = True


class OpFamily:
    ops: tuple[str, ...] = ()          # ONNX op types owned by this family
    runtime: tuple[str, ...] = ()      # runtime_c files the emitted code needs

    # ---- traits: what the passes (gen.passes, gen.qpasses) ask the family. A trait is a bool for
    # every op of the family, or a tuple of the family's ops it holds for (see `has`).
    int8_kernels: dict[str, str] = {}  # ONNX op -> the int8 op it becomes when its activations are int8
    layout = "model"                   # int8 memory order: 'channels_last' (reads its first input and
    #                                    writes channels last), 'any' (follows its first input: every
    #                                    activation input in that layout) or 'model' (row-major)
    keeps_quant = False                # the int8 output has its input's scale and zero point (else a
    #                                    requantize follows)
    requant_inputs = False             # keeps_quant over every input: each input is requantized to the
    #                                    output's parameters (Concat), not the output after
    plain_integers = False             # moves integers without quantization parameters as they are
    # op -> input indices whose plain integers (no quantization parameters) the op computes as float32:
    # gen.qpasses casts them (exact up to 2^24) and casts an output of their integer dtype back, which
    # it allows for integers of at most 16 bits only (Clip/MaxPool on plain uint8, Pow's exponent)
    plain_int_as_float: dict[str, tuple[int, ...]] = {}
    rearranges = False                 # the output is its first input's elements rearranged: a quantized
    #                                    constant keeps its integers and Quant (see moved_axis)
    fuses_activation = False           # accepts a fused Relu/Clip/LeakyRelu (node.act)
    folds_batchnorm = False            # a following BatchNormalization folds into its weights
    is_batchnorm = False               # folds into a folds_batchnorm producer (scale_shift)
    is_activation = False              # fuses into a fuses_activation producer (activation)
    clamps = False                     # an int8 island folds it into its kernel's output range (activation)
    is_view = False                    # output is a view of the input's bytes (no code)
    may_alias_input = False            # output may share its input's arena bytes
    is_cleanup = False                 # removed by passes (Identity, Dropout): check_removable first
    is_copy = False                    # the plain copy passes keep where a removed op must write bytes
    is_onnx_copy = False               # the ONNX op the frontend writes a graph output's folded value with
    is_qdq = False                     # a quantize or dequantize boundary
    quantizes = False                  # float -> int8 (QuantizeLinear)
    dequantizes = False                # int8 -> float (DequantizeLinear)
    requantizes = False                # int8 -> int8 with other parameters (inserted by qpasses)
    transposes_layout = False          # int8 layout transpose (inserted by qpasses)
    flips_sign = False                 # uint8 <-> int8 at a uint8 graph input/output (inserted by qpasses)
    folds_from_shapes = False          # computed at generation time with no constant input (onnx_fold)
    is_internal = False                # a node a family's hook renames to (no ONNX op)
    casts = False                      # converts between dtypes (inserted by qpasses.plain_ints_as_float)
    # ---- parameters: op -> the input indices that must be constants (weights, bounds, shapes, pads,
    # scales). gen.legalize refuses such an input that arrives as a graph input or is computed at run
    # time: "input k ('name') of <op> must be a constant: make it an initializer". An input a kernel
    # takes at run time (Add/Mul operands, Gemm's B) is not listed.
    const_inputs: dict[str, tuple[int, ...]] = {}
    # inputs of const_inputs that the static shapes determine when they arrive as graph inputs: compiled
    # with the value determined_input derives, checked at run time (gen/rtparams.py)
    shape_determined_inputs: dict[str, tuple[int, ...]] = {}

    def determined_input(self, node, k: int, shapes: dict, types: dict):
        """The ONNX node's input k as the shapes determine it: a gen.rtparams.Determined, or None."""
        return None

    # ---- what `python -m gen --list-ops` shows (gen.ops.op_info): op -> the plain element types it
    # compiles for (default: float32; gen/op_dtypes.py refuses the others and adds float16, bfloat16 and
    # float64 to float32; int8 with quantization parameters is the int8 form: int8_kernels) and op -> one
    # line of what it does not take (default: nothing beyond what ONNX says). The opsets come from
    # gen/opsets.py.
    dtypes: dict[str, tuple[str, ...]] = {}
    limits: dict[str, str] = {}
    # op -> ('input' or 'output', index): the operand whose dtype `dtypes` lists, where it is not the first
    # one with a choice of ONNX types (gen/op_dtypes.py, which also enforces the list)
    dtype_operand: dict[str, tuple[str, int]] = {}
    float_boundary = True              # float16, bfloat16, float64 compile where float32 does (float32 inside
    #                                    the graph, converted at the API: ir.BOUNDARY_DTYPES)
    moves_any_dtype = False            # moves element bytes (views, copies, gathers, scatters, pads): compiles
    #                                    for every plain dtype (its `dtypes` need not list them)

    def float_inputs(self, node: Node, g: Graph) -> tuple[int, ...]:
        """The inputs whose plain integers this node computes as float32 (plain_int_as_float)."""
        return self.plain_int_as_float.get(node.op, ())

    def int8_form(self, node: Node, g: Graph) -> str | None:
        """The int8 op this node becomes, its activations being int8 with quantization parameters
        (None: it has no integer form here and computes in float)."""
        return self.int8_kernels.get(node.op)

    def int8_requantizing_form(self, node: Node, g: Graph) -> str | None:
        """An int8 op that computes this int8 node better when its output's quantization differs from
        its input's (None: requantize after it)."""
        return None

    def layout_for(self, node: Node, g: Graph, first: str | None) -> str:
        """The layout trait of this node, `first` being its first activation input's layout."""
        return self.layout

    def selects_values(self, node: Node) -> bool:
        """Every output element is an input element: an int8 output keeps the input's quantization."""
        return self.rearranges

    def moved_axis(self, node: Node, src, out_shape: tuple[int, ...]) -> int | None:
        """Where src's per-axis quantization axis is after this rearrangement (None: it is spread)."""
        ax = src.quant.axis % len(src.shape)
        before = int(np.prod(src.shape[:ax], dtype=np.int64))
        for k in range(len(out_shape)):
            if int(np.prod(out_shape[:k], dtype=np.int64)) == before and out_shape[k] == src.shape[ax]:
                return k
        return None

    def activation(self, node: Node, g: Graph):
        """The ir.Activation an is_activation/clamps node applies when fused into its producer."""
        return None

    def scale_shift(self, node: Node, g: Graph):
        """An is_batchnorm node's per-channel (scale, shift)."""
        raise NotImplementedError

    def fold_batchnorm(self, node: Node, g: Graph, w, s, t, has_bias):
        """A folds_batchnorm node's (weights, bias) with y * s + t folded in (may update attributes)."""
        raise NotImplementedError

    def legalize(self, node: Node, g: Graph) -> None:
        """Refuse (GenError) what the model states wrongly and ONNX shape inference lets through
        (parameter shapes the passes and kernels rely on); run by gen.legalize on the graph the
        frontend built, before any pass."""

    def onnx_rewrite(self, node, shapes: dict) -> bool:
        """Rewrite the ONNX NodeProto `node` in place where onnx's shape inference gets this op wrong,
        `shapes` being the shapes inferred so far (tensor name -> tuple or None); True if it changed (the
        frontend then infers the shapes again). Run by gen.frontend on the ONNX graph, before gen.ir."""
        return False

    def onnx_fold(self, node, shapes: dict, opset: int):
        """The outputs (numpy arrays) of the ONNX NodeProto `node` of a `folds_from_shapes` op, computed at
        generation time from the shapes alone, or None when they are not known; run by gen.frontend's
        constant folding."""
        return None

    def onnx_attrs(self, node, types: dict) -> dict:
        """Attributes the IR node gets from the ONNX graph beyond its own (`types`: tensor name -> ONNX
        element type), e.g. CastLike's target type; run by gen.frontend as it builds the IR nodes."""
        return {}

    def onnx_output_shape(self, node, out: str, shape, shapes: dict) -> None:
        """Refuse (GenError) output `out` of the ONNX NodeProto `node`, whose inferred shape has a size < 1,
        saying why for this op; run by gen.frontend as it builds the tensors, before its generic
        zero-size and negative-size refusals."""

    def check_removable(self, node: Node, g: Graph) -> None:
        """Refuse (GenError) an is_cleanup node that passes cannot simply remove."""

    def prepare(self, node: Node, g: Graph):
        """The node's parameters as a frozen dataclass, computed and checked (GenError) once."""
        raise NotImplementedError(f"{type(self).__name__} has no prepare")

    def params(self, node: Node, g: Graph):
        """prepare(node, g), computed on first use and cached on the node (after the passes only)."""
        assert g.options.get(FROZEN_KEY), \
            f"params of '{node.name}' read before the passes are done (driver.freeze has not run)"
        p = node.info.get(PARAMS_KEY)
        if p is None:
            p = self.prepare(node, g)
            node.info[PARAMS_KEY] = p
        return p

    def check(self, node: Node, g: Graph) -> None:
        """Refuse (GenError) what the kernel cannot compute; called after passes."""

    def macs(self, node: Node, g: Graph) -> int:
        return 0

    def scratch(self, node: Node, g: Graph) -> int:
        """Bytes of arena scratch the kernel needs while it runs."""
        return 0

    def kernel(self, node: Node, g: Graph) -> str:
        """The C function called (shown in the summary)."""
        return ""

    def overlap(self, node: Node, g: Graph) -> tuple:
        """The OverlapRules of the node's kernel (gen/overlap.py): where its output may share bytes with an
        input that dies at the node, derived from the kernel's loop order; () for none (every CMSIS-NN call:
        the output gets bytes of its own)."""
        return ()

    def row_window(self, node: Node, g: Graph):
        """How the node's output rows read the rows of its activation inputs (gen/bands.RowWindow), for
        --ram min's row bands; None (the default): the node cannot be cut into row bands."""
        return None

    def emit(self, node: Node, g: Graph, ctx) -> str:
        raise NotImplementedError

    def runtime_files(self, node: Node, g: Graph) -> tuple[str, ...]:
        return self.runtime


REGISTRY: dict[str, OpFamily] = {}


def register(cls: type[OpFamily]) -> type[OpFamily]:
    """Class decorator: one instance of the family serves all its ops.

    The family's check is wrapped so that every family, present and future, first refuses float
    constants holding NaN or Inf (check_float_consts)."""
    own_check = cls.check

    def check(self, node, g, _own=own_check):
        check_float_consts(node, g)
        return _own(self, node, g)

    cls.check = check
    inst = cls()
    for op in cls.ops:
        REGISTRY[op] = inst
    return cls


_NO_FAMILY = OpFamily()


def traits(node: Node) -> OpFamily:
    """The family of node's op for its traits and pass hooks (an op no family owns: the defaults)."""
    return REGISTRY.get(node.op, _NO_FAMILY)


def traits_of(op: str) -> OpFamily:
    """traits() for an op type (the frontend's ONNX nodes): its family, or the defaults."""
    return REGISTRY.get(op, _NO_FAMILY)


def has(node: Node | str, trait: str) -> bool:
    """Whether the op of `node` (a Node or an op type) has `trait`: a bool trait of its family, or a
    tuple trait naming it. Ops no family owns have none."""
    op = node if isinstance(node, str) else node.op
    v = getattr(REGISTRY.get(op, _NO_FAMILY), trait)
    return op in v if isinstance(v, (tuple, frozenset, set)) else bool(v)


def ops_with(trait: str) -> set[str]:
    return {op for op in REGISTRY if has(op, trait)}


def op_with(trait: str) -> str:
    """The one op that has `trait` (the op passes insert for that role)."""
    found = sorted(ops_with(trait))
    assert len(found) == 1, (trait, found)
    return found[0]


def families_with(trait: str) -> list[OpFamily]:
    return list({id(f): f for op, f in REGISTRY.items() if has(op, trait)}.values())


def is_int8_kernel(op: str) -> bool:
    """gen's own int8 kernels (their names end in S8; they are no ONNX ops)."""
    return op.endswith("S8")


def is_quantized_op(op: str) -> bool:
    """A quantize/dequantize boundary or a QOperator op: the graph is quantized."""
    return has(op, "is_qdq") or op.startswith("QLinear")


def int8_weights(node: Node, g: Graph) -> bool:
    """Input 1 is constant int8 weights with symmetric quantization (CMSIS-NN's) and input 2, if any,
    a constant int32 bias."""
    w = g.t(node.inputs[1])
    if not w.is_const or w.dtype != "int8" or w.quant is None:
        return False
    if np.any(w.quant.zero_point != 0):
        return False                     # CMSIS-NN needs symmetric weights
    return True


def int32_bias(node: Node, g: Graph) -> bool:
    if len(node.inputs) > 2 and node.inputs[2]:
        b = g.t(node.inputs[2])
        if not b.is_const or b.dtype != "int32":
            return False
    return True


def shape_of(g: Graph, name: str) -> tuple[int, ...] | None:
    """The shape of tensor `name` (None for an absent optional input)."""
    return g.tensors[name].shape if name and name in g.tensors else None


def family(node: Node) -> OpFamily:
    fam = REGISTRY.get(node.op)
    if fam is None:
        raise GenError(f"operator {node.op} is not supported (python -m gen --list-ops shows the supported ones)",
                       node.name, node.op)
    return fam


# ONNX ops read only by qpasses (folded into int8 kernels or kept as quantize/dequantize)
QUANTIZED_ONNX_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul"}


def supported_onnx_ops() -> set[str]:
    """ONNX op types gen accepts (internal int8 kernel names, which end in S8, are not ONNX ops)."""
    from ..opsets import RENAMED      # older ops the frontend converts into a supported one (Upsample)
    ops = {op for op in REGISTRY if not is_int8_kernel(op) and not has(op, "is_copy") and not has(op, "is_internal")}
    ops |= QUANTIZED_ONNX_OPS
    return ops | {old for old, (new, _) in RENAMED.items() if new in ops}


def op_info(op: str) -> dict:
    """What --list-ops shows of a supported ONNX op: its plain dtypes and int8 forms (gen/op_dtypes.py,
    which also enforces them), the opsets gen reads it at (gen/opsets.py) and its family's limits."""
    from ..op_dtypes import has_own_dtype, int8_forms, listed
    from ..opsets import RENAMED, opsets_of
    as_op = RENAMED[op][0] if op in RENAMED else op
    limits = REGISTRY.get(as_op, _NO_FAMILY).limits.get(as_op, "")
    if op in RENAMED:
        limits = f"read as {RENAMED[op][0]}" + (f"; {limits}" if limits else "")
    first_last = opsets_of(op)
    return {"op": op, "dtypes": list(listed(op)) if has_own_dtype(op) else None, "int8": int8_forms(op),
            "opsets": list(first_last) if first_last else None, "limits": limits}


# ---------------------------------------------------------------- values gen writes into C

def _where(node):
    return (node.name, node.op) if node is not None else (None, None)


def c_int32(value, what: str, node: Node | None = None, lo: int = INT32_MIN, hi: int = INT32_MAX) -> int:
    """`value` as a Python int, refused (GenError naming the node) unless it fits C's int32_t (or [lo, hi]).

    Every integer gen writes into C (struct fields, loop bounds, dims, strides, pads, dilations,
    offsets, multipliers, shifts, zero points, activation bounds) goes through this or c_int32s: a
    value that does not fit would be truncated by the C compiler (and by cffi when the generated C
    runs inside gen to compute the test vectors), e.g. a stride of 2**40 becomes 0 and divides by zero."""
    v = int(value)
    if not lo <= v <= hi:
        rng = "C's int32_t" if (lo, hi) == (INT32_MIN, INT32_MAX) else f"[{lo}, {hi}]"
        raise GenError(f"{what} = {v} does not fit {rng}", *_where(node))
    return v


def c_int32s(values, what: str, node: Node | None = None, lo: int = INT32_MIN, hi: int = INT32_MAX) -> np.ndarray:
    """c_int32 for an array: returns it as int32 (never silently wrapped)."""
    a = np.asarray(values)
    if a.size:
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            raise GenError(f"{what} is not finite", *_where(node))
        a64 = a.astype(np.int64) if a.dtype.kind in "iub" else np.asarray([int(v) for v in a.reshape(-1)], object)
        for v in (min(a64.reshape(-1)), max(a64.reshape(-1))):
            c_int32(v, what, node, lo, hi)
    return np.asarray(a, np.int64).astype(np.int32)


def c_params(p: dict, node: Node | None, what: str = "parameter") -> dict:
    """c_int32 over every integer (and integer array) value of a parameter dict, in place; returns p."""
    for k, v in p.items():
        if isinstance(v, (bool, np.bool_)):
            continue
        if isinstance(v, (int, np.integer)):
            p[k] = c_int32(v, f"{what} {k}", node)
        elif isinstance(v, tuple) and all(isinstance(i, (int, np.integer)) for i in v):
            p[k] = tuple(c_int32(i, f"{what} {k}", node) for i in v)
        elif isinstance(v, np.ndarray) and v.dtype.kind in "iu":
            c_int32s(v, f"{what} {k}", node)
    return p


def c_fields(p, node: Node | None, what: str = "parameter"):
    """c_params over the fields of a frozen parameter dataclass (in field order); returns it with
    integers as Python ints and its numpy arrays read-only."""
    values = c_params({f.name: getattr(p, f.name) for f in dataclasses.fields(p)}, node, what)
    for v in values.values():
        if isinstance(v, np.ndarray):
            v.flags.writeable = False
    return dataclasses.replace(p, **values)


# float constant inputs that may hold +-Inf (not NaN): Clip's bounds, Pad's constant value
INF_OK = {("Clip", 1), ("Clip", 2), ("Pad", 2), ("Copy", 0)}     # Copy: a graph output's folded value


def check_float_consts(node: Node, g: Graph) -> None:
    """Refuse float weights, biases and constants holding NaN or Inf (naming the tensor), and a fused
    activation with a NaN bound or a non-finite alpha."""
    for k, name in enumerate(node.inputs):
        if not name or name not in g.tensors:
            continue
        t = g.tensors[name]
        if not t.is_const or t.data.dtype.kind != "f":
            continue
        data = t.data
        bad = np.isnan(data) if (node.info.get("onnx_op", node.op), k) in INF_OK or (node.op, k) in INF_OK \
            else ~np.isfinite(data)
        if np.any(bad):
            v = data.reshape(-1)[int(np.argmax(bad.reshape(-1)))]
            raise GenError(f"constant '{name}' holds {v} (float weights, biases and constants must be finite)",
                           node.name, node.op)
    a = getattr(node, "act", None)      # a fused Relu/Clip/LeakyRelu
    if a is not None and (math.isnan(a.lo) or math.isnan(a.hi) or not math.isfinite(a.alpha)):
        raise GenError(f"fused {a.kind} has a NaN bound or a non-finite alpha", node.name, node.op)


def check_finite(value: float, what: str, node: Node | None = None) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise GenError(f"{what} = {v} is not finite", *_where(node))
    return v


def attr_ints(node: Node, name: str, default):
    v = node.attrs.get(name, default)
    return [int(x) for x in v] if v is not None else None


def spatial(node: Node, in_sizes: list[int], kernel: list[int]) -> tuple[list[int], list[int], list[int], list[int]]:
    """Strides, dilations, pads before and pads after of a Conv/Pool node, auto_pad resolved per the spec."""
    nd = len(in_sizes)
    strides = attr_ints(node, "strides", [1] * nd)
    dil = attr_ints(node, "dilations", [1] * nd)
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        before, after = [], []
        for i in range(nd):
            out = -(-in_sizes[i] // strides[i])
            total = max((out - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - in_sizes[i], 0)
            small = total // 2
            before.append(small if auto_pad == "SAME_UPPER" else total - small)
            after.append(total - before[-1])
    elif auto_pad == "VALID":
        before, after = [0] * nd, [0] * nd
    elif auto_pad == "NOTSET":
        pads = attr_ints(node, "pads", [0] * (2 * nd))
        before, after = pads[:nd], pads[nd:]
    else:
        raise GenError(f"auto_pad '{auto_pad}' is not a valid value", node.name, node.op)
    if len(strides) != nd or len(dil) != nd or len(before) != nd:
        raise GenError("strides/dilations/pads do not match the number of spatial dims", node.name, node.op)
    if any(s < 1 for s in strides) or any(d < 1 for d in dil) or any(p < 0 for p in before + after):
        raise GenError("strides and dilations must be positive and pads non-negative", node.name, node.op)
    return strides, dil, before, after


def oversized_window(sizes, kernel, dil, before, after) -> tuple[int, int, int] | None:
    """The first spatial axis whose dilated kernel extent is larger than the padded input, as
    (axis, extent, padded size); None when the window fits along every axis."""
    for axis, (i, k, d, p0, p1) in enumerate(zip(sizes, kernel, dil, before, after)):
        extent, padded = (int(k) - 1) * int(d) + 1, int(i) + int(p0) + int(p1)
        if extent > padded:
            return axis, extent, padded
    return None


def check_window(node: Node, sizes, kernel, strides, dil, before, after, outs=None) -> None:
    """Refuse a Conv/Pool window that does not fit: kernel < 1, a dilated kernel extent larger than
    the padded input, or an output size < 1."""
    for k in kernel:
        if k < 1:
            raise GenError(f"kernel size {k} must be at least 1", node.name, node.op)
    bad = oversized_window(sizes, kernel, dil, before, after)
    if bad:
        axis, extent, padded = bad
        raise GenError(f"the kernel (extent {extent} with dilation {dil[axis]}) is larger than the padded input "
                       f"({padded})", node.name, node.op)
    for o in outs or ():
        if o < 1:
            raise GenError(f"output size {o} must be at least 1", node.name, node.op)


def onnx_attrs(node) -> dict:
    """The attributes of an ONNX NodeProto as Python values."""
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def refuse_empty_window(node, out: str, shape, x, kernel) -> None:
    """A Conv/Pool ONNX node whose output `out` has a size < 1 (shape inference only reports the size it
    computed): say which window does not fit; x is the input's shape, kernel the window's sizes."""
    a = onnx_attrs(node)
    kernel = list(kernel or [])
    if x is not None and kernel and len(kernel) == len(x) - 2:
        nd = len(kernel)
        dil = list(a.get("dilations") or [1] * nd)
        pads = list(a.get("pads") or [0] * 2 * nd)
        bad = oversized_window(x[2:], kernel, dil, pads[:nd], pads[nd:]) if len(dil) == nd == len(pads) // 2 \
            else None
        if bad:
            i, extent, padded = bad
            raise GenError(f"output '{out}' would have shape {list(shape)}: along spatial axis {i} the kernel "
                           f"(extent {extent}: size {kernel[i]}, dilation {dil[i]}) is larger than the padded "
                           f"input ({padded})", node.name, node.op_type)
    raise GenError(f"output '{out}' would have shape {list(shape)}: the kernel window, strides and pads leave no "
                   "output position", node.name, node.op_type)


def dims6(values, node: Node | None = None, what: str = "dimension or stride") -> str:
    """A C initializer for an int32_t[GEN_MAX_DIMS] field."""
    v = [c_int32(i, what, node) for i in values]
    return "{" + ", ".join(str(i) for i in v + [0] * (6 - len(v))) + "}"


def contiguous_strides(shape) -> list[int]:
    out, acc = [], 1
    for d in reversed(list(shape)):
        out.append(acc)
        acc *= int(d)
    return list(reversed(out))


def broadcast_strides(shape, out_shape) -> list[int]:
    """Element strides of `shape` seen as `out_shape` (numpy broadcasting): 0 on broadcast dims."""
    shp = [1] * (len(out_shape) - len(shape)) + list(shape)
    return [s if d > 1 else 0 for s, d in zip(contiguous_strides(shp), shp)]


def as_2d(values: list[int], fill: int) -> list[int]:
    """1-D spatial parameters as 2-D ones with a leading unit dim."""
    return [fill] + list(values) if len(values) == 1 else list(values)


for _m in __import__("pkgutil").iter_modules(__path__): __import__(f"{__name__}.{_m.name}")  # noqa: E401,E402,E701
