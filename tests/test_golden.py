"""Golden traces for the SPEC's examples and the seed questions.

A trace is part of the interface: when it changes on purpose, regenerate the files with
``DCP_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py`` and review the diff.
"""
from __future__ import annotations

import os

import pytest
from conftest import GOLDEN

from dcp import certify

CASES = {
    "relu_net_w1": ("relu(W2 @ relu(W1 @ x))", ["W1"], []),
    "relu_net_w1_nonneg": ("relu(W2 @ relu(W1 @ x))", ["W1"], ["W2 >= 0"]),
    "relu_net_w2": ("relu(W2 @ relu(W1 @ x))", ["W2"], []),
    "relu_net_joint": ("relu(W2 @ relu(W1 @ x))", ["W1", "W2"], []),
    "cross_entropy_w1": ("cross_entropy(W2 @ relu(W1 @ x), y)", ["W1"], ["W2 >= 0", "y >= 0"]),
    "sigmoid": ("sigmoid(w @ x)", ["w"], []),
    "log_domain": ("log(W @ x) + sqrt(y)", ["x", "y"], []),
}


@pytest.mark.parametrize("name", CASES)
def test_trace_matches_golden(name):
    expr, wrt, assume = CASES[name]
    text = certify(expr, wrt=wrt, assume=assume, check=False).explain() + "\n"
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("DCP_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_relu_net_break_points_at_the_product_and_names_the_unknown_sign():
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1", check=False)
    (step,) = result.breaks
    assert step.text == "W2 @ relu(W1 @ x)"
    assert (step.span.start, step.span.end) == (5, 22)
    assert step.rule == "product"
    assert "a constant of unknown sign (`W2` ranges over (-inf, inf))" in step.reason
    assert step.fix.startswith("W2 >= 0 would make it convex")
    explained = result.explain()
    assert "  1 | relu(W2 @ relu(W1 @ x))\n    |      ^^^^^^^^^^^^^^^^^\n" in explained


def test_cross_entropy_breaks_at_convex_plus_concave():
    result = certify("cross_entropy(W2 @ relu(W1 @ x), y)", wrt="W1",
                     assume=["W2 >= 0", "y >= 0"], check=False)
    (step,) = result.breaks
    assert step.text == "logsumexp(W2 @ relu(W1 @ x)) - dot(y, W2 @ relu(W1 @ x))"
    assert "the sum of a convex and a concave term" in step.reason
    assert result.proof.root.rule == "expansion"
