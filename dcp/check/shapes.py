"""Shape inference over a proof: ranks 0-2, symbolic dimensions, small instances.

Every value is an array of rank 0, 1 or 2. Each free name gets a rank (declared, or
guessed from how it is used: the left operand of ``@`` is a matrix, the entries of a
vector literal are scalars, ...); dimensions are unknowns unified by the operations
(``(m, n) @ (n,)``). When the guessed ranks cannot agree, a bounded search tries others;
when nothing agrees, that is a :class:`ShapeError` naming both sides.

Inference is a loop over the proof's ids (:meth:`Proof.ids`) reading the tape's and the
facts' columns, so atoms are already resolved and losses already expanded, and no tree or
step is built unless a failure has to be worded. Each atom states its own shape rule
(``Atom.shape``).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Mapping

from ..errors import ShapeError
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..proof import Proof
from ..tape import Tape

__all__ = ["ShapeSolution", "infer_shapes"]


@dataclass(frozen=True)
class ShapeSolution:
    """Ranks and dimension classes that make the whole expression well shaped.

    ``names`` maps each free name to its symbolic shape; ``dims`` holds the classes, with
    their fixed sizes and minimums; ``steps`` the shape of every step, by node id.
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

#: The operators a name is looked through for a rank hint: ``-W @ x`` and ``W.T @ x``
#: still say that ``W`` is a matrix.
_SEE_THROUGH = frozenset(("neg", "pos", ".T"))


def _rank_hints(proof: Proof) -> dict[str, int]:
    """A likely rank for each free name, from the positions it appears in."""
    tape = proof.tape
    ops, data, args = tape.op, tape.data, tape.args
    order = proof.ids()
    # A product that is itself the left operand of @ is a matrix: (A @ B) @ x.
    left_of_matmul = {args[i][0] for i in order if ops[i] == "@"}
    hints: dict[str, int] = {}
    for i in order:
        op = ops[i]
        if op == "@":
            wanted = [(args[i][0], 2), (args[i][1], 2 if i in left_of_matmul else 1)]
        elif op == "[...]":
            wanted = [(item, 0) for item in args[i]]
        elif op == "call":
            wanted = _call_hints(tape, i)
        elif op == "[]":
            wanted = [(args[i][0], len(data[i]))]
        else:
            continue
        for target, rank in wanted:
            while ops[target] in _SEE_THROUGH:
                target = args[target][0]
            if ops[target] == "name":
                hints.setdefault(data[target], rank)
    return hints


def _call_hints(tape: Tape, index: int) -> list[tuple[int, int]]:
    """The ranks a call asks of its arguments: ``trace(X)`` and ``sum(X, axis=0)`` want a
    matrix, the ``y`` of ``quad_over_lin(x, y)`` a scalar."""
    func, keys = tape.data[index]
    positional = tape.args[index][:len(tape.args[index]) - len(keys)]
    if func == "trace":
        return [(positional[0], 2)]
    if func == "quad_over_lin" and len(positional) == 2:
        return [(positional[1], 0)]
    if "axis" in keys:
        return [(positional[0], 2)]
    return []


def _free_names(proof: Proof) -> list[str]:
    """The free names, in the order the proof first meets them."""
    rule, data = proof.facts.rule, proof.tape.data
    names: dict[str, None] = {}                      # ordered, and linear in the steps
    for i in proof.ids():
        if rule[i] == "variable" or rule[i] == "parameter":
            names.setdefault(data[i])
    return list(names)


# ---- inference ---------------------------------------------------------------------------


class _Failed(Exception):
    """Ranks that do not agree: the mismatch, the node where it arose, and the shapes
    found up to there (worded only if no ranks agree, so a search that goes on to succeed
    builds no text)."""

    def __init__(self, mismatch: ShapeMismatch, index: int, shapes: Mapping[int, Sym], dims: Dims):
        super().__init__(mismatch.message)
        self.mismatch, self.index, self.shapes, self.dims = mismatch, index, shapes, dims

    def worded(self, proof: Proof) -> ShapeMismatch:
        """The mismatch, with its step and its first two premises' texts and shapes."""
        mismatch, step = self.mismatch, proof.step
        mismatch.step = mismatch.step or step(self.index)
        mismatch.sides = [(step(p).text, _show(self.shapes[step(p).id], self.dims))
                          for p in proof.facts.premises[self.index][:2]]
        return mismatch


def _infer(proof: Proof, ranks: Mapping[str, int],
           declared: Mapping[str, tuple[int, ...]]) -> ShapeSolution:
    """The shapes of every step for these ranks of the names (raises :class:`_Failed`
    where they disagree)."""
    dims = Dims()
    names: dict[str, Sym] = {}
    for name, rank in ranks.items():
        if name in declared:
            names[name] = tuple(dims.new(n) for n in declared[name])
        else:
            names[name] = tuple(dims.new() for _ in range(rank))
    facts, data = proof.facts, proof.tape.data
    rules, atoms, kwargs, all_premises = facts.rule, facts.atom, facts.kwargs, facts.premises
    shapes: dict[int, Sym] = {}
    for i in proof.ids():          # premises first (and never a ``+a``: its operand instead)
        rule = rules[i]
        premises = [shapes[p] for p in all_premises[i]]
        try:
            if rule == "composition" or rule == "product":         # the commonest first
                kw = kwargs[i]
                shapes[i] = atoms[i].shape(premises, dict(kw) if kw else {}, data[i], dims)
            elif rule == "variable" or rule == "parameter":
                shapes[i] = names[data[i]]
            else:
                shapes[i] = _other_shape(rule, premises, dims)
        except ShapeMismatch as mismatch:
            raise _Failed(mismatch, i, shapes, dims) from mismatch
    return ShapeSolution(names, dims, shapes)


def _other_shape(rule: str, premises: list[Sym], dims: Dims) -> Sym:
    """The shape of a step that applies no atom."""
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
    budget = max(2, work // max(len(proof.ids()), 1))
    names = _free_names(proof)
    hints = _rank_hints(proof)
    preferred = {n: len(declared[n]) if n in declared else hints.get(n, 1) for n in names}
    solutions: list[ShapeSolution] = []
    first_error: _Failed | None = None
    tried = 0
    for ranks in _rank_candidates(names, preferred, declared):
        tried += 1
        try:
            solutions.append(_infer(proof, ranks, declared))
        except _Failed as failed:
            first_error = first_error or failed
        if len(solutions) > alternatives or tried >= budget:
            break
    if not solutions:
        mismatch = first_error.worded(proof) if first_error else ShapeMismatch("no ranks fit")
        raise _mismatch_error(mismatch)
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
