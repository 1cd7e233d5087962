"""Symbolic array dimensions: the algebra shape rules are written in.

A shape is a tuple of dimension variables (``Sym``); :class:`Dims` unifies them, fixes
sizes and tracks minimum sizes. Atoms state their shape rule with it
(``Atom.shape``); :mod:`dcp.check.shapes` runs the inference.
"""
from __future__ import annotations

__all__ = ["Sym", "Dims", "ShapeMismatch"]

Sym = tuple[int, ...]          # a shape: one dimension variable per axis


class ShapeMismatch(Exception):
    """Shapes that cannot agree at ``step`` (internal; becomes a ShapeError)."""

    def __init__(self, message: str, step=None):
        super().__init__(message)
        self.message, self.step = message, step
        #: ``(text, shape)`` of the step's first two premises, once the step is known.
        self.sides: list[tuple[str, str]] = []


class Dims:
    """Dimension variables with union-find; each class may be fixed to a size and has a
    minimum size (an index ``a[2]`` needs at least 3 entries)."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.size: list[int | None] = []
        self.minimum: list[int] = []

    def new(self, size: int | None = None) -> int:
        self.parent.append(len(self.parent))
        self.size.append(size)
        self.minimum.append(size or 1)
        return len(self.parent) - 1

    def find(self, d: int) -> int:
        root = d
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[d] != root:
            self.parent[d], d = root, self.parent[d]
        return root

    def unify(self, a: int, b: int, why: str = "dimensions must agree") -> None:
        a, b = self.find(a), self.find(b)
        if a == b:
            return
        if self.size[a] is not None and self.size[b] is not None and self.size[a] != self.size[b]:
            raise ShapeMismatch(f"{why}: {self.size[a]} and {self.size[b]}")
        self.parent[b] = a
        self.size[a] = self.size[a] if self.size[a] is not None else self.size[b]
        self.minimum[a] = max(self.minimum[a], self.minimum[b])
        if self.size[a] is not None and self.size[a] < self.minimum[a]:
            raise ShapeMismatch(f"a dimension of size {self.size[a]} is indexed past its end")

    def at_least(self, d: int, n: int) -> None:
        d = self.find(d)
        self.minimum[d] = max(self.minimum[d], n)
        if self.size[d] is not None and self.size[d] < n:
            raise ShapeMismatch(f"index {n - 1} is out of range for a dimension of size {self.size[d]}")

    def same(self, a: Sym, b: Sym, why: str) -> Sym:
        if len(a) != len(b):
            raise ShapeMismatch(why)
        for x, y in zip(a, b):
            self.unify(x, y, why)
        return a

    def broadcast(self, shapes: list[Sym], why: str = "elementwise operands must have the same shape") -> Sym:
        """Scalars broadcast to anything; a vector broadcasts along a matrix's rows."""
        result: Sym = ()
        for shape in shapes:
            if len(shape) > len(result):
                result, shape = shape, result
            if shape:
                self.same(result[len(result) - len(shape):], shape, why)
        return result

    def classes(self) -> list[int]:
        return sorted({self.find(d) for d in range(len(self.parent))})
