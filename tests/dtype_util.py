"""Graph helpers for the dtype tests: models whose graph inputs and outputs have any dtype."""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from graphs import _NP_TO_ONNX

# the dtypes gen takes at the API, as numpy dtypes
DTYPES = [np.float32, np.float16, np.int8, np.uint8, np.int16, np.int32, np.int64, np.bool_]


def typed_model(nodes, inputs: dict, outputs, inits: dict | None = None, opset: int = 21) -> onnx.ModelProto:
    """A model whose graph inputs have the dtype and shape of the example arrays in `inputs` and whose
    outputs (names) get the dtype and shape onnx's shape inference finds."""
    ins = [helper.make_tensor_value_info(k, _NP_TO_ONNX[np.asarray(v).dtype], list(np.shape(v)))
           for k, v in inputs.items()]
    init = [numpy_helper.from_array(np.asarray(v), k) for k, v in (inits or {}).items()]
    g = helper.make_graph(list(nodes), "t", ins, [helper.make_empty_tensor_value_info(o) for o in outputs],
                          initializer=init)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    vis = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for o in m.graph.output:
        o.CopyFrom(vis[o.name])
    return m


def gen_run_native(model: onnx.ModelProto, feeds: dict):
    """gen's outputs in the model's own dtypes (NAME_run_s8 when the model has int8 inputs or outputs:
    NAME_run would (de)quantize those as float); returns (outputs, Result)."""
    from gen.host import HostModel
    from graphs import gen_compile
    res = gen_compile(model)
    host = HostModel(res.files)
    ins = [feeds[t["name"]] for t in host.inputs]
    return (host.run_s8(*ins) if host.int8 else host.run(*ins)), res


def check_test_vectors_on_host(res, tmp_path, count: int = 3) -> None:
    """gen_testvec.c of a compiled model (`count` vectors: inputs and the outputs the C computed), built with a
    main that runs every vector through gen_tv_check (-Werror): each one matches."""
    import os
    import subprocess

    from gen import testvec
    files = {**res.files, **testvec.render(res.files, res.summary, count)}
    for f, data in files.items():
        (tmp_path / f).write_bytes(data)
    (tmp_path / "main.c").write_text('#include "gen_testvec.h"\nint main(void)\n{\n'
                                     '    unsigned i;\n    int bad = 0;\n    double e;\n'
                                     '    for (i = 0; i < gen_tv_count; i++) {\n        gen_tv_run(i);\n'
                                     '        bad |= gen_tv_check(i, &e);\n    }\n    return bad;\n}\n')
    srcs = sorted(str(p) for p in tmp_path.glob("*.c"))
    exe = str(tmp_path / "tv")
    r = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I", str(tmp_path), *srcs,
                        "-o", exe, "-lm"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert subprocess.run([exe]).returncode == 0
    assert os.path.getsize(exe) > 0
