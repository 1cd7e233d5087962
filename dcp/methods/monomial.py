"""Monomials: ``c * x1^a1 * ... * xk^ak`` with nonnegative variables (SPEC section 9).

With every variable ``xi > 0`` (``xi >= 0`` is enough where nothing divides by it), the
product ``x1^a1 ... xk^ak`` is

- convex when every ``ai <= 0``: its logarithm ``sum ai log xi`` is convex, and the
  exponential of a convex function is convex;
- concave when every ``ai >= 0`` and ``sum ai <= 1``: a weighted geometric mean (with a
  weight ``1 - sum ai`` on the constant 1), concave on the closed orthant.

A constant factor ``c >= 0`` keeps the curvature, ``c <= 0`` mirrors it. A monomial of one
variable has the ``power`` atom's facts on that variable's range (``(2*x) * x^0.5`` is
``2 x^1.5``, convex on ``x >= 0``). The exponents are exact: literals are the decimals
written (``x ^ 0.065`` is ``x^(13/200)``), and a variable written twice adds its
exponents (``i1 * i1^2`` is ``i1^3``).

The expression is read off the tape through ``*``, ``/``, unary signs, bound names,
``x ^ p`` and ``power(x, p)`` with a numeric ``p``, ``sqrt``, ``inv_pos`` and ``square``,
down to its *factors*: variables, and constant subexpressions (numbers, parameters, any
node the rules found constant) whose sign their range gives. Reading keeps the identity
exact: a sign is carried through a power only when the exponent is a nonnegative integer,
and a factor under a negative exponent anywhere (a denominator, ``inv_pos``, ``x^-1``)
must be positive. Anything else is not a monomial here: a factor that is an affine
expression (``(x + y)^0.5``), a variable that may be negative, a parameter of unknown
sign, mixed signs of the exponents of several variables.

The step it writes (rule ``monomial``) has the factors as premises, and in its note's
``detail`` the constant factors' ids and the exact exponent of each variable; the kernel
reads the monomial again from the tape and checks all of it.
"""
from __future__ import annotations

from fractions import Fraction
from typing import NamedTuple

from .. import rules
from ..analysis import _set
from ..atoms import lookup
from ..atoms.calls import resolve_at
from ..errors import DcpError
from ..facts import Interval
from ..facts.curvature import CONCAVE, CONSTANT, CONVEX, UNKNOWN, Curvature
from ..proof import Facts, Note
from ..syntax.ast import format_constant
from ..tape import Column, Tape, postorder

__all__ = ["attempt", "Monomial", "read"]

#: An exponent is an int when it is one (a Fraction otherwise): the commonest, and sums of
#: ints cost a fraction of sums of Fractions.
Exponent = int | Fraction
#: The calls read as a power of their argument, with the exponent (``power`` gives its own).
_POWERS = {"sqrt": Fraction(1, 2), "inv_pos": -1, "square": 2}
_POWER = lookup("power", 1)
#: The factors shown in a step's words before ``...``.
_SHOWN = 6


class Monomial(NamedTuple):
    """A monomial read from a tape: ``sign * prod |f|^w`` over its factors ``f``.

    ``factors`` are the premises in the order read (each once); ``exponents`` their exact
    exponents; ``variables`` which of them are variables (the others are constants);
    ``sign`` is +1 or -1, ``magnitudes`` the range of ``|f|`` for each factor."""

    factors: tuple[int, ...]
    exponents: tuple[Exponent, ...]
    variables: tuple[bool, ...]
    sign: int
    magnitudes: tuple[Interval, ...]


def attempt(analyzer, index: int, bounds, facts: Facts) -> bool:
    """Prove node ``index`` convex or concave as a monomial; see the module docstring.

    A product of factors that no rule here covers (exponents, signs) is put in
    ``analyzer.hopeless``: every node inside it is a part of the same product, read with
    the same factors, whose plain rule breaks whatever its parts are."""
    unreadable = analyzer.scratch.setdefault("monomial", set())
    found = read(analyzer.tape, index, facts, analyzer.atoms, unreadable)
    if found is None:
        if index not in unreadable:         # a product whose factors' signs break it
            analyzer.hopeless.add(index)
        return False
    moving = [i for i, variable in enumerate(found.variables) if variable and found.exponents[i]]
    if not moving:                          # no variable left (x / x): no monomial's business
        return False
    base, why = _base_curvature(found, moving)
    constant = _constant_range(found)
    curvature = rules.scale(base, constant)
    if not curvature.is_known:
        analyzer.hopeless.add(index)
        return False
    value_range = constant                  # (in the order the kernel multiplies them)
    for position in moving:
        value_range = value_range * _power_range(found.magnitudes[position],
                                                 found.exponents[position])
    _set(facts, index, value_range, curvature, "monomial", found.factors)
    if constant.is_nonpos and not curvature.is_affine:
        why += ", mirrored by a constant factor <= 0"
    factors = list(zip(found.factors, found.exponents, found.variables))
    detail = (tuple([f for f, _, variable in factors if not variable]),
              tuple([(f, e) for f, e, variable in factors if variable]))
    words = f"monomial: {_text(analyzer.tape, found, constant)}: {why}, {curvature}"
    facts.notes[index] = Note(words=(words,), detail=detail)
    return True


def read(tape: Tape, index: int, facts: Facts, atoms=None, unreadable: set[int] | None = None
         ) -> Monomial | None:
    """Node ``index`` as a monomial of its factors, or None when it is not one (a node
    that is neither opened nor a factor, a factor of unknown sign, a variable that may be
    negative, a factor under a negative exponent whose range reaches 0).

    ``unreadable`` remembers the nodes that contain a node neither opened nor a factor
    (the one found, and every node on the way down to it): asked again about one of them,
    or about a node above one, the answer is found at once."""
    unreadable = set() if unreadable is None else unreadable
    if index in unreadable:
        return None
    openings: dict[int, _Opened] = {}
    factors: set[int] = set()
    above: dict[int, int] = {}
    stack = [index]
    while stack:                            # which nodes are opened, which are factors
        node = stack.pop()
        if node in openings or node in factors:
            continue
        opened = None if node in unreadable else _opening(tape, node, facts, atoms)
        if opened is not None:
            openings[node] = opened
            for child, _ in opened.children:
                above.setdefault(child, node)
                stack.append(child)
        elif node not in unreadable and (facts.curvature[node] is CONSTANT or facts.rule[node] == "variable"):
            factors.add(node)
        else:
            while node != index:            # the way down to the node no monomial holds
                unreadable.add(node)
                node = above[node]
            unreadable.add(index)
            return None
    order = postorder(index, Column(lambda node: () if node not in openings else
                                    tuple([child for child, _ in openings[node].children])))
    signs = _signs(order, openings, facts)
    if signs is None:
        return None
    exponents, inverted = _exponents(order, openings)
    leaves = [node for node in order if node in factors]
    magnitudes = []
    for node in leaves:
        region = facts.range[node]
        magnitude = region if signs[node] > 0 else -region
        if not magnitude.is_nonneg or (node in inverted and not magnitude.is_positive):
            return None                     # (a variable's sign is +1: its range must be >= 0)
        magnitudes.append(magnitude)
    return Monomial(tuple(leaves), tuple(exponents[n] for n in leaves),
                    tuple(facts.rule[n] == "variable" for n in leaves), signs[index],
                    tuple(magnitudes))


class _Opened(NamedTuple):
    """An opened node: its children with the exponent each is raised to, and whether it
    negates (a unary minus)."""

    children: tuple[tuple[int, Exponent], ...]
    negates: bool = False


_ONE = 1


def _opening(tape: Tape, node: int, facts: Facts, atoms) -> _Opened | None:
    """How node ``node`` is opened, or None when it is a factor (a constant is one even
    where it could be opened) or no monomial's node."""
    op, args = tape.op[node], tape.args[node]
    if op == "pos" or op == "ref":          # (never a factor: a premise is what they stand for)
        return _Opened(((args[0], _ONE),))
    if facts.curvature[node] is CONSTANT:
        return None
    if op == "*":
        return _Opened(((args[0], _ONE), (args[1], _ONE)))
    if op == "/":
        return _Opened(((args[0], _ONE), (args[1], -_ONE)))
    if op == "neg":
        return _Opened(((args[0], _ONE),), negates=True)
    exponent = None
    if op == "^":
        try:
            exponent = tape.constant(args[1])
        except DcpError:
            return None
        argument = args[0]
    elif op == "call":
        try:
            atom, given, kw = resolve_at(tape, node, atoms)
        except DcpError:
            return None
        if atom is _POWER:
            exponent, argument = kw["p"], given[0]
        elif atom.name in _POWERS and atom is lookup(atom.name, 1) and len(given) == 1:
            exponent, argument = _POWERS[atom.name], given[0]
    return None if exponent is None else _Opened(((argument, _exponent(exponent)),))


def _exponent(value: float | Fraction) -> Exponent:
    """An exact exponent: the int it is, else its Fraction."""
    exact = Fraction(value)
    return exact.numerator if exact.denominator == 1 else exact


def _signs(order: list[int], openings: dict[int, _Opened], facts: Facts) -> dict[int, int] | None:
    """The sign of each node, children first, or None where one is not known: a
    variable's is +1 (its range is checked to be nonnegative), a constant's its range's. A
    negative sign goes through a power only when the exponent is a nonnegative integer
    (only then is the power defined for every real; ``inv_pos`` and ``x^-1`` are defined
    for positive arguments), and through products and quotients as it does."""
    signs: dict[int, int] = {}
    for node in order:
        opened = openings.get(node)
        if opened is None:
            region = facts.range[node]
            if facts.rule[node] == "variable" or region.is_nonneg:
                signs[node] = 1
            elif region.is_nonpos:
                signs[node] = -1
            else:
                return None
            continue
        sign = -1 if opened.negates else 1
        for child, exponent in opened.children:
            if signs[child] < 0 and exponent != 1:
                if exponent < 0 and len(opened.children) == 1 or exponent.denominator != 1:
                    return None             # a power or inverse of a negative
                if exponent.numerator % 2 == 0:
                    continue
            sign *= signs[child]
        signs[node] = sign
    return signs


def _exponents(order: list[int], openings: dict[int, _Opened]
               ) -> tuple[dict[int, Exponent], set[int]]:
    """Each node's exponent in the whole, summed over the ways it is reached (parents
    first: ``order`` reversed), and the nodes reached under a negative exponent somewhere
    (a denominator, an inverse), which must be positive."""
    exponents: dict[int, Exponent] = {order[-1]: _ONE}
    inverted: set[int] = set()
    for node in reversed(order):
        opened = openings.get(node)
        if opened is None:
            continue
        for child, exponent in opened.children:
            exponents[child] = exponents.get(child, 0) + exponents[node] * exponent
            if exponent < 0 or node in inverted:
                inverted.add(child)
    return exponents, inverted


def _base_curvature(found: Monomial, moving: list[int]) -> tuple[Curvature, str]:
    """The curvature of ``prod xi^ai`` over the variables with a nonzero exponent (at
    positions ``moving``), and why in words: one variable has the power atom's facts on
    its range; several are convex when every exponent is <= 0, concave when every one is
    >= 0 and they sum to at most 1."""
    if len(moving) == 1:
        position = moving[0]
        kw = {"p": found.exponents[position]}
        region = found.magnitudes[position]
        return _POWER.facts_on((region,), kw).curvature, _POWER.describe((region,), kw)
    exponents = [found.exponents[i] for i in moving]
    if all(e < 0 for e in exponents):
        return CONVEX, "all exponents <= 0"
    total = sum(exponents)
    if all(e > 0 for e in exponents) and total <= 1:
        return CONCAVE, f"exponents >= 0 summing to {format_constant(total)} <= 1"
    return UNKNOWN, ""


def _constant_range(found: Monomial) -> Interval:
    """The range of the constant part ``sign * prod |c|^w`` over the constant factors."""
    value = Interval(found.sign, found.sign)
    for magnitude, exponent, variable in zip(found.magnitudes, found.exponents, found.variables):
        if not variable:
            value = value * _power_range(magnitude, exponent)
    return value


def _power_range(magnitude: Interval, exponent: Exponent) -> Interval:
    """The range of ``m ^ exponent`` for ``m`` in ``magnitude`` (nonnegative; positive
    where the exponent is negative), as the power atom gives it."""
    return _POWER.facts_on((magnitude,), {"p": exponent}).range


def _text(tape: Tape, found: Monomial, constant: Interval) -> str:
    """The monomial in words, its constant part as its value (or its range) and the first
    few variables with their exponents: ``-504000 * i2^-1 * i1^-2``."""
    parts = []
    if not constant.is_point:
        parts.append(str(constant))
    elif constant.lo != 1:
        parts.append(format_constant(constant.lo))
    for factor, exponent, variable in zip(found.factors, found.exponents, found.variables):
        if variable and exponent:
            name = tape.text(factor, 20)
            parts.append(name if exponent == 1 else f"{name}^{format_constant(exponent)}")
    return " * ".join(parts[:_SHOWN]) + (" * ..." if len(parts) > _SHOWN else "")
