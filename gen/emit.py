"""C emission, the façade: render() turns a planned graph into the library's files.

The jobs live in their own modules: gen/c_literals.py (identifiers, comments, numbers), gen/c_format.py
(the layout of the C text), gen/c_header.py (NAME.h), gen/c_source.py (NAME.c and the EmitContext op
modules emit with), gen/plan_json.py (NAME_plan.json); the atomic write of the directory is gen/outdir.py.
"""
from __future__ import annotations

import hashlib
import os
import re

from . import overlap_c
from .c_header import header
from .c_literals import (C_HEADERS, C_KEYWORDS, COMMENT_MAX, COMMENT_SAFE, MAX_PREFIX,  # noqa: F401
                         RESERVED_NAMESPACES, _clash, _sanitize, c_float, c_identifier, c_values, comment,
                         node_identifier, node_identifiers, reserved, user_prefix)
from .c_source import EmitContext, node_comment, source  # noqa: F401
from .ir import BOUNDARY_DTYPES, Graph
from .ops import family
from .plan import Plan
from .plan_json import io_info, kernel_called, layer_table, plan_json, summary as make_summary  # noqa: F401

RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime_c")
if not os.path.isdir(RUNTIME_DIR):   # installed as a package: runtime shipped inside gen/
    RUNTIME_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime_c")


def render(g: Graph, plan: Plan, name: str, source_path: str) -> tuple[dict[str, bytes], dict]:
    """All files of the library, as bytes by file name, and the plan/summary dict."""
    ctx = EmitContext(g, plan, name)
    body, runtime, node_weights = [], [], {}
    overlapped = {o.node: o for o in plan.overlaps if not o.stage}
    for index, node in enumerate(g.nodes):
        fam = family(node)
        ctx.node = node
        for f in fam.runtime_files(node, g):
            if f not in runtime:
                runtime.append(f)
        body += node_comment(g, node, index, kernel_called(node, g, plan))
        before = ctx.weight_bytes
        text = fam.emit(node, g, ctx)
        if node.name in overlapped:     # the GEN_CHECK_OVERLAP build also runs it from private copies
            o = overlapped[node.name]
            ctx.redirect = {o.input_tensor: f"{name}_check_in.bytes", o.output: f"{name}_check_out.bytes"}
            text = "\n".join(overlap_c.checked(name, ctx, o, text, fam.emit(node, g, ctx)))
            ctx.redirect = {}
        body.extend("    " + line for line in text.splitlines())
        body.append(f"    GEN_PROFILE_LAYER({index});")
        node_weights[node.name] = ctx.weight_bytes - before
    summary = make_summary(g, plan, name, source_path, ctx.weight_bytes, node_weights)
    io = {"inputs": summary["inputs"], "outputs": summary["outputs"]}
    int8 = any(t["dtype"] == "int8" for t in io["inputs"] + io["outputs"])
    if int8:   # the float boundary (NAME_run) calls gen_s8_quantize_f32 / gen_s8_dequantize_f32
        from .ops.quantize import RUNTIME as S8_RUNTIME
        runtime += [f for f in S8_RUNTIME if f not in runtime]
    for t in io["inputs"] + io["outputs"]:     # the float16/bfloat16/float64 <-> float32 conversion at the boundary
        if t["dtype"] in BOUNDARY_DTYPES and BOUNDARY_DTYPES[t["dtype"]].header not in runtime:
            runtime.append(BOUNDARY_DTYPES[t["dtype"]].header)
    from . import rtparams      # parameters that arrive as graph inputs, checked before the run
    checks = rtparams.emit_checks(g, ctx)
    if checks or rtparams.kernels_read(g):
        runtime += [f for f in rtparams.RUNTIME if f not in runtime]
    can_fail = any("GEN_CHECK(" in line for line in body)
    # a kernel that checks run-time indices or parameters returns -1 from the body: outputs then untouched
    data_checks = any("return -1;" in line for line in body)
    files = {f"{name}.h": header(name, io, summary, int8, can_fail, rtparams.checked_inputs(g),
                                 data_checks).encode(),
             f"{name}.c": source(name, ctx, body, runtime, io, int8, source_path,
                                 g.options.get("scratch", "dsp"), checks, data_checks,
                                 int8 or bool(g.options.get("int8"))).encode(),
             f"{name}_plan.json": plan_json(summary)}
    files.update(runtime_closure(runtime))
    return files, summary


INCLUDE = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.M)


def runtime_closure(listed: list[str]) -> dict[str, bytes]:
    """The runtime_c files the families list, with every runtime_c file they #include and the .c of
    every header (a family names its header and kernels; what those pull in comes along by itself).
    A quoted include that runtime_c does not have (arm_nnfunctions.h: the real CMSIS-NN) is skipped."""
    files: dict[str, bytes] = {}
    todo = list(listed)
    while todo:
        f = todo.pop(0)
        if f in files:
            continue
        try:
            files[f] = runtime_file(f)
        except FileNotFoundError:
            if f in listed:
                raise
            continue
        todo += [m.decode() for m in INCLUDE.findall(files[f])]
        if f.endswith(".h"):
            todo.append(f[:-2] + ".c")
    return files


def runtime_file(name: str) -> bytes:
    """A runtime_c file by name (gen's kernels at the top, the portable CMSIS-NN subset in cmsis_nn/)."""
    for sub in ("", "cmsis_nn"):
        path = os.path.join(RUNTIME_DIR, sub, name)
        if os.path.exists(path):
            with open(path, "rb") as fh:
                return fh.read()
    raise FileNotFoundError(name)


def content_hash(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for k in sorted(files):
        h.update(k.encode() + b"\0" + hashlib.sha256(files[k]).digest())
    return h.hexdigest()[:20]
