"""Row bands (--ram min, --ram low): the first layers of a model run band by band of output rows (MCUNetV2's
patch-based inference, cut along rows only).

A stage is a run of nodes in the schedule that reads one tensor X from outside and hands one tensor Y to
the rest of the graph, every tensor in it channels last (NHWC, batch 1, where a band of rows is one run of
bytes) and every node one whose family says how its output rows read its input rows (OpFamily.row_window:
convolutions, pooling, elementwise ops). Cut into bands of Y's rows, the stage becomes, per band, each of
its nodes again on only the rows that band needs: a band's input is a window of the rows of X or of the
tensor before it, the last node's output a window of Y (Tensor.view_offset). Two ways (`cut`):
  - recomputed: each band computes every row it needs into band tensors of its own, alive during the band;
    only X, Y and one band's tensors are alive at once, and rows two bands need are computed twice (the
    extra MACs, in the summary);
  - row buffers (`reuse`): each tensor of the stage keeps the rows its consumers' next rows read (`_streamed`);
    a BandShift (gen/ops/band_shift.py) moves the rows read again to its buffer's start before a band, and
    each row is computed once.

The band nodes are ordinary nodes: the same families compute them with the same arithmetic on fewer rows
(the pads of a window are the image's own only at its top and bottom), so the outputs are bit-exact with the
uncut graph (tests/test_bands.py compares the two builds byte for byte). The C is straight-line as before:
one call per band and node, the band shapes shared by wrappers (first, middle and last bands differ).

The planner may place Y over the rows of X the later bands no longer read (`stage_link`): the band's
writes stay below the first byte of X any later band reads (lead_of over the bands).

`smallest` tries the stages, band heights and both ways, and keeps the plan with the smallest arena (ties:
fewer MACs), with --ram-limit the fewest MACs within it, with --ram low only cuts that compute no row twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import GenError
from .ir import Graph, Node, Tensor
from .overlap import OverlapRule, lead_of

ALIGN = 4
MAX_START = 12          # stages start among the first nodes of the schedule (the large early tensors)
MAX_NODES = 12          # nodes of one stage
HEIGHTS = (1, 2, 4, 8)    # rows of Y per band the search tries
MODES = (False, True)   # recompute each band's rows / keep the rows the next band reads again in row buffers
HOT = 0.9               # hot_steps: the share of the peak live bytes
MAX_FULL = 8            # trade-offs planned in full (the overlap plan's search over its links)


@dataclass(frozen=True)
class RowWindow:
    """How a node's output rows read the rows of its activation inputs (all of them alike): output row r
    reads input rows r * stride - pad_top + j * dilation, j < kernel. `pads_lr`: the node's left and right
    pads, for a node whose band copies get explicit `pads` (convolution, pooling); None: no pads attribute."""
    kernel: int = 1
    stride: int = 1
    dilation: int = 1
    pad_top: int = 0
    pad_bottom: int = 0
    pads_lr: tuple[int, int] | None = None

    def rows_in(self, lo: int, hi: int) -> tuple[int, int]:
        """The input rows [lo', hi') that output rows [lo, hi) read, before clipping to the image."""
        return lo * self.stride - self.pad_top, (hi - 1) * self.stride - self.pad_top + (self.kernel - 1) * self.dilation + 1


@dataclass(frozen=True)
class Stage:
    nodes: tuple[int, ...]      # schedule indices, in order
    x: str
    y: str


@dataclass
class Banding:
    stage: Stage
    rows: int                   # rows of Y per band
    bands: int
    nodes: list[str]            # the stage's node names (uncut)
    macs: int                   # MACs of the uncut stage
    extra_macs: int             # what the bands compute twice
    reuse: bool                 # row buffers keep the rows the next band needs again (nothing computed twice)

    def summary(self) -> dict:
        return {"nodes": self.nodes, "input": self.stage.x, "output": self.stage.y, "rows_per_band": self.rows,
                "bands": self.bands, "macs": self.macs, "extra_macs": self.extra_macs, "row_buffers": self.reuse}


def rows_of(t: Tensor) -> tuple[int, int] | None:
    """(rows, bytes per row) of a tensor that can be cut into row bands: rank 4, batch 1, channels last,
    rows of whole words (a band starts aligned); None otherwise."""
    if t.is_const or len(t.shape) != 4 or t.shape[0] != 1 or t.layout != "NHWC" or t.shape[2] < 2:
        return None
    h = int(t.shape[2])
    per_row = t.nbytes // h
    return (h, per_row) if per_row % ALIGN == 0 else None


def stages(g: Graph, windows: dict[str, RowWindow | None]):
    """Every stage (see the module's text) of at least two nodes starting among the first MAX_START nodes."""
    nodes = g.nodes
    index = {id(n): k for k, n in enumerate(nodes)}
    outs = set(g.outputs)

    def acts(n):
        return [i for i in n.inputs if i and not g.t(i).is_const]

    for a in range(min(len(nodes), MAX_START)):
        first = nodes[a]
        ins = set(acts(first))
        if windows.get(first.name) is None or len(ins) != 1:
            continue
        x = ins.pop()
        if rows_of(g.t(x)) is None or g.t(x).view_of is not None:
            continue
        produced: list[str] = []
        for b in range(a, min(len(nodes), a + MAX_NODES)):
            n = nodes[b]
            o = [t for t in n.outputs if t]
            if windows.get(n.name) is None or len(o) != 1 or rows_of(g.t(o[0])) is None or \
                    g.t(o[0]).view_of is not None or not set(acts(n)) <= set(produced) | {x}:
                break
            produced.append(o[0])
            escaping = [t for t in produced if t in outs or any(index[id(c)] > b for c in g.consumers(t))]
            if b > a and escaping == [o[0]]:
                yield Stage(tuple(range(a, b + 1)), x, o[0])


def _needs(g: Graph, stage: Stage, windows, lo: int, hi: int) -> dict[str, tuple[int, int]]:
    """The rows of each tensor of the stage (and of X) that Y's rows [lo, hi) need."""
    need = {stage.y: (lo, hi)}
    for k in reversed(stage.nodes):
        n = g.nodes[k]
        out = next(t for t in n.outputs if t)
        if out not in need:
            continue
        _reads(g, n, windows[n.name].rows_in(*need[out]), need)
    return need


def _reads(g: Graph, n: Node, rows: tuple[int, int], need: dict) -> None:
    """Widens `need` of each activation input of `n` by the input rows `rows` (clipped to the image)."""
    a, b = rows
    for i in n.inputs:
        if i and not g.t(i).is_const:
            h = rows_of(g.t(i))[0]
            a2, b2 = max(a, 0), min(b, h)
            if i in need:
                a2, b2 = min(a2, need[i][0]), max(b2, need[i][1])
            need[i] = (a2, b2)


def _streamed(g: Graph, stage: Stage, windows, rows: int):
    """Per band of `rows` rows of Y, for row buffers: (the rows of each tensor the band reads, which its buffer
    holds; the rows it computes: those not computed by an earlier band). Only the new rows' windows are read,
    so a buffer holds what its consumers' next rows read, not the whole window of Y's band back through the
    stage."""
    h_y = rows_of(g.t(stage.y))[0]
    done: dict[str, int] = {}       # tensor -> rows computed so far (from the first needed one)
    held: dict[str, int] = {}       # tensor -> the first row its buffer holds
    out = []
    for lo in range(0, h_y, rows):
        need = {stage.y: (lo, min(lo + rows, h_y))}
        todo = dict(need)
        for k in reversed(stage.nodes):        # every consumer of a tensor before its producer
            n = g.nodes[k]
            o = next(t for t in n.outputs if t)
            if o not in need:
                continue
            if o != stage.y:
                a, b = need[o]
                if a < held.get(o, a):
                    raise GenError(f"the bands of '{stage.y}' read rows of '{o}' again that its buffer no longer holds")
                held[o] = a
                todo[o] = (max(a, done.get(o, a)), b)
            if todo[o][0] >= todo[o][1]:
                continue
            _reads(g, n, windows[n.name].rows_in(*todo[o]), need)
        for t, (a, b) in todo.items():
            if a < b:
                done[t] = max(done.get(t, 0), b)
        out.append((need, todo))
    return out


def _window_tensor(g: Graph, base: str, base_lo: int, lo: int, hi: int, hint: str) -> str:
    """Rows [lo, hi) of `base` (whose first row is row `base_lo` of its image): `base` itself, or a view."""
    t = g.t(base)
    if lo == base_lo and hi - lo == t.shape[2]:
        return base
    per_row = t.nbytes // t.shape[2]
    name = g.fresh_name(f"{hint}_rows{lo}_{hi}")
    g.tensors[name] = Tensor(name, (1, t.shape[1], hi - lo, t.shape[3]), t.dtype, None, t.quant, t.layout,
                             view_of=base, view_offset=(lo - base_lo) * per_row)
    return name


def cut(g: Graph, stage: Stage, windows, rows: int, shared_info: dict | None = None,
        reuse: bool = False) -> tuple[Graph, list[tuple[int, int]]]:
    """A copy of `g` with the stage cut into bands of `rows` rows of Y; also each band's (first X byte it
    reads, or X's size when it reads none; Y bytes written after it). Each band computes what it needs of every
    tensor of the stage into a band tensor of its own, or with `reuse` into the tensor's row buffer, which
    keeps the rows the next band needs again (a BandShift moves them to its start) so that every row is
    computed once. `shared_info`: band nodes of one node and shape (the middle bands, and the same band in
    another cut) share their info, so their parameters are computed once."""
    from .driver import PLAN_HOOKS_KEY
    from .ops import PARAMS_KEY
    gb = _copy(g)
    shared_info = {} if shared_info is None else shared_info
    h_y, y_row = rows_of(g.t(stage.y))
    x_size, x_row = g.t(stage.x).nbytes, rows_of(g.t(stage.x))[1]
    if reuse:
        plans = _streamed(gb, stage, windows, rows)
    else:
        plans = [(need, need) for need in (_needs(gb, stage, windows, lo, min(lo + rows, h_y))
                                           for lo in range(0, h_y, rows))]
    needs = [need for need, _ in plans]
    buffers: dict[str, str] = {}        # reuse: tensor -> its row buffer
    held: dict[str, tuple[int, int]] = {}   # the rows a buffer holds, from its first row
    if reuse:
        for k in stage.nodes:
            out = next(t for t in gb.nodes[k].outputs if t)
            spans = [need[out][1] - need[out][0] for need in needs if out in need]
            if out != stage.y and spans:
                t = gb.t(out)
                buffers[out] = gb.fresh_name(f"{out}_rowbuf")
                gb.tensors[buffers[out]] = Tensor(buffers[out], (1, t.shape[1], max(spans), t.shape[3]), t.dtype,
                                                  None, t.quant, t.layout)
    band_nodes: list[Node] = []
    progress = []
    for need, todo in plans:                    # todo: the rows each node computes in this band
        have = {stage.x: (stage.x, 0)}          # tensor -> (the tensor holding its rows, its first row's)
        for out, buf in buffers.items():
            if out not in need:
                continue
            lo, hi = need[out]
            lo0, hi0 = held.get(out, (lo, lo))
            keep = min(hi0, hi) - lo
            if lo > lo0 and keep > 0:           # the rows needed again, to the buffer's start
                band_nodes.append(Node("BandShift", f"{out}_keep{lo}_{lo + keep}",
                                       [_window_tensor(gb, buf, lo0, lo, lo + keep, out)],
                                       [_window_tensor(gb, buf, lo, lo, lo + keep, out)]))
            assert todo[out] == (max(lo, hi0), hi) or todo[out][0] >= todo[out][1], (out, todo[out], lo, hi0, hi)
            held[out] = (lo, max(hi0, hi) if hi0 > lo else hi)
            have[out] = (buf, lo)
        x_first = x_size
        for k in stage.nodes:
            n = gb.nodes[k]
            out = next(t for t in n.outputs if t)
            if out not in todo:
                continue
            if todo[out][0] >= todo[out][1]:
                if out in buffers and need[out][0] < need[out][1]:
                    continue            # its buffer holds every row this band reads
                raise GenError(f"a band of '{stage.y}' reads no row of '{out}' (only its padding)")
            olo, ohi = todo[out]
            w = windows[n.name]
            a, b = w.rows_in(olo, ohi)
            inputs = []
            for i in n.inputs:
                if not i or gb.t(i).is_const:
                    inputs.append(i)
                    continue
                h = rows_of(gb.t(i))[0]
                if max(a, 0) >= min(b, h):
                    raise GenError(f"a band of '{n.name}' reads no row of '{i}' (only its padding)")
                src, src_lo = have[i]
                inputs.append(_window_tensor(gb, src, src_lo, max(a, 0), min(b, h), i))
                if i == stage.x:
                    x_first = min(x_first, max(a, 0) * x_row)
            if out == stage.y:
                dst = _window_tensor(gb, stage.y, 0, olo, ohi, out)
            elif out in buffers:
                dst = _window_tensor(gb, buffers[out], held[out][0], olo, ohi, out)
            else:
                t = gb.t(out)
                dst = gb.fresh_name(f"{out}_rows{olo}_{ohi}")
                gb.tensors[dst] = Tensor(dst, (1, t.shape[1], ohi - olo, t.shape[3]), t.dtype, None, t.quant, t.layout)
                have[out] = (dst, olo)
            attrs = dict(n.attrs)
            if w.pads_lr is not None:
                h = rows_of(gb.t(next(i for i in n.inputs if i and not gb.t(i).is_const)))[0]
                attrs.pop("auto_pad", None)
                attrs["pads"] = [max(a, 0) - a, w.pads_lr[0], b - min(b, h), w.pads_lr[1]]
                attrs.pop("ceil_mode", None)     # the explicit pads make the last window exact
            key = (n.name, tuple(gb.t(i).shape if i and not gb.t(i).is_const else i for i in inputs), ohi - olo,
                   tuple(attrs.get("pads", ())))
            info = shared_info.setdefault(key, {name: v for name, v in n.info.items()
                                                if name not in (PARAMS_KEY, PLAN_HOOKS_KEY)})
            band_nodes.append(Node(n.op, f"{n.name}_rows{olo}_{ohi}", inputs, [dst], attrs, n.act, info))
        progress.append((x_first, need[stage.y][1] * y_row))
    gb.nodes = list(gb.nodes[:stage.nodes[0]]) + band_nodes + list(gb.nodes[stage.nodes[-1] + 1:])
    gb.remove_unused()
    return gb, progress


def _copy(g: Graph) -> Graph:
    """A copy of `g` to cut: its own node list and tensor table; the nodes' attributes and parameters (which the
    cut does not change) and the tensors shared."""
    nodes = [Node(n.op, n.name, list(n.inputs), list(n.outputs), n.attrs, n.act, n.info) for n in g.nodes]
    return Graph(name=g.name, tensors=dict(g.tensors), nodes=nodes, inputs=list(g.inputs), outputs=list(g.outputs),
                 opset=g.opset, notes=list(g.notes), options=dict(g.options), io_dtypes=dict(g.io_dtypes))


def stage_link(g: Graph, stage: Stage, progress, label: str):
    """The link that lets Y sit over the rows of X the later bands no longer read (None when X lives on, or is
    a graph input or output the caller's bytes hold): Y's bytes written by the end of band k stay below the
    first byte of X that band k or a later one reads."""
    if stage.x in g.outputs:
        return None
    first = [p[0] for p in progress]
    unread = [min(first[k:]) for k in range(len(first))]    # the lowest X byte read from band k on
    written = [p[1] for p in progress]
    lead = lead_of(written, unread)
    rule = OverlapRule(0, lead, loop=f"row bands of '{stage.y}': each band's writes stay below the rows of "
                       f"'{stage.x}' the bands after it read")
    return (label, stage.y, stage.x, rule, stage.x)


def hot_steps(plan, steps: int) -> set[int]:
    """The steps where the plan has at least HOT of its largest live bytes: a cut that holds none of them leaves
    the peak where it is."""
    from .plan import step_bytes
    live = step_bytes(plan, steps).live
    top = max(live, default=0)
    return {k for k, v in enumerate(live) if v >= HOT * top}


def smallest(g: Graph, evaluate, default_size: int, ram_limit: int | None = None, hot: set[int] | None = None,
             no_extra_macs: bool = False):
    """The banded graph and its plan (the graph's options["bands"]: Banding.summary with the trade-offs found),
    or None when no cut lowers the arena below `default_size`. `evaluate(graph, stage_links, prune)` plans a graph
    (gen.driver.plan_graph). Every stage and band height is planned quickly (each node's preferred overlap
    only); the trade-offs that no other beats in both arena and MACs are planned in full, and the smallest
    arena is taken, or with `ram_limit` the fewest MACs among the arenas within it. `hot` (hot_steps): only
    stages that hold one of these steps are tried. `no_extra_macs` (--ram low): only cuts that compute no row
    twice."""
    from .ops import family
    windows = {n.name: family(n).row_window(n, g) for n in g.nodes}
    macs = {n.name: int(family(n).macs(n, g)) for n in g.nodes}
    total = sum(macs.values())
    tried, shared_info = [], {}
    for stage in stages(g, windows):
        if hot is not None and not hot & set(stage.nodes):
            continue
        h_y = rows_of(g.t(stage.y))[0]
        stage_macs = sum(macs[g.nodes[k].name] for k in stage.nodes)
        for rows, reuse in ((r, m) for r in HEIGHTS for m in MODES):
            if rows >= h_y:
                break
            try:
                gb, progress = cut(g, stage, windows, rows, shared_info, reuse)
                links = [x for x in [stage_link(gb, stage, progress, f"bands:{stage.y}")] if x]
                quick = evaluate(gb, links, False)
            except GenError:
                continue        # a band a kernel refuses: this cut is not taken
            extra = sum(int(family(n).macs(n, gb)) for n in gb.nodes) - total
            banding = Banding(stage, rows, -(-h_y // rows), [g.nodes[k].name for k in stage.nodes], stage_macs, extra,
                              reuse)
            if extra <= 0 or not no_extra_macs:
                tried.append((quick.arena_size, extra, banding, gb, links))
    front, seen = [], set()
    for t in sorted(tried, key=lambda t: (t[0], t[1])):     # the first of equal ones: the fewest rows per band
        if (t[0], t[1]) not in seen and not any(u[0] <= t[0] and u[1] <= t[1] and (u[0], u[1]) != (t[0], t[1])
                                                for u in tried):
            front.append(t)
            seen.add((t[0], t[1]))
    planned = []
    for _, extra, banding, gb, links in front[:MAX_FULL]:
        plan = evaluate(gb, links, True)
        if plan.arena_size < default_size:
            planned.append((plan.arena_size, extra, banding, gb, plan))
    if not planned:
        return None
    fits = [p for p in planned if ram_limit is None or p[0] <= ram_limit]
    arena, extra, banding, gb, plan = min(fits, key=lambda p: (p[1], p[0])) if fits and ram_limit is not None else \
        min(planned, key=lambda p: (p[0], p[1]))
    gb.options["bands"] = {**banding.summary(), "default_arena": default_size,
                           "trade_offs": [{"arena": p[0], "extra_macs": p[1], "output": p[2].stage.y,
                                           "rows_per_band": p[2].rows, "row_buffers": p[2].reuse}
                                          for p in sorted(planned, key=lambda p: p[0])]}
    return gb, plan
