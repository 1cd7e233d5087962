"""The search for a set witness (SPEC section 10): two feasible points whose mix is not.

A numpy pre-search draws parameters and two points ``a``, ``b`` in the admissible box
(its ends and 0 often, so the faces and corners where sets like SPEC section 10's
``z*(b + x) <= x*b`` fail are reached), evaluates every constraint's ``g - h`` at ``a``,
``b`` and ``theta*a + (1-theta)*b`` in floats, and proves the most violating candidates
with Arb balls: ``g - h`` certainly on the feasible side of 0 at ``a`` and ``b`` (every
entry, every constraint; every domain condition certainly held) and certainly on the
wrong side at the mix (one entry of one constraint suffices). Sets with an equality are
left to the rules: a float point is almost never exactly on ``g == h``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..facts.balls import precision, to_arb
from ..ops import ARB, FLOAT
from ..proof import SetProof
from .budget import Budget
from .evaluate import domain_checks, evaluate
from .report import SetWitness
from .search import PRECISIONS, SCALES, Box, _mix
from .shapes import infer_shapes

__all__ = ["search_set", "confirm_set", "SetSearch"]

#: A float violation must exceed this, relative to the values' size, to be confirmed.
TOLERANCE = 1e-9
#: Points per batch of the pre-search.
BATCH = 128


@dataclass
class SetSearch:
    """What the set search did: pairs of feasible points compared (``trials``), the
    witness it proved (or None), and why it did not run (``skipped``)."""

    trials: int = 0
    witness: SetWitness | None = None
    skipped: str | None = None


def search_set(proof: SetProof, declared: Mapping, budget: Budget, seed: int) -> SetSearch:
    """Search for a :class:`SetWitness` against the convexity of ``proof``'s set; one
    against a set the rules certified raises :class:`~dcp.errors.SoundnessError`."""
    report = SetSearch()
    if any(part.op == "==" for part in proof.parts):
        report.skipped = "a set with an equality is left to the rules"
        return report
    shapes = _shapes(proof, declared)
    if shapes is None:
        report.skipped = "the constraints' shapes could not be made to agree"
        return report
    checks = [domain_checks(part.function) for part in proof.parts]
    boxes = {name: Box.of(proof.bounds.get(name)) for name in shapes}
    rng = np.random.default_rng(seed & (2**64 - 1))
    for round_ in range(budget.presearch_points // BATCH):
        scale = SCALES[round_ % len(SCALES)]
        draw = {n: boxes[n].sample(rng, (BATCH, *shapes[n]), scale, round_ % 3 == 2) for n in shapes}
        second = {n: boxes[n].sample(rng, (BATCH, *shapes[n]), scale, round_ % 3 == 1)
                  for n in proof.wrt}
        theta = rng.uniform(0.05, 0.95, BATCH) if round_ % 2 else np.full(BATCH, 0.5)
        with np.errstate(all="ignore"):
            report.witness = _try_batch(proof, shapes, checks, draw, second, theta, report)
        if report.witness is not None:
            break
    if report.witness is not None and proof.convex:
        from ..errors import SoundnessError
        raise SoundnessError(f"dcp certified the set as convex, but a confirmed witness "
                             f"disproves it ({report.witness}). This is a bug in dcp; please "
                             f"report it.", report.witness)
    return report


def _shapes(proof: SetProof, declared: Mapping) -> dict[str, tuple[int, ...]] | None:
    """One shape per name, at the smallest sizes, agreed by every constraint (None when
    two constraints give a name different shapes)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for part in proof.parts:
        solution = infer_shapes(part.function, declared, alternatives=0)[0]
        for name, shape in solution.instantiate(dict(solution.free_dims())).items():
            if shapes.setdefault(name, shape) != shape:
                return None
    return shapes


def _sides(part) -> float:
    """+1 when ``g - h <= 0`` is feasible, -1 when ``g - h >= 0`` is."""
    return 1.0 if part.op == "<=" else -1.0


def _try_batch(proof: SetProof, shapes, checks, first, second, theta, report: SetSearch):
    """Evaluate every constraint at a, b and the mix of a batch; confirm the candidates
    whose mix violates most."""
    batch = len(theta)
    params = {n: first[n] for n in shapes if n not in proof.wrt}
    a = {n: first[n] for n in proof.wrt}
    values = {n: np.concatenate([v] * 3) for n, v in params.items()}
    values.update({n: np.concatenate([a[n], second[n], _mix(theta, a[n], second[n])]) for n in proof.wrt})
    feasible = np.ones(2 * batch, dtype=bool)
    worst = np.full(batch, -np.inf)
    where = np.zeros(batch, dtype=int)
    for number, (part, part_checks) in enumerate(zip(proof.parts, checks)):
        f, valid = evaluate(part.function, values, FLOAT, 3 * batch, part_checks)
        signed = (_sides(part) * f).reshape(3 * batch, -1)
        scale = 1 + np.abs(signed)
        feasible &= valid[:2 * batch] & (signed[:2 * batch] <= 0).all(axis=1)
        # A mix where g - h is not defined may lie outside its domain, so outside the set:
        # a candidate too (confirmed only when a domain condition certainly fails there).
        excess = np.where(valid[2 * batch:], (signed[2 * batch:] / scale[2 * batch:]).max(axis=1),
                          1.0 if part_checks else -np.inf)
        where = np.where(excess > worst, number, where)
        worst = np.maximum(worst, excess)
    pairs = feasible[:batch] & feasible[batch:]
    report.trials += int(pairs.sum())
    for i in np.argsort(-np.where(pairs, worst, -np.inf), kind="stable")[:3]:
        if not (pairs[i] and worst[i] > TOLERANCE):
            break
        found = confirm_set(proof, shapes, {n: v[i] for n, v in params.items()},
                            {n: v[i] for n, v in a.items()}, {n: v[i] for n, v in second.items()},
                            float(theta[i]), checks)
        if found is not None:
            return found
    return None


def confirm_set(proof: SetProof, shapes, params, a, b, theta: float, checks=None
                ) -> SetWitness | None:
    """Prove with Arb balls that ``a`` and ``b`` (with ``params``, each within its
    assumptions exactly) satisfy every constraint and that the mix at ``theta`` violates
    one: a :class:`SetWitness`, else None."""
    if not 0 < theta < 1 or not _admissible(proof, {**params, **a}) or not _admissible(proof, b):
        return None
    checks = checks if checks is not None else [domain_checks(p.function) for p in proof.parts]
    for bits in PRECISIONS:
        with precision(bits):
            found = _balls(proof, shapes, params, a, b, theta, checks)
        if found is not None:
            return found
    return None


def _balls(proof: SetProof, shapes, params, a, b, theta: float, checks) -> SetWitness | None:
    """One confirmation at the current precision (None: not proved at it)."""
    t = to_arb(theta)
    values = {n: ARB.array(np.stack([np.asarray(v, dtype=float)] * 3)) for n, v in params.items()}
    for n in proof.wrt:
        left, right = ARB.array(a[n]), ARB.array(b[n])
        values[n] = np.stack([left, right, t * left + (1 - t) * right])
    a_values, b_values, violation = [], [], None
    for number, (part, part_checks) in enumerate(zip(proof.parts, checks)):
        f, valid = evaluate(part.function, values, ARB, 3, part_checks)
        if not (valid[0] and valid[1]):
            return None
        rows = [f[i].reshape(-1) if f.ndim > 1 else [f[i]] for i in range(3)]
        good = (lambda v: v <= 0) if part.op == "<=" else (lambda v: v >= 0)
        bad = (lambda v: v > 0) if part.op == "<=" else (lambda v: v < 0)
        if not all(good(v) for v in rows[0]) or not all(good(v) for v in rows[1]):
            return None
        a_values.append(_worst(rows[0], part.op).str(20))
        b_values.append(_worst(rows[1], part.op).str(20))
        if violation is None and valid[2]:
            for entry, v in enumerate(rows[2]):
                if bad(v):
                    shape = f.shape[1:]
                    violation = (number, tuple(int(i) for i in np.unravel_index(entry, shape)) if shape else (),
                                 v, "")
                    break
        elif violation is None:
            violation = _outside_domain(part, values, part_checks, number)
    if violation is None:
        return None
    number, entry, ball, outside = violation
    part = proof.parts[number]
    return SetWitness(shapes=dict(shapes), params={n: np.asarray(v).tolist() for n, v in params.items()},
                      a={n: np.asarray(v).tolist() for n, v in a.items()},
                      b={n: np.asarray(v).tolist() for n, v in b.items()}, theta=float(theta),
                      violated=number, constraint=part.text, entry=entry, mix=float(ball.mid()),
                      a_values=tuple(a_values), b_values=tuple(b_values), mix_value=ball.str(20),
                      outside=outside)


def _outside_domain(part, values, checks, number):
    """``(constraint number, entry, ball, condition)`` when a domain condition of ``part``
    certainly fails at the mix (row 2 of ``values``): the mix is outside the set; else
    None. The ball is the argument's value there, the condition the one it fails."""
    from ..proof import Proof, condition_text
    function = part.function
    for premise, domain in checks:
        inner = Proof(function.tape, function.facts, premise.id, function.wrt, function.bounds,
                      function.source, function.atoms, function.ranks)
        value, valid = evaluate(inner, values, ARB, 3)
        if not valid[2]:
            continue
        balls = value[2].reshape(-1) if value.ndim > 1 else [value[2]]
        for entry, v in enumerate(balls):
            if (v < domain.lo or (domain.lo_open and v <= domain.lo)
                    or v > domain.hi or (domain.hi_open and v >= domain.hi)):
                shape = value.shape[1:]
                where = tuple(int(i) for i in np.unravel_index(entry, shape)) if shape else ()
                return number, where, v, f"{premise.text} {condition_text(domain)}"
    return None


def _worst(balls, op: str):
    """The entry closest to violating: the largest ``g - h`` for ``<=``, smallest for ``>=``."""
    key = (lambda v: float(v.mid())) if op == "<=" else (lambda v: -float(v.mid()))
    return max(balls, key=key)


def _admissible(proof: SetProof, values: Mapping) -> bool:
    """Whether every entry lies in its name's assumption, compared exactly."""
    for name, value in values.items():
        bound = proof.bounds.get(name)
        if bound is not None and not all(float(v) in bound for v in np.asarray(value, dtype=float).flat):
            return False
        if bound is not None and not Box.of(bound).holds(value):
            return False
    return True
