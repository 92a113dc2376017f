"""gen: compile an ONNX model into a static, malloc-free C99 library for microcontrollers."""

__version__ = "0.1.0"
