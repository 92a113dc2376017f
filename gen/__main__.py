"""python -m gen: compile an ONNX model into a static, malloc-free C99 library."""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import warnings

from . import __version__
from .errors import GenError

DESCRIPTION = """\
Compile an ONNX model into a self-contained C99 library for microcontrollers: a header with the
API and every size as a #define, the graph as straight-line kernel calls, weights as const arrays
(flash) and one static arena whose offsets are fixed now. float32 models run on gen's portable
kernels; int8 QDQ models run integer-only on CMSIS-NN's API. Every run also writes
DIR/NAME_report.html (open it in a browser): the layers, the memory plan as a picture, flash and RAM.

Without a model, compiles the bundled example (a small digit classifier)."""

EPILOG = """\
examples:
  python -m gen model.onnx -o build/                 write build/model.h, build/model.c, runtime files
  python -m gen model.onnx -o build/ --verify        also build on the host and compare with onnxruntime
  python -m gen model.onnx -o build/ --test-vectors 1   also write gen_testvec.c/.h for the board firmware
  python -m gen model.onnx --input-shape input=1,3,32,32   pin a symbolic batch dimension
  python -m gen --list-ops                           the supported operators: dtypes, opsets, int8 forms, limits
  python -m gen model.onnx --board mps2-an386        also build the firmware and run it in QEMU: PASS/FAIL
  python -m gen model.onnx --pio-project fw/ --board mps2-an386
                                                     a PlatformIO project: cd fw && pio run -t upload
  python -m gen float.onnx --quantize calib.npy --verify    int8 from a float model and calibration inputs
  python -m gen model.onnx --verify-data x.npy --verify-labels y.npy   metrics of the C on your data

limits: the model and its weight files must be regular files (not a FIFO or a device); each tensor
and the arena fit 2^31 - 1 bytes; weights fit --flash-limit (default 64 MiB); constants computed at
generation time are size-checked before they are computed; Loop/Scan/If bodies are never run.

exit status: 0 success, 2 bad input (one line on stderr), 1 verification mismatch (--verify, or a
test vector failing in QEMU with --board), 3 internal error (a bug in gen; GEN_DEBUG=1 shows the
traceback)."""


def parse_shape(text: str) -> tuple[str, tuple[int, ...]]:
    if "=" not in text:
        raise GenError(f"--input-shape '{text}' is not NAME=D0,D1,...")
    name, dims = text.rsplit("=", 1)
    try:
        shape = tuple(int(d) for d in dims.replace("x", ",").split(",") if d.strip())
    except ValueError:
        raise GenError(f"--input-shape '{text}': dimensions must be integers") from None
    if not shape or any(d <= 0 for d in shape):
        raise GenError(f"--input-shape '{text}': dimensions must be positive")
    return name, shape


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        """Bad options are bad input too: one line, exit status 2 (argparse prints the whole usage)."""
        self.exit(2, f"gen: error: {message} (python -m gen --help)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m gen", description=DESCRIPTION, epilog=EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", help="the .onnx file (default: the bundled example model)")
    p.add_argument("-o", "--output", metavar="DIR", default=None,
                   help="output directory (default: build/, none with --pio-project). gen creates it, or reuses it when it is empty or "
                        "holds only what an earlier run wrote (listed with sha256 in DIR/gen_manifest.txt): those "
                        "files are replaced, nothing else is touched. A DIR holding anything else (a file gen "
                        "did not write, a gen file edited since, a subfolder gen did not write, a symlink, the model) is refused "
                        "before compiling. A symlink to a directory is written through, in place. A failing run "
                        "leaves DIR as it was")
    p.add_argument("--name", help="C prefix of the API (default: from the model's file name)")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="pin the shape of an input with a symbolic dimension (repeatable)")
    p.add_argument("--verify", action="store_true",
                   help="build the library on the host and compare it with onnxruntime on random inputs "
                        "(before writing: a mismatch exits 1 and writes nothing)")
    p.add_argument("--quantize", metavar="CALIB.npy",
                   help="quantize the float model first, calibrated on these inputs (an .npy whose first axis is the "
                        "sample axis; several inputs: an .npz keyed by input name), with onnxruntime's "
                        "quantize_static (QDQ, per-channel symmetric int8 weights, int8 activations); writes "
                        "DIR/NAME_int8.onnx, compiles it and shows the accuracy cost against the float model on "
                        "the calibration inputs")
    p.add_argument("--verify-data", metavar="INPUTS.npy",
                   help="run the C (built on the host) and onnxruntime on these inputs (the --quantize format) and "
                        "print per output: max abs error, RMSE, cosine similarity, L2r (relative L2 error) and "
                        "top-1 agreement (Softmax outputs); with --quantize also against the float model")
    p.add_argument("--verify-labels", metavar="LABELS.npy",
                   help="with --verify-data: the class of each input ([N] indices or [N, classes] one-hot); "
                        "prints the accuracy of the C and of onnxruntime")
    p.add_argument("--test-input", metavar="FILE.npy",
                   help="input for the first test vector written for the firmware (default: random)")
    p.add_argument("--test-vectors", type=int, default=None, metavar="N",
                   help="write N test vectors (inputs and the outputs the C computed on the host) to "
                        "gen_testvec.c/.h for the firmware (boards/firmware); default 0, so DIR holds only the "
                        "library, or 1 with --board, --test-input or --verify")
    p.add_argument("--ram-limit", type=int, metavar="BYTES",
                   help="refuse models whose arena (RAM for activations and scratch) is larger (default: none; "
                        "any arena or tensor past 2^31 - 1 bytes is always refused)")
    p.add_argument("--flash-limit", type=int, metavar="BYTES", default=None,
                   help="refuse models whose weights (const data in flash) are larger, before any C is written "
                        "or built; also bounds constants computed at generation time "
                        "(default 67108864 = 64 MiB)")
    p.add_argument("--kernels", choices=("gen", "cmsis-nn"), default="gen",
                   help="int8 kernels: 'gen' (default) uses gen's kernels specialized for each layer where it has "
                        "one (convolutions, 3x3 depthwise, fully connected, Add, Mul, pooling so far) and CMSIS-NN "
                        "API calls elsewhere; 'cmsis-nn' emits only CMSIS-NN API calls, to link Arm's library "
                        "(GEN_USE_CMSIS_NN)")
    p.add_argument("--fc-weights", choices=("int16", "int8"), default="int16",
                   help="int8 fully connected layers with a batch of one row (gen's kernels): 'int16' (default) "
                        "stores their weights widened to int16, twice the flash, for the fewest instructions "
                        "(every weight is read once); 'int8' keeps the int8 weights")
    p.add_argument("--io-layout", choices=("model", "nhwc"), default="model",
                   help="int8 models: 'model' (default) keeps inputs and outputs in the model's layout (NCHW); "
                        "'nhwc' passes the 3-D and 4-D ones gen computes channels last in TFLite's NHWC order, "
                        "without a transpose at the boundary (NAME.h gives each one's layout and dimensions)")
    p.add_argument("--plan", choices=("overlap", "simple"), default="overlap",
                   help="memory plan: 'overlap' (default) lets a gen kernel write its output over the bytes of an "
                        "input that dies there, as far as its loop order allows (Add and depthwise in place, "
                        "convolutions a few rows below their input), where that makes the arena smaller; 'simple' "
                        "gives every tensor bytes of its own while it is alive (implied by --kernels cmsis-nn; "
                        "an overlapping plan #errors when built with the real CMSIS-NN, GEN_USE_CMSIS_NN)")
    p.add_argument("--ram", choices=("default", "low", "min"), default="default",
                   help="'min' also runs the first layers band by band of output rows (MCUNetV2's patches, along "
                        "rows) where that lowers the arena: the rows two bands need computed twice, or kept in row "
                        "buffers; the smallest arena found is taken, or with --ram-limit the fewest MACs within it "
                        "(the summary lists the trade-offs and the extra MACs). 'low': the same with no row "
                        "computed twice (a few more instructions: the calls per band, the rows kept). One call per "
                        "band and layer in the C, bit-exact with the default")
    p.add_argument("--scratch", choices=("dsp", "helium"), default="dsp",
                   help="int8 scratch to plan: 'dsp' (default) is what gen's kernels and the real CMSIS-NN on "
                        "Cortex-M4/M7/M33 need; 'helium' also fits the real CMSIS-NN on Cortex-M55")
    p.add_argument("--board", metavar="ENV",
                   help="also build the firmware for this platformio.ini env and report its flash and RAM; on the "
                        "QEMU envs (mps2-an386, mps2-an500, mps2-an505, mps3-an547) also run it in QEMU and print "
                        "PASS or FAIL (FAIL exits 1 and writes nothing). Built from the new files before they "
                        "replace DIR's")
    p.add_argument("--profile", action="store_true",
                   help="with --board on a QEMU env: build the firmware with GEN_PROFILE and put each layer's "
                        "measured instructions (and instructions/MAC) in NAME_report.html")
    p.add_argument("--pio-project", metavar="DIR",
                   help="with --board ENV: write a PlatformIO project into DIR (platformio.ini with ENV, src/ with a "
                        "firmware that runs the test vectors and prints PASS/FAIL and the cost, lib/NAME/ with the "
                        "library), so that 'cd DIR && pio run -t upload' works; DIR follows -o's rules (a built "
                        "project's .pio/ is PlatformIO's: kept as it is when gen writes DIR again)")
    p.add_argument("-q", "--quiet", action="store_true", help="print no summary")
    p.add_argument("--version", action="version", version=f"gen {__version__}", help="print gen's version and exit")
    p.add_argument("--list-ops", action="store_true",
                   help="list the supported ONNX operators, one a line, and exit: the plain dtypes gen compiles each "
                        "for (int8/16 = int8, int16; float16, bfloat16, float64 compute in float32; a model with any "
                        "other is refused), the opsets, the int8 form ('QDQ: ConvS8': between DequantizeLinear and "
                        "QuantizeLinear it runs that int8 kernel; 'QDQ': on the int8 values as they are) and the "
                        "limits")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="with --list-ops: 'json' prints a list of {op, dtypes, int8, opsets, limits}")
    return p


def list_ops(fmt: str = "text") -> str:
    """--list-ops: one line per supported ONNX op (its name first), after a '#' header; or a JSON list."""
    import json
    from .op_dtypes import compact
    from .ops import op_info, supported_onnx_ops
    infos = [op_info(op) for op in sorted(supported_onnx_ops())]
    if fmt == "json":
        return json.dumps(infos, indent=1)
    rows = [(i["op"], compact(i["dtypes"]) if i["dtypes"] is not None else "its body's",
             "-".join(map(str, i["opsets"] or ["-"])), i["int8"] or "-", i["limits"]) for i in infos]
    head = ("# op", "dtypes", "opsets", "int8", "limits")
    w = [max(len(r[k]) for r in [head, *rows]) for k in range(4)]
    return "\n".join(f"{a:<{w[0]}}  {b:<{w[1]}}  {c:<{w[2]}}  {d:<{w[3]}}  {e}".rstrip()
                     for a, b, c, d, e in [head, *rows])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_ops:
        print(list_ops(args.format))
        return 0
    if args.format != "text":
        print("gen: --format applies to --list-ops only", file=sys.stderr)
        return 2
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:      # not the main thread
        previous = None
    try:
        with warnings.catch_warnings():
            # numpy's overflow/NaN warnings on the user's weights (e.g. BN folding with a negative
            # variance) are not errors and would break the one-line stderr contract
            warnings.simplefilter("ignore", RuntimeWarning)
            return run(args)
    except GenError as e:
        print(f"gen: {e.line()}", file=sys.stderr)
        return 2
    except _Terminated:
        return 143
    except KeyboardInterrupt:
        return 130
    except Exception as e:   # a bug in gen, not in the input: one line, the traceback on request
        if os.environ.get("GEN_DEBUG"):
            raise
        print(f"gen: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
              "(a bug in gen: rerun with GEN_DEBUG=1 for the traceback and please report it)", file=sys.stderr)
        return 3
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def check_board(env: str) -> None:
    """--board ENV: refuse an env platformio.ini does not define, or a missing PlatformIO, before compiling."""
    import configparser

    from . import board
    from . import pio_project
    try:
        envs = pio_project.envs()
    except (OSError, configparser.Error) as e:
        raise GenError(f"--board {env}: cannot read {board.PLATFORMIO_INI} ({type(e).__name__})") from None
    if env not in envs:
        raise GenError(f"--board {env}: no such env in platformio.ini (have {', '.join(envs) or 'none'})")
    if board.pio_command() is None:
        raise GenError(f"--board {env}: PlatformIO is not installed (pip install platformio)")


def check_verify() -> None:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        raise GenError("--verify needs onnxruntime: pip install onnxruntime") from None


def run(args) -> int:
    """Every check that can refuse the run comes before anything is written: the options, the output
    directory, the compile, --verify, and the --board build (of the staged output); then the commit."""
    import numpy as np

    from . import driver, outdir
    model = args.model or driver.EXAMPLE_MODEL
    shapes = dict(parse_shape(s) for s in args.input_shape)
    if args.test_vectors is None:     # the firmware (--board), a given sample and --verify's host build come with
        args.test_vectors = 1 if (args.board or args.test_input or args.verify) else 0     # one; a library alone not
    if args.test_vectors < 0:
        raise GenError("--test-vectors must be 0 or more")
    if args.ram_limit is not None and args.ram_limit < 0:
        raise GenError("--ram-limit must be 0 or more")
    test_inputs = None
    if args.test_input:
        import io

        from .frontend import read_regular_file
        data = read_regular_file(args.test_input, "--test-input")   # not a FIFO or /dev/zero
        try:
            test_inputs = [np.load(io.BytesIO(data))]
        except OSError as e:
            raise GenError(f"cannot read --test-input '{args.test_input}': {e.strerror or e}") from None
        except ValueError as e:
            raise GenError(f"cannot read --test-input '{args.test_input}': not a .npy array ({e})") from None
    if args.verify and args.io_layout != "model":
        raise GenError("--verify compares with onnxruntime in the model's layout: use it with --io-layout model")
    if args.verify_labels and not args.verify_data:
        raise GenError("--verify-labels needs --verify-data (the inputs the labels belong to)")
    if (args.verify_data or args.quantize) and args.io_layout != "model":
        raise GenError("--verify-data and --quantize compare in the model's layout: use them with --io-layout model")
    if args.verify or args.verify_data or args.quantize:
        check_verify()
    if args.board:
        check_board(args.board)
    if args.pio_project and not args.board:
        raise GenError("--pio-project DIR needs --board ENV (the env of its platformio.ini)")
    if args.profile:
        from .board import QEMU_BOARDS
        if args.board not in QEMU_BOARDS:
            raise GenError(f"--profile measures the layers in QEMU: give --board one of {', '.join(QEMU_BOARDS)}")
    if args.output is None and not args.pio_project:
        args.output = "build"
    user_data = None
    if args.verify_data:
        from .validate import UserData
        user_data = UserData(args.verify_data, args.verify_labels)
    protect = [model, args.test_input, args.quantize, args.verify_data, args.verify_labels]
    if args.output and args.pio_project and os.path.abspath(args.output) == os.path.abspath(args.pio_project):
        raise GenError(f"-o and --pio-project name the same directory '{args.output}' (the project keeps the "
                       "library in its lib/ folder: give one of them)")
    target = outdir.check(args.output, protect=protect) if args.output is not None else None
    project = outdir.check(args.pio_project, protect=protect, keep=PIO_OWNED) if args.pio_project else None
    with tempfile.TemporaryDirectory(prefix="gen-run-") as tmp:
        quantized = None
        if args.quantize:     # the int8 model is what gets compiled, verified and written
            from . import calibrate
            quantized = calibrate.Quantized(model, args.quantize, args.name, shapes, tmp)
            model, args.name, shapes = quantized.path, quantized.name, {}
        return _compile_and_write(args, model, shapes, test_inputs, target, project, quantized, user_data)


def _compile_and_write(args, model, shapes, test_inputs, target, project, quantized, user_data) -> int:
    from . import driver, outdir, report
    res = driver.generate(model, None, args.name, shapes, args.test_vectors, test_inputs, args.ram_limit,
                          args.scratch, driver.DEFAULT_FLASH_LIMIT if args.flash_limit is None else args.flash_limit,
                          args.kernels, args.io_layout, args.fc_weights, args.plan, args.ram)
    if quantized or user_data:
        from . import validate
        validate.run(res, model, quantized, user_data)
    if args.verify:
        from . import verify
        res.summary["verify"], ok = verify.against_onnxruntime(model, res)
        driver.attach_report(res)
        if not ok:
            if not args.quiet:
                print(report.summary_text(res.summary))
            print(f"gen: --verify: the generated C differs from onnxruntime (see the summary); nothing written "
                  f"to '{args.output or args.pio_project}'", file=sys.stderr)
            return 1
    if quantized:
        res.files[quantized.file_name] = quantized.model_bytes     # DIR/NAME_int8.onnx, in the manifest
    try:
        with outdir.staged(target, res.files) if target else contextlib.nullcontext() as staged_dir:
            board_line = _board_run(args.board, staged_dir or res.files, res.summary,
                                    args.profile) if args.board else None
            if args.board:
                driver.attach_report(res)      # with the firmware's flash and RAM (outdir.staged re-stages it)
            if project:
                from . import pio_project
                outdir.write(project, pio_project.project_files(args.board, res.files))
            text = None if args.quiet else report.summary_text(
                res.summary, args.output.rstrip('/') if args.output else None)
    except _BoardFailed as e:
        print(f"gen: --board {args.board}: {e}; nothing written", file=sys.stderr)
        return 1
    if text:
        print(text)
    if board_line:
        print(board_line)
    if project and not args.quiet:
        print(f"PlatformIO project: {args.pio_project.rstrip('/')}/ (cd {args.pio_project.rstrip('/')} && pio run "
              f"-t upload)")
    return 0


PIO_OWNED = (".pio",)     # in a --pio-project DIR: PlatformIO's build and platforms folder, never gen's


class _BoardFailed(Exception):
    """The firmware ran on a QEMU board and a test vector failed (or it faulted): exit 1, nothing written."""


def _board_run(env: str, output, summary: dict, profile: bool = False) -> str | None:
    """--board ENV: build the firmware around the new output (a staged directory or its files), its flash
    and RAM into the summary; on a QEMU env run it too and return the verdict line. profile: a GEN_PROFILE
    build, each layer's instructions into the summary (the report's)."""
    import tempfile

    from . import board
    with tempfile.TemporaryDirectory(prefix="gen-board-") as scratch:
        try:
            if env not in board.QEMU_BOARDS:
                elf = board.build_firmware(output, env, build_dir=scratch)
            else:
                res = board.run_on_qemu(output, env, build_dir=scratch, profile=profile)
                elf = res["elf"]
                if elf is None:
                    raise RuntimeError(board.build_failure(res["log"], env))
        except (RuntimeError, OSError) as e:
            raise GenError(f"--board {env}: {e}".splitlines()[0]) from None
        summary["firmware"] = {env: board.firmware_breakdown(elf, summary["name"])}
    if env not in board.QEMU_BOARDS:
        return None
    if profile and board.layer_profile(res):
        summary["profile"] = dict(board.layer_profile(res), board=f"{env} (QEMU, GEN_PROFILE build)")
    vectors = res["results"]
    cost = ", ".join(f"{k} {res[k]:,}" for k in ("instructions", "cycles", "us") if isinstance(res.get(k), int))
    cost += " (a GEN_PROFILE build: its hooks included)" if profile and cost else ""
    line = (f"board {env} (QEMU): {res['result'] or 'no result'}, {sum(v['pass'] for v in vectors)}/{len(vectors)} "
            f"test vectors" + (f", {cost} per inference" if cost else "")
            + (f", stack {res['stack']:,} B" if isinstance(res.get("stack"), int) else ""))
    if res["result"] != "PASS" or res["status"] != 0:
        raise _BoardFailed(line + (f" ({res['fault']})" if res.get("fault") else ""))
    return line


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that a run being written is rolled back."""


def _on_sigterm(signum, frame):
    raise _Terminated()


if __name__ == "__main__":
    sys.exit(main())
