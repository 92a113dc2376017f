"""Overlap rules: where a kernel's output may share bytes with one of its inputs (issue 12).

A family's `overlap(node, g)` hook returns an OverlapRule, or None (the output gets bytes of its own,
as in the simple plan). The rule is derived from the kernel's loop order (each family writes it next to
the kernel's Python module, naming the C loop it relies on) and is the same for every build of the
kernel (portable, DSP, Helium): the generated C does not depend on the target, so a rule is the worst
case over the paths the C has.

Three kinds:
  - lead L: the output may start at most L bytes before the input's start, or anywhere lower (L < 0: it
    may start up to -L bytes after it). Derived from a kernel that walks both buffers forward: after each
    step, W = the output bytes written so far (relative to the output's start) and R = the lowest input
    byte still to be read (relative to the input's start); a write at out + w never lands on an unread
    input byte when out + W <= in + R at every step, i.e. out <= in - max(W - R) (lead_of);
  - trail T (a kernel walking backward): the output may start T bytes after the input's start or higher:
    out >= in + max(R - W), with W the lowest output byte written and R the highest unread input byte + 1;
  - exact: the output only at the input's own offset (a kernel that walks channel by channel, writing
    each byte over the input byte of the same pixel and channel once that one is consumed).
`variant` and `kernel`: the way the kernel runs under the rule (its ring of rows, the permutation's cycles) and the
function it calls then; emit asks the plan for the node's rule (EmitContext.overlap_rule), never infers it.
`scratch`: the node's scratch bytes when its output overlaps, instead of the family's (the pointwise kernel's
widened rows, otherwise kept in output rows not written yet; the depthwise kernel's ring instead of its plane).

The proof is the GEN_CHECK_OVERLAP build (gen/c_source.py): every overlapped layer is run a second time
from a private copy of its input, and the two outputs must be identical (tests/test_plan_overlap.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PLANS = ("overlap", "simple")


@dataclass(frozen=True)
class OverlapRule:
    input: int                  # index in node.inputs of the input whose bytes the output may reuse
    lead: int | None            # output start <= input start - lead (None, trail None: exact, at the input's start)
    scratch: int | None = None  # the node's scratch bytes when the output overlaps (None: the family's)
    loop: str = ""              # the C loop the rule relies on (plan JSON, summary)
    trail: int | None = None    # instead of lead: output start >= input start + trail (a kernel walking backward)
    slower: bool = False        # the kernel runs slower this way: kept only where it lowers the arena
    variant: str = ""           # the kernel's way of running that the rule relies on, which the family's emit reads
    #                             back through EmitContext.overlap_rule ('ring', 'cycles', 'bitmap'; '': its usual one)
    kernel: str = ""            # the C function the node calls under this rule ('': the family's kernel())

    @property
    def exact(self) -> bool:
        return self.lead is None and self.trail is None

    @property
    def reverse(self) -> bool:
        return self.trail is not None

    def text(self) -> str:
        if self.reverse:
            return f"output start >= input start + {self.trail}"
        return "exact" if self.exact else f"output start <= input start - {self.lead}"

    def delta(self, align: int) -> int:
        """The output's offset minus the input's when the planner links them (the most overlap, aligned)."""
        if self.reverse:
            return -(-self.trail // align) * align
        return 0 if self.exact else -(-(-self.lead // align) * align)


def lead_of(written, unread) -> int:
    """max(W - R) over the kernel's steps: `written[t]` the output bytes written after step t, `unread[t]` the
    lowest input byte read after step t (the input's size when none is)."""
    w = np.asarray(written, np.int64)
    r = np.asarray(unread, np.int64)
    return int((w - r).max()) if w.size else 0


def suffix_min(first_read: np.ndarray, end: int) -> np.ndarray:
    """unread[t]: the lowest byte read by any step after t (`first_read[s]`: the lowest byte step s reads;
    `end` after the last step)."""
    out = np.empty(first_read.size, np.int64)
    if first_read.size:
        rev = np.minimum.accumulate(first_read[::-1])[::-1]
        out[:-1] = rev[1:]
        out[-1] = end
    return out


def enabled(g) -> bool:
    """The overlap planner is on: `--plan overlap` (the default) with gen's kernels; `--kernels cmsis-nn`
    implies the simple plan (CMSIS-NN promises no overlap)."""
    return g.options.get("plan", "overlap") == "overlap" and g.options.get("kernels", "gen") == "gen"
