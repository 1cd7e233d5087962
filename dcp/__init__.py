"""dcp: a symbolic reasoning engine for convexity.

>>> from dcp import certify
>>> certify("relu(W2 @ relu(W1 @ x))", wrt="W1", assume=["W2 >= 0"]).verdict
'convex'

The pipeline, each stage depending only on those before it: `dcp.syntax` (text to
AST) -> `dcp.facts` (ranges, curvature algebra) -> `dcp.atoms` (the registry)
-> `dcp.rules` (composition, products, division) -> `dcp.analysis` (the
engine) -> `dcp.proof` and `dcp.kernel` (traces and their checker) ->
`dcp.render` -> `dcp.cli`.
"""
from .api import EachResult, Session, certify, certify_each
from .errors import (
                     ArgumentError,
                     AssumptionError,
                     DcpBug,
                     DcpError,
                     ParseError,
                     ProofCheckError,
                     ShapeError,
                     SoundnessError,
                     UnknownNameError,
)
from .facts import Curvature, Interval
from .kernel import check_proof, check_set_proof
from .proof import Proof, SetProof, Step
from .result import Result, SetResult

__version__ = "0.1.0"


def __getattr__(name: str):
    """``dcp.from_onnx``, imported on first use: ``import dcp`` never imports onnx."""
    if name == "from_onnx":
        from .models import from_onnx
        return from_onnx
    raise AttributeError(f"module 'dcp' has no attribute {name!r}")


__all__ = [
    "certify", "certify_each", "from_onnx", "EachResult", "Session", "check_proof", "Result", "Proof", "Step", "Curvature", "Interval",
    "SetResult", "SetProof", "check_set_proof",
    "DcpError", "ParseError", "UnknownNameError", "ArgumentError", "ShapeError",
    "AssumptionError", "DcpBug", "SoundnessError", "ProofCheckError", "__version__",
]
