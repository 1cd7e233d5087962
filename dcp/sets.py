"""Convex sets (SPEC section 10): which rule shows each constraint's feasible set convex.

A constraint ``g op h`` is stored as the node ``g - h`` on the set's tape and analysed
by the existing rules (:class:`~dcp.analysis.Analyzer`). Its set is convex

- by a level-set rule, when ``g - h`` is convex (``<=``), concave (``>=``) or affine
  (``==``): a sublevel set of a convex function is convex;
- as the whole box, when the range of ``g - h`` shows the constraint holds at every
  admissible point (``exp(x) >= -5``) and ``g - h`` is defined everywhere;
- by the rotated cone, when one side is ``a * b`` with ``a``, ``b`` affine and proved
  ``>= 0`` on the whole admissible box (the ranges, boundary included), and the other a
  constant or a sum of squares of affine expressions (``sum_squares(u)``, ``square(u)``,
  ``u ^ 2``) and constants ``>= 0``: ``{|v|^2 <= ab, a, b >= 0}`` is a rotated
  second-order cone, and ``x*y >= 1`` with ``x, y >= 0`` is its slice ``v = 1``;
- by a DQCP level set, when the DQCP rules (:mod:`dcp.quasi`) prove ``g - h``
  quasiconvex (``<=``), quasiconcave (``>=``) or quasilinear (``==``):
  ``sigmoid(w @ x) <= 0.5`` is a halfspace in ``w``.

Nothing else is rewritten: a rewrite that holds only where ``x + b > 0`` would certify
SPEC section 10's ``z*(b + x) <= x*b``, which is not convex. The intersection of
constraints joined by ``,`` is convex when each part is. This module is the engine; the
kernel (:func:`dcp.kernel.check_set_proof`) re-checks what it concludes.
"""
from __future__ import annotations

from typing import Mapping

from .analysis import Analyzer
from .facts import Interval
from .proof import (LEVEL_SET_RULES, QUASI_LEVEL_NEEDS, Proof, SetProof, SetStep, always_holds, nonconvex_domain,
                    quasi_level_holds, square_terms, squared_argument)
from .quasi import prove_quasi
from .syntax.ast import ConstraintSet
from .tape import Tape

__all__ = ["add_constraints", "prove_set", "quasiconvex_constraint"]

def add_constraints(tape: Tape, constraints: ConstraintSet, bindings=None
                    ) -> list[tuple[str, int, int, int]]:
    """Store each constraint's sides and its ``g - h`` on ``tape`` (located where the
    constraint is written): ``(op, g, h, g - h)`` per constraint, in order."""
    stored = []
    for constraint in constraints.items:
        left = tape.add_expr(constraint.left, bindings)
        right = tape.add_expr(constraint.right, bindings)
        span = constraint.span
        where = (span.start, span.end, span.source) if span is not None else (-1, -1, None)
        stored.append((constraint.op, left, right, tape.add("-", None, (left, right), *where)))
    return stored


def prove_set(analyzer: Analyzer, stored, wrt: tuple[str, ...], bounds: Mapping[str, Interval],
              source: str, atoms: Mapping, ranks: Mapping[str, int]) -> SetProof:
    """The set proof of the constraints ``stored`` (:func:`add_constraints`): per
    constraint the function proof of ``g - h``, then the first rule that shows its set
    convex (a level set, the whole box, the rotated cone, a DQCP level set), else its
    reason."""
    tape = analyzer.tape
    # The plain rules once over the whole tape (rooted at row 0, a leaf, so that no method
    # runs). A constraint they leave unknown gets a copy, where the methods try its g - h
    # alone: no method's attempt at one constraint leaves traces in another's proof.
    plain = analyzer.analyse(bounds, 0)
    parts = []
    for op, left, right, node in stored:
        facts = plain
        if plain.curvature[node] is None:           # an error under it: raised here
            facts = analyzer.analyse(bounds, node)
        elif not plain.curvature[node].is_known:
            facts = plain.copy()
            analyzer.analyse(bounds, node, facts, ids=())

        def proof_of(root: int, facts=facts) -> Proof:
            return Proof(tape, facts, root, wrt, bounds, source, atoms, ranks)
        function = proof_of(node)
        part = (_level_set(op, left, right, node, function)
                or _whole_box(op, left, right, node, function)
                or _rotated_cone(op, left, right, node, function, proof_of)
                or quasiconvex_constraint(op, left, right, node, function))
        parts.append(_with_convex_domain(part) if part else _unproved(op, left, right, node, function))
    return SetProof(tape, tuple(parts), wrt, bounds, source)


def _level_set(op: str, left: int, right: int, node: int, function: Proof) -> SetStep | None:
    """``g - h`` convex for ``<=``, concave for ``>=``, affine for ``==``."""
    rule, needed = LEVEL_SET_RULES[op]
    if getattr(function.curvature, f"is_{needed}"):
        return SetStep(op, left, right, node, rule, True, {"g - h": function})
    return None


def _whole_box(op: str, left: int, right: int, node: int, function: Proof) -> SetStep | None:
    """``g - h`` defined on the whole box (no domain condition) with its range on the
    feasible side of 0 (``<= 0`` for ``<=``, ``>= 0`` for ``>=``, exactly 0 for ``==``):
    every admissible point is feasible, and the box is convex."""
    if always_holds(op, function.facts.range[node]) and not function.domain:
        return SetStep(op, left, right, node, "whole box", True, {"g - h": function})
    return None


def _rotated_cone(op: str, left: int, right: int, node: int, function: Proof, proof_of
                  ) -> SetStep | None:
    """``s <= a * b`` (or ``a * b >= s``) with ``a``, ``b`` affine and ``>= 0`` on the
    box, ``s`` a constant or a sum of squares of affine expressions and constants >= 0."""
    if op == "==":
        return None
    tape, facts = function.tape, function.facts
    small, big = (left, right) if op == "<=" else (right, left)
    if tape.op[big] != "*":
        return None
    proofs = {"g - h": function}
    for role, factor in zip("ab", tape.args[big]):
        if not (facts.curvature[factor].is_affine and facts.range[factor].is_nonneg):
            return None
        proofs[role] = proof_of(factor)
    if facts.curvature[small].is_constant:
        proofs["s"] = proof_of(small)
        return SetStep(op, left, right, node, "rotated cone", True, proofs)
    for number, term in enumerate(square_terms(tape, small), 1):
        u = squared_argument(tape, term)
        if u is not None and facts.curvature[u].is_affine:
            proofs[f"u{number}"] = proof_of(u)
        elif facts.curvature[term].is_constant and facts.range[term].is_nonneg:
            proofs[f"c{number}"] = proof_of(term)
        else:
            return None
    return SetStep(op, left, right, node, "rotated cone", True, proofs)


def quasiconvex_constraint(op: str, left: int, right: int, node: int, function: Proof
                           ) -> SetStep | None:
    """``g - h`` proved quasiconvex by the DQCP rules (:func:`dcp.quasi.prove_quasi`)
    certifies ``g <= h``: a sublevel set of a quasiconvex function is convex; quasiconcave
    certifies ``g >= h``, quasilinear ``g == h``. Tried only where the curvature of
    ``g - h`` is unknown (a known one decided the level-set rules already), whose facts
    are the constraint's own copy: the DQCP steps written into them belong to this
    proof alone. Its domain conditions are checked as for every rule
    (:func:`_with_convex_domain`)."""
    if function.curvature.is_known:
        return None
    prove_quasi(function.tape, function.facts, node)
    if quasi_level_holds(op, function.quasi):
        return SetStep(op, left, right, node, "DQCP level set", True, {"g - h": function})
    return None


def _with_convex_domain(part: SetStep) -> SetStep:
    """``part``, or when one of its proofs relies on a domain condition not shown to cut
    a convex set, the same constraint unproved for that reason."""
    for proof in part.proofs.values():
        why = nonconvex_domain(proof)
        if why is not None:
            return SetStep(part.op, part.left, part.right, part.node, None, False,
                           {"g - h": part.proofs["g - h"]},
                           f"the rule {part.rule} would apply, but {why}")
    return part


def _unproved(op: str, left: int, right: int, node: int, function: Proof) -> SetStep:
    """A constraint no rule shows convex, with why in words."""
    _, needed = LEVEL_SET_RULES[op]
    curvature = function.curvature
    quasi = function.quasi
    found = (f"only {curvature}" if curvature.is_known else "unknown to the rules, the DQCP ones too"
             if not quasi.is_known else f"unknown to the rules and only {quasi} by DQCP")
    reason = (f"the set of `{op}` is convex when g - h is {needed} (or {QUASI_LEVEL_NEEDS[op]}), but "
              f"`{function.root.text}` is {found}, and no recognised cone matches")
    return SetStep(op, left, right, node, None, False, {"g - h": function}, reason)
