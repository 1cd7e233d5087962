"""A result as Markdown: for issues, notebooks and reports."""
from __future__ import annotations

from ..check.report import KINDS
from ..errors import caret_block
from .text import layerwise_lines, proof_tree, quasi_lines, set_proof_tree, set_verdict_note, shorten

__all__ = ["render_markdown", "render_each_markdown", "render_set_markdown"]


def _code(text: str) -> str:
    return f"`{text}`" if "`" not in text else f"`` {text} ``"


def render_markdown(result) -> str:
    if result.kind == "set":
        return render_set_markdown(result)
    lines = [f"### {_code(shorten(result.expression))} with respect to {', '.join(map(_code, result.wrt))}", ""]
    if result.assumptions:
        lines += ["Assuming " + ", ".join(map(_code, result.assumptions)) + ".", ""]
    certified = " (certified by the rules, proof re-checked)" if result.curvature.is_known else \
        " (certified by the DQCP rules, proof re-checked)" if result.proof.quasi.is_known else ""
    lines += [f"**Verdict: {result.verdict}**" + certified, ""]
    if not result.curvature.is_known:
        for step in result.breaks:
            lines += [f"**Break** at {_code(step.text)}: {step.reason}", ""]
            if step.span is not None and step.span.source is not None:
                lines += ["```text", caret_block(step.span.source, [step.span]), "```", ""]
            lines += [f"{line}  " for found in result.entries if found.index == step.id
                      for line in found.lines()]
            if lines[-1].endswith("  "):
                lines.append("")
            if step.fix:
                lines += [f"*Fix:* {step.fix}", ""]
    if result.curvature.is_known and result.layerwise is not None:
        lines += [f"{line}  " for line in layerwise_lines(result)] + [""]
    if result.hints:
        lines += ["**Hints** (each re-checked by the rules):", ""]
        lines += [f"- assume {_code(', '.join(h.assumptions))} → {h.verdict}" for h in result.hints]
        lines.append("")
    if result.domain:
        lines += ["Holds where " + ", ".join(_code(str(c)) for c in result.domain) + ".", ""]
    lines += [f"Numeric check: {result.check_summary}.", ""]
    for kind in KINDS:
        witness = result.witnesses.get(kind)
        if witness is None:
            continue
        lines += [f"**Witness** (not {kind}, proved {witness.proved_by}):", "",
                  "| | |", "|---|---|",
                  *(f"| shape of {_code(name)} | {_code(str(tuple(shape)))} |"
                    for name, shape in witness.shapes.items() if name not in result.given),
                  *(f"| {_code(name)} | {_code(str(value))} |" for name, value in witness.params.items()
                    if name not in result.given),
                  *(f"| {_code(name)} | at its value |" for name in result.given),
                  *(f"| {_code(name)} at a | {_code(str(value))} |" for name, value in witness.a.items()),
                  *(f"| {_code(name)} at b | {_code(str(value))} |" for name, value in witness.b.items()),
                  f"| θ | {witness.theta:g} |", "",
                  f"f(θa + (1-θ)b) = {witness.lhs:.6g} {witness.relation} {witness.rhs:.6g} = "
                  f"{witness.right_side.replace('theta', 'θ')}", ""]
    lines += ["<details><summary>Proof</summary>", "", "```text", *proof_tree(result.proof.root),
              "```", "", "</details>"]
    quasi = quasi_lines(result.proof)
    if quasi:
        lines += ["", "<details><summary>Quasiconvexity (DQCP rules)</summary>", "", "```text",
                  *quasi, "```", "", "</details>"]
    return "\n".join(lines)


def render_each_markdown(each) -> str:
    """The verdicts of :func:`~dcp.certify_each` as a Markdown table: one row per variable,
    then the joint row."""
    lines = [_code(shorten(each.expression)), "", "| wrt | verdict | rules | numeric check |",
             "|---|---|---|---|"]
    lines += [f"| {_code(label)} | **{r.verdict}** | {r.curvature} | {r.check.brief} |"
              for label, r in each.rows()]
    if each.block_summary:
        lines += ["", each.block_summary]
    return "\n".join(lines)


# ---- sets (SPEC section 10) -------------------------------------------------------------

def render_set_markdown(result) -> str:
    """A :class:`~dcp.result.SetResult` as Markdown: the set, the verdict, the constraints
    no rule showed convex (with carets), the check, the set witness, the proof."""
    lines = [f"### The set {_code('{' + shorten(result.expression) + '}')} in "
             f"{', '.join(map(_code, result.wrt))}", ""]
    if result.assumptions:
        lines += ["Assuming " + ", ".join(map(_code, result.assumptions)) + ".", ""]
    lines += [f"**Verdict: {result.verdict}** {set_verdict_note(result)}", ""]
    for part in result.breaks:
        lines += [f"**No rule** for {_code(part.text)}: {part.reason}", ""]
        if part.span is not None and part.span.source is not None:
            lines += ["```text", caret_block(part.span.source, [part.span]), "```", ""]
    if result.domain:
        lines += ["Holds where " + ", ".join(_code(str(c)) for c in result.domain) + ".", ""]
    lines += [f"Numeric check: {result.check_summary}.", ""]
    witness = result.witness
    if witness is not None:
        lines += [f"**Witness** (not a convex set, proved {witness.proved_by}):", "",
                  "| | |", "|---|---|",
                  *(f"| {_code(name)} | {_code(str(value))} |" for name, value in witness.params.items()),
                  *(f"| {_code(name)} at a | {_code(str(value))} |" for name, value in witness.a.items()),
                  *(f"| {_code(name)} at b | {_code(str(value))} |" for name, value in witness.b.items()),
                  f"| θ | {witness.theta:g} |", "",
                  f"a and b are feasible; at θa + (1-θ)b, {_code(witness.constraint)} fails "
                  f"({witness.failure}).", ""]
    lines += ["<details><summary>Proof</summary>", "", "```text", *set_proof_tree(result.proof),
              "```", "", "</details>"]
    return "\n".join(lines)
