"""If, Loop, Scan: listed as supported ops, but no kernel. gen/controlflow.py (called by the frontend
before its folding rounds) inlines an If whose condition is a constant and unrolls a Loop/Scan with a
constant trip count or static length, or refuses the node with one line; none reaches the passes."""
from __future__ import annotations

from ..errors import GenError
from . import OpFamily, register


@register
class ControlFlow(OpFamily):
    ops = ("If", "Loop", "Scan")
    dtype_operand = {op: () for op in ops}     # no dtype of their own: their bodies' ops are checked
    limits = {"If": "condition constant once shapes are pinned and constants folded (the branch is inlined)",
              "Loop": "constant trip count, condition absent/constant or folding per iteration (unrolled, "
                      "at most 4096 nodes)",
              "Scan": "opset 9 on, static scan lengths (unrolled, at most 4096 nodes)"}

    def legalize(self, node, g):      # gen.controlflow expands or refuses every one before the IR is built
        raise GenError("control flow left after the frontend (not expanded)", node.name, node.op)
