"""gen from a regular (not editable) `pip install .`, run from another folder: the board files (platformio.ini,
boards/: firmware, QEMU platform, pre-script) are package data, so `--board`, `--pio-project` and
`python -m gen.bench` work without a checkout.

The venv sees this machine's packages (--system-site-packages) and gets gen itself from a copy of the
checkout's tracked files (no network needed but for `wheel` when the machine lacks it)."""
import os
import shutil
import subprocess
import sys

import pytest

from gen import board

ROOT = board.ROOT
MISSING = board.missing_tools()


def _run(cmd, cwd, timeout=900):
    env = board.pio_env()
    env.pop("PYTHONPATH", None)       # the installed gen, not a checkout's
    return subprocess.run(cmd, cwd=str(cwd), capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


@pytest.mark.skipif(bool(MISSING), reason="missing tools: %s" % ", ".join(MISSING))
def test_installed_gen_runs_boards_from_another_folder(tmp_path):
    if shutil.which("git") is None or not os.path.isdir(os.path.join(ROOT, ".git")) and \
            not os.path.isfile(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout: the tracked files are what a user installs")
    board.ensure_pio_offline()
    src = tmp_path / "src"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        p = os.path.join(ROOT, rel)
        if not os.path.lexists(p):
            continue            # deleted in the work tree
        dst = src / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if os.path.islink(p):
            os.symlink(os.readlink(p), dst)
        else:
            shutil.copy2(p, dst)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    py = str(venv / "bin" / "python")
    if _run([py, "-c", "import setuptools.command.bdist_wheel"], tmp_path).returncode != 0 and \
            _run([py, "-c", "import wheel"], tmp_path).returncode != 0:
        r = _run([py, "-m", "pip", "install", "-q", "wheel"], tmp_path, timeout=300)
        if r.returncode != 0:
            pytest.skip("no 'wheel' package for setuptools' bdist_wheel: " + r.stderr.strip()[-200:])
    r = _run([py, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(src)], tmp_path, timeout=600)
    assert r.returncode == 0, r.stderr
    work = tmp_path / "elsewhere"
    work.mkdir()
    r = _run([py, "-c", "import gen, gen.board; print(gen.__file__); print(gen.board.BOARDS_DIR)"], work)
    site = str(venv / "lib")
    assert all(line.startswith(site) for line in r.stdout.split()), r.stdout + r.stderr
    r = _run([py, "-m", "gen", "--version"], work)
    assert r.returncode == 0 and r.stdout.startswith("gen ") and r.stdout.split()[1][0].isdigit(), r.stderr

    # --board: built and run in QEMU from the installed package data
    r = _run([py, "-m", "gen", "--board", "mps2-an386", "-o", "out", "--pio-project", "proj"], work)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "board mps2-an386 (QEMU): PASS, 1/1 test vectors" in r.stdout, r.stdout
    assert (work / "out" / "digits_cnn.h").is_file() and (work / "proj" / "lib" / "digits_cnn" / "digits_cnn.h").is_file()

    # the project it wrote builds and runs on its own
    r = _run(board.pio_command() + ["run", "-t", "upload"], work / "proj")
    res = board.parse_output(r.stdout)
    assert r.returncode == 0 and res["result"] == "PASS" and all(v["pass"] for v in res["results"]), r.stdout[-3000:]

    # gen.bench: the bundled example (no ../shared/models next to an installed gen), results in a scratch folder
    r = _run([py, "-m", "gen.bench", "--boards", "mps2-an386", "-j", "1"], work)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "gen.bench: [1/1, " in r.stderr and " example " in r.stderr, r.stderr
    wrote = [line for line in r.stdout.splitlines() if line.startswith("gen.bench: wrote ")]
    results = wrote[0].split()[2]
    assert results.endswith("results.md") and not results.startswith(str(venv)), wrote
    text = open(results).read()
    assert "| example | mps2-an386 | gen | PASS |" in text and "gen's own library only" in text
    assert "CMSIS-NN from" not in text
    shutil.rmtree(os.path.dirname(results))
    assert sorted(os.listdir(work)) == ["out", "proj"]       # nothing written into the current folder
