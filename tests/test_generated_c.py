"""The generated C reads without a decoder: for the twelve MLPerf Tiny models and small op graphs (float,
int8, hostile 120-character names),

- no line of NAME.c / NAME.h over 120 characters outside data arrays. A data array is recognized here,
  independently of gen: a line `static const <type> <name>[N]([M]) = {` alone opens it, `};` closes it,
  and every line between must hold only numeric literals, commas, braces and spaces (so the exemption
  cannot hide code);
- every function the header's opening comment names (`name()`) is defined in NAME.c, and what the header
  says they return is what the C does (-1 only where a kernel call can fail: GEN_CHECK);
- every node has one comment in the invoke function listing its number, name, op, kernel (the plan's),
  and its inputs and output with their shapes (the plan's), and quantization where the tensor has it;
- arena offsets are named (ARENA + NAME_T<k>_OFFSET, #defined once each), never bare numbers;
- the C compiles under -std=c99 -Wall -Wextra -Werror -pedantic (also with the arena guard) and is
  byte-identical when generated twice (the op graphs here; the MLPerf models in test_models.py).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from onnx import helper

sys.path.insert(0, os.path.dirname(__file__))
import hostile_cases as hc  # noqa: E402
from test_names import HOSTILE, STRICT, _int8_model, _model  # noqa: E402
from graphs import ROOT  # noqa: E402

from gen import driver, emit  # noqa: E402

WIDTH = 120
MODELS_DIR = os.path.normpath(os.path.join(ROOT, "..", "shared", "models"))
MLPERF = sorted(f[:-5] for f in os.listdir(MODELS_DIR) if f.endswith(".onnx")) if os.path.isdir(MODELS_DIR) else []
DATA_OPEN = re.compile(r"^static const [A-Za-z_][\w ]* [A-Za-z_]\w*(\[\d+\])+ = \{$")
DATA_ROW = re.compile(r"^[\s0-9a-fA-FxX.+\-,{}()NAFLTMX_]*$")   # numbers, NAN, FLT_MAX, (-2147483647 - 1)


def long_lines(text: str) -> list[str]:
    """The lines over WIDTH characters outside data arrays (asserting data arrays hold only data)."""
    bad, in_data = [], False
    for k, line in enumerate(text.split("\n")):
        if in_data:
            if line == "};":
                in_data = False
                continue
            assert DATA_ROW.match(line), f"line {k + 1}: not data inside a data array: {line[:100]}"
        elif DATA_OPEN.match(line):
            in_data = True
        elif len(line) > WIDTH:
            bad.append(f"{k + 1}: {line[:150]}")
    assert not in_data, "a data array is never closed"
    return bad


def header_functions(h: str) -> list[str]:
    opening = h[:h.index("*/")]
    return re.findall(r"\b([a-z_][a-z0-9_]*)\(\)", opening)


def node_comments(c: str) -> list[str]:
    """The node comments of the invoke function, each joined into one line (no whitespace)."""
    body = c[c.index("_invoke(void)\n{"):]
    blocks = re.findall(r"^    /\* node (.*?)\*/", body, re.S | re.M)
    return [re.sub(r"\s+", "", b.replace("\n     *", "")) for b in blocks]


def check_library(files: dict[str, bytes], tmp: Path) -> None:
    summary = json.loads(next(v for k, v in files.items() if k.endswith("_plan.json")))
    name = summary["name"]
    c, h = files[f"{name}.c"].decode("ascii"), files[f"{name}.h"].decode("ascii")
    for f, text in ((f"{name}.c", c), (f"{name}.h", h)):
        bad = long_lines(text)
        assert not bad, f"{f}: {len(bad)} lines over {WIDTH} characters, e.g.\n" + "\n".join(bad[:5])

    # the header names only functions that exist, and says what they return
    named = header_functions(h)
    assert f"{name}_run" in named, named
    defined = set(re.findall(r"^int ([a-z_][a-z0-9_]*)\(", c, re.M))
    for fn in named:
        assert fn in defined, f"the header names {fn}(), which {name}.c does not define ({sorted(defined)})"
    for fn in defined - {f"{name}_guard_ok"}:       # the guard check exists only in test builds
        assert fn in named, f"{fn}() is defined but the header does not say what it does"
    opening = re.sub(r"\s+\*\s+", " ", h[:h.index("*/")])
    invoke = c[c.index(f"static int {name}_invoke(void)"):]
    can_fail = "GEN_CHECK(" in invoke[:invoke.index("\n}\n")]
    assert ("return 0" in opening or "returns 0" in opening), opening
    assert ("-1" in opening) == can_fail, opening

    # one comment per node: number, name, op, kernel, inputs and output with shapes, quantization
    comments = node_comments(c)
    assert len(comments) == len(summary["layers"]), (len(comments), len(summary["layers"]))
    for k, (text, layer) in enumerate(zip(comments, summary["layers"])):
        head = re.sub(r"\s+", "", f"{k} '{emit.comment(layer['node'])}': {layer['op']}")
        assert text.startswith(head), (text[:200], head)
        if layer["kernel"]:
            assert re.sub(r"\s+", "", f"kernel {emit.comment(layer['kernel'])}") in text, text[:300]
        outs = re.findall(r"out'.*?'(?:const)?\w+(\[[\d,]*\])", text)
        assert outs and outs[0] == str(layer["output"]).replace(" ", ""), (outs, layer["output"])
        ins = re.findall(r"in'.*?'(const)?\w+(\[[\d,]*\])", text)
        activations = [s for const, s in ins if not const]
        assert activations == [str(s).replace(" ", "") for s in layer["inputs"]], (ins, layer["inputs"])
        if layer["dtype"] == "int8":    # int8 activations carry their scale and zero point
            assert "zeropoint" in text.split("out'", 1)[1] or "per-channel" in text, text

    # arena offsets: named, each #defined once with its number
    assert not re.search(r"ARENA \+ \d", c)
    used = set(re.findall(rf"ARENA \+ ({name.upper()}_\w+_OFFSET)\b", c))
    defines = re.findall(r"^#define (\w+_OFFSET) (\d+)$", c, re.M)
    assert len({d for d, _ in defines}) == len(defines) and used <= {d for d, _ in defines}
    offsets = {d: int(v) for d, v in defines}
    for t in summary["inputs"] + summary["outputs"]:
        assert any(offsets[m] == t["offset"] for m in used), t

    # constants: named, not numbered; parameter structs: designated initializers, every field
    check_constants(c, name)

    # clean under the strict flags, with and without the arena guard
    d = tmp / "lib"
    d.mkdir(exist_ok=True)
    for f, data in files.items():
        (d / f).write_bytes(data)
    for extra in ([], ["-DGEN_ARENA_GUARD=64"]):
        r = subprocess.run(["gcc", *STRICT, *extra, "-fsyntax-only", "-I", str(d), str(d / f"{name}.c")],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-3000:]


STRUCT_DEF = re.compile(r"typedef\s+struct\s*\{([^{}]*)\}\s*(\w+)\s*;")
# the counters constants were named by: kws_w0, _b0, _mult0, _shift0, _q0, _convp0, _ctx0, _dims3, _p0, ...
COUNTER = re.compile(r"_(?:w|b|mult|shift|q|convp|dwp|fcp|poolp|ctx|dims|p|k|c|ksum|lut|rows|cols|resize|"
                     r"bn_scale|bn_shift|pad_value)\d+$")


def header_structs() -> dict[str, list[tuple[str, str, bool]]]:
    """The runtime headers' structs, read here on their own: type -> [(field, type, is_array)]."""
    structs = {}
    for sub in ("", "cmsis_nn"):
        d = os.path.join(emit.RUNTIME_DIR, sub)
        for f in sorted(os.listdir(d)):
            if f.endswith(".h"):
                text = re.sub(r"/\*.*?\*/", "", Path(d, f).read_text(), flags=re.S)
                for body, name in STRUCT_DEF.findall(text):
                    fields = []
                    for decl in filter(None, (x.strip() for x in body.split(";"))):
                        ftype, rest = decl.split(None, 1)
                        fields += [(re.sub(r"\[.*", "", v).strip(" *"), ftype, "[" in v) for v in rest.split(",")]
                    structs[name] = fields
    return structs


def _split(text: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "{(" and 1 or (ch in "})" and -1 or 0)
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out + [cur.strip()] if cur.strip() else out


def _check_designated(ctype: str, inner: str, structs: dict, where: str) -> None:
    items = _split(inner)
    fields = structs[ctype]
    assert [i.split("=", 1)[0].strip() for i in items] == [f".{f}" for f, _, _ in fields], (where, items)
    for item, (_, ftype, is_array) in zip(items, fields):
        value = item.split("=", 1)[1].strip()
        if ftype in structs and not is_array:
            assert value[0] == "{" and value[-1] == "}", (where, item)
            _check_designated(ftype, value[1:-1], structs, where)


def check_constants(c: str, name: str) -> None:
    """Every static const of NAME.c is `NAME_` + [a-z0-9_], no two alike, none named by a counter; every
    struct initializer designates each field of its type, in order, nested structs too."""
    structs = header_structs()
    consts = re.findall(r"^static const (\w+) \**(\w+)((?:\[\d+\])*) = \{(.*?)\};$", c, re.M | re.S)
    idents = [i for _, i, _, _ in consts]
    assert len(idents) == len(set(idents)), idents
    for ctype, ident, dims_, inner in consts:
        assert re.fullmatch(rf"{name}_[a-z][a-z0-9]*(_[a-z0-9]+)*", ident), ident
        assert not COUNTER.search(ident), ident
        if not dims_:
            assert ctype in structs, ctype
            _check_designated(ctype, re.sub(r"\s+", " ", inner), structs, ident)


@pytest.mark.models
@pytest.mark.skipif("kws_dscnn_int8_qdq_tflite" not in MLPERF, reason="needs ../shared/models (MANIFEST.md)")
def test_mlperf_kws_int8_constants_named_by_node(tmp_path):
    """The MLPerf KWS int8 C (TFLite's QDQ export: nodes Conv__5, Conv__11, ...): each convolution's and
    the fully connected layer's weights, bias, multipliers, shifts, quantization and kernel parameters
    are named after its node (Conv__5 -> kws_conv_5_weights, kws_conv_5_params), used by that node's
    call; the dims by their values (kws_dims_1x49x10x1); no counter names; designated initializers."""
    path = os.path.join(MODELS_DIR, "kws_dscnn_int8_qdq_tflite.onnx")
    # gen's own kernels (the default): each layer's weights and requantization table named by its node,
    # passed by that node's call
    fast = driver.generate(path, None, "kws", test_vectors=0)
    c = fast.files["kws.c"].decode("ascii")
    check_constants(c, "kws")
    fast_calls = re.split(r"^    /\* node \d+ ", c[c.index("static int kws_invoke(void)"):], flags=re.M)[1:]
    for call, layer in zip(fast_calls, fast.summary["layers"]):
        if layer["kernel"] in ("gen_fast_pw_s8", "gen_fast_fc_s8"):
            part = re.sub(r"_+", "_", layer["node"].lower())
            assert re.search(rf"\bkws_{part}_weights\b", call) and re.search(rf"\bkws_{part}_requant\b", call), call
    # the CMSIS-NN API path (--kernels cmsis-nn): every kernel's parameter structs
    res = driver.generate(path, None, "kws", test_vectors=0, kernels="cmsis-nn")
    c = res.files["kws.c"].decode("ascii")
    check_constants(c, "kws")
    assert len(re.findall(r"^static const ", c, re.M)) > 50
    body = c[c.index("static int kws_invoke(void)"):]
    calls = re.split(r"^    /\* node \d+ ", body, flags=re.M)[1:]
    layers = res.summary["layers"]
    assert len(calls) == len(layers)
    kernels = ("ConvS8", "FullyConnectedS8")
    named, seen = 0, []
    for call, layer in zip(calls, layers):
        part = re.sub(r"_+", "_", layer["node"].lower())      # the names here are [A-Za-z0-9_] already
        seen.append(part)
        if layer["op"].split("+")[0] not in kernels:
            continue
        own = ("weights", "bias") + (("multiplier", "shift") if layer["op"].startswith("ConvS8") else ())
        for role in own:     # this node's own data (per-channel multipliers and shifts of a convolution)
            assert re.search(rf"\bkws_{part}_{role}\b", c), (layer["node"], role)
        # parameter structs: this node's, or the same values' first node's (stored once)
        for role in ("weights", "bias", "quant", "params"):
            users = re.findall(rf"\bkws_(\w+?)_{role}\b", call)
            assert users and all(u in seen for u in users), (layer["node"], role, users)
        assert re.search(rf"\bkws_{part}_weights\b", call) and re.search(rf"\bkws_{part}_quant\b", call)
        named += 1
    assert named == sum(1 for la in layers if la["op"].split("+")[0] in kernels) >= 10
    dims = re.findall(r"^static const cmsis_nn_dims (kws_dims_(\d+)x(\d+)x(\d+)x(\d+)) = \{(.*?)\};$", c, re.M)
    assert dims and len(dims) == len(re.findall(r"^static const cmsis_nn_dims ", c, re.M))
    for ident, n, h, w, ch, inner in dims:    # named by what they hold
        assert inner == f".n = {n}, .h = {h}, .w = {w}, .c = {ch}", (ident, inner)
    # the example of the issue: the first convolution's parameters, field by field
    first = re.search(r"^static const cmsis_nn_conv_params kws_conv_5_params = \{(.*?)\};$", c, re.M | re.S)
    assert first and re.sub(r"\s+", " ", first.group(1)).strip().startswith(".input_offset = ")


@pytest.mark.models
@pytest.mark.parametrize("stem", MLPERF)
def test_mlperf_model_c_reads(stem, tmp_path):
    path = os.path.join(MODELS_DIR, stem + ".onnx")
    res = driver.generate(path, None, test_vectors=0)
    check_library(res.files, tmp_path)


def _graphs(tmp: Path):
    long_names = ["é*/" * 50, "n" * 130, "\\" * 121, "/" + "<U+002A>" * 20, "x/" * 70, "é" * 120,
                  "".join(HOSTILE), "/*" * 61, "??/" * 40, "b" * 119 + "/", "c_t8", "d_t9"]
    return {"gemm": hc.gemm_model(), "conv": hc.conv_model(1),
            "names": _model([long_names[0], *long_names[1:4], "x" + "é" * 119, "W" * 125, "B" * 121 + "/",
                             *[f"{n}_t{k}" for k, n in enumerate(long_names[4:8])]]),
            "int8": _int8_model("c" * 120, "/" + "é" * 119)[0],
            "softmax": hc.model([helper.make_node("Softmax", ["x"], ["y"], name="sm" * 70)],
                                [hc.vi("x", [1, 10])], [hc.vi("y", [1, 10])])}


@pytest.mark.parametrize("graph", ["gemm", "conv", "names", "int8", "softmax"])
def test_op_graph_c_reads(graph, tmp_path):
    m = _graphs(tmp_path)[graph]
    path = hc.save(m, tmp_path / ("é" * 60 + "*?\\" * 30 + ".onnx"))
    res = driver.generate(path, None, test_vectors=1)
    check_library(res.files, tmp_path)
    assert driver.generate(path, None, test_vectors=1).files == res.files


def test_wrapped_comments_compile_to_nothing(tmp_path):
    """Escaped hostile text cut across the lines of a block comment (at any width, next to '/' and '*'
    in the text) still compiles, under the strict flags, to exactly the code around it."""
    from gen.c_format import block_comment
    texts = ["".join(chr(c) for c in range(256))] + HOSTILE + ["".join(HOSTILE) * 3] + \
        [f"*{h}/" * 30 for h in HOSTILE] + [f"/{h}*" * 30 for h in HOSTILE] + ["/" * 300, "a/" * 200]

    def src(fill):
        lines = []
        for k, t in enumerate(texts):
            for j, indent in enumerate(["", "    ", " " * 40]):
                lines += block_comment([fill(t), "  " + fill(t), ""], indent) + [f"int v{k}_{j};"]
        return "\n".join(lines) + "\n"
    text = src(emit.comment)
    assert all(len(line) <= WIDTH for line in text.split("\n"))
    (tmp_path / "names.c").write_text(text, encoding="ascii")
    (tmp_path / "empty.c").write_text(src(lambda t: ""), encoding="ascii")
    r = subprocess.run(["gcc", *STRICT, "-c", "names.c", "-o", "names.o"], cwd=tmp_path, capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    pre = [subprocess.run(["gcc", "-std=c99", "-E", "-P", f], cwd=tmp_path, capture_output=True, text=True)
           for f in ("names.c", "empty.c")]
    assert pre[0].returncode == 0 and pre[0].stdout.split() == pre[1].stdout.split()
