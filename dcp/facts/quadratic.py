"""Quadratic forms decided exactly: the Hessian of a polynomial of degree two, and
whether it is positive semidefinite, over the rationals.

``x^2 + x*y + y^2`` has the constant Hessian ``[[2, 1], [1, 2]]``; a quadratic function is
convex exactly where its Hessian is positive semidefinite, concave where negative
semidefinite, and otherwise neither (on any open set). :func:`factor` decides it by
symmetric Gaussian elimination in exact arithmetic (an LDLᵀ factorisation): the
certificate ``H = L D Lᵀ`` with ``D >= 0`` is checked by :func:`is_factorisation` with
nothing but exact products, and an indefinite Hessian gives a direction ``d`` with
``dᵀ H d < 0`` (:func:`direction`), along which convexity fails exactly.

Matrices are sparse: a list of rows, each a dict ``{column: entry}`` of its nonzero
entries (the Hessians of real models are mostly diagonal or banded: a sum of thousands of
squares is decided in linear time, not cubic).

Part of the trusted base: the kernel checks the certificate with this module's
:func:`hessian` and :func:`is_factorisation`.
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable, NamedTuple

from .algebra import Poly, accumulate

__all__ = ["Hessian", "hessian", "Factorisation", "factor", "is_factorisation", "direction",
           "quadratic_value", "negated", "rows_of", "elimination_order"]

#: A sparse matrix: row i is ``{j: entry}`` for its nonzero entries.
Rows = list[dict[int, Fraction]]


class Hessian(NamedTuple):
    """The constant Hessian of a polynomial of degree at most two in ``variables`` (ids,
    sorted), as sparse symmetric rows."""

    variables: tuple[int, ...]
    matrix: Rows


def hessian(poly: Poly, variables: Iterable[int], order: Iterable[int] | None = None
            ) -> Hessian | None:
    """The Hessian in ``variables`` of ``poly``, whose other symbols are constants; None
    when a monomial has degree more than two in the variables, or degree two with a
    factor that is not a variable (a parameter's coefficient is no number). Its rows and
    columns are the variables of its terms of degree two, sorted, or in ``order`` (which
    must list exactly those: else None)."""
    variables = frozenset(variables)
    quadratic: dict[tuple[int, int], Fraction] = {}
    for monomial, coefficient in poly.items():
        inside = [s for s in monomial if s in variables]
        if len(inside) > 2 or (len(inside) == 2 and len(monomial) > 2):
            return None
        if len(inside) == 2:
            quadratic[(inside[0], inside[1])] = coefficient
    present = {s for pair in quadratic for s in pair}
    if order is None:
        order = tuple(sorted(present))
    else:
        order = tuple(order)
        if len(order) != len(present) or set(order) != present:
            return None
    where = {s: i for i, s in enumerate(order)}
    matrix: Rows = [{} for _ in order]
    for (a, b), coefficient in quadratic.items():
        i, j = where[a], where[b]
        if i == j:
            accumulate(matrix[i], i, 2 * coefficient)
        else:
            accumulate(matrix[i], j, coefficient)
            accumulate(matrix[j], i, coefficient)
    return Hessian(order, matrix)


def elimination_order(hessian_found: Hessian, budget: int = 2_000_000) -> tuple[int, ...] | None:
    """The variables in an order to eliminate them with little fill (greedy minimum
    degree: a variable with the fewest neighbours first), so that a hub coupled to every
    other variable goes last and the elimination stays linear; None when even so the fill
    would pass ``budget`` entries (a dense Hessian of thousands of variables)."""
    variables, matrix = hessian_found
    neighbours = [set(j for j in row if j != i) for i, row in enumerate(matrix)]
    alive = set(range(len(matrix)))
    order, fill = [], 0
    buckets: dict[int, set[int]] = {}
    for i in alive:
        buckets.setdefault(len(neighbours[i]), set()).add(i)
    degree = [len(n) for n in neighbours]
    while alive:
        smallest = min(d for d, members in buckets.items() if members)
        i = buckets[smallest].pop()
        alive.discard(i)
        order.append(variables[i])
        around = neighbours[i]
        fill += len(around) * len(around)
        if fill > budget:
            return None
        for j in around:
            neighbours[j].discard(i)
            neighbours[j] |= around - {j}
        for j in around:                    # their degrees changed
            buckets[degree[j]].discard(j)
            degree[j] = len(neighbours[j])
            buckets.setdefault(degree[j], set()).add(j)
    return tuple(order)


def rows_of(dense: list[list]) -> Rows:
    """A dense matrix (lists) as sparse rows."""
    return [{j: Fraction(v) for j, v in enumerate(row) if v} for row in dense]


def negated(matrix: Rows) -> Rows:
    return [{j: -v for j, v in row.items()} for row in matrix]


class Factorisation(NamedTuple):
    """``H = L D Lᵀ``: ``lower`` unit lower triangular, as sparse rows of the entries
    below the diagonal (the ones on it are implied); ``diagonal`` its D."""

    lower: Rows
    diagonal: list[Fraction]


def _eliminate(matrix: Rows, stop: int | None = None):
    """Symmetric Gaussian elimination of ``matrix`` (a copy), pivot by pivot in order, up
    to pivot ``stop`` (all by default). Returns ``(lower, diagonal, work, failure)``:
    ``failure`` is None, or ``(k, None)`` for a negative pivot k, or ``(k, j)`` for a zero
    pivot k with a nonzero entry j below it (no semidefinite matrix has either: a zero
    pivot of one has a zero column). ``work`` is what remains (the Schur complement)."""
    n = len(matrix)
    work = [dict(row) for row in matrix]
    lower: Rows = [{} for _ in range(n)]
    diagonal: list[Fraction] = []
    for k in range(n if stop is None else stop):
        pivot = work[k].get(k, Fraction(0))
        below = {i: v for i, v in work[k].items() if i > k}
        if pivot < 0:
            return lower, diagonal, work, (k, None)
        if pivot == 0:
            if below:
                return lower, diagonal, work, (k, min(below))
            diagonal.append(Fraction(0))
            continue
        diagonal.append(pivot)
        for i, value in below.items():
            ratio = value / pivot
            lower[i][k] = ratio
            row = work[i]
            for j, other in below.items():      # S_ij -= A_ik A_kj / A_kk
                accumulate(row, j, -ratio * other)
            row.pop(k, None)
        work[k] = {k: pivot}
    return lower, diagonal, work, None


def factor(matrix: Rows) -> Factorisation | tuple[int, int | None]:
    """An LDLᵀ factorisation of ``matrix`` with ``D >= 0`` when it is positive
    semidefinite; else where the elimination shows it is not (see :func:`direction`).
    Exact: Gaussian elimination over the rationals, no pivoting needed."""
    lower, diagonal, _, failure = _eliminate(matrix)
    return Factorisation(lower, diagonal) if failure is None else failure


def is_factorisation(matrix: Rows, certificate: Factorisation) -> bool:
    """Whether ``matrix == L D Lᵀ`` exactly, with ``L`` unit lower triangular and every
    entry of ``D`` at least 0: the proof that ``matrix`` is positive semidefinite."""
    try:
        lower, diagonal = certificate
        lower, diagonal = list(lower), list(diagonal)
    except (TypeError, ValueError):
        return False
    n = len(matrix)
    # Exact numbers only: in floats, 3.0 * (1/3) rounds to 1.0 and a certificate of an
    # indefinite matrix could pass.
    if len(lower) != n or len(diagonal) != n or not all(_exact_number(d) and d >= 0 for d in diagonal):
        return False
    for i, row in enumerate(lower):
        if not isinstance(row, dict) or not all(type(k) is int and 0 <= k < i and _exact_number(v)
                                                for k, v in row.items()):
            return False
    # The product, column by column of L: column k adds D_k L_ik L_jk to entry (i, j).
    product: dict[tuple[int, int], Fraction] = {}
    columns: list[list[tuple[int, Fraction]]] = [[(k, Fraction(1))] for k in range(n)]
    for i, row in enumerate(lower):
        for k, value in row.items():
            if value:
                columns[k].append((i, value))
    for k, column in enumerate(columns):
        weight = diagonal[k]
        if not weight:
            continue
        for i, a in column:
            for j, b in column:
                if j <= i:
                    product[(i, j)] = product.get((i, j), 0) + weight * a * b
    for i, row in enumerate(matrix):
        for j, value in row.items():
            if matrix[j].get(i) != value:
                return False                    # not symmetric
            if j <= i and product.pop((i, j), 0) != value:
                return False
    return not any(product.values())


def _exact_number(value) -> bool:
    return type(value) is Fraction or type(value) is int


def direction(matrix: Rows, failure: tuple[int, int | None]) -> list[Fraction]:
    """A direction ``d`` with ``dᵀ matrix d < 0``, from where :func:`factor` stopped.

    After eliminating the pivots before ``k``, ``matrix = M [[D, 0], [0, S]] Mᵀ`` with M
    unit lower triangular. A vector y on the remaining coordinates with ``yᵀ S y < 0``
    gives ``d = M^-ᵀ y``: ``e_k`` for a negative pivot, ``s e_k + e_j`` with ``2 s S_jk +
    S_jj = -1`` for a zero pivot with ``S_jk != 0``. Checked exactly before it is
    returned."""
    n = len(matrix)
    k, j = failure
    lower, _, work, _ = _eliminate(matrix, stop=k)
    y = [Fraction(0)] * n
    if j is None:
        y[k] = Fraction(1)
    else:
        y[k] = (-1 - work[j].get(j, 0)) / (2 * work[j][k])
        y[j] = Fraction(1)
    d = list(y)                             # solve Lᵀ d = y, back to front
    for i in reversed(range(n)):
        for c, value in lower[i].items():   # row i of L is column i of Lᵀ
            d[c] -= value * d[i]
    if quadratic_value(matrix, d) >= 0:
        raise AssertionError("no descent direction: the elimination is wrong")
    return d


def quadratic_value(matrix: Rows, d: list[Fraction]) -> Fraction:
    """``dᵀ matrix d``, exactly."""
    return sum((d[i] * value * d[j] for i, row in enumerate(matrix) for j, value in row.items()),
               Fraction(0))
