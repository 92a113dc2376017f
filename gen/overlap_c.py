"""The C of an overlapping memory plan (gen/plan.py, gen/overlap.py): the refusal to build it against the real
CMSIS-NN, and the GEN_CHECK_OVERLAP test build.

GEN_CHECK_OVERLAP (tests/test_plan_overlap.py): before each overlapped layer runs in the planned arena, the
same layer runs from a private copy of its input into a private output; the run returns -3 when the two
outputs differ in any byte (the layer overwrote input it had not read yet).
"""
from __future__ import annotations

from .c_format import block_comment
from .c_literals import comment

CHECK_STATUS = -3


def guard(name: str, plan) -> list[str]:
    """The lines after the offsets: the #error for GEN_USE_CMSIS_NN and the check build's buffers."""
    layers = [o for o in plan.overlaps if not o.stage]    # a row-band stage's link is between layers
    if not layers:
        return []
    ins = max(o.input_bytes for o in layers)
    outs = max(o.output_bytes for o in layers)
    lines = block_comment([f"the memory plan lets {len(layers)} layers write their outputs over inputs they "
                           "consume, as gen's kernels", "allow (gen/overlap.py); CMSIS-NN promises no overlap: "
                           "to link it, generate with --plan simple"])
    lines += ["#ifdef GEN_USE_CMSIS_NN",
              '#error "overlapping memory plan: generate with --plan simple to link the real CMSIS-NN"',
              "#endif",
              "#ifdef GEN_CHECK_OVERLAP /* test builds: each overlapped layer also runs from a private copy */",
              f"static union {{ double align; uint8_t bytes[{ins}]; }} {name}_check_in;",
              f"static union {{ double align; uint8_t bytes[{outs}]; }} {name}_check_out;",
              "#endif", ""]
    return lines


def checked(name: str, ctx, overlap, run, private_run) -> list[str]:
    """The layer's lines in the check build: the private run, the planned run, the comparison."""
    up_in = ctx.tensor_offset[overlap.input_tensor]
    up_out = ctx.tensor_offset[overlap.output]
    # indented by 4 in the body: cut to fit there
    note = [line[4:] for line in block_comment([f"'{comment(overlap.output)}' shares {overlap.shared} bytes with "
                                                f"'{comment(overlap.input)}'"], "    ")]
    return (note + ["#ifdef GEN_CHECK_OVERLAP",
             f"memcpy({name}_check_in.bytes, ARENA + {up_in}, {overlap.input_bytes});"]
            + private_run.splitlines() + ["#endif"] + run.splitlines()
            + ["#ifdef GEN_CHECK_OVERLAP",
               f"if (memcmp({name}_check_out.bytes, ARENA + {up_out}, {overlap.output_bytes}) != 0) {{",
               f"    return {CHECK_STATUS};", "}", "#endif"])
