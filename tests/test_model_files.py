"""Issue 17's "Must show" on real PyTorch exports (tests/fixtures/onnx/torch, made by its
export.py): an input-convex network certified from its file, a negative weight's break
with per-entry verdicts and a witness that the model itself confirms, a Tanh layer's
break, a cross-entropy classifier in each layer's weights; the command line and
``dcp.certify`` of a loaded model."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402

import dcp  # noqa: E402
from dcp.cli import main  # noqa: E402

TORCH = Path(__file__).parent / "fixtures" / "onnx" / "torch"


def model_value(path: Path, inputs: dict, weights: dict | None = None) -> float:
    """The model's own output (onnx's reference evaluator), its weights replaced by
    ``weights`` (by ONNX name) where given: a witness is checked on the model, not on
    dcp's reading of it."""
    model = onnx.load(path)
    for tensor in model.graph.initializer:
        if weights and tensor.name in weights:
            tensor.CopyFrom(numpy_helper.from_array(
                np.asarray(weights[tensor.name], dtype=np.float32), tensor.name))
    feeds = {name: np.asarray(value, dtype=np.float32).reshape(1, -1) for name, value in inputs.items()}
    (out,) = ReferenceEvaluator(model).run(None, feeds)
    return float(np.asarray(out, dtype=np.float64).reshape(-1)[0])


def test_the_icnn_is_certified_convex_in_its_input_from_its_file():
    session = dcp.from_onnx(TORCH / "icnn.onnx")
    assert list(session.bindings) == ["act1_Relu", "act2_Relu", "act3_Relu"]
    result = session.certify(wrt="y")
    assert result.verdict == "convex" and result.is_convex is True
    assert "convex" not in result.witnesses and result.check.trials > 1000
    steps = {step.text: step for step in result.proof.steps()}
    assert steps["act3_Relu"].rule == "binding" and steps["act3_Relu"].curvature.is_convex
    # The hidden-to-hidden weights were clamped at 0: their ranges come from the values.
    assert steps["wz2_weight"].range.lo == 0.0


def test_one_negative_hidden_weight_breaks_there_with_per_entry_verdicts_and_a_witness():
    path = TORCH / "icnn_negative.onnx"
    result = dcp.from_onnx(path).certify(wrt="y")
    assert result.verdict == "nonconvex"
    (broken,) = result.breaks
    assert broken.text == "wz2_weight @ act2_Relu"
    (entries,) = result.entries
    assert entries.layer == "act3_Relu" and "/wz2/Gemm" in entries.origin
    assert entries.at("convex") == [(0,), (1,), (2,)] and entries.at("unknown") == [(3,)]
    assert entries.spoilers((3,)) == ["wz2_weight[3, 0] = -0.31"]
    text = result.explain()
    assert "not proved at [3] (wz2_weight[3, 0] = -0.31 < 0)" in text
    assert "in layer `act3_Relu`" in text
    # The witness, evaluated again by onnx's reference evaluator on the model itself.
    witness = result.witnesses["convex"]
    a, b, t = (np.array(witness.a["y"]), np.array(witness.b["y"]), witness.theta)
    mixed = model_value(path, {"y": t * a + (1 - t) * b})
    f_a, f_b = model_value(path, {"y": a}), model_value(path, {"y": b})
    assert mixed - (t * f_a + (1 - t) * f_b) > 1e-4


def test_a_negative_weight_in_a_unit_the_output_ignores_is_proved_harmless_entry_by_entry():
    result = dcp.from_onnx(TORCH / "icnn_dead_unit.onnx").certify(wrt="y")
    assert result.verdict == "convex" and "convex" not in result.witnesses
    # On whole layers the rules break at the product; entry by entry, unit 2 of act3_Relu
    # (not convex) is read with weight wz3.weight[0, 2] = 0, so it is not in the proof.
    assert [step.text for step in result.layerwise.breaks] == ["wz2_weight @ act2_Relu"]
    (entries,) = result.entries
    assert entries.spoilers((2,)) == ["wz2_weight[2, 0] = -0.31"]
    texts = {step.text for step in result.proof.steps()}
    assert "act3_Relu[1]" in texts and "act3_Relu[3]" in texts and "act3_Relu[2]" not in texts
    assert "certified entry by entry" in result.explain()
    assert result.to_json()["entrywise"] is True


def test_a_tanh_layer_breaks_at_the_activation():
    result = dcp.from_onnx(TORCH / "icnn_tanh.onnx").certify(wrt="y")
    assert result.verdict == "nonconvex"
    (broken,) = result.breaks
    assert broken.text.startswith("tanh(wz1_weight @ act1_Relu")
    assert "tanh is neither convex nor concave" in broken.reason
    assert result.entries == ()


def test_the_classifiers_loss_is_convex_in_its_last_layer_and_not_in_its_first():
    path = TORCH / "mlp_ce.onnx"
    session = dcp.from_onnx(path)
    session.constant("y", [0.0, 1.0, 0.0, 0.0])          # a one-hot label
    last = session.certify(wrt="fc2_weight")
    assert last.verdict == "convex" and "convex" not in last.witnesses
    first = session.certify(wrt="fc1_weight")
    assert first.verdict == "nonconvex"
    witness = first.witnesses["convex"]
    x, t = witness.params["x"], witness.theta
    a, b = (np.array(witness.a["fc1_weight"]), np.array(witness.b["fc1_weight"]))

    def loss(w):
        return model_value(path, {"x": x, "y": [0, 1, 0, 0]}, {"fc1.weight": w})
    assert loss(t * a + (1 - t) * b) > t * loss(a) + (1 - t) * loss(b) + 1e-6


def test_the_index_labelled_loss_is_convex_in_the_last_layer_for_every_label():
    result = dcp.from_onnx(TORCH / "mlp_ce_index.onnx").certify(wrt="fc2_weight")
    assert result.verdict == "convex"


def test_the_symbolic_mode_covers_the_sign_pattern():
    assert dcp.from_onnx(TORCH / "icnn.onnx", symbolic=True).certify(wrt="y").verdict == "convex"
    result = dcp.from_onnx(TORCH / "icnn_negative.onnx", symbolic=True).certify(wrt="y", check=False)
    assert result.verdict == "unknown" and result.entries[0].at("unknown") == [(3,)]


def test_certify_accepts_a_loaded_model():
    model = onnx.load(TORCH / "icnn.onnx")
    assert dcp.certify(model, wrt="y", check=False).verdict == "convex"


def test_the_command_line_certifies_a_model_file(capsys):
    assert main(["certify-model", str(TORCH / "icnn.onnx"), "--wrt", "y", "--no-check"]) == 0
    assert "verdict: convex" in capsys.readouterr().out
    assert main(["certify-model", str(TORCH / "icnn_negative.onnx"), "--wrt", "y",
                 "--expect", "convex"]) == 1
    out = capsys.readouterr().out
    assert "per entry of `wz2_weight @ act2_Relu`" in out and "verdict: nonconvex" in out


def test_the_command_line_says_what_is_wrong_with_a_model(capsys, tmp_path):
    conv = Path(__file__).parent / "fixtures" / "onnx" / "conv.onnx"
    assert main(["certify-model", str(conv), "--wrt", "x"]) == 2
    err = capsys.readouterr().err
    assert "is a Conv, which dcp cannot translate; supported: Abs, Add," in err
    assert main(["certify-model", str(tmp_path / "none.onnx"), "--wrt", "x"]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["certify-model", str(TORCH / "icnn.onnx"), "--wrt", "x"]) == 2
    assert capsys.readouterr().err == (
        "error: `x` in --wrt is not an input or a weight of the model; its inputs: `y`; its "
        "weights: `wy0_weight`, `wy0_bias`, `wz1_weight`, `wz1_bias`, `wy1_MatMul`, `wz2_weight`, "
        "`wz2_bias`, `wy2_MatMul`, `wz3_weight`, `wz3_bias`, `wy3_MatMul`\n")


def test_a_weight_may_be_named_as_the_model_names_it():
    session = dcp.from_onnx(TORCH / "mlp_ce.onnx")
    result = session.certify(wrt="fc2.weight", assume=["y >= 0"], check=False)
    assert result.verdict == "convex" and result.wrt == ("fc2_weight",)


def test_the_witness_of_a_model_is_drawn(tmp_path):
    result = dcp.from_onnx(TORCH / "icnn_negative.onnx").certify(wrt="y")
    figure = result.plot(tmp_path / "w.png")
    assert (tmp_path / "w.png").stat().st_size > 0 and figure.axes


def test_a_models_json_names_its_weights_instead_of_copying_them():
    import jsonschema

    from dcp.render.json import load_schema
    data = dcp.from_onnx(TORCH / "icnn_negative.onnx").certify(wrt="y").to_json()
    jsonschema.validate(data, load_schema())
    witness = data["witnesses"]["convex"]
    assert set(witness["params"]) == set() and set(witness["shapes"]) == {"y"}
    assert "wz2_weight" in witness["given"]
    assert data["entries"][0]["offending"] == [{"entry": [3], "at": [3, 0], "value": -0.3100000023841858}]


def test_the_command_line_draws_a_models_witness_inside_the_box_assumed(tmp_path, capsys):
    picture = tmp_path / "w.png"
    assert main(["certify-model", str(TORCH / "icnn_negative.onnx"), "--wrt", "y",
                 "--assume", "-2 <= y <= 2", "--plot", str(picture)]) == 0
    out = capsys.readouterr()
    assert picture.stat().st_size > 0 and f"wrote {picture}" in out.err
    result = dcp.from_onnx(TORCH / "icnn_negative.onnx").certify(wrt="y", assume=["-2 <= y <= 2"])
    witness = result.witnesses["convex"]
    assert all(-2 <= v <= 2 for point in (witness.a["y"], witness.b["y"]) for v in point)


def test_notebooks_show_a_models_per_entry_verdicts_and_an_entry_by_entry_proof():
    negative = dcp.from_onnx(TORCH / "icnn_negative.onnx").certify(wrt="y", check=False)
    for shown in (negative._repr_html_(), negative._repr_markdown_()):
        assert "per entry of `wz2_weight @ act2_Relu`" in shown.replace("<code>", "`").replace("</code>", "`")
        assert "wz2_weight[3, 0] = -0.31" in shown
    dead = dcp.from_onnx(TORCH / "icnn_dead_unit.onnx").certify(wrt="y", check=False)
    assert "on whole layers the rules break at" in dead._repr_markdown_()
    assert "entry by entry" in dead._repr_html_()


def test_a_name_that_is_not_the_models_is_refused_with_the_models_names():
    session = dcp.from_onnx(TORCH / "mlp_ce.onnx")
    with pytest.raises(dcp.DcpError, match=r"^`x\.2` in wrt is not an input or a weight of the model; "
                                           r"its inputs: `x`, `y`; its weights: `fc1_weight`"):
        session.certify(wrt="x.2")
    with pytest.raises(dcp.DcpError, match="wrt must name variables"):
        session.certify(wrt=[["x"]])
    # An expression of the user's own may name new variables.
    assert session.certify("Relu + z", wrt="z", check=False).verdict == "affine"
