"""Symbolic array dimensions: the algebra shape rules are written in.

A shape is a tuple of dimension variables (``Sym``); :class:`Dims` unifies them, fixes
sizes and tracks minimum sizes. Atoms state their shape rule with it
(``Atom.shape``); :mod:`dcp.check.shapes` runs the inference.
"""
from __future__ import annotations

from typing import Mapping, Sequence

__all__ = ["Sym", "Dims", "ShapeMismatch"]

Sym = tuple[int, ...]          # a shape: one dimension variable per axis

#: Why elementwise operands must agree (the default for broadcasting).
_SAME_SHAPE = "elementwise operands must have the same shape"


class ShapeMismatch(Exception):
    """Shapes that cannot agree at ``step`` (internal; becomes a ShapeError)."""

    def __init__(self, message: str, step=None):
        super().__init__(message)
        self.message, self.step = message, step
        #: ``(text, shape)`` of the step's first two premises, once the step is known.
        self.sides: list[tuple[str, str]] = []


class Dims:
    """Dimension variables with union-find; each class may be fixed to a size and has a
    minimum size (an index ``a[2]`` needs at least 3 entries). ``parent`` links each
    variable towards its class's root; a root's is ``None``."""

    __slots__ = ("parent", "size", "minimum")

    def __init__(self, count: int = 0, fixed: Mapping[int, int] | None = None) -> None:
        """``count`` classes to start with (the names' axes, made at once rather than one
        :meth:`new` each), free but for the sizes ``fixed`` gives some of them."""
        self.parent: list[int | None] = [None] * count
        self.size: list[int | None] = [None] * count
        self.minimum: list[int] = [1] * count
        if fixed:
            for d, n in fixed.items():
                self.size[d], self.minimum[d] = n, n or 1

    def new(self, size: int | None = None) -> int:
        self.parent.append(None)
        self.size.append(size)
        self.minimum.append(size or 1)
        return len(self.parent) - 1

    def find(self, d: int) -> int:
        """The root of ``d``'s class (compressing the path to it)."""
        parent = self.parent
        root = d
        while parent[root] is not None:
            root = parent[root]
        while d != root:
            up = parent[d]
            parent[d] = root
            d = up
        return root

    def unify(self, a: int, b: int, why: str = "dimensions must agree") -> None:
        """Put ``a`` and ``b`` in one class (``a``'s root stays the root)."""
        parent = self.parent
        if parent[a] is not None:           # most dimensions are their own root: no call
            a = self.find(a)
        if parent[b] is not None:
            b = self.find(b)
        if a == b:
            return
        size, minimum = self.size, self.minimum
        if size[a] is None:
            size[a] = size[b]
        elif size[b] is not None and size[a] != size[b]:
            raise ShapeMismatch(f"{why}: {size[a]} and {size[b]}")
        parent[b] = a
        if minimum[b] > minimum[a]:
            minimum[a] = minimum[b]
        if size[a] is not None and size[a] < minimum[a]:
            raise ShapeMismatch(f"a dimension of size {size[a]} is indexed past its end")

    def at_least(self, d: int, n: int) -> None:
        d = self.find(d)
        self.minimum[d] = max(self.minimum[d], n)
        if self.size[d] is not None and self.size[d] < n:
            raise ShapeMismatch(f"index {n - 1} is out of range for a dimension of size {self.size[d]}")

    def same(self, a: Sym, b: Sym, why: str) -> Sym:
        if len(a) != len(b):
            raise ShapeMismatch(why)
        unify = self.unify
        for x, y in zip(a, b):
            unify(x, y, why)
        return a

    def broadcast(self, shapes: Sequence[Sym], why: str = _SAME_SHAPE) -> Sym:
        """Scalars broadcast to anything; a vector broadcasts along a matrix's rows."""
        result: Sym = ()
        for shape in shapes:
            result = self.both(result, shape, why)
        return result

    def both(self, a: Sym, b: Sym, why: str = _SAME_SHAPE) -> Sym:
        """The longer of ``a`` and ``b``, its last axes made the other's (the broadcast
        of two shapes)."""
        if len(b) > len(a):
            a, b = b, a
        if b and a != b:                    # the same dimensions already agree
            if len(a) == len(b):            # the commonest: unified axis by axis
                unify = self.unify
                for x, y in zip(a, b):
                    unify(x, y, why)
            else:
                self.same(a[len(a) - len(b):], b, why)
        return a

    def classes(self) -> list[int]:
        return sorted({self.find(d) for d in range(len(self.parent))})
