"""Proofs entry by entry (dcp.entries.entrywise_proof): a network whose layer-level proof
breaks is written out one scalar per entry and certified by the same rules, re-checked by
the kernel; fuzzed against the network evaluated in numpy."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import ProofCheckError, Session, check_proof

ACTIVATIONS = {"relu": lambda v: np.maximum(v, 0), "softplus": lambda v: np.logaddexp(0, v),
               "exp": np.exp, "tanh": np.tanh, "square": np.square}


def network(w1, w2, w3, act: str, symbolic: bool = False) -> Session:
    s = Session()
    s.constant("W1", w1, symbolic=symbolic)
    s.constant("W2", w2, symbolic=symbolic)
    s.constant("w3", w3, symbolic=symbolic)
    s.bind("h1", f"{act}(W1 @ x)")
    s.bind("h2", f"{act}(W2 @ h1)")
    s.expression = "dot(w3, h2)"
    return s


def test_a_unit_read_with_weight_zero_does_not_count():
    w2 = np.array([[1.0, 0.5], [-1.0, 2.0]])
    result = network(np.eye(2), w2, np.array([1.0, 0.0]), "relu").certify(wrt="x", check=False)
    assert result.verdict == "convex" and result.layerwise is not None
    texts = {step.text for step in result.proof.steps()}
    assert "h2[0]" in texts and "h2[1]" not in texts


def test_a_unit_read_with_a_positive_weight_still_breaks():
    w2 = np.array([[1.0, 0.5], [-1.0, 2.0]])
    result = network(np.eye(2), w2, np.array([1.0, 0.5]), "relu").certify(wrt="x", check=False)
    assert result.verdict == "unknown" and result.layerwise is None
    assert result.entries[0].at("unknown") == [(1,)]


def test_a_zero_weight_keeps_its_term_where_the_value_may_be_undefined():
    # 0 * log(x) is undefined for x <= 0: the term stays, and with it the domain.
    s = Session()
    s.constant("W", np.array([[1.0, 0.0], [-1.0, 1.0]]))
    s.constant("v", np.array([1.0, 0.0]))
    result = s.certify("dot(v, -(W @ log(x)))", wrt="x", check=False)
    assert result.verdict == "unknown" and [str(c) for c in result.domain] == ["x > 0"]
    # Where every value is defined, the zero weights drop their terms.
    assert s.certify("dot(v, -(W @ -relu(x)))", wrt="x", check=False).verdict == "convex"


def test_the_kernel_checks_the_entrywise_proof():
    w2 = np.array([[1.0, 0.5], [-1.0, 2.0]])
    result = network(np.eye(2), w2, np.array([1.0, 0.0]), "relu").certify(wrt="x", check=False)
    proof = result.proof
    check_proof(proof)
    index = next(i for i in proof.ids() if proof.tape.text(i) == "W2[0, 1]")
    proof.facts.range[index] = type(proof.facts.range[index])(-1.0, -1.0)
    with pytest.raises(ProofCheckError):
        check_proof(proof)


def test_a_network_too_large_to_write_out_keeps_its_layer_level_answer():
    rng = np.random.default_rng(0)
    w2 = rng.normal(size=(150, 150))
    w2[:, 0] = np.abs(w2[:, 0])
    s = network(rng.normal(size=(150, 4)), w2, np.zeros(150), "relu")
    result = s.certify(wrt="x", check=False)
    assert result.layerwise is None and result.verdict == "unknown"


WEIGHTS = st.sampled_from([-1.5, -0.5, 0.0, 0.0, 0.5, 1.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(st.lists(WEIGHTS, min_size=6, max_size=6), st.lists(WEIGHTS, min_size=9, max_size=9),
       st.lists(WEIGHTS, min_size=3, max_size=3), st.sampled_from(sorted(ACTIVATIONS)),
       st.booleans())
def test_fuzz_entrywise_verdicts_hold_numerically(w1, w2, w3, act, symbolic):
    W1, W2, w3 = np.array(w1).reshape(3, 2), np.array(w2).reshape(3, 3), np.array(w3)
    result = network(W1, W2, w3, act, symbolic).certify(wrt="x", check=False)
    g = ACTIVATIONS[act]
    rng = np.random.default_rng(0)
    # The symbolic mode's verdict covers every weight of the same signs: try a few.
    draws = [(W1, W2, w3)] + ([tuple(np.abs(rng.normal(size=m.shape)) * np.sign(m) for m in (W1, W2, w3))
                               for _ in range(3)] if symbolic else [])
    for A, B, c in draws:
        def f(x):
            return c @ g(B @ g(A @ x))
        for _ in range(30):
            a, b, t = rng.normal(size=2) * 2, rng.normal(size=2) * 2, rng.uniform()
            with np.errstate(all="ignore"):
                gap = f(t * a + (1 - t) * b) - (t * f(a) + (1 - t) * f(b))
            if not np.isfinite(gap):
                continue
            scale = 1e-9 * (1 + abs(f(a)) + abs(f(b)) + abs(f(t * a + (1 - t) * b)))
            if not np.isfinite(scale):
                continue
            if result.curvature.is_convex:
                assert gap <= scale, (result.verdict, A, B, c, act)
            if result.curvature.is_concave:
                assert gap >= -scale, (result.verdict, A, B, c, act)


def test_a_network_whose_every_path_from_the_input_has_a_zero_weight_is_constant():
    # Written out entry by entry, x is read nowhere; the check must not stumble on it.
    w2 = np.array([[1.0, 0.0], [-1.0, 2.0]])
    result = network(np.eye(2), w2, np.array([0.0, 0.0]), "relu").certify(wrt="x")
    assert result.verdict == "constant" and result.layerwise is not None
    assert result.witnesses == {}


def test_a_loss_is_written_entry_by_entry_through_its_definition():
    s = Session()
    s.constant("W", np.array([[1.0, 0.0], [-1.0, 0.0]]))
    s.constant("y", np.array([0.0, 1.0]))
    result = s.certify("mse(W @ relu(x), y)", wrt="x", check=False)
    assert result.verdict == "convex" and result.layerwise is not None


def test_layer_norm_is_not_written_entry_by_entry():
    # Each entry of layer_norm(v) depends on all of v: it is no elementwise atom.
    from dcp.atoms import lookup
    assert not lookup("layer_norm", 1).elementwise
    s = Session()
    s.constant("W", np.array([[1.0, 0.0], [-1.0, 0.0]]))
    assert s.certify("sum(layer_norm(W @ x))", wrt="x", check=False).layerwise is None
