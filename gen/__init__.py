"""gen: compile an ONNX model into a static, malloc-free C99 library for microcontrollers.

The Python API (gen/api.py): gen.compile(model, out_dir, name=...) and gen.verify(library). It is imported on
first use, so `import gen` stays cheap (no numpy, onnx or onnxruntime)."""

__version__ = "0.1.0"

_API = ("compile", "verify", "Library", "Verification", "VerificationFailed")


def __getattr__(name: str):
    if name == "verify":     # the module gen/verify.py, callable as the API's verify (it sets itself here)
        import importlib
        return importlib.import_module(".verify", __name__)
    if name in _API:
        from . import api
        return getattr(api, name)
    if name == "GenError":
        from .errors import GenError
        return GenError
    raise AttributeError(f"module 'gen' has no attribute '{name}'")


def __dir__():
    return sorted([*globals(), *_API, "GenError"])
