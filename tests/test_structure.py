"""Structure rules of the code (issue 9): op-specific rules live in gen/ops, passes only drive the
families' traits and hooks."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

import gen.ops as ops

ROOT = Path(__file__).resolve().parents[1]
PASS_FILES = sorted((ROOT / "gen").glob("passes*.py")) + sorted((ROOT / "gen").glob("qpasses*.py")) + \
    [ROOT / "gen" / "layout_pass.py", ROOT / "gen" / "legalize.py"]


def op_names() -> set[str]:
    """Every op type gen knows: the registry's (ONNX and gen's own int8 kernels) and the ONNX ops it accepts."""
    return set(ops.REGISTRY) | ops.supported_onnx_ops() | set(ops.QUANTIZED_ONNX_OPS)


def op_literals(path: Path) -> list[tuple[int, str]]:
    names = op_names()
    tree = ast.parse(path.read_text(), str(path))
    return sorted((n.lineno, n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in names)


def test_pass_files_found():
    assert {p.name for p in PASS_FILES} >= {"passes.py", "qpasses.py"}


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
