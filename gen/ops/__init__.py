"""Op families: one module per family, each registering the ops it implements.

An op family knows, for the nodes it owns: the checks that refuse what it cannot do (GenError
with the node), the MACs, the scratch bytes it needs in the arena, the kernel it calls (for the
summary) and the C it emits. Adding an op touches only its family's module (and the import list
below).
"""
from __future__ import annotations

from ..errors import GenError
from ..ir import Graph, Node


class OpFamily:
    ops: tuple[str, ...] = ()          # ONNX op types owned by this family
    runtime: tuple[str, ...] = ()      # runtime_c files the emitted code needs

    def check(self, node: Node, g: Graph) -> None:
        """Refuse (GenError) what the kernel cannot compute; called after passes."""

    def macs(self, node: Node, g: Graph) -> int:
        return 0

    def scratch(self, node: Node, g: Graph) -> int:
        """Bytes of arena scratch the kernel needs while it runs."""
        return 0

    def kernel(self, node: Node, g: Graph) -> str:
        """The C function called (shown in the summary)."""
        return ""

    def emit(self, node: Node, g: Graph, ctx) -> str:
        raise NotImplementedError

    def runtime_files(self, node: Node, g: Graph) -> tuple[str, ...]:
        return self.runtime


REGISTRY: dict[str, OpFamily] = {}
# ops that exist only until passes remove or fold them
PASS_ONLY_OPS = {"Identity", "Dropout"}


def register(cls: type[OpFamily]) -> type[OpFamily]:
    """Class decorator: one instance of the family serves all its ops."""
    inst = cls()
    for op in cls.ops:
        REGISTRY[op] = inst
    return cls


def family(node: Node) -> OpFamily:
    fam = REGISTRY.get(node.op)
    if fam is None:
        raise GenError(f"operator {node.op} is not supported (python -m gen --list-ops shows the supported ones)",
                       node.name, node.op)
    return fam


# ONNX ops read only by qpasses (folded into int8 kernels or kept as quantize/dequantize)
QUANTIZED_ONNX_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul"}


def supported_onnx_ops() -> set[str]:
    """ONNX op types gen accepts (internal int8 kernel names, which end in S8, are not ONNX ops)."""
    return {op for op in REGISTRY if not op.endswith("S8") and op != "Copy"} | PASS_ONLY_OPS | QUANTIZED_ONNX_OPS


def attr_ints(node: Node, name: str, default):
    v = node.attrs.get(name, default)
    return [int(x) for x in v] if v is not None else None


def spatial(node: Node, in_sizes: list[int], kernel: list[int]) -> tuple[list[int], list[int], list[int], list[int]]:
    """Strides, dilations, pads before and pads after of a Conv/Pool node, auto_pad resolved per the spec."""
    nd = len(in_sizes)
    strides = attr_ints(node, "strides", [1] * nd)
    dil = attr_ints(node, "dilations", [1] * nd)
    auto_pad = node.attrs.get("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        before, after = [], []
        for i in range(nd):
            out = -(-in_sizes[i] // strides[i])
            total = max((out - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - in_sizes[i], 0)
            small = total // 2
            before.append(small if auto_pad == "SAME_UPPER" else total - small)
            after.append(total - before[-1])
    elif auto_pad == "VALID":
        before, after = [0] * nd, [0] * nd
    elif auto_pad == "NOTSET":
        pads = attr_ints(node, "pads", [0] * (2 * nd))
        before, after = pads[:nd], pads[nd:]
    else:
        raise GenError(f"auto_pad '{auto_pad}' is not a valid value", node.name, node.op)
    if len(strides) != nd or len(dil) != nd or len(before) != nd:
        raise GenError("strides/dilations/pads do not match the number of spatial dims", node.name, node.op)
    if any(s < 1 for s in strides) or any(d < 1 for d in dil) or any(p < 0 for p in before + after):
        raise GenError("strides and dilations must be positive and pads non-negative", node.name, node.op)
    return strides, dil, before, after


def dims6(values) -> str:
    """A C initializer for an int32_t[GEN_MAX_DIMS] field."""
    v = [int(i) for i in values]
    return "{" + ", ".join(str(i) for i in v + [0] * (6 - len(v))) + "}"


def contiguous_strides(shape) -> list[int]:
    out, acc = [], 1
    for d in reversed(list(shape)):
        out.append(acc)
        acc *= int(d)
    return list(reversed(out))


def broadcast_strides(shape, out_shape) -> list[int]:
    """Element strides of `shape` seen as `out_shape` (numpy broadcasting): 0 on broadcast dims."""
    shp = [1] * (len(out_shape) - len(shape)) + list(shape)
    return [s if d > 1 else 0 for s, d in zip(contiguous_strides(shp), shp)]


def as_2d(values: list[int], fill: int) -> list[int]:
    """1-D spatial parameters as 2-D ones with a leading unit dim."""
    return [fill] + list(values) if len(values) == 1 else list(values)


from . import activation, batchnorm, conv, elementwise, gemm, layout, pool, reduce, softmax  # noqa: E402,F401
from . import conv_s8, elementwise_s8, fc_s8, pool_s8, quantize, softmax_s8  # noqa: E402,F401
