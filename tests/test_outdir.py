"""The output directory: gen replaces only the files it wrote (its gen_manifest.txt), refuses a
directory holding anything else before compiling, and never leaves a half-written output, temporary
`.gen-*` entries or parent folders it created behind a failing or interrupted run.

Most cases run `gen.__main__.main` in this process (the exit status and stderr are the CLI's); the
oracle for "unchanged" is a byte snapshot of the tree taken before the run (files, symlink targets,
folders), and for the manifest hashlib over the files on disk.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hostile_cases as hc  # noqa: E402

from gen.__main__ import main  # noqa: E402


def tree(p: Path):
    """Everything under p (not following symlinks): path -> bytes, ('link', target) or 'dir'."""
    if p.is_symlink():
        return ("link", os.readlink(p))
    if not p.exists():
        return None
    if p.is_file():
        return p.read_bytes()
    snap = {}
    for q in sorted(p.rglob("*")):
        k = q.relative_to(p).as_posix()
        snap[k] = ("link", os.readlink(q)) if q.is_symlink() else "dir" if q.is_dir() else q.read_bytes()
    return snap


def temporaries(*dirs: Path) -> list[str]:
    found = []
    for d in dirs:
        if d.is_dir():
            found += [str(q) for q in d.rglob(".gen-*")]
    return found


def gen(capsys, *argv) -> tuple[int, list[str]]:
    rc = main([str(a) for a in argv])
    err = capsys.readouterr().err.splitlines()
    return rc, err


def refused(rc, err, *needles):
    assert rc == 2, err
    assert len(err) == 1, err
    for n in needles:
        assert n in err[0], (n, err[0])


def manifest_ok(d: Path):
    """gen_manifest.txt lists exactly the other files of d, each with its sha256."""
    lines = (d / "gen_manifest.txt").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, name = line.split("  ", 1)
        listed[name] = digest
    assert sorted(listed) == sorted(f.name for f in d.iterdir() if f.name != "gen_manifest.txt")
    for name, digest in listed.items():
        assert hashlib.sha256((d / name).read_bytes()).hexdigest() == digest, name


@pytest.fixture(autouse=True)
def _no_stack_estimate(monkeypatch):
    """The Cortex-M stack estimate (a gcc run) is the slowest part of a run and not what this tests."""
    monkeypatch.setattr("gen.driver.stack_estimate", lambda files: (None, None))


@pytest.fixture
def model(tmp_path):
    return hc.save(hc.gemm_model(), tmp_path / "m.onnx")


@pytest.fixture
def prev(tmp_path, model, capsys):
    """tmp/out holding an earlier gen output."""
    rc, err = gen(capsys, model, "-o", tmp_path / "out", "-q")
    assert rc == 0, err
    return tmp_path / "out"


# ---------------------------------------------------------------- reruns

def test_rerun_replaces_exactly_what_gen_wrote(tmp_path, model, prev, capsys):
    manifest_ok(prev)
    mode = prev.stat().st_mode & 0o777
    assert mode == 0o777 & ~_umask(), oct(mode)          # not mkdtemp's 0700
    rc, err = gen(capsys, model, "-o", prev, "-q", "--name", "k")
    assert rc == 0, err
    fresh = tmp_path / "fresh"
    assert gen(capsys, model, "-o", fresh, "-q", "--name", "k")[0] == 0
    assert tree(prev) == tree(fresh)                      # m.* gone, nothing stale, nothing missing
    manifest_ok(prev)
    assert not temporaries(tmp_path)


def _umask() -> int:
    m = os.umask(0o022)
    os.umask(m)
    return m


def _foreign_file(out: Path):
    (out / "notes.txt").write_text("mine\n")
    return "'notes.txt'"


def _foreign_c(out: Path):
    (out / "main.c").write_text("int main(void) { return 0; }\n")
    return "'main.c'"


def _subfolder(out: Path):
    (out / "sub").mkdir()
    (out / "sub" / "keep.c").write_text("/* mine */\n")
    return "'sub' (a directory)"


def _empty_subfolder(out: Path):
    (out / "zz").mkdir()
    return "'zz' (a directory)"


def _symlink_entry(out: Path):
    (out.parent / "elsewhere.h").write_text("/* mine */\n")
    (out / "extra.h").symlink_to(out.parent / "elsewhere.h")
    return "'extra.h' (a symlink)"


def _symlink_to_gen_name(out: Path):
    """a gen file replaced by a symlink to the user's own copy"""
    (out.parent / "mine.c").write_bytes((out / "m.c").read_bytes())
    (out / "m.c").unlink()
    (out / "m.c").symlink_to(out.parent / "mine.c")
    return "'m.c' (a symlink)"


def _edited_gen_file(out: Path):
    with open(out / "m.c", "a") as f:
        f.write("/* my fix */\n")
    return "'m.c' (changed since gen wrote it)"


def _edited_manifest(out: Path):
    with open(out / "gen_manifest.txt", "a") as f:
        f.write("my notes\n")
    return "'gen_manifest.txt' is not a manifest"


def _manifest_claims_outside(out: Path):
    """a manifest naming a file outside DIR (with its right hash) must not make gen touch it"""
    victim = out.parent / "victim.c"
    victim.write_text("/* mine */\n")
    digest = hashlib.sha256(victim.read_bytes()).hexdigest()
    with open(out / "gen_manifest.txt", "a") as f:
        f.write(f"{digest}  ../victim.c\n")
    return "'gen_manifest.txt' is not a manifest"


def _no_manifest(out: Path):
    """an older gen's output (a *_plan.json, no manifest): gen cannot tell it from the user's files"""
    (out / "gen_manifest.txt").unlink()
    return "written by an older gen"


def _leftover(out: Path):
    (out / ".gen-abc").mkdir()
    return "'.gen-abc' (left by an interrupted gen run?)"


@pytest.mark.parametrize("spoil", [_foreign_file, _foreign_c, _subfolder, _empty_subfolder, _symlink_entry,
                                   _symlink_to_gen_name, _edited_gen_file, _edited_manifest,
                                   _manifest_claims_outside, _no_manifest, _leftover],
                         ids=lambda f: f.__name__.strip("_"))
def test_refuses_directory_holding_anything_else(tmp_path, model, prev, capsys, monkeypatch, spoil):
    needle = spoil(prev)
    before = tree(tmp_path)
    # refused before compiling: the compiler must not even run
    monkeypatch.setattr("gen.driver.compile_graph", _must_not_run)
    rc, err = gen(capsys, model, "-o", prev, "-q")
    refused(rc, err, "files gen did not write", needle, str(prev))
    assert tree(tmp_path) == before


def _must_not_run(*a, **k):
    raise AssertionError("compiled although the output directory was refused")


def test_foreign_file_added_while_compiling(tmp_path, model, prev, capsys, monkeypatch):
    """The directory is checked again when the new set is committed."""
    from gen import driver
    real = driver.compile_graph

    def compile_and_add(*a, **k):
        res = real(*a, **k)
        (prev / "notes.txt").write_text("written while gen compiled\n")
        return res
    monkeypatch.setattr(driver, "compile_graph", compile_and_add)
    rc, err = gen(capsys, model, "-o", prev, "-q", "--name", "k")
    refused(rc, err, "'notes.txt'")
    assert (prev / "notes.txt").read_text() == "written while gen compiled\n"
    assert (prev / "m.c").exists() and not (prev / "k.c").exists()
    assert not temporaries(tmp_path)


def test_empty_existing_directory_is_used(tmp_path, model, capsys):
    out = tmp_path / "empty"
    out.mkdir(mode=0o750)
    os.chmod(out, 0o750)
    assert gen(capsys, model, "-o", out, "-q")[0] == 0
    manifest_ok(out)
    assert out.stat().st_mode & 0o777 == 0o750           # the user's directory keeps its mode


# ---------------------------------------------------------------- where DIR is

def test_model_directory_is_refused(tmp_path, capsys):
    d = tmp_path / "models"
    d.mkdir()
    m = hc.save(hc.gemm_model(), d / "m.onnx")
    (d / "m_plan.json").write_text("{}")      # looked like an old output: used to replace the whole folder
    before = tree(tmp_path)
    rc, err = gen(capsys, m, "-o", d, "-q")
    refused(rc, err, "'m.onnx' is an input of this run")
    assert tree(tmp_path) == before


def test_test_input_in_output_directory_is_refused(tmp_path, model, prev, capsys):
    import numpy as np
    np.save(prev / "x.npy", np.zeros((1, 8), np.float32))
    before = tree(tmp_path)
    rc, err = gen(capsys, model, "-o", prev, "-q", "--test-input", prev / "x.npy")
    refused(rc, err, "'x.npy' is an input of this run")
    assert tree(tmp_path) == before


def test_current_directory(tmp_path, model, capsys, monkeypatch):
    """-o . : an empty cwd is written in place (the shell's cwd stays valid), a full one is refused."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    ino = work.stat().st_ino
    for name in ("m", "k"):
        assert gen(capsys, model, "-o", ".", "-q", "--name", name)[0] == 0
    assert work.stat().st_ino == ino and os.path.samefile(os.getcwd(), work)
    manifest_ok(work)
    assert not (work / "m.c").exists() and (work / "k.c").exists()
    monkeypatch.chdir(tmp_path)                 # holds m.onnx and work/
    before = tree(tmp_path)
    refused(*gen(capsys, model, "-o", ".", "-q"), "files gen did not write")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("where", ["/", "repo"])
def test_root_and_repo_are_refused(tmp_path, model, capsys, monkeypatch, where):
    path = "/" if where == "/" else str(hc.ROOT)
    monkeypatch.setattr("gen.driver.compile_graph", _must_not_run)
    before = sorted(os.listdir(path))
    refused(*gen(capsys, model, "-o", path, "-q"), "files gen did not write")
    assert sorted(os.listdir(path)) == before


def test_symlinked_output_directory_is_written_in_place(tmp_path, model, capsys):
    """-o link: gen writes into the directory the link points to; the link stays a link."""
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "beside.txt").write_text("mine\n")
    for name in ("m", "k"):
        rc, err = gen(capsys, model, "-o", tmp_path / "link", "-q", "--name", name)
        assert rc == 0, err
    assert os.readlink(tmp_path / "link") == str(real)
    fresh = tmp_path / "fresh"
    assert gen(capsys, model, "-o", fresh, "-q", "--name", "k")[0] == 0
    assert tree(real) == tree(fresh)
    assert (tmp_path / "beside.txt").read_text() == "mine\n"
    assert not temporaries(tmp_path)


def test_symlink_to_foreign_directory_is_refused(tmp_path, model, capsys):
    real = tmp_path / "src"
    real.mkdir()
    (real / "main.c").write_text("int main(void) { return 0; }\n")
    (real / "m_plan.json").write_text("{}")
    (tmp_path / "link").symlink_to(real)
    before = tree(tmp_path)
    refused(*gen(capsys, model, "-o", tmp_path / "link", "-q"), "'m_plan.json'")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("kind", ["dangling", "to_file"])
def test_bad_symlink_is_refused(tmp_path, model, capsys, kind):
    target = tmp_path / "nothing"
    if kind == "to_file":
        target.write_text("mine\n")
    (tmp_path / "link").symlink_to(target)
    before = tree(tmp_path)
    refused(*gen(capsys, model, "-o", tmp_path / "link", "-q"),
            "does not exist" if kind == "dangling" else "not a directory")
    assert tree(tmp_path) == before


# ---------------------------------------------------------------- failing runs leave nothing

@pytest.mark.parametrize("failure", ["ram_limit", "no_onnxruntime", "board_build"])
def test_failing_run_removes_the_parents_it_created(tmp_path, model, capsys, monkeypatch, failure):
    """-o a/b/out and a run that fails at some point (while compiling, on a missing --verify
    dependency, on the --board build of the staged files): a/ does not exist afterwards."""
    from gen import board
    extra = {"ram_limit": ["--ram-limit", "1"], "no_onnxruntime": ["--verify"],
             "board_build": ["--board", "mps2-an386"]}[failure]
    monkeypatch.setitem(sys.modules, "onnxruntime", None)

    def build(gen_dir, env, **kw):
        assert (tmp_path / "a" / "b").is_dir()        # created for this run
        raise RuntimeError("pio run -e mps2-an386 failed:")
    monkeypatch.setattr(board, "build_firmware", build)
    monkeypatch.setattr(board, "run_on_qemu", build)     # the QEMU envs are built and run
    monkeypatch.setattr(board, "pio_command", lambda: ["pio"])
    before = tree(tmp_path)
    refused(*gen(capsys, model, "-o", tmp_path / "a" / "b" / "out", "-q", *extra),
            {"ram_limit": "--ram-limit", "no_onnxruntime": "onnxruntime", "board_build": "pio run"}[failure])
    assert tree(tmp_path) == before


class _OsProxy:
    """os for gen/outdir.py only, with replace/rename counted: the n-th call raises KeyboardInterrupt."""
    def __init__(self, n):
        self.n, self.calls = n, 0

    def __getattr__(self, name):
        return getattr(os, name)

    def _count(self, fn, a, b):
        self.calls += 1
        if self.calls == self.n:
            raise KeyboardInterrupt
        return fn(a, b)

    def replace(self, a, b):
        return self._count(os.replace, a, b)

    def rename(self, a, b):
        return self._count(os.rename, a, b)


@pytest.mark.parametrize("when", ["staging", "committing"])
@pytest.mark.parametrize("start", ["new", "rerun", "in_place"])
def test_interrupt_while_writing_leaves_nothing(tmp_path, model, capsys, monkeypatch, when, start):
    """Ctrl-C while the files are written or swapped in: the old state, byte for byte, no .gen-*."""
    from gen import outdir
    out = tmp_path / ("a/b/out" if start == "new" else "out")
    if start != "new":
        assert gen(capsys, model, "-o", out, "-q")[0] == 0
    if start == "in_place":
        (tmp_path / "link").symlink_to(out)
        out = tmp_path / "link"
    before = tree(tmp_path)
    writes = []
    if when == "staging":
        real_open = open

        def flaky_open(path, mode="r", *a, **k):
            if "w" in mode:
                writes.append(path)
                if len(writes) == 3:
                    raise KeyboardInterrupt
            return real_open(path, mode, *a, **k)
        monkeypatch.setattr(outdir, "open", flaky_open, raising=False)
        interrupted = lambda: len(writes) >= 3   # noqa: E731
    else:
        proxy = _OsProxy(2)
        monkeypatch.setattr(outdir, "os", proxy)
        monkeypatch.setattr(outdir, "_exchange", _no_exchange)
        interrupted = lambda: proxy.calls >= 2   # noqa: E731
    rc, err = gen(capsys, model, "-o", out, "-q", "--name", "k")
    monkeypatch.undo()
    if interrupted():
        assert rc == 130 and not err
        assert tree(tmp_path) == before
    else:                           # a new directory commits with one rename: nothing to interrupt
        assert start == "new" and when == "committing"
        assert rc == 0 and (out / "k.c").exists()
    assert not temporaries(tmp_path)


def _no_exchange(a, b):
    raise OSError(38, "renameat2 is not available")


def test_verify_without_onnxruntime_writes_nothing(tmp_path, model, prev, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)     # `import onnxruntime` raises ImportError
    monkeypatch.setattr("gen.driver.compile_graph", _must_not_run)
    before = tree(tmp_path)
    for out in (prev, tmp_path / "new"):
        refused(*gen(capsys, model, "-o", out, "--verify"), "--verify needs onnxruntime")
    assert tree(tmp_path) == before


def test_verify_mismatch_writes_nothing(tmp_path, model, prev, capsys, monkeypatch):
    from gen import verify
    real = verify.against_onnxruntime

    def mismatch(*a, **k):
        worst, _ = real(*a, **k)
        return worst, False
    monkeypatch.setattr(verify, "against_onnxruntime", mismatch)
    before = tree(tmp_path)
    rc = main([model, "-o", str(prev), "--verify", "--name", "k"])
    err = capsys.readouterr().err.splitlines()
    assert rc == 1 and len(err) == 1 and "nothing written" in err[0], err
    assert tree(tmp_path) == before


def test_unknown_board_is_refused_before_compiling(tmp_path, model, capsys, monkeypatch):
    monkeypatch.setattr("gen.driver.compile_graph", _must_not_run)
    before = tree(tmp_path)
    refused(*gen(capsys, model, "-o", tmp_path / "out", "--board", "nosuch"), "--board nosuch", "mps2-an386")
    assert tree(tmp_path) == before


def test_board_build_runs_on_the_staged_set_before_the_commit(tmp_path, model, prev, capsys, monkeypatch):
    """The firmware is built from the complete new set; when that fails the old output stays."""
    from gen import board
    before, before_out = tree(tmp_path), tree(prev)
    seen = {}

    def build(gen_dir, env, **kw):
        seen["files"] = sorted(os.listdir(gen_dir))
        seen["out"] = tree(prev)
        raise RuntimeError("pio run -e mps2-an386 failed:\nlinker error")
    monkeypatch.setattr(board, "build_firmware", build)
    monkeypatch.setattr(board, "run_on_qemu", build)     # the QEMU envs are built and run
    monkeypatch.setattr(board, "pio_command", lambda: ["pio"])
    refused(*gen(capsys, model, "-o", prev, "--board", "mps2-an386", "--name", "k", "-q"), "pio run")
    assert "k.c" in seen["files"] and "gen_manifest.txt" in seen["files"] and "gen_testvec.c" in seen["files"]
    assert seen["out"] == before_out             # built before the commit
    assert tree(tmp_path) == before


def test_sigterm_is_rolled_back(tmp_path, model):
    """SIGTERM while gen writes: exit 143 and, as for Ctrl-C, the previous output untouched."""
    out = tmp_path / "out"
    assert main([model, "-o", str(out), "-q"]) == 0
    before = tree(out)
    code = ("import os, signal, sys; from gen import driver, outdir, __main__ as m; w = outdir._write_stage\n"
            "driver.stack_estimate = lambda files: (None, None)\n"
            "def slow(*a):\n    os.kill(os.getpid(), signal.SIGTERM); return w(*a)\n"
            "outdir._write_stage = slow\nsys.exit(m.main(sys.argv[1:]))\n")
    env = dict(os.environ, PYTHONPATH=str(hc.ROOT))
    r = subprocess.run([sys.executable, "-c", code, model, "-o", str(out), "-q", "--name", "k"], cwd=tmp_path,
                       env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 143, r.stderr
    assert not r.stderr
    assert tree(out) == before
    assert not temporaries(tmp_path)


# ---------------------------------------------------------------- the commit, without compiling

def _files(tag: str, n: int = 4) -> dict[str, bytes]:
    return {f"{tag}{i}.c": f"/* {tag} {i} */\n".encode() * (i + 1) for i in range(n)}


def test_mount_point_is_updated_in_place(tmp_path):
    """A mount point cannot be renamed (EBUSY): gen updates it in place; read-only: refused."""
    from gen import outdir
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "gen-test", str(mnt)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        for tag in ("a", "b"):
            t = outdir.check(str(mnt))
            assert t.in_place
            outdir.write(t, _files(tag))
        assert sorted(os.listdir(mnt)) == sorted([*_files("b"), "gen_manifest.txt"])
        manifest_ok(mnt)
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
        before = tree(mnt)
        with pytest.raises(Exception) as e:
            outdir.check(str(mnt))
        assert "cannot be written" in str(e.value)
        assert tree(mnt) == before
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


@pytest.mark.parametrize("errno_", [18, 16])       # EXDEV, EBUSY
def test_rename_refused_falls_back_to_in_place(tmp_path, monkeypatch, errno_):
    from gen import outdir
    out = tmp_path / "out"
    outdir.write(outdir.check(str(out)), _files("a"))
    ino = out.stat().st_ino

    def refuse(a, b):
        raise OSError(errno_, os.strerror(errno_))
    monkeypatch.setattr(outdir, "_exchange", refuse)
    monkeypatch.setattr(outdir.os, "rename", refuse)
    outdir.write(outdir.check(str(out)), _files("b", 2))
    assert out.stat().st_ino == ino
    assert sorted(os.listdir(out)) == sorted([*_files("b", 2), "gen_manifest.txt"])
    manifest_ok(out)
    assert not temporaries(tmp_path)


READER = """
import os, sys, time
out, stop = sys.argv[1], sys.argv[2]
counts = {"missing": 0, "swapped": 0}
seen = set()
while not os.path.exists(stop):
    try:
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        counts["missing"] += 1
        continue
    try:
        names = " ".join(sorted(os.listdir(fd)))
        if os.fstat(fd).st_ino == os.stat(out).st_ino:
            seen.add(names)
        else:
            counts["swapped"] += 1
    except FileNotFoundError:
        counts["missing"] += 1
    finally:
        os.close(fd)
print(counts["missing"])
print("\\n".join(sorted(seen)))
"""


def test_atomic_swap_reader_sees_old_or_new(tmp_path):
    """With renameat2 the directory is exchanged whole: a reader in another process never finds DIR
    missing, and a listing of the directory that is DIR at that moment is one complete set (the
    swapped-out old directory is emptied afterwards: only a reader still holding it sees that)."""
    from gen import outdir
    out = tmp_path / "out"
    sets = [_files("a", 6), _files("b", 6)]
    outdir.write(outdir.check(str(out)), sets[0])
    wanted = {" ".join(sorted([*s, "gen_manifest.txt"])) for s in sets}
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(out), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        import time
        time.sleep(0.2)
        for k in range(100):
            outdir.write(outdir.check(str(out)), sets[(k + 1) % 2])
    finally:
        stop.write_text("")
        got, _ = reader.communicate(timeout=30)
    missing, *listings = got.splitlines()
    assert int(missing) == 0
    assert set(listings) <= wanted and listings, set(listings) - wanted


def test_concurrent_runs_into_one_directory(tmp_path):
    """Eight runs at once into one directory: each succeeds, the result is one complete set."""
    from gen import outdir
    out = tmp_path / "out"
    errors = []

    def run(i):
        try:
            outdir.write(outdir.check(str(out)), _files(f"r{i}_"))
        except Exception as e:   # noqa: BLE001 - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    names = sorted(os.listdir(out))
    assert any(names == sorted([*_files(f"r{i}_"), "gen_manifest.txt"]) for i in range(8)), names
    manifest_ok(out)
    assert not temporaries(tmp_path)


def test_check_reads_one_whole_set_while_another_run_commits(tmp_path, monkeypatch):
    """check() reads DIR's listing and then its manifest: a run committing in between must not make it
    see half of one set and half of the other (the race behind test_concurrent_runs_into_one_directory).
    The other run is started right after the listing and given time to commit before the manifest is
    read: it must wait for the reader instead."""
    from gen import outdir
    out = tmp_path / "out"
    outdir.write(outdir.check(str(out)), _files("old_"))
    real_listdir = os.listdir
    other: list[threading.Thread] = []
    errors = []

    def commit_other():
        try:
            outdir.write(outdir.check(str(out)), _files("new_", 3))
        except Exception as e:   # noqa: BLE001 - reported below
            errors.append(repr(e))

    def listdir_then_commit(path="."):
        names = real_listdir(path)
        if not other and threading.current_thread() is threading.main_thread() and str(path) == str(out):
            other.append(threading.Thread(target=commit_other))
            other[0].start()
            other[0].join(0.5)         # with the reader holding DIR's lock the other run waits here
        return names
    monkeypatch.setattr(outdir.os, "listdir", listdir_then_commit)
    target = outdir.check(str(out))              # before: the old listing with the new manifest
    assert sorted(target.owned) == sorted(_files("old_"))
    other[0].join()
    assert not errors
    assert sorted(real_listdir(out)) == sorted([*_files("new_", 3), "gen_manifest.txt"])
    manifest_ok(out)


@pytest.mark.parametrize("where", ["symlink", "mount"])
def test_killed_in_place_update_is_still_gens(tmp_path, where):
    """Killed (no clean-up at all) between two file renames of an in-place update: the manifest still
    recognises every file as gen's, so the next run completes it. Staged beside DIR (a symlink's
    target) nothing is left in DIR; staged inside it (a mount point) the leftovers are named."""
    real = tmp_path / "real"
    real.mkdir()
    out = tmp_path / "link"
    if where == "symlink":
        out.symlink_to(real)
    else:
        out = real
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "gen-test", str(real)],
                          capture_output=True).returncode != 0:
            pytest.skip("cannot mount a tmpfs here")
    try:
        code = ("import os, sys; from gen import outdir\n"
                "def files(tag, n):\n    return {f'{tag}{i}.c': f'/* {tag} {i} */'.encode() for i in range(n)}\n"
                "outdir.write(outdir.check(sys.argv[1]), files('a', 4))\n"
                "calls = []; real = os.replace\n"
                "def die(a, b):\n    calls.append(b)\n    if len(calls) == 3: os._exit(9)\n    return real(a, b)\n"
                "os.replace = die\n"
                "outdir.write(outdir.check(sys.argv[1]), {**files('a', 2), **files('b', 2)})\n")
        env = dict(os.environ, PYTHONPATH=str(hc.ROOT))
        r = subprocess.run([sys.executable, "-c", code, str(out)], env=env, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 9, r.stderr
        from gen import outdir
        from gen.errors import GenError
        if where == "mount":
            with pytest.raises(GenError) as e:
                outdir.check(str(out))
            assert "left by an interrupted gen run" in str(e.value)
            for p in real.glob(".gen-*"):               # what the user does with the named leftovers
                subprocess.run(["rm", "-rf", str(p)], check=True)
        else:
            assert not list(real.glob(".gen-*"))
        outdir.write(outdir.check(str(out)), _files("c"))
        assert sorted(os.listdir(real)) == sorted([*_files("c"), "gen_manifest.txt"])
        manifest_ok(real)
    finally:
        if where == "mount":
            subprocess.run(["umount", str(real)], check=False)
