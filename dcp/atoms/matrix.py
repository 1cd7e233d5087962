"""Functions of matrices, with CVXPY's names and meanings: quad_form, log_det, lambda_max,
lambda_min, sigma_max, norm_nuc, matrix_frac.

Each value is a scalar. None is monotone entry by entry (their monotonicity is in the
Loewner order, which the composition rule does not read), so each composes only with an
affine argument; ``quad_form`` is the exception where the signs allow.

The eigenvalue atoms and ``log_det`` and ``matrix_frac`` read a square matrix through its
symmetric part ``S(X) = (X + Xᵀ)/2``: on the symmetric matrices CVXPY asks for, that is X
itself; elsewhere it extends each function as a convex (concave) function of an affine
map of X, so every fact below holds on all square matrices.

Floats evaluate every atom (numpy). The Arb balls that prove a witness enclose each
rigorously: ``quad_form`` by sums of products, ``log_det`` by Arb's determinant (positive
definiteness by leading principal minors), ``matrix_frac`` by Arb's solve, the
eigenvalue and singular-value atoms by Arb's certified eigenvalue enclosures
(``acb_mat.eig``, of S(X), or of XᵀX for singular values). Where Arb cannot isolate the
eigenvalues or decide definiteness, the value is a NaN ball: that point is not certainly
valid and proves nothing (the witness is refused, never guessed).
"""
from __future__ import annotations

import math
from typing import Sequence

from ..facts import NONNEG, NONPOS, REALS, Curvature, Interval, Monotonicity
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..facts.balls import monotone
from ..facts.structure import structure_of
from .base import Atom, Keywords, Ranges

_UP, _DOWN, _NONE = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING, Monotonicity.NONE


def _square(shape: Sym, dims: Dims, atom: str) -> None:
    """``shape`` must be a square matrix's (its two dimensions made one)."""
    if len(shape) != 2:
        raise ShapeMismatch(f"{atom} needs a square matrix")
    dims.unify(*shape, why=f"{atom} needs a square matrix")


def _vector_and_matrix(shapes: Sequence[Sym], dims: Dims, atom: str) -> Sym:
    """``x`` of shape (n,) and ``P`` of shape (n, n), or both scalars (a 1 x 1 ``P``)."""
    x, p = shapes
    if not x and not p:
        return ()
    if len(x) != 1:
        raise ShapeMismatch(f"the first argument of {atom} must be a vector")
    _square(p, dims, atom)
    dims.unify(x[0], p[0], why=f"{atom}(x, P) needs P of shape (n, n) for x of shape (n,)")
    return ()


def _symmetric_part(x):
    """S(X) = (X + Xᵀ)/2 of a batch of matrices (floats or balls)."""
    return (x + x.swapaxes(1, 2)) / 2


def _matrices(x):
    """A batch of values as a batch of matrices: a scalar is a 1 x 1 matrix."""
    return x.reshape(x.shape[0], 1, 1) if x.ndim == 1 else x


def _lapack(function, matrices):
    """``function`` (a batched numpy.linalg call returning an array) of a batch of float
    matrices, NaN for those with a non-finite entry (LAPACK is given zeros in their place)
    or where LAPACK fails on that matrix."""
    import numpy as np
    finite = np.isfinite(matrices).all(axis=(1, 2))
    safe = np.where(finite[:, None, None], matrices, 0.0)
    try:
        value = function(safe)
    except np.linalg.LinAlgError:                   # one matrix: find it, the others stand
        rows = []
        for i, matrix in enumerate(safe):
            try:
                rows.append(function(matrix[None])[0])
            except np.linalg.LinAlgError:
                finite[i] = False
                rows.append(function(np.zeros_like(matrix)[None])[0])
        value = np.stack(rows)
    return np.where(finite.reshape((-1,) + (1,) * (value.ndim - 1)), value, np.nan)


def _stacked(eigenvalues, vectors):
    """eigh's pairs as one array per matrix: the eigenvalues on top of the vectors."""
    import numpy as np
    return np.concatenate([eigenvalues[:, None, :], vectors], axis=1)


def _float_definite(matrices):
    """Which float symmetric matrices of the batch are positive definite (NaN: no)."""
    import numpy as np
    return _lapack(np.linalg.eigvalsh, matrices)[:, 0] > 0


def _form(x, p):
    """xᵀ P x per batch row, by sums of products (so balls stay rigorous)."""
    if x.ndim == 1:
        return x * p * x
    return (x[:, :, None] * p * x[:, None, :]).sum(axis=(1, 2))


class _Matrix(Atom):
    """A scalar function of one square matrix, not monotone entry by entry."""

    reduces = True

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        if shapes[0]:
            _square(shapes[0], dims, self.name)
        return ()

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _NONE


class QuadForm(Atom):
    """quad_form(x, P) = xᵀ P x: convex for a parameter P assumed psd, concave for nsd.

    P's structure is read from its range (the assumption ``P psd``; a parameter is
    constant, so the form is convex in x). Shapes x (n,), P (n, n), or both scalars.

    Monotone in x where the signs decide: with every entry of P nonnegative, the gradient
    (P + Pᵀ) x is nonnegative for x >= 0 (nondecreasing) and nonpositive for x <= 0."""

    name = "quad_form"
    min_args = max_args = 2
    reduces = True
    formula = "x.T @ P @ x"
    #: The argument whose structure the facts read (a literal one is decided exactly:
    #: :mod:`dcp.methods.structure`).
    structured_argument = 1

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        facts = structure_of(args[1])
        if "zero" in facts:
            return Curvature.AFFINE
        if "psd" in facts:
            return Curvature.CONVEX
        if "nsd" in facts:
            return Curvature.CONCAVE
        return Curvature.UNKNOWN

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        x, p = args
        if index == 1 or not (x.is_nonneg or x.is_nonpos):
            return _NONE
        if p.is_nonneg:
            return _UP if x.is_nonneg else _DOWN
        if p.is_nonpos:
            return _DOWN if x.is_nonneg else _UP
        return _NONE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        x, p = args
        facts = structure_of(p)
        same_signs = x.is_nonneg or x.is_nonpos           # then every x_i x_j >= 0
        lower = "psd" in facts or (same_signs and p.is_nonneg)
        upper = "nsd" in facts or (same_signs and p.is_nonpos)
        if lower and upper:
            return Interval(0.0, 0.0)
        return NONNEG if lower else NONPOS if upper else REALS

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        return _vector_and_matrix(shapes, dims, self.name)

    def evaluate(self, ops, args, kw, node):
        return _form(args[0], args[1])


class LogDet(_Matrix):
    """log_det(X) = log det X: concave on the positive definite matrices.

    Read through S(X), the symmetric part; undefined where S(X) is not positive
    definite."""

    name = "log_det"
    formula = "log(det(X))"
    definite_arguments = (0,)

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONCAVE

    def evaluate(self, ops, args, kw, node):
        s = _symmetric_part(_matrices(args[0]))
        if ops.name == "arb":
            return _each_matrix(s, _arb_log_det)
        import numpy as np
        # (positive definite: the determinant is positive, so its log is slogdet's)
        return np.where(_float_definite(s), _lapack(lambda m: np.linalg.slogdet(m)[1], s), np.nan)


class LambdaMax(_Matrix):
    """lambda_max(X): the largest eigenvalue of a symmetric X; convex.

    Of S(X) for any square X; at least every diagonal entry."""

    name = "lambda_max"
    formula = "max(eigenvalues(X))"

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # lambda_max(S) >= e_1ᵀ S e_1 = X_11, an entry.
        return Interval(args[0].lo, math.inf, args[0].lo_open)

    def evaluate(self, ops, args, kw, node):
        return _extreme_eigenvalue(ops, args[0], "max")


class LambdaMin(_Matrix):
    """lambda_min(X): the smallest eigenvalue of a symmetric X; concave.

    Of S(X) for any square X; at most every diagonal entry."""

    name = "lambda_min"
    formula = "min(eigenvalues(X))"

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONCAVE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return Interval(-math.inf, args[0].hi, False, args[0].hi_open)

    def evaluate(self, ops, args, kw, node):
        return _extreme_eigenvalue(ops, args[0], "min")


def _extreme_eigenvalue(ops, x, end: str):
    """The largest (``end`` "max") or smallest ("min") eigenvalue of S(X), per matrix of
    the batch: certified by Arb in balls, by LAPACK's eigvalsh (ascending) in floats."""
    s = _symmetric_part(_matrices(x))
    if ops.name == "arb":
        return _each_matrix(s, lambda m: _arb_eigenvalues(m, end))
    import numpy as np
    return _lapack(np.linalg.eigvalsh, s)[:, -1 if end == "max" else 0]


class _Singular(Atom):
    """A convex, nonnegative function of a matrix's singular values (any m x n)."""

    reduces = True

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # At least the spectral norm, which is at least |X_11|.
        smallest = abs(args[0])
        return Interval(smallest.lo, math.inf, smallest.lo_open)

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        if len(shapes[0]) == 1:
            raise ShapeMismatch(f"{self.name} needs a matrix")
        return ()

    #: How the singular values combine: "max" or "sum".
    combine = "max"

    def evaluate(self, ops, args, kw, node):
        x = _matrices(args[0])
        if ops.name == "arb":
            return _each_matrix(x, lambda m: _arb_singular(m, self.combine))
        import numpy as np
        values = _lapack(lambda m: np.linalg.svd(m, compute_uv=False), x)
        return values[:, 0] if self.combine == "max" else values.sum(axis=1)


class SigmaMax(_Singular):
    """sigma_max(X): the largest singular value (the spectral norm); convex, nonnegative."""

    name = "sigma_max"
    formula = "max(singular_values(X))"


class NormNuc(_Singular):
    """norm_nuc(X): the sum of the singular values (the nuclear norm); convex, nonnegative."""

    name = "norm_nuc"
    formula = "sum(singular_values(X))"
    combine = "sum"


class MatrixFrac(Atom):
    """matrix_frac(x, P) = xᵀ P⁻¹ x for positive definite P: jointly convex, nonnegative.

    Read through S(P); undefined where S(P) is not positive definite. Shapes x (n,),
    P (n, n), or both scalars (x²/P)."""

    name = "matrix_frac"
    min_args = max_args = 2
    definite_arguments = (1,)
    reduces = True
    formula = "x.T @ inv(P) @ x"

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        return _NONE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return NONNEG

    def shape(self, shapes, kw, data, dims: Dims) -> Sym:
        return _vector_and_matrix(shapes, dims, self.name)

    def evaluate(self, ops, args, kw, node):
        x, p = args
        columns = x[:, :, None] if x.ndim == 2 else x.reshape(-1, 1, 1)
        s = _symmetric_part(_matrices(p))
        if ops.name == "arb":
            rows = [_arb_frac(s[i], columns[i]) for i in range(s.shape[0])]
            import numpy as np
            out = np.empty(len(rows), dtype=object)
            out[:] = rows
            return out
        import numpy as np
        # xᵀ S⁻¹ x = Σ (qᵢᵀ x)² / λᵢ over S's eigenpairs: no solve to fail near singular.
        pairs = _lapack(lambda m: _stacked(*np.linalg.eigh(m)), s)
        eigenvalues, vectors = pairs[:, 0, :], pairs[:, 1:, :]
        projections = (vectors * columns).sum(axis=1)
        with np.errstate(all="ignore"):
            value = (projections * projections / eigenvalues).sum(axis=1)
        return np.where(eigenvalues[:, 0] > 0, value, np.nan)


# ---- Arb -------------------------------------------------------------------------------
def _each_matrix(s, function):
    """``function`` of each matrix of a batch of balls, as an object array."""
    import numpy as np
    out = np.empty(s.shape[0], dtype=object)
    out[:] = [function(s[i]) for i in range(s.shape[0])]
    return out


def _arb_matrix(rows):
    from flint import arb_mat
    return arb_mat([[entry for entry in row] for row in rows])


def _ball_definite(s) -> bool:
    """Whether the symmetric ball matrix ``s`` is certainly positive definite: every
    leading principal minor certainly positive (Sylvester's criterion)."""
    return all(_arb_matrix(s[:k, :k]).det() > 0 for k in range(1, s.shape[0] + 1))


def _arb_log_det(s):
    from flint import arb
    if not _ball_definite(s):
        return arb.nan()
    return _arb_matrix(s).det().log()


def _arb_frac(s, column):
    from flint import arb
    if not _ball_definite(s):
        return arb.nan()
    solved = _arb_matrix(s).solve(_arb_matrix(column))
    return sum((column[i, 0] * solved[i, 0] for i in range(s.shape[0])), arb(0))


def _eigenvalues(matrix) -> list | None:
    """Balls holding the eigenvalues (real: ``matrix`` is symmetric) of the ball matrix,
    with their multiplicities, or None when Arb cannot isolate them."""
    try:
        found = matrix.eig(multiple=True)
    except ValueError:
        return None
    values = [v.real for v in found]
    return values if all(v.is_finite() for v in values) else None


def _arb_eigenvalues(s, which: str):
    """The largest (``"max"``) or smallest eigenvalue of the symmetric ball matrix ``s``:
    the max (min) of balls holding all of them holds it."""
    from flint import arb
    values = _eigenvalues(_arb_matrix(s))
    if values is None:
        return arb.nan()
    best = values[0]
    for v in values[1:]:
        best = best.max(v) if which == "max" else best.min(v)
    return best


def _arb_singular(x, combine: str):
    """The largest singular value of ``x`` or their sum: square roots of the eigenvalues
    of XᵀX (each at least 0, so a ball reaching below 0 is cut there first)."""
    from flint import arb
    m = _arb_matrix(x)
    values = _eigenvalues(m.transpose() * m)
    if values is None:
        return arb.nan()
    roots = [monotone(lambda e: e.sqrt(), arb(v.lower()).max(arb(0)).union(v.upper()))
             for v in values]
    if combine == "max":
        best = roots[0]
        for r in roots[1:]:
            best = best.max(r)
        return best
    return sum(roots[1:], roots[0])
