"""Renderers: a result as text (and, in later versions, Markdown, JSON and LaTeX)."""
from .text import render_text  # noqa: F401
