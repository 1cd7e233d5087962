"""Models from files: an ONNX graph read as dcp bindings, constants and inputs.

>>> import dcp
>>> session = dcp.from_onnx("tests/fixtures/onnx/icnn.onnx")   # doctest: +SKIP
>>> session.certify(wrt="y").verdict                            # doctest: +SKIP
'convex'

`onnx` (and numpy) are imported only when a model is read.
"""
from .reader import Translation, from_onnx, translate

__all__ = ["Translation", "from_onnx", "translate"]
