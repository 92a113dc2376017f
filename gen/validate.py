"""Validation on the user's data: the generated C (built on the host) against onnxruntime, per output, with
the metrics STM32Cube.AI's `validate` prints.

- `--verify-data INPUTS.npy [--verify-labels LABELS.npy]`: the C and onnxruntime running the compiled model on
  the user's inputs (gen/calibrate.py's sample format); for a model made by --quantize, also the float
  original. Per output: max abs error, RMSE, cosine similarity, L2r (||ref - C|| / ||ref||), top-1
  agreement (outputs of a Softmax/LogSoftmax: classifiers), and with labels the accuracy of each.
- `--quantize`: the accuracy cost of the int8 C against the float model on the calibration inputs
  (`quantization_cost`).

onnxruntime runs quantized models with graph optimizations off (gen/verify.py: its QDQ reference semantics).
The numbers are information: --verify-data has no verdict (--verify's is the bit-level one).
"""
from __future__ import annotations

import numpy as np

from .errors import GenError

CLASSIFIER_OPS = {"Softmax", "LogSoftmax"}
# ops that pass a classifier's scores through unchanged in order
PASS_THROUGH = {"Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "QuantizeLinear", "DequantizeLinear"}


def metrics(ref: list[np.ndarray], got: list[np.ndarray], classifier: bool) -> dict:
    """ref, got: one array per sample (the same output). STM32Cube.AI's definitions, over all samples."""
    r = np.stack([np.asarray(a, np.float64).reshape(-1) for a in ref])
    c = np.stack([np.asarray(a, np.float64).reshape(-1) for a in got])
    d = r - c
    nr, nc = float(np.linalg.norm(r)), float(np.linalg.norm(c))
    m = dict(samples=len(ref), max_abs=float(np.max(np.abs(d))) if d.size else 0.0,
             rmse=float(np.sqrt(np.mean(d * d))) if d.size else 0.0,
             cos=float(np.dot(r.reshape(-1), c.reshape(-1)) / (nr * nc)) if nr and nc else float(nr == nc),
             l2r=float(np.linalg.norm(d)) / nr if nr else float(np.linalg.norm(d)))
    if classifier and r.shape[1] > 1:
        m["top1"] = int(np.sum(np.argmax(r, 1) == np.argmax(c, 1)))
    return m


def metrics_text(m: dict) -> str:
    s = f"max abs {m['max_abs']:.3g}, RMSE {m['rmse']:.3g}, cos {m['cos']:.6f}, L2r {m['l2r']:.3g}"
    if "top1" in m:
        s += f", top-1 agreement {m['top1']}/{m['samples']} ({100 * m['top1'] / m['samples']:.0f}%)"
    return s


def classifier_outputs(model) -> set[int]:
    """The indices of the graph outputs of an onnx.ModelProto that a Softmax/LogSoftmax computes (through
    reshapes and Q/DQ). Indices, not names: gen's and quantize_static's output names may differ."""
    producer = {o: n for n in model.graph.node for o in n.output}
    out = set()
    for k, o in enumerate(model.graph.output):
        name = o.name
        for _ in range(len(model.graph.node) + 1):
            n = producer.get(name)
            if n is None:
                break
            if n.op_type in CLASSIFIER_OPS:
                out.add(k)
                break
            if n.op_type not in PASS_THROUGH or not n.input:
                break
            name = n.input[0]
    return out


def _model(model_bytes_or_path):
    import onnx
    return onnx.load_model_from_string(model_bytes_or_path) if isinstance(model_bytes_or_path, bytes) \
        else onnx.load(model_bytes_or_path)


def run_c(host, samples: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """The C's outputs (float: an int8 model through its float entry point) for each sample."""
    return [host.run(*s) for s in samples]


def run_ort(model_bytes_or_path, samples: list[list[np.ndarray]], quantized: bool) -> list[list[np.ndarray]]:
    from .verify import ort_session
    sess = ort_session(model_bytes_or_path, quantized)
    names = [i.name for i in sess.get_inputs()]
    return [[np.asarray(o, np.float32) for o in sess.run(None, dict(zip(names, s)))] for s in samples]


def check_float_outputs(host, option: str) -> None:
    bad = [t for t in host.outputs if t["dtype"] not in ("float32", "int8")]
    if bad:
        raise GenError(f"{option} compares float values: the model's output '{bad[0]['name']}' is {bad[0]['dtype']}")


def compare(outputs: list[str], got, ref, classifiers: set[int]) -> list[dict]:
    """Per output (the model's names, in gen's order): metrics of the C's outputs `got` against the
    reference's `ref` (one list per sample)."""
    return [dict(output=name, **metrics([r[k] for r in ref], [g[k] for g in got], k in classifiers))
            for k, name in enumerate(outputs)]


def output_names(model) -> list[str]:
    """The model's output names (gen's own may follow a QuantizeLinear's output)."""
    return [o.name for o in model.graph.output]


def quantization_cost(host, float_model: bytes, samples: list[list[np.ndarray]]) -> list[dict]:
    """--quantize: the int8 C against the float model on the calibration inputs, per output."""
    check_float_outputs(host, "--quantize")
    fm = _model(float_model)
    return compare(output_names(fm), run_c(host, samples), run_ort(float_model, samples, False),
                   classifier_outputs(fm))


class Labels:
    """--verify-labels, read and checked against the sample count before compiling: [N] class indices, or
    [N, C] one-hot rows / scores (their argmax); `for_classes` checks the range once the model's C is known."""

    def __init__(self, path: str, n: int):
        import io

        from .frontend import read_regular_file
        self.path = path
        try:
            a = np.load(io.BytesIO(read_regular_file(path, "--verify-labels")), allow_pickle=False)
        except (OSError, ValueError, EOFError) as e:
            raise GenError(f"cannot read --verify-labels '{path}': not a .npy array "
                           f"({str(e).splitlines()[0][:120]})") from None
        if not isinstance(a, np.ndarray) or a.dtype.kind not in "biuf":
            raise GenError(f"--verify-labels '{path}' must be a .npy array of class indices or one-hot rows")
        if a.ndim == 2 and a.shape[1] == 1:
            a = a[:, 0]
        if a.ndim not in (1, 2):
            raise GenError(f"--verify-labels '{path}' has shape {list(a.shape)}: give [N] class indices or "
                           "[N, classes] one-hot rows")
        if len(a) != n:
            raise GenError(f"--verify-labels '{path}' has {len(a)} labels, --verify-data has {n} samples")
        if a.ndim == 1 and a.dtype.kind == "f" and not np.all(a == np.round(a)):
            raise GenError(f"--verify-labels '{path}': class indices must be whole numbers")
        self.array = a

    def for_classes(self, classes: int) -> np.ndarray:
        a, path = self.array, self.path
        if a.ndim == 2:
            if a.shape[1] != classes:
                raise GenError(f"--verify-labels '{path}' has shape {list(a.shape)}: the model has {classes} "
                               f"classes (give [N] indices or [N, {classes}] one-hot rows)")
            return np.argmax(a, 1).astype(np.int64)
        if len(a) and (a.min() < 0 or a.max() >= classes):
            raise GenError(f"--verify-labels '{path}': label {int(a.min() if a.min() < 0 else a.max())} is outside "
                           f"the model's {classes} classes")
        return a.astype(np.int64)


class UserData:
    """--verify-data and --verify-labels, read and checked as far as they can be before compiling."""

    def __init__(self, data_path: str, labels_path: str | None):
        from .calibrate import SampleFile
        self.samples = SampleFile(data_path, "--verify-data")
        self.labels = Labels(labels_path, self.samples.count) if labels_path else None


def verify_data(host, model_path: str, data: UserData, float_model: bytes | None = None,
                quantized: bool = False) -> dict:
    """--verify-data: the summary's "verify_data" entry. model_path: the model compiled (the int8 one of
    --quantize); float_model: the float original of a --quantize run."""
    check_float_outputs(host, "--verify-data")
    from .calibrate import model_inputs
    model = _model(model_path)
    # the model's input names (gen's may follow a QuantizeLinear), in the order gen keeps them
    names = [n for n, _, _ in model_inputs(model)]
    samples = data.samples.for_inputs([(n, tuple(t["shape"]), host.entry_dtype(t)) for n, t in zip(names, host.inputs)])
    classifiers = classifier_outputs(_model(float_model) if float_model else model)
    got = run_c(host, samples)
    refs = {"onnxruntime": run_ort(model_path, samples, quantized)}
    if float_model is not None:
        refs["the float model"] = run_ort(float_model, samples, False)
    out = dict(samples=len(samples), against=[(who, compare(output_names(model), got, ref, classifiers))
                                               for who, ref in refs.items()])
    if data.labels is not None:
        k = min(classifiers, default=0)
        labels = data.labels.for_classes(int(np.prod(host.outputs[k]["shape"])))
        acc = {"the C": _accuracy([g[k] for g in got], labels)}
        acc.update({name: _accuracy([r[k] for r in ref], labels) for name, ref in refs.items()})
        out["accuracy"] = dict(output=output_names(model)[k], n=len(labels), correct=acc)
    return out


def _accuracy(outs: list[np.ndarray], labels: np.ndarray) -> int:
    return int(sum(int(np.argmax(o.reshape(-1)) == y) for o, y in zip(outs, labels)))


def run(res, model_path: str, quantized, data: UserData | None) -> None:
    """The --quantize cost and --verify-data metrics into res.summary (gen.driver.Result)."""
    from .host import HostModel
    host = HostModel(res.files)
    if quantized is not None:
        res.summary["quantize"] = dict(file=quantized.file_name, samples=len(quantized.samples),
                                       cost=quantization_cost(host, quantized.float_bytes, quantized.samples))
    if data is not None:
        res.summary["verify_data"] = verify_data(
            host, model_path, data, quantized.float_bytes if quantized is not None else None,
            quantized=host.int8 or bool(res.graph.options.get("int8")))


def summary_lines(s: dict) -> list[str]:
    """The summary's lines for --quantize's cost and --verify-data's metrics."""
    from .errors import _printable as printable
    lines = []
    q = s.get("quantize")
    if q:
        lines.append(f"  quantize: {printable(q['file'])} (onnxruntime quantize_static: QDQ, per-channel symmetric "
                     f"int8 weights, int8 activations), calibrated on {q['samples']} inputs")
        for m in q["cost"]:
            lines.append(f"    accuracy cost, int8 C vs the float model on the calibration inputs, "
                         f"'{printable(m['output'])}': {metrics_text(m)}")
    v = s.get("verify_data")
    if v:
        for against, ms in v["against"]:
            for m in ms:
                lines.append(f"  verify-data '{printable(m['output'])}', C vs {against} on {v['samples']} inputs: "
                             f"{metrics_text(m)}")
        a = v.get("accuracy")
        if a:
            lines.append(f"  verify-data accuracy on {a['n']} labels ('{printable(a['output'])}'): " +
                         ", ".join(f"{who} {c}/{a['n']} ({100 * c / a['n']:.1f}%)" for who, c in a["correct"].items()))
    return lines
