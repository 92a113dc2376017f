"""The output directory (`-o DIR`): the one module that checks, creates and replaces it.

gen replaces only what it wrote. Every run writes `gen_manifest.txt` into DIR: one line
`SHA256  NAME` per file gen wrote (the format of `sha256sum`, so `sha256sum -c gen_manifest.txt`
checks it). An existing DIR is accepted when every entry in it is the manifest or a plain file
listed in it with the same bytes; anything else (a file gen did not write, a gen file edited
since, a subfolder, a symlink, a leftover `.gen-*` of an interrupted run, the model itself) is
the user's: gen refuses the directory, naming the first such entry, before compiling, and
deletes nothing.

The run itself: `check()` before compiling (everything that can be refused is refused there),
then `staged()` writes the complete new set into a fresh `.gen-*` directory, lets the caller
use it (the firmware build of --board), and only then commits:

- DIR does not exist: the staging directory is renamed to DIR (atomic). Parent folders gen had
  to create are removed again when the run fails.
- DIR is a real directory in a writable parent: the staging directory (a sibling) is exchanged
  with DIR in one atomic `renameat2(RENAME_EXCHANGE)` (Linux), so a reader sees either the whole
  old set or the whole new one; without it (other systems, file systems that refuse it) two
  renames. The old set is then removed file by file (only manifest files, never a tree).
- DIR is a symlink to a directory, a mount point, the current directory (or holds it), or its
  parent is not writable: DIR is kept and updated in place. The new set is staged beside DIR
  (inside it when the parent is not writable or another file system), each file then replaces its
  old version with an atomic rename (a reader may see old and new
  files side by side for that moment, never a half-written file), old manifest files that the
  new run does not write are removed, and the manifest is rewritten last. A symlink is never
  replaced or deleted: gen writes into the directory it points to.

Any failure or interrupt (KeyboardInterrupt, SIGTERM via gen.__main__) before the commit ends
leaves DIR as it was, removes the staging directory and the parent folders gen created. Runs
into the same parent directory are serialized by a flock on it, and the directory is checked
again under the lock, so a concurrent run or a file added while gen compiled is never lost.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import hashlib
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field

from .errors import GenError

MANIFEST = "gen_manifest.txt"
TMP_PREFIX = ".gen-"


@dataclass
class Target:
    """An output directory that check() accepted."""
    out: str                          # as the user named it (for messages)
    path: str                         # absolute
    real: str                         # the directory itself (a symlink resolved)
    exists: bool
    in_place: bool                    # update DIR in place instead of exchanging it
    owned: dict[str, set[str]] = field(default_factory=dict)   # name -> sha256s the manifest allows
    protect: tuple[str, ...] = ()
    stage_dir: str = ""               # where an in-place update stages: DIR's parent when it can, else DIR
    keep: tuple[str, ...] = ()        # top-level entries another tool owns in DIR: never read, moved or removed


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_text(files: dict[str, bytes]) -> bytes:
    return "".join(f"{sha256(files[n])}  {n}\n" for n in sorted(files)).encode()


def _valid_name(name: str) -> bool:
    """A file gen writes: a name in DIR, or a path of such names in gen's own subfolders (a --pio-project's
    src/, lib/NAME/)."""
    parts = name.split("/")
    return name != MANIFEST and "\0" not in name and name.isprintable() and all(
        p and p not in (".", "..") and not p.startswith(TMP_PREFIX) for p in parts)


def _folders(names) -> set[str]:
    """The subfolders (relative paths) that hold the files `names`."""
    return {n.rsplit("/", k)[0] for n in names for k in range(1, n.count("/") + 1)}


def _entries(real: str, owned_dirs: set[str], rel: str = ""):
    """(relative name, path) of every entry in real, in name order, inside gen's own subfolders too
    (each subfolder itself is not listed)."""
    for n in sorted(os.listdir(os.path.join(real, rel) if rel else real)):
        name = rel + "/" + n if rel else n
        p = os.path.join(real, name)
        if name in owned_dirs and os.path.isdir(p) and not os.path.islink(p):
            yield from _entries(real, owned_dirs, name)
        else:
            yield name, p


def parse_manifest(data: bytes) -> dict[str, set[str]] | None:
    """name -> allowed sha256s (an interrupted in-place update lists old and new), None if not a manifest."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return None
    owned: dict[str, set[str]] = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest) or not _valid_name(name):
            return None
        owned.setdefault(name, set()).add(digest)
    return owned


def _err(out: str, what: str) -> GenError:
    return GenError(f"output directory '{out}' {what}")


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def scan(out: str, real: str, protect=(), ignore=()) -> dict[str, set[str]]:
    """The manifest of the existing directory `real`; GenError naming the first entry gen did not write."""
    try:
        names = sorted(n for n in os.listdir(real) if n not in ignore)
    except OSError as e:
        raise _err(out, f"cannot be read ({e.strerror})") from None
    owned: dict[str, set[str]] | None = {}
    if MANIFEST in names:
        mpath = os.path.join(real, MANIFEST)
        owned = None
        if stat.S_ISREG(os.lstat(mpath).st_mode):
            with open(mpath, "rb") as f:
                owned = parse_manifest(f.read())
        if owned is None:
            raise _err(out, f"holds files gen did not write: '{MANIFEST}' is not a manifest gen wrote "
                            "(give a new or empty directory)")
    try:
        entries = [(n, p) for n, p in _entries(real, _folders(owned)) if n not in ignore]
    except OSError as e:
        raise _err(out, f"cannot be read ({e.strerror})") from None
    for name, p in entries:      # the model (or --test-input) first: the most useful thing to say
        if any(_same(p, q) for q in protect):
            raise _err(out, f"holds files gen did not write: '{name}' is an input of this run "
                            "(give another output directory)")
    for name, p in entries:
        if name == MANIFEST:
            continue
        why = ""
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            continue             # removed while we looked
        if name.startswith(TMP_PREFIX):
            why = " (left by an interrupted gen run?)"
        elif stat.S_ISLNK(st.st_mode):
            why = " (a symlink)"
        elif stat.S_ISDIR(st.st_mode):
            why = " (a directory)"
        elif not stat.S_ISREG(st.st_mode):
            why = " (not a regular file)"
        elif name not in owned:
            if not owned and any(n.endswith("_plan.json") for n in names):
                why = f" (no {MANIFEST}: written by an older gen?)"
        else:
            try:
                with open(p, "rb") as f:
                    if sha256(f.read()) in owned[name]:
                        continue
            except OSError as e:
                raise _err(out, f"cannot be read: '{name}' ({e.strerror})") from None
            why = " (changed since gen wrote it)"
        raise _err(out, f"holds files gen did not write: '{name}'{why}; move it away or give a new or empty "
                        f"directory (gen replaces only the files listed in its {MANIFEST})")
    return owned


def _probe(d: str) -> OSError | None:
    """Can gen create entries in d? (the only reliable test: root ignores permission bits, /proc does not)"""
    try:
        os.rmdir(tempfile.mkdtemp(prefix=TMP_PREFIX + "probe-", dir=d))
        return None
    except OSError as e:
        return e


def _read_only(d: str) -> bool:
    try:
        return bool(os.statvfs(d).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _inside(path: str, d: str) -> bool:
    return bool(path) and (path == d or path.startswith(d.rstrip("/") + "/"))


def check(out: str, protect=(), keep=()) -> Target:
    """Everything about `-o out` that can be refused, before compiling. protect: the run's input files.
    keep: names of top-level entries that belong to another tool (a --pio-project's `.pio`, PlatformIO's
    build folder): accepted as they are and never touched, so a DIR holding one is updated in place."""
    if not out:
        raise GenError("the output directory name is empty")
    path = os.path.abspath(out)
    protect = tuple(os.path.abspath(p) for p in protect if p)
    if os.path.lexists(path):
        real = path
        if os.path.islink(path):
            real = os.path.realpath(path)
            if not os.path.exists(real):
                raise GenError(f"output '{out}' is a symlink to '{real}', which does not exist")
        if not os.path.isdir(real):
            raise GenError(f"output '{out}' exists and is not a directory")
        parent = os.path.dirname(real)
        with _locked(parent):    # a run committing into DIR now holds it: read one whole set, not half of two
            owned = scan(out, real, protect, ignore=keep)
        try:
            cwd = os.path.realpath(os.getcwd())
        except OSError:
            cwd = ""
        if not os.access(real, os.W_OK | os.X_OK):   # EROFS even for root (no probe entry in DIR: readers)
            raise _err(out, "cannot be written (" + ("read-only file system" if _read_only(real)
                                                     else "permission denied") + ")")
        parent_ok = real != parent and _probe(parent) is None
        in_place = real != path or os.path.ismount(real) or _inside(cwd, os.path.realpath(real)) or not parent_ok \
            or any(os.path.lexists(os.path.join(real, k)) for k in keep)
        # an in-place update stages beside DIR when that is the same file system (DIR then never shows
        # a .gen-* entry), else inside DIR
        beside = parent_ok and os.stat(parent).st_dev == os.stat(real).st_dev
        return Target(out, path, real, True, in_place, owned, protect, parent if beside else real, tuple(keep))
    parent = os.path.dirname(path)
    while not os.path.lexists(parent) and os.path.dirname(parent) != parent:
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise GenError(f"cannot create output directory '{out}': '{parent}' is a file, not a directory")
    e = _probe(parent)
    if e is not None:
        raise GenError(f"cannot create output directory '{out}': cannot write in '{parent}' ({e.strerror})")
    return Target(out, path, path, False, False, {}, protect, parent, tuple(keep))


# ---------------------------------------------------------------- writing

def _exchange(a: str, b: str) -> None:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); OSError when unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        raise OSError(errno.ENOSYS, "renameat2 is not available") from None
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _locked(d: str):
    """flock on directory d (shared by every gen run writing there); no lock where it cannot be opened."""
    try:
        fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _makedirs(out: str, path: str) -> list[str]:
    """Creates the missing folders of path; returns those created (outermost first)."""
    missing = []
    p = path
    while not os.path.lexists(p) and os.path.dirname(p) != p:
        missing.append(p)
        p = os.path.dirname(p)
    created = []
    try:
        for d in reversed(missing):
            try:
                os.mkdir(d)
                created.append(d)
            except FileExistsError:
                pass
    except OSError as e:
        _rmdirs(created)
        raise GenError(f"cannot create output directory '{out}': {e.strerror} ('{e.filename}')") from None
    except BaseException:
        _rmdirs(created)
        raise
    return created


def _rmdirs(created: list[str]) -> None:
    for d in reversed(created):
        try:
            os.rmdir(d)
        except OSError:
            return           # not empty any more: someone else uses it now


def _write_stage(stage: str, files: dict[str, bytes], manifest: bytes) -> None:
    for name in sorted(files):
        if not _valid_name(name):
            raise ValueError(f"gen produced an output file with an invalid name: {name!r}")
        if "/" in name:
            os.makedirs(os.path.join(stage, os.path.dirname(name)), exist_ok=True)
        with open(os.path.join(stage, name), "wb") as f:
            f.write(files[name])
    with open(os.path.join(stage, MANIFEST), "wb") as f:
        f.write(manifest)


def _remove_stage(stage: str | None) -> None:
    """Removes a .gen-* directory this run created (and the .old sibling of a two-rename swap)."""
    for p in (stage, stage and stage + ".old"):
        if p and os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)


def _drop_old(old: str, owned: dict[str, set[str]]) -> None:
    """Empties a directory that held the previous set (manifest files only) and removes it."""
    for name in list(owned) + [MANIFEST]:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(old, name))
    _rmdir_empty(old, _folders(owned))
    os.rmdir(old)


def _rmdir_empty(d: str, folders) -> None:
    """Removes gen's subfolders `folders` of d that are empty now, deepest first (never a tree)."""
    for sub in sorted(folders, key=lambda f: -f.count("/")):
        with contextlib.suppress(OSError):
            os.rmdir(os.path.join(d, sub))


@contextlib.contextmanager
def staged(t: Target, files: dict[str, bytes]):
    """Writes the complete new set into a fresh directory and yields its path; commits it into the
    output directory when the block ends without an exception, else leaves everything as it was.
    The block may change `files` (add or replace entries): the staged set is updated before the commit."""
    manifest = manifest_text(files)
    parent = os.path.dirname(t.real)
    created = [] if t.exists else _makedirs(t.out, parent)
    stage = None
    try:
        try:
            stage = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=t.stage_dir if t.in_place else parent)
            mode = os.stat(t.real).st_mode & 0o7777 if t.exists and not t.in_place else 0o777 & ~_umask()
            os.chmod(stage, mode)
            _write_stage(stage, files, manifest)
        except OSError as e:
            raise GenError(f"cannot write output directory '{t.out}': {e.strerror}") from None
        yield stage
        if manifest_text(files) != manifest:     # the block changed files (the report, after the board build)
            manifest = manifest_text(files)
            try:
                _write_stage(stage, files, manifest)
            except OSError as e:
                raise GenError(f"cannot write output directory '{t.out}': {e.strerror}") from None
        with _locked(parent):        # one commit at a time; what is there now is checked again
            owned = None
            if os.path.lexists(t.real):
                if not os.path.isdir(t.real) or os.path.islink(t.real):
                    raise GenError(f"output '{t.out}' exists and is not a directory")
                owned = scan(t.out, t.real, t.protect, ignore=[os.path.basename(stage), *t.keep])
                if not t.in_place and any(os.path.lexists(os.path.join(t.real, k)) for k in t.keep):
                    t.in_place, t.stage_dir = True, parent    # appeared while gen compiled
            if t.in_place:
                _commit_in_place(t, stage, files, owned or {})
            else:
                stage = _commit_swap(t, stage, files, manifest, owned)
    except BaseException:
        _remove_stage(stage)
        _rmdirs(created)
        raise
    _remove_stage(stage)


def write(t: Target, files: dict[str, bytes]) -> None:
    """Writes files as the output directory t (see staged)."""
    with staged(t, files):
        pass


def _swap(a: str, b: str) -> str:
    """Puts directory a in place of directory b; returns where b's old content is now: a itself after
    one atomic exchange where the system has it, else a + '.old' after two renames."""
    try:
        _exchange(a, b)
        return a
    except OSError as e:
        if e.errno in (errno.EBUSY, errno.EXDEV, errno.EACCES, errno.EPERM, errno.EROFS):
            raise                  # renames would fail the same way
    os.rename(b, a + ".old")
    try:
        os.rename(a, b)
    except BaseException:
        os.rename(a + ".old", b)
        raise
    return a + ".old"


def _commit_swap(t: Target, stage: str, files, manifest, owned) -> str | None:
    """Puts the staged directory in place of t.real; returns the path of what is left to remove."""
    try:
        if owned is None:
            os.rename(stage, t.real)       # DIR is new (or vanished while gen compiled)
            return None
        old = _swap(stage, t.real)
    except OSError as e:
        if owned is not None and e.errno in (errno.EXDEV, errno.EBUSY, errno.EACCES, errno.EPERM, errno.EROFS):
            # DIR cannot be renamed (a mount point, a parent that refuses it): update it in place
            _remove_stage(stage)
            t.in_place, t.stage_dir = True, t.real
            inner = None
            try:
                inner = tempfile.mkdtemp(prefix=TMP_PREFIX, dir=t.real)
                _write_stage(inner, files, manifest)
                _commit_in_place(t, inner, files, owned)
            except OSError as e2:
                _remove_stage(inner)
                raise GenError(f"cannot write output directory '{t.out}': {e2.strerror}") from None
            except BaseException:
                _remove_stage(inner)
                raise
            return inner
        raise GenError(f"cannot write output directory '{t.out}': {e.strerror}") from None
    # `stage` now holds the previous set: if something not ours got in between the check and the
    # exchange, it all goes back as it was
    try:
        scan(t.out, old)
    except GenError:
        if old == stage:
            _exchange(stage, t.real)       # back again: stage holds the new set, removed by the caller
        else:
            os.rename(t.real, stage)
            os.rename(old, t.real)
        raise
    with contextlib.suppress(OSError):
        _drop_old(old, owned)
    return old


def _commit_in_place(t: Target, stage: str, files: dict[str, bytes], owned) -> None:
    """Replaces the manifest files of t.real one by one (each rename atomic), undoing all on failure."""
    d = t.real
    backup = tempfile.mkdtemp(prefix=TMP_PREFIX + "old-", dir=os.path.dirname(stage))
    saved, placed, made = [], [], []
    try:
        old_names = [n for n in sorted(owned) + [MANIFEST] if os.path.lexists(os.path.join(d, n))]
        for n in old_names:
            if "/" in n:
                os.makedirs(os.path.join(backup, os.path.dirname(n)), exist_ok=True)
            try:
                os.link(os.path.join(d, n), os.path.join(backup, n))
            except OSError:
                shutil.copy2(os.path.join(d, n), os.path.join(backup, n))
            saved.append(n)
        # while files change, the manifest admits old and new versions: an interrupted run leaves a
        # directory the next run still recognizes as gen's
        with open(os.path.join(stage, MANIFEST), "rb") as f:
            both = f.read() + b"".join(f"{h}  {n}\n".encode() for n in sorted(owned) for h in sorted(owned[n]))
        with open(os.path.join(stage, TMP_PREFIX + "both"), "wb") as f:
            f.write(both)
        os.replace(os.path.join(stage, TMP_PREFIX + "both"), os.path.join(d, MANIFEST))
        placed.append(MANIFEST)
        new_dirs = sorted(_folders(files) - {f for f in _folders(files) if os.path.isdir(os.path.join(d, f))})
        for f in new_dirs:
            os.mkdir(os.path.join(d, f))
            made.append(f)
        for n in sorted(files):
            os.replace(os.path.join(stage, n), os.path.join(d, n))
            placed.append(n)
        for n in sorted(set(owned) - set(files)):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(d, n))
        _rmdir_empty(d, _folders(owned) - _folders(files))
        os.replace(os.path.join(stage, MANIFEST), os.path.join(d, MANIFEST))
    except BaseException as e:
        for n in placed:                   # undo: the new files out, the old ones back
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(d, n))
        for n in saved:
            with contextlib.suppress(OSError):
                if "/" in n:
                    os.makedirs(os.path.join(d, os.path.dirname(n)), exist_ok=True)
                os.replace(os.path.join(backup, n), os.path.join(d, n))
        _rmdir_empty(d, made)
        _remove_stage(backup)
        if isinstance(e, OSError):
            raise GenError(f"cannot write output directory '{t.out}': {e.strerror}") from None
        raise
    _remove_stage(backup)
