"""A result as LaTeX: the expression typeset, the verdict, assumptions, breaks, hints,
the domain conditions the verdict relies on, and the witnesses.

Numbers and powers go through SymPy's printer; atoms are set as operators
(``\\operatorname{relu}``), ``@`` as a product, ``.T`` as a transpose. Every relation is
set in math mode (``\\geq``, ``\\leq``): in text mode ``>`` prints as an inverted
question mark. Prose (a break's reason) is escaped, with what it quotes in backticks set
in ``\\texttt``.
"""
from __future__ import annotations

import re

from ..syntax.ast import (
    Binary,
    Call,
    Expr,
    Index,
    Name,
    Number,
    Ref,
    Transpose,
    Unary,
    Vector,
)
from ..check.report import KINDS
from ..errors import DcpError
from ..proof import DomainCondition, condition_text
from ..syntax import parse_expression
from ..syntax.printer import ATOM, POSTFIX, POWER, PRECEDENCE, UNARY
from .text import quoted_pieces

__all__ = ["render_latex", "render_set_latex", "latex_expression", "latex_condition", "latex_text"]

_GREEK = {"alpha", "beta", "gamma", "delta", "theta", "lambda", "mu", "sigma", "tau", "phi", "omega"}


def _name(text: str) -> str:
    import sympy
    return sympy.latex(sympy.Symbol(text)) if text not in _GREEK else f"\\{text}"


def latex_expression(root: Expr) -> str:
    """LaTeX for an expression. Iterative, like every walk over user input, and linear:
    pieces are emitted in order and joined once (a node's text built from its children's
    copied each level again, quadratic in the depth)."""
    out: list[str] = []
    # Work items: LaTeX to emit, or (node, the weakest level it may have unbracketed).
    stack: list[str | tuple[Expr, int]] = [(root, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, allowed = item
        level, parts = _parts(node)
        if level < allowed:
            parts = ["\\left(", *parts, "\\right)"]
        stack.extend(reversed(parts))
    return "".join(out)


def _parts(node: Expr) -> tuple[int, list[str | tuple[Expr, int]]]:
    """A node's precedence level and its pieces: LaTeX, or a child with the weakest level
    it may have there without brackets."""
    if isinstance(node, Number):
        import sympy
        return ATOM, [sympy.latex(sympy.nsimplify(node.text or node.value))]
    if isinstance(node, (Name, Ref)):
        return ATOM, [_name(node.id)]
    if isinstance(node, Unary):
        return UNARY, [node.op, (node.operand, UNARY)]
    if isinstance(node, Binary):
        if node.op == "^":
            return POWER, ["{", (node.left, POSTFIX), "}^{", (node.right, 0), "}"]
        if node.op == "/":
            return ATOM, ["\\frac{", (node.left, 0), "}{", (node.right, 0), "}"]
        level = PRECEDENCE[node.op]
        symbol = {"+": " + ", "-": " - ", "*": " \\odot ", "@": " "}[node.op]
        return level, [(node.left, level), symbol, (node.right, level + 1)]
    if isinstance(node, Transpose):
        return POSTFIX, [(node.operand, POSTFIX), "^{\\top}"]
    if isinstance(node, Index):
        return POSTFIX, [(node.operand, POSTFIX), f"_{{{','.join(map(str, node.indices))}}}"]
    if isinstance(node, Vector):
        return ATOM, ["\\begin{bmatrix}", *_joined([[(item, 0)] for item in node.items], " \\\\ "),
                      "\\end{bmatrix}"]
    if isinstance(node, Call):
        args = [[(arg, 0)] for arg in node.args] + [[f"{k}=", (v, 0)] for k, v in node.kwargs]
        name = node.func.replace("_", "\\_")
        return ATOM, [f"\\operatorname{{{name}}}\\left(", *_joined(args, ", "), "\\right)"]
    raise TypeError(f"cannot typeset {type(node).__name__}")


def _joined(items: list[list], separator: str) -> list:
    """The pieces of ``items`` in order, ``separator`` between two."""
    parts: list = []
    for i, item in enumerate(items):
        parts += [separator, *item] if i else item
    return parts


#: Each relation as math mode sets it; ``in`` for a domain between two ends.
#: What a witness compares f at the mixed point with, by the claim it disproves.
_RIGHT_SIDES = {"convex": r"\theta f(a) + (1-\theta) f(b)", "concave": r"\theta f(a) + (1-\theta) f(b)",
                "quasiconvex": r"\max(f(a), f(b))", "quasiconcave": r"\min(f(a), f(b))"}
_RELATIONS = {"<=": r"\leq", ">=": r"\geq", "<": "<", ">": ">", "==": "=", "in": r"\in"}
_RELATION = re.compile(r"(<=|>=|==|<|>)")
#: A matrix's structure, as an assumption states it (``P psd``).
_STRUCTURES = {"psd": r"\succeq 0", "nsd": r"\preceq 0", "symmetric": r"= {}^{\top}"}
#: Characters that mean something to LaTeX in text mode, and how to print them.
_TEXT = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}",
         "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "~": r"\~{}"}
_TEXT_SPECIAL = re.compile(r"<=|>=|[<>\\{}_^&%$#~]")


def _escape(text: str) -> str:
    """Text-mode LaTeX for ``text``: specials escaped, relations in math mode."""
    def one(match: re.Match) -> str:
        token = match.group()
        return f"${_RELATIONS[token]}$" if token in _RELATIONS else _TEXT[token]
    return _TEXT_SPECIAL.sub(one, text)


def latex_text(prose: str) -> str:
    """A sentence (a break's reason) for text mode: what it quotes in backticks in
    ``\\texttt``, everything escaped (``x^2`` in a reason would otherwise stop LaTeX)."""
    return "".join(f"\\texttt{{{_escape(piece)}}}" if code else _escape(piece)
                   for piece, code in quoted_pieces(prose))


def _operand(text: str) -> str:
    """One side of a condition typeset, or as typewriter text if it is no expression."""
    try:
        return latex_expression(parse_expression(text.strip()))
    except DcpError:
        return f"\\texttt{{{_escape(text.strip())}}}"


def latex_condition(text: str) -> str:
    """An assumption as math-mode LaTeX: ``0 <= y <= 1`` is ``0 \\leq y \\leq 1``, ``P psd``
    is ``P \\succeq 0``; several, separated by commas, stay so."""
    parts = []
    for condition in text.split(","):
        name, _, structure = condition.strip().partition(" ")
        if structure.strip() in _STRUCTURES:
            parts.append(f"{_name(name)} " + _STRUCTURES[structure.strip()].replace("{}", _name(name)))
            continue
        sides = _RELATION.split(condition)
        parts.append(" ".join(_RELATIONS[piece] if i % 2 else _operand(piece)
                              for i, piece in enumerate(sides)))
    return ", ".join(parts)


def latex_domain(condition: DomainCondition) -> str:
    """A domain condition as math-mode LaTeX: ``W @ x > 0`` is ``W x > 0``."""
    relation, _, bound = condition_text(condition.domain).partition(" ")
    bound = re.sub(r"\binf\b", r"\\infty", bound)
    return f"{latex_expression(condition.expr)} {_RELATIONS[relation]} {bound}"


def render_latex(result) -> str:
    """The result as a LaTeX fragment (for a paper or a report; needs amsmath)."""
    if result.kind == "set":
        return render_set_latex(result)
    expression = latex_expression(result.proof.root.node)
    wrt = ", ".join(_name(n) for n in result.wrt)
    lines = [f"\\[ f({wrt}) = {expression} \\]", "",
             f"\\textbf{{Verdict:}} {result.verdict}"
             + (" (certified by the rules)." if result.curvature.is_known else
                " (certified by the DQCP rules)." if result.proof.quasi.is_known else ".")]
    if result.assumptions:
        lines.append("Assuming " + ", ".join(f"${latex_condition(a)}$" for a in result.assumptions) + ".")
    if not result.curvature.is_known:
        for step in result.breaks:
            lines += ["", f"\\textbf{{Break}} at $ {latex_expression(step.node)} $: {latex_text(step.reason)}."]
    for hint in result.hints:
        assumptions = ", ".join(f"${latex_condition(a)}$" for a in hint.assumptions)
        lines += ["", f"\\textbf{{Hint:}} assume {assumptions} $\\Rightarrow$ {hint.verdict}."]
    if result.domain:
        lines += ["", "Holds where the expression is defined: "
                  + ", ".join(f"${latex_domain(c)}$" for c in result.domain) + "."]
    for kind in KINDS:
        witness = result.witnesses.get(kind)
        if witness is None:
            continue
        lines += ["", f"\\textbf{{Witness}} (not {kind}): with $\\theta = {witness.theta:g}$, "
                      f"$f(\\theta a + (1-\\theta) b) = {witness.lhs:.6g} {witness.relation} {witness.rhs:.6g}"
                      f" = {_RIGHT_SIDES[kind]}$."]
    return "\n".join(lines)


# ---- sets (SPEC section 10) -------------------------------------------------------------

_SET_RELATIONS = {"<=": "\\leq", ">=": "\\geq", "==": "="}


def render_set_latex(result) -> str:
    """A :class:`~dcp.result.SetResult` as a LaTeX fragment: the set typeset, the verdict,
    the rule of each constraint (or why none applied), the set witness."""
    tape = result.proof.tape
    constraints = ", \\; ".join(
        f"{latex_expression(tape.expr(part.left))} {_SET_RELATIONS[part.op]} "
        f"{latex_expression(tape.expr(part.right))}" for part in result.constraints)
    wrt = ", ".join(_name(n) for n in result.wrt)
    lines = [f"\\[ \\{{ ({wrt}) : {constraints} \\}} \\]", "",
             f"\\textbf{{Verdict:}} the set is {result.verdict}"
             + (" (certified by the rules)." if result.verdict == "convex" else ".")]
    if result.assumptions:
        lines.append("Assuming " + ", ".join(f"${latex_condition(a)}$" for a in result.assumptions) + ".")
    for part in result.constraints:
        lines.append("")
        if part.convex:
            lines.append(f"$ {latex_expression(tape.expr(part.left))} {_SET_RELATIONS[part.op]} "
                         f"{latex_expression(tape.expr(part.right))} $: convex by {part.rule}.")
        else:
            lines.append(f"\\textbf{{No rule}} for $ {latex_expression(tape.expr(part.left))} "
                         f"{_SET_RELATIONS[part.op]} {latex_expression(tape.expr(part.right))} $: "
                         f"{latex_text(part.reason)}.")
    witness = result.witness
    if witness is not None:
        lines += ["", f"\\textbf{{Witness}} (not a convex set): $a$ and $b$ are feasible, and at "
                      f"$\\theta = {witness.theta:g}$ the point $\\theta a + (1-\\theta) b$ violates "
                      f"constraint {witness.violated + 1} ({latex_text(witness.failure)})."]
    return "\n".join(lines)
