"""The numeric cross-check (SPEC section 4): shapes, evaluation, the Jensen search and
witnesses proved with Arb ball arithmetic.

The search (and numpy) is loaded on first use, so that a rules-only call never loads it.
"""
from __future__ import annotations

from ..errors import SoundnessError
from ..facts import Curvature
from ..proof import Proof
from .budget import Budget
from .report import SearchReport, Witness
from .shapes import ShapeSolution, infer_shapes, shape_template

__all__ = ["Budget", "Witness", "SearchReport", "cross_check", "infer_shapes", "ShapeSolution",
           "shape_template"]


def claims(curvature: Curvature) -> set[str]:
    """What the rules claim: ``{"convex"}``, ``{"concave"}``, both, or nothing."""
    return ({"convex"} if curvature.is_convex else set()) | ({"concave"} if curvature.is_concave else set())


def cross_check(proof: Proof, solutions: list[ShapeSolution], budget: Budget, seed: int) -> SearchReport:
    """Search for witnesses against convexity and concavity.

    A witness against a property the rules certified is a bug in dcp: it raises
    :class:`SoundnessError` carrying the witness.
    """
    from .search import Search
    curvature = proof.root.curvature
    search = Search(proof, solutions, proof.wrt, proof.bounds, budget, seed)
    report = search.run({"convex", "concave"})
    for kind in sorted(claims(curvature) & set(report.witnesses)):
        witness = report.witnesses[kind]
        raise SoundnessError(
            f"dcp certified `{proof.root.text}` as {curvature}, but a confirmed witness "
            f"disproves it ({witness}). This is a bug in dcp; please report it.", witness)
    return report


def __getattr__(name: str):
    """The search, imported (with numpy) when first asked for."""
    if name == "Search":
        from .search import Search
        return Search
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
