"""gen's intermediate representation: tensors with static shape, dtype, layout and quant params.

The frontend builds a Graph from ONNX; passes rewrite it; the planner gives every non-constant
tensor an arena offset; op modules emit C for each node. A Graph's node list is always in a valid
execution order (the frontend sorts it topologically).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# element size in bytes of the dtypes gen handles. float16, bfloat16 and float64 (BOUNDARY_DTYPES below) exist
# only at the API (a graph input or output, converted to and from float32 at the boundary); inside the graph
# every such tensor is a float32 one (Graph.io_dtypes keeps the API dtype of graph inputs and outputs)
DTYPE_SIZE = {"float32": 4, "float16": 2, "int8": 1, "uint8": 1, "int16": 2, "int32": 4, "int64": 8, "bool": 1,
              "uint16": 2, "uint32": 4, "uint64": 8}
C_TYPE = {"float32": "float", "float16": "uint16_t", "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t",
          "int32": "int32_t", "int64": "int64_t", "bool": "uint8_t",
          "uint16": "uint16_t", "uint32": "uint32_t", "uint64": "uint64_t"}
# the numpy dtype of each (bool: numpy's one-byte bool, 0 or 1)
NP_DTYPE = {"float32": np.float32, "float16": np.float16, "int8": np.int8, "uint8": np.uint8, "int16": np.int16,
            "int32": np.int32, "int64": np.int64, "bool": np.bool_,
            "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}


@dataclass(frozen=True)
class BoundaryDtype:
    """A float dtype that exists only at the API (graph inputs and outputs): inside the graph its tensors
    are float32, converted at the boundary by the runtime functions named here."""
    ctype: str          # the C type of the API's values
    np: Any             # their numpy dtype (the host passes its bytes)
    size: int
    to_f32: str         # runtime function (const API values *, float *, n): into the arena
    from_f32: str       # (const float *, API values *, n): out of the arena
    to_f32_one: str     # one API value -> float ("": a C conversion); gen_testvec's comparison
    header: str         # the runtime header declaring them
    about: str          # NAME.h's sentence on how the API passes them


def _bfloat16():
    import ml_dtypes        # onnx's own numpy bfloat16 (an onnx dependency)
    return ml_dtypes.bfloat16


# the one table of boundary dtypes (frontend, c_source, c_header, emit, host, testvec read it)
BOUNDARY_DTYPES = {
    "float16": BoundaryDtype("uint16_t", np.float16, 2, "gen_f16_to_f32_n", "gen_f32_to_f16_n", "gen_f16_to_f32",
                             "gen_int.h", "float16 inputs and outputs are passed as their IEEE 754 binary16 bits "
                             "(uint16_t); the model computes them in float32 (converted at this boundary, rounded to "
                             "nearest even)."),
    "bfloat16": BoundaryDtype("uint16_t", _bfloat16(), 2, "gen_bf16_to_f32_n", "gen_f32_to_bf16_n", "gen_bf16_to_f32",
                              "gen_floatfmt.h", "bfloat16 inputs and outputs are passed as their bits (uint16_t: "
                              "the upper half of a float32); the model computes them in float32 (converted at this "
                              "boundary, rounded to nearest even)."),
    "float64": BoundaryDtype("double", np.float64, 8, "gen_f64_to_f32_n", "gen_f32_to_f64_n", "", "gen_floatfmt.h",
                             "float64 inputs and outputs are passed as double; the model computes them in float32 "
                             "(converted at this boundary, rounded to nearest even: about 7 significant digits, "
                             "magnitudes past 3.4e38 become infinite)."),
}
for _dt, _b in BOUNDARY_DTYPES.items():     # their API sizes and C and numpy types, as every dtype's
    DTYPE_SIZE[_dt], C_TYPE[_dt], NP_DTYPE[_dt] = _b.size, _b.ctype, _b.np


@dataclass
class Quant:
    """Affine quantization: real = scale * (q - zero_point); per tensor (axis None) or per axis."""
    scale: np.ndarray          # float32, shape () or (C,)
    zero_point: np.ndarray     # int32, same shape as scale
    axis: int | None = None

    @property
    def per_channel(self) -> bool:
        return self.scale.ndim > 0 and self.scale.size > 1

    def s(self) -> float:
        """The per-tensor scale (only for per-tensor quantization)."""
        return float(self.scale.reshape(-1)[0])

    def zp(self) -> int:
        return int(self.zero_point.reshape(-1)[0])


@dataclass
class Tensor:
    name: str
    shape: tuple[int, ...]
    dtype: str
    data: np.ndarray | None = None      # constant tensors (weights) have data
    quant: Quant | None = None
    layout: str | None = None           # None (model order) or 'NHWC' (channels last, rank >= 3): gen.ops.layout
    view_of: str | None = None          # tensors that are views share their base's memory
    view_offset: int | None = None      # a window of the base (rows of a band, gen/bands.py): its first byte

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        """Elements, as a Python int (np.prod would wrap around past int64)."""
        return math.prod(int(d) for d in self.shape)

    @property
    def nbytes(self) -> int:
        return self.size * DTYPE_SIZE[self.dtype]

    @property
    def ctype(self) -> str:
        return C_TYPE[self.dtype]


class _Names(list):
    """A node's inputs or outputs: a list that tells the graph indexing the node when it changes, so
    Graph.producer/consumers stay O(1) however the passes edit nodes (item or slice assignment, ...)."""

    def __init__(self, node: "Node", kind: str, items=()):
        super().__init__(items)
        self._node, self._kind = node, kind

    def __reduce_ex__(self, protocol):   # copies and pickles are plain lists
        return (list, (list(self),))


def _tracked(method: str):
    base = getattr(list, method)

    def f(self, *args, **kw):
        g = self._node._graph
        if g is not None and id(self._node) not in g._members:
            g = None                   # a copy of a node still naming the graph: not indexed there
        if g is not None:
            g._unindex(self._node)
        try:
            return base(self, *args, **kw)
        finally:
            if g is not None:
                g._index_node(self._node)
    f.__name__ = method
    return f


for _m in ("__setitem__", "__delitem__", "__iadd__", "__imul__", "append", "extend", "insert", "pop", "remove",
           "clear", "sort", "reverse"):
    setattr(_Names, _m, _tracked(_m))


@dataclass(eq=False)      # nodes compare and hash by identity: list.remove/index/in never compare fields
class Node:
    op: str
    name: str
    inputs: list[str]           # '' for an omitted optional input
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    # filled by passes: fused activation, kernel choice, precomputed parameters
    act: "Activation | None" = None
    info: dict[str, Any] = field(default_factory=dict)

    def __setattr__(self, key, value):
        if key in ("inputs", "outputs"):
            g = self.__dict__.get("_graph_")
            if g is not None and id(self) not in g._members:
                g = None
            if g is not None:
                g._unindex(self)
            object.__setattr__(self, key, _Names(self, key, value))
            if g is not None:
                g._index_node(self)
            return
        object.__setattr__(self, key, value)

    @property
    def _graph(self) -> "Graph | None":
        return self.__dict__.get("_graph_")

    def where(self) -> dict:
        return {"node": self.name, "op": self.op}


class _NodeList(list):
    """Graph.nodes: keeps the graph's producer/consumer index in step with insertions and removals."""

    def __init__(self, graph: "Graph", items=()):
        super().__init__()
        self._g = graph
        self.extend(items)

    def __reduce_ex__(self, protocol):
        return (list, (list(self),))

    def _add(self, nodes):
        for n in nodes:
            self._g._attach(n)

    def _drop(self, nodes):
        for n in nodes:
            self._g._detach(n)

    def append(self, n):
        super().append(n)
        self._add([n])

    def extend(self, items):
        items = list(items)
        super().extend(items)
        self._add(items)

    def __iadd__(self, items):
        self.extend(items)
        return self

    def insert(self, i, n):
        super().insert(i, n)
        self._add([n])

    # passes remove and look up nodes in schedule order: search near the last hit first, so a pass
    # that removes one node per island does not scan the whole list each time
    def _find(self, n) -> int:
        h = min(getattr(self, "_hint", 0), len(self))
        for lo, hi in ((max(h - 8, 0), min(h + 64, len(self))), (h, len(self)), (0, h)):
            try:
                i = super().index(n, lo, hi)
            except ValueError:
                continue
            self._hint = i
            return i
        raise ValueError("node is not in the graph")

    def index(self, n, *args):
        return super().index(n, *args) if args else self._find(n)

    def __contains__(self, n):
        return id(n) in self._g._members if isinstance(n, Node) else super().__contains__(n)

    def remove(self, n):
        super().__delitem__(self._find(n))
        self._drop([n])

    def pop(self, i=-1):
        n = super().pop(i)
        self._drop([n])
        return n

    def clear(self):
        old = list(self)
        super().clear()
        self._drop(old)

    def __setitem__(self, i, v):
        old = self[i] if isinstance(i, slice) else [self[i]]
        new = list(v) if isinstance(i, slice) else [v]
        super().__setitem__(i, new if isinstance(i, slice) else v)
        self._drop(old)
        self._add(new)

    def __delitem__(self, i):
        old = self[i] if isinstance(i, slice) else [self[i]]
        super().__delitem__(i)
        self._drop(old)

    def __imul__(self, k):
        raise TypeError("a graph's node list cannot be repeated")


@dataclass
class Activation:
    """An activation fused into the producing kernel."""
    kind: str                   # 'relu', 'clip', 'leakyrelu'
    lo: float = float("-inf")
    hi: float = float("inf")
    alpha: float = 0.0          # LeakyRelu slope


@dataclass
class Graph:
    name: str
    tensors: dict[str, Tensor]
    nodes: list[Node]
    inputs: list[str]
    outputs: list[str]
    opset: int = 13
    notes: list[str] = field(default_factory=list)   # said in the summary (e.g. float fallbacks)
    options: dict[str, Any] = field(default_factory=dict)  # generation options op families read (scratch)
    # graph inputs/outputs whose API dtype differs from their tensor's: BOUNDARY_DTYPES (a float32 tensor)
    io_dtypes: dict[str, str] = field(default_factory=dict)

    def io_dtype(self, name: str) -> str:
        """The dtype a graph input or output has at the C API."""
        return self.io_dtypes.get(name, self.tensors[name].dtype)

    def __setattr__(self, key, value):
        if key == "nodes":
            old = self.__dict__.get("nodes")
            if old is not None:
                for n in old:
                    self._detach(n)
            object.__setattr__(self, "_producers", {})
            object.__setattr__(self, "_consumers", {})
            object.__setattr__(self, "_members", {})
            object.__setattr__(self, "nodes", _NodeList(self, value))
            return
        object.__setattr__(self, key, value)

    # --- the producer/consumer index (kept by _NodeList and by Node's tracked inputs/outputs)
    def _attach(self, n: Node) -> None:
        k = self._members.get(id(n), 0)
        self._members[id(n)] = k + 1
        if k == 0:
            if n._graph is not None and n._graph is not self:
                n._graph._detach(n, all_copies=True)
            n.__dict__["_graph_"] = self
            self._index_node(n)

    def _detach(self, n: Node, all_copies: bool = False) -> None:
        k = self._members.get(id(n), 0)
        if k == 0:
            return
        if k > 1 and not all_copies:
            self._members[id(n)] = k - 1
            return
        del self._members[id(n)]
        self._unindex(n)
        if n._graph is self:
            n.__dict__["_graph_"] = None

    def _index_node(self, n: Node) -> None:
        for o in n.outputs:
            if o:
                self._producers.setdefault(o, {})[id(n)] = n
        for i in n.inputs:
            if i:
                self._consumers.setdefault(i, {})[id(n)] = n

    def _unindex(self, n: Node) -> None:
        for table, names in ((self._producers, n.outputs), (self._consumers, n.inputs)):
            for x in names:
                d = table.get(x)
                if d is not None:
                    d.pop(id(n), None)
                    if not d:
                        del table[x]

    def detach(self, n: Node) -> None:
        """Take `n` out of the producer/consumer index now, before a pass drops it from `nodes` in one
        rebuild of the list (removing nodes one by one from a list is quadratic)."""
        self._detach(n, all_copies=True)

    def t(self, name: str) -> Tensor:
        return self.tensors[name]

    def consumers(self, name: str) -> list[Node]:
        """The nodes reading `name` (each once), in O(their number)."""
        return list(self._consumers.get(name, {}).values())

    def producer(self, name: str) -> Node | None:
        for n in self._producers.get(name, {}).values():
            return n
        return None

    def const(self, name: str) -> np.ndarray | None:
        if not name or name not in self.tensors:
            return None
        return self.tensors[name].data

    def base(self, name: str) -> str:
        """The tensor whose memory `name` uses (follows view chains)."""
        t = self.tensors[name]
        while t.view_of is not None:
            t = self.tensors[t.view_of]
        return t.name

    def bases(self) -> dict[str, str]:
        """base() of every tensor at once, in time linear in the number of tensors (a chain of
        views would make one base() per tensor quadratic)."""
        out: dict[str, str] = {}
        for name in self.tensors:
            path = []
            cur = name
            while cur not in out:
                t = self.tensors.get(cur)
                if t is None or t.view_of is None or t.view_of not in self.tensors:
                    out[cur] = cur
                    break
                path.append(cur)
                cur = t.view_of
                if len(path) > len(self.tensors):
                    raise ValueError(f"tensor '{name}' is a view of itself")
            for p in path:
                out[p] = out[cur]
        return out

    def fresh_name(self, hint: str) -> str:
        """`hint`, or `hint_1`, `hint_2`, ... : the first name no tensor has (every tensor a pass adds)."""
        name, i = hint, 0
        while name in self.tensors:
            i += 1
            name = f"{hint}_{i}"
        return name

    def add_const(self, hint: str, data: np.ndarray, quant: Quant | None = None) -> str:
        name = self.fresh_name(hint)
        dtype = str(data.dtype)
        self.tensors[name] = Tensor(name, tuple(int(d) for d in data.shape), dtype, data, quant)
        return name

    def add_tensor(self, hint: str, like: Tensor, **kw) -> str:
        """A new activation tensor shaped like `like` (shape, dtype, quant overridable; layout None unless
        given); returns its name (fresh_name)."""
        name = self.fresh_name(hint)
        self.tensors[name] = Tensor(name, kw.get("shape", like.shape), kw.get("dtype", like.dtype), None,
                                    kw.get("quant", like.quant), kw.get("layout", None))
        return name

    def sole_consumer(self, name: str, node: Node) -> bool:
        """`node` is the only reader of `name`, which is no graph output: a pass may fuse them."""
        return name not in self.outputs and self.consumers(name) == [node]

    def remove_unused(self) -> None:
        used = set(self.inputs) | set(self.outputs)
        for n in self.nodes:
            used.update(i for i in n.inputs if i)
            used.update(n.outputs)
        # a view keeps its base and the views between them alive
        for name in list(used):
            t = self.tensors.get(name)
            while t is not None and t.view_of is not None and t.view_of not in used:
                used.add(t.view_of)
                t = self.tensors.get(t.view_of)
        for name in [k for k in self.tensors if k not in used]:
            del self.tensors[name]
