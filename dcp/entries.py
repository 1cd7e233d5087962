"""Per-entry verdicts where a product with a constant given its values breaks.

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

from dataclasses import dataclass

from .facts import Curvature
from .facts.valued import Entries, entries_of
from .kernel import check_proof
from .proof import Proof
from .tape import Tape

__all__ = ["EntryVerdicts", "entry_verdicts"]

#: Above this many rows and entries to write out, per-entry verdicts are not made: the
#: proof of each row costs its row's length.
MAX_ENTRY_NODES = 200_000
_PRODUCTS = {"@": "matmul", "*": "multiply"}


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
        """The constant's entries that keep output entry ``entry`` from the wanted
        curvature, written ``W[2, 0] = -0.31``."""
        return [f"{self.constant}[{', '.join(map(str, where))}] = {value:g}"
                for at, where, value in self.offending if at == entry]

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
        for entry in self.at("unknown"):
            spoilers = ", ".join(f"{s} {sign}" for s in self.spoilers(entry))
            parts.append(f"not proved at {list(entry)}" + (f" ({spoilers})" if spoilers else ""))
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
        }


def _listed(entries: list[tuple[int, ...]]) -> str:
    return ", ".join(str(list(e)) for e in entries)


def entry_verdicts(proof: Proof, analyzer, origins: dict[str, str] | None = None
                   ) -> tuple[EntryVerdicts, ...]:
    """Per-entry verdicts at each break of ``proof`` on a product with a constant given its
    values (none when there is no such break). ``analyzer`` is the one that made the proof:
    the rows are analysed on its tape, in a copy of the proof's facts. ``origins`` say
    where names came from (a session's)."""
    tape, facts = proof.tape, proof.facts
    found = []
    for step in proof.breaks:
        if step.rule != "product" or tape.op[step.id] not in _PRODUCTS:
            continue
        split = _split(tape, facts, step.id)
        if split is not None:
            found.append((step.id, *split))
    if not found:
        return ()
    copy = facts.copy()
    rows_of = {}
    size_before = len(tape)
    for index, side, name, entries, transposed, other in found:
        rows = _rows(tape, index, side, name, entries, transposed, other)
        if rows is None:
            continue
        rows_of[index] = rows
    if not rows_of:
        return ()
    root = tape.add("[...]", None, tuple(node for rows in rows_of.values() for _, node in rows))
    analyzer.analyse(proof.bounds, root, copy, ids=range(size_before, len(tape)))
    check_proof(Proof(tape, copy, root, proof.wrt, proof.bounds, proof.source, proof.atoms,
                      proof.ranks))
    layers = _layers(proof)
    results = []
    for index, side, name, entries, transposed, other in found:
        if index not in rows_of:
            continue
        wanted = "concave" if copy.curvature[other].is_concave and not copy.curvature[other].is_convex \
            else "convex"
        verdicts = tuple((entry, _word(copy.curvature[node])) for entry, node in rows_of[index])
        offending = tuple(
            (entry, where, value)
            for entry, verdict in verdicts if verdict == "unknown"
            for where, value in _spoiling(entries, entry, side, transposed, wanted))
        layer = layers.get(index)
        origins = origins or {}
        results.append(EntryVerdicts(tape.text(index, 60), name, verdicts, offending,
                                     layer, wanted, index, origins.get(layer, ""),
                                     origins.get(name, "")))
    return tuple(results)


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


def _rows(tape: Tape, index: int, side: int, name: str, entries: Entries, transposed: bool,
          other: int) -> list[tuple[tuple[int, ...], int]] | None:
    """Each output entry of the product and a node for it: the constant's row (or column,
    or entry) times the other factor, in the product's order. None when there are too
    many to write out."""
    shape, op = entries.shape, tape.op[index]
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
    if op == "*" and not transposed:
        if entries.values.size > MAX_ENTRY_NODES:
            return None
        constant = tape.find("name", name)
        rows = []
        for where in _indices(shape):
            part = tape.add("[]", where, (constant,))
            pair = (part, other) if side == 0 else (other, part)
            rows.append((where, tape.add("*", None, pair)))
        return rows
    return None


def _indices(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    import numpy as np
    return [tuple(int(i) for i in where) for where in np.ndindex(*shape)]


def _spoiling(entries: Entries, entry: tuple[int, ...], side: int, transposed: bool,
              wanted: str):
    """The constant's entries in output ``entry``'s row whose sign keeps it from
    ``wanted`` (negative ones for convex, positive for concave), with their values."""
    import numpy as np
    values = entries.values
    if values.ndim == 2 and len(entry) == 1:
        by_rows = (side == 0) != transposed
        picked = [((entry[0], k), values[entry[0], k]) for k in range(values.shape[1])] if by_rows \
            else [((k, entry[0]), values[k, entry[0]]) for k in range(values.shape[0])]
    else:
        picked = [(entry, values[entry])]
    bad = np.signbit if wanted == "convex" else (lambda v: v > 0)
    return [(where, float(value)) for where, value in picked if value != 0 and bad(value)]


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
