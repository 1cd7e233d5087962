"""Bounded memo tables: one policy for every answer dcp remembers across calls.

The rules ask the same few questions at every layer of a network and every term of a sum,
and similar expressions ask them again: an atom's facts on some ranges, a composition's
conclusion, a built-in call's resolution. Each such answer is a pure function of its key,
so remembering it changes no result; a :class:`Memo` holds them. Past its size a memo
starts afresh (a deep expression refills it in one pass; no entry is more precious than
another), so memory stays bounded whatever is certified.

Every memo registers itself, so that a test which changes what an answer would be (an
atom's facts patched) can empty them all with :func:`clear_all`.

>>> squares = Memo(size=2)
>>> squares.get(3) is None
True
>>> squares.put(3, 9)
9
>>> squares[3]
9
"""
from __future__ import annotations

import itertools
import weakref

__all__ = ["Memo", "clear_all", "MEMO_SIZE"]

#: The size of a memo unless it says otherwise.
MEMO_SIZE = 4096

#: Every live memo, by a serial number (a dict is unhashable, so no WeakSet).
_ALL: weakref.WeakValueDictionary[int, Memo] = weakref.WeakValueDictionary()
_SERIAL = itertools.count()


class Memo(dict):
    """A dict of remembered answers, emptied when it would grow past ``size``.

    Read it as a dict (``memo.get(key)``, in C, is the hot path); add with :meth:`put`.
    """

    __slots__ = ("size", "__weakref__")

    def __init__(self, size: int = MEMO_SIZE) -> None:
        super().__init__()
        self.size = size
        _ALL[next(_SERIAL)] = self

    def put(self, key, value):
        """Remember ``value`` for ``key`` (starting afresh when full); returns ``value``."""
        if len(self) >= self.size:
            self.clear()
        self[key] = value
        return value

    def __repr__(self) -> str:
        return f"<Memo {len(self)}/{self.size}>"


def clear_all() -> None:
    """Forget every remembered answer (for a test that changes what one would be)."""
    for memo in list(_ALL.values()):
        memo.clear()
