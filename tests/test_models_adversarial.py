"""An adversary's findings on model files (issue 17), kept as regression tests: each
states what a correct dcp does, and each failed before its fix (unsound certificates,
unfaithful translations, errors that named no node, slow explanations). Every model is
built with onnx.helper, in memory or in tmp_path."""
from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import dcp  # noqa: E402
from dcp.check.evaluate import evaluate  # noqa: E402
from dcp.models import translate  # noqa: E402
from dcp.ops import FLOAT  # noqa: E402
from dcp.result import VERDICTS  # noqa: E402

F = TensorProto.FLOAT


# ---- helpers ----

def _vec(name, n, batch="batch"):
    return helper.make_tensor_value_info(name, F, [batch, n])


def _init(name, values, dtype=np.float32):
    return numpy_helper.from_array(np.asarray(values, dtype=dtype), name)


def _model(nodes, inputs, outputs, initializers=(), opset=18, ir=8):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir
    return model


def _onnx(model, x, name="x"):
    """The model's output at one sample x (float32, as ONNX runs it), as float64."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = ReferenceEvaluator(model).run(None, {name: np.asarray(x, np.float32)[None]})[0]
    return np.asarray(out, dtype=np.float64).reshape(-1)


def _dcp_value(model, x):
    """dcp's evaluation of the translation at one sample x (input `x`)."""
    t = translate(model)
    s = dcp.Session()
    for c, a in t.constants.items():
        s.declare_shape(c, a.shape)
    for g, d in t.inputs.items():
        s.declare_shape(g, d)
    for bound, text in t.bindings:
        s.bind(bound, text)
    proof = s.certify(t.expression, wrt="x", check=False).proof
    values = {"x": np.asarray(x, dtype=float)[None]}
    values.update({c: a[None] for c, a in t.constants.items()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, _ = evaluate(proof, values, FLOAT, 1)
    return np.asarray(ours, dtype=float).reshape(-1)


def _concavity_gap(model, a, b):
    """The largest (f(a) + f(b))/2 - f((a+b)/2) over the output entries (> 0: not concave)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max((_onnx(model, a) + _onnx(model, b)) / 2 - _onnx(model, (a + b) / 2)))


# ---- 1. soundness end to end ----

@pytest.mark.parametrize("divisor", [[0.0, 1.0, 1.0], [-0.0, 1.0, 1.0]])
def test_division_by_a_weight_with_a_zero_entry_is_not_certified(divisor):
    """UNSOUND. `relu(x) / c` with c a weight vector holding a 0 (or -0.0) entry: the
    model's entry 0 is +inf (c=0) or -inf (c=-0.0) for x0 > 0 and NaN for x0 <= 0, yet
    dcp certifies "convex" with no domain condition (the check is inconclusive). The
    entry's value 0 is known; a division by it must be refused or at least not
    certified. (-0.0 is even read as +0: Entries.of drops negative zeros.)"""
    x, y = _vec("x", 3), _vec("y", 3)
    model = _model([helper.make_node("Relu", ["x"], ["r"], name="r"),
                    helper.make_node("Div", ["r", "c"], ["y"], name="d")],
                   [x], [y], [_init("c", divisor)])
    assert not np.isfinite(_onnx(model, [1.0, 1.0, 1.0])[0])      # the model: inf
    assert np.isnan(_onnx(model, [-1.0, 1.0, 1.0])[0])            # and NaN
    try:
        result = dcp.from_onnx(model).certify(wrt="x")
    except dcp.DcpError:
        return                                                    # refused: fine
    assert not (result.is_convex or result.is_concave), str(result)


def test_symbolic_mode_fixes_a_one_entry_weight_at_its_value():
    """UNSOUND (symbolic mode). A weight of one entry (shape [] or [1]) is written into
    the text as a number, so `symbolic=True` keeps its value instead of its sign. Here
    hardtanh(sqrt(x) + c) with c = -0.5 is certified concave "for every network with
    these weights' signs"; the same network with c = -2 (same sign) is not concave: a
    Jensen violation the reference evaluator shows. (With c of shape [3] the same model
    is, correctly, not certified concave in the symbolic mode.)"""
    def network(c, shape):
        return _model([helper.make_node("Sqrt", ["x"], ["s"], name="s"),
                       helper.make_node("Add", ["s", "c"], ["a"], name="a"),
                       helper.make_node("Clip", ["a", "lo", "hi"], ["y"], name="clip")],
                      [_vec("x", 3)], [_vec("y", 3)],
                      [_init("c", np.full(shape, c)), _init("lo", -1.0), _init("hi", 1.0)])
    same_signs = network(-2.0, (1,))
    assert _concavity_gap(same_signs, [0.0, 0.0, 0.0], [2.25, 2.25, 2.25]) > 0.1
    for shape in [(), (1,)]:
        result = dcp.from_onnx(network(-0.5, shape), symbolic=True).certify(wrt="x")
        assert not result.is_concave, f"shape {shape}: {result}"


# ---- 2. translation faithfulness ----

@pytest.mark.parametrize("p", [-1.0, -2.0, -3.0])
def test_pow_with_a_negative_exponent_is_defined_below_zero(p):
    """WRONG ANSWER. ONNX Pow(x, p) for a negative integer p is defined for x < 0
    (Pow(-2, -1) = -0.5), but the translation `x ^ p` is dcp's power with domain x > 0:
    dcp evaluates NaN there, and the certificate is "convex where x > 0" — a domain the
    model does not have (the model, 1/x on all x != 0, is not convex). The translation
    must be exact or refused."""
    model = _model([helper.make_node("Pow", ["x", "p"], ["y"], name="pw")],
                   [_vec("x", 3)], [_vec("y", 3)], [_init("p", p)])
    point = [-2.0, 1.0, 0.5]
    try:
        ours = _dcp_value(model, point)
    except dcp.DcpError:
        return                                                    # refused: fine
    np.testing.assert_allclose(ours, _onnx(model, point), rtol=1e-6,
                               err_msg=f"dcp evaluates {translate(model).expression} as {ours}")


# ---- 5. errors ----

def _translated_and_read(model):
    """translate then from_onnx: a user mistake must be a one-line DcpError naming the
    ONNX node, raised by the translation (not by dcp's reader of the text it wrote)."""
    with pytest.raises(dcp.DcpError) as error:
        dcp.from_onnx(model).certify(wrt="x")
    message = str(error.value)
    assert "\n" not in message, message
    assert "ONNX node" in message, message


@pytest.mark.parametrize("op, attributes", [("HardSigmoid", {"alpha": -0.5, "beta": 0.5}),
                                             ("HardSigmoid", {"alpha": 0.0, "beta": 0.5}),
                                             ("Celu", {"alpha": -1.0})])
def test_an_attribute_the_atom_refuses_is_refused_by_the_translation(op, attributes):
    """BAD ERROR. HardSigmoid(alpha=-0.5) (a decreasing clip), HardSigmoid(alpha=0) and
    Celu(alpha=-1) are valid ONNX. translate() accepts them and writes e.g.
    `hard_sigmoid(x, alpha=-0.5, beta=0.5)`, which dcp's atom refuses only when the
    session certifies: a multi-line ArgumentError with a caret under text the user never
    wrote, naming no ONNX node. (An exact translation, e.g. hard_sigmoid(-x, alpha=0.5,
    beta=0.5), would do as well.)"""
    model = _model([helper.make_node(op, ["x"], ["y"], name="act", **attributes)],
                   [_vec("x", 3)], [_vec("y", 3)])
    try:
        result = dcp.from_onnx(model).certify(wrt="x")
    except dcp.DcpError as error:
        message = str(error)
        assert "\n" not in message and "ONNX node `act`" in message, message
    else:
        point = [-2.0, 0.5, 3.0]
        np.testing.assert_allclose(_dcp_value(model, point), _onnx(model, point), rtol=1e-6)
        assert result.verdict in VERDICTS


def test_division_by_a_zero_number_is_refused_by_the_translation():
    """BAD ERROR. Div by a one-entry weight 0 (valid ONNX: x / 0 = inf) is written
    `r / 0`; the user gets "division by zero" with a caret under `r / 0`, multi-line,
    naming no ONNX node."""
    model = _model([helper.make_node("Relu", ["x"], ["r"], name="r"),
                    helper.make_node("Div", ["r", "c"], ["y"], name="d")],
                   [_vec("x", 3)], [_vec("y", 3)], [_init("c", 0.0)])
    _translated_and_read(model)


def test_a_directory_is_not_called_missing(tmp_path):
    """COSMETIC / BAD ERROR. A directory named like a model is reported as "the file
    does not exist" (it does exist; it is a directory)."""
    folder = tmp_path / "model.onnx"
    folder.mkdir()
    with pytest.raises(dcp.DcpError) as error:
        translate(folder)
    assert "does not exist" not in str(error.value)
    assert "directory" in str(error.value)


def _named_input_model(name):
    return _model([helper.make_node("Relu", [name], ["r"], name="r"),
                   helper.make_node("Gemm", ["r", "W"], ["out"], name="g", transB=1)],
                  [_vec(name, 3)], [_vec("out", 3)], [_init("W", np.eye(3))])


def test_wrt_by_the_onnx_name_is_the_dcp_name():
    """An input the ONNX file calls `x.1` is `x_1` in dcp; `wrt="x.1"` (the name the user
    sees in Netron or PyTorch) certifies in it."""
    session = dcp.from_onnx(_named_input_model("x.1"))
    assert session.certify(wrt="x.1", check=False).wrt == ("x_1",)   # the model's own name works


def test_cli_unknown_wrt_lists_the_models_names():
    """BAD ERROR. `dcp certify-model --help` promises "an unknown name lists the model's
    names"; `--wrt nothere` says only "`nothere` in --wrt does not appear in the
    expression"."""
    from pathlib import Path
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.onnx"
        onnx.save(_named_input_model("x"), str(path))
        run = subprocess.run([sys.executable, "-m", "dcp", "certify-model", str(path), "--wrt", "nothere"],
                             capture_output=True, text=True)
    assert run.returncode == 2
    assert "`x`" in run.stderr.split("nothere", 1)[1] and "`W`" in run.stderr, run.stderr


def test_cli_can_choose_the_output_of_a_model_with_two(tmp_path):
    """BAD ERROR. A model with two outputs is refused with "say which to certify with
    output=NAME", but `dcp certify-model` has no option to say it (`--output` is an
    unrecognised argument): such a model cannot be certified from the command line."""
    model = _model([helper.make_node("Relu", ["x"], ["a"], name="r"),
                    helper.make_node("Exp", ["x"], ["b"], name="e")],
                   [_vec("x", 3)], [_vec("a", 3), _vec("b", 3)])
    path = tmp_path / "two.onnx"
    onnx.save(model, str(path))
    run = subprocess.run([sys.executable, "-m", "dcp", "certify-model", str(path), "--wrt", "x",
                          "--output", "b"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("exp(x)  wrt x") and "verdict: convex" in run.stdout, run.stdout


# ---- 4. per-entry verdicts ----

def test_matmul_by_a_weight_vector_names_the_offending_entry():
    """WRONG ANSWER (per-entry). relu(x) @ w with w = [1, -0.7, 3] (MatMul by a constant
    vector, written dot(w, r)) breaks on the whole hull of w; the negative entry w[1]
    is never named (no Result.entries), although the same weights as a matrix column
    (Gemm/MatMul by a [3, 1] matrix) get `W[1, 0] = -0.7 < 0`."""
    model = _model([helper.make_node("Relu", ["x"], ["r"], name="r"),
                    helper.make_node("MatMul", ["r", "w"], ["y"], name="mm")],
                   [_vec("x", 3)], [helper.make_tensor_value_info("y", F, ["batch"])],
                   [_init("w", [1.0, -0.7, 3.0])])
    result = dcp.from_onnx(model).certify(wrt="x")
    assert "w[1]" in str(result) or any(e.offending for e in result.entries), str(result)


def test_division_by_a_weight_vector_has_per_entry_verdicts():
    """COSMETIC (per-entry). relu(x) / w with w = [1, -0.7, 3]: entries 0 and 2 are
    convex, entry 1 concave, as for `relu(x) * w`, but Div gets no Result.entries (only
    `*` and `@` products are split)."""
    model = _model([helper.make_node("Relu", ["x"], ["r"], name="r"),
                    helper.make_node("Div", ["r", "w"], ["y"], name="d")],
                   [_vec("x", 3)], [_vec("y", 3)], [_init("w", [1.0, -0.7, 3.0])])
    result = dcp.from_onnx(model).certify(wrt="x")
    assert result.entries, str(result)


# ---- cosmetic: the text the translation writes ----

def test_selu_with_gamma_one_writes_no_factor_one():
    """COSMETIC. Selu(alpha=3, gamma=1) is written `1 * elu(x, alpha=3)`."""
    model = _model([helper.make_node("Selu", ["x"], ["y"], name="s", alpha=3.0, gamma=1.0)],
                   [_vec("x", 3)], [_vec("y", 3)])
    assert translate(model).expression == "elu(x, alpha=3)"


def test_gemm_with_a_negative_beta_writes_a_subtraction():
    """COSMETIC. Gemm(beta=-3) is written `W.T @ x + -3 * b` (a negative number added
    is otherwise written as its subtraction: `W @ x - 0.5`)."""
    model = _model([helper.make_node("Gemm", ["x", "W", "b"], ["y"], name="g", beta=-3.0)],
                   [_vec("x", 3)], [_vec("y", 3)], [_init("W", np.eye(3)), _init("b", [1.0, 2.0, 3.0])])
    assert translate(model).expression == "W.T @ x - 3 * b"


# ---- 1. soundness: certifying in a weight ----

def _shared_scalar_weight(c):
    """y = (x * c) * (W1 @ x * c): the one-entry weight c read twice, once next to a
    vector of 3 (written as a number) and once next to a vector of 1 (named `c`)."""
    return _model([helper.make_node("Gemm", ["x", "W1"], ["g"], name="g", transB=1),
                   helper.make_node("Mul", ["x", "c"], ["a"], name="a"),
                   helper.make_node("Mul", ["g", "c"], ["b"], name="b"),
                   helper.make_node("Mul", ["a", "b"], ["y"], name="y")],
                  [_vec("x", 3)], [_vec("y", 3)], [_init("W1", [[1.0, 1.0, 1.0]]), _init("c", [c])])


def test_a_weight_written_once_as_a_number_and_once_by_name_is_one_variable():
    """UNSOUND (wrt a weight). The initializer c (shape [1]) is written `0.5` where it
    meets a vector of 3 and `c` where it meets a vector of 1, so `wrt="c"` makes only
    one of its two occurrences a variable: dcp certifies `x * 0.5 * (W1 @ x * c)[0]`
    AFFINE in c, but the model is 3 c^2 at x = [1, 1, 1] (f(0) = 0, f(1) = 3, f(2) = 12:
    not affine)."""
    at = [1.0, 1.0, 1.0]
    f = {c: _onnx(_shared_scalar_weight(c), at)[0] for c in (0.0, 1.0, 2.0)}
    assert f[1.0] < (f[0.0] + f[2.0]) / 2 - 1                     # convex in c, not affine
    result = dcp.from_onnx(_shared_scalar_weight(0.5)).certify(wrt="c")
    assert result.verdict not in ("affine", "concave"), str(result)


def test_wrt_a_one_entry_weight_is_not_said_to_be_absent():
    """BAD ERROR. Mul(x, c) with c of shape [1] is written `x * 0.5`: `wrt="c"` (a weight
    the model has, under its own name) gives "`c` in wrt does not appear in the
    expression". Either the weight stays a name, or the message says it was written as
    its value."""
    model = _model([helper.make_node("Mul", ["x", "c"], ["y"], name="m")],
                   [_vec("x", 3)], [_vec("y", 3)], [_init("c", [0.5])])
    try:
        result = dcp.from_onnx(model).certify(wrt="c")
    except dcp.DcpError as error:
        assert "does not appear in the expression" not in str(error), str(error)
    else:
        assert result.verdict == "affine"


# ---- 3. witnesses: a class-index label read as an arbitrary vector ----

def _nll_model():
    x = _vec("x", 3)
    label = helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"])
    loss = helper.make_tensor_value_info("loss", F, [])
    return _model([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="fc", transB=1),
                   helper.make_node("LogSoftmax", ["z"], ["lp"], name="ls", axis=1),
                   helper.make_node("NegativeLogLikelihoodLoss", ["lp", "label"], ["loss"], name="nll")],
                  [x, label], [loss],
                  [_init("W", [[1, -2, 0.5], [0.3, 1, -1], [2, 0, 1], [1, 1, 1]]),
                   _init("b", [0.1, -0.2, 0.3, 0])])


def test_nll_of_log_softmax_with_a_class_index_is_not_refuted_by_a_label_no_model_takes():
    """WRONG ANSWER / BAD WITNESS. NegativeLogLikelihoodLoss(LogSoftmax(W x + b), label)
    is -log_softmax(z)[label]: convex in x for every class index (the same model written
    with SoftmaxCrossEntropyLoss is certified convex). dcp reads the label as a one-hot
    vector but declares it an unconstrained parameter, so it answers NONCONVEX with a
    "proved" witness whose label is e.g. [-1.30, -1.94, -1.05, 1.15] — not a class
    index, not an input the model accepts. The label's vector must be constrained (>= 0,
    or one-hot) or the witness drawn among one-hot vectors."""
    model = _nll_model()
    result = dcp.from_onnx(model).certify(wrt="x")
    # The real model is convex in x for each class (a Jensen check on the reference
    # evaluator finds nothing):
    rng = np.random.default_rng(0)
    reference = ReferenceEvaluator(model)
    for _ in range(200):
        a, b, k = rng.normal(0, 3, 3), rng.normal(0, 3, 3), rng.integers(0, 4)
        f = [float(reference.run(None, {"x": np.asarray(p, np.float32)[None],
                                        "label": np.array([k], np.int64)})[0])
             for p in (a, b, (a + b) / 2)]
        assert f[2] <= (f[0] + f[1]) / 2 + 1e-4
    assert result.verdict == "convex", str(result)


# ---- 5. errors: more ----

def test_certify_given_a_path_says_how_to_read_a_model(tmp_path):
    """BAD ERROR. dcp.certify accepts a ModelProto; given the path of the same model
    (a pathlib.Path) it says "the expression must be a string such as 'relu(W @ x)', not
    PosixPath" and never mentions dcp.from_onnx (a str path is parsed as an expression:
    "unexpected character `.`")."""
    path = tmp_path / "m.onnx"
    onnx.save(_named_input_model("x"), str(path))
    try:
        result = dcp.certify(path, wrt="x")
    except dcp.DcpError as error:
        assert "from_onnx" in str(error) or "certify-model" in str(error), str(error)
    else:
        assert result.verdict == "convex"


def test_missing_external_data_is_not_called_not_an_onnx_model(tmp_path):
    """COSMETIC. A model saved with its weights in an external file, the file then
    missing, is reported as "'m.onnx' is not an ONNX model: Data of TensorProto ...": it
    is an ONNX model whose weights file is missing."""
    import os
    model = _model([helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transB=1)],
                   [_vec("x", 3)], [_vec("y", 200)], [_init("W", np.ones((200, 3)))])
    path = tmp_path / "m.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="m.data", size_threshold=0)
    os.remove(tmp_path / "m.data")
    with pytest.raises(dcp.DcpError) as error:
        translate(path)
    assert "is not an ONNX model" not in str(error.value), str(error.value)


def test_a_break_on_a_valued_weight_suggests_no_assumption_dcp_refuses():
    """COSMETIC. At a break on `W2 @ r` (W2 a weight given its values) the text says
    "fix: W2 >= 0 would make it convex; W2 <= 0 would make it concave"; following it,
    `assume="W2 >= 0"`, is refused ("`W2` is a constant given its values; an assumption
    on it cannot apply"). Result.hints is rightly empty; the fix line is not."""
    model = _model([helper.make_node("Relu", ["x"], ["r"], name="r"),
                    helper.make_node("Gemm", ["r", "W2"], ["y"], name="g", transB=1)],
                   [_vec("x", 3)], [_vec("y", 2)], [_init("W2", [[1.0, -0.5, 2.0], [1.0, 1.0, 1.0]])])
    session = dcp.from_onnx(model)
    result = session.certify(wrt="x", check=False)
    with pytest.raises(dcp.DcpError, match="constant given its values"):
        session.certify(wrt="x", assume="W2 >= 0", check=False)
    assert "W2 >= 0 would make it convex" not in result.explain(), result.explain()


@pytest.mark.parametrize("case", ["float8_initializer", "nan_clip_bound", "nan_leaky_alpha", "nan_initializer"])
def test_a_bad_number_in_the_model_names_where_it_is(case):
    """BAD ERROR. A number dcp cannot read is refused without saying where it is:
    "dcp reads tensors of numbers, not float8_e4m3fn" (which initializer?), "dcp cannot
    use the number nan from the model" (which node?), and a NaN weight is refused only
    by from_onnx/certify as "the values of `c` must be an array of numbers" (translate
    accepts it; the ONNX name is not given)."""
    x, y = _vec("x", 3), _vec("y", 3)
    if case == "float8_initializer":
        c = helper.make_tensor("c", TensorProto.FLOAT8E4M3FN, [3], [1.5, -2.0, 0.25])
        model = _model([helper.make_node("Mul", ["x", "c"], ["y"], name="m")],
                       [_vec("x", 3)], [_vec("y", 3)], [c], opset=19)
        expected = "c"
    elif case == "nan_clip_bound":
        model = _model([helper.make_node("Clip", ["x", "lo"], ["y"], name="clip")], [x], [y],
                       [_init("lo", float("nan"))])
        expected = "clip"
    elif case == "nan_leaky_alpha":
        model = _model([helper.make_node("LeakyRelu", ["x"], ["y"], name="lr", alpha=float("nan"))], [x], [y])
        expected = "lr"
    else:
        model = _model([helper.make_node("Mul", ["x", "w.0"], ["y"], name="m")], [x], [y],
                       [_init("w.0", [1.0, float("nan"), 2.0])])
        expected = "w.0"
    with pytest.raises(dcp.DcpError) as error:
        translate(model)
    assert f"`{expected}`" in str(error.value), str(error.value)


def test_an_onnx_name_that_is_a_dcp_name_keeps_it():
    """WRONG ANSWER. Inputs `a.b` and `a_b` (in that order): `a.b` becomes `a_b` and the
    input really called `a_b` becomes `a_b_2`. So `certify(wrt="a_b")` — the ONNX name,
    valid dcp as it is — silently certifies in the OTHER input: "convex: r + -a_b_2 wrt
    a_b", while y = relu(a.b) - a_b is affine in the input a_b. A name that is already a
    dcp name should keep it (or a clash be refused)."""
    model = _model([helper.make_node("Relu", ["a.b"], ["r"], name="r"),
                    helper.make_node("Neg", ["a_b"], ["n"], name="n"),
                    helper.make_node("Add", ["r", "n"], ["y"], name="s")],
                   [_vec("a.b", 3), _vec("a_b", 3)], [_vec("y", 3)])
    translation = translate(model)
    assert translation.origins.get("a_b") == "graph input a_b", translation.origins
    assert dcp.from_onnx(model).certify(wrt="a_b").verdict == "affine"


def test_adding_a_negation_writes_a_subtraction():
    """COSMETIC. Add(r, Neg(z)) is written `r + -z` (a negative number is written as a
    subtraction, a negation is not)."""
    model = _model([helper.make_node("Neg", ["x"], ["n"], name="n"),
                    helper.make_node("Relu", ["x"], ["r"], name="r"),
                    helper.make_node("Add", ["r", "n"], ["y"], name="s")],
                   [_vec("x", 3)], [_vec("y", 3)])
    assert translate(model).expression == "r - x"


def test_a_model_whose_shapes_disagree_is_refused_at_its_node():
    """BAD ERROR. x: [batch, 3] MatMul W: [4, 2] passes onnx.checker (no shape
    inference) and translate() writes `W.T @ x`; the user then gets dcp's ShapeError on
    text they never wrote, multi-line, with a caret, naming no ONNX node: "shapes cannot
    agree at `W.T @ x` (`W.T` is (2, 4), `x` is (3,))"."""
    model = _model([helper.make_node("MatMul", ["x", "W"], ["y"], name="mm")],
                   [_vec("x", 3)], [_vec("y", 2)], [_init("W", np.ones((4, 2)))])
    with pytest.raises(dcp.DcpError) as error:
        dcp.from_onnx(model).certify(wrt="x")
    assert "ONNX node `mm`" in str(error.value) and "\n" not in str(error.value), str(error.value)


@pytest.mark.parametrize("extra", ["string", "complex"])
def test_an_initializer_the_output_does_not_read_does_not_stop_the_translation(extra):
    """WRONG ANSWER (a valid model refused) / BAD ERROR. Every initializer is converted
    up front, so a string tensor the output never reads (a vocabulary, metadata) refuses
    the whole model with "dcp reads tensors of numbers, not object" (no name; `object`
    is numpy's word). Only what the output depends on should be read (as for nodes)."""
    tensor = helper.make_tensor("vocab", TensorProto.STRING, [2], [b"a", b"b"]) if extra == "string" \
        else helper.make_tensor("cplx", TensorProto.COMPLEX64, [1], [1 + 2j])
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="r")], [_vec("x", 3)], [_vec("y", 3)], [tensor])
    assert translate(model).expression == "relu(x)"


# ---- huge models ----

def test_a_wide_layer_of_mixed_signs_is_explained_in_reasonable_time_and_size():
    """HANG (time/memory) / COSMETIC. relu(W1 x + b) then W2 (600 x 600, mixed signs):
    certify takes < 1 s, but Result.explain() (what `dcp certify-model` prints by
    default) lists every negative entry of every row on ONE line: 5.3 MB of text in
    ~10 s at 600 x 600; 14.7 MB in ~49 s at 1000 x 1000; 61 MB in ~8 minutes at
    2000 x 2000 (superlinear). The per-entry list needs a cap ("... and N more")."""
    import time
    n = 600
    rng = np.random.default_rng(0)
    model = _model([helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="g1", transB=1),
                    helper.make_node("Relu", ["h"], ["r"], name="r1"),
                    helper.make_node("Gemm", ["r", "W2"], ["y"], name="g2", transB=1)],
                   [_vec("x", n)], [_vec("y", n)],
                   [_init("W", rng.normal(0, 1, (n, n))), _init("b", rng.normal(0, 1, n)),
                    _init("W2", rng.normal(0, 1, (n, n)))])
    result = dcp.from_onnx(model).certify(wrt="x", check=False)
    start = time.perf_counter()
    text = result.explain()
    seconds = time.perf_counter() - start
    assert seconds < 3 and len(text) < 200_000, f"{seconds:.1f} s, {len(text)} characters"


def test_gemm_6_with_broadcast_is_translated():
    """WRONG REFUSAL (low). Gemm at opset 6 marks a bias that broadcasts with
    `broadcast=1` (how a Linear layer's [n] bias was exported then); dcp refuses it:
    "dcp does not translate the attribute broadcast", though it is exactly the
    broadcasting dcp already does (`W.T @ x + b`)."""
    x, y = _vec("x", 3), _vec("y", 3)
    model = _model([helper.make_node("Gemm", ["x", "W", "b"], ["h"], name="g", broadcast=1),
                    helper.make_node("Relu", ["h"], ["y"], name="r")],
                   [x, helper.make_tensor_value_info("W", F, [3, 3]), helper.make_tensor_value_info("b", F, [3])],
                   [y], [_init("W", np.eye(3)), _init("b", [1, 2, 3])], ir=3, opset=6)
    assert translate(model).expression == "relu(W.T @ x + b)"
