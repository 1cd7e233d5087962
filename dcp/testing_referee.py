"""An independent referee for dcp's two promises: a certificate is never wrong, a witness
is never bogus.

dcp's own numeric check (``dcp.check``: its search, evaluator and confirmation) is what
is judged, so the referee shares none of it; it uses only dcp's parser and, for concrete
shapes, dcp's shape inference. It evaluates an expression over the parsed AST with its own
table of atom formulas, written from SPEC section 5, in two number systems:

* float64 numpy arrays, to search fast;
* python-flint ``arb`` balls (256 bits, more when a sign is undecided), to prove: every
  value is an enclosure of the true one, and literals are the exact decimals written, so
  ``0.3 - 0.1 - 0.2`` is exactly 0 (constant arithmetic on literals is done in rationals).

A point is admissible when every subexpression is defined (each atom inside its domain,
no division by zero) and finite there. Jensen's inequality for a convex f,

    f(θa + (1-θ)b) <= θ f(a) + (1-θ) f(b),

is violated when the gap ``f(mix) - chord`` is positive (``chord - f(mix)`` for concave);
a violation counts only when the lower end of the gap's ball is positive.

Anything the referee has no definition for raises :class:`Unsupported`: the case is
skipped and counted, never guessed.
"""
from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Callable, Mapping, Sequence

import numpy as np

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
    walk_postorder,
)
from .syntax.parser import parse_expression

__all__ = ["Unsupported", "Referee", "Finding", "parse_bounds", "Bound", "jensen_search",
           "verify_witness", "shape_instances", "rigorous_gap", "draw", "audit", "Audit",
           "Precision", "Balls", "Floats", "as_constant"]

#: Working precisions of the rigorous evaluation, tried in turn while a sign is undecided.
PRECISIONS = (256, 1024, 4096)
#: A relative float gap above this is worth a rigorous look (a few candidates per batch;
#: a concave dent between close roots shows a gap of 1e-13 or less).
FLOAT_TOLERANCE = 1e-15
#: Literals with a decimal exponent beyond this are not turned into exact rationals.
MAX_EXPONENT = 4000
#: The largest float: dcp refuses an exponent or keyword value beyond it.
MAX_FLOAT = sys.float_info.max


class Unsupported(Exception):
    """A construct the referee has no independent definition for: skip the case."""


# ---- exact constants ---------------------------------------------------------------------


def exact(text: str) -> Fraction:
    """The exact value of a decimal literal (``"0.1"`` is 1/10, not the float)."""
    value = Decimal(text)
    if not value.is_finite() or abs(value.adjusted()) > MAX_EXPONENT:
        raise Unsupported(f"literal {text} is beyond the referee's exact range")
    return Fraction(value)


def as_constant(q: Fraction) -> Fraction:
    """An atom's constant parameter (a keyword such as ``alpha=0.1``, an exponent) as dcp
    means it: the exact value written; dcp refuses one beyond the floats."""
    if abs(q) > MAX_FLOAT:
        raise Unsupported(f"constant {q} beyond the floats")
    return q


def _fold(op: str, a: Fraction, b: Fraction) -> Fraction | None:
    """``a op b`` in rationals, or None when it is not rational (or too large to keep)."""
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b if b != 0 else None
    if op == "^" and abs(b) <= 64 and (a != 0 or b >= 0):
        return _rational_power(a, b)
    return None


def _rational_power(a: Fraction, b: Fraction) -> Fraction | None:
    """``a ^ b`` when it is rational (``4 ^ 0.5`` is 2), else None; SymPy's integer
    roots, independent of dcp's."""
    from sympy import integer_nthroot
    if b.denominator == 1:
        return a ** int(b)
    if a < 0 or b.denominator > 64:
        return None
    top, top_exact = integer_nthroot(a.numerator, b.denominator)
    bottom, bottom_exact = integer_nthroot(a.denominator, b.denominator)
    return Fraction(int(top), int(bottom)) ** b.numerator if top_exact and bottom_exact else None


# ---- the two number systems --------------------------------------------------------------


class Floats:
    """float64 numpy arrays; NaN marks an undefined value."""

    name = "float"

    def num(self, q: Fraction) -> float:
        try:
            return float(q)
        except OverflowError:
            return math.inf if q > 0 else -math.inf

    def array(self, values) -> np.ndarray:
        return np.asarray(values, dtype=float)

    def keep(self, mask, value):
        return np.where(mask, value, np.nan)

    def gt(self, x, c):
        return np.asarray(x > c)

    def ge(self, x, c):
        return np.asarray(x >= c)

    def exp(self, x):
        return np.exp(x)

    def expm1(self, x):
        return np.expm1(x)

    def log(self, x):
        return self.keep(self.gt(x, 0), np.log(np.where(x > 0, x, 1.0)))

    def log1p(self, x):
        return self.keep(self.gt(x, -1), np.log1p(np.where(x > -1, x, 0.0)))

    def sqrt(self, x):
        return self.keep(self.ge(x, 0), np.sqrt(np.where(x >= 0, x, 0.0)))

    def tanh(self, x):
        return np.tanh(x)

    def root_of_square_sum(self, x):
        """sqrt(x) for an x known to be >= 0 (a sum of squares)."""
        return np.sqrt(x)

    def erfc(self, x):
        return _float_erfc(x) if np.size(x) else np.asarray(x, dtype=float)

    def erf(self, x):
        return _float_erf(x) if np.size(x) else np.asarray(x, dtype=float)

    def root2(self):
        return math.sqrt(2)

    def root_two_over_pi(self):
        return math.sqrt(2 / math.pi)

    def power(self, x, n: int):
        return np.power(x, float(n))

    def real_power(self, x, p: Fraction):
        """x^p for x >= 0 (x > 0 when p < 0)."""
        return np.power(np.where(x >= 0, x, 0.0), float(p))

    def maximum(self, a, b):
        return np.maximum(a, b)

    def minimum(self, a, b):
        return np.minimum(a, b)

    def piecewise(self, x, knot, left: Callable, right: Callable):
        """left(x) below the knot, right(x) from it on (the two agree at the knot)."""
        return np.where(x >= knot, right(x), left(x))

    def divide(self, a, b):
        return self.keep(b != 0, a / np.where(b != 0, b, 1.0))

    def reduce_max(self, rows):
        return rows.max(axis=1)

    def reduce_min(self, rows):
        return rows.min(axis=1)

    def finite(self, value) -> np.ndarray:
        return np.isfinite(value).reshape(value.shape[0], -1).all(axis=1)


_float_erfc = np.vectorize(math.erfc, otypes=[float])
_float_erf = np.vectorize(math.erf, otypes=[float])


class Balls(Floats):
    """numpy object arrays of ``flint.arb`` balls; an undecidable domain test gives NaN."""

    name = "arb"

    def __init__(self) -> None:
        import flint
        self.arb = flint.arb
        self.fmpq = flint.fmpq
        lift = self._lift
        self._exp, self._expm1 = lift(lambda t: t.exp()), lift(lambda t: t.expm1())
        self._log, self._log1p = lift(lambda t: t.log()), lift(lambda t: t.log1p())
        self._sqrt, self._tanh = lift(lambda t: t.sqrt()), lift(lambda t: t.tanh())
        self._erfc, self._erf = lift(lambda t: t.erfc()), lift(lambda t: t.erf())
        # A sum of squares is >= 0 though its ball may reach below 0 (x*x of [0 +/- r]).
        self.root_of_square_sum = lift(lambda t: t.nonnegative_part().sqrt())
        self._max = np.frompyfunc(lambda p, q: p.max(q), 2, 1)
        self._min = np.frompyfunc(lambda p, q: p.min(q), 2, 1)
        self._finite = np.frompyfunc(lambda t: t.is_finite(), 1, 1)

    def _lift(self, function):
        return np.frompyfunc(lambda t: function(self.ball(t)), 1, 1)

    def ball(self, value):
        """An arb holding ``value`` exactly (a float, int, Fraction or arb)."""
        if isinstance(value, self.arb):
            return value
        if isinstance(value, Fraction):
            return self.arb(self.fmpq(value.numerator, value.denominator))
        if isinstance(value, (int, np.integer)):
            return self.arb(int(value))
        if isinstance(value, str):
            return self.arb(value)
        return self.arb(float(value))

    def num(self, q: Fraction):
        return self.ball(q)

    def array(self, values) -> np.ndarray:
        data = np.asarray(values, dtype=object)
        out = np.empty(data.shape, dtype=object)
        out.flat[:] = [self.ball(v) for v in data.flat]
        return out

    def keep(self, mask, value):
        out = np.empty(np.shape(value), dtype=object)
        out.flat[:] = [v if m else self.arb.nan() for v, m in
                       zip(np.asarray(value, dtype=object).flat, np.broadcast_to(mask, np.shape(value)).flat)]
        return out

    def gt(self, x, c):
        return np.frompyfunc(lambda t: bool(self.ball(t) > c), 1, 1)(x).astype(bool)

    def ge(self, x, c):
        return np.frompyfunc(lambda t: bool(self.ball(t) >= c), 1, 1)(x).astype(bool)

    def exp(self, x):
        return self._exp(x)

    def expm1(self, x):
        return self._expm1(x)

    def log(self, x):
        return self.keep(self.gt(x, 0), self._log(x))

    def log1p(self, x):
        return self.keep(self.gt(x, -1), self._log1p(x))

    def sqrt(self, x):
        return self.keep(self.ge(x, 0), self._sqrt(x))

    def tanh(self, x):
        return self._tanh(x)

    def erfc(self, x):
        return self._erfc(x)

    def erf(self, x):
        return self._erf(x)

    def root2(self):
        return self.arb(2).sqrt()

    def root_two_over_pi(self):
        return (2 / self.arb.pi()).sqrt()

    def power(self, x, n: int):
        """x^n by repeated products (|x| for even n): python-flint's ``ball ** n`` is NaN
        for a ball across 0, and an x^3 at an eigenvalue enclosed as [+/- 1e-15] is one."""
        def one(t):
            t = self.ball(t)
            base, out = (abs(t) if n % 2 == 0 else t), self.arb(1)
            for _ in range(abs(n)):
                out = out * base
            return out if n >= 0 else 1 / out
        return np.frompyfunc(one, 1, 1)(x)

    def real_power(self, x, p: Fraction):
        exponent = self.ball(p)

        def one(t):
            t = self.ball(t)
            if t.is_zero() and p > 0:
                return self.arb(0)
            return (exponent * t.log()).exp() if t > 0 else self.arb.nan()
        return np.frompyfunc(one, 1, 1)(x)

    def maximum(self, a, b):
        return self._max(*np.broadcast_arrays(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))

    def minimum(self, a, b):
        return self._min(*np.broadcast_arrays(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))

    def piecewise(self, x, knot, left, right):
        """The branch the ball lies in; where it straddles the knot, the union of both
        branches (each encloses f on its side, and they meet at the knot)."""
        below, above = left(x), right(x)

        def one(t, lo, hi):
            t = self.ball(t)
            if t < knot:
                return lo
            if t >= knot:
                return hi
            return self.ball(lo).union(self.ball(hi))
        return np.frompyfunc(one, 3, 1)(x, below, above)

    def divide(self, a, b):
        nonzero = np.frompyfunc(lambda t: bool(self.ball(t) > 0 or self.ball(t) < 0), 1, 1)(b).astype(bool)
        a, b = np.broadcast_arrays(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
        safe = np.where(np.broadcast_to(nonzero, b.shape), b, self.arb(1))
        return self.keep(np.broadcast_to(nonzero, b.shape), a / safe)

    def reduce_max(self, rows):
        out = rows[:, 0]
        for j in range(1, rows.shape[1]):
            out = self.maximum(out, rows[:, j])
        return out

    def reduce_min(self, rows):
        out = rows[:, 0]
        for j in range(1, rows.shape[1]):
            out = self.minimum(out, rows[:, j])
        return out

    def finite(self, value) -> np.ndarray:
        flags = self._finite(value).astype(bool)
        return flags.reshape(value.shape[0], -1).all(axis=1)


# ---- the atom table (SPEC section 5) -----------------------------------------------------

#: selu's constants, as dcp declares them: the float constants, taken exactly.
SELU_ALPHA = Fraction(1.6732632423543772)
SELU_SCALE = Fraction(1.0507009873554805)


def _rows(x):
    return x.reshape(x.shape[0], -1)


def _descending(ns, rows):
    """Each row's entries from the largest down, by insertion (column j encloses the
    (j+1)-th largest entry): each step puts a new entry e into the sorted prefix with
    prefix'[i] = max(prefix[i], min(prefix[i - 1], e)), which is exact on reals, and on
    balls encloses it, maximum and minimum being enclosed entrywise."""
    columns = []
    for j in range(rows.shape[1]):
        e = rows[:, j]
        merged = []
        for i in range(len(columns) + 1):
            above = columns[i - 1] if i > 0 else None
            here = columns[i] if i < len(columns) else None
            candidate = e if above is None else ns.minimum(above, e)
            merged.append(candidate if here is None else ns.maximum(here, candidate))
        columns = merged
    return columns


def _sum_of_extremes(ns, a, kw, largest: bool):
    """sum_largest(x, k) / sum_smallest(x, k): the k largest (smallest) entries summed,
    all of them when there are fewer; k a whole number >= 1."""
    k = kw.get("k")
    if not isinstance(k, Fraction) or k.denominator != 1 or k < 1:
        raise Unsupported("k of sum_largest")
    rows = _rows(a[0]) if largest else -_rows(a[0])
    chosen = _descending(ns, rows)[:int(k)]
    total = chosen[0]
    for column in chosen[1:]:
        total = total + column
    return total if largest else -total


def _dotsort(ns, x, w):
    """<sort(x), sort(w)> with w padded with zeros to the size of x (undefined when w is
    longer): the j-th largest entries of each multiplied and summed."""
    x, w = _rows(x), _rows(w)
    if w.shape[1] > x.shape[1]:
        raise Unsupported("dotsort with W longer than X")
    if w.shape[1] < x.shape[1]:
        zeros = np.empty((w.shape[0], x.shape[1] - w.shape[1]), dtype=w.dtype)
        zeros.fill(ns.num(Fraction(0)))
        w = np.concatenate([w, zeros], axis=1)
    xs, ws = _descending(ns, x), _descending(ns, w)
    total = xs[0] * ws[0]
    for j in range(1, len(xs)):
        total = total + xs[j] * ws[j]
    return total


def _sigmoid(ns, x):
    # 1/(1 + e^-x), written so that neither branch overflows.
    return ns.piecewise(x, 0, lambda t: ns.exp(t) / (1 + ns.exp(t)), lambda t: 1 / (1 + ns.exp(-t)))


def _softplus(ns, x):
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|).
    return ns.piecewise(x, 0, lambda t: ns.log1p(ns.exp(t)), lambda t: t + ns.log1p(ns.exp(-t)))


def _asinh(ns, x):
    """asinh(x) = sign(x) asinh(|x|), which does not cancel for x < 0: asinh(m) is
    log1p(m + m^2 / (1 + sqrt(m^2 + 1))) below 1 and log(m) + log(1 + sqrt(1 + 1/m^2))
    from 1 on (no m^2 to overflow)."""
    one = ns.num(Fraction(1))
    m = abs(x)
    value = ns.piecewise(
        m, 1, lambda t: ns.log1p(t + t * t / (one + ns.sqrt(t * t + one))),
        lambda t: ns.log(t) + ns.log(one + ns.sqrt(one + one / (t * t))))
    return ns.piecewise(x, 0, lambda t: -value, lambda t: value)


def _log_cosh(ns, x):
    # log((e^x + e^-x) / 2) = |x| + log((1 + e^-2|x|) / 2) = |x| + log1p(expm1(-2|x|) / 2):
    # no large exponential, and no constant log 2 to hold.
    two = ns.num(Fraction(2))
    return abs(x) + ns.log1p(ns.expm1(-(two * abs(x))) / two)


def _elu(ns, x, alpha):
    return ns.piecewise(x, 0, lambda t: ns.num(alpha) * ns.expm1(t), lambda t: t)


def _celu(ns, x, alpha):
    # max(0, x) + min(0, alpha (e^(x/alpha) - 1)): one of the two terms is 0 on each side.
    return ns.piecewise(x, 0, lambda t: ns.num(alpha) * ns.expm1(t / ns.num(alpha)), lambda t: t)


def _clip(ns, x, lo, hi):
    return ns.minimum(ns.maximum(x, ns.num(lo)), ns.num(hi))


def _gelu_tanh(ns, x):
    """x (1 + tanh(u)) / 2 = x sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): the sigmoid
    does not cancel where tanh(u) is near -1."""
    u = ns.root_two_over_pi() * (x + ns.num(Fraction(44715, 10 ** 6)) * ns.power(x, 3))
    return x * _sigmoid(ns, 2 * u)


def _huber(ns, x, m):
    big = ns.num(m)
    return ns.piecewise(abs(x), big, lambda t: t * t, lambda t: 2 * big * t - big * big)


def _power(ns, x, p: Fraction):
    """x^p with the domain by p (SPEC section 5): every real for p a nonnegative integer,
    x >= 0 for other p > 0, x > 0 for p < 0."""
    if p.denominator == 1 and p >= 0:
        return ns.power(x, int(p))
    if p < 0:
        x = ns.keep(ns.gt(x, 0), x)
        return ns.power(x, int(p)) if p.denominator == 1 else ns.real_power(x, p)
    return ns.keep(ns.ge(x, 0), ns.real_power(x, p))


def _entr(ns, x):
    # -x log x on x >= 0, and 0 at 0.
    positive = ns.gt(x, 0)
    zero = ns.ge(x, 0) & ns.ge(-x, 0)
    value = -x * ns.log(ns.keep(positive, x))
    return ns.keep(positive | zero, np.where(zero, x * 0, value))


def _rel_entr(ns, x, y):
    # x log(x / y) on x >= 0 and y > 0, and 0 where x is 0 (y > 0 still needed).
    x, y = np.broadcast_arrays(*_align(x, y))
    defined = ns.gt(y, 0)
    positive = ns.gt(x, 0) & defined
    zero = ns.ge(x, 0) & ns.ge(-x, 0)
    value = x * ns.log(ns.keep(positive, x) / ns.keep(defined, y))
    return ns.keep((positive | zero) & defined, np.where(zero, x * 0, value))


def _product(ns, x, positive: bool):
    """Each batch element's product of entries, inadmissible unless every entry is >= 0
    (> 0 when ``positive``)."""
    rows = _rows(x)
    rows = ns.keep(ns.gt(rows, 0) if positive else ns.ge(rows, 0), rows)
    out = rows[:, 0]
    for j in range(1, rows.shape[1]):
        out = out * rows[:, j]
    return out


def _harmonic_mean(ns, x):
    rows = _rows(x)
    inverses = ns.num(Fraction(1)) / ns.keep(ns.gt(rows, 0), rows)
    return ns.num(Fraction(rows.shape[1])) / inverses.sum(axis=1)


def _along(kw, x) -> int:
    """The array axis (after the batch axis) that ``axis=`` names; 0 for a vector."""
    axis = int(kw.get("axis") or 0)
    if x.ndim < 2 or axis >= x.ndim - 1:
        raise Unsupported("axis beyond the rank")
    return 1 + axis


def _diff(x, kw):
    axis, out = _along(kw, x), x
    for _ in range(int(kw["k"])):
        ahead = np.take(out, range(1, out.shape[axis]), axis=axis)
        behind = np.take(out, range(out.shape[axis] - 1), axis=axis)
        out = ahead - behind
    return out


def _hstack(args):
    if len({a.ndim for a in args}) != 1:
        raise Unsupported("hstack of mixed ranks")
    if args[0].ndim == 1:
        return np.stack(args, axis=1)
    return np.concatenate(args, axis=-1)


def _vstack(args):
    if len({a.ndim for a in args}) != 1:
        raise Unsupported("vstack of mixed ranks")
    if args[0].ndim == 1:
        return np.stack(args, axis=1).reshape(len(args[0]), len(args), 1)
    if args[0].ndim == 2:
        return np.stack(args, axis=1)
    return np.concatenate(args, axis=1)


def _diag(ns, x):
    if x.ndim == 3:
        return np.stack([x[:, i, i] for i in range(x.shape[1])], axis=1)
    out = np.empty(x.shape + x.shape[1:], dtype=x.dtype)
    out[...] = ns.num(Fraction(0))
    for i in range(x.shape[1]):
        out[:, i, i] = x[:, i]
    return out


def _reshape(x, args, kw):
    """Column-major (CVXPY's order "F"): entry (i, j) of the result is entry i + m*j of the
    entries of x read column by column."""
    sizes = [kw.get("m"), kw.get("n")]
    sizes[:len(args) - 1] = args[1:]
    if not all(isinstance(v, Fraction) or v is None for v in sizes):
        raise Unsupported("reshape to sizes that are not constants")
    m, n = (int(v) if v is not None else None for v in sizes)
    batch = x.shape[0]
    columns = [x[:, :, j] for j in range(x.shape[2])] if x.ndim == 3 else [x.reshape(batch, -1)]
    flat = np.concatenate(columns, axis=1)
    if n is None:
        return flat
    return np.stack([flat[:, m * j:m * (j + 1)] for j in range(n)], axis=2)


def _logsumexp(ns, rows):
    if rows.shape[1] == 1:
        return rows[:, 0]                            # log(exp(z)) is z, exactly
    if ns.name == "float":
        top = rows.max(axis=1)
        return top + np.log(np.exp(rows - top[:, None]).sum(axis=1))
    return ns.log(ns.exp(rows).sum(axis=1))


def _align(a, b):
    """Two batched values made to broadcast entry by entry (numpy's rules on the entries)."""
    rank = max(a.ndim, b.ndim)
    a = a.reshape(a.shape[:1] + (1,) * (rank - a.ndim) + a.shape[1:])
    b = b.reshape(b.shape[:1] + (1,) * (rank - b.ndim) + b.shape[1:])
    return a, b


def _matmul(a, b):
    if a.ndim == 3 and b.ndim == 3:
        return (a[:, :, :, None] * b[:, None, :, :]).sum(axis=2)
    if a.ndim == 3 and b.ndim == 2:
        return (a * b[:, None, :]).sum(axis=2)
    if a.ndim == 2 and b.ndim == 3:
        return (a[:, :, None] * b).sum(axis=1)
    if a.ndim == 2 and b.ndim == 2:
        return (a * b).sum(axis=1)
    raise Unsupported("@ with a scalar")


def _axis_total(x, kw, mean: bool):
    axis = kw.get("axis")
    if axis is None:
        rows = _rows(x)
        total, count = rows.sum(axis=1), rows.shape[1]
    else:
        if x.ndim < 2:
            raise Unsupported("axis= on a scalar")
        axis = 1 + int(axis) % (x.ndim - 1)
        total, count = x.sum(axis=axis), x.shape[axis]
    return total / count if mean else total


def _norm(ns, x, p: Fraction):
    rows = abs(_rows(x))
    if p == 1:
        return rows.sum(axis=1)
    if p == 2:
        return ns.root_of_square_sum((rows * rows).sum(axis=1))
    return _power(ns, _power(ns, rows, p).sum(axis=1), 1 / p)


def _layer_norm(ns, x, eps):
    """(x - mean(x)) / sqrt(var(x) + eps) over all entries (population variance)."""
    rows = _rows(x)
    count = ns.num(Fraction(rows.shape[1]))
    centred = rows - (rows.sum(axis=1) / count)[:, None]
    scale = ns.sqrt((centred * centred).sum(axis=1) / count + ns.num(Fraction(eps)))
    return (centred / scale[:, None]).reshape(x.shape)


def _log_softmax(ns, z):
    if _rows(z).shape[1] == 1:
        return z * 0                                 # one entry: exactly 0
    total = _logsumexp(ns, _rows(z))
    return z - total.reshape((z.shape[0],) + (1,) * (z.ndim - 1))


def _elementwise(ns, args, pick):
    out = args[0]
    for other in args[1:]:
        out = pick(*_align(out, other))
    return out


def _dot(a, b):
    return _rows(a * b).sum(axis=1)


def _conv(k, x):
    """The full convolution of two vectors, per batch row: entry i is the sum of
    k[j] x[i - j]."""
    import numpy as np
    k, x = _rows(k), _rows(x)
    return np.stack(_convolved(k, x), axis=1)


def _convolved(k, x) -> list:
    """The entries of the full convolution of the rows of ``k`` and ``x``."""
    m, n = k.shape[1], x.shape[1]
    entries = []
    for i in range(m + n - 1):
        terms = [k[:, j] * x[:, i - j] for j in range(max(0, i - n + 1), min(i, m - 1) + 1)]
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        entries.append(total)
    return entries


def _mean(x):
    return _rows(x).sum(axis=1) / _rows(x).shape[1]


#: name -> (positional arity or None for any, keyword defaults, formula(ns, args, kw)).
ATOMS: dict[str, tuple] = {
    "relu": (1, {}, lambda ns, a, kw: ns.maximum(a[0], ns.num(Fraction(0)))),
    "abs": (1, {}, lambda ns, a, kw: abs(a[0])),
    "square": (1, {}, lambda ns, a, kw: a[0] * a[0]),
    "exp": (1, {}, lambda ns, a, kw: ns.exp(a[0])),
    "log": (1, {}, lambda ns, a, kw: ns.log(a[0])),
    "log1p": (1, {}, lambda ns, a, kw: ns.log1p(a[0])),
    "sqrt": (1, {}, lambda ns, a, kw: ns.sqrt(a[0])),
    "inv_pos": (1, {}, lambda ns, a, kw: _power(ns, a[0], Fraction(-1))),
    "power": (2, {}, None),                                  # handled with its constant p
    "reshape": (None, {"m": None, "n": None}, None),         # handled with its sizes
    "softplus": (1, {}, lambda ns, a, kw: _softplus(ns, a[0])),
    "sigmoid": (1, {}, lambda ns, a, kw: _sigmoid(ns, a[0])),
    "tanh": (1, {}, lambda ns, a, kw: ns.tanh(a[0])),
    "cosh": (1, {}, lambda ns, a, kw: (ns.exp(a[0]) + ns.exp(-a[0])) / ns.num(Fraction(2))),
    "log_cosh": (1, {}, lambda ns, a, kw: _log_cosh(ns, a[0])),
    "sinh": (1, {}, lambda ns, a, kw: (ns.exp(a[0]) - ns.exp(-a[0])) / ns.num(Fraction(2))),
    "asinh": (1, {}, lambda ns, a, kw: _asinh(ns, a[0])),
    "atanh": (1, {}, lambda ns, a, kw: (ns.log1p(a[0]) - ns.log1p(-a[0])) / ns.num(Fraction(2))),
    "softsign": (1, {}, lambda ns, a, kw: a[0] / (1 + abs(a[0]))),
    "leaky_relu": (1, {"alpha": Fraction(1, 100)}, lambda ns, a, kw: ns.piecewise(
        a[0], 0, lambda t: ns.num(kw["alpha"]) * t, lambda t: t)),
    "elu": (1, {"alpha": Fraction(1)}, lambda ns, a, kw: _elu(ns, a[0], kw["alpha"])),
    "selu": (1, {}, lambda ns, a, kw: ns.num(SELU_SCALE) * _elu(ns, a[0], SELU_ALPHA)),
    # x (1 + erf(x/√2)) / 2 = x erfc(-x/√2) / 2, which does not cancel in the left tail.
    "gelu": (1, {}, lambda ns, a, kw: a[0] * ns.erfc(-a[0] / ns.root2()) / 2),
    "silu": (1, {}, lambda ns, a, kw: a[0] * _sigmoid(ns, a[0])),
    "gelu_tanh": (1, {}, lambda ns, a, kw: _gelu_tanh(ns, a[0])),
    "erf": (1, {}, lambda ns, a, kw: ns.erf(a[0])),
    "celu": (1, {"alpha": Fraction(1)}, lambda ns, a, kw: _celu(ns, a[0], kw["alpha"])),
    "hardtanh": (1, {"min_val": Fraction(-1), "max_val": Fraction(1)},
                 lambda ns, a, kw: _clip(ns, a[0], kw["min_val"], kw["max_val"])),
    "relu6": (1, {}, lambda ns, a, kw: _clip(ns, a[0], Fraction(0), Fraction(6))),
    "hard_sigmoid": (1, {"alpha": Fraction(1, 5), "beta": Fraction(1, 2)}, lambda ns, a, kw: _clip(
        ns, ns.num(kw["alpha"]) * a[0] + ns.num(kw["beta"]), Fraction(0), Fraction(1))),
    "entr": (1, {}, lambda ns, a, kw: _entr(ns, a[0])),
    "rel_entr": (2, {}, lambda ns, a, kw: _rel_entr(ns, a[0], a[1])),
    "kl_div": (2, {}, lambda ns, a, kw: _rel_entr(ns, a[0], a[1]) - _sub(a[0], a[1])),
    "geo_mean": (1, {}, lambda ns, a, kw: _power(ns, _product(ns, a[0], False), Fraction(1, _rows(a[0]).shape[1]))),
    "harmonic_mean": (1, {}, lambda ns, a, kw: _harmonic_mean(ns, a[0])),
    "inv_prod": (1, {}, lambda ns, a, kw: ns.num(Fraction(1)) / _product(ns, a[0], True)),
    "cumsum": (1, {"axis": Fraction(0)}, lambda ns, a, kw: np.cumsum(a[0], axis=_along(kw, a[0]))),
    "diff": (1, {"k": Fraction(1), "axis": Fraction(0)}, lambda ns, a, kw: _diff(a[0], kw)),
    "hstack": (None, {}, lambda ns, a, kw: _hstack(a)),
    "vstack": (None, {}, lambda ns, a, kw: _vstack(a)),
    "diag": (1, {}, lambda ns, a, kw: _diag(ns, a[0])),
    "huber": (1, {"M": Fraction(1)}, lambda ns, a, kw: _huber(ns, a[0], kw["M"])),
    "maximum": (None, {}, lambda ns, a, kw: _elementwise(ns, a, ns.maximum)),
    "minimum": (None, {}, lambda ns, a, kw: _elementwise(ns, a, ns.minimum)),
    "max": (None, {}, lambda ns, a, kw: ns.reduce_max(_rows(a[0])) if len(a) == 1
            else _elementwise(ns, a, ns.maximum)),
    "min": (None, {}, lambda ns, a, kw: ns.reduce_min(_rows(a[0])) if len(a) == 1
            else _elementwise(ns, a, ns.minimum)),
    "sum": (1, {"axis": None}, lambda ns, a, kw: _axis_total(a[0], kw, mean=False)),
    "mean": (1, {"axis": None}, lambda ns, a, kw: _axis_total(a[0], kw, mean=True)),
    "trace": (1, {}, lambda ns, a, kw: np.diagonal(a[0], axis1=1, axis2=2).sum(axis=1)),
    "logsumexp": (1, {}, lambda ns, a, kw: _logsumexp(ns, _rows(a[0]))),
    "norm1": (1, {}, lambda ns, a, kw: _norm(ns, a[0], Fraction(1))),
    "norm2": (1, {}, lambda ns, a, kw: _norm(ns, a[0], Fraction(2))),
    "norm_inf": (1, {}, lambda ns, a, kw: ns.reduce_max(abs(_rows(a[0])))),
    "norm": (1, {"p": Fraction(2)}, lambda ns, a, kw: _norm(ns, a[0], kw["p"])),
    "sum_squares": (1, {}, lambda ns, a, kw: (_rows(a[0]) * _rows(a[0])).sum(axis=1)),
    "quad_over_lin": (2, {}, lambda ns, a, kw: ns.divide(
        (_rows(a[0]) * _rows(a[0])).sum(axis=1), ns.keep(ns.gt(a[1], 0), a[1]))),
    "log_softmax": (1, {}, lambda ns, a, kw: _log_softmax(ns, a[0])),
    "softmax": (1, {}, lambda ns, a, kw: ns.exp(_log_softmax(ns, a[0]))),
    "layer_norm": (1, {"eps": Fraction(1, 100000)}, lambda ns, a, kw: _layer_norm(ns, a[0], kw["eps"])),
    "sum_largest": (1, {"k": None}, lambda ns, a, kw: _sum_of_extremes(ns, a, kw, largest=True)),
    "sum_smallest": (1, {"k": None}, lambda ns, a, kw: _sum_of_extremes(ns, a, kw, largest=False)),
    "dotsort": (2, {}, lambda ns, a, kw: _dotsort(ns, a[0], a[1])),
    "dot": (2, {}, lambda ns, a, kw: _dot(a[0], a[1])),
    "conv": (2, {}, lambda ns, a, kw: _conv(a[0], a[1])),
    # The losses, as SPEC section 5 spells them out.
    "mse": (2, {}, lambda ns, a, kw: _mean(_sub(a[0], a[1]) * _sub(a[0], a[1]))),
    "mae": (2, {}, lambda ns, a, kw: _mean(abs(_sub(a[0], a[1])))),
    "huber_loss": (2, {"M": Fraction(1)}, lambda ns, a, kw: _mean(_huber(ns, _sub(a[0], a[1]), kw["M"]))),
    "cross_entropy": (2, {}, lambda ns, a, kw: _logsumexp(ns, _rows(a[0])) - _dot(a[1], a[0])),
    "bce_with_logits": (2, {}, lambda ns, a, kw: _mean(_sub(_softplus(ns, a[0]), _mul(a[1], a[0])))),
    "hinge_loss": (2, {}, lambda ns, a, kw: _mean(ns.maximum(1 - _mul(a[1], a[0]), ns.num(Fraction(0))))),
}
# Matrix atoms (dcp/atoms/matrix.py's docstrings): a square matrix is read through its
# symmetric part S(X) = (X + Xᵀ)/2; log_det and matrix_frac are undefined unless S is
# positive definite.
ATOMS.update({
    "quad_form": (2, {}, lambda ns, a, kw: _quadratic_form(a[0], a[1])),
    "log_det": (1, {}, lambda ns, a, kw: _per_matrix(ns, _symmetric(a[0]), "log_det")),
    "lambda_max": (1, {}, lambda ns, a, kw: _per_matrix(ns, _symmetric(a[0]), "lambda_max")),
    "lambda_min": (1, {}, lambda ns, a, kw: _per_matrix(ns, _symmetric(a[0]), "lambda_min")),
    "sigma_max": (1, {}, lambda ns, a, kw: _per_matrix(ns, _square_matrices(a[0]), "sigma_max")),
    "norm_nuc": (1, {}, lambda ns, a, kw: _per_matrix(ns, _square_matrices(a[0]), "norm_nuc")),
    "matrix_frac": (2, {}, lambda ns, a, kw: _matrix_frac(ns, a[0], _symmetric(a[1]))),
})
ALIASES = {"pos": "relu", "logistic": "softplus", "swish": "silu", "log_sum_exp": "logsumexp"}


def _square_matrices(x):
    """A batch of matrices; a batch of scalars as 1 x 1 matrices."""
    if x.ndim == 1:
        return x.reshape(-1, 1, 1)
    if x.ndim != 3:
        raise Unsupported("a matrix atom of a vector")
    return x


def _symmetric(x):
    x = _square_matrices(x)
    if x.shape[1] != x.shape[2]:
        raise Unsupported("a square-matrix atom of a rectangular matrix")
    return (x + x.swapaxes(1, 2)) / 2


def _quadratic_form(x, p):
    if x.ndim == 1:
        return x * p * x
    return (x[:, :, None] * p * x[:, None, :]).sum(axis=(1, 2))


def _per_matrix(ns, matrices, what: str):
    """``what`` of each matrix of the batch, in floats (numpy's LAPACK) or balls (Arb's
    certified eigenvalues and determinants); NaN where undefined or undecided."""
    one = _FLOAT_MATRIX[what] if ns.name == "float" else (lambda m: _ball_matrix(ns, m, what))
    out = np.empty(matrices.shape[0], dtype=float if ns.name == "float" else object)
    out[:] = [one(m) for m in matrices]
    return out


def _float_matrix(function):
    """``function`` of one float matrix; NaN for a matrix with a non-finite entry or
    where LAPACK fails."""
    def one(m):
        if not np.isfinite(m).all():
            return math.nan
        try:
            return float(function(m))
        except (np.linalg.LinAlgError, ValueError):
            return math.nan
    return one


def _float_log_det(m):
    sign, value = np.linalg.slogdet(m)
    return value if np.linalg.eigvalsh(m)[0] > 0 and sign > 0 else math.nan


_FLOAT_MATRIX = {
    "log_det": _float_matrix(_float_log_det),
    "lambda_max": _float_matrix(lambda m: np.linalg.eigvalsh(m)[-1]),
    "lambda_min": _float_matrix(lambda m: np.linalg.eigvalsh(m)[0]),
    "sigma_max": _float_matrix(lambda m: np.linalg.svd(m, compute_uv=False)[0]),
    "norm_nuc": _float_matrix(lambda m: np.linalg.svd(m, compute_uv=False).sum()),
}


def _ball_matrix(ns, m, what: str):
    from flint import arb_mat
    matrix = arb_mat([[ns.ball(v) for v in row] for row in m])
    if what == "log_det":
        minors = [arb_mat([[ns.ball(v) for v in row[:k]] for row in m[:k]]).det()
                  for k in range(1, m.shape[0] + 1)]
        return minors[-1].log() if all(d > 0 for d in minors) else ns.arb.nan()
    if what in ("sigma_max", "norm_nuc"):
        matrix = matrix.transpose() * matrix
    try:
        values = [v.real for v in matrix.eig(multiple=True)]
    except ValueError:
        return ns.arb.nan()
    if what == "lambda_max":
        return _combine(values, lambda p, q: p.max(q))
    if what == "lambda_min":
        return _combine(values, lambda p, q: p.min(q))
    roots = [v.nonnegative_part().sqrt() for v in values]     # eigenvalues of XᵀX >= 0
    return _combine(roots, lambda p, q: p.max(q)) if what == "sigma_max" else _combine(roots, lambda p, q: p + q)


def _combine(values, pick):
    """``values`` folded with ``pick`` (at least one)."""
    out = values[0]
    for v in values[1:]:
        out = pick(out, v)
    return out


def _matrix_frac(ns, x, p):
    columns = x.reshape(-1, 1) if x.ndim == 1 else x
    out = np.empty(p.shape[0], dtype=float if ns.name == "float" else object)
    for i in range(p.shape[0]):
        if ns.name == "float":
            out[i] = _float_matrix(lambda m: columns[i] @ np.linalg.solve(m, columns[i])
                                   if np.linalg.eigvalsh(m)[0] > 0 else math.nan)(p[i])
        else:
            from flint import arb_mat
            m = p[i]
            minors = [arb_mat([[ns.ball(v) for v in row[:k]] for row in m[:k]]).det()
                      for k in range(1, m.shape[0] + 1)]
            if not all(d > 0 for d in minors):
                out[i] = ns.arb.nan()
                continue
            column = arb_mat([[ns.ball(v)] for v in columns[i]])
            solved = arb_mat([[ns.ball(v) for v in row] for row in m]).solve(column)
            out[i] = _combine([column[k, 0] * solved[k, 0] for k in range(m.shape[0])], lambda u, w: u + w)
    return out


def _sub(a, b):
    a, b = _align(a, b)
    return a - b


def _mul(a, b):
    a, b = _align(a, b)
    return a * b


# ---- assumptions -------------------------------------------------------------------------

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_ONE_SIDED = re.compile(rf"^\s*([A-Za-z_]\w*)\s*(<=|<|>=|>)\s*({_NUM})\s*$")
_TWO_SIDED = re.compile(rf"^\s*({_NUM})\s*(<=|<)\s*([A-Za-z_]\w*)\s*(<=|<)\s*({_NUM})\s*$")
_STRUCTURE = re.compile(r"^\s*([A-Za-z_]\w*)\s+(psd|nsd|symmetric)\s*$")


@dataclass(frozen=True)
class Bound:
    """``lo <= value <= hi`` elementwise (exact rationals; None for no bound), and the
    matrix structures assumed (``psd``, ``nsd``, ``symmetric``)."""

    lo: Fraction | None = None
    hi: Fraction | None = None
    lo_open: bool = False
    hi_open: bool = False
    structure: frozenset = frozenset()

    def meet(self, other: Bound) -> Bound:
        lo, lo_open = _tighter(self.lo, self.lo_open, other.lo, other.lo_open, max)
        hi, hi_open = _tighter(self.hi, self.hi_open, other.hi, other.hi_open, min)
        return Bound(lo, hi, lo_open, hi_open, self.structure | other.structure)

    def admits(self, value) -> bool:
        """Whether ``value`` (one point, no batch axis) has the assumed structure, decided
        exactly: symmetric, and an exact Cholesky-like elimination for psd / nsd."""
        if not self.structure:
            return True
        m = np.asarray(value, dtype=float)
        m = m.reshape(1, 1) if m.ndim == 0 else m
        if m.ndim != 2 or m.shape[0] != m.shape[1] or not np.array_equal(m, m.T):
            return False
        exact_m = [[Fraction(float(v)) for v in row] for row in m]
        return ("psd" not in self.structure or _semidefinite(exact_m)) and \
            ("nsd" not in self.structure or _semidefinite([[-v for v in row] for row in exact_m]))

    def float_ends(self) -> tuple[float, float]:
        """The smallest and largest floats inside (rounded inward); ``lo > hi`` when no
        float is."""
        return _inward(self.lo, self.lo_open, math.inf), _inward(self.hi, self.hi_open, -math.inf)


def _semidefinite(m: list[list[Fraction]]) -> bool:
    """Whether the exact symmetric ``m`` is positive semidefinite: eliminate on the
    diagonal; a negative pivot, or a zero pivot with a nonzero entry in its column, says
    no."""
    m = [list(row) for row in m]
    n = len(m)
    for k in range(n):
        if m[k][k] < 0:
            return False
        if m[k][k] == 0:
            if any(m[i][k] != 0 for i in range(k + 1, n)):
                return False
            continue
        for i in range(k + 1, n):
            factor = m[i][k] / m[k][k]
            for j in range(k, n):
                m[i][j] -= factor * m[k][j]
    return True


def _tighter(a, a_open, b, b_open, pick):
    if a is None:
        return b, b_open
    if b is None or a != b:
        return (a, a_open) if b is None or pick(a, b) == a else (b, b_open)
    return a, a_open or b_open


def _inward(end: Fraction | None, open_: bool, toward: float) -> float:
    if end is None:
        return -toward
    try:
        value = float(end)
    except OverflowError:
        value = math.copysign(math.inf, end)
    if not math.isfinite(value):
        return value
    wrong = Fraction(value) < end if toward > 0 else Fraction(value) > end
    if wrong or (open_ and Fraction(value) == end):
        value = math.nextafter(value, toward)
    return value


def parse_bounds(assume: Sequence[str]) -> dict[str, Bound]:
    """The elementwise bounds the assumption texts state, intersected per name."""
    bounds: dict[str, Bound] = {}
    for text in assume:
        for part in text.split(","):
            name, bound = _parse_condition(part)
            bounds[name] = bounds.get(name, Bound()).meet(bound)
    return bounds


def _parse_condition(text: str) -> tuple[str, Bound]:
    one = _ONE_SIDED.match(text)
    if one:
        name, op, number = one.groups()
        value = exact(number)
        if op.startswith("<"):
            return name, Bound(hi=value, hi_open=op == "<")
        return name, Bound(lo=value, lo_open=op == ">")
    two = _TWO_SIDED.match(text)
    if two:
        lo, lo_op, name, hi_op, hi = two.groups()
        return name, Bound(exact(lo), exact(hi), lo_op == "<", hi_op == "<")
    structured = _STRUCTURE.match(text)
    if structured:
        return structured.group(1), Bound(structure=frozenset({structured.group(2)}))
    raise Unsupported(f"assumption {text!r}")


# ---- the evaluator -----------------------------------------------------------------------

_DEFINE = re.compile(r"^\s*([A-Za-z_]\w*)\s*\(([^)]*)\)\s*=\s*(.+)$")


class Referee:
    """Evaluates ``expression`` independently of dcp's check, at batches of points.

    ``defines`` are user atoms as ``"name(t) = body"`` texts; a call to one evaluates its
    body with the arguments substituted.
    """

    def __init__(self, expression: str, wrt: Sequence[str], assume: Sequence[str] = (),
                 defines: Sequence[str] = ()):
        self.tree = parse_expression(expression)
        self.wrt = tuple(wrt)
        self.bounds = parse_bounds(assume)
        self.defines: dict[str, tuple[tuple[str, ...], Expr]] = {}
        for text in defines:
            match = _DEFINE.match(text)
            if not match:
                raise Unsupported(f"define {text!r}")
            params = tuple(p.strip() for p in match.group(2).split(","))
            self.defines[match.group(1)] = (params, parse_expression(match.group(3)))
        for tree in [self.tree, *(body for _, body in self.defines.values())]:
            self._check_supported(tree)
        self._float_constants: dict[int, float] = {}
        self._float_constants = self._constants()

    def _constants(self) -> dict[int, float]:
        """The float search's value of each constant subexpression that is not rational,
        computed with arb and rounded once (``gelu(-4) + 0.000126...`` cancels to noise in
        floats)."""
        found: dict[int, float] = {}
        constant: dict[int, bool] = {}
        values: dict[int, object] = {}
        with Precision(PRECISIONS[0]):
            balls = Balls()
            for node in walk_postorder(self.tree):
                constant[id(node)] = not isinstance(node, Name) and all(
                    constant[id(k)] for k in node.children())
                if not constant[id(node)]:
                    continue
                value, _ = self._node(balls, node, values, {}, 1)
                values[id(node)] = value
                if not isinstance(value, Fraction) and value.size == 1:
                    middle = value.reshape(-1)[0].mid()
                    found[id(node)] = float(middle) if middle.is_finite() else math.nan
        return found

    def _check_supported(self, tree: Expr) -> None:
        for node in walk_postorder(tree):
            if isinstance(node, Call) and node.func not in self.defines and \
                    ALIASES.get(node.func, node.func) not in ATOMS:
                raise Unsupported(f"atom {node.func}")
            if not isinstance(node, (Number, Name, Unary, Binary, Call, Transpose, Index, Vector, Ref)):
                raise Unsupported(type(node).__name__)

    def evaluate(self, ns, values: Mapping[str, np.ndarray], batch: int):
        """f at each point of the batch (``values[name]`` has shape ``(batch, *shape)``),
        and which points are admissible."""
        with np.errstate(all="ignore"):
            return self._evaluate(ns, self.tree, values, batch)

    def _evaluate(self, ns, tree: Expr, env: Mapping[str, np.ndarray], batch: int):
        out: dict[int, object] = {}
        valid = np.ones(batch, dtype=bool)
        for node in walk_postorder(tree):
            value, ok = self._node(ns, node, out, env, batch)
            out[id(node)] = value
            if ok is not None:
                valid &= ok
            if not isinstance(value, Fraction):
                valid &= ns.finite(value)
        return _lift(ns, out[id(tree)], batch), valid

    def _node(self, ns, node, out, env, batch):
        """The value of one node (an exact Fraction while it is a rational constant),
        and the admissibility a nested user-atom body adds (or None)."""
        if ns.name == "float" and id(node) in self._float_constants:
            return np.full(batch, self._float_constants[id(node)]), None
        if isinstance(node, Number):
            return exact(node.text or repr(node.value)), None
        if isinstance(node, Name):
            if node.id not in env:
                raise Unsupported(f"no value for {node.id}")
            return env[node.id], None
        if isinstance(node, Ref):
            return out[id(node.value)], None
        if isinstance(node, Unary):
            inner = out[id(node.operand)]
            return (-inner if node.op == "-" else inner), None
        if isinstance(node, Binary):
            return self._binary(ns, node.op, out[id(node.left)], out[id(node.right)], batch), None
        if isinstance(node, Transpose):
            value = _lift(ns, out[id(node.operand)], batch)
            return (value.swapaxes(1, 2) if value.ndim == 3 else value), None
        if isinstance(node, Index):
            value = _lift(ns, out[id(node.operand)], batch)
            if len(node.indices) > value.ndim - 1:
                raise Unsupported("index beyond the rank")
            return value[(slice(None), *node.indices)], None
        if isinstance(node, Vector):
            return np.stack([_lift(ns, out[id(i)], batch) for i in node.items], axis=1), None
        return self._call(ns, node, out, batch)

    def _binary(self, ns, op, left, right, batch):
        if isinstance(left, Fraction) and isinstance(right, Fraction):
            folded = _fold(op, left, right)
            if folded is not None:
                return folded
        if op == "^":
            if not isinstance(right, Fraction):
                raise Unsupported("a non-constant exponent")
            return _power(ns, _lift(ns, left, batch), as_constant(right))
        a, b = _lift(ns, left, batch), _lift(ns, right, batch)
        if op == "@":
            return _matmul(a, b)
        a, b = _align(a, b)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return ns.divide(a, b)
        raise Unsupported(f"operator {op}")

    def _call(self, ns, node: Call, out, batch):
        args = [out[id(a)] for a in node.args]
        kwargs = {key: out[id(value)] for key, value in node.kwargs}
        if not all(isinstance(v, Fraction) for v in kwargs.values()):
            raise Unsupported(f"a non-constant keyword in {node.func}")
        kwargs = {key: as_constant(value) for key, value in kwargs.items()}
        if node.func in self.defines:
            params, body = self.defines[node.func]
            if len(params) != len(args) or kwargs:
                raise Unsupported(f"call of {node.func}")
            env = {p: _lift(ns, v, batch) for p, v in zip(params, args)}
            return self._evaluate(ns, body, env, batch)
        name = ALIASES.get(node.func, node.func)
        arity, defaults, formula = ATOMS[name]
        if name == "reshape":
            if not 2 <= len(args) + len(kwargs) <= 3 or isinstance(args[0], Fraction):
                raise Unsupported("arguments of reshape")
            return _reshape(args[0], args, kwargs), None
        if name == "power":
            exponent = args[1] if len(args) == 2 else kwargs.get("p")
            if not isinstance(exponent, Fraction) or len(args) not in (1, 2):
                raise Unsupported("power without a constant exponent")
            return _power(ns, _lift(ns, args[0], batch), as_constant(exponent)), None
        if name in ("sum_largest", "sum_smallest") and len(args) == 2:     # k by position
            if not isinstance(args[1], Fraction) or "k" in kwargs:
                raise Unsupported(f"arguments of {node.func}")
            args, kwargs = args[:1], {**kwargs, "k": as_constant(args[1])}
        if arity is not None and len(args) != arity or not set(kwargs) <= set(defaults):
            raise Unsupported(f"arguments of {node.func}")
        kw = {**defaults, **kwargs}
        return formula(ns, [_lift(ns, a, batch) for a in args], kw), None


def _lift(ns, value, batch: int):
    """A rational constant as a batch of scalars; arrays unchanged."""
    if not isinstance(value, Fraction):
        return value
    out = np.empty(batch, dtype=float if ns.name == "float" else object)
    out[:] = ns.num(value) if ns.name == "float" else [ns.num(value)] * batch
    return out


# ---- rigorous Jensen gaps ----------------------------------------------------------------


class Precision:
    """``with Precision(bits):`` sets flint's working precision and restores it."""

    def __init__(self, bits: int):
        import flint
        self.flint, self.bits = flint, bits

    def __enter__(self):
        self.before = self.flint.ctx.prec
        self.flint.ctx.prec = self.bits

    def __exit__(self, *exc):
        self.flint.ctx.prec = self.before


def rigorous_gap(referee: Referee, kind: str, params: Mapping, a: Mapping, b: Mapping,
                 theta, entry: tuple[int, ...]):
    """``(proved, gap)``: the Jensen gap against ``kind`` at the exact point (the mix is
    θa + (1-θ)b in the reals, from the exact binary numbers given), as an arb ball,
    raising the precision while its sign is undecided. ``proved`` when its lower end is
    positive; ``gap`` is None where the point is not admissible (a matrix without its
    assumed structure is not)."""
    gap = None
    for name, value in {**params, **a, **b}.items():
        if name in referee.bounds and not referee.bounds[name].admits(value):
            return False, None
    for bits in PRECISIONS:
        with Precision(bits):
            ns = Balls()
            t = ns.ball(theta)
            values = {n: ns.array([v] * 3) for n, v in params.items()}
            for n in referee.wrt:
                left, right = ns.array(a[n]), ns.array(b[n])
                values[n] = np.stack([left, right, t * left + (1 - t) * right])
            f, valid = referee.evaluate(ns, values, 3)
            if valid.all():
                fa, fb, fm = (f[(i, *entry)] for i in range(3))
                gaps = _gaps(kind, t, fa, fb, fm)
                if all(g > 0 for g in gaps):
                    return True, gaps[0]
                gap = gaps[0]
                if any(g <= 0 for g in gaps):
                    return False, gap
    return False, gap


def _gaps(kind: str, t, fa, fb, fm) -> tuple:
    """What must all be positive for a violation of ``kind``: f at the mix above the chord
    (convex) or below it (concave); above both f(a) and f(b) (quasiconvex) or below both
    (quasiconcave). Floats or balls alike."""
    if kind == "convex":
        return (fm - (t * fa + (1 - t) * fb),)
    if kind == "concave":
        return ((t * fa + (1 - t) * fb) - fm,)
    sign = 1 if kind == "quasiconvex" else -1
    return sign * (fm - fa), sign * (fm - fb)


@dataclass(frozen=True)
class Finding:
    """A proved Jensen violation against ``kind`` found by the referee's own search."""

    kind: str
    shapes: Mapping
    params: Mapping
    a: Mapping
    b: Mapping
    theta: float
    entry: tuple[int, ...]
    gap: str

    def __str__(self) -> str:
        def show(values):
            return ", ".join(f"{k}={np.asarray(v).tolist()}" for k, v in values.items()) or "-"
        return (f"not {self.kind}: params {show(self.params)}; a {show(self.a)}; b {show(self.b)}; "
                f"theta={self.theta!r}; entry {self.entry}; proved gap {self.gap}")


def verify_witness(referee: Referee, witness) -> tuple[bool, object]:
    """Whether dcp's witness proves what it claims, recomputed with arb from its numbers."""
    return rigorous_gap(referee, witness.kind, witness.params, witness.a, witness.b,
                        witness.theta, tuple(witness.entry))


# ---- the independent search --------------------------------------------------------------

SCALES = np.array([1e-6, 1e-3, 0.1, 1.0, 3.0, 10.0, 100.0, 1e4, 1e8])


def draw(rng: np.random.Generator, bound: Bound | None, shape: tuple[int, ...]) -> np.ndarray:
    """Values inside ``bound``: at its ends, at 0, uniform between finite ends, normal at
    many scales (also relative to the ends' size), near either end, small integers."""
    lo, hi = (bound or Bound()).float_ends()
    count = int(np.prod(shape, dtype=int))
    size = max(abs(v) for v in (lo, hi, 1.0) if math.isfinite(v))
    scale = rng.choice(SCALES, count) * np.where(rng.random(count) < 0.3, size, 1.0)
    with np.errstate(over="ignore"):
        normal = rng.normal(0.0, 1.0, count) * scale
    from_lo = lo + np.abs(normal) if math.isfinite(lo) else normal
    from_hi = hi - np.abs(normal) if math.isfinite(hi) else normal
    uniform = rng.uniform(max(lo, -1e300), min(hi, 1e300), count) if lo <= hi else normal
    options = np.stack([np.full(count, lo), np.full(count, hi), np.zeros(count), uniform,
                        normal, from_lo, from_hi, rng.integers(-3, 4, count).astype(float)])
    values = options[rng.integers(0, len(options), count), np.arange(count)]
    values = np.where(np.isfinite(values), values, 0.0)
    values = np.clip(values, lo, hi).reshape(shape)
    return _structured(values, bound.structure, lo, hi) if bound and bound.structure else values


def _structured(values: np.ndarray, structure: frozenset, lo: float, hi: float) -> np.ndarray:
    """Draws made to have ``structure``: ``V Vᵀ`` shrunk into [lo, hi] (``|V|`` when
    lo >= 0, plus lo at every entry when lo > 0) for psd, the mirror for nsd, 0 for both,
    ``(V + Vᵀ)/2`` for symmetric; a batch of scalars are 1 x 1 matrices."""
    if values.ndim == 1:
        return _structured(values.reshape(-1, 1, 1), structure, lo, hi).reshape(values.shape)
    if values.ndim != 3 or values.shape[1] != values.shape[2]:
        return values                                   # no such matrix: refused when judged
    with np.errstate(all="ignore"):
        if {"psd", "nsd"} <= structure:
            made = np.zeros_like(values)
        elif "psd" in structure or "nsd" in structure:
            sign = 1.0 if "psd" in structure else -1.0
            low, high = (lo, hi) if sign > 0 else (-hi, -lo)
            v = np.abs(values) if low >= 0 else values
            gram = v @ v.swapaxes(1, 2)
            base = max(low, 0.0)
            largest = np.abs(gram).max(axis=(1, 2))
            room = min(high - base, base - low if low < 0 else math.inf)
            shrink = np.where(largest > room, room / np.where(largest > 0, largest, 1.0), 1.0) * 0.999
            made = sign * (base + shrink[:, None, None] * gram)
        else:
            made = values
        return (made + made.swapaxes(1, 2)) / 2


def _partner(rng: np.random.Generator, bound: Bound | None, a: np.ndarray) -> np.ndarray:
    """Second points: drawn afresh, or (for some rows) close to ``a``, where a small
    concave dent (f'' < 0 between two close roots) shows up in the Jensen gap."""
    far = draw(rng, bound, a.shape)
    if bound is not None and bound.structure:
        return far
    lo, hi = (bound or Bound()).float_ends()
    step = 10.0 ** rng.integers(-7, -1, a.shape) * (1 + np.abs(a))
    with np.errstate(over="ignore", invalid="ignore"):
        near = np.clip(a + step * rng.choice((-1.0, 1.0), a.shape), lo, hi)
    rows = (rng.random(a.shape[0]) < 0.4).reshape((-1,) + (1,) * (a.ndim - 1))
    return np.where(rows & np.isfinite(near), near, far)


def _thetas(rng: np.random.Generator, count: int) -> np.ndarray:
    options = np.stack([np.full(count, 0.5), rng.uniform(0.01, 0.99, count),
                        np.full(count, 1e-3), np.full(count, 1 - 1e-3)])
    return options[rng.integers(0, len(options), count), np.arange(count)]


def shape_instances(proof, rng: np.random.Generator, count: int) -> list[dict[str, tuple[int, ...]]]:
    """Concrete shapes for every free name (dcp's shape inference; sizes drawn here)."""
    from .check import infer_shapes
    solutions = infer_shapes(proof, {}, alternatives=3)
    instances = []
    for i in range(count):
        solution = solutions[i % len(solutions)]
        sizes = {d: int(rng.integers(max(m, 1), max(m, 1) + 3)) for d, m in solution.free_dims()}
        instances.append(solution.instantiate(sizes))
    return instances


def jensen_search(referee: Referee, kind: str, instances: Sequence[Mapping[str, tuple]],
                  rng: np.random.Generator, batch: int = 64, candidates: int = 2) -> Finding | None:
    """Look for a proved violation of Jensen's inequality against ``kind``: one float
    batch per shape instance, the most violating points re-evaluated with arb."""
    for shapes in instances:
        if any(lo > hi for lo, hi in (b.float_ends() for b in referee.bounds.values())):
            return None                                  # no float satisfies the assumptions
        names = [n for n in shapes if n not in referee.wrt]
        params = {n: draw(rng, referee.bounds.get(n), (batch, *shapes[n])) for n in names}
        a = {n: draw(rng, referee.bounds.get(n), (batch, *shapes[n])) for n in referee.wrt}
        b = {n: _partner(rng, referee.bounds.get(n), a[n]) for n in referee.wrt}
        theta = _thetas(rng, batch)
        found = _try_batch(referee, kind, shapes, params, a, b, theta, candidates)
        if found is not None:
            return found
    return None


def _try_batch(referee, kind, shapes, params, a, b, theta, candidates) -> Finding | None:
    batch = len(theta)
    values = {n: np.concatenate([v] * 3) for n, v in params.items()}
    for n in referee.wrt:
        t = theta.reshape((batch,) + (1,) * (a[n].ndim - 1))
        values[n] = np.concatenate([a[n], b[n], t * a[n] + (1 - t) * b[n]])
    f, valid = referee.evaluate(Floats(), values, 3 * batch)
    fa, fb, fm = f[:batch], f[batch:2 * batch], f[2 * batch:]
    ok = valid[:batch] & valid[batch:2 * batch] & valid[2 * batch:]
    t = theta.reshape((batch,) + (1,) * (f.ndim - 1))
    with np.errstate(all="ignore"):
        gaps = _gaps(kind, t, fa, fb, fm)
        gap = gaps[0] if len(gaps) == 1 else np.minimum(*gaps)
        size = np.abs(fm) + np.abs(t * fa) + np.abs((1 - t) * fb)
        relative = _rows(np.where(size > 0, gap / np.where(size > 0, size, 1.0), gap))
    relative = np.where(ok[:, None] & np.isfinite(relative), relative, -np.inf)
    best = relative.max(axis=1)
    for i in np.argsort(-best)[:candidates]:
        if not best[i] > FLOAT_TOLERANCE:
            break
        entry = np.unravel_index(int(np.argmax(relative[i])), f.shape[1:])
        point = ({n: v[i] for n, v in params.items()}, {n: v[i] for n, v in a.items()},
                 {n: v[i] for n, v in b.items()})
        proved, value = rigorous_gap(referee, kind, *point, float(theta[i]), entry)
        if proved:
            return Finding(kind, dict(shapes), *point, float(theta[i]), tuple(int(e) for e in entry),
                           value.str(5, radius=False))
    return None


# ---- judging one certification -----------------------------------------------------------


@dataclass
class Audit:
    """The referee's judgement of one certification: ``violations`` are certified claims
    it disproved, ``bogus`` the witnesses of dcp it could not prove; ``skipped`` says why
    it could not judge, when it could not."""

    violations: list
    bogus: list
    skipped: str | None = None


def audit(expression: str, wrt: Sequence[str], assume: Sequence[str] = (),
          defines: Sequence[str] = (), result=None, witnesses: Sequence = (), seed: int = 0,
          rounds: int = 4) -> Audit:
    """Re-verify every witness (``result.witnesses`` and ``witnesses``) and search for a
    violation of every claim the rules certified in ``result``."""
    verdict = Audit([], [])
    try:
        referee = Referee(expression, wrt, assume, defines)
    except Unsupported as why:
        verdict.skipped = str(why)
        return verdict
    found = list(witnesses) + (list(result.witnesses.values()) if result is not None else [])
    try:
        for witness in found:
            proved, gap = verify_witness(referee, witness)
            if not proved:
                verdict.bogus.append(f"{witness} (referee's gap: {gap})")
        if result is not None:
            rng = np.random.default_rng(seed)
            quasi, plain = result.proof.quasi, result.curvature.is_known
            claims = [k for k, c in (("convex", result.curvature.is_convex),
                                     ("concave", result.curvature.is_concave),
                                     ("quasiconvex", quasi.is_quasiconvex and not plain),
                                     ("quasiconcave", quasi.is_quasiconcave and not plain)) if c]
            instances = shape_instances(result.proof, rng, rounds) if claims else []
            for kind in claims:
                finding = jensen_search(referee, kind, instances, rng)
                if finding is not None:
                    verdict.violations.append(f"certified {result.verdict}, {finding}")
    except Unsupported as why:
        verdict.skipped = str(why)
    return verdict
