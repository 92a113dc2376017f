"""Host verification: build a generated library with cffi into a shared library and run it.

Builds are cached by the content hash of the library's files (gen/build_cache.py: $GEN_CACHE_DIR,
default ~/.cache/gen, safe under concurrent runs), so running the same model twice compiles once.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

import numpy as np

from . import build_cache
from .emit import content_hash
from .errors import GenError
from .c_header import api_ctype
from .ir import C_TYPE, NP_DTYPE

CFLAGS = ["-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-pedantic"]
NP = dict(NP_DTYPE)          # API dtype -> numpy (float16, bfloat16: numpy's, whose bits the C takes as uint16_t)
CT = {np.dtype(v).name: C_TYPE[k] for k, v in NP_DTYPE.items()}   # numpy dtype name -> the C type of its bytes
# sanitize=True: a standalone executable (ASan cannot be dlopen'ed into CPython) with guard bytes
SANITIZE_CFLAGS = ["-std=c99", "-O1", "-g", "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                   "-fno-sanitize-recover=all", "-DGEN_ARENA_GUARD=64", "-Wall", "-Wextra", "-pedantic"]
SANITIZE_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=90:strict_string_checks=1",
                "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=91"}


def read_dir(path: str) -> dict[str, bytes]:
    files = {}
    for f in sorted(os.listdir(path)):
        if f.endswith((".c", ".h", ".json")):
            with open(os.path.join(path, f), "rb") as fh:
                files[f] = fh.read()
    return files


class HostModel:
    """A generated library loaded into this process."""

    def __init__(self, files: dict[str, bytes], cflags: list[str] | None = None, cc: str = "gcc",
                 extra_sources: list[str] | None = None, sanitize: bool = False):
        """extra_sources: C files built into the library too (e.g. the real CMSIS-NN's, with
        cflags ["-DGEN_USE_CMSIS_NN", "-I<CMSIS-NN>/Include"]).
        sanitize: build a standalone executable under ASan/UBSan with arena guard bytes instead of a
        shared library; each run is a process and any sanitizer report or guard damage raises."""
        plans = [f for f in files if f.endswith("_plan.json")]
        if len(plans) != 1:
            raise GenError("the directory holds no single gen library (*_plan.json)")
        self.summary = json.loads(files[plans[0]])
        self.name = self.summary["name"]
        self.inputs, self.outputs = self.summary["inputs"], self.summary["outputs"]
        self.int8 = any(t["dtype"] == "int8" for t in self.inputs + self.outputs)
        self.sanitize = sanitize
        flags = (SANITIZE_CFLAGS if sanitize else CFLAGS) + list(cflags or [])
        extra = sorted(extra_sources or [])
        if sanitize:
            files = {**files, "gen_harness.c": _harness(self.name, self.inputs, self.outputs, self.int8).encode()}
        key = content_hash({**files, "cflags": " ".join(flags).encode(), "cc": cc.encode(),
                            "extra": "\n".join(f"{p}:{os.path.getmtime(p)}" for p in extra).encode()})
        lib = build_cache.path(f"{self.name}-{key}" + (".asan" if sanitize else ".so"))
        if not os.path.exists(lib):
            self._build(files, flags, cc, lib, extra)
        if sanitize:
            self.exe, self.lib = lib, None
            return
        import cffi     # only where a library is loaded: a plain run of gen never imports it
        self.ffi = cffi.FFI()
        self.ffi.cdef("\n".join(self._protos()))
        self.lib = self.ffi.dlopen(lib)

    def _protos(self) -> list[str]:
        def proto(ct_in, ct_out, suffix):
            args = [f"const {api_ctype(t, ct_in)} *" for t in self.inputs]
            args += [f"{api_ctype(t, ct_out)} *" for t in self.outputs]
            return f"int {self.name}_run{suffix}({', '.join(args)});"
        if self.int8:
            return [proto("float", "float", ""), proto(None, None, "_s8")]
        return [proto(None, None, "")]

    def _build(self, files, flags, cc, lib, extra=()) -> None:
        tmp = tempfile.mkdtemp(prefix="gen-host-")
        try:
            for f, data in files.items():
                with open(os.path.join(tmp, f), "wb") as fh:
                    fh.write(data)
            srcs = sorted(f for f in files if f.endswith(".c") and f != "gen_testvec.c")
            out = os.path.join(tmp, "lib.so")
            r = subprocess.run([cc, *flags, "-I", tmp, *[os.path.join(tmp, s) for s in srcs], *extra, "-o", out,
                                "-lm"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"host build failed:\n{r.stderr}")
            build_cache.store_file(os.path.basename(lib), out)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _call(self, fn, arrays_in, dtypes_in, dtypes_out):
        ins = [np.ascontiguousarray(np.asarray(a, dtype=dt).reshape(-1)) for a, dt in zip(arrays_in, dtypes_in)]
        for a, t in zip(ins, self.inputs):
            if a.size != t["size"]:
                raise ValueError(f"input '{t['name']}' needs {t['size']} values, got {a.size}")
        outs = [np.zeros(t["size"], dtype=dt) for t, dt in zip(self.outputs, dtypes_out)]
        if self.sanitize:
            return self._exe_call(fn, ins, outs)
        ptrs = [self.ffi.from_buffer(CT[a.dtype.name] + "[]", a) for a in ins + outs]
        rc = fn(*ptrs)
        if rc != 0:
            raise RuntimeError(f"{self.name}_run returned {rc}")
        return [o.reshape(t["shape"]) for o, t in zip(outs, self.outputs)]

    def entry_dtype(self, t: dict):
        """The numpy dtype of `t` at NAME_run: float for the int8 and float32 tensors of an int8 model."""
        return np.float32 if self.int8 and t["dtype"] in ("int8", "float32") else NP[t["dtype"]]

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """The model's own dtypes for float models; for int8 models the float boundary entry point (int8
        tensors as float, quantized at the boundary; other dtypes as they are)."""
        fn = 0 if self.sanitize else getattr(self.lib, f"{self.name}_run")
        return self._call(fn, inputs, [self.entry_dtype(t) for t in self.inputs],
                          [self.entry_dtype(t) for t in self.outputs])

    def run_s8(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """int8 in and out (tensors a quantized model keeps in float stay float)."""
        fn = 1 if self.sanitize else getattr(self.lib, f"{self.name}_run_s8")
        return self._call(fn, inputs, [NP[t["dtype"]] for t in self.inputs],
                          [NP[t["dtype"]] for t in self.outputs])


    def _exe_call(self, entry: int, ins: list[np.ndarray], outs: list[np.ndarray]) -> list[np.ndarray]:
        tmp = tempfile.mkdtemp(prefix="gen-san-")
        try:
            fin, fout = os.path.join(tmp, "in.bin"), os.path.join(tmp, "out.bin")
            with open(fin, "wb") as f:
                for a in ins:
                    f.write(a.tobytes())
            r = subprocess.run([self.exe, str(entry), fin, fout], capture_output=True, text=True, timeout=600,
                               env={**os.environ, **SANITIZE_ENV})
            self.report = r.stderr
            if r.returncode != 0:
                raise RuntimeError(f"{self.name} under sanitizers exited {r.returncode}:\n{r.stderr[-6000:]}")
            data, pos = open(fout, "rb").read(), 0
            for o in outs:
                o[:] = np.frombuffer(data, o.dtype, o.size, pos)
                pos += o.nbytes
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return [o.reshape(t["shape"]) for o, t in zip(outs, self.outputs)]


def _harness(name: str, inputs: list[dict], outputs: list[dict], int8: bool) -> str:
    """main(entry, in.bin, out.bin): reads the inputs, runs NAME_run (entry 0) or NAME_run_s8 (entry 1) twice
    (the second run sees the arena the first left), checks the status and the arena guards, writes the outputs.
    Buffers are malloc'ed at their exact sizes so ASan sees any read or write past them."""
    entries = [("", [api_ctype(t, "float" if int8 else None) for t in inputs],
                [api_ctype(t, "float" if int8 else None) for t in outputs])]
    if int8:
        entries.append(("_s8", [C_TYPE[t["dtype"]] for t in inputs], [C_TYPE[t["dtype"]] for t in outputs]))
    up = name.upper()
    lines = ["#include <stdio.h>", "#include <stdlib.h>", "#include <string.h>", f'#include "{name}.h"', "",
             f"int {name}_guard_ok(void);", "",
             "static void *read_exact(FILE *f, size_t n)", "{",
             "    void *p = malloc(n ? n : 1);", "    if (!p || fread(p, 1, n, f) != n) {",
             '        fprintf(stderr, "harness: short input file\\n");', "        exit(2);", "    }",
             "    return p;", "}", "",
             "int main(int argc, char **argv)", "{", "    FILE *fi, *fo;", "    int entry, rc = 0, pass;",
             "    if (argc != 4) {", '        fprintf(stderr, "usage: %s ENTRY IN.bin OUT.bin\\n", argv[0]);',
             "        return 2;", "    }", "    entry = atoi(argv[1]);", '    fi = fopen(argv[2], "rb");',
             '    fo = fopen(argv[3], "wb");', "    if (!fi || !fo) {", "        return 2;", "    }"]
    for e, (suffix, tin, tout) in enumerate(entries):
        lines += [f"    if (entry == {e}) {{"]
        for k, ct in enumerate(tin):
            lines.append(f"        {ct} *in{k} = read_exact(fi, sizeof({ct}) * {up}_INPUT{k}_SIZE);")
        for k, ct in enumerate(tout):
            lines.append(f"        {ct} *out{k} = malloc(sizeof({ct}) * {up}_OUTPUT{k}_SIZE);")
        args = ", ".join([f"in{k}" for k in range(len(tin))] + [f"out{k}" for k in range(len(tout))])
        lines += ["        for (pass = 0; pass < 2 && rc == 0; pass++) {",
                  f"            rc = {name}_run{suffix}({args});", "        }"]
        for k, ct in enumerate(tout):
            lines.append(f"        fwrite(out{k}, sizeof({ct}), {up}_OUTPUT{k}_SIZE, fo);")
        lines += [f"        free(in{k});" for k in range(len(tin))]
        lines += [f"        free(out{k});" for k in range(len(tout))]
        lines += ["    }"]
    lines += ["    fclose(fi);", "    fclose(fo);", "    if (rc != 0) {",
              f'        fprintf(stderr, "harness: {name}_run returned %d\\n", rc);', "        return 3;", "    }",
              f"    if (!{name}_guard_ok()) {{",
              '        fprintf(stderr, "harness: the arena guard bytes were overwritten\\n");', "        return 4;",
              "    }", "    return 0;", "}", ""]
    return "\n".join(lines)


def load(path_or_files, cflags: list[str] | None = None) -> HostModel:
    files = read_dir(path_or_files) if isinstance(path_or_files, str) else path_or_files
    return HostModel(files, cflags)
