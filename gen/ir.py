"""gen's intermediate representation: tensors with static shape, dtype, layout and quant params.

The frontend builds a Graph from ONNX; passes rewrite it; the planner gives every non-constant
tensor an arena offset; op modules emit C for each node. A Graph's node list is always in a valid
execution order (the frontend sorts it topologically).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# element size in bytes of the dtypes gen handles
DTYPE_SIZE = {"float32": 4, "int8": 1, "uint8": 1, "int32": 4, "int64": 8, "bool": 1}
C_TYPE = {"float32": "float", "int8": "int8_t", "uint8": "uint8_t", "int32": "int32_t",
          "int64": "int64_t", "bool": "uint8_t"}


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
    layout: str | None = None           # 'NCHW' or 'NHWC' for 4-D activations once decided
    view_of: str | None = None          # tensors that are views share their base's memory

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.size * DTYPE_SIZE[self.dtype]

    @property
    def ctype(self) -> str:
        return C_TYPE[self.dtype]


@dataclass
class Node:
    op: str
    name: str
    inputs: list[str]           # '' for an omitted optional input
    outputs: list[str]
    attrs: dict[str, Any] = field(default_factory=dict)
    # filled by passes: fused activation, kernel choice, precomputed parameters
    act: "Activation | None" = None
    info: dict[str, Any] = field(default_factory=dict)

    def where(self) -> dict:
        return {"node": self.name, "op": self.op}


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

    def t(self, name: str) -> Tensor:
        return self.tensors[name]

    def consumers(self, name: str) -> list[Node]:
        return [n for n in self.nodes if name in n.inputs]

    def producer(self, name: str) -> Node | None:
        for n in self.nodes:
            if name in n.outputs:
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

    def add_const(self, hint: str, data: np.ndarray, quant: Quant | None = None) -> str:
        name = hint
        i = 0
        while name in self.tensors:
            i += 1
            name = f"{hint}_{i}"
        dtype = str(data.dtype)
        self.tensors[name] = Tensor(name, tuple(int(d) for d in data.shape), dtype, data, quant)
        return name

    def remove_unused(self) -> None:
        used = set(self.inputs) | set(self.outputs)
        for n in self.nodes:
            used.update(i for i in n.inputs if i)
            used.update(n.outputs)
        # a view keeps its base alive
        for name in list(used):
            t = self.tensors.get(name)
            while t is not None and t.view_of is not None:
                used.add(t.view_of)
                t = self.tensors.get(t.view_of)
        for name in [k for k in self.tensors if k not in used]:
            del self.tensors[name]
