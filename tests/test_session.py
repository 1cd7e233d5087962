"""Sessions and scripts: bindings expand but keep their names in the trace."""
from __future__ import annotations

import re

import pytest

from dcp import DcpError, Session


def test_binding_keeps_its_name_in_the_trace():
    session = Session()
    session.bind("h", "relu(W1 @ x)")
    result = session.certify("relu(W2 @ h)", wrt="W1", check=False)
    assert result.verdict == "unknown"
    assert [s.text for s in result.breaks] == ["W2 @ h"]
    binding = result.breaks[0].premises[1]
    assert binding.rule == "binding" and binding.text == "h"
    assert binding.premises[0].text == "relu(W1 @ x)"
    session.assume("W2 >= 0")
    assert session.certify("relu(W2 @ h)").verdict == "convex"      # wrt is remembered


def test_script_runs_statements_in_order():
    results = Session().run(
        "h = relu(W1 @ x)   # hidden layer\n"
        "assume W2 >= 0, x >= 0\n"
        "shape W1 = (4, 3)\n"
        "certify relu(W2 @ h) wrt W1; certify relu(W2 @ h) wrt W2\n")
    assert [r.verdict for r in results] == ["convex", "convex"]
    assert results[0].expression == "relu(W2 @ h)"
    assert results[0].assumptions == ("W2 >= 0", "x >= 0")


def test_rebinding_uses_the_earlier_value():
    results = Session().run("h = x\nh = relu(h)\ncertify -h wrt x\n")
    assert results[0].verdict == "concave"


def test_break_in_a_binding_points_into_the_binding_line():
    session = Session()
    session.run("h = W2 @ relu(W1 @ x)")
    result = session.certify("relu(h)", wrt="W1")
    (step,) = result.breaks
    assert step.span.source == "h = W2 @ relu(W1 @ x)"
    assert "1 | h = W2 @ relu(W1 @ x)\n    |     ^^^^^^^^^^^^^^^^^" in result.explain()


def test_script_errors_name_the_line():
    with pytest.raises(DcpError) as info:
        Session().run("h = relu(x)\nassume x >= 1, x <= 0\n", filename="net.dcp")
    assert info.value.line == 2
    assert str(info.value).splitlines()[1] == "  --> net.dcp:2:16"


def test_wrt_cannot_be_a_bound_name():
    session = Session()
    session.bind("h", "relu(x)")
    with pytest.raises(DcpError, match="bound name"):
        session.certify("h", wrt="h")


def test_a_session_repr_says_what_it_holds():
    session = Session()
    assert repr(session) == "<Session (empty)>"
    session.bind("h", "relu(W1 @ x)")
    session.assume("W2 >= 0")
    session.define("cube", "t", "t^3")
    session.declare_shape("W1", (4, 3))
    session.declare_shape("u", ("n",))
    session.certify("relu(W2 @ h)", wrt="W1", check=False)
    session.check = False
    assert repr(session) == ("<Session wrt W1; assume W2 >= 0; h = relu(W1 @ x); define cube(t); "
                             "shape W1 = (4, 3); shape u = (n,); check off>")


def test_a_session_repr_stays_short():
    session = Session()
    session.bind("long", " + ".join(f"x{i}" for i in range(100)))
    for i in range(20):
        session.bind(f"h{i}", "x")
    text = repr(session)
    assert text.startswith("<Session long = x0 + x1 + ") and "..." in text.split(";")[0]
    assert text.endswith("; h9 = x; ... 10 more>")


@pytest.mark.parametrize("call, message", [
    (lambda s: s.define("wrt", "t", "t^2"),
     "a user atom cannot be called `wrt`: it is a keyword of the language "
     "(assume, certify, define, shape, wrt); choose another name"),
    (lambda s: s.define("relu", "t", "t^2"), "`relu` is a built-in atom; give the new atom another name"),
    (lambda s: s.define("log_sum_exp", "t", "t^2"), "`log_sum_exp` is a built-in atom"),
    (lambda s: s.define("f-1", "t", "t^2"),
     "a user atom must be a name, got 'f-1' (a name is ASCII letters, digits and _, "
     "and does not start with a digit)"),
    (lambda s: s.define("\u00e9", "t", "t^2"), "a user atom must be a name, got '\u00e9'"),
    (lambda s: s.define("f", "assume", "assume^2"), "a parameter of `f` cannot be called `assume`"),
    (lambda s: s.define("f", 5, "t"), "the parameters of `f` are a name or a list of names, got 5"),
    (lambda s: s.define("f", "t", 5), "define f by an expression written as a string, such as 't^3', got 5"),
    (lambda s: s.bind("certify", "x"), "a binding cannot be called `certify`: it is a keyword"),
    (lambda s: s.bind("2x", "x"), "a binding must be a name, got '2x'"),
])
def test_define_and_bind_refuse_what_a_script_could_not_name(call, message):
    session = Session()
    with pytest.raises(DcpError, match=re.escape(message)):
        call(session)
    assert repr(session) == "<Session (empty)>"          # nothing half-made is kept
