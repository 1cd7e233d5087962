"""Convex and concave functions of a whole vector (or of several arguments)."""
from __future__ import annotations

import math
from fractions import Fraction

from ..errors import ArgumentError
from ..facts import NONNEG, NONPOS, POS, REALS, Curvature, Interval, Monotonicity
from ..facts.balls import to_arb
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..syntax.ast import format_constant
from .base import Atom, Keywords, Ranges

_UNIT = Interval(0.0, 1.0, lo_open=True)      # (0, 1], the entries of a softmax
_UP, _DOWN, _NONE = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING, Monotonicity.NONE


def _like_abs(region: Interval) -> Monotonicity:
    """Monotonicity of |t| on ``region``: up on t >= 0, down on t <= 0."""
    if region.is_nonneg:
        return _UP
    if region.is_nonpos:
        return _DOWN
    return _NONE


class _ConvexUp(Atom):
    """Convex and nondecreasing in every argument."""

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _UP


class _ConcaveUp(_ConvexUp):
    """Concave and nondecreasing in every argument."""

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONCAVE


class MaxReduce(_ConvexUp):
    """max(x): the largest entry; convex, nondecreasing."""

    name = "max"
    reduces = True

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        return ops.largest(entries(args[0]), axis=1)

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0]


class MinReduce(_ConcaveUp):
    """min(x): the smallest entry; concave, nondecreasing."""

    name = "min"
    reduces = True

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        return ops.smallest(entries(args[0]), axis=1)

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0]


class Maximum(_ConvexUp):
    """maximum(a, b, ...), also max(a, b, ...): the entrywise maximum; convex.

    Nondecreasing in each argument.
    """

    name = "maximum"
    aliases = ("max",)
    min_args, max_args = 2, None

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        lo = max(args, key=lambda r: (r.lo, not r.lo_open))
        hi = max(args, key=lambda r: (r.hi, not r.hi_open))
        return Interval(lo.lo, hi.hi, lo.lo_open, hi.hi_open)

    def evaluate(self, ops, args, kw, node):
        import numpy as np

        from ..ops import align
        return ops.largest(np.stack(np.broadcast_arrays(*align(*args)), axis=0), axis=0)


class Minimum(_ConcaveUp):
    """minimum(a, b, ...), also min(a, b, ...): the entrywise minimum; concave.

    Nondecreasing in each argument.
    """

    name = "minimum"
    aliases = ("min",)
    min_args, max_args = 2, None

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return -Maximum.range(self, [-r for r in args], kw)

    def evaluate(self, ops, args, kw, node):
        import numpy as np

        from ..ops import align
        return ops.smallest(np.stack(np.broadcast_arrays(*align(*args)), axis=0), axis=0)


class _AlongAxis:
    """An atom taking CVXPY's ``axis=``: over all entries by default, else along that axis
    of a matrix (0: down each column, 1: along each row; -1 and -2 count from the end)."""

    keywords = {"axis": None}

    def validate(self, kw: Keywords) -> None:
        axis = kw.get("axis")
        if axis is not None and axis not in (0, 1, -1, -2):
            raise ArgumentError(f"{self.name} takes axis=0 or axis=1, got axis={format_constant(axis)}")

    @staticmethod
    def _axis(shape: Sym, kw: Keywords) -> int | None:
        """The axis of a value of ``shape`` that ``axis=`` names (None: all entries)."""
        axis = kw.get("axis")
        if axis is None:
            return None
        rank = len(shape)
        if rank == 0 or (rank == 1 and int(axis) not in (0, -1)):
            raise ShapeMismatch(f"axis={format_constant(axis)} of a value of rank {rank}")
        return int(axis) % rank


class LogSumExp(_AlongAxis, _ConvexUp):
    """logsumexp(x) = log(sum(exp(x))): convex, nondecreasing; at least max(x).

    With ``axis=``, one per column (0) or row (1) of a matrix, as CVXPY's log_sum_exp.
    """

    name = "logsumexp"
    aliases = ("log_sum_exp",)                  # CVXPY's spelling
    reduces = True

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return Interval(args[0].lo, math.inf, args[0].lo_open)

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        axis = self._axis(shapes[0], kw)
        return () if axis is None else shapes[0][:axis] + shapes[0][axis + 1:]

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        x, axis = args[0], kw.get("axis")
        if axis is None:
            return _logsumexp(ops, entries(x))
        return _logsumexp_along(ops, x, 1 + int(axis) % (x.ndim - 1))


class _Norm(Atom):
    """A norm of the entries: convex, and per entry like abs (up where the entry is
    nonnegative, down where it is nonpositive)."""

    reduces = True

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _like_abs(args[0])

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # Every norm is at least the smallest possible |entry|.
        smallest = abs(args[0])
        return Interval(smallest.lo, math.inf, smallest.lo_open)


class Norm1(_Norm):
    """norm1(x) = sum(abs(x)): convex."""

    name = "norm1"

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        return abs(entries(args[0])).sum(axis=1)


class Norm2(_Norm):
    """norm2(x) = sqrt(sum(square(x))): convex."""

    name = "norm2"

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        return ops.sqrt(ops.power(entries(args[0]), 2.0).sum(axis=1))


class NormInf(_Norm):
    """norm_inf(x) = max(abs(x)): convex."""

    name = "norm_inf"

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return abs(args[0])

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        return ops.largest(abs(entries(args[0])), axis=1)


class Norm(_Norm):
    """norm(x, p=2): the p-norm for p >= 1 (`p=inf` is allowed through norm_inf); convex."""

    name = "norm"
    keywords = {"p": 2.0}
    positional_keywords = ("p",)                # norm(x, 1), as CVXPY writes it

    def validate(self, kw: Keywords) -> None:
        if not kw["p"] >= 1:
            raise ArgumentError(f"norm(x, p) is a norm only for p >= 1, got p={format_constant(kw['p'])}")

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        x = abs(entries(args[0]))
        if math.isinf(kw["p"]):
            return ops.largest(x, axis=1)
        # 1/p exactly (1/3 is not a float): the balls evaluate the norm itself.
        return ops.power(ops.power(x, kw["p"]).sum(axis=1), 1 / Fraction(kw["p"]))


class SumSquares(_Norm):
    """sum_squares(x) = sum(square(x)): convex, per entry like square."""

    name = "sum_squares"

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return Interval(args[0].square().lo, math.inf, args[0].square().lo_open)

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        return ops.power(entries(args[0]), 2.0).sum(axis=1)


class QuadOverLin(Atom):
    """quad_over_lin(x, y) = sum(square(x)) / y for y > 0: jointly convex.

    Like abs in x, nonincreasing in y.
    """

    name = "quad_over_lin"
    min_args = max_args = 2
    reduces = True

    def domain(self, index: int, kw: Keywords) -> Interval:
        return POS if index == 1 else REALS

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _like_abs(args[0]) if index == 0 else _DOWN

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return NONNEG

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        if shapes[1]:
            raise ShapeMismatch("the second argument of quad_over_lin must be a scalar")
        return ()

    def evaluate(self, ops, args, kw, node):
        import numpy as np

        from ..ops import divide, entries, inside
        x, y = entries(args[0]), args[1]
        squares = ops.power(x, 2.0).sum(axis=1)
        return np.where(inside(y, self.domain(1, kw)), divide(ops, squares, y), ops.nan)


class _SumOfExtremes(Atom):
    """The sum of the k largest (or smallest) entries of x, for a whole number k >= 1 (all
    the entries when x has fewer than k, as CVXPY's)."""

    keywords = {"k": None}
    positional_keywords = ("k",)                # sum_largest(x, 3), as CVXPY writes it
    reduces = True

    def validate(self, kw: Keywords) -> None:
        k = kw.get("k")
        if k is None or k != int(k) or not k >= 1:
            shown = "nothing" if k is None else f"k={format_constant(k)}"
            raise ArgumentError(f"{self.name}(x, k) needs k, a whole number >= 1, got {shown}")

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # A sum of c entries, each in the range X, for some c from 1 to k: in c X, whose
        # ends are linear in c, so within the hull of X (c = 1) and k X (c = k). (With no
        # k, as the docs' table asks: any c >= 1.)
        k = kw.get("k")
        if k is None:
            return args[0].sum_of_terms()
        return Interval.hull([args[0], Interval(k, k) * args[0]])

    def _sum(self, ops, args, kw, largest: bool):
        from ..ops import entries
        rows = ops.sort(entries(args[0]))
        count = min(int(kw["k"]), rows.shape[1])
        return (rows[:, rows.shape[1] - count:] if largest else rows[:, :count]).sum(axis=1)


class SumLargest(_SumOfExtremes, _ConvexUp):
    """sum_largest(x, k): the sum of the k largest entries of x; convex, nondecreasing.

    It is max over sets S of k entries of sum(x[S]), a maximum of linear functions.
    """

    name = "sum_largest"

    def evaluate(self, ops, args, kw, node):
        return self._sum(ops, args, kw, largest=True)


class SumSmallest(_SumOfExtremes, _ConcaveUp):
    """sum_smallest(x, k): the sum of the k smallest entries of x; concave, nondecreasing.

    It is min over sets S of k entries of sum(x[S]), a minimum of linear functions.
    """

    name = "sum_smallest"

    def evaluate(self, ops, args, kw, node):
        return self._sum(ops, args, kw, largest=False)


class Dotsort(Atom):
    """dotsort(X, W) = dot(sort(vec(X)), sort(vec(W))), W constant: convex; monotone by W's sign.

    W is padded with zeros to the size of X (CVXPY's dotsort; W may not have more
    entries). By the rearrangement inequality it is the maximum over permutations p of
    sum_i x_i w_p(i): a maximum of linear functions of X, so convex in X for each fixed W
    (only: dotsort(x, w) of two scalars is x*w, so W must be constant). Each sorted entry
    of X is nondecreasing in every entry of X, so dotsort is nondecreasing in X where
    W >= 0 and nonincreasing where W <= 0.
    """

    name = "dotsort"
    min_args = max_args = 2
    reduces = True
    fixed_arguments = (1,)

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        if index == 1:
            return _NONE
        weights = args[1]
        return _UP if weights.is_nonneg else _DOWN if weights.is_nonpos else _NONE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # A sum of n >= 1 terms s_j(X) s_j(W0), where s_j(X) is in X's range and the
        # padded weight s_j(W0) in the hull of W's range and 0.
        padded = Interval.hull([args[1], Interval(0.0, 0.0)])
        return (args[0] * padded).sum_of_terms()

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        x_sizes, w_sizes = ([dims.size[dims.find(d)] for d in shape] for shape in shapes)
        if None not in w_sizes:
            w = math.prod(w_sizes)
            if None not in x_sizes and w > math.prod(x_sizes):
                raise ShapeMismatch(f"dotsort(X, W) needs W with at most as many entries as X, "
                                    f"got {w} and {math.prod(x_sizes)}")
            if len(shapes[0]) == 1:             # a vector X: at least as long as W (as x[i])
                dims.at_least(shapes[0][0], w)
        return ()

    def evaluate(self, ops, args, kw, node):
        import numpy as np

        from ..ops import entries
        x, w = entries(args[0]), entries(args[1])
        n, m = x.shape[1], w.shape[1]
        if m > n:                                   # undefined (CVXPY refuses it)
            nan = np.empty(len(x), dtype=object if ops.name == "arb" else float)
            nan[:] = [ops.nan] * len(x)
            return nan
        if m < n:
            w = np.concatenate([w, ops.array(np.zeros((len(w), n - m)))], axis=1)
        # In balls: ops.sort encloses each sorted entry of every point of the balls, so
        # the products and their sum enclose the value there (and in floats it is exact
        # up to rounding).
        return (ops.sort(x) * ops.sort(w)).sum(axis=1)


class _MeanOfPositives(Atom):
    """A reduction of a vector's entries (``x`` in the formula, with ``n`` of them) that
    lies between the smallest and the largest entry: a mean."""

    reduces = True

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0]

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        if len(shapes[0]) > 1:
            raise ShapeMismatch(f"{self.name} needs a vector")
        return ()


class GeoMean(_MeanOfPositives, _ConcaveUp):
    """geo_mean(x) = (x_1 x_2 ... x_n)^(1/n) for a vector x >= 0: concave, nondecreasing.

    The geometric mean: between the smallest and the largest entry.
    """

    name = "geo_mean"
    formula = "Product(x[i], (i, 0, n - 1))**(1/n)"

    def domain(self, index: int, kw: Keywords) -> Interval:
        return NONNEG

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        rows = _entries_inside(ops, args[0], NONNEG)
        if ops.name == "float":             # exp(mean(log x)): no overflow of the product
            with np.errstate(divide="ignore"):          # log 0 = -inf, as meant
                return ops.exp(ops.log(rows).mean(axis=1))
        return ops.power(_product(rows), Fraction(1, rows.shape[1]))


class HarmonicMean(_MeanOfPositives, _ConcaveUp):
    """harmonic_mean(x) = n / (1/x_1 + ... + 1/x_n) for a vector x > 0: concave, nondecreasing.

    The harmonic mean: between the smallest and the largest entry.
    """

    name = "harmonic_mean"
    formula = "n / Sum(1/x[i], (i, 0, n - 1))"

    def domain(self, index: int, kw: Keywords) -> Interval:
        return POS

    def evaluate(self, ops, args, kw, node):
        import numpy as np

        from ..ops import divide
        rows = _entries_inside(ops, args[0], POS)
        inverses = divide(ops, ops.array(np.ones(rows.shape)), rows)
        return divide(ops, ops.array(np.full(len(rows), rows.shape[1])), inverses.sum(axis=1))


class InvProd(Atom):
    """inv_prod(x) = 1 / (x_1 x_2 ... x_n) for a vector x > 0: convex, nonincreasing.

    At most 1 where every entry is at least 1, at least 1 where every entry is at most 1.
    """

    name = "inv_prod"
    formula = "1 / Product(x[i], (i, 0, n - 1))"
    reduces = True
    shape = _MeanOfPositives.shape

    def domain(self, index: int, kw: Keywords) -> Interval:
        return POS

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _DOWN

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        if args[0].lo >= 1:
            return Interval(0.0, 1.0, lo_open=True)
        if args[0].hi <= 1:
            return Interval(1.0, math.inf)
        return POS

    def evaluate(self, ops, args, kw, node):
        import numpy as np

        from ..ops import divide
        product = _product(_entries_inside(ops, args[0], POS))
        return divide(ops, ops.array(np.ones(len(product))), product)


def _entries_inside(ops, x, domain: Interval):
    """Each batch element's entries in one row, NaN where an entry is outside ``domain``
    (a ball not wholly inside it)."""
    import numpy as np

    from ..ops import entries, inside
    rows = entries(x)
    return np.where(inside(rows, domain), rows, ops.nan)


def _product(rows):
    """The product of each row's entries (floats or balls)."""
    out = rows[:, 0]
    for j in range(1, rows.shape[1]):
        out = out * rows[:, j]
    return out


class LogSoftmax(_AlongAxis, Atom):
    """log_softmax(z) = z - logsumexp(z): concave per entry, not monotone, nonpositive.

    With ``axis=``, normalised per column (0) or row (1) of a matrix.
    """

    name = "log_softmax"

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONCAVE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return NONPOS

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        self._axis(shapes[0], kw)
        return shapes[0]

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        x, axis = args[0], kw.get("axis")
        if axis is None:
            total = _logsumexp(ops, entries(x)).reshape((x.shape[0],) + (1,) * (x.ndim - 1))
        else:
            import numpy as np
            along = 1 + int(axis) % (x.ndim - 1)
            total = np.expand_dims(_logsumexp_along(ops, x, along), along)
        return x - total


class Softmax(_AlongAxis, Atom):
    """softmax(z) = exp(z) / sum(exp(z)): neither convex nor concave, in (0, 1].

    With ``axis=``, normalised per column (0) or row (1) of a matrix.
    """

    name = "softmax"

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        self._axis(shapes[0], kw)
        return shapes[0]

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return _UNIT

    def evaluate(self, ops, args, kw, node):
        return ops.exp(LogSoftmax.evaluate(self, ops, args, kw, node))


class LayerNorm(Atom):
    """layer_norm(x) = (x - mean(x)) / sqrt(var(x) + eps): neither convex nor concave.

    Normalises over all entries of x (variance without Bessel's correction, ``eps`` 1e-5
    by default, as torch's LayerNorm without its affine part); the shape of x, not
    monotone in x, and its entries are any reals (|entry| <= sqrt(n - 1) for n entries,
    and n is free).
    """

    name = "layer_norm"
    keywords = {"eps": 1e-5}
    #: The shape of x, but each entry depends on all of x (its mean and variance).
    elementwise = False

    def validate(self, kw: Keywords) -> None:
        if not kw["eps"] > 0:
            raise ArgumentError(f"layer_norm takes eps > 0, got eps={format_constant(kw['eps'])}")

    def evaluate(self, ops, args, kw, node):
        import numpy as np

        from ..ops import divide, entries
        x = args[0]
        rows = entries(x)
        count = rows.shape[1]
        centred = rows - (rows.sum(axis=1) / count)[:, None]
        spread = (centred * centred).sum(axis=1) / count
        eps = np.empty(len(rows), dtype=object) if ops.name == "arb" else np.empty(len(rows))
        eps[:] = to_arb(Fraction(kw["eps"])) if ops.name == "arb" else float(kw["eps"])
        scale = ops.sqrt(spread + eps)
        return divide(ops, centred, scale[:, None]).reshape(x.shape)


def _logsumexp_along(ops, x, axis: int):
    """log(sum(exp(.))) along ``axis`` of ``x``, shifted by the maximum there."""
    import numpy as np
    top = ops.largest(x, axis=axis)
    return top + ops.log(ops.exp(x - np.expand_dims(top, axis)).sum(axis=axis))


def _logsumexp(ops, rows):
    """log(sum(exp(row))) per row, shifted by the row maximum so exp cannot overflow."""
    top = ops.largest(rows, axis=1)
    return top + ops.log(ops.exp(rows - top[:, None]).sum(axis=1))
