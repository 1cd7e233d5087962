"""A result as plain text, the way a compiler reports: verdict, each break with the
source line and carets under the failing part, domain conditions, then the proof tree.

    verdict: unknown  (the rules could not conclude)

    break: a constant of unknown sign (`W2` ranges over (-inf, inf)) times a convex ...
      |
    1 | relu(W2 @ relu(W1 @ x))
      |      ^^^^^^^^^^^^^^^^^
      fix: W2 >= 0 would make it convex; W2 <= 0 would make it concave
"""
from __future__ import annotations

from ..check.report import KINDS
from ..errors import caret_block
from ..proof import Step, condition_text

__all__ = ["render_text", "render_set_text", "proof_tree", "set_verdict_note"]

#: Deeper steps are drawn at this indentation with their depth written out, so the
#: trace of a 10,000-deep expression stays readable and linear in size.
MAX_INDENT = 24


#: ANSI colours, used when asked (a terminal without NO_COLOR).
COLOURS = {"good": "32", "bad": "31", "unsure": "33", "dim": "2", "bold": "1"}


def paint(text: str, colour: str, enabled: bool) -> str:
    return f"\033[{COLOURS[colour]}m{text}\033[0m" if enabled else text


def verdict_colour(result) -> str:
    """The colour of the verdict: good when certified, bad when disproved, else unsure."""
    if result.curvature.is_known or result.proof.quasi.is_known:
        return "good"
    return "bad" if result.verdict == "nonconvex" else "unsure"


def render_text(result, colour: bool = False) -> str:
    """The whole explanation of a :class:`~dcp.result.Result` (in ANSI colour if asked)."""
    if result.kind == "set":
        return render_set_text(result, colour)
    lines = [paint(f"{shorten(result.expression)}  wrt {', '.join(result.wrt)}", "bold", colour)]
    if result.assumptions:
        lines.append(f"assuming {', '.join(result.assumptions)}")
    lines.append("")
    lines.append(paint(f"verdict: {result.verdict}", verdict_colour(result), colour)
                 + "  " + verdict_note(result))
    if not result.curvature.is_known:
        for step in result.breaks:
            lines.append("")
            lines.extend(_break_lines(step, colour))
            lines.extend(f"  {line}" for found in result.entries if found.index == step.id
                         for line in found.lines())
    elif result.layerwise is not None:
        lines.append("")
        lines.extend(layerwise_lines(result))
    if result.hints:
        lines.append("")
        lines.append("hints (each re-checked by the rules):")
        lines.extend(paint(f"  assume {hint}", "good", colour) for hint in result.hints)
    lines.extend(_domain_and_check(result, "the expression is"))
    for kind in KINDS:
        if kind in result.witnesses:
            lines.extend(_witness_lines(result.witnesses[kind], result.given))
    lines.append("")
    lines.append("proof:")
    lines.extend(proof_tree(result.proof.root))
    quasi = quasi_lines(result.proof)
    if quasi:
        lines.append("")
        lines.append("quasiconvexity (DQCP rules, SPEC section 10):")
        lines.extend(quasi)
    return "\n".join(lines)


def quasi_lines(proof) -> list[str]:
    """The DQCP steps that concluded or broke, premises first: text, quasi-curvature, rule,
    and a break's reason (a step left unknown because a premise is, is not shown)."""
    rows: list[tuple[str, str, str]] = []
    if not proof.facts.quasi:                   # (the commonest: no DQCP step)
        return rows
    for step, quasi in proof.quasi_steps():
        if not quasi.quasi.is_known and quasi.reason is None:
            continue
        rest = quasi.rule
        if quasi.requires:
            rest += " requires " + ", ".join(
                f"{proof.tape.text(p, 60)} {condition_text(d)}" for p, d in quasi.requires)
        if quasi.reason is not None:
            rest += f" <- BREAK: {quasi.reason}"
        rows.append((step.text, str(quasi.quasi), rest))
    if not rows:
        return []
    width = min(max(len(row[0]) for row in rows), 60)
    return [f"  {text:<{width}}  {quasi:<12}  {rest}" for text, quasi, rest in rows]


def shorten(text: str, limit: int = 200) -> str:
    """``text`` cut after ``limit`` characters, with ``...``: a heading, not the source."""
    return text if len(text) <= limit else text[:limit] + "..."


def verdict_note(result) -> str:
    """What stands behind the verdict, in parentheses."""
    if result.curvature.is_known and result.layerwise is not None:
        return "(certified entry by entry by the rules; the proof kernel re-checked every step)"
    if result.curvature.is_known:
        return "(certified by the rules; the proof kernel re-checked every step)"
    if result.proof.quasi.is_known:
        return "(certified by the DQCP rules; the proof kernel re-checked every step)"
    if result.verdict == "nonconvex":
        free = result.covers
        if free:
            shapes = ", ".join(f"{name} of shape {shape}" for name, shape in free.items())
            example = next(iter(free))
            return (f"(disproved by a witness with {shapes}; shapes were free: declare one, "
                    f"e.g. `shape {example} = (n,)`, to ask about others)")
        return "(disproved by a witness)"
    return "(the rules could not conclude)"


def layerwise_lines(result) -> list[str]:
    """Where the rules on whole layers broke, for a verdict proved entry by entry."""
    broken = ", ".join(f"`{step.text}`" for step in result.layerwise.breaks)
    return ([f"on whole layers the rules break at {broken}; entry by entry they hold:"]
            + [f"  {line}" for found in result.entries for line in found.lines()])


def _break_lines(step: Step, colour: bool = False) -> list[str]:
    lines = [paint(f"break at `{step.text}`", "bad", colour) + f": {step.reason}"]
    lines.extend("  " + (paint(line, "bad", colour) if is_caret else line)
                 for line, is_caret in source_lines(step))
    if step.fix:
        lines.append(f"  fix: {step.fix}")
    return lines


def source_lines(step: Step) -> list[tuple[str, bool]]:
    """The source lines around a break with the caret line under it, each with whether
    it is the caret line (none when the step has no source)."""
    source = step.span.source if step.span is not None else None
    if source is None:
        return []
    return [(line, "^" in line and line.strip().startswith("|"))
            for line in caret_block(source, [step.span]).splitlines()]


def quoted_pieces(prose: str) -> list[tuple[str, bool]]:
    """A reason or a fix split at its backticks, each piece with whether it is quoted code
    (``"a constant `W2`"``: ``[("a constant ", False), ("W2", True), ("", False)]``); an
    unpaired backtick quotes nothing."""
    pieces = prose.split("`")
    if len(pieces) % 2 == 0:
        return [(prose, False)]
    return [(piece, i % 2 == 1) for i, piece in enumerate(pieces)]


def _witness_lines(witness, given: tuple[str, ...] = ()) -> list[str]:
    """A witness, its parameters but the ``given`` constants (at their values)."""
    def show(values):
        return ", ".join(f"{name} = {value}" for name, value in values.items()
                         if name not in given) or "(none)"
    entry = f" at entry {list(witness.entry)}" if witness.entry else ""
    constants = [f"  constants at their values: {', '.join(given)}"] if given else []
    return [
        f"witness: not {witness.kind} (proved {witness.proved_by})",
        f"  shapes: {show({k: tuple(v) for k, v in witness.shapes.items()})}",
        *([f"  parameters: {show(witness.params)}"] if set(witness.params) - set(given) or not given
          else []),
        *constants,
        f"  a: {show(witness.a)}",
        f"  b: {show(witness.b)}",
        f"  theta = {witness.theta:g}",
        f"  f(theta a + (1 - theta) b) = {witness.lhs:.6g} {witness.relation} {witness.rhs:.6g} "
        f"= {witness.right_side}{entry}",
    ]


def _describe(step: Step) -> tuple[str, ...]:
    """The columns after the expression: curvature, range, rule, and the rest."""
    rest = [step.rule]
    if step.facts:
        rest.append("(" + "; ".join(step.facts) + ")")
    if step.requires:
        rest.append("requires " + ", ".join(map(str, step.requires)))
    if step.is_break:
        rest.append("<- BREAK")
    return str(step.curvature), str(step.range), " ".join(rest)


def proof_tree(root: Step) -> list[str]:
    """The steps as an indented tree; a shared step is drawn once and referred to after."""
    return ["  ".join(cells).rstrip() for cells in proof_columns(root)]


def proof_columns(root: Step) -> list[list[str]]:
    """The rows of :func:`proof_tree`, each as its cells padded into columns: the
    expression (indented), then curvature, range and the rest; a shared step's row is the
    expression and ``(shown above)``."""
    rows: list[tuple[str, ...]] = []
    seen: set[int] = set()
    # (step, prefix for this line, prefix for its children, depth)
    stack: list[tuple[Step, str, str, int]] = [(root, "", "", 0)]
    while stack:
        step, prefix, child_prefix, depth = stack.pop()
        label = prefix + step.text
        if id(step) in seen and step.premises:
            rows.append((label, "(shown above)"))
            continue
        seen.add(id(step))
        rows.append((label, *_describe(step)))
        premises = step.premises
        if depth + 1 >= MAX_INDENT:
            child_prefix = f"[{depth + 1}] "
            stack.extend((p, child_prefix, child_prefix, depth + 1) for p in reversed(premises))
            continue
        for i, premise in reversed(list(enumerate(premises))):
            last = i == len(premises) - 1
            stack.append((premise, child_prefix + ("└─ " if last else "├─ "),
                          child_prefix + ("   " if last else "│  "), depth + 1))
    widths = [min(max(len(row[i]) for row in rows if len(row) > i + 1), 60) for i in range(3)]
    return [[f"{cell:<{widths[i]}}" if i < 3 and i + 1 < len(row) else cell
             for i, cell in enumerate(row)] for row in rows]


# ---- sets (SPEC section 10) -------------------------------------------------------------

def set_verdict_note(result) -> str:
    """What stands behind a set's verdict, in parentheses."""
    if result.verdict == "convex":
        return "(certified by the rules; the proof kernel re-checked every step)"
    if result.verdict == "nonconvex":
        return "(disproved by a set witness)"
    return "(the rules could not conclude)"


def _domain_and_check(result, defined: str) -> list[str]:
    """The domain conditions a verdict relies on ("holds where {defined} defined"), then
    the numeric check's line: a function's result and a set's alike."""
    lines = []
    if result.domain:
        lines += ["", f"holds where {defined} defined:"]
        lines += [f"  requires {condition}" for condition in result.domain]
    return lines + ["", f"numeric check: {result.check_summary}"]


def render_set_text(result, colour: bool = False) -> str:
    """The explanation of a :class:`~dcp.result.SetResult`: the set, its verdict, each
    constraint no rule showed convex (with a caret under it), the check and its witness,
    then each constraint's proof."""
    lines = [paint(shorten(result.heading), "bold", colour)]
    if result.assumptions:
        lines.append(f"assuming {', '.join(result.assumptions)}")
    lines.append("")
    good = {"convex": "good", "nonconvex": "bad"}.get(result.verdict, "unsure")
    lines.append(paint(f"verdict: {result.verdict}", good, colour) + "  " + set_verdict_note(result))
    for part in result.breaks:
        lines.append("")
        lines.append(paint(f"no rule for `{part.text}`", "bad", colour) + f": {part.reason}")
        lines.extend("  " + (paint(line, "bad", colour) if is_caret else line)
                     for line, is_caret in source_lines(part))
    lines.extend(_domain_and_check(result, "the expressions are"))
    if result.witness is not None:
        lines.extend(set_witness_lines(result.witness))
    lines.append("")
    lines.append("proof:")
    lines.extend(set_proof_tree(result.proof))
    return "\n".join(lines)


def set_witness_lines(witness) -> list[str]:
    """A set witness: the two feasible points, theta, and the violated constraint."""
    def show(values):
        return ", ".join(f"{name} = {value}" for name, value in values.items()) or "(none)"
    relation = ">" if "<=" in witness.constraint else "<"
    entry = f" at entry {list(witness.entry)}" if witness.entry else ""
    return [
        f"witness: not a convex set (proved {witness.proved_by})",
        f"  parameters: {show(witness.params)}",
        f"  a: {show(witness.a)}  (feasible: g - h = {', '.join(witness.a_values)})",
        f"  b: {show(witness.b)}  (feasible: g - h = {', '.join(witness.b_values)})",
        f"  theta = {witness.theta:g}",
        f"  at theta a + (1 - theta) b, `{witness.constraint}` fails{entry}: "
        + (f"g - h = {witness.mix:.6g} {relation} 0" if not witness.outside else witness.failure),
    ]


def set_proof_tree(proof) -> list[str]:
    """Each constraint's set step, then the proofs it rests on, indented (with their DQCP
    steps, where the DQCP rules were tried)."""
    lines = []
    if len(proof.parts) > 1:
        lines.append(f"intersection of {len(proof.parts)} sets: "
                     + ("convex by intersection" if proof.convex else "not shown convex"))
    for number, part in enumerate(proof.parts, 1):
        claim = f"convex set by {part.rule}" if part.convex else "unknown  <- no rule"
        lines.append(f"[{number}] {part.text}: {claim}")
        for role, function in part.proofs.items():
            if role == "g - h" and part.rule == "rotated cone":
                continue                    # (the cone reads its sides, not g - h)
            lines.append(f"    {role}:")
            lines.extend("      " + line for line in proof_tree(function.root))
            quasi = quasi_lines(function)
            if quasi:
                lines.append(f"    {role} by the DQCP rules:")
                lines.extend("    " + line for line in quasi)
    return lines
