"""Syntax: the AST, the parser and the printer."""
from .ast import *  # noqa: F401,F403
from .parser import close_matches, parse_assumptions, parse_expression, parse_script  # noqa: F401
from .printer import to_text  # noqa: F401
