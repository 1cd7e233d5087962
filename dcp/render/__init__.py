"""Renderers: a result as text, Markdown, HTML, JSON or LaTeX, chosen by name."""
from __future__ import annotations

from .html import render_html
from .json import render_json, to_json
from .latex import latex_expression, render_latex
from .markdown import render_markdown
from .text import render_text

__all__ = ["RENDERERS", "render", "render_text", "render_markdown", "render_html", "render_json", "render_latex",
           "to_json", "latex_expression"]

RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "json": render_json,
    "latex": render_latex,
}


def render(result, format: str = "text", **options) -> str:
    """``result`` in ``format`` (one of :data:`RENDERERS`)."""
    return RENDERERS[format](result, **options)
