"""The engine: walks an expression and builds its proof, one :class:`Step` per node.

The walk is iterative (an explicit stack), and memoised by structural equality, so a
subexpression that occurs many times is analysed once and its step shared. Curvature is
never decided here: every conclusion comes from :mod:`dcp.rules`; this module only
gathers the premises, the atom facts on the arguments' ranges, and the domain conditions.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from . import rules
from .atoms import Atom, lookup, operator
from .atoms.calls import expand, resolve_call
from .errors import ArgumentError
from .facts import POS, REALS, Interval, literal_range
from .facts.curvature import AFFINE, CONSTANT, UNKNOWN
from .idioms import IDIOMS, rewrite
from .proof import DomainCondition, Step
from .syntax.ast import (
    Binary,
    Call,
    Expr,
    Index,
    Name,
    Number,
    Ref,
    Transpose,
    Unary,
    Vector,
    fold_constant,
)

__all__ = ["Analyzer"]


class Analyzer:
    """Builds proofs for expressions in the variables ``wrt`` under ``bounds``.

    One analyzer memoises across calls, so analysing several expressions that share
    subexpressions (a session's bindings) does the shared work once.
    """

    def __init__(self, wrt: frozenset[str], bounds: Mapping[str, Interval],
                 atoms: Mapping[str, Atom] | None = None):
        self.wrt = wrt
        self.bounds = bounds
        self.atoms = atoms or {}
        self._steps: dict[Expr, Step] = {}
        self._calls: dict[tuple[str, int], tuple[Atom, dict[str, float]]] = {}

    def reuse(self, steps: Iterable[Step], keep: Callable[[Step], bool]) -> Analyzer:
        """Take over the steps of an earlier analysis that ``keep`` accepts, typically
        those that depend on no name whose bounds changed: only the rest is analysed again
        (the hint search re-runs the rules this way)."""
        for step in steps:
            if keep(step):
                self._steps.setdefault(step.node, step)
        return self

    def analyse(self, root: Expr) -> Step:
        """The step for ``root``, with premises for every subexpression."""
        steps = self._steps
        # Entries are (node, None) before its plan is made, (node, plan) once its premises
        # are on the stack above it.
        stack: list[tuple[Expr, tuple | None]] = [(root, None)]
        push, pop, plan_for, step_for = stack.append, stack.pop, self._plan, self._step
        while stack:
            node, plan = pop()
            if node in steps:
                continue
            if plan is None:
                plan = plan_for(node)
                push((node, plan))
                for premise in plan[1]:
                    if premise not in steps:
                        push((premise, None))
                continue
            steps[node] = step_for(node, plan, [steps[n] for n in plan[1]])
        return steps[root]

    # ---- what each node needs ----------------------------------------------------------
    def _plan(self, node: Expr) -> tuple:
        """How a node is analysed: ``(kind, premise nodes, extra)``."""
        if type(node) is Name or type(node) is Number:
            return _LEAF
        found = rewrite(node)
        if found is not None:
            return ("rewrite", (found[1],), found[0])
        if isinstance(node, Call):
            atom, args, kw = self._resolve(node)
            if atom.kind == "expansion":
                return ("expansion", (expand(atom, args, kw, node.span),), (atom, kw))
            if atom.kind == "user":         # composed or expanded: see _user
                return ("user", (*args, expand(atom, args, kw, node.span)), (atom, kw))
            return (atom.kind, args, (atom, kw))
        if isinstance(node, Binary) and node.op == "^":
            exponent = fold_constant(node.right)
            if exponent is None:
                raise ArgumentError("the exponent must be a numeric constant (x ^ 2, x ^ -1, "
                                    "x ^ 0.5); for other powers write exp(a * log(x))",
                                    span=node.right.span)
            return ("composition", (node.left,), (lookup("power", 1), {"p": exponent}))
        if isinstance(node, Binary) and node.op in "*@":
            return ("product", (node.left, node.right), (operator(node.op), {}))
        if isinstance(node, Binary) and node.op == "/":
            return ("division", (node.left, node.right), None)
        if isinstance(node, Binary):
            return ("composition", (node.left, node.right), (operator(node.op), {}))
        if isinstance(node, Unary):
            if node.op == "+":
                return ("same", (node.operand,), None)
            return ("composition", (node.operand,), (operator("neg"), {}))
        if isinstance(node, Transpose):
            return ("composition", (node.operand,), (operator(".T"), {}))
        if isinstance(node, Index):
            return ("composition", (node.operand,), (operator("[]"), {}))
        if isinstance(node, Vector):
            return ("composition", node.items, (operator("[...]"), {}))
        if isinstance(node, Ref):
            return ("binding", (node.value,), None)
        raise TypeError(f"cannot analyse {type(node).__name__}")

    def _resolve(self, node: Call) -> tuple[Atom, tuple[Expr, ...], dict[str, float]]:
        """:func:`resolve_call`, remembered for calls that pass only their arguments
        (``relu(...)`` at every layer resolves the same way)."""
        if node.kwargs:
            return resolve_call(node, self.atoms)
        key = (node.func, len(node.args))
        known = self._calls.get(key)
        if known is None:
            atom, args, kw = resolve_call(node, self.atoms)
            if len(args) != len(node.args):
                return atom, args, kw              # keywords given positionally: power(x, 2)
            known = self._calls[key] = (atom, kw)
        return known[0], node.args, known[1]

    # ---- steps -----------------------------------------------------------------------
    def _step(self, node: Expr, plan: tuple, premises: list[Step]) -> Step:
        kind, _, extra = plan
        if kind == "composition":                       # the commonest kinds first
            return self._composition(node, premises, *extra)
        if kind == "leaf":
            return self._leaf(node)
        if kind == "product":
            return self._product(node, premises, *extra)
        if kind == "same":
            return premises[0]
        if kind == "expansion":
            return _expansion(node, premises[0], *extra)
        if kind == "user":
            return self._user(node, premises, *extra)
        if kind in ("rewrite", "binding"):
            (inner,) = premises
            facts = (IDIOMS[extra][1],) if kind == "rewrite" else ()
            return Step(node, inner.range, inner.curvature, kind, (inner,), fact_words=facts,
                        idiom=extra if kind == "rewrite" else None)
        if kind == "division":
            return self._division(node, premises)
        raise TypeError(f"unknown plan {kind}")

    def _leaf(self, node: Expr) -> Step:
        if isinstance(node, Number):
            return Step(node, literal_range(node), CONSTANT, "number")
        bound = self.bounds.get(node.id, REALS)
        if node.id in self.wrt:
            return Step(node, bound, AFFINE, "variable")
        return Step(node, bound, CONSTANT, "parameter")

    def _composition(self, node: Expr, premises: list[Step], atom: Atom, kw: dict) -> Step:
        ranges, requires = [], []
        for index, premise in enumerate(premises):
            domain = atom.domain(index, kw)
            region = premise.range
            if domain is not REALS and not domain.contains(region):
                region = region.intersect(domain)
                requires.append(DomainCondition(premise.node, domain))
                if region is None:
                    return Step(node, REALS, UNKNOWN, "composition", tuple(premises), atom,
                                tuple(kw.items()), requires=tuple(requires),
                                reason=f"{atom.spelling} is defined for arguments in {domain}, "
                                       f"but `{premise.text}` always lies in {premise.range}")
            ranges.append(region)
        ranges = tuple(ranges)
        facts = atom.facts_on(ranges, kw)
        operands = premises if not requires else [_operand(p, r) for p, r in zip(premises, ranges)]
        outcome = rules.compose(atom.spelling, facts.curvature, facts.monotonicity, operands,
                                lambda: _note(atom, kw))
        # The facts are worded only when somebody reads the step.
        return Step(node, facts.range, outcome.curvature, "composition", tuple(premises), atom,
                    tuple(kw.items()), lambda: (atom.describe(ranges, kw),), tuple(requires),
                    outcome.reason, outcome.fix)

    def _user(self, node: Expr, premises: list[Step], atom: Atom, kw: dict) -> Step:
        """A one-argument user atom: composed where its proved facts decide the curvature
        on the argument's range, else its body with the argument put in (the last
        premise) is analysed, as for a loss."""
        composed = self._composition(node, premises[:-1], atom, kw)
        if composed.curvature is not UNKNOWN:
            return composed
        return _expansion(node, premises[-1], atom, kw)

    def _product(self, node: Expr, premises: list[Step], atom: Atom, kw: dict) -> Step:
        left, right = premises
        outcome = rules.product(atom.spelling, _operand(left), _operand(right))
        return Step(node, atom.facts_on((left.range, right.range), kw).range, outcome.curvature, "product",
                    (left, right), atom=atom, reason=outcome.reason, fix=outcome.fix)

    def _division(self, node: Expr, premises: list[Step]) -> Step:
        top, bottom = premises
        if bottom.range.is_zero:                     # e.g. 1/0, x/(1 - 1), x/(0.3 - 0.1 - 0.2)
            why = "" if type(bottom.node) is Number else f": `{bottom.text}` is 0"
            raise ArgumentError(f"division by zero{why}", span=node.span)
        value_range = top.range * bottom.range.reciprocal()
        if bottom.curvature.is_constant:
            outcome = rules.quotient(_operand(top), _operand(bottom))
            return Step(node, value_range, outcome.curvature, "quotient", (top, bottom),
                        reason=outcome.reason, fix=outcome.fix)
        region, requires = bottom.range, ()
        if region.is_nonneg and not region.is_positive and not region.is_zero:
            # c / g is defined only where g != 0, which for g >= 0 is where g > 0.
            region = region.intersect(POS)
            requires = (DomainCondition(bottom.node, POS),)
        outcome = rules.reciprocal(_operand(top), _operand(bottom, region))
        return Step(node, top.range * region.reciprocal(), outcome.curvature, "reciprocal",
                    (top, bottom), fact_words=("inv_pos: convex, nonincreasing on (0, inf)",),
                    requires=requires, reason=outcome.reason, fix=outcome.fix)


_LEAF = ("leaf", (), None)


def _expansion(node: Expr, inner: Step, atom: Atom, kw: dict) -> Step:
    """A call that is its atom's definition: the facts of the expanded body."""
    words = (f"{atom.name}: {atom.name}({', '.join(atom.params)}) = {atom.template}",)
    return Step(node, inner.range, inner.curvature, "expansion", (inner,), atom=atom,
                kwargs=tuple(kw.items()), fact_words=words)


def _operand(step: Step, region: Interval | None = None) -> Step | rules.Operand:
    """What the rules see of a premise: the step itself, unless its range is narrowed."""
    if region is None or region is step.range:
        return step
    return rules.Operand(step.curvature, region, step, step.parameter)


def _note(atom: Atom, kw: dict) -> str:
    """Where a scalar atom is convex or concave, for the message when it is neither."""
    pieces = getattr(atom, "pieces", None)
    if pieces is None:
        return ""
    facts = pieces(kw)
    parts = [f"convex on {i}" for i in facts["convex_on"]] + [f"concave on {i}" for i in facts["concave_on"]]
    return ", ".join(parts)
