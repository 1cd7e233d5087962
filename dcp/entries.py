"""Reasoning entry by entry about constants given their values (a model's weights).

Two tools, both the same rules on finer pieces, both re-checked by the kernel:
:func:`entry_verdicts`, the verdict on each output entry where a product with such a
constant breaks, and :func:`entrywise_proof`, the whole expression written out one
scalar per entry when the rules on whole layers do not conclude.

A trained network's weight matrix usually mixes signs, and then ``Wz1 @ z1`` (z1 convex)
breaks: the rules see one range for the whole matrix. But each entry of the product is
one row of ``Wz1`` times ``z1``, and a row whose weights are all nonnegative keeps its entry
convex. So at such a break each output entry is certified on its own, by the same rules
on the row's own range (``Wz1[2] @ z1``: the index atom reads the row of a constant given
its values), all rows in one proof that the kernel re-checks; and the entries that spoil
a row are named with their values (``Wz1[2, 0] = -0.31``).

>>> import numpy as np
>>> from dcp import Session
>>> s = Session()
>>> s.constant("W", np.array([[1.0, 0.5], [-0.31, 2.0]]))
>>> result = s.certify("W @ relu(x)", wrt="x", check=False)
>>> print(result.entries[0])
per entry of `W @ relu(x)`: convex at [0]; not proved at [1] (W[1, 0] = -0.31 < 0)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .facts import Curvature
from .facts.valued import Entries, entries_of
from .kernel import check_proof
from .proof import Proof
from .tape import Tape

__all__ = ["EntryVerdicts", "entry_verdicts", "entrywise_proof"]

#: Above this many rows and entries to write out, per-entry verdicts are not made: the
#: proof of each row costs its row's length.
MAX_ENTRY_NODES = 200_000
#: The constant's entries named as spoilers per output entry at most (the rest are counted).
MAX_OFFENDING = 3
#: Entries listed per verdict in a summary line (the rest are counted).
SHOWN = 8
#: How each product or quotient multiplies its constant: the operators, and the atoms
#: called by name (``dot(w, h)`` is a sum of the terms ``w[i] * h``: one per entry of w).
_CALLED = {"matmul": "@", "multiply": "*", "dot": "*"}


@dataclass(frozen=True)
class EntryVerdicts:
    """The verdict on each output entry of a product ``node`` with the constant
    ``constant`` (a break of the whole product), and the constant's entries that spoil a
    row: ``(output entry, the constant's indices, value)``. ``layer`` is the binding the
    product lies in (None at the top level)."""

    node: str
    constant: str
    verdicts: tuple[tuple[tuple[int, ...], str], ...]
    offending: tuple[tuple[tuple[int, ...], tuple[int, ...], float], ...]
    layer: str | None = None
    wanted: str = "convex"
    #: Spoiling entries beyond the first :data:`MAX_OFFENDING` of each output entry,
    #: counted only: ``(output entry, how many more)``.
    more_offending: tuple[tuple[tuple[int, ...], int], ...] = ()
    #: The id of the break's step in the proof.
    index: int = -1
    #: Where the layer and the constant came from (a model file's node and tensor), in words.
    layer_origin: str = ""
    constant_origin: str = ""

    @property
    def origin(self) -> str:
        """Where the layer and the constant came from, in one line (empty if unknown)."""
        parts = [f"layer `{self.layer}`: {self.layer_origin}"] if self.layer_origin else []
        if self.constant_origin:
            parts.append(f"`{self.constant}`: {self.constant_origin}")
        return "; ".join(parts)

    def at(self, verdict: str) -> list[tuple[int, ...]]:
        """The output entries with this verdict."""
        return [entry for entry, found in self.verdicts if found == verdict]

    def spoilers(self, entry: tuple[int, ...]) -> list[str]:
        """The constant's entries (of the first :data:`MAX_OFFENDING`) that keep output
        entry ``entry`` from the wanted curvature, written ``W[2, 0] = -0.31``."""
        by_entry = self.__dict__.get("_by_entry")
        if by_entry is None:                # one pass, however many entries are asked
            by_entry = {}
            for at, where, value in self.offending:
                by_entry.setdefault(at, []).append(
                    f"{self.constant}[{', '.join(map(str, where))}] = {value:g}")
            object.__setattr__(self, "_by_entry", by_entry)
        return by_entry.get(entry, [])

    def lines(self) -> list[str]:
        """The text under the break: where it is, then the verdicts per entry."""
        lines = []
        if self.layer is not None:
            lines.append(f"in layer `{self.layer}`" + (f": {self.layer_origin}" if self.layer_origin else ""))
        if self.constant_origin:
            lines.append(f"`{self.constant}`: {self.constant_origin}")
        return lines + [self.summary()]

    def summary(self) -> str:
        """The verdicts per entry in one line: ``convex at [0], [1]; not proved at [2]
        (W[2, 0] = -0.31 < 0)``."""
        parts = []
        for verdict in ("affine", "convex", "concave", "constant"):
            entries = self.at(verdict)
            if entries:
                parts.append(f"{verdict} at {_listed(entries)}")
        sign = "< 0" if self.wanted == "convex" else "> 0"
        unproved = self.at("unknown")
        for entry in unproved[:SHOWN]:
            named = ", ".join(f"{s} {sign}" for s in self.spoilers(entry))
            more = dict(self.more_offending).get(entry, 0)
            if more:
                named += f" and {more} more"
            parts.append(f"not proved at {list(entry)}" + (f" ({named})" if named else ""))
        if len(unproved) > SHOWN:
            parts.append(f"not proved at {len(unproved) - SHOWN} more")
        return f"per entry of `{self.node}`: " + "; ".join(parts)

    def __str__(self) -> str:
        return self.summary()

    def to_json(self) -> dict:
        """The JSON form (``entries`` of the result schema)."""
        return {
            "node": self.node, "constant": self.constant,
            "layer": self.layer, "origin": self.origin, "wanted": self.wanted,
            "verdicts": [{"entry": list(entry), "verdict": verdict} for entry, verdict in self.verdicts],
            "offending": [{"entry": list(entry), "at": list(where), "value": value}
                          for entry, where, value in self.offending],
            "more_offending": [{"entry": list(entry), "count": count}
                               for entry, count in self.more_offending],
        }


def _listed(entries: list[tuple[int, ...]]) -> str:
    shown = ", ".join(str(list(e)) for e in entries[:SHOWN])
    return shown + (f" and {len(entries) - SHOWN} more" if len(entries) > SHOWN else "")


def entry_verdicts(proof: Proof, analyzer, origins: dict[str, str] | None = None
                   ) -> tuple[EntryVerdicts, ...]:
    """Per-entry verdicts at each break of ``proof`` on a product with a constant given its
    values (none when there is no such break). ``analyzer`` is the one that made the proof:
    the rows are analysed on its tape, in a copy of the proof's facts. ``origins`` say
    where names came from (a session's)."""
    tape, facts = proof.tape, proof.facts
    found = []
    for step in proof.breaks:
        kind = _kind(tape, step.id) if step.rule in ("product", "quotient") else None
        split = _split(tape, facts, step.id) if kind is not None else None
        if split is not None and (kind != "/" or split[0] == 1):   # a constant denominator
            found.append((step.id, kind, *split))
    if not found:
        return ()
    copy = facts.copy()
    rows_of = {}
    for index, kind, side, name, entries, transposed, other in found:
        rows = _rows(tape, kind, side, name, entries, transposed, other)
        if rows is None:
            continue
        rows_of[index] = rows
    if not rows_of:
        return ()
    root = tape.add("[...]", None, tuple(node for rows in rows_of.values() for _, node in rows))
    analyzer.analyse(proof.bounds, root, copy)      # the nodes with no facts yet
    check_proof(Proof(tape, copy, root, proof.wrt, proof.bounds, proof.source, proof.atoms,
                      proof.ranks))
    layers = _layers(proof)
    results = []
    origins = origins or {}
    for index, kind, side, name, entries, transposed, other in found:
        if index not in rows_of:
            continue
        wanted = "concave" if copy.curvature[other].is_concave and not copy.curvature[other].is_convex \
            else "convex"
        verdicts = tuple((entry, _word(copy.curvature[node])) for entry, node in rows_of[index])
        offending, more = [], []
        opposite = "concave" if wanted == "convex" else "convex"
        for entry, verdict in verdicts:
            if verdict in ("unknown", opposite):        # (an opposite term spoils dot's sum)
                named, count = _spoiling(entries, entry, kind, side, transposed, wanted)
                offending += [(entry, where, value) for where, value in named]
                if count > len(named):
                    more.append((entry, count - len(named)))
        layer = layers.get(index)
        results.append(EntryVerdicts(tape.text(index, 60), name, verdicts, tuple(offending),
                                     layer, wanted, tuple(more), index,
                                     origins.get(layer, ""), origins.get(name, "")))
    return tuple(results)


def _kind(tape: Tape, index: int) -> str | None:
    """How node ``index`` multiplies (``@``, ``*``, ``/``), or None."""
    op = tape.op[index]
    if op == "call":
        return _CALLED.get(tape.data[index][0]) if not tape.data[index][1] else None
    return op if op in ("@", "*", "/") else None


def _split(tape: Tape, facts, index: int):
    """For a product whose one factor is a constant given its values (or its transpose):
    ``(side, name, entries, transposed, other factor)``; else None."""
    premises = facts.premises[index]
    for side in (0, 1):
        node, transposed = premises[side], False
        if tape.op[node] == ".T":
            node, transposed = tape.plain(tape.args[node][0]), True
        entries = entries_of(facts.range[node]) if tape.op[node] == "name" else None
        if entries is not None and entries.shape:
            return side, tape.data[node], entries, transposed, premises[1 - side]
    return None


def _rows(tape: Tape, op: str, side: int, name: str, entries: Entries, transposed: bool,
          other: int) -> list[tuple[tuple[int, ...], int]] | None:
    """Each output entry of the product (``op``: ``@``, ``*`` or ``/``) and a node for it:
    the constant's row (or column, or entry) times (or dividing) the other factor, in the
    product's order. None when there are too many to write out."""
    shape = entries.shape
    matrix = len(shape) == 2
    if op == "@" and matrix:
        # W @ h: row i; W.T @ h: column i of W; h @ W: column j; h @ W.T: row j.
        by_rows = (side == 0) != transposed
        count, length = (shape[0], shape[1]) if by_rows else (shape[1], shape[0])
        if count * (length if not by_rows else 1) > MAX_ENTRY_NODES:
            return None
        constant = tape.find("name", name)
        rows = []
        for i in range(count):
            if by_rows:
                part = tape.add("[]", (i,), (constant,))
            else:
                part = tape.add("[...]", None, tuple(tape.add("[]", (k, i), (constant,))
                                                     for k in range(length)))
            pair = (part, other) if side == 0 else (other, part)
            rows.append(((i,), tape.add("@", None, pair)))
        return rows
    if op in ("*", "/") and not transposed:
        if entries.values.size > MAX_ENTRY_NODES:
            return None
        constant = tape.find("name", name)
        rows = []
        for where in _indices(shape):
            part = tape.add("[]", where, (constant,))
            pair = (part, other) if side == 0 else (other, part)
            rows.append((where, tape.add(op, None, pair)))
        return rows
    return None


def _indices(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    import numpy as np
    return [tuple(int(i) for i in where) for where in np.ndindex(*shape)]


def _spoiling(entries: Entries, entry: tuple[int, ...], op: str, side: int, transposed: bool,
              wanted: str) -> tuple[list[tuple[tuple[int, ...], float]], int]:
    """The constant's entries in output ``entry``'s row whose sign keeps it from
    ``wanted`` (negative ones for convex, positive for concave): the first
    :data:`MAX_OFFENDING` with their values, and how many there are."""
    import numpy as np
    values = entries.values
    if values.ndim == 2 and len(entry) == 1 and op == "@":
        by_rows = (side == 0) != transposed
        line = values[entry[0], :] if by_rows else values[:, entry[0]]
        found = np.flatnonzero(line < 0 if wanted == "convex" else line > 0)
        named = [(((entry[0], int(k)) if by_rows else (int(k), entry[0])), float(line[k]))
                 for k in found[:MAX_OFFENDING]]
        return named, len(found)
    value = float(values[entry])
    named = [(entry, value)] if (value < 0 if wanted == "convex" else value > 0) else []
    return named, len(named)


def _word(curvature: Curvature) -> str:
    return str(curvature) if curvature.is_known else "unknown"


def _layers(proof: Proof) -> dict[int, str]:
    """For each step, the innermost binding it lies in (by name), walking the proof from
    its root with a stack (no recursion)."""
    tape, premises = proof.tape, proof.facts.premises
    found: dict[int, str] = {}
    seen: set[int] = set()
    stack = [(proof.facts.resolve(proof.root_id), None)]
    while stack:
        index, layer = stack.pop()
        if index in seen:
            continue
        seen.add(index)
        if layer is not None:
            found[index] = layer
        if tape.op[index] == "ref":
            layer = tape.data[index]
        stack.extend((p, layer) for p in premises[index])
    return found


# ---- entry by entry: the whole expression, one scalar per entry ------------------------
#
# Rows that break at a product may not matter: a unit that is not convex may be read by the
# next layer with weight 0. Written out entry by entry (``act3[2] = relu(W[2, 0] *
# act2[0] + ...)``), the same rules see each unit on its own: a weight that is exactly 0
# drops its term, and a unit no one reads is not in the proof at all. This is the
# composition rule with each entry's own facts, for expressions of vectors (matrices only
# as names: weights), within a size budget.

#: The most nodes an entry-by-entry proof may add to the tape.
MAX_ENTRYWISE_NODES = 20_000
#: Atoms of a vector that give a vector of the same length, each entry depending on all.
_VECTOR_MAPS = frozenset({"softmax", "log_softmax"})


class _TooBig(Exception):
    """The expression cannot be written entry by entry within the budget, or uses a form
    this writing does not cover."""


def entrywise_proof(proof: Proof, analyzer, shapes: dict[str, tuple]) -> Proof | None:
    """The proof of ``proof``'s expression written entry by entry, re-checked by the
    kernel; None when it cannot be written so (a name of unknown shape, a matrix that is
    not a name, an atom this writing does not cover, or more than
    :data:`MAX_ENTRYWISE_NODES` nodes). ``shapes`` are the names' declared shapes."""
    tape = proof.tape
    try:
        root = _Writer(proof, shapes, analyzer.atoms).write()
    except _TooBig:
        return None
    facts = proof.facts.copy()
    analyzer.analyse(proof.bounds, root, facts)     # the nodes with no facts yet
    found = Proof(tape, facts, root, proof.wrt, proof.bounds, proof.source, proof.atoms, proof.ranks)
    check_proof(found)
    return found


class _Writer:
    """Writes each node of a proof's expression as its entries: a node id for a scalar,
    a list of ids for a vector, a list of rows for a matrix (names only)."""

    def __init__(self, proof: Proof, shapes: dict[str, tuple], atoms) -> None:
        self.tape, self.shapes, self.atoms = proof.tape, shapes, atoms
        self.root = proof.root_id
        self.budget = len(self.tape) + MAX_ENTRYWISE_NODES
        # A weight exactly 0 drops its term only where every value is defined (0 times
        # an undefined value is not 0).
        self.drop_zeros = not proof.domain
        self.bounds = proof.bounds
        #: The body written for each call of an atom defined by expansion.
        self.bodies: dict[int, int] = {}

    def write(self) -> int:
        """The root's entries, written children first with a stack (no recursion); a
        call of an atom defined by expansion (a loss) is written as its body."""
        done: dict[int, object] = {}
        stack = [(self.root, False)]
        while stack:
            node, ready = stack.pop()
            if node in done:
                continue
            children = self._children(node)
            if not ready:
                stack.append((node, True))
                stack.extend((child, False) for child in children if child not in done)
                continue
            done[node] = done[children[0]] if node in self.bodies else \
                self._entries(node, [done[a] for a in children])
            if len(self.tape) > self.budget:
                raise _TooBig
        value = done[self.root]
        if isinstance(value, int):
            return value
        if value and isinstance(value[0], list):
            raise _TooBig
        return self.tape.add("[...]", None, tuple(value))

    def add(self, op: str, data, args: tuple[int, ...]) -> int:
        return self.tape.add(op, data, args)

    def _children(self, node: int) -> tuple[int, ...]:
        """What node ``node`` is written from: its arguments, or for a call of an atom
        defined by expansion, its body with the arguments put in (added once)."""
        tape = self.tape
        if node in self.bodies:
            return (self.bodies[node],)
        if tape.op[node] == "call":
            from .atoms.calls import expand_at, resolve_at
            atom, args, kw = resolve_at(tape, node, self.atoms)
            if atom.kind == "expansion":
                self.bodies[node] = expand_at(tape, node, atom, args, kw)
                return (self.bodies[node],)
        return tape.args[node]

    # ---- one node ----------------------------------------------------------------------
    def _entries(self, node: int, args: list):
        tape = self.tape
        op = tape.op[node]
        if op == "number":
            return node
        if op == "name":
            return self._name(node)
        if op == "ref":
            return _map(args[0], lambda e, where: self.add(
                "ref", tape.data[node] + (f"[{', '.join(map(str, where))}]" if where else ""), (e,)))
        if op == "pos":
            return args[0]
        if op == "neg":
            return _map(args[0], lambda e, _: self.add("neg", None, (e,)))
        if op in ("+", "-", "*", "/"):
            return self._elementwise(args, lambda pair: self._binary(op, *pair))
        if op == "^":
            return _map(args[0], lambda e, _: self.add("^", None, (e, tape.args[node][1])))
        if op == "@":
            return self._matmul(*args)
        if op == ".T":
            return _transposed(args[0])
        if op == "[]":
            return _indexed(args[0], tape.data[node])
        if op == "[...]":
            return list(args)
        if op == "call":
            return self._call(node, args)
        raise _TooBig

    def _name(self, node: int):
        name = self.tape.data[node]
        shape = self.shapes.get(name)
        if shape is None or any(not isinstance(d, int) for d in shape):
            raise _TooBig
        if len(shape) == 0:
            return node
        self._spend(math.prod(shape))
        if len(shape) == 1:
            return [self.add("[]", (i,), (node,)) for i in range(shape[0])]
        if len(shape) == 2:
            return [[self.add("[]", (i, j), (node,)) for j in range(shape[1])] for i in range(shape[0])]
        raise _TooBig

    def _spend(self, count: int) -> None:
        """Refuse before writing ``count`` more nodes past the budget."""
        if len(self.tape) + count > self.budget:
            raise _TooBig

    def _binary(self, op: str, left: int, right: int) -> int:
        if op == "*" and self.drop_zeros and (self._is_zero(left) or self._is_zero(right)):
            return self.tape.add_number("0")
        return self.add(op, None, (left, right))

    def _is_zero(self, node: int) -> bool:
        """Whether node is exactly 0 whatever the parameters: the literal 0, or an entry of
        a constant that is 0 (in the symbolic mode too: a zero's sign is zero)."""
        tape = self.tape
        if tape.op[node] == "number":
            return tape.data[node].exact == 0
        if tape.op[node] != "[]":
            return False
        base = tape.args[node][0]
        if tape.op[base] != "name" or tape.data[base] not in self.bounds:
            return False
        entries = entries_of(self.bounds[tape.data[base]])
        if entries is None or len(tape.data[node]) != len(entries.shape):
            return False
        where = tape.data[node]
        return entries.lo[where] == 0 and entries.hi[where] == 0

    def _elementwise(self, args: list, combine):
        """Entries of an elementwise operation on ``args`` broadcast like numpy (scalars
        against vectors; matrices are refused)."""
        if any(isinstance(a, list) and a and isinstance(a[0], list) for a in args):
            raise _TooBig
        lengths = {len(a) for a in args if isinstance(a, list)}
        if len(lengths) > 1:
            raise _TooBig
        if not lengths:
            return combine(tuple(args))
        (n,) = lengths
        return [combine(tuple(a[i] if isinstance(a, list) else a for a in args)) for i in range(n)]

    def _sum(self, terms: list[int]) -> int:
        terms = [t for t in terms if not (self.tape.op[t] == "number" and self.tape.data[t].exact == 0)]
        if not terms:
            return self.tape.add_number("0")
        total = terms[0]
        for term in terms[1:]:
            total = self.add("+", None, (total, term))
        return total

    def _dot(self, left: list[int], right: list[int]) -> int:
        if len(left) != len(right):
            raise _TooBig
        return self._sum([self._binary("*", a, b) for a, b in zip(left, right)])

    def _matmul(self, left, right):
        left_matrix = isinstance(left, list) and left and isinstance(left[0], list)
        right_matrix = isinstance(right, list) and right and isinstance(right[0], list)
        if not isinstance(left, list) or not isinstance(right, list) or (left_matrix and right_matrix):
            raise _TooBig
        self._spend(2 * len(left) * len(right if not right_matrix else right[0]))
        if left_matrix:
            return [self._dot(row, right) for row in left]
        if right_matrix:
            return [self._dot(left, list(column)) for column in zip(*right)]
        return self._dot(left, right)

    def _call(self, node: int, args: list):
        from .atoms.calls import resolve_at
        tape = self.tape
        func, keys = tape.data[node]
        positional, keywords = tape.call_args(node)
        count = len(positional)
        written, kw_values = args[:count], tuple(value for _, value in keywords)
        if any(not isinstance(v, int) for v in args[count:]):
            raise _TooBig
        atom = resolve_at(tape, node, self.atoms)[0]
        if atom.kind == "composition" and atom.elementwise:
            return self._elementwise(written, lambda entries: tape.add_call(
                func, keys, (*entries, *kw_values), None))
        if "axis" in keys or any(isinstance(a, list) and a and isinstance(a[0], list) for a in written):
            raise _TooBig
        if atom.name == "dot" and all(isinstance(a, list) for a in written):
            return self._dot(*written)                  # a sum of products: zeros drop out
        stacked = tuple(self.add("[...]", None, tuple(a)) if isinstance(a, list) else a for a in written)
        if atom.reduces and all(isinstance(a, list) for a in written):
            return tape.add_call(func, keys, (*stacked, *kw_values), None)
        if atom.name in _VECTOR_MAPS and count == 1 and isinstance(written[0], list):
            whole = tape.add_call(func, keys, (*stacked, *kw_values), None)
            return [self.add("[]", (i,), (whole,)) for i in range(len(written[0]))]
        if atom.name == "hstack" and all(isinstance(a, list) for a in written):
            return [entry for a in written for entry in a]
        raise _TooBig


def _map(value, function):
    """``function(entry, indices)`` on each entry of a scalar, vector or matrix."""
    if isinstance(value, int):
        return function(value, ())
    if value and isinstance(value[0], list):
        return [[function(e, (i, j)) for j, e in enumerate(row)] for i, row in enumerate(value)]
    return [function(e, (i,)) for i, e in enumerate(value)]


def _transposed(value):
    if isinstance(value, list) and value and isinstance(value[0], list):
        return [list(column) for column in zip(*value)]
    return value


def _indexed(value, indices: tuple[int, ...]):
    for i in indices:
        if not isinstance(value, list):
            raise _TooBig
        try:
            value = value[i]
        except IndexError:
            raise _TooBig from None
    return value
