"""Proof traces: steps, breaks, domain conditions, and the catalogue of rule names.

A :class:`Step` records one subexpression: its range, its curvature, the rule applied,
the atom facts used, and its premises. A proof is a tree of steps (a DAG when a
subexpression is shared: it is analysed once and its step reused). A *break* is a step
where a rule could not conclude although all its premises were known: the lowest place
where the proof fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Mapping, NamedTuple

from .errors import Span
from .facts import Curvature, Interval
from .facts.quasi import Quasi, from_curvature
from .syntax.ast import Expr
from .syntax.printer import to_text
from .tape import Tape, postorder

__all__ = ["RULES", "QUASI_RULES", "QuasiStep", "AS_WRITTEN", "LEVEL_SET_RULES", "QUASI_LEVEL_NEEDS",
           "quasi_level_holds", "SetStep", "SetProof",
           "always_holds", "nonconvex_domain", "square_terms", "squared_argument", "entrywise", "Step", "Facts",
           "Note", "DomainCondition", "Proof", "condition_text"]

#: Every rule name a step may carry, with what it means. The kernel checks each.
RULES: dict[str, str] = {
    "number": "A numeric literal is constant; its range is the number itself.",
    "parameter": "A name not in wrt is a parameter: constant, with the range its assumptions give.",
    "variable": "A name in wrt is a variable: affine, with the range its assumptions give.",
    "binding": "A bound name has the facts of the expression it is bound to.",
    "composition": "f(g1, ..., gk) by the DCP composition rule, using f's curvature and "
                   "monotonicity on the arguments' ranges; an argument f's facts need fixed "
                   "(dotsort's weights) must be constant.",
    "product": "In a * b, a @ b or dot(a, b), a constant side scales the other and its "
               "range decides the direction; two non-constant sides break.",
    "quotient": "g / c with a constant c scales g by 1/c.",
    "reciprocal": "c / g with a constant c is c * inv_pos(g) where g > 0, and c times the "
                  "concave, nonincreasing 1/g where g < 0.",
    "expansion": "A loss or a user atom is its definition: mse(a, b) is mean(square(a - b)).",
    "rewrite": "A sound rewrite of a common spelling into an atom: log(1 + exp(t)) is softplus(t).",
    "quadratic": "A polynomial of degree two with exact coefficients is convex (concave) when "
                 "its Hessian is positive (negative) semidefinite, shown by an exact LDLᵀ "
                 "factorisation with D >= 0; with no term of degree two it is affine.",
    "monomial": "c * x1^a1 * ... * xk^ak with every xi >= 0 (> 0 under a negative exponent) and "
                "exact exponents: convex when all ai <= 0, concave when all ai >= 0 and their "
                "sum is at most 1, mirrored when c <= 0; one variable has the power atom's facts.",
    "literal structure": "An atom that reads a matrix argument's structure (quad_form(x, P)) "
                         "with a numeric matrix written out: its structure (symmetric, psd, "
                         "nsd) decided exactly, then the composition rule as for an assumed one.",
    "identity": "A rewrite to a canonical form: the node is its premise by an identity checked "
                "exactly (u/(1 + u) is 1 - 1/(1 + u)) or proved by SymPy (log(sigmoid(t)) is "
                "-softplus(-t)), and has its facts.",
}
# The perspective (SPEC section 9).
RULES.update({
    "perspective": "t * f(v1/t, ..., vk/t) with t affine and positive and each vi affine is "
                   "convex (concave) jointly where f is; f is analysed with a stand-in for each vi/t.",
    "stand-in": "A stand-in for a quotient vi/t inside a perspective's f: a variable ranging "
                "over the quotient's range.",
    "distribution": "(p + r) * t is p * t + r * t, p the terms that depend on the variables "
                    "only through quotients over t: the same polynomial in the same subexpressions.",
})
# Quasiconvexity (DQCP, SPEC section 10): steps of their own (``Facts.quasi``), above the
# plain step of the same node, which the kernel checks first. A premise of known curvature
# is quasiconvex when convex, quasiconcave when concave, quasilinear when affine.
RULES.update({
    "quasi same": "A rewrite, an expansion or a binding is its premise: it has the premise's "
                  "quasi-curvature.",
    "quasi monotone": "An elementwise f of one non-constant argument g (the others constant), "
                      "nondecreasing on g's range: f(g) is quasiconvex (quasiconcave) where g "
                      "is; nonincreasing: the other way round. Scaling by a constant and c/g "
                      "with g of one strict sign are such functions.",
    "quasi unimodal": "An elementwise f of one quasilinear argument g, convex (concave) on g's "
                      "range: f's sublevel (superlevel) sets there are intervals, and {g in I} "
                      "is convex for g quasilinear, so f(g) is quasiconvex (quasiconcave).",
    "quasi maximum": "max or maximum of quasiconvex arguments is quasiconvex (an intersection "
                     "of sublevel sets); min or minimum of quasiconcave ones quasiconcave.",
    "quasi ratio": "f / g with g > 0: quasiconvex when f is convex and g affine, or f convex "
                   "and >= 0 and g concave; quasiconcave when f is concave and g affine, or f "
                   "concave and >= 0 and g convex; for g < 0, as (-f) / (-g).",
    "quasi product": "x * y, entrywise: quasiconcave when x, y are concave and >= 0 (or convex "
                     "and <= 0); quasiconvex when one is concave and >= 0 and the other convex "
                     "and <= 0.",
})
#: The rules whose step is a DQCP step (in ``Facts.quasi``), not a plain one.
QUASI_RULES = frozenset(name for name in RULES if name.startswith("quasi "))


#: The rules of methods beyond the composition rule whose premises are not what the
#: node's value and shape are made of (a quadratic form's symbols, a perspective's function; a rewrite's other side,
#: equal to the node only where both are defined): the numeric check evaluates such a
#: step, and shape inference shapes it, as the user wrote the node.
AS_WRITTEN = frozenset({"quadratic", "monomial", "identity", "perspective"})


def entrywise(facts: Facts, root: int) -> bool:
    """Whether the proof of node ``root`` applies only elementwise atoms (no reduction, no
    matrix product, no step of a method but a stand-in): each entry of its value is then
    the same function of the arguments' entries there."""
    for index in postorder(root, facts.premises):
        rule, atom = facts.rule[index], facts.atom[index]
        if rule in AS_WRITTEN or rule in ("expansion", "distribution", "identity"):
            return False
        if atom is not None and not atom.elementwise:
            return False
    return True


def condition_text(domain: Interval) -> str:
    """``> 0``, ``>= 0``, ``> -1`` or ``in [a, b]`` for a domain interval."""
    if domain.hi == float("inf"):
        return f"{'>' if domain.lo_open else '>='} {str(domain)[1:].split(',')[0]}"
    if domain.lo == float("-inf"):
        return f"{'<' if domain.hi_open else '<='} {str(domain).split(', ')[1][:-1]}"
    return f"in {domain}"


@dataclass(frozen=True, slots=True)
class DomainCondition:
    """The verdict holds where ``expr`` lies in ``domain`` (the ranges could not show it).
    ``at`` is where that argument is written in the step that needs it (``expr`` keeps
    the place the subexpression was first written)."""

    expr: Expr
    domain: Interval
    at: Span | None = field(default=None, compare=False)

    @property
    def span(self) -> Span | None:
        return self.at or self.expr.span

    def __str__(self) -> str:
        return f"{to_text(self.expr, limit=60)} {condition_text(self.domain)}"

    def __repr__(self) -> str:
        return f"DomainCondition({str(self)!r})"


class Facts:
    """What the rules concluded at each node of a tape: columns indexed by node id.

    ``range``, ``curvature``, ``rule`` and ``premises`` (ids) are set for every analysed
    node; ``atom`` and ``kwargs`` (a tuple of pairs) for atom applications; ``notes``
    holds, for the few nodes that have any, a :class:`Note`. A ``"same"`` rule marks a
    node that is its premise (``+a`` is ``a``). A node not analysed has curvature None.
    """

    __slots__ = ("range", "curvature", "rule", "premises", "atom", "kwargs", "notes", "witnesses", "quasi")
    #: Each column and the entry of a node not analysed.
    COLUMNS = (("range", None), ("curvature", None), ("rule", None), ("premises", ()),
               ("atom", None), ("kwargs", ()))

    range: list[Interval | None]
    curvature: list[Curvature | None]
    rule: list[str | None]
    premises: list[tuple[int, ...]]
    atom: list[object | None]
    kwargs: list[tuple]

    def __init__(self, size: int = 0):
        for name, empty in self.COLUMNS:
            setattr(self, name, [empty] * size)
        self.notes: dict[int, Note] = {}
        #: Exact proofs that the root is not convex (not concave), by kind, found by a
        #: method without search (an indefinite quadratic form).
        self.witnesses: dict[str, object] = {}
        #: The DQCP steps (SPEC section 10), for the few nodes whose curvature is unknown
        #: and that the quasi pass reached (see :mod:`dcp.quasi`).
        self.quasi: dict[int, QuasiStep] = {}

    def quasi_at(self, index: int) -> Quasi:
        """The quasi-curvature of node ``index``: its DQCP step's, else its curvature's."""
        step = self.quasi.get(index)
        return step.quasi if step is not None else from_curvature(self.curvature[index])

    def grow(self, size: int) -> None:
        """Make room for nodes up to ``size`` (the tape grew)."""
        extra = size - len(self.rule)
        if extra > 0:
            for name, empty in self.COLUMNS:
                getattr(self, name).extend([empty] * extra)

    def copy(self) -> Facts:
        """A copy to change (the hint search re-analyses a few nodes of it)."""
        new = Facts()
        for name, _ in self.COLUMNS:
            setattr(new, name, list(getattr(self, name)))
        new.notes = dict(self.notes)
        new.witnesses = dict(self.witnesses)
        # (no DQCP steps: they rest on the facts about to change; dcp.quasi makes them again)
        return new

    def resolve(self, index: int) -> int:
        """The node whose step ``index`` is: itself, or the operand of a ``+``."""
        while self.rule[index] == "same":
            index = self.premises[index][0]
        return index


class Note(NamedTuple):
    """The rarer parts of a step: the domain conditions it relies on (premise id and
    interval), why the rule broke and what would repair it (``reason`` may be a function
    giving an outcome with ``reason`` and ``fix``, called when the step is read: wording a
    break prints its premises, which most certifications never show; a step is a break
    exactly when it has a reason, so such a function is stored only where the rule broke,
    and its outcome always has a reason), the facts used in words
    (a composition's are worded from its atom when read), the idiom of a rewrite, and the
    arguments' ranges the atom's facts were taken on where a domain narrowed them (none
    when an argument lies wholly outside the atom's domain). ``detail`` is what a step of
    a method beyond the composition rule records for the kernel to check (a quadratic
    form's factorisation, a monomial's exponents, a perspective's stand-ins)."""

    requires: tuple[tuple[int, Interval], ...] = ()
    reason: str | Callable[[], object] | None = None
    fix: str | None = None
    words: tuple[str, ...] = ()
    idiom: str | None = None
    regions: tuple[Interval, ...] | None = None
    detail: object = None


_NO_NOTE = Note()


class QuasiStep(NamedTuple):
    """A DQCP step of a node (SPEC section 10): its quasi-curvature, the rule (one of
    :data:`QUASI_RULES`), the premises (the plain step's own), the domain conditions it
    relies on (premise id and interval), and, on a break, why the rule did not conclude."""

    quasi: Quasi
    rule: str
    premises: tuple[int, ...]
    requires: tuple[tuple[int, Interval], ...] = ()
    reason: str | None = None


class Step:
    """One step of a proof: what the rules concluded about `node`, and why.

    A view of one row of the proof's `Facts` (built only for the steps somebody
    reads; the same object each time).
    """

    __slots__ = ("proof", "id", "_note", "_text", "_requires")

    def __init__(self, proof: Proof, index: int):
        self.proof, self.id = proof, index
        self._note = proof.facts.notes.get(index, _NO_NOTE)
        self._text: str | None = None
        self._requires: tuple[DomainCondition, ...] | None = None

    @property
    def node(self) -> Expr:
        """The subexpression, as a tree."""
        return self.proof.tape.expr(self.id)

    @property
    def range(self) -> Interval:
        return self.proof.facts.range[self.id]

    @property
    def curvature(self) -> Curvature:
        return self.proof.facts.curvature[self.id]

    @property
    def rule(self) -> str:
        return self.proof.facts.rule[self.id]

    @property
    def premises(self) -> tuple[Step, ...]:
        step = self.proof.step
        return tuple([step(p) for p in self.proof.facts.premises[self.id]])

    @property
    def atom(self) -> object | None:
        """The atom applied (for composition, product and expansion steps)."""
        return self.proof.facts.atom[self.id]

    @property
    def kwargs(self) -> tuple[tuple[str, float], ...]:
        """Keyword constants of the atom (`alpha`, `p`)."""
        return self.proof.facts.kwargs[self.id]

    @property
    def facts(self) -> tuple[str, ...]:
        """The atom facts used, in words: `relu: convex, nondecreasing`."""
        if self.rule != "composition":
            return self._note.words
        regions = self._note.regions
        if regions == ():                   # an argument lies outside the atom's domain
            return ()
        if regions is None:
            ranges = self.proof.facts.range
            regions = tuple([ranges[p] for p in self.proof.facts.premises[self.id]])
        return (self.atom.describe(regions, dict(self.kwargs)),)

    @property
    def requires(self) -> tuple[DomainCondition, ...]:
        """Domain conditions this step relies on."""
        if self._requires is None:          # (each one locates its argument by reading)
            tape, premises = self.proof.tape, self.proof.facts.premises[self.id]
            self._requires = tuple(
                DomainCondition(tape.expr(p), domain, tape.arg_span(self.id, premises.index(p)))
                for p, domain in self._note.requires)
        return self._requires

    @property
    def reason(self) -> str | None:
        """Why the rule could not conclude (set only on breaks)."""
        return self._worded().reason

    @property
    def fix(self) -> str | None:
        """What would repair the break, where that is known."""
        return self._worded().fix

    def _worded(self) -> Note:
        """The note, with a break's reason and fix worded (once)."""
        note = self._note
        if callable(note.reason):
            outcome = note.reason()
            note = self._note = note._replace(reason=outcome.reason, fix=outcome.fix)
        return note

    @property
    def idiom(self) -> str | None:
        """For rewrite steps: the name of the idiom."""
        return self._note.idiom

    @property
    def text(self) -> str:
        """The subexpression, printed (cut at about 60 characters)."""
        if self._text is None:
            self._text = self.proof.tape.text(self.id, 60)
        return self._text

    @property
    def span(self) -> Span | None:
        return self.proof.tape.span(self.id)

    @property
    def parameter(self) -> str | None:
        """The name, when this step is a bare parameter (the rules suggest a sign for it)."""
        return self.proof.tape.data[self.id] if self.rule == "parameter" else None

    @property
    def is_break(self) -> bool:
        return self._note.reason is not None

    def __repr__(self) -> str:
        mark = " BREAK" if self.is_break else ""
        return f"<Step {self.text!r}: {self.curvature} {self.range} by {self.rule}{mark}>"


@dataclass(frozen=True, eq=False)
class Proof:
    """The whole trace of one certification, with what it was asked.

    `tape` holds the expression and `facts` what the rules concluded at each of its
    nodes; `root_id` is the expression's id. `bounds` are the assumptions as intervals
    per name; `source` is the text the spans index; `atoms` the user atoms in scope.
    """

    tape: Tape
    facts: Facts
    root_id: int
    wrt: tuple[str, ...]
    bounds: Mapping[str, Interval]
    source: str = ""
    #: User atoms the proof may call (a session's ``define``s), by name.
    atoms: Mapping[str, object] = field(default_factory=dict)
    #: The declared ranks of names (``shape u = (n,)``: 1), which some methods read.
    ranks: Mapping[str, int] = field(default_factory=dict)
    _steps: dict = field(default_factory=dict, repr=False)

    def step(self, index: int) -> Step:
        """The step of node `index` (one object per node)."""
        index = self.facts.resolve(index)
        found = self._steps.get(index)
        if found is None:
            found = self._steps[index] = Step(self, index)
        return found

    @property
    def root(self) -> Step:
        return self.step(self.root_id)

    @property
    def curvature(self) -> Curvature:
        return self.facts.curvature[self.root_id]

    @property
    def quasi(self) -> Quasi:
        """The root's quasi-curvature: by its DQCP step, else by its curvature; unknown
        when the domain it holds on may not be convex (a quasiconvex function's sublevel
        sets are convex: `sigmoid((x^2 - 1)^1.5)` is monotone in a convex function, but
        only where x^2 - 1 >= 0, two rays, so {f <= 0.6} holds -1 and 1 but not 0).
        Found when first asked, a walk of the proof: the verdict, the renderers and the
        check read it several times. (Whoever runs `dcp.quasi.prove_quasi` on a proof's
        facts does so before reading this.)"""
        quasi = self.__dict__.get("_quasi")
        if quasi is None:
            quasi = self.facts.quasi_at(self.facts.resolve(self.root_id))
            if quasi.is_known and nonconvex_domain(self) is not None:
                quasi = Quasi.UNKNOWN
            self.__dict__["_quasi"] = quasi
        return quasi

    def quasi_steps(self) -> list[tuple[Step, QuasiStep]]:
        """The DQCP steps of the proof (SPEC section 10), premises first."""
        quasi = self.facts.quasi
        return [(self.step(i), quasi[i]) for i in self.ids() if i in quasi]

    @property
    def quasi_breaks(self) -> list[tuple[Step, QuasiStep]]:
        """The DQCP steps where a rule could not conclude although its premises' were known."""
        return [(step, q) for step, q in self.quasi_steps() if q.reason is not None]

    def ids(self) -> list[int]:
        """The ids of every distinct step, premises before conclusions: depth first from
        the root, premises left to right. (The analysis names `a`, not `+a`, as a
        premise; only the root may be a `+`.) Walked once, when first asked."""
        order = self.__dict__.get("_order")
        if order is None:                   # (a cached_property takes a lock each time)
            facts = self.facts
            order = self.__dict__["_order"] = postorder(facts.resolve(self.root_id), facts.premises)
        return order

    def steps(self) -> Iterator[Step]:
        """Every distinct step, premises before conclusions (iterative; walked once)."""
        step = self.step
        return (step(i) for i in self.ids())

    @property
    def breaks(self) -> list[Step]:
        """The lowest steps where the rules could not conclude, in source order."""
        notes, start = self.facts.notes, self.tape.start
        found = [i for i in self.ids() if i in notes and notes[i].reason is not None]
        return [self.step(i) for i in sorted(found, key=lambda i: max(start[i], 0))]

    @property
    def domain(self) -> list[DomainCondition]:
        """Every domain condition the proof relies on, once each."""
        seen: dict[str, DomainCondition] = {}
        notes = self.facts.notes
        for i in self.ids():
            if i in notes and notes[i].requires:
                for condition in self.step(i).requires:
                    seen.setdefault(str(condition), condition)
        return list(seen.values())

    def __len__(self) -> int:
        return len(self.ids())


# ---- sets (SPEC section 10): the proof that a constraint set is convex -----------------

RULES.update({
    "sublevel set": "{g <= h} is convex when g - h is convex: a sublevel set of a convex function.",
    "superlevel set": "{g >= h} is convex when g - h is concave: a superlevel set of a concave function.",
    "level set": "{g == h} is convex when g - h is affine: the zero set of an affine function.",
    "rotated cone": "{s <= a * b} (or {a * b >= s}) with a, b affine and >= 0 on the whole "
                    "admissible box, and s a constant, or a sum of terms each sum_squares(u), "
                    "square(u) or u ^ 2 with u affine or a constant >= 0, is the preimage of a "
                    "rotated second-order cone {|v|^2 <= ab, a, b >= 0} under an affine map (a "
                    "constant s <= 0 leaves the box): convex.",
    "whole box": "{g op h} is the whole admissible box (convex) when g - h is defined on all of "
                 "it (no domain condition) and its range lies on the feasible side of 0.",
    "DQCP level set": "{g <= h} is convex when g - h is quasiconvex by the DQCP rules (its "
                      "sublevel set at 0), {g >= h} when quasiconcave, {g == h} when quasilinear "
                      "(both at once).",
    "intersection": "Constraints joined by `,` define the intersection of their sets: convex "
                    "when each is.",
})

#: The set rules whose proof is one function proof of g - h, with the curvature it needs.
LEVEL_SET_RULES = {"<=": ("sublevel set", "convex"), ">=": ("superlevel set", "concave"),
                   "==": ("level set", "affine")}
#: What the DQCP level set needs of g - h's quasi-curvature, by the constraint's operator.
QUASI_LEVEL_NEEDS = {"<=": "quasiconvex", ">=": "quasiconcave", "==": "quasilinear"}


def quasi_level_holds(op: str, quasi: Quasi) -> bool:
    """Whether g - h of quasi-curvature ``quasi`` has a convex set ``{g op h}``: a sublevel
    set of a quasiconvex function (``<=``), a superlevel set of a quasiconcave one
    (``>=``), or both at once (``==``)."""
    return (op == ">=" or quasi.is_quasiconvex) and (op == "<=" or quasi.is_quasiconcave)


def always_holds(op: str, value: Interval) -> bool:
    """Whether ``g - h`` in the range ``value`` satisfies ``g op h`` wherever it is."""
    if op == "<=":
        return value.is_nonpos
    if op == ">=":
        return value.is_nonneg
    return value.is_zero


def nonconvex_domain(proof: Proof) -> str | None:
    """The first place where the domain of ``proof`` may not be convex, in words (None
    when it is shown convex). A function proved convex "where it is defined" has a
    sublevel set that is convex only if that domain is: ``(x^2 - 1)^1.5 <= 5`` needs
    ``x^2 - 1 >= 0``, which is two rays. A condition ``arg in D`` is convex when ``arg`` is
    quasilinear (affine, or monotone in one: D an interval), quasiconcave with D unbounded
    above, or quasiconvex with D unbounded below. Holes no condition names count too
    (:func:`_hole`)."""
    facts, tape = proof.facts, proof.tape
    for index in proof.ids():
        hole = _hole(facts, tape, index)
        if hole is not None:
            return hole
        note = facts.notes.get(index)
        for premise, domain in (note.requires if note is not None else ()):
            # {arg <= hi} is convex for arg quasiconvex, {arg >= lo} for arg quasiconcave
            # (convex and concave included; the premise's own conditions are checked too).
            quasi = facts.quasi_at(premise)
            if (domain.hi == float("inf") or quasi.is_quasiconvex) and \
                    (domain.lo == float("-inf") or quasi.is_quasiconcave):
                continue
            return (f"its domain condition `{tape.text(premise)} {condition_text(domain)}` may cut a "
                    f"set that is not convex (`{tape.text(premise)}` is {facts.curvature[premise]})")
    return None


def _hole(facts: Facts, tape: Tape, index: int) -> str | None:
    """Where node ``index`` may be undefined though no domain condition says so, in words
    (None when it is defined wherever its arguments are): a quotient whose denominator's
    range holds 0 (``sigmoid(1/x)`` has a hole at x = 0, and {sigmoid(1/x) >= 0} is not
    convex), and an atom's argument that must be positive definite unless it is affine
    (its preimage of the definite cone is then convex). A function's verdict is
    unaffected (it holds where defined); a set's convexity is not."""
    op, args = tape.op[index], tape.args[index]
    if op == "/" and facts.range[args[1]].contains_value(0.0):
        return (f"`{tape.text(index)}` is undefined where `{tape.text(args[1])}` = 0, which "
                f"its range {facts.range[args[1]]} allows: the set may have a hole there")
    atom = facts.atom[index] if op == "call" else None
    for position in getattr(atom, "definite_arguments", ()):
        argument = args[position]
        if not facts.curvature[argument].is_affine:
            return (f"`{tape.text(index)}` is defined only where `{tape.text(argument)}` is "
                    f"positive definite, a set that need not be convex "
                    f"(`{tape.text(argument)}` is {facts.curvature[argument]})")
    return None


#: The calls whose one argument u makes a square term of the cone: |u|^2 and u^2 entrywise.
_SQUARES = frozenset({("sum_squares", ()), ("square", ())})


def square_terms(tape: Tape, node: int) -> list[int]:
    """The terms of the sum ``node`` (``+`` only), left to right: ``[node]`` itself when it
    is no sum."""
    terms, stack = [], [node]
    while stack:
        index = stack.pop()
        if tape.op[index] == "+":
            stack.extend(reversed(tape.args[index]))
        else:
            terms.append(index)
    return terms


def squared_argument(tape: Tape, node: int) -> int | None:
    """``u`` when ``node`` is ``sum_squares(u)``, ``square(u)`` or ``u ^ 2`` (exactly 2)."""
    op, args = tape.op[node], tape.args[node]
    if (op == "call" and tape.data[node] in _SQUARES and len(args) == 1) or \
            (op == "^" and tape.constant(args[1]) == 2):
        return args[0]
    return None


@dataclass(frozen=True, eq=False)
class SetStep:
    """One constraint ``left op right`` (tape ids) and what the rules concluded of its
    feasible set: ``convex`` by ``rule``, from the function proofs in ``proofs`` (by role:
    ``"g - h"`` for a level-set rule; ``"s"``, ``"u"``, ``"a"``, ``"b"`` for a cone), or
    not concluded (``rule`` None) for ``reason``. ``node`` is the id of ``g - h``."""

    op: str
    left: int
    right: int
    node: int
    rule: str | None
    convex: bool
    proofs: Mapping[str, Proof]
    reason: str | None = None

    @property
    def function(self) -> Proof:
        """The proof of ``g - h`` (always made: the breaks and the check read it)."""
        return self.proofs["g - h"]

    @property
    def text(self) -> str:
        tape = self.function.tape
        return f"{tape.text(self.left)} {self.op} {tape.text(self.right)}"

    @property
    def span(self) -> Span | None:
        tape = self.function.tape
        left, right = tape.span(self.left), tape.span(self.right)
        if left is None or right is None:
            return None
        return Span(left.start, right.end, left.source)

    @property
    def is_break(self) -> bool:
        return not self.convex

    def __repr__(self) -> str:
        return f"<SetStep {self.text!r}: {'convex' if self.convex else 'unknown'} by {self.rule}>"


@dataclass(frozen=True, eq=False)
class SetProof:
    """The proof that the intersection of `parts` is convex (`convex`), on one tape,
    in the variables `wrt` under `bounds`."""

    tape: Tape
    parts: tuple[SetStep, ...]
    wrt: tuple[str, ...]
    bounds: Mapping[str, Interval]
    source: str = ""

    @property
    def convex(self) -> bool:
        return all(part.convex for part in self.parts)

    @property
    def rule(self) -> str | None:
        """The rule of the whole set: its one constraint's, or the intersection's."""
        if len(self.parts) == 1:
            return self.parts[0].rule
        return "intersection" if self.convex else None

    @property
    def breaks(self) -> list[SetStep]:
        """The constraints whose sets the rules could not show convex."""
        return [part for part in self.parts if not part.convex]

    @property
    def domain(self) -> list[DomainCondition]:
        """Every domain condition the parts' proofs rely on, once each."""
        seen: dict[str, DomainCondition] = {}
        for part in self.parts:
            for proof in part.proofs.values():
                for condition in proof.domain:
                    seen.setdefault(str(condition), condition)
        return list(seen.values())
