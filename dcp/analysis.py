"""The engine: one loop over a tape's ids, concluding each node's facts from its premises'.

Children come before parents on a :class:`~dcp.tape.Tape`, so a single pass in id order
sees every premise first, with no recursion; a subexpression written many times is one
id, analysed once. Curvature is never decided here: every conclusion comes from
:mod:`dcp.rules`; this module only gathers the premises, the atom facts on the arguments'
ranges, and the domain conditions, into the columns of a :class:`~dcp.proof.Facts`.

How a node is analysed (its *plan*: the rule, its premises, the atom) depends only on the
expression, so it is made once per tape and kept for re-analyses under other bounds (the
hint search). Making a plan can add nodes: a loss's body with its arguments put in, an
idiom's rewritten form. Those nodes come after the node that needs them, and are
analysed just before it.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from . import rules
from .atoms import Atom, lookup, operator
from .atoms.calls import expand_at, resolve_at
from .errors import ArgumentError, DcpError
from .facts import POS, REALS, Interval, literal_range
from .facts.curvature import AFFINE, CONSTANT, UNKNOWN
from .idioms import IDIOMS, rewrite
from .proof import Facts, Note
from .syntax.ast import walk_postorder
from .tape import Tape

__all__ = ["Analyzer"]

#: The operators that apply an atom of that name to their operands.
_OPERATORS = frozenset({"+", "-", "neg", ".T", "[]", "[...]"})


class Analyzer:
    """Analyses the expressions on ``tape`` in the variables ``wrt``, with the user atoms
    ``atoms``; :meth:`analyse` runs the rules under given bounds.

    One analyzer keeps its plans, so analysing again under other bounds (the hint search)
    or analysing several roots of one tape does the bound-independent work once.
    """

    def __init__(self, tape: Tape, wrt: Iterable[str], atoms: Mapping[str, Atom] | None = None):
        self.tape = tape
        self.wrt = frozenset(wrt)
        self.atoms = atoms or {}
        self._plans: list[tuple] = []

    def analyse(self, bounds: Mapping[str, Interval], root: int, facts: Facts | None = None,
                ids: Iterable[int] | None = None) -> Facts:
        """The facts of ``root`` and of the nodes under it, under ``bounds``. With ``facts``
        and ``ids``, those nodes are analysed again (their old facts are dropped) and the
        rest are kept: ``facts`` is updated in place.

        One pass in id order, so premises come first and errors in the order written. A
        node no proof step needs (what a rewrite replaced, an argument a definition
        ignores) may fail without consequence: a node's error is kept and raised only when
        a node that needs it is analysed (the root's, at the end)."""
        facts = facts if facts is not None else Facts()
        facts.grow(len(self.tape.op))
        curvatures = facts.curvature
        if ids is None:
            ids = range(len(curvatures))
        else:
            ids = sorted(ids)
            for index in ids:
                curvatures[index] = None
                facts.notes.pop(index, None)
        plans, plan_of, visit = self._plans, self._plan_of, self._visit
        if len(plans) < len(curvatures):
            plans.extend([None] * (len(curvatures) - len(plans)))
        failed: dict[int, DcpError] = {}
        for index in ids:
            if curvatures[index] is not None:
                continue
            try:
                step, premises, extra = plans[index] or plan_of(index, facts)
                if premises and premises[-1] > index and curvatures[premises[-1]] is None:
                    visit(premises[-1], bounds, facts)      # a rewritten form, a body
                if failed:
                    for premise in premises:
                        if premise in failed:
                            raise failed[premise]
                step(self, index, premises, extra, bounds, facts)
            except DcpError as error:
                failed[index] = error
        if root in failed:
            raise failed[root]
        return facts

    def _visit(self, root: int, bounds, facts: Facts) -> None:
        """Analyse ``root`` after every premise not analysed yet, depth first (for a node
        added after the node that needs it: a rewritten form, a definition's body)."""
        curvatures, plans, plan_of = facts.curvature, self._plans, self._plan_of

        def pending(index: int) -> tuple[int, ...]:
            return () if curvatures[index] is not None else (plans[index] or plan_of(index, facts))[1]
        for index in walk_postorder(root, pending, int):
            if curvatures[index] is None:
                step, premises, extra = plans[index]
                step(self, index, premises, extra, bounds, facts)

    def premises(self, index: int) -> tuple[int, ...]:
        """The nodes the facts of node ``index`` are made from (for a user atom, its
        arguments and its body): what the hint search follows to find what a changed
        bound reaches."""
        plans = self._plans
        plan = plans[index] if index < len(plans) else None
        return (plan or self._plan_of(index))[1]

    def _plan_of(self, index: int, facts: Facts | None = None) -> tuple:
        """The plan of node ``index``, made once; the rows it adds get room."""
        plan = self._plan(index)
        plans, size = self._plans, len(self.tape.op)
        if len(plans) < size:                       # the plan added rows
            plans.extend([None] * (size - len(plans)))
            if facts is not None:
                facts.grow(size)
        plans[index] = plan
        return plan

    # ---- what each node needs ----------------------------------------------------------
    def _plan(self, index: int) -> tuple:
        """How a node is analysed: ``(step function, premise ids, extra)``. A premise
        written ``+a`` is ``a`` (its step is ``a``'s)."""
        tape = self.tape
        op = tape.op[index]
        if op == "name" or op == "number":
            return _LEAF
        found = rewrite(tape, index)
        if found is not None:
            return (Analyzer._rewrite, (found[1],), found[0])
        if op == "pos":
            return (Analyzer._same, tape.args[index], "same")
        if op == "call":
            atom, args, kw = resolve_at(tape, index, self.atoms)
            args = _plain(tape, args)
            extra = _applying(atom, kw, len(args))
            if atom.kind == "expansion":
                return (Analyzer._expansion, (expand_at(tape, index, atom, args, kw),), extra)
            if atom.kind == "user":         # composed or expanded: see _user
                return (Analyzer._user, (*args, expand_at(tape, index, atom, args, kw)), extra)
            if atom.kind == "product":
                return (Analyzer._product, args, extra)
            return (Analyzer._composition, args, extra)
        args = _plain(tape, tape.args[index])
        if op == "^":
            exponent = tape.constant(args[1])
            if exponent is None:
                raise ArgumentError("the exponent must be a numeric constant (x ^ 2, x ^ -1, "
                                    "x ^ 0.5); for other powers write exp(a * log(x))",
                                    span=tape.arg_span(index, 1))
            return (Analyzer._composition, args[:1], _applying(lookup("power", 1), {"p": exponent}, 1))
        if op == "*" or op == "@":
            return (Analyzer._product, args, _applying(operator(op), {}, 2))
        if op == "/":
            return (Analyzer._division, args, None)
        if op in _OPERATORS:
            return (Analyzer._composition, args, _applying(operator(op), {}, len(args)))
        if op == "ref":
            return (Analyzer._same, args, "binding")
        raise TypeError(f"cannot analyse {op}")

    # ---- steps: each sets the facts of one node from its premises' --------------------
    def _leaf(self, index: int, premises, extra, bounds, facts: Facts) -> None:
        tape = self.tape
        data = tape.data[index]
        if tape.op[index] == "number":
            _set(facts, index, literal_range(data), CONSTANT, "number", ())
        elif data in self.wrt:
            _set(facts, index, bounds.get(data, REALS), AFFINE, "variable", ())
        else:
            _set(facts, index, bounds.get(data, REALS), CONSTANT, "parameter", ())

    def _same(self, index: int, premises, rule: str, bounds, facts: Facts) -> None:
        """``+a`` is ``a`` ("same"); a bound name has its value's facts ("binding")."""
        _set(facts, index, facts.range[premises[0]], facts.curvature[premises[0]], rule, premises)

    def _rewrite(self, index: int, premises, idiom: str, bounds, facts: Facts) -> None:
        _set(facts, index, facts.range[premises[0]], facts.curvature[premises[0]], "rewrite", premises)
        facts.notes[index] = Note(words=(IDIOMS[idiom].identity,), idiom=idiom)

    def _expansion(self, index: int, premises, extra, bounds, facts: Facts) -> None:
        """A call that is its atom's definition: the facts of the expanded body."""
        atom, _, items, _ = extra
        inner = premises[-1]
        _set(facts, index, facts.range[inner], facts.curvature[inner], "expansion", (inner,), atom, items)
        words = (f"{atom.name}: {atom.name}({', '.join(atom.params)}) = {atom.template}",)
        facts.notes[index] = Note(words=words)

    def _composition(self, index: int, premises: tuple[int, ...], extra, bounds, facts: Facts) -> None:
        atom, kw, items, domains = extra
        ranges, curvatures = facts.range, facts.curvature
        if domains is None:                             # defined everywhere: the commonest
            regions, requires = tuple([ranges[p] for p in premises]), ()
        else:
            regions, requires = [], []
            for premise, domain in zip(premises, domains):
                region = ranges[premise]
                if domain is not REALS and not domain.contains(region):
                    region = region.intersect(domain)
                    requires.append((premise, domain))
                    if region is None:
                        text = self.tape.text(premise)
                        _set(facts, index, REALS, UNKNOWN, "composition", premises, atom, items)
                        facts.notes[index] = Note(tuple(requires),
                                                  f"{atom.spelling} is defined for arguments in "
                                                  f"{domain}, but `{text}` always lies in "
                                                  f"{ranges[premise]}", regions=())
                        return
                regions.append(region)
            regions, requires = tuple(regions), tuple(requires)
        found = atom.facts_on(regions, kw)
        args = tuple([curvatures[p] for p in premises])
        curvature = rules.composed(found.curvature, found.monotonicity, args)
        _set(facts, index, found.range, curvature, "composition", premises, atom, items)
        if curvature is UNKNOWN and UNKNOWN not in args:
            self._broken(index, premises, regions, requires, found, atom, kw, facts)
        elif requires:
            facts.notes[index] = Note(requires, regions=regions)

    def _broken(self, index: int, premises, regions, requires, found, atom: Atom, kw: dict,
                facts: Facts) -> None:
        """Note that the composition rule broke at ``index`` (its premises all known); why
        is worded when somebody reads it."""
        operands = self._operands(facts)

        def why() -> rules.Outcome:
            return rules.compose(atom.spelling, found.curvature, found.monotonicity,
                                 [operands(p, r) for p, r in zip(premises, regions)],
                                 lambda: _note(atom, kw))
        facts.notes[index] = Note(requires, why, regions=regions if requires else None)

    def _operands(self, facts: Facts) -> Callable[..., rules.Operand]:
        """What the rules see of a premise (to word a break): a function of the premise and
        its range, holding the columns it reads, not ``facts`` (whose notes will hold it:
        no reference cycle)."""
        tape, curvatures, ranges, kinds = self.tape, facts.curvature, facts.range, facts.rule

        def operand(premise: int, region: Interval | None = None) -> rules.Operand:
            parameter = tape.data[premise] if kinds[premise] == "parameter" else None
            return rules.Operand(curvatures[premise], region or ranges[premise],
                                 _Text(tape, premise), parameter)
        return operand

    def _user(self, index: int, premises: tuple[int, ...], extra, bounds, facts: Facts) -> None:
        """A one-argument user atom: composed where its proved facts decide the curvature
        on the argument's range, else its body with the argument put in (the last
        premise) is analysed, as for a loss."""
        self._composition(index, premises[:-1], extra, bounds, facts)
        if facts.curvature[index] is UNKNOWN:
            facts.notes.pop(index, None)
            self._expansion(index, premises, extra, bounds, facts)

    def _product(self, index: int, premises: tuple[int, ...], extra, bounds, facts: Facts) -> None:
        atom, kw, _, _ = extra
        left, right = premises
        ranges, curvatures = facts.range, facts.curvature
        curvature = rules.product_curvature(curvatures[left], curvatures[right], ranges[left], ranges[right])
        _set(facts, index, atom.facts_on((ranges[left], ranges[right]), kw).range, curvature,
             "product", premises, atom)
        if curvature is UNKNOWN and curvatures[left] is not UNKNOWN and curvatures[right] is not UNKNOWN:
            operand = self._operands(facts)

            def why() -> rules.Outcome:             # worded when somebody reads it
                return rules.product(atom.spelling, operand(left), operand(right))
            facts.notes[index] = Note(reason=why)

    def _division(self, index: int, premises: tuple[int, ...], extra, bounds, facts: Facts) -> None:
        top, bottom = premises
        ranges, tape = facts.range, self.tape
        if ranges[bottom].is_zero:                   # e.g. 1/0, x/(1 - 1), x/(0.3 - 0.1 - 0.2)
            why = "" if tape.op[bottom] == "number" else f": `{tape.text(bottom)}` is 0"
            raise ArgumentError(f"division by zero{why}", span=tape.span(index))
        if facts.curvature[bottom].is_constant:
            operand = self._operands(facts)
            outcome = rules.quotient(operand(top), operand(bottom))
            _set(facts, index, ranges[top] * ranges[bottom].reciprocal(), outcome.curvature,
                 "quotient", premises)
            if outcome.reason is not None:
                facts.notes[index] = Note(reason=outcome.reason, fix=outcome.fix)
            return
        region, requires = ranges[bottom], ()
        if region.is_nonneg and not region.is_positive and not region.is_zero:
            # c / g is defined only where g != 0, which for g >= 0 is where g > 0.
            region = region.intersect(POS)
            requires = ((bottom, POS),)
        operand = self._operands(facts)
        outcome = rules.reciprocal(operand(top), operand(bottom, region))
        _set(facts, index, ranges[top] * region.reciprocal(), outcome.curvature, "reciprocal", premises)
        facts.notes[index] = Note(requires, outcome.reason, outcome.fix,
                                  ("inv_pos: convex, nonincreasing on (0, inf)",))


_LEAF = (Analyzer._leaf, (), None)


class _Text:
    """Names a premise in a break's reason: printed only when the reason is worded."""

    __slots__ = ("tape", "index")

    def __init__(self, tape: Tape, index: int):
        self.tape, self.index = tape, index

    @property
    def text(self) -> str:
        return self.tape.text(self.index)


def _set(facts: Facts, index: int, value_range: Interval, curvature, rule: str,
         premises: tuple[int, ...], atom=None, kwargs: tuple = ()) -> None:
    facts.range[index] = value_range
    facts.curvature[index] = curvature
    facts.rule[index] = rule
    facts.premises[index] = premises
    facts.atom[index] = atom
    facts.kwargs[index] = kwargs


def _plain(tape: Tape, ids: tuple[int, ...]) -> tuple[int, ...]:
    """``ids`` with each ``+a`` replaced by ``a`` (a premise is what it stands for)."""
    op = tape.op
    for i in ids:
        if op[i] == "pos":
            break
    else:
        return ids                                  # the commonest: no + at all
    return tuple([tape.plain(i) for i in ids])


def _applying(atom: Atom, kw: dict, count: int) -> tuple:
    """The plan's extra for applying ``atom`` to ``count`` arguments: the atom, its
    keywords (also as pairs, as a step holds them), and each argument's domain (None when
    it is defined everywhere)."""
    return atom, kw, tuple(kw.items()), atom.domains(count, kw)


def _note(atom: Atom, kw: dict) -> str:
    """Where a scalar atom is convex or concave, for the message when it is neither."""
    pieces = getattr(atom, "pieces", None)
    if pieces is None:
        return ""
    facts = pieces(kw)
    parts = [f"convex on {i}" for i in facts["convex_on"]] + [f"concave on {i}" for i in facts["concave_on"]]
    return ", ".join(parts)
