"""The build cache: what gen compiles with a C compiler (the host library of --verify and the test vectors,
the stack analysis's call graphs) is kept by the hash of what went into it, so a second run of the same
model, or a new model that shares runtime files, compiles nothing again.

$GEN_CACHE_DIR (default ~/.cache/gen). Safe under concurrent runs: every entry is written to a temporary
file of its own in the cache directory and renamed into place (atomic), so a reader sees a complete entry
or none, and two runs that build the same entry at once both succeed (the last rename wins, with the same
bytes). Entries are never edited; deleting the directory is always safe.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile

INCLUDE = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.M)


def cache_dir() -> str:
    d = os.environ.get("GEN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "gen")
    os.makedirs(d, exist_ok=True)
    return d


def path(name: str) -> str:
    """The path of the entry `name` (a file name: what it is and its key)."""
    return os.path.join(cache_dir(), name)


def store(name: str, data: bytes) -> str:
    """Writes the entry atomically (see the module's docstring); returns its path."""
    final = path(name)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(final))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, final)
    except BaseException:
        os.unlink(tmp)
        raise
    return final


def store_file(name: str, src: str) -> str:
    """Moves the built file `src` into the cache as entry `name` (a copy first when src is on another file
    system, so the final rename stays atomic); returns the entry's path."""
    final = path(name)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=os.path.dirname(final))
    os.close(fd)
    try:
        shutil.move(src, tmp)
        os.chmod(tmp, 0o755)
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return final


def load(name: str) -> bytes | None:
    try:
        with open(path(name), "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def compiler_id(cc: str) -> str:
    """The compiler as it is installed now: its resolved path, size and mtime (an upgrade changes the key)."""
    exe = shutil.which(cc) or cc
    try:
        st = os.stat(os.path.realpath(exe))
        return f"{os.path.realpath(exe)}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        return exe


def include_closure(files: dict[str, bytes], name: str) -> list[str]:
    """`name` and every file of `files` it includes with #include "..." (transitively), sorted: what a
    translation unit of a gen output directory reads besides the system headers."""
    seen, todo = set(), [name]
    while todo:
        f = todo.pop()
        if f in seen or f not in files:
            continue
        seen.add(f)
        todo += [m.decode() for m in INCLUDE.findall(files[f])]
    return sorted(seen)


def key(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little") + b)
    return h.hexdigest()[:24]
