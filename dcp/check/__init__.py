"""The numeric cross-check (SPEC section 4): shapes, evaluation, the Jensen search and
witnesses proved with Arb ball arithmetic.

The search (and numpy) is loaded on first use, so that a rules-only call never loads it.
"""
from __future__ import annotations

from ..errors import SoundnessError
from ..facts import Curvature
from ..facts.quasi import Quasi
from ..proof import Proof
from .budget import Budget
from .report import KINDS, SearchReport, Witness
from .shapes import ShapeSolution, infer_shapes, shape_template

__all__ = ["Budget", "Witness", "SearchReport", "cross_check", "infer_shapes", "ShapeSolution",
           "shape_template"]


def claims(curvature: Curvature) -> set[str]:
    """What the rules claim: ``{"convex"}``, ``{"concave"}``, both, or nothing."""
    return ({"convex"} if curvature.is_convex else set()) | ({"concave"} if curvature.is_concave else set())


def quasi_claims(quasi: Quasi) -> set[str]:
    """What the DQCP rules claim: ``{"quasiconvex"}``, ``{"quasiconcave"}``, both, or nothing."""
    return ({"quasiconvex"} if quasi.is_quasiconvex else set()) | \
        ({"quasiconcave"} if quasi.is_quasiconcave else set())


def cross_check(proof: Proof, solutions: list[ShapeSolution], budget: Budget, seed: int) -> SearchReport:
    """Search for witnesses against convexity and concavity, and, where the rules certify
    neither, against quasiconvexity and quasiconcavity (SPEC section 10).

    A witness against a property the rules certified is a bug in dcp: it raises
    :class:`SoundnessError` carrying the witness.
    """
    from .search import Search
    curvature = proof.root.curvature
    search = Search(proof, solutions, proof.wrt, proof.bounds, budget, seed)
    wanted = {"convex", "concave"} if curvature.is_known else set(KINDS)
    report = search.run(wanted)
    certified = claims(curvature) | quasi_claims(proof.quasi)
    for kind in sorted(certified & set(report.witnesses)):
        witness = report.witnesses[kind]
        claim = curvature if curvature.is_known else proof.quasi
        raise SoundnessError(
            f"dcp certified `{proof.root.text}` as {claim}, but a confirmed witness "
            f"disproves it ({witness}). This is a bug in dcp; please report it.", witness)
    return report


def __getattr__(name: str):
    """The search, imported (with numpy) when first asked for."""
    if name == "Search":
        from .search import Search
        return Search
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
