"""A matrix written out decided exactly: ``quad_form(x, [[2, 1], [1, 2]])`` is convex.

An atom whose facts read a matrix argument's structure (``quad_form`` reads whether P is
psd, see :mod:`dcp.facts.structure`) learns it from an assumption on a parameter; a
numeric matrix literal carries none, so the composition rule leaves the call unknown.
Here the literal's exact entries are read from the tape, its structure is decided over
the rationals (symmetric, and an LDLᵀ factorisation with D >= 0 of it or of its
negation), and the composition rule is applied as for an assumed structure. The step's
``detail`` is (argument position, structure); the kernel reads the literal again and
decides it itself.
"""
from __future__ import annotations

from .. import rules
from ..facts.curvature import UNKNOWN
from ..facts.structure import Structured, exact_structure, literal_matrix
from ..proof import Facts, Note

__all__ = ["attempt", "RULE"]

#: The rule name of the steps this method writes.
RULE = "literal structure"


def attempt(analyzer, index: int, bounds, facts: Facts) -> bool:
    """Settle the call at ``index`` when an atom that reads a matrix argument's structure
    gets a numeric literal there whose exact structure makes the composition rule
    conclude; False (nothing changed) otherwise."""
    atom = facts.atom[index]
    position = getattr(atom, "structured_argument", None)
    if position is None or facts.rule[index] != "composition":
        return False
    premises, items = facts.premises[index], facts.kwargs[index]
    kw = dict(items)
    if atom.domains(len(premises), kw) is not None:
        return False                    # (no such atom has a domain: not worth a case)
    tape = analyzer.tape
    matrix = literal_matrix(tape, premises[position])
    structure = None if matrix is None else exact_structure(matrix)
    if structure is None:
        return False
    regions = [facts.range[p] for p in premises]
    regions[position] = Structured(*regions[position], structure=structure)
    found = atom.facts_on(tuple(regions), kw)
    curvature = rules.composed(found.curvature, found.monotonicity,
                               tuple(facts.curvature[p] for p in premises), atom.fixed_arguments)
    if curvature is UNKNOWN:
        return False
    facts.range[index], facts.curvature[index], facts.rule[index] = found.range, curvature, RULE
    facts.notes[index] = Note(
        words=(f"`{tape.text(premises[position], 40)}` is {structure} (decided exactly)",
               atom.describe(regions, kw)),
        detail=(position, structure))
    return True
