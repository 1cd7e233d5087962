"""User atoms: ``define name(t) = body``, with facts proved by SymPy or left unknown.

A body of one argument ``f`` becomes a scalar atom. Each fact is either proved or unknown:

- **Domain** ``D``: where every call in the body gets an argument in its atom's domain and
  every power its admissible base (``t ^ 0.5`` needs ``t >= 0``, ``t ^ -1`` needs
  ``t > 0``, as for the built-in power), less the real roots of ``f``'s denominator when
  that is a polynomial with rational coefficients, intersected with where SymPy finds
  ``f`` continuous. It must be one interval; otherwise no fact is claimed.
- **Sign pieces** of a derivative ``g`` (``f'`` for monotonicity, ``f''`` for curvature):
  the *cuts* are the zeros of ``g`` in ``D`` and the points of ``D`` where ``g`` may not be
  continuous, each a finite set of exact reals. A polynomial numerator's or denominator's
  zeros are its real roots, isolated exactly (``Poly.real_roots``); SymPy's ``solveset``,
  which can miss the real roots of a polynomial, is asked only about other functions.
  Between two cuts ``g`` is continuous without zeros, so by the intermediate value
  theorem it has one sign there, decided at exact rational probes near both ends and in
  the middle (``evalf(strict=True)``: the digits are guaranteed or SymPy raises), which
  must agree: a sign change there means ``solveset`` missed a zero. As ``f`` is
  continuous on ``D``, ``f' >= 0`` on an open piece makes ``f`` nondecreasing on the
  piece's closure in ``D``; pieces of one sign join at a cut. Curvature pieces do not join
  where ``f'`` is not continuous (``f'' >= 0`` on both sides of a kink of ``f'`` does not
  make ``f`` convex across it), and ``f''`` is never taken across a kink: a body whose
  formula has ``Abs``, ``Max``, ``Piecewise`` and the like gets no SymPy facts.
- **Range**: ``f`` is monotone between consecutive cuts of ``f'``, so its values lie between
  its values at those cuts and its limits at the ends of ``D``. On a monotone piece, the
  engine bounds ``f`` at a point of ``D`` by the Arb enclosure of the body, and at an
  infinite or open end of ``D`` by the limit found here, once: analysis never runs SymPy.

Exact ends are rounded to floats with a rigorous direction: inward for facts, outward for
ranges. Whatever SymPy cannot settle stays unknown and the derivation says why; the engine
then analyses the body itself (:mod:`dcp.analysis`: a call is an expansion of the body
wherever the proved facts do not decide its curvature). So does SymPy's running past
:data:`SYMPY_SECONDS` (see :func:`_time_cap`). Calls of other user atoms in a
body are inlined at ``define``, so both uses see the function defined then, whatever is
redefined later. A body with several arguments is always used by expansion.
"""
from __future__ import annotations

import contextlib
import math
import operator
import sys
from dataclasses import dataclass
from fractions import Fraction

from ..errors import DcpError
from ..facts import REALS, Interval
from ..facts.interval import round_down, round_up
from ..syntax.ast import Binary, Call, Expr, Name, Number, Unary, fold_constant, replace, walk_postorder
from ..syntax.parser import check_parameters
from .base import REGISTRY, ScalarAtom
from .calls import expand, resolve_call
from .losses import Expansion

__all__ = ["define_atom", "UserAtom", "UserExpansion"]


_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
               "^": operator.pow}


class _Undecided(Exception):
    """SymPy could not settle a fact; the message says what (it ends up in the derivation)."""


#: Seconds of wall-clock time SymPy may spend on a user atom's facts at ``define``; past
#: them no fact is claimed and the DCP analysis of the body decides.
SYMPY_SECONDS = 20.0


class _OutOfTime(BaseException):
    """SymPy may not run, or ran past :data:`SYMPY_SECONDS`; the message says which. A
    BaseException, so that the broad ``except Exception`` of SymPy's code and of this
    module let it through."""


@contextlib.contextmanager
def _time_cap(seconds: float):
    """Raise :class:`_OutOfTime` inside the block once ``seconds`` have passed, or at once
    when no timer can be set.

    A thread cannot be stopped in Python, and a worker process would re-import SymPy and
    pickle every expression, so this is a ``SIGALRM`` timer (``setitimer``, on Linux and
    macOS): Python runs the handler between bytecodes, which stops SymPy's pure-Python
    loops promptly. Signals reach only the main thread (``dcp batch`` runs each job in a
    worker's main thread). Elsewhere (another thread, no ``setitimer``, a timer already
    running, which also makes nested caps impossible, or a ``SIGALRM`` handler installed
    outside Python, which could not be restored) SymPy is not run at all: an uncapped
    derivation could run for hours.
    """
    import signal
    import threading
    if (not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread()
            or signal.getitimer(signal.ITIMER_REAL) != (0.0, 0.0) or signal.getsignal(signal.SIGALRM) is None):
        raise _OutOfTime("SymPy is run only under a time cap, and none can be set here: not the "
                         "main thread, or a timer or SIGALRM handler already in use")

    def expire(signum, frame):
        raise _OutOfTime(f"SymPy did not finish within {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            signal.signal(signal.SIGALRM, previous)


# ---- the body as a SymPy expression --------------------------------------------------------


def _inline(body: Expr, atoms: dict) -> Expr:
    """``body`` with every call of another user atom replaced by that atom's body, as the
    session defines it now. One pass suffices: each of those bodies was inlined when its
    atom was defined, so it calls no user atom."""
    def inline(node: Expr) -> Expr | None:
        if not (isinstance(node, Call) and node.func in atoms):
            return None
        atom, args, kw = resolve_call(node, atoms)      # args: already inlined
        return expand(atom, args, kw, node.span)
    return replace(body, inline)


def _to_sympy(body: Expr, param: str, x):
    """The body (other user atoms already inlined) as a SymPy expression in ``x`` (atoms
    through their formulas; literals, exponents and keywords as the exact values written,
    as the engine and :func:`_enclose` read them), and the conditions (relations in ``x``)
    under which dcp defines it."""
    import sympy
    values: dict[int, object] = {}
    conditions: list = []
    for node in walk_postorder(body):
        if isinstance(node, Number):
            if node.exact is None:              # sympy.Rational("1e-9999999") never returns
                raise DcpError(f"the constant {node.text} has too many digits, or an exponent too far "
                               f"outside the floats, for a user atom's body", span=node.span)
            values[id(node)] = _rational(node.exact)
        elif isinstance(node, Name):
            if node.id != param:
                raise DcpError(f"the body of a user atom may use only its arguments "
                               f"({param}) and constants, not `{node.id}`", span=node.span)
            values[id(node)] = x
        elif isinstance(node, Unary):
            inner = values[id(node.operand)]
            values[id(node)] = -inner if node.op == "-" else inner
        elif isinstance(node, Binary):
            a, b = values[id(node.left)], values[id(node.right)]
            if node.op == "@":
                raise DcpError("a user atom's body is scalar: use * rather than @", span=node.span)
            if node.op == "^":
                b = _exponent(node)
                conditions += _power_conditions(a, b)
            values[id(node)] = _ARITHMETIC[node.op](a, b)
        elif isinstance(node, Call):
            atom, args, kw = resolve_call(node)
            if not isinstance(atom, ScalarAtom) or len(args) != 1:
                raise DcpError(f"a user atom's body may call elementwise atoms of one argument, "
                               f"not `{node.func}`", span=node.span)
            argument = values[id(args[0])]
            conditions += _inside(argument, atom.domain(0, kw))
            local = {"x": sympy.Symbol("x", real=True), **{k: _rational(v) for k, v in kw.items()}}
            formula = sympy.sympify(atom.formula, locals=local)
            values[id(node)] = formula.subs(local["x"], argument)
        else:
            raise DcpError(f"a user atom's body of one argument is scalar: it cannot contain "
                           f"`{type(node).__name__}`", span=node.span)
    return values[id(body)], conditions


def _exponent(node: Binary):
    """The exponent of ``base ^ p`` as SymPy's exact rational: the value written
    (``0.1`` is 1/10), as the engine reads it."""
    exponent = fold_constant(node.right)
    if exponent is None:
        raise DcpError("the exponent must be a numeric constant (x ^ 2, x ^ -1, x ^ 0.5)",
                       span=node.right.span)
    return _rational(exponent)


def _rational(value):
    """SymPy's exact rational of an engine constant, a float or a ``Fraction`` (every
    float is a rational; an infinite or NaN one is no constant SymPy may use)."""
    import sympy
    exact = Fraction(value)
    return sympy.Rational(exact.numerator, exact.denominator)


def _power_conditions(base, exponent) -> list:
    """``base ^ p`` is defined as the built-in power defines it: every base for a
    nonnegative integer ``p``, ``base >= 0`` for other positive ``p``, ``base > 0`` for
    negative ``p``."""
    if exponent.is_integer and exponent >= 0:
        return []
    return [base > 0] if exponent < 0 else [base >= 0]


def _inside(argument, domain: Interval) -> list:
    """Relations saying ``argument`` lies in an atom's ``domain``."""
    if domain is REALS or domain == REALS:
        return []
    found = []
    if math.isfinite(domain.lo):
        lo = _rational(domain.lo)
        found.append(argument > lo if domain.lo_open else argument >= lo)
    if math.isfinite(domain.hi):
        hi = _rational(domain.hi)
        found.append(argument < hi if domain.hi_open else argument <= hi)
    return found


# ---- rigorous numbers ------------------------------------------------------------------------


def _sign(value) -> int | None:
    """The sign of an exact real constant, or None when it cannot be decided. SymPy's
    ``evalf(strict=True)`` raises unless its digits are guaranteed, so a nonzero result
    has the right sign."""
    import sympy
    from sympy.core.evalf import PrecisionExhausted
    if value.is_Rational:
        return (value.p > 0) - (value.p < 0)
    if value.is_zero:
        return 0
    try:
        approx = value.evalf(30, strict=True)
    except (PrecisionExhausted, ValueError, TypeError, ArithmeticError):
        return None
    if not isinstance(approx, sympy.Float) or approx == 0:
        return None
    return 1 if approx > 0 else -1


def _float_bound(value, up: bool) -> float:
    """The float nearest an exact real on one side: the least float ``>= value`` when
    ``up``, the greatest ``<= value`` otherwise (each step checked by :func:`_sign`)."""
    import sympy
    if value in (sympy.oo, -sympy.oo):
        return math.inf if value == sympy.oo else -math.inf
    if value.is_Rational:
        exact = Fraction(int(value.p), int(value.q))
        return round_up(exact) if up else round_down(exact)
    side = _sign(value)
    if side is None:
        raise _Undecided(f"could not evaluate {value} rigorously")
    near = float(value.evalf(20))
    if math.isinf(near):                    # beyond the floats
        return near if (near > 0) == up else math.copysign(sys.float_info.max, near)
    step = math.inf if up else -math.inf
    for _ in range(4):
        gap = _sign(value - sympy.Rational(near))
        if gap is None:
            raise _Undecided(f"could not round {value} rigorously")
        if gap == 0 or (gap < 0 if up else gap > 0):
            return near
        near = math.nextafter(near, step)
    raise _Undecided(f"could not round {value} rigorously")


#: Where a piece ``(a, b)`` is probed, as fractions of its width: near each end and in the
#: middle. An infinite piece is probed at these distances (times 2^10) from its finite end.
_PROBES = (1 / 64, 1 / 2, 63 / 64)


def _probes(a, b) -> list:
    """Exact rationals strictly between ``a`` and ``b`` (exact reals or infinities): near
    both ends and in the middle."""
    import sympy
    if a == -sympy.oo and b == sympy.oo:
        points = [sympy.Integer(-2**10), sympy.Integer(0), sympy.Integer(2**10)]
    elif a == -sympy.oo:
        top = sympy.Integer(math.floor(float(b.evalf(20))))
        points = [top - 1 - int(2**10 * t) for t in _PROBES]
    elif b == sympy.oo:
        bottom = sympy.Integer(math.ceil(float(a.evalf(20))))
        points = [bottom + 1 + int(2**10 * t) for t in _PROBES]
    else:
        points = [sympy.Rational((a + (b - a) * sympy.Rational(t)).evalf(60)) for t in _PROBES]
    for point in points:
        if (a != -sympy.oo and _sign(point - a) != 1) or (b != sympy.oo and _sign(b - point) != 1):
            raise _Undecided(f"found no rational point between {a} and {b}")
    return points


def _piece_sign(g, x, a, b) -> int:
    """The sign of ``g`` on a piece ``(a, b)`` between consecutive cuts, where ``g`` is
    continuous and claimed to have no zero: decided at a rational probe, and cross-checked
    at two more near the ends (points of different signs reveal a zero the cuts miss)."""
    signs = {_sign(g.subs(x, point)) for point in _probes(a, b)}
    if None in signs or 0 in signs:
        raise _Undecided(f"could not decide its sign between {a} and {b}")
    if len(signs) > 1:
        raise _Undecided(f"it changes sign between {a} and {b}, where no zero was found")
    return signs.pop()


# ---- sign pieces of a derivative ---------------------------------------------------------------


@dataclass(frozen=True)
class _Signs:
    """Where a derivative is >= 0 and <= 0 on the domain (floats, rounded inward), the
    exact cuts between its pieces, and how this was proved or why it was not."""

    nonneg: tuple = ()
    nonpos: tuple = ()
    cuts: tuple = ()
    how: str = ""
    proved: bool = False


def _kinks():
    import sympy
    return (sympy.Abs, sympy.sign, sympy.Max, sympy.Min, sympy.Heaviside, sympy.DiracDelta,
            sympy.Piecewise, sympy.floor, sympy.ceiling, sympy.Subs, sympy.Derivative)


def _signs(g, x, domain, lower=None) -> _Signs:
    """The sign pieces of ``g`` on ``domain`` (a SymPy interval), not joined where the
    ``lower`` derivative (``f'`` when ``g`` is ``f''``) is not continuous; or unproved,
    saying why."""
    try:
        kinks = () if lower is None else tuple(_gaps(lower, x, domain))
        return _signs_of(g, x, domain, kinks)
    except _Undecided as why:
        return _Signs(how=f"not proved: {why}")
    except Exception as error:  # noqa: BLE001 - SymPy raises many kinds on hard input
        return _Signs(how=f"not proved: SymPy failed ({type(error).__name__})")


def _signs_of(g, x, domain, kinks: tuple) -> _Signs:
    gaps = _gaps(g, x, domain)
    if g.is_zero and not gaps and not kinks:        # f' = 0 or f'' = 0: both signs everywhere
        whole = _join([domain.left, domain.right], [1], 1, domain, ())
        return _Signs(whole, whole, (), "proved: identically zero", True)
    zeros, method = _zeros(g, x, domain)
    # Kinks first: a point that is also a zero or a gap is kept as the kink it is.
    cuts = _ordered([*kinks, *gaps, *zeros], domain)
    ends = [domain.left, *cuts, domain.right]
    signs = [_piece_sign(g, x, a, b) for a, b in zip(ends, ends[1:])]
    how = (f"proved: zeros {_show(zeros)}" + (f", not continuous at {_show(gaps)}" if gaps else "")
           + f" ({method}); the sign between them decided at rational points")
    return _Signs(_join(ends, signs, 1, domain, kinks), _join(ends, signs, -1, domain, kinks),
                  tuple(cuts), how, True)


def _zeros(g, x, domain) -> tuple[list, str]:
    """The real zeros of ``g`` (a superset of those in ``domain``, as exact reals), and how
    they were found. A rational function's are its numerator's real roots, isolated
    exactly (``Poly.real_roots``: rationals and ``CRootOf``, which evaluates by bisection
    of an exact isolating interval), never trusting ``solveset``, which may return an
    empty set for a polynomial with real roots; only other functions go to ``solveset``,
    whose answer :func:`_piece_sign` cross-checks."""
    import sympy
    roots = _real_roots(sympy.fraction(sympy.together(g))[0], x)
    if roots is not None and g.is_rational_function(x):
        return roots, "exact real-root isolation of its numerator"
    return _finite(sympy.solveset(g, x, domain), "its zeros"), "SymPy solveset"


def _real_roots(polynomial, x) -> list | None:
    """The distinct real roots of a polynomial in ``x`` with rational coefficients, isolated
    exactly; None for any other expression."""
    import sympy
    if not polynomial.is_polynomial(x):
        return None
    poly = sympy.Poly(polynomial, x)
    if not (poly.domain.is_ZZ or poly.domain.is_QQ):
        return None
    return list(dict.fromkeys(poly.real_roots()))


def _poles(g, x) -> tuple[list, bool]:
    """Points that include every pole of ``g`` coming from a polynomial denominator with
    rational coefficients (its real roots, isolated exactly, as what ``continuous_domain``
    finds by ``solveset`` is not trusted alone), and whether ``g`` is continuous
    everywhere else (a polynomial over such a denominator)."""
    import sympy
    numerator, denominator = sympy.fraction(sympy.together(g))
    roots = _real_roots(denominator, x)
    if roots is None:
        return [], False
    return roots, numerator.is_polynomial(x)


def _gaps(g, x, domain) -> list:
    """The points of ``domain`` where ``g`` may not be continuous (a finite exact set,
    perhaps with a few points where it is)."""
    import sympy
    from sympy.calculus.util import continuous_domain
    if g.has(*_kinks()):
        raise _Undecided("its formula has kinks (Abs, Max, Piecewise, ...)")
    poles, complete = _poles(g, x)
    if complete:
        return poles
    return poles + _finite(sympy.Complement(domain, continuous_domain(g, x, domain)),
                           "the points where it is not continuous")


def _finite(found, what: str) -> list:
    import sympy
    if found is sympy.S.EmptySet:
        return []
    if isinstance(found, sympy.FiniteSet) and all(p.is_real and p.is_finite for p in found):
        return list(found)
    raise _Undecided(f"SymPy did not give {what} as a finite set of reals "
                     f"(it gave {type(found).__name__})")


def _ordered(points: list, domain) -> list:
    """The distinct points strictly inside ``domain``, in increasing order (each
    comparison decided rigorously; of equal points the first listed is kept)."""
    inside = [p for p in points if _strictly_between(domain.left, p, domain.right)]
    inside.sort(key=lambda p: float(p.evalf(30)))
    ordered: list = []
    for point in inside:
        if ordered:
            order = _sign(point - ordered[-1])
            if order is None:
                raise _Undecided(f"could not order {ordered[-1]} and {point}")
            if order == 0:
                continue
            if order < 0:
                raise _Undecided(f"could not order {ordered[-1]} and {point}")
        ordered.append(point)
    return ordered


def _strictly_between(a, p, b) -> bool:
    import sympy
    for low, high in ((a, p), (p, b)):
        if low == -sympy.oo or high == sympy.oo:
            continue
        order = _sign(high - low)
        if order is None:
            raise _Undecided(f"could not place {p} in the domain")
        if order <= 0:
            return False
    return True


def _join(ends: list, signs: list, want: int, domain, kinks: tuple) -> tuple:
    """The pieces of sign ``want``, joined at a shared cut unless it is a kink, as float
    intervals rounded inward."""
    kink = {id(k) for k in kinks}
    runs: list[list] = []
    for a, b, sign in zip(ends, ends[1:], signs):
        if sign != want:
            continue
        if runs and runs[-1][1] is a and id(a) not in kink:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    pieces = (_inner(a, b, domain) for a, b in runs)
    return tuple(piece for piece in pieces if piece is not None)


def _inner(a, b, domain) -> Interval | None:
    """The float interval inside the exact ``[a, b]`` (open where the domain is), or None
    when no float lies in it."""
    lo, hi = _float_bound(a, up=True), _float_bound(b, up=False)
    lo_open = bool(domain.left_open) and a == domain.left
    hi_open = bool(domain.right_open) and b == domain.right
    if lo > hi or (lo == hi and (lo_open or hi_open)):
        return None
    return Interval(lo, hi, lo_open, hi_open)


def _show(points) -> str:
    return "[" + ", ".join(str(p) for p in points) + "]"


# ---- domain and range ---------------------------------------------------------------------------


def _domain(f, x, conditions: list):
    """The SymPy interval where the body is defined and continuous, and the float interval
    inside it; or None."""
    import sympy
    from sympy.calculus.util import continuous_domain
    allowed = sympy.S.Reals
    try:
        for condition in conditions:
            allowed = allowed.intersect(sympy.solveset(condition, x, sympy.S.Reals))
        poles, complete = _poles(f, x)
        domain = allowed - sympy.FiniteSet(*poles)
        if not complete and isinstance(domain, sympy.Interval):    # it only shrinks it
            domain = continuous_domain(f, x, domain)
        floats = _inner(domain.left, domain.right, domain) if isinstance(domain, sympy.Interval) else None
    except Exception:  # noqa: BLE001 - SymPy raises many kinds here
        return None
    return None if floats is None else (domain, floats)


def _value_at(f, x, domain, point):
    """``f`` at an exact point of the domain's closure: its value, or its limit from
    inside at an infinite or open end."""
    import sympy
    if point == domain.left and (domain.left_open or point == -sympy.oo):
        return sympy.limit(f, x, point, dir="+")
    if point == domain.right and (domain.right_open or point == sympy.oo):
        return sympy.limit(f, x, point, dir="-")
    return f.subs(x, point)


def _end_values(f, x, domain) -> tuple:
    """``f``'s values (or limits from inside) at the domain's two ends, exact; None for
    one SymPy cannot settle."""
    found = []
    for point in (domain.left, domain.right):
        try:
            value = _value_at(f, x, domain, point)
        except Exception:  # noqa: BLE001 - SymPy's limit raises many kinds; unknown is sound
            value = None
        found.append(None if value is None or _unknown(value) else value)
    return tuple(found)


def _limits(ends: tuple, domain, floats: Interval) -> dict:
    """Bounds ``(below, above)`` on ``f`` near each end of the float domain that is not in
    it (infinite, or open and exactly the domain's end), for :meth:`UserAtom._bound`: there
    ``f`` may be undefined, and only its limit bounds the values inside. An end SymPy could
    not settle is left out (unbounded)."""
    found = {}
    for end, exact, value in ((floats.lo, domain.left, ends[0]), (floats.hi, domain.right, ends[1])):
        if value is None or not (math.isinf(end) or (end not in floats and _rational(end) == exact)):
            continue
        with contextlib.suppress(_Undecided):
            found[end] = (_float_bound(value, up=False), _float_bound(value, up=True))
    return found


def _range(f, x, first: _Signs, ends: tuple) -> Interval | None:
    """The values of ``f`` on the domain, rounded outward, from its values at the domain's
    ``ends`` and at the critical points; None when those are not proved or a value cannot
    be evaluated rigorously."""
    if not first.proved or None in ends:
        return None
    try:
        values = [ends[0], *(f.subs(x, cut) for cut in first.cuts), ends[1]]
        if any(_unknown(value) for value in values):
            return None
        lo = min(_float_bound(v, up=False) for v in values)
        hi = max(_float_bound(v, up=True) for v in values)
    except Exception:  # noqa: BLE001 - SymPy's limit raises many kinds; unproved is sound
        return None
    return Interval(lo, hi)


def _unknown(value) -> bool:
    """Whether SymPy's value or limit is no real number (undefined, or only bounded)."""
    import sympy
    return value.has(sympy.AccumBounds, sympy.nan, sympy.zoo) or value.is_extended_real is not True


# ---- ball evaluation ---------------------------------------------------------------------------


def _compile(body: Expr) -> tuple:
    """The one-argument ``body`` (no user atoms in it) as steps for :func:`_enclose`, once
    at ``define`` (calls resolved, exponents folded): ``(how, what, operands)`` in
    post-order, ``operands`` being the positions of earlier steps."""
    from .base import lookup
    position: dict[int, int] = {}
    steps = []
    for node in walk_postorder(body):
        if isinstance(node, Number):
            step = ("literal", node, ())
        elif isinstance(node, Name):
            step = ("argument", None, ())
        elif isinstance(node, Unary):
            step = (node.op, None, (position[id(node.operand)],))
        elif isinstance(node, Binary) and node.op == "^":
            power = (lookup("power", 1), {"p": fold_constant(node.right)})
            step = ("atom", power, (position[id(node.left)],))
        elif isinstance(node, Binary):
            step = ("arithmetic", _ARITHMETIC[node.op], (position[id(node.left)], position[id(node.right)]))
        else:
            atom, args, kw = resolve_call(node)
            step = ("atom", (atom, kw), (position[id(args[0])],))
        position[id(node)] = len(steps)
        steps.append(step)
    return tuple(steps)


def _enclose(steps: tuple, x):
    """The compiled body at the ball ``x``: literals as their exact values, ``^`` and
    calls through the atoms' ``enclose``."""
    from ..facts.balls import literal_ball
    values: list = []
    for how, what, operands in steps:
        if how == "literal":
            value = literal_ball(what)
        elif how == "argument":
            value = x
        elif how == "atom":
            value = what[0].enclose(values[operands[0]], what[1])
        elif how == "arithmetic":
            value = what(values[operands[0]], values[operands[1]])
        else:
            value = -values[operands[0]] if how == "-" else values[operands[0]]
        values.append(value)
    return values[-1]


# ---- the atoms ------------------------------------------------------------------------------------


class UserAtom(ScalarAtom):
    """A one-argument atom defined by the user; its facts are proved by SymPy (see the
    module) or unknown. The engine composes it where its facts decide the curvature and
    expands its body elsewhere (``kind`` "user"); with no proved domain it is always
    expanded (``kind`` "expansion")."""

    def __init__(self, name: str, param: str, body: Expr, f, domain, facts: dict,
                 derivation: list[str], strict: bool = True, limits: dict | None = None):
        import sympy
        self.name, self.params, self.body = name, (param,), body
        self.template = _text(body)
        self.kind = "user" if domain is not None else "expansion"
        self.formula = str(f)
        self.derivation = derivation
        self._facts, self._limits = facts, limits or {}
        facts["strict"] = strict        # f' vanishes only at finitely many points
        self._steps = _compile(body)
        x = sympy.Symbol("x", real=True)
        function = sympy.lambdify(x, f, modules="math")

        def value(t: float) -> float:
            try:
                return float(function(t))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return math.nan
        self.value = value
        self.__doc__ = f"{derivation[0]} (user atom, facts derived by SymPy)"

    def pieces(self, kw):
        return self._facts

    def _bound(self, x, kw, down: bool) -> float:
        """A bound on ``f`` at an end ``x`` of a piece: the end of its Arb enclosure at a
        point of the domain (rounded outward), or the limit SymPy found at ``define`` at an
        infinite or open end. Analysis never runs SymPy."""
        if math.isinf(x) or x not in self.domain(0, kw):
            return self._limits.get(x, (-math.inf, math.inf))[0 if down else 1]
        return super()._bound(x, kw, down)

    def enclose(self, x, kw):
        """A ball holding ``f(t)`` for every ``t`` in the ball ``x``: the body in ball
        arithmetic, each atom through its own ``enclose`` (NaN outside the domain)."""
        import flint

        from ..facts.balls import ball_inside
        if not ball_inside(x, self.domain(0, kw)):
            return flint.arb.nan()
        return _enclose(self._steps, x)

    def describe(self, args, kw) -> str:
        return super().describe(args, kw) + " (derived by SymPy)"


class UserExpansion(Expansion):
    """A user atom of several arguments, used by expansion."""

    def __init__(self, name: str, params: tuple[str, ...], body: Expr):
        self.name, self.params, self.min_args, self.max_args = name, params, len(params), len(params)
        self.__dict__["body"] = body
        self.template = _text(body)
        self.__doc__ = f"{name}({', '.join(params)}) = {self.template} (user atom, by expansion)"


def define_atom(name: str, params: tuple[str, ...], body: Expr, atoms: dict | None = None):
    """A user atom from ``define name(params) = body`` (``atoms``: the user atoms it may
    call). Its meaning is fixed here: the calls of other user atoms are inlined into its
    body now, so redefining one of them later changes neither its facts nor its expansion.

    >>> from dcp.syntax import parse_expression
    >>> define_atom("cube", ("t",), parse_expression("t^3")).derivation[6:8]
    ['convex on [0, inf)', 'concave on (-inf, 0]']
    """
    atoms = atoms or {}
    if name in REGISTRY:
        raise DcpError(f"`{name}` is a built-in atom; give the new atom another name")
    if not params:
        raise DcpError(f"`{name}` needs at least one argument")
    check_parameters(name, params)
    if name not in atoms:               # (a redefinition calls the atom as it was: inlined)
        for node in walk_postorder(body):
            if isinstance(node, Call) and node.func == name:
                raise DcpError(f"the body of `{name}` calls `{name}` itself: a definition "
                               f"cannot be recursive", span=node.func_span or node.span)
    if len(params) > 1:
        for node in walk_postorder(body):
            if isinstance(node, Name) and node.id not in params:
                raise DcpError(f"the body of a user atom may use only its arguments "
                               f"({', '.join(params)}) and constants, not `{node.id}`", span=node.span)
        return UserExpansion(name, params, _inline(body, atoms))
    return _scalar_atom(name, params[0], body, atoms)


def _scalar_atom(name: str, param: str, body: Expr, atoms: dict) -> UserAtom:
    import sympy
    x = sympy.Symbol("x", real=True)
    inlined = _inline(body, atoms)
    raw, conditions = _to_sympy(inlined, param, x)
    try:
        with _time_cap(SYMPY_SECONDS):
            return _derived_atom(name, param, inlined, raw, conditions, x)
    except _OutOfTime as stop:
        return _unproved_atom(name, param, inlined, raw, x, str(stop))


def _shower(param: str, x):
    """Prints an expression in ``x`` with the atom's own parameter name."""
    import sympy
    t = sympy.Symbol(param, real=True)
    return lambda expression: sympy.sstr(expression.subs(x, t))


def _fallback(inlined: Expr) -> str:
    return f"where a fact is not proved, the DCP analysis of the body is used: {_text(inlined)}"


def _unproved_atom(name: str, param: str, inlined: Expr, f, x, why: str) -> UserAtom:
    """The atom with no fact claimed (``why`` says why), used by expansion."""
    derivation = [f"{name}({param}) = {_shower(param, x)(f)}",
                  f"domain: not proved ({why}): no fact is claimed", _fallback(inlined)]
    empty: tuple = ()
    facts = {"domain": (REALS,), "image": (REALS,), "convex_on": empty, "concave_on": empty,
             "increasing_on": empty, "decreasing_on": empty}
    return UserAtom(name, param, inlined, f, None, facts, derivation)


def _derived_atom(name: str, param: str, inlined: Expr, raw, conditions: list, x) -> UserAtom:
    """The atom with the facts SymPy proves about the body ``raw`` (see the module)."""
    import sympy
    f = sympy.simplify(raw)
    found = _domain(raw, x, conditions)
    if found is None:
        return _unproved_atom(name, param, inlined, f, x, "SymPy found no single interval where "
                              "the body is defined and continuous")
    show = _shower(param, x)
    domain, floats = found
    d1 = sympy.simplify(sympy.diff(f, x))
    d2 = sympy.simplify(sympy.diff(d1, x))
    first = _signs(d1, x, domain)
    second = _signs(d2, x, domain, lower=d1)
    ends = _end_values(f, x, domain)
    image = _range(f, x, first, ends)
    derivation = [
        f"{name}({param}) = {show(f)}",
        f"domain: {floats}",
        f"f' = {show(d1)}; {first.how}",
        f"f'' = {show(d2)}; {second.how}",
        _fact("nondecreasing", first, first.nonneg),
        _fact("nonincreasing", first, first.nonpos),
        _fact("convex", second, second.nonneg),
        _fact("concave", second, second.nonpos),
        f"range: {image}" if image is not None else "range: not proved (" + (
            "the critical points are not proved)" if not first.proved else
            "a value at a critical point or a limit could not be evaluated rigorously)"),
    ]
    if not (first.proved and second.proved and image is not None):
        derivation.append(_fallback(inlined))
    facts = {"domain": (REALS if floats == REALS else floats,), "image": (image or REALS,),
             "convex_on": second.nonneg, "concave_on": second.nonpos,
             "increasing_on": first.nonneg, "decreasing_on": first.nonpos}
    return UserAtom(name, param, inlined, f, domain, facts, derivation, strict=not d1.is_zero,
                    limits=_limits(ends, domain, floats))


def _fact(word: str, signs: _Signs, pieces: tuple) -> str:
    if not signs.proved:
        return f"{word} on: not proved"
    return f"{word} on " + (", ".join(map(str, pieces)) or "no interval")


def _text(body: Expr) -> str:
    from ..syntax.printer import to_text
    return to_text(body)
