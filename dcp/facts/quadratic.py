"""Quadratic forms decided exactly: the Hessian of a polynomial of degree two, and
whether it is positive semidefinite, over the rationals.

``x^2 + x*y + y^2`` has the constant Hessian ``[[2, 1], [1, 2]]``; a quadratic function is
convex exactly where its Hessian is positive semidefinite, concave where negative
semidefinite, and otherwise neither (on any open set). :func:`factor` decides it by
symmetric Gaussian elimination in exact arithmetic (an LDLᵀ factorisation): the
certificate ``H = L D Lᵀ`` with ``D >= 0`` is checked by :func:`is_factorisation` with
nothing but exact products, and an indefinite Hessian gives a direction ``d`` with
``dᵀ H d < 0`` (:func:`direction`), along which convexity fails exactly.

Part of the trusted base: the kernel checks the certificate with this module's
:func:`hessian` and :func:`is_factorisation`.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable, NamedTuple

from .algebra import Poly

__all__ = ["Hessian", "hessian", "Factorisation", "factor", "is_factorisation", "direction",
           "quadratic_value"]

Matrix = list[list[Fraction]]


class Hessian(NamedTuple):
    """The constant Hessian of a polynomial of degree at most two in ``variables`` (ids,
    sorted), or why there is none."""

    variables: tuple[int, ...]
    matrix: Matrix


def hessian(poly: Poly, variables: Iterable[int]) -> Hessian | None:
    """The Hessian in ``variables`` of ``poly``, whose other symbols are constants; None
    when a monomial has degree more than two in the variables, or degree two with a
    factor that is not a variable (a parameter's coefficient is no number)."""
    variables = frozenset(variables)
    quadratic: dict[tuple[int, int], Fraction] = {}
    for monomial, coefficient in poly.items():
        inside = [s for s in monomial if s in variables]
        if len(inside) > 2 or (len(inside) == 2 and len(monomial) > 2):
            return None
        if len(inside) == 2:
            quadratic[(inside[0], inside[1])] = coefficient
    order = tuple(sorted({s for pair in quadratic for s in pair}))
    where = {s: i for i, s in enumerate(order)}
    matrix = [[Fraction(0)] * len(order) for _ in order]
    for (a, b), coefficient in quadratic.items():
        i, j = where[a], where[b]
        if i == j:
            matrix[i][i] += 2 * coefficient
        else:
            matrix[i][j] += coefficient
            matrix[j][i] += coefficient
    return Hessian(order, matrix)


class Factorisation(NamedTuple):
    """``H = L D Lᵀ``: ``lower`` unit lower triangular, ``diagonal`` its D."""

    lower: Matrix
    diagonal: list[Fraction]


def factor(matrix: Matrix) -> Factorisation | tuple[int, int | None]:
    """An LDLᵀ factorisation of ``matrix`` with ``D >= 0`` when it is positive
    semidefinite; else ``(k, j)``: the elimination step that shows it is not (a negative
    pivot ``k``, j None; or a zero pivot ``k`` with a nonzero ``j`` below it), for
    :func:`direction`. Exact: Gaussian elimination over the rationals, no pivoting needed
    (a zero pivot of a semidefinite matrix has a zero column)."""
    n = len(matrix)
    work = [list(row) for row in matrix]
    lower = [[Fraction(int(i == j)) for j in range(n)] for i in range(n)]
    diagonal: list[Fraction] = []
    for k in range(n):
        pivot = work[k][k]
        if pivot < 0:
            return (k, None)
        if pivot == 0:
            for j in range(k + 1, n):
                if work[j][k] != 0:
                    return (k, j)
            diagonal.append(Fraction(0))
            continue
        diagonal.append(pivot)
        for i in range(k + 1, n):
            ratio = work[i][k] / pivot
            lower[i][k] = ratio
            if ratio:
                for j in range(k + 1, i + 1):
                    work[i][j] -= ratio * work[j][k]
                    work[j][i] = work[i][j]
    return Factorisation(lower, diagonal)


def is_factorisation(matrix: Matrix, certificate: Factorisation) -> bool:
    """Whether ``matrix == L D Lᵀ`` exactly with ``L`` unit lower triangular and every
    entry of ``D`` at least 0: the proof that ``matrix`` is positive semidefinite."""
    lower, diagonal = certificate
    n = len(matrix)
    if len(lower) != n or len(diagonal) != n or any(len(row) != n for row in lower):
        return False
    if any(d < 0 for d in diagonal):
        return False
    for i in range(n):
        if lower[i][i] != 1 or any(lower[i][j] != 0 for j in range(i + 1, n)):
            return False
    # Sparse rows: a diagonal or banded Hessian (the commonest) costs O(n^2), not O(n^3).
    rows = [{k: value * diagonal[k] for k, value in enumerate(row[:i + 1]) if value and diagonal[k]}
            for i, row in enumerate(lower)]
    for i in range(n):
        for j in range(i + 1):
            total = sum((value * lower[j][k] for k, value in rows[i].items() if k <= j), Fraction(0))
            if total != matrix[i][j] or matrix[i][j] != matrix[j][i]:
                return False
    return True


def direction(matrix: Matrix, failure: tuple[int, int | None]) -> list[Fraction]:
    """A direction ``d`` with ``dᵀ matrix d < 0``, from where :func:`factor` stopped.

    After eliminating the pivots before ``k``, ``matrix = M [[D, 0], [0, S]] Mᵀ`` with M
    unit lower triangular. A vector y on the remaining coordinates with ``yᵀ S y < 0``
    gives ``d = M^-ᵀ y``: ``e_k`` for a negative pivot, ``s e_k + e_j`` with ``2 s S_jk +
    S_jj = -1`` for a zero pivot with ``S_jk != 0``. Checked exactly before it is
    returned."""
    n = len(matrix)
    k, j = failure
    work = [list(row) for row in matrix]
    lower = [[Fraction(int(a == b)) for b in range(n)] for a in range(n)]
    for p in range(k):                      # the elimination :func:`factor` did
        pivot = work[p][p]
        if pivot == 0:
            continue
        for i in range(p + 1, n):
            ratio = work[i][p] / pivot
            lower[i][p] = ratio
            for c in range(p + 1, n):
                work[i][c] -= ratio * work[p][c]
    y = [Fraction(0)] * n
    if j is None:
        y[k] = Fraction(1)
    else:
        y[k] = (-1 - work[j][j]) / (2 * work[j][k])
        y[j] = Fraction(1)
    d = [Fraction(0)] * n                   # solve Lᵀ d = y, back to front
    for i in reversed(range(n)):
        d[i] = y[i] - sum((lower[r][i] * d[r] for r in range(i + 1, n)), Fraction(0))
    if quadratic_value(matrix, d) >= 0:
        raise AssertionError("no descent direction: the elimination is wrong")
    return d


def quadratic_value(matrix: Matrix, d: list[Fraction]) -> Fraction:
    """``dᵀ matrix d``, exactly."""
    n = len(d)
    return sum((d[i] * matrix[i][j] * d[j] for i in range(n) for j in range(n)), Fraction(0))
