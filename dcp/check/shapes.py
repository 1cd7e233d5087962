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
from typing import Mapping, Sequence

from ..atoms.base import NO_KEYWORDS, Atom
from ..errors import ShapeError
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..proof import AS_WRITTEN, Proof, entrywise
from ..tape import postorder

__all__ = ["ShapeSolution", "infer_shapes", "shape_template"]


@dataclass(frozen=True, slots=True)
class ShapeSolution:
    """Ranks and dimension classes that make the whole expression well shaped.

    ``names`` maps each free name to its symbolic shape; ``dims`` holds the classes, with
    their fixed sizes and minimums; ``steps`` the shape of every step, by node id (None
    for a node that is no step).
    """

    names: Mapping[str, Sym]
    dims: Dims
    steps: Sequence[Sym | None]

    def template(self) -> dict[str, tuple[int | str, ...]]:
        """Shapes with letters for free dimensions: ``{"W1": ("a", 3), "x": (3,)}``."""
        return shape_template(self.names, self.dims)

    def instantiate(self, sizes: Mapping[int, int]) -> dict[str, tuple[int, ...]]:
        """Concrete shapes, given a size for each free dimension class."""
        size_of = self.dims.size_of
        return {name: tuple(size_of(d, sizes) for d in shape) for name, shape in self.names.items()}

    def free_dims(self) -> list[tuple[int, int]]:
        """The dimension classes without a fixed size, with their minimum sizes (not those
        a sum of others defines: ``hstack``, ``diff``)."""
        dims = self.dims
        return [(d, dims.minimum[d]) for d in dims.classes()
                if dims.size[d] is None and d not in dims.forms]


def shape_template(names: Mapping[str, Sym], dims: Dims) -> dict[str, tuple[int | str, ...]]:
    """The shapes of ``names``: a fixed size as an int, a declared letter as the user
    wrote it, a fresh letter (one no declared letter is) for each other free dimension
    class of ``dims`` in the order they are first met, a sum of them as its text (what
    :meth:`ShapeSolution.template` spells; apart, so that a result can spell them later
    holding the names and classes only, not every step's shape)."""
    letters: dict[int, str] = dict(dims.letters)
    fresh = _fresh_letters(set(letters.values()))

    def letter(root: int) -> str:
        if root not in letters:
            letters[root] = next(fresh)
        return letters[root]

    def spell(d: int) -> int | str:
        root = dims.find(d)
        if dims.size[root] is not None:
            return dims.size[root]
        if root in dims.forms:                  # a sum of others: "a + b", "a - 1"
            coefficients, constant = dims.forms[root]
            text = " + ".join(letter(v) if c == 1 else f"{c}{letter(v)}" for v, c in coefficients.items())
            return text + (f" + {constant}" if constant > 0 else f" - {-constant}" if constant < 0 else "")
        return letter(root)

    return {name: tuple(spell(d) for d in shape) for name, shape in names.items()}


def _fresh_letters(taken: set[str]):
    """a, b, ..., z, then a2, b2, ...: the names of inferred sizes, none of them ``taken``
    (a declared letter: an inferred size spelled like it would read as the same size)."""
    for suffix in itertools.chain([""], map(str, itertools.count(2))):
        for letter in "abcdefghijklmnopqrstuvwxyz":
            if letter + suffix not in taken:
                yield letter + suffix


# ---- rank guesses -------------------------------------------------------------------------

#: The operators a name is looked through for a rank hint: ``-W @ x`` and ``W.T @ x``
#: still say that ``W`` is a matrix.
_SEE_THROUGH = frozenset(("neg", "pos", ".T"))


def _preferred_ranks(proof: Proof, declared: Mapping[str, tuple[int, ...]]) -> dict[str, int]:
    """The free names, in the order the proof first meets them, each with its likely rank:
    its declared one, else the one hinted by the first position it appears in, else 1
    (one walk over the ids)."""
    tape, rules = proof.tape, proof.facts.rule
    ops, data, args = tape.op, tape.data, tape.args
    names: dict[str, int] = {}                       # ordered, and linear in the steps
    hints: dict[str, int] = {}

    def hint(target: int, rank: int) -> str | None:
        """Hint ``rank`` for the name at ``target``, unless it has one: the name hinted."""
        while ops[target] in _SEE_THROUGH:
            target = args[target][0]
        if ops[target] == "name" and data[target] not in hints:
            hints[data[target]] = rank
            return data[target]
        return None

    # A product that is itself the left operand of @ is a matrix: (A @ B) @ x, so B is a
    # matrix too. Its parent usually comes after it: meanwhile the name on its right is
    # hinted a vector and kept in ``pending``, to become a matrix when the parent is met
    # (a parent met first is remembered in ``left_of_matmul``).
    left_of_matmul: set[int] = set()
    pending: dict[int, str] = {}
    for i in proof.ids():
        op = ops[i]
        if op == "name":
            if rules[i] == "variable" or rules[i] == "parameter":
                names[data[i]] = 1
        elif op == "@":
            left, right = args[i]
            if ops[left] == "@":
                left_of_matmul.add(left)
                if left in pending:
                    hints[pending.pop(left)] = 2
            hint(left, 2)
            if i in left_of_matmul:
                hint(right, 2)
            else:
                named = hint(right, 1)
                if named is not None:
                    pending[i] = named
        elif op == "call":
            func, keys = data[i]
            if keys or func in _HINTING_CALLS:
                wanted = _call_hint(func, keys, args[i])
                if wanted is not None:
                    hint(*wanted)
        elif op == "[...]":
            for item in args[i]:
                hint(item, 0)
        elif op == "[]":
            hint(args[i][0], len(data[i]))
    for name in names:
        if name in declared:
            names[name] = len(declared[name])
        elif name in hints:
            names[name] = hints[name]
    return names


#: The calls that may hint a rank without keywords (see :func:`_call_hint`).
_HINTING_CALLS = frozenset(("trace", "quad_over_lin"))


def _call_hint(func: str, keys: tuple[str, ...],
               operands: tuple[int, ...]) -> tuple[int, int] | None:
    """The rank a call asks of an argument: ``trace(X)`` and ``sum(X, axis=0)`` want a
    matrix, the ``y`` of ``quad_over_lin(x, y)`` a scalar."""
    if func == "trace" or "axis" in keys:
        return operands[0], 2
    if func == "quad_over_lin" and len(operands) - len(keys) == 2:
        return operands[1], 0
    return None


# ---- inference ---------------------------------------------------------------------------


class _Failed:
    """Ranks that do not agree: the mismatch, the node where it arose, and the shapes
    found up to there (worded only if no ranks agree, so a search that goes on to succeed
    builds no text)."""

    def __init__(self, mismatch: ShapeMismatch, index: int, shapes: Mapping[int, Sym], dims: Dims):
        self.mismatch, self.index, self.shapes, self.dims = mismatch, index, shapes, dims

    def worded(self, proof: Proof) -> ShapeMismatch:
        """The mismatch, with its step and its first two premises' texts and shapes (a
        sum or product of sizes solved after every step: the step that made it)."""
        mismatch, step, index = self.mismatch, proof.step, self.index
        if mismatch.made is not None:
            index = next((i for i in proof.ids() if any(d >= mismatch.made for d in self.shapes[i] or ())),
                         index)
        mismatch.step = mismatch.step or step(index)
        mismatch.sides = [(step(p).text, _show(self.shapes[step(p).id], self.dims))
                          for p in proof.facts.premises[index][:2]]
        return mismatch


def _infer(proof: Proof, ranks: Mapping[str, int],
           declared: Mapping[str, tuple[int, ...]]) -> ShapeSolution | _Failed:
    """The shapes of every step for these ranks of the names, or where they disagree."""
    names, dims = _name_shapes(ranks, declared)
    facts, data = proof.facts, proof.tape.data
    rules, atoms, kwargs, all_premises = facts.rule, facts.atom, facts.kwargs, facts.premises
    both = dims.both
    shapes: list[Sym | None] = [None] * len(proof.facts.premises)     # by id
    stand_ins: dict[int, int] | None = None
    try:
        for i in proof.ids():      # premises first (and never a ``+a``: its operand instead)
            rule = rules[i]
            # The commonest first; a literal's structure decided applies its atom too.
            if rule == "composition" or rule == "product" or rule == "literal structure":
                atom, premises = atoms[i], all_premises[i]
                if type(atom).shape is not _ELEMENTWISE:
                    kw = dict(kwargs[i]) if kwargs[i] else NO_KEYWORDS
                    shapes[i] = atom.shape([shapes[p] for p in premises], kw, data[i], dims)
                # Atom.shape, the rule most atoms keep, without the call: a reduction is a
                # scalar, else the arguments broadcast (one argument: its own shape).
                elif atom.reduces:
                    shapes[i] = ()
                elif len(premises) == 1:
                    shapes[i] = shapes[premises[0]]
                elif len(premises) == 2:
                    shapes[i] = both(shapes[premises[0]], shapes[premises[1]])
                else:
                    shapes[i] = dims.broadcast([shapes[p] for p in premises])
            elif rule == "variable" or rule == "parameter":
                shapes[i] = names[data[i]]
            elif rule == "number":
                shapes[i] = ()
            elif rule in AS_WRITTEN:
                _written_shapes(proof, i, shapes, names, dims)
                if rule == "perspective" and shapes[all_premises[i][0]] != () and \
                        not entrywise(proof.facts, all_premises[i][-1]):
                    raise ShapeMismatch("a perspective's t must be a scalar when its function "
                                        "mixes entries (a sum, a matrix product)")
            elif rule == "stand-in":                # the shape of the quotient it stands for
                stand_ins = stand_ins if stand_ins is not None else _stand_in_numerators(proof)
                shapes[i] = shapes[stand_ins[i]]
            else:
                shapes[i] = _other_shape(rule, [shapes[p] for p in all_premises[i]], dims)
        if dims.sums or dims.products:
            dims.settle()
    except ShapeMismatch as mismatch:
        return _Failed(mismatch, i, shapes, dims)
    return ShapeSolution(names, dims, shapes)


#: The shape rule atoms inherit (see the fast path in :func:`_infer`).
_ELEMENTWISE = Atom.shape


def _name_shapes(ranks: Mapping[str, int],
                 declared: Mapping[str, tuple[int | str, ...]]) -> tuple[dict[str, Sym], Dims]:
    """A shape for each name, of its declared sizes or of ``rank`` free dimensions, and
    the dimension classes, one per axis, numbered in the order of the names. A declared
    letter (``shape u = (n,)``) is a free dimension, one class per letter."""
    names: dict[str, Sym] = {}
    fixed: dict[int, int] = {}                       # the declared sizes, by axis
    letters: dict[int, str] = {}                     # the declared letters, by axis
    count = 0
    for name, rank in ranks.items():
        if name in declared:
            rank = len(declared[name])
            for axis, size in enumerate(declared[name], count):
                if size.__class__ is str:
                    letters[axis] = size
                else:
                    fixed[axis] = size
        # The usual ranks spelled out: tuple(range(...)) costs several times as much.
        if rank == 1:
            names[name] = (count,)
        elif rank == 0:
            names[name] = ()
        elif rank == 2:
            names[name] = (count, count + 1)
        else:
            names[name] = tuple(range(count, count + rank))
        count += rank
    dims = Dims(count, fixed, letters)
    first: dict[str, int] = {}                       # the same letter is the same size
    for axis, letter in letters.items():
        dims.unify(first.setdefault(letter, axis), axis)
    return names, dims


def _written_shapes(proof: Proof, index: int, shapes: list, names: Mapping[str, Sym], dims: Dims) -> None:
    """The shapes of node ``index`` of a method's step and of the nodes under it, as the
    user wrote them: each by its operator (a method's symbols are not what its shape is
    made of: ``u.T @ u`` is a scalar of a vector ``u``)."""
    from ..atoms import operator
    from ..atoms.calls import resolve_at
    tape = proof.tape
    for node in postorder(index, tape.args):
        if shapes[node] is not None:
            continue
        op, args = tape.op[node], tape.args[node]
        if op == "number":
            shapes[node] = ()
        elif op == "name":
            shapes[node] = names[tape.data[node]]
        elif op in ("pos", "ref"):
            shapes[node] = shapes[args[0]]
        elif op == "/":
            shapes[node] = dims.broadcast([shapes[a] for a in args], "the two sides of / must have the same shape")
        elif op == "^":
            shapes[node] = shapes[args[0]]
        elif op == "call":
            atom, ids, kw = resolve_at(tape, node, proof.atoms)
            shapes[node] = atom.shape([shapes[a] for a in ids], kw, tape.data[node], dims)
        else:
            shapes[node] = operator(op).shape([shapes[a] for a in args], NO_KEYWORDS, tape.data[node], dims)


def _stand_in_numerators(proof: Proof) -> dict[int, int]:
    """Each perspective's stand-ins, with the numerators of their quotients (over a scalar
    t, a quotient has its numerator's shape)."""
    found, facts = {}, proof.facts
    for index in proof.ids():
        if facts.rule[index] == "perspective":
            numerators = facts.premises[index][1:-1]
            for (_, stand_in), numerator in zip(facts.notes[index].detail, numerators):
                found[stand_in] = numerator
    return found


def _other_shape(rule: str, premises: list[Sym], dims: Dims) -> Sym:
    """The shape of a step that applies no atom (other than a name or a number)."""
    if rule in ("binding", "expansion", "rewrite", "distribution"):
        return premises[0]
    if rule in ("quotient", "reciprocal"):
        return dims.broadcast(premises, "the two sides of / must have the same shape")
    raise TypeError(f"no shape rule for {rule!r} steps")


def _show(shape: Sym, dims: Dims) -> str:
    """``(3, 4)``, a declared letter as written (``(h, N)``), ``?`` for a dimension not
    fixed yet."""
    sizes = [str(dims.size[dims.find(d)] or dims.letter(d) or "?") for d in shape]
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
    preferred = _preferred_ranks(proof, declared)
    first = _infer(proof, preferred, declared)
    solutions, first_error = ([], first) if isinstance(first, _Failed) else ([first], None)
    if len(solutions) <= alternatives:       # wanted: other ways to agree, or any way at all
        budget = max(2, work // (len(proof.ids()) or 1))
        for tried, ranks in enumerate(_other_ranks(preferred, declared), 2):
            found = _infer(proof, ranks, declared)
            if isinstance(found, _Failed):
                first_error = first_error or found
            else:
                solutions.append(found)
            if len(solutions) > alternatives or tried >= budget:
                break
    if not solutions:
        mismatch = first_error.worded(proof) if first_error else ShapeMismatch("no ranks fit")
        raise _mismatch_error(mismatch)
    return solutions


def _other_ranks(preferred: Mapping[str, int], declared):
    """Ranks other than the preferred, those that change the fewest names first."""
    free = [n for n in preferred if n not in declared]
    for count in range(1, min(len(free), 3) + 1):
        for changed in itertools.combinations(free, count):
            options = [[r for r in (1, 0, 2) if r != preferred[n]] for n in changed]
            for choice in itertools.product(*options):
                ranks = dict(preferred)
                ranks.update(zip(changed, choice))
                yield ranks
