"""python -m gen: compile an ONNX model into a static, malloc-free C99 library."""
from __future__ import annotations

import argparse
import os
import signal
import sys
import warnings

from .errors import GenError

DESCRIPTION = """\
Compile an ONNX model into a self-contained C99 library for microcontrollers: a header with the
API and every size as a #define, the graph as straight-line kernel calls, weights as const arrays
(flash) and one static arena whose offsets are fixed now. float32 models run on gen's portable
kernels; int8 QDQ models run integer-only on CMSIS-NN's API.

Without a model, compiles the bundled example (a small digit classifier)."""

EPILOG = """\
examples:
  python -m gen model.onnx -o build/                 write build/model.h, build/model.c, runtime files
  python -m gen model.onnx -o build/ --verify        also build on the host and compare with onnxruntime
  python -m gen model.onnx --input-shape input=1,3,32,32   pin a symbolic batch dimension
  python -m gen --list-ops                           the supported operators: dtypes, opsets, limits

limits: the model and its weight files must be regular files (not a FIFO or a device); each tensor
and the arena fit 2^31 - 1 bytes; weights fit --flash-limit (default 64 MiB); constants computed at
generation time are size-checked before they are computed; Loop/Scan/If bodies are never run.

exit status: 0 success, 2 bad input (one line on stderr), 1 verification mismatch,
3 internal error (a bug in gen; GEN_DEBUG=1 shows the traceback)."""


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
    p.add_argument("-o", "--output", metavar="DIR", default="build",
                   help="output directory (default: build/). gen creates it, or reuses it when it is empty or "
                        "holds only what an earlier run wrote (listed with sha256 in DIR/gen_manifest.txt): those "
                        "files are replaced, nothing else is touched. A DIR holding anything else (a file gen "
                        "did not write, a gen file edited since, a subfolder, a symlink, the model) is refused "
                        "before compiling. A symlink to a directory is written through, in place. A failing run "
                        "leaves DIR as it was")
    p.add_argument("--name", help="C prefix of the API (default: from the model's file name)")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="pin the shape of an input with a symbolic dimension (repeatable)")
    p.add_argument("--verify", action="store_true",
                   help="build the library on the host and compare it with onnxruntime on random inputs "
                        "(before writing: a mismatch exits 1 and writes nothing)")
    p.add_argument("--test-input", metavar="FILE.npy",
                   help="input for the first test vector written for the firmware (default: random)")
    p.add_argument("--test-vectors", type=int, default=1, metavar="N",
                   help="test vectors written to gen_testvec.c for the firmware (default 1, 0 for none)")
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
    p.add_argument("--scratch", choices=("dsp", "helium"), default="dsp",
                   help="int8 scratch to plan: 'dsp' (default) is what gen's kernels and the real CMSIS-NN on "
                        "Cortex-M4/M7/M33 need; 'helium' also fits the real CMSIS-NN on Cortex-M55")
    p.add_argument("--board", metavar="ENV",
                   help="also build the firmware for this platformio.ini env and report its flash and RAM "
                        "(built from the new files before they replace DIR's)")
    p.add_argument("-q", "--quiet", action="store_true", help="print no summary")
    p.add_argument("--list-ops", action="store_true",
                   help="list the supported ONNX operators with their element types, opsets and limits, and exit")
    return p


def list_ops() -> str:
    """--list-ops: one line per supported ONNX op (its name first), after a '#' header."""
    from .ops import op_info, supported_onnx_ops
    rows = [(op, *op_info(op)) for op in sorted(supported_onnx_ops())]
    w = [max(len(r[k]) for r in rows) for k in range(3)]
    head = ("# op", "dtypes", "opsets", "limits")
    return "\n".join(f"{a:<{w[0]}}  {b:<{w[1]}}  {c:<{w[2]}}  {d}".rstrip() for a, b, c, d in [head, *rows])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_ops:
        print(list_ops())
        return 0
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
    ini = os.path.join(board.ROOT, "platformio.ini")
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        cp.read(ini, encoding="utf-8")
    except configparser.Error as e:
        raise GenError(f"--board {env}: cannot read {ini} ({type(e).__name__})") from None
    envs = [s[4:] for s in cp.sections() if s.startswith("env:")]
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

    from . import driver, outdir, report
    model = args.model or driver.EXAMPLE_MODEL
    shapes = dict(parse_shape(s) for s in args.input_shape)
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
    if args.verify:
        check_verify()
    if args.board:
        check_board(args.board)
    target = outdir.check(args.output, protect=[model, args.test_input])
    res = driver.generate(model, None, args.name, shapes, args.test_vectors, test_inputs, args.ram_limit,
                          args.scratch, driver.DEFAULT_FLASH_LIMIT if args.flash_limit is None else args.flash_limit,
                          args.kernels, args.io_layout, args.plan)
    if args.verify:
        from . import verify
        res.summary["verify"], ok = verify.against_onnxruntime(model, res)
        if not ok:
            if not args.quiet:
                print(report.summary_text(res.summary))
            print(f"gen: --verify: the generated C differs from onnxruntime (see the summary); nothing written "
                  f"to '{args.output}'", file=sys.stderr)
            return 1
    with outdir.staged(target, res.files) as staged_dir:
        if args.board:
            from . import board
            try:
                elf = board.build_firmware(staged_dir, args.board)
            except (RuntimeError, OSError) as e:
                raise GenError(f"--board {args.board}: {e}".splitlines()[0]) from None
            res.summary["firmware"] = {args.board: board.firmware_breakdown(elf, res.summary["name"])}
        text = None if args.quiet else report.summary_text(res.summary, args.output.rstrip('/'))
    if text:
        print(text)
    return 0


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that a run being written is rolled back."""


def _on_sigterm(signum, frame):
    raise _Terminated()


if __name__ == "__main__":
    sys.exit(main())
