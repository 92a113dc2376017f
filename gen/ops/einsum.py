"""Einsum (opset 12 and 28, float32, runtime_c/gen_attention.c): one or two operands, any equation
of letters and `...` (batched matrix products, transposes, reductions, diagonals, outer products,
broadcast ellipsis dimensions), explicit (`->`) or implicit output. The equation is resolved at
generation time into a loop nest: every letter gets a size and an element stride in each operand
(0 where absent or broadcast; a repeated letter the sum of its strides, a diagonal), the output's
letters first, then the summed ones. Three or more operands, or more than GEN_EINSUM_MAX (12)
distinct letters, are refused.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import GenError
from . import OpFamily, c_fields, register

MAX_LETTERS = 12
ELL = "0123456789"        # internal names of the ellipsis dimensions (never letters of an equation)


def _err(node, msg):
    return GenError(msg, node.name, node.op)


@dataclass(frozen=True)
class EinsumParams:
    n_inputs: int
    n_out: int
    n_sum: int
    size: tuple
    a_s: tuple
    b_s: tuple


def _terms(node, eq: str, shapes):
    eq = eq.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise _err(node, f"equation '{eq}' names {len(terms)} operands, the node has {len(shapes)}")
    ell_rank = 0
    out_terms = []
    for t, s in zip(terms, shapes):
        if t.count("...") > 1 or not all(c.isalpha() for c in t.replace("...", "")):
            raise _err(node, f"equation '{eq}': operand term '{t}' is not letters with at most one '...'")
        n = len(t.replace("...", ""))
        if ("..." in t and n > len(s)) or ("..." not in t and n != len(s)):
            raise _err(node, f"equation '{eq}': term '{t}' does not match operand rank {len(s)}")
        k = len(s) - n if "..." in t else 0
        ell_rank = max(ell_rank, k)
        out_terms.append(t.replace("...", ELL[10 - k:] if k else ""))
    if ell_rank > len(ELL):
        raise _err(node, f"equation '{eq}': too many ellipsis dimensions")
    ell = ELL[10 - ell_rank:] if ell_rank else ""
    if arrow:
        if rhs.count("...") > 1 or not all(c.isalpha() for c in rhs.replace("...", "")):
            raise _err(node, f"equation '{eq}': output term '{rhs}' is not letters with at most one '...'")
        out = rhs.replace("...", ell)
        if "..." not in rhs and ell:
            out = rhs      # the ellipsis dimensions are summed
    else:
        letters = "".join(out_terms).replace("0", "").replace("1", "")
        letters = [c for c in "".join(out_terms) if c.isalpha()]
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return out_terms, out


def einsum_params(node, g) -> EinsumParams:
    for name in node.inputs:
        if g.t(name).dtype != "float32":
            raise _err(node, f"input '{name}' is {g.t(name).dtype}: Einsum computes in float32")
    if len(node.inputs) not in (1, 2):
        raise _err(node, f"{len(node.inputs)} operands: gen computes Einsum of one or two operands")
    eq = node.attrs.get("equation")
    eq = eq.decode() if isinstance(eq, bytes) else eq
    if not eq:
        raise _err(node, "attribute equation is missing")
    shapes = [tuple(int(d) for d in g.t(n).shape) for n in node.inputs]
    terms, out = _terms(node, eq, shapes)
    size: dict[str, int] = {}
    strides = []
    for t, s in zip(terms, shapes):
        st = {}
        acc = 1
        for c, n in zip(t[::-1], s[::-1]):
            if c in size and size[c] != n and n != 1 and size[c] != 1:
                raise _err(node, f"equation '{eq}': letter '{c}' has sizes {size[c]} and {n}")
            if c not in size or size[c] == 1:
                size[c] = n
            st[c] = st.get(c, 0) + (acc if n != 1 else 0)
            acc *= n
        strides.append(st)
    if len(set(out)) != len(out) or any(c not in size for c in out):
        raise _err(node, f"equation '{eq}': the output '{out}' repeats a letter or names one no operand has")
    for t, s, st in zip(terms, shapes, strides):       # a broadcast dimension (size 1) reads element 0
        for c, n in zip(t, s):
            if n == 1 and size[c] != 1:
                st[c] = 0
    summed = [c for c in dict.fromkeys("".join(terms)) if c not in out]
    order = list(out) + summed
    if len(order) > MAX_LETTERS:
        raise _err(node, f"equation '{eq}' has {len(order)} letters: gen takes at most {MAX_LETTERS}")
    want = tuple(size[c] for c in out)
    got = tuple(int(d) for d in g.t(node.outputs[0]).shape)
    if want != got:
        raise _err(node, f"equation '{eq}' gives shape {list(want)}, the output is {list(got)}")
    pad = [0] * (MAX_LETTERS - len(order))
    a_s = [strides[0].get(c, 0) for c in order] + pad
    b_s = ([strides[1].get(c, 0) for c in order] if len(terms) == 2 else [0] * len(order)) + pad
    p = EinsumParams(len(terms), len(out), len(summed), tuple([size[c] for c in order] + pad), tuple(a_s), tuple(b_s))
    return c_fields(p, node, "Einsum parameter")


def _ints(xs):
    return "{" + ", ".join(str(int(x)) for x in xs) + "}"


@register
class Einsum(OpFamily):
    ops = ("Einsum",)
    runtime = ("gen_attention.h", "gen_attention.c")
    limits = {"Einsum": "one or two operands, at most 12 letters"}

    def legalize(self, node, g):
        einsum_params(node, g)

    def prepare(self, node, g):
        return einsum_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def macs(self, node, g):
        p = self.params(node, g)
        return int(np.prod(p.size[:p.n_out + p.n_sum], dtype=np.int64))

    def kernel(self, node, g):
        return "gen_einsum_f32"

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        prm = ctx.params("gen_einsum_params", f"{p.n_inputs}, {p.n_out}, {p.n_sum}, {_ints(p.size)}, {_ints(p.a_s)}, "
                         f"{_ints(p.b_s)}", "einsum")
        b = ctx.ptr(node.inputs[1]) if len(node.inputs) == 2 else "NULL"
        return f"gen_einsum_f32({ctx.ptr(node.inputs[0])}, {b}, {ctx.ptr(node.outputs[0])}, {prm});"
