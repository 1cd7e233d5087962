"""The perspective: ``t * f(v1/t, ..., vk/t)`` is convex (concave) where f is.

For f convex on a box B, its perspective ``g(t, v) = t f(v/t)`` is convex on the cone
``{t > 0, v/t in B}``, jointly in t and v (Boyd and Vandenberghe, section 3.2.6). So where
t is affine and positive, each vi affine and each quotient vi/t ranges inside B, the
composition with that affine map is convex in the variables. Affine f gives an affine
``a . v + b t``. Quotients with proportional numerators (``x/t`` and ``(35*x)/t``) are
separate arguments of f: the perspective of f composed with a linear map, still one.

f is found by putting a *stand-in* for each quotient: a name the grammar cannot read
(``⟨x21/(1e-06 + b39)⟩``), which the analysis treats as a variable over the quotient's
range (:attr:`dcp.analysis.Analyzer.stand_ins`). f may hold parameters, but no variable
outside the stand-ins: ``t * (x/t + x)`` is no perspective. Over a sum whose terms are not
all such (the MINLPLib hull reformulations add ``306.25 * b79`` inside), the node is first
rewritten as ``P * t + R * t``, P the terms that depend on the variables only through the
quotients ("distribution", an exact polynomial identity), and ``P * t`` is a perspective;
``R * t`` is left to the other rules and methods (a quadratic form, for the hull's), and
only a rest of terms the rules know is split off (a nest of such products would otherwise
be proved level inside level).

Example (MINLPLib syn05h)::

    >>> from dcp import certify
    >>> result = certify("(x21/(1e-06 + b39) - log(1 + x17/(1e-06 + b39))) * (1e-06 + b39)",
    ...                  wrt=["b39", "x17", "x21"], check=False,
    ...                  assume=["0 <= b39 <= 1", "x17 >= 0", "x21 >= 0"])
    >>> result.verdict, result.proof.root.rule
    ('convex', 'perspective')
"""
from __future__ import annotations

from contextvars import ContextVar

from ..analysis import Analyzer, _set
from ..errors import DcpError
from ..facts.curvature import AFFINE
from ..kernel import (
    Stopping,
    distributed,
    is_stand_in,
    leak,
    names_outside,
    over,
    stand_in_name,
    substituted,
    terms_of,
)
from ..proof import Facts, Note, entrywise
from ..tape import Column, Tape, postorder

__all__ = ["attempt"]

#: How many perspectives and distributions may be in proof inside one another. Proving one
#: proves its function or its rewritten form (:meth:`Analyzer.prove`), which may try this
#: method again: bounded, so that no input nests that to any depth (MINLPLib's need two, a
#: distribution and the perspective in it); a deeper nest is left unknown.
MAX_NESTING = 4
_nesting: ContextVar[int] = ContextVar("perspective_nesting", default=0)


def attempt(analyzer: Analyzer, index: int, bounds, facts: Facts) -> bool:
    """Prove ``t * A`` (either order) a perspective, or its distribution over A's terms."""
    tape = analyzer.tape
    depth = _nesting.get()
    if tape.op[index] != "*" or depth >= MAX_NESTING:
        return False
    left, right = (tape.plain(a) for a in tape.args[index])
    token = _nesting.set(depth + 1)
    try:
        for t, outer in ((right, left), (left, right)):
            if _affine(facts, t) and facts.range[t].is_positive:
                quotients = _quotients(tape, outer, t, facts, analyzer.wrt)
                if _perspective(analyzer, index, t, outer, quotients, bounds, facts) if quotients \
                        else quotients is None and _distribute(analyzer, index, t, bounds, facts):
                    return True
        return False
    finally:
        _nesting.reset(token)


def _declared_array(analyzer: Analyzer, t: int) -> bool:
    """Whether ``t`` holds a name declared an array: then the perspective holds entry by
    entry only, where its function mixes no entries (shape inference refuses any other)."""
    ranks = analyzer.ranks
    return bool(ranks) and any(ranks.get(name, 0) > 0 for name in analyzer.tape.names(t))


def _quotients(tape: Tape, root: int, t: int, facts: Facts, wrt) -> list[int] | None:
    """The quotients ``v / t`` under ``root`` with v affine (none inside another; t may be
    written otherwise there: :func:`~dcp.kernel.over`), when ``root`` names no variable
    (nor any stand-in) outside them; else None, found at the first such name."""
    stops = _Quotients(tape, t, facts)
    if any(tape.data[i] in wrt or is_stand_in(tape.data[i]) for i in names_outside(tape, root, stops)):
        return None
    return list(stops.found)


class _Quotients:
    """The quotients ``v / t`` with v affine, as a container of ids; those asked about
    are kept, in the order asked (:func:`~dcp.kernel.names_outside` asks once each)."""

    __slots__ = ("tape", "t", "facts", "found")

    def __init__(self, tape: Tape, t: int, facts: Facts):
        self.tape, self.t, self.facts, self.found = tape, t, facts, {}

    def __contains__(self, index: int) -> bool:
        if index in self.found:
            return True
        tape, args = self.tape, self.tape.args[index]
        if tape.op[index] == "/" and _affine(self.facts, tape.plain(args[0])) \
                and _affine(self.facts, tape.plain(args[1])) and over(tape, index, self.t):
            self.found[index] = None
            return True
        return False


def _known(facts: Facts, index: int) -> bool:
    """Whether node ``index`` was analysed convex, concave or affine."""
    curvature = facts.curvature[index]
    return curvature is not None and curvature.is_known


def _affine(facts: Facts, index: int) -> bool:
    """Whether node ``index`` was analysed affine (a node a rewrite replaced may not have
    been analysed at all)."""
    curvature = facts.curvature[index]
    return curvature is not None and curvature.is_affine


def _perspective(analyzer: Analyzer, index: int, t: int, outer: int, quotients: list[int],
                 bounds, facts: Facts) -> bool:
    """Set node ``index`` as the perspective of ``outer`` over ``t`` with ``quotients``
    put in, when its function is convex, concave or affine in the stand-ins alone."""
    tape = analyzer.tape
    stand_ins = _stand_ins(analyzer, quotients, t, facts)
    if stand_ins is None:
        return False
    function = substituted(tape, outer, stand_ins)
    _forget(analyzer, function, set(stand_ins.values()), facts)
    try:
        analyzer.prove(function, bounds, facts)
    except DcpError:                            # (f undefined somewhere: no perspective)
        return False
    curvature = facts.curvature[function]
    if not curvature.is_known or leak(tape, facts, function, set(stand_ins.values())) is not None:
        return False
    if _declared_array(analyzer, t) and not entrywise(facts, function):
        return False                # an array t: a perspective entry by entry only
    numerators = tuple([tape.plain(tape.args[q][0]) for q in stand_ins])
    _set(facts, index, facts.range[t] * facts.range[function],
         AFFINE if curvature.is_affine else curvature, "perspective", (t, *numerators, function))
    words = (f"t = {tape.text(t)} affine and positive, f {curvature} in its stand-ins",)
    facts.notes[index] = Note(words=words, detail=tuple(stand_ins.items()))
    return True


def _stand_ins(analyzer: Analyzer, quotients: list[int], t: int, facts: Facts) -> dict[int, int] | None:
    """A stand-in for each quotient, by quotient, its range set for the analysis (None
    when a user's name is spelled as one, or two quotients are written alike)."""
    tape, found = analyzer.tape, {}
    reciprocal = facts.range[t].reciprocal()
    for quotient in quotients:
        name = stand_in_name(tape, quotient)
        known = tape.find("name", name)
        if known is not None and facts.rule[known] not in (None, "stand-in"):
            return None                         # a name of the user's, not a stand-in
        numerator = tape.plain(tape.args[quotient][0])
        analyzer.stand_ins[name] = facts.range[numerator] * reciprocal
        found[quotient] = tape.add_like(quotient, "name", name)
    return found if len(set(found.values())) == len(found) else None


def _forget(analyzer: Analyzer, root: int, made: set[int], facts: Facts) -> None:
    """Drop the facts of every node the proof of ``root`` reaches that is or rests on a
    node of ``made`` (this method's: stand-ins, a distribution's sums and products). No
    re-analysis under other bounds (the hint search) reaches them from the expression, so
    what they hold may be another analysis's: other stand-in ranges, or rows of another
    analyzer, with no plan here."""
    analyzer.premises(root, facts)              # (the rows it plans get room)
    holds: set[int] = set()
    for index in postorder(root, Column(lambda node: analyzer.premises(node, facts))):
        if index in made or any(p in holds for p in analyzer.premises(index, facts)):
            holds.add(index)
            facts.curvature[index] = None
            facts.notes.pop(index, None)


def _distribute(analyzer: Analyzer, index: int, t: int, bounds, facts: Facts) -> bool:
    """Rewrite ``A * t`` as ``P * t + R * t`` (:func:`~dcp.kernel.distributed`), P the
    terms of the sum A that depend on the variables only through quotients over t, and
    prove it so (``P * t`` a perspective), when R's terms are known: ``R * t`` is then
    for the methods that decide what is made of known pieces (a quadratic form). (Proving
    one of unknown pieces here would explore them again, at every level of a nest of such
    products, each of which is tried in its own turn.)"""
    tape, wrt = analyzer.tape, analyzer.wrt
    terms = [term for _, term in terms_of(tape, tape.args[index][0] if tape.plain(tape.args[index][1]) == t
                                          else tape.args[index][1])]
    rest = [term for term in terms if _quotients(tape, term, t, facts, wrt) is None]
    if len(rest) in (0, len(terms)) or not all(_known(facts, term) for term in rest):
        return False
    form = distributed(tape, index, t, wrt)
    if form is None:
        return False
    pure = tape.args[form][0]
    pure = tape.args[pure][0 if tape.plain(tape.args[pure][1]) == t else 1]
    if not _quotients(tape, pure, t, facts, wrt):
        return False                            # P holds no quotient, or one not affine over t
    made = set()
    for node in postorder(form, Stopping(tape.args, set(terms) | {t})):
        if node > index and node not in terms and node != t:
            made.add(node)
    _forget(analyzer, form, made, facts)
    try:
        analyzer.prove(form, bounds, facts)
    except DcpError:
        return False
    if not facts.curvature[form].is_known:
        return False
    _set(facts, index, facts.range[form], facts.curvature[form], "distribution", (form,))
    facts.notes[index] = Note(words=("(p + r) * t = p * t + r * t",))
    return True
