"""ONNX in, ir.Graph out: load, check, pin shapes, infer shapes, fold constants.

Every problem with the input is a GenError naming the node; nothing here writes files.
"""
from __future__ import annotations

import math
import os

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from . import controlflow, opsets
from .errors import GenError
from .fold_cost import fold_output_elems as _fold_output_elems
from .fold_cost import fold_work as _fold_work
from .ir import BOUNDARY_DTYPES, Graph, Node, Quant, Tensor

MIN_OPSET, MAX_OPSET = opsets.MIN_OPSET, opsets.MAX_OPSET   # every opset gen reads (gen/opsets.py)

ONNX_DTYPES = {
    onnx.TensorProto.FLOAT: "float32", onnx.TensorProto.INT8: "int8", onnx.TensorProto.UINT8: "uint8",
    onnx.TensorProto.INT32: "int32", onnx.TensorProto.INT64: "int64", onnx.TensorProto.BOOL: "bool",
    onnx.TensorProto.FLOAT16: "float16", onnx.TensorProto.INT16: "int16",
    onnx.TensorProto.UINT16: "uint16", onnx.TensorProto.UINT32: "uint32", onnx.TensorProto.UINT64: "uint64",
}
ONNX_DTYPES.update({onnx.TensorProto.BFLOAT16: "bfloat16", onnx.TensorProto.DOUBLE: "float64"})   # BOUNDARY_DTYPES
# ops evaluated at generation time when all their inputs are constants
_NONDETERMINISTIC = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial",
                     "Bernoulli"}
# dtypes an activation (non-constant tensor) and a graph input or output may have; float16, bfloat16 and
# float64 tensors are float32 inside the graph (converted at the API: ir.BOUNDARY_DTYPES, Graph.io_dtypes)
ACTIVATION_DTYPES = {"float32", "float16", "int8", "uint8", "int16", "int32", "int64", "bool",
                     "uint16", "uint32", "uint64"}
ACTIVATION_DTYPES |= set(BOUNDARY_DTYPES)      # float16, bfloat16, float64: float32 inside, converted at the API
SUPPORTED_DTYPES_TEXT = ("float32, float16, bfloat16, float64, int8, uint8, int16, int32, int64, uint16, uint32, "
                         "uint64 and bool")


def _dtype_name(elem_type: int) -> str:
    try:
        name = onnx.helper.tensor_dtype_to_np_dtype(elem_type).name
    except Exception:  # pragma: no cover - unknown enum value
        return f"type {elem_type}"
    if name == "object":     # string: numpy's object
        return onnx.TensorProto.DataType.Name(elem_type).lower()
    return name


# the largest file gen reads: protobuf cannot parse a model of 2 GiB or more anyway
MAX_FILE_BYTES = 2**31 - 1


def read_regular_file(path: str, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes. A FIFO, a device (/dev/zero), a socket or a
    directory is refused without blocking on it or reading it."""
    import stat
    if not os.path.lexists(path):
        raise GenError(f"cannot read {what} '{path}': no such file")
    if os.path.isdir(path):
        raise GenError(f"cannot read {what} '{path}': it is a directory")
    try:   # O_NONBLOCK: opening a FIFO that has no writer must not wait for one
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise GenError(f"cannot read {what} '{path}': {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else
                    "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                    "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
            raise GenError(f"cannot read {what} '{path}': it is {kind}, not a regular file")
        if st.st_size > limit:
            raise GenError(f"cannot read {what} '{path}': it has {st.st_size:,} bytes, more than the "
                           f"{limit:,} gen reads")
        chunks, total = [], 0
        while True:   # the size can change under us: never read past the limit
            b = os.read(fd, min(1 << 24, limit + 1 - total))
            if not b:
                break
            chunks.append(b)
            total += len(b)
            if total > limit:
                raise GenError(f"cannot read {what} '{path}': it grows past the {limit:,} bytes gen reads")
        return b"".join(chunks)
    except OSError as e:
        raise GenError(f"cannot read {what} '{path}': {e.strerror}") from None
    finally:
        os.close(fd)


def load_model(path: str) -> onnx.ModelProto:
    data = read_regular_file(path, "model")
    if not data:
        raise GenError(f"'{path}' is not an ONNX model: the file is empty")
    try:
        model = onnx.load_model_from_string(data)
    except Exception:
        raise GenError(f"'{path}' is not an ONNX model: it does not parse as an ONNX protobuf "
                       "(truncated or corrupt file?)") from None
    del data
    bad = _non_utf8_field(model)
    if bad:
        raise GenError(f"'{path}' is not a valid ONNX model: a string in field {bad} is not UTF-8 (corrupt file?)")
    if not model.HasField("graph"):
        raise GenError(f"'{path}' is not an ONNX model: it has no graph")
    if not model.graph.node and not model.graph.output:
        raise GenError(f"'{path}' has an empty graph: no nodes and no outputs")
    _load_external_data(model, path)
    return model


def _load_external_data(model: onnx.ModelProto, path: str) -> None:
    """Weights stored beside the model: each file must be a regular file, the ranges inside it, and all
    of them together within MAX_FILE_BYTES (onnx's own loader would block on a FIFO and read /dev/zero
    until memory runs out)."""
    import stat
    base = os.path.dirname(os.path.abspath(path))
    total = 0
    for init in model.graph.initializer:
        if init.data_location != onnx.TensorProto.EXTERNAL:
            continue
        info = {e.key: e.value for e in init.external_data}
        loc = info.get("location", "")
        full = os.path.join(base, loc)
        if not loc or not os.path.exists(full):
            raise GenError(f"initializer '{init.name}' keeps its data in external file '{loc}', "
                           f"which is missing next to '{path}'")
        try:
            st = os.stat(full)
            offset, length = int(info.get("offset", 0) or 0), info.get("length")
            length = int(length) if length not in (None, "") else None
        except (OSError, ValueError) as e:
            raise GenError(f"initializer '{init.name}': cannot use external file '{loc}': {_one_line(e)}") from None
        if not stat.S_ISREG(st.st_mode):
            raise GenError(f"initializer '{init.name}' keeps its data in '{loc}', which is not a regular file "
                           "(a FIFO, a device or a directory)")
        n = (st.st_size - offset) if length is None else length
        if offset < 0 or n < 0 or offset + n > st.st_size:
            raise GenError(f"initializer '{init.name}': bytes {offset} to {offset + max(n, 0)} of external file "
                           f"'{loc}' are past its end ({st.st_size} bytes)")
        total += n
        if total > MAX_FILE_BYTES:
            raise GenError(f"initializer '{init.name}': the external data passes the {MAX_FILE_BYTES:,} bytes "
                           "gen reads")
    try:
        onnx.external_data_helper.load_external_data_for_model(model, base)
    except Exception as e:
        raise GenError(f"cannot load external data of '{path}': {_one_line(e)}") from None


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
    """The model's default-domain opset, refused outside gen's range (gen/opsets.py)."""
    return opsets.model_opset(model)


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
    """The nodes in an execution order (Kahn's algorithm, the lowest stored index first among the ready
    ones, so a sorted graph keeps its order): O(n log n) whatever order the file stores them in."""
    import heapq
    nodes = list(g.node)
    ready = {i.name for i in g.initializer} | {i.name for i in g.input} | {""}
    producer: dict[str, int] = {}
    for k, n in enumerate(nodes):
        for o in n.output:
            if o and o not in ready:
                producer.setdefault(o, k)
    waiting = [0] * len(nodes)
    users: dict[int, list[int]] = {}
    for k, n in enumerate(nodes):
        for i in set(n.input):
            if i in ready:
                continue
            waiting[k] += 1
            p = producer.get(i)
            if p is not None:
                users.setdefault(p, []).append(k)
    heap = [k for k in range(len(nodes)) if waiting[k] == 0]
    heapq.heapify(heap)
    order = []
    while heap:
        k = heapq.heappop(heap)
        order.append(k)
        for u in users.get(k, ()):
            waiting[u] -= 1
            if waiting[u] == 0:
                heapq.heappush(heap, u)
    if len(order) < len(nodes):
        done = set(order)
        k = min(j for j in range(len(nodes)) if j not in done)
        seen: set[int] = set()
        while k not in seen:   # walk back through unscheduled producers: we end on a cycle
            seen.add(k)
            back = [producer[i] for i in nodes[k].input if i not in ready and producer.get(i) is not None
                    and producer[i] not in done]
            if not back:
                n = nodes[k]
                missing = next(i for i in n.input if i not in ready and producer.get(i) is None)
                raise GenError(f"input '{missing}' is never produced by any node, initializer or graph input",
                               n.name, n.op_type)
            k = min(back)
        n = nodes[k]
        raise GenError("the graph has a cycle: this node depends on its own output", n.name, n.op_type)
    return [nodes[k] for k in order]


def _sort_nodes(g: onnx.GraphProto) -> None:
    """Store the nodes in execution order (onnxruntime runs unsorted graphs; the ONNX checker, shape
    inference and one-pass folding need them sorted)."""
    order = _toposort(g)
    if any(a is not b for a, b in zip(order, g.node)):
        copies = []
        for n in order:
            c = onnx.NodeProto()
            c.CopyFrom(n)
            copies.append(c)
        del g.node[:]
        g.node.extend(copies)


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
        if _empty_shape(tt) and inp.name not in {o.name for o in g.output}:
            continue            # no elements: compiled as an empty constant (_bind_empty_inputs)
        for k, d in enumerate(dims):
            if not d.HasField("dim_value") or d.dim_value <= 0:
                sym = d.dim_param or "?"
                hint = (f"pin it with --input-shape {inp.name}=" +
                        ",".join("1" if not x.HasField("dim_value") else str(x.dim_value) for x in dims))
                if d.HasField("dim_value") and d.dim_value == 0:
                    raise GenError(f"graph input '{inp.name}' has a zero-size dimension {k}")
                raise GenError(f"graph input '{inp.name}' has a dynamic dimension {k} ('{sym}'): gen needs static "
                               f"shapes; {hint}")


def _empty_shape(tt) -> bool:
    """A static tensor type with a zero dimension (no elements)."""
    dims = tt.shape.dim
    return tt.HasField("shape") and all(d.HasField("dim_value") and d.dim_value >= 0 for d in dims) and \
        any(d.dim_value == 0 for d in dims)


def _bind_empty_inputs(g: onnx.GraphProto) -> None:
    """A graph input with a static zero-size shape holds no elements: its value is known at generation time.
    Its readers read an empty initializer of that shape and dtype instead (CastLike takes only its dtype,
    an empty axes input gives the families' "axes empty" rules); the graph input stays an argument of the
    API (a pointer the C never reads: NAME.h says so)."""
    inits = {i.name for i in g.initializer}
    taken = inits | {i.name for i in g.input} | {o for n in g.node for o in n.output}
    outputs = {o.name for o in g.output}
    for inp in g.input:
        tt = inp.type.tensor_type
        if inp.name in inits or inp.name in outputs or not inp.type.HasField("tensor_type") or not _empty_shape(tt):
            continue
        dims = tt.shape.dim
        const = f"{inp.name}__empty"
        while const in taken:
            const += "_"
        taken.add(const)
        g.initializer.append(helper.make_tensor(const, tt.elem_type, [d.dim_value for d in dims], []))
        for n in g.node:
            n.input[:] = [const if i == inp.name else i for i in n.input]


def _infer(model: onnx.ModelProto) -> onnx.ModelProto:
    """Shape inference without onnx's data propagation: that expands Range through its function body
    element by element (10^12 elements run for days) and gives nothing the folding rounds do not: every
    shape is static here, so Shape/Gather/Concat chains fold to constants and the next round sees them."""
    try:
        return shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=False)
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


# --- bounds on what constant folding may compute (onnx's ReferenceEvaluator has none: a Range or a
# ConstantOfShape of 10^12 elements ends in MemoryError, a Loop of 10^12 iterations never ends)

# folded results, per node, at most this many bytes unless the caller says otherwise (--flash-limit:
# a folded constant ends up in flash, or is an intermediate of one)
DEFAULT_FOLD_BYTES = 64 * 2**20
# multiply-adds numpy does for one folded node (Conv, MatMul, Gemm, Einsum, RNNs of constants)
FOLD_MAX_WORK = 2**30
# steps of the Python loops of onnx's ReferenceEvaluator for one folded node (pools, GridSample, ...)
FOLD_MAX_LOOP_WORK = 2**22
# how many elements and how much work onnx's ReferenceEvaluator takes per ONNX op: gen.fold_cost

def _may_fold(n: onnx.NodeProto) -> bool:
    """Nodes gen may evaluate at generation time: not random, not the Q/DQ the int8 passes read, and no
    control flow (Loop, Scan, If, SequenceMap): a body may run 10^12 times, so gen never runs one."""
    from .ops import has
    if n.op_type in _NONDETERMINISTIC or has(n.op_type, "is_qdq"):
        return False
    return not any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in n.attribute)


class _FoldBudget:
    """What folding may compute: each result at most `limit` bytes, all results together 4x that,
    and a bounded amount of work per node; checked before each evaluation."""

    def __init__(self, limit: int):
        self.limit, self.total = limit, 0

    def check(self, n: onnx.NodeProto, consts: dict, shapes: dict, types: dict) -> None:
        ins = [consts.get(i) if i else None for i in n.input]
        total = 0
        for o in n.output:
            if not o:
                continue
            elems = _fold_output_elems(n, o, ins, shapes)
            if elems is None:
                raise GenError(f"gen cannot tell the size of '{o}' before computing it at generation time "
                               "(its inputs are constants, and shape inference does not know its shape)",
                               n.name, n.op_type)
            try:
                isz = helper.tensor_dtype_to_np_dtype(types[o]).itemsize
            except Exception:
                isz = 8
            nbytes = elems * max(isz, 1)
            if nbytes > self.limit:
                raise GenError(f"computing this node at generation time (its inputs are constants) would make "
                               f"'{o}' {elems:,} elements, {nbytes:,} bytes: more than the {self.limit:,} bytes "
                               "gen folds (--flash-limit)", n.name, n.op_type)
            total = max(total, elems)
        work, loop = _fold_work(n, ins, total)
        if work > FOLD_MAX_WORK or loop > FOLD_MAX_LOOP_WORK:
            raise GenError(f"computing this node at generation time (its inputs are constants) takes about "
                           f"{max(work, loop):,} steps: more than gen spends on one folded node", n.name, n.op_type)

    def spend(self, n: onnx.NodeProto, nbytes: int) -> None:
        self.total += nbytes
        if self.total > 4 * self.limit:
            raise GenError(f"constant folding has computed {self.total:,} bytes of constants by this node: more "
                           f"than 4 x {self.limit:,} (--flash-limit)", n.name, n.op_type)


def _fold_constants(model: onnx.ModelProto, opset: int, budget: "_FoldBudget") -> bool:
    """Replace every node whose inputs are all constant (or whose output is a known Shape) by an initializer."""
    from .ops import has, op_with, traits_of
    copy_op = op_with("is_onnx_copy")     # Identity
    g = model.graph
    consts = {i.name: _array(i) for i in g.initializer}
    shapes = _value_shapes(model)
    types = _value_types(model)
    keep, changed = [], False
    outputs = {o.name for o in g.output}
    for n in g.node:
        vals = None
        if not _may_fold(n):
            keep.append(n)
            continue
        if has(n.op_type, "folds_from_shapes"):     # what the shapes alone give: the family computes it
            if not n.input:
                budget.check(n, consts, shapes, types)
            vals = traits_of(n.op_type).onnx_fold(n, shapes, opset)
        elif n.op_type == copy_op and n.output[0] in outputs:
            pass                # a graph output copied from a constant (below): the Copy computes it
        elif _empty_outputs(n, shapes, types):     # no output has an element: nothing to compute
            for o in n.output:      # ... unless the op says why that is an error (a window that leaves none)
                if o:
                    traits_of(n.op_type).onnx_output_shape(n, o, shapes[o], shapes)
            vals = [None if not o else np.zeros(shapes[o], helper.tensor_dtype_to_np_dtype(types[o]))
                    for o in n.output]
        elif n.input and all((not i) or i in consts for i in n.input) and \
                (not any(o in outputs for o in n.output) or any(consts[i].size == 0 for i in n.input if i)):
            # a graph output is computed here only from an empty input (a reduction of an empty set): the
            # kernels read data with elements
            budget.check(n, consts, shapes, types)
            try:
                with np.errstate(all="ignore"):     # log(0) of an empty reduction is -inf, as the spec says
                    vals = _evaluate(n, [consts[i] if i else None for i in n.input], opset)
            except Exception as e:
                raise GenError(f"cannot evaluate this constant subgraph: {_one_line(e)}", n.name, n.op_type) from None
        if vals is None or (has(n.op_type, "folds_from_shapes") and any(o in outputs for o in n.output)):
            keep.append(n)      # (a graph output the family computes itself: gen/ops/generators.py)
            continue
        for name, v in zip(n.output, vals):
            if name:
                budget.spend(n, np.asarray(v).nbytes)
                const = name
                if name in outputs:     # the graph output is a copy of the value (the API writes it)
                    const = _fresh(f"{name}__value", g)
                    keep.append(helper.make_node(copy_op, [const], [name], name=f"{n.name or n.op_type}_{name}"))
                consts[const] = v
                g.initializer.append(numpy_helper.from_array(np.asarray(v), const))
        changed = True
    if changed:
        del g.node[:]
        g.node.extend(keep)
    return changed


def _empty_outputs(n: onnx.NodeProto, shapes, types) -> bool:
    """Every output of `n` has a static shape with no elements (and a known element type)."""
    outs = [o for o in n.output if o]
    return bool(outs) and all(shapes.get(o) is not None and 0 in shapes[o] and o in types for o in outs)


def _fresh(name: str, g: onnx.GraphProto) -> str:
    """`name`, or `name` with underscores added, that no tensor of `g` has."""
    taken = {i.name for i in g.initializer} | {i.name for i in g.input} | {o for n in g.node for o in n.output}
    while name in taken:
        name += "_"
    return name


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
         supported: set[str] | None = None, fold_limit: int = DEFAULT_FOLD_BYTES) -> Graph:
    """The whole frontend: returns a Graph with static shapes and no constant subgraphs."""
    model = load_model(path)
    return from_model(model, input_shapes, name, supported, fold_limit)


def from_model(model: onnx.ModelProto, input_shapes: dict[str, tuple[int, ...]] | None = None,
               name: str = "model", supported: set[str] | None = None,
               fold_limit: int = DEFAULT_FOLD_BYTES) -> Graph:
    """fold_limit: the largest constant (bytes) computed at generation time; all together 4x that."""
    opset = _opset(model)
    from . import qoperator
    if qoperator.has_qoperator(model):
        if opset < 13:      # the QDQ form written next has DequantizeLinear-13's axis (per-channel weights)
            opset = opsets.convert(model, at_least=13)
        qoperator.rewrite(model)
    g = model.graph
    _check_structure(g)
    _sort_nodes(g)
    try:
        onnx.checker.check_model(model)
    except Exception as e:
        raise GenError(f"the ONNX checker rejects the model: {_one_line(e)}") from None
    # graph inputs that are also initializers are constants (old exporters write them)
    inits = {i.name for i in g.initializer}
    real_inputs = [i for i in g.input if i.name not in inits]
    del g.input[:]
    g.input.extend(real_inputs)
    # each node in its form at an opset the families read (11-21), by its op's version history
    opset = opsets.convert(model)
    _bind_empty_inputs(g)      # a graph input with no elements: its value is known (empty), compiled as such
    from . import legalize, rtparams     # a parameter (weights, bounds, shapes, scales) arriving as a graph input
    rt_checks = rtparams.bind(model)    # ... that the shapes determine: compiled with its value, checked in C
    legalize.refuse_graph_input_params(g)
    _pin_inputs(model, input_shapes or {})
    model = controlflow.expand(model, opset, fold_limit)   # If/Loop/Scan inlined or unrolled, or refused
    for inp in g.input:
        et = inp.type.tensor_type.elem_type
        if ONNX_DTYPES.get(et) not in ACTIVATION_DTYPES:
            raise GenError(f"graph input '{inp.name}' has dtype {_dtype_name(et)}: gen supports "
                           f"{SUPPORTED_DTYPES_TEXT} inputs")
    # ops computed at generation time (Shape->Gather->Concat chains) need no kernel: checked after folding
    foldable = _generation_time_nodes(g)
    if supported is not None:
        _check_supported([n for k, n in enumerate(g.node) if k not in foldable], supported)
    # infer, fold, repeat: PyTorch's Shape->Gather->Concat->Reshape chains need a few rounds
    budget = _FoldBudget(fold_limit)
    for _ in range(32):     # the nodes are sorted: each round folds every chain it can see at once
        model = _infer(model)
        if _family_rewrites(model):
            model = _infer(model)
        if not _fold_constants(model, opset, budget):
            break
    model = _infer(model)
    if supported is not None:
        _check_supported(model.graph.node, supported)
    graph = _to_ir(model, opset, name)
    if rt_checks:
        graph.options["rt_checks"] = rt_checks
    return graph


def _check_supported(nodes, supported: set[str]) -> None:
    for n in nodes:
        if n.op_type not in supported:
            raise GenError(f"operator {n.op_type} is not supported (see the supported list: "
                           "python -m gen --list-ops)", n.name, n.op_type)


def _generation_time_nodes(g: onnx.GraphProto) -> set[int]:
    """Indices of the nodes whose outputs depend only on constants and shapes: folding removes them.
    One pass: the nodes are stored in execution order by now (_sort_nodes)."""
    from .ops import has
    known = {i.name for i in g.initializer}
    outputs = {o.name for o in g.output}
    out: set[int] = set()
    for k, n in enumerate(g.node):
        if not _may_fold(n) or any(o in outputs for o in n.output):
            continue
        if has(n.op_type, "folds_from_shapes") or \
                (n.input and all((not i) or i in known for i in n.input)):
            out.add(k)
            known.update(o for o in n.output if o)
    return out


def _family_rewrites(model: onnx.ModelProto) -> bool:
    """Each node's family rewrites its ONNX node where onnx's shape inference gets the op wrong
    (OpFamily.onnx_rewrite: ceil_mode pooling). Returns True if a node changed (value_info is then
    cleared, for a fresh inference)."""
    from .ops import traits_of
    shapes = _value_shapes(model)
    changed = False
    for n in model.graph.node:
        changed = traits_of(n.op_type).onnx_rewrite(n, shapes) or changed
    if changed:   # shapes downstream were inferred from the wrong count: infer them again
        del model.graph.value_info[:]
        for o in model.graph.output:
            for k, d in enumerate(o.type.tensor_type.shape.dim):
                d.dim_param = f"{o.name}_dim{k}"
    return changed


def _to_ir(model: onnx.ModelProto, opset: int, name: str) -> Graph:
    from .ops import has, traits_of
    g = model.graph
    nodes = _toposort(g)
    shapes = _value_shapes(model)
    types = _value_types(model)
    tensors: dict[str, Tensor] = {}
    graph_outputs = {o.name for o in g.output}
    for init in g.initializer:
        arr = _array(init)
        dt = arr.dtype.name
        if dt in BOUNDARY_DTYPES:     # float16/bfloat16 weights compute in float32 (exactly), float64 rounded
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
            if any(d <= 0 for d in shp) and o in n.output:
                traits_of(n.op_type).onnx_output_shape(n, o, shp, shapes)   # the op's reason first
            if any(d == 0 for d in shp) and not (o in graph_outputs and has(n.op_type, "is_onnx_copy") and
                                                 n.input[0] in tensors):    # an empty output: a copy of nothing
                raise GenError(f"tensor '{o}' has a zero-size dimension {shp}", n.name, n.op_type)
            _check_fits(o, shp, ONNX_DTYPES.get(et), n)
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
            _check_fits(vi.name, shp, ONNX_DTYPES.get(types.get(vi.name), "float32"), None)
            tensors[vi.name] = Tensor(vi.name, shp, ONNX_DTYPES.get(types.get(vi.name), "float32"))
    io_dtypes = {}
    for t in tensors.values():    # float16/bfloat16/float64 activations are float32 inside the graph
        if t.dtype in BOUNDARY_DTYPES and not t.is_const:
            io_dtypes[t.name] = t.dtype
            t.dtype = "float32"
    irnodes = [Node(n.op_type, n.name, list(n.input), list(n.output),
                    {a.name: _attr(a) for a in n.attribute}) for n in nodes]
    for n, irn in zip(nodes, irnodes):
        irn.attrs.update(traits_of(n.op_type).onnx_attrs(n, types))   # e.g. CastLike's target type
    graph = Graph(name, tensors, irnodes, [i.name for i in g.input], [o.name for o in g.output], opset)
    graph.io_dtypes = {k: v for k, v in io_dtypes.items() if k in graph.inputs or k in graph.outputs}
    for o in graph.outputs:
        if graph.tensors[o].is_const:
            raise GenError(f"graph output '{o}' is a constant: nothing to compute")
        if graph.io_dtype(o) not in ACTIVATION_DTYPES:
            raise GenError(f"graph output '{o}' has dtype {graph.tensors[o].dtype}: gen supports "
                           f"{SUPPORTED_DTYPES_TEXT}")
    return graph


# a tensor's elements and bytes are int32 in the generated C and must be addressable on a 32-bit target
MAX_TENSOR_BYTES = 2**31 - 1


def _check_fits(name: str, shape, dtype: str | None, n) -> None:
    """Refuse a tensor the C cannot hold, in Python ints (np.prod wraps around: [2^32, 2^32] is 0)."""
    from .ir import DTYPE_SIZE
    if any(int(d) < 0 for d in shape):
        raise GenError(f"tensor '{name}' has a negative dimension {list(shape)}",
                       n.name if n else None, n.op_type if n else None)
    elems = math.prod(int(d) for d in shape)
    nbytes = elems * DTYPE_SIZE.get(dtype or "float32", 8)
    if nbytes > MAX_TENSOR_BYTES:
        raise GenError(f"tensor '{name}' of shape {list(shape)} has {elems:,} elements ({nbytes:,} bytes): more "
                       "than the 2^31 - 1 bytes a 32-bit target (and the int32 sizes of the generated C) can "
                       "hold", n.name if n else None, n.op_type if n else None)


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
