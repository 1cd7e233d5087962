"""Evaluate a proof's expression at a batch of points, in floats or in Arb balls.

The walk follows the proof's steps (atoms resolved, losses expanded), so evaluation
means exactly what the rules analysed. A point is *valid* when every step's value is
finite there and every domain condition of the proof holds: points outside the domain,
NaN and overflow are skipped, never counted. In balls (``dcp.ops.ARB``) a point is valid
only when every value is a finite ball and every domain condition holds for the whole
ball; literals are the exact decimals written.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..ops import align, divide, inside
from ..proof import Proof, Step

__all__ = ["evaluate", "domain_checks"]


def domain_checks(proof: Proof) -> list[tuple[Step, object]]:
    """(premise step, interval) for every domain condition in the proof."""
    checks = []
    for step in proof.steps():
        for condition in step.requires:
            for premise in step.premises:
                if premise.node is condition.expr or premise.node == condition.expr:
                    checks.append((premise, condition.domain))
                    break
    return checks


def evaluate(proof: Proof, values: Mapping[str, np.ndarray], ops, batch: int,
             checks: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The root's value at each point of the batch, and which points are valid."""
    with np.errstate(all="ignore"):
        results: dict[int, np.ndarray] = {}
        valid = np.ones(batch, dtype=bool)
        quotients = _quotients(proof)
        for step in proof.steps():
            if step.rule == "stand-in":             # its quotient's value, v / t
                numerator, t = quotients[step.id]
                value = divide(ops, *align(results[id(numerator)], results[id(t)]))
            else:
                value = _value(step, [results[id(p)] for p in step.premises], values, ops, batch)
            results[id(step)] = value
            valid &= ops.finite(value)
        for premise, domain in checks if checks is not None else domain_checks(proof):
            held = inside(results[id(premise)], domain)
            valid &= held.reshape(batch, -1).all(axis=1)
    return results[id(proof.root)], valid


def _quotients(proof: Proof) -> dict[int, tuple[Step, Step]]:
    """Each perspective's stand-ins, by id, with the steps of their quotients' numerator
    and denominator t (premises of the perspective, so evaluated before its function)."""
    found = {}
    if "stand-in" in proof.facts.rule:
        for step in proof.steps():
            if step.rule == "perspective":
                t, *numerators, _ = step.premises
                for (_, stand_in), numerator in zip(proof.facts.notes[step.id].detail, numerators):
                    found[stand_in] = (numerator, t)
    return found


def _value(step: Step, args: list[np.ndarray], values: Mapping[str, np.ndarray], ops, batch: int):
    rule = step.rule
    if rule == "number":
        return ops.literal(step.node, batch)
    if rule in ("variable", "parameter"):
        return values[step.node.id]
    if rule in ("binding", "expansion", "rewrite", "distribution"):
        return args[0]
    if rule == "perspective":                   # t * f(v/t), f with each v/t put in
        t, value = align(args[0], args[-1])
        return t * value
    if rule in ("quotient", "reciprocal"):
        return divide(ops, *align(*args))
    return step.atom.evaluate(ops, args, dict(step.kwargs), step.node)
