"""Exact algebra on a tape: an expression as a polynomial or a rational function.

The methods beyond the composition rule (:mod:`dcp.methods`) and the kernel that checks
them read an expression exactly here: ``x*(4*x + 3*y) - 0.5*y^2`` is the polynomial
``4 x^2 + 3 x y - 1/2 y^2``, every coefficient a :class:`~fractions.Fraction` (a decimal
literal is its exact value: ``0.1`` is 1/10). A *symbol* is a node the caller chooses to
treat as an indeterminate: a name, or a subexpression the algebra does not open (``log(a)``,
``exp(t)``), keyed by its tape id (the tape stores equal subexpressions once, so equal
subexpressions are one symbol).

This module is part of the trusted base: the kernel decides quadratic forms and checks
rewrites with it. It opens only ``+ - * /``, unary ``+``/``-``, integer powers,
``square`` and bound names, and refuses (returns None) rather than guess: a literal
kept only approximately, a power that is not a small integer, a result too large.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Callable, Mapping

from ..tape import Column, Tape, postorder

if TYPE_CHECKING:
    from .interval import Interval

__all__ = ["Poly", "Rational", "polynomial", "rational", "same_function", "evaluate", "opens",
           "enclose", "node_ranks", "inner", "substitute", "accumulate", "MAX_TERMS"]

#: A polynomial: monomial -> coefficient. A monomial is the sorted tuple of its symbols'
#: ids, each repeated by its power (``x*x*y`` is ``(x, x, y)``); ``()`` is the constant.
Poly = dict[tuple[int, ...], Fraction]
#: A rational function: (numerator, denominator).
Rational = tuple[Poly, Poly]
#: A symbol chooser: the key of a node taken as an indeterminate (its id), or None when
#: the node is neither a symbol nor something the algebra opens (the expansion fails).
Symbols = Callable[[int], "int | None"]

#: An expansion with more terms than this is refused (the expressions dcp decides
#: exactly are small; a product of long sums would otherwise grow without bound).
MAX_TERMS = 20_000
#: The largest integer power opened (``(a + b)^9`` has few terms; ``x^1000`` is a symbol's
#: business, not an expansion's).
MAX_POWER = 8

_ONE: Poly = {(): Fraction(1)}


def _exact(tape: Tape, index: int) -> Fraction | None:
    """The exact value of a numeric literal (None: kept only approximately)."""
    value = tape.data[index].exact
    return None if value is None else Fraction(value)


def accumulate(out: dict, key, value: Fraction) -> None:
    """Add ``value`` to ``out[key]``, keeping no zero entry (polynomials and sparse
    matrices hold their nonzero terms only)."""
    total = out.get(key, 0) + value
    if total:
        out[key] = total
    else:
        out.pop(key, None)


def _add(a: Poly, b: Poly, sign: int = 1) -> Poly:
    out = dict(a)
    for monomial, coefficient in b.items():
        accumulate(out, monomial, sign * coefficient)
    return out


def _mul(a: Poly, b: Poly) -> Poly | None:
    if len(a) * len(b) > MAX_TERMS:
        return None
    out: Poly = {}
    for m1, c1 in a.items():
        for m2, c2 in b.items():
            accumulate(out, tuple(sorted(m1 + m2)) if m1 and m2 else (m1 or m2), c1 * c2)
    return out


def _scale(a: Poly, factor: Fraction) -> Poly:
    return {m: c * factor for m, c in a.items()} if factor else {}


def _power(a: Poly, exponent: int) -> Poly | None:
    out: Poly | None = _ONE
    for _ in range(exponent):
        out = _mul(out, a)
        if out is None:
            return None
    return out


def _small_integer(tape: Tape, index: int) -> int | None:
    """The exponent of ``x ^ k`` when k is an integer literal with |k| <= MAX_POWER."""
    if tape.op[index] == "neg" and tape.op[tape.args[index][0]] == "number":
        value = _exact(tape, tape.args[index][0])
        value = None if value is None else -value
    elif tape.op[index] == "number":
        value = _exact(tape, index)
    else:
        return None
    if value is None or value.denominator != 1 or abs(value) > MAX_POWER:
        return None
    return int(value)


def opens(tape: Tape, index: int, ranks: Mapping[int, int | None] | None = None) -> bool:
    """Whether the algebra reads node ``index`` from its operands (else it must be a
    symbol, or a literal); ``ranks`` as :func:`node_ranks` gives them."""
    return _operands(tape, index, ranks) is not None


def _operands(tape: Tape, index: int, ranks: Mapping[int, int | None] | None = None
              ) -> tuple[int, ...] | None:
    """The nodes the algebra reads node ``index`` from, or None when it opens no rule for
    it (a call other than ``square(x)``, a power that is not a small integer; with
    ``ranks``, an inner product of two vectors and the transpose of a vector)."""
    op = tape.op[index]
    if ranks is not None and index in ranks:
        if _is_inner(tape, index):
            return tape.args[index] if ranks[index] == 0 else None
        if op == ".T":
            return tape.args[index] if ranks[index] in (0, 1) else None
    if op in ("+", "-", "*", "neg", "pos", "ref"):
        return tape.args[index]
    if op == "/":
        return tape.args[index]
    if op == "^":
        return tape.args[index][:1] if _small_integer(tape, tape.args[index][1]) is not None else None
    if op == "call" and tape.data[index] == ("square", ()) and len(tape.args[index]) == 1:
        return tape.args[index]
    return None


def _is_inner(tape: Tape, index: int) -> bool:
    """``a @ b`` or ``dot(a, b)``: an inner product when both are vectors."""
    op = tape.op[index]
    return op == "@" or (op == "call" and tape.data[index] == ("dot", ()) and len(tape.args[index]) == 2)


def node_ranks(tape: Tape, root: int, name_ranks: Mapping[str, int]) -> dict[int, int | None]:
    """The rank of each node under ``root`` that elementwise operators, inner products of
    vectors and transposes of vectors make from names of known rank (``name_ranks``:
    the declared shapes') and numbers; None where it is not known so (a name of free
    shape may be a matrix, and then ``x @ x`` is no inner product)."""
    found: dict[int, int | None] = {}
    op, args = tape.op, tape.args
    for index in postorder(root, args):
        kind = op[index]
        if kind == "number":
            rank = 0
        elif kind == "name":
            rank = name_ranks.get(tape.data[index])
        elif _is_inner(tape, index):
            rank = 0 if [found[a] for a in args[index]] == [1, 1] else None
        elif kind == ".T":
            rank = found[args[index][0]] if found[args[index][0]] in (0, 1) else None
        elif kind in ("+", "-", "*", "/", "neg", "pos", "ref", "^") or \
                (kind == "call" and tape.data[index] == ("square", ())):
            operands = [found[a] for a in (args[index][:1] if kind == "^" else args[index])]
            rank = None if None in operands else max(operands)
        else:
            rank = None
        found[index] = rank
    return found


def inner(symbol: int) -> int:
    """The key of a vector symbol inside an inner product (``~id``, negative): kept apart
    from the same vector used elementwise, so that a Hessian read over these keys is that
    of a function the expression composes with a linear map (see :func:`polynomial`)."""
    return ~symbol


def rational(tape: Tape, root: int, symbols: Symbols) -> Rational | None:
    """Node ``root`` as an exact rational function of the symbols ``symbols`` picks, or None.

    Denominators are kept as they come (no cancellation): ``x/x`` is ``(x, x)``; compare
    with :func:`same_function`, which cross-multiplies."""
    return _expand(tape, root, symbols, rational=True)


def polynomial(tape: Tape, root: int, symbols: Symbols,
               ranks: Mapping[int, int | None] | None = None) -> Poly | None:
    """Node ``root`` as an exact polynomial, or None (a division by anything but a nonzero
    literal, an unopened node that is no symbol, a blow-up).

    With ``ranks`` (:func:`node_ranks`), an inner product of two vectors ``a @ b`` is opened
    too, as the product of ``a`` and ``b`` with each vector symbol ``v`` in them keyed
    :func:`inner` ``(v)``: ``u @ u + 2*(u*v)`` reads ``~u ~u + 2 u v``. Entry i of such an
    expression is ``g(scalars, u_i, v_i, u, v)`` for the polynomial ``g`` read here, in
    which ``u_i`` and the whole ``u`` are separate arguments: a linear map of the
    variables. So ``g`` convex (its Hessian over these keys semidefinite, the inner keys'
    block repeated for every entry) makes every entry convex."""
    found = _expand(tape, root, symbols, rational=False, ranks=ranks)
    return None if found is None else found[0]


def _expand(tape: Tape, root: int, symbols: Symbols, rational: bool,
            ranks: Mapping[int, int | None] | None = None) -> Rational | None:
    done: dict[int, Rational] = {}
    op, args = tape.op, tape.args

    def children(index: int) -> tuple[int, ...]:
        if op[index] == "number" or symbols(index) is not None:
            return ()
        return _operands(tape, index, ranks) or ()

    for index in postorder(root, Column(children)):
        kind = op[index]
        if kind == "number":
            value = _exact(tape, index)
            if value is None:
                return None
            done[index] = ({(): value} if value else {}, _ONE)
            continue
        key = symbols(index)
        if key is not None:
            done[index] = ({(key,): Fraction(1)}, _ONE)
            continue
        if _operands(tape, index, ranks) is None:
            return None
        parts = [done[a] for a in (args[index] if kind != "^" else args[index][:1])]
        if ranks is not None and index in ranks and _is_inner(tape, index):
            found = _inner_product(parts, ranks)
        else:
            found = _combine(tape, index, kind, parts, rational)
        if found is None:
            return None
        done[index] = found
    return done[root]


def _inner_product(parts: list[Rational], ranks: Mapping[int, int | None]) -> Rational | None:
    """``a @ b`` of two vector polynomials: their product, each vector symbol keyed as
    inside an inner product. Every term of each side must hold a vector symbol: a term
    that does not (a number, a scalar broadcast, ``u^0``) would be summed over the n
    entries, n times its value, which no key here can say; such an inner product is
    refused. (So every keyed term is a sum over the entries of products of entries.)"""
    def keyed(poly: Poly) -> Poly | None:
        out: Poly = {}
        for monomial, coefficient in poly.items():
            if not any(ranks.get(s) == 1 for s in monomial):
                return None
            out[tuple(sorted(inner(s) if ranks.get(s) == 1 else s for s in monomial))] = coefficient
        return out
    (n1, d1), (n2, d2) = parts
    if d1 is not _ONE or d2 is not _ONE:
        return None
    left, right = keyed(n1), keyed(n2)
    if left is None or right is None:
        return None
    product = _mul(left, right)
    return None if product is None else (product, _ONE)


def _combine(tape: Tape, index: int, kind: str, parts: list[Rational], rational: bool
             ) -> Rational | None:
    """The rational function of node ``index`` from its operands'."""
    if kind in ("pos", "ref", ".T"):
        return parts[0]
    if kind == "neg":
        num, den = parts[0]
        return _scale(num, Fraction(-1)), den
    if kind == "call":                                  # square(x)
        num, den = parts[0]
        squared = _mul(num, num), (den if den is _ONE else _mul(den, den))
        return None if None in squared else squared
    if kind == "^":
        exponent = _small_integer(tape, tape.args[index][1])
        num, den = parts[0]
        constant = den is _ONE and list(num) in ([()], [])
        if exponent is None or (exponent < 0 and not rational and not constant):
            return None
        if exponent < 0:
            if not num:
                return None                             # 0 ^ -k
            if constant:
                return {(): 1 / num[()] ** -exponent}, _ONE
            num, den, exponent = den, num, -exponent
        powered = _power(num, exponent), (den if den is _ONE else _power(den, exponent))
        return None if None in powered else powered
    (n1, d1), (n2, d2) = parts
    if kind in ("+", "-"):
        sign = 1 if kind == "+" else -1
        if d1 is d2 or d1 == d2:
            return _add(n1, n2, sign), d1
        left, right, den = _mul(n1, d2), _mul(n2, d1), _mul(d1, d2)
        if None in (left, right, den):
            return None
        return _add(left, right, sign), den
    if kind == "*":
        num = _mul(n1, n2)
        den = d1 if d2 is _ONE else d2 if d1 is _ONE else _mul(d1, d2)
        return None if num is None or den is None else (num, den)
    # "/": (n1/d1) / (n2/d2) = (n1 d2) / (d1 n2)
    if not n2:
        return None                                     # division by zero
    if not rational:
        if d2 is not _ONE or list(n2) != [()]:          # only by a nonzero literal
            return None
        return _scale(n1, 1 / n2[()]), d1
    num, den = _mul(n1, d2), _mul(d1, n2)
    return None if num is None or den is None else (num, den)


def same_function(tape: Tape, left: int, right: int, symbols: Symbols) -> bool:
    """Whether nodes ``left`` and ``right`` are the same rational function of the symbols
    (where both are defined), decided exactly by cross-multiplying: ``p/q == r/s`` iff
    ``p s == r q`` as polynomials. False when either cannot be expanded."""
    a, b = rational(tape, left, symbols), rational(tape, right, symbols)
    if a is None or b is None:
        return False
    (p, q), (r, s) = a, b
    ps, rq = _mul(p, s), _mul(r, q)
    return ps is not None and rq is not None and ps == rq


def substitute(poly: Poly, values: Mapping[int, Fraction]) -> Poly:
    """``poly`` with each symbol of ``values`` replaced by its exact value (a name its
    bounds fix, ``2 <= y <= 2``, is the number 2)."""
    if not values:
        return poly
    out: Poly = {}
    for monomial, coefficient in poly.items():
        kept = []
        for symbol in monomial:
            if symbol in values:
                coefficient *= values[symbol]
            else:
                kept.append(symbol)
        accumulate(out, tuple(kept), coefficient)
    return out


def evaluate(poly: Poly, values: Mapping[int, Fraction]) -> Fraction:
    """The exact value of ``poly`` with each symbol id given its value."""
    total = Fraction(0)
    for monomial, coefficient in poly.items():
        term = coefficient
        for symbol in monomial:
            term *= values[symbol]
        total += term
    return total


def enclose(poly: Poly, ranges: Mapping[int, Interval]) -> Interval:
    """An interval holding every value of ``poly`` with each symbol in its range: the sum
    of each monomial's enclosure (a symbol's square is enclosed as a square, which is never
    negative), in outward-rounded interval arithmetic."""
    from .interval import Interval
    total = Interval(0.0, 0.0)
    for monomial, coefficient in poly.items():
        term = Interval(coefficient, coefficient)
        index = 0
        while index < len(monomial):
            symbol = monomial[index]
            power = 1
            while index + power < len(monomial) and monomial[index + power] == symbol:
                power += 1
            factor = ranges[symbol if symbol >= 0 else inner(symbol)]
            for _ in range(power // 2):
                term = term * factor.square()
            if power % 2:
                term = term * factor
            index += power
        if any(symbol < 0 for symbol in monomial):
            term = _times_a_count(term)         # a sum over the entries: n terms, n >= 1
        total = total + term
    return total


def _times_a_count(term: Interval) -> Interval:
    """Every value ``n * t`` for t in ``term`` and a whole number ``n >= 1``."""
    from .interval import Interval
    lo = term.lo if term.lo >= 0 else float("-inf")
    hi = term.hi if term.hi <= 0 else float("inf")
    return Interval(lo, hi, term.lo_open and term.lo >= 0, term.hi_open and term.hi <= 0)
