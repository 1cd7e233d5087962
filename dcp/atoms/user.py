"""User atoms: ``define name(t) = body``, analysed by SymPy.

A one-argument body becomes a scalar atom whose facts SymPy derives: the domain where the
body is continuous, and the intervals where its first and second derivatives keep their
sign (so where it is nondecreasing, nonincreasing, convex, concave), and its range from
its critical points and its limits. Where SymPy solves ``f'(t) = 0`` or ``f''(t) = 0``
exactly, the intervals are exact; where it cannot, the roots are found numerically at 30
digits (in [-60, 60]) and the derivation says so. Ends are rounded inward, the range
outward. A body with several arguments is used like a loss: by expansion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath

from ..errors import DcpError
from ..facts import Interval
from ..syntax.ast import Binary, Call, Expr, Name, Number, Unary, fold_constant, walk_postorder
from .base import REGISTRY, ScalarAtom, lookup
from .losses import Expansion

__all__ = ["define_atom", "UserAtom", "UserExpansion"]

SCAN = 60          # numeric root search range: [-SCAN, SCAN]
GRID = 2400


def _to_sympy(body: Expr, params: tuple[str, ...], symbols: dict, atoms: dict):
    """The body as a SymPy expression (atoms through their formulas)."""
    import sympy
    values: dict[int, object] = {}
    for node in walk_postorder(body):
        if isinstance(node, Number):
            if node.exact is None:              # sympy.Rational("1e-9999999") never returns
                raise DcpError(f"the constant {node.text} has too many digits, or an exponent too far "
                               f"outside the floats, for a user atom's body", span=node.span)
            exact = Fraction(node.exact)
            values[id(node)] = sympy.Rational(exact.numerator, exact.denominator)
        elif isinstance(node, Name):
            if node.id not in params:
                raise DcpError(f"the body of a user atom may use only its arguments "
                               f"({', '.join(params)}) and constants, not `{node.id}`", span=node.span)
            values[id(node)] = symbols[node.id]
        elif isinstance(node, Unary):
            inner = values[id(node.operand)]
            values[id(node)] = -inner if node.op == "-" else inner
        elif isinstance(node, Binary):
            a, b = values[id(node.left)], values[id(node.right)]
            if node.op == "@":
                raise DcpError("a user atom's body is scalar: use * rather than @", span=node.span)
            values[id(node)] = {"+": a + b, "-": a - b, "*": a * b, "/": a / b, "^": a ** b}[node.op]
        elif isinstance(node, Call):
            atom = atoms.get(node.func) or lookup(node.func, len(node.args))
            if not isinstance(atom, ScalarAtom) or len(node.args) != 1:
                raise DcpError(f"a user atom's body may call elementwise atoms of one argument, "
                               f"not `{node.func}`", span=node.span)
            kw = dict(atom.keywords)
            for key, value in node.kwargs:
                kw[key] = fold_constant(value)
                if kw[key] is None:
                    raise DcpError(f"`{key}` of {node.func} must be a numeric constant", span=value.span)
            x = sympy.Symbol("x", real=True)
            local = {"x": x, **{k: sympy.Rational(v) for k, v in kw.items() if v is not None}}
            formula = sympy.sympify(atom.formula, locals=local)
            values[id(node)] = formula.subs(x, values[id(node.args[0])])
        else:
            raise DcpError(f"a user atom's body cannot contain `{type(node).__name__}`",
                           span=node.span)
    return values[id(body)]


@dataclass
class _Signs:
    """Intervals where a derivative is >= 0 and <= 0, and how they were found."""

    nonneg: list
    nonpos: list
    roots: list
    how: str


def _domain(f, x) -> Interval | None:
    import sympy
    from sympy.calculus.util import continuous_domain
    try:
        domain = continuous_domain(f, x, sympy.S.Reals)
    except Exception:  # noqa: BLE001 - SymPy raises many kinds here
        return None
    if not isinstance(domain, sympy.Interval):
        return None
    lo = -math.inf if domain.left == -sympy.oo else _round(domain.left, up=True)
    hi = math.inf if domain.right == sympy.oo else _round(domain.right, up=False)
    return Interval(lo, hi, bool(domain.left_open), bool(domain.right_open))


def _round(value, up: bool) -> float:
    """A float on the inner side of a real number (up for a lower end)."""
    with mpmath.workdps(40):
        exact = mpmath.mpf(value.evalf(40) if hasattr(value, "evalf") else value)
        near = float(exact)
        if up and mpmath.mpf(near) < exact:
            near = math.nextafter(near, math.inf)
        if not up and mpmath.mpf(near) > exact:
            near = math.nextafter(near, -math.inf)
        return near


def _sign_intervals(derivative, x, domain: Interval) -> _Signs:
    """Where ``derivative`` is >= 0 and <= 0 on ``domain``; nothing where SymPy or the
    numeric search cannot tell (a kink, a derivative that does not evaluate)."""
    import sympy
    if derivative.has(sympy.DiracDelta, sympy.Heaviside, sympy.Subs, sympy.Derivative):
        return _Signs([], [], [], "not decided: the derivative has kinks (SymPy gives "
                                  "Heaviside or DiracDelta terms)")
    try:
        return _sign_intervals_of(derivative, x, domain)
    except Exception as error:  # noqa: BLE001 - SymPy and mpmath raise many kinds
        return _Signs([], [], [], f"not decided ({type(error).__name__})")


def _sign_intervals_of(derivative, x, domain: Interval) -> _Signs:
    import sympy
    lo = max(domain.lo, -SCAN) if math.isinf(domain.lo) else domain.lo
    hi = min(domain.hi, SCAN) if math.isinf(domain.hi) else domain.hi
    how = "exact zeros (SymPy solveset)"
    roots = None
    try:
        zeros = sympy.solveset(derivative, x, sympy.Interval(domain.lo if math.isfinite(domain.lo) else -sympy.oo,
                                                             domain.hi if math.isfinite(domain.hi) else sympy.oo))
        if isinstance(zeros, sympy.FiniteSet) and all(z.is_real for z in zeros):
            roots = sorted(zeros, key=lambda z: float(z.evalf(30)))
        elif zeros is sympy.S.EmptySet:
            roots = []
    except Exception:  # noqa: BLE001
        roots = None
    function = sympy.lambdify(x, derivative, modules="mpmath")

    def value(t):
        try:
            return function(mpmath.mpf(t))
        except (ValueError, ZeroDivisionError):
            return mpmath.mpf("nan")

    with mpmath.workdps(30):
        if roots is None:
            how = f"zeros found numerically at 30 digits in [{-SCAN}, {SCAN}] (SymPy could not solve)"
            roots = []
            grid = [lo + (hi - lo) * (i + 0.5) / GRID for i in range(GRID)]
            signs = [mpmath.sign(value(t)) for t in grid]
            for (a, sa), (b, sb) in zip(zip(grid, signs), zip(grid[1:], signs[1:])):
                if sa * sb < 0:
                    roots.append(float(mpmath.findroot(value, (a, b), solver="bisect")))
        exact = {float(r) for r in roots if isinstance(r, sympy.Basic) and r.is_Rational
                 and sympy.Rational(float(r)) == r}
        points = sorted(float(r) for r in roots)
        cuts = [domain.lo] + [r for r in points if domain.lo < r < domain.hi] + [domain.hi]
        nonneg, nonpos = [], []
        for a, b in zip(cuts, cuts[1:]):
            probe = _midpoint(a, b)
            sign = mpmath.sign(value(probe))
            piece = _inward(a, b, domain, exact)
            if piece is None:
                continue
            if sign >= 0:
                nonneg.append(piece)
            if sign <= 0:
                nonpos.append(piece)
    return _Signs(_merge(nonneg), _merge(nonpos), roots, how)


def _bound(value, upper: bool, slack: bool) -> float:
    """A float bound for a real ``value``: exact when it is a float, else one step out
    (and one more when ``slack``: the value came from an approximate root)."""
    near = float(value)
    step = math.inf if upper else -math.inf
    with mpmath.workdps(40):
        if (upper and mpmath.mpf(near) < value) or (not upper and mpmath.mpf(near) > value):
            near = math.nextafter(near, step)
    return math.nextafter(near, step) if slack else near


def _midpoint(a: float, b: float) -> float:
    if math.isinf(a) and math.isinf(b):
        return 0.0
    if math.isinf(a):
        return b - 1.0
    if math.isinf(b):
        return a + 1.0
    return (a + b) / 2


def _inward(a: float, b: float, domain: Interval, exact: set) -> Interval | None:
    """The closed piece between two cuts, shrunk by a step at each root that is not exact
    (the float is only near the root), as the domain has it at the domain's own ends."""
    lo = a if a == domain.lo or a in exact else math.nextafter(math.nextafter(a, math.inf), math.inf)
    hi = b if b == domain.hi or b in exact else math.nextafter(math.nextafter(b, -math.inf), -math.inf)
    if lo > hi:
        return None
    lo_open = domain.lo_open if a == domain.lo else False
    hi_open = domain.hi_open if b == domain.hi else False
    try:
        return Interval(lo, hi, lo_open, hi_open)
    except ValueError:
        return None


def _merge(pieces: list[Interval]) -> list[Interval]:
    """Pieces that meet at a point joined: f' >= 0 on [a, r] and [r, b] holds on [a, b]."""
    merged: list[Interval] = []
    for piece in pieces:
        if merged and merged[-1].hi == piece.lo and not (merged[-1].hi_open and piece.lo_open):
            last = merged.pop()
            piece = Interval(last.lo, piece.hi, last.lo_open, piece.hi_open)
        merged.append(piece)
    return merged


def _range(f, x, domain: Interval, roots: list) -> Interval:
    """From the values at the critical points and the limits at the domain's ends."""
    import sympy
    candidates = []      # (value as mpf, came from an approximate root)
    with mpmath.workdps(40):
        for r in roots:
            if not domain.contains_value(float(r)):
                continue
            if isinstance(r, sympy.Basic):
                candidates.append((mpmath.mpf(f.subs(x, r).evalf(40)), False))
            else:
                candidates.append((sympy.lambdify(x, f, modules="mpmath")(mpmath.mpf(r)), True))
        for end, direction in ((domain.lo, "+"), (domain.hi, "-")):
            point = sympy.oo if end == math.inf else (-sympy.oo if end == -math.inf else sympy.Rational(end))
            try:
                limit = sympy.limit(f, x, point, dir=direction)
            except Exception:  # noqa: BLE001
                return Interval(-math.inf, math.inf)
            if limit.has(sympy.AccumBounds) or limit.has(sympy.nan) or limit.is_extended_real is not True:
                return Interval(-math.inf, math.inf)
            candidates.append((mpmath.mpf(limit.evalf(40)) if limit.is_finite else
                               (mpmath.inf if limit == sympy.oo else -mpmath.inf), False))
        lo, lo_slack = min(candidates, key=lambda c: c[0])
        hi, hi_slack = max(candidates, key=lambda c: c[0])
        low = -math.inf if lo == -mpmath.inf else _bound(lo, upper=False, slack=lo_slack)
        high = math.inf if hi == mpmath.inf else _bound(hi, upper=True, slack=hi_slack)
    return Interval(low, high)


class UserAtom(ScalarAtom):
    """A one-argument atom defined by the user; its facts come from SymPy (see module)."""

    def __init__(self, name: str, param: str, body: Expr, formula: str, facts: dict, derivation: list[str]):
        self.name, self.param, self.body = name, param, body
        self.formula = formula
        self.derivation = derivation
        self._facts = facts
        import sympy
        x = sympy.Symbol("x", real=True)
        function = sympy.lambdify(x, sympy.sympify(formula, locals={"x": x}), modules="math")

        def value(t: float) -> float:
            try:
                return float(function(t))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return math.nan
        self.value = value
        self.__doc__ = f"{derivation[0]} (user atom, facts derived by SymPy)"

    def pieces(self, kw):
        return self._facts

    def describe(self, args, kw) -> str:
        return super().describe(args, kw) + " (derived by SymPy)"


class UserExpansion(Expansion):
    """A user atom of several arguments, used by expansion."""

    def __init__(self, name: str, params: tuple[str, ...], body: Expr):
        self.name, self.params, self.min_args, self.max_args = name, params, len(params), len(params)
        self.__dict__["body"] = body
        from ..syntax.printer import to_text
        self.template = to_text(body)
        self.__doc__ = f"{name}({', '.join(params)}) = {self.template} (user atom, by expansion)"


def define_atom(name: str, params: tuple[str, ...], body: Expr, atoms: dict | None = None):
    """A user atom from ``define name(params) = body``."""
    atoms = atoms or {}
    if name in REGISTRY:
        raise DcpError(f"`{name}` is a built-in atom; give the new atom another name")
    if not params:
        raise DcpError(f"`{name}` needs at least one argument")
    if len(params) > 1:
        for node in walk_postorder(body):
            if isinstance(node, Name) and node.id not in params:
                raise DcpError(f"the body of a user atom may use only its arguments "
                               f"({', '.join(params)}) and constants, not `{node.id}`", span=node.span)
        return UserExpansion(name, params, body)
    import sympy
    x = sympy.Symbol("x", real=True)
    f = sympy.simplify(_to_sympy(body, params, {params[0]: x}, atoms))
    t = sympy.Symbol(params[0], real=True)

    def show(expression) -> str:
        return sympy.sstr(expression.subs(x, t))

    derivation = [f"{name}({params[0]}) = {show(f)}"]
    domain = _domain(f, x)
    empty: tuple = ()
    if domain is None:
        derivation.append("SymPy could not find an interval where it is continuous: facts unknown")
        facts = {"domain": (Interval(-math.inf, math.inf),), "image": (Interval(-math.inf, math.inf),),
                 "convex_on": empty, "concave_on": empty, "increasing_on": empty, "decreasing_on": empty}
        return UserAtom(name, params[0], body, str(f), facts, derivation)
    first = _sign_intervals(sympy.simplify(sympy.diff(f, x)), x, domain)
    second = _sign_intervals(sympy.simplify(sympy.diff(f, x, 2)), x, domain)
    image = _range(f, x, domain, first.roots)
    derivation += [
        f"domain: {domain}",
        f"f' = {show(sympy.simplify(sympy.diff(f, x)))}; {first.how}: {first.roots}",
        f"f'' = {show(sympy.simplify(sympy.diff(f, x, 2)))}; {second.how}: {second.roots}",
        "nondecreasing on " + (", ".join(map(str, first.nonneg)) or "no interval"),
        "nonincreasing on " + (", ".join(map(str, first.nonpos)) or "no interval"),
        "convex on " + (", ".join(map(str, second.nonneg)) or "no interval"),
        "concave on " + (", ".join(map(str, second.nonpos)) or "no interval"),
        f"range: {image}",
    ]
    facts = {"domain": (domain,), "image": (image,), "convex_on": tuple(second.nonneg),
             "concave_on": tuple(second.nonpos), "increasing_on": tuple(first.nonneg),
             "decreasing_on": tuple(first.nonpos)}
    return UserAtom(name, params[0], body, str(f), facts, derivation)
