"""Identity and Dropout: ops that exist only until the pipeline's first stage removes them
(passes.cleanup), so no other pass, float or int8, ever sees them; an Identity whose output must
have its own bytes becomes a Copy (gen.ops.layout).
"""
from __future__ import annotations

import numpy as np

from ..errors import GenError
from . import OpFamily, register


@register
class Identity(OpFamily):
    moves_any_dtype = True
    ops = ("Identity", "Dropout")
    limits = {"Dropout": "inference (identity; the mask output unused)"}
    is_cleanup = True
    is_onnx_copy = ("Identity",)       # frontend: a graph output folded to a constant is Identity(constant)
    may_alias_input = True

    def check_removable(self, node, g):
        if node.op != "Dropout":
            return
        if len(node.outputs) > 1 and node.outputs[1] and (g.consumers(node.outputs[1]) or node.outputs[1] in g.outputs):
            raise GenError("Dropout's mask output is used: gen compiles inference graphs only", node.name, node.op)
        if len(node.inputs) > 2 and node.inputs[2]:
            mode = g.const(node.inputs[2])
            if mode is None:
                raise GenError(f"training_mode '{node.inputs[2]}' is not a constant: in training mode Dropout drops "
                               "at random, and gen compiles inference graphs only (make it a constant false "
                               "initializer, or drop it)", node.name, node.op)
            if bool(np.asarray(mode).reshape(-1)[0]):   # training mode drops at random
                raise GenError("Dropout in training mode (training_mode not a constant false) is not supported: "
                               "gen compiles inference graphs only", node.name, node.op)
