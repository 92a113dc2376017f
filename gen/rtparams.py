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
    none        any value gives the same result                 (Resize roi outside tf_crop_and_resize)
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import numpy_helper

from .errors import GenError

RUNTIME = ("gen_rtparams.h",)
MAX_RANK = 16           # GEN_RT_MAX_RANK
KINDS = ("equal", "false", "reshape", "squeeze", "unsqueeze", "none")


@dataclass(frozen=True)
class Determined:
    """The value an input is compiled with and how the C checks the one it gets at run time."""
    value: np.ndarray
    kind: str                       # one of KINDS
    in_shape: tuple[int, ...] = ()  # the data input's shape (reshape, squeeze, unsqueeze)
    out_shape: tuple[int, ...] = ()
    allowzero: bool = False


@dataclass
class Check:
    input: str          # the graph input the C checks
    node: str
    op: str
    k: int              # the node's input index
    det: Determined = field(repr=False)


def bind(model) -> list[Check]:
    """Each node input that a family lists in `shape_determined_inputs`, that is a graph input (not an
    initializer) and whose value the shapes determine: compiled as a new initializer holding that value
    (the graph input stays an input of the API); returns the checks the C makes on the inputs."""
    from .frontend import _value_shapes, _value_types
    from .ops import traits_of
    g = model.graph
    inits = {i.name for i in g.initializer}
    real = {i.name for i in g.input} - inits
    wanted = [(n, k) for n in g.node if n.domain in ("", "ai.onnx")
              for k in traits_of(n.op_type).shape_determined_inputs.get(n.op_type, ())
              if k < len(n.input) and n.input[k] in real]
    if not wanted:
        return []
    shapes, types = _inferred(model, _value_shapes, _value_types)
    checks, taken = [], set(inits) | {v.name for v in g.input} | {o for n in g.node for o in n.output}
    for idx, (n, k) in enumerate(wanted):
        name = n.input[k]
        try:
            det = traits_of(n.op_type).determined_input(n, k, shapes, types)
        except (KeyError, ValueError, TypeError, IndexError):
            det = None          # shapes too incomplete to say: the const_inputs refusal stands
        if det is None:
            continue
        assert det.kind in KINDS, det.kind
        if max(len(det.in_shape), len(det.out_shape), det.value.size) > MAX_RANK and det.kind != "equal":
            continue
        const = f"{name}__compiled_{idx}"
        while const in taken:
            const += "_"
        taken.add(const)
        g.initializer.append(numpy_helper.from_array(np.asarray(det.value), const))
        n.input[k] = const
        checks.append(Check(name, n.name or f"{n.op_type}_{idx}", n.op_type, k, det))
    return checks


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
        if t.dtype != "int64":
            raise GenError(f"{where} has dtype {t.dtype}, the check needs int64", c.node, c.op)
        if d.kind == "equal":
            conds.append(f"gen_rt_equal_i64({x}, {ctx.array(np.asarray(d.value, np.int64), 'expected', wide=True)}, "
                         f"{n})")
            continue
        ins = ctx.array(c_int32s(d.in_shape, "dimension", None), "in_shape")
        outs = ctx.array(c_int32s(d.out_shape, "dimension", None), "out_shape")
        if d.kind == "reshape":
            conds.append(f"gen_rt_reshape_ok({x}, {n}, {ins}, {len(d.in_shape)}, {outs}, {int(d.allowzero)})")
        elif d.kind == "squeeze":
            conds.append(f"gen_rt_squeeze_ok({x}, {n}, {ins}, {len(d.in_shape)}, {outs}, {len(d.out_shape)})")
        else:
            conds.append(f"gen_rt_unsqueeze_ok({x}, {n}, {ins}, {len(d.in_shape)}, {outs})")
    return conds


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
