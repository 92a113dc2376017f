"""--quantize CALIB: a float model and the user's calibration inputs -> the int8 QDQ model gen compiles.

onnxruntime's `quantize_static` writes the model in the form gen's int8 kernels take (gen/qpasses.py):
QDQ, int8 weights symmetric per output channel (Conv, Gemm, MatMul), int8 activations asymmetric per
tensor (MinMax ranges over the calibration inputs), int32 biases, Relu/Clip folded into the Q ranges,
float graph inputs and outputs. Before it, onnxruntime's recommended pre-processing (shape inference and
its basic optimizations, which fold BatchNormalization into the Conv before it). After it, per-tensor
scales and zero points become rank 0 (the form the MLPerf *_int8_qdq_ort.onnx models have) and the
opset imports keep only the domains the nodes use.

Sample files (`SampleFile`): an .npy whose first axis is the sample axis, each sample the model's input
shape (with or without its leading batch dimension of 1); for a model with several inputs an .npz keyed by
input name, all with the same number of samples. The same reader takes --verify-data (gen/validate.py).
"""
from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
import zipfile

import numpy as np

from .errors import GenError

QDQ_OPS = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
           "ConvInteger", "MatMulInteger"}


# ------------------------------------------------------------------------------ the user's samples

def model_inputs(model) -> list[tuple[str, tuple[int, ...], int]]:
    """(name, static shape, onnx elem type) of each graph input that is not an initializer."""
    inits = {i.name for i in model.graph.initializer}
    out = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        dims = tuple(d.dim_value if d.HasField("dim_value") else 0 for d in tt.shape.dim)
        out.append((vi.name, dims, tt.elem_type))
    return out


class SampleFile:
    """A sample file read and checked on its own (before compiling): each array real numbers (float), at
    least one sample on its first axis, finite, all with the same count. `for_inputs` then matches it with
    the model's inputs (names, shapes)."""

    def __init__(self, path: str, option: str):
        from .frontend import read_regular_file
        self.path, self.option = path, option
        data = read_regular_file(path, option)
        try:
            loaded = np.load(io.BytesIO(data), allow_pickle=False)
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            raise GenError(f"cannot read {option} '{path}': not a .npy or .npz array "
                           f"({str(e).splitlines()[0][:120]})") from None
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                self.arrays: dict[str | None, np.ndarray] = {k: np.asarray(loaded[k]) for k in loaded.files}
            if not self.arrays:
                raise GenError(f"{option} '{path}' is an .npz without arrays")
        else:
            self.arrays = {None: np.asarray(loaded)}
        for key, a in self.arrays.items():
            what = f"{option} '{path}'" + (f" (array '{key}')" if key is not None else "")
            if a.dtype.kind not in "biuf":
                raise GenError(f"{what} has dtype {a.dtype}: samples are numbers")
            if a.ndim == 0 or a.shape[0] == 0:
                raise GenError(f"{what} has no samples (shape {list(a.shape)}: samples go on the first axis)")
            if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
                raise GenError(f"{what} holds NaN or infinite values")
        counts = sorted({a.shape[0] for a in self.arrays.values()})
        if len(counts) > 1:
            raise GenError(f"{option} '{path}': the arrays have different sample counts ({counts})")
        self.count = counts[0]

    def for_inputs(self, inputs: list[tuple[str, tuple[int, ...], np.dtype]]) -> list[list[np.ndarray]]:
        """One list per sample of arrays in each input's shape and dtype. inputs: (name, static shape, dtype):
        float inputs take float samples, integer ones (a sample rate, indices) integer samples."""
        option, path = self.option, self.path
        if None in self.arrays:
            if len(inputs) != 1:
                raise GenError(f"{option} '{path}' is one array, the model has {len(inputs)} inputs: give an .npz "
                               f"keyed by input name ({', '.join(n for n, _, _ in inputs)})")
            arrays = [self.arrays[None]]
        else:
            missing = [n for n, _, _ in inputs if n not in self.arrays]
            if missing:
                raise GenError(f"{option} '{path}' has no array '{missing[0]}' (the model's inputs: "
                               f"{', '.join(n for n, _, _ in inputs)}; the file has: {', '.join(self.arrays)})")
            arrays = [self.arrays[n] for n, _, _ in inputs]
        per_input = []
        for (name, shape, dtype), a in zip(inputs, arrays):
            dtype = np.dtype(dtype)
            if (dtype.kind == "f") != (a.dtype.kind == "f"):
                raise GenError(f"{option} '{path}': input '{name}' is {dtype.name}, the samples are {a.dtype.name}")
            per = tuple(a.shape[1:])
            if per != tuple(shape) and not (shape[:1] == (1,) and per == tuple(shape[1:])):
                hint = " (channels last? transpose to the model's layout)" if \
                    sorted(per) in (sorted(shape), sorted(shape[1:])) else ""
                raise GenError(f"{option} '{path}': input '{name}' has shape {list(a.shape)}; it needs "
                               f"[N, {', '.join(map(str, shape[1:] if shape[:1] == (1,) else shape))}] (N samples "
                               f"first, each the input's shape {list(shape)} without or with its batch axis){hint}")
            per_input.append([np.asarray(x, dtype).reshape(shape) for x in a])
        return [list(s) for s in zip(*per_input)]


def load_samples(path: str, option: str, inputs: list[tuple[str, tuple[int, ...], np.dtype]]) -> list[list[np.ndarray]]:
    """The samples of `path` (.npy, or .npz keyed by input name) matched with the model's inputs (SampleFile)."""
    return SampleFile(path, option).for_inputs(inputs)


# ------------------------------------------------------------------------------ quantization

def check_float_model(model, path: str) -> None:
    """--quantize takes a float model: one already quantized (Q/DQ or integer ops) or without float inputs is refused."""
    import onnx
    for n in model.graph.node:
        if n.op_type in QDQ_OPS or n.op_type.startswith("QLinear"):
            raise GenError(f"--quantize takes a float model; '{os.path.basename(path)}' is already quantized "
                           f"(it has a {n.op_type} node)", node=n.name)
    ins = model_inputs(model)
    for name, _, et in ins:
        dtype = onnx.helper.tensor_dtype_to_np_dtype(et)
        if dtype.kind == "f" and et != onnx.TensorProto.FLOAT:
            raise GenError(f"--quantize takes a float32 model; its input '{name}' is {dtype.name}")
    if not any(et == onnx.TensorProto.FLOAT for _, _, et in ins):
        raise GenError("--quantize takes a float32 model; this one has no float32 input")


def quantize_static_qdq(float_path: str, samples: list[dict[str, np.ndarray]]):
    """The int8 QDQ onnx.ModelProto of the float model at float_path, calibrated on `samples` (feeds)."""
    import onnx
    from onnx import numpy_helper
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(samples)

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory(prefix="gen-quant-") as tmp, _quiet():
        pre, out = os.path.join(tmp, "pre.onnx"), os.path.join(tmp, "q.onnx")
        # the recommended pre-processing: shape inference and onnxruntime's basic graph
        # optimizations, which fold BatchNormalization into the Conv before it is quantized
        quant_pre_process(float_path, pre)
        quantize_static(pre, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        q = onnx.load(out)
    # per-tensor scales and zero points as scalars (rank 0)
    qparams = {i for n in q.graph.node if n.op_type in ("QuantizeLinear", "DequantizeLinear") for i in n.input[1:]}
    for init in q.graph.initializer:
        if init.name in qparams:
            arr = numpy_helper.to_array(init)
            if arr.size == 1 and arr.ndim != 0:
                init.CopyFrom(numpy_helper.from_array(arr.reshape(()), init.name))
    # the pre-processing imports every onnxruntime domain; keep the ones the nodes use
    used = {n.domain for n in q.graph.node} | {""}
    keep = [o for o in q.opset_import if o.domain in used or (o.domain == "ai.onnx" and "" in used)]
    del q.opset_import[:]
    q.opset_import.extend(keep)
    del q.graph.value_info[:]
    return q


@contextlib.contextmanager
def _quiet():
    """onnxruntime's quantization tools log and print progress: keep the user's stdout/stderr to gen's lines."""
    import onnxruntime as ort
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    ort.set_default_logger_severity(3)       # the calibration sessions' warnings (errors still raise)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        root.setLevel(level)


def quantize_file(float_path: str, calib_path: str, input_shapes: dict | None = None):
    """--quantize: (the int8 model's bytes, the calibration samples, the float model's bytes)."""
    import onnx

    from .frontend import _pin_inputs, load_model
    try:
        import onnxruntime.quantization  # noqa: F401
    except ImportError:
        raise GenError("--quantize needs onnxruntime: pip install onnxruntime") from None
    model = load_model(float_path)          # gen's reader: regular files, external data checked
    _pin_inputs(model, input_shapes or {})  # --input-shape; refuses dynamic dimensions left open
    check_float_model(model, float_path)
    model = _per_channel_ready(model)
    ins = [(n, s, onnx.helper.tensor_dtype_to_np_dtype(et)) for n, s, et in model_inputs(model)]
    samples = load_samples(calib_path, "--quantize", ins)
    feeds = [dict(zip([n for n, _, _ in ins], s)) for s in samples]
    with tempfile.TemporaryDirectory(prefix="gen-quant-") as tmp:
        src = os.path.join(tmp, "float.onnx")
        onnx.save(model, src)
        try:
            q = quantize_static_qdq(src, feeds)
        except Exception as e:     # onnxruntime's tools refusing the model (an op it cannot run, ...)
            raise GenError(f"--quantize: onnxruntime's quantize_static failed on this model: "
                           f"{' '.join(str(e).split())[:240]}") from None
    q.doc_string = f"int8 QDQ of {os.path.basename(float_path)} (gen --quantize: onnxruntime quantize_static, " \
                   f"per-channel symmetric int8 weights, int8 activations, {len(samples)} calibration samples)"
    return q.SerializeToString(), samples, model.SerializeToString()


PER_CHANNEL_OPSET = 13      # DequantizeLinear's axis (per-channel weights)
PER_CHANNEL_IR = 7          # the IR of opset 13; below 4, every initializer had to be a graph input too


def _per_channel_ready(model):
    """The float model at an opset and IR version whose QDQ form can hold per-channel weights: older models
    (opset 7-12 exporters) go through onnx's version converter first."""
    import onnx
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), PER_CHANNEL_OPSET)
    if opset < PER_CHANNEL_OPSET:
        try:
            model = onnx.version_converter.convert_version(model, PER_CHANNEL_OPSET)
        except Exception as e:      # the converter's own refusals: an op it has no adapter for
            raise GenError(f"--quantize: per-channel int8 weights need opset {PER_CHANNEL_OPSET}; onnx's version "
                           f"converter cannot bring this opset {opset} model there: "
                           f"{' '.join(str(e).split())[:200]}") from None
    model.ir_version = max(model.ir_version, PER_CHANNEL_IR)
    return model


class Quantized:
    """--quantize's int8 model: written to `tmp` to be compiled (as NAME_int8.onnx, the name it gets in DIR), with
    the calibration samples and the float original for the accuracy cost."""

    def __init__(self, float_path: str, calib_path: str, name: str | None, input_shapes: dict, tmp: str):
        from .emit import c_identifier, user_prefix
        self.name = user_prefix(name) if name else c_identifier(os.path.splitext(os.path.basename(float_path))[0])
        self.file_name = f"{self.name}_int8.onnx"
        self.model_bytes, self.samples, self.float_bytes = quantize_file(float_path, calib_path, input_shapes)
        self.path = os.path.join(tmp, self.file_name)
        with open(self.path, "wb") as f:
            f.write(self.model_bytes)
