"""User atoms certify only with proved facts (issue 12): SymPy's exact cuts with rigorous
signs, or the DCP analysis of the body, or an honest "unknown"."""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from conftest import tamper

from dcp import Curvature, DcpError, ProofCheckError, Session, certify, check_proof
from dcp.facts import Interval
from dcp.facts.curvature import CONCAVE, CONVEX, UNKNOWN

REALS = Interval(-math.inf, math.inf)
ULP = Fraction(1, 2**52)


def _facts(atom, region: Interval):
    return atom.facts_on((region,), {})


def test_transcendental_roots_are_not_guessed():
    # f'' = exp(t) - t - 100 > 0 for t <= -300: q is convex there. Its zeros are not
    # expressible, so no curvature is claimed (the old grid scan said "concave").
    session = Session()
    atom = session.define("q", "t", "exp(t) - t^3/6 - 50*t^2")
    assert atom.pieces({})["convex_on"] == () and atom.pieces({})["concave_on"] == ()
    assert "not proved: SymPy did not give its zeros as a finite set" in atom.derivation[3]
    result = session.certify("q(x)", wrt="x", assume=["x <= -300"])
    assert result.verdict == "unknown" and result.is_concave is not True
    assert result.proof.root.rule == "expansion"


def test_close_sign_changes_are_all_found():
    # f' = (t - 1)(t - 1.00005)(t - 1.0001) up to a positive factor: three sign changes
    # within 1e-4; f'' changes sign at 1.00005 -+ sqrt(3)/60000.
    atom = Session().define("two", "t", "(t - 1)^2 * (t - 1.0001)^2")
    facts = atom.pieces({})
    (up_low, up_high), (down_low, down_high) = facts["increasing_on"], facts["decreasing_on"]
    mid, top = Fraction(20001, 20000), Fraction(10001, 10000)
    # Rational ends that are not floats are rounded inward, by less than an ulp.
    assert up_low.lo == 1 and mid - ULP < Fraction(up_low.hi) <= mid
    assert top <= Fraction(up_high.lo) < top + ULP and up_high.hi == math.inf
    assert down_low.hi == 1 and mid <= Fraction(down_high.lo) < mid + ULP
    assert top - ULP < Fraction(down_high.hi) <= top
    assert _facts(atom, Interval(1.00002, 1.00007)).curvature is UNKNOWN
    assert _facts(atom, Interval(1.00003, 1.00007)).curvature is CONCAVE
    assert _facts(atom, Interval(1.00009, 2)).curvature is CONVEX


def test_two_curvature_changes_1e4_apart_are_both_found():
    # f'' = (t - 1)(t - 1.0001): concave only on [1, 1.0001], a tenth of a grid cell of the
    # old scan, which saw no sign change there and called f convex everywhere.
    session = Session()
    atom = session.define("close", "t", "t^4/12 - 2.0001*t^3/6 + 1.0001*t^2/2")
    (low, high), (middle,) = atom.pieces({})["convex_on"], atom.pieces({})["concave_on"]
    top = Fraction(10001, 10000)
    assert low == Interval(-math.inf, 1.0) and middle.lo == 1 and high.hi == math.inf
    assert top - ULP < Fraction(middle.hi) <= top <= Fraction(high.lo) < top + ULP
    result = session.certify("close(x)", wrt="x", assume=["1.00002 <= x <= 1.00008"])
    assert result.verdict == "concave"
    assert session.certify("close(x)", wrt="x", assume=["0.9 <= x <= 1.1"]).verdict == "unknown"


def test_close_transcendental_sign_changes_are_not_missed():
    # f'' = e^t - c t with c just above e: negative only for |t - 1| < ~4e-5, inside one
    # cell of the old grid, which certified w convex there. The zeros are not exact.
    session = Session()
    atom = session.define("w", "t", "exp(t) - 2.71828183*t^3/6")
    assert atom.pieces({})["convex_on"] == () and atom.pieces({})["concave_on"] == ()
    result = session.certify("w(x)", wrt="x", assume=["0.99999 <= x <= 1.00001"])
    assert result.verdict == "unknown" and result.is_convex is not True


def test_roots_far_out_are_found():
    session = Session()
    atom = session.define("far", "t", "(t - 200)^3")
    assert atom.pieces({})["convex_on"] == (Interval(200.0, math.inf),)
    assert atom.pieces({})["concave_on"] == (Interval(-math.inf, 200.0),)
    assert session.certify("far(x)", wrt="x", assume=["x <= 199"], check=False).verdict == "concave"
    assert session.certify("far(x)", wrt="x", assume=["x >= 150"]).verdict != "convex"
    atom = session.define("grow", "t", "exp(t) - exp(250) * t^2 / 2")     # f'' = e^t - e^250
    assert atom.pieces({})["convex_on"] == (Interval(250.0, math.inf),)


def test_irrational_ends_are_rounded_inward():
    import sympy
    atom = Session().define("quartic", "t", "t^4 / 12 - t^2")           # f'' = t^2 - 2
    root = sympy.sqrt(2)
    low, high = atom.pieces({})["convex_on"]
    (middle,) = atom.pieces({})["concave_on"]
    for end, side in ((low.hi, -1), (middle.lo, 1), (middle.hi, -1), (high.lo, 1)):
        # Each end is on the inner side of -sqrt(2) or sqrt(2), within two ulps of it.
        gap = (sympy.Rational(end) - (root if end > 0 else -root)) * side
        assert 0 < gap < 4 * ULP


def test_bump_range_comes_from_its_body():
    # softplus(t) - relu(t) has kinks: SymPy claims nothing, not even its range ({0}
    # before, from the limits alone); interval arithmetic on the body encloses log 2.
    session = Session()
    atom = session.define("bump", "t", "softplus(t) - relu(t)")
    assert atom.pieces({})["image"] == (REALS,)
    assert "range: not proved" in atom.derivation[8]
    result = session.certify("bump(x)", wrt="x", assume=["-1 <= x <= 1"], check=False)
    assert result.proof.root.rule == "expansion"
    value_range = result.proof.root.range
    assert value_range.contains_value(math.log(2)) and value_range.contains_value(math.log1p(math.e))
    assert value_range.lo < value_range.hi


@pytest.mark.parametrize("body", ["abs(t) - t", "relu(t)^2", "huber(t, M=2) + relu(t)"])
def test_kinked_bodies_are_convex_by_their_dcp_analysis(body):
    session = Session()
    session.define("f", "t", body)
    result = session.certify("f(x)", wrt="x")
    assert result.verdict == "convex"
    root = result.proof.root
    assert root.rule == "expansion" and root.facts == (f"f: f(t) = {body}",)
    check_proof(result.proof)


def test_proved_facts_say_derived_by_sympy_and_how():
    session = Session()
    atom = session.define("c3", "t", "t^(1/3)")
    assert atom.derivation[1] == "domain: [0, inf)"
    assert atom.derivation[2].endswith("proved: zeros [], not continuous at [0] (SymPy solveset); "
                                       "the sign between them decided at rational points")
    assert atom.derivation[4:9] == ["nondecreasing on [0, inf)", "nonincreasing on no interval",
                                    "convex on no interval", "concave on [0, inf)", "range: [0, inf)"]
    result = session.certify("c3(x)", wrt="x", check=False)
    assert result.verdict == "concave" and [str(c) for c in result.domain] == ["x >= 0"]
    assert result.proof.root.facts == ("c3: concave, nondecreasing on [0, inf) (derived by SymPy)",)


def test_pieces_do_not_join_where_the_first_derivative_jumps():
    # f'' > 0 on both sides of a point where f' is not continuous proves convexity on
    # each side, not across: the cut stays.
    import sympy

    from dcp.atoms.user import _signs
    x = sympy.Symbol("x", real=True)
    second = _signs(x**2 + 1, x, sympy.S.Reals, lower=1 / x)
    assert second.proved and second.nonneg == (Interval(-math.inf, 0.0), Interval(0.0, math.inf))
    joined = _signs(x**2 + 1, x, sympy.S.Reals)
    assert joined.nonneg == (REALS,)


def test_domain_follows_dcp_powers_and_atom_domains():
    session = Session()
    assert session.define("a", "t", "sqrt(1 - t^2)").derivation[1] == "domain: [-1, 1]"
    assert session.define("b", "t", "t^-2").derivation[1] == "domain: (0, inf)"
    assert session.define("c", "t", "log(t - 1) + t").derivation[1] == "domain: (1, inf)"


def test_multi_argument_bodies_of_every_shape():
    # dot(a, b.T) raised TypeError: the substitution did not know Transpose.
    session = Session()
    session.define("f", ("a", "b"), "dot(a, b.T)")
    session.define("g", ("a", "b"), "a[0] + b[1] + sum([a[1], b[0]])")
    session.define("h", ("a", "b"), "sum(leaky_relu(a - b, alpha=0.2))")
    session.define("sq", "t", "square(t) + 1")
    session.define("k", ("a", "b"), "sq(a) + h(a, b)")
    assert session.certify("f(x, y)", wrt="x", check=False).verdict == "affine"
    assert session.certify("g(x, y)", wrt="x", check=False).verdict == "affine"
    for expr in ("h(x, y)", "k(x, y)", "sq(relu(h(x, y)))"):
        result = session.certify(expr, wrt="x")
        assert result.verdict == "convex", expr
        check_proof(result.proof)


def test_a_one_argument_atom_may_call_other_user_atoms():
    session = Session()
    session.define("gap", ("a", "b"), "square(a - b)")
    session.define("sq", "t", "square(t) + 1")
    atom = session.define("f", "t", "sq(sq(t)) + gap(t, 1)")
    assert atom.derivation[0] == "f(t) = (t - 1)**2 + (t**2 + 1)**2 + 1"
    assert atom.derivation[6] == "convex on (-inf, inf)"
    assert session.certify("f(x)", wrt="x").verdict == "convex"


@pytest.mark.parametrize("params,body,message", [
    (("t", "t"), "t", "parameter `t` of `f` is named twice"),
    (("t",), "t.T", "cannot contain `Transpose`"),
    (("t",), "t[0]", "cannot contain `Index`"),
    (("t",), "t ^ t", "the exponent must be a numeric constant"),
    (("t",), "leaky_relu(t, beta=1)", "leaky_relu has no keyword `beta`"),
])
def test_bad_bodies_are_clear_errors(params, body, message):
    with pytest.raises(DcpError, match=message):
        Session().define("f", params, body)


def _replace_root(proof, **changes):
    return tamper(proof, index=proof.root_id, **changes)


def test_kernel_checks_user_expansions_and_compositions():
    session = Session()
    session.define("f", "t", "abs(t) - t")
    session.define("c3", "t", "t^(1/3)")
    expanded = session.certify("f(x)", wrt="x", check=False).proof
    check_proof(expanded)
    # Another subexpression put in place of f's body: not f's expansion.
    argument = expanded.tape.find("name", "x")
    with pytest.raises(ProofCheckError, match="premises are not the subexpressions"):
        check_proof(_replace_root(expanded, premises=(argument,)))
    with pytest.raises(ProofCheckError, match="claims affine"):
        check_proof(_replace_root(expanded, curvature=Curvature.AFFINE))
    composed = session.certify("c3(x)", wrt="x", check=False).proof
    check_proof(composed)
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only concave"):
        check_proof(_replace_root(composed, curvature=CONVEX))


def test_enclose_evaluates_the_body_in_ball_arithmetic():
    flint = pytest.importorskip("flint")
    atom = Session().define("p", "t", "(t - 0.1) * (t + 3) / 7 + 0.3 - 0.1 - 0.2")
    assert atom.enclose(flint.arb("0.1"), {}).contains(0)       # literals as written
    ball = atom.enclose(flint.arb(1, flint.arb("0.5")), {})           # t in [0.5, 1.5]
    for t in ("0.5", "1", "1.5"):
        assert ball.contains((flint.arb(t) - flint.arb("0.1")) * (flint.arb(t) + 3) / 7)


# ---- review fixes: ranges beyond the floats, exact domain ends, exact exponents ----


def test_a_value_beyond_the_floats_makes_an_unbounded_range_not_a_crash():
    atom = Session().define("f", "t", "1e300 * 1e300 * sigmoid(t)")
    assert atom.pieces({})["image"] == (Interval(0.0, math.inf),)


def test_a_failing_limit_leaves_the_range_unproved(monkeypatch):
    import dcp.atoms.user as user

    def failing(*args):
        raise NotImplementedError("SymPy gave up")
    monkeypatch.setattr(user, "_value_at", failing)
    atom = Session().define("f", "t", "sigmoid(t)")
    assert atom.pieces({})["image"] == (REALS,)
    assert atom.derivation[8].startswith("range: not proved")


def test_enclose_accepts_a_domain_with_exact_ends():
    # Interval ends may be Fractions (an exact bound that is not a float); a ball is
    # compared with them exactly.
    flint = pytest.importorskip("flint")
    atom = Session().define("f", "t", "t^2")
    atom._facts = {**atom._facts, "domain": (Interval(Fraction(1, 3), 1.0),)}
    assert atom.enclose(flint.arb(0.5), {}) == flint.arb(0.25)
    assert atom.enclose(flint.arb(0.25), {}).is_nan()              # 1/4 < 1/3


def test_an_exponent_that_is_no_float_means_the_decimal_written():
    # 2.0000000000000001 is not 2: t^p for a non-integer p > 1 is defined for t >= 0 only.
    atom = Session().define("f", "t", "t^2.0000000000000001")
    assert "20000000000000001/10000000000000000" in atom.formula


def test_exponents_mean_the_decimals_written_in_sympy():
    # The engine, the enclosures and the referee use the exact 1/10; so does the proof.
    assert "x**(1/10)" in Session().define("f", "t", "t ^ 0.1").formula


def test_enclose_resolves_the_body_once_at_define(monkeypatch):
    flint = pytest.importorskip("flint")
    import dcp.atoms.user as user
    atom = Session().define("f", "t", "softplus(t) + t ^ 2")

    def refused(*args):
        raise AssertionError("resolved again at evaluation")
    monkeypatch.setattr(user, "resolve_call", refused)
    monkeypatch.setattr(user, "fold_constant", refused)
    assert atom.enclose(flint.arb(0), {}).contains(flint.arb(2).log())


# ---- second round: exact real roots, meaning fixed at define, exact constants ----


@pytest.mark.parametrize("body,order,fact,pieces", [
    # f' = t^6 - 3t^2 + 1: SymPy's solveset says it has no real zero (after ~55 s).
    ("t^7/7 - t^3 + t", 1, "decreasing_on", [(-1.2378, -0.5893), (0.5893, 1.2378)]),
    # f' = t^6 - 3t^4 + 1 (solveset: empty set after ~81 s).
    ("t^7/7 - 3*t^5/5 + t", 1, "decreasing_on", [(-1.6969, -0.8079), (0.8079, 1.6969)]),
    # f'' = 7t^6/1000 + 5t^4 - 15t^2 + 4 (solveset: empty set after ~333 s).
    ("t^8/8000 + t^6/6 - 5*t^4/4 + 2*t^2", 2, "concave_on", [(-1.641, -0.5439), (0.5439, 1.641)]),
])
def test_polynomial_zeros_are_isolated_exactly_not_solved(body, order, fact, pieces):
    import sympy
    session = Session()
    atom = session.define("f", "t", body)
    assert "exact real-root isolation" in atom.derivation[1 + order]
    found = atom.pieces({})[fact]
    assert [(round(p.lo, 4), round(p.hi, 4)) for p in found] == pieces
    # Each end is a true zero of the derivative, rounded inward: within an ulp or so.
    t = sympy.Symbol("t")
    derivative = sympy.diff(sympy.sympify(body.replace("^", "**")), t, order)
    for piece in found:
        for end, inward in ((piece.lo, 1), (piece.hi, -1)):
            root = sympy.nsolve(derivative, t, end, prec=40)
            assert 0 <= inward * (end - root) < 1e-15 * abs(end)
    assert session.certify("f(1 + square(x))", wrt="x", check=False).verdict != "convex"


def test_solveset_zeros_are_cross_checked_by_signs_near_the_ends(monkeypatch):
    # f' = exp(t) - 3 vanishes at log 3; a solveset that misses the zero is caught by the
    # probes of the one piece left, which find both signs.
    import sympy
    monkeypatch.setattr(sympy, "solveset", lambda *args, **kw: sympy.S.EmptySet)
    atom = Session().define("f", "t", "exp(t) - 3*t")
    assert "it changes sign between -oo and oo" in atom.derivation[2]
    assert atom.pieces({})["increasing_on"] == () and atom.pieces({})["decreasing_on"] == ()
    assert atom.pieces({})["convex_on"] == (REALS,)          # f'' = exp(t): no zero missed


def test_redefining_an_atom_changes_no_atom_defined_with_it():
    session = Session()
    session.define("f", "t", "softplus(t) - relu(t)")     # kinked: g is used by expansion
    session.define("g", "t", "f(t) + 0")
    session.define("k", ("a", "b"), "f(a) + b")
    session.define("f", "t", "t^2")
    for expr in ("g(x)", "k(x, y)"):
        result = session.certify(expr, wrt="x", check=False)
        assert result.verdict == "unknown", expr          # the old f, not t^2
        check_proof(result.proof)
    assert session.atoms["g"].template == "softplus(t) - relu(t) + 0"
    assert session.certify("f(x)", wrt="x", check=False).verdict == "convex"


def test_exponents_and_keywords_are_the_exact_values_written():
    # 0.1 is exactly 1/10 for the engine, SymPy and the enclosure alike: (10^300)^(1/10) is
    # exactly 10^30, so the body is 10^15 t^2.
    atom = Session().define("u", "t", "(1e30 + 1e15 - 1e300^0.1) * t^2")
    assert atom.formula == "1000000000000000*x**2"
    powers = [what for how, what, _ in atom._steps if how == "atom"]
    assert [kw["p"] for _, kw in powers] == [Fraction(1, 10), 2]
    assert Session().define("v", "t", "leaky_relu(t, alpha=0.1)").formula.count("x/10") == 1
    session = Session()
    session.define("u", "t", "(1e30 + 1e15 - 1e300^0.1) * t^2")
    assert session.certify("u(x)", wrt="x").verdict == "convex"
    assert certify("(1e30 + 1e15 - 1e300^0.1) * square(x)", wrt="x").verdict == "convex"


def test_sympy_past_its_time_cap_claims_no_fact(monkeypatch):
    import signal

    import dcp.atoms.user as user
    before = signal.getsignal(signal.SIGALRM)
    monkeypatch.setattr(user, "SYMPY_SECONDS", 1e-4)
    session = Session()
    atom = session.define("f", "t", "square(t) + exp(t) + t^8/8")
    assert atom.derivation[1] == ("domain: not proved (SymPy did not finish within 0.0001 s): "
                                  "no fact is claimed")
    assert atom.kind == "expansion" and atom.pieces({})["convex_on"] == ()
    result = session.certify("f(x)", wrt="x", check=False)       # the body's DCP analysis
    assert result.verdict == "convex" and result.proof.root.rule == "expansion"
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize("body", ["1/(t^6 - 3*t^2 + 1)", "exp(t)/(t^6 - 3*t^2 + 1)"])
def test_poles_are_the_denominators_exact_real_roots(body):
    # The denominator has four real roots, which solveset (inside continuous_domain) does
    # not find in time: the domain is no single interval, so no fact, and fast.
    session = Session()
    atom = session.define("f", "t", body)
    assert atom.derivation[1].startswith("domain: not proved (SymPy found no single interval")
    assert atom.kind == "expansion" and atom.pieces({})["convex_on"] == ()
    assert session.certify("f(x)", wrt="x", check=False).verdict == "unknown"


def test_a_pole_at_the_end_of_the_domain_leaves_it_open():
    atom = Session().define("f", "t", "sqrt(t) / t^3")                  # t^(-5/2) on t > 0
    assert atom.derivation[1] == "domain: (0, inf)"
    assert atom.pieces({})["convex_on"] == (Interval(0.0, math.inf, True),)


def _define_in_thread(body: str):
    import threading
    found = {}
    worker = threading.Thread(target=lambda: found.update(atom=Session().define("f", "t", body)))
    worker.start()
    worker.join(60)
    assert not worker.is_alive()
    return found["atom"]


def test_outside_the_main_thread_sympy_is_not_run_uncapped():
    # No SIGALRM reaches another thread, so no time cap: SymPy is not run at all (it ran for
    # minutes on t^1000001 + exp(t)), and the body's DCP analysis decides.
    atom = _define_in_thread("t^1000001 + exp(t)")
    assert atom.derivation[1].startswith("domain: not proved (SymPy is run only under a time cap")
    assert atom.kind == "expansion" and atom.pieces({})["convex_on"] == ()
    assert _define_in_thread("square(t)").kind == "expansion"


def test_no_cap_is_nested_in_a_running_timer_or_a_foreign_handler(monkeypatch):
    import signal

    def outer(signum, frame):
        raise AssertionError("the outer timer's expiry must reach its owner")
    before = signal.signal(signal.SIGALRM, outer)
    signal.setitimer(signal.ITIMER_REAL, 100)
    try:
        atom = Session().define("f", "t", "square(t)")
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0 and signal.getsignal(signal.SIGALRM) is outer
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
    assert atom.derivation[1].startswith("domain: not proved (SymPy is run only under a time cap")
    # A handler installed outside Python reads as None and could not be restored.
    monkeypatch.setattr(signal, "getsignal", lambda signum: None)
    assert Session().define("f", "t", "square(t)").kind == "expansion"


def test_ranges_use_arb_at_points_and_limits_found_at_define(monkeypatch):
    # t^-1 on (0, inf): decreasing from +inf at 0 to 0 at +inf. After define, no SymPy:
    # the ends inside the domain come from the body's Arb enclosure, rounded outward, and
    # those at 0 and +inf from the limits found at define.
    import sympy
    atom = Session().define("f", "t", "t^-1")
    assert atom._limits == {0.0: (math.inf, math.inf), math.inf: (0.0, 0.0)}

    def no_sympy(*args, **kwargs):
        raise AssertionError("SymPy ran during analysis")
    monkeypatch.setattr(sympy, "limit", no_sympy)
    monkeypatch.setattr(sympy.Expr, "subs", no_sympy)
    assert atom.range((Interval(1.0, 4.0),), {}) == Interval(0.25, 1.0)
    third = atom.range((Interval(3.0, 3.0),), {})
    assert third.lo < Fraction(1, 3) < third.hi and third.hi - third.lo < 1e-15
    assert atom.range((Interval(0.0, math.inf, True),), {}) == Interval(0.0, math.inf, True, True)
    assert atom.range((Interval(2.0, math.inf),), {}) == Interval(0.0, 0.5, True)
