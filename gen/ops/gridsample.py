"""GridSample (ONNX opset 16-22, float32, as the ONNX reference computes it): a 4-D [N, C, H, W] or
5-D [N, C, D, H, W] input sampled at the normalized coordinates of a run-time (or constant) grid,
mode nearest (halves to even), linear (bilinear / trilinear) or cubic (bicubic, 4-D only; cubic
coefficient -0.75; not with border padding, where onnxruntime and the ONNX
reference disagree), padding_mode zeros, border or reflection, align_corners 0 or 1. Opset 16's
mode names bilinear and bicubic are the same modes. Kernel: runtime_c/gen_sample.c (the taps of each
output point are computed once and applied to every channel).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import GenError
from . import OpFamily, c_fields, register

RUNTIME = ("gen_sample.h", "gen_sample.c")
MODES = {"nearest": "GEN_GS_NEAREST", "linear": "GEN_GS_LINEAR", "bilinear": "GEN_GS_LINEAR",
         "cubic": "GEN_GS_CUBIC", "bicubic": "GEN_GS_CUBIC"}
PADDINGS = {"zeros": "GEN_GS_ZEROS", "border": "GEN_GS_BORDER", "reflection": "GEN_GS_REFLECTION"}


def _s(v):
    return v.decode() if isinstance(v, bytes) else v


@dataclass(frozen=True)
class GridSampleParams:
    n: int
    c: int
    ndim: int
    spatial_in: tuple
    spatial_out: tuple
    mode: str
    padding: str
    align_corners: int


def gridsample_params(node, g) -> GridSampleParams:
    x, grid, y = g.t(node.inputs[0]), g.t(node.inputs[1]), g.t(node.outputs[0])
    for t in (x, grid):
        if t.dtype != "float32":
            raise GenError(f"input '{t.name}' is {t.dtype}: GridSample computes in float32", node.name, node.op)
    mode = _s(node.attrs.get("mode", "linear" if g.opset >= 20 else "bilinear"))
    pad = _s(node.attrs.get("padding_mode", "zeros"))
    align = int(node.attrs.get("align_corners", 0))
    if mode not in MODES:
        raise GenError(f"mode '{mode}' is not a GridSample mode ({', '.join(MODES)})", node.name, node.op)
    if pad not in PADDINGS:
        raise GenError(f"padding_mode '{pad}' is not valid ({', '.join(PADDINGS)} are)", node.name, node.op)
    if align not in (0, 1):
        raise GenError(f"align_corners = {align} (0 or 1)", node.name, node.op)
    rank = len(x.shape)
    if rank not in (4, 5):
        raise GenError(f"a {rank}-D GridSample input is not supported (4-D and 5-D are)", node.name, node.op)
    nd = rank - 2
    if MODES[mode] == "GEN_GS_CUBIC" and nd != 2:
        raise GenError("cubic GridSample is defined for 4-D inputs only", node.name, node.op)
    if MODES[mode] == "GEN_GS_CUBIC" and pad == "border":
        raise GenError("cubic with padding_mode border is not supported: onnxruntime (as PyTorch) clamps only the "
                       "taps, the ONNX reference also the coordinate, and their results differ", node.name, node.op)
    if (len(grid.shape) != rank or grid.shape[0] != x.shape[0] or grid.shape[-1] != nd
            or list(y.shape) != [x.shape[0], x.shape[1], *grid.shape[1:-1]]):
        raise GenError(f"grid {list(grid.shape)} does not fit input {list(x.shape)} (grid [N, out..., {nd}], "
                       f"output {list(y.shape)})", node.name, node.op)
    sin = (1,) * (3 - nd) + tuple(int(d) for d in x.shape[2:])
    sout = (1,) * (3 - nd) + tuple(int(d) for d in grid.shape[1:-1])
    return c_fields(GridSampleParams(int(x.shape[0]), int(x.shape[1]), nd, sin, sout, MODES[mode], PADDINGS[pad],
                                     align), node, "GridSample parameter")


@register
class GridSample(OpFamily):
    ops = ("GridSample",)
    runtime = RUNTIME
    limits = {"GridSample": "4-D and 5-D inputs (cubic: 4-D, not with border padding)"}

    def legalize(self, node, g):
        gridsample_params(node, g)

    def prepare(self, node, g):
        return gridsample_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def kernel(self, node, g):
        return "gen_f32_gridsample"

    def macs(self, node, g):
        p = self.params(node, g)
        taps = {"GEN_GS_NEAREST": 1, "GEN_GS_LINEAR": 2, "GEN_GS_CUBIC": 4}[p.mode] ** p.ndim
        return p.n * p.c * p.spatial_out[0] * p.spatial_out[1] * p.spatial_out[2] * taps

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        dims = lambda v: "{" + ", ".join(str(d) for d in v) + "}"      # noqa: E731
        prm = ctx.params("gen_gridsample_params",
                         f".n = {p.n}, .c = {p.c}, .ndim = {p.ndim}, .in = {dims(p.spatial_in)}, "
                         f".out = {dims(p.spatial_out)}, .mode = {p.mode}, .padding = {p.padding}, "
                         f".align_corners = {p.align_corners}", "gridsample")
        return (f"gen_f32_gridsample({ctx.ptr(node.inputs[0])}, {ctx.ptr(node.inputs[1])}, "
                f"{ctx.ptr(node.outputs[0])}, {prm});")
