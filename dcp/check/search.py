"""The numeric cross-check: look for points where Jensen's inequality fails.

For a claim "f is convex" a violation is a choice of parameters (satisfying the
assumptions), two points ``a``, ``b`` in the variables' box and ``theta`` in (0, 1) with

    f(theta a + (1 - theta) b)  >  theta f(a) + (1 - theta) f(b)

in some entry (reversed for concave). The search runs in two stages: a vectorised numpy
pre-search over many random points at several scales and shapes, then Hypothesis,
seeded, without a database or deadline, steered by ``target()`` toward large gaps, and
shrinking what it finds. Both draw each entry inside its box, and often at the box's
ends and at 0: violations that need a weight at its bound live on the box's faces. A
float violation counts only once :meth:`Search.confirm` proves it with Arb ball
arithmetic (the lower end of the gap's ball is positive); it is then a :class:`Witness`.

Reproducible: the budget counts points, examples and re-confirmations, never seconds
(unless asked: ``Budget(seconds=...)``), so the same seed gives the same verdict, witness
and text, cold or warm, in any process. Only *admissible* comparisons count as trials:
parameters inside their box, and ``a``, ``b`` and the mix all in the domain with finite
values. A search that made none is inconclusive, never "passed".
"""
from __future__ import annotations

import contextlib
import math
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

import numpy as np

from ..facts.balls import precision, to_arb
from ..facts.interval import MAX_FLOAT, next_down, next_up, round_down, round_up
from ..facts.structure import STRUCTURES, Structured, exact_structure
from ..facts.valued import Entries, entries_of
from ..ops import ARB, FLOAT
from ..proof import Proof
from .budget import Budget
from .evaluate import domain_checks, evaluate
from .report import SearchReport, Witness
from .shapes import ShapeSolution

__all__ = ["Box", "MatrixBox", "Search"]

#: A float gap must exceed this (relative to the values) to be worth confirming.
FLOAT_TOLERANCE = 1e-7
#: Arb precisions (bits) at which a candidate is re-evaluated until its gap is decided.
PRECISIONS = (128, 512, 2048)
SCALES = (1.0, 0.1, 3.0, 10.0, 0.01)
#: How often the pre-search puts an entry at a special value (an end of its box or 0):
#: per point, all entries of a name (a corner), about one in four, or none.
SPECIAL_RATES, SPECIAL_WEIGHTS = (1.0, 0.25, 0.0), (0.125, 0.375, 0.5)
#: The smallest positive normal float.
TINY = sys.float_info.min


#: A name with more entries than this draws them from a seed in the Hypothesis stage.
_MAX_DRAWN_ENTRIES = 1000
#: A point with more numbers than this is not evaluated: the check is skipped, and says so.
MAX_ENTRIES = 1_000_000


def _inside_hypothesis_test() -> bool:
    from hypothesis.control import currently_in_test_context
    return currently_in_test_context()


class _Found(Exception):
    """Raised inside the Hypothesis test to stop and shrink once a witness is confirmed."""


@contextlib.contextmanager
def _without_local_constants():
    """Hypothesis sometimes draws constants found in the source of the modules loaded so
    far; which modules those are differs between a cold and a warm process, the CLI and a
    test run, so the draws would too. Only its fixed global constants are used here."""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
        before = providers._get_local_constants
    except (ImportError, AttributeError):         # a Hypothesis that collects none
        yield
        return
    providers._get_local_constants = Constants
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = before
        providers.CONSTANTS_CACHE.cache.clear()


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
        self.proof, self.solutions = proof, solutions
        # A variable the expression no longer reads (a proof entry by entry drops the
        # terms of weights exactly 0) is drawn nowhere: f does not depend on it.
        self.wrt = tuple(n for n in wrt if n in solutions[0].names)
        self.bounds, self.budget, self.seed = bounds, budget, seed
        self.names = list(solutions[0].names)
        self.boxes = {n: Box.of(bounds.get(n)) for n in self.names}
        self.checks = domain_checks(proof)
        self.report = SearchReport()
        #: When a timed budget runs out (``time.perf_counter``); None for a budget in counts.
        self.deadline: float | None = None

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    # ---- the two stages -----------------------------------------------------------------
    def run(self, wanted: set[str]) -> SearchReport:
        entries = self._entries({d: m for d, m in self.solutions[0].free_dims()})
        if entries > MAX_ENTRIES:
            # One point would not fit the time or the memory (x[9999, 9999] is 10^8 numbers).
            self.report.skipped = (f"the arrays need {entries:,} numbers at their smallest "
                                   f"shapes, more than {MAX_ENTRIES:,}")
            return self.report
        if self.budget.seconds is not None:
            self._warm_up()
            started = time.perf_counter()
            self.deadline = started + self.budget.seconds
        self._presearch(wanted)
        self._implied(wanted)
        if _inside_hypothesis_test():
            # Hypothesis cannot nest one search in another (a user's @given test calling
            # certify): the pre-search alone stands, and the report says so.
            self.report.nested = True
        else:
            for kind in sorted(wanted - set(self.report.witnesses)):
                if kind not in self.report.witnesses and self.budget.examples and not self.out_of_time():
                    self._hypothesis(kind)
                    self._implied(wanted)
        if self.deadline is not None:
            self.report.seconds = time.perf_counter() - started
        return self.report

    def _implied(self, wanted: set[str]) -> None:
        """A mixed point above both end values is above the chord: each witness against
        quasiconvexity (quasiconcavity) is confirmed again against convexity (concavity)."""
        found = self.report.witnesses
        for quasi, plain in (("quasiconvex", "convex"), ("quasiconcave", "concave")):
            witness = found.get(quasi)
            if witness is None or plain not in wanted or plain in found:
                continue
            exact = {part: {n: np.asarray(v, dtype=float) for n, v in getattr(witness, part).items()}
                     for part in ("params", "a", "b")}
            again = self.confirm(plain, witness.shapes, exact["params"], exact["a"], exact["b"],
                                 witness.theta, witness.entry)
            if again is not None:
                found[plain] = again

    def _warm_up(self) -> None:
        """Pay the one-time costs before a timed budget's clock starts: the imports of the
        search and of the evaluators, and a first evaluation and confirmation of this
        expression (SymPy compiles each atom's formula on first use)."""
        import importlib
        for module in ("hypothesis.strategies", "sympy", "flint"):
            with contextlib.suppress(ImportError):
                importlib.import_module(module)
        rng = np.random.default_rng(0)
        solution = self.solutions[0]
        shapes = solution.instantiate({d: m for d, m in solution.free_dims()})
        point = {n: self.boxes[n].sample(rng, (1, *shapes[n]), 1.0, False)[0] for n in self.names}
        params = {n: v for n, v in point.items() if n not in self.wrt}
        a = {n: point[n] for n in self.wrt}
        _, entry = self._gap("convex", params, a, a, 0.5)
        if entry is not None:
            self.confirm("convex", shapes, params, a, a, 0.5, entry)

    def _presearch(self, wanted: set[str]) -> None:
        rng = np.random.default_rng(self.seed & (2**64 - 1))     # numpy wants it nonnegative
        # About two million numbers per batch at most, however large the arrays are.
        entries = max(self._entries({d: m + 2 for d, m in self.solutions[0].free_dims()}), 1)
        batch = int(max(1, min(128, 2_000_000 // (3 * entries))))
        rounds = self.budget.presearch_points // 128
        for round_ in range(rounds):
            if self.out_of_time() or wanted <= set(self.report.witnesses):
                return
            solution = self.solutions[round_ % len(self.solutions)]
            sizes = {d: int(rng.integers(m, m + 3)) for d, m in solution.free_dims()}
            shapes = solution.instantiate(sizes)
            scale = SCALES[(round_ // len(self.solutions)) % len(SCALES)]
            integers = round_ % 3 == 2
            draw = {n: self.boxes[n].sample(rng, (batch, *shapes[n]), scale, integers)
                    for n in self.names}
            draw_b = {n: self.boxes[n].sample(rng, (batch, *shapes[n]), scale, integers)
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
        fa, fb, fm = f[:batch], f[batch:2 * batch], f[2 * batch:]
        ok = valid[:batch] & valid[batch:2 * batch] & valid[2 * batch:]
        self.report.trials += int(ok.sum())
        t = theta.reshape((batch,) + (1,) * (f.ndim - 1))
        scale = 1 + np.abs(fm) + np.abs(t * fa) + np.abs((1 - t) * fb)
        for kind in sorted(wanted - set(self.report.witnesses)):     # sorted: no hash order
            gap = _float_gap(kind, t, fa, fb, fm)
            relative = np.where(ok.reshape(t.shape), gap / scale, -np.inf)
            rows = relative.reshape(batch, -1)
            best = rows.max(axis=1)
            if np.isfinite(best).any():
                self.report.largest_gap[kind] = max(self.report.largest_gap[kind],
                                                    float(best[np.isfinite(best)].max()))
            for i in np.argsort(-best, kind="stable")[:3]:
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
        """One seeded Hypothesis run against ``kind``. Its budget is counted: ``examples``
        generated, then at most ``shrink`` candidates re-confirmed while shrinking the first
        witness; after that every example passes, and the shrinker stops on its own."""
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

        confirmed: dict[str, Witness] = {}
        found: list[Witness] = []
        points = self._point_strategy(st)
        search = self
        tries = self.budget.shrink

        def attempt(point) -> Witness | None:
            nonlocal tries
            if search.out_of_time() or (found and tries <= 0):
                return None                          # out of budget: let Hypothesis finish
            shapes, params, a, b, theta = point
            gap, entry = search._gap(kind, params, a, b, theta)
            if gap is None:
                return None
            search.report.trials += 1
            target(gap, label=kind)
            search.report.largest_gap[kind] = max(search.report.largest_gap[kind], gap)
            if not gap > FLOAT_TOLERANCE:
                return None
            tries -= bool(found)
            return search.confirm(kind, shapes, params, a, b, theta, entry)

        @seed(self.seed)
        @settings(max_examples=self.budget.examples, deadline=None, database=None,
                  derandomize=False, report_multiple_bugs=False, backend="hypothesis",
                  verbosity=Verbosity.quiet, print_blob=False,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink])
        @given(points)
        def probe(point):
            # Hypothesis replays what it reports: a point confirmed once is not re-confirmed
            # (nor charged again), and it fails from this one line, the same failure.
            key = _point_key(point)
            witness = confirmed[key] if key in confirmed else attempt(point)
            if witness is not None:
                confirmed[key] = witness
                found.append(witness)
                raise _Found

        with _quiet_hypothesis_storage(), _without_local_constants():
            try:
                probe()
            except _Found:
                pass
            except Exception:
                # A timed budget may run out while shrinking; then the replay may not fail
                # again and Hypothesis calls the test flaky. Confirmed witnesses still stand.
                if not found:
                    raise
        if found:
            self.report.witnesses[kind] = found[-1]      # the final, shrunk example

    def _point_strategy(self, st):
        solutions, names, wrt, boxes = self.solutions, self.names, self.wrt, self.boxes
        entries = {n: box.strategy(st) for n, box in boxes.items()}

        @st.composite
        def point(draw):
            solution = solutions[draw(st.integers(0, len(solutions) - 1))]
            sizes = {d: draw(st.integers(m, m + 2)) for d, m in solution.free_dims()}
            shapes = solution.instantiate(sizes)

            def values(name):
                return boxes[name].drawn(draw, st, entries[name], shapes[name])

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
            gap = _float_gap(kind, theta, fa, fb, fm)
            relative = np.asarray(gap / (1 + np.abs(fm) + np.abs(theta * fa) + np.abs((1 - theta) * fb)))
        if not np.isfinite(relative).all():
            return None, None
        entry = np.unravel_index(int(np.argmax(relative)), relative.shape)
        return float(relative.max()), entry

    def simplify(self, witness: Witness) -> Witness:
        """A witness with rounder numbers, when one still confirms: the pre-search draws
        long random floats; a reader wants ``W2=[[1, -1]]``. At most 6 tries here and
        ``budget.shrink`` in :meth:`_shrink_entries`."""
        def rounded(values, digits):
            return {n: np.round(np.asarray(v, dtype=float), digits) + 0.0 for n, v in values.items()}

        for digits in (0, 1, 2):
            if self.out_of_time():
                return witness                      # simpler numbers are not worth the budget
            params, a, b = (rounded(v, digits) for v in (witness.params, witness.a, witness.b))
            if not all(self.boxes[n].contains(v) for n, v in {**params, **a, **b}.items()):
                continue
            for theta in (0.5, round(witness.theta, digits + 1)):
                if not 0 < theta < 1:
                    continue
                better = self.confirm(witness.kind, witness.shapes, params, a, b, theta, witness.entry)
                if better is not None:
                    return self._shrink_entries(better)
        return witness

    def _shrink_entries(self, witness: Witness) -> Witness:
        """Greedily set single entries to 0, then to whole numbers, while it still confirms
        (at most ``budget.shrink`` tries)."""
        tries = self.budget.shrink
        sides = {"params": witness.params, "a": witness.a, "b": witness.b}
        for target in (lambda v: 0.0, lambda v: float(round(v))):
            for side, values in sides.items():
                for name, value in values.items():
                    array = np.array(value, dtype=float)
                    for index in np.ndindex(array.shape):
                        if tries <= 0 or self.out_of_time():
                            return witness
                        new = target(array[index]) + 0.0
                        if new == array[index]:
                            continue
                        changed = array.copy()
                        changed[index] = new
                        if not self.boxes[name].contains(changed):
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
        if not self._admissible({**params, **a}) or not self._admissible(b):
            return None
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

    def _admissible(self, values: Mapping) -> bool:
        """Whether every entry lies in its name's assumption, compared exactly, and a
        matrix has its assumed structure, decided exactly: a witness is about the
        parameters the user stated, whatever the sampler drew."""
        for name, value in values.items():
            bound = self.bounds.get(name)
            if bound is not None and not all(
                    float(v) in bound for v in np.asarray(value, dtype=float).flat):
                return False
            if not self.boxes[name].holds(value):
                return False
        return True

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
        if kind in ("convex", "concave"):
            chord = t * fa + (1 - t) * fb
            return fm, chord, (fm - chord) if kind == "convex" else (chord - fm)
        return (fm,) + _ball_gap(kind, fa, fb, fm)


@dataclass(frozen=True)
class Box:
    """The floats a name may take: ``lo <= v <= hi`` (none when ``lo > hi``).

    An assumption's open end moves one float inward and an exact (``Fraction``) end rounds
    inward, so every float in the box satisfies the assumption: ``x > 0`` never draws 0.
    """

    lo: float = -math.inf
    hi: float = math.inf

    @classmethod
    def of(cls, bound) -> Box:
        """The box of an assumption's Interval (None: all reals); a :class:`MatrixBox`
        for a structured one (``P psd``)."""
        if bound is None:
            return cls()
        lo, hi = round_up(bound.lo), round_down(bound.hi)
        lo = next_up(lo) if bound.lo_open and lo == bound.lo > -math.inf else lo
        hi = next_down(hi) if bound.hi_open and hi == bound.hi < math.inf else hi
        if isinstance(bound, Structured):
            return MatrixBox(lo, hi, bound.structure)
        entries = entries_of(bound)
        if entries is not None:
            return ValuedBox(lo, hi, entries)
        return cls(lo, hi)

    @property
    def empty(self) -> bool:
        return not self.lo <= self.hi or self.lo == math.inf or self.hi == -math.inf

    @property
    def specials(self) -> tuple[float, ...]:
        """The values worth drawing often: the finite ends (a corner of the box when every
        entry is at one) and 0 when it is inside."""
        ends = [v for v in (self.lo, self.hi) if math.isfinite(v)]
        return tuple(dict.fromkeys(ends + ([0.0] if self.lo <= 0 <= self.hi else [])))

    def contains(self, values) -> bool:
        values = np.asarray(values, dtype=float)
        return bool(((values >= self.lo) & (values <= self.hi)).all()) and self.holds(values)

    def shaped(self, values: np.ndarray) -> np.ndarray:
        """A batch of draws made to hold the name's structure (none for a plain box)."""
        return values

    def holds(self, value) -> bool:
        """Whether one value (no batch axis) holds the name's structure, exactly."""
        return True

    def sample(self, rng, shape, scale: float, integers: bool) -> np.ndarray:
        """Random values in the box at ``scale`` (rounded to whole numbers when
        ``integers`` and still inside); per point, all, some or none of the entries are
        special values instead."""
        if self.empty:
            return np.full(shape, np.nan)       # nothing admissible: every point is skipped
        lo, hi = self.lo, self.hi
        if math.isfinite(lo) and math.isfinite(hi):
            u = rng.uniform(0.0, 1.0, shape)
            values = lo * (1 - u) + hi * u      # no overflow, unlike lo + (hi - lo) * u
        elif math.isfinite(lo):
            values = lo + np.abs(rng.normal(0, scale, shape)) * max(1.0, abs(lo))
        elif math.isfinite(hi):
            values = hi - np.abs(rng.normal(0, scale, shape)) * max(1.0, abs(hi))
        else:
            values = rng.normal(0, scale, shape)
        if integers:
            rounded = np.round(values)
            values = np.where((rounded >= lo) & (rounded <= hi), rounded, values)
        values = np.clip(values, max(lo, -MAX_FLOAT), min(hi, MAX_FLOAT))
        if self.specials:
            rows = (shape[0],) + (1,) * (len(shape) - 1)
            rate = rng.choice(SPECIAL_RATES, p=SPECIAL_WEIGHTS, size=shape[0]).reshape(rows)
            values = np.where(rng.random(shape) < rate, rng.choice(self.specials, size=shape), values)
        return self.shaped(values)

    def strategy(self, st):
        """Hypothesis' floats in a window of the box (within 10 of 0, or of a far end), or,
        one time in four, a special value (shrinking prefers those)."""
        if self.empty:
            return st.just(math.nan)
        floats = _floats(st, *self.window())
        specials = st.sampled_from(self.specials) if self.specials else None
        if specials is None:
            return floats

        @st.composite
        def entry(draw):
            return draw(specials) if draw(st.integers(0, 3)) == 0 else draw(floats)

        return entry()

    def drawn(self, draw, st, entry, shape: tuple[int, ...]) -> np.ndarray:
        """One value of ``shape`` drawn by Hypothesis, each entry from ``entry`` (this box's
        :meth:`strategy`). Flat lists are several times cheaper to draw than
        hypothesis.extra.numpy arrays."""
        count = int(np.prod(shape, dtype=int))
        flat = draw(st.lists(entry, min_size=count, max_size=count))
        return self.shaped(np.array(flat, dtype=float).reshape((1, *shape)))[0]

    def window(self) -> tuple[float, float]:
        """Finite ends for Hypothesis: the box, cut to [-10, 10] or to a stretch as long as
        the distance of its one finite end from 0."""
        lo, hi = self.lo, self.hi
        if math.isinf(lo) and math.isinf(hi):
            return -10.0, 10.0
        if math.isinf(hi):
            return lo, min(max(lo + max(10.0, abs(lo)), 10.0), MAX_FLOAT)
        if math.isinf(lo):
            return max(min(hi - max(10.0, abs(hi)), -10.0), -MAX_FLOAT), hi
        return lo, hi


@dataclass(frozen=True)
class MatrixBox(Box):
    """The box of a matrix parameter assumed ``psd``, ``nsd``, ``symmetric`` (or both
    psd and nsd: ``zero``). Draws are made to hold it: a symmetric ``P`` is ``(B + Bᵀ)/2``,
    a psd one ``c 11ᵀ + t B Bᵀ`` with ``c >= 0`` and ``t`` scaling its entries into the box
    (``B`` nonnegative when the box is), an nsd one the mirror image. A 1 x 1 matrix may
    be a scalar; a name of any other shape has no admissible value."""

    structure: str = "symmetric"

    def shaped(self, values: np.ndarray) -> np.ndarray:
        if values.ndim == 1:                                # a batch of scalars: 1 x 1
            return self.shaped(values.reshape(-1, 1, 1)).reshape(values.shape)
        if values.ndim != 3 or values.shape[1] != values.shape[2]:
            return np.full(values.shape, np.nan)
        with np.errstate(all="ignore"):
            if self.structure == "zero":
                made = np.zeros_like(values)
            elif self.structure == "psd":
                made = _semidefinite(values, self.lo, self.hi)
            elif self.structure == "nsd":
                made = -_semidefinite(-values, -self.hi, -self.lo)
            else:
                made = values
        return (made + made.swapaxes(1, 2)) / 2             # exactly symmetric

    def holds(self, value) -> bool:
        matrix = np.asarray(value, dtype=float)
        matrix = matrix.reshape(1, 1) if matrix.ndim == 0 else matrix
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            return False
        found = exact_structure([[Fraction(float(v)) for v in row] for row in matrix])
        return found is not None and STRUCTURES[self.structure] <= STRUCTURES[found]


@dataclass(frozen=True)
class ValuedBox(Box):
    """The box of a parameter given its values (:mod:`dcp.facts.valued`): every draw is
    the values themselves; in the symbolic mode, each entry is drawn with its value's sign
    (0 stays 0), at any magnitude the scale gives."""

    entries: Entries = None

    def shaped(self, values: np.ndarray) -> np.ndarray:
        entries = self.entries
        if values.shape[1:] != entries.shape:
            return np.full(values.shape, np.nan)        # not this constant's shape: skipped
        if entries.symbolic:
            return np.abs(values) * entries.signs()
        return np.broadcast_to(entries.values, values.shape).copy()

    def sample(self, rng, shape, scale: float, integers: bool) -> np.ndarray:
        if not self.entries.symbolic:
            return self.shaped(np.zeros(shape))
        return self.shaped(Box().sample(rng, shape, scale, integers))

    def strategy(self, st):
        return _floats(st, 0.0, 10.0)                    # magnitudes (symbolic mode)

    def drawn(self, draw, st, entry, shape: tuple[int, ...]) -> np.ndarray:
        """The values themselves (nothing to draw); in the symbolic mode magnitudes drawn
        entry by entry, or, for more entries than Hypothesis draws in one list, from a
        seed it draws."""
        if not self.entries.symbolic:
            return self.shaped(np.zeros((1, *shape)))[0]
        if int(np.prod(shape, dtype=int)) <= _MAX_DRAWN_ENTRIES:
            return Box.drawn(self, draw, st, entry, shape)
        rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
        return self.sample(rng, (1, *shape), 1.0, False)[0]

    def holds(self, value) -> bool:
        value = np.asarray(value, dtype=float)
        entries = self.entries
        if value.shape != entries.shape:
            return False
        if entries.symbolic:
            return bool(((value >= entries.lo) & (value <= entries.hi)).all())
        return bool((value == entries.values).all())


def _semidefinite(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Positive semidefinite matrices with entries in [lo, hi] made from draws in that
    box: ``c 11ᵀ + t G`` with ``c = max(lo, 0)``, ``G = B Bᵀ`` (``B = |values|`` when
    ``lo >= 0``, so G is nonnegative) and ``t <= 1`` the largest scale that keeps every
    entry in the box (a little less, for rounding)."""
    if hi < 0:
        return np.full(values.shape, np.nan)                # no psd matrix is in the box
    base = np.abs(values) if lo >= 0 else values
    gram = base @ base.swapaxes(1, 2)
    c = max(lo, 0.0)
    room_up = np.where(gram > 0, (hi - c) / gram, np.inf).min(axis=(1, 2))
    room_down = np.where(gram < 0, (lo - c) / gram, np.inf).min(axis=(1, 2))
    t = np.minimum(1.0, np.minimum(room_up, room_down) * (1 - 2 ** -20))
    return c + t[:, None, None] * gram


def _floats(st, lo: float, hi: float):
    """``st.floats`` on [lo, hi], valid for every box: subnormals only when the window has no
    normal float and no 0 (then they are all there is: ``0 < x <= 5e-324``)."""
    if lo <= 0 <= hi or hi >= TINY or lo <= -TINY:
        if 0 < abs(lo) < TINY:
            lo = TINY if lo > 0 else 0.0
        if 0 < abs(hi) < TINY:
            hi = -TINY if hi < 0 else 0.0
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=True)


def _point_key(point) -> str:
    """An exact, hashable spelling of a Hypothesis point (``repr`` of floats round-trips)."""
    shapes, params, a, b, theta = point
    return repr((sorted(shapes.items()), [(n, v.tolist()) for side in (params, a, b)
                                          for n, v in sorted(side.items())], theta))


def _float_gap(kind: str, t, fa, fb, fm):
    """How far f at the mix lies beyond what ``kind`` allows, in floats (positive: a
    candidate): above the chord (convex), below it (concave), above both ends
    (quasiconvex), below both (quasiconcave)."""
    if kind == "convex":
        return fm - (t * fa + (1 - t) * fb)
    if kind == "concave":
        return (t * fa + (1 - t) * fb) - fm
    if kind == "quasiconvex":
        return fm - np.maximum(fa, fb)
    return np.minimum(fa, fb) - fm


def _ball_gap(kind: str, fa, fb, fm) -> tuple:
    """The end value compared with and the gap against quasiconvexity (quasiconcavity), as
    balls: f(mix) - f(a) and f(mix) - f(b) (negated for quasiconcavity) must both be
    certainly positive. Returns the smaller when both are, one certainly <= 0 when there
    is one, else one that straddles 0 (decided at a higher precision)."""
    sign = 1 if kind == "quasiconvex" else -1
    gaps = [(sign * (fm - end), end) for end in (fa, fb)]
    if all(gap > 0 for gap, _ in gaps):
        gap, end = min(gaps, key=lambda pair: pair[0].mid())
        return end, gap
    for gap, end in gaps:
        if gap <= 0:
            return end, gap
    gap, end = next((g, e) for g, e in gaps if not g > 0)
    return end, gap


def _mix(theta: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    t = theta.reshape((len(theta),) + (1,) * (a.ndim - 1))
    return t * a + (1 - t) * b
