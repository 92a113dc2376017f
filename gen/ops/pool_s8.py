"""int8 MaxPool / AveragePool / GlobalAveragePool, 1-D and 2-D, channels last (NHWC; a 1-D [N, C, L] is
stored [N, L, C], the 2-D kernels see it as [N, 1, L, C]) on CMSIS-NN: arm_max_pool_s8, arm_avgpool_s8.

Both keep the input's scale and zero point (qpasses adds a requantize where the model changes
them); the average divides by the number of valid (non-padding) inputs, rounding half away from
zero, as TFLite does (count_include_pad = 0).
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import int8ref
from ..errors import GenError
from . import OpFamily, cmsis_scratch, fast_eltwise, fast_s8, register
from .layout import require_channels_last
from .pool import PoolGeometry, pool_geometry
from .s8common import act_range, check_accumulator, cmsis_ctx, dims

RUNTIME = ("gen_nn.h", "gen_s8.c", "arm_pool_s8.c")


@dataclass(frozen=True)
class PoolS8Params(PoolGeometry):
    """A pooling node's geometry (2-D) and fused activation range."""
    act: tuple[int, int]            # (act_min, act_max)


def pool_s8_params(node, g) -> PoolS8Params:
    geo = pool_geometry(node, g)
    if geo["dh"] != 1 or geo["dw"] != 1:
        raise GenError("int8 pooling with dilations is not supported", node.name, node.op)
    p = PoolS8Params(**geo, act=act_range(node, g.t(node.outputs[0])))
    if p.n != 1:
        raise GenError("int8 pooling needs batch 1", node.name, node.op)
    if node.op == "AvgPoolS8":
        check_accumulator(128 * p.kh * p.kw, 0, "sum over the pooling window", node)
    return p


@register
class PoolS8(OpFamily):
    ops = ("MaxPoolS8", "AvgPoolS8")
    runtime = RUNTIME
    layout = "channels_last"
    keeps_quant = True

    def int8_requantizing_form(self, node, g):
        # a global average with another output scale is TFLite's int8 Mean: it requantizes the sum
        # before dividing, where an average then a requantize would round twice
        if node.op != "AvgPoolS8":
            return None
        x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
        whole = node.info.get("onnx_op") == "GlobalAveragePool" or (
            list(node.attrs.get("kernel_shape", [])) == list(x.shape[2:])
            and not any(node.attrs.get("pads", [0])) and node.attrs.get("auto_pad", "NOTSET") in ("NOTSET", "VALID"))
        return "ReduceMeanS8" if whole and len(y.shape) >= 3 and all(d == 1 for d in y.shape[2:]) else None

    def prepare(self, node, g):
        return pool_s8_params(node, g)

    def check(self, node, g):
        self.params(node, g)

    def fast(self, node, g) -> str | None:
        """gen's specialized kernel for this layer (gen/ops/fast_eltwise.py), or None for the CMSIS-NN call."""
        if not fast_s8.enabled(g) or not fast_eltwise.pool_ok(self.params(node, g), node.op == "AvgPoolS8"):
            return None
        return "pool"

    def runtime_files(self, node, g):
        return self.runtime + (fast_eltwise.RUNTIME if self.fast(node, g) else ())

    def kernel(self, node, g):
        if self.fast(node, g):
            return "gen_fast_pool_s8"
        return "arm_max_pool_s8" if node.op == "MaxPoolS8" else "arm_avgpool_s8"

    def row_window(self, node, g):
        from ..bands import RowWindow
        p = self.params(node, g)
        if node.info.get("onnx_op") == "GlobalAveragePool" or p.oh == 1:
            return None         # a global pool reads every row for its one output row
        return RowWindow(p.kh, p.sh, p.dh, p.pt, p.pb, (p.pl, p.pr))

    def scratch(self, node, g):
        if node.op != "AvgPoolS8" or self.fast(node, g):
            return 0
        p = self.params(node, g)
        return cmsis_scratch.avgpool_s8_buffer_size(p.ow, p.c)

    def reference(self, node, g, x):
        require_channels_last(node, g, node.inputs[0])
        p = self.params(node, g)
        fn = int8ref.max_pool_s8 if node.op == "MaxPoolS8" else int8ref.avgpool_s8
        return fn(x.reshape(1, p.h, p.w, p.c), kernel=(p.kh, p.kw), stride=(p.sh, p.sw), padding=(p.pt, p.pl),
                  act_min=p.act[0], act_max=p.act[1], output_hw=(p.oh, p.ow))

    def emit(self, node, g, ctx):
        require_channels_last(node, g, node.inputs[0])
        p = self.params(node, g)
        if self.fast(node, g):
            return fast_eltwise.pool_emit(ctx, p, node.op == "AvgPoolS8", ctx.ptr(node.inputs[0]),
                                          ctx.ptr(node.outputs[0]))
        lo, hi = p.act
        prm = ctx.params("cmsis_nn_pool_params", f"{{{p.sw}, {p.sh}}}, {{{p.pl}, {p.pt}}}, {{{lo}, {hi}}}", "poolp")
        fn = "arm_max_pool_s8" if node.op == "MaxPoolS8" else "arm_avgpool_s8"
        return (f"GEN_CHECK({fn}({cmsis_ctx(ctx, node)}, {prm}, {dims(ctx, (1, p.h, p.w, p.c))}, "
                f"{ctx.ptr(node.inputs[0])}, {dims(ctx, (1, p.kh, p.kw, 1))}, "
                f"{dims(ctx, (1, p.oh, p.ow, p.c))}, {ctx.ptr(node.outputs[0])}));")
