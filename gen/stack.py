"""Worst-case stack depth of a generated library, from gcc's -fstack-usage / -fcallgraph-info=su.

gcc (>= 10) writes one .ci file per translation unit: every function with its frame size and
qualifier ('static', 'dynamic', 'dynamic,bounded') and every call edge. Summing frames along the
deepest call chain from NAME_run gives the stack the model needs (plus whatever the C library
functions it calls use: memcpy, expf, ... are not compiled here and count as 0, see `external`).

The numbers are for the compiler and flags used (the host's gcc by default): indicative for a
board, exact for the build analysed. Recursion or a dynamic frame (VLA/alloca) means there is no
bound, which `stack_usage` reports as an error.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field

from .errors import GenError

_NODE = re.compile(r'node:\s*\{\s*title:\s*"([^"]+)"\s*label:\s*"([^"]*)"')
_EDGE = re.compile(r'edge:\s*\{\s*sourcename:\s*"([^"]+)"\s*targetname:\s*"([^"]+)"')
_FRAME = re.compile(r"(\d+) bytes \(([a-z,]+)\)")
CFLAGS = ["-std=c99", "-O2"]


@dataclass
class StackReport:
    max_bytes: int                                   # deepest chain from the roots, frames summed
    roots: dict[str, int] = field(default_factory=dict)   # entry point -> its worst chain
    path: list[str] = field(default_factory=list)    # the deepest chain, root first
    frames: dict[str, int] = field(default_factory=dict)
    recursion: list[list[str]] = field(default_factory=list)   # call cycles found
    unbounded: list[str] = field(default_factory=list)         # functions with a dynamic, unbounded frame
    external: list[str] = field(default_factory=list)          # called, not compiled here (libc, libm)


def _short(title: str) -> str:
    """Static functions are titled '/path/to/file.c:name': keep 'file.c:name'."""
    return title.rsplit("/", 1)[-1]


def parse_ci(texts: list[str]) -> tuple[dict[str, tuple[int, str]], dict[str, set[str]]]:
    """Functions (frame bytes, qualifier) and call edges of one or more .ci files."""
    nodes: dict[str, tuple[int, str]] = {}
    edges: dict[str, set[str]] = {}
    for text in texts:
        for title, label in _NODE.findall(text):
            title = _short(title)
            m = _FRAME.search(label)
            if m:
                nodes[title] = (int(m.group(1)), m.group(2))
            edges.setdefault(title, set())
        for src, dst in _EDGE.findall(text):
            src, dst = _short(src), _short(dst)
            edges.setdefault(src, set()).add(dst)
            edges.setdefault(dst, set())
    return nodes, edges


def analyze_ci(texts: list[str], roots: list[str] | None = None) -> StackReport:
    nodes, edges = parse_ci(texts)
    frames = {f: b for f, (b, _) in nodes.items()}
    rep = StackReport(0, frames=frames)
    rep.unbounded = sorted(f for f, (_, q) in nodes.items() if q.startswith("dynamic") and "bounded" not in q)
    rep.external = sorted(f for f in edges if f not in nodes)
    # cycles: iterative DFS with colours
    colour: dict[str, int] = {}
    for start in sorted(edges):
        if colour.get(start):
            continue
        stack = [(start, iter(sorted(edges[start])))]
        colour[start] = 1
        path = [start]
        while stack:
            fn, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[fn] = 2
                stack.pop()
                path.pop()
                continue
            if colour.get(nxt) == 1:
                rep.recursion.append(path[path.index(nxt):] + [nxt])
            elif not colour.get(nxt):
                colour[nxt] = 1
                stack.append((nxt, iter(sorted(edges[nxt]))))
                path.append(nxt)
    if rep.recursion:
        return rep
    memo: dict[str, tuple[int, list[str]]] = {}

    def depth(fn: str) -> tuple[int, list[str]]:
        if fn not in memo:
            best = (0, [])
            for c in edges.get(fn, ()):
                d = depth(c)
                if d[0] > best[0]:
                    best = d
            memo[fn] = (frames.get(fn, 0) + best[0], [fn] + best[1])
        return memo[fn]
    called = {c for cs in edges.values() for c in cs}
    if roots is None:
        roots = [f for f in nodes if re.search(r"_run(_s8)?$", f)] or [f for f in nodes if f not in called]
    for r in roots:
        rep.roots[r] = depth(r)[0]
    if rep.roots:
        top = max(rep.roots, key=lambda r: rep.roots[r])
        rep.max_bytes, rep.path = depth(top)
    return rep


def analyze(files, cc: str = "gcc", cflags: list[str] | None = None, roots: list[str] | None = None) -> StackReport:
    """files: a gen output directory, its files as {name: bytes}, or a list of .ci file paths."""
    if isinstance(files, (list, tuple)):
        texts = []
        for p in files:
            with open(p) as f:
                texts.append(f.read())
        return analyze_ci(texts, roots)
    if isinstance(files, str):
        from .host import read_dir
        files = read_dir(files)
    from . import build_cache
    flags = [*(cflags or CFLAGS), "-fstack-usage", "-fcallgraph-info=su"]
    units = [n for n in sorted(files)
             if n.endswith(".c") and not n.startswith("gen_testvec") and n != "gen_harness.c"]
    compiler = build_cache.compiler_id(cc)
    # each translation unit's call graph is cached by what it reads, so the runtime files that models share
    # are compiled once (gen/build_cache.py)
    keys = {n: "stack-" + build_cache.key(compiler, " ".join(flags), *(
        part for f in build_cache.include_closure(files, n) for part in (f, files[f]))) + ".ci" for n in units}
    texts = {n: build_cache.load(k) for n, k in keys.items()}
    todo = [n for n in units if texts[n] is None]
    if todo:
        tmp = tempfile.mkdtemp(prefix="gen-stack-")
        try:
            for name, data in files.items():
                with open(os.path.join(tmp, name), "wb") as f:
                    f.write(data)
            for name in todo:
                obj = os.path.join(tmp, name[:-2] + ".o")
                r = subprocess.run([cc, *flags, "-I", tmp, "-c", os.path.join(tmp, name), "-o", obj],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    raise RuntimeError(f"stack analysis build of {name} failed:\n{r.stderr}")
                with open(obj[:-2] + ".ci", "rb") as f:
                    texts[name] = f.read()
                build_cache.store(keys[name], texts[name])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return analyze_ci([texts[n].decode() for n in units], roots)


def stack_usage(files, cc: str = "gcc", cflags: list[str] | None = None) -> int:
    """Bytes of stack on the deepest call chain of NAME_run / NAME_run_s8 (frames summed)."""
    rep = analyze(files, cc, cflags)
    if rep.recursion:
        raise GenError("the generated code recurses (" + " -> ".join(rep.recursion[0]) + "): its stack has no bound")
    if rep.unbounded:
        raise GenError(f"{', '.join(rep.unbounded)} allocate(s) a dynamic stack frame (VLA/alloca): no bound")
    return rep.max_bytes
