"""Pictures (matplotlib, the optional ``dcp[plot]`` extra).

* The witness slice: f along the segment from ``a`` to ``b``, the chord between the ends,
  and the violating point, where the chord passes below the curve (not convex) or above
  it (not concave); against quasiconvexity (quasiconcavity) the level of the larger
  (smaller) end instead of the chord, with the curve above (below) it.
* An atom's curvature: the function with the intervals where it is convex or concave
  shaded; the picture that answers "why is the sigmoid not convex?".
"""
from __future__ import annotations

import math
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DcpError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_witness", "plot_atom", "plot_set_witness"]


def _figure(width: float, height: float) -> Figure:
    """A figure and its axes, made without pyplot: nothing is registered with pyplot's
    figure manager (a notebook shows the returned figure once, and nothing leaks in a
    long session) and the backend the user chose is left alone."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise DcpError("pictures need matplotlib: pip install 'dcp[plot]'") from None
    figure = Figure(figsize=(width, height))
    figure.subplots()
    return figure


def _save(figure: Figure, path: str | PathLike[str] | None) -> Figure:
    """Write ``figure`` to ``path`` (when one is given), or a DcpError that says why it
    cannot be (a folder that does not exist, a format matplotlib does not write)."""
    if path is None:
        return figure
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower()
    formats = figure.canvas.get_supported_filetypes()
    if not path.parent.is_dir():
        raise DcpError(f"cannot write {path}: the folder {path.parent} does not exist")
    if suffix not in formats:
        raise DcpError(f"cannot write {path}: a picture is one of "
                       f"{', '.join(sorted(formats))} (by its extension), not {suffix or 'no extension'}")
    try:
        figure.savefig(path, dpi=110)
    except OSError as error:
        raise DcpError(f"cannot write {path}: {error.strerror}") from None
    return figure


def plot_witness(result, path: str | PathLike[str] | None = None, kind: str | None = None) -> Figure:
    """Draw the witness slice of ``result``; the figure, also written to ``path`` when one
    is given (PNG, SVG, PDF, ... by extension)."""
    from ..check.evaluate import evaluate
    from ..ops import FLOAT
    if not result.witnesses:
        why = (f"the numeric check did not run ({result.check.note})" if result.check.outcome == "not run"
               else "the check found no violation")
        raise DcpError(f"there is no witness to draw: {why}")
    from ..check.report import KINDS
    kind = kind or next(k for k in KINDS if k in result.witnesses)
    if kind not in result.witnesses:
        raise DcpError(f"there is no witness against {kind} to draw; there is one against "
                       f"{' and '.join(sorted(result.witnesses))}")
    witness = result.witnesses[kind]
    s = np.linspace(0.0, 1.0, 401)
    values = {n: np.repeat(np.asarray(v, dtype=float)[None], len(s), axis=0)
              for n, v in witness.params.items()}
    for name in result.wrt:
        a, b = np.asarray(witness.a[name], dtype=float), np.asarray(witness.b[name], dtype=float)
        weight = s.reshape((-1,) + (1,) * a.ndim)
        values[name] = (1 - weight) * a + weight * b
    f, valid = evaluate(result.proof, values, FLOAT, len(s))
    curve = f[(slice(None),) + tuple(witness.entry)] if f.ndim > 1 else f
    curve = np.where(valid, curve, np.nan)
    if kind in ("convex", "concave"):
        chord, reference = (1 - s) * curve[0] + s * curve[-1], "chord"
    else:
        level = max(curve[0], curve[-1]) if kind == "quasiconvex" else min(curve[0], curve[-1])
        chord = np.full_like(s, level)
        reference = "max(f(a), f(b))" if kind == "quasiconvex" else "min(f(a), f(b))"
    at = 1 - witness.theta                       # theta*a + (1 - theta)*b sits at s = 1 - theta

    figure = _figure(6.4, 4.2)
    axes = figure.axes[0]
    axes.plot(s, curve, color="#1f4e79", linewidth=2, label="f along the segment from a to b")
    axes.plot(s, chord, color="#c0392b", linestyle="--", linewidth=1.5, label=reference)
    axes.plot([at, at], [witness.lhs, witness.rhs], color="#555555", linewidth=1)
    axes.scatter([at], [witness.lhs], color="#1f4e79", zorder=3)
    axes.scatter([at], [witness.rhs], color="#c0392b", zorder=3)
    relation = "above" if kind in ("convex", "quasiconvex") else "below"
    axes.set_title(f"not {kind}: at the marked point the curve is {relation} the {reference}", fontsize=10)
    axes.set_xlabel("s   (the point (1 - s) a + s b)")
    entry = f"[{', '.join(map(str, witness.entry))}]" if witness.entry else ""
    axes.set_ylabel(f"{result.expression[:40]}{entry}")
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    return _save(figure, path)


def plot_atom(atom, path: str | PathLike[str] | None = None, kw: dict | None = None,
              window: float = 6.0) -> Figure:
    """Draw ``atom`` over [-window, window] (within its domain), shading where it is
    convex (blue) and concave (orange); the figure, also written to ``path`` when given."""
    kw = {**{k: v for k, v in atom.keywords.items() if v is not None}, **(kw or {})}
    missing = [k for k in atom.keywords if k not in kw]
    if missing:
        raise DcpError(f"{atom.name} has no default {', '.join(missing)}, so it has no one picture: "
                       f"draw it in Python with plot_atom(atom, path, {{{missing[0]!r}: ...}})")
    pieces = atom.pieces(kw)
    domain = pieces["domain"][0]
    lo = max(-window, domain.lo if math.isfinite(domain.lo) else -window)
    hi = min(window, domain.hi if math.isfinite(domain.hi) else window)
    x = np.linspace(lo, hi, 801)
    if domain.lo_open:
        x = x[x > domain.lo]
    y = np.array([atom.value(float(t), **kw) for t in x])

    figure = _figure(6.4, 4.0)
    axes = figure.axes[0]
    for facts, colour, label in ((pieces["convex_on"], "#4c8bf5", "convex"),
                                 (pieces["concave_on"], "#f5a04c", "concave")):
        for i, interval in enumerate(facts):
            a, b = max(interval.lo, lo), min(interval.hi, hi)
            if a < b:
                axes.axvspan(a, b, color=colour, alpha=0.18, label=label if i == 0 else None)
    axes.plot(x, y, color="#222222", linewidth=2, label=atom.name)
    axes.set_title(f"{atom.name}: where it is convex and concave", fontsize=10)
    axes.set_xlabel("x")
    axes.legend(loc="best", fontsize=8)
    figure.tight_layout()
    return _save(figure, path)


# ---- sets (SPEC section 10) -------------------------------------------------------------

def plot_set_witness(result, path: str | PathLike[str] | None = None) -> Figure:
    """Draw a set witness on a 2-D slice: the plane through ``a`` and ``b`` spanned by the
    segment and the coordinate axis where they differ most after it, drawn in those two
    coordinates (each point of the slice has its other coordinates where the segment has
    them at the same first coordinate). The feasible region is shaded; ``a``, ``b``, the
    segment and the infeasible mix are marked."""
    from ..check.evaluate import evaluate
    from ..ops import FLOAT
    witness = result.witness
    if witness is None:
        why = (f"the numeric check did not run ({result.check.note})" if result.check.outcome == "not run"
               else "the check found no set witness")
        raise DcpError(f"there is no witness to draw: {why}")
    coords = _coordinates(witness)
    if len(coords) < 2:
        coords.append(("(none)", None, (), 0.0, 0.0))
    (first, name1, at1, a1, b1), (second, name2, at2, a2, b2) = coords[:2]
    xs = np.linspace(min(a1, b1) - 0.25 * abs(b1 - a1), max(a1, b1) + 0.25 * abs(b1 - a1), 241)
    spread = max(abs(b2 - a2), 0.5 * abs(b1 - a1), 1.0)
    ys = np.linspace(min(a2, b2) - 0.5 * spread, max(a2, b2) + 0.5 * spread, 241)
    grid_x, grid_y = np.meshgrid(xs, ys)
    s = (grid_x.ravel() - a1) / (b1 - a1)
    values = {n: np.repeat(np.asarray(v, dtype=float)[None], s.size, axis=0) for n, v in witness.params.items()}
    for name in result.wrt:
        a, b = np.asarray(witness.a[name], dtype=float), np.asarray(witness.b[name], dtype=float)
        values[name] = a + s.reshape((-1,) + (1,) * a.ndim) * (b - a)
    if name2 is not None:
        values[name2][(slice(None), *at2)] += grid_y.ravel() - (a2 + s * (b2 - a2))
    feasible = np.ones(s.size, dtype=bool)
    for name in result.wrt:                          # the admissible box
        bound = result.proof.bounds.get(name)
        if bound is not None:
            inside = np.vectorize(bound.contains_value, otypes=[bool])(values[name])
            feasible &= inside.reshape(s.size, -1).all(axis=1)
    with np.errstate(all="ignore"):
        for part in result.proof.parts:
            f, valid = evaluate(part.function, values, FLOAT, s.size)
            side = f <= 0 if part.op == "<=" else (f >= 0 if part.op == ">=" else np.isclose(f, 0))
            feasible &= valid & side.reshape(s.size, -1).all(axis=1)
    figure = _figure(6.4, 4.8)
    axes = figure.axes[0]
    axes.contourf(grid_x, grid_y, feasible.reshape(grid_x.shape).astype(float), levels=[0.5, 1.5],
                  colors=["#9ecae1"], alpha=0.6)
    t = witness.theta
    mix = (t * a1 + (1 - t) * b1, t * a2 + (1 - t) * b2)
    axes.plot([a1, b1], [a2, b2], color="#333333", linewidth=1.2, label="segment from a to b")
    axes.plot([a1, b1], [a2, b2], "o", color="#1a7f37", label="a and b (feasible)")
    axes.plot(*mix, "X", color="#cf222e", markersize=10, label=f"θ = {t:g}: infeasible")
    axes.annotate("a", (a1, a2), textcoords="offset points", xytext=(6, 6))
    axes.annotate("b", (b1, b2), textcoords="offset points", xytext=(6, 6))
    axes.set_xlabel(first)
    axes.set_ylabel(second)
    axes.set_title(f"not a convex set: {{{result.expression[:60]}}}", fontsize=10)
    axes.legend(loc="best", fontsize=8)
    return _save(figure, path)


def _coordinates(witness) -> list[tuple[str, str, tuple[int, ...], float, float]]:
    """The witness's coordinates (label, name, entry, value at a, value at b), those where
    a and b differ most first."""
    found = []
    for name in witness.a:
        a, b = np.asarray(witness.a[name], dtype=float), np.asarray(witness.b[name], dtype=float)
        for at in np.ndindex(a.shape):
            label = name + (f"[{', '.join(map(str, at))}]" if a.size > 1 else "")
            found.append((label, name, at, float(a[at]), float(b[at])))
    return sorted(found, key=lambda c: -abs(c[4] - c[3]))
