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
from ..proof import AS_WRITTEN, Proof, Step
from ..tape import Column, postorder

__all__ = ["evaluate", "domain_checks"]

#: Rules whose one premise is the node's value (its rewritten form, its body, its value).
_SAME_VALUE = frozenset({"binding", "expansion", "rewrite", "same", "distribution"})


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
            if step.rule in AS_WRITTEN:
                value = _as_written(proof, step.id, values, ops, batch)
            elif step.rule == "stand-in":           # its quotient's value, v / t
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
    and denominator t (premises of the perspective, so evaluated before its function).
    A perspective is evaluated as written; its function's steps, evaluated with each
    stand-in its quotient, only have to be finite where the expression is."""
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
    if rule in ("quotient", "reciprocal"):
        return divide(ops, *align(*args))
    return step.atom.evaluate(ops, args, dict(step.kwargs), step.node)


def _as_written(proof: Proof, index: int, values: Mapping[str, np.ndarray], ops, batch: int):
    """The value of node ``index`` as the user wrote it: each node under it by its own
    row (a plain step from its premises' values), a method's node by its operator."""
    tape, facts = proof.tape, proof.facts
    rules, premises = facts.rule, facts.premises

    def children(node: int) -> tuple[int, ...]:
        return premises[node] if rules[node] in _SAME_VALUE else tape.args[node]
    found: dict[int, object] = {}
    for node in postorder(index, Column(children)):
        args = [found[a] for a in children(node)]
        rule = rules[node]
        if rule in _SAME_VALUE:
            found[node] = args[0]
        elif rule in AS_WRITTEN or rule is None:
            found[node] = _by_operator(proof, node, args, values, ops, batch)
        else:
            found[node] = _value(proof.step(node), args, values, ops, batch)
    return found[index]


def _by_operator(proof: Proof, node: int, args: list, values, ops, batch: int):
    """Node ``node`` computed by its operator (or call) from its arguments' values."""
    from ..atoms import lookup, operator
    from ..atoms.calls import resolve_at
    tape = proof.tape
    op, expr = tape.op[node], tape.expr(node)
    if op == "number":
        return ops.literal(expr, batch)
    if op == "name":
        return values[tape.data[node]]
    if op in ("pos", "ref"):
        return args[0]
    if op == "/":
        return divide(ops, *align(*args))
    if op == "^":
        return lookup("power", 1).evaluate(ops, args[:1], {"p": tape.constant(tape.args[node][1])}, expr)
    if op == "call":
        atom, ids, kw = resolve_at(tape, node, proof.atoms)
        where = tape.args[node]
        return atom.evaluate(ops, [args[where.index(i)] for i in ids], kw, expr)
    return operator(op).evaluate(ops, args, {}, expr)
