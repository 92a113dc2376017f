"""The model's C source (NAME.c): the arena and its named offsets, the weights and parameter structs,
the invoke function (one commented block per node) and the entry points NAME_run / NAME_run_s8."""
from __future__ import annotations

import os
import re
from string import Template

import numpy as np

from . import __version__
from .c_format import block_comment, layout
from .c_header import proto
from .c_literals import c_float, c_identifier, c_values, comment
from .ir import C_TYPE, Graph
from .plan import Plan

# the runtime headers generated code includes (gen_nn.h picks gen_cmsis_nn.h or the real arm_nnfunctions.h)
PUBLIC_HEADERS = ("gen_f32.h", "gen_layout.h", "gen_nn.h", "gen_scatter.h")


class EmitContext:
    """What op modules use to name memory and data while emitting one model.

    Arena offsets are named: activation tensor k at NAME_T<k>_OFFSET, the scratch of the k-th node
    that has one at NAME_SCRATCH<k>_OFFSET (numbers in the plan's order; the tensor or node name
    stands beside the #define as a comment, never in the identifier)."""

    def __init__(self, g: Graph, plan: Plan, prefix: str):
        self.g, self.plan, self.prefix = g, plan, prefix
        self.decls: list[str] = []          # static const data and parameter structs
        self._arrays: dict[bytes, str] = {}
        self._count: dict[str, int] = {}
        self.weight_bytes = 0
        self.node = None
        up = prefix.upper()
        self.tensor_offset = {t: f"{up}_T{k}_OFFSET" for k, t in enumerate(plan.offsets)}
        self.scratch_offset = {n: f"{up}_SCRATCH{k}_OFFSET" for k, n in enumerate(plan.scratch)}
        self._offset_value = {**{m: plan.offsets[t] for t, m in self.tensor_offset.items()},
                              **{m: plan.scratch[n].offset for n, m in self.scratch_offset.items()}}
        self._offset_macro = re.compile(rf"\b{up}_(?:T|SCRATCH)\d+_OFFSET\b")

    def _name(self, hint: str) -> str:
        hint = c_identifier(hint)
        k = self._count.get(hint, 0)
        self._count[hint] = k + 1
        return f"{self.prefix}_{hint}{k}"

    def ptr(self, tensor: str) -> str:
        t = self.g.t(tensor)
        if t.is_const:
            return self.array(t.data.astype(t.dtype), "c")
        return f"(({t.ctype} *)(ARENA + {self.tensor_offset[tensor]}))"

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
        # identical parameter structs are stored once: compared with the offsets' values, as before
        # they were named (two scratch buffers at one offset share one cmsis_nn_context)
        key = f"{ctype}={self._offset_macro.sub(lambda m: str(self._offset_value[m.group(0)]), init)}".encode()
        if key not in self._arrays:
            name = self._name(hint)
            self.decls.append(f"static const {ctype} {name} = {{{init}}};")
            self._arrays[key] = name
        return "&" + self._arrays[key]

    def scratch(self, node) -> str:
        b = self.plan.scratch.get(node.name)
        return f"(void *)(ARENA + {self.scratch_offset[node.name]})" if b else "NULL"

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


ARENA = Template("""\
/* the arena: every activation and scratch buffer at an offset fixed at generation time */
#ifndef GEN_ARENA_GUARD
static union {
    double align;
    uint8_t bytes[${UP}_ARENA_SIZE];
} ${name}_arena;
#define ARENA (${name}_arena.bytes)
#else /* test builds (-DGEN_ARENA_GUARD=64): guard bytes on both sides catch out-of-arena writes */
static struct {
    uint8_t lo[GEN_ARENA_GUARD];
    union {
        double align;
        uint8_t bytes[${UP}_ARENA_SIZE];
    } a;
    uint8_t hi[GEN_ARENA_GUARD];
} ${name}_arena;
#define ARENA (${name}_arena.a.bytes)
static int ${name}_guard_set;
static void ${name}_guard_fill(void)
{
    if (!${name}_guard_set) {
        memset(${name}_arena.lo, 0xA5, GEN_ARENA_GUARD);
        memset(${name}_arena.hi, 0xA5, GEN_ARENA_GUARD);
        ${name}_guard_set = 1;
    }
}
/* 1 while no run has written outside the arena since the first run */
int ${name}_guard_ok(void);
int ${name}_guard_ok(void)
{
    int i;
    for (i = 0; i < GEN_ARENA_GUARD; i++) {
        if (${name}_arena.lo[i] != 0xA5
            || ${name}_arena.hi[i] != 0xA5) {
            return 0;
        }
    }
    return 1;
}
#endif
""")

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

INVOKE = Template("""\
static int ${name}_invoke(void)
{
#ifdef GEN_ARENA_GUARD
    ${name}_guard_fill();
#endif
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
           source_path: str, scratch_plan: str) -> str:
    up = name.upper()
    lines = block_comment([f"{comment(name)}.c: generated by gen {__version__} from "
                           f"{comment(os.path.basename(source_path))}. Do not edit."])
    lines += [f'#include "{name}.h"', ""]
    lines += [f'#include "{f}"' for f in runtime if f in PUBLIC_HEADERS]
    lines += ["", "#include <float.h>", "#include <math.h>", "#include <string.h>", ""]
    lines += ARENA.substitute(UP=up, name=name).splitlines() + [""]
    lines += ["/* where each activation tensor and scratch buffer lives in the arena */"]
    lines += ctx.offset_defines() + [""]
    if int8:
        lines += GEN_CHECK.splitlines() + [""]
    if int8 and scratch_plan != "helium":
        lines += NOT_HELIUM.substitute(name=name).splitlines() + [""]
    lines += ctx.decls
    lines += [""] + INVOKE.substitute(name=name, body="\n".join(body)).splitlines() + [""]

    def at(t):
        return f"ARENA + {ctx.tensor_offset[t['name']]}"
    copy_in = [f"    memcpy({at(t)}, input{k}, {t['size']} * sizeof(*input{k}));" for k, t in enumerate(io["inputs"])]
    copy_out = [f"    memcpy(output{k}, {at(t)}, {t['size']} * sizeof(*output{k}));"
                for k, t in enumerate(io["outputs"])]

    def entry(p, cin, cout):
        return ENTRY.substitute(proto=p, name=name, copy_in="\n".join(cin), copy_out="\n".join(cout)).splitlines()
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
    return "\n".join(layout(lines))
