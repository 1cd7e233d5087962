"""A result as HTML, for Jupyter (``Result._repr_html_``): the verdict in colour, each
break with the source line and the caret under it, hints, domain conditions, the numeric
check, the witnesses, and the proof tree with each step's curvature in colour.

Every piece of user text (expressions, names, assumptions, reasons that quote them) goes
through :func:`html.escape`: ``0 <= y <= 1`` must not open a tag. The styles are inline,
because a notebook shows an output without the page's stylesheet.
"""
from __future__ import annotations

from html import escape

from ..check.report import KINDS
from .text import (layerwise_lines, proof_columns, quasi_lines, quoted_pieces, set_proof_tree, set_verdict_note, shorten,
                   source_lines, verdict_colour, verdict_note)

__all__ = ["render_html", "render_set_html", "render_each_html"]

#: The text renderer's colour names as CSS colours (readable on light and dark themes).
COLOURS = {"good": "#1a7f37", "bad": "#cf222e", "unsure": "#9a6700"}

#: Each curvature's colour in the proof tree: certified properties green and purple,
#: affine blue, constants grey, unknown (where the rules broke) red.
CURVATURE_COLOURS = {"constant": "#57606a", "affine": "#0969da", "convex": "#1a7f37",
                     "concave": "#8250df", "unknown": "#cf222e"}

#: Longer proofs start folded, so that a deep network's trace does not fill the notebook.
OPEN_PROOF_ROWS = 30


def _span(text: str, colour: str, bold: bool = False) -> str:
    weight = ";font-weight:bold" if bold else ""
    return f'<span style="color:{colour}{weight}">{escape(text)}</span>'


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _prose(text: str) -> str:
    """A reason or a fix: escaped, with what it quotes in backticks set as code."""
    return "".join(_code(piece) if code else escape(piece) for piece, code in quoted_pieces(text))


def render_html(result) -> str:
    """The whole explanation of a :class:`~dcp.result.Result` as an HTML fragment."""
    if result.kind == "set":
        return render_set_html(result)
    parts = ['<div class="dcp-result">', _heading(result), _verdict(result)]
    if not result.curvature.is_known:
        for step in result.breaks:
            parts.append(_break(step))
            parts.extend(f"<p>{_prose(line)}</p>" for found in result.entries
                         if found.index == step.id for line in found.lines())
    if result.curvature.is_known and result.layerwise is not None:
        parts.extend(f"<p>{_prose(line)}</p>" for line in layerwise_lines(result))
    if result.hints:
        parts.append("<p>Hints (each re-checked by the rules):</p><ul>"
                     + "".join(f"<li>assume {_code(', '.join(h.assumptions))} &rarr; "
                               f"{escape(h.verdict)}</li>" for h in result.hints)
                     + "</ul>")
    if result.domain:
        parts.append("<p>Holds where the expression is defined: "
                     + ", ".join(_code(str(c)) for c in result.domain) + ".</p>")
    parts.append(f"<p>Numeric check: {escape(result.check_summary)}.</p>")
    parts.extend(_witness(result.witnesses[kind], result.given) for kind in KINDS
                 if kind in result.witnesses)
    parts.append(_proof(result.proof.root))
    quasi = quasi_lines(result.proof)
    if quasi:
        parts.append("<p>Quasiconvexity (DQCP rules):</p><ul>"
                     + "".join(f"<li>{_code(line.strip())}</li>" for line in quasi) + "</ul>")
    parts.append("</div>")
    return "\n".join(parts)


def _heading(result) -> str:
    line = f"<p>{_code(shorten(result.expression))} with respect to {', '.join(map(_code, result.wrt))}"
    if result.assumptions:
        line += ", assuming " + ", ".join(map(_code, result.assumptions))
    return line + "</p>"


def _verdict(result) -> str:
    colour = COLOURS[verdict_colour(result)]
    return (f"<p>{_span(f'verdict: {result.verdict}', colour, bold=True)} "
            f"{escape(verdict_note(result))}</p>")


def _break(step) -> str:
    parts = [f"<p>{_span('break', COLOURS['bad'], bold=True)} at {_code(step.text)}: "
             f"{_prose(step.reason)}</p>"]
    lines = source_lines(step)
    if lines:
        parts.append("<pre>" + "\n".join(_span(line, COLOURS["bad"]) if is_caret else escape(line)
                                         for line, is_caret in lines) + "</pre>")
    if step.fix:
        parts.append(f"<p>Fix: {_prose(step.fix)}</p>")
    return "\n".join(parts)


def _witness(witness, given: tuple[str, ...] = ()) -> str:
    """A witness as a table, its parameters but the ``given`` constants (at their values)."""
    relation = escape(witness.relation)
    rows = [("shape of " + name, str(tuple(shape))) for name, shape in witness.shapes.items()
            if name not in given]
    rows += [(name, str(value)) for name, value in witness.params.items() if name not in given]
    rows += [(name, "at its value") for name in given]
    rows += [(f"{name} at a", str(value)) for name, value in witness.a.items()]
    rows += [(f"{name} at b", str(value)) for name, value in witness.b.items()]
    rows.append(("θ", f"{witness.theta:g}"))
    entry = f" at entry {list(witness.entry)}" if witness.entry else ""
    return (f"<p><strong>Witness</strong> (not {escape(witness.kind)}, proved "
            f"{escape(witness.proved_by)}):</p>\n<table>"
            + "".join(f"<tr><td>{_code(name)}</td><td>{_code(value)}</td></tr>" for name, value in rows)
            + f"</table>\n<p>f(θa + (1-θ)b) = {witness.lhs:.6g} {relation} {witness.rhs:.6g}"
            f" = {escape(witness.right_side.replace('theta', 'θ'))}{escape(entry)}</p>")


def _proof(root) -> str:
    """The proof tree in a ``<pre>``, laid out as the text renderer lays it out, with the
    curvature column coloured."""
    lines = []
    for cells in proof_columns(root):
        if len(cells) > 2:                  # a step's own row: its curvature is the 2nd cell
            curvature = cells[1].rstrip()
            padding = cells[1][len(curvature):]
            cells = [escape(cells[0]), _span(curvature, CURVATURE_COLOURS[curvature]) + padding,
                     *map(escape, cells[2:])]
        else:
            cells = list(map(escape, cells))
        lines.append("  ".join(cells).rstrip())
    folded = "" if len(lines) > OPEN_PROOF_ROWS else " open"
    return f"<details{folded}><summary>Proof</summary>\n<pre>" + "\n".join(lines) + "</pre></details>"


def render_each_html(each) -> str:
    """The verdicts of :func:`~dcp.certify_each` as a table: one row per variable, then the
    joint row, each verdict in colour."""
    body = "".join(
        f"<tr><td>{_code(label)}</td><td>{_span(r.verdict, COLOURS[verdict_colour(r)], bold=True)}"
        f"</td><td>{escape(str(r.curvature))}</td><td>{escape(r.check.brief)}</td></tr>"
        for label, r in each.rows())
    summary = each.block_summary
    return ('<div class="dcp-each">\n'
            f"<p>{_code(shorten(each.expression))}</p>\n"
            "<table><tr><th>wrt</th><th>verdict</th><th>rules</th><th>numeric check</th></tr>"
            f"{body}</table>"
            + (f"\n<p>{escape(summary)}</p>" if summary else "") + "\n</div>")


# ---- sets (SPEC section 10) -------------------------------------------------------------

def render_set_html(result) -> str:
    """A :class:`~dcp.result.SetResult` as an HTML fragment."""
    heading = f"<p>the set {_code('{' + shorten(result.expression) + '}')} in {', '.join(map(_code, result.wrt))}"
    if result.assumptions:
        heading += ", assuming " + ", ".join(map(_code, result.assumptions))
    colour = COLOURS[{"convex": "good", "nonconvex": "bad"}.get(result.verdict, "unsure")]
    parts = ['<div class="dcp-result">', heading + "</p>",
             f"<p>{_span(f'verdict: {result.verdict}', colour, bold=True)} "
             f"{escape(set_verdict_note(result))}</p>"]
    for part in result.breaks:
        parts.append(f"<p>{_span('no rule', COLOURS['bad'], bold=True)} for {_code(part.text)}: "
                     f"{_prose(part.reason)}</p>")
        lines = source_lines(part)
        if lines:
            parts.append("<pre>" + "\n".join(_span(line, COLOURS["bad"]) if is_caret else escape(line)
                                             for line, is_caret in lines) + "</pre>")
    if result.domain:
        parts.append("<p>Holds where the expressions are defined: "
                     + ", ".join(_code(str(c)) for c in result.domain) + ".</p>")
    parts.append(f"<p>Numeric check: {escape(result.check_summary)}.</p>")
    witness = result.witness
    if witness is not None:
        rows = [(name, str(value)) for name, value in witness.params.items()]
        rows += [(f"{name} at a", str(value)) for name, value in witness.a.items()]
        rows += [(f"{name} at b", str(value)) for name, value in witness.b.items()]
        rows.append(("θ", f"{witness.theta:g}"))
        parts.append(f"<p><strong>Witness</strong> (not a convex set, proved "
                     f"{escape(witness.proved_by)}):</p>\n<table>"
                     + "".join(f"<tr><td>{_code(n)}</td><td>{_code(v)}</td></tr>" for n, v in rows)
                     + f"</table>\n<p>a and b are feasible; at θa + (1-θ)b, {_code(witness.constraint)}"
                       f" fails ({_prose(witness.failure)}).</p>")
    parts += ["<details open><summary>Proof</summary>\n<pre>"
              + "\n".join(map(escape, set_proof_tree(result.proof))) + "</pre></details>", "</div>"]
    return "\n".join(parts)
