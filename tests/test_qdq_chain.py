"""QuantizeLinear of a dequantized int8 tensor (DQ -> Q, directly or through an Identity/Dropout that the
pipeline's first stage removes): a requantize, or nothing where the parameters agree. Checked against
onnxruntime end to end and layer by layer (tests/test_int8_ranks.compile_and_compare), and C against
the numpy reference exactly."""
from __future__ import annotations

import numpy as np
import onnx
from hypothesis import given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from test_int8_ranks import compile_and_compare


def chain_model(between: str | None, s2: float, z2: int, relu: bool) -> onnx.ModelProto:
    """x -> Q -> DQ -> Conv -> Q -> DQ -> [between] -> Q(s2, z2) -> DQ [-> Relu -> Q -> DQ] -> y."""
    w = (np.arange(3 * 3 * 3 * 3).reshape(3, 3, 3, 3) % 7 - 3).astype(np.int8)
    inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(np.array(0.02, np.float32), "ws"),
             numpy_helper.from_array(np.array(0, np.int8), "wz"),
             numpy_helper.from_array(np.array(0.05, np.float32), "s1"),
             numpy_helper.from_array(np.array(3, np.int8), "z1"),
             numpy_helper.from_array(np.array(s2, np.float32), "s2"),
             numpy_helper.from_array(np.array(z2, np.int8), "z2")]
    mk = helper.make_node
    nodes = [mk("QuantizeLinear", ["x", "s1", "z1"], ["xq"], name="qx"),
             mk("DequantizeLinear", ["xq", "s1", "z1"], ["xd"], name="dqx"),
             mk("DequantizeLinear", ["w", "ws", "wz"], ["wd"], name="dqw"),
             mk("Conv", ["xd", "wd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             mk("QuantizeLinear", ["c", "s1", "z1"], ["cq"], name="qc"),
             mk("DequantizeLinear", ["cq", "s1", "z1"], ["cd"], name="dqc")]
    src = "cd"
    if between:
        nodes.append(mk(between, ["cd"], ["i"], name="between"))
        src = "i"
    nodes += [mk("QuantizeLinear", [src, "s2", "z2"], ["q2"], name="q2"),
              mk("DequantizeLinear", ["q2", "s2", "z2"], ["d2"], name="dq2")]
    last = "d2"
    if relu:
        nodes += [mk("Relu", ["d2"], ["r"], name="relu"), mk("QuantizeLinear", ["r", "s2", "z2"], ["rq"], name="qr"),
                  mk("DequantizeLinear", ["rq", "s2", "z2"], ["rd"], name="dqr")]
        last = "rd"
    nodes.append(mk("Identity", [last], ["y"], name="out"))
    g = helper.make_graph(nodes, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 5, 5])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m


@settings(max_examples=15, deadline=None)
@given(between=st.sampled_from([None, "Identity", "Dropout"]), s2=st.sampled_from([0.05, 0.03, 0.1, 0.4]),
       z2=st.sampled_from([3, -2, 0, 17]), relu=st.booleans())
def test_quantizelinear_dequantizelinear_chain_identity_dropout(between, s2, z2, relu):
    """Was 'verify: FAIL' without the Identity (the Q read the int8 bytes as float)."""
    res = compile_and_compare(chain_model(between, s2, z2, relu), (1, 3, 5, 5), 0, e2e_tol=2)
    ops = [n.op for n in res.graph.nodes]
    assert "QuantizeLinear" not in ops and "DequantizeLinear" not in ops and "Identity" not in ops, ops
    same = s2 == 0.05 and z2 == 3
    # a requantize exactly where the parameters change (and the Relu's own, an int8 clamp)
    assert ops.count("RequantizeS8") == (not same) + relu, ops
