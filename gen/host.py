"""Host verification: build a generated library with cffi into a shared library and run it.

Builds are cached by the content hash of the library's files (in $GEN_CACHE_DIR, default
~/.cache/gen), so running the same model twice compiles once.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile

import cffi
import numpy as np

from .emit import content_hash
from .errors import GenError
from .ir import C_TYPE

CFLAGS = ["-std=c99", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-pedantic"]
NP = {"float32": np.float32, "int8": np.int8}
CT = {"float32": "float", "int8": "int8_t"}


def cache_dir() -> str:
    d = os.environ.get("GEN_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "gen")
    os.makedirs(d, exist_ok=True)
    return d


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
                 extra_sources: list[str] | None = None):
        """extra_sources: C files built into the library too (e.g. the real CMSIS-NN's, with
        cflags ["-DGEN_USE_CMSIS_NN", "-I<CMSIS-NN>/Include"])."""
        plans = [f for f in files if f.endswith("_plan.json")]
        if len(plans) != 1:
            raise GenError("the directory holds no single gen library (*_plan.json)")
        self.summary = json.loads(files[plans[0]])
        self.name = self.summary["name"]
        self.inputs, self.outputs = self.summary["inputs"], self.summary["outputs"]
        self.int8 = any(t["dtype"] == "int8" for t in self.inputs + self.outputs)
        flags = CFLAGS + list(cflags or [])
        extra = sorted(extra_sources or [])
        key = content_hash({**files, "cflags": " ".join(flags).encode(), "cc": cc.encode(),
                            "extra": "\n".join(f"{p}:{os.path.getmtime(p)}" for p in extra).encode()})
        lib = os.path.join(cache_dir(), f"{self.name}-{key}.so")
        if not os.path.exists(lib):
            self._build(files, flags, cc, lib, extra)
        self.ffi = cffi.FFI()
        self.ffi.cdef("\n".join(self._protos()))
        self.lib = self.ffi.dlopen(lib)

    def _protos(self) -> list[str]:
        def proto(ct_in, ct_out, suffix):
            args = [f"const {ct_in or C_TYPE[t['dtype']]} *" for t in self.inputs]
            args += [f"{ct_out or C_TYPE[t['dtype']]} *" for t in self.outputs]
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
            os.replace(out, lib + ".tmp")
            os.replace(lib + ".tmp", lib)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _call(self, fn, arrays_in, dtypes_in, dtypes_out):
        ins = [np.ascontiguousarray(np.asarray(a, dtype=dt).reshape(-1)) for a, dt in zip(arrays_in, dtypes_in)]
        for a, t in zip(ins, self.inputs):
            if a.size != t["size"]:
                raise ValueError(f"input '{t['name']}' needs {t['size']} values, got {a.size}")
        outs = [np.zeros(t["size"], dtype=dt) for t, dt in zip(self.outputs, dtypes_out)]
        ptrs = [self.ffi.from_buffer(CT[a.dtype.name] + "[]", a) for a in ins + outs]
        rc = fn(*ptrs)
        if rc != 0:
            raise RuntimeError(f"{self.name}_run returned {rc}")
        return [o.reshape(t["shape"]) for o, t in zip(outs, self.outputs)]

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """float in, float out for float models; for int8 models the float boundary entry point."""
        if self.int8:
            return self._call(getattr(self.lib, f"{self.name}_run"), inputs, [np.float32] * len(self.inputs),
                              [np.float32] * len(self.outputs))
        return self._call(getattr(self.lib, f"{self.name}_run"), inputs,
                          [NP[t["dtype"]] for t in self.inputs], [NP[t["dtype"]] for t in self.outputs])

    def run_s8(self, *inputs: np.ndarray) -> list[np.ndarray]:
        """int8 in and out (tensors a quantized model keeps in float stay float)."""
        return self._call(getattr(self.lib, f"{self.name}_run_s8"), inputs, [NP[t["dtype"]] for t in self.inputs],
                          [NP[t["dtype"]] for t in self.outputs])


def load(path_or_files, cflags: list[str] | None = None) -> HostModel:
    files = read_dir(path_or_files) if isinstance(path_or_files, str) else path_or_files
    return HostModel(files, cflags)
