"""The identities a rewrite step may use (the ``identity`` rule), in one home.

A rewrite step says that node N *is* node N' (its one premise) wherever N is defined and
the conditions the step lists hold, and claims of N what is proved of N'. Three kinds:

- **Rational identities** (``RATIONAL``): N and N' are the same rational function of their
  *symbols* (the names, and each subexpression the exact algebra of
  :mod:`dcp.facts.algebra` does not open, by its id), decided exactly by
  cross-multiplying. ``u / (1 + u)`` is ``1 - 1 / (1 + u)``. Equal rational functions take
  equal values wherever every denominator of both sides is nonzero, so the sides must
  have the same symbols (a subexpression dropped would take its domain with it) and the
  same denominators, but for those the ranges keep away from 0 (a denominator dropped
  would extend N across the points where it is undefined).
- **Names fixed by their bounds** (``FIXED``): N' is N with each name its bounds fix
  (``254 <= x <= 254``) written as that value (``254 + 0 * x``: a constant that keeps the
  name, its shape and its draws in the proof), so the two are equal wherever the bounds
  hold.
- **Transcendental identities** (:data:`TABLE`): a pattern matched on the tape, the same
  way the analysis and the kernel find it (as :mod:`dcp.idioms` are), each identity
  proved by SymPy in the tests. ``log(sigmoid(t))`` is ``-softplus(-t)``; ``x * log(x)``
  is ``-entr(x)`` where ``x > 0``, which is where the left side is defined. A right side
  defined on less than the left (``log(x * y)`` as ``log(x) + log(y)``) is used only where
  the ranges show the two domains the same.

This module is part of the trusted base: the kernel checks rewrite steps with it.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Callable, Mapping, NamedTuple

from .facts import Interval
from .facts.algebra import opens, same_function
from .syntax.ast import walk_postorder
from .tape import Tape

__all__ = ["RATIONAL", "FIXED", "QUADRATIC_FORM", "TABLE", "fixed_value", "fixed_names",
           "substitution_fault", "stand_in", "Identity", "symbol", "same_rational", "frame",
           "rational_fault", "away_from_zero", "quadratic_form"]

#: The kind of a rewrite that writes each name its bounds fix as its value (a variable
#: bounded ``254 <= x <= 254`` is the constant 254).
FIXED = "fixed names"
#: The kind (``Note.detail``) of a rewrite by a rational identity: a quotient whose
#: numerator is affine in its denominator, ``a / b = alpha + beta / b``.
RATIONAL = "linear-fractional"
#: The kind of a rewrite of ``x.T @ P @ x`` as ``quad_form(x, P)``, for a name ``x``
#: declared a vector (for a matrix X, ``X.T @ P @ X`` is a matrix: no quadratic form).
QUADRATIC_FORM = "quadratic form"


def symbol(tape: Tape, index: int) -> int | None:
    """The symbol chooser of a rational identity: a name, any node the algebra does not
    open (a call, a non-integer power, ``@``, an index) and a fixed name's value written
    ``c + 0 * x`` stand for themselves (their id); a literal and what the algebra opens
    are None."""
    op = tape.op[index]
    if op == "name" or op == "+" and _written_value(tape, index):
        return index                            # (c + 0 * x: a fixed name's value, opaque)
    return None if op == "number" or opens(tape, index) else index


def _written_value(tape: Tape, index: int) -> bool:
    """Whether node ``index`` is written ``c + 0 * x`` (a literal, and a name times zero):
    how a rewrite writes a name its bounds fix (see :func:`stand_in`)."""
    constant, product = tape.args[index]
    return tape.op[product] == "*" and tape.op[tape.args[product][1]] == "name" and \
        _literal_value(tape, constant) is not None and _literal_value(tape, tape.args[product][0]) == 0


def frame(tape: Tape, root: int) -> tuple[frozenset[int], frozenset[int]]:
    """The symbols of node ``root`` as :func:`symbol` chooses them, and its denominators:
    the divisor of each ``/`` the algebra opens and the base of each negative power, by id
    (``+d`` read as ``d``)."""
    symbols, denominators = set(), set()          # (a nonzero literal divisor is neither)

    def opened(index: int) -> tuple[int, ...]:
        if symbol(tape, index) is not None or tape.op[index] == "number":
            return ()
        return tape.args[index][:1] if tape.op[index] == "^" else tape.args[index]
    for index in walk_postorder(root, opened, int):
        op = tape.op[index]
        if symbol(tape, index) is not None:
            symbols.add(index)
        elif op == "/" and not _nonzero_literal(tape, tape.args[index][1]):
            denominators.add(tape.plain(tape.args[index][1]))
        elif op == "^" and _negative(tape, tape.args[index][1]):
            denominators.add(tape.plain(tape.args[index][0]))
    return frozenset(symbols), frozenset(denominators)


def _nonzero_literal(tape: Tape, index: int) -> bool:
    """Whether node ``index`` is a numeric literal whose exact value is not 0 (never a
    denominator to watch)."""
    return tape.op[index] == "number" and tape.data[index].exact not in (None, 0)


def _negative(tape: Tape, exponent: int) -> bool:
    """Whether the exponent literal ``-k`` (or a negative literal) is below 0."""
    sign = 1
    if tape.op[exponent] == "neg":
        sign, exponent = -1, tape.args[exponent][0]
    value = tape.data[exponent].exact if tape.op[exponent] == "number" else None
    return value is not None and sign * value < 0


def same_rational(tape: Tape, left: int, right: int) -> bool:
    """Whether nodes ``left`` and ``right`` are the same rational function of their
    symbols (exactly: see :func:`~dcp.facts.algebra.same_function`)."""
    return same_function(tape, left, right, lambda index: symbol(tape, index))


def away_from_zero(region: Interval) -> bool:
    """Whether every point of ``region`` is nonzero (it lies in ``(0, inf)`` or in
    ``(-inf, 0)``)."""
    return region.is_positive or region.is_negative


def rational_fault(tape: Tape, left: int, right: int, nonzero: Callable[[int], bool]) -> str | None:
    """Why node ``left`` is not node ``right`` by a rational identity, or None when it is:
    the same rational function of the same symbols, with the same denominators but for
    those ``nonzero`` says the ranges keep away from 0 (then both sides are defined at the
    same points, and equal there)."""
    if not same_rational(tape, left, right):
        return "the two sides are not the same rational function"
    left_symbols, left_denominators = frame(tape, left)
    right_symbols, right_denominators = frame(tape, right)
    if left_symbols != right_symbols:
        return "the two sides are not made of the same subexpressions (one dropped takes its domain with it)"
    for denominator in sorted(left_denominators ^ right_denominators):
        if not nonzero(denominator):
            return f"`{tape.text(denominator)}` is a denominator of one side only, and may be 0"
    return None


# ---- names fixed by their bounds -------------------------------------------------------
def fixed_value(region: Interval | None) -> Fraction | None:
    """The one value of a name whose bounds fix it (``254 <= x <= 254``), else None."""
    if region is None or region.lo != region.hi:
        return None
    return Fraction(region.lo)                  # (a point is closed and finite)


def fixed_names(bounds: Mapping[str, Interval]) -> dict[str, Fraction]:
    """The names ``bounds`` fix, with their values."""
    return {name: value for name, region in bounds.items() if (value := fixed_value(region)) is not None}


def _literal_value(tape: Tape, index: int) -> Fraction | None:
    """The exact value of a literal ``c`` or ``-c`` at node ``index``, else None."""
    sign = 1
    if tape.op[index] == "neg":
        sign, index = -1, tape.args[index][0]
    value = tape.data[index].exact if tape.op[index] == "number" else None
    return None if value is None else sign * Fraction(value)


def stand_in(tape: Tape, node: int, values: Mapping[str, Fraction]) -> int | None:
    """The name node ``node`` writes as the value its bounds fix, ``value + 0 * name`` (the
    name stays in the proof, with its shape and its draws), or None."""
    if tape.op[node] != "+" or tape.op[tape.args[node][1]] != "*":
        return None
    constant, (zero, name) = tape.args[node][0], tape.args[tape.args[node][1]]
    if tape.op[name] != "name" or _literal_value(tape, zero) != 0:
        return None
    value = values.get(tape.data[name])
    return name if value is not None and _literal_value(tape, constant) == value else None


def substitution_fault(tape: Tape, left: int, right: int, values: Mapping[str, Fraction]) -> str | None:
    """Why node ``right`` is not node ``left`` with each name of ``values`` (the names
    the bounds fix) written as its value (``254 + 0 * x``), or None when it is: then the
    two are equal wherever the bounds hold."""
    pending, seen = [(left, right)], set()
    op, data, args = tape.op, tape.data, tape.args
    while pending:
        pair = pending.pop()
        if pair[0] == pair[1] or pair in seen:
            continue
        seen.add(pair)
        old, new = pair
        if op[old] == "name" and data[old] in values:
            if stand_in(tape, new, values) != old:
                return f"`{tape.text(new)}` is not the value its bounds fix for `{data[old]}`"
        elif op[old] != op[new] or op[old] == "number" or data[old] != data[new] or \
                len(args[old]) != len(args[new]):
            return f"`{tape.text(new)}` is not `{tape.text(old)}` with the fixed names put in"
        else:
            pending.extend(zip(args[old], args[new]))
    return None


# ---- quadratic forms written with matrix products ----------------------------------------
def quadratic_form(tape: Tape, index: int, vectors: frozenset[str]) -> int | None:
    """``quad_form(x, P)`` for ``x.T @ P @ x`` (grouped either way) at node ``index``,
    where ``x`` is a name declared a vector (in ``vectors``): then the two are equal,
    ``sum_ij x_i P_ij x_j``, for every P of matching shape. Else None (while the tape is
    only read, None too when the quadratic form is not on it)."""
    if tape.op[index] != "@":
        return None
    left, right = (tape.plain(a) for a in tape.args[index])
    if tape.op[left] == "@":                    # (x.T @ P) @ x
        head, matrix = (tape.plain(a) for a in tape.args[left])
        x = right
    elif tape.op[right] == "@":                 # x.T @ (P @ x)
        matrix, x = (tape.plain(a) for a in tape.args[right])
        head = left
    else:
        return None
    if tape.op[head] != ".T" or tape.plain(tape.args[head][0]) != x or x != tape.plain(x) or \
            tape.op[x] != "name" or tape.data[x] not in vectors:
        return None
    return tape.add_like(index, "call", ("quad_form", ()), (x, matrix))


# ---- the table of transcendental identities -------------------------------------------
class Identity(NamedTuple):
    """A transcendental identity: ``apply(tape, node)`` gives the id of the rewritten node
    (added where ``node`` was written; while the tape is only read, found or None), or None
    when ``node`` does not match. ``left`` and ``right`` are the two sides in ``t`` (and
    ``t1, t2, ...`` for a chain), as SymPy reads them with the atoms' formulas: the tests
    prove them equal where both are defined, for all reals or, when ``positive``, where
    every ``t`` is positive (both sides are defined only there). ``heads`` are the ops of
    the nodes it can match.

    A verdict holds where the expression is defined: the right side may need no more
    than the left. Where it would (``log(x) + log(y)`` needs ``x > 0`` and ``y > 0``,
    ``log(x * y)`` only ``x * y > 0``), ``same_domain(tape, right, range_of)`` says
    whether the ranges (``range_of(node)``, None when unknown) make up the difference."""

    apply: Callable[[Tape, int], int | None]
    left: str
    right: str
    heads: tuple[str, ...]
    positive: bool = False
    same_domain: Callable[[Tape, int, Callable[[int], "Interval | None"]], bool] | None = None

    @property
    def words(self) -> str:
        return f"{self.left} = {self.right}"


def _call_of(tape: Tape, index: int, func: str) -> int | None:
    """The argument of ``func(t)`` (one argument, no keyword) at node ``index``, else None."""
    if tape.op[index] == "call" and tape.data[index] == (func, ()) and len(tape.args[index]) == 1:
        return tape.args[index][0]
    return None


def _log_sigmoid(tape: Tape, index: int) -> int | None:
    """log(sigmoid(t)) = -softplus(-t): log(1 / (1 + e^-t)) = -log(1 + e^-t)."""
    inner = _call_of(tape, index, "log")
    t = None if inner is None else _call_of(tape, tape.plain(inner), "sigmoid")
    if t is None:
        return None
    minus_t = tape.add_like(index, "neg", None, (t,))
    softplus = None if minus_t is None else tape.add_like(index, "call", ("softplus", ()), (minus_t,))
    return None if softplus is None else tape.add_like(index, "neg", None, (softplus,))


def _exp_product(tape: Tape, index: int) -> int | None:
    """exp(t1) * exp(t2) * ... = exp(t1 + t2 + ...), the factors in the order written
    (a product of two or more, grouped in any way)."""
    if tape.op[index] != "*":
        return None
    exponents, pending = [], [index]
    while pending:                      # the factors left to right
        node = tape.plain(pending.pop())
        if tape.op[node] == "*":
            pending.extend(reversed(tape.args[node]))
            continue
        exponent = _call_of(tape, node, "exp")
        if exponent is None:
            return None
        exponents.append(exponent)
    total = exponents[0]
    for exponent in exponents[1:]:
        total = tape.add_like(index, "+", None, (total, exponent))
        if total is None:
            return None
    return tape.add_like(index, "call", ("exp", ()), (total,))


def _factors(tape: Tape, index: int) -> tuple[int, int] | None:
    """The two factors of ``a * b`` at node ``index`` (``+a`` read as ``a``), else None."""
    if tape.op[index] != "*":
        return None
    left, right = tape.args[index]
    return tape.plain(left), tape.plain(right)


def _times_log(tape: Tape, index: int) -> tuple[int, int] | None:
    """``(x, u)`` for ``x * log(u)`` or ``log(u) * x`` at node ``index``, else None."""
    factors = _factors(tape, index)
    if factors is None:
        return None
    for x, other in (factors, factors[::-1]):
        u = _call_of(tape, other, "log")
        if u is not None:
            return x, tape.plain(u)
    return None


def _entr(tape: Tape, index: int) -> int | None:
    """x * log(x) = -entr(x) (where x > 0)."""
    found = _times_log(tape, index)
    if found is None or found[0] != found[1]:
        return None
    entr = tape.add_like(index, "call", ("entr", ()), (found[0],))
    return None if entr is None else tape.add_like(index, "neg", None, (entr,))


def _rel_entr(tape: Tape, index: int) -> int | None:
    """x * log(x / y) = rel_entr(x, y) (where x > 0, y > 0)."""
    found = _times_log(tape, index)
    if found is None or tape.op[found[1]] != "/" or tape.plain(tape.args[found[1]][0]) != found[0]:
        return None
    return tape.add_like(index, "call", ("rel_entr", ()), (found[0], tape.plain(tape.args[found[1]][1])))


def _log_product(tape: Tape, index: int) -> int | None:
    """log(x * y) = log(x) + log(y) (where x > 0, y > 0)."""
    inner = _call_of(tape, index, "log")
    factors = None if inner is None else _factors(tape, tape.plain(inner))
    if factors is None:
        return None
    logs = [tape.add_like(index, "call", ("log", ()), (factor,)) for factor in factors]
    return None if None in logs else tape.add_like(index, "+", None, tuple(logs))


def _holds(range_of: Callable[[int], "Interval | None"], node: int, test: str) -> bool:
    """Whether node ``node``'s range is known to be ``is_nonneg`` (``is_positive``)."""
    region = range_of(node)
    return region is not None and getattr(region, test)


def _rel_entr_domain(tape: Tape, right: int, range_of) -> bool:
    """rel_entr(x, y) needs x >= 0 and y > 0, x * log(x / y) only x / y > 0: the same
    where x >= 0 or y > 0 is known (else both negative would be lost)."""
    x, y = tape.args[right]
    return _holds(range_of, x, "is_nonneg") or _holds(range_of, y, "is_positive")


def _log_product_domain(tape: Tape, right: int, range_of) -> bool:
    """log(x) + log(y) needs x > 0 and y > 0, log(x * y) only x * y > 0: the same where
    one factor is known nonnegative."""
    return any(_holds(range_of, tape.args[log][0], "is_nonneg") for log in tape.args[right])


#: kind -> identity. A rewrite step of one of these kinds names it in ``Note.detail``.
TABLE: dict[str, Identity] = {
    "log_sigmoid": Identity(_log_sigmoid, "log(sigmoid(t))", "-softplus(-t)", ("log",)),
    "exp_product": Identity(_exp_product, "exp(t1) * exp(t2)", "exp(t1 + t2)", ("*",)),
    "entr": Identity(_entr, "t * log(t)", "-entr(t)", ("*",), positive=True),
    "rel_entr": Identity(_rel_entr, "t1 * log(t1 / t2)", "rel_entr(t1, t2)", ("*",), positive=True,
                         same_domain=_rel_entr_domain),
    "log_product": Identity(_log_product, "log(t1 * t2)", "log(t1) + log(t2)", ("log",),
                            positive=True, same_domain=_log_product_domain),
}

