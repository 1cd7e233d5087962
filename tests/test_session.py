"""Sessions and scripts: bindings expand but keep their names in the trace."""
from __future__ import annotations

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
