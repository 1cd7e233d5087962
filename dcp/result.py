"""The answer to a certification: verdict, proof, breaks, domain, and the numeric check."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from os import PathLike
from typing import TYPE_CHECKING, Callable, ClassVar, Iterable, Mapping

from .check import Witness
from .check.report import SetWitness
from .entries import EntryVerdicts
from .facts import Curvature
from .facts.valued import entries_of
from .hints import Hint
from .proof import DomainCondition, Proof, SetProof, SetStep, Step

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Result", "SetResult", "CheckReport", "Shape", "VERDICTS"]

#: A shape, one entry per axis (``()`` a scalar, ``(n,)`` a vector, ``(m, n)`` a matrix):
#: an int for a known size, a letter for a free one (the same letter, the same size), and
#: a sum of free sizes as its text (``"a + 1"``, from ``hstack`` or ``diff``).
Shape = tuple[int | str, ...]

#: Every verdict, strongest first.
VERDICTS = ("constant", "affine", "convex", "concave", "quasilinear", "quasiconvex", "quasiconcave",
            "nonconvex", "unknown")


@dataclass(frozen=True)
class CheckReport:
    """What the numeric cross-check did.

    ``outcome`` is ``"not run"``, ``"passed"`` (admissible points compared, no violation
    found), ``"refuted"`` (a confirmed witness) or ``"inconclusive"`` (no admissible point
    was compared: every draw fell outside the domain or overflowed, or the budget allowed
    none). ``trials`` counts the admissible comparisons: parameters, ``a``, ``b`` and the
    mix all valid. ``largest_gap`` is the largest relative Jensen gap seen (None when
    nothing was compared). ``seconds`` is the time spent, measured only when the budget
    has a clock (``Budget(seconds=...)``); with the default budget in counts it is None,
    so that the same call gives the same report every time.
    """

    outcome: str = "not run"
    trials: int = 0
    seconds: float | None = None
    largest_gap: float | None = None
    note: str = ""

    @property
    def brief(self) -> str:
        """The note, or the outcome when there is none: a table's cell."""
        return self.note or self.outcome

    def __str__(self) -> str:
        note = f" ({self.note})" if self.note else ""
        if self.outcome in ("not run", "inconclusive"):
            return f"{self.outcome}{note}"
        gap = f", largest relative gap {self.largest_gap:.3g}" if self.largest_gap is not None else ""
        timed = f" in {self.seconds:.2f}s" if self.seconds is not None else ""
        return f"{self.outcome}{note} after {self.trials} admissible comparisons{timed}{gap}"


class _Shown:
    """How a result (of a function or of a set) is shown: the renderers dispatch on it."""

    def explain(self) -> str:
        """The whole trace as text, with carets under each break."""
        from .render.text import render_text
        return render_text(self)

    def render(self, format: str = "text") -> str:
        """The result as `"text"`, `"markdown"`, `"html"`, `"json"` or `"latex"`."""
        from .render import render
        return render(self, format)

    def _repr_html_(self) -> str:
        """The explanation in a notebook: the verdict and the proof's curvatures in colour,
        breaks with a caret under the source, hints, the witnesses."""
        from .render.html import render_html
        return render_html(self)

    def _repr_markdown_(self) -> str:
        """The explanation as Markdown (what `render("markdown")` gives)."""
        from .render.markdown import render_markdown
        return render_markdown(self)

    def to_json(self) -> dict:
        """Plain data following the JSON schema (`dcp/result.schema.json`, or
        `dcp/set_result.schema.json` for a set)."""
        from .render.json import to_json
        return to_json(self)


@dataclass(frozen=True)
class Result(_Shown):
    """The checked answer to "is `expression` convex in `wrt`?".

    `verdict` is the rules' certified curvature when there is one, else the DQCP rules'
    quasi-curvature (`quasilinear`, `quasiconvex`, `quasiconcave`) when there is one, else
    `nonconvex` when a witness disproves convexity, else `unknown`. `is_convex` and
    `is_concave` are True (proved), False (disproved by a witness) or None (unknown).
    """

    #: What the result is about: a function (a :class:`SetResult` is about a set).
    kind: ClassVar[str] = "function"

    expression: str
    wrt: tuple[str, ...]
    assumptions: tuple[str, ...]
    curvature: Curvature
    proof: Proof
    is_convex: bool | None = None
    is_concave: bool | None = None
    #: The witness against convexity if there is one, else the one against concavity.
    witness: Witness | None = None
    check: CheckReport = field(default_factory=CheckReport)
    #: Computes the hints when :attr:`hints` is first read (the search re-runs the rules).
    hint_search: Callable[[], Iterable[Hint]] | None = field(default=None, repr=False, compare=False)
    #: Every confirmed witness, by the claim it disproves ("convex", "concave", "quasiconvex",
    #: "quasiconcave").
    witnesses: Mapping[str, Witness] = field(default_factory=dict)
    #: Spells the shapes inferred when :attr:`shapes` is first read.
    shape_template: Callable[[], dict[str, Shape]] | None = field(default=None, repr=False, compare=False)
    #: At each break on a product with a constant given its values (a model's weight), the
    #: verdict on each output entry and the entries that spoil it (:mod:`dcp.entries`).
    entries: tuple[EntryVerdicts, ...] = ()
    #: When the verdict was proved entry by entry (:func:`dcp.entries.entrywise_proof`):
    #: the proof on whole layers, which broke (its breaks are where :attr:`entries` are).
    layerwise: Proof | None = None

    @property
    def given(self) -> tuple[str, ...]:
        """The constants at their values (a model's weights, `Session.constant`): a witness
        uses them as they are, so renderers leave them out of its parameters."""
        return tuple(name for name, bound in self.proof.bounds.items()
                     if (entries := entries_of(bound)) is not None and not entries.symbolic)

    @cached_property
    def hints(self) -> tuple[Hint, ...]:
        """Sign assumptions that would make the rules certify (see `dcp.hints`),
        searched when first read."""
        return tuple(self.hint_search()) if self.hint_search is not None else ()

    @cached_property
    def shapes(self) -> dict[str, Shape]:
        """The shapes inferred: sizes as ints, letters for free dimensions (`{"W1":
        ("a", 3), "x": (3,)}` when `x` was declared of 3 entries), spelled when first
        read (a name per dimension class costs as much as analysing a node, and a
        rules-only caller seldom asks)."""
        return self.shape_template() if self.shape_template is not None else {}

    @property
    def verdict(self) -> str:
        if self.curvature.is_known:
            return self.curvature.value
        if self.proof.quasi.is_known:
            return self.proof.quasi.value
        if self.is_convex is False:
            return "nonconvex"
        return "unknown"

    @property
    def is_quasiconvex(self) -> bool | None:
        """True when proved (convex, or by the DQCP rules), False when a witness
        disproves it, else None (SPEC section 10)."""
        if self.proof.quasi.is_quasiconvex:         # (convex included, on a convex domain)
            return True
        return False if "quasiconvex" in self.witnesses else None

    @property
    def is_quasiconcave(self) -> bool | None:
        """True when proved (concave, or by the DQCP rules), False when a witness
        disproves it, else None."""
        if self.proof.quasi.is_quasiconcave:
            return True
        return False if "quasiconcave" in self.witnesses else None

    @property
    def check_summary(self) -> str:
        """The numeric check in words that cannot be misread: under a certified verdict a
        witness refutes only what was not claimed ("also not concave"), never the verdict."""
        check = self.check
        certified = self.curvature.is_known or self.proof.quasi.is_known
        if not certified or check.outcome != "refuted":
            return str(check)
        also = " or ".join(sorted(self.witnesses))
        return (f"no violation of {self.verdict} in {check.trials} admissible comparisons; "
                f"also not {also} (witness below)")

    @property
    def covers(self) -> dict[str, tuple[int, ...]]:
        """The shapes a `nonconvex` verdict was shown for, where the user declared none:
        `{}` when it covers every shape the expression may take (a certified verdict
        reasons about no particular shape). `u @ u` with `u` free is disproved with a
        matrix `u`; declare `shape u = (n,)` to ask about vectors (then convex)."""
        if self.curvature.is_known or self.witness is None:
            return {}
        proof, declared = self.proof, self.proof.ranks
        tape, facts = proof.tape, proof.facts
        # The names whose rank decides what a product of two variable sides means (an
        # inner product of vectors, or a matrix product): those of free shape matter.
        deciding: set[str] = set()
        for index in proof.ids():
            op = tape.op[index]
            if (op == "@" or (op == "call" and tape.data[index][0] == "dot")) and \
                    not any(facts.curvature[a].is_constant for a in tape.args[index]):
                deciding.update(tape.names(index))
        return {name: tuple(shape) for name, shape in self.witness.shapes.items()
                if name in deciding and name not in declared and len(shape) > 0}

    @property
    def breaks(self) -> list[Step]:
        """The lowest steps where the rules could not conclude."""
        return self.proof.breaks

    @property
    def domain(self) -> list[DomainCondition]:
        """Conditions the verdict relies on (it holds where the expression is defined)."""
        return self.proof.domain


    def plot(self, path: str | PathLike[str] | None = None, kind: str | None = None) -> Figure:
        """The witness slice (f from a to b, the chord, the violating point) as a
        matplotlib figure, also written to `path` when one is given (the format by its
        extension); `kind` picks the witness (`"convex"`, `"concave"`, `"quasiconvex"` or
        `"quasiconcave"`) when there are several. Needs matplotlib (`pip install 'dcp[plot]'`)."""
        from .render.plot import plot_witness
        return plot_witness(self, path, kind)

    def __str__(self) -> str:
        what = f"{self.expression} wrt {', '.join(self.wrt)}"
        if self.assumptions:
            what += f" assuming {', '.join(self.assumptions)}"
        line = f"{self.verdict}: {what}"
        breaks = self.breaks
        if breaks and not self.curvature.is_known:
            line += f"\n  breaks at `{breaks[0].text}`: {breaks[0].reason}"
        if self.domain:
            line += f"\n  where {', '.join(map(str, self.domain))}"
        return line

    def __repr__(self) -> str:
        return f"<Result {self.verdict}: {self.expression!r} wrt {', '.join(self.wrt)}>"


# ---- sets (SPEC section 10) -------------------------------------------------------------

@dataclass(frozen=True)
class SetResult(_Shown):
    """The checked answer to "is the set {`expression`} convex in `wrt`?" (the points of
    the admissible box where every constraint holds).

    `verdict` is `convex` when the rules proved it (the kernel re-checked the set proof),
    `nonconvex` when a set witness disproves it, else `unknown`. `is_convex` is True,
    False or None accordingly; `is_concave` is None (a set has no concavity).
    """

    expression: str
    wrt: tuple[str, ...]
    assumptions: tuple[str, ...]
    proof: SetProof
    is_convex: bool | None = None
    witness: SetWitness | None = None
    check: CheckReport = field(default_factory=CheckReport)

    #: What the result is about.
    kind: ClassVar[str] = "set"
    #: A set is neither concave nor not: never claimed.
    is_concave: ClassVar[None] = None
    hints: ClassVar[tuple] = ()

    @property
    def verdict(self) -> str:
        if self.proof.convex:
            return "convex"
        return "nonconvex" if self.is_convex is False else "unknown"

    @property
    def constraints(self) -> tuple[SetStep, ...]:
        """Each constraint's step: its rule, or why none applied."""
        return self.proof.parts

    @property
    def witnesses(self) -> Mapping[str, SetWitness]:
        return {"convex": self.witness} if self.witness is not None else {}

    @property
    def breaks(self) -> list[SetStep]:
        """The constraints whose sets the rules could not show convex."""
        return self.proof.breaks

    @property
    def domain(self) -> list[DomainCondition]:
        return self.proof.domain

    @property
    def heading(self) -> str:
        """`the set {x^2 <= y * z} in x, y, z`."""
        return f"the set {{{self.expression}}} in {', '.join(self.wrt)}"

    @property
    def check_summary(self) -> str:
        return str(self.check)

    def plot(self, path: str | PathLike[str] | None = None, kind: str | None = None) -> Figure:
        """The set witness on a 2-D slice (the plane of the two coordinates where a and b
        differ most): the feasible region shaded, a, b, the segment and the infeasible
        mix; also written to `path` when given. Needs matplotlib."""
        from .render.plot import plot_set_witness
        return plot_set_witness(self, path)

    def __str__(self) -> str:
        line = f"{self.verdict}: {self.heading}"
        if self.assumptions:
            line += f" assuming {', '.join(self.assumptions)}"
        for part in self.breaks[:1]:
            line += f"\n  `{part.text}`: {part.reason}"
        return line

    def __repr__(self) -> str:
        return f"<SetResult {self.verdict}: {{{self.expression}}} in {', '.join(self.wrt)}>"
