"""User atoms: facts derived by SymPy, usable like built-ins, checked by the kernel and
the numeric check."""
from __future__ import annotations

import pytest

from dcp import DcpError, Session


@pytest.fixture(scope="module")
def session():
    s = Session()
    s.define("swish2", "t", "t * sigmoid(t)")
    return s


def test_swish_reports_its_convex_and_monotone_intervals(session):
    derivation = session.atoms["swish2"].derivation
    assert derivation[0] == "swish2(t) = t*exp(t)/(exp(t) + 1)"
    assert "zeros found numerically at 30 digits" in derivation[3]
    assert derivation[4:8] == [
        "nondecreasing on [-1.27846, inf)",
        "nonincreasing on (-inf, -1.27846]",
        "convex on [-2.39936, 2.39936]",
        "concave on (-inf, -2.39936], [2.39936, inf)",
    ]
    assert derivation[8] == "range: [-0.278465, inf)"


def test_user_atom_is_used_like_a_builtin(session):
    assert session.certify("swish2(x)", wrt="x", assume=["-2 <= x <= 2"]).verdict == "convex"
    assert session.certify("swish2(relu(x))", wrt="x", assume=["x <= 2"]).verdict == "convex"
    result = session.certify("swish2(x)", wrt="x")
    assert result.verdict == "nonconvex" and result.is_convex is False
    assert "(derived by SymPy)" in result.proof.root.facts[0]


def test_exact_roots_give_exact_intervals():
    atom = Session().define("cube", "t", "t^3")
    assert atom.derivation[4:8] == ["nondecreasing on (-inf, inf)", "nonincreasing on no interval",
                                    "convex on [0, inf)", "concave on (-inf, 0]"]
    atom = Session().define("centred", "t", "(t - 1)^2")
    assert atom.derivation[-1] == "range: [0, inf)"


def test_kinks_leave_facts_unknown_and_say_so():
    session = Session()
    atom = session.define("softsign2", "t", "t / (1 + abs(t))")
    assert any("not decided: the derivative has kinks" in line for line in atom.derivation)
    assert session.certify("softsign2(x)", wrt="x", assume=["x <= 0"], check=False).verdict == "unknown"


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
