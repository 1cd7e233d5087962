"""User atoms: facts derived by SymPy, usable like built-ins, checked by the kernel and
the numeric check."""
from __future__ import annotations

import pytest

from dcp import DcpError, Session


@pytest.fixture(scope="module")
def session():
    s = Session()
    s.define("swish2", "t", "t * sigmoid(t)")
    s.define("cube", "t", "t^3")
    return s


def test_swish_facts_are_not_proved_and_the_body_is_used(session):
    # The zeros of f' and f'' are transcendental: SymPy gives no finite set, so no fact is
    # claimed (a numeric root scan found them before; that was no proof).
    derivation = session.atoms["swish2"].derivation
    assert derivation[0] == "swish2(t) = t*exp(t)/(exp(t) + 1)"
    assert "not proved: SymPy did not give its zeros as a finite set of reals" in derivation[3]
    assert derivation[4:9] == ["nondecreasing on: not proved", "nonincreasing on: not proved",
                               "convex on: not proved", "concave on: not proved",
                               "range: not proved (the critical points are not proved)"]
    assert derivation[9] == "where a fact is not proved, the DCP analysis of the body is used: t * sigmoid(t)"
    result = session.certify("swish2(x)", wrt="x", assume=["-2 <= x <= 2"], check=False)
    assert result.verdict == "unknown" and result.proof.root.rule == "expansion"


def test_user_atom_is_used_like_a_builtin(session):
    result = session.certify("cube(x)", wrt="x", assume=["x >= 0"])
    assert result.verdict == "convex" and result.proof.root.rule == "composition"
    assert result.proof.root.facts[0] == "cube: convex, nondecreasing on [0, inf) (derived by SymPy)"
    assert session.certify("cube(relu(x))", wrt="x").verdict == "convex"
    result = session.certify("cube(x)", wrt="x")
    assert result.verdict == "quasilinear" and result.is_convex is False     # monotone


def test_exact_roots_give_exact_intervals():
    atom = Session().define("cube", "t", "t^3")
    assert atom.derivation[4:8] == ["nondecreasing on (-inf, inf)", "nonincreasing on no interval",
                                    "convex on [0, inf)", "concave on (-inf, 0]"]
    atom = Session().define("centred", "t", "(t - 1)^2")
    assert atom.derivation[-1] == "range: [0, inf)"


def test_kinks_leave_facts_unknown_and_say_so():
    session = Session()
    atom = session.define("halfsign", "t", "t / (2 + abs(t))")
    assert any("not proved: its formula has kinks" in line for line in atom.derivation)
    assert session.certify("halfsign(x)", wrt="x", assume=["x <= 0"], check=False).verdict == "unknown"
    # Softsign's own spelling is proved all the same: its body is the softsign idiom.
    session.define("softsign2", "t", "t / (1 + abs(t))")
    assert session.certify("softsign2(x)", wrt="x", assume=["x <= 0"], check=False).verdict == "convex"


def test_script_define_and_several_arguments_by_expansion():
    results = Session().run("define sq(t) = square(t - 1)\n"
                            "define gap(a, b) = square(a - b)\n"
                            "certify sq(x) + gap(x, y) wrt x, y\n")
    assert results[0].verdict == "convex"


@pytest.mark.parametrize("name,params,body,message", [
    ("relu", "t", "t", "`relu` is a built-in atom"),
    ("f", "t", "t * w", "may use only its arguments (t) and constants, not `w`"),
    ("f", "t", "sum(t)", "may call elementwise atoms of one argument, not `sum`"),
])
def test_bad_definitions(name, params, body, message):
    with pytest.raises(DcpError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Session().define(name, params, body)
