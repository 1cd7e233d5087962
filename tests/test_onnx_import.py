"""ONNX models read as dcp text (dcp.models): every supported operator's fixture
(tests/fixtures/onnx, built by its build.py) is translated faithfully (its value agrees
with onnx's reference evaluator) and certifies as the same network written as text
(networks.json); what dcp cannot translate is a DcpError that says so."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import dcp  # noqa: E402
from dcp.check.evaluate import evaluate  # noqa: E402
from dcp.models import translate  # noqa: E402
from dcp.models.graph import Names, number  # noqa: E402
from dcp.models.operators import OPERATORS  # noqa: E402
from dcp.ops import FLOAT  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "onnx"
NETWORKS = {name: case for name, case in json.loads((FIXTURES / "networks.json").read_text()).items()
            if name != "_"}
MODELS = sorted(NETWORKS)


def path(name: str) -> Path:
    return FIXTURES / f"{name}.onnx"


def test_every_fixture_has_its_text_and_every_operator_a_fixture():
    files = {p.stem for p in FIXTURES.glob("*.onnx")} - {"conv"}
    assert files == set(NETWORKS)
    used = {node.op_type for name in MODELS for node in onnx.load(path(name)).graph.node}
    assert used == set(OPERATORS)


# ---- faithful: the translation computes what the model computes ----

def _samples(translation, model, rng, batch):
    """Random inputs for dcp (a batch of one-sample values) and the same samples as ONNX
    feeds, one per sample (with the batch axis of size 1 where the input has one)."""
    ranks = {i.name: len(i.type.tensor_type.shape.dim) for i in model.graph.input}
    values, feeds = {}, [{} for _ in range(batch)]
    for name, dims in translation.inputs.items():
        origin = translation.origins[name]
        onnx_name = origin.removeprefix("graph input ").split(" (")[0]
        if "one-hot" in origin:
            classes = rng.integers(0, dims[0], batch)
            values[name] = np.eye(dims[0])[classes]
            samples = classes.astype(np.int64)
        else:
            samples = rng.normal(0, 1.5, (batch,) + dims).astype(np.float32)
            values[name] = samples.astype(np.float64)
        for feed, sample in zip(feeds, samples):
            feed[onnx_name] = np.asarray(sample).reshape((1,) * (ranks[onnx_name] - np.ndim(sample))
                                                         + np.shape(sample))
    for name, array in translation.constants.items():
        values[name] = np.broadcast_to(array, (batch,) + array.shape)
    return values, feeds


def _assert_faithful(model) -> None:
    """The translation of ``model`` (a path or a ModelProto), evaluated by dcp at random
    inputs, equals onnx's reference evaluation of the model, one sample at a time."""
    translation = translate(model)
    session = dcp.Session()
    for constant, array in translation.constants.items():
        session.declare_shape(constant, array.shape)
    for given, dims in translation.inputs.items():
        session.declare_shape(given, dims)
    for bound, expr in translation.bindings:
        session.bind(bound, expr)
    first = next(iter(translation.inputs))
    proof = session.certify(translation.expression, wrt=first, check=False).proof
    batch = 16
    loaded = onnx.load(model) if isinstance(model, Path) else model
    values, feeds = _samples(translation, loaded, np.random.default_rng(0), batch)
    ours, valid = evaluate(proof, values, FLOAT, batch)
    reference = ReferenceEvaluator(loaded)
    theirs = np.array([reference.run(None, feed)[0].reshape(-1) for feed in feeds])
    assert valid.all()
    np.testing.assert_allclose(np.asarray(ours, dtype=float).reshape(batch, -1), theirs,
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", MODELS)
def test_translation_computes_what_the_model_computes(name):
    _assert_faithful(path(name))


TORCH = sorted(p.stem for p in (FIXTURES / "torch").glob("*.onnx"))


@pytest.mark.parametrize("name", TORCH)
def test_pytorch_exports_translate_faithfully(name):
    _assert_faithful(FIXTURES / "torch" / f"{name}.onnx")


def test_a_pytorch_icnn_reads_like_its_module():
    """Linear layers with bias are Gemms, without bias MatMuls by a pre-transposed weight
    the exporter named itself (named here after its node)."""
    translation = translate(FIXTURES / "torch" / "icnn.onnx")
    assert translation.bindings[1] == (
        "act2_Relu", "relu(wz1_weight @ act1_Relu + wz1_bias + wy1_MatMul.T @ y)")
    assert translation.expression == "wz3_weight @ act3_Relu + wz3_bias + wy3_MatMul.T @ y"
    assert translation.origins["wy1_MatMul"] == \
        "initializer onnx::MatMul_28, read by ONNX node /wy1/MatMul (MatMul)"
    soft = translate(FIXTURES / "torch" / "mlp_ce.onnx")
    assert (soft.bindings[-1], soft.expression) == (
        ("LogSoftmax", "log_softmax(fc2_weight @ Relu + fc2_bias)"), "-sum(y * LogSoftmax)")
    assert translate(FIXTURES / "torch" / "mlp_ce_index.onnx").expression == \
        "cross_entropy(fc2_weight @ Relu + fc2_bias, label)"


# ---- the same verdict as the network written as text ----

def _hand_session(name: str) -> dcp.Session:
    """The network of ``name`` written as text (networks.json), its constants the
    values of the file's tensors."""
    case = NETWORKS[name]
    model = onnx.load(path(name))
    tensors = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    tensors.update({node.output[0]: numpy_helper.to_array(node.attribute[0].t)
                    for node in model.graph.node if node.op_type == "Constant"})
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(t for _, t in case["bindings"])
                           + " " + case["expression"]))
    session = dcp.Session()
    for onnx_name, array in tensors.items():
        dcp_name = onnx_name.replace(".", "_")
        if dcp_name in words:
            shape = case.get("reshape", {}).get(dcp_name)
            values = array.astype(np.float64)
            session.constant(dcp_name, values.reshape(shape) if shape else values)
    for given, dims in case.get("shapes", {"x": [3]}).items():
        session.declare_shape(given, tuple(dims))
    for bound, expr in case["bindings"]:
        session.bind(bound, expr)
    session.assume(*case.get("assume", []))
    session.expression = case["expression"]
    return session


CASES = [(name, tuple(wrt)) for name in MODELS for wrt in NETWORKS[name].get("wrt", [["x"], ["W1"]])]


@pytest.mark.parametrize("name, wrt", CASES, ids=[f"{n}-{','.join(w)}" for n, w in CASES])
def test_certified_verdict_agrees_with_the_text(name, wrt):
    case = NETWORKS[name]
    model = dcp.from_onnx(path(name)).certify(wrt=list(wrt))
    text = _hand_session(name).certify(wrt=list(wrt))
    assert (model.verdict, model.is_convex, model.is_concave) == \
        (text.verdict, text.is_convex, text.is_concave)


# ---- what the translation reads like ----

def test_icnn_reads_like_the_network():
    translation = translate(path("icnn"))
    assert translation.bindings == (
        ("act1_Relu", "relu(Wy0 @ y + b0)"),
        ("act2_Relu", "relu(Wz1 @ act1_Relu + b1 + Wy1 @ y)"),
        ("act3_Relu", "relu(Wz2 @ act2_Relu + b2 + Wy2 @ y)"))
    assert translation.expression == "Wz3 @ act3_Relu + b3 + Wy3 @ y"
    assert translation.inputs == {"y": (3,)}
    assert translation.origins["act2_Relu"] == "ONNX node /act2/Relu (Relu)"
    assert translation.origins["Wz1"] == "initializer Wz1, read by ONNX node /wz1/Gemm (Gemm)"
    assert translation.origins["y"] == "graph input y"
    assert translation.constants["Wz1"].dtype == np.float64


def test_a_class_index_is_read_as_a_one_hot_vector():
    translation = translate(path("mlp_ce"))
    assert translation.bindings == (("Relu", "relu(fc1_weight @ x + fc1_bias)"),)
    assert translation.expression == "cross_entropy(fc2_weight @ Relu + fc2_bias, label)"
    assert translation.inputs == {"x": (3,), "label": (4,)}
    assert translation.origins["label"] == \
        "graph input label (a class index, read as a one-hot vector)"


def test_the_operator_reference_comes_from_the_table():
    from dcp.generated_docs import onnx_markdown
    rows = re.findall(r"^\| ([A-Za-z, ]+) \|", onnx_markdown(), flags=re.MULTILINE)
    assert sorted(op for row in rows[1:] for op in row.split(", ")) == sorted(OPERATORS)
    assert "<!-- dcp:onnx -->" in (Path(__file__).parent.parent / "docs" / "pages" / "reference"
                                   / "onnx.md").read_text()


def test_numbers_are_written_exactly():
    from decimal import Decimal
    for x in (0.5, 2.0, -3.0, 1e-30, float(np.float32(0.1)), 1e20, -0.0):
        assert Decimal(number(x).text) == Decimal(x)
    assert number(float(np.float32(0.1))).text == "0.100000001490116119384765625"
    assert number(0.25).text == "0.25" and number(-2.0).text == "-2"


def test_names_are_sanitised_deterministically():
    names = Names(frozenset({"relu", "wrt"}))
    assert [names.new(n) for n in ("fc1.weight", "/layer1/Relu_output_0", "onnx::MatMul_28",
                                   "relu", "wrt", "1x", "fc1.weight", "fc1/weight", "::")] == \
        ["fc1_weight", "layer1_Relu", "MatMul_28", "relu_", "wrt_", "t1x", "fc1_weight_2",
         "fc1_weight_3", "t"]


def test_import_dcp_does_not_import_onnx_or_numpy():
    code = ("import sys, dcp; dcp.certify('relu(x)', wrt='x', check=False); "
            "print(sorted(m for m in ('onnx', 'numpy') if m in sys.modules)); "
            "print(callable(dcp.from_onnx))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent).stdout
    assert out.split("\n")[:2] == ["[]", "True"]


# ---- refused, with a message that says why ----

def test_an_unsupported_operator_is_named_with_the_supported_list():
    with pytest.raises(dcp.DcpError) as error:
        translate(path("conv"))
    assert str(error.value) == (
        "ONNX node `/conv1/Conv` is a Conv, which dcp cannot translate; supported: Abs, Add, "
        "Celu, Clip, Concat, Constant, Div, Elu, Erf, Exp, Flatten, Gelu, Gemm, HardSigmoid, "
        "Identity, LeakyRelu, Log, LogSoftmax, MatMul, Max, Min, Mul, Neg, "
        "NegativeLogLikelihoodLoss, Pow, ReduceLogSumExp, ReduceMax, ReduceMean, ReduceSum, "
        "Relu, Reshape, Selu, Sigmoid, Softmax, SoftmaxCrossEntropyLoss, Softplus, Softsign, "
        "Sqrt, Sub, Tanh, Transpose")


def test_bad_files_and_objects(tmp_path):
    with pytest.raises(dcp.DcpError, match=r"^no ONNX model at '.*missing.onnx': the file does not exist$"):
        translate(tmp_path / "missing.onnx")
    corrupt = tmp_path / "corrupt.onnx"
    corrupt.write_bytes(b"\x00\xffnot a model at all")
    with pytest.raises(dcp.DcpError, match=r"^'.*corrupt.onnx' is not an ONNX model: "):
        translate(corrupt)
    with pytest.raises(dcp.DcpError, match="^from_onnx reads an onnx.ModelProto or a path to a "
                                           ".onnx file, not a int$"):
        translate(42)
    with pytest.raises(dcp.DcpError, match="^the ONNX model is not valid: "):
        translate(onnx.ModelProto())


def _model(nodes, inputs, outputs, initializers=(), opset=18):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    return model


def _vector(name, n, batch="batch"):
    return helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, [batch, n])


def _refused(model, message):
    with pytest.raises(dcp.DcpError) as error:
        translate(model)
    assert str(error.value) == message


def test_what_would_mix_samples_is_refused():
    x, y = _vector("x", 3), _vector("y", 3)
    _refused(_model([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=0)], [x], [y]),
             "ONNX node `sm` (Softmax): axis=0 is not the feature axis; dcp reads one sample as a vector")
    _refused(_model([helper.make_node("Relu", ["x"], ["y"], name="r")], [_vector("x", 3, 5)], [y]),
             "graph input `x` has shape [5, 3]: a batch of 5 samples (dcp reads one sample: a batch "
             "axis of symbolic size or 1)")
    shape = numpy_helper.from_array(np.array([3, 1], dtype=np.int64), "s")
    _refused(_model([helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")], [_vector("x", 3, 1)],
                    [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [3, 1])], [shape]),
             "ONNX node `rs` (Reshape): shape [3, 1] makes one sample a matrix; dcp translates "
             "Reshape only when each sample stays the same vector")
    w = numpy_helper.from_array(np.ones((3, 3), dtype=np.float32), "W")
    _refused(_model([helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transA=1)], [x], [y], [w]),
             "ONNX node `g` (Gemm): transA=1 multiplies across the batch axis, which would mix samples")


def test_several_outputs_need_a_choice():
    x = _vector("x", 3)
    model = _model([helper.make_node("Relu", ["x"], ["a"], name="r"),
                    helper.make_node("Exp", ["x"], ["b"], name="e")], [x], [_vector("a", 3), _vector("b", 3)])
    _refused(model, "the model has 2 outputs (a, b); say which to certify with output='a'")
    assert translate(model, output="b").expression == "exp(x)"
    with pytest.raises(dcp.DcpError, match=r"^the model has no output `c`; its outputs: a, b$"):
        translate(model, output="c")


def test_the_command_line_chooses_an_output(tmp_path, capsys):
    from dcp.cli import main
    x = _vector("x", 3)
    model = _model([helper.make_node("Relu", ["x"], ["a"], name="r"),
                    helper.make_node("Exp", ["x"], ["b"], name="e")], [x], [_vector("a", 3), _vector("b", 3)])
    path = tmp_path / "two.onnx"
    onnx.save(model, path)
    assert main(["certify-model", str(path), "--wrt", "x", "--no-check"]) == 2
    assert "say which to certify with --output a" in capsys.readouterr().err
    assert main(["certify-model", str(path), "--wrt", "x", "--output", "b", "--no-check"]) == 0
    assert "exp(x)  wrt x" in capsys.readouterr().out


def test_a_clip_that_is_a_constant_is_refused():
    lo = numpy_helper.from_array(np.array(1, dtype=np.float32), "lo")
    model = _model([helper.make_node("Clip", ["x", "lo", "lo"], ["y"], name="c")], [_vector("x", 3)],
                   [_vector("y", 3)], [lo])
    _refused(model, "ONNX node `c` (Clip): Clip with min 1.0 >= max 1.0 is a constant; dcp does "
                    "not translate it")


def _weights(name, shape, seed=0):
    return numpy_helper.from_array(
        np.round(np.random.default_rng(seed).normal(0, 0.5, shape), 2).astype(np.float32), name)


def _ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def test_shapes_of_one_sample_read_faithfully():
    """Inputs without a batch axis, reductions that keep their axis next to vectors,
    reshapes that keep the sample, a batch reduction that is the identity."""
    f = onnx.TensorProto.FLOAT
    x = _vector("x", 3)
    cases = {
        # [n] input, a matrix times it: W @ x
        "relu(W @ u)": _model(
            [helper.make_node("MatMul", ["W", "u"], ["m"], name="mm"), helper.make_node("Relu", ["m"], ["y"], name="r")],
            [helper.make_tensor_value_info("u", f, [3])], [helper.make_tensor_value_info("y", f, [4])],
            [_weights("W", (4, 3))]),
        # a stable softmax written out: the kept axis broadcasts as a scalar
        "exp(x - m)": _model(   # m = max(x)
            [helper.make_node("ReduceMax", ["x", "a"], ["m"], name="rm"), helper.make_node("Sub", ["x", "m"], ["d"], name="s"),
             helper.make_node("Exp", ["d"], ["y"], name="e")], [x], [_vector("y", 3)], [_ints("a", [1])]),
        # Reshape [0, -1] and [-1], Flatten axis 0: the same vector
        "x": _model(
            [helper.make_node("Reshape", ["x", "s1"], ["r1"], name="r1"),
             helper.make_node("Flatten", ["r1"], ["r2"], name="f", axis=0),
             helper.make_node("Reshape", ["r2", "s2"], ["y"], name="r2")],
            [_vector("x", 3, 1)], [helper.make_tensor_value_info("y", f, [3])], [_ints("s1", [0, -1]), _ints("s2", [-1])]),
        # a mean over the batch axis of one sample: the sample (times a weight of one entry)
        "x * two": _model(
            [helper.make_node("ReduceMean", ["x", "a"], ["m"], name="rm", keepdims=0),
             helper.make_node("Mul", ["m", "two"], ["y"], name="mul")],
            [x], [helper.make_tensor_value_info("y", f, [3])],
            [_ints("a", [0]), numpy_helper.from_array(np.array([2], dtype=np.float32), "two")]),
        # a batch of vectors times a constant vector: one number per sample
        "dot(w, x)": _model(
            [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")],
            [x], [helper.make_tensor_value_info("y", f, ["batch"])], [_weights("w", (3,))]),
        # a one-row layer's output (a vector of 1) added to a vector
        "(w @ x + c)[0] + x": _model(
            [helper.make_node("Gemm", ["x", "w", "c"], ["g"], name="g", transB=1),
             helper.make_node("Add", ["g", "x"], ["y"], name="add")],
            [x], [_vector("y", 3)], [_weights("w", (1, 3)), _weights("c", (1,), 1)]),
    }
    for expression, model in cases.items():
        assert translate(model).expression == expression
        _assert_faithful(model)


def test_what_dcp_cannot_read_exactly_is_refused():
    f = onnx.TensorProto.FLOAT
    x = _vector("x", 3)
    label = helper.make_tensor_value_info("k", onnx.TensorProto.INT64, ["batch"])
    _refused(_model([helper.make_node("Cast", ["k"], ["c"], name="cast", to=f),
                     helper.make_node("Add", ["x", "c"], ["y"], name="a")], [x, label], [_vector("y", 3)]),
             "ONNX node `cast` is a Cast, which dcp cannot translate; supported: "
             + ", ".join(sorted(OPERATORS)))
    _refused(_model([helper.make_node("Relu", ["k"], ["y"], name="r")], [label],
                    [helper.make_tensor_value_info("y", onnx.TensorProto.INT64, ["batch"])]),
             "ONNX node `r` (Relu): input 0 is a class-index input; dcp translates this operator "
             "on an activation only")
    two = numpy_helper.from_array(np.array(2, dtype=np.float32), "two")
    _refused(_model([helper.make_node("Mul", ["two", "two"], ["t"], name="m"),
                     helper.make_node("Add", ["x", "t"], ["y"], name="a")], [x], [_vector("y", 3)], [two]),
             "ONNX node `m` (Mul): both operands are constants; export with constant folding "
             "(torch.onnx.export(..., do_constant_folding=True))")
    _refused(_model([helper.make_node("MatMul", ["x", "x"], ["y"], name="mm")], [_vector("x", 3, 3)],
                    [helper.make_tensor_value_info("y", f, [3, 3])]),
             "graph input `x` has shape [3, 3]: a batch of 3 samples (dcp reads one sample: a batch "
             "axis of symbolic size or 1)")
    _refused(_model([helper.make_node("MatMul", ["x", "x"], ["y"], name="mm")], [helper.make_tensor_value_info("x", f, [3])],
                    [helper.make_tensor_value_info("y", f, [])]),
             "ONNX node `mm` (MatMul): dcp translates a product of an activation and a constant "
             "matrix only")
    _refused(_model([helper.make_node("Relu", ["x"], ["y"], name="r")],
                    [helper.make_tensor_value_info("x", f, [1, 2, 3])], [helper.make_tensor_value_info("y", f, [1, 2, 3])]),
             "graph input `x` has shape [1, 2, 3]; dcp reads one sample as a vector of known length: "
             "[batch, n], [n] or []")
    _refused(_model([helper.make_node("Gelu", ["x"], ["y"], name="g", approximate="erf")], [x], [_vector("y", 3)], opset=20),
             "ONNX node `g` (Gelu): approximate='erf' is not one of 'none', 'tanh'")


def test_an_attribute_no_entry_reads_is_found():
    """The guard against attributes a newer opset adds (the checker of this onnx refuses
    unknown ones, so the guard is seen on a node made by hand)."""
    from dcp.models.graph import Graph, Node, Value
    proto = helper.make_node("Relu", ["x"], ["y"], name="r", beta=2.0)
    node = Node(proto, [Value("x", 5, (3,), True)], 18)
    assert OPERATORS["Relu"](node, Graph(Names(frozenset()))).text == "relu(x)"
    assert node.unread() == ["beta"]


def test_from_onnx_builds_a_session_of_the_translation():
    translation = translate(path("icnn_negative"))
    session = dcp.from_onnx(path("icnn_negative"))
    assert session.expression == translation.expression
    assert session.origins == translation.origins
    assert list(session.bindings) == [name for name, _ in translation.bindings]
    assert set(session.constants) == set(translation.constants)
    assert session.shapes["y"] == (3,) and session.shapes["Wz1"] == (4, 4)
    # The symbolic mode: every network of the architecture and sign pattern.
    assert dcp.from_onnx(path("icnn"), symbolic=True).certify(wrt="y", check=False).verdict == "convex"
    assert dcp.from_onnx(path("icnn_negative"), symbolic=True).certify(wrt="y", check=False).verdict \
        == "unknown"


_UNARY = [("Relu", {}), ("Tanh", {}), ("Sigmoid", {}), ("Abs", {}), ("Neg", {}), ("Softplus", {}),
          ("LeakyRelu", {"alpha": 0.3}), ("Elu", {"alpha": 0.7}), ("Softsign", {}), ("Erf", {})]
_BINARY = ["Add", "Sub", "Mul", "Div", "Max", "Min"]


def _random_network(seed: int):
    """A random graph of elementwise operators over x -> Gemm: each node reads earlier
    values (or a constant, on either side), so texts nest, share and mix precedence."""
    rng = np.random.default_rng(seed)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["v0"], name="/fc/Gemm", transB=1)]
    initializers = [_weights("W", (4, 3), seed), _weights("b", (4,), seed + 1)]
    for k in range(1, 7):
        earlier = [f"v{i}" for i in range(k)]
        if rng.random() < 0.4:
            op, attributes = _UNARY[rng.integers(len(_UNARY))]
            nodes.append(helper.make_node(op, [rng.choice(earlier)], [f"v{k}"], name=f"/n{k}/{op}", **attributes))
            continue
        op = _BINARY[rng.integers(len(_BINARY))]
        a, b = rng.choice(earlier), rng.choice(earlier)
        if rng.random() < 0.5 and op != "Div":
            constant = f"c{k}"
            shape = [(), (1,), (4,), (1, 4)][rng.integers(4)]
            initializers.append(numpy_helper.from_array(
                np.round(rng.uniform(0.5, 2, shape), 2).astype(np.float32), constant))
            a, b = (constant, b) if rng.random() < 0.5 else (a, constant)
        if op == "Div":                     # by a positive quantity
            nodes.append(helper.make_node("Exp", [b], [f"e{k}"], name=f"/e{k}/Exp"))
            b = f"e{k}"
        nodes.append(helper.make_node(op, [a, b], [f"v{k}"], name=f"/n{k}/{op}"))
    return _model(nodes, [_vector("x", 3)], [_vector("v6", 4)], initializers)


@pytest.mark.parametrize("seed", range(30))
def test_random_graphs_translate_faithfully(seed):
    _assert_faithful(_random_network(seed))


def test_only_what_the_output_depends_on_is_read():
    """Logits beside their ArgMax: dcp reads the logits' branch alone."""
    x = _vector("x", 3)
    model = _model([helper.make_node("Relu", ["x"], ["logits"], name="r"),
                    helper.make_node("Exp", ["logits"], ["unused"], name="e"),
                    helper.make_node("ArgMax", ["logits"], ["k"], name="am", axis=1)],
                   [x], [_vector("logits", 3), helper.make_tensor_value_info("k", onnx.TensorProto.INT64, ["batch", 1])])
    translation = translate(model, output="logits")
    assert (translation.bindings, translation.expression) == ((), "relu(x)")
    with pytest.raises(dcp.DcpError, match="^ONNX node `am` is an ArgMax, which dcp cannot translate"):
        translate(model, output="k")


# ---- a weight of one entry, names, labels ----

def _init(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.float32), name)


def _at(model, x):
    """dcp's value of the translation of ``model`` at one sample ``x`` of its input
    `x`, and onnx's (float32, as ONNX runs it), both flat float64."""
    translation = translate(model)
    session = dcp.Session()
    for name, array in {**translation.constants, **translation.inputs}.items():
        session.declare_shape(name, np.shape(array) if name in translation.constants else array)
    for bound, text in translation.bindings:
        session.bind(bound, text)
    proof = session.certify(translation.expression, wrt="x", check=False).proof
    values = {"x": np.asarray(x, dtype=float)[None]}
    values.update({c: a[None] for c, a in translation.constants.items()})
    with np.errstate(all="ignore"):
        ours, _ = evaluate(proof, values, FLOAT, 1)
        theirs = ReferenceEvaluator(model).run(None, {"x": np.asarray(x, np.float32)[None]})[0]
    return np.asarray(ours, dtype=float).reshape(-1), np.asarray(theirs, dtype=float).reshape(-1)


def _shared_weight(c, shape=(1,)):
    """y = (x * c) * (W1 @ x * c): the weight c meets a vector of 3 and a vector of 1."""
    return _model([helper.make_node("Gemm", ["x", "W1"], ["g"], name="g", transB=1),
                   helper.make_node("Mul", ["x", "c"], ["a"], name="a"),
                   helper.make_node("Mul", ["g", "c"], ["b"], name="b"),
                   helper.make_node("Mul", ["a", "b"], ["y"], name="y")],
                  [_vector("x", 3)], [_vector("y", 3)], [_init("W1", [[1.0, 1.0, 1.0]]), _init("c", np.full(shape, c))])


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
def test_a_weight_of_one_entry_is_one_scalar_name(shape):
    """Wherever it is used: one variable for wrt (the model is 3 c^2 at x = 1, not
    affine in c), its sign in the symbolic mode."""
    model = _shared_weight(0.5, shape)
    translation = translate(model)
    assert translation.expression == "x * c * (W1 @ x * c)[0]"
    assert translation.constants["c"].shape == ()
    _assert_faithful(model)
    assert dcp.from_onnx(model).certify(wrt="c", check=False).verdict == "unknown"
    single = _model([helper.make_node("Mul", ["x", "c"], ["y"], name="m")], [_vector("x", 3)],
                    [_vector("y", 3)], [_init("c", np.full(shape, 0.5))])
    assert dcp.from_onnx(single).certify(wrt="c").verdict == "affine"
    # hardtanh(sqrt(x) - 0.5) is concave; with c = -2 (the same sign) it is not.
    clipped = _model([helper.make_node("Sqrt", ["x"], ["s"], name="s"),
                      helper.make_node("Add", ["s", "c"], ["a"], name="a"),
                      helper.make_node("Clip", ["a", "lo", "hi"], ["y"], name="clip")],
                     [_vector("x", 3)], [_vector("y", 3)],
                     [_init("c", np.full(shape, -0.5)), _init("lo", -1.0), _init("hi", 1.0)])
    assert dcp.from_onnx(clipped).certify(wrt="x", check=False).verdict == "concave"
    assert dcp.from_onnx(clipped, symbolic=True).certify(wrt="x", check=False).verdict == "quasiconcave"


def test_a_weight_of_one_entry_multiplies_a_vector_of_one():
    u = _vector("x", 1)
    gemm = _model([helper.make_node("Gemm", ["x", "W"], ["g"], name="g", transB=1),
                   helper.make_node("Mul", ["g", "W"], ["y"], name="m")], [u], [_vector("y", 1)],
                  [_init("W", [[2.0]])])
    dot = _model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [u],
                 [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["batch"])], [_init("w", [2.0])])
    assert (translate(gemm).expression, translate(dot).expression) == ("W * x * W", "w * x[0]")
    _assert_faithful(gemm)
    _assert_faithful(dot)


def test_an_onnx_name_that_is_a_dcp_name_keeps_it():
    """`a.b` is renamed, but not to `a_b`: another input has that name as its own."""
    model = _model([helper.make_node("Relu", ["a.b"], ["r"], name="r"),
                    helper.make_node("Neg", ["a_b"], ["n"], name="n"),
                    helper.make_node("Add", ["r", "n"], ["y"], name="s")],
                   [_vector("a.b", 3), _vector("a_b", 3)], [_vector("y", 3)])
    translation = translate(model)
    assert (translation.bindings, translation.expression) == ((("r", "relu(a_b_2)"),), "r - a_b")
    assert translation.renamed == {"a.b": "a_b_2"}
    assert translation.origins["a_b"] == "graph input a_b"
    assert dcp.from_onnx(model).certify(wrt="a_b").verdict == "affine"
    names = Names(frozenset({"relu"}), frozenset({"x", "x_2", "relu", "fc1.weight"}))
    assert [names.new(n) for n in ("x.1", "x", "fc1.weight", "relu", "x")] == \
        ["x_1", "x", "fc1_weight", "relu_", "x_3"]


def test_a_label_is_a_vector_in_the_unit_box():
    """NLL of log-softmax is convex in the logits for every nonnegative label: no
    witness with a label no model takes."""
    f = onnx.TensorProto.FLOAT
    model = _model([helper.make_node("Gemm", ["x", "W", "b"], ["z"], name="fc", transB=1),
                    helper.make_node("LogSoftmax", ["z"], ["lp"], name="ls", axis=1),
                    helper.make_node("NegativeLogLikelihoodLoss", ["lp", "label"], ["loss"], name="nll")],
                   [_vector("x", 3), helper.make_tensor_value_info("label", onnx.TensorProto.INT64, ["batch"])],
                   [helper.make_tensor_value_info("loss", f, [])],
                   [_init("W", [[1, -2, 0.5], [0.3, 1, -1], [2, 0, 1], [1, 1, 1]]), _init("b", [0.1, -0.2, 0.3, 0])])
    assert translate(model).labels == ("label",)
    result = dcp.from_onnx(model).certify(wrt="x")
    assert (result.verdict, result.assumptions) == ("convex", ("0 <= label <= 1",))


@pytest.mark.parametrize("p", [-1.0, -2.0, -3.0, 2.0, 0.5, -0.5])
def test_pow_is_the_model_below_zero(p):
    """ONNX's Pow of a negative number by an integer is defined (`1 / x ^ k`); by a
    fraction it is NaN, and outside dcp's domain."""
    model = _model([helper.make_node("Pow", ["x", "p"], ["y"], name="pw")], [_vector("x", 3)],
                   [_vector("y", 3)], [_init("p", p)])
    expected = {-1.0: "1 / x", -2.0: "1 / x ^ 2", -3.0: "1 / x ^ 3"}.get(p, f"x ^ {number(p).text}")
    assert translate(model).expression == expected
    ours, theirs = _at(model, [-2.0, 1.0, 0.5])
    if p == int(p):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    else:
        assert np.isnan(theirs[0]) and np.isfinite(theirs[1:]).all()
        assert not np.isfinite(ours[0])
        np.testing.assert_allclose(ours[1:], theirs[1:], rtol=1e-6)


# ---- errors at the node ----

def test_errors_name_the_node():
    x, y = _vector("x", 3), _vector("y", 3)
    f = onnx.TensorProto.FLOAT
    node = helper.make_node
    cases = [
        (_model([node("HardSigmoid", ["x"], ["y"], name="act", alpha=-0.5)], [x], [y]),
         "ONNX node `act` (HardSigmoid): hard_sigmoid needs a finite alpha > 0 and a finite beta, "
         "got alpha=-0.5, beta=0.5"),
        (_model([node("Celu", ["x"], ["y"], name="act", alpha=-1.0)], [x], [y]),
         "ONNX node `act` (Celu): celu needs a finite alpha > 0, got alpha=-1"),
        (_model([node("Relu", ["x"], ["r"], name="r"), node("Div", ["r", "c"], ["y"], name="d")], [x], [y],
                [_init("c", 0.0)]),
         "ONNX node `d` (Div): divides by 0 (the model's value is inf or NaN there)"),
        (_model([node("MatMul", ["x", "W"], ["y"], name="mm")], [x], [_vector("y", 2)], [_init("W", np.ones((4, 2)))]),
         "ONNX node `mm` (MatMul): a matrix of shape [2, 4] cannot multiply a vector of 3 (one sample)"),
        (_model([node("MatMul", ["x", "w"], ["y"], name="mm")], [x], [helper.make_tensor_value_info("y", f, ["batch"])],
                [_init("w", np.ones(4))]),
         "ONNX node `mm` (MatMul): a vector of 4 cannot multiply a vector of 3 (one sample)"),
        (_model([node("Mul", ["x", "c"], ["y"], name="m")], [x], [y],
                [helper.make_tensor("c", onnx.TensorProto.FLOAT8E4M3FN, [3], [1.5, -2.0, 0.25])], opset=19),
         "ONNX node `m` (Mul): initializer `c` holds float8_e4m3fn values; dcp reads tensors of real "
         "numbers (float16 to float64, bfloat16, integers)"),
        (_model([node("Mul", ["x", "s"], ["y"], name="m")], [x], [y],
                [helper.make_tensor("s", onnx.TensorProto.STRING, [1], [b"a"])]),
         "ONNX node `m` (Mul): initializer `s` holds strings; dcp reads tensors of real numbers "
         "(float16 to float64, bfloat16, integers)"),
        (_model([node("Clip", ["x", "lo"], ["y"], name="clip")], [x], [y], [_init("lo", float("nan"))]),
         "ONNX node `clip` (Clip): initializer `lo` holds nan; dcp reads finite numbers"),
        (_model([node("Mul", ["x", "w.0"], ["y"], name="m")], [x], [y], [_init("w.0", [1.0, float("inf"), 2.0])]),
         "ONNX node `m` (Mul): initializer `w.0` holds inf; dcp reads finite numbers"),
        (_model([node("LeakyRelu", ["x"], ["y"], name="lr", alpha=float("nan"))], [x], [y]),
         "ONNX node `lr` (LeakyRelu): the attribute alpha is nan; dcp reads finite numbers"),
    ]
    for model, message in cases:
        _refused(model, message)


@pytest.mark.parametrize("kind", [onnx.TensorProto.STRING, onnx.TensorProto.COMPLEX64])
def test_an_initializer_the_output_does_not_read_is_not_read(kind):
    extra = helper.make_tensor("extra", kind, [1], [b"a"] if kind == onnx.TensorProto.STRING else [1 + 2j])
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="r")], [_vector("x", 3)], [_vector("y", 3)], [extra])
    assert translate(model).expression == "relu(x)"


def test_gemm_at_opset_6_broadcasts_with_broadcast_1():
    f = onnx.TensorProto.FLOAT

    def gemm(**attributes):
        model = _model([helper.make_node("Gemm", ["x", "W", "b"], ["y"], name="g", **attributes)],
                       [_vector("x", 3), helper.make_tensor_value_info("W", f, [3, 3]),
                        helper.make_tensor_value_info("b", f, [3])], [_vector("y", 3)],
                       [_init("W", np.eye(3)), _init("b", [1, 2, 3])], opset=6)
        model.ir_version = 3
        return model
    assert translate(gemm(broadcast=1)).expression == "W.T @ x + b"
    _refused(gemm(), "ONNX node `g` (Gemm): a bias of rank 1 without broadcast=1 is not valid at this opset")


def test_files_that_are_not_models(tmp_path):
    folder = tmp_path / "model.onnx"
    folder.mkdir()
    with pytest.raises(dcp.DcpError, match=r"^'.*model.onnx' is a directory, not an ONNX file$"):
        translate(folder)
    model = _model([helper.make_node("Gemm", ["x", "W"], ["y"], name="g", transB=1)], [_vector("x", 3)],
                   [_vector("y", 2)], [_init("W", np.ones((2, 3)))])
    onnx.save_model(model, str(tmp_path / "m.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="m.data", size_threshold=0)
    assert translate(tmp_path / "m.onnx").expression == "W @ x"
    (tmp_path / "m.data").unlink()
    with pytest.raises(dcp.DcpError, match=r"^the weights of '.*m.onnx' are stored in an external "
                                           r"file that cannot be read: "):
        translate(tmp_path / "m.onnx")
    for given in (tmp_path / "m.onnx", "m.onnx"):
        with pytest.raises(dcp.DcpError) as error:
            dcp.certify(given, wrt="x")
        assert str(error.value) == (
            f"certify reads an expression or a loaded model, not a path: read the file with "
            f"dcp.from_onnx({str(given)!r}).certify(wrt=...) (on the command line: dcp certify-model)")


def test_wrt_by_an_onnx_name_and_an_unknown_wrt(tmp_path, capsys):
    from dcp.cli import main
    model = _model([helper.make_node("Relu", ["x.1"], ["r"], name="r"),
                    helper.make_node("Gemm", ["r", "W"], ["out"], name="g", transB=1)],
                   [_vector("x.1", 3)], [_vector("out", 3)], [_init("W", np.eye(3))])
    assert dcp.from_onnx(model).certify(wrt="x.1", check=False).wrt == ("x_1",)
    onnx.save(model, tmp_path / "m.onnx")
    assert main(["certify-model", str(tmp_path / "m.onnx"), "--wrt", "x.1", "--no-check"]) == 0
    assert capsys.readouterr().out.startswith("W @ r  wrt x_1\n")
    assert main(["certify-model", str(tmp_path / "m.onnx"), "--wrt", "nothere"]) == 2
    assert capsys.readouterr().err == ("error: `nothere` in --wrt is not an input or a weight of the "
                                       "model; its inputs: `x_1`; its weights: `W`\n")


def test_the_text_writes_no_factor_one_and_subtractions():
    x, y = _vector("x", 3), _vector("y", 3)
    selu = _model([helper.make_node("Selu", ["x"], ["y"], name="s", alpha=3.0, gamma=1.0)], [x], [y])
    gemm = _model([helper.make_node("Gemm", ["x", "W", "b"], ["y"], name="g", beta=-3.0)], [x], [y],
                  [_init("W", np.eye(3)), _init("b", [1.0, 2.0, 3.0])])
    negation = _model([helper.make_node("Neg", ["x"], ["n"], name="n"),
                       helper.make_node("Relu", ["x"], ["r"], name="r"),
                       helper.make_node("Add", ["r", "n"], ["y"], name="s")], [x], [y])
    assert [translate(m).expression for m in (selu, gemm, negation)] == \
        ["elu(x, alpha=3)", "W.T @ x - 3 * b", "r - x"]
    for model in (selu, gemm, negation):
        _assert_faithful(model)
