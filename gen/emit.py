"""C emission: the model's header and source, its plan JSON, and the atomic write of the output directory."""
from __future__ import annotations

import hashlib
import json
import keyword
import math
import os
import re

import numpy as np

from . import __version__
from .errors import GenError
from .ir import C_TYPE, Graph
from .ops import family
from .plan import Plan

RUNTIME_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "runtime_c")
if not os.path.isdir(RUNTIME_DIR):   # installed as a package: runtime shipped inside gen/
    RUNTIME_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime_c")

# the runtime headers generated code includes (gen_nn.h picks gen_cmsis_nn.h or the real arm_nnfunctions.h)
PUBLIC_HEADERS = ("gen_f32.h", "gen_layout.h", "gen_nn.h")

C_KEYWORDS = set("""auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
_Bool _Complex _Imaginary main""".split())

# The C prefix names files (NAME.h, NAME.c, NAME_plan.json) and every external identifier
# (NAME_run, NAME_ARENA_SIZE, ...). It is at most MAX_PREFIX characters (file names stay short;
# every MLPerf Tiny model's file name fits), never in the namespaces of gen's runtime files and helpers (gen_f32.h, gen_testvec.c, gen_tv_run, arm_*.c,
# cmsis_nn_*), and never the name of a C library header (a model called math would write math.h,
# which `-I DIR` puts in front of <math.h>).
MAX_PREFIX = 40
RESERVED_NAMESPACES = ("gen", "arm", "cmsis")
C_HEADERS = set("""assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal stdalign
stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath threads time uchar wchar wctype
alloca malloc memory unistd arm_acle arm_math""".split())


def _sanitize(text: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z_]", "_", text.encode("ascii", "replace").decode()).strip("_").lower()
    s = re.sub(r"_+", "_", s) or "model"
    if s[0].isdigit():
        s = "m_" + s
    if s in C_KEYWORDS or keyword.iskeyword(s):
        s += "_model"
    return s


def _clash(prefix: str) -> str | None:
    for ns in RESERVED_NAMESPACES:
        if prefix == ns or prefix.startswith(ns + "_"):
            return f"'{prefix[:MAX_PREFIX]}' is in the {ns}_ namespace of gen's runtime (gen_f32.h, gen_testvec.c, arm_*.c, ...)"
    if prefix in C_HEADERS:
        return f"{prefix}.h would shadow the C library's <{prefix}.h>"
    return None


def reserved(prefix: str) -> str | None:
    """Why `prefix` (a sanitized one) cannot be a C prefix, or None."""
    clash = _clash(prefix)
    if clash:
        return clash
    if len(prefix) > MAX_PREFIX:
        return f"'{prefix[:20]}...' is {len(prefix)} characters, at most {MAX_PREFIX}"
    return None


def c_identifier(text: str) -> str:
    """The C prefix from any text (a model's file name): only [a-z0-9_], starting with a letter, at most
    MAX_PREFIX characters, not reserved (see above); the same text always gives the same prefix."""
    s = _sanitize(text)
    if _clash(s):
        s = "m_" + s
    if len(s) > MAX_PREFIX:     # long names: a head and a hash of the whole text, so they stay distinct
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        s = s[:MAX_PREFIX - 9].rstrip("_") + "_" + digest
    return s


def user_prefix(text: str) -> str:
    """The C prefix for --name: sanitized like c_identifier, but refused (GenError) rather than changed
    when it collides with gen's own names or is too long."""
    s = _sanitize(text)
    why = reserved(s)
    if why:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise GenError(f"--name '{shown}' cannot be the C prefix: {why}")
    return s


# what a comment may hold as it is; everything else becomes <U+XXXX>. Not '*' (no comment delimiter
# can form), '\\' (line splices), '?' (trigraphs: ??/ is a backslash), '<' (the escape itself) or any
# control character, non-ASCII character or surrogate. '/' (common in names: "model/conv2d/Conv2D")
# only inside the text, never first or last, so it never meets a '*' around it.
COMMENT_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 !\"#$%&'()+,-.:;=>@[]^_`{|}~")
COMMENT_MAX = 120      # characters of the name kept (a longer one is cut, and says so with ...)


def comment(text: str) -> str:
    """The one way model text (a node, tensor or file name) reaches the generated C: as text inside a
    /* block comment */ that nothing can end, splice or turn into code, whatever stands around it.
    Printable ASCII but '*', '\\', '?' and '<' stays ('/' when not first or last); every other code
    point is written <U+XXXX>. At most COMMENT_MAX characters of the text are kept (then '...')."""
    head = text[:COMMENT_MAX]
    out = [ch if ch in COMMENT_SAFE or (ch == "/" and 0 < i < len(head) - 1) else f"<U+{ord(ch):04X}>"
           for i, ch in enumerate(head)]
    return "".join(out) + ("..." if len(text) > COMMENT_MAX else "")


def c_float(x: float) -> str:
    x = float(np.float32(x))
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "FLT_MAX" if x > 0 else "-FLT_MAX"
    s = "%.9g" % x
    if not any(ch in s for ch in ".e"):
        s += ".0"
    return s + "f"


def c_values(data: np.ndarray) -> list[str]:
    flat = data.reshape(-1)
    if data.dtype == np.float32:
        return [c_float(v) for v in flat.tolist()]
    if data.dtype == np.int32:
        return [str(v) if v != -2147483648 else "(-2147483647 - 1)" for v in flat.tolist()]
    return [str(v) for v in flat.tolist()]


class EmitContext:
    """What op modules use to name memory and data while emitting one model."""

    def __init__(self, g: Graph, plan: Plan, prefix: str):
        self.g, self.plan, self.prefix = g, plan, prefix
        self.decls: list[str] = []          # static const data and parameter structs
        self._arrays: dict[bytes, str] = {}
        self._count: dict[str, int] = {}
        self.weight_bytes = 0
        self.node = None

    def _name(self, hint: str) -> str:
        hint = c_identifier(hint)
        k = self._count.get(hint, 0)
        self._count[hint] = k + 1
        return f"{self.prefix}_{hint}{k}"

    def ptr(self, tensor: str) -> str:
        t = self.g.t(tensor)
        if t.is_const:
            return self.array(t.data.astype(t.dtype), "c")
        return f"(({t.ctype} *)(ARENA + {self.plan.offsets[tensor]}))"

    def array(self, data: np.ndarray, hint: str) -> str:
        """A static const array in flash (identical arrays are stored once)."""
        data = np.ascontiguousarray(data)
        if data.dtype == np.float64:
            data = data.astype(np.float32)
        if data.dtype == np.int64:
            data = data.astype(np.int32)
        key = str(data.dtype).encode() + b":" + data.tobytes()
        if key in self._arrays:
            return self._arrays[key]
        name = self._name(hint)
        vals = c_values(data)
        lines = [", ".join(vals[i:i + 12]) for i in range(0, len(vals), 12)] or ["0"]
        body = ",\n    ".join(lines)
        self.decls.append(f"static const {C_TYPE[str(data.dtype)]} {name}[{max(len(vals), 1)}] = {{\n    {body}\n}};")
        self._arrays[key] = name
        self.weight_bytes += data.nbytes
        return name

    def params(self, ctype: str, init: str, hint: str = "p") -> str:
        """A static const parameter struct; returns a pointer expression to it."""
        key = f"{ctype}={init}".encode()
        if key not in self._arrays:      # identical parameter structs are stored once
            name = self._name(hint)
            self.decls.append(f"static const {ctype} {name} = {{{init}}};")
            self._arrays[key] = name
        return "&" + self._arrays[key]

    def scratch(self, node) -> str:
        b = self.plan.scratch.get(node.name)
        return f"(void *)(ARENA + {b.offset})" if b else "NULL"

    def scratch_size(self, node) -> int:
        b = self.plan.scratch.get(node.name)
        return b.size if b else 0

    @staticmethod
    def flt(x: float) -> str:
        return c_float(x)

    def act(self, node) -> str:
        a = node.act
        if a is None:
            return "{-FLT_MAX, FLT_MAX, 1.0f}"
        return f"{{{c_float(a.lo)}, {c_float(a.hi)}, {c_float(a.alpha)}}}"


def layer_table(g: Graph, plan: Plan, node_weights: dict[str, int]) -> list[dict]:
    rows = []
    for node in g.nodes:
        fam = family(node)
        out = node.outputs[0]
        sb = plan.scratch.get(node.name)
        rows.append({
            "node": node.name, "op": node.op + (f"+{node.act.kind}" if node.act else ""),
            "kernel": fam.kernel(node, g),
            "inputs": [list(g.t(i).shape) for i in node.inputs if i and not g.t(i).is_const],
            "output": list(g.t(out).shape), "dtype": g.t(out).dtype,
            "macs": int(fam.macs(node, g)), "weight_bytes": node_weights[node.name],
            "offset": plan.offsets.get(out, 0), "bytes": g.t(out).nbytes,
            "scratch_offset": sb.offset if sb else None, "scratch_bytes": sb.size if sb else 0,
            "view": g.t(out).view_of is not None,
        })
    return rows


def io_info(g: Graph, plan: Plan) -> dict:
    def one(name):
        t = g.t(name)
        d = {"name": name, "shape": list(t.shape), "dtype": t.dtype, "offset": plan.offsets[name],
             "size": t.size}
        if t.quant is not None:
            d["scale"], d["zero_point"] = t.quant.s(), t.quant.zp()
        elif t.dtype == "int8":     # plain integers (no QDQ): the float entry point converts them as they are
            d["scale"], d["zero_point"] = 1.0, 0
        return d
    return {"inputs": [one(n) for n in g.inputs], "outputs": [one(n) for n in g.outputs]}


def render(g: Graph, plan: Plan, name: str, source: str) -> tuple[dict[str, bytes], dict]:
    """All files of the library, as bytes by file name, and the plan/summary dict."""
    up = name.upper()
    ctx = EmitContext(g, plan, name)
    body, runtime, node_weights = [], [], {}
    for node in g.nodes:
        fam = family(node)
        ctx.node = node
        for f in fam.runtime_files(node, g):
            if f not in runtime:
                runtime.append(f)
        out = g.t(node.outputs[0])
        body.append(f"    /* {comment(node.name)}: {node.op}{'+' + node.act.kind if node.act else ''} -> "
                    f"{list(out.shape)} */")
        before = ctx.weight_bytes
        body.extend("    " + line for line in fam.emit(node, g, ctx).splitlines())
        node_weights[node.name] = ctx.weight_bytes - before
    io = io_info(g, plan)
    table = layer_table(g, plan, node_weights)
    int8 = any(t["dtype"] == "int8" for t in io["inputs"] + io["outputs"])
    if int8:   # the float boundary (NAME_run) calls gen_s8_quantize_f32 / gen_s8_dequantize_f32
        from .ops.quantize import RUNTIME as S8_RUNTIME
        runtime += [f for f in S8_RUNTIME if f not in runtime]
    summary = {
        "model": os.path.basename(source), "name": name, "generator": f"gen {__version__}",
        "arena_size": plan.arena_size, "arena_lower_bound": plan.lower_bound,
        "weight_bytes": ctx.weight_bytes, "macs": sum(r["macs"] for r in table),
        "scratch_bytes": max((b.size for b in plan.scratch.values()), default=0),
        **io, "layers": table,
        "tensors": {b.name: {"offset": b.offset, "size": b.size, "first": b.start, "last": b.end}
                    for b in plan.buffers if b.scratch_of is None},
        "scratch": {b.scratch_of: {"offset": b.offset, "size": b.size, "node_index": b.start}
                    for b in plan.buffers if b.scratch_of is not None},
        "notes": list(g.notes),
    }
    header = _header(g, name, up, io, summary, int8)
    src = _source(name, up, ctx, body, runtime, io, int8, source, g.options.get("scratch", "dsp"))
    files = {f"{name}.h": header.encode(), f"{name}.c": src.encode(),
             f"{name}_plan.json": (json.dumps(summary, indent=1, sort_keys=True) + "\n").encode()}
    for f in runtime:
        files[f] = runtime_file(f)
        # a header pulls in its implementation
        c = f[:-2] + ".c"
        if f.endswith(".h") and c not in files:
            try:
                files[c] = runtime_file(c)
            except FileNotFoundError:
                pass
    return files, summary


def runtime_file(name: str) -> bytes:
    """A runtime_c file by name (gen's kernels at the top, the portable CMSIS-NN subset in cmsis_nn/)."""
    for sub in ("", "cmsis_nn"):
        path = os.path.join(RUNTIME_DIR, sub, name)
        if os.path.exists(path):
            with open(path, "rb") as fh:
                return fh.read()
    raise FileNotFoundError(name)


def _proto(name: str, io: dict, ctype_in: str | None, ctype_out: str | None, suffix: str) -> str:
    args = [f"const {ctype_in or C_TYPE[t['dtype']]} *input{k}" for k, t in enumerate(io["inputs"])]
    args += [f"{ctype_out or C_TYPE[t['dtype']]} *output{k}" for k, t in enumerate(io["outputs"])]
    return f"int {name}_run{suffix}({', '.join(args)})"


def _header(g, name, up, io, summary, int8) -> str:
    lines = [f"/* {comment(name)}.h: generated by gen {__version__} from {comment(summary['model'])}. Do not edit.",
             " *",
             f" * {up}_run() computes the whole model; it returns 0. Buffers are in the model's layout (row-major).",
             " * Memory: one static arena of " + f"{up}_ARENA_SIZE bytes; weights are const (flash). */",
             f"#ifndef {up}_H", f"#define {up}_H", "", "#include <stdint.h>", "",
             "#ifdef __cplusplus", 'extern "C" {', "#endif", "",
             f"#define {up}_ARENA_SIZE {summary['arena_size']}",
             f"#define {up}_WEIGHT_BYTES {summary['weight_bytes']}",
             f"#define {up}_MACS {summary['macs']}",
             f"#define {up}_NUM_INPUTS {len(io['inputs'])}",
             f"#define {up}_NUM_OUTPUTS {len(io['outputs'])}"]
    for kind in ("input", "output"):
        for k, t in enumerate(io[kind + "s"]):
            p = f"{up}_{kind.upper()}{k}"
            lines.append(f"/* {kind} {k}: '{comment(t['name'])}' {t['dtype']} {t['shape']} */")
            lines.append(f"#define {p}_SIZE {t['size']}")
            lines.append(f"#define {p}_NDIM {len(t['shape'])}")
            for d, v in enumerate(t["shape"]):
                lines.append(f"#define {p}_DIM{d} {v}")
            if "scale" in t:
                lines.append(f"#define {p}_SCALE {c_float(t['scale'])}")
                lines.append(f"#define {p}_ZERO_POINT {t['zero_point']}")
    lines.append("")
    if int8:
        lines.append("/* float in and out: quantizes the inputs and dequantizes the outputs at the boundary */")
        lines.append(_proto(name, io, "float", "float", "") + ";")
        lines.append("/* int8 in and out, in the boundary scales and zero points above: no conversion cost */")
        lines.append(_proto(name, io, None, None, "_s8") + ";")
    else:
        lines.append(_proto(name, io, None, None, "") + ";")
    lines += ["", "#ifdef __cplusplus", "}", "#endif", "", f"#endif /* {up}_H */", ""]
    return "\n".join(lines)


def _source(name, up, ctx, body, runtime, io, int8, source, scratch_plan) -> str:
    includes = [f'#include "{name}.h"', ""] + [f'#include "{f}"' for f in runtime if f in PUBLIC_HEADERS]
    lines = [f"/* {comment(name)}.c: generated by gen {__version__} from {comment(os.path.basename(source))}. "
             "Do not edit. */"] + includes + ["", "#include <float.h>", "#include <math.h>", "#include <string.h>", "",
             f"/* the arena: every activation and scratch buffer at an offset fixed at generation time */",
             "#ifndef GEN_ARENA_GUARD",
             f"static union {{ double align; uint8_t bytes[{up}_ARENA_SIZE]; }} {name}_arena;",
             f"#define ARENA ({name}_arena.bytes)",
             "#else /* test builds (-DGEN_ARENA_GUARD=64): guard bytes on both sides catch out-of-arena writes */",
             "static struct { uint8_t lo[GEN_ARENA_GUARD];",
             f"                union {{ double align; uint8_t bytes[{up}_ARENA_SIZE]; }} a;",
             f"                uint8_t hi[GEN_ARENA_GUARD]; }} {name}_arena;",
             f"#define ARENA ({name}_arena.a.bytes)",
             f"static int {name}_guard_set;",
             f"static void {name}_guard_fill(void)",
             "{",
             f"    if (!{name}_guard_set) {{",
             f"        memset({name}_arena.lo, 0xA5, GEN_ARENA_GUARD);",
             f"        memset({name}_arena.hi, 0xA5, GEN_ARENA_GUARD);",
             f"        {name}_guard_set = 1;",
             "    }",
             "}",
             "/* 1 while no run has written outside the arena since the first run */",
             f"int {name}_guard_ok(void);",
             f"int {name}_guard_ok(void)",
             "{",
             "    int i;",
             "    for (i = 0; i < GEN_ARENA_GUARD; i++) {",
             f"        if ({name}_arena.lo[i] != 0xA5 || {name}_arena.hi[i] != 0xA5) {{",
             "            return 0;",
             "        }",
             "    }",
             "    return 1;",
             "}",
             "#endif", ""]
    if int8:
        lines += ["/* a CMSIS-NN call that fails (bad arguments, too little scratch) makes the run return -1 */",
                  "#define GEN_CHECK(call) do { if ((call) != ARM_CMSIS_NN_SUCCESS) { return -1; } } while (0)", ""]
    if int8 and scratch_plan != "helium":
        lines += ["#if defined(GEN_USE_CMSIS_NN) && defined(__ARM_FEATURE_MVE)",
                  f'#error "{name} plans the scratch of CMSIS-NN\'s DSP build; for the real CMSIS-NN on a Helium core '
                  'generate it with: python -m gen --scratch helium"', "#endif", ""]
    lines += ctx.decls
    guard = ["#ifdef GEN_ARENA_GUARD", f"    {name}_guard_fill();", "#endif"]
    lines += ["", f"static int {name}_invoke(void)", "{"] + guard + body + ["    return 0;", "}", ""]
    copy_in = [f"    memcpy(ARENA + {t['offset']}, input{k}, {t['size']} * sizeof(*input{k}));"
               for k, t in enumerate(io["inputs"])]
    copy_out = [f"    memcpy(output{k}, ARENA + {t['offset']}, {t['size']} * sizeof(*output{k}));"
                for k, t in enumerate(io["outputs"])]
    if int8:
        lines += [_proto(name, io, None, None, "_s8"), "{"] + copy_in + [f"    int status = {name}_invoke();"] + copy_out + \
                 ["    return status;", "}", ""]
        # float boundary: int8 tensors are (de)quantized, float ones (a model may keep some) copied
        q_in = [f"    gen_s8_quantize_f32(input{k}, (int8_t *)(ARENA + {t['offset']}), {t['size']}, "
                f"{c_float(t['scale'])}, {t['zero_point']});" if t["dtype"] == "int8" else copy_in[k]
                for k, t in enumerate(io["inputs"])]
        dq_out = [f"    gen_s8_dequantize_f32((const int8_t *)(ARENA + {t['offset']}), output{k}, {t['size']}, "
                  f"{c_float(t['scale'])}, {t['zero_point']});" if t["dtype"] == "int8" else copy_out[k]
                  for k, t in enumerate(io["outputs"])]
        lines += [_proto(name, io, "float", "float", ""), "{"] + q_in + [f"    int status = {name}_invoke();"] + dq_out + \
                 ["    return status;", "}", ""]
    else:
        lines += [_proto(name, io, None, None, ""), "{"] + copy_in + [f"    int status = {name}_invoke();"] + copy_out + \
                 ["    return status;", "}", ""]
    return "\n".join(lines)


def content_hash(files: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for k in sorted(files):
        h.update(k.encode() + b"\0" + hashlib.sha256(files[k]).digest())
    return h.hexdigest()[:20]
