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
from onnx import TensorProto, helper

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




@pytest.mark.parametrize("form", ["antialias_linear", "antialias_cubic", "crop_nearest", "crop_linear"])
def test_resize_int8_antialias_crop_in_float(form):
    """int8 antialias and tf_crop_and_resize compute in float between DQ and Q (a note says so), within
    1 LSB per layer."""
    shape = (1, 2, 6, 5)
    if form.startswith("antialias"):
        n = node("Resize", ["x", "", "s"], ["y"], mode=form.split("_")[1], antialias=1)
        consts = {"s": np.array([1, 1, 0.5, 0.6], np.float32)}
    else:
        n = node("Resize", ["x", "roi", "", "sz"], ["y"], mode=form.split("_")[1],
                 coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=0.5)
        consts = {"roi": np.array([0, 0, 0.1, -0.2, 1, 1, 0.9, 1.1], np.float32),
                  "sz": np.array([1, 2, 4, 7], np.int64)}
    fm = graphs.float_model([n], {"x": shape}, ["y"], consts, opset=19)
    int8_check(fm, {"x": shape}, 5, note="Resize node")


REFUSED = {
    "cubic": (dict(mode="lanczos"), (1, 2, 4, 4), [1, 1, 2, 2], 13, "mode 'lanczos'"),
    "crop_no_roi": (dict(coordinate_transformation_mode="tf_crop_and_resize"), (1, 2, 4, 4), [1, 1, 2, 2], 13,
                    "tf_crop_and_resize needs roi"),
    "crop_antialias": (dict(mode="linear", antialias=1, coordinate_transformation_mode="tf_crop_and_resize"),
                       (1, 2, 4, 4), [1, 1, 0.5, 0.5], 18, "antialias with tf_crop_and_resize"),
    "antialias_symmetric": (dict(mode="linear", antialias=1, coordinate_transformation_mode="half_pixel_symmetric"),
                            (1, 2, 7, 4), [1, 1, 0.5, 0.5], 19, "antialias with half_pixel_symmetric"),
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


def test_resize_sizes_computed_at_run_time_refused(tmp_path):
    """Stretch sizes that neither are constant nor a graph input the static shapes determine
    (gen/rtparams.py) are refused: the output shape is what they say."""
    m = make_model([node("Identity", ["sz0"], ["sz"]), node("Resize", ["x", "", "", "sz"], ["y"], name="rs")],
                   {"x": (1, 2, 4, 4), "sz0": np.zeros(4, np.int64)}, [("y", (1, 2, 8, 8))])
    graphs.assert_refused(tmp_path, m, "'rs'", "must be a constant")


def test_resize_roi_wrong_length_refused(tmp_path):
    m = make_model([node("Resize", ["x", "roi", "s"], ["y"], name="rs",
                         coordinate_transformation_mode="tf_crop_and_resize")],
                   {"x": (1, 2, 4, 4), "roi": (6,)}, [("y", (1, 2, 8, 8))], {"s": np.array([1, 1, 2, 2], np.float32)})
    graphs.assert_refused(tmp_path, m, "'rs'", "roi as float32 [8]")


@settings(**SETTINGS, max_examples=25)
@given(mode=st.sampled_from(["nearest", "linear", "cubic"]), nearest=st.sampled_from(NEAREST),
       roi_input=st.booleans(), scales_input=st.booleans(), use_axes=st.booleans(), h=st.integers(1, 6),
       w=st.integers(1, 6), oh=st.integers(1, 7), ow=st.integers(1, 7),
       roi=st.lists(st.sampled_from([-0.3, 0.0, 0.1, 0.25, 0.4, 0.5, 0.8, 1.0, 1.2, 1.7]), min_size=4, max_size=4),
       extrapolation=st.sampled_from([0.0, 10.0, -2.5]), seed=st.integers(0, 2**31))
def test_resize_tf_crop_and_resize(mode, nearest, roi_input, scales_input, use_axes, h, w, oh, ow, roi,
                                   extrapolation, seed):
    """tf_crop_and_resize against onnxruntime: roi constant or a graph input, sizes (stretch) or scales
    (a graph input: the whole-number lengths where onnxruntime and the reference agree), the axes
    attribute, extrapolation_value outside the input. Where an axis keeps its length onnxruntime copies
    it whatever its roi says: there the ONNX reference (the spec) is the oracle."""
    shape = (1, 2, h, w)
    attrs = dict(mode=mode, coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=extrapolation)
    if mode == "nearest":
        attrs["nearest_mode"] = nearest
    if use_axes:
        attrs["axes"] = [2, 3]
        r = np.array([roi[0], roi[1], roi[2], roi[3]], np.float32)
    else:
        r = np.array([0, 0, roi[0], roi[1], 1, 1, roi[2], roi[3]], np.float32)
    lead = [] if use_axes else [1, 1]
    if scales_input:
        p = np.array(lead + [oh / h, ow / w], np.float32)
        assume(all(float(d) * float(np.float32(o / d)) == o for d, o in zip((h, w), (oh, ow))))
        assume(all(o != d or o / d == 1 for d, o in zip((h, w), (oh, ow))))
    else:
        p = np.array(([1, 2] if not use_axes else []) + [oh, ow], np.int64)
    ins = ["x", "roi", "p", ""] if scales_input else ["x", "roi", "", "p"]
    m = make_model([node("Resize", ins, ["y"], **attrs)], {"x": shape}, [("y", (1, 2, oh, ow))], {"roi": r, "p": p},
                   opset=19)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    if h == oh or w == ow:      # onnxruntime copies an axis that keeps its length, ignoring its roi
        from onnx.reference import ReferenceEvaluator
        ref = ReferenceEvaluator(m).run(None, {"x": x})[0]
    else:
        ref = ort_run(m, {"x": x})[0]
    feeds = {"x": x}
    if roi_input or scales_input:   # the same model with roi and/or scales as graph inputs
        ins2 = {"x": shape}
        consts = {"roi": r, "p": p}
        if roi_input:
            ins2["roi"] = consts.pop("roi")
            feeds["roi"] = r
        if scales_input:
            ins2["p"] = consts.pop("p")
            feeds["p"] = p
        m = make_model([node("Resize", ins, ["y"], **attrs)], ins2, [("y", (1, 2, oh, ow))], consts, opset=19)
    got, _ = gen_run(m, feeds)
    what = f"{attrs} {shape} roi {r} {p}"
    if mode == "nearest":
        assert np.array_equal(got[0], ref), what
    else:
        assert_close(got[0], ref, what=what)


def test_resize_antialias_runtime_scales_refused(tmp_path):
    m = make_model([node("Resize", ["x", "", "s"], ["y"], name="rs", mode="linear", antialias=1)],
                   {"x": (1, 2, 4, 4), "s": (4,)}, [("y", (1, 2, 2, 2))], opset=18)
    graphs.assert_refused(tmp_path, m, "'rs'", "antialias with scales or sizes given at run time")


@settings(**SETTINGS, max_examples=25)
@given(mode=st.sampled_from(["linear", "cubic"]), coord=st.sampled_from(COORDS19), exclude=st.integers(0, 1),
       use_sizes=st.booleans(), h=st.integers(1, 9), w=st.integers(1, 9),
       fh=st.sampled_from([0.2, 0.25, 0.34, 0.5, 0.6, 0.75, 1.5, 2.0]), fw=st.sampled_from([0.3, 0.5, 0.7, 1.0, 2.5]),
       a=st.sampled_from([-0.75, -0.5]), seed=st.integers(0, 2**31))
def test_resize_antialias(mode, coord, exclude, use_sizes, h, w, fh, fw, a, seed):
    """antialias=1 (opset 18+): bilinear and bicubic with the filter widened by 1 / scale on the
    downsampled axes, from generation-time tap tables, against onnxruntime."""
    shape = (1, 2, h, w)
    sizes = [max(1, int(np.floor(float(d) * f))) for d, f in zip((h, w), (fh, fw))]
    factors = [1.0 if int(np.floor(float(d) * float(np.float32(f)))) in (0, d) else f for d, f in zip((h, w), (fh, fw))]
    if coord in ("align_corners", "pytorch_half_pixel", "half_pixel_symmetric"):
        use_sizes = True          # a fractional in * scale: onnxruntime and the reference disagree
    if coord == "pytorch_half_pixel":
        assume(all(o > 1 or d == 1 for o, d in zip(sizes, (h, w))))     # refused: they disagree
    attrs = dict(mode=mode, antialias=1, coordinate_transformation_mode=coord, exclude_outside=exclude)
    if mode == "cubic":
        attrs["cubic_coeff_a"] = a
    ins = ["x", "", "", "sz"] if use_sizes else ["x", "", "s"]
    const = {"sz": np.array([1, 2] + sizes, np.int64)} if use_sizes else {"s": np.array([1, 1] + factors, np.float32)}
    m = make_model([node("Resize", ins, ["y"], **attrs)], {"x": shape}, ["y"], const, opset=19)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    ref = ort_run(m, {"x": x})[0]
    assume(min(ref.shape) > 0)
    got, res = gen_run(m, {"x": x})
    assert [n.op for n in res.graph.nodes] == ["Resize"]
    assert_close(got[0], ref, what=f"{attrs} {shape} {const}")


# ----------------------------------------------------------------------------- run-time scales and sizes

def _runtime_model(shape, attrs, use_sizes, const, out_shape, opset=19):
    """The Resize of nd_cases with its scales (or sizes) a graph input 'p' and the output shape declared."""
    ins = ["x", "", "", "p"] if use_sizes else ["x", "", "p"]
    return make_model([node("Resize", ins, ["y"], **attrs)], {"x": shape, "p": const}, [("y", out_shape)],
                      opset=opset)


@settings(**SETTINGS, max_examples=25)
@given(case=nd_cases(), seed=st.integers(0, 2**31))
def test_resize_runtime_scales(case, seed):
    """Scales (and keep_aspect_ratio_policy sizes) as a graph input: the C computes the source tables per
    call from the values with the generation-time float32 arithmetic, so the output equals the one
    compiled with the same scales as constants bit for bit, and onnxruntime's (nearest exactly, the
    blends within the float tolerance)."""
    shape, attrs, use_sizes, const = case
    ins = ["x", "", "", "sz"] if use_sizes else ["x", "", "s"]
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    mc = make_model([node("Resize", ins, ["y"], **attrs)], {"x": shape}, ["y"], {"sz" if use_sizes else "s": const},
                    opset=19)
    try:
        ref = ort_run(mc, {"x": x})[0]
    except Exception:   # onnxruntime's linear/cubic take 2-D and 4-D only: the same resize as 4-D
        ref = ort_run_as_4d(shape, attrs, use_sizes, const, x)
    assume(min(ref.shape) > 0)
    mc = make_model([node("Resize", ins, ["y"], **attrs)], {"x": shape}, [("y", ref.shape)],
                    {"sz" if use_sizes else "s": const}, opset=19)
    want, _ = gen_run(mc, {"x": x})
    got, res = gen_run(_runtime_model(shape, attrs, use_sizes, const, ref.shape), {"x": x, "p": const})
    assert [n.op for n in res.graph.nodes] == ["Resize"]
    assert np.array_equal(got[0], want[0]), f"{case}: run-time tables != generation-time tables"
    if attrs["mode"] == "nearest":
        assert np.array_equal(got[0], ref), f"{case}: C != onnxruntime"
    else:
        assert_close(got[0], ref, what=str(case))


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_resize_runtime_scales_inconsistent(mode):
    """Scales that do not give the compiled output shape (another length, NaN, Inf, 0, a negative
    one, a scale on an axis that does not resample) make the run return -1; the right ones run."""
    from gen.host import HostModel
    shape, out = (1, 2, 4, 5), (1, 2, 6, 10)
    m = _runtime_model(shape, dict(mode=mode), False, np.zeros(4, np.float32), out)
    host = HostModel(graphs.gen_compile(m).files)
    x = np.random.default_rng(1).normal(size=shape).astype(np.float32)
    good = np.array([1, 1, 1.5, 2], np.float32)
    ref = ort_run(make_model([node("Resize", ["x", "", "s"], ["y"], mode=mode)], {"x": shape}, ["y"], {"s": good}),
                  {"x": x})[0]
    assert_close(host.run(x, good)[0], ref)
    for bad in ([1, 1, 1.4, 2], [1, 1, 1.5, 2.2], [1, 1, np.nan, 2], [1, 1, 1.5, np.inf], [1, 1, 0, 2],
                [1, 1, -1.5, 2], [1, 1.2, 1.5, 2], [2, 1, 1.5, 2]):
        with pytest.raises(RuntimeError, match="returned -1"):
            host.run(x, np.array(bad, np.float32))


def test_resize_runtime_sizes_policy_inconsistent():
    """keep_aspect_ratio_policy sizes at run time: the one scale they give must give the compiled shape."""
    from gen.host import HostModel
    shape, out = (1, 1, 4, 6), (1, 1, 2, 3)
    attrs = dict(mode="linear", keep_aspect_ratio_policy="not_larger", axes=[2, 3])
    m = _runtime_model(shape, attrs, True, np.zeros(2, np.int64), out)
    host = HostModel(graphs.gen_compile(m).files)
    x = np.random.default_rng(2).normal(size=shape).astype(np.float32)
    for sizes in ([2, 3], [2, 9], [7, 3]):       # all give the scale 0.5
        sz = np.array(sizes, np.int64)
        ref = ort_run(make_model([node("Resize", ["x", "", "", "sz"], ["y"], **attrs)], {"x": shape}, [("y", out)],
                                 {"sz": sz}, opset=19), {"x": x})[0]
        assert_close(host.run(x, sz)[0], ref)
    for sizes in ([1, 3], [2, 2], [0, 3], [-2, 3]):   # scales 0.25, 1/3: another shape; not lengths
        with pytest.raises(RuntimeError, match="returned -1"):
            host.run(x, np.array(sizes, np.int64))


@settings(**SETTINGS, max_examples=15)
@given(mode=st.sampled_from(["linear", "cubic"]), coord=st.sampled_from(["align_corners", "pytorch_half_pixel"]),
       h=st.integers(2, 5), w=st.integers(2, 5), fh=st.sampled_from([0.6, 0.7, 0.8, 1.3, 1.7]),
       fw=st.sampled_from([0.6, 0.75, 1.25, 2.5]), seed=st.integers(0, 2**31))
def test_resize_runtime_scales_follow_the_spec(mode, coord, h, w, fh, fw, seed):
    """Run-time scales where onnxruntime and the ONNX reference disagree (a fractional in * scale with
    align_corners or pytorch_half_pixel, a scale other than 1 that keeps a length; gen refuses such
    constant scales) compute what the ONNX reference (the spec) computes."""
    from onnx.reference import ReferenceEvaluator
    shape = (1, 2, h, w)
    s = np.array([1, 1, fh, fw], np.float32)
    out = (1, 2) + tuple(int(np.floor(float(d) * float(f))) for d, f in zip((h, w), s[2:]))
    assume(min(out) > 0)
    attrs = dict(mode=mode, coordinate_transformation_mode=coord)
    m = _runtime_model(shape, attrs, False, s, out, opset=13)
    x = np.random.default_rng(seed).normal(size=shape).astype(np.float32)
    ref = ReferenceEvaluator(m).run(None, {"x": x, "p": s})[0]
    got, _ = gen_run(m, {"x": x, "p": s})
    assert_close(got[0], ref, what=f"{attrs} {shape} {s}")


def test_upsample_runtime_scales():
    """Upsample-9's scales as a graph input (converted to Resize-11: asymmetric, nearest floor)."""
    shape, out = (1, 2, 3, 4), (1, 2, 6, 12)
    m = make_model([node("Upsample", ["x", "p"], ["y"], mode="nearest")], {"x": shape, "p": (4,)}, [("y", out)],
                   opset=9)
    x = np.random.default_rng(3).normal(size=shape).astype(np.float32)
    s = np.array([1, 1, 2, 3], np.float32)
    got, _ = gen_run(m, {"x": x, "p": s})
    assert np.array_equal(got[0], ort_run(m, {"x": x, "p": s})[0])


def test_resize_int8_runtime_scales_in_float():
    """A QDQ Resize with run-time scales computes in float between DQ and Q (a note says so), within
    1 LSB of onnxruntime."""
    shape, s_in = (1, 2, 3, 5), np.float32(0.1)
    consts = dict(sx=np.array(s_in, np.float32), zx=np.array(3, np.int8), sy=np.array(0.1, np.float32),
                  zy=np.array(-5, np.int8))
    nodes = [node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]), node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
             node("Resize", ["xd", "", "p"], ["r"], mode="linear"),
             node("QuantizeLinear", ["r", "sy", "zy"], ["rq"]), node("DequantizeLinear", ["rq", "sy", "zy"], ["y"])]
    m = graphs.make_model(nodes, {"x": shape, "p": (4,)}, [("y", (1, 2, 6, 7))], consts)
    m.graph.value_info.append(helper.make_tensor_value_info("r", TensorProto.FLOAT, [1, 2, 6, 7]))
    res = graphs.gen_compile(m)
    assert any("Resize node" in n for n in res.graph.notes), res.graph.notes
    from gen.host import HostModel
    host = HostModel(res.files)
    rng = np.random.default_rng(7)
    p = np.array([1, 1, 2, 1.5], np.float32)
    for _ in range(3):
        x = rng.uniform(-12, 12, size=shape).astype(np.float32)
        got = host.run(x, p)[0]
        ref = ort_run(m, {"x": x, "p": p})[0]
        assert np.abs(got - ref).max() <= 0.1 * 1.001, np.abs(got - ref).max()
