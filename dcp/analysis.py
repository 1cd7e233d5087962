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
analysed just before it. A leaf needs no plan; an operator's, or a built-in call's
without keywords, is the same at every node but for its arguments, and comes from a
table made once per process.

What is a pure function of intervals and costs microseconds in exactly rounded
arithmetic (an atom's facts on its arguments' ranges and the composition's conclusion, a
quotient, an argument's range narrowed to its domain) is memoised, and a break is worded
only when somebody reads it.
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Callable, Iterable, Mapping

from . import rules
from .atoms import Atom, lookup, operator
from .atoms.calls import expand_at, resolve_at, resolves_once
from .atoms.structural import index_keywords
from .facts.valued import zero_entry
from .errors import ArgumentError, DcpError
from .facts import NEG, POS, REALS, Interval, literal_range
from .facts.curvature import AFFINE, CONSTANT, UNKNOWN
from .idioms import HEADS as IDIOM_HEADS
from .idioms import IDIOMS, rewrite
from .memo import Memo
from .proof import Facts, Note
from .syntax.ast import walk_postorder
from .tape import Tape, postorder

__all__ = ["Analyzer"]

#: The declared ranks of an analysis that has none.
_NO_RANKS: Mapping[str, int] = MappingProxyType({})
#: The nodes whose facts read the bounds or the literal, with no premise and no plan.
_LEAVES = frozenset({"name", "number"})


class Analyzer:
    """Analyses the expressions on ``tape`` in the variables ``wrt``, with the user atoms
    ``atoms``; :meth:`analyse` runs the rules under given bounds.

    One analyzer keeps its plans, so analysing again under other bounds (the hint search)
    or analysing several roots of one tape does the bound-independent work once.
    """

    def __init__(self, tape: Tape, wrt: Iterable[str], atoms: Mapping[str, Atom] | None = None,
                 ranks: Mapping[str, int] | None = None):
        self.tape = tape
        self.wrt = frozenset(wrt)
        self.atoms = atoms or {}
        #: The declared ranks of names (``shape u = (n,)``: 1), which some methods read.
        self.ranks = ranks or _NO_RANKS
        #: What methods keep between attempts, by method (bound-independent: what they
        #: learnt of the expression's structure).
        self.scratch: dict[str, object] = {}
        #: Nodes no method can prove more of, at them or inside them (an indefinite
        #: quadratic form; a monomial no rule covers): the walk does not go down into them.
        self.hopeless: set[int] = set()
        #: Whether the methods' walk settled a node (then the proof is concluded again).
        self.settled = False
        # The plans, in three columns by id (a tuple per node would be one more object per
        # node to allocate and to keep): the step function (None: not planned yet), the
        # premise ids and the extra (the atom applied, an idiom's name).
        self._steps: list[Callable | None] = []
        self._premises: list[tuple[int, ...]] = []
        self._extras: list[object] = []
        #: The node being certified (a method proves more there: an indefinite quadratic
        #: form at the root is disproved exactly).
        self.root: int | None = None
        #: The ranges of the stand-ins of a perspective's function, by name (see
        #: :mod:`dcp.methods.perspective`): set by the method before it proves one.
        self.stand_ins: dict[str, Interval] = {}

    def analyse(self, bounds: Mapping[str, Interval], root: int, facts: Facts | None = None,
                ids: Iterable[int] | None = None) -> Facts:
        """The facts of ``root`` and of the nodes under it, under ``bounds``. With ``facts``
        and ``ids``, those nodes are analysed again (their old facts are dropped) and the
        rest are kept: ``facts`` is updated in place.

        One pass in id order, so premises come first and errors in the order written. A
        node no proof step needs (what a rewrite replaced, an argument a definition
        ignores) may fail without consequence: a node's error is kept and raised only when
        a node that needs it is analysed (the root's, at the end)."""
        self.root = root
        if self.hopeless:
            self.hopeless.clear()
        if facts is None:
            facts = Facts(len(self.tape.op))
        else:
            facts.grow(len(self.tape.op))
        curvatures = facts.curvature
        if ids is None:
            ids = range(len(curvatures))
        else:
            ids = sorted(ids)
            for index in ids:
                curvatures[index] = None
                facts.notes.pop(index, None)
        steps, premise_ids, extras = self._steps, self._premises, self._extras
        leaf, keep = self._leaf, self._keep
        ops = self.tape.op
        self._grow(facts)
        failed: dict[int, DcpError] = {}
        for index in ids:
            if curvatures[index] is not None:
                continue
            try:
                step = steps[index]
                if step is not None:
                    premises, extra = premise_ids[index], extras[index]
                elif ops[index] in _LEAVES:             # no plan to make, no premise
                    leaf(index, (), None, bounds, facts)
                    continue
                else:
                    step, premises, extra = keep(index, facts)
                if premises and premises[-1] > index and curvatures[premises[-1]] is None:
                    self._visit(premises[-1], bounds, facts)    # a rewritten form, a body
                if failed:
                    for premise in premises:
                        if premise in failed:
                            raise failed[premise]
                step(self, index, premises, extra, bounds, facts)
            except DcpError as error:
                failed[index] = error
        if root in failed:
            raise failed[root]
        if facts.witnesses:
            facts.witnesses.clear()
        if facts.curvature[root] is UNKNOWN:
            self.settled = False
            self._beyond(root, bounds, facts)
            if self.settled:
                self._refresh(root, bounds, facts)
        return facts

    # ---- beyond the composition rule (SPEC section 9) ----------------------------------
    def _beyond(self, root: int, bounds, facts: Facts) -> None:
        """Where the plain rules leave ``root`` unknown, try the methods of
        :mod:`dcp.methods` top down: first at the root, then at each unknown premise, so a
        method proves the largest subexpression it can (a quadratic form is decided whole,
        not term by term). When one settles a node, the nodes above it on the way down are
        concluded again by their plain rules. Each node is tried once; only nodes the plain
        rules left unknown are, so a certified proof is exactly as short as before."""
        from .methods import METHODS
        curvatures = facts.curvature
        above: dict[int, int | None] = {root: None}
        pending = [root]
        while pending and curvatures[root] is UNKNOWN:
            index = pending.pop()
            if curvatures[index] is not UNKNOWN:
                continue                            # settled since (a shared premise)
            if index != root:
                self._conclude_again(index, bounds, facts)  # a premise may have been settled
            if curvatures[index] is UNKNOWN and \
                    not any(method(self, index, bounds, facts) for method in METHODS):
                if index in self.hopeless:
                    continue
                for premise in reversed(facts.premises[index]):
                    if premise not in above and curvatures[premise] is UNKNOWN:
                        above[premise] = index
                        pending.append(premise)
                continue
            self.settled = True
            parent = above[index]
            while parent is not None:
                self._conclude_again(parent, bounds, facts)
                parent = above[parent]

    def _refresh(self, root: int, bounds, facts: Facts) -> None:
        """Conclude again, premises first, every plain step of the proof of ``root``, and
        give each rewrite its other side's facts again. A method settles a node where it
        is, and the walk concludes again only the nodes above it on its way down; a node
        shared with another branch, or with a method's own attempt (which may have settled
        nodes and then failed), still holds facts made from the old ones, which the kernel
        would find do not follow."""
        rules = facts.rule
        for index in postorder(root, facts.premises):
            rule = rules[index]
            if rule in _PLAIN_STEPS:
                self._conclude_again(index, bounds, facts)
            elif rule in _SAME_AS_PREMISE:
                premise = facts.premises[index][0]
                facts.range[index], facts.curvature[index] = facts.range[premise], facts.curvature[premise]

    def _conclude_again(self, index: int, bounds, facts: Facts) -> None:
        """Run node ``index``'s plain step again (its premises' facts changed)."""
        facts.notes.pop(index, None)
        facts.curvature[index] = None
        self._steps[index](self, index, self._premises[index], self._extras[index], bounds, facts)

    def prove(self, node: int, bounds, facts: Facts) -> None:
        """Analyse ``node``, added to the tape by a method (a rewritten form, a stand-in's
        function), and what under it is not analysed yet; then the methods where the plain
        rules leave it unknown. A :class:`DcpError` under it propagates (the method then
        fails)."""
        self._grow(facts)
        if facts.curvature[node] is None:
            self._visit(node, bounds, facts)
        if facts.curvature[node] is UNKNOWN:
            self._beyond(node, bounds, facts)

    def _visit(self, root: int, bounds, facts: Facts) -> None:
        """Analyse ``root`` after every premise not analysed yet, depth first (for a node
        added after the node that needs it: a rewritten form, a definition's body)."""
        curvatures, steps, premise_ids, extras = facts.curvature, self._steps, self._premises, self._extras

        def pending(index: int) -> tuple[int, ...]:
            return () if curvatures[index] is not None else self.premises(index, facts)
        for index in walk_postorder(root, pending, int):
            if curvatures[index] is None:
                steps[index](self, index, premise_ids[index], extras[index], bounds, facts)

    def premises(self, index: int, facts: Facts | None = None) -> tuple[int, ...]:
        """The nodes the facts of node ``index`` are made from (for a user atom, its
        arguments and its body): what the hint search follows to find what a changed
        bound reaches."""
        if index < len(self._steps) and self._steps[index] is not None:
            return self._premises[index]
        return self._keep(index, facts)[1]

    def _keep(self, index: int, facts: Facts | None) -> tuple:
        """Make the plan of node ``index`` and keep it in the columns (the rows it adds
        get room); returns it."""
        plan = self._plan(index)
        if len(self.tape.op) != len(self._steps):         # the plan added rows
            self._grow(facts)
        self._steps[index], self._premises[index], self._extras[index] = plan
        return plan

    def _grow(self, facts: Facts | None) -> None:
        """Room for every row, those a plan added too (a rewritten form, a definition's
        body)."""
        size = len(self.tape.op)
        missing = size - len(self._steps)
        if missing > 0:
            self._steps.extend([None] * missing)
            self._premises.extend([()] * missing)
            self._extras.extend([None] * missing)
        if facts is not None:
            facts.grow(size)

    # ---- what each node needs ----------------------------------------------------------
    def _plan(self, index: int) -> tuple:
        """How a node is analysed: ``(step function, premise ids, extra)``. A premise
        written ``+a`` is ``a`` (its step is ``a``'s)."""
        tape = self.tape
        op = tape.op[index]
        if op == "call":
            return self._call_plan(index)
        if op == "name" or op == "number":
            return _LEAF
        if op in IDIOM_HEADS:                       # (most nodes cannot match an idiom)
            found = rewrite(tape, index)
            if found is not None:
                return (Analyzer._rewrite, (found[1],), found[0])
        if op == "pos":
            return (Analyzer._same, tape.args[index], "same")
        args = _plain(tape, tape.args[index])
        if op == "[]":
            kw = index_keywords(tape, index)
            if kw:                                  # of a name: its entry's range, if given
                return (Analyzer._composition, args, _applying(operator(op), kw, 1))
        known = _OPERATOR_PLANS.get(op)
        if known is not None:                       # + - * @ neg .T []: the operator's atom
            return (known[0], args, known[1])
        if op == "[...]":
            return (Analyzer._composition, args, _applying(operator(op), {}, len(args)))
        if op == "^":
            exponent = tape.constant(args[1])
            if exponent is None:
                raise ArgumentError("the exponent must be a numeric constant (x ^ 2, x ^ -1, "
                                    "x ^ 0.5); for other powers write exp(a * log(x))",
                                    span=tape.arg_span(index, 1))
            return (Analyzer._composition, args[:1], _applying(lookup("power", 1), {"p": exponent}, 1))
        if op == "/":
            return (Analyzer._division, args, None)
        if op == "ref":
            return (Analyzer._same, args, "binding")
        raise TypeError(f"cannot analyse {op}")

    def _call_plan(self, index: int) -> tuple:
        """The plan of a call: its atom's rule, on its arguments (a definition: on its body
        with them put in)."""
        tape = self.tape
        func, keys = tape.data[index]
        if func in IDIOM_HEADS:
            found = rewrite(tape, index)
            if found is not None:
                return (Analyzer._rewrite, (found[1],), found[0])
        written = tape.args[index]
        # A call that always resolves alike (resolves_once: as resolve_at remembers it) has
        # its plan but the arguments made once per process.
        builtin = resolves_once(func, keys, self.atoms)
        if builtin:
            known = _CALL_PLANS.get((func, len(written)))
            if known is not None:
                return (known[0], _plain(tape, written), known[1])
        atom, args, kw = resolve_at(tape, index, self.atoms)
        args = _plain(tape, args)
        extra = _applying(atom, kw, len(args))
        kind = atom.kind
        if kind == "composition" or kind == "product":
            step = Analyzer._composition if kind == "composition" else Analyzer._product
            if builtin and len(args) == len(written):         # (no keyword given by position)
                _CALL_PLANS.put((func, len(written)), (step, extra))
            return (step, args, extra)
        if kind == "expansion":
            return (Analyzer._expansion, (expand_at(tape, index, atom, args, kw),), extra)
        return (Analyzer._user, (*args, expand_at(tape, index, atom, args, kw)), extra)   # see _user

    # ---- steps: each sets the facts of one node from its premises' --------------------
    def _leaf(self, index: int, premises, extra, bounds, facts: Facts) -> None:
        """A number is constant, its range its value; a name in ``wrt`` is a variable
        (affine), a perspective's stand-in a variable over its quotient's range, any other
        a parameter (constant), in the range the bounds give."""
        data = self.tape.data[index]
        if self.tape.op[index] == "number":
            facts.range[index], facts.curvature[index], facts.rule[index] = \
                literal_range(data), CONSTANT, "number"
        elif data in self.wrt:
            facts.range[index], facts.curvature[index], facts.rule[index] = \
                bounds.get(data, REALS), AFFINE, "variable"
        elif self.stand_ins and data in self.stand_ins:     # a perspective's stand-in
            facts.range[index], facts.curvature[index], facts.rule[index] = \
                self.stand_ins[data], AFFINE, "stand-in"
        else:
            facts.range[index], facts.curvature[index], facts.rule[index] = \
                bounds.get(data, REALS), CONSTANT, "parameter"
        facts.premises[index], facts.atom[index], facts.kwargs[index] = (), None, ()

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
        if len(premises) == 1:                          # tuple displays: no loop to run
            first = premises[0]
            regions, args = (ranges[first],), (curvatures[first],)
        elif len(premises) == 2:
            first, second = premises
            regions, args = (ranges[first], ranges[second]), (curvatures[first], curvatures[second])
        else:
            regions, args = tuple([ranges[p] for p in premises]), tuple([curvatures[p] for p in premises])
        requires = ()
        if domains is not None:                         # (None: defined everywhere, the commonest)
            narrowed, wanted = [], []
            for premise, domain, region in zip(premises, domains, regions):
                if domain is not REALS:
                    inside, common = _within(region, domain)
                    if not inside:
                        wanted.append((premise, domain))
                        if common is None:
                            _set(facts, index, REALS, UNKNOWN, "composition", premises, atom, items)
                            facts.notes[index] = Note(tuple(wanted),
                                                      _outside(atom, domain, _Text(self.tape, premise),
                                                               region), regions=())
                            return
                        region = common
                narrowed.append(region)
            regions, requires = tuple(narrowed), tuple(wanted)
        # The atom's facts and the rule's conclusion, asked of the memo first (a deep
        # network or a long sum asks the same at every layer or term).
        key = (atom, items, regions, args)
        known = _COMPOSED.get(key)
        if known is None:
            found = atom.facts_on(regions, kw)
            known = _COMPOSED.put(key, (found, rules.composed(found.curvature, found.monotonicity, args,
                                                                    atom.fixed_arguments)))
        found, curvature = known
        ranges[index] = found.range
        curvatures[index] = curvature
        facts.rule[index] = "composition"
        facts.premises[index] = premises
        facts.atom[index] = atom
        facts.kwargs[index] = items
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
                                 lambda: _note(atom, kw), atom.fixed_arguments)
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
        left_range, right_range = ranges[left], ranges[right]
        left_curvature, right_curvature = curvatures[left], curvatures[right]
        curvature = rules.product_curvature(left_curvature, right_curvature, left_range, right_range)
        _set(facts, index, atom.facts_on((left_range, right_range), kw).range, curvature,
             "product", premises, atom)
        if curvature is UNKNOWN and left_curvature is not UNKNOWN and right_curvature is not UNKNOWN:
            operand = self._operands(facts)

            def why() -> rules.Outcome:             # worded when somebody reads it
                return rules.product(atom.spelling, operand(left), operand(right))
            facts.notes[index] = Note(reason=why)

    def _division(self, index: int, premises: tuple[int, ...], extra, bounds, facts: Facts) -> None:
        """``g / c`` scales by ``1/c`` ("quotient"); ``c / g`` is ``c * inv_pos(g)``, or
        where ``g < 0`` c times the concave ``1/g`` ("reciprocal"). A break's reason is
        worded when somebody reads it."""
        top, bottom = premises
        ranges, curvatures, tape = facts.range, facts.curvature, self.tape
        if ranges[bottom].is_zero:                   # e.g. 1/0, x/(1 - 1), x/(0.3 - 0.1 - 0.2)
            why = "" if tape.op[bottom] == "number" else f": `{tape.text(bottom)}` is 0"
            raise ArgumentError(f"division by zero{why}", span=tape.span(index))
        zero = zero_entry(ranges[bottom])
        if zero is not None:                         # a weight with an entry 0: x / c
            raise ArgumentError(f"division by zero: `{tape.text(bottom)}` has the entry "
                                f"{tape.text(bottom)}[{', '.join(map(str, zero))}] = 0",
                                span=tape.span(index))
        known = curvatures[top].is_known and curvatures[bottom].is_known
        if curvatures[bottom].is_constant:
            factor, value_range = _divided(ranges[top], ranges[bottom])
            curvature = rules.quotient_curvature(curvatures[top], curvatures[bottom], factor)
            _set(facts, index, value_range, curvature, "quotient", premises)
            if curvature is UNKNOWN and known:
                operand = self._operands(facts)
                facts.notes[index] = Note(reason=lambda: rules.quotient(operand(top), operand(bottom)))
            return
        region, requires = ranges[bottom], ()
        for sign, strict in ((region.is_nonneg, POS), (region.is_nonpos, NEG)):
            if sign and not region.is_zero and not strict.contains(region):
                # c / g is defined only where g != 0: for g >= 0 where g > 0, for g <= 0
                # where g < 0.
                region = region.intersect(strict)
                requires = ((bottom, strict),)
                break
        curvature = rules.reciprocal_curvature(curvatures[top], curvatures[bottom], ranges[top], region)
        _set(facts, index, _divided(ranges[top], region)[1], curvature, "reciprocal", premises)
        why = None
        if curvature is UNKNOWN and known:
            operand = self._operands(facts)

            def why() -> rules.Outcome:
                return rules.reciprocal(operand(top), operand(bottom, region))
        facts.notes[index] = Note(requires, why, None, (_NEGATIVE_INVERSE if region.is_negative else _INVERSE,))


_LEAF = (Analyzer._leaf, (), None)
#: The rules of plain steps, which the analysis concludes from their premises' facts.
_PLAIN_STEPS = frozenset({"composition", "product", "quotient", "reciprocal", "expansion", "rewrite",
                          "binding", "same"})
#: The rules of methods' steps that claim what their one premise claims (another spelling).
_SAME_AS_PREMISE = frozenset({"identity", "distribution"})
#: The facts a reciprocal step uses, in words.
_INVERSE = "inv_pos: convex, nonincreasing on (0, inf)"
_NEGATIVE_INVERSE = "1 / g: concave, nonincreasing on (-inf, 0)"


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


def _divided(numerator: Interval, denominator: Interval) -> tuple[Interval, Interval]:
    """``1 / denominator`` and ``numerator * (1 / denominator)``, memoised: a pure function
    of the two intervals, and an outward-rounded interval product costs microseconds
    (a sum's ``/ 2`` asks the same one again and again)."""
    key = (numerator, denominator)
    found = _QUOTIENTS.get(key)
    if found is None:
        factor = denominator.reciprocal()
        found = _QUOTIENTS.put(key, (factor, numerator * factor))
    return found


#: (numerator, denominator) ranges -> what :func:`_divided` gives.
_QUOTIENTS = Memo()


def _within(region: Interval, domain: Interval) -> tuple[bool, Interval | None]:
    """Whether ``region`` lies in ``domain``, and their common part (None when they have
    none), memoised: a pure function of the two intervals, asked for every argument of a
    function with a domain (log, sqrt, ...), and an intersection costs a microsecond."""
    key = (region, domain)
    found = _WITHIN.get(key)
    if found is None:
        found = _WITHIN.put(key, (domain.contains(region), region.intersect(domain)))
    return found


#: (region, domain) -> what :func:`_within` gives.
_WITHIN = Memo()

#: (atom, keywords as pairs, arguments' ranges, arguments' curvatures) -> the atom's facts
#: on those ranges and the curvature the composition rule concludes: everything a
#: composition's conclusion depends on is in the key (an atom's facts never change).
#: (Products are not memoised so: their constant factors' ranges are often exact
#: decimals, Fractions, whose hashing cost more than it saved.)
_COMPOSED = Memo()


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


#: The operators of a fixed arity that apply the atom of that spelling: their plan but the
#: arguments, ``(step, extra)``.
_OPERATOR_PLANS = {op: (Analyzer._composition, _applying(operator(op), {}, count))
                   for op, count in (("+", 2), ("-", 2), ("neg", 1), (".T", 1), ("[]", 1))}
_OPERATOR_PLANS.update({op: (Analyzer._product, _applying(operator(op), {}, 2)) for op in "*@"})
#: (function, argument count) -> the plan but the arguments of a composition or product
#: called as :func:`~dcp.atoms.calls.resolves_once` says is always resolved alike.
_CALL_PLANS = Memo()


def _outside(atom: Atom, domain: Interval, argument: _Text, where: Interval) -> Callable[[], rules.Outcome]:
    """The break of an argument always outside the atom's domain, worded when somebody
    reads it (printing the argument costs more than the whole analysis of a small
    expression)."""
    return lambda: rules.Outcome(UNKNOWN, f"{atom.spelling} is defined for arguments in {domain}, "
                                          f"but `{argument.text}` always lies in {where}")


def _note(atom: Atom, kw: dict) -> str:
    """Where a scalar atom is convex or concave, for the message when it is neither."""
    pieces = getattr(atom, "pieces", None)
    if pieces is None:
        return ""
    facts = pieces(kw)
    parts = [f"convex on {i}" for i in facts["convex_on"]] + [f"concave on {i}" for i in facts["concave_on"]]
    return ", ".join(parts)
