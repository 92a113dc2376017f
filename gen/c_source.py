"""The model's C source (NAME.c): the arena and its named offsets, the weights and parameter structs,
the invoke function (one commented block per node) and the entry points NAME_run / NAME_run_s8."""
from __future__ import annotations

import functools
import glob
import os
import re
from string import Template

import numpy as np

from . import __version__, overlap_c
from .c_arena import arena_given, arena_lines, in_place_lines, own_identifiers
from .c_format import block_comment, designated, layout
from .c_header import proto
from .c_literals import c_float, c_values, comment, node_identifiers
from .ir import BOUNDARY_DTYPES, C_TYPE, Graph
from .plan import Plan

_STRUCT = re.compile(r"typedef\s+struct\s*\w*\s*\{([^{}]*)\}\s*(\w+)\s*;")


@functools.cache
def runtime_structs() -> dict:
    """Every struct the runtime headers define (gen's kernels and the CMSIS-NN subset, whose names are
    CMSIS-NN's): type -> its fields in order, (name, type, is_array). What parameter structs are written
    with: designated initializers (`.stride = {.w = 2, .h = 2}`) whose names come from the C itself."""
    from .emit import RUNTIME_DIR
    structs = {}
    for path in sorted(glob.glob(os.path.join(RUNTIME_DIR, "*.h")) + glob.glob(os.path.join(RUNTIME_DIR, "*", "*.h"))):
        with open(path, encoding="utf-8") as fh:
            text = re.sub(r"//[^\n]*", " ", re.sub(r"/\*.*?\*/", " ", fh.read(), flags=re.DOTALL))
        for body, name in _STRUCT.findall(text):
            fields = []
            for decl in filter(None, (d.strip() for d in body.split(";"))):
                m = re.fullmatch(r"((?:(?:const|unsigned|signed|struct)\s+)*\w+)\s+([\w\s,*\[\]]+)", decl)
                names = [re.fullmatch(r"\**\s*(\w+)\s*(\[\s*\w+\s*\])*", d.strip()) for d in m.group(2).split(",")] \
                    if m else [None]
                if not all(names):      # a member gen does not read (a union, a function pointer): positional
                    break
                fields += [(n.group(1), m.group(1), "[" in n.group(0)) for n in names]
            else:
                structs[name] = tuple(fields)
    return structs


# what each kind of constant is called after its node's identifier part (kws_conv_5_weights); a hint
# not listed here is the role itself
ROLES = {"w": "weights", "b": "bias", "mult": "multiplier", "shift": "shift", "q": "quant", "ctx": "ctx",
         "ksum": "kernel_sums", "k": "operand", "c": "const", "p": "params", "convp": "params", "dwp": "params",
         "fcp": "params", "poolp": "params", "resize": "params", "lut": "table", "bn_scale": "scale",
         "bn_shift": "shift", "rq": "requant"}


class EmitContext:
    """What op modules use to name memory and data while emitting one model.

    Constants are named after the node that first uses them, `<prefix>_<node>_<role>`
    (kws_conv_5_weights, kws_conv_5_params; <node> from c_literals.node_identifiers, <role> from the
    emitting module's hint), or after what they hold when several nodes share them by nature
    (kws_dims_1x25x5x64, kws_ctx_none); identical data is stored once, under its first name.
    Parameter structs are written with designated initializers (runtime_structs).

    Arena offsets are named: activation tensor k at NAME_T<k>_OFFSET (numbered in the plan's order;
    the tensor's name stands beside the #define as a comment, never in the identifier), the scratch of
    a node at NAME_<NODE>_SCRATCH_OFFSET."""

    def __init__(self, g: Graph, plan: Plan, prefix: str):
        self.g, self.plan, self.prefix = g, plan, prefix
        self.decls: list[str] = []          # static const data and parameter structs
        self._arrays: dict[bytes, str] = {}
        self.weight_bytes = 0
        self.node = None
        self.redirect: dict[str, str] = {}  # tensor -> a buffer outside the arena for this emission
        self.node_ids = node_identifiers([n.name for n in g.nodes] + list(plan.scratch))
        # gen's own identifiers after the prefix: no constant takes one
        self._taken = {f"{prefix}_{s}" for s in ("arena", "invoke", "guard_set", "guard_fill", "guard_ok", "run",
                                                 "run_s8", *own_identifiers(
                                                     {"inputs": g.inputs, "outputs": g.outputs}))}
        up = prefix.upper()
        self.tensor_offset = {t: f"{up}_T{k}_OFFSET" for k, t in enumerate(plan.offsets)}
        self.scratch_offset = {n: f"{up}_{self.node_ids[n].upper()}_SCRATCH_OFFSET" for n in plan.scratch}
        self._offset_value = {**{m: plan.offsets[t] for t, m in self.tensor_offset.items()},
                              **{m: plan.scratch[n].offset for n, m in self.scratch_offset.items()}}
        self._offset_macro = re.compile(rf"\b{up}_\w+_OFFSET\b")

    def _name(self, hint: str, name: str | None = None) -> str:
        """A new identifier: `name` (what the constant holds) or the current node's part and the hint's role;
        a second constant of one node and role gets _2, _3, ..."""
        if name is None:
            node = self.node_ids[self.node.name] if self.node is not None else "model"
            name = f"{node}_{ROLES.get(hint, hint)}"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        base, k = f"{self.prefix}_{name}", 1
        ident = base
        while ident in self._taken:
            k += 1
            ident = f"{base}_{k}"
        self._taken.add(ident)
        return ident

    def ptr(self, tensor: str) -> str:
        t = self.g.t(tensor)
        if tensor in self.redirect:     # the GEN_CHECK_OVERLAP build's private copies (gen/overlap_c.py)
            return f"(({t.ctype} *)({self.redirect[tensor]}))"
        if t.is_const:
            hint = "c"
            if self.node is not None and tensor in self.node.inputs:
                hint = f"input{self.node.inputs.index(tensor)}"
            return self.array(t.data.astype(t.dtype), hint, wide=t.dtype == "int64")
        return f"(({t.ctype} *)(ARENA + {self.tensor_offset[tensor]}))"

    def array(self, data: np.ndarray, hint: str, wide: bool = False) -> str:
        """A static const array in flash (identical arrays are stored once); int64 data is stored as
        int32 unless `wide` (an int64 tensor's own data)."""
        data = np.ascontiguousarray(data)
        if data.dtype == np.float64:
            data = data.astype(np.float32)
        if data.dtype == np.bool_:
            data = data.astype(np.uint8)
        if data.dtype == np.int64 and not wide:
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

    def params(self, ctype: str, init: str, hint: str = "p", name: str | None = None) -> str:
        """A static const parameter struct, from its positional initializer's inside (written designated
        when the runtime headers define `ctype`); `name`, when given, says what it holds (dims_1x49x10x1)
        instead of the node and hint. Returns a pointer expression to it."""
        # identical parameter structs are stored once: compared with the offsets' values, as before
        # they were named (two scratch buffers at one offset share one cmsis_nn_context)
        key = f"{ctype}={self._offset_macro.sub(lambda m: str(self._offset_value.get(m.group(0), m.group(0))), init)}"
        if key.encode() not in self._arrays:
            structs = runtime_structs()
            text = designated(ctype, init, structs) if ctype in structs else init
            ident = self._name(hint, name)
            self.decls.append(f"static const {ctype} {ident} = {{{text}}};")
            self._arrays[key.encode()] = ident
        return "&" + self._arrays[key.encode()]

    def scratch(self, node) -> str:
        b = self.plan.scratch.get(node.name)
        return f"(void *)(ARENA + {self.scratch_offset[node.name]})" if b else "NULL"

    def overlap_rule(self, node):
        """The OverlapRule the memory plan chose for the node (gen/overlap.py), or None: the one place emit learns
        how the plan lets the node's kernel run (a depthwise ring, a layout change in place, a pointwise layer
        backward)."""
        return self.plan.rule_of(node.name)

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

    def offset_defines(self) -> list[str]:
        """The #defines of the arena offsets, each with its tensor's (escaped) name, dtype and shape."""
        g, plan = self.g, self.plan
        lines = []
        for t, macro in self.tensor_offset.items():
            tt = g.t(t)
            view = f", a view of '{comment(tt.view_of)}'" if tt.view_of else ""
            text = f"'{comment(t)}' {tt.dtype} {list(tt.shape)}, {tt.nbytes} bytes{view}"
            lines += block_comment([text]) + [f"#define {macro} {plan.offsets[t]}"]
        for n, macro in self.scratch_offset.items():
            b = plan.scratch[n]
            lines += block_comment([f"scratch of node '{comment(n)}', {b.size} bytes"]) + \
                [f"#define {macro} {b.offset}"]
        return lines


def _tensor_text(g: Graph, name: str) -> str:
    t = g.t(name)
    text = f"'{comment(name)}' {'const ' if t.is_const else ''}{t.dtype} {list(t.shape)}"
    q = t.quant
    if q is not None:
        if q.per_channel:
            text += f", per-channel scales ({q.scale.size}, axis {q.axis})"
        else:
            text += f", scale {float(np.float32(q.s())):.9g} zero point {q.zp()}"
    return text


def node_comment(g: Graph, node, index: int, kernel: str) -> list[str]:
    """The comment above a node's C: its number, name, op (and fused activation), the kernel it calls,
    and each input and output with dtype, shape and quantization."""
    op = node.op + (f"+{node.act.kind}" if node.act else "")
    lines = [f"node {index} '{comment(node.name)}': {op}" + (f", kernel {comment(kernel)}" if kernel else "")]
    lines += [f"  in  {_tensor_text(g, i)}" for i in node.inputs if i]
    lines += [f"  out {_tensor_text(g, o)}" for o in node.outputs if o]
    return block_comment(lines, "    ")


GEN_CHECK = """\
/* a CMSIS-NN call that fails (bad arguments, too little scratch) makes the run return -1 */
#define GEN_CHECK(call) do { if ((call) != ARM_CMSIS_NN_SUCCESS) { return -1; } } while (0)
"""

NOT_HELIUM = Template("""\
#if defined(GEN_USE_CMSIS_NN) && defined(__ARM_FEATURE_MVE)
/* for the real CMSIS-NN on a Helium core, generate the model with: python -m gen --scratch helium */
#error "${name} plans the scratch of CMSIS-NN's DSP build (see the comment above this line)"
#endif
""")

PROFILE = """\
/* per-layer profile: built with -DGEN_PROFILE, each layer reports its end to gen_profile_layer (the
 * firmware in boards/firmware times it); otherwise the hooks are nothing */
#ifdef GEN_PROFILE
void gen_profile_begin(void);
void gen_profile_layer(int layer);
#define GEN_PROFILE_BEGIN() gen_profile_begin()
#define GEN_PROFILE_LAYER(layer) gen_profile_layer(layer)
#else
#define GEN_PROFILE_BEGIN() ((void)0)
#define GEN_PROFILE_LAYER(layer) ((void)0)
#endif
"""

INVOKE = Template("""\
static int ${name}_invoke(void)
{
#ifdef GEN_ARENA_GUARD
    ${name}_guard_fill();
#endif
    GEN_PROFILE_BEGIN();
${body}
    return 0;
}
""")

ENTRY = Template("""\
${proto}
{
${copy_in}
    int status = ${name}_invoke();
${copy_out}
    return status;
}
""")


def source(name: str, ctx: EmitContext, body: list[str], runtime: list[str], io: dict, int8: bool,
           source_path: str, scratch_plan: str, checks=(), data_checks=False,
           int8_kernels: bool | None = None) -> str:
    """int8: int8 inputs or outputs (the float and _s8 entry points); int8_kernels: the body calls CMSIS-NN
    (default: int8; also a uint8-quantized model whose inputs and outputs are all uint8); data_checks: a
    kernel of the body returns -1 (run-time indices or parameters), the outputs are then left untouched."""
    int8_kernels = int8 if int8_kernels is None else int8_kernels
    lines = block_comment([f"{comment(name)}.c: generated by gen {__version__} from "
                           f"{comment(os.path.basename(source_path))}. Do not edit."])
    lines += [f'#include "{name}.h"', ""]
    # the headers the families list (what those include, e.g. gen_nn.h's gen_cmsis_nn.h, comes along)
    lines += [f'#include "{f}"' for f in runtime if f.endswith(".h")]
    lines += ["", "#include <float.h>", "#include <math.h>", "#include <string.h>", ""]
    lines += arena_lines(name) + [""]
    lines += ["/* where each activation tensor and scratch buffer lives in the arena */"]
    lines += ctx.offset_defines() + [""]
    if int8_kernels:
        lines += GEN_CHECK.splitlines() + [""]
    lines += PROFILE.splitlines() + [""]
    if int8_kernels and scratch_plan != "helium":
        lines += NOT_HELIUM.substitute(name=name).splitlines() + [""]
    lines += overlap_c.guard(name, ctx.plan)
    lines += ctx.decls
    lines += [""] + INVOKE.substitute(name=name, body="\n".join(body)).splitlines() + [""]

    def at(t):
        return f"ARENA + {ctx.tensor_offset[t['name']]}"
    # float16, bfloat16, float64 at the API (ir.BOUNDARY_DTYPES) are float32 in the arena; every other dtype
    # is copied as it is; a tensor without elements is never read or written (its pointer may be NULL)
    copy_in = [f"    (void)input{k};" if t["size"] == 0 else
               f"    {BOUNDARY_DTYPES[t['dtype']].to_f32}(input{k}, (float *)({at(t)}), {t['size']});"
               if t["dtype"] in BOUNDARY_DTYPES else
               f"    memcpy({at(t)}, input{k}, {t['size']} * sizeof(*input{k}));" for k, t in enumerate(io["inputs"])]
    copy_out = [f"    (void)output{k};" if t["size"] == 0 else
                f"    {BOUNDARY_DTYPES[t['dtype']].from_f32}((const float *)({at(t)}), output{k}, {t['size']});"
                if t["dtype"] in BOUNDARY_DTYPES else
                f"    memcpy(output{k}, {at(t)}, {t['size']} * sizeof(*output{k}));" for k, t in enumerate(io["outputs"])]

    # parameter inputs compiled with the value the shapes determine (gen/rtparams.py): checked first
    pre = [f"    if (!{c}) {{\n        return -1;\n    }}" for c in checks]

    def entry(p, cin, cout):
        cin = list(cin) + pre
        if data_checks:     # a kernel's run-time check failed: the outputs stay untouched
            cout = ["    if (status != 0) {", "        return status;", "    }"] + list(cout)
        text = ENTRY.substitute(proto=p, name=name, copy_in="\n".join(arena_given(name) + cin),
                                copy_out="\n".join(cout))
        return [line for line in text.splitlines() if line]    # no copies (in place): no empty line
    if int8:
        lines += entry(proto(name, io, None, None, "_s8"), copy_in, copy_out) + [""]
        # float boundary: int8 tensors are (de)quantized, float ones (a model may keep some) copied
        q_in = [f"    gen_s8_quantize_f32(input{k}, (int8_t *)({at(t)}), {t['size']}, "
                f"{c_float(t['scale'])}, {t['zero_point']});" if t["dtype"] == "int8" else copy_in[k]
                for k, t in enumerate(io["inputs"])]
        dq_out = [f"    gen_s8_dequantize_f32((const int8_t *)({at(t)}), output{k}, {t['size']}, "
                  f"{c_float(t['scale'])}, {t['zero_point']});" if t["dtype"] == "int8" else copy_out[k]
                  for k, t in enumerate(io["outputs"])]
        lines += entry(proto(name, io, "float", "float", ""), q_in, dq_out) + [""]
    else:
        lines += entry(proto(name, io, None, None, ""), copy_in, copy_out) + [""]
    # in place: the caller wrote the inputs into the arena and reads the outputs there (gen/c_arena.py)
    lines += in_place_lines(name, io, {t["name"]: ctx.tensor_offset[t["name"]] for t in io["inputs"] + io["outputs"]
                                       if t["size"]})
    lines += entry(f"int {name}_run_in_place(void)", [], []) + [""]
    return "\n".join(layout(lines))
