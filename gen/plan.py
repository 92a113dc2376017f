"""Memory plan: liveness over the schedule, then offsets in one arena.

Every tensor that is not a constant or a view gets a buffer alive from the node that writes it to
the last node that reads it (or a view of it); graph inputs are alive from the start and graph
outputs to the end; a kernel's scratch is alive during its node only. Offsets are placed greedily
(the best of a few orders, largest-first among them, as TFLM's GreedyMemoryPlanner does).

The overlap plan (--plan overlap, the default with gen's kernels; gen/overlap.py): where a node's family
declares an OverlapRule and the input it names dies at that node, the output is linked to the input at the
offset the rule allows (output start = input start - lead, or the input's offset for an exact rule). Linked
buffers form chains (a residual Add over its operand, a depthwise layer in place, a pointwise layer a few
rows below its input) placed as one piece: the same greedy placement, each piece at the lowest offset where
none of its buffers meets a buffer alive at the same time. The overlap plan is kept when its arena is
smaller than the simple plan's.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace

from .errors import GenError
from .ir import Graph
from .overlap import OverlapRule

ALIGN = 4
# the generated C (and a 32-bit microcontroller) holds sizes and offsets in int32 / uint32
MAX_BYTES = 2**31 - 1
# overlapping buffer pairs the greedy placement examines; past this (a graph where thousands of
# buffers are alive at once) every buffer gets its own bytes, which such a graph nearly needs anyway
MAX_PAIRS = 2_000_000
# the overlap plan tries cutting each of at most PRUNE_LINKS links, for at most PRUNE_ROUNDS rounds
PRUNE_LINKS = 256
PRUNE_ROUNDS = 3


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
    overlaps: list["Overlap"] = field(default_factory=list)   # the overlap plan's linked outputs
    # node -> the OverlapRule the overlap plan chose for it: its scratch is planned and its kernel runs that way
    # (a link whose placement shares no bytes, absent from `overlaps`, keeps its rule's scratch all the same)
    rules: dict[str, OverlapRule] = field(default_factory=dict)
    # the simple plan's buffers (whole tensors, each family's own scratch): what lower_bound counts
    bound_buffers: list[Buffer] = field(default_factory=list)

    def overlap_of(self, node: str) -> "Overlap | None":
        return next((o for o in self.overlaps if o.node == node), None)

    def rule_of(self, node: str) -> OverlapRule | None:
        return self.rules.get(node)


@dataclass(frozen=True)
class Overlap:
    """Node `node` writes `output` over `shared` bytes of `input` (which dies at the node), by `rule`."""
    node: str
    output: str
    input: str              # the buffer (a view's base)
    shared: int
    rule: OverlapRule
    input_tensor: str       # the node's input (the buffer or a view of it)
    input_bytes: int
    output_bytes: int
    stage: bool = False     # `node` names a row-band stage (gen/bands.py): Y over the rows of X no band reads again


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def view_offset(g: Graph, name: str) -> int:
    """The bytes from the start of `name`'s base to `name` (0 but for row windows, gen/bands.py)."""
    off, t = 0, g.t(name)
    while t.view_of is not None:
        off += t.view_offset or 0
        t = g.t(t.view_of)
    return off


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
            if not name:
                continue
            if g.t(name).view_of is not None:       # a node writing a window of its base (a row band)
                if g.t(name).view_offset is not None and bases[name] not in live:
                    live[bases[name]] = Buffer(bases[name], g.t(bases[name]).nbytes, i, i)
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


def _place(bufs: list[Buffer], order, near: list[list[int]], pieces: list[list[tuple[int, int]]] | None = None) -> int:
    """Greedy placement in `order`, each piece (buffer indices with offsets relative to the piece's start;
    default: every buffer alone) at the lowest offset where none of its buffers meets a placed buffer alive at
    the same time."""
    if pieces is None:
        pieces = [[(k, 0)] for k in range(len(bufs))]
    placed = [False] * len(bufs)
    top = 0

    def key(piece):
        if len(piece) == 1:
            return order(bufs[piece[0][0]])
        members = [bufs[k] for k, _ in piece]
        return order(Buffer(members[0].name, max(rel + _align(bufs[k].size) for k, rel in piece),
                            min(b.start for b in members), max(b.end for b in members)))

    for piece in sorted(pieces, key=key):
        own = {k for k, _ in piece}
        # the offsets the piece may not start in: (lo, hi) open intervals, one per member and placed neighbour
        banned = sorted((p.offset - rel - _align(bufs[k].size), p.offset + _align(p.size) - rel)
                        for k, rel in piece for p in (bufs[j] for j in near[k] if placed[j] and j not in own))
        off = 0
        for lo, hi in banned:
            if off <= lo:
                break
            off = max(off, hi)
        for k, rel in piece:
            bufs[k].offset = off + rel
            placed[k] = True
            top = max(top, off + rel + _align(bufs[k].size))
    return top


def _place_apart(bufs: list[Buffer]) -> int:
    """Every buffer its own bytes, in schedule order."""
    top = 0
    for b in sorted(bufs, key=lambda b: (b.start, b.name)):
        b.offset = top
        top += _align(b.size)
    return top


def _alive_sums(bufs: list[Buffer], steps: int) -> list[int]:
    """At each step 0 .. steps - 1: the sum of the aligned sizes of the buffers alive then (a sweep)."""
    delta = [0] * (steps + 1)
    for b in bufs:
        if b.start < steps:
            delta[b.start] += _align(b.size)
            delta[min(b.end, steps - 1) + 1] -= _align(b.size)
    out, cur = [], 0
    for d in delta[:steps]:
        cur += d
        out.append(cur)
    return out


def _lower_bound(bufs: list[Buffer], steps: int) -> int:
    """The largest sum of simultaneously live (aligned) buffers, over the steps and the end (the outputs)."""
    return max(_alive_sums(bufs, steps + 1), default=0)


def _occupied(bufs: list[Buffer], steps: int) -> list[int]:
    """At each step 0 .. steps - 1: the bytes of the union of the aligned ranges [offset, offset + size) of the
    placed buffers alive then (bytes two of them share counted once). A sweep over the steps with a segment tree
    over the ranges' ends (covered length), O(buffers log buffers)."""
    ranges = [(b.start, b.end, b.offset, b.offset + _align(b.size)) for b in bufs if b.size > 0 and b.start < steps]
    ends = sorted({v for _, _, lo, hi in ranges for v in (lo, hi)})
    if len(ends) < 2:
        return [0] * steps
    at = {v: k for k, v in enumerate(ends)}
    cover = [0] * (4 * len(ends))     # ranges covering a tree node's whole span
    length = [0] * (4 * len(ends))    # bytes of the node's span that some range covers

    def update(node: int, left: int, right: int, lo: int, hi: int, d: int) -> None:
        if hi <= left or right <= lo:
            return
        if lo <= left and right <= hi:
            cover[node] += d
        else:
            mid = (left + right) // 2
            update(2 * node, left, mid, lo, hi, d)
            update(2 * node + 1, mid, right, lo, hi, d)
        length[node] = ends[right] - ends[left] if cover[node] else \
            0 if right - left == 1 else length[2 * node] + length[2 * node + 1]

    born: list[list[tuple[int, int]]] = [[] for _ in range(steps)]
    dies: list[list[tuple[int, int]]] = [[] for _ in range(steps)]
    for start, end, lo, hi in ranges:
        born[start].append((at[lo], at[hi]))
        if end < steps:
            dies[end].append((at[lo], at[hi]))
    out = []
    for step in range(steps):
        for lo, hi in born[step]:
            update(1, 0, len(ends) - 1, lo, hi, 1)
        out.append(length[1])
        for lo, hi in dies[step]:
            update(1, 0, len(ends) - 1, lo, hi, -1)
    return out


@dataclass(frozen=True)
class StepBytes:
    """Per schedule step (node): `live`, the arena bytes the plan's buffers alive then occupy as placed (shared
    bytes once, sizes aligned); `whole_tensor`, the sum of the aligned sizes of the simple plan's buffers alive
    then (whole tensors, each family's scratch): the per-step bound whose maximum is Plan.lower_bound; `peak`, the
    first step where `live` is largest (None without steps)."""
    live: list[int]
    whole_tensor: list[int]
    peak: int | None


def step_bytes(plan: Plan, steps: int) -> StepBytes:
    """The live bytes and the whole-tensor bound at each of the `steps` nodes of the plan's schedule."""
    live = _occupied(plan.buffers, steps)
    peak = max(range(steps), key=lambda k: (live[k], -k)) if steps else None
    return StepBytes(live, _alive_sums(plan.bound_buffers or plan.buffers, steps), peak)


ORDERS = [
    lambda b: (-b.size, b.start, b.name),                    # TFLM: largest first
    lambda b: (-(b.end - b.start), -b.size, b.name),         # longest-lived first
    lambda b: (b.start, -b.size, b.name),                    # schedule order
    lambda b: (-b.size * (b.end - b.start + 1), b.name),     # largest area first
]


def _best(live: list[Buffer], pieces=None, near=None) -> tuple[int, list[Buffer]]:
    near = near if near is not None else _overlap_pairs(live, MAX_PAIRS)
    if near is None:
        bufs = [replace(b) for b in live]
        return _place_apart(bufs), bufs
    best = None
    for order in ORDERS:
        bufs = [replace(b) for b in live]     # each order places its own copies
        size = _place(bufs, order, near, pieces)
        if best is None or size < best[0]:
            best = (size, bufs)
    return best


def _links(g: Graph, live: list[Buffer], rules: dict[str, tuple[OverlapRule, ...]]):
    """(node, output, input, rule) for each node whose rule names an input that dies at the node."""
    by_name = {b.name: b for b in live if b.scratch_of is None}
    bases = g.bases()
    out = []
    for i, node in enumerate(g.nodes):
        outs = [o for o in node.outputs if o]
        if not rules.get(node.name) or len(outs) != 1 or outs[0] not in by_name:
            continue
        o = by_name[outs[0]]
        for rule in rules[node.name]:
            name = node.inputs[rule.input] if rule.input < len(node.inputs) else ""
            if not name or g.t(name).is_const or view_offset(g, name):    # a rule is relative to its base's start
                continue
            b = by_name.get(bases[name])
            if b is not None and b is not o and b.end == i and o.start == i:
                out.append((node.name, o.name, b.name, rule, name))
    return out


def _pieces(live: list[Buffer], links) -> list[list[tuple[int, int]]]:
    """The chains of linked buffers with their offsets relative to the chain's lowest byte."""
    index = {b.name: k for k, b in enumerate(live) if b.scratch_of is None}
    parent: dict[int, tuple[int, int]] = {}          # output -> (input, output offset - input offset)
    for _, o, i, rule, _ in links:
        parent[index[o]] = (index[i], rule.delta(ALIGN))
    rel: dict[int, int] = {}        # offset relative to the chain's first input
    head: dict[int, int] = {}       # the chain's first input
    for k in sorted(parent, key=lambda k: live[k].start):     # a link's input is written before its output
        i, delta = parent[k]
        rel[k] = rel.get(i, 0) + delta
        head[k] = head.get(i, i)
    chains: dict[int, list[int]] = {}
    for k in range(len(live)):
        chains.setdefault(head.get(k, k), []).append(k)
    pieces = []
    for members in chains.values():
        low = min(rel.get(k, 0) for k in members)
        pieces.append([(k, rel.get(k, 0) - low) for k in members])
    return pieces


def slower_cost(simple_size: int) -> int:
    """The bytes a slower kernel variant (OverlapRule.slower: a depthwise ring instead of the plane, the layout
    change in place, a pointwise layer run backward) must save to be chosen: 1/32 of the simple plan's arena,
    at least 256 (KWS's depthwise ring saved 128 B for 2% of its instructions on the M4, 8% on the M55)."""
    return max(256, simple_size // 32)


def _evaluate(g: Graph, scratch_sizes: dict[str, int], links):
    """(arena, buffers, links, slower links) of one set of links, each node's scratch its rule's."""
    extra = {n: r.scratch for n, _, _, r, _ in links if r.scratch is not None}
    live = liveness(g, {**scratch_sizes, **extra})
    near = _overlap_pairs(live, MAX_PAIRS)
    if near is None:
        return None
    pieces = _pieces(live, links)
    if _siblings_meet(live, pieces, links):
        return None
    size, bufs = _best(live, pieces, near)
    return size, bufs, links, sum(r.slower for _, _, _, r, _ in links)


def _siblings_meet(live: list[Buffer], pieces, links) -> bool:
    """Two buffers of one piece alive at the same step share bytes without a rule that allows it. A rule covers
    a linked output and its input only; two outputs linked to one input (a row-band stage's output and the
    layer where the stage's input dies, gen/bands.py) are placed by their leads alone and may meet."""
    linked = {(o, i) for _, o, i, _, _ in links} | {(i, o) for _, o, i, _, _ in links}
    for piece in pieces:
        if len(piece) < 3:
            continue
        for a, (k, rk) in enumerate(piece):
            for j, rj in piece[a + 1:]:
                bk, bj = live[k], live[j]
                if bk.overlaps(bj) and (bk.name, bj.name) not in linked and \
                        rk < rj + _align(bj.size) and rj < rk + _align(bk.size):
                    return True
    return False


def _search(g: Graph, scratch_sizes: dict[str, int], options, slow: int, prune: bool = True):
    """The links of the overlap plan: each node's preferred rule, then each link tried cut or by another rule of
    its node, kept where that lowers the arena plus `slow` bytes per slower kernel (slower_cost). A chain is
    placed rigidly: its leads add up along it, so a whole chain may span more than any of its layers needs."""
    def cost(found):
        return found[0] + slow * found[3], found[3]
    links, inputs = [], set()
    for k, x in enumerate(options):     # each node's first rule; one link per input buffer (the earlier)
        if (k == 0 or options[k - 1][0] != x[0]) and x[2] not in inputs:
            links.append(x)
            inputs.add(x[2])
    best = _evaluate(g, scratch_sizes, links)
    if best is None:
        return None
    for _ in range(PRUNE_ROUNDS if prune and len(options) <= PRUNE_LINKS else 0):
        improved = False
        for link in list(best[2]):
            if link not in best[2]:
                continue
            rest = [x for x in best[2] if x is not link]
            # cut, another rule of its node, or a link of another node over the same input (a stage's) instead
            swaps = [x for x in options if x is not link and (x[0] == link[0] or x[2] == link[2])
                     and not any(y[0] == x[0] for y in rest)]
            for trial in [rest] + [sorted(rest + [x], key=options.index) for x in swaps]:
                got = _evaluate(g, scratch_sizes, trial)
                if got is not None and cost(got) < cost(best):
                    best, improved = got, True
                    break
        if not improved:
            break
    return best


def make_plan(g: Graph, scratch_sizes: dict[str, int],
              rules: dict[str, tuple[OverlapRule, ...]] | None = None, stage_links=(), prune: bool = True) -> Plan:
    """The simple plan (every buffer its own bytes while it is alive), or with `rules` (node name -> the
    family's OverlapRules) the overlap plan where that one is smaller. `stage_links`: links (label, output,
    input, rule, input) between two buffers of a row-band stage (gen/bands.stage_link), tried as the nodes' are.
    `prune` False: each node's preferred rule only, without trying links cut (a quick estimate, gen/bands.py)."""
    live = liveness(g, scratch_sizes)
    size, bufs = _best(live)
    links = []
    options = (_links(g, live, rules) if rules else []) + list(stage_links)   # the family's preferred rule first
    slow = slower_cost(size)
    found = _search(g, scratch_sizes, options, slow, prune) if options else None
    if found is not None and found[0] + slow * found[3] < size:
        size, bufs, links, _ = found
    if size > MAX_BYTES:
        raise GenError(f"the arena needs {size:,} bytes: more than the 2^31 - 1 bytes a 32-bit target "
                       "(and the int32 offsets of the generated C) can address")
    offsets = {b.name: b.offset for b in bufs if b.scratch_of is None}
    bases = g.bases()
    for name, t in g.tensors.items():
        if t.view_of is not None and not t.is_const:
            offsets[name] = offsets[bases[name]] + view_offset(g, name)
    scratch = {b.scratch_of: b for b in bufs if b.scratch_of is not None}
    lower = _lower_bound(live, len(g.nodes))     # whole tensors, the simple plan's buffers
    by_name = {b.name: b for b in bufs if b.scratch_of is None}
    overlaps = []
    for n, o, i, rule, tensor in links:
        bo, bi = by_name[o], by_name[i]
        shared = min(bo.offset + bo.size, bi.offset + bi.size) - max(bo.offset, bi.offset)
        if shared > 0:
            overlaps.append(Overlap(n, o, i, shared, rule, tensor, g.t(tensor).nbytes, bo.size,
                                    stage=any(n == x[0] for x in stage_links)))
    node_rules = {n: rule for n, _, _, rule, _ in links if not any(n == x[0] for x in stage_links)}
    return Plan(size, bufs, offsets, scratch, lower, overlaps, node_rules, live)
