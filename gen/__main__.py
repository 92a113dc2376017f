"""python -m gen: compile an ONNX model into a static, malloc-free C99 library."""
from __future__ import annotations

import argparse
import os
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
  python -m gen --list-ops                           the supported operators

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
    p.add_argument("-o", "--output", metavar="DIR", help="output directory (default: build/)", default="build")
    p.add_argument("--name", help="C prefix of the API (default: from the model's file name)")
    p.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                   help="pin the shape of an input with a symbolic dimension (repeatable)")
    p.add_argument("--verify", action="store_true",
                   help="build the library on the host and compare it with onnxruntime on random inputs")
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
    p.add_argument("--scratch", choices=("dsp", "helium"), default="dsp",
                   help="int8 scratch to plan: 'dsp' (default) is what gen's kernels and the real CMSIS-NN on "
                        "Cortex-M4/M7/M33 need; 'helium' also fits the real CMSIS-NN on Cortex-M55")
    p.add_argument("--board", metavar="ENV",
                   help="also build the firmware for this platformio.ini env and report its flash and RAM")
    p.add_argument("-q", "--quiet", action="store_true", help="print no summary")
    p.add_argument("--list-ops", action="store_true", help="list the supported ONNX operators and exit")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_ops:
        from .ops import supported_onnx_ops
        print("\n".join(sorted(supported_onnx_ops())))
        return 0
    try:
        with warnings.catch_warnings():
            # numpy's overflow/NaN warnings on the user's weights (e.g. BN folding with a negative
            # variance) are not errors and would break the one-line stderr contract
            warnings.simplefilter("ignore", RuntimeWarning)
            return run(args)
    except GenError as e:
        print(f"gen: {e.line()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:   # a bug in gen, not in the input: one line, the traceback on request
        if os.environ.get("GEN_DEBUG"):
            raise
        print(f"gen: internal error: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''} "
              "(a bug in gen: rerun with GEN_DEBUG=1 for the traceback and please report it)", file=sys.stderr)
        return 3


def check_output_dir(out: str) -> None:
    """Refuse an output directory gen cannot create before compiling (write_atomically checks again)."""
    import os
    import tempfile
    path = os.path.abspath(out)
    if os.path.exists(path) and not os.path.isdir(path):
        raise GenError(f"output '{out}' exists and is not a directory")
    parent = os.path.dirname(path)
    while not os.path.exists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise GenError(f"cannot create output directory '{out}': '{parent}' is a file, not a directory")
    try:   # the only reliable test (root ignores permission bits; /proc and read-only mounts do not)
        os.rmdir(tempfile.mkdtemp(prefix=".gen-probe-", dir=parent))
    except OSError as e:
        raise GenError(f"cannot create output directory '{out}': cannot write in '{parent}' ({e.strerror})") \
            from None


def run(args) -> int:
    import numpy as np

    from . import driver, report
    model = args.model or driver.EXAMPLE_MODEL
    shapes = dict(parse_shape(s) for s in args.input_shape)
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
    if args.test_vectors < 0:
        raise GenError("--test-vectors must be 0 or more")
    check_output_dir(args.output)
    res = driver.generate(model, args.output, args.name, shapes, args.test_vectors, test_inputs, args.ram_limit,
                          args.scratch, driver.DEFAULT_FLASH_LIMIT if args.flash_limit is None else args.flash_limit)
    status = 0
    if args.verify:
        from . import verify
        res.summary["verify"], ok = verify.against_onnxruntime(model, res)
        status = 0 if ok else 1
    if args.board:
        from . import board
        try:
            elf = board.build_firmware(args.output, args.board)
        except (RuntimeError, OSError) as e:
            raise GenError(f"--board {args.board}: {e}".splitlines()[0]) from None
        res.summary["firmware"] = {args.board: board.firmware_breakdown(elf, res.summary["name"])}
    if not args.quiet:
        print(report.summary_text(res.summary, args.output.rstrip('/')))
    return status


if __name__ == "__main__":
    sys.exit(main())
