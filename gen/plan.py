"""Memory plan: liveness over the schedule, then offsets in one arena.

Every tensor that is not a constant or a view gets a buffer alive from the node that writes it to
the last node that reads it (or a view of it); graph inputs are alive from the start and graph
outputs to the end; a kernel's scratch is alive during its node only. Offsets are placed greedily
(the best of a few orders, largest-first among them, as TFLM's GreedyMemoryPlanner does).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from .ir import Graph

ALIGN = 4


@dataclass
class Buffer:
    name: str           # tensor name, or 'scratch:<node>'
    size: int
    start: int
    end: int
    offset: int = -1
    scratch_of: str | None = None     # the node whose scratch this is (a tensor may be named 'scratch:x')

    def overlaps(self, other: "Buffer") -> bool:
        return not (self.end < other.start or other.end < self.start)


@dataclass
class Plan:
    arena_size: int
    buffers: list[Buffer]
    offsets: dict[str, int]           # every non-constant tensor (views: their base's offset)
    scratch: dict[str, Buffer]        # node name -> scratch buffer
    lower_bound: int                  # largest sum of simultaneously live buffers


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def liveness(g: Graph, scratch_sizes: dict[str, int]) -> list[Buffer]:
    last = len(g.nodes)
    live: dict[str, Buffer] = {}
    for name in g.inputs:
        live[name] = Buffer(name, g.t(name).nbytes, 0, 0)
    bufs = []
    for i, node in enumerate(g.nodes):
        for name in node.inputs:
            if not name or g.t(name).is_const:
                continue
            base = g.base(name)
            if base in live:
                live[base].end = max(live[base].end, i)
        for name in node.outputs:
            if not name or g.t(name).view_of is not None:
                continue
            if name not in live:
                live[name] = Buffer(name, g.t(name).nbytes, i, i)
        if scratch_sizes.get(node.name, 0) > 0:
            bufs.append(Buffer("scratch:" + node.name, scratch_sizes[node.name], i, i, scratch_of=node.name))
    for name in g.outputs:
        live[g.base(name)].end = last
    return list(live.values()) + bufs


def _place(bufs: list[Buffer], order) -> int:
    placed: list[Buffer] = []
    top = 0
    for b in sorted(bufs, key=order):
        conflicts = sorted((p for p in placed if p.overlaps(b)), key=lambda p: p.offset)
        off = 0
        for p in conflicts:
            if off + _align(b.size) <= p.offset:
                break
            off = max(off, p.offset + _align(p.size))
        b.offset = off
        placed.append(b)
        top = max(top, off + _align(b.size))
    return top


def make_plan(g: Graph, scratch_sizes: dict[str, int]) -> Plan:
    orders = [
        lambda b: (-b.size, b.start, b.name),                    # TFLM: largest first
        lambda b: (-(b.end - b.start), -b.size, b.name),         # longest-lived first
        lambda b: (b.start, -b.size, b.name),                    # schedule order
        lambda b: (-b.size * (b.end - b.start + 1), b.name),     # largest area first
    ]
    live = liveness(g, scratch_sizes)
    best = None
    for order in orders:
        bufs = [replace(b) for b in live]     # each order places its own copies
        size = _place(bufs, order)
        if best is None or size < best[0]:
            best = (size, bufs)
    size, bufs = best
    offsets = {b.name: b.offset for b in bufs if b.scratch_of is None}
    for name, t in g.tensors.items():
        if t.view_of is not None and not t.is_const:
            offsets[name] = offsets[g.base(name)]
    scratch = {b.scratch_of: b for b in bufs if b.scratch_of is not None}
    steps = range(-1, len(g.nodes) + 1)
    lower = max((sum(_align(b.size) for b in bufs if b.start <= s <= b.end) for s in steps), default=0)
    return Plan(size, bufs, offsets, scratch, lower)
