"""What a numeric check reports: its counts and the witnesses it proved (plain data, so
that reading a result never loads the search or numpy)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

__all__ = ["Witness", "SearchReport", "SetWitness", "KINDS"]

#: The claims a witness may disprove, and what it compares f at the mixed point with: the
#: chord for convexity and concavity, the larger (smaller) end value for quasiconvexity
#: (quasiconcavity), SPEC section 10.
KINDS = ("convex", "concave", "quasiconvex", "quasiconcave")
_RELATIONS = {"convex": ">", "concave": "<", "quasiconvex": ">", "quasiconcave": "<"}
_RIGHT_SIDES = {"convex": "theta f(a) + (1 - theta) f(b)", "concave": "theta f(a) + (1 - theta) f(b)",
                "quasiconvex": "max(f(a), f(b))", "quasiconcave": "min(f(a), f(b))"}


@dataclass(frozen=True)
class Witness:
    """A confirmed counterexample to one claim (`kind` is one of `KINDS`: convex, concave,
    quasiconvex, quasiconcave).

    `lhs` is f at the mixed point `theta*a + (1-theta)*b` and `rhs` the chord
    `theta*f(a) + (1-theta)*f(b)`, both at `entry` of the value; the gap is
    `lhs - rhs` for convexity (`rhs - lhs` for concavity). Against quasiconvexity `rhs` is
    the larger of f(a) and f(b) (`lhs - rhs` > 0 and f(mix) exceeds both); against
    quasiconcavity the smaller (`rhs - lhs`). The parameters, `a`, `b`
    and `theta` are exact floats; `lhs_ball`, `rhs_ball` and `gap_ball` are the Arb
    balls that enclose the exact values (the gap's ball lies wholly above 0: the proof),
    and `lhs`, `rhs`, `gap` their midpoints as floats, for display.
    """

    kind: str
    shapes: Mapping[str, tuple[int, ...]]
    params: Mapping[str, object]
    a: Mapping[str, object]
    b: Mapping[str, object]
    theta: float
    entry: tuple[int, ...]
    lhs: float
    rhs: float
    gap: float
    lhs_ball: str = field(repr=False, default="")
    rhs_ball: str = field(repr=False, default="")
    gap_ball: str = field(repr=False, default="")
    #: Whether the values are exact (a method's witness, found without search: the balls
    #: then enclose exact rationals) rather than Arb evaluations.
    exact: bool = field(repr=False, default=False)

    @property
    def relation(self) -> str:
        """How f at the mixed point compares with `right_side`: `>` or `<`."""
        return _RELATIONS[self.kind]

    @property
    def right_side(self) -> str:
        """What `rhs` is, in words: the chord, or the larger (smaller) end value."""
        return _RIGHT_SIDES[self.kind]

    @property
    def proved_by(self) -> str:
        """How the gap is proved: in exact arithmetic (a method's witness, found without
        search) or with interval arithmetic (Arb balls)."""
        return "exactly" if self.exact else "with interval arithmetic"

    def as_dict(self) -> dict:
        """Plain data (lists and floats), e.g. for JSON."""
        return {"kind": self.kind, "shapes": {k: list(v) for k, v in self.shapes.items()},
                "params": dict(self.params), "a": dict(self.a), "b": dict(self.b),
                "theta": self.theta, "entry": list(self.entry), "lhs": self.lhs,
                "rhs": self.rhs, "gap": self.gap}

    def __str__(self) -> str:
        def show(values):
            return ", ".join(f"{k}={v}" for k, v in values.items()) or "-"
        given = f"with {show(self.params)}; " if self.params else ""
        return (f"not {self.kind}: {given}a: {show(self.a)}; b: {show(self.b)}; "
                f"theta={self.theta:g}: f(theta a + (1-theta) b) = {self.lhs:.6g} {self.relation} "
                f"{self.rhs:.6g} = {self.right_side}")


@dataclass
class SearchReport:
    """What a search did: its admissible comparisons (``trials``), the largest relative gap
    seen per claim, and the witnesses found; ``seconds`` only when the budget had a clock."""

    trials: int = 0
    seconds: float | None = None
    largest_gap: dict = field(default_factory=lambda: dict.fromkeys(KINDS, 0.0))
    witnesses: dict = field(default_factory=dict)
    #: Whether the Hypothesis stage was skipped because a Hypothesis test was running.
    nested: bool = False
    #: Why the search did not run at all (arrays too large to evaluate), or None.
    skipped: str | None = None


@dataclass(frozen=True)
class SetWitness:
    """A confirmed counterexample to "the set is convex" (SPEC section 10): points `a` and
    `b` (with the parameters `params`) that satisfy every constraint, and `theta` whose mix
    `theta*a + (1-theta)*b` violates constraint number `violated` at `entry`.

    The parameters, `a`, `b` and `theta` are exact floats. `a_values` and `b_values` are,
    per constraint, the Arb ball of `g - h` at the worst entry (wholly <= 0 for `<=`,
    wholly >= 0 for `>=`: the proof of feasibility), and `mix_value` the ball of the
    violated constraint's `g - h` at the mix (wholly on the wrong side of 0); `mix` is its
    midpoint as a float, for display."""

    shapes: Mapping[str, tuple[int, ...]]
    params: Mapping[str, object]
    a: Mapping[str, object]
    b: Mapping[str, object]
    theta: float
    violated: int
    constraint: str
    entry: tuple[int, ...]
    mix: float
    a_values: tuple[str, ...] = field(repr=False, default=())
    b_values: tuple[str, ...] = field(repr=False, default=())
    mix_value: str = field(repr=False, default="")
    #: The domain condition of the violated constraint that fails at the mix (then `mix`
    #: is its argument's value there), or "" when `g - h` is on the wrong side of 0.
    outside: str = ""
    kind: str = "convex set"

    @property
    def proved_by(self) -> str:
        return "with interval arithmetic"

    def point(self, which: str) -> dict:
        """The mixed point (``"mix"``), or ``a`` or ``b``, as floats or nested lists."""
        if which != "mix":
            return dict(self.a if which == "a" else self.b)
        import numpy as np
        t = self.theta
        return {n: (t * np.asarray(self.a[n], dtype=float)
                    + (1 - t) * np.asarray(self.b[n], dtype=float)).tolist() for n in self.a}

    def as_dict(self) -> dict:
        """Plain data (lists and floats), e.g. for JSON."""
        return {"kind": self.kind, "shapes": {k: list(v) for k, v in self.shapes.items()},
                "params": dict(self.params), "a": dict(self.a), "b": dict(self.b),
                "theta": self.theta, "violated": self.violated, "constraint": self.constraint,
                "entry": list(self.entry), "mix": self.mix, "outside": self.outside}

    def __str__(self) -> str:
        def show(values):
            return ", ".join(f"{k}={v}" for k, v in values.items()) or "-"
        return (f"not a convex set: a: {show(self.a)} and b: {show(self.b)} are feasible"
                + (f" (with {show(self.params)})" if self.params else "")
                + f", but at theta={self.theta:g} the mix violates `{self.constraint}` ({self.failure})")

    @property
    def failure(self) -> str:
        """How the mix fails, in words: ``g - h = 0.7 there`` or outside the domain."""
        if self.outside:
            return f"outside its domain: `{self.outside}` fails, the argument is {self.mix:.6g} there"
        return f"g - h = {self.mix:.6g} there"
