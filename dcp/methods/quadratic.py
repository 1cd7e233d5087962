"""Quadratic forms decided exactly (SPEC section 9).

``x^2 + x*y + y^2`` is convex, yet the composition rule sees a product of two variables
and stops. Read as a polynomial of degree two with exact coefficients, its Hessian is a
rational matrix, and positive semidefinite (convex), negative semidefinite (concave) or
indefinite is decided exactly (:mod:`dcp.facts.quadratic`). The step records the LDLᵀ
certificate, which the kernel checks against the Hessian it reads from the tape itself.

Where the whole expression is an indefinite quadratic form, it is neither convex nor
concave, and an exact witness proves it: along a direction ``d`` with ``dᵀ H d < 0``,
``f(x0 + d) + f(x0 - d) - 2 f(x0) = dᵀ H d`` exactly, no search needed.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping, NamedTuple

from ..facts import Interval
from ..facts.algebra import Poly, enclose, evaluate, inner, node_ranks, opens, polynomial, substitute
from ..facts.curvature import AFFINE, CONCAVE, CONSTANT, CONVEX
from ..facts.quadratic import Factorisation, direction, elimination_order, factor, hessian, negated
from ..identities import fixed_value
from ..proof import Facts, Note
from ..tape import Column, postorder

__all__ = ["attempt", "QuadraticDetail", "ExactWitness", "symbol_chooser", "is_variable", "fixed_values"]

#: The operators a polynomial may be written with (others must be constant symbols).
_HEADS = frozenset({"+", "-", "*", "neg", "pos", "^", "/", "ref", "call", "@", ".T"})
#: A degree beyond any the method decides (a division by a variable, a huge power).
_UNBOUNDED = 1 << 20
#: Give up on Hessians larger than this (exact elimination is cubic in it when dense).
MAX_VARIABLES = 20_000


class QuadraticDetail(NamedTuple):
    """What a ``quadratic`` step records: the variables (ids) in the Hessian's order, the
    sign (+1: the Hessian is ``L D Lᵀ``, convex; -1: its negation is, concave) and the
    certificate (None when there is no second-degree term: affine)."""

    variables: tuple[int, ...]
    sign: int
    certificate: Factorisation | None


class ExactWitness(NamedTuple):
    """A proof that a quadratic form is not ``kind`` ("convex" or "concave"): f at the
    midpoint of ``a`` and ``b`` against the chord, each value exact (Fractions), the points
    exact floats by name."""

    kind: str
    params: dict[str, float]
    a: dict[str, float]
    b: dict[str, float]
    lhs: Fraction
    rhs: Fraction


def is_variable(facts: Facts, index: int) -> bool:
    """A symbol that varies: a variable (or a perspective's stand-in) not fixed by its
    bounds (a name with ``254 <= x <= 254`` is a constant)."""
    return facts.rule[index] in ("variable", "stand-in") and not facts.range[index].is_point


def fixed_values(facts: Facts, symbols) -> dict[int, Fraction]:
    """The exact values of the variables among ``symbols`` that their bounds fix (a point
    range): in the polynomial they are those numbers."""
    return {symbol: value for symbol in symbols
            if facts.rule[symbol] == "variable" and (value := fixed_value(facts.range[symbol])) is not None}


def symbol_chooser(tape, facts: Facts, ranks=None):
    """The symbols of a polynomial: names, and constant subexpressions the algebra does
    not open (``log(a)``, ``2 ^ 0.5``); any other node is opened or fails. ``ranks``: as
    :func:`~dcp.facts.algebra.node_ranks` gives them (inner products opened)."""
    def symbol(index: int) -> int | None:
        if tape.op[index] == "name":
            return index
        if opens(tape, index, ranks):
            return None
        return index if facts.curvature[index] is CONSTANT else None
    return symbol


class _Structure:
    """What the method learnt of the expression (bound-independent, kept between
    attempts): the nodes whose whole subtree the algebra reads (``good``) or does not
    (``bad``), and the ranks of the nodes. Each node is explored once, so trying the
    method at every unknown node of a long expression costs linear time, not quadratic."""

    def __init__(self, tape, root: int, name_ranks):
        self.good: set[int] = set()
        self.bad: set[int] = set()
        self.degrees: dict[int, int] = {}
        self.degrees_of: Facts | None = None        # the facts (bounds) the degrees are for
        self.ranks = node_ranks(tape, root, name_ranks) if name_ranks else None

    def degree(self, tape, index: int, symbol, facts: Facts) -> int:
        """An upper bound on the degree in the variables of node ``index`` (read whole:
        see :meth:`readable`), from its operands', each node once: a product of long sums
        is refused before it is expanded. (A name fixed by its bounds is a constant: the
        degrees are those of one analysis.)"""
        if self.degrees_of is not facts:
            self.degrees.clear()
            self.degrees_of = facts
        degrees, op = self.degrees, tape.op
        for node in postorder(index, Column(lambda n: () if n in degrees else
                                             self._children(tape, n, symbol, self.ranks))):
            if node in degrees:
                continue
            kind = op[node]
            if kind == "number":
                found = 0
            elif symbol(node) is not None:
                found = 1 if is_variable(facts, node) else 0
            else:
                parts = [degrees[a] for a in self._children(tape, node, symbol, self.ranks)]
                if kind in ("*", "@", "call") and len(parts) == 2:    # a product, dot(a, b)
                    found = parts[0] + parts[1]
                elif kind == "call":                                   # square(x)
                    found = 2 * parts[0]
                elif kind == "/":
                    found = parts[0] if parts[1] == 0 else _UNBOUNDED
                elif kind == "^":
                    power = _power_of(tape, node)
                    found = parts[0] * power if power >= 0 else (0 if parts[0] == 0 else _UNBOUNDED)
                else:                                                  # + - neg pos ref .T
                    found = max(parts)
            degrees[node] = min(found, _UNBOUNDED)
        return degrees[index]

    def readable(self, tape, index: int, symbol) -> bool:
        """Whether the algebra reads node ``index`` whole: depth first, a failure marks
        every node on the path to it, a subtree read whole is marked good."""
        good, bad, ranks = self.good, self.bad, self.ranks
        if index in good or index in bad:
            return index in good
        path = [(index, iter(self._children(tape, index, symbol, ranks)))]
        while path:
            node, pending = path[-1]
            for child in pending:
                if child in bad:
                    bad.update(n for n, _ in path)
                    return False
                if child in good:
                    continue
                if tape.op[child] != "number" and symbol(child) is None and not opens(tape, child, ranks):
                    bad.add(child)
                    bad.update(n for n, _ in path)
                    return False
                path.append((child, iter(self._children(tape, child, symbol, ranks))))
                break
            else:
                good.add(node)
                path.pop()
        return True

    @staticmethod
    def _children(tape, index: int, symbol, ranks) -> tuple[int, ...]:
        if tape.op[index] == "number" or symbol(index) is not None:
            return ()
        if not opens(tape, index, ranks):
            return ()
        return tape.args[index] if tape.op[index] != "^" else tape.args[index][:1]


def _power_of(tape, node: int) -> int:
    """The integer exponent of ``x ^ k`` (the algebra opens only such powers)."""
    exponent = tape.args[node][1]
    if tape.op[exponent] == "neg":
        return -int(tape.data[tape.args[exponent][0]].exact)
    return int(tape.data[exponent].exact)


def attempt(analyzer, index: int, bounds, facts: Facts) -> bool:
    """Decide node ``index`` as a quadratic form; True when it is convex, concave or
    affine (its facts set), False otherwise (nothing changed; an indefinite form is put
    in ``analyzer.hopeless``, and at the root leaves its exact witnesses in
    ``facts.witnesses``)."""
    tape = analyzer.tape
    if tape.op[index] not in _HEADS:
        return False
    structure = analyzer.scratch.get("quadratic")
    if structure is None:
        structure = analyzer.scratch["quadratic"] = _Structure(tape, analyzer.root, analyzer.ranks)
    ranks = structure.ranks
    choose = symbol_chooser(tape, facts, ranks)
    if not (choose(index) is None and opens(tape, index, ranks)) or \
            not structure.readable(tape, index, choose) or structure.degree(tape, index, choose, facts) > 2:
        return False
    seen: set[int] = set()

    def symbol(node: int) -> int | None:
        found = choose(node)
        if found is not None:
            seen.add(found)
        return found
    poly = polynomial(tape, index, symbol, ranks)
    if poly is None:
        return False
    poly = substitute(poly, fixed_values(facts, seen))
    variables = {s for s in seen if is_variable(facts, s)}
    found = hessian(poly, variables | {inner(s) for s in variables})
    if found is None or len(found.variables) > MAX_VARIABLES:
        return False
    if not found.variables:
        keys = variables | {inner(s) for s in variables}
        curvature = AFFINE if any(s in keys for m in poly for s in m) else CONSTANT
        detail = QuadraticDetail((), 1, None)
    else:
        order = elimination_order(found)
        if order is None:
            return False
        found = hessian(poly, variables | {inner(s) for s in variables}, order)
        decided = _decide(found.matrix)
        if decided is None:
            analyzer.hopeless.add(index)
            if index == analyzer.root and not any(s < 0 for m in poly for s in m):
                facts.witnesses.update(_witnesses(tape, poly, found, seen, bounds, facts))
            return False
        curvature, detail = decided[0], QuadraticDetail(found.variables, *decided[1:])
    ranges = facts.range
    value_range = enclose(poly, {s: ranges[s] for s in seen})
    premises = tuple(sorted(seen))
    _write(facts, index, value_range, curvature, premises)
    facts.notes[index] = Note(words=(_words(curvature, detail),), detail=detail)
    return True


def _write(facts: Facts, index: int, value_range: Interval, curvature, premises) -> None:
    facts.range[index], facts.curvature[index], facts.rule[index] = value_range, curvature, "quadratic"
    facts.premises[index], facts.atom[index], facts.kwargs[index] = premises, None, ()


def _decide(matrix) -> tuple | None:
    """(curvature, sign, certificate) for a semidefinite Hessian, else None."""
    certificate = factor(matrix)
    if isinstance(certificate, Factorisation):
        return CONVEX, 1, certificate
    flipped = factor(negated(matrix))
    if isinstance(flipped, Factorisation):
        return CONCAVE, -1, flipped
    return None


def _words(curvature, detail: QuadraticDetail) -> str:
    """The fact used, in words."""
    if detail.certificate is None:
        return "quadratic: no term of degree two, affine"
    size = len(detail.variables)
    which = "positive" if detail.sign > 0 else "negative"
    return (f"quadratic form: its {size}x{size} Hessian is {which} semidefinite "
            f"(exact LDLᵀ, D >= 0), {curvature}")


# ---- the exact witness of an indefinite form ---------------------------------------------
def _witnesses(tape, poly: Poly, found, seen: set[int], bounds: Mapping[str, Interval],
               facts: Facts) -> dict[str, ExactWitness]:
    """Exact witnesses that the form is neither convex nor concave, where points inside
    the assumptions can be written as floats (else none: the numeric check may find
    them). Only for a polynomial of names: a constant subexpression's value would have to
    be chosen inside its own domain."""
    if any(tape.op[s] != "name" for s in seen):
        return {}
    centre: dict[int, Fraction] = {}
    for s in seen:
        inside = _inside(bounds.get(tape.data[s]) or Interval(float("-inf"), float("inf")))
        if inside is None:
            return {}
        centre[s] = inside
    found_witnesses = {}
    for kind, matrix in (("convex", found.matrix), ("concave", negated(found.matrix))):
        failure = factor(matrix)
        if isinstance(failure, Factorisation):
            continue
        witness = _along(kind, direction(matrix, failure), found.variables, poly, centre, bounds, tape,
                         {s for s in seen if facts.rule[s] == "variable"})
        if witness is not None:
            found_witnesses[kind] = witness
    return found_witnesses


def _inside(interval: Interval) -> Fraction | None:
    """A float inside ``interval``, as a Fraction: its value when the interval is a point,
    else one strictly inside (the midpoint, or one unit in from a finite end); None when
    there is none to be found so."""
    lo, hi = interval.lo, interval.hi
    if interval.is_point:
        return Fraction(lo) if Fraction(float(lo)) == Fraction(lo) else None
    if lo == float("-inf") and hi == float("inf"):
        guess = 0.0
    elif lo == float("-inf"):
        guess = float(hi) - 1
    elif hi == float("inf"):
        guess = float(lo) + 1
    else:
        guess = float((Fraction(lo) + Fraction(hi)) / 2)
    value = Fraction(guess)
    if (lo != float("-inf") and value <= Fraction(lo)) or (hi != float("inf") and value >= Fraction(hi)):
        return None
    return value


def _along(kind: str, d: list[Fraction], variables: tuple[int, ...], poly: Poly,
           centre: dict[int, Fraction], bounds, tape, wrt: set[int]) -> ExactWitness | None:
    """The witness at the centre, along ``d`` made dyadic and scaled into the box."""
    d = _dyadic(d)
    step = Fraction(1)
    for position, symbol in enumerate(variables):
        if d[position] == 0:
            continue
        interval = bounds.get(tape.data[symbol])
        room = _room(interval, centre[symbol])
        while abs(d[position]) * step >= room:     # strictly inside: an end may be open
            step /= 2
    a, b = dict(centre), dict(centre)
    for position, symbol in enumerate(variables):
        a[symbol] = centre[symbol] + step * d[position]
        b[symbol] = centre[symbol] - step * d[position]
    if any(Fraction(float(v)) != v for v in (*a.values(), *b.values())):
        return None                                     # not written exactly as floats
    fa, fb, fm = evaluate(poly, a), evaluate(poly, b), evaluate(poly, centre)
    chord = (fa + fb) / 2
    if (fm - chord if kind == "convex" else chord - fm) <= 0:
        return None                                     # (cannot happen: checked anyway)
    if not all(_as_float(v) is not None for v in (fm, chord, fm - chord)):
        return None                                     # values beyond the floats
    names = {symbol: tape.data[symbol] for symbol in centre}
    return ExactWitness(
        kind=kind,
        params={names[s]: float(v) for s, v in centre.items() if s not in wrt},
        a={names[s]: float(a[s]) for s in wrt}, b={names[s]: float(b[s]) for s in wrt},
        lhs=fm, rhs=chord)


def _as_float(value: Fraction) -> float | None:
    """``value`` as a finite float (for display), or None past the floats."""
    try:
        return float(value)
    except OverflowError:
        return None


def _dyadic(d: list[Fraction]) -> list[Fraction]:
    """``d`` scaled so that its entries are integers (a positive scaling keeps the sign of
    ``dᵀ H d``)."""
    from math import lcm
    common = lcm(*(v.denominator for v in d))
    return [v * common for v in d]


def _room(interval: Interval | None, centre: Fraction) -> Fraction:
    """How far the centre may move either way and stay inside ``interval``."""
    if interval is None:
        return Fraction(1)
    room = Fraction(1)
    if interval.lo != float("-inf"):
        room = min(room, centre - Fraction(interval.lo))
    if interval.hi != float("inf"):
        room = min(room, Fraction(interval.hi) - centre)
    return room
