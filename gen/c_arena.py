"""Where the arena lives and the in-place I/O API: the parts of NAME.h and NAME.c that let an application
place the arena (NAME_ARENA_ATTR: attributes such as a linker section), supply it (NAME_EXTERNAL_ARENA:
the caller's buffer, given with NAME_set_arena), and write the inputs and read the outputs where the
model computes them (NAME_input<k>() / NAME_output<k>() and NAME_run_in_place(): no copies).
"""
from __future__ import annotations

from string import Template

from .c_format import block_comment
from .ir import BOUNDARY_DTYPES, C_TYPE

# the static arena is a union with a double: 8-byte aligned on the targets gen builds for (AAPCS, x86-64),
# what the caller's arena must be too
ARENA_ALIGN = 8


def arena_ctype(t: dict) -> str:
    """The C type of a graph input or output as the arena holds it: float32 for the dtypes that exist only
    at the API (float16, bfloat16, float64), int8 for int8 (NAME_run_s8's values), else its own type."""
    return "float" if t["dtype"] in BOUNDARY_DTYPES else C_TYPE[t["dtype"]]


def header_lines(name: str, io: dict) -> list[str]:
    up = name.upper()
    lines = block_comment([
        f"Where the arena lives, chosen when {name}.c is compiled (pass the same -D to every file that includes "
        f"{name}.h):",
        f"  -D'{up}_ARENA_ATTR=__attribute__((section(\".sram2\")))': attributes of the static arena (default "
        "none);",
        f"  -D{up}_EXTERNAL_ARENA: no static arena; {name}_set_arena() gives the caller's buffer of "
        f"{up}_ARENA_SIZE bytes aligned to {up}_ARENA_ALIGN (it returns -1 for a NULL or misaligned one) before "
        "the first run, and every run returns -1 until then."])
    lines += [f"#define {up}_ARENA_ALIGN {ARENA_ALIGN}", f"#ifdef {up}_EXTERNAL_ARENA",
              f"int {name}_set_arena(void *arena);", "#endif", ""]
    lines += block_comment([
        f"In place, without copies: write input k at {name}_input<k>(), call {name}_run_in_place(), read output k "
        f"at {name}_output<k>(). The pointers are into the arena (with {up}_EXTERNAL_ARENA: valid once "
        f"{name}_set_arena succeeded) and hold the values as the model computes them: int8 for int8 tensors "
        "(as the _s8 entry point takes them), float for float16, bfloat16 and float64 ones, the dtype's own "
        "type for the others; NULL for a tensor without elements. A run overwrites the inputs (write them before "
        f"each run); it returns what {name}_run returns, and after -1 the outputs hold no result."])
    lines += [f"{arena_ctype(t)} *{name}_input{k}(void);" for k, t in enumerate(io["inputs"])]
    lines += [f"const {arena_ctype(t)} *{name}_output{k}(void);" for k, t in enumerate(io["outputs"])]
    lines += [f"int {name}_run_in_place(void);"]
    return lines


def own_identifiers(io: dict) -> list[str]:
    """The identifiers after NAME_ this module defines: no constant of the model takes one."""
    return ["set_arena", "run_in_place", *(f"input{k}" for k in range(len(io["inputs"]))),
            *(f"output{k}" for k in range(len(io["outputs"])))]


ARENA = Template("""\
/* the arena: every activation and scratch buffer at an offset fixed at generation time (the .h: where) */
#ifndef ${UP}_ARENA_ATTR
#define ${UP}_ARENA_ATTR
#endif
#ifdef ${UP}_EXTERNAL_ARENA
#ifdef GEN_ARENA_GUARD
#error "GEN_ARENA_GUARD guards the static arena: not with an external one"
#endif
static uint8_t *${name}_arena; /* the caller's */
int ${name}_set_arena(void *arena)
{
    if (arena == NULL || (uintptr_t)arena % ${UP}_ARENA_ALIGN != 0) {
        return -1;
    }
    ${name}_arena = (uint8_t *)arena;
    return 0;
}
#define ARENA (${name}_arena)
#elif !defined(GEN_ARENA_GUARD)
static union {
    double align;
    uint8_t bytes[${UP}_ARENA_SIZE];
} ${name}_arena ${UP}_ARENA_ATTR;
#define ARENA (${name}_arena.bytes)
#else /* test builds (-DGEN_ARENA_GUARD=64): guard bytes on both sides catch out-of-arena writes */
static struct {
    uint8_t lo[GEN_ARENA_GUARD];
    union {
        double align;
        uint8_t bytes[${UP}_ARENA_SIZE];
    } a;
    uint8_t hi[GEN_ARENA_GUARD];
} ${name}_arena ${UP}_ARENA_ATTR;
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


def arena_lines(name: str) -> list[str]:
    return ARENA.substitute(UP=name.upper(), name=name).splitlines()


def arena_given(name: str) -> list[str]:
    """The first statement of every entry point: with NAME_EXTERNAL_ARENA, -1 until an arena was given."""
    return [f"#ifdef {name.upper()}_EXTERNAL_ARENA", f"    if ({name}_arena == NULL) {{", "        return -1;",
            "    }", "#endif"]


def in_place_lines(name: str, io: dict, offset: dict[str, str]) -> list[str]:
    """NAME_input<k>() / NAME_output<k>(): `offset` maps a tensor name to its arena offset's macro."""
    lines = block_comment([f"the inputs and outputs where the model reads and writes them ({name}.h: in place)"])
    for kind, const in (("input", ""), ("output", "const ")):
        for k, t in enumerate(io[kind + "s"]):
            ct = arena_ctype(t)
            where = "NULL" if t["size"] == 0 else f"({const}{ct} *)(ARENA + {offset[t['name']]})"
            lines += [f"{const}{ct} *{name}_{kind}{k}(void)", "{", f"    return {where};", "}", ""]
    return lines
