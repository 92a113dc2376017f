"""Memory plan: liveness over the schedule, then offsets in one arena.

Every tensor that is not a constant or a view gets a buffer alive from the node that writes it to
the last node that reads it (or a view of it); graph inputs are alive from the start and graph
outputs to the end; a kernel's scratch is alive during its node only. Offsets are placed greedily
(the best of a few orders, largest-first among them, as TFLM's GreedyMemoryPlanner does).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, replace

from .errors import GenError
from .ir import Graph

ALIGN = 4
# the generated C (and a 32-bit microcontroller) holds sizes and offsets in int32 / uint32
MAX_BYTES = 2**31 - 1
# overlapping buffer pairs the greedy placement examines; past this (a graph where thousands of
# buffers are alive at once) every buffer gets its own bytes, which such a graph nearly needs anyway
MAX_PAIRS = 2_000_000


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
    bases = g.bases()
    live: dict[str, Buffer] = {}
    for name in g.inputs:
        live[name] = Buffer(name, g.t(name).nbytes, 0, 0)
    bufs = []
    for i, node in enumerate(g.nodes):
        for name in node.inputs:
            if not name or g.t(name).is_const:
                continue
            base = bases[name]
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
        live[bases[name]].end = last
    out = list(live.values()) + bufs
    for b in out:
        if b.size > MAX_BYTES:
            what = f"the scratch buffer of node '{b.scratch_of}'" if b.scratch_of is not None else \
                f"tensor '{b.name}'"
            raise GenError(f"{what} needs {b.size:,} bytes: more than the 2^31 - 1 bytes a 32-bit target "
                           "(and the int32 sizes of the generated C) can address")
    return out


def _overlap_pairs(bufs: list[Buffer], budget: int) -> list[list[int]] | None:
    """For each buffer, the indices of the buffers whose lifetimes overlap it (a sweep over start
    times, linear in buffers + pairs); None when there are more than `budget` pairs."""
    order = sorted(range(len(bufs)), key=lambda k: (bufs[k].start, k))
    near: list[list[int]] = [[] for _ in bufs]
    active: dict[int, None] = {}
    ends: list[tuple[int, int]] = []
    pairs = 0
    for k in order:
        b = bufs[k]
        while ends and ends[0][0] < b.start:
            active.pop(heapq.heappop(ends)[1], None)
        pairs += len(active)
        if pairs > budget:
            return None
        for j in active:
            near[j].append(k)
            near[k].append(j)
        active[k] = None
        heapq.heappush(ends, (b.end, k))
    return near


def _place(bufs: list[Buffer], order, near: list[list[int]]) -> int:
    placed = [False] * len(bufs)
    top = 0
    for k in sorted(range(len(bufs)), key=lambda k: order(bufs[k])):
        b = bufs[k]
        conflicts = sorted((bufs[j] for j in near[k] if placed[j]), key=lambda p: p.offset)
        off = 0
        for p in conflicts:
            if off + _align(b.size) <= p.offset:
                break
            off = max(off, p.offset + _align(p.size))
        b.offset = off
        placed[k] = True
        top = max(top, off + _align(b.size))
    return top


def _place_apart(bufs: list[Buffer]) -> int:
    """Every buffer its own bytes, in schedule order."""
    top = 0
    for b in sorted(bufs, key=lambda b: (b.start, b.name)):
        b.offset = top
        top += _align(b.size)
    return top


def _lower_bound(bufs: list[Buffer], steps: int) -> int:
    """The largest sum of simultaneously live (aligned) buffers, by a sweep over the steps."""
    delta = [0] * (steps + 3)
    for b in bufs:
        delta[b.start + 1] += _align(b.size)
        delta[b.end + 2] -= _align(b.size)
    best = cur = 0
    for d in delta:
        cur += d
        best = max(best, cur)
    return best


def make_plan(g: Graph, scratch_sizes: dict[str, int]) -> Plan:
    orders = [
        lambda b: (-b.size, b.start, b.name),                    # TFLM: largest first
        lambda b: (-(b.end - b.start), -b.size, b.name),         # longest-lived first
        lambda b: (b.start, -b.size, b.name),                    # schedule order
        lambda b: (-b.size * (b.end - b.start + 1), b.name),     # largest area first
    ]
    live = liveness(g, scratch_sizes)
    near = _overlap_pairs(live, MAX_PAIRS)
    best = None
    if near is None:
        bufs = [replace(b) for b in live]
        best = (_place_apart(bufs), bufs)
    else:
        for order in orders:
            bufs = [replace(b) for b in live]     # each order places its own copies
            size = _place(bufs, order, near)
            if best is None or size < best[0]:
                best = (size, bufs)
    size, bufs = best
    if size > MAX_BYTES:
        raise GenError(f"the arena needs {size:,} bytes: more than the 2^31 - 1 bytes a 32-bit target "
                       "(and the int32 offsets of the generated C) can address")
    offsets = {b.name: b.offset for b in bufs if b.scratch_of is None}
    bases = g.bases()
    for name, t in g.tensors.items():
        if t.view_of is not None and not t.is_const:
            offsets[name] = offsets[bases[name]]
    scratch = {b.scratch_of: b for b in bufs if b.scratch_of is not None}
    lower = _lower_bound(bufs, len(g.nodes))
    return Plan(size, bufs, offsets, scratch, lower)
