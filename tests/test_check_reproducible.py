"""The numeric check is reproducible and honest (issue 12).

The same call with the same seed gives the same text in one process and in fresh ones,
in the API, the CLI and ``dcp batch --jobs N``; a check that compared no admissible point
says "inconclusive", never "passed"; draws reach the ends of each box and 0, which some
violations need; every admissible box gives valid draws.
"""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from dcp import DcpError, certify
from dcp.check import Budget, infer_shapes
from dcp.check.search import Box
from dcp.facts import Interval

#: A convex claim that survives: its Hypothesis run goes through every example, so the
#: report's counts and gap depend on every draw.
SURVIVES = ("relu(W2 @ relu(W1 @ x))", "W1", ("W2 >= 0",))
#: Only Hypothesis searches here, and it finds and shrinks a witness.
HYPOTHESIS_ONLY = Budget(presearch_points=0, examples=60)


def dcp(*args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcp", *args], capture_output=True, text=True,
                          timeout=300, input=stdin, check=check)


def _text(expr, wrt, assume=(), **kw) -> str:
    return certify(expr, wrt=wrt, assume=list(assume), **kw).explain()


# ---- the same seed, the same text -------------------------------------------------------------
def test_same_seed_same_text_twice_in_one_process():
    expr, wrt, assume = SURVIVES
    assert _text(expr, wrt, assume, seed=5) == _text(expr, wrt, assume, seed=5)
    first = _text("x * y", ["x", "y"], check_budget=HYPOTHESIS_ONLY, seed=3)
    assert first == _text("x * y", ["x", "y"], check_budget=HYPOTHESIS_ONLY, seed=3)
    assert "witness: not convex" in first


def test_loading_more_modules_does_not_change_the_hypothesis_search(tmp_path, monkeypatch):
    # Hypothesis draws constants found in the source of loaded local modules; which
    # modules are loaded differs between processes, so the check must not use them.
    before = _text("sigmoid(x) * relu(y)", ["x", "y"], check_budget=HYPOTHESIS_ONLY, seed=1)
    numbers = np.random.default_rng(0).uniform(-10, 10, 300)
    (tmp_path / "dcp_test_constants.py").write_text(f"C = {[float(v) for v in numbers]!r}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    __import__("dcp_test_constants")
    try:
        after = _text("sigmoid(x) * relu(y)", ["x", "y"], check_budget=HYPOTHESIS_ONLY, seed=1)
    finally:
        sys.modules.pop("dcp_test_constants", None)
    assert after == before


def test_fresh_processes_print_what_the_api_returns():
    expr, wrt, assume = SURVIVES
    runs = {dcp("certify", expr, "--wrt", wrt, "--assume", assume[0], "--seed", "2").stdout
            for _ in range(2)}
    assert runs == {_text(expr, wrt, assume, seed=2) + "\n"}


def test_fresh_processes_agree_on_a_hypothesis_witness():
    code = ("import dcp; from dcp.check import Budget; print(dcp.certify('x * y', wrt=['x', 'y'], "
            "check_budget=Budget(presearch_points=0, examples=60), seed=3).explain())")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=300, check=True).stdout for _ in range(2)}
    assert runs == {_text("x * y", ["x", "y"], check_budget=HYPOTHESIS_ONLY, seed=3) + "\n"}


def test_batch_gives_the_same_lines_with_one_job_or_several(tmp_path):
    cases = [{"expr": "relu(W2 @ relu(W1 @ x))", "wrt": ["W1"], "assume": ["W2 >= 0"]},
             {"expr": "relu(W2 @ relu(W1 @ x))", "wrt": ["W1"]},
             {"expr": "sigmoid(square(x) - 4)", "wrt": ["x"], "assume": ["-2.1 <= x <= 2.1"]},
             {"expr": "log(-1) + x", "wrt": ["x"]},
             {"expr": "x * y", "wrt": ["x", "y"]},
             {"expr": "logsumexp(A @ x)", "wrt": ["x"]}]
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(case) + "\n" for case in cases))
    one = dcp("batch", str(path), "--jobs", "1").stdout
    assert dcp("batch", str(path), "--jobs", "3").stdout == one
    assert [json.loads(line)["verdict"] for line in one.splitlines()] == [
        "convex", "nonconvex", "quasiconvex", "unknown", "nonconvex", "convex"]


def test_the_default_report_shows_no_wall_clock_time():
    result = certify(*SURVIVES[:2], assume=list(SURVIVES[2]))
    assert result.check.seconds is None and result.to_json()["check"]["seconds"] is None
    line = next(line for line in result.explain().splitlines() if line.startswith("numeric check"))
    assert re.fullmatch(r"numeric check: no violation of convex in \d+ admissible comparisons; "
                        r"also not concave \(witness below\)", line)


# ---- inconclusive, never "passed" after nothing -------------------------------------------------
@pytest.mark.parametrize("expr,budget", [
    ("log(-1) + x", None),
    ("sqrt(-x^2 - 1)", None),
    ("relu(x)", Budget(presearch_points=0, examples=0)),
    ("relu(x)", Budget(seconds=1e-9)),           # out of time before the first point
])
def test_no_admissible_point_is_inconclusive(expr, budget):
    result = certify(expr, wrt="x", check_budget=budget)
    report = result.check
    assert (report.outcome, report.trials, report.largest_gap) == ("inconclusive", 0, None)
    assert report.note == "no admissible points"
    assert "numeric check: inconclusive (no admissible points)" in result.explain()
    assert "Numeric check: inconclusive (no admissible points)." in result.render("markdown")
    data = json.loads(result.render("json"))["check"]
    assert (data["outcome"], data["trials"], data["largest_gap"]) == ("inconclusive", 0, None)
    assert "passed" not in str(report)


def test_inconclusive_json_follows_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from dcp.render.json import load_schema
    schema = load_schema()
    jsonschema.validate(certify("log(-1) + x", wrt="x").to_json(), schema)
    jsonschema.validate(certify("relu(x)", wrt="x", check_budget=0.5).to_json(), schema)


def test_trials_count_admissible_comparisons_only():
    # Half of the draws of x have log(x) undefined: they are skipped, not counted.
    defined = certify("log(x)", wrt="x", assume=["x > 0"], check_budget=Budget(examples=1))
    halved = certify("log(x)", wrt="x", check_budget=Budget(examples=1))
    assert 0 < halved.check.trials < defined.check.trials


# ---- draws at the box's ends, corners and 0 ---------------------------------------------------
def test_a_violation_at_the_end_of_a_variables_box_is_found():
    # f = sigmoid(x^2 - 4): f''(2.1) = 17.64 s''(0.41) + 2 s'(0.41) < 0, so f is not convex
    # near the end of [-2.1, 2.1]; it is not concave near 0 either.
    # (a nondecreasing function of a convex one: quasiconvex, SPEC section 10)
    result = certify("sigmoid(square(x) - 4)", wrt="x", assume=["-2.1 <= x <= 2.1"])
    assert (result.is_convex, result.is_concave, result.verdict) == (False, False, "quasiconvex")


def test_an_icnn_with_slightly_negative_hidden_weights_is_not_convex():
    # One hidden unit with weight -0.01 < 0: with W0 = [[1, 0]], W1 = [[0, 1]], y2 = 1,
    # f = 1 - 0.01 relu(y1) near y1 = 0 has a concave kink, so f is not convex in y.
    result = certify("relu(Wz @ relu(W0 @ y) + W1 @ y)", wrt="y", assume=["Wz >= -0.01"],
                     check_budget=Budget(presearch_points=512, examples=10))
    assert result.is_convex is False
    assert any(v < 0 for v in np.ravel(result.witnesses["convex"].params["Wz"]))


def test_a_loss_with_a_slightly_positive_target_is_not_convex():
    # (relu(u) - t)^2 has slopes 0 left of 0 and -2t right of it: a concave kink when t > 0.
    result = certify("sum_squares(relu(W @ z) - t)", wrt="z", assume=["t <= 0.01"])
    assert result.is_convex is False
    assert any(0 < v <= 0.01 for v in np.ravel(result.witnesses["convex"].params["t"]))


def test_with_the_target_at_most_zero_the_loss_is_convex():
    result = certify("sum_squares(relu(W @ z) - t)", wrt="z", assume=["t <= 0"])
    assert result.is_convex is True and result.check.outcome == "refuted"   # not concave


def _boxes():
    tiny = 5e-324
    return [Interval(0.0, tiny, lo_open=True), Interval(-tiny, 0.0, hi_open=True),
            Interval(-1e-310, 1e-310), Interval(1e-310, 2e-310), Interval(2.0, 2.0),
            Interval(0.0, 0.0), Interval(1e300, math.inf), Interval(-math.inf, -1e300),
            Interval(1e300, 1.5e300), Interval(-1.7e308, 1.7e308), Interval(0.0, math.inf, lo_open=True),
            Interval(-math.inf, 0.0, hi_open=True), Interval(-2.1, 2.1), None,
            SimpleNamespace(lo=Fraction(1, 10), hi=Fraction(3, 10), lo_open=False, hi_open=True),
            SimpleNamespace(lo=Fraction(-1, 1000), hi=math.inf, lo_open=True, hi_open=True),
            SimpleNamespace(lo=Fraction(10) ** 400, hi=math.inf, lo_open=False, hi_open=True)]


def _admissible(bound, value: float) -> bool:
    if bound is None:
        return math.isfinite(value)
    exact = Fraction(value)
    above = exact > bound.lo if bound.lo_open else exact >= bound.lo
    below = exact < bound.hi if bound.hi_open else exact <= bound.hi
    return math.isfinite(value) and above and below


@pytest.mark.parametrize("bound", _boxes(), ids=lambda b: str(b)[:40])
def test_every_box_gives_admissible_draws_and_its_ends(bound):
    from hypothesis import given, settings

    box = Box.of(bound)
    if box.empty:               # no float lies in [10^400, inf): nothing may be drawn
        assert bound.lo > 1e308 and np.isnan(box.sample(np.random.default_rng(0), (4,), 1.0, False)).all()
        return
    assert all(_admissible(bound, v) for v in box.specials)
    rng = np.random.default_rng(0)
    drawn = np.concatenate([box.sample(rng, (64, 3), scale, integers).ravel()
                            for scale in (0.01, 1.0, 10.0) for integers in (False, True)])
    assert all(_admissible(bound, v) for v in drawn)
    assert set(box.specials) <= set(drawn.tolist())        # the ends and 0 are drawn

    @settings(max_examples=30, database=None, deadline=None)
    @given(box.strategy(__import__("hypothesis").strategies))
    def draws_inside(value):
        assert _admissible(bound, value)

    draws_inside()


def test_open_ends_are_never_drawn():
    box = Box.of(Interval(0.0, math.inf, lo_open=True))
    assert 0.0 not in box.specials and box.lo > 0
    assert (box.sample(np.random.default_rng(0), (500, 4), 1.0, True) > 0).all()


@pytest.mark.parametrize("assume,verdict", [("0 < x <= 5e-324", "concave"), ("2 <= x <= 2", "constant"),
                                            ("x >= 1e300", "concave"), ("-5e-324 <= x < 0", None)])
def test_certify_on_tiny_huge_and_one_point_boxes(assume, verdict):
    result = certify("log(x)" if verdict != "constant" else "log(x) - x", wrt="x", assume=[assume])
    assert result.check.outcome in ("passed", "refuted", "inconclusive")
    if verdict == "concave":
        assert result.is_concave is True


# ---- a budget in seconds stays available --------------------------------------------------------
def test_a_seconds_budget_still_works():
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1", check_budget=Budget(seconds=5.0))
    assert result.is_convex is False and result.check.seconds is not None
    assert 0 <= result.check.seconds < 5.0 + 5.0
    assert re.search(r"in \d+\.\d\ds", str(result.check))
    assert certify("relu(x)", wrt="x", check_budget=0.5).check.seconds is not None


@pytest.mark.parametrize("fields", [{"examples": -1}, {"shrink": 1.5}, {"seconds": 0},
                                    {"presearch_points": True}, {"seconds": "1"}])
def test_bad_budgets_are_a_dcp_error(fields):
    with pytest.raises(DcpError, match="Budget"):
        Budget(**fields)


def test_batch_reports_a_malformed_case_on_its_line():
    lines = "[1, 2]\n" + json.dumps({"expr": "relu(x)", "wrt": ["x"], "shapes": [{"x": ["n"]}]}) + "\n"
    run = dcp("batch", "-", "--jobs", "1", "--no-check", stdin=lines, check=False)
    assert run.returncode == 2                       # some line was refused (dcp batch --help)
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert [(o["line"], o["error"]) for o in out] == [(1, "DcpError"), (2, "DcpError")]
    assert out[1]["message"] == 'bad case: "shapes" must be an object such as {"W": [4, 3]}'


def test_a_bound_with_a_long_exact_value_is_sampled_inside_it():
    """`x <= 5e-324` is 5/10^324 exactly, which lies between the two smallest positive
    floats: the box holds one float, and no witness may use the one above it."""
    result = certify("log(x)", wrt="x", assume=["0 < x <= 5e-324"])
    assert result.witness is None
    assert result.proof.bounds["x"].hi == Fraction(5, 10**324)


def test_confirm_refuses_a_point_outside_the_assumptions():
    """Defence in depth: whatever the sampler draws, a witness lies in the stated box."""
    from dcp.check.search import Search
    result = certify("sigmoid(x)", wrt="x", assume=["x <= 1"], check=False)
    search = Search(result.proof, infer_shapes(result.proof, {}), ("x",), result.proof.bounds,
                    Budget(), 0)
    inside = search.confirm("convex", {"x": ()}, {}, {"x": np.array(0.9)}, {"x": np.array(0.1)}, 0.5, ())
    outside = search.confirm("convex", {"x": ()}, {}, {"x": np.array(3.0)}, {"x": np.array(0.1)}, 0.5, ())
    assert inside is not None and outside is None
