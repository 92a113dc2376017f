"""Hostile transformer nodes (gen/ops/attention.py, gen/ops/einsum.py): what gen cannot compute, or
what the model states wrongly and shape inference lets through, is refused with one line naming the
node."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from hostile_cases import Case, _err, model, vi


def _attention(tmp: Path, needles, title, *, kv=(1, 3, 4), attrs=None, inits=(), ins=("q", "k", "v"), opset=23):
    n = helper.make_node("Attention", list(ins), ["y"], name="att", **(attrs or dict(q_num_heads=3, kv_num_heads=2)))
    inputs = [vi("q", [1, 3, 6]), vi("k", list(kv)), vi("v", list(kv))]
    return _err(tmp, model([n], inputs, [vi("y", [1, 3, 6])], list(inits), opset=opset), needles, title)


def attention_heads_not_grouped(tmp: Path) -> Case:
    return _attention(tmp, ["'att'", "3 query heads", "multiple of 2"], "Attention with 3 query heads over 2 kv heads")


def attention_nonpad_out_of_range(tmp: Path) -> Case:
    lens = numpy_helper.from_array(np.array([9], np.int64), "lens")
    return _attention(tmp, ["'att'", "nonpad_kv_seqlen [9]", "[0, 3]"], "Attention nonpad_kv_seqlen past the keys",
                      kv=(1, 3, 6), attrs=dict(q_num_heads=2, kv_num_heads=2), inits=[lens],
                      ins=("q", "k", "v", "", "", "", "lens"), opset=24)


def attention_softmax_fp16(tmp: Path) -> Case:
    return _attention(tmp, ["'att'", "softmax_precision 10", "float32"], "Attention softmax_precision float16",
                      kv=(1, 3, 6), attrs=dict(q_num_heads=2, kv_num_heads=2, softmax_precision=TensorProto.FLOAT16))


def rotary_position_ids_input(tmp: Path) -> Case:
    n = helper.make_node("RotaryEmbedding", ["x", "cos", "sin", "pos"], ["y"], name="rope")
    inits = [numpy_helper.from_array(np.ones((4, 2), np.float32), k) for k in ("cos", "sin")]
    m = model([n], [vi("x", [1, 2, 3, 4]), vi("pos", [1, 2], TensorProto.INT64)], [vi("y", [1, 2, 3, 4])], inits,
              opset=23)
    return _err(tmp, m, ["'rope'", "position_ids 'pos' is int64 [1, 2]", "int64 [1, 3]"],
                "RotaryEmbedding position_ids of the wrong shape as a graph input (read at run time)")


def rotary_odd_dim(tmp: Path) -> Case:
    n = helper.make_node("RotaryEmbedding", ["x", "cos", "sin"], ["y"], name="rope", rotary_embedding_dim=3)
    inits = [numpy_helper.from_array(np.ones((1, 3, 1), np.float32), k) for k in ("cos", "sin")]
    m = model([n], [vi("x", [1, 2, 3, 4])], [vi("y", [1, 2, 3, 4])], inits, opset=23)
    return _err(tmp, m, ["'rope'", "rotary_embedding_dim 3", "even"], "RotaryEmbedding rotary_embedding_dim 3")


def einsum_three_operands(tmp: Path) -> Case:
    n = helper.make_node("Einsum", ["a", "b", "c"], ["y"], name="ein", equation="i,i,i->i")
    m = model([n], [vi(k, [3]) for k in "abc"], [vi("y", [3])], opset=21)
    return _err(tmp, m, ["'ein'", "3 operands", "one or two"], "Einsum of three operands")


ERROR_CASES = [attention_heads_not_grouped, attention_nonpad_out_of_range, attention_softmax_fp16,
               rotary_position_ids_input, rotary_odd_dim, einsum_three_operands]
OK_CASES: list = []
LATE: set = set()


def linear_attention_gated_without_decay(tmp: Path) -> Case:
    n = helper.make_node("LinearAttention", ["q", "k", "v"], ["y", "s"], name="la", q_num_heads=2, kv_num_heads=2,
                         update_rule="gated")
    m = model([n], [vi(x, [1, 3, 4]) for x in "qkv"], [vi("y", [1, 3, 4]), vi("s", [1, 2, 2, 2])], opset=27)
    return _err(tmp, m, ["node name: la", "update_rule 'gated'", "decay"], "LinearAttention gated without its decay")


ERROR_CASES.append(linear_attention_gated_without_decay)
