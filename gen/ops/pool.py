"""MaxPool, AveragePool (count_include_pad, ceil_mode), GlobalAveragePool, GlobalMaxPool; 1-D and 2-D
(gen_f32_pool), 3-D and LpPool/GlobalLpPool at 1-D to 3-D (gen_f32_pool3, runtime_c/gen_pool.c)."""
from __future__ import annotations

from dataclasses import dataclass

from ..c_literals import c_float
from ..errors import GenError
from . import (OpFamily, as_2d, attr_ints, c_params, check_window, onnx_attrs, refuse_empty_window, register,
               spatial)


def pool_geometry(node, g) -> dict:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    if len(x.shape) not in (3, 4):
        raise GenError(f"{len(x.shape) - 2}-D pooling is not supported (1-D to 3-D are)", node.name, node.op)
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


@dataclass(frozen=True)
class PoolGeometry:
    """A pooling node's geometry (pool_geometry's fields): 2-D (1-D pools have a unit height); the float
    and the int8 pools' parameters extend it."""
    nc: int
    h: int
    w: int
    oh: int
    ow: int
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pt: int
    pl: int
    pb: int
    pr: int
    n: int
    c: int


@dataclass(frozen=True)
class PoolParams(PoolGeometry):
    """A float 1-D/2-D pooling node's parameters: its geometry."""


def fix_ceil_mode(n, shapes) -> bool:
    """ceil_mode pooling ignores a last window that starts in the right padding (ONNX spec, onnxruntime);
    onnx's shape inference counts it. Such a node becomes the same op in ceil_mode=0, with the right
    pads extended by what ceil_mode added along the axes where its window is real (padding takes no
    part in MaxPool or in AveragePool without count_include_pad). Returns True if the node changed."""
    from onnx import helper
    a = onnx_attrs(n)
    shp = shapes.get(n.input[0])
    if not int(a.get("ceil_mode", 0)) or shp is None or "kernel_shape" not in a:
        return False
    auto_pad = a.get("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad not in ("NOTSET", "VALID"):
        return False
    sizes, kernel = list(shp[2:]), [int(k) for k in a["kernel_shape"]]
    nd = len(sizes)
    if len(kernel) != nd:
        return False
    strides = [int(v) for v in a.get("strides", [1] * nd)]
    dil = [int(v) for v in a.get("dilations", [1] * nd)]
    pads = [int(v) for v in a.get("pads", [0] * 2 * nd)] if auto_pad == "NOTSET" else [0] * 2 * nd
    dropped, extra = False, [0] * nd
    for i in range(nd):
        span = sizes[i] + pads[i] + pads[i + nd] - (kernel[i] - 1) * dil[i] - 1
        if span < 0 or span % strides[i] == 0:
            continue
        if (span // strides[i] + 1) * strides[i] >= sizes[i] + pads[i]:
            dropped = True
        else:
            extra[i] = strides[i] - span % strides[i]
    if not dropped:
        return False
    if any(extra) and n.op_type == "AveragePool" and int(a.get("count_include_pad", 0)):
        raise GenError("ceil_mode=1 adds a window starting in the right padding along one axis and a real "
                       "window along another: not supported with count_include_pad=1", n.name, n.op_type)
    keep = [x for x in n.attribute if x.name not in ("ceil_mode", "pads", "auto_pad")]
    del n.attribute[:]
    n.attribute.extend(keep)
    n.attribute.append(helper.make_attribute("pads", pads[:nd] + [p + e for p, e in zip(pads[nd:], extra)]))
    return True


POOL3_FIELDS = ("nc", "d", "h", "w", "od", "oh", "ow", "kd", "kh", "kw", "sd", "sh", "sw", "dd", "dh", "dw",
                "pf", "pt", "pl", "pbk", "pb", "pr")


@dataclass(frozen=True)
class Pool3Params:
    """A float pool on gen_f32_pool3: 3-D (1-D and 2-D get unit leading dims), NCDHW; p for Lp pools."""
    nc: int
    d: int
    h: int
    w: int
    od: int
    oh: int
    ow: int
    kd: int
    kh: int
    kw: int
    sd: int
    sh: int
    sw: int
    dd: int
    dh: int
    dw: int
    pf: int
    pt: int
    pl: int
    pbk: int
    pb: int
    pr: int
    p: float


def has_indices(node) -> bool:
    """A MaxPool whose Indices output is used (gen_pool_indices.c computes it)."""
    return len(node.outputs) > 1 and bool(node.outputs[1])


def uses_pool3(node, g) -> bool:
    """3-D pools, every Lp pool and a MaxPool with Indices run on gen_f32_pool3's parameters (1-D and 2-D
    max/average keep gen_f32_pool)."""
    return node.op in ("LpPool", "GlobalLpPool") or len(g.t(node.inputs[0]).shape) == 5 or has_indices(node)


def pool3_geometry(node, g) -> Pool3Params:
    x, y = g.t(node.inputs[0]), g.t(node.outputs[0])
    if len(x.shape) not in (3, 4, 5):
        raise GenError(f"{len(x.shape) - 2}-D pooling is not supported (1-D to 3-D are)", node.name, node.op)
    nd = len(x.shape) - 2
    if node.op.startswith("Global"):
        kernel = list(x.shape[2:])
        strides, dil, pb, pa = [1] * nd, [1] * nd, [0] * nd, [0] * nd
    else:
        kernel = attr_ints(node, "kernel_shape", None)
        if not kernel or len(kernel) != nd:
            raise GenError("kernel_shape is missing or does not match the input rank", node.name, node.op)
        strides, dil, pb, pa = spatial(node, list(x.shape[2:]), kernel)
        if str(node.attrs.get("auto_pad", "NOTSET")).startswith("SAME") and any(d > 1 for d in dil):
            raise GenError("auto_pad SAME_* with dilations > 1 is not supported (onnx's shape inference and "
                           "onnxruntime disagree on the output size)", node.name, node.op)
        if str(node.attrs.get("auto_pad", "NOTSET")).startswith("SAME") and any(
                (-(-i // s) - 1) * s + k < i for i, s, k in zip(x.shape[2:], strides, kernel)):
            raise GenError("auto_pad SAME_* needs a negative padding here (a stride larger than the kernel): "
                           "onnxruntime refuses it and the ONNX reference shifts the window", node.name, node.op)
    if has_indices(node) and int(node.attrs.get("storage_order", 0)) and nd == 3:
        raise GenError("a 3-D MaxPool's Indices with storage_order=1 is not supported", node.name, node.op)
    p = float(node.attrs.get("p", 2))
    if node.op.endswith("LpPool") and not (p >= 1 and p == int(p)):
        raise GenError(f"p = {p} must be a positive integer", node.name, node.op)
    pad3 = lambda v, fill: [fill] * (3 - nd) + list(v)   # noqa: E731
    sizes, outs = pad3(x.shape[2:], 1), pad3(y.shape[2:], 1)
    kernel, strides, dil, pb, pa = pad3(kernel, 1), pad3(strides, 1), pad3(dil, 1), pad3(pb, 0), pad3(pa, 0)
    check_window(node, sizes, kernel, strides, dil, pb, pa, outs)
    for i, o, k, s, d, p0 in zip(sizes, outs, kernel, strides, dil, pb):
        if (k - 1) * d + 1 <= p0 or (o - 1) * s - p0 >= i:
            raise GenError(f"pads {pb + pa} put a whole pooling window (kernel {kernel}) in the padding",
                           node.name, node.op)
    vals = dict(zip(POOL3_FIELDS, [x.shape[0] * x.shape[1]] + sizes + outs + kernel + strides + dil + pb + pa))
    return Pool3Params(**c_params(vals, node, "pooling parameter"), p=p)


@register
class Pool(OpFamily):
    ops = ("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "GlobalLpPool")
    plain_int_as_float = {"MaxPool": (0,)}    # a selection of plain integers (int8, uint8): exact in float32
    dtypes = {"MaxPool": ("float32", "int8", "uint8")}
    limits = {op: "1-D to 3-D" + ("; Indices in float32 (storage_order=1 up to 2-D)" if op == "MaxPool" else "")
              for op in ops}
    runtime = ("gen_f32.h", "gen_f32.c")
    int8_kernels = {"MaxPool": "MaxPoolS8", "AveragePool": "AvgPoolS8", "GlobalAveragePool": "AvgPoolS8"}
    fuses_activation = True

    def int8_form(self, node, g):
        if len(g.t(node.inputs[0]).shape) not in (3, 4) or has_indices(node):
            return None                          # 1-D and 2-D pooling only
        if node.op == "MaxPool" and any(d != 1 for d in node.attrs.get("dilations", [1])):
            return None
        if node.op == "AveragePool" and int(node.attrs.get("count_include_pad", 0)) \
                and any(node.attrs.get("pads", [0])):
            return None
        return super().int8_form(node, g)

    def selects_values(self, node):
        return node.op == "MaxPool"

    def onnx_rewrite(self, node, shapes):
        return fix_ceil_mode(node, shapes)

    def onnx_output_shape(self, node, out, shape, shapes):
        refuse_empty_window(node, out, shape, shapes.get(node.input[0]), onnx_attrs(node).get("kernel_shape"))

    def runtime_files(self, node, g):
        if has_indices(node):
            return ("gen_pool_indices.h",)
        return ("gen_pool.h",) if uses_pool3(node, g) else self.runtime

    def prepare(self, node, g):
        return pool3_geometry(node, g) if uses_pool3(node, g) else PoolParams(**pool_geometry(node, g))

    def check(self, node, g):
        if g.t(node.inputs[0]).dtype != "float32":
            raise GenError(f"{node.op} of {g.t(node.inputs[0]).dtype} is not supported (float32; int8 through QDQ)",
                           node.name, node.op)
        self.params(node, g)

    def kernel(self, node, g):
        if has_indices(node):
            return "gen_f32_maxpool3_indices"
        if uses_pool3(node, g):
            return "gen_f32_pool3"
        return "gen_f32_mean_inner" if self._plane_mean(node, g) else "gen_f32_pool"

    def _plane_mean(self, node, g) -> bool:
        """The layer is each channel's mean (GlobalAveragePool, or an AveragePool whose one window is the
        whole unpadded input), no fused activation: gen_f32_mean_inner, not the windowed loop."""
        if node.act is not None or node.op not in ("GlobalAveragePool", "AveragePool"):
            return False
        if node.op == "GlobalAveragePool":
            return True
        p = self.params(node, g)
        return (isinstance(p, PoolParams) and (p.kh, p.kw, p.oh, p.ow) == (p.h, p.w, 1, 1)
                and (p.pt, p.pl, p.pb, p.pr) == (0, 0, 0, 0))

    def emit(self, node, g, ctx):
        p = self.params(node, g)
        x, y = ctx.ptr(node.inputs[0]), ctx.ptr(node.outputs[0])
        if isinstance(p, Pool3Params):
            kind = "GEN_POOL_MAX" if node.op.endswith("MaxPool") else \
                "GEN_POOL_LP" if node.op.endswith("LpPool") else "GEN_POOL_AVERAGE"
            cip = int(bool(node.attrs.get("count_include_pad", 0)))
            fields = ", ".join(str(getattr(p, f)) for f in POOL3_FIELDS)
            prm = ctx.params("gen_f32_pool3_params", f"{fields}, {kind}, {cip}, {c_float(p.p)}, {ctx.act(node)}")
            if has_indices(node):
                col = 1 if int(node.attrs.get("storage_order", 0)) else 0
                return f"gen_f32_maxpool3_indices({x}, {y}, {ctx.ptr(node.outputs[1])}, {prm}, {col});"
            return f"gen_f32_pool3({x}, {y}, {prm});"
        if self._plane_mean(node, g):
            return f"gen_f32_mean_inner({x}, {y}, {p.nc}, {p.h * p.w});"
        is_max = int(node.op in ("MaxPool", "GlobalMaxPool"))
        cip = int(bool(node.attrs.get("count_include_pad", 0)))   # any non-zero value is true
        fields = ", ".join(str(v) for v in (p.nc, p.h, p.w, p.oh, p.ow, p.kh, p.kw, p.sh, p.sw, p.dh, p.dw,
                                            p.pt, p.pl, p.pb, p.pr))
        prm = ctx.params("gen_f32_pool_params", f"{fields}, {is_max}, {cip}, {ctx.act(node)}")
        return f"gen_f32_pool({x}, {y}, {prm});"
