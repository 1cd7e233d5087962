"""Proof methods beyond the composition rule (SPEC section 9).

The plain rules (:mod:`dcp.rules`) see only how an expression is composed. Where they
leave a node unknown, the analysis (:meth:`dcp.analysis.Analyzer._beyond`) tries each
method here, top down from the root, so a method proves the largest subexpression it
can. A method is a function ``attempt(analyzer, index, bounds, facts) -> bool``: when it
proves node ``index`` convex, concave or affine it sets that node's facts (its own rule
name, its premises, its range, a :class:`~dcp.proof.Note` whose ``detail`` the kernel
checks) and returns True; otherwise it changes nothing and returns False. Every rule a
method writes has a checker in :mod:`dcp.kernel`, which re-derives what it can from the
tape and checks the rest (a factorisation, an identity) exactly.
"""
from __future__ import annotations

from typing import Callable

from . import monomial, perspective, quadratic, rewrites, structure

__all__ = ["METHODS"]

#: The methods, tried in this order at each node the plain rules leave unknown.
METHODS: list[Callable] = [
    quadratic.attempt,
    monomial.attempt,
    structure.attempt,
    perspective.attempt,
    rewrites.rewrite_to_canonical,
]
