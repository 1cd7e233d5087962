"""Affine atoms: the arithmetic operators, reshaping, sums and means, and the product
atoms (``*``, ``@``, ``dot``) that the product rule handles."""
from __future__ import annotations

from ..errors import ArgumentError
from ..facts import Curvature, Interval, Monotonicity
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..syntax.ast import format_constant
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

    def evaluate(self, ops, args, kw, node):
        from ..ops import align
        a, b = align(*args)
        return a + b

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

    def evaluate(self, ops, args, kw, node):
        from ..ops import align
        a, b = align(*args)
        return a - b


class Transpose(_Affine):
    """a.T: the transpose, affine (a vector's transpose is itself, as in numpy)."""

    name = "transpose"
    operator = ".T"

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        return tuple(reversed(shapes[0]))

    def evaluate(self, ops, args, kw, node):
        x = args[0]
        return x.swapaxes(1, 2) if x.ndim == 3 else x


class IndexAtom(_Affine):
    """a[i], a[i, j]: one entry, affine."""

    name = "index"
    operator = "[]"

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        shape, indices = shapes[0], data
        if len(indices) > len(shape):
            raise ShapeMismatch(f"{len(indices)} indices into a value of rank {len(shape)}")
        for dim, i in zip(shape, indices):
            dims.at_least(dim, i + 1 if i >= 0 else -i)
        return shape[len(indices):]

    def evaluate(self, ops, args, kw, node):
        return args[0][(slice(None), *node.indices)]


class Stack(_Affine):
    """[a, b, ...]: the entries stacked into a vector, affine."""

    name = "vector"
    operator = "[...]"
    max_args = None

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return Interval.hull(args)

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        """Scalars stack into a vector; vectors of one length into a matrix (one per row)."""
        first = shapes[0]
        if len(first) > 1:
            raise ShapeMismatch("only scalars or vectors can be stacked with [...]")
        for other in shapes[1:]:
            dims.same(first, other, "the entries of [...] must have the same shape")
        return (dims.new(len(shapes)), *first)

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        return np.stack(args, axis=1)


class _Axis(_Affine):
    keywords = {"axis": None}

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        shape, axis = shapes[0], kw.get("axis")
        if axis is None:
            return ()
        axis = int(axis) % 2 if len(shape) == 2 else int(axis)
        if len(shape) == 0 or axis not in range(len(shape)):
            raise ShapeMismatch(f"axis={format_constant(kw['axis'])} of a value of rank {len(shape)}")
        return shape[:axis] + shape[axis + 1:]

    def evaluate(self, ops, args, kw, node):
        from ..ops import entries
        x, axis = args[0], kw.get("axis")
        if axis is None:
            total, count = entries(x).sum(axis=1), entries(x).shape[1]
        else:
            axis = 1 + (int(axis) % (x.ndim - 1))
            total, count = x.sum(axis=axis), x.shape[axis]
        return total / count if self.name == "mean" else total

    def validate(self, kw: Keywords) -> None:
        axis = kw.get("axis")
        if axis is not None and axis not in (0, 1, -1, -2):
            raise ArgumentError(f"{self.name} takes axis=0 or axis=1, got axis={format_constant(axis)}")


class Sum(_Axis):
    """sum(x), sum(X, axis=0): the sum of the entries, affine."""

    name = "sum"
    reduces = True

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0].sum_of_terms()


class Mean(_Axis):  # evaluation shared with Sum: the total over the count
    """mean(x), mean(X, axis=0): the average of the entries, affine."""

    name = "mean"
    reduces = True


class Trace(_Affine):
    """trace(X): the sum of the diagonal, affine."""

    name = "trace"
    reduces = True

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        if len(shapes[0]) != 2:
            raise ShapeMismatch("trace needs a matrix")
        dims.unify(*shapes[0], why="trace needs a square matrix")
        return ()

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        return np.diagonal(args[0], axis1=1, axis2=2).sum(axis=1)

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

    def evaluate(self, ops, args, kw, node):
        from ..ops import align
        a, b = align(*args)
        return a * b


class MatMul(_Product):
    """a @ b: the matrix product; each entry is a sum of products."""

    name = "matmul"
    operator = "@"

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        """numpy's rules: (m, n) @ (n, p), (m, n) @ (n,), (n,) @ (n, p), (n,) @ (n,)."""
        a, b = shapes
        if not a or not b:
            raise ShapeMismatch("@ needs vectors or matrices on both sides, not a scalar")
        dims.unify(a[-1], b[0] if len(b) == 1 else b[-2],
                   why="the inner dimensions of @ must agree")
        return a[:-1] + b[1:]

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        a, b = args
        if a.ndim == 2 and b.ndim == 2:
            return (a * b).sum(axis=1)
        if b.ndim == 2:
            return np.matmul(a, b[:, :, None])[:, :, 0]
        if a.ndim == 2:
            return np.matmul(a[:, None, :], b)[:, 0, :]
        return np.matmul(a, b)


class Dot(_Product):
    """dot(a, b): the inner product, a sum of products."""

    name = "dot"
    reduces = True

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        a, b = shapes
        if len(a) != 1 or len(b) != 1:
            raise ShapeMismatch("dot needs two vectors")
        dims.unify(a[0], b[0], why="dot needs two vectors of the same length")
        return ()

    def evaluate(self, ops, args, kw, node):
        return (args[0] * args[1]).sum(axis=1)
