"""A result as LaTeX: the expression typeset, the verdict, breaks and hints.

Numbers and powers go through SymPy's printer; atoms are set as operators
(``\\operatorname{relu}``), ``@`` as a product, ``.T`` as a transpose.
"""
from __future__ import annotations

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
    walk_postorder,
)
from ..syntax.printer import PRECEDENCE

__all__ = ["render_latex", "latex_expression"]

_GREEK = {"alpha", "beta", "gamma", "delta", "theta", "lambda", "mu", "sigma", "tau", "phi", "omega"}


def _name(text: str) -> str:
    import sympy
    return sympy.latex(sympy.Symbol(text)) if text not in _GREEK else f"\\{text}"


def latex_expression(root: Expr) -> str:
    """LaTeX for an expression (iterative, like every walk over user input)."""
    import sympy
    out: dict[int, tuple[str, int]] = {}      # node -> (latex, precedence level)

    def wrap(node: Expr, level: int) -> str:
        text, own = out[id(node)]
        return f"\\left({text}\\right)" if own < level else text

    for node in walk_postorder(root):
        if isinstance(node, Number):
            out[id(node)] = (sympy.latex(sympy.nsimplify(node.text or node.value)), 6)
        elif isinstance(node, (Name, Ref)):
            out[id(node)] = (_name(node.id), 6)
        elif isinstance(node, Unary):
            out[id(node)] = (f"{node.op}{wrap(node.operand, 3)}", 3)
        elif isinstance(node, Binary):
            level = PRECEDENCE[node.op]
            if node.op == "^":
                out[id(node)] = (f"{{{wrap(node.left, 5)}}}^{{{out[id(node.right)][0]}}}", 4)
            elif node.op == "/":
                out[id(node)] = (f"\\frac{{{out[id(node.left)][0]}}}{{{out[id(node.right)][0]}}}", 6)
            else:
                symbol = {"+": " + ", "-": " - ", "*": " \\odot ", "@": " "}[node.op]
                out[id(node)] = (f"{wrap(node.left, level)}{symbol}{wrap(node.right, level + 1)}", level)
        elif isinstance(node, Transpose):
            out[id(node)] = (f"{wrap(node.operand, 5)}^{{\\top}}", 5)
        elif isinstance(node, Index):
            out[id(node)] = (f"{wrap(node.operand, 5)}_{{{','.join(map(str, node.indices))}}}", 5)
        elif isinstance(node, Vector):
            out[id(node)] = ("\\begin{bmatrix}" + " \\\\ ".join(out[id(i)][0] for i in node.items)
                             + "\\end{bmatrix}", 6)
        elif isinstance(node, Call):
            args = [out[id(a)][0] for a in node.args]
            args += [f"{k}={out[id(v)][0]}" for k, v in node.kwargs]
            name = node.func.replace("_", "\\_")
            out[id(node)] = (f"\\operatorname{{{name}}}\\left({', '.join(args)}\\right)", 6)
    return out[id(root)][0]


def render_latex(result) -> str:
    expression = latex_expression(result.proof.root.node)
    wrt = ", ".join(_name(n) for n in result.wrt)
    lines = [f"\\[ f({wrt}) = {expression} \\]", "",
             f"\\textbf{{Verdict:}} {result.verdict}"
             + (" (certified by the rules)." if result.curvature.is_known else ".")]
    if result.assumptions:
        lines.append("Assuming " + ", ".join(f"$\\mathtt{{{a.replace('_', chr(92) + '_')}}}$"
                                             for a in result.assumptions) + ".")
    if not result.curvature.is_known:
        for step in result.breaks:
            reason = step.reason.replace("_", "\\_").replace("`", "")
            lines += ["", f"\\textbf{{Break}} at $ {latex_expression(step.node)} $: {reason}."]
    for hint in result.hints:
        lines.append("")
        lines.append(f"\\textbf{{Hint:}} assume {', '.join(hint.assumptions)} $\\Rightarrow$ {hint.verdict}.")
    for kind in ("convex", "concave"):
        witness = result.witnesses.get(kind)
        if witness is None:
            continue
        relation = ">" if kind == "convex" else "<"
        lines += ["", f"\\textbf{{Witness}} (not {kind}): with $\\theta = {witness.theta:g}$, "
                      f"$f(\\theta a + (1-\\theta) b) = {witness.lhs:.6g} {relation} {witness.rhs:.6g}"
                      f" = \\theta f(a) + (1-\\theta) f(b)$."]
    return "\n".join(lines)
