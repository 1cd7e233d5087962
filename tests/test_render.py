"""Renderers: snapshots of every format for the SPEC examples, the JSON schema, pictures.

Regenerate snapshots after an intended change with
``DCP_UPDATE_GOLDEN=1 python -m pytest tests/test_render.py`` and review the diff.
"""
from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path

import pytest
from conftest import GOLDEN

from dcp import DcpError, certify
from dcp.render import RENDERERS, render
from dcp.render.json import load_schema

SCHEMA = load_schema()
EXTENSION = {"text": "txt", "markdown": "md", "html": "html", "json": "json", "latex": "tex"}
EXAMPLES = {
    "relu_net_w1": ("relu(W2 @ relu(W1 @ x))", ["W1"], []),
    "relu_net_w1_nonneg": ("relu(W2 @ relu(W1 @ x))", ["W1"], ["W2 >= 0"]),
    "relu_net_w2": ("relu(W2 @ relu(W1 @ x))", ["W2"], []),
    "cross_entropy_w1": ("cross_entropy(W2 @ relu(W1 @ x), y)", ["W1"], ["W2 >= 0", "0 <= y <= 1"]),
}


@pytest.mark.parametrize("example", EXAMPLES)
@pytest.mark.parametrize("format", sorted(RENDERERS))
def test_snapshot(example, format):
    expr, wrt, assume = EXAMPLES[example]
    text = render(certify(expr, wrt=wrt, assume=assume, check=False), format) + "\n"
    path = GOLDEN / "render" / f"{example}.{EXTENSION[format]}"
    if os.environ.get("DCP_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("expr,wrt,assume", [
    ("relu(W2 @ relu(W1 @ x))", "W1", []),
    ("relu(W2 @ relu(W1 @ x))", "W1", ["W2 >= 0"]),
    ("log(W @ x) + sqrt(y)", ["x", "y"], []),
    ("sum_squares(U @ V - M)", ["U", "V"], []),
    ("relu(" * 50 + "x" + ")" * 50, "x", []),
])
def test_json_output_validates_against_the_schema(expr, wrt, assume):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(render(certify(expr, wrt=wrt, assume=assume), "json"))
    jsonschema.validate(data, SCHEMA)
    steps = data["proof"]["steps"]
    assert all(p < s["id"] for s in steps for p in s["premises"])      # premises first


@pytest.mark.parametrize("expr,shapes,expected", [
    ("[a, b] @ y", None, {"a": [], "b": [], "y": [2]}),
    ("W @ x", {"W": (4, "n")}, {"W": [4, "n"], "x": ["n"]}),   # the letter declared
    ("hstack(x, y) + z", None, {"x": ["a"], "y": ["b"], "z": ["a + b"]}),
])
def test_json_shapes_are_integers_or_letters(expr, shapes, expected):
    jsonschema = pytest.importorskip("jsonschema")
    data = certify(expr, wrt=expr[-1], shapes=shapes, check=False).to_json()
    assert data["shapes"] == expected and data["schema_version"] == 4
    jsonschema.validate(data, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):             # a size as text is refused
        jsonschema.validate({**data, "shapes": {"y": ["2"]}}, SCHEMA)


def test_markdown_and_latex_show_the_witness():
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1")
    assert "**Witness** (not convex, proved with interval arithmetic):" in render(result, "markdown")
    assert "\\textbf{Witness} (not convex)" in render(result, "latex")


def test_latex_shows_the_domain_conditions_in_math_mode():
    assert render(certify("log(W @ x)", wrt="x", check=False), "latex") == (
        "\\[ f(x) = \\operatorname{log}\\left(W x\\right) \\]\n\n"
        "\\textbf{Verdict:} concave (certified by the rules).\n\n"
        "Holds where the expression is defined: $W x > 0$.")
    latex = render(certify("sqrt(x) + log(y - 1) + log1p(u) + inv_pos(3 - v)",
                           wrt=["x", "y", "u", "v"], check=False), "latex")
    assert latex.endswith("Holds where the expression is defined: "
                          "$x \\geq 0$, $y - 1 > 0$, $u > -1$, $3 - v > 0$.")


def test_latex_sets_every_relation_in_math_mode():
    latex = render(certify("relu(W2 @ relu(W1 @ x)) + x.T @ P @ x + s_1", wrt="W1",
                           assume=["0 <= x <= 1", "P psd", "s_1 > 0"], check=False), "latex")
    assert "\nAssuming $0 \\leq x \\leq 1$, $P \\succeq 0$, $s_{1} > 0$.\n" in latex
    assert latex.endswith("\\textbf{Hint:} assume $W_{2} \\geq 0$ $\\Rightarrow$ convex.")
    assert ">=" not in latex and "<=" not in latex


def test_latex_escapes_a_reason_and_sets_what_it_quotes_as_code():
    latex = render(certify("x^2 * y", wrt=["x", "y"], check=False), "latex")
    assert ("\\textbf{Break} at $ {x}^{2} \\odot y $: product of two non-constant factors "
            "\\texttt{x\\^{}2} and \\texttt{y}: a product of expressions") in latex
    from dcp.render.latex import latex_text
    assert latex_text("`a_1 >= 0` & 50% of {b}") == "\\texttt{a\\_1 $\\geq$ 0} \\& 50\\% of \\{b\\}"


@pytest.fixture(scope="module")
def deep():
    return certify("relu(" * 10_000 + "x" + ")" * 10_000, wrt="x", check=False)


@pytest.mark.parametrize("format", sorted(RENDERERS))
def test_every_format_renders_a_10000_deep_expression(deep, format):
    text = render(deep, format)            # iterative walks: no RecursionError
    name = {"latex": "\\operatorname{relu}"}.get(format, "relu(")
    assert text.count(name) >= 10_000


def test_colour_only_when_asked():
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1", check=False)
    assert "\033[" not in render(result, "text")
    coloured = render(result, "text", colour=True)
    assert "\033[33mverdict: unknown\033[0m" in coloured


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_witness_slice_picture(tmp_path):
    pytest.importorskip("matplotlib")
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1")
    path = tmp_path / "w.png"
    figure = result.plot(path)
    assert type(figure).__name__ == "Figure"
    width, height = _png_size(path)
    assert 400 <= width <= 2000 and 300 <= height <= 1500
    witness = result.witness
    assert witness.lhs > witness.rhs          # drawn: the curve above the chord at the point
    assert figure.axes[0].get_title() == "not convex: at the marked point the curve is above the chord"


def test_plot_returns_the_figure_and_writes_only_when_asked(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure
    monkeypatch.chdir(tmp_path)
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1")
    figure = result.plot(kind="concave")
    assert isinstance(figure, Figure) and list(tmp_path.iterdir()) == []
    assert figure.axes[0].get_title() == "not concave: at the marked point the curve is below the chord"
    # Made without pyplot: a notebook shows it once, and no figure piles up in pyplot.
    assert "matplotlib.pyplot" not in sys.modules or not sys.modules["matplotlib.pyplot"].get_fignums()
    with pytest.raises(DcpError, match="there is no witness against affine to draw; there is one "
                                       "against concave and convex"):
        result.plot(kind="affine")


def test_atom_picture(tmp_path):
    pytest.importorskip("matplotlib")
    from dcp.atoms import lookup
    from dcp.render.plot import plot_atom
    path = tmp_path / "sigmoid.png"
    plot_atom(lookup("sigmoid", 1), str(path))
    assert _png_size(path)[0] >= 400


def test_the_docs_show_the_schema_the_package_ships():
    from dcp.generated_docs import schema_markdown
    text = schema_markdown()
    assert text.startswith("```json\n{") and '"schema_version": {\n      "const": 4\n    }' in text
    assert json.loads(text.removeprefix("```json\n").removesuffix("\n```")) == SCHEMA


def test_a_missing_schema_fails_the_docs_build_rather_than_showing_nothing(monkeypatch):
    import dcp.render.json
    from dcp.generated_docs import schema_markdown
    monkeypatch.setattr(dcp.render.json, "SCHEMA_FILE", "no.such.schema.json")
    with pytest.raises(FileNotFoundError, match="no.such.schema.json is missing: this install of "
                                                "dcp is incomplete"):
        schema_markdown()


def test_the_wheel_ships_the_schema_and_an_install_reads_it(tmp_path):
    # Built from a copy (setuptools writes build/ and *.egg-info next to the sources), then
    # unpacked as an installer would, away from the checkout, and asked for the schema.
    import shutil
    import subprocess
    import zipfile
    pytest.importorskip("wheel", reason="a build without isolation needs the test extra's wheel")
    root = Path(__file__).parent.parent
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("dcp", "grammar"):
        shutil.copytree(root / folder, source / folder, symlinks=True, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "wheel"), str(source)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("dcp-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert {"dcp/result.schema.json", "dcp/dcp.lark", "dcp/py.typed"} <= names
        archive.extractall(tmp_path / "site")
    shown = subprocess.run([sys.executable, "-c", "from dcp.generated_docs import schema_markdown; "
                            "print(schema_markdown())"], capture_output=True, text=True,
                           cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site")})
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout.removeprefix("```json\n").removesuffix("\n```\n")) == SCHEMA
