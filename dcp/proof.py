"""Proof traces: steps, breaks, domain conditions, and the catalogue of rule names.

A :class:`Step` records one subexpression: its range, its curvature, the rule applied,
the atom facts used, and its premises. A proof is a tree of steps (a DAG when a
subexpression is shared: it is analysed once and its step reused). A *break* is a step
where a rule could not conclude although all its premises were known: the lowest place
where the proof fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Iterator, Mapping

from .errors import Span
from .facts import Curvature, Interval
from .syntax.ast import Expr, walk_postorder
from .syntax.printer import to_text

__all__ = ["RULES", "Step", "DomainCondition", "Proof", "condition_text"]

#: Every rule name a step may carry, with what it means. The kernel checks each.
RULES: dict[str, str] = {
    "number": "A numeric literal is constant; its range is the number itself.",
    "parameter": "A name not in wrt is a parameter: constant, with the range its assumptions give.",
    "variable": "A name in wrt is a variable: affine, with the range its assumptions give.",
    "binding": "A bound name has the facts of the expression it is bound to.",
    "composition": "f(g1, ..., gk) by the DCP composition rule, using f's curvature and "
                   "monotonicity on the arguments' ranges.",
    "product": "In a * b, a @ b or dot(a, b), a constant side scales the other and its "
               "range decides the direction; two non-constant sides break.",
    "quotient": "g / c with a constant c scales g by 1/c.",
    "reciprocal": "c / g with a constant c and g > 0 is c * inv_pos(g).",
    "expansion": "A loss or a user atom is its definition: mse(a, b) is mean(square(a - b)).",
    "rewrite": "A sound rewrite of a common spelling into an atom: log(1 + exp(t)) is softplus(t).",
}


def condition_text(domain: Interval) -> str:
    """``> 0``, ``>= 0``, ``> -1`` or ``in [a, b]`` for a domain interval."""
    if domain.hi == float("inf"):
        return f"{'>' if domain.lo_open else '>='} {str(domain)[1:].split(',')[0]}"
    if domain.lo == float("-inf"):
        return f"{'<' if domain.hi_open else '<='} {str(domain).split(', ')[1][:-1]}"
    return f"in {domain}"


@dataclass(frozen=True, slots=True)
class DomainCondition:
    """The verdict holds where ``expr`` lies in ``domain`` (the ranges could not show it)."""

    expr: Expr
    domain: Interval

    @property
    def span(self) -> Span | None:
        return self.expr.span

    def __str__(self) -> str:
        return f"{to_text(self.expr, limit=60)} {condition_text(self.domain)}"

    def __repr__(self) -> str:
        return f"DomainCondition({str(self)!r})"


@dataclass(slots=True, eq=False)
class Step:
    """One step of a proof: what the rules concluded about ``node``, and why.

    Treat it as immutable. It is not frozen only because a frozen dataclass pays for
    each field on construction, and the engine builds one step per node.
    """

    node: Expr
    range: Interval
    curvature: Curvature
    rule: str
    premises: tuple[Step, ...] = ()
    #: The atom applied (for composition, product and expansion steps).
    atom: object | None = None
    #: Keyword constants of the atom (``alpha``, ``p``).
    kwargs: tuple[tuple[str, float], ...] = ()
    #: The atom facts used, in words (see :attr:`facts`); may be given as a function
    #: that words them, so that only the steps somebody reads pay for the words.
    fact_words: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    #: Domain conditions this step relies on.
    requires: tuple[DomainCondition, ...] = ()
    #: Why the rule could not conclude (set only on breaks).
    reason: str | None = None
    #: What would repair the break, where that is known.
    fix: str | None = None
    #: For rewrite steps: the name of the idiom.
    idiom: str | None = None
    _text: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        """The subexpression, printed (cut at about 60 characters)."""
        if self._text is None:
            self._text = to_text(self.node, limit=60)
        return self._text

    @property
    def facts(self) -> tuple[str, ...]:
        """The atom facts used, in words: ``relu: convex, nondecreasing``."""
        if callable(self.fact_words):
            self.fact_words = self.fact_words()
        return self.fact_words

    @property
    def span(self) -> Span | None:
        return self.node.span

    @property
    def parameter(self) -> str | None:
        """The name, when this step is a bare parameter (the rules suggest a sign for it)."""
        return self.node.id if self.rule == "parameter" else None

    @property
    def is_break(self) -> bool:
        return self.reason is not None

    def __repr__(self) -> str:
        mark = " BREAK" if self.is_break else ""
        return f"<Step {self.text!r}: {self.curvature} {self.range} by {self.rule}{mark}>"


@dataclass(frozen=True)
class Proof:
    """The whole trace of one certification, with what it was asked.

    ``bounds`` are the assumptions as intervals per name; ``source`` is the text the
    spans index; ``atoms`` the user atoms in scope.
    """

    root: Step
    wrt: tuple[str, ...]
    bounds: Mapping[str, Interval]
    source: str
    #: User atoms the proof may call (a session's ``define``s), by name.
    atoms: Mapping[str, object] = field(default_factory=dict)

    def steps(self) -> Iterator[Step]:
        """Every distinct step, premises before conclusions (iterative; walked once)."""
        return iter(self._order)

    @cached_property
    def _order(self) -> list[Step]:
        return walk_postorder(self.root, lambda step: step.premises)

    @property
    def breaks(self) -> list[Step]:
        """The lowest steps where the rules could not conclude, in source order."""
        found = [s for s in self.steps() if s.is_break]
        return sorted(found, key=lambda s: (s.span.start if s.span else 0))

    @property
    def domain(self) -> list[DomainCondition]:
        """Every domain condition the proof relies on, once each."""
        seen: dict[str, DomainCondition] = {}
        for step in self.steps():
            for condition in step.requires:
                seen.setdefault(str(condition), condition)
        return list(seen.values())

    def __len__(self) -> int:
        return sum(1 for _ in self.steps())
