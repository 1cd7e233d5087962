"""Convex sets (SPEC section 10): constraints, their proofs, the kernel's checks of them,
set witnesses, and every way a user reaches them."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from dcp import DcpError, Session, certify
from dcp.errors import ProofCheckError, SoundnessError
from dcp.kernel import check_set_proof
from dcp.proof import RULES

FIXTURES = Path(__file__).parent / "fixtures" / "sets.txt"
XYZ = ["x", "y", "z"]


def _cases():
    """``constraints ; wrt ; assumptions ; verdict ; rules`` per line of the fixture."""
    for line in FIXTURES.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            text, wrt, assume, verdict, rules = (part.strip() for part in line.split(";"))
            yield pytest.param(text, wrt.split(), [a.strip() for a in assume.split("|") if a.strip()],
                               verdict, rules.split() if rules != "-" else [], id=text)


@pytest.mark.parametrize("text,wrt,assume,verdict,rules", list(_cases()))
def test_fixture_verdicts_and_rules(text, wrt, assume, verdict, rules):
    result = certify(text, wrt=wrt, assume=assume)
    assert result.kind == "set" and result.verdict == verdict
    assert result.is_concave is None
    assert result.is_convex is {"convex": True, "nonconvex": False, "unknown": None}[verdict]
    named = [part.rule for part in result.constraints]
    assert " ".join(r or "-" for r in named) == " ".join(rules) if rules else True
    if verdict == "nonconvex":
        _assert_witness_is_valid(result)


def _exact(value) -> Fraction:
    return Fraction(float(value[0] if isinstance(value, list) else value))


def _assert_witness_is_valid(result):
    """Check the witness again on its own: every coordinate in its assumption and the
    two points feasible and the mix not, in exact rational arithmetic, for constraints
    that are polynomials in scalars (those of the fixture)."""
    witness = result.witness
    assert witness is not None and 0 < witness.theta < 1
    theta = Fraction(witness.theta)
    points = [{n: _exact(v) for n, v in p.items()} for p in (witness.a, witness.b)]
    params = {n: _exact(v) for n, v in witness.params.items()}
    mix = {n: theta * points[0][n] + (1 - theta) * points[1][n] for n in points[0]}
    for name, value in {**points[0], **params}.items():
        bound = result.proof.bounds.get(name)
        assert bound is None or float(value) in bound
    for point in points:
        assert all(_holds(part, {**point, **params}) for part in result.constraints)
    assert not _holds(result.constraints[witness.violated], {**mix, **params})


def _holds(part, values) -> bool:
    """Whether a polynomial constraint holds at exact ``values``."""
    tape = part.function.tape
    left, right = (_polynomial(tape.text(n, None), values) for n in (part.left, part.right))
    return {"<=": left <= right, ">=": left >= right, "==": left == right}[part.op]


def _polynomial(text: str, values) -> Fraction:
    return eval(text.replace("^", "**"), {"__builtins__": {}}, dict(values))   # noqa: S307


# ---- the cases ----------------------------------------------------------------

def test_rotated_cone_is_convex_with_the_cone_rule_and_its_factors_proved_nonnegative():
    result = certify("x^2 <= y*z", wrt=XYZ, assume=["y >= 0", "z >= 0"])
    assert result.verdict == "convex" and result.is_convex is True
    (part,) = result.constraints
    assert part.rule == "rotated cone" and set(part.proofs) == {"g - h", "a", "b", "u1"}
    assert [part.proofs[r].root.text for r in "ab"] == ["y", "z"]
    assert result.check.outcome == "passed"


def test_hyperbolic_set_is_the_cone_slice_with_a_constant_side():
    result = certify("x*y >= 1", wrt=["x", "y"], assume=["x > 0", "y > 0"])
    assert result.verdict == "convex"
    assert result.constraints[0].rule == "rotated cone" and "s" in result.constraints[0].proofs


def test_x_y_at_most_one_is_refuted_by_a_set_witness():
    result = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"])
    assert result.verdict == "nonconvex" and result.is_convex is False
    assert result.check.outcome == "refuted"
    _assert_witness_is_valid(result)


def test_spec_set_is_never_certified_and_the_spec_witness_is_confirmed():
    text, wrt, assume = "z*(b + x) <= x*b", ["z", "b", "x"], ["z >= 0", "x >= 0", "b >= 0"]
    assert certify(text, wrt=wrt, assume=assume, check=False).verdict == "unknown"
    result = certify(text, wrt=wrt, assume=assume)
    assert result.verdict == "nonconvex"
    _assert_witness_is_valid(result)
    from dcp.check.sets import confirm_set
    shapes = {n: () for n in wrt}
    spec = confirm_set(result.proof, shapes, {}, {"z": 1000.0, "b": 0.0, "x": 0.0},
                       {"z": 0.5, "b": 1.0, "x": 1.0}, 0.5)
    assert spec is not None and spec.violated == 0 and spec.mix > 0
    # Infeasible points are no witness (x*b = 0 < z*(b + x) = 2 at (1, 0, 2)).
    assert confirm_set(result.proof, shapes, {}, {"z": 1.0, "b": 0.0, "x": 2.0},
                       {"z": 0.5, "b": 1.0, "x": 1.0}, 0.5) is None


def test_norm_ball_by_the_sublevel_rule():
    result = certify("norm2(x) <= t", wrt=["x", "t"])
    assert result.verdict == "convex" and result.constraints[0].rule == "sublevel set"


def test_an_intersection_is_convex_when_each_part_is():
    result = certify("x^2 <= y*z, x + y <= 3, log(z) >= -1", wrt=XYZ, assume=["y >= 0", "z >= 0"])
    assert result.verdict == "convex" and result.proof.rule == "intersection"
    assert [p.rule for p in result.constraints] == ["rotated cone", "sublevel set", "superlevel set"]
    assert [str(c) for c in result.domain] == ["z > 0"]      # log's argument: z >= 0 allows 0
    mixed = certify("x*y <= 1, x + y >= 0", wrt=["x", "y"], assume=["x >= 0", "y >= 0"])
    assert mixed.verdict == "nonconvex" and mixed.proof.rule is None
    assert [p.text for p in mixed.breaks] == ["x * y <= 1"]


# ---- what must not be certified ------------------------------------------------------

@pytest.mark.parametrize("text,assume", [
    ("x^2 <= y*z", ["z >= 0"]),                     # y of unknown sign
    ("x^2 <= y*z", ["y >= -1", "z >= 0"]),          # y may be negative on the box
    ("x^3 <= y*z", ["y >= 0", "z >= 0"]),           # not a square
    ("x^2 <= y*z + 1", ["y >= 0", "z >= 0"]),       # not a product
    ("x*y >= 1", []),                               # both quadrants
    ("x^2 == y*z", ["y >= 0", "z >= 0"]),           # an equality is no cone
    ("exp(x) <= y*z", ["y >= 0", "z >= 0"]),        # not affine under the square
])
def test_not_a_cone(text, assume):
    result = certify(text, wrt=XYZ if "z" in text else ["x", "y"], assume=assume, check=False)
    assert result.verdict == "unknown" and result.constraints[0].rule is None
    assert "no recognised cone" in result.constraints[0].reason


def test_the_cone_reads_factor_ranges_from_the_rules():
    result = certify("x^2 <= (y + 1)*z", wrt=XYZ, assume=["y >= -1", "z >= 0"], check=False)
    assert result.verdict == "convex" and result.constraints[0].rule == "rotated cone"


def test_both_quadrants_of_the_hyperbola_are_refuted():
    result = certify("x*y >= 1", wrt=["x", "y"])
    assert result.verdict == "nonconvex"
    _assert_witness_is_valid(result)


def test_an_equality_is_left_to_the_rules():
    result = certify("x^2 == 1", wrt="x")
    assert result.verdict == "unknown" and result.check.note == "a set with an equality is left to the rules"
    assert certify("x + 2*y == 1", wrt=["x", "y"]).constraints[0].rule == "level set"


# ---- the kernel -----------------------------------------------------------------------

def _tampered(result, **changes):
    """The proof with its first part changed. A flipped operator is refused as another
    constraint than the one written (`test_kernel_ties_parts_to_the_constraints_written`);
    here the source goes too, so that the rule's own checker must refuse it."""
    parts = list(result.proof.parts)
    parts[0] = dataclasses.replace(parts[0], **changes)
    source = "" if "op" in changes else result.proof.source
    return dataclasses.replace(result.proof, parts=tuple(parts), source=source)


def test_kernel_ties_parts_to_the_constraints_written():
    """Found by an adversary: a part whose operator was flipped (x*y >= 1 is a cone, x*y
    <= 1 is not convex) or a constraint dropped proved another set than the one written."""
    product = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"], check=False)
    parts = (dataclasses.replace(product.proof.parts[0], op=">=", convex=True, rule="DQCP level set"),)
    with pytest.raises(ProofCheckError, match="constraint 1 is written with <=, not >="):
        check_set_proof(dataclasses.replace(product.proof, parts=parts))
    two = certify("x <= 1, x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"], check=False)
    with pytest.raises(ProofCheckError, match="has 1 parts for 2 constraints written"):
        check_set_proof(dataclasses.replace(two.proof, parts=two.proof.parts[:1]))


def test_kernel_rejects_a_convex_claim_without_a_rule_that_gives_it():
    result = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"], check=False)
    for rule in ("sublevel set", "rotated cone", "whole box", "superlevel set"):
        with pytest.raises(ProofCheckError, match="does not check"):
            check_set_proof(_tampered(result, convex=True, rule=rule))
    with pytest.raises(ProofCheckError, match="unknown set rule"):
        check_set_proof(_tampered(result, convex=True, rule="magic"))


def test_kernel_rejects_a_cone_whose_factor_is_not_proved_nonnegative():
    good = certify("x^2 <= y*z", wrt=XYZ, assume=["y >= 0", "z >= 0"], check=False)
    check_set_proof(good.proof)
    bad = certify("x^2 <= y*z", wrt=XYZ, assume=["z >= 0"], check=False)
    proofs = {**good.constraints[0].proofs, "g - h": bad.constraints[0].function}
    with pytest.raises(ProofCheckError, match="another expression"):
        check_set_proof(_tampered(bad, convex=True, rule="rotated cone", proofs=proofs))
    # The factor's proof of the bad result itself: affine, but its range is not >= 0.
    from dcp.proof import Proof
    function = bad.constraints[0].function
    tape = function.tape
    y = tape.args[bad.constraints[0].right][0]
    factor = Proof(tape, function.facts, y, function.wrt, function.bounds, function.source)
    proofs = {**bad.constraints[0].proofs, "a": factor, "b": factor, "u1": factor}
    with pytest.raises(ProofCheckError, match="factor a is not proved affine and >= 0"):
        check_set_proof(_tampered(bad, convex=True, rule="rotated cone", proofs=proofs))


def test_kernel_rejects_a_cone_claim_on_an_equality_and_a_wrong_difference():
    result = certify("x^2 <= y*z", wrt=XYZ, assume=["y >= 0", "z >= 0"], check=False)
    with pytest.raises(ProofCheckError, match="no cone"):
        check_set_proof(_tampered(result, op="=="))
    part = result.constraints[0]
    with pytest.raises(ProofCheckError, match="not the difference of its two sides"):
        check_set_proof(_tampered(result, left=part.right, right=part.left))


def test_kernel_rejects_a_whole_box_claim_the_range_does_not_give():
    result = certify("exp(x) >= 5", wrt="x", check=False)
    assert result.verdict == "unknown"
    with pytest.raises(ProofCheckError, match="does not show"):
        check_set_proof(_tampered(result, convex=True, rule="whole box"))
    assert certify("exp(x) >= -5", wrt="x").constraints[0].rule == "whole box"


def test_every_set_rule_is_catalogued():
    for rule in ("sublevel set", "superlevel set", "level set", "whole box", "rotated cone", "DQCP level set",
                 "intersection"):
        assert rule in RULES


def test_a_witness_against_a_certified_set_raises(monkeypatch):
    import dcp.check.sets as sets
    result = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"])
    monkeypatch.setattr(sets, "_try_batch", lambda *args: result.witness)
    with pytest.raises(SoundnessError):
        certify("x + y <= 1", wrt=["x", "y"])


# ---- syntax and the ways in ------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("x <= y <= z", "a constraint compares two sides"),
    ("x < y", "a constraint compares with <=, >= or =="),
    ("x <= ", "unexpected end of input"),
    ("x <= y,", "unexpected end of input"),
])
def test_mistakes_are_dcp_errors_with_a_caret(text, message):
    with pytest.raises(DcpError, match=message) as caught:
        certify(text, wrt="x")
    assert "^" in str(caught.value)


def test_an_expression_is_a_function_exactly_as_before():
    result = certify("x * y", wrt=["x", "y"], check=False)
    assert result.kind == "function" and result.verdict == "nonconvex"
    assert certify("norm(x, p=1) # a <= b", wrt="x", check=False).kind == "function"


def test_scripts_and_sessions_take_constraints():
    session = Session()
    first, second = session.run("assume y >= 0, z >= 0\ncertify x^2 <= y*z wrt x, y, z\n"
                                "x^2 <= y*z, x <= 1")
    assert first.kind == second.kind == "set" and first.verdict == second.verdict == "convex"
    assert first.expression == "x^2 <= y*z"
    session.bind("h", "x^2")
    assert session.certify("h <= y*z", check=False).verdict == "unknown"  # a bound name: no cone


def test_rules_only_sets_import_no_numeric_library():
    code = ("import sys, dcp; r = dcp.certify('x^2 <= y*z', wrt=['x','y','z'], assume=['y >= 0', "
            "'z >= 0'], check=False); r.explain(); r.render('json'); r.render('markdown'); "
            "r.render('html'); assert r.verdict == 'convex'; "
            "print(sorted(m for m in ('numpy', 'mpmath', 'sympy', 'hypothesis') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).parent.parent, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"


def test_cli_certifies_a_constraint_and_draws_its_witness(tmp_path):
    from test_cli import dcp as run_dcp
    run = run_dcp("certify", "x^2 <= y*z", "--wrt", "x", "--wrt", "y", "--wrt", "z",
                  "--assume", "y >= 0", "--assume", "z >= 0", "--expect", "convex")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("the set {x^2 <= y*z} in x, y, z") and "rotated cone" in run.stdout
    pytest.importorskip("matplotlib")
    picture = tmp_path / "w.png"
    run = run_dcp("certify", "x*y <= 1", "--wrt", "x", "--wrt", "y", "--assume", "x >= 0",
                  "--assume", "y >= 0", "--plot", str(picture))
    assert run.returncode == 0, run.stderr
    assert "verdict: nonconvex" in run.stdout and picture.stat().st_size > 10_000


# ---- renderers --------------------------------------------------------------------------

@pytest.mark.parametrize("format", ["text", "markdown", "html", "json", "latex"])
def test_every_renderer_says_it_is_a_set(format):
    result = certify("x*y <= 1, x <= 5", wrt=["x", "y"], assume=["x >= 0", "y >= 0"])
    text = result.render(format)
    marker = {"text": "the set {x*y <= 1, x <= 5}", "markdown": "The set `{x*y <= 1, x <= 5}`",
              "html": "the set <code>{x*y &lt;= 1, x &lt;= 5}</code>", "json": '"kind": "set"',
              "latex": "\\{ (x, y) :"}[format]
    assert marker in text
    if format != "json":
        assert "nonconvex" in text and "x * y <= 1" in text.replace("&lt;", "<").replace("$\\leq$", "<=") \
            or format == "latex"


def test_json_follows_the_set_schema():
    jsonschema = pytest.importorskip("jsonschema")
    from dcp.render.json import load_schema
    schema = load_schema("set")
    for text, assume in [("x*y <= 1, x <= 5", ["x >= 0", "y >= 0"]), ("x*y >= 1", ["x >= 0", "y >= 0"]),
                         ("x + y == 1", []), ("exp(x) >= -5, y <= 2", []), ("x/y <= 2", ["y > 0"])]:
        data = certify(text, wrt=["x", "y"], assume=assume).to_json()
        jsonschema.validate(data, schema)
        assert data["schema_version"] == 4 and data["kind"] == "set"
    data = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"]).to_json()
    assert data["witness"]["kind"] == "convex set" and data["witness"]["constraint"] == "x * y <= 1"


# ---- domains: a function convex where it is defined has a convex set only if that is --

@pytest.mark.parametrize("text,verdict", [
    ("(x^2 - 1)^1.5 <= 5", "unknown"),          # x^2 - 1 >= 0 is two rays
    ("inv_pos(1 - x^2) <= 3", "convex"),        # 1 - x^2 > 0: a superlevel set of a concave
    ("log(x) >= -1", "convex"),                 # x > 0: affine
    ("x^1.5 <= 2", "convex"),
])
def test_a_domain_condition_must_cut_a_convex_set(text, verdict):
    result = certify(text, wrt="x", check=False)
    assert result.verdict == verdict
    if verdict == "unknown":
        assert "may cut a set that is not convex" in result.constraints[0].reason


def test_kernel_rejects_a_set_whose_domain_is_not_shown_convex():
    result = certify("(x^2 - 1)^1.5 <= 5", wrt="x", check=False)
    with pytest.raises(ProofCheckError, match="may cut a set that is not convex"):
        check_set_proof(_tampered(result, convex=True, rule="sublevel set"))


def test_a_mix_outside_the_domain_is_outside_the_set():
    result = certify("(x^2 - 1)^1.5 <= 5", wrt="x", shapes={"x": ()})
    assert result.verdict == "nonconvex"
    witness = result.witness
    assert witness.outside == "x^2 - 1 >= 0" and witness.mix < 0
    a, b, t = Fraction(witness.a["x"]), Fraction(witness.b["x"]), Fraction(witness.theta)
    assert all(1 <= v * v and (v * v - 1) ** 3 <= 25 for v in (a, b))     # feasible, exactly
    assert (t * a + (1 - t) * b) ** 2 < 1                                 # the mix: undefined
    assert "outside its domain" in result.explain()


def test_certify_each_is_for_functions_and_batch_takes_sets(tmp_path):
    from dcp import certify_each
    with pytest.raises(DcpError, match="certify_each asks about a function"):
        certify_each("x*y <= 1", ["x", "y"])
    from test_cli import dcp as run_dcp
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"expr": "x*y >= 1", "wrt": ["x", "y"], "assume": ["x > 0", "y > 0"]}\n')
    run = run_dcp("batch", str(cases), "--jobs", "1", "--no-check")
    assert run.returncode == 0, run.stderr
    assert '"kind": "set"' in run.stdout and '"verdict": "convex"' in run.stdout


def test_shapes_must_agree_in_a_constraint():
    from dcp.errors import ShapeError
    with pytest.raises(ShapeError):
        certify("x^2 <= y*z", wrt=XYZ, assume=["y >= 0", "z >= 0"], shapes={"y": (2,), "z": (3,)},
                check=False)
    result = certify("sum_squares(x) <= y*z", wrt=XYZ, assume=["y >= 0", "z >= 0"],
                     shapes={"x": (3,), "y": (), "z": ()})
    assert result.verdict == "convex" and result.check.outcome == "passed"


def test_kernel_rejects_a_negative_constant_among_the_cone_terms():
    from dcp.proof import Proof
    result = certify("x^2 + -1 <= z*w", wrt=["x", "z", "w"], assume=["z >= 0", "w >= 0"], check=False)
    assert result.verdict == "unknown"
    part = result.constraints[0]
    function = part.function
    tape = function.tape

    def proof(node):
        return Proof(tape, function.facts, node, function.wrt, function.bounds, function.source)
    square, constant = tape.args[part.left]
    z, w = tape.args[part.right]
    proofs = {"g - h": function, "a": proof(z), "b": proof(w), "u1": proof(tape.args[square][0]),
              "c2": proof(constant)}
    with pytest.raises(ProofCheckError, match="term 2 is neither a square nor a constant proved >= 0"):
        check_set_proof(_tampered(result, convex=True, rule="rotated cone", proofs=proofs))
    good = certify("x^2 + 1 <= z*w", wrt=["x", "z", "w"], assume=["z >= 0", "w >= 0"], check=False)
    assert set(good.constraints[0].proofs) == {"g - h", "a", "b", "u1", "c2"}


# ---- the DQCP level set: a quasiconvex g - h (SPEC section 10) ---------------------------

UNIT = {"x": (3,)}


@pytest.mark.parametrize("op", ["<=", ">=", "=="])
def test_a_sigmoid_unit_cuts_a_halfspace_or_a_hyperplane(op):
    result = certify(f"sigmoid(w @ x) {op} 0.5", wrt="w", shapes=UNIT)
    assert result.verdict == "convex" and result.is_convex is True
    (part,) = result.constraints
    assert part.rule == "DQCP level set" and str(part.function.quasi) == "quasilinear"
    assert [q.rule for _, q in part.function.quasi_steps()] == ["quasi monotone", "quasi monotone"]
    assert result.check.outcome == ("not run" if op == "==" else "passed")


def test_a_single_units_squared_error_has_convex_sublevel_sets_not_superlevel_ones():
    below = certify("square(sigmoid(w @ x) - y) <= 0.01", wrt="w", shapes=UNIT)
    assert below.verdict == "convex" and below.constraints[0].rule == "DQCP level set"
    assert str(below.constraints[0].function.quasi) == "quasiconvex"
    above = certify("square(sigmoid(w @ x) - y) >= 0.01", wrt="w", shapes=UNIT)
    assert above.verdict == "nonconvex" and above.check.outcome == "refuted"
    assert "only quasiconvex by DQCP" in above.constraints[0].reason


def test_two_samples_errors_are_no_dqcp_set():
    result = certify("square(sigmoid(w @ a) - y) + square(sigmoid(w @ b) - z) <= 0.01", wrt="w",
                     shapes={"a": (2,), "b": (2,)}, check=False)
    assert result.verdict == "unknown"
    assert "the DQCP ones too" in result.constraints[0].reason
    assert "a sum of two non-constant terms" in result.render("text")


def test_the_hyperbola_stays_the_cones_and_products_of_unknown_sign_are_refused():
    assert certify("x*y >= 1", wrt=["x", "y"], assume=["x > 0", "y > 0"]).constraints[0].rule == "rotated cone"
    result = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"], check=False)
    assert result.verdict == "unknown" and "only quasiconcave by DQCP" in result.constraints[0].reason


def test_a_dqcp_set_needs_its_domain_shown_convex():
    # x*y - 1 > 0 on the orthant is {xy > 1}: x*y is quasiconcave there, so the domain
    # of log is convex, and {log(xy - 1) >= 0} = {xy >= 2} is certified.
    hyperbolic = certify("log(x*y - 1) >= 0", wrt=["x", "y"], assume=["x >= 0", "y >= 0"],
                         check=False)
    assert hyperbolic.verdict == "convex" and hyperbolic.constraints[0].rule == "DQCP level set"
    # x^2 - 1 > 0 is two rays: log is nondecreasing, but only there, so the function is not
    # claimed quasiconcave at all (Proof.quasi), and no DQCP level set follows.
    rays = certify("log(x^2 - 1) >= 0", wrt=["x"], check=False)
    assert rays.verdict != "convex"
    with pytest.raises(ProofCheckError, match="does not check"):
        check_set_proof(_tampered(rays, convex=True, rule="DQCP level set"))


def test_kernel_rejects_a_dqcp_set_its_quasi_curvature_does_not_give():
    unit = certify("square(sigmoid(w @ x) - y) <= 0.01", wrt="w", shapes=UNIT, check=False)
    check_set_proof(unit.proof)
    with pytest.raises(ProofCheckError, match="needs g - h quasiconcave; its DQCP proof gives quasiconvex"):
        check_set_proof(_tampered(unit, op=">="))
    with pytest.raises(ProofCheckError, match="needs g - h quasilinear"):
        check_set_proof(_tampered(unit, op="=="))
    product = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"], check=False)
    with pytest.raises(ProofCheckError, match="its DQCP proof gives quasiconcave"):
        check_set_proof(_tampered(product, convex=True, rule="DQCP level set"))


def test_kernel_rejects_a_tampered_dqcp_step_under_a_set():
    from dcp.facts.quasi import QUASICONVEX, QUASILINEAR
    from dcp.proof import QuasiStep
    unit = certify("square(sigmoid(w @ x) - y) <= 0.01", wrt="w", shapes=UNIT, check=False)
    function = unit.constraints[0].function
    steps = function.facts.quasi
    square = next(i for i, q in steps.items() if q.rule == "quasi unimodal")
    steps[square] = steps[square]._replace(quasi=QUASILINEAR)      # square of a quasilinear: only quasiconvex
    with pytest.raises(ProofCheckError, match="claims quasilinear, the rule gives only quasiconvex"):
        check_set_proof(unit.proof)
    pair = certify("sigmoid(w @ x) + sigmoid(w @ z) <= 1", wrt="w", shapes={"x": (3,), "z": (3,)}, check=False)
    assert pair.verdict == "unknown"
    function = pair.constraints[0].function
    node = function.facts.resolve(function.root_id)
    function.facts.quasi[node] = QuasiStep(QUASICONVEX, "quasi monotone", function.facts.premises[node])
    total = function.facts.premises[node][0]
    function.facts.quasi[total] = QuasiStep(QUASICONVEX, "quasi monotone", function.facts.premises[total])
    with pytest.raises(ProofCheckError, match="does not check"):
        check_set_proof(_tampered(pair, convex=True, rule="DQCP level set"))


@pytest.mark.parametrize("format", ["text", "markdown", "html"])
def test_renderers_show_a_dqcp_sets_steps(format):
    text = certify("sigmoid(w @ x) <= 0.5", wrt="w", shapes=UNIT, check=False).render(format)
    assert "DQCP level set" in text and "g - h by the DQCP rules:" in text and "quasilinear" in text


def test_json_of_a_dqcp_set_carries_its_quasi_steps():
    data = certify("sigmoid(w @ x) <= 0.5", wrt="w", shapes=UNIT, check=False).to_json()
    (part,) = data["constraints"]
    assert part["rule"] == "DQCP level set"
    quasi = [step["quasi"] for step in part["proofs"]["g - h"]["steps"] if "quasi" in step]
    assert [q["rule"] for q in quasi] == ["quasi monotone", "quasi monotone"]
    assert quasi[-1]["quasi"] == "quasilinear"


def test_equal_constraints_share_their_nodes_and_still_check():
    """Fuzz seed 1241: two constraints with one g - h share a tape node (and its place in
    the source); the kernel ties parts to the constraints by count and operator, so this
    proof of dcp's own checks."""
    result = certify("x*y >= 1e6, x*y <= 1e6", wrt=["x", "y"],
                     assume=["0 <= x <= 1e-9", "-1 <= y <= 1"], check=False)
    check_set_proof(result.proof)
    assert result.proof.parts[0].node == result.proof.parts[1].node
