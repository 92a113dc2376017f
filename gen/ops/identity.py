"""Identity and Dropout: ops that exist only until passes remove them (passes.drop_identity).

Their traits say how qpasses treats them before that (they move int8 bytes as they are); an Identity
whose output must have its own bytes becomes a Copy (gen.ops.layout).
"""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from . import OpFamily, register


@register
class Identity(OpFamily):
    ops = ("Identity", "Dropout")
    int8_kernels = {op: op for op in ops}
    layout = "any"
    keeps_quant = True
    plain_integers = True
    rearranges = True
    is_cleanup = True
    may_alias_input = True

    def check_removable(self, node, g):
        if node.op != "Dropout":
            return
        if len(node.outputs) > 1 and node.outputs[1] and (g.consumers(node.outputs[1]) or node.outputs[1] in g.outputs):
            raise GenError("Dropout's mask output is used: gen compiles inference graphs only", node.name, node.op)
        if len(node.inputs) > 2 and node.inputs[2]:
            mode = g.const(node.inputs[2])
            if mode is None or bool(np.asarray(mode).reshape(-1)[0]):   # training mode drops at random
                raise GenError("Dropout in training mode (training_mode not a constant false) is not supported: "
                               "gen compiles inference graphs only", node.name, node.op)
