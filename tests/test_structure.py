"""Structure rules of the code (issue 9): op-specific rules live in gen/ops, passes only drive the
families' traits and hooks."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gen.ops as ops

ROOT = Path(__file__).resolve().parents[1]
PASS_FILES = sorted((ROOT / "gen").glob("passes*.py")) + sorted((ROOT / "gen").glob("qpasses*.py")) + \
    [ROOT / "gen" / "layout_pass.py", ROOT / "gen" / "legalize.py", ROOT / "gen" / "driver.py",
     ROOT / "gen" / "frontend.py"]


def op_names() -> set[str]:
    """Every op type gen knows: the registry's (ONNX and gen's own int8 kernels) and the ONNX ops it accepts."""
    return set(ops.REGISTRY) | ops.supported_onnx_ops() | set(ops.QUANTIZED_ONNX_OPS)


def op_literals(path: Path) -> list[tuple[int, str]]:
    names = op_names()
    tree = ast.parse(path.read_text(), str(path))
    return sorted((n.lineno, n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in names)


def test_pass_files_found():
    assert {p.name for p in PASS_FILES} >= {"passes.py", "qpasses.py", "layout_pass.py", "legalize.py", "driver.py",
                                            "frontend.py"}
    assert all(p.exists() for p in PASS_FILES)


@pytest.mark.parametrize("path", PASS_FILES, ids=lambda p: p.name)
def test_no_op_type_literals_in_passes(path):
    found = op_literals(path)
    assert not found, f"{path.name} names op types {found}: declare the rule as a trait of the op's family in gen/ops"


def test_the_check_sees_op_literals(tmp_path):
    src = tmp_path / "passes_x.py"
    src.write_text('def f(node):\n    return node.op in ("Conv", "ReluX") or node.op == "AvgPoolS8"\n')
    assert op_literals(src) == [(2, "AvgPoolS8"), (2, "Conv")]


def test_every_onnx_op_has_a_family():
    """Every op the frontend accepts, except the QOperator ones that gen.qoperator rewrites and the old
    ones gen.opsets converts (Upsample), has a family: its rules are found through the registry."""
    from gen.opsets import RENAMED
    missing = ops.supported_onnx_ops() - set(ops.REGISTRY) - {o for o in ops.QUANTIZED_ONNX_OPS
                                                              if o.startswith("QLinear")} - set(RENAMED)
    assert not missing


def test_int8_kernels_are_registered():
    """Every int8 form a family declares is an op some family owns (emits)."""
    for fam in set(ops.REGISTRY.values()):
        for op, k in fam.int8_kernels.items():
            assert op in fam.ops, (type(fam).__name__, op)
            assert k in ops.REGISTRY, (op, k)


def test_role_ops_are_unique():
    for trait in ("requantizes", "transposes_layout", "is_copy", "quantizes", "dequantizes"):
        ops.op_with(trait)


PIPELINE = ["passes.cleanup", "legalize.run", "qpasses.run", "layout_pass.run", "passes.fuse", "passes.make_views"]


def _stage_calls(fn: ast.FunctionDef) -> list[str]:
    """The module-level pass calls (`passes.x(...)`, `qpasses.x(...)`, ...) a function makes, in order."""
    mods = {"passes", "qpasses", "legalize", "layout_pass"}
    calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id in mods]
    return [f"{c.func.value.id}.{c.func.attr}" for c in sorted(calls, key=lambda c: (c.lineno, c.col_offset))]


def test_pipeline_stages_in_order_each_once():
    """driver.compile_graph runs cleanup -> legalize -> int8 lowering -> layout -> fusion -> views, each
    once, and nothing else calls the passes (no back and forth)."""
    tree = ast.parse((ROOT / "gen" / "driver.py").read_text())
    fns = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert _stage_calls(fns["compile_graph"]) == PIPELINE
    assert all(not _stage_calls(f) for name, f in fns.items() if name != "compile_graph")
    for path in PASS_FILES:       # no pass module runs another stage
        if path.name != "driver.py":
            mods = {"passes": "passes.py", "qpasses": "qpasses.py", "legalize": "legalize.py",
                    "layout_pass": "layout_pass.py"}
            calls = [c for f in ast.walk(ast.parse(path.read_text())) if isinstance(f, ast.FunctionDef)
                     for c in _stage_calls(f)]
            # a stage (PIPELINE) is run only by driver.compile_graph; helpers of those modules (such as
            # legalize.refuse_graph_input_params, the frontend's check of graph inputs) may be called
            assert not [c for c in calls if c in PIPELINE and mods[c.split(".")[0]] != path.name], (path.name, calls)


def test_pipeline_order_on_a_graph(monkeypatch):
    """The stages run in PIPELINE's order on a real compile (each once)."""
    from gen import driver, layout_pass, legalize, passes, qpasses
    from graphs import gen_compile, make_model, node
    seen = []
    for name in PIPELINE:
        mod, fn = name.split(".")
        m = {"passes": passes, "qpasses": qpasses, "legalize": legalize, "layout_pass": layout_pass}[mod]
        real = getattr(m, fn)
        monkeypatch.setattr(m, fn, lambda g, *a, _r=real, _n=name, **kw: (seen.append(_n), _r(g, *a, **kw))[1])
    assert driver.passes is passes
    gen_compile(make_model([node("Identity", ["x"], ["i"]), node("Relu", ["i"], ["y"])],
                           {"x": (1, 4)}, ["y"]))
    assert seen == PIPELINE
