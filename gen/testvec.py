"""Test vectors for the firmware: inputs and the outputs the generated C computes on the host.

gen_testvec.c runs the model on each vector and compares: bit-exact for int8 outputs, within a
tolerance relative to the largest expected magnitude for float outputs (the board's libm and FMA
contraction differ from the host's in the last bits); a run that returns nonzero fails its vector.

Streaming (``state``: pairs of a state input and the output that is its next value): the vectors are
consecutive frames of one stream. Only frame 0's state comes from the vector; for frame i > 0 the
firmware feeds the state the board itself computed for frame i - 1 (gen_tv_run copies it), so the
state is carried across calls on the board as an application carries it, and each frame's outputs
are compared with the host's run of the same frames carried the same way.
"""
from __future__ import annotations

import numpy as np

from .emit import c_values
from .errors import GenError, counted
from .host import HostModel
from .ir import BOUNDARY_DTYPES, C_TYPE, NP_DTYPE
from .verify import quantize

FLOAT_RTOL = 1e-4


def default_inputs(summary: dict, k: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1234 + k)
    out = []
    for t in summary["inputs"]:
        x = random_input(rng, t["dtype"], t["shape"])
        out.append(np.asarray(t["sample"], x.dtype).reshape(x.shape) if "sample" in t else x)
    return out


def random_input(rng, dtype: str, shape) -> np.ndarray:
    """Random values of an API dtype: standard normal floats, integers over the dtype's range (int32/int64:
    within +-1000, as indices and counts are), bool 0/1."""
    if dtype == "float32" or dtype in BOUNDARY_DTYPES:
        return rng.standard_normal(shape).astype(NP_DTYPE[dtype])
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    info = np.iinfo(NP_DTYPE[dtype])
    lo, hi = max(int(info.min), -1000), min(int(info.max), 1000)
    return rng.integers(lo, hi + 1, size=shape).astype(NP_DTYPE[dtype])


def check_inputs(summary: dict, inputs: list[np.ndarray]) -> None:
    """A user-given sample (--test-input) must be real numbers with as many values as the model's input."""
    if len(inputs) != len(summary["inputs"]):
        raise GenError(f"--test-input gives {counted(len(inputs), 'array')}, the model has "
                       f"{counted(len(summary['inputs']), 'input')}")
    for x, t in zip(inputs, summary["inputs"]):
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise GenError(f"--test-input has dtype {x.dtype}, input '{t['name']}' needs numbers")
        if x.size != t["size"]:
            raise GenError(f"--test-input has shape {list(x.shape)} ({counted(x.size, 'value')}), input "
                           f"'{t['name']}' is {t['shape']} ({counted(t['size'], 'value')})")


def state_pairs(summary: dict, state) -> list[tuple[int, int]]:
    """[(input index, output index)] of the (input name, output name) pairs of a streaming model: each pair
    must name an input and an output of the same dtype, size and (int8) quantization."""
    ins = {t["name"]: k for k, t in enumerate(summary["inputs"])}
    outs = {t["name"]: k for k, t in enumerate(summary["outputs"])}
    pairs = []
    for i_name, o_name in state or ():
        if i_name not in ins or o_name not in outs:
            raise GenError(f"streaming state '{i_name}' -> '{o_name}': the model has no such "
                           f"{'input' if i_name not in ins else 'output'}")
        ti, to = summary["inputs"][ins[i_name]], summary["outputs"][outs[o_name]]
        if (ti["dtype"], ti["size"]) != (to["dtype"], to["size"]):
            raise GenError(f"streaming state '{i_name}' ({ti['dtype']}, {ti['size']} values) and '{o_name}' "
                           f"({to['dtype']}, {to['size']} values) differ")
        if (ti.get("scale"), ti.get("zero_point")) != (to.get("scale"), to.get("zero_point")):
            raise GenError(f"streaming state '{i_name}' and '{o_name}' have different int8 quantization")
        if ins[i_name] in [p[0] for p in pairs]:
            raise GenError(f"streaming state '{i_name}' is paired twice")
        pairs.append((ins[i_name], outs[o_name]))
    return pairs


class _Refused(Exception):
    """The host build's run returned -1: the inputs hold values the compiled model cannot compute."""


def _vector(model, summary: dict, ins) -> tuple[list, list]:
    """(inputs as the API takes them, the outputs the C computes on the host) of one test vector."""
    try:
        if model.int8:
            # float samples for int8 inputs: quantize as the boundary does
            ins = [np.asarray(i) if np.asarray(i).dtype == np.int8 else quantize(i, t)
                   for i, t in zip(ins, summary["inputs"])]
            return ins, model.run_s8(*ins)
        ins = [np.asarray(i, NP_DTYPE[t["dtype"]]) for i, t in zip(ins, summary["inputs"])]
        return ins, model.run(*ins)
    except RuntimeError as e:
        if str(e).endswith("returned -1"):
            raise _Refused() from None
        raise


def render(files: dict[str, bytes], summary: dict, count: int, inputs: list[np.ndarray] | None = None,
           state=None) -> dict[str, bytes]:
    """gen_testvec.c/.h with `count` vectors; `state`: (input name, output name) pairs of a streaming
    model (the vectors are then consecutive frames, see the module's docstring)."""
    model = HostModel(files)
    int8 = model.int8
    vecs = []
    if inputs is not None:
        check_inputs(summary, inputs)
    pairs = state_pairs(summary, state)
    carried = {j: o for j, o in pairs}
    for k in range(count):
        given = inputs is not None and k == 0
        ins = inputs if given else default_inputs(summary, k)
        if k > 0:
            ins = [vecs[-1][1][carried[j]] if j in carried else x for j, x in enumerate(ins)]
        try:
            vecs.append(_vector(model, summary, ins))
        except _Refused:
            if given:
                raise GenError("the model's run returns -1 on the --test-input (values the compiled model cannot "
                               "compute, e.g. indices out of range): give another one") from None
            # drawn integers (+-1000) may be indices or sizes out of range: zero is valid for any non-empty axis
            ins = [np.zeros_like(x) if np.issubdtype(np.asarray(x).dtype, np.integer) and j not in carried else x
                   for j, x in enumerate(ins)]
            try:
                vecs.append(_vector(model, summary, ins))
            except _Refused:
                raise GenError("cannot make a test vector: the model's run returns -1 on random inputs and on "
                               "integer inputs of 0 (values it cannot compute): give one with --test-input") from None
    name = summary["name"]
    run = f"{name}_run_s8" if int8 else f"{name}_run"
    lines = ["/* gen_testvec.c: generated by gen. Test vectors for the firmware: inputs and the outputs the",
             " * generated C computed on the host. */", '#include "gen_testvec.h"', f'#include "{name}.h"',
             # the boundary dtypes' conversion of one value (gen_tv_check compares values)
             *sorted({f'#include "{BOUNDARY_DTYPES[t["dtype"]].header}"' for t in summary["outputs"]
                      if t["dtype"] in BOUNDARY_DTYPES and BOUNDARY_DTYPES[t["dtype"]].to_f32_one}), "",
             f'const char *const gen_tv_model_name = "{name}";',
             f"const unsigned long gen_tv_arena_size = {name.upper()}_ARENA_SIZE;",
             f"const unsigned gen_tv_count = {count};", ""]
    for kind, ios, idx in (("in", summary["inputs"], 0), ("exp", summary["outputs"], 1)):
        for j, t in enumerate(ios):
            ct = C_TYPE[t["dtype"]]
            if t["size"] == 0:
                continue        # no elements: the entry point reads and writes nothing (a null pointer)
            rows = []
            for v in (vecs[:1] if kind == "in" and j in carried else vecs):
                vals = c_values(_bits(np.asarray(v[idx][j]), t["dtype"]))
                rows.append("{" + ", ".join(vals) + "}")
            n = len(rows)
            lines.append(f"static const {ct} gen_tv_{kind}{j}[{n}][{t['size']}] = {{\n    " +
                         ",\n    ".join(rows) + "\n};")
    for j, t in enumerate(summary["outputs"]):
        if t["size"]:
            lines.append(f"static {C_TYPE[t['dtype']]} gen_tv_out{j}[{t['size']}];")
    for j in carried:
        lines.append(f"static {C_TYPE[summary['inputs'][j]['dtype']]} gen_tv_state{j}[{summary['inputs'][j]['size']}];")
    args = [f"gen_tv_state{j}" if j in carried else f"gen_tv_in{j}[i]" if t["size"] else "0"
            for j, t in enumerate(summary["inputs"])] + \
           [f"gen_tv_out{j}" if t["size"] else "0" for j, t in enumerate(summary["outputs"])]
    carry = []
    for j, o in pairs:
        # frame 0: the vector's state; frame i > 0: the state output of frame i - 1, as the board computed it
        carry += [f"    for (k = 0; k < {summary['inputs'][j]['size']}; k++) {{",
                  f"        gen_tv_state{j}[k] = i == 0u ? gen_tv_in{j}[0][k] : gen_tv_out{o}[k];", "    }"]
    # the run's status: nonzero fails the vector (a CMSIS-NN call's -1, the GEN_CHECK_OVERLAP build's -3), the
    # outputs left behind by a run that stopped early may still equal the expected ones
    lines += ["static int gen_tv_status;", "", "int gen_tv_run(unsigned i)", "{",
              *(["    unsigned long k;"] + carry if carry else []),
              f"    gen_tv_status = {run}({', '.join(args)});", "    return gen_tv_status;", "}", "",
              "int gen_tv_check(unsigned i, double *max_abs_err)", "{", "    int fail = gen_tv_status != 0;",
              "    unsigned long k;", "    double worst = 0.0;"]
    for j, t in enumerate(summary["outputs"]):
        if t["size"] == 0:
            continue
        if int8 or not (t["dtype"] == "float32" or t["dtype"] in BOUNDARY_DTYPES):
            tol = "0.0"       # integers and bool: exact
        else:
            mx = max(float(np.max(np.abs(v[1][j].astype(np.float64)))) for v in vecs)
            # a board's float rounding may move the last bit of a float16 (or bfloat16) output
            tol = repr(FLOAT_RTOL * mx + 1e-3 if t["dtype"] == "float16" else
                       2.0 ** -7 * mx + 1e-6 if t["dtype"] == "bfloat16" else FLOAT_RTOL * mx + 1e-6)
        # float16/bfloat16 outputs: their bits compared as values
        one = BOUNDARY_DTYPES[t["dtype"]].to_f32_one if t["dtype"] in BOUNDARY_DTYPES else ""
        out_v, exp_v = f"(double){one}(gen_tv_out{j}[k])", f"(double){one}(gen_tv_exp{j}[i][k])"
        lines += [f"    for (k = 0; k < {t['size']}; k++) {{",
                  f"        double d = {out_v} - {exp_v};",
                  "        if (d < 0) {", "            d = -d;", "        }",
                  "        if (d > worst) {", "            worst = d;", "        }",
                  f"        if (d > {tol}) {{", "            fail = 1;", "        }", "    }"]
    lines += ["    *max_abs_err = worst;", "    return fail;", "}", ""]
    header = """/* gen_testvec.h: generated by gen. The model-agnostic test-vector interface the firmware uses. */
#ifndef GEN_TESTVEC_H
#define GEN_TESTVEC_H

#include <stdint.h>

extern const char *const gen_tv_model_name;
extern const unsigned long gen_tv_arena_size;   /* bytes */
extern const unsigned gen_tv_count;             /* number of test vectors */
int gen_tv_run(unsigned i);                     /* runs the model on vector i (streaming: in order from 0),
                                                   returns the run's status (0: it ran) */
int gen_tv_check(unsigned i, double *max_abs_err); /* 0 if the run returned 0 and the outputs match */

#endif
"""
    return {"gen_testvec.h": header.encode(), "gen_testvec.c": "\n".join(lines).encode()}


def _bits(a: np.ndarray, dtype: str) -> np.ndarray:
    """An API value as the C array's elements: float16, bfloat16 as their uint16 bits, float64 as the float32 the
    graph computes it in (exact in a double array), bool as 0/1 bytes."""
    if dtype == "float64":
        return np.asarray(a, np.float64).astype(np.float32)
    if dtype in BOUNDARY_DTYPES:
        return np.asarray(a, BOUNDARY_DTYPES[dtype].np).view(np.uint16)
    if dtype == "bool":
        return np.asarray(a).astype(np.uint8)
    return np.asarray(a).astype(NP_DTYPE[dtype])
