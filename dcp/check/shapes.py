"""Shape inference over a proof: ranks 0-2, symbolic dimensions, small instances.

Every value is an array of rank 0, 1 or 2. Each free name gets a rank (declared, or
guessed from how it is used: the left operand of ``@`` is a matrix, the entries of a
vector literal are scalars, ...); dimensions are unknowns unified by the operations
(``(m, n) @ (n,)``). When the guessed ranks cannot agree, a bounded search tries others;
when nothing agrees, that is a :class:`ShapeError` naming both sides.

Inference walks the proof's steps rather than the raw AST, so atoms are already resolved
and losses already expanded. Each atom states its own shape rule (``Atom.shape``).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping

from ..errors import ShapeError
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..proof import Proof, Step
from ..syntax.ast import (
    Binary,
    Call,
    Index,
    Name,
    Transpose,
    Unary,
    Vector,
)

__all__ = ["ShapeSolution", "infer_shapes"]


@dataclass(frozen=True)
class ShapeSolution:
    """Ranks and dimension classes that make the whole expression well shaped.

    ``names`` maps each free name to its symbolic shape; ``dims`` holds the classes, with
    their fixed sizes and minimums; ``steps`` the shape of every step.
    """

    names: Mapping[str, Sym]
    dims: Dims
    steps: Mapping[int, Sym]

    def template(self) -> dict[str, tuple[str, ...]]:
        """Shapes with letters for free dimensions: ``{"W1": ("a", "b"), "x": ("b",)}``."""
        letters = {}
        out = {}
        for name, shape in self.names.items():
            dims = []
            for d in shape:
                root = self.dims.find(d)
                size = self.dims.size[root]
                if size is None:
                    letters.setdefault(root, "abcdefghijklmnopqrstuvwxyz"[len(letters) % 26])
                dims.append(str(size) if size is not None else letters[root])
            out[name] = tuple(dims)
        return out

    def instantiate(self, sizes: Mapping[int, int]) -> dict[str, tuple[int, ...]]:
        """Concrete shapes, given a size for each free dimension class."""
        return {name: tuple(self.dims.size[self.dims.find(d)] or sizes[self.dims.find(d)]
                            for d in shape) for name, shape in self.names.items()}

    def free_dims(self) -> list[tuple[int, int]]:
        """The dimension classes without a fixed size, with their minimum sizes."""
        return [(d, self.dims.minimum[d]) for d in self.dims.classes() if self.dims.size[d] is None]


# ---- rank guesses -------------------------------------------------------------------------


def _rank_hints(proof: Proof) -> dict[str, int]:
    """A likely rank for each free name, from the positions it appears in."""
    hints: dict[str, int] = {}
    nodes = [step.node for step in proof.steps()]
    # A product that is itself the left operand of @ is a matrix: (A @ B) @ x.
    left_of_matmul = {id(n.left) for n in nodes if type(n) is Binary and n.op == "@"}
    for node in nodes:
        kind = type(node)
        if kind is Binary:
            if node.op != "@":
                continue
            wanted = [(node.left, 2), (node.right, 2 if id(node) in left_of_matmul else 1)]
        elif kind is Vector:
            wanted = [(item, 0) for item in node.items]
        elif kind is Call:
            if node.func == "trace":
                wanted = [(node.args[0], 2)]
            elif node.func == "quad_over_lin" and len(node.args) == 2:
                wanted = [(node.args[1], 0)]
            elif any(k == "axis" for k, _ in node.kwargs):
                wanted = [(node.args[0], 2)]
            else:
                continue
        elif kind is Index:
            wanted = [(node.operand, len(node.indices))]
        else:
            continue
        for target, rank in wanted:
            while isinstance(target, (Transpose, Unary)):
                target = target.operand
            if isinstance(target, Name):
                hints.setdefault(target.id, rank)
    return hints


def _free_names(proof: Proof) -> list[str]:
    names: dict[str, None] = {}                      # ordered, and linear in the steps
    for step in proof.steps():
        if step.rule in ("variable", "parameter"):
            names.setdefault(step.node.id)
    return list(names)


# ---- inference ---------------------------------------------------------------------------


def _infer(proof: Proof, ranks: Mapping[str, int], declared: Mapping[str, tuple[int, ...]],
           order: list[Step]) -> ShapeSolution:
    dims = Dims()
    names: dict[str, Sym] = {}
    for name, rank in ranks.items():
        if name in declared:
            names[name] = tuple(dims.new(n) for n in declared[name])
        else:
            names[name] = tuple(dims.new() for _ in range(rank))
    shapes: dict[int, Sym] = {}
    for step in order:
        try:
            shapes[id(step)] = _step_shape(step, [shapes[id(p)] for p in step.premises], names, dims)
        except ShapeMismatch as mismatch:
            mismatch.step = mismatch.step or step
            mismatch.sides = [(p.text, _show(shapes[id(p)], dims)) for p in step.premises[:2]]
            raise
    return ShapeSolution(names, dims, shapes)


def _step_shape(step: Step, premises: list[Sym], names: Mapping[str, Sym], dims: Dims) -> Sym:
    rule = step.rule
    if rule == "composition" or rule == "product":         # the commonest first
        return step.atom.shape(premises, dict(step.kwargs) if step.kwargs else {}, step.node, dims)
    if rule == "variable" or rule == "parameter":
        return names[step.node.id]
    if rule == "number":
        return ()
    if rule in ("binding", "expansion", "rewrite"):
        return premises[0]
    if rule in ("quotient", "reciprocal"):
        return dims.broadcast(premises, "the two sides of / must have the same shape")
    raise TypeError(f"no shape rule for {rule!r} steps")


def _show(shape: Sym, dims: Dims) -> str:
    """``(3, 4)``, with ``?`` for a dimension not fixed yet."""
    sizes = [str(dims.size[dims.find(d)] or "?") for d in shape]
    return "(" + ", ".join(sizes) + ("," if len(sizes) == 1 else "") + ")"


def _mismatch_error(mismatch: ShapeMismatch) -> ShapeError:
    step = mismatch.step
    where = f" at `{step.text}`" if step is not None else ""
    sides = mismatch.sides
    named = f" (`{sides[0][0]}` is {sides[0][1]}, `{sides[1][0]}` is {sides[1][1]})" if len(sides) == 2 else ""
    return ShapeError(f"shapes cannot agree{where}{named}: {mismatch.message}",
                      span=step.span if step is not None else None)


def infer_shapes(proof: Proof, declared: Mapping[str, tuple[int, ...]] | None = None,
                 *, alternatives: int = 3, work: int = 200_000) -> list[ShapeSolution]:
    """Consistent shape solutions, the most likely first (at most ``1 + alternatives``).

    ``work`` bounds the search: about that many step visits in all, so a huge expression
    is inferred once rather than tried many ways. Raises :class:`ShapeError` when no
    assignment of ranks tried makes the expression agree.
    """
    declared = dict(declared or {})
    order = list(proof.steps())
    budget = max(2, work // max(len(order), 1))
    names = _free_names(proof)
    hints = _rank_hints(proof)
    preferred = {n: len(declared[n]) if n in declared else hints.get(n, 1) for n in names}
    solutions: list[ShapeSolution] = []
    first_error: ShapeMismatch | None = None
    tried = 0
    for ranks in _rank_candidates(names, preferred, declared):
        tried += 1
        try:
            solutions.append(_infer(proof, ranks, declared, order))
        except ShapeMismatch as mismatch:
            first_error = first_error or mismatch
        if len(solutions) > alternatives or tried >= budget:
            break
    if not solutions:
        raise _mismatch_error(first_error or ShapeMismatch("no ranks fit"))
    return solutions


def _rank_candidates(names: list[str], preferred: Mapping[str, int], declared):
    """The preferred ranks first, then those that change the fewest names."""
    yield dict(preferred)
    free = [n for n in names if n not in declared]
    for count in range(1, min(len(free), 3) + 1):
        for changed in itertools.combinations(free, count):
            options = [[r for r in (1, 0, 2) if r != preferred[n]] for n in changed]
            for choice in itertools.product(*options):
                ranks = dict(preferred)
                ranks.update(zip(changed, choice))
                yield ranks
