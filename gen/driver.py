"""The pipeline, stage by stage: frontend -> cleanup -> legalize -> int8 lowering -> layout -> fusion -> views
-> checks -> plan -> emit -> test vectors -> write."""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from . import emit, frontend, layout_pass, legalize, outdir, overlap, passes, qpasses
from .errors import GenError
from .ir import Graph
from .ops import family, freeze, supported_onnx_ops
from .plan import make_plan

EXAMPLE_MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples", "digits_cnn.onnx")
# weights (const arrays in flash) gen accepts by default: far above any microcontroller's flash, and
# low enough that the C stays buildable (--flash-limit raises it)
DEFAULT_FLASH_LIMIT = 64 * 2**20


@dataclass
class Result:
    graph: Graph
    files: dict[str, bytes]
    summary: dict


def weight_bytes_estimate(g: Graph) -> int:
    """The bytes of the constants the nodes read, as emit stores them (int64/float64 as 4 bytes)."""
    total, seen = 0, set()
    for node in g.nodes:
        for name in node.inputs:
            t = g.tensors.get(name) if name else None
            if t is None or not t.is_const or name in seen:
                continue
            seen.add(name)
            total += t.size * min(t.data.dtype.itemsize, 4)
    return total


def check_limits(g: Graph, arena: int | None, ram_limit: int | None, flash_limit: int | None,
                 weights: int | None = None) -> None:
    if ram_limit is not None and arena is not None and arena > ram_limit:
        raise GenError(f"the arena needs {arena:,} bytes, more than --ram-limit {ram_limit:,}")
    if flash_limit is not None:
        w = weight_bytes_estimate(g) if weights is None else weights
        if w > flash_limit:
            raise GenError(f"the weights need {w:,} bytes of flash, more than --flash-limit {flash_limit:,}")


def compile_graph(g: Graph, name: str, source: str, scratch: str = "dsp", ram_limit: int | None = None,
                  flash_limit: int | None = None, kernels: str = "gen", io_layout: str = "model",
                  fc_weights: str = "int16", plan: str = "overlap", ram: str = "default") -> Result:
    """scratch: 'dsp' plans CMSIS-NN's DSP-build scratch (Cortex-M4/M7/M33, and all gen needs);
    'helium' plans enough for the real CMSIS-NN's Helium build too (Cortex-M55). ram_limit and
    flash_limit (bytes) refuse a model before its C is written (writing 200 MB of weights as C text
    takes minutes, and no compiler builds it). kernels: 'gen' uses gen's layer-specialized int8 kernels
    where they apply (gen/ops/fast_s8.py), 'cmsis-nn' only CMSIS-NN API calls. io_layout: 'model' keeps the
    inputs and outputs in the model's layout; 'nhwc' (int8 models) passes those of rank >= 3 that gen computes
    channels last (TFLite's NHWC) as they are, without the transposes at the boundary. fc_weights: 'int16'
    widens the weights of gen's batch-of-one fully connected kernel at generation time (gen/ops/fast_fc.py),
    'int8' keeps them int8. plan: 'overlap' lets outputs share the bytes of inputs that die at their node
    where the kernels allow it (gen/overlap.py), 'simple' (implied by kernels 'cmsis-nn') gives every
    tensor its own bytes. ram: 'min' also cuts the first layers into row bands where that lowers the arena
    (gen/bands.py), 'low' only where no row is computed twice: the C runs the banded graph, and Result.graph stays the uncut one, which the banded C
    must equal bit for bit (the oracle of --verify and of the tests)."""
    if plan not in overlap.PLANS:
        raise GenError(f"--plan must be one of {', '.join(overlap.PLANS)}")
    if ram not in RAM_MODES:
        raise GenError(f"--ram must be one of {', '.join(RAM_MODES)}")
    g.options["plan"] = plan
    g.options["scratch"] = scratch
    g.options["fc_weights"] = fc_weights
    g.options["kernels"] = kernels
    g.options["io_layout"] = io_layout
    # the pipeline: each stage once, in this order, each a generic driver of the families' hooks
    passes.cleanup(g)       # Identity/Dropout out (is_cleanup, check_removable)
    legalize.run(g)         # the families' checks of the graph as the frontend built it (legalize)
    qpasses.run(g)          # int8 lowering: QDQ islands into int8 kernels (int8_form, keeps_quant, ...)
    if io_layout == "nhwc" and not g.options.get("int8"):
        raise GenError("--io-layout nhwc applies to int8 models (a float model computes in its own layout)")
    layout_pass.run(g, io_layout == "nhwc")     # int8 activations channels last where the kernels want them
    passes.fuse(g)          # BatchNormalization and activations into their producers (folds_batchnorm, ...)
    passes.make_views(g)    # is_view ops share their input's bytes
    g.remove_unused()
    unique_node_names(g)
    freeze(g)       # the graph is final: families' params (OpFamily.params) are computed from here on
    check_limits(g, None, None, flash_limit)
    mem = plan_graph(g)
    emitted = g
    if ram in ("low", "min"):
        from . import bands
        found = bands.smallest(g, plan_graph, mem.arena_size, ram_limit, bands.hot_steps(mem, len(g.nodes)),
                               no_extra_macs=ram == "low")
        if found is not None:
            emitted, mem = found
    check_limits(g, mem.arena_size, ram_limit, None)
    files, summary = emit.render(emitted, mem, name, source)
    check_limits(g, summary["arena_size"], ram_limit, flash_limit, summary["weight_bytes"])
    return Result(g, files, summary)


RAM_MODES = ("default", "low", "min")


def plan_graph(g: Graph, stage_links=(), prune: bool = True):
    """The memory plan of a graph whose passes are done: each node checked, its scratch and overlap rules (cached
    with its parameters: --ram min plans many graphs that share nodes, gen/bands.py), then make_plan."""
    hooks = {}
    for node in g.nodes:
        got = node.info.get(PLAN_HOOKS_KEY)
        if got is None:
            fam = family(node)
            fam.check(node, g)
            got = node.info[PLAN_HOOKS_KEY] = (int(fam.scratch(node, g)), fam.overlap(node, g))
        hooks[node.name] = got
    scratch = {n: h[0] for n, h in hooks.items()}
    rules = {n: h[1] for n, h in hooks.items()} if overlap.enabled(g) else None
    return make_plan(g, scratch, rules, stage_links, prune)


PLAN_HOOKS_KEY = "plan_hooks"   # node.info: (scratch bytes, overlap rules), dropped by ops.freeze with the parameters


def unique_node_names(g: Graph) -> None:
    """Node names key the scratch plan and the per-layer table: a model's node may be named like one the
    passes insert (conv_rq, conv_layout0, output0_layout, ...), so later duplicates get a fresh suffix."""
    seen = {n.name for n in g.nodes}
    if len(seen) == len(g.nodes):
        return
    used: set[str] = set()
    for n in g.nodes:
        if n.name in used:
            k = 1
            while f"{n.name}_{k}" in seen:
                k += 1
            n.name = f"{n.name}_{k}"
            seen.add(n.name)
        used.add(n.name)


def generate(model_path: str, out_dir: str | None = None, name: str | None = None,
             input_shapes: dict[str, tuple[int, ...]] | None = None, test_vectors: int = 1,
             test_inputs: list[np.ndarray] | None = None, ram_limit: int | None = None,
             scratch: str = "dsp", flash_limit: int | None = DEFAULT_FLASH_LIMIT, kernels: str = "gen",
             io_layout: str = "model", fc_weights: str = "int16", plan: str = "overlap",
             ram: str = "default") -> Result:
    """Compiles model_path; with out_dir, checks it before compiling and writes it (see gen/outdir.py).
    ram_limit, flash_limit: refuse a model whose arena or weights are larger (bytes), before any C is
    written or built; flash_limit also bounds what constant folding may compute."""
    # the C prefix: from --name (refused if it collides with gen's own names), else from the file name
    name = emit.user_prefix(name) if name else emit.c_identifier(os.path.splitext(os.path.basename(model_path))[0])
    for opt, v in (("--ram-limit", ram_limit), ("--flash-limit", flash_limit)):
        if v is not None and v < 0:
            raise GenError(f"{opt} must be 0 or more bytes")
    target = outdir.check(out_dir, protect=[model_path]) if out_dir else None
    g = frontend.load(model_path, input_shapes, name, supported_onnx_ops(),
                      fold_limit=flash_limit if flash_limit is not None else frontend.DEFAULT_FOLD_BYTES)
    res = compile_graph(g, name, model_path, scratch, ram_limit, flash_limit, kernels, io_layout, fc_weights,
                        plan, ram)
    if test_vectors > 0:
        from . import testvec
        res.files.update(testvec.render(res.files, res.summary, test_vectors, test_inputs))
    res.summary["stack_bytes"], res.summary["stack_target"] = stack_estimate(res.files)
    attach_report(res)
    if target:
        outdir.write(target, res.files)
    return res


def attach_report(res: Result, profile: dict | None = None) -> None:
    """NAME_report.html (gen/report_html.py) from the summary as it is now: the CLI renders it again once
    --verify or the --board build has added their results."""
    from . import report_html
    res.files[f"{res.summary['name']}_report.html"] = report_html.render(res.summary, profile)


M4_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]


def stack_estimate(files: dict[str, bytes]) -> tuple[int | None, str | None]:
    """Deepest call chain of NAME_run in bytes, compiled for a Cortex-M4 when arm-none-eabi-gcc is
    there (else for the host); None when no compiler can tell."""
    import shutil

    from . import stack
    cc, flags, target = "gcc", None, "host gcc -O2"
    if shutil.which("arm-none-eabi-gcc"):
        cc, flags, target = "arm-none-eabi-gcc", stack.CFLAGS + M4_FLAGS, "Cortex-M4, arm-none-eabi-gcc -O2"
    try:
        return stack.stack_usage(files, cc, flags), target
    except (OSError, RuntimeError):
        return None, None
