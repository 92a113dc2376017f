"""`python -m gen MODEL --pio-project DIR --board ENV` (gen/pio_project.py): a PlatformIO project in the user's
folder that `pio run -t upload` builds and, on the QEMU envs, runs (PASS against the outputs the host computed
and checked with onnxruntime); written with gen's output-directory rules; two projects building at once.

The env's options are checked against PlatformIO's own reading of gen's platformio.ini (ProjectConfig)."""
import os
import subprocess
import sys

import pytest

from gen import board, outdir, pio_project
from gen.errors import GenError

ROOT = board.ROOT
QEMU_ENV = "mps2-an386"
MISSING = board.missing_tools()
needs_qemu = pytest.mark.skipif(bool(MISSING), reason="missing tools: %s" % ", ".join(MISSING))


def _pio_items(ini_dir: str, env: str) -> dict:
    """PlatformIO's options of env, read as `pio run` in ini_dir reads them (${PROJECT_DIR} is the cwd)."""
    from platformio.project.config import ProjectConfig
    cwd = os.getcwd()
    os.chdir(ini_dir)
    try:
        return ProjectConfig(os.path.join(ini_dir, "platformio.ini")).items(env=env, as_dict=True)
    finally:
        os.chdir(cwd)


@pytest.fixture(scope="module")
def example_files(tmp_path_factory):
    return board.read_output_dir(_example_dir(tmp_path_factory.mktemp("gen") / "out"))


@pytest.mark.parametrize("env", pio_project.envs())
def test_project_env_is_platformio_reading_of_gen_ini(tmp_path, env, example_files):
    """Every env of gen's platformio.ini, written as a project, has the options PlatformIO resolves for it in
    the checkout (extends and [env] included), with gen's paths the project's own and the library in lib/."""
    pytest.importorskip("platformio")
    gen_files = example_files
    files = pio_project.project_files(env, gen_files)
    proj = tmp_path / "proj"
    pio_project.write_scratch(str(proj), files)
    want = _pio_items(ROOT, env)
    for k in ("extends", "custom_gen_dir"):
        want.pop(k)
    want["extra_scripts"] = [s.replace("boards/", "") for s in want["extra_scripts"]]
    if want["platform"].startswith("symlink://"):
        assert want["platform"] == f"symlink://{ROOT}/boards/platform-qemu"
        want["platform"] = f"symlink://{proj}/platform-qemu"
        assert (proj / "platform-qemu" / "platform.json").is_file()
    got = _pio_items(str(proj), env)
    assert got.pop("custom_gen_library") == "lib/digits_cnn"
    assert got == want
    from platformio.project.config import ProjectConfig
    assert ProjectConfig(str(proj / "platformio.ini")).envs() == [env]
    # the library in lib/NAME, the test vectors and the firmware's sources in src/
    assert sorted(n[len("lib/digits_cnn/"):] for n in files if n.startswith("lib/")) == \
        sorted(n for n in gen_files if not n.startswith("gen_testvec") and n != outdir.MANIFEST)
    assert {"src/gen_testvec.c", "src/gen_testvec.h", "src/gen_fw.c"} <= set(files)
    port = "qemu" if "qemu" in want["build_src_filter"][0] else "arduino"
    assert any(n.startswith(f"src/{port}/") for n in files)
    assert not any(n.startswith("src/" + ("arduino" if port == "qemu" else "qemu")) for n in files)


def _example_dir(out) -> str:
    proc = subprocess.run([sys.executable, "-m", "gen", "-o", str(out), "-q", "--test-vectors", "2"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return str(out)


def _gen(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "gen", *args], cwd=cwd, capture_output=True, text=True)


def test_pio_project_needs_board_and_own_directory(tmp_path):
    for args, why in ((["--pio-project", str(tmp_path / "p")], "needs --board"),
                      (["--pio-project", str(tmp_path / "p"), "--board", "nope"], "no such env"),
                      (["--pio-project", str(tmp_path / "p"), "-o", str(tmp_path / "p"), "--board", QEMU_ENV],
                       "same directory")):
        r = _gen(*args)
        assert r.returncode == 2 and why in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "p").exists()


def test_project_directory_keeps_users_files(tmp_path):
    """The project directory follows -o's rules through its subfolders: an earlier project is replaced (a
    folder the new one does not write goes, when gen wrote all of it); a user's file anywhere in it, or a
    folder gen did not write, refuses DIR and stays."""
    t = outdir.check(str(tmp_path / "p"))
    outdir.write(t, {"platformio.ini": b"a", "src/a.c": b"1", "lib/m/m.c": b"2", "lib/old/o.c": b"3"})
    outdir.write(outdir.check(str(tmp_path / "p")), {"platformio.ini": b"b", "src/a.c": b"1", "lib/m/m.c": b"4"})
    assert sorted(str(p.relative_to(tmp_path / "p")) for p in (tmp_path / "p").rglob("*")) == \
        ["gen_manifest.txt", "lib", "lib/m", "lib/m/m.c", "platformio.ini", "src", "src/a.c"]
    assert (tmp_path / "p" / "lib" / "m" / "m.c").read_bytes() == b"4"
    for extra, name in (("src/mine.c", "src/mine.c"), (".pio/build/x", ".pio"), ("lib/m/more/x.h", "lib/m/more")):
        p = tmp_path / "p" / extra
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("user")
        with pytest.raises(GenError, match=f"'{name}'"):
            outdir.check(str(tmp_path / "p"))
        assert p.read_text() == "user"
        os.unlink(p)
        for d in (p.parent, p.parent.parent):
            if d != tmp_path / "p" and not any(d.iterdir()) and d.name in (".pio", "build", "more"):
                d.rmdir()
    # in place (a symlink to the directory): the same contract
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "p")
    outdir.write(outdir.check(str(link)), {"platformio.ini": b"c", "src/b/b.c": b"5"})
    assert sorted(str(p.relative_to(tmp_path / "p")) for p in (tmp_path / "p").rglob("*")) == \
        ["gen_manifest.txt", "platformio.ini", "src", "src/b", "src/b/b.c"]
    for bad in ("../x", "a/../b", "a//b", "/abs", "src/.gen-x"):
        with pytest.raises(ValueError):
            outdir.write(outdir.check(str(tmp_path / "q")), {bad: b""})
    assert not (tmp_path / "q").exists()


@pytest.fixture(scope="module")
def pio_ready():
    if MISSING:
        pytest.skip("missing tools: %s" % ", ".join(MISSING))
    board.ensure_pio_offline()


def _upload(project, env=None):
    return subprocess.Popen(board.pio_command() + ["run", "-t", "upload"] + (["-e", env] if env else []),
                            cwd=str(project), env=board.pio_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@needs_qemu
def test_board_verdict_from_the_firmware(pio_ready, tmp_path):
    """--board on a QEMU env reports the firmware's own verdict: PASS with the cost, and a failing vector (a
    fake model whose vector 1 fails, tests/test_boards.py) as FAIL, which the CLI turns into exit 1."""
    from gen.__main__ import _BoardFailed, _board_run
    from test_boards import fake_gen_dir
    line = _board_run(QEMU_ENV, fake_gen_dir(tmp_path / "ok"), {"name": "fake"})
    assert line.startswith(f"board {QEMU_ENV} (QEMU): PASS, 2/2 test vectors, instructions ") and "stack" in line
    with pytest.raises(_BoardFailed, match=r"FAIL, 1/2 test vectors"):
        _board_run(QEMU_ENV, fake_gen_dir(tmp_path / "bad", fail=1), {"name": "fake"})


@needs_qemu
def test_two_projects_build_and_run_at_once(pio_ready, tmp_path):
    """`--pio-project` then `cd DIR && pio run -t upload`, for two projects at the same time (a float and an
    int8 model when the MLPerf models are there): both build, run in QEMU and pass every vector; each one's
    QEMU platform is registered in its own .pio/platforms, none in PlatformIO's global platforms folder."""
    kws = os.path.join(os.path.dirname(ROOT), "shared", "models", "kws_dscnn_int8_qdq_tflite.onnx")
    models = [None, kws if os.path.isfile(kws) else None]
    projects = []
    for k, model in enumerate(models):
        proj = tmp_path / f"proj{k}"
        r = _gen(*([model] if model else []), "--pio-project", str(proj), "--board", QEMU_ENV, "--test-vectors", "2")
        assert r.returncode == 0, r.stderr
        assert f"cd {proj} && pio run -t upload" in r.stdout
        projects.append(proj)
    runs = [_upload(p) for p in projects]
    logs = [p.communicate(timeout=900)[0] for p in runs]
    for proj, proc, log in zip(projects, runs, logs):
        res = board.parse_output(log)
        assert proc.returncode == 0, log[-3000:]
        assert res["result"] == "PASS" and res["vectors"] == 2 and all(v["pass"] for v in res["results"]), log
        assert res["instructions"] > 0
        link = proj / ".pio" / "platforms" / "platform-qemu.pio-link"
        assert str(proj / "platform-qemu") in link.read_text()
    core = os.environ.get("PLATFORMIO_CORE_DIR") or os.path.join(os.path.expanduser("~"), ".platformio")
    global_platforms = os.path.join(core, "platforms")
    for n in (os.listdir(global_platforms) if os.path.isdir(global_platforms) else []):
        if n.endswith(".pio-link"):
            with open(os.path.join(global_platforms, n)) as fp:
                assert str(tmp_path) not in fp.read()
    # a built project holds PlatformIO's .pio/: written again, gen updates the project in place around it
    # (another model's library replaces the first), and a file of the user's in src/ refuses the run
    pio_tree = sorted(str(p) for p in (projects[0] / ".pio").rglob("*"))
    r = _gen(*([models[1]] if models[1] else []), "--name", "second", "--pio-project", str(projects[0]),
             "--board", QEMU_ENV)
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(projects[0] / "lib")) == ["second"]
    assert sorted(str(p) for p in (projects[0] / ".pio").rglob("*")) == pio_tree
    (projects[0] / "src" / "app.c").write_text("int app;\n")
    r = _gen("--pio-project", str(projects[0]), "--board", QEMU_ENV)
    assert r.returncode == 2 and "'src/app.c'" in r.stderr, r.stderr
    assert (projects[0] / "src" / "app.c").read_text() == "int app;\n"
