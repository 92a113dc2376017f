"""MaxPool, AveragePool (count_include_pad, ceil_mode), GlobalAveragePool, GlobalMaxPool; 1-D and 2-D."""
from __future__ import annotations

from ..errors import GenError
from . import OpFamily, as_2d, attr_ints, c_params, check_window, register, spatial


def pool_geometry(node, g) -> dict:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    if len(x.shape) not in (3, 4):
        raise GenError(f"{len(x.shape) - 2}-D pooling is not supported (1-D and 2-D are)", node.name, node.op)
    if node.info.get("onnx_op", node.op).startswith("Global"):
        kernel = list(x.shape[2:])
        strides, dil, pb, pa = [1] * len(kernel), [1] * len(kernel), [0] * len(kernel), [0] * len(kernel)
    else:
        kernel = attr_ints(node, "kernel_shape", None)
        if not kernel or len(kernel) != len(x.shape) - 2:
            raise GenError("kernel_shape is missing or does not match the input rank", node.name, node.op)
        strides, dil, pb, pa = spatial(node, list(x.shape[2:]), kernel)
    if len(node.outputs) > 1 and node.outputs[1]:
        raise GenError("MaxPool's Indices output is not supported", node.name, node.op)
    h, w = as_2d(list(x.shape[2:]), 1)
    oh, ow = as_2d(list(y.shape[2:]), 1)
    kh, kw = as_2d(kernel, 1)
    sh, sw = as_2d(strides, 1)
    dh, dw = as_2d(dil, 1)
    pt, pl = as_2d(pb, 0)
    pbot, pr = as_2d(pa, 0)
    check_window(node, (h, w), (kh, kw), (sh, sw), (dh, dw), (pt, pl), (pbot, pr), (oh, ow))
    for i, o, k, s, d, p0 in ((h, oh, kh, sh, dh, pt), (w, ow, kw, sw, dw, pl)):
        # a window wholly in the padding has no element to pool (onnxruntime refuses pads >= kernel)
        if (k - 1) * d + 1 <= p0 or (o - 1) * s - p0 >= i:
            raise GenError(f"pads {[pt, pl, pbot, pr]} put a whole pooling window (kernel {[kh, kw]}) in the padding",
                           node.name, node.op)
    return c_params(dict(nc=x.shape[0] * x.shape[1], h=h, w=w, oh=oh, ow=ow, kh=kh, kw=kw, sh=sh, sw=sw, dh=dh,
                         dw=dw, pt=pt, pl=pl, pb=pbot, pr=pr, n=x.shape[0], c=x.shape[1]), node, "pooling parameter")


@register
class Pool(OpFamily):
    ops = ("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool")
    limits = {op: "1-D and 2-D" + ("; no Indices output" if op == "MaxPool" else "") for op in ops}
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"MaxPool": "MaxPoolS8", "AveragePool": "AvgPoolS8", "GlobalAveragePool": "AvgPoolS8"}
    fuses_activation = True

    def int8_form(self, node, g):
        if len(g.t(node.inputs[0]).shape) not in (3, 4):
            return None                          # 1-D and 2-D pooling only
        if node.op == "MaxPool" and any(d != 1 for d in node.attrs.get("dilations", [1])):
            return None
        if node.op == "AveragePool" and int(node.attrs.get("count_include_pad", 0)) \
                and any(node.attrs.get("pads", [0])):
            return None
        return super().int8_form(node, g)

    def selects_values(self, node):
        return node.op == "MaxPool"

    def check(self, node, g):
        pool_geometry(node, g)

    def kernel(self, node, g):
        return "gen_f32_mean_inner" if node.op == "GlobalAveragePool" else "gen_f32_pool"

    def emit(self, node, g, ctx):
        p = pool_geometry(node, g)
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        if node.op == "GlobalAveragePool" and node.act is None:
            return f"gen_f32_mean_inner({x}, {y}, {p['nc']}, {p['h'] * p['w']});"
        is_max = int(node.op in ("MaxPool", "GlobalMaxPool"))
        cip = int(bool(node.attrs.get("count_include_pad", 0)))   # any non-zero value is true
        fields = ", ".join(str(p[k]) for k in ("nc", "h", "w", "oh", "ow", "kh", "kw", "sh", "sw", "dh", "dw",
                                               "pt", "pl", "pb", "pr"))
        prm = ctx.params("gen_f32_pool_params", f"{fields}, {is_max}, {cip}, {ctx.act(node)}")
        return f"gen_f32_pool({x}, {y}, {prm});"
