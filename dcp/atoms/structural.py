"""Affine atoms: the arithmetic operators, reshaping, sums and means, and the product
atoms (``*``, ``@``, ``dot``) that the product rule handles."""
from __future__ import annotations

from ..errors import ArgumentError
from ..facts import Curvature, Interval, Monotonicity
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..facts.valued import Valued
from ..syntax.ast import MAX_INDEX, format_constant
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
    """a[i], a[i, j]: one entry, affine.

    Of a name given its values (a model's weight, :mod:`dcp.facts.valued`), the range is
    the entry's own (a row's hull for ``W[i]``): the keyword ``at`` holds the indices then,
    as :func:`index_keywords` says for the engine and the kernel alike."""

    name = "index"
    operator = "[]"

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        region, at = args[0], kw.get("at")
        if region.__class__ is Valued:
            return region.entry(at) if at is not None else region.hull
        return region

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        shape, indices = shapes[0], data
        if len(indices) > len(shape):
            raise ShapeMismatch(f"{len(indices)} indices into a value of rank {len(shape)}")
        for dim, i in zip(shape, indices):
            dims.at_least(dim, i + 1 if i >= 0 else -i)
        return shape[len(indices):]

    def evaluate(self, ops, args, kw, node):
        return args[0][(slice(None), *node.indices)]


def index_keywords(tape, index: int) -> dict:
    """The keywords of the index node ``index``: ``{"at": indices}`` when it indexes a
    name itself (whose range may hold its entries), none otherwise. (Only a name's own
    range holds the entries it was given; ``W.T[0]`` reads the hull.)"""
    if tape.op[tape.plain(tape.args[index][0])] == "name":
        return {"at": tape.data[index]}
    return {}


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


class Conv(_Product):
    """conv(k, x): the full 1-D convolution of two vectors, with m + n - 1 entries.

    Affine in x for a constant kernel k, which scales it (convex for a convex x when
    k >= 0). Each entry is a sum of products k[j] x[i - j], as CVXPY's conv (also spelled
    convolve).
    """

    name = "conv"
    aliases = ("convolve",)

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        a, b = shapes
        if len(a) != 1 or len(b) != 1:
            raise ShapeMismatch("conv needs two vectors")
        return (dims.total([a[0], b[0]], -1, "conv has one entry fewer than its two vectors together"),)

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        k, x = args
        m, n = k.shape[1], x.shape[1]
        entries = []
        for i in range(m + n - 1):      # entry i: the sum of k[j] x[i - j]
            terms = [k[:, j] * x[:, i - j] for j in range(max(0, i - n + 1), min(i, m - 1) + 1)]
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            entries.append(total)
        return np.stack(entries, axis=1)


# ---- reshaping: cumulative sums, differences, stacking, diagonals, reshape ------------------


def _axis_of(kw: Keywords, shape: Sym, atom: str) -> int:
    """The axis a keyword ``axis`` names in a value of this shape (0 for a vector)."""
    axis = int(kw.get("axis") or 0)
    if len(shape) == 0:
        raise ShapeMismatch(f"{atom} needs a vector or a matrix, not a scalar")
    if axis not in range(len(shape)):
        raise ShapeMismatch(f"axis={axis} of a value of rank {len(shape)}")
    return axis


def _validate_axis(atom: Atom, kw: Keywords) -> None:
    if kw.get("axis") not in (0, 1):
        raise ArgumentError(f"{atom.name} takes axis=0 or axis=1, got axis={format_constant(kw['axis'])}")


class Cumsum(_Affine):
    """cumsum(x, axis=0): the running sums of the entries along an axis; affine.

    Nondecreasing; each entry is a sum of one or more entries of x.
    """

    name = "cumsum"
    keywords = {"axis": 0}

    def validate(self, kw: Keywords) -> None:
        _validate_axis(self, kw)

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        _axis_of(kw, shapes[0], self.name)
        return shapes[0]

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0].sum_of_terms()

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        return np.cumsum(args[0], axis=1 + int(kw["axis"]))


class Diff(_Affine):
    """diff(x, k=1, axis=0): the k-th differences of neighbours along an axis; affine.

    x[i+1] - x[i] for k = 1, as CVXPY's; not monotone; k fewer entries along the axis.

    A k-th difference is a sum of entries with binomial coefficients of alternating sign,
    2^(k-1) on each side, so it lies within 2^(k-1) (x - x).
    """

    name = "diff"
    keywords = {"k": 1, "axis": 0}

    def validate(self, kw: Keywords) -> None:
        _validate_axis(self, kw)
        k = kw["k"]
        if k != int(k) or not 1 <= k <= 64:
            raise ArgumentError(f"diff takes a whole k from 1 to 64, got k={format_constant(k)}")

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return Monotonicity.NONE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        scale = 2 ** (int(kw["k"]) - 1)
        return (args[0] - args[0]) * Interval(scale, scale)

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        shape = shapes[0]
        axis, k = _axis_of(kw, shape, self.name), int(kw["k"])
        known = dims.size[dims.find(shape[axis])]
        if known is not None and known <= k:
            raise ShapeMismatch(f"diff with k={k} needs at least {k + 1} entries along its axis, "
                                f"not {known}")
        dims.at_least(shape[axis], k + 1)
        fewer = dims.total([shape[axis]], -k, f"diff takes {k} entr{'y' if k == 1 else 'ies'} "
                           f"off the length of its axis")
        return shape[:axis] + (fewer,) + shape[axis + 1:]

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        return np.diff(args[0], n=int(kw["k"]), axis=1 + int(kw["axis"]))


class _Join(_Affine):
    """Values joined into one, affine and nondecreasing in each; its entries are theirs."""

    max_args = None

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return Interval.hull(args)

    @staticmethod
    def _rank(shapes, name: str) -> int:
        rank = len(shapes[0])
        if any(len(shape) != rank for shape in shapes):
            raise ShapeMismatch(f"the arguments of {name} must all have one rank")
        return rank


class Hstack(_Join):
    """hstack(a, b, ...): the values side by side, as numpy's hstack; affine.

    Scalars into a vector, vectors end to end, matrices of as many rows block by block.
    """

    name = "hstack"

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        rank = self._rank(shapes, self.name)
        if rank == 0:
            return (dims.new(len(shapes)),)
        if rank == 2:
            for other in shapes[1:]:
                dims.unify(shapes[0][0], other[0], "the arguments of hstack must have as many rows")
        return shapes[0][:-1] + (dims.total([shape[-1] for shape in shapes]),)

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        if args[0].ndim == 1:
            return np.stack(args, axis=1)
        return np.concatenate(args, axis=args[0].ndim - 1)


class Vstack(_Join):
    """vstack(a, b, ...): the values one above the other, as numpy's vstack; affine.

    Scalars into a column, vectors of one length as the rows of a matrix, matrices of as
    many columns block by block.
    """

    name = "vstack"

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        rank = self._rank(shapes, self.name)
        if rank == 0:
            return (dims.new(len(shapes)), dims.new(1))
        if rank == 1:
            for other in shapes[1:]:
                dims.same(shapes[0], other, "the vectors of vstack must have one length")
            return (dims.new(len(shapes)), shapes[0][0])
        for other in shapes[1:]:
            dims.unify(shapes[0][1], other[1], "the arguments of vstack must have as many columns")
        return (dims.total([shape[0] for shape in shapes]), shapes[0][1])

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        if args[0].ndim == 1:
            return np.stack(args, axis=1)[:, :, None]
        if args[0].ndim == 2:
            return np.stack(args, axis=1)
        return np.concatenate(args, axis=1)


class Diag(_Affine):
    """diag(x): a vector on the diagonal of a square matrix, or a matrix's diagonal; affine.

    The matrix has zeros off its diagonal; the matrix whose diagonal is taken must be
    square. Nondecreasing.
    """

    name = "diag"

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        shape = shapes[0]
        if len(shape) == 1:
            return (shape[0], shape[0])
        if len(shape) == 2:
            dims.unify(*shape, why="diag needs a vector or a square matrix")
            return (shape[0],)
        raise ShapeMismatch("diag needs a vector or a square matrix, not a scalar")

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # A vector's diagonal matrix has zeros off the diagonal (when it is 2 x 2 or more).
        return Interval.hull([args[0], Interval(0.0, 0.0)])

    def evaluate(self, ops, args, kw, node):
        import numpy as np
        x = args[0]
        if x.ndim == 3:
            return np.diagonal(x, axis1=1, axis2=2).copy()
        return x[:, :, None] * np.eye(x.shape[1])      # (a ball times 0.0 is exactly 0)


class Reshape(_Affine):
    """reshape(X, (m, n)): the entries of X as an m x n matrix, column by column; affine.

    Without n, a vector of m entries. Entries are taken and placed column by column
    (CVXPY's default order "F"); nondecreasing. The shape is CVXPY's tuple, ``(m, n)`` or
    ``(m,)``; ``reshape(X, m, n)`` is the same.
    """

    name = "reshape"
    keywords = {"m": None, "n": None}
    positional_keywords = ("m", "n")

    def validate(self, kw: Keywords) -> None:
        for key in ("m", "n"):
            value = kw[key]
            if value is None and key == "n":
                continue
            if value is None or value != int(value) or not 1 <= value <= MAX_INDEX:
                shown = "nothing" if value is None else format_constant(value)
                raise ArgumentError(f"reshape needs a whole size {key} from 1 to {MAX_INDEX}, "
                                    f"got {shown}: reshape(X, 2, 3)")

    def _target(self, kw: Keywords) -> tuple[int, ...]:
        return (int(kw["m"]),) if kw["n"] is None else (int(kw["m"]), int(kw["n"]))

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        target = self._target(kw)
        count = 1
        for size in target:
            count *= size
        dims.product_is(shapes[0], count, f"reshape to {target} needs {count} entries")
        return tuple(dims.new(size) for size in target)

    def evaluate(self, ops, args, kw, node):
        x = args[0]
        batch = x.shape[0]
        if x.ndim == 3:                 # column by column: the transpose's rows
            flat = x.transpose(0, 2, 1).reshape(batch, -1)
        else:
            flat = x.reshape(batch, -1)
        target = self._target(kw)
        if len(target) == 1:
            return flat
        return flat.reshape(batch, target[1], target[0]).transpose(0, 2, 1)
