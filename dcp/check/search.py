"""The numeric cross-check: look for points where Jensen's inequality fails.

For a claim "f is convex" a violation is a choice of parameters (satisfying the
assumptions), two points ``a``, ``b`` in the variables' box and ``theta`` in (0, 1) with

    f(theta a + (1 - theta) b)  >  theta f(a) + (1 - theta) f(b)

in some entry (reversed for concave). The search runs in two stages: a vectorised numpy
pre-search over many random points at several scales and shapes, then Hypothesis,
seeded, without a database or deadline, steered by ``target()`` toward large gaps, and
shrinking what it finds. A float violation counts only once Arb ball arithmetic proves it
(the lower bound of the gap is positive); it is then a :class:`Witness`.
"""
from __future__ import annotations

import contextlib
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..facts.interval import round_down, round_up
from ..ops import ARB, FLOAT, inside, precision, to_arb
from ..proof import Proof
from .evaluate import domain_checks, evaluate
from .shapes import ShapeSolution

__all__ = ["Witness", "Budget", "Search", "SearchReport"]

#: A float gap must exceed this (relative to the values) to be worth confirming.
FLOAT_TOLERANCE = 1e-7
#: Arb precisions (bits) at which a candidate is re-evaluated until its gap is decided.
PRECISIONS = (128, 512, 2048)
SCALES = (1.0, 0.1, 3.0, 10.0)


@dataclass(frozen=True)
class Witness:
    """A confirmed counterexample to one claim (``kind`` is ``"convex"`` or ``"concave"``).

    ``lhs`` is f at the mixed point ``theta*a + (1-theta)*b`` and ``rhs`` the chord
    ``theta*f(a) + (1-theta)*f(b)``, both at ``entry`` of the value; the gap is
    ``lhs - rhs`` for convexity (``rhs - lhs`` for concavity). The parameters, ``a``, ``b``
    and ``theta`` are exact floats; ``lhs_ball``, ``rhs_ball`` and ``gap_ball`` are the Arb
    balls that enclose the exact values (the gap's ball lies wholly above 0: the proof),
    and ``lhs``, ``rhs``, ``gap`` their midpoints as floats, for display.
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

    def as_dict(self) -> dict:
        """Plain data (lists and floats), e.g. for JSON."""
        return {"kind": self.kind, "shapes": {k: list(v) for k, v in self.shapes.items()},
                "params": dict(self.params), "a": dict(self.a), "b": dict(self.b),
                "theta": self.theta, "entry": list(self.entry), "lhs": self.lhs,
                "rhs": self.rhs, "gap": self.gap}

    def __str__(self) -> str:
        def show(values):
            return ", ".join(f"{k}={v}" for k, v in values.items()) or "-"
        relation = ">" if self.kind == "convex" else "<"
        return (f"not {self.kind}: with {show(self.params)}; a: {show(self.a)}; b: {show(self.b)}; "
                f"theta={self.theta:g}: f(theta a + (1-theta) b) = {self.lhs:.6g} {relation} "
                f"{self.rhs:.6g} = theta f(a) + (1-theta) f(b)")


@dataclass(frozen=True)
class Budget:
    """How much searching one check may do: random points in the pre-search, examples per
    Hypothesis run, and a wall-clock limit in seconds for the whole check."""

    presearch_points: int = 1536
    examples: int = 40
    seconds: float = 0.5


#: A point with more numbers than this is not evaluated: the check is skipped, and says so.
MAX_ENTRIES = 1_000_000


@dataclass
class SearchReport:
    """What a search did: trials, time, the largest relative gap seen per claim, and the
    witnesses found."""

    trials: int = 0
    seconds: float = 0.0
    largest_gap: dict = field(default_factory=lambda: {"convex": 0.0, "concave": 0.0})
    witnesses: dict = field(default_factory=dict)
    #: Whether the Hypothesis stage was skipped because a Hypothesis test was running.
    nested: bool = False
    #: Why the search did not run at all (arrays too large to evaluate), or None.
    skipped: str | None = None


def _inside_hypothesis_test() -> bool:
    from hypothesis.control import currently_in_test_context
    return currently_in_test_context()


class _Found(Exception):
    """Raised inside the Hypothesis test to stop and shrink once a witness is confirmed."""


@contextlib.contextmanager
def _quiet_hypothesis_storage():
    """Hypothesis caches constants in ``.hypothesis`` under the working directory; point it
    at a throwaway directory while we run and restore the user's setting after."""
    from hypothesis import configuration
    key = "__hypothesis_home_directory"
    before = configuration.__dict__.get(key)
    with tempfile.TemporaryDirectory(prefix="dcp-hypothesis-") as home, warnings.catch_warnings():
        # Hypothesis' advice is for authors of tests; a user of certify() cannot act on it.
        warnings.simplefilter("ignore")
        configuration.set_hypothesis_home_dir(home)
        try:
            yield
        finally:
            configuration.__dict__[key] = before


class Search:
    """Looks for witnesses against the claims ``wanted`` (a subset of convex/concave)."""

    def __init__(self, proof: Proof, solutions: list[ShapeSolution], wrt: tuple[str, ...],
                 bounds: Mapping, budget: Budget, seed: int):
        self.proof, self.solutions, self.wrt = proof, solutions, wrt
        self.bounds, self.budget, self.seed = bounds, budget, seed
        self.names = list(solutions[0].names)
        self.checks = domain_checks(proof)
        self.report = SearchReport()
        self.deadline = 0.0

    # ---- the two stages -----------------------------------------------------------------
    def run(self, wanted: set[str]) -> SearchReport:
        started = time.perf_counter()
        self.deadline = started + self.budget.seconds
        entries = self._entries({d: m for d, m in self.solutions[0].free_dims()})
        if entries > MAX_ENTRIES:
            # One point would not fit the time or the memory (x[9999, 9999] is 10^8 numbers).
            self.report.skipped = (f"the arrays need {entries:,} numbers at their smallest "
                                   f"shapes, more than {MAX_ENTRIES:,}")
            return self.report
        self._presearch(wanted)
        if _inside_hypothesis_test():
            # Hypothesis cannot nest one search in another (a user's @given test calling
            # certify): the pre-search alone stands, and the report says so.
            self.report.nested = True
        else:
            for kind in sorted(wanted - set(self.report.witnesses)):
                if time.perf_counter() < self.deadline:
                    self._hypothesis(kind)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def _presearch(self, wanted: set[str]) -> None:
        rng = np.random.default_rng(self.seed & (2**64 - 1))     # numpy wants it nonnegative
        # About two million numbers per batch at most, however large the arrays are.
        entries = max(self._entries({d: m + 2 for d, m in self.solutions[0].free_dims()}), 1)
        batch = int(max(1, min(128, 2_000_000 // (3 * entries))))
        rounds = self.budget.presearch_points // 128
        for round_ in range(rounds):
            if time.perf_counter() > self.deadline or wanted <= set(self.report.witnesses):
                return
            solution = self.solutions[round_ % len(self.solutions)]
            sizes = {d: int(rng.integers(m, m + 3)) for d, m in solution.free_dims()}
            shapes = solution.instantiate(sizes)
            scale = SCALES[(round_ // len(self.solutions)) % len(SCALES)]
            draw = {n: _random(rng, self.bounds.get(n), (batch, *shapes[n]), scale, round_ % 3 == 2)
                    for n in self.names}
            draw_b = {n: _random(rng, self.bounds.get(n), (batch, *shapes[n]), scale, round_ % 3 == 2)
                      for n in self.wrt}
            theta = rng.uniform(0.05, 0.95, batch) if round_ % 2 else np.full(batch, 0.5)
            self._try_batch(shapes, draw, draw_b, theta, wanted)

    def _entries(self, sizes: Mapping[int, int]) -> int:
        """How many numbers one point holds, all names together, at these sizes."""
        shapes = self.solutions[0].instantiate(sizes)
        return sum(int(np.prod(shape or (1,))) for shape in shapes.values())

    def _try_batch(self, shapes, first, second, theta, wanted) -> None:
        """Evaluate f at a, b and the mix for a batch; confirm the most violating points."""
        with np.errstate(all="ignore"):       # inf and NaN at invalid points are masked
            self._try_batch_quietly(shapes, first, second, theta, wanted)

    def _try_batch_quietly(self, shapes, first, second, theta, wanted) -> None:
        batch = len(theta)
        params = {n: first[n] for n in self.names if n not in self.wrt}
        a = {n: first[n] for n in self.wrt}
        b = second
        mixed = {n: _mix(theta, a[n], b[n]) for n in self.wrt}
        values = {n: np.concatenate([params[n]] * 3) for n in params}
        values.update({n: np.concatenate([a[n], b[n], mixed[n]]) for n in self.wrt})
        f, valid = evaluate(self.proof, values, FLOAT, 3 * batch, self.checks)
        self.report.trials += batch
        fa, fb, fm = f[:batch], f[batch:2 * batch], f[2 * batch:]
        ok = valid[:batch] & valid[batch:2 * batch] & valid[2 * batch:]
        t = theta.reshape((batch,) + (1,) * (f.ndim - 1))
        chord = t * fa + (1 - t) * fb
        scale = 1 + np.abs(fm) + np.abs(t * fa) + np.abs((1 - t) * fb)
        for kind in wanted - set(self.report.witnesses):
            gap = (fm - chord) if kind == "convex" else (chord - fm)
            relative = np.where(ok.reshape(t.shape), gap / scale, -np.inf)
            rows = relative.reshape(batch, -1)
            best = rows.max(axis=1)
            if np.isfinite(best).any():
                self.report.largest_gap[kind] = max(self.report.largest_gap[kind],
                                                    float(best[np.isfinite(best)].max()))
            for i in np.argsort(-best)[:3]:
                if not best[i] > FLOAT_TOLERANCE:
                    break
                entry = np.unravel_index(int(np.argmax(rows[i])), f.shape[1:])
                witness = self.confirm(kind, shapes, {n: v[i] for n, v in params.items()},
                                       {n: v[i] for n, v in a.items()},
                                       {n: v[i] for n, v in b.items()}, float(theta[i]), entry)
                if witness is not None:
                    self.report.witnesses[kind] = self.simplify(witness)
                    break

    def _hypothesis(self, kind: str) -> None:
        from hypothesis import (
            HealthCheck,
            Phase,
            Verbosity,
            given,
            seed,
            settings,
            target,
        )
        from hypothesis import strategies as st

        found: list[Witness] = []
        points = self._point_strategy(st)
        search = self

        @seed(self.seed)
        @settings(max_examples=self.budget.examples, deadline=None, database=None,
                  derandomize=False, verbosity=Verbosity.quiet, print_blob=False,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink])
        @given(points)
        def probe(point):
            shapes, params, a, b, theta = point
            if time.perf_counter() > search.deadline:
                return                               # out of time: let Hypothesis finish
            gap, entry = search._gap(kind, params, a, b, theta)
            search.report.trials += 1
            if gap is None:
                return
            target(gap, label=kind)
            search.report.largest_gap[kind] = max(search.report.largest_gap[kind], gap)
            if gap > FLOAT_TOLERANCE:
                witness = search.confirm(kind, shapes, params, a, b, theta, entry)
                if witness is not None:
                    found.append(witness)
                    raise _Found

        with _quiet_hypothesis_storage():
            try:
                probe()
            except _Found:
                pass
            except Exception:
                # Out of time during shrinking, the replay may not fail again and Hypothesis
                # calls the test flaky; the witnesses already confirmed still stand.
                if not found:
                    raise
        if found:
            self.report.witnesses[kind] = found[-1]      # the final, shrunk example

    def _point_strategy(self, st):
        solutions, bounds, names, wrt = self.solutions, self.bounds, self.names, self.wrt

        @st.composite
        def point(draw):
            solution = solutions[draw(st.integers(0, len(solutions) - 1))]
            sizes = {d: draw(st.integers(m, m + 2)) for d, m in solution.free_dims()}
            shapes = solution.instantiate(sizes)

            def values(name):
                # Flat lists are several times cheaper to draw than hypothesis.extra.numpy arrays.
                count = int(np.prod(shapes[name], dtype=int))
                flat = draw(st.lists(_elements(st, bounds.get(name)), min_size=count, max_size=count))
                return np.array(flat, dtype=float).reshape(shapes[name])

            params = {n: values(n) for n in names if n not in wrt}
            a = {n: values(n) for n in wrt}
            b = {n: values(n) for n in wrt}
            theta = draw(st.floats(0.0, 1.0, exclude_min=True, exclude_max=True))
            return shapes, params, a, b, theta

        return point()

    # ---- one point ------------------------------------------------------------------------
    def _gap(self, kind, params, a, b, theta):
        """The largest relative float gap against ``kind`` at one point, and its entry."""
        values = {n: np.stack([v] * 3) for n, v in params.items()}
        values.update({n: np.stack([a[n], b[n], _mix(np.array([theta]), a[n][None], b[n][None])[0]])
                       for n in self.wrt})
        f, valid = evaluate(self.proof, values, FLOAT, 3, self.checks)
        if not valid.all():
            return None, None
        fa, fb, fm = f
        with np.errstate(all="ignore"):
            chord = theta * fa + (1 - theta) * fb
            gap = (fm - chord) if kind == "convex" else (chord - fm)
            relative = np.asarray(gap / (1 + np.abs(fm) + np.abs(theta * fa) + np.abs((1 - theta) * fb)))
        if not np.isfinite(relative).all():
            return None, None
        entry = np.unravel_index(int(np.argmax(relative)), relative.shape)
        return float(relative.max()), entry

    def simplify(self, witness: Witness) -> Witness:
        """A witness with rounder numbers, when one still confirms: the pre-search draws
        long random floats; a reader wants ``W2=[[1, -1]]``."""
        def rounded(values, digits):
            return {n: np.round(np.asarray(v, dtype=float), digits) + 0.0 for n, v in values.items()}

        for digits in (0, 1, 2):
            if time.perf_counter() > self.deadline:
                return witness                      # simpler numbers are not worth the budget
            params, a, b = (rounded(v, digits) for v in (witness.params, witness.a, witness.b))
            if not all(_inside_bound(self.bounds.get(n), v) for n, v in {**params, **a, **b}.items()):
                continue
            for theta in (0.5, round(witness.theta, digits + 1)):
                if not 0 < theta < 1:
                    continue
                better = self.confirm(witness.kind, witness.shapes, params, a, b, theta, witness.entry)
                if better is not None:
                    return self._shrink_entries(better)
        return witness

    def _shrink_entries(self, witness: Witness, tries: int = 24) -> Witness:
        """Greedily set single entries to 0, then to whole numbers, while it still confirms."""
        sides = {"params": witness.params, "a": witness.a, "b": witness.b}
        for target in (lambda v: 0.0, lambda v: float(round(v))):
            for side, values in sides.items():
                for name, value in values.items():
                    array = np.array(value, dtype=float)
                    for index in np.ndindex(array.shape):
                        if tries <= 0 or time.perf_counter() > self.deadline:
                            return witness
                        new = target(array[index]) + 0.0
                        if new == array[index]:
                            continue
                        changed = array.copy()
                        changed[index] = new
                        if not _inside_bound(self.bounds.get(name), changed):
                            continue
                        trial = {k: dict(v) for k, v in sides.items()}
                        trial[side][name] = changed
                        tries -= 1
                        better = self.confirm(witness.kind, witness.shapes, trial["params"], trial["a"],
                                              trial["b"], witness.theta, witness.entry)
                        if better is not None:
                            witness, array = better, changed
                            sides = {"params": witness.params, "a": witness.a, "b": witness.b}
        return witness

    def confirm(self, kind, shapes, params, a, b, theta, entry) -> Witness | None:
        """Prove a float violation with Arb balls: a Witness when the lower end of the
        Jensen gap's ball is positive.

        The parameters, ``a``, ``b`` and ``theta`` are the exact floats drawn; the mixed
        point ``theta*a + (1-theta)*b`` is a ball around its exact value, so the value
        there encloses f at the exact mixed point. A gap whose ball straddles 0 (or a point
        not certainly valid) is retried at the next precision of :data:`PRECISIONS`; a
        gap certainly at most 0 is no violation.
        """
        for bits in PRECISIONS:
            with precision(bits):
                sides = self._sides(kind, params, a, b, theta, entry)
            if sides is None:
                continue
            lhs, rhs, gap = sides
            if gap <= 0:
                return None
            if gap > 0:
                return Witness(kind=kind, shapes=dict(shapes),
                               params={n: np.asarray(v).tolist() for n, v in params.items()},
                               a={n: np.asarray(v).tolist() for n, v in a.items()},
                               b={n: np.asarray(v).tolist() for n, v in b.items()},
                               theta=float(theta), entry=tuple(int(i) for i in entry),
                               lhs=float(lhs.mid()), rhs=float(rhs.mid()), gap=float(gap.mid()),
                               lhs_ball=lhs.str(20), rhs_ball=rhs.str(20), gap_ball=gap.str(20))
        return None

    def _sides(self, kind, params, a, b, theta, entry):
        """Balls for f at the mixed point, the chord and the gap against ``kind`` at
        ``entry``, at the current Arb precision; None where the point is not certainly
        valid."""
        t = to_arb(float(theta))
        values = {n: ARB.array(np.stack([v] * 3)) for n, v in params.items()}
        for n in self.wrt:
            left, right = ARB.array(a[n]), ARB.array(b[n])
            values[n] = np.stack([left, right, t * left + (1 - t) * right])
        f, valid = evaluate(self.proof, values, ARB, 3, self.checks)
        if not valid.all():
            return None
        fa, fb, fm = (f[i][entry] if f.ndim > 1 else f[i] for i in range(3))
        chord = t * fa + (1 - t) * fb
        return fm, chord, (fm - chord) if kind == "convex" else (chord - fm)


def _inside_bound(bound, values) -> bool:
    return bound is None or bool(inside(np.asarray(values, dtype=float), bound).all())


def _mix(theta: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    t = theta.reshape((len(theta),) + (1,) * (a.ndim - 1))
    return t * a + (1 - t) * b


def _random(rng, bound, shape, scale: float, integers: bool) -> np.ndarray:
    """Random values inside ``bound`` (an Interval or None) at the given scale."""
    lo = -np.inf if bound is None else round_up(bound.lo)       # exact ends rounded inward
    hi = np.inf if bound is None else round_down(bound.hi)
    if lo > hi:                                                 # no float inside: skip
        return np.full(shape, np.nan)
    if np.isfinite(lo) and np.isfinite(hi):
        values = rng.uniform(lo, hi, shape)
    elif np.isfinite(lo):
        values = lo + np.abs(rng.normal(0, scale, shape))
    elif np.isfinite(hi):
        values = hi - np.abs(rng.normal(0, scale, shape))
    else:
        values = rng.normal(0, scale, shape)
    if integers:
        rounded = np.round(values)
        keep = (rounded > lo) | ((rounded == lo) & (bound is None or not bound.lo_open))
        keep &= (rounded < hi) | ((rounded == hi) & (bound is None or not bound.hi_open))
        values = np.where(keep, rounded, values)
    if bound is not None:
        if bound.lo_open:
            values = np.where(values <= lo, np.nextafter(lo, np.inf) + abs(lo) * 1e-9 + 1e-9, values)
        if bound.hi_open:
            values = np.where(values >= hi, np.nextafter(hi, -np.inf) - abs(hi) * 1e-9 - 1e-9, values)
    return values


def _elements(st, bound):
    lo = -10.0 if bound is None else max(bound.lo, -10.0 if bound.hi > -10 else bound.hi - 10.0)
    hi = 10.0 if bound is None else min(bound.hi, 10.0 if bound.lo < 10 else bound.lo + 10.0)
    exclude_min = bound is not None and bound.lo_open and lo == bound.lo
    exclude_max = bound is not None and bound.hi_open and hi == bound.hi
    lo, hi = round_up(lo), round_down(hi)                       # exact ends rounded inward
    if lo > hi:                                                 # no float inside: skip
        return st.just(float("nan"))
    return st.floats(lo, hi, exclude_min=exclude_min, exclude_max=exclude_max,
                     allow_nan=False, allow_infinity=False, allow_subnormal=False)
