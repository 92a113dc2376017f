"""Board-side helpers: ELF sizes, running gen output directories on the QEMU boards.

The QEMU boards are the PlatformIO envs of platformio.ini backed by the local platform
boards/platform-qemu (offline: Debian's arm-none-eabi-gcc + qemu-system-arm). Each run
writes a PlatformIO project (gen/pio_project.py: the firmware of boards/firmware, the test
vectors, the library of one gen output directory) into a scratch folder, builds it and
runs it; the firmware prints ``gen: key=value`` lines (see boards/firmware/gen_fw.c)
that :func:`parse_output` turns into a dict.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# boards/ (platformio.ini, the firmware, the QEMU platform, the pre-script): the checkout's, or the installed
# package's data (gen/boards, see pyproject.toml)
_PACKAGED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "boards")
BOARDS_DIR = _PACKAGED if os.path.isdir(_PACKAGED) else os.path.join(ROOT, "boards")
PLATFORMIO_INI = os.path.join(BOARDS_DIR, "platformio.ini")     # in a checkout: a link to the root's
QEMU_PLATFORM = os.path.join(BOARDS_DIR, "platform-qemu")
TESTVEC_FILES = ("gen_testvec.c", "gen_testvec.h")
QEMU_BOARDS = ("mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547")
DEFAULT_BOARD = "mps2-an386"

# PlatformIO must not try to reach its registry or the network on its own.
PIO_OFFLINE_ENV = {
    "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "No",
    "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true",
    "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "3650",
    "PLATFORMIO_SETTING_CHECK_PRUNE_SYSTEM_THRESHOLD": "0",
}


def board_info(board: str) -> dict:
    """The board manifest of a QEMU env (cpu, f_cpu, qemu machine, ...)."""
    with open(os.path.join(QEMU_PLATFORM, "boards", board + ".json"), encoding="utf-8") as fp:
        return json.load(fp)


def size_tool(elf: str) -> str:
    """arm-none-eabi-size for Arm ELFs, else the host's size."""
    with open(elf, "rb") as fp:
        head = fp.read(20)
    machine = int.from_bytes(head[18:20], "little" if head[5:6] == b"\x01" else "big")
    return "arm-none-eabi-size" if machine == 40 else "size"


def elf_size(elf: str) -> dict:
    """{'text', 'data', 'bss', 'flash', 'ram'} in bytes, from ``size`` (Berkeley format).

    text counts code and read-only data (weights), data the initialised RAM (stored in
    flash too), bss the zeroed RAM (the arena is there). flash = text + data,
    ram = data + bss (static RAM; the stack comes on top).
    """
    out = subprocess.run([size_tool(elf), "-B", "-d", elf], check=True,
                         capture_output=True, text=True).stdout
    line = out.strip().splitlines()[-1].split()
    text, data, bss = int(line[0]), int(line[1]), int(line[2])
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "ram": data + bss}


def missing_tools() -> list:
    """Tools the QEMU flow needs that are not on PATH."""
    need = ["arm-none-eabi-gcc", "arm-none-eabi-size", "qemu-system-arm"]
    missing = [t for t in need if shutil.which(t) is None]
    if pio_command() is None:
        missing.append("pio (pip install platformio)")
    return missing


def pio_command():
    """How to run PlatformIO: the ``pio`` on PATH, else ``python -m platformio``."""
    exe = shutil.which("pio") or shutil.which("platformio")
    if exe:
        return [exe]
    try:
        import platformio  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        return None
    return [sys.executable, "-m", "platformio"]


def pio_env(**extra) -> dict:
    env = dict(os.environ)
    env.update(PIO_OFFLINE_ENV)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def ensure_pio_offline(quiet: bool = True) -> str:
    """Provision PlatformIO's tool-scons from PyPI's scons (no-op when present)."""
    cmd = [sys.executable, os.path.join(BOARDS_DIR, "pio_offline_setup.py")]
    if quiet:
        cmd.append("-q")
    subprocess.run(cmd, check=True, env=pio_env())
    return "ok"


_KV = re.compile(r"(\w+)=(\S+)")


def _num(v: str):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


def parse_output(text: str) -> dict:
    """Parse the firmware's ``gen:`` lines.

    Returns {'board', 'model', 'vectors': count, 'results': [{'index', 'pass',
    'max_err', unit: n}],
    'instructions' | 'cycles' | 'us', 'arena', 'stack', 'result': 'PASS'|'FAIL'|None,
    'fault': str|None, 'timer_check': {...}, 'layers': {K: {unit: n}} (GEN_PROFILE builds)}.
    """
    res = {"results": [], "result": None, "fault": None}
    for raw in text.splitlines():
        line = raw.strip()
        if not line.startswith("gen: "):
            continue
        body = line[5:]
        if body.startswith("RESULT "):
            res["result"] = body.split()[1]
        elif body.startswith("FAULT "):
            res["fault"] = body[6:]
        elif body.startswith("vector="):
            parts = body.split()
            vec = {"index": int(parts[0].split("=")[1]), "pass": parts[1] == "PASS"}
            for k, v in _KV.findall(" ".join(parts[2:])):
                vec[k] = _num(v)
            res["results"].append(vec)
        elif body.startswith("layer="):     # GEN_PROFILE: "layer=K instructions=T"
            kv = dict(_KV.findall(body))
            k = int(kv.pop("layer"))
            res.setdefault("layers", {})[k] = {unit: _num(v) for unit, v in kv.items()}
        elif body.startswith("timer_check "):
            res["timer_check"] = {k: _num(v) for k, v in _KV.findall(body)}
        elif body.startswith("warning="):
            res.setdefault("warnings", []).append(body[8:])
        else:
            m = re.match(r"(\w+)=(.*)$", body)
            if m:
                res[m.group(1)] = _num(m.group(2).strip())
    return res


def split_output(files: dict) -> tuple[dict, dict]:
    """gen's output files (name -> bytes) as (the model library, the test vectors the firmware runs): the
    one place that knows which files are the test vectors (flat gen_testvec.c/h, or under test/)."""
    library, vectors = {}, {}
    for n, data in files.items():
        if n in TESTVEC_FILES or n.startswith("test/"):
            vectors[n.split("/")[-1]] = data
        elif n != "gen_manifest.txt":
            library[n] = data
    return library, vectors


def library_name(files: dict) -> str:
    """The C prefix of the model in gen's output files (NAME_plan.json), else 'model'."""
    plans = sorted(n[:-len("_plan.json")] for n in files if n.endswith("_plan.json") and "/" not in n)
    return plans[0] if plans else "model"


def read_output_dir(gen_dir: str) -> dict:
    """The files of a gen output directory (name -> bytes; top level and test/)."""
    files = {}
    for sub in ("", "test"):
        d = os.path.join(gen_dir, sub)
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            p = os.path.join(d, n)
            if os.path.isfile(p):
                with open(p, "rb") as fp:
                    files[(sub + "/" if sub else "") + n] = fp.read()
    return files


def _pio_run(gen_dir, board, target, build_dir, timeout, cmsis_nn_dir, profile=False, defines=()):
    """``pio run -e board [-t target]``, offline, on the PlatformIO project gen/pio_project.py writes around
    gen_dir (a gen output directory, or its files as name -> bytes) into build_dir/project, which PlatformIO
    builds in its own .pio/; returns (log, returncode, elf or None). ``profile``: built with GEN_PROFILE;
    ``defines``: extra preprocessor defines (NAME or NAME=VALUE, boards/gen_extra.py's GEN_DEFINES)."""
    from . import pio_project  # pylint: disable=import-outside-toplevel
    pio = pio_command()
    if pio is None:
        raise RuntimeError("PlatformIO is not installed (pip install platformio)")
    bdir = os.path.abspath(build_dir)
    project = os.path.join(bdir, "project")
    files = gen_dir if isinstance(gen_dir, dict) else read_output_dir(gen_dir)
    pio_project.write_scratch(project, pio_project.project_files(board, files))
    extra = {}
    if cmsis_nn_dir:
        extra["GEN_CMSIS_NN_DIR"] = os.path.abspath(cmsis_nn_dir)
    if profile:
        extra["GEN_PROFILE"] = "1"
    if defines:
        extra["GEN_DEFINES"] = " ".join(defines)
    env = pio_env(**extra)
    for var in ("GEN_DIR", "PLATFORMIO_BUILD_DIR"):    # the project's own build folder, its own library
        env.pop(var, None)
    if not cmsis_nn_dir:
        env.pop("GEN_CMSIS_NN_DIR", None)
    if not profile:
        env.pop("GEN_PROFILE", None)
    if not defines:
        env.pop("GEN_DEFINES", None)
    cmd = pio + ["run", "-d", project, "-e", board] + (["-t", target] if target else [])
    try:
        proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout, check=False, cwd=project)
        log, rc = proc.stdout + proc.stderr, proc.returncode
    except subprocess.TimeoutExpired as exc:
        log = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        log += "\nbench: pio timed out after %.0f s\n" % timeout
        rc = 124
    elf = os.path.join(project, ".pio", "build", board, "firmware.elf")
    return log, rc, elf if os.path.isfile(elf) else None


def run_on_qemu(gen_dir: str, board: str = DEFAULT_BOARD, build_dir: str | None = None,
                timeout: float = 900.0, cmsis_nn_dir: str | None = None, profile: bool = False,
                defines=()) -> dict:
    """Build the firmware around ``gen_dir`` for a QEMU env and run it (``pio run -t upload``).

    Returns parse_output()'s dict plus 'returncode' (pio's), 'status' (the firmware's
    exit status, None if it did not run), 'elf', 'size' (elf_size) and 'log' (pio +
    QEMU output). ``cmsis_nn_dir``: a CMSIS-NN v7.0.0 checkout to link instead of gen's
    portable kernels (sets GEN_CMSIS_NN_DIR, which defines GEN_USE_CMSIS_NN). ``profile``: built
    with GEN_PROFILE, 'layers' holds each layer's time of the first vector, in the port's unit. ``defines``:
    extra preprocessor defines for the firmware and the library, e.g. ("GEN_CHECK_OVERLAP",).
    """
    if board not in QEMU_BOARDS:
        raise ValueError("unknown QEMU board %r (have %s)" % (board, ", ".join(QEMU_BOARDS)))
    build_dir = build_dir or tempfile.mkdtemp(prefix="gen-pio-")
    log, rc, elf = _pio_run(gen_dir, board, "upload", build_dir, timeout, cmsis_nn_dir, profile, defines)
    res = parse_output(log)
    res["returncode"] = rc
    m = re.search(r"qemu: \S+ exited with status (\d+)", log)
    res["status"] = int(m.group(1)) if m else None
    res["elf"] = elf
    res["size"] = elf_size(elf) if elf else None
    res["log"] = log
    return res


def layer_profile(res: dict) -> dict | None:
    """A GEN_PROFILE run's per-layer figures as the report takes them (gen/report_html.py):
    {'unit': 'instructions' (or the port's unit), 'layers': {layer index: n}}; None without them."""
    if not res.get("layers"):
        return None
    unit = next(iter(next(iter(res["layers"].values()))))
    return {"unit": unit, "layers": {k: v[unit] for k, v in res["layers"].items()}}


def build_firmware(gen_dir: str, board: str, build_dir: str | None = None, timeout: float = 900.0) -> str:
    """Builds (does not run) the firmware around ``gen_dir`` for a PlatformIO env; returns the ELF path."""
    build_dir = build_dir or tempfile.mkdtemp(prefix="gen-pio-")
    log, rc, elf = _pio_run(gen_dir, board, None, build_dir, timeout, None)
    if rc != 0 or elf is None:
        raise RuntimeError(build_failure(log, board))
    return elf


def build_failure(log: str, board: str) -> str:
    """`pio run -e BOARD failed: <the first error line of its log>`, then the log's last lines."""
    lines = log.strip().splitlines()
    first = next((line.strip() for line in lines if re.search(r"\berror\b|Error:|UnknownPlatform|not found", line)),
                 lines[-1].strip() if lines else "no output")
    tail = "\n".join(lines[-15:])
    return f"pio run -e {board} failed: {first}\n{tail}"


def firmware_breakdown(elf: str, name: str) -> dict:
    """Flash and RAM of a linked firmware split by symbol: the model's weights and parameters (NAME_*
    const data), its arena, the test vectors (gen_tv_*), and the rest (code: kernels, firmware, libc)."""
    size = elf_size(elf)
    nm = "arm-none-eabi-nm" if size_tool(elf) == "arm-none-eabi-size" else "nm"
    out = subprocess.run([nm, "-S", "--size-sort", elf], check=True, capture_output=True, text=True).stdout
    readelf = nm[:-2] + "readelf"       # which symbols are functions (nm calls code and rodata alike 't')
    syms = subprocess.run([readelf, "-sW", elf], check=True, capture_output=True, text=True).stdout
    code_syms = {p[7] for p in (line.split() for line in syms.splitlines()) if len(p) >= 8 and p[3] == "FUNC"}
    weights = arena = vectors = model_code = 0
    functions = (f"{name}_run", f"{name}_run_s8", f"{name}_invoke")
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 4:
            continue
        n, kind, sym = int(parts[1], 16), parts[2], parts[3]
        base = sym.split(".")[0]
        if sym == f"{name}_arena":
            arena += n
        elif sym.startswith("gen_tv_"):
            vectors += n
        elif base in functions or (base.startswith(("arm_", "gen_")) and not base.startswith("gen_fw")
                                   and kind in "tT") or (base.startswith(f"{name}_") and sym in code_syms):
            model_code += n     # the kernels, and the generated per-layer wrappers (NAME_pw_s8_...)
        elif sym.startswith(f"{name}_") and kind in "rRtT":
            weights += n
    return {"flash": size["flash"], "ram": size["ram"], "weights": weights, "test_vectors": vectors,
            "model_code": model_code, "code": size["flash"] - weights - vectors - model_code, "arena": arena,
            "other_ram": size["ram"] - arena}


def write_stream_dir(model_path: str, out_dir: str, frames: int, state, name: str | None = None,
                     inputs: list | None = None) -> dict:
    """Compiles a streaming model into ``out_dir`` with ``frames`` test vectors that are consecutive frames
    of one stream: ``state`` pairs (input name, output name) carry each frame's state output into the next
    frame's state input, on the host and on the board (gen/testvec.py). Returns the compile summary.
    ``inputs``: frame 0's inputs (default: random, the state included)."""
    from . import driver, outdir, testvec  # pylint: disable=import-outside-toplevel
    target = outdir.check(out_dir, protect=[model_path])
    res = driver.generate(model_path, None, name, test_vectors=0)
    res.files.update(testvec.render(res.files, res.summary, frames, inputs, state=state))
    outdir.write(target, res.files)
    return res.summary
