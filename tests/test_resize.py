"""Resize (gen/ops/resize.py): float against onnxruntime on drawn shapes, scales and sizes (nearest
exactly: it only selects elements); int8 on quantize_static-style QDQ graphs: nearest as ResizeS8 (C ==
numpy reference, onnxruntime and the layer check within 1 LSB), channels first and channels last
between int8 convolutions; bilinear int8 as ResizeLinearS8 in integers (C == numpy reference exactly,
within 1 LSB of onnxruntime per layer), in float between dequantize and quantize where the rescale
in_scale / out_scale is beyond the integer blend's 1 LSB bound. What gen does not resize is refused
with one line naming the node (exit 2)."""
from __future__ import annotations


import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import graphs
from test_ops_int8 import check as int8_check
from gen.errors import GenError
from graphs import assert_close, gen_run, make_model, node, ort_run

SETTINGS = dict(deadline=None, suppress_health_check=list(HealthCheck))
COORDS = ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]
COORDS19 = COORDS + ["half_pixel_symmetric"]      # opset 19
NEAREST = ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]
SCALES = [0.34, 0.5, 0.6, 0.75, 1.0, 1.25, 1.5, 1.7, 2.0, 2.5, 3.0]


def resize_node(mode, coord, nearest, use_sizes, opset, x="x", y="y"):
    """Resize x -> y by the constants 'roi', 's' (scales) or 'sz' (sizes), in opset's input form."""
    attrs = dict(mode=mode, coordinate_transformation_mode=coord)
    if mode == "nearest":
        attrs["nearest_mode"] = nearest
    if opset < 13:      # roi required; scales an empty tensor when sizes are given
        ins = [x, "roi", "s0", "sz"] if use_sizes else [x, "roi", "s"]
    else:
        ins = [x, "", "", "sz"] if use_sizes else [x, "", "s"]
    return node("Resize", ins, [y], **attrs)


def resize_consts(shape, factors, sizes):
    return {"roi": np.zeros(0, np.float32), "s0": np.zeros(0, np.float32),
            "s": np.array([1, 1] + list(factors), np.float32), "sz": np.array(list(shape[:2]) + list(sizes), np.int64)}


def disagree(coord, use_sizes, shape, factors) -> bool:
    """Scales where onnxruntime and the ONNX reference disagree (gen refuses): align_corners and
    pytorch_half_pixel with an output length in * scale that is fractional (onnxruntime uses the floored
    length, the reference the fractional one), and a scale != 1 that keeps an axis's length (onnxruntime
    copies the axis, the reference resamples it)."""
    lengths = [float(d) * float(np.float32(f)) for d, f in zip(shape[2:], factors)]
    kept = any(int(np.floor(v)) == d > 1 and np.float32(f) != 1 for v, d, f in zip(lengths, shape[2:], factors))
    return not use_sizes and (kept or coord in ("align_corners", "pytorch_half_pixel")
                              and any(v != np.floor(v) and d > 1 for v, d in zip(lengths, shape[2:])))


@st.composite
def cases(draw):
    mode = draw(st.sampled_from(["nearest", "linear"]))
    coord = draw(st.sampled_from(COORDS))
    nearest = draw(st.sampled_from(NEAREST))
    use_sizes = draw(st.booleans())
    opset = draw(st.sampled_from([11, 13, 18, 19]))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 7)), draw(st.integers(1, 7)))
    factors = [draw(st.sampled_from(SCALES)) for _ in range(2)]
    factors = [f if int(np.floor(np.float32(d) * np.float32(f))) >= 1 else 1.0 for f, d in zip(factors, shape[2:])]
    sizes = [draw(st.integers(1, 12)) for _ in range(2)]
    return mode, coord, nearest, use_sizes, opset, shape, factors, sizes


@settings(**SETTINGS, max_examples=40)
@given(case=cases(), seed=st.integers(0, 2**31))
def test_resize_float(case, seed):
    mode, coord, nearest, use_sizes, opset, shape, factors, sizes = case
    consts = resize_consts(shape, factors, sizes)
    m = make_model([resize_node(mode, coord, nearest, use_sizes, opset)], {"x": shape}, ["y"], consts, opset=opset)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    if disagree(coord, use_sizes, shape, factors):
        with pytest.raises(GenError, match="disagree|copies that axis"):
            gen_run(m, {"x": x})
        return
    ref = ort_run(m, {"x": x})[0]
    got, res = gen_run(m, {"x": x})
    assert [n.op for n in res.graph.nodes] == ["Resize"]
    if mode == "nearest":   # a selection of input elements: exactly onnxruntime's
        assert got[0].shape == ref.shape and np.array_equal(got[0], ref), f"{case}: C != onnxruntime"
    else:
        assert_close(got[0], ref, what=str(case))


@settings(**SETTINGS, max_examples=12)
@given(mode=st.sampled_from(["nearest", "linear"]), coord=st.sampled_from(COORDS), nearest=st.sampled_from(NEAREST),
       use_sizes=st.booleans(), between_convs=st.booleans(), c=st.integers(1, 3), h=st.integers(2, 6),
       w=st.integers(2, 6), factors=st.lists(st.sampled_from(SCALES), min_size=2, max_size=2),
       sizes=st.lists(st.integers(1, 10), min_size=2, max_size=2), seed=st.integers(0, 2**31))
def test_resize_int8(mode, coord, nearest, use_sizes, between_convs, c, h, w, factors, sizes, seed):
    """quantize_static-style QDQ: nearest is ResizeS8 keeping the input's quantization, bilinear is
    ResizeLinearS8 requantizing to the output's; both in the input's layout (channels last between
    convolutions)."""
    shape = (1, c, h, w)
    factors = [f if int(np.floor(np.float32(d) * np.float32(f))) >= 1 else 1.0 for f, d in zip(factors, (h, w))]
    if disagree(coord, use_sizes, shape, factors):
        use_sizes = True
    consts = resize_consts(shape, factors, sizes)
    rng = np.random.default_rng(seed)
    if between_convs:
        nodes = [node("Conv", ["x0", "W"], ["x"], pads=[1, 1, 1, 1]), resize_node(mode, coord, nearest, use_sizes, 13),
                 node("Conv", ["y", "W2"], ["z"])]
        consts.update(W=rng.normal(size=(c, 2, 3, 3)).astype(np.float32),
                      W2=rng.normal(size=(2, c, 1, 1)).astype(np.float32))
        fm = graphs.float_model(nodes, {"x0": (1, 2, h, w)}, ["z"], consts)
        shapes = {"x0": (1, 2, h, w)}
    else:
        fm = graphs.float_model([resize_node(mode, coord, nearest, use_sizes, 13)], {"x": shape}, ["y"], consts)
        shapes = {"x": shape}
    res, _, _ = int8_check(fm, shapes, seed, expect="ResizeS8" if mode == "nearest" else "ResizeLinearS8")
    rs = [n for n in res.graph.nodes if n.op.startswith("Resize")]
    assert len(rs) == 1
    if mode == "nearest":
        x, y = res.graph.t(rs[0].inputs[0]), res.graph.t(rs[0].outputs[0])
        assert x.quant.s() == y.quant.s() and np.array_equal(x.quant.zero_point, y.quant.zero_point)
    if between_convs and c > 1:
        assert res.graph.t(rs[0].inputs[0]).layout == "NHWC", "int8 Resize between NHWC convolutions follows them"


@pytest.mark.parametrize("out_scale,form", [(0.1, "ResizeLinearS8"), (0.03, "ResizeLinearS8"), (0.02, "Resize")])
def test_resize_int8_linear_rescale(out_scale, form):
    """The integer bilinear blend is within 1 LSB while in_scale / out_scale <= 4 (here 0.1 / out_scale:
    1, 3.3 and 5): beyond, the node computes in float between DQ and Q. Both match onnxruntime within
    1 LSB (the inputs span the whole int8 range, so the blend's weight rounding is at its worst)."""
    shape, s_in = (1, 2, 3, 5), np.float32(0.1)
    consts = dict(sx=np.array(s_in, np.float32), zx=np.array(3, np.int8), sy=np.array(out_scale, np.float32),
                  zy=np.array(-5, np.int8), scales=np.array([1, 1, 2.5, 1.5], np.float32))
    nodes = [node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]), node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
             node("Resize", ["xd", "", "scales"], ["r"], mode="linear", coordinate_transformation_mode="half_pixel"),
             node("QuantizeLinear", ["r", "sy", "zy"], ["rq"]), node("DequantizeLinear", ["rq", "sy", "zy"], ["y"])]
    m = graphs.make_model(nodes, {"x": shape}, ["y"], consts)
    res = graphs.gen_compile(m)
    ops = [n.op for n in res.graph.nodes]
    assert form in ops and (form == "Resize") == any("Resize node" in n for n in res.graph.notes), (ops, res.graph.notes)
    rng = np.random.default_rng(7)
    for _ in range(3):
        xq = rng.integers(-128, 128, size=shape).astype(np.int8)
        res, c, ref, o = graphs.run_all(m, [xq], res)
        assert graphs.lsb(c[0], o[0]) <= 1, f"C vs onnxruntime: {graphs.lsb(c[0], o[0])} LSB ({ops})"
        if form != "Resize":
            assert np.array_equal(c[0], ref[0]), "C != numpy reference"


@st.composite
def nd_cases(draw):
    """opset 18/19 forms: any rank 1-5 (the last two axes resize), the axes attribute, bicubic with
    cubic_coeff_a and exclude_outside, keep_aspect_ratio_policy, half_pixel_symmetric."""
    rank = draw(st.integers(1, 5))
    shape = tuple(draw(st.integers(1, 2)) for _ in range(max(rank - 2, 0))) + \
        tuple(draw(st.integers(1, 6)) for _ in range(min(rank, 2)))
    mode = draw(st.sampled_from(["nearest", "linear", "cubic"]))
    attrs = dict(mode=mode, coordinate_transformation_mode=draw(st.sampled_from(COORDS if mode == "nearest" else COORDS19)))
    if mode == "nearest":
        attrs["nearest_mode"] = draw(st.sampled_from(NEAREST))
    if mode == "cubic":
        attrs.update(cubic_coeff_a=draw(st.sampled_from([-0.75, -0.5])), exclude_outside=draw(st.integers(0, 1)))
    resized = list(range(max(rank - 2, 0), rank))
    axes = draw(st.sampled_from([None, resized, resized[::-1], resized[-1:]]))
    on = resized if axes is None else axes
    use_sizes = draw(st.booleans())
    policy = draw(st.sampled_from(["stretch", "not_larger", "not_smaller"])) if use_sizes else "stretch"
    if policy != "stretch":   # over the listed axes (without axes it would scale the leading ones too)
        attrs["keep_aspect_ratio_policy"] = policy
        axes = resized if axes is None else axes
    if axes is not None:   # negative axes (onnxruntime 1.2x ignores negative axes with a keep_aspect_ratio_policy)
        attrs["axes"] = [a - rank if policy == "stretch" and draw(st.booleans()) else a for a in axes]
    if use_sizes:
        sizes = {a: draw(st.integers(1, 10)) for a in on}
        vals = [sizes.get(a, shape[a]) for a in range(rank)] if axes is None else [sizes[a] for a in axes]
        const = np.array(vals, np.int64)
    else:
        factors = {a: draw(st.sampled_from(SCALES)) for a in on}
        factors = {a: f if int(np.floor(np.float32(shape[a]) * np.float32(f))) not in (0, shape[a]) else 1.0
                   for a, f in factors.items()}
        if attrs["coordinate_transformation_mode"] in ("align_corners", "pytorch_half_pixel"):
            factors = {a: f if float(shape[a]) * float(np.float32(f)) == np.floor(float(shape[a]) * float(np.float32(f)))
                       else 2.0 for a, f in factors.items()}
        vals = [factors.get(a, 1.0) for a in range(rank)] if axes is None else [factors[a] for a in axes]
        const = np.array(vals, np.float32)
    return shape, attrs, use_sizes, const


def ort_run_as_4d(shape, attrs, use_sizes, const, x):
    """onnxruntime's Resize of x over its last two axes, run as the 4-D resize [1, P, H, W] (P the
    product of the leading axes, which do not change; rank 1 is [1, 1, 1, L]): the same samples."""
    rank = len(shape)
    lead = int(np.prod(shape[:-2], dtype=np.int64)) if rank > 2 else 1
    shape4 = (1, lead) + ((1,) + tuple(shape) if rank == 1 else tuple(shape[-2:]))
    a4 = dict(attrs)
    if "axes" in attrs:
        a4["axes"] = [4 - rank + (a % rank) for a in attrs["axes"]]
        c4 = const
    elif use_sizes:
        c4 = np.array(list(shape4[:2]) + ([1] if rank == 1 else []) + list(const[-min(rank, 2):]), np.int64)
    else:
        c4 = np.array([1, 1] + ([1] if rank == 1 else []) + list(const[-min(rank, 2):]), np.float32)
    ins = ["x", "", "", "sz"] if use_sizes else ["x", "", "s"]
    m4 = make_model([node("Resize", ins, ["y"], **a4)], {"x": shape4}, ["y"], {"sz" if use_sizes else "s": c4},
                    opset=19)
    y = ort_run(m4, {"x": x.reshape(shape4)})[0]
    return y.reshape(tuple(shape[:-2]) + y.shape[-min(rank, 2):]) if rank > 1 else y.reshape(-1)


@settings(**SETTINGS, max_examples=40)
@given(case=nd_cases(), seed=st.integers(0, 2**31))
def test_resize_nd_cubic_axes_aspect(case, seed):
    """Float Resize at opset 19 against onnxruntime: ranks 1-5, axes, cubic, keep_aspect_ratio_policy,
    half_pixel_symmetric (nearest exactly, the blends within the float tolerance). Checked with 400
    examples once; 40 in the suite."""
    shape, attrs, use_sizes, const = case
    ins = ["x", "", "", "sz"] if use_sizes else ["x", "", "s"]
    m = make_model([node("Resize", ins, ["y"], **attrs)], {"x": shape}, ["y"], {"sz" if use_sizes else "s": const},
                   opset=19)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    try:
        ref = ort_run(m, {"x": x})[0]
    except Exception:   # onnxruntime's linear/cubic take 2-D and 4-D only: the same resize as 4-D
        ref = ort_run_as_4d(shape, attrs, use_sizes, const, x)
    assume(min(ref.shape) > 0)     # gen refuses zero-size tensors (tests/hostile_*: one line)
    # the output shape as exporters declare it (ONNX shape inference leaves it open with a keep_aspect_ratio_policy)
    m = make_model([node("Resize", ins, ["y"], **attrs)], {"x": shape}, [("y", ref.shape)],
                   {"sz" if use_sizes else "s": const}, opset=19)
    got, res = gen_run(m, {"x": x})
    assert [n.op for n in res.graph.nodes] == ["Resize"]
    assert got[0].shape == ref.shape, (case, got[0].shape, ref.shape)
    if attrs["mode"] == "nearest":
        assert np.array_equal(got[0], ref), f"{case}: C != onnxruntime"
    else:
        assert_close(got[0], ref, what=str(case))


@settings(**SETTINGS, max_examples=8)
@given(exclude=st.integers(0, 1), coord=st.sampled_from(COORDS), seed=st.integers(0, 2**31))
def test_resize_int8_cubic_in_float(exclude, coord, seed):
    """int8 bicubic computes in float between DQ and Q (a note says so), within 1 LSB per layer."""
    shape = (1, 2, 4, 5)
    fm = graphs.float_model([node("Resize", ["x", "", "s"], ["y"], mode="cubic", coordinate_transformation_mode=coord,
                                  exclude_outside=exclude)], {"x": shape}, ["y"],
                            {"s": np.array([1, 1, 2, 1.5 if coord not in ("align_corners", "pytorch_half_pixel") else 2],
                                           np.float32)})
    int8_check(fm, {"x": shape}, seed, note="Resize node")




REFUSED = {
    "cubic": (dict(mode="lanczos"), (1, 2, 4, 4), [1, 1, 2, 2], 13, "mode 'lanczos'"),
    "crop": (dict(coordinate_transformation_mode="tf_crop_and_resize"), (1, 2, 4, 4), [1, 1, 2, 2], 13,
             "tf_crop_and_resize"),
    "antialias": (dict(mode="linear", antialias=1), (1, 2, 4, 4), [1, 1, 0.5, 0.5], 18, "antialias"),
    "7d": (dict(), (1, 1, 1, 1, 1, 2, 4), [1, 1, 1, 1, 1, 1, 2], 13, "7-D Resize"),
    "nearest_symmetric": (dict(coordinate_transformation_mode="half_pixel_symmetric"), (1, 2, 4, 4), [1, 1, 2, 2], 19,
                          "half_pixel_symmetric"),
    "kept_length": (dict(mode="linear"), (1, 2, 2, 4), [1, 1, 1.25, 2], 13, "copies that axis"),
    "channels": (dict(), (1, 2, 4, 4), [1, 2, 2, 2], 13, "only the last two axes"),
    "channels_same_length": (dict(), (1, 4, 4, 4), [1, 1.1, 2, 2], 13, "copies that axis"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_resize_refused(tmp_path, case):
    attrs, shape, scales, opset, needle = REFUSED[case]
    m = make_model([node("Resize", ["x", "", "s"], ["y"], name="rs", **attrs)], {"x": shape}, ["y"],
                   {"s": np.array(scales, np.float32)}, opset=opset)
    graphs.assert_refused(tmp_path, m, "'rs'", needle)


def test_resize_scales_not_constant(tmp_path):
    m = make_model([node("Resize", ["x", "", "s"], ["y"], name="rs")], {"x": (1, 2, 4, 4), "s": (4,)},
                   [("y", (1, 2, 8, 8))])
    graphs.assert_refused(tmp_path, m, "'rs'", "must be a constant")
