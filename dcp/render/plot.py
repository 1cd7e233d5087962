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

__all__ = ["plot_witness", "plot_atom"]


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
