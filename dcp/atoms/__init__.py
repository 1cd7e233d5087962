"""The atom library. Importing this package registers every atom it declares.

>>> from dcp.atoms import lookup
>>> lookup("relu", 1)
<atom relu>
"""
from . import elementwise, losses, matrix, reductions, relative, structural  # noqa: F401  (registration)
from .base import REGISTRY, Atom, ScalarAtom, all_atoms, lookup, operator  # noqa: F401
from .losses import Expansion  # noqa: F401
