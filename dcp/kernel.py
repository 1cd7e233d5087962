"""The proof kernel: re-checks every step of a certificate.

Small on purpose, and separate from the engine (:mod:`dcp.analysis`, :mod:`dcp.rules`)
that searches for proofs: it imports neither. For each step it checks that the premises
are the node's own subexpressions, that the claimed range encloses what the atom's
declared range gives on the premises' ranges, that every domain the ranges cannot
discharge is listed, and that the claimed curvature follows from the premises by the
named rule. The trusted base is the interval arithmetic, the atoms' declared facts
(each verified against SymPy in the tests; a user atom's proved by SymPy when it is
defined), the Arb enclosures (python-flint) that end an atom's range at a finite point
(:mod:`dcp.facts.balls`, rounded outward to floats), and the idioms' identities.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Mapping

from .atoms import Atom, lookup, operator
from .atoms.calls import expand
from .errors import ProofCheckError
from .facts import POS, REALS, Curvature, Interval, Monotonicity, literal_range
from .facts.curvature import AFFINE, CONCAVE, CONSTANT, CONVEX, UNKNOWN
from .idioms import IDIOMS
from .proof import Proof, Step
from .syntax.ast import (
    Binary,
    Call,
    Expr,
    Index,
    Name,
    Number,
    Ref,
    Transpose,
    Unary,
    Vector,
    fold_constant,
)

__all__ = ["check_proof"]

UP, DOWN = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING


def check_proof(proof: Proof) -> None:
    """Check every step of ``proof``; raise :class:`ProofCheckError` at the first that does
    not follow. Returns None when the proof is valid.

    >>> from dcp import certify, check_proof
    >>> check_proof(certify("relu(W @ x)", wrt="W", check=False).proof)
    """
    context = _Context(frozenset(proof.wrt), proof.bounds, proof.atoms)
    for step in proof.steps():
        checker = _CHECKERS.get(step.rule)
        if checker is None:
            _fail(step, f"unknown rule {step.rule!r}")
        checker(step, context)


@dataclass(frozen=True)
class _Context:
    wrt: frozenset
    bounds: Mapping
    atoms: Mapping
    _found: dict = field(default_factory=dict)

    def lookup(self, name: str, count: int):
        """The atom a call of ``name`` with ``count`` arguments names (remembered)."""
        key = (name, count)
        if key not in self._found:
            self._found[key] = self.atoms.get(name) or lookup(name, count)
        return self._found[key]


def _fail(step: Step, why: str) -> None:
    raise ProofCheckError(f"proof step `{step.text}` ({step.rule}) does not check: {why}", step)


def _implied(claim: Curvature, best: Curvature) -> bool:
    """A claim is acceptable when it is no stronger than what the rule gives."""
    return claim is UNKNOWN or best <= claim


def _require(step: Step, best: Curvature, expected_range: Interval | None) -> None:
    if not _implied(step.curvature, best):
        _fail(step, f"claims {step.curvature}, the rule gives only {best}")
    if expected_range is not None and not step.range.contains(expected_range):
        _fail(step, f"range {step.range} does not enclose {expected_range}")


def _same(a: Expr, b: Expr) -> bool:
    """Whether a premise's node ``a`` is the subexpression ``b`` (``+b`` is ``b``: unary
    plus gets no step of its own)."""
    while isinstance(b, Unary) and b.op == "+":
        b = b.operand
    return a is b or a == b


def _premises_are(step: Step, nodes: tuple[Expr, ...]) -> None:
    premises = step.premises
    if len(premises) != len(nodes):
        _fail(step, "its premises are not the subexpressions of its node")
    for premise, node in zip(premises, nodes):
        if premise.node is not node and not _same(premise.node, node):
            _fail(step, "its premises are not the subexpressions of its node")


# ---- leaves ------------------------------------------------------------------------


def _number(step: Step, context) -> None:
    if not isinstance(step.node, Number) or step.premises:
        _fail(step, "not a number")
    _require(step, CONSTANT, literal_range(step.node))


def _name(step: Step, context, is_variable: bool) -> None:
    if not isinstance(step.node, Name) or step.premises or (step.node.id in context.wrt) != is_variable:
        _fail(step, "wrong kind of name")
    _require(step, AFFINE if is_variable else CONSTANT, context.bounds.get(step.node.id, REALS))


def _binding(step: Step, context) -> None:
    if not isinstance(step.node, Ref):
        _fail(step, "not a bound name")
    _premises_are(step, (step.node.value,))
    _require(step, step.premises[0].curvature, step.premises[0].range)


# ---- composition -------------------------------------------------------------------


def _composition_shape(step: Step, context) -> tuple[Atom, dict, tuple[Expr, ...]]:
    """The atom, keywords and argument nodes the step's node calls for."""
    node, kw = step.node, dict(step.kwargs)
    if isinstance(node, Call):
        atom = context.lookup(node.func, len(node.args))
        count = atom.max_args if atom and atom.max_args is not None else len(node.args)
        return atom, kw, node.args[:count]
    if isinstance(node, Binary) and node.op == "^":
        return lookup("power", 1), kw, (node.left,)
    if isinstance(node, Binary) and node.op in "+-":
        return operator(node.op), kw, (node.left, node.right)
    if isinstance(node, Unary) and node.op == "-":
        return operator("neg"), kw, (node.operand,)
    if isinstance(node, Transpose):
        return operator(".T"), kw, (node.operand,)
    if isinstance(node, Index):
        return operator("[]"), kw, (node.operand,)
    if isinstance(node, Vector):
        return operator("[...]"), kw, node.items
    _fail(step, "not an atom application")


def _keeps(direction: Curvature, mono: Monotonicity, arg: Curvature) -> bool:
    """Whether an argument of curvature ``arg`` keeps ``direction`` through an atom
    with monotonicity ``mono`` in it."""
    if arg.is_affine:
        return True
    return (arg is direction and mono is UP) or (arg is direction.negate() and mono is DOWN)


@lru_cache(maxsize=4096)
def _dcp_best(f: Curvature, monos: tuple, args: tuple[Curvature, ...]) -> Curvature:
    """The strongest curvature the composition rule allows (memoised: a pure function
    of a few enums, asked at every step)."""
    if all(a is CONSTANT for a in args):
        return CONSTANT
    if f.is_affine and all(a.is_affine for a in args):
        return AFFINE
    if f.is_convex and all(_keeps(CONVEX, m, a) for m, a in zip(monos, args)):
        return CONVEX
    if f.is_concave and all(_keeps(CONCAVE, m, a) for m, a in zip(monos, args)):
        return CONCAVE
    return UNKNOWN


def _composition(step: Step, context) -> None:
    atom, kw, args = _composition_shape(step, context)
    if atom is None or atom is not step.atom:
        _fail(step, "the atom does not match the node")
    if isinstance(step.node, Binary) and step.node.op == "^" and \
            kw.get("p") != fold_constant(step.node.right):
        _fail(step, "the exponent does not match the node")
    _premises_are(step, args)
    ranges = []
    for index, premise in enumerate(step.premises):
        domain = atom.domain(index, kw)
        region = premise.range
        if domain is not REALS and not domain.contains(region):
            if not any(c.domain == domain and _same(c.expr, premise.node) for c in step.requires):
                _fail(step, f"domain {domain} of argument {index + 1} is not listed")
            region = region.intersect(domain)
            if region is None:
                _require(step, UNKNOWN, None)
                return
        ranges.append(region)
    facts = atom.facts_on(tuple(ranges), kw)
    best = _dcp_best(facts.curvature, facts.monotonicity, tuple([p.curvature for p in step.premises]))
    _require(step, best, facts.range)


# ---- products and division ------------------------------------------------------------


def _scaled(curvature: Curvature, factor: Interval) -> Curvature:
    if curvature is CONSTANT or factor.is_zero:
        return CONSTANT
    if curvature.is_affine:
        return AFFINE
    if factor.lo >= 0:
        return curvature
    if factor.hi <= 0:
        return curvature.negate()
    return UNKNOWN


def _product(step: Step, context) -> None:
    node = step.node
    if isinstance(node, Binary) and node.op in "*@":
        atom, args = operator(node.op), (node.left, node.right)
    elif isinstance(node, Call) and context.lookup(node.func, 2) is step.atom and step.atom.kind == "product":
        atom, args = step.atom, node.args
    else:
        _fail(step, "not a product")
    if atom is not step.atom:
        _fail(step, "the product atom does not match the node")
    _premises_are(step, args)
    left, right = step.premises
    if left.curvature is CONSTANT:
        best = _scaled(right.curvature, left.range)
    elif right.curvature is CONSTANT:
        best = _scaled(left.curvature, right.range)
    else:
        best = UNKNOWN
    _require(step, best, atom.facts_on((left.range, right.range), {}).range)


def _division(step: Step, context, reciprocal: bool) -> None:
    node = step.node
    if not (isinstance(node, Binary) and node.op == "/"):
        _fail(step, "not a quotient")
    _premises_are(step, (node.left, node.right))
    top, bottom = step.premises
    if bottom.range.is_zero:
        _fail(step, "it divides by zero")
    region = bottom.range
    if reciprocal and not region.is_positive and any(
            c.domain == POS and _same(c.expr, bottom.node) for c in step.requires):
        region = region.intersect(POS) or region
    expected = top.range * region.reciprocal()
    if not reciprocal:
        best = _scaled(top.curvature, bottom.range.reciprocal()) if bottom.curvature is CONSTANT \
            else UNKNOWN
    elif top.curvature is not CONSTANT or not region.is_positive:
        best = UNKNOWN
    else:
        inverse = _dcp_best(CONVEX, (DOWN,), (bottom.curvature,))   # inv_pos(bottom)
        best = _scaled(inverse, top.range) if inverse is not UNKNOWN else UNKNOWN
    _require(step, best, expected)


# ---- definitions ----------------------------------------------------------------------


def _expansion(step: Step, context) -> None:
    """A loss or a user atom is its definition: the premise must be its body with the
    call's arguments put in."""
    atom = step.atom
    node = step.node
    if atom is None or atom.kind not in ("expansion", "user") or not isinstance(node, Call) or \
            context.lookup(node.func, len(node.args)) is not atom:
        _fail(step, "not an expansion of its node")
    _premises_are(step, (expand(atom, node.args, dict(step.kwargs), node.span),))
    _require(step, step.premises[0].curvature, step.premises[0].range)


def _rewrite(step: Step, context) -> None:
    apply = IDIOMS.get(step.idiom, (None,))[0]
    rewritten = apply(step.proof.tape, step.id) if apply else None
    if rewritten is None:
        _fail(step, f"idiom {step.idiom!r} does not apply")
    _premises_are(step, (step.proof.tape.expr(rewritten),))
    _require(step, step.premises[0].curvature, step.premises[0].range)


_CHECKERS: Mapping[str, Callable[[Step, _Context], None]] = {
    "number": _number,
    "parameter": lambda s, c: _name(s, c, is_variable=False),
    "variable": lambda s, c: _name(s, c, is_variable=True),
    "binding": _binding,
    "composition": _composition,
    "product": _product,
    "quotient": lambda s, c: _division(s, c, reciprocal=False),
    "reciprocal": lambda s, c: _division(s, c, reciprocal=True),
    "expansion": _expansion,
    "rewrite": _rewrite,
}
