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

from ..atoms import lookup, operator
from ..atoms.calls import resolve_at
from ..ops import align, divide, inside
from ..proof import Proof, Step
from ..tape import postorder

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
        for step in proof.steps():
            value = _value(step, [results[id(p)] for p in step.premises], values, ops, batch)
            results[id(step)] = value
            valid &= ops.finite(value)
        for premise, domain in checks if checks is not None else domain_checks(proof):
            held = inside(results[id(premise)], domain)
            valid &= held.reshape(batch, -1).all(axis=1)
    return results[id(proof.root)], valid


def _value(step: Step, args: list[np.ndarray], values: Mapping[str, np.ndarray], ops, batch: int):
    rule = step.rule
    if rule == "number":
        return ops.literal(step.node, batch)
    if rule in ("variable", "parameter"):
        return values[step.node.id]
    if rule in ("binding", "expansion", "rewrite"):
        return args[0]
    if rule in ("quotient", "reciprocal"):
        return divide(ops, *align(*args))
    if rule == "monomial":
        return _as_written(step, args, ops)
    return step.atom.evaluate(ops, args, dict(step.kwargs), step.node)


def _as_written(step: Step, args: list[np.ndarray], ops) -> np.ndarray:
    """The value of a step whose premises lie below its node's operators (a monomial's
    factors under ``*``, ``/``, signs and powers): each node in between evaluated as it
    is written, from the premises' values, so that the check tests the expression itself
    and not the method's reading of it."""
    proof = step.proof
    tape, values = proof.tape, dict(zip(proof.facts.premises[step.id], args))
    operands = _Operands(tape, values, proof.atoms)
    for node in postorder(step.id, operands):
        if node not in values:
            atom, kw = operands.atoms[node]
            inputs = [values[a] for a in operands[node]]
            if atom is None:                # "/", "+a", a bound name
                values[node] = divide(ops, *align(*inputs)) if len(inputs) == 2 else inputs[0]
            else:
                values[node] = atom.evaluate(ops, inputs, kw, tape.expr(node))
    return values[step.id]


class _Operands:
    """The children column of :func:`_as_written`: a premise has none; any other node
    the operands it is evaluated from, its atom and keywords kept in ``atoms`` (None for
    a division, a unary plus, a bound name)."""

    __slots__ = ("tape", "premises", "user_atoms", "atoms")

    def __init__(self, tape, premises, user_atoms):
        self.tape, self.premises, self.user_atoms = tape, premises, user_atoms
        self.atoms: dict[int, tuple] = {}

    def __getitem__(self, node: int) -> tuple[int, ...]:
        if node in self.premises:
            return ()
        tape = self.tape
        op, args = tape.op[node], tape.args[node]
        if op in ("/", "pos", "ref"):
            self.atoms[node] = (None, {})
            return args
        if op == "^":
            self.atoms[node] = (lookup("power", 1), {"p": tape.constant(args[1])})
            return args[:1]
        if op == "call":
            atom, given, kw = resolve_at(tape, node, self.user_atoms)
            self.atoms[node] = (atom, kw)
            return given
        self.atoms[node] = (operator(op), {})
        return args
