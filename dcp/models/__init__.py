"""Models from files: an ONNX graph read as dcp bindings, constants and inputs.

`from_onnx(path)` is a `Session` holding the model (`dcp.from_onnx` is the same);
`translate(path)` the `Translation` it is built from. The reading (one sample, names,
layers, labels) and the operator table: docs/pages/reference/onnx.md. `onnx` and numpy
are imported only when a model is read.
"""
from .reader import Translation, from_onnx, translate

__all__ = ["Translation", "from_onnx", "translate"]
