"""Parameters that arrive as graph inputs and that the static shapes determine (issue 10).

ONNX's node cases, and some exporters, write every operand as a graph input: Reshape's shape,
Squeeze/Unsqueeze axes, Resize's sizes, Dropout's training_mode. gen's shapes are fixed at
generation time, so for many such inputs exactly one value (or one class of values that give the
same result) is consistent with them. A family lists those inputs in its `shape_determined_inputs`
trait and derives the value in its `determined_input(node, k, shapes)` hook: a `Determined` (the value
to compile with and the run-time check that the input holds a value giving the same result), or None
when the shapes do not determine it (the input is then refused by gen/legalize.py's `const_inputs`
rule: "make it an initializer").

This module is the generic driver: `bind(model)` (the frontend, on the ONNX graph, before the
`const_inputs` refusal) compiles each determined input as an initializer and records its check;
`emit_checks(g, ctx)` writes the checks, which the entry points run after copying the inputs in and
before computing: when one fails the run returns -1 and leaves the outputs untouched (the header says
so). The checks are functions of runtime_c/gen_rtparams.c, one per kind:

    equal       the input equals the value                      (Resize sizes)
    false       every element is 0 / false (a bool switch)
    reshape     the shape gives the output shape (0 and -1 forms)
    squeeze     the axes remove unit dims and leave the output shape
    unsqueeze   the axes insert unit dims giving the output shape
    reduce_axes the axes (negative ones normalized, no repeats) reduce the compiled dims, up to unit dims, and
                give the output shape (Reduce*); without a compiled set (`mask` empty: a keepdims=0 output
                that several axis sets give) only the output shape, the kernel reading the axes at run time
    broadcast   the shape broadcast with the input's gives the output shape       (Expand)
    axis        one axis in range for the input's rank, read by the kernel at run time     (CumSum)
    none        any value gives the same result                 (Resize roi outside tf_crop_and_resize)

A Determined with `keep_input` is not compiled as an initializer: the node reads the graph input at run
time (its kernel does, `read_at_run_time` tells the family) and the check only guards what the static
shapes require of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import helper, numpy_helper

from .errors import GenError

RUNTIME = ("gen_rtparams.h",)
MAX_RANK = 16           # GEN_RT_MAX_RANK
KINDS = ("equal", "false", "reshape", "squeeze", "unsqueeze", "reduce_axes", "broadcast", "axis", "none")


@dataclass(frozen=True)
class Determined:
    """The value an input is compiled with and how the C checks the one it gets at run time."""
    value: np.ndarray
    kind: str                       # one of KINDS
    in_shape: tuple[int, ...] = ()  # the data input's shape (reshape, squeeze, unsqueeze)
    out_shape: tuple[int, ...] = ()
    allowzero: bool = False
    mask: tuple[int, ...] = ()      # reduce_axes: 1 on each compiled reduced dim (empty: any set)
    keepdims: bool = True           # reduce_axes
    keep_input: bool = False        # the node reads the graph input at run time (no initializer)


@dataclass
class Check:
    input: str          # the graph input the C checks
    node: str
    op: str
    k: int              # the node's input index
    det: Determined = field(repr=False)
    output: str = ""    # the node's first output (names it through the passes: node names come later)


def bind(model) -> list[Check]:
    """Each node input that a family lists in `shape_determined_inputs`, that is a graph input (not an
    initializer) and whose value the shapes determine: compiled as a new initializer holding that value
    (the graph input stays an input of the API); returns the checks the C makes on the inputs."""
    from .frontend import _value_shapes, _value_types
    from .ops import traits_of
    g = model.graph
    inits = {i.name for i in g.initializer}
    real = {i.name for i in g.input} - inits
    checks, taken = [], set(inits) | {v.name for v in g.input} | {o for n in g.node for o in n.output}
    done: set[tuple[int, int]] = set()
    # rounds: a value derived (or an output shape recorded) lets inference see the shapes after it
    for _ in range(8):
        wanted = [(n, k, pos) for pos, n in enumerate(g.node) if n.domain in ("", "ai.onnx")
                  for k in traits_of(n.op_type).shape_determined_inputs.get(n.op_type, ())
                  if k < len(n.input) and n.input[k] in real and (pos, k) not in done]
        if not wanted:
            break
        shapes, types = _inferred(model, _value_shapes, _value_types)
        _shapes_back(model, shapes, types)
        before = len(done)
        for n, k, pos in wanted:
            det = _derive(n, k, shapes, types, traits_of)
            if det is None:
                continue
            done.add((pos, k))
            name = n.input[k]
            node_name = n.name or f"{n.op_type}_{pos}"      # an unnamed node as the frontend names it
            checks.append(Check(name, node_name, n.op_type, k, det, n.output[0]))
            if det.keep_input:
                known = {o.name for o in g.output} | {v.name for v in g.value_info}
                if det.out_shape and n.output[0] not in known and n.output[0] in types:
                    # the output's shape, which inference cannot see through a run-time parameter
                    g.value_info.append(helper.make_tensor_value_info(n.output[0], types[n.output[0]],
                                                                      list(det.out_shape)))
                continue
            const = f"{name}__compiled_{len(checks) - 1}"
            while const in taken:
                const += "_"
            taken.add(const)
            g.initializer.append(numpy_helper.from_array(np.asarray(det.value), const))
            n.input[k] = const
        if len(done) == before:
            break
    return checks


def _derive(n, k, shapes, types, traits_of) -> Determined | None:
    try:
        det = traits_of(n.op_type).determined_input(n, k, shapes, types)
    except (KeyError, ValueError, TypeError, IndexError):
        return None         # shapes too incomplete to say: the const_inputs refusal stands
    if det is None:
        return None
    assert det.kind in KINDS, det.kind
    if max(len(det.in_shape), len(det.out_shape), det.value.size) > MAX_RANK and det.kind != "equal":
        return None
    return det


def _inferred(model, value_shapes, value_types):
    """Shapes and element types as far as onnx's inference gets without the parameters' values (a
    copy: the model itself is inferred by the frontend later)."""
    import onnx
    m = onnx.ModelProto()
    m.CopyFrom(model)
    try:
        m = onnx.shape_inference.infer_shapes(m)
    except Exception:       # noqa: BLE001  (inference is a help here; the frontend reports its errors)
        m = model
    return value_shapes(m), value_types(m)


def _shapes_back(model, shapes, types) -> None:
    """Shapes inference leaves unknown behind a parameter input (a ReduceSum over graph-input axes
    followed by Sqrt, Cast, ...), taken back from a node's known output where onnx's inference says
    the node's output has its first input's shape (probed with another shape). Only a guess to derive
    a parameter from: the frontend infers again with the derived value, and the run-time check holds
    the input to it."""
    import onnx
    g = model.graph
    uses: dict[str, int] = {}
    for n in g.node:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    opset = [o for o in model.opset_import if o.domain in ("", "ai.onnx")]
    for n in reversed(list(g.node)):
        if not n.input or not n.input[0] or len(n.output) != 1 or uses.get(n.input[0]) != 1:
            continue
        x, out = n.input[0], shapes.get(n.output[0])
        if shapes.get(x) is not None or out is None or any(i and i not in types for i in n.input) or \
                any(i and shapes.get(i) is None for i in n.input[1:]):
            continue
        probe = tuple(int(d) + 1 for d in out)      # another shape: does the output follow it?
        ins = [helper.make_tensor_value_info(i, types[i], list(probe if j == 0 else shapes[i]))
               for j, i in enumerate(n.input) if i and i not in [v for v in n.input[:j]]]
        m = helper.make_model(helper.make_graph([n], "probe", ins, [helper.make_empty_tensor_value_info(n.output[0])]),
                              opset_imports=opset)
        try:
            got = _value_shapes_of(onnx.shape_inference.infer_shapes(m, strict_mode=True), n.output[0])
        except Exception:   # noqa: BLE001  (the probe fails: no guess)
            continue
        if got == probe:
            shapes[x] = tuple(out)


def _value_shapes_of(m, name):
    for vi in list(m.graph.output) + list(m.graph.value_info):
        if vi.name == name and vi.type.tensor_type.HasField("shape"):
            dims = vi.type.tensor_type.shape.dim
            return tuple(int(d.dim_value) for d in dims) if all(d.HasField("dim_value") for d in dims) else None
    return None


def shape(shapes, name) -> tuple[int, ...]:
    """A static shape from the frontend's shape table (KeyError/ValueError when unknown or dynamic)."""
    s = shapes[name]
    if s is None or any(int(d) <= 0 for d in s):
        raise ValueError(name)
    return tuple(int(d) for d in s)


def length(shapes, name) -> int:
    """The element count of a 1-D parameter input."""
    s = shape(shapes, name)
    if len(s) != 1:
        raise ValueError(name)
    return s[0]


def emit_checks(g, ctx) -> list[str]:
    """The C conditions, one per check (each true when the input's value gives the compiled result)."""
    from .ops import c_int32s
    conds = []
    ctx.node = None
    for c in g.options.get("rt_checks", ()):
        t = g.t(c.input)
        d = c.det
        n = int(t.size)
        x = f"(({t.ctype} *)(ARENA + {ctx.tensor_offset[c.input]}))"
        where = f"input '{c.input}' of {c.op}"
        if d.kind == "none":
            continue
        if d.kind == "false":
            conds.append(f"gen_rt_all_zero_u8((const uint8_t *){x}, {n})")
            continue
        if d.kind == "axis":        # one int32 or int64
            conds.append(f"gen_rt_axis_ok((int64_t){x}[0], {len(d.in_shape)})")
            continue
        if t.dtype != "int64":
            raise GenError(f"{where} has dtype {t.dtype}, the check needs int64", c.node, c.op)
        if d.kind == "equal":
            conds.append(f"gen_rt_equal_i64({x}, {ctx.array(np.asarray(d.value, np.int64), 'expected', wide=True)}, "
                         f"{n})")
            continue
        ins = ctx.array(c_int32s(d.in_shape, "dimension", None), "in_shape") if d.in_shape else "NULL"
        outs = ctx.array(c_int32s(d.out_shape, "dimension", None), "out_shape") if d.out_shape else "NULL"
        if d.kind == "reduce_axes":
            mask = ctx.array(c_int32s(d.mask, "axis flag", None), "reduced") if d.mask else "NULL"
            conds.append(f"gen_rt_reduce_axes_ok({x}, {n}, {ins}, {len(d.in_shape)}, {mask}, {outs}, "
                         f"{len(d.out_shape)}, {int(d.keepdims)})")
        elif d.kind == "broadcast":
            conds.append(f"gen_rt_broadcast_ok({x}, {n}, {ins}, {len(d.in_shape)}, {outs}, {len(d.out_shape)})")
        elif d.kind == "reshape":
            conds.append(f"gen_rt_reshape_ok({x}, {n}, {ins}, {len(d.in_shape)}, {outs}, {int(d.allowzero)})")
        elif d.kind == "squeeze":
            conds.append(f"gen_rt_squeeze_ok({x}, {n}, {ins}, {len(d.in_shape)}, {outs}, {len(d.out_shape)})")
        else:
            conds.append(f"gen_rt_unsqueeze_ok({x}, {n}, {ins}, {len(d.in_shape)}, {outs})")
    return conds


def read_at_run_time(g, node, k: int) -> bool:
    """Input k of the IR node is a graph input its kernel reads at run time, checked before the run
    (a Determined with keep_input)."""
    name = node.inputs[k] if k < len(node.inputs) else ""
    return bool(name) and bool(node.outputs) and any(
        c.det.keep_input and c.input == name and c.output == node.outputs[0] and c.k == k
        for c in g.options.get("rt_checks", ()))


def samples(g) -> dict[str, list]:
    """A value each checked parameter input accepts (the compiled one), for sample inputs (test vectors,
    --verify): random ones would make the run return -1."""
    out = {}
    for c in g.options.get("rt_checks", ()):
        v = np.asarray(c.det.value).reshape(-1)
        if c.input not in out and v.size == g.t(c.input).size:
            out[c.input] = [x.item() for x in v]
    return out


def kernels_read(g) -> bool:
    """A kernel reads a parameter input at run time (with runtime_c/gen_rtparams.c's helpers)."""
    return any(c.det.keep_input for c in g.options.get("rt_checks", ()))


def checked_inputs(g) -> list[str]:
    """The graph inputs whose values the entry points check (for the header)."""
    out = []
    for c in g.options.get("rt_checks", ()):
        if c.det.kind != "none" and c.input not in out:
            out.append(c.input)
    return out


# ---------------------------------------------------------------- derivations the families call

def squeeze_axes(in_shape, out_shape) -> list[int] | None:
    """Axes of unit dims of in_shape whose removal leaves out_shape (None: there are none). Which
    unit dims are removed does not change the data; the run-time check accepts any that give out_shape."""
    in_shape, out_shape = list(in_shape), list(out_shape)
    axes, j = [], 0
    for i, d in enumerate(in_shape):
        if j < len(out_shape) and d == out_shape[j]:
            j += 1
        elif d == 1:
            axes.append(i)
        else:
            return None
    if j != len(out_shape) or [d for i, d in enumerate(in_shape) if i not in axes] != out_shape:
        return None
    return axes


def unsqueeze_axes(in_shape, out_shape) -> list[int] | None:
    """Axes of out_shape that are inserted unit dims (the others are in_shape in order)."""
    return squeeze_axes(out_shape, in_shape)


def reduce_axes(in_shape, out_shape, keepdims: bool, n: int) -> tuple[list[int], bool] | None:
    """The sets of n distinct axes of in_shape whose reduction gives out_shape: (one of them, whether
    they all reduce the same non-unit dims, i.e. give the same result), or None when none does."""
    from itertools import combinations
    in_shape, out_shape = list(in_shape), list(out_shape)
    r = len(in_shape)
    found, parts = None, set()
    if not 0 < n <= r:
        return None
    for axes in combinations(range(r), n):
        got = [1 if i in axes else d for i, d in enumerate(in_shape)] if keepdims else \
            [d for i, d in enumerate(in_shape) if i not in axes]
        if got == out_shape:
            found = found or list(axes)
            parts.add(tuple(a for a in axes if in_shape[a] != 1))
    return None if found is None else (found, len(parts) == 1)


def broadcast_shape(in_shape, out_shape) -> bool:
    """out_shape is a broadcast of in_shape (Expand's output from some shape)."""
    if len(out_shape) < len(in_shape):
        return False
    pad = [1] * (len(out_shape) - len(in_shape)) + list(in_shape)
    return all(a == b or a == 1 for a, b in zip(pad, out_shape))
