"""A PlatformIO project around one gen library: ``python -m gen model.onnx --pio-project DIR --board ENV``.

The project is self-contained (it needs gen's files neither in a checkout nor installed afterwards):

    DIR/platformio.ini    the env ENV of gen's platformio.ini, flattened (``extends`` and ``[env]`` resolved,
                          paths the project's own); ``platforms_dir = .pio/platforms``
    DIR/src/              the test firmware (boards/firmware: main() runs every test vector, prints
                          ``gen: vector=0 PASS ... instructions=T`` and ``gen: RESULT PASS|FAIL``) and the
                          test vectors (gen_testvec.c/h)
    DIR/lib/NAME/         the generated library; PlatformIO's library finder builds it (src/ includes NAME.h)
    DIR/gen_extra.py      the pre-script every gen env runs (board name, GEN_PROFILE, CMSIS-NN)
    DIR/platform-qemu/    for the QEMU envs: the local platform (offline: arm-none-eabi-gcc + qemu-system-arm)

``cd DIR && pio run -t upload`` builds it, and on a QEMU env runs it in QEMU. The local QEMU platform is
registered in the project's own ``.pio/platforms`` (not PlatformIO's global platforms folder), so projects
and checkouts never replace each other's platform, whatever runs at the same time.

gen's own board runs (``--board``, :func:`gen.board.run_on_qemu`, ``python -m gen.bench``) build such a
project in a scratch folder: the same layout, from the package's data, so they work from an installed gen.
"""
from __future__ import annotations

import configparser
import os

from . import board

PROJECT_PLATFORMS_DIR = ".pio/platforms"     # the project's own: no global link to replace
LOCAL_PLATFORM = "platform-qemu"
EXTRA_SCRIPT = "gen_extra.py"
BOARDS_PREFIX = "boards/"                    # gen's ini names its files from the repository root


def read_ini() -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    with open(board.PLATFORMIO_INI, encoding="utf-8") as fp:
        cp.read_file(fp)
    return cp


def envs(cp: configparser.ConfigParser | None = None) -> list[str]:
    """The env names of gen's platformio.ini, in its order."""
    cp = cp or read_ini()
    return [s[4:] for s in cp.sections() if s.startswith("env:")]


def flat_env(env: str, cp: configparser.ConfigParser | None = None) -> dict[str, str]:
    """The options of [env:ENV] as PlatformIO resolves them: [env], then each ``extends`` section, then the
    env's own; KeyError for an env the ini does not define."""
    cp = cp or read_ini()
    section = "env:" + env
    if not cp.has_section(section):
        raise KeyError(env)
    opts: dict[str, str] = dict(cp["env"]) if cp.has_section("env") else {}

    def apply(name: str, seen: tuple[str, ...]) -> None:
        if name in seen or not cp.has_section(name):
            return
        for parent in cp[name].get("extends", "").replace(",", " ").split():
            apply(parent if cp.has_section(parent) else "env:" + parent, seen + (name,))
        opts.update(cp[name])
    apply(section, ())
    opts.pop("extends", None)
    return opts


def _project_path(value: str) -> str:
    """A value naming gen's files from the repository root (``boards/X``) names them in the project (``X``)."""
    return value.replace("${PROJECT_DIR}/" + BOARDS_PREFIX, "${PROJECT_DIR}/").replace(
        "pre:" + BOARDS_PREFIX, "pre:").replace("post:" + BOARDS_PREFIX, "post:")


def _ini_value(value: str) -> str:
    lines = value.strip().splitlines()
    return "\n    ".join(line.strip() for line in lines if line.strip())


def ini_text(env: str, name: str, cp: configparser.ConfigParser | None = None) -> str:
    """platformio.ini of a project with the one env ENV and the library lib/NAME."""
    opts = flat_env(env, cp)
    opts.pop("custom_gen_dir", None)
    out = {k: _project_path(v) for k, v in opts.items()}
    out["custom_gen_library"] = f"lib/{name}"
    lines = [f"; PlatformIO project written by gen (python -m gen ... --pio-project DIR --board {env}).",
             f"; The model library is lib/{name}/; src/ holds a test firmware that runs the test vectors.",
             "; pio run -t upload" + ("   (runs the firmware in qemu-system-arm: PASS/FAIL, instructions)"
                                      if uses_local_platform(opts) else ""),
             "", "[platformio]", f"default_envs = {env}",
             f"platforms_dir = {PROJECT_PLATFORMS_DIR}",
             "; pytest-free: a test/ folder would make PlatformIO fetch Unity", "test_dir = no-pio-tests",
             "", f"[env:{env}]"]
    lines += [f"{k} = {_ini_value(v)}".rstrip() for k, v in out.items()]
    return "\n".join(lines) + "\n"


def uses_local_platform(opts: dict[str, str]) -> bool:
    return opts.get("platform", "").startswith("symlink://") and LOCAL_PLATFORM in opts.get("platform", "")


def _tree(root: str, prefix: str) -> dict[str, bytes]:
    """Every file under root, as prefix/relative path -> bytes (caches and bytecode left out)."""
    files = {}
    for d, subdirs, names in os.walk(root):
        subdirs[:] = sorted(s for s in subdirs if s != "__pycache__")
        for n in sorted(names):
            if n.endswith(".pyc"):
                continue
            p = os.path.join(d, n)
            with open(p, "rb") as fp:
                files[prefix + os.path.relpath(p, root).replace(os.sep, "/")] = fp.read()
    return files


def _firmware(opts: dict[str, str]) -> dict[str, bytes]:
    """src/: the firmware's top-level sources and the port folders the env's build_src_filter selects."""
    fw = os.path.join(board.BOARDS_DIR, "firmware")
    files = {f"src/{n}": open(os.path.join(fw, n), "rb").read() for n in sorted(os.listdir(fw))
             if os.path.isfile(os.path.join(fw, n))}
    for sub in sorted(os.listdir(fw)):
        if os.path.isdir(os.path.join(fw, sub)) and f"+<{sub}/>" in opts.get("build_src_filter", ""):
            files.update(_tree(os.path.join(fw, sub), f"src/{sub}/"))
    return files


def project_files(env: str, gen_files: dict[str, bytes]) -> dict[str, bytes]:
    """The whole project (relative path -> bytes) for env ENV around gen's output files ``gen_files``
    (name -> bytes, as written to ``-o DIR``): the library into lib/NAME, the test vectors into src/."""
    cp = read_ini()
    opts = flat_env(env, cp)
    library, vectors = board.split_output(gen_files)
    name = board.library_name(gen_files)
    files = {"platformio.ini": ini_text(env, name, cp).encode()}
    files.update(_firmware(opts))
    files.update({f"src/{n}": data for n, data in vectors.items()})
    files.update({f"lib/{name}/{n}": data for n, data in library.items()})
    with open(os.path.join(board.BOARDS_DIR, EXTRA_SCRIPT), "rb") as fp:
        files[EXTRA_SCRIPT] = fp.read()
    if uses_local_platform(opts):
        files.update(_tree(os.path.join(board.BOARDS_DIR, LOCAL_PLATFORM), LOCAL_PLATFORM + "/"))
    return files


def write_scratch(project_dir: str, files: dict[str, bytes]) -> None:
    """Writes a project into a scratch folder gen owns (gen's board runs); files already equal are left
    alone, so PlatformIO's incremental build keeps its work."""
    for rel, data in files.items():
        p = os.path.join(project_dir, *rel.split("/"))
        try:
            with open(p, "rb") as fp:
                if fp.read() == data:
                    continue
        except OSError:
            pass
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as fp:
            fp.write(data)
