"""Results in a notebook: ``_repr_html_`` and ``_repr_markdown_`` (what Jupyter's display
formatters call), parsed back with :mod:`html.parser` to check the HTML is well formed,
escapes user text and holds the verdict, the caret, the hints and the witness."""
from __future__ import annotations

import json
import typing
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from dcp import certify, certify_each
from dcp.render import render
from dcp.render.html import COLOURS, CURVATURE_COLOURS
from dcp.render.json import load_schema

SCHEMA = load_schema()

#: Elements that have no end tag.
VOID = {"br", "hr", "img", "input", "meta", "link", "wbr"}


class Page(HTMLParser):
    """An HTML fragment, checked for balanced tags as it is read: its text, the text of
    each ``<pre>``, the coloured spans (colour, text) and the tags seen."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text, self.pres, self.spans = "", [], []
        self.feed(markup)
        self.close()
        assert self.open == [], f"unclosed tags {self.open}"

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "pre":
            self.pres.append("")
        if tag == "span":
            self.spans.append([dict(attrs)["style"].split(";")[0].removeprefix("color:"), ""])
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data):
        self.text += data
        if "pre" in self.open:
            self.pres[-1] += data
        if self.open and self.open[-1] == "span":
            self.spans[-1][1] += data


@pytest.fixture(scope="module")
def refuted():
    return certify("relu(W2 @ relu(W1 @ x))", wrt="W1", assume=["0 <= x <= 1"])


def test_html_shows_the_verdict_break_caret_hint_and_witness(refuted):
    page = Page(refuted._repr_html_())
    assert [COLOURS["bad"], "verdict: nonconvex"] in page.spans
    assert "with respect to W1, assuming 0 <= x <= 1" in page.text     # `<` escaped, read back
    assert "break at W2 @ relu(W1 @ x): a constant of unknown sign" in page.text
    caret = page.pres[0].splitlines()
    assert caret[1:] == ["1 | relu(W2 @ relu(W1 @ x))", "  |      ^^^^^^^^^^^^^^^^^"]
    assert [COLOURS["bad"], "  |      ^^^^^^^^^^^^^^^^^"] in page.spans
    assert "Fix: W2 >= 0 would make it convex" in page.text
    assert "assume W2 >= 0 \u2192 convex" in page.text
    assert "Witness (not convex, proved with interval arithmetic):" in page.text
    assert "W1 at a" in page.text and "W1 at b" in page.text
    assert refuted._repr_html_() == render(refuted, "html")


def test_the_proof_tree_colours_each_curvature(refuted):
    page = Page(refuted._repr_html_())
    tree = page.pres[-1].splitlines()
    assert tree[1].startswith("\u2514\u2500 W2 @ relu(W1 @ x)") and tree[1].endswith("product <- BREAK")
    coloured = {text: colour for colour, text in page.spans if text in CURVATURE_COLOURS}
    assert coloured == {name: CURVATURE_COLOURS[name]
                        for name in ("unknown", "constant", "convex", "affine")}
    details = [attrs for tag, attrs in page.tags if tag == "details"]
    assert details == [{"open": None}]                 # a short proof is shown unfolded


def test_a_long_proof_starts_folded():
    page = Page(certify("relu(" * 40 + "x" + ")" * 40, wrt="x", check=False)._repr_html_())
    assert [attrs for tag, attrs in page.tags if tag == "details"] == [{}]
    assert len(page.pres[-1].splitlines()) == 41


def test_a_long_expression_is_shortened_in_the_heading():
    result = certify(" + ".join(f"x{i}" for i in range(1000)), wrt="x0", check=False)
    heading = Page(result._repr_html_().split("\n")[1]).text
    assert heading.startswith("x0 + x1 + ") and heading.endswith("... with respect to x0")
    assert len(heading) < 250
    assert len(result._repr_markdown_().split("\n")[0]) < 250


def test_a_certified_verdict_is_green_and_says_where_it_holds():
    page = Page(certify("log(W @ x)", wrt="x")._repr_html_())
    assert [COLOURS["good"], "verdict: concave"] in page.spans
    assert "Holds where the expression is defined: W @ x > 0." in page.text
    assert "Witness (not convex" in page.text            # the property not claimed


def test_user_text_cannot_open_a_tag(refuted):
    hostile = replace(refuted, expression="x <script>alert(1)</script> & y",
                      assumptions=("a < b", "c & d"))
    page = Page(hostile._repr_html_())
    assert "script" not in [tag for tag, _ in page.tags]
    assert "x <script>alert(1)</script> & y with respect to W1, assuming a < b, c & d" in page.text


def test_markdown_holds_the_verdict_and_the_caret_in_a_code_block(refuted):
    markdown = refuted._repr_markdown_()
    assert markdown == render(refuted, "markdown")
    assert "**Verdict: nonconvex**" in markdown
    assert "```text\n  |\n1 | relu(W2 @ relu(W1 @ x))\n  |      ^^^^^^^^^^^^^^^^^\n```" in markdown
    assert "- assume `W2 >= 0` \u2192 convex" in markdown


def test_markdown_renders_to_well_formed_html(refuted):
    markdown = pytest.importorskip("markdown")
    page = Page(markdown.markdown(refuted._repr_markdown_(), extensions=["fenced_code", "tables"]))
    assert "Assuming 0 <= x <= 1." in page.text
    assert any("^^^^^^^^^^^^^^^^^" in pre for pre in page.pres)


@pytest.fixture(scope="module")
def each():
    return certify_each("sum_squares(U @ V - M)", ["U", "V"])


def test_each_result_renders_a_table_of_verdicts(each):
    page = Page(each._repr_html_())
    rows = [attrs for tag, attrs in page.tags if tag == "tr"]
    assert len(rows) == 4                                # header, U, V, joint
    assert [COLOURS["good"], "convex"] in page.spans and [COLOURS["bad"], "nonconvex"] in page.spans
    assert "U, V (jointly)" in page.text
    assert "convex in each variable separately (block convex), not jointly" in page.text
    markdown = each._repr_markdown_()
    assert "| `U` | **convex** | convex | not concave |" in markdown
    assert ("| `U, V (jointly)` | **nonconvex** | unknown | not concave, not convex, not quasiconcave, "
            "not quasiconvex |") in markdown


def test_each_result_to_json_holds_a_valid_result_per_entry(each):
    jsonschema = pytest.importorskip("jsonschema")
    data = json.loads(json.dumps(each.to_json(), allow_nan=False))
    assert data["expression"] == "sum_squares(U @ V - M)" and data["block_convex"] is True
    assert list(data["separate"]) == ["U", "V"]
    assert [data["separate"][v]["verdict"] for v in "UV"] == ["convex", "convex"]
    assert data["joint"]["verdict"] == "nonconvex" and data["joint"]["wrt"] == ["U", "V"]
    for result in (*data["separate"].values(), data["joint"]):
        jsonschema.validate(result, SCHEMA)


def test_the_results_fields_have_precise_types(refuted):
    from dcp.check import Witness
    from dcp.hints import Hint
    from dcp.result import Result, Shape
    hints = typing.get_type_hints(Result)
    assert hints["witness"] == Witness | None
    assert hints["witnesses"] == typing.Mapping[str, Witness]
    assert typing.get_type_hints(Result.hints.func)["return"] == tuple[Hint, ...]
    assert typing.get_type_hints(Result.shapes.func)["return"] == dict[str, Shape]
    assert Shape == tuple[int | str, ...]
    assert isinstance(refuted.witness, Witness) and refuted.hints == (Hint(("W2 >= 0",), "convex"),)
    assert refuted.shapes == {"W2": ("a", "b"), "W1": ("b", "c"), "x": ("c",)}
    assert certify("W @ x", wrt="x", shapes={"W": (4, 3)}, check=False).shapes == {"W": (4, 3), "x": (3,)}


def test_markdown_witness_lists_shapes_and_a_witness_without_parameters_reads_plainly():
    from dcp import certify
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1")
    shown = result._repr_markdown_()
    assert "| shape of `W2` | `(3, 2)` |" in shown and "| shape of `W1` | `(2, 2)` |" in shown
    plain = certify("exp(x)", wrt="x", shapes={"x": ()})
    assert str(plain.witness).startswith("not concave: a: x=")     # no "with -;"
