"""Rewrites to a canonical form (SPEC section 9, first bullet): the ``identity`` rule.

Where the plain rules leave node N unknown, N may be another spelling of something they
can prove: ``u / (1 + u)`` is ``1 - 1 / (1 + u)``, a constant minus the convex
``inv_pos(1 + u)``, so concave. The method adds that other side N' to the tape
(:meth:`~dcp.tape.Tape.add_like`, located where N was written), proves it, and when N'
is convex, concave or affine gives N the claims of N' by an ``identity`` step whose one
premise is N', whose ``Note.words`` state the identity and whose ``Note.detail`` names
its kind. The kernel checks the identity (:mod:`dcp.identities`, the one home of what a
rewrite may use): a rational identity exactly, a fixed name against the bounds, a
transcendental identity against its table.

The other sides tried, at each node, in this order:

- names fixed by their bounds: with ``254 <= x <= 254``, ``x * y`` is
  ``(254 + 0 * x) * y`` (the value, written with the name so that its shape and its draws
  stay in the proof), affine;
- a linear-fractional quotient, below;
- the table of transcendental identities (:data:`dcp.identities.TABLE`):
  ``log(sigmoid(t))`` is ``-softplus(-t)``, ``exp(a) * exp(b)`` is ``exp(a + b)``, and for
  positive arguments ``x * log(x)`` is ``-entr(x)``, ``x * log(x / y)`` is
  ``rel_entr(x, y)``, ``log(x * y)`` is ``log(x) + log(y)``.

Linear-fractional quotients: ``a / b`` with ``a`` and ``b`` of degree at most one in the
variables and ``a = alpha * b + beta``, where ``alpha`` and ``beta`` are free of the
variables (numbers, parameters, subexpressions of parameters only), is
``alpha + beta / b``: the same rational function, with the same denominator ``b``, so
defined exactly where ``a / b`` is. ``x ^ 2 / (1 + x)`` (not affine) and ``y / (1 + x)``
(no such alpha) are refused.

Not here, on purpose: ``square(x) / t`` as ``quad_over_lin(x, t)`` and
``sqrt(c + x^2 + y^2)`` as ``norm2([sqrt(c), x, y])`` hold only for scalar ``x`` and
``y`` (both left sides are elementwise, both right sides reduce a vector to a scalar),
and the analysis does not know the shapes.
"""
from __future__ import annotations

from contextvars import ContextVar
from fractions import Fraction

from ..analysis import _set
from ..errors import DcpError
from ..facts.algebra import Poly, _add, _mul, _scale, polynomial
from ..facts.curvature import UNKNOWN
from ..identities import (FIXED, QUADRATIC_FORM, RATIONAL, TABLE, away_from_zero, fixed_names,
                          quadratic_form, rational_fault, stand_in, substitution_fault, symbol)
from ..proof import Note
from ..syntax.ast import walk_postorder
from ..tape import Tape

__all__ = ["rewrite_to_canonical"]

#: The most rewrites proved inside one another (each is a few frames of the stack).
MAX_NESTING = 32
#: How many rewrites are being proved inside one another here.
_NESTING: ContextVar[int] = ContextVar("rewrites_nesting", default=0)

#: The table's identities by the op (or function) of the nodes they match.
_BY_HEAD: dict[str, list[str]] = {}
for _kind, _identity in TABLE.items():
    for _head in _identity.heads:
        _BY_HEAD.setdefault(_head, []).append(_kind)


def rewrite_to_canonical(analyzer, index: int, bounds, facts) -> bool:
    """Prove node ``index`` through another spelling of it (see the module docstring):
    True when an ``identity`` step now settles it, else False (nothing changed)."""
    tape = analyzer.tape
    fixed = _fixed_names(tape, index, analyzer.wrt, bounds, analyzer.scratch)
    if fixed is not None and _settle(analyzer, index, fixed, FIXED, bounds, facts):
        return True
    op = tape.op[index]
    if op == "/":                               # (a fixed name is no variable)
        found = _linear_fractional(tape, index, analyzer.wrt - _fixed(analyzer.wrt, bounds).keys())
        if found is not None and _settle(analyzer, index, found, RATIONAL, bounds, facts):
            return True
    if op == "@" and analyzer.ranks:
        found = quadratic_form(tape, index, frozenset(n for n, r in analyzer.ranks.items() if r == 1))
        if found is not None and _settle(analyzer, index, found, QUADRATIC_FORM, bounds, facts):
            return True
    for kind in _BY_HEAD.get(tape.data[index][0] if op == "call" else op, ()):
        found = TABLE[kind].apply(tape, index)
        if found is not None and _settle(analyzer, index, found, kind, bounds, facts):
            return True
    return False


def _settle(analyzer, index: int, right: int, kind: str, bounds, facts) -> bool:
    """Prove ``right`` (the other side of node ``index``); when it is not unknown, give
    node ``index`` its claims by an ``identity`` step of ``kind``. Proving a side may
    rewrite inside it, a nesting as deep as the expression's: past :data:`MAX_NESTING`
    rewrites inside one another the method gives up (the stack is finite), and a side
    proved unknown before is not proved again (a nest of rewrites would try each inner
    one once per outer one)."""
    depth = _NESTING.get()
    curvatures = facts.curvature
    if depth >= MAX_NESTING or right < len(curvatures) and curvatures[right] is UNKNOWN:
        return False            # (a side analysed already stays unknown: its methods ran)
    token = _NESTING.set(depth + 1)
    try:
        analyzer.prove(right, bounds, facts)
    except DcpError:                            # the other side is not defined as written
        return False
    finally:
        _NESTING.reset(token)
    tape, ranges = analyzer.tape, facts.range
    if facts.curvature[right] is UNKNOWN or _fault(tape, index, right, kind, bounds, ranges):
        return False
    words = (f"{tape.text(index)} = {tape.text(right)}",)
    if kind in TABLE:
        words += (f"{kind}: {TABLE[kind].words}",)
    elif kind == FIXED:
        names = tape.names(index)
        words += (", ".join(f"{name} = {_text(value)}" for name, value in _fixed(analyzer.wrt, bounds).items()
                            if name in names) + " by the bounds",)
    _set(facts, index, facts.range[right], facts.curvature[right], "identity", (right,))
    facts.notes[index] = Note(words=words, detail=kind)
    return True


def _fault(tape: Tape, index: int, right: int, kind: str, bounds, ranges) -> str | None:
    """What the kernel would refuse in the step (a literal the algebra keeps only
    approximately, a value no literal writes exactly): a rewrite it refuses is not made."""
    if kind == RATIONAL:
        return rational_fault(tape, index, right,
                              lambda node: ranges[node] is not None and away_from_zero(ranges[node]))
    if kind == FIXED:
        return substitution_fault(tape, index, right, fixed_names(bounds))
    if kind == QUADRATIC_FORM:
        return None
    same_domain = TABLE[kind].same_domain
    if same_domain is not None and not same_domain(tape, right, ranges.__getitem__):
        return "the other side is defined on less"
    return None


# ---- names fixed by their bounds ---------------------------------------------------------
def _fixed(wrt, bounds) -> dict[str, Fraction]:
    """The variables whose bounds fix them, with their values."""
    return {name: value for name, value in fixed_names(bounds).items() if name in wrt}


def _fixed_names(tape: Tape, index: int, wrt, bounds, scratch: dict) -> int | None:
    """Node ``index`` with each variable its bounds fix written as its value (added to the
    tape), or None when it has none. (Parameters are constants already.) What is written
    for each node is kept in ``scratch`` for these values: asked at every unknown node of
    a long sum, each node is written once."""
    values = _fixed(wrt, bounds)
    if not values:
        return None
    key = tuple(sorted(values.items()))
    kept = scratch.get("fixed names")
    if kept is None or kept[0] != key:
        kept = scratch["fixed names"] = (key, {})
    built: dict[int, int] = kept[1]
    if index in built:
        return built[index] if built[index] != index else None

    def written(node: int) -> bool:             # a value put in before: not again
        return stand_in(tape, node, values) is not None
    for node in walk_postorder(index, lambda node: () if node in built or written(node) else tape.args[node],
                               int):
        op, args = tape.op[node], tape.args[node]
        if node in built:
            continue
        if written(node):
            built[node] = node
        elif op == "name" and tape.data[node] in values:          # value + 0 * name
            value = _literal(tape, index, values[tape.data[node]])
            zero = tape.add_like(index, "*", None, (tape.add_number("0"), node))
            built[node] = tape.add_like(index, "+", None, (value, zero))
        elif any(built[a] != a for a in args):
            built[node] = tape.add_like(node, op, tape.data[node], tuple([built[a] for a in args]))
        else:
            built[node] = node
    return built[index] if built[index] != index else None


def _literal(tape: Tape, index: int, value: Fraction) -> int:
    """``value`` as a literal, ``-`` in front when it is negative."""
    if value == 0:
        return tape.add_number("0")
    written = _number(tape, index, abs(value))
    return written if value > 0 else tape.add_like(index, "neg", None, (written,))


def _text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else str(float(value))


# ---- linear-fractional quotients -------------------------------------------------------
def _linear_fractional(tape: Tape, index: int, wrt) -> int | None:
    """``alpha + beta / b`` for the quotient ``a / b`` at node ``index`` (added to the tape),
    or None when it is not linear-fractional in the variables ``wrt``."""
    top, bottom = tape.args[index]
    variables = _variables(tape, index, wrt)
    if variables is None:
        return None
    chooser = lambda node: symbol(tape, node)      # noqa: E731 (the algebra's callback)
    a, b = polynomial(tape, top, chooser), polynomial(tape, bottom, chooser)
    if a is None or b is None:
        return None
    a_parts, b_parts = _by_variable(a, variables), _by_variable(b, variables)
    if a_parts is None or b_parts is None or set(a_parts) <= {None} or set(b_parts) <= {None}:
        return None                             # not affine, or a side free of the variables
    first = min(v for v in b_parts if v is not None)
    alpha = _ratio(a_parts.get(first, {}), b_parts[first])
    if alpha is None:
        return None
    alpha_b = _mul(alpha, b)
    beta = None if alpha_b is None else _add(a, alpha_b, -1)
    if not beta or any(s in variables for monomial in beta for s in monomial):
        return None                             # a is alpha * b alone, or not affine in b
    return _written(tape, index, alpha, beta, tape.plain(bottom))


def _variables(tape: Tape, index: int, wrt) -> frozenset[int] | None:
    """The ids of the variables under node ``index``; None when a subexpression the
    algebra does not open holds one (``log(x)`` is not affine in x)."""
    found = set()

    def opened(node: int) -> tuple[int, ...]:
        return () if symbol(tape, node) is not None else tape.args[node]
    for node in walk_postorder(index, opened, int):
        key = symbol(tape, node)
        if key is None:
            continue
        if tape.op[node] == "name":
            if tape.data[node] in wrt:
                found.add(node)
        elif any(name in wrt for name in tape.names(node)):
            return None
    return frozenset(found)


def _by_variable(poly: Poly, variables: frozenset[int]) -> dict[int | None, Poly] | None:
    """``poly`` as ``sum over v of p_v * v + p_None``, each ``p`` free of the variables:
    ``{v: p_v, None: p_None}``, or None when a monomial holds two variables."""
    parts: dict[int | None, Poly] = {}
    for monomial, coefficient in poly.items():
        held = [s for s in monomial if s in variables]
        if len(held) > 1:
            return None
        rest = list(monomial)
        if held:
            rest.remove(held[0])
        parts.setdefault(held[0] if held else None, {})[tuple(rest)] = coefficient
    return parts


def _ratio(top: Poly, bottom: Poly) -> Poly | None:
    """``top / bottom`` when it is a polynomial: ``top`` a number times ``bottom``, or
    ``bottom`` a number (``bottom`` is not zero)."""
    if list(bottom) == [()]:
        return _scale(top, 1 / bottom[()])
    if not top:
        return {}
    monomial = next(iter(bottom))
    factor = top.get(monomial, Fraction(0)) / bottom[monomial]
    return {(): factor} if factor and _scale(bottom, factor) == top else None


# ---- writing a polynomial on the tape --------------------------------------------------
def _written(tape: Tape, index: int, alpha: Poly, beta: Poly, bottom: int) -> int:
    """``alpha + beta / bottom`` on the tape, located at node ``index`` (a single negative
    term of ``beta`` written ``alpha - |beta| / bottom``)."""
    negative = len(beta) == 1 and next(iter(beta.values())) < 0
    top = _poly_node(tape, index, _scale(beta, Fraction(-1)) if negative else beta)
    quotient = tape.add_like(index, "/", None, (top, bottom))
    if not alpha:
        return tape.add_like(index, "neg", None, (quotient,)) if negative else quotient
    return tape.add_like(index, "-" if negative else "+", None, (_poly_node(tape, index, alpha), quotient))


def _poly_node(tape: Tape, index: int, poly: Poly) -> int:
    """A nonzero polynomial as a sum of terms on the tape, the constant last."""
    total = None
    for monomial in sorted(poly, key=lambda m: (not m, m)):
        coefficient = poly[monomial]
        term = _term(tape, index, monomial, abs(coefficient))
        if total is None:
            total = term if coefficient > 0 else tape.add_like(index, "neg", None, (term,))
        else:
            total = tape.add_like(index, "+" if coefficient > 0 else "-", None, (total, term))
    return total


def _term(tape: Tape, index: int, monomial: tuple[int, ...], coefficient: Fraction) -> int:
    """``coefficient * s1 * s2 * ...`` (``coefficient`` > 0; 1 is not written)."""
    factors = list(monomial)
    if coefficient != 1 or not factors:
        factors.insert(0, _number(tape, index, coefficient))
    product = factors[0]
    for factor in factors[1:]:
        product = tape.add_like(index, "*", None, (product, factor))
    return product


def _number(tape: Tape, index: int, value: Fraction) -> int:
    """The positive number ``value`` as a literal (a decimal when it has one, written out
    exactly), else as the quotient of two integer literals."""
    places, rest = 0, value.denominator
    for prime in (2, 5):
        count = 0
        while rest % prime == 0:
            rest, count = rest // prime, count + 1
        places = max(places, count)
    if rest == 1:
        digits = str(value.numerator * 10 ** places // value.denominator).rjust(places + 1, "0")
        return tape.add_number(f"{digits[:-places]}.{digits[-places:]}" if places else digits)
    return tape.add_like(index, "/", None, (tape.add_number(str(value.numerator)),
                                           tape.add_number(str(value.denominator))))
