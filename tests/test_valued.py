"""Parameters given their values (a model's weights): ranges, entries, the check, per-entry
verdicts at a break, the symbolic mode, and the kernel's re-check of each."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import DcpError, ProofCheckError, Session, check_proof
from dcp.errors import AssumptionError
from dcp.facts import Interval
from dcp.facts.valued import Entries, Valued
from dcp.render.json import load_schema

WZ1 = np.array([[0.5, 0.2, 0.0, 0.1],
                [0.3, 0.0, 0.2, 0.4],
                [-0.31, 0.2, 0.1, 0.0],
                [0.1, 0.1, 0.1, 0.1]])


def icnn(wz1: np.ndarray, **options) -> Session:
    """A two-hidden-layer input-convex network in y, its hidden-to-hidden weights wz1."""
    rng = np.random.default_rng(0)
    s = Session()
    s.constant("Wy0", rng.normal(size=(4, 3)).round(2), **options)
    s.constant("b0", np.full(4, 0.1), **options)
    s.constant("Wz1", wz1, **options)
    s.constant("Wy1", rng.normal(size=(4, 3)).round(2), **options)
    s.constant("wz2", np.array([1.0, 0.5, 0.7, 0.2]), **options)
    s.bind("z1", "relu(Wy0 @ y + b0)")
    s.bind("z2", "relu(Wz1 @ z1 + Wy1 @ y)")
    s.expression = "dot(wz2, z2)"
    return s


def test_a_constants_range_is_its_entries_hull_and_an_entry_its_own_value():
    values = Valued(Entries.of(WZ1))
    assert values.hull == Interval(-0.31, 0.5)
    assert values.entry((2, 0)) == Interval(-0.31, -0.31)
    assert values.entry((0,)) == Interval(0.0, 0.5)            # a row: its hull
    assert values.entry((2,)) == Interval(-0.31, 0.2)
    assert values.entry((9, 0)) == values.hull                 # out of range: the hull


def test_the_symbolic_mode_keeps_each_entrys_sign_only():
    signs = Valued(Entries.of(WZ1, symbolic=True))
    assert signs.entry((2, 0)) == Interval(-np.inf, 0.0)
    assert signs.entry((0, 2)) == Interval(0.0, 0.0)
    assert signs.entry((0,)) == Interval(0.0, np.inf)
    assert signs.hull == Interval(-np.inf, np.inf)


def test_a_network_whose_hidden_weights_are_clamped_at_zero_certifies_as_it_is():
    result = icnn(np.abs(WZ1)).certify(wrt="y")
    assert result.verdict == "convex" and result.is_convex is True
    assert "convex" not in result.witnesses and result.check.trials > 1000   # not concave
    assert result.entries == ()


def test_one_negative_hidden_weight_breaks_with_per_entry_verdicts_and_a_witness():
    result = icnn(WZ1).certify(wrt="y")
    assert result.verdict == "nonconvex"
    (found,) = result.entries
    assert (found.node, found.constant, found.layer) == ("Wz1 @ z1", "Wz1", "z2")
    assert found.at("convex") == [(0,), (1,), (3,)]
    assert found.at("unknown") == [(2,)]
    assert found.spoilers((2,)) == ["Wz1[2, 0] = -0.31"]
    assert result.breaks[0].text == "Wz1 @ z1" and found.index == result.breaks[0].id
    text = result.explain()
    assert "per entry of `Wz1 @ z1`: convex at [0], [1], [3]; not proved at [2] " \
           "(Wz1[2, 0] = -0.31 < 0)" in text
    assert "in layer `z2`" in text
    assert "constants at their values: Wy0, b0, Wz1, Wy1, wz2" in text
    assert "assume Wz1" not in text                       # no hint on a constant
    witness = result.witnesses["convex"]
    assert set(witness.a) == {"y"} and witness.params["Wz1"] == WZ1.tolist()
    assert _jensen_gap(witness) > 0


def _jensen_gap(witness) -> float:
    """The witness's gap, evaluated again in numpy with the network's own weights."""
    p = {name: np.array(value) for name, value in witness.params.items()}

    def f(y):
        z1 = np.maximum(p["Wy0"] @ y + p["b0"], 0)
        z2 = np.maximum(p["Wz1"] @ z1 + p["Wy1"] @ y, 0)
        return p["wz2"] @ z2
    a, b, t = np.array(witness.a["y"]), np.array(witness.b["y"]), witness.theta
    return f(t * a + (1 - t) * b) - (t * f(a) + (1 - t) * f(b))


def test_the_json_carries_the_per_entry_verdicts_and_follows_the_schema():
    import jsonschema
    data = icnn(WZ1).certify(wrt="y", check=False).to_json()
    jsonschema.validate(data, load_schema())
    (found,) = data["entries"]
    assert found["step"] == data["breaks"][0]
    assert found["offending"] == [{"entry": [2], "at": [2, 0], "value": -0.31}]
    assert {"entry": [2], "verdict": "unknown"} in found["verdicts"]
    json.dumps(data)


def test_a_row_of_a_constant_is_certified_on_its_own():
    s = icnn(WZ1)
    assert s.certify("relu(Wz1[0] @ z1)", wrt="y", check=False).verdict == "convex"
    assert s.certify("relu(Wz1[2] @ z1)", wrt="y", check=False).verdict == "unknown"
    assert s.certify("Wz1[2, 0] * z1", wrt="y", check=False).verdict == "concave"
    # A transpose's index reads the hull: W.T[0] is column 0, not row 0.
    assert s.certify("Wz1.T[0] @ z1", wrt="y", check=False).verdict == "unknown"


@pytest.mark.parametrize("expression, node, entries", [
    ("Wz1.T @ relu(x)", "Wz1.T @ relu(x)", {"convex": [(1,), (2,), (3,)], "unknown": [(0,)]}),
    ("relu(x) @ Wz1", "relu(x) @ Wz1", {"convex": [(1,), (2,), (3,)], "unknown": [(0,)]}),
    ("relu(x) @ Wz1.T", "relu(x) @ Wz1.T", {"convex": [(0,), (1,), (3,)], "unknown": [(2,)]}),
    ("w * relu(x)", "w * relu(x)", {"convex": [(0,), (2,)], "concave": [(1,)]}),
])
def test_per_entry_verdicts_follow_the_products_layout(expression, node, entries):
    s = Session()
    s.constant("Wz1", WZ1)
    s.constant("w", np.array([1.0, -2.0, 0.5]))
    result = s.certify(expression, wrt="x", check=False)
    (found,) = result.entries
    assert found.node == node
    for verdict, listed in entries.items():
        assert found.at(verdict) == listed


def test_the_columns_spoilers_are_named_by_the_constants_own_indices():
    s = Session()
    s.constant("W", WZ1)
    (found,) = s.certify("W.T @ relu(x)", wrt="x", check=False).entries
    assert found.spoilers((0,)) == ["W[2, 0] = -0.31"]


def test_a_concave_factor_wants_nonpositive_rows():
    s = Session()
    s.constant("W", np.array([[-1.0, -2.0], [-1.0, 3.0]]))
    (found,) = s.certify("W @ log(x)", wrt="x", check=False).entries
    assert found.wanted == "concave"
    assert found.at("convex") == [(0,)] and found.spoilers((1,)) == ["W[1, 1] = 3"]


def test_certified_with_respect_to_a_constant_it_is_a_variable():
    s = icnn(WZ1)
    result = s.certify(wrt="Wz1", assume=["y >= 0"])
    assert result.verdict == "convex"
    assert "Wz1" not in result.given and "Wz1" in result.witnesses.get("concave").a


def test_the_symbolic_mode_certifies_the_sign_pattern_and_draws_it():
    clamped = icnn(np.abs(WZ1), symbolic=True).certify(wrt="y")
    assert clamped.verdict == "convex" and "convex" not in clamped.witnesses
    assert clamped.check.trials > 1000
    assert clamped.given == ()                  # drawn with its signs, not at its values
    (found,) = icnn(WZ1, symbolic=True).certify(wrt="y", check=False).entries
    assert found.at("unknown") == [(2,)]


def test_mistakes_about_constants_are_errors_that_say_so():
    s = Session()
    with pytest.raises(DcpError, match="must be finite"):
        s.constant("W", [[1.0, float("nan")]])
    with pytest.raises(DcpError, match="rank 0, 1 or 2"):
        s.constant("W", np.zeros((2, 2, 2)))
    s.bind("h", "relu(x)")
    with pytest.raises(DcpError, match="`h` is bound to an expression"):
        s.constant("h", [1.0])
    s.constant("W", [[1.0, -1.0]])
    with pytest.raises(AssumptionError, match="`W` is a constant given its values"):
        s.certify("W @ relu(x)", wrt="x", assume=["W >= 0"])
    with pytest.raises(DcpError, match="no default expression"):
        Session().certify(wrt="x")


def test_the_kernel_refuses_an_entry_claimed_with_another_entrys_value():
    s = Session()
    s.constant("W", WZ1)
    result = s.certify("W[0, 0] * relu(x)", wrt="x", check=False)
    proof = result.proof
    index = next(i for i in proof.ids() if proof.tape.op[i] == "[]")
    proof.facts.range[index] = Interval(0.5, 0.5)
    check_proof(proof)                                   # the true value: accepted
    proof.facts.range[index] = Interval(0.2, 0.2)
    with pytest.raises(ProofCheckError):
        check_proof(proof)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from([-1.5, -0.25, 0.0, 0.5, 2.0]), min_size=6, max_size=6),
       st.sampled_from(["relu", "exp", "square", "log"]))
def test_fuzz_per_entry_verdicts_hold_numerically(weights, inner):
    """Every entry a per-entry verdict calls convex (concave) is, along random segments."""
    W = np.array(weights).reshape(2, 3)
    s = Session()
    s.constant("W", W)
    result = s.certify(f"W @ {inner}(x)", wrt="x", assume=["x >= 0.1"], check=False)
    g = {"relu": lambda x: np.maximum(x, 0), "exp": np.exp, "square": np.square,
         "log": np.log}[inner]
    verdicts = dict(result.entries[0].verdicts) if result.entries else \
        {(i,): result.verdict for i in range(2)}
    rng = np.random.default_rng(1)
    for (i,), verdict in verdicts.items():
        for _ in range(20):
            a, b, t = rng.uniform(0.1, 3, 3), rng.uniform(0.1, 3, 3), rng.uniform()
            gap = W[i] @ g(t * a + (1 - t) * b) - (t * W[i] @ g(a) + (1 - t) * W[i] @ g(b))
            if verdict in ("convex", "affine", "constant"):
                assert gap <= 1e-9 * (1 + abs(W[i]) @ g(a + b))
            if verdict in ("concave", "affine", "constant"):
                assert gap >= -1e-9 * (1 + abs(W[i]) @ g(a + b))


def test_dividing_by_a_constant_with_an_entry_zero_is_a_division_by_zero():
    from dcp.errors import ArgumentError
    for values, symbolic in (([0.0, 1.0, 1.0], False), ([-0.0, 1.0, 1.0], False), ([0.0, 2.0, 3.0], True)):
        s = Session()
        s.constant("c", values, symbolic=symbolic)
        with pytest.raises(ArgumentError, match=r"division by zero: `c` has the entry c\[0\] = 0"):
            s.certify("relu(x) / c", wrt="x", check=False)


def test_a_wide_mixed_layer_is_explained_briefly():
    rng = np.random.default_rng(0)
    s = Session()
    s.constant("W", rng.normal(size=(400, 400)))
    result = s.certify("W @ relu(x)", wrt="x", check=False)
    (found,) = result.entries
    assert len(found.at("unknown")) == 400 and len(found.offending) <= 3 * 400
    line = found.summary()
    assert len(line) < 2000 and "not proved at 392 more" in line
    assert " more)" in line                      # each row names three and counts the rest


def test_a_dot_product_and_a_division_by_a_weight_vector_have_per_entry_verdicts():
    s = Session()
    s.constant("w", np.array([1.0, -0.5, 2.0]))
    (by_dot,) = s.certify("dot(w, relu(x))", wrt="x", check=False).entries
    assert by_dot.at("convex") == [(0,), (2,)] and by_dot.at("concave") == [(1,)]
    (by_division,) = s.certify("relu(x) / w", wrt="x", check=False).entries
    assert by_division.at("concave") == [(1,)]


def test_a_breaks_fix_for_a_weight_asks_for_no_entry_of_the_wrong_sign():
    s = Session()
    s.constant("W", WZ1)
    (broken,) = s.certify("W @ relu(x)", wrt="x", check=False).breaks
    assert broken.fix == "with no negative entry W would make it convex; with no positive entry, concave"
