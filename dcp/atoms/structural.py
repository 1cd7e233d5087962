"""Affine atoms: the arithmetic operators, reshaping, sums and means, and the product
atoms (``*``, ``@``, ``dot``) that the product rule handles."""
from __future__ import annotations

from ..errors import ArgumentError
from ..facts import Curvature, Interval, Monotonicity
from .base import Atom, Keywords, Ranges

_UP = Monotonicity.NONDECREASING


class _Affine(Atom):
    """An affine atom, nondecreasing in every argument unless it says otherwise."""

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.AFFINE

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _UP

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0]


class Add(_Affine):
    """a + b: affine, nondecreasing in both."""

    name = "add"
    operator = "+"
    min_args = max_args = 2

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0] + args[1]


class Subtract(_Affine):
    """a - b: affine, nondecreasing in a, nonincreasing in b."""

    name = "subtract"
    operator = "-"
    min_args = max_args = 2

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _UP if index == 0 else Monotonicity.NONINCREASING

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0] - args[1]


class Transpose(_Affine):
    """a.T: the transpose, affine."""

    name = "transpose"
    operator = ".T"


class IndexAtom(_Affine):
    """a[i], a[i, j]: one entry, affine."""

    name = "index"
    operator = "[]"


class Stack(_Affine):
    """[a, b, ...]: the entries stacked into a vector, affine."""

    name = "vector"
    operator = "[...]"
    max_args = None

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return Interval.hull(args)


class _Axis(_Affine):
    keywords = {"axis": None}

    def validate(self, kw: Keywords) -> None:
        axis = kw.get("axis")
        if axis is not None and axis not in (0, 1, -1, -2):
            raise ArgumentError(f"{self.name} takes axis=0 or axis=1, got axis={axis:g}")


class Sum(_Axis):
    """sum(x), sum(X, axis=0): the sum of the entries, affine."""

    name = "sum"
    reduces = True

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0].sum_of_terms()


class Mean(_Axis):
    """mean(x), mean(X, axis=0): the average of the entries, affine."""

    name = "mean"
    reduces = True


class Trace(_Affine):
    """trace(X): the sum of the diagonal, affine."""

    name = "trace"
    reduces = True

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0].sum_of_terms()


class _Product(Atom):
    """A bilinear atom: the product rule decides (a constant side scales the other)."""

    kind = "product"
    min_args = max_args = 2
    #: Whether entries are summed (``@``, ``dot``) or not (elementwise ``*``).
    sums: bool = True

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        product = args[0] * args[1]
        return product.sum_of_terms() if self.sums else product


class Multiply(_Product):
    """a * b: the elementwise (or scalar) product."""

    name = "multiply"
    operator = "*"
    sums = False


class MatMul(_Product):
    """a @ b: the matrix product; each entry is a sum of products."""

    name = "matmul"
    operator = "@"


class Dot(_Product):
    """dot(a, b): the inner product, a sum of products."""

    name = "dot"
    reduces = True
