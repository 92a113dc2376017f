"""Control flow (If, Loop, Scan) made into a plain graph before the frontend's folding rounds, or refused.

gen never runs a body at generation time and never emits one: the frontend calls `expand` once, after
the inputs are pinned, and it rounds infer -> fold -> rewrite until nothing changes:

- `If` whose condition is a constant by then (exporters write `If(Equal(Shape(x)[k], 1))` or a
  constant): the taken branch's nodes and initializers are inlined in the enclosing graph, its
  outer-scope references kept (they name tensors of the enclosing graph), its own names made unique,
  its outputs wired to the If's outputs; nested subgraphs move along (renamed where they read the
  branch's tensors) and are expanded in a later round;
- `Loop` with a constant trip count and a condition that is absent or constant at the start and
  stays true (the body passes it through or writes a constant true) or folds per iteration (computed
  from the counter and constants): unrolled; `Scan` (opset 9 on) over static lengths: unrolled (each
  iteration reads Slice -> Squeeze of its scan inputs); loop-carried values go from one copy of the
  body to the next, scan outputs are the Concat of the per-iteration values (Unsqueeze on the stacking
  axis). At most UNROLL_BUDGET nodes are made by unrolling in all, else the node is refused with its
  count;
- everything else (a condition or a trip count that depends on a graph input at run time, a Loop
  without a bound, Scan-8) is refused with one line naming the node and why.

The bodies of a model at an opset outside 11-21 are converted with their node (gen/opsets.py calls
`convert_bodies` for If/Loop/Scan).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from .errors import GenError, counted

CONTROL_OPS = ("If", "Loop", "Scan")
UNROLL_BUDGET = 4096      # nodes unrolling may make, over the whole model
MAX_ROUNDS = 10_000       # each round removes one control-flow node or folds something: bounded anyway


def _subgraphs(n: onnx.NodeProto):
    for a in n.attribute:
        if a.type == onnx.AttributeProto.GRAPH:
            yield a.g
        elif a.type == onnx.AttributeProto.GRAPHS:
            yield from a.graphs


def _has_subgraphs(g: onnx.GraphProto) -> bool:
    return any(True for n in g.node for _ in _subgraphs(n))


def _count_nodes(g: onnx.GraphProto) -> int:
    return sum(1 + sum(_count_nodes(s) for s in _subgraphs(n)) for n in g.node)


def _all_names(g: onnx.GraphProto, out: set) -> set:
    out.update(i.name for i in g.input)
    out.update(i.name for i in g.initializer)
    out.update(o.name for o in g.output)
    for n in g.node:
        out.update(n.input)
        out.update(n.output)
        for s in _subgraphs(n):
            _all_names(s, out)
    return out


# ------------------------------------------------------------------ renaming (subgraphs read outer names)

def _rename_node(n: onnx.NodeProto, m: dict) -> None:
    for k, x in enumerate(n.input):
        if x in m:
            n.input[k] = m[x]
    for k, x in enumerate(n.output):
        if x in m:
            n.output[k] = m[x]
    for s in _subgraphs(n):
        _rename_graph(s, m)


def _rename_graph(g: onnx.GraphProto, m: dict) -> None:
    """Rename the outer-scope references of subgraph `g` (its own names shadow `m`)."""
    local = {i.name for i in g.input} | {i.name for i in g.initializer} | {o for n in g.node for o in n.output}
    m = {k: v for k, v in m.items() if k not in local}
    if not m:
        return
    for n in g.node:
        _rename_node(n, m)
    for o in g.output:
        if o.name in m:
            o.name = m[o.name]


class _Names:
    def __init__(self, model: onnx.ModelProto):
        self.taken = _all_names(model.graph, {""})

    def fresh(self, hint: str) -> str:
        name, k = hint, 1
        while name in self.taken:
            name, k = f"{hint}_{k}", k + 1
        self.taken.add(name)
        return name


def _inline(body: onnx.GraphProto, bind: dict, names: _Names, tag: str, fixed: dict | None = None):
    """Copies of `body`'s nodes and initializers for the enclosing graph: body input i reads bind[i],
    every name the body makes gets a fresh one (or fixed[name]). Returns (nodes, initializers, the
    outer names of the body's outputs)."""
    m = dict(bind)
    inits = []
    for t in body.initializer:
        c = onnx.TensorProto()
        c.CopyFrom(t)
        c.name = m[t.name] = names.fresh(f"{tag}/{t.name}")
        inits.append(c)
    if len(body.sparse_initializer):
        raise GenError("a control-flow body with sparse initializers is not supported")
    for n in body.node:
        for o in n.output:
            if o and o not in m:
                m[o] = (fixed or {}).get(o) or names.fresh(f"{tag}/{o}")
    nodes = []
    for n in body.node:
        c = onnx.NodeProto()
        c.CopyFrom(n)
        _rename_node(c, m)
        c.name = names.fresh(f"{tag}/{n.name or n.op_type}")
        nodes.append(c)
    return nodes, inits, [m.get(o.name, o.name) for o in body.output]


def _attrs(n: onnx.NodeProto) -> dict:
    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


# ------------------------------------------------------------------ why a value is not a constant

def _runtime_source(g: onnx.GraphProto, name: str) -> str:
    """The graph input (or the first non-foldable producer) that `name` depends on at run time."""
    producer = {o: n for n in g.node for o in n.output}
    inputs = {i.name for i in g.input}
    seen, todo = set(), [name]
    while todo:
        x = todo.pop()
        if x in seen or not x:
            continue
        seen.add(x)
        if x in inputs:
            return f"the input '{x}'"
        n = producer.get(x)
        if n is not None:
            todo.extend(reversed(list(n.input)))
    return f"'{name}', which is computed"


class _Expander:
    def __init__(self, model: onnx.ModelProto, opset: int, budget):
        self.model, self.opset, self.budget = model, opset, budget
        self.made = 0          # nodes made by unrolling so far

    def _consts(self) -> dict:
        from .frontend import _array
        return {i.name: i for i in self.model.graph.initializer}, _array

    def _value(self, name: str):
        from .frontend import _array
        for i in self.model.graph.initializer:
            if i.name == name:
                return _array(i)
        return None

    def _const(self, names: _Names, hint: str, value: np.ndarray) -> str:
        name = names.fresh(hint)
        self.model.graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def _spend(self, node: onnx.NodeProto, count: int, what: str) -> None:
        if self.made + count > UNROLL_BUDGET:
            raise GenError(f"unrolling this {node.op_type} makes {self.made + count:,} nodes ({what}): more than "
                           f"the {UNROLL_BUDGET:,} gen unrolls", node.name, node.op_type)
        self.made += count

    # -------------------------------------------------------------- one round: every node it can expand
    def round(self) -> bool:
        g = self.model.graph
        consts = {i.name for i in g.initializer}
        names = _Names(self.model)
        out, changed = [], False
        for k, n in enumerate(g.node):
            n.name = n.name or f"{n.op_type}_{k}"     # as the frontend names it (its error lines too)
            new = None
            if n.op_type == "If" and n.input[0] in consts:
                new = self._if(n, names)
            elif n.op_type == "Loop" and all(not x or x in consts for x in n.input[:2]):
                new = self._loop(n, names)
            elif n.op_type == "Scan" and self._scan_lengths(n) is not None:
                new = self._scan(n, names)
            if new is None:
                out.append(n)
            else:
                out.extend(new)
                changed = True
        if changed:
            copies = []
            for n in out:
                c = onnx.NodeProto()
                c.CopyFrom(n)
                copies.append(c)
            del g.node[:]
            g.node.extend(copies)
            del g.value_info[:]       # shapes inferred from the control-flow nodes: inferred again
        return changed

    def _wire(self, outs_inner: list, outs: list, nodes: list) -> None:
        """The If's/Loop's outputs take the values named outs_inner (an Identity each: cleanup removes it)."""
        for inner, o in zip(outs_inner, outs):
            if o:
                nodes.append(helper.make_node("Identity", [inner], [o], name=f"{o}/out"))

    def _if(self, n: onnx.NodeProto, names: _Names) -> list:
        v = np.asarray(self._value(n.input[0])).reshape(-1)
        if v.size != 1:
            raise GenError(f"the condition '{n.input[0]}' has {v.size} elements, not 1", n.name, n.op_type)
        a = _attrs(n)
        branch = a["then_branch"] if bool(v[0]) else a["else_branch"]
        if len(branch.output) != len(n.output):
            raise GenError(f"the {'then' if bool(v[0]) else 'else'} branch has "
                           f"{counted(len(branch.output), 'output')}, the If {len(n.output)}", n.name, n.op_type)
        # a branch output its own node makes takes the If's output name directly
        fixed, seen = {}, set()
        produced = {o for x in branch.node for o in x.output}
        for bo, o in zip(branch.output, n.output):
            if o and bo.name in produced and bo.name not in seen:
                fixed[bo.name] = o
                seen.add(bo.name)
        nodes, inits, outs = _inline(branch, {}, names, n.name or "If", fixed)
        self.model.graph.initializer.extend(inits)
        self._wire([x for x, o in zip(outs, n.output) if o not in fixed.values()],
                   [o for o in n.output if o not in fixed.values()], nodes)
        return nodes

    # -------------------------------------------------------------- Loop
    def _loop(self, n: onnx.NodeProto, names: _Names) -> list:
        from .frontend import _evaluate, _may_fold
        body = _attrs(n)["body"]
        m_name = n.input[0] if len(n.input) > 0 else ""
        c_name = n.input[1] if len(n.input) > 1 else ""
        carried = list(n.input[2:])
        n_carried = len(carried)
        if len(body.input) != 2 + n_carried or len(body.output) < 1 + n_carried:
            raise GenError(f"the body has {counted(len(body.input), 'input')} and {counted(len(body.output), 'output')}"
                           f" for {counted(n_carried, 'loop-carried value')}", n.name, n.op_type)
        n_scan = len(body.output) - 1 - n_carried
        trip = None
        if m_name:
            mv = np.asarray(self._value(m_name)).reshape(-1)
            if mv.size != 1:
                raise GenError(f"the trip count '{m_name}' has {mv.size} elements, not 1", n.name, n.op_type)
            trip = int(mv[0])
        cond = True
        if c_name:
            cv = np.asarray(self._value(c_name)).reshape(-1)
            if cv.size != 1:
                raise GenError(f"the condition '{c_name}' has {cv.size} elements, not 1", n.name, n.op_type)
            cond = bool(cv[0])
        it_in, c_in, c_out = body.input[0].name, body.input[1].name, body.output[0].name
        body_inits = {i.name: i for i in body.initializer}
        const_true = {o for x in body.node if x.op_type == "Constant" for o in x.output}
        ident = {x.output[0]: x.input[0] for x in body.node if x.op_type == "Identity" and x.input and x.output}
        seen = set()
        while c_out in ident and c_out not in seen:     # cond' = Identity(cond): PyTorch's for loop
            seen.add(c_out)
            c_out = ident[c_out]
        stays_true = c_out == c_in or (c_out in body_inits and bool(numpy_helper.to_array(body_inits[c_out]).all()))
        if not stays_true and c_out in const_true:
            x = next(x for x in body.node if c_out in x.output)
            try:
                stays_true = bool(np.asarray(_evaluate(x, [], self.opset)[0]).all())
            except Exception:
                stays_true = False
        if trip is None and stays_true and cond:
            raise GenError("this Loop has no trip count and a condition that stays true: it never ends",
                           n.name, n.op_type)
        per = _count_nodes(body) + n_scan + 1
        if trip is not None and stays_true and cond and trip > 0:
            self._spend(n, trip * per, f"{trip:,} iterations of {per:,}")
        values = {}             # constants seen so far, to decide a condition per iteration
        if not stays_true:
            from .frontend import _array
            values = {i.name: _array(i) for i in self.model.graph.initializer}
        nodes, scans = [], [[] for _ in range(n_scan)]
        cur, i = carried, 0
        tag = n.name or "Loop"
        while cond and (trip is None or i < trip):
            if not (stays_true and trip is not None):
                self._spend(n, per, f"{i + 1:,} iterations so far")
            it = self._const(names, f"{tag}/iter{i}", np.array(i, np.int64))
            cin = self._const(names, f"{tag}/cond{i}", np.array(cond))
            if not stays_true:
                values[it], values[cin] = np.array(i, np.int64), np.array(cond)
            bind = {it_in: it, c_in: cin, **{b.name: v for b, v in zip(body.input[2:], cur)}}
            new, inits, outs = _inline(body, bind, names, f"{tag}/i{i}")
            self.model.graph.initializer.extend(inits)
            nodes += new
            cur = outs[1:1 + n_carried]
            for k in range(n_scan):
                scans[k].append(outs[1 + n_carried + k])
            i += 1
            if stays_true:
                continue
            from .frontend import _array
            values.update({t.name: _array(t) for t in inits})
            for x in new:     # fold this iteration as far as it goes, to read its condition
                if x.output and all(o in values for o in x.output if o):
                    continue
                if _may_fold(x) and all(not y or y in values for y in x.input):
                    try:
                        got = _evaluate(x, [values[y] if y else None for y in x.input], self.opset)
                    except Exception:
                        continue
                    values.update({o: v for o, v in zip(x.output, got) if o})
            if outs[0] not in values:
                raise GenError(f"the loop condition depends on {_runtime_source(self._graph_with(new), outs[0])} "
                               "at run time: gen unrolls only loops whose iterations it can count at generation "
                               "time", n.name, n.op_type)
            cv = np.asarray(values[outs[0]]).reshape(-1)
            if cv.size != 1:
                raise GenError(f"the loop condition has {cv.size} elements, not 1", n.name, n.op_type)
            cond = bool(cv[0])
        if n_scan and i == 0:
            raise GenError("this Loop runs 0 times: its scan outputs would be empty (a zero-size tensor)",
                           n.name, n.op_type)
        outs_n = list(n.output)
        self._wire(cur, outs_n[:n_carried], nodes)
        for k in range(n_scan):
            o = outs_n[n_carried + k] if n_carried + k < len(outs_n) else ""
            if o:
                nodes += self._stack(names, f"{tag}/scan{k}", scans[k], 0, o)
        return nodes

    def _graph_with(self, extra: list) -> onnx.GraphProto:
        g = onnx.GraphProto()
        g.CopyFrom(self.model.graph)
        g.node.extend(extra)
        return g

    def _axes(self, names: _Names, op: str, x: str, y: str, axis: int, hint: str) -> list:
        """Unsqueeze/Squeeze x at `axis` in the form of the model's opset (axes an input from 13)."""
        if self.opset >= 13:
            ax = self._const(names, f"{hint}_axes", np.array([axis], np.int64))
            return [helper.make_node(op, [x, ax], [y], name=names.fresh(f"{hint}/{op}"))]
        return [helper.make_node(op, [x], [y], name=names.fresh(f"{hint}/{op}"), axes=[axis])]

    def _stack(self, names: _Names, hint: str, parts: list, axis: int, out: str) -> list:
        nodes, ups = [], []
        for k, p in enumerate(parts):
            u = names.fresh(f"{hint}/{k}")
            nodes += self._axes(names, "Unsqueeze", p, u, axis, u)
            ups.append(u)
        nodes.append(helper.make_node("Concat", ups, [out], name=names.fresh(f"{hint}/concat"), axis=axis))
        return nodes

    # -------------------------------------------------------------- Scan
    def _scan_shapes(self) -> dict:
        from .frontend import _value_shapes
        if getattr(self, "_shapes_for", None) is not self.model:
            self._shapes, self._shapes_for = _value_shapes(self.model), self.model
        return self._shapes

    def _scan_lengths(self, n: onnx.NodeProto):
        """(axes, length) of a Scan whose scan inputs have static shapes, else None."""
        a = _attrs(n)
        m = int(a.get("num_scan_inputs", 0))
        xs = list(n.input[len(n.input) - m:])
        axes = list(a.get("scan_input_axes", [0] * m))
        shapes = self._scan_shapes()
        lens = []
        for x, ax in zip(xs, axes):
            s = shapes.get(x)
            if s is None or not -len(s) <= ax < len(s):
                return None
            lens.append(s[ax % len(s)])
        if not lens or len(set(lens)) != 1:
            return None
        return [ax % len(shapes[x]) for x, ax in zip(xs, axes)], lens[0]

    def _scan(self, n: onnx.NodeProto, names: _Names) -> list:
        a = _attrs(n)
        body = a["body"]
        m = int(a["num_scan_inputs"])
        axes, length = self._scan_lengths(n)
        n_state = len(n.input) - m
        dirs = list(a.get("scan_input_directions", [0] * m))
        k_out = len(body.output) - n_state
        out_axes = list(a.get("scan_output_axes", [0] * k_out))
        out_dirs = list(a.get("scan_output_directions", [0] * k_out))
        if len(body.input) != n_state + m or k_out < 0:
            raise GenError(f"the body has {counted(len(body.input), 'input')} and {counted(len(body.output), 'output')}"
                           f" for {n_state} state and {counted(m, 'scan input')}", n.name, n.op_type)
        if k_out and length == 0:
            raise GenError("the scan length is 0: its scan outputs would be empty", n.name, n.op_type)
        per = _count_nodes(body) + 2 * m + k_out + 1
        self._spend(n, length * per, f"{length:,} iterations of {per:,}")
        tag = n.name or "Scan"
        shapes = self._scan_shapes()
        nodes, cur = [], list(n.input[:n_state])
        parts = [[] for _ in range(k_out)]
        for t in range(length):
            bind = {b.name: v for b, v in zip(body.input[:n_state], cur)}
            for j in range(m):
                x, ax = n.input[n_state + j], axes[j]
                idx = length - 1 - t if dirs[j] else t
                st = self._const(names, f"{tag}/t{t}_start", np.array([idx], np.int64))
                en = self._const(names, f"{tag}/t{t}_end", np.array([idx + 1], np.int64))
                axc = self._const(names, f"{tag}/t{t}_axis", np.array([ax], np.int64))
                sl = names.fresh(f"{tag}/t{t}_x{j}_slice")
                nodes.append(helper.make_node("Slice", [x, st, en, axc], [sl], name=names.fresh(f"{tag}/slice")))
                sq = names.fresh(f"{tag}/t{t}_x{j}")
                nodes += self._axes(names, "Squeeze", sl, sq, ax, sq)
                bind[body.input[n_state + j].name] = sq
            new, inits, outs = _inline(body, bind, names, f"{tag}/t{t}")
            self.model.graph.initializer.extend(inits)
            nodes += new
            cur = outs[:n_state]
            for k in range(k_out):
                parts[k].append(outs[n_state + k])
        self._wire(cur, list(n.output[:n_state]), nodes)
        for k in range(k_out):
            o = n.output[n_state + k] if n_state + k < len(n.output) else ""
            if not o:
                continue
            p = parts[k][::-1] if out_dirs[k] else parts[k]
            rank = None
            bo = body.output[n_state + k]
            if bo.type.tensor_type.HasField("shape"):
                rank = len(bo.type.tensor_type.shape.dim)
            ax = out_axes[k]
            if ax < 0:
                if rank is None:
                    raise GenError(f"scan output {k} has a negative axis and an unknown rank", n.name, n.op_type)
                ax += rank + 1
            nodes += self._stack(names, f"{tag}/scan{k}", p, ax, o)
        del shapes
        return nodes

    # -------------------------------------------------------------- what is left: one line why
    def refuse_rest(self) -> None:
        g = self.model.graph
        consts = {i.name for i in g.initializer}
        for k, n in enumerate(g.node):
            n.name = n.name or f"{n.op_type}_{k}"
            if n.op_type == "If":
                raise GenError(f"the condition depends on {_runtime_source(g, n.input[0])} at run time: gen "
                               "compiles an If only when its condition is a constant once the shapes are pinned "
                               "and the constants folded", n.name, n.op_type)
            if n.op_type == "Loop":
                bad = next(x for x in n.input[:2] if x and x not in consts)
                what = "trip count" if bad == n.input[0] else "condition"
                raise GenError(f"the {what} depends on {_runtime_source(g, bad)} at run time: gen unrolls only "
                               "loops with a constant trip count", n.name, n.op_type)
            if n.op_type == "Scan":
                raise GenError("the scan inputs have no static shape: gen unrolls only scans over static "
                               "lengths", n.name, n.op_type)
            for _ in _subgraphs(n):
                raise GenError(f"operator {n.op_type} (a node with a subgraph) is not supported", n.name,
                               n.op_type)


def expand(model: onnx.ModelProto, opset: int, fold_limit: int) -> onnx.ModelProto:
    """Every If/Loop/Scan of `model` inlined or unrolled (module docstring), else a GenError; the model
    is returned shape-inferred and folded as far as the rounds went (the frontend's rounds go on, with
    their own budget of folded bytes: fold_limit per result, 4x that in all, here too)."""
    if not _has_subgraphs(model.graph):
        return model
    from . import frontend as fe
    budget = fe._FoldBudget(fold_limit)
    original = model
    ex = _Expander(model, opset, budget)
    for _ in range(MAX_ROUNDS):
        model = fe._infer(model)
        if fe._family_rewrites(model):
            model = fe._infer(model)
        folded = fe._fold_constants(model, opset, budget)
        ex.model = model
        if not ex.round() and not folded:
            break
        model = ex.model
        fe._sort_nodes(model.graph)
    ex.refuse_rest()
    if model is not original:     # in place: the frontend holds model.graph
        original.CopyFrom(model)
    return original


# ------------------------------------------------------------------ opsets: the bodies convert with the node

def convert_bodies(node: onnx.NodeProto, ctx) -> None:
    """gen/opsets.py, for an If/Loop/Scan being converted: every node of its bodies (nested ones too)
    into the form at the opset the model is converted to."""
    from . import opsets
    done = ctx.__dict__.setdefault("_control_bodies_done", set())
    if id(node) in done:
        return
    done.add(id(node))
    orig = opsets.model_opset(ctx.model)
    to = opsets.target(orig)
    for g in _subgraphs(node):
        out = []
        for x in list(g.node):
            if x.domain in ("", "ai.onnx"):
                opsets._convert_node(x, orig, to, ctx)
            out += ctx.before.pop(id(x), []) + [x] + ctx.after.pop(id(x), [])
        if len(out) != len(g.node):
            copies = [onnx.NodeProto() for _ in out]
            for c, x in zip(copies, out):
                c.CopyFrom(x)
            del g.node[:]
            g.node.extend(copies)


def refuse_scan_8(node: onnx.NodeProto, ctx) -> None:
    raise GenError("Scan-8 (opset 8: a batch axis and sequence_lens) is not supported: export at opset 9 or later",
                   node.name or None, node.op_type)
