"""The check's budget (numpy-free: the rules-only path builds one without loading the
search)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import DcpError

__all__ = ["Budget"]


@dataclass(frozen=True)
class Budget:
    """How much searching one check may do, in counts so that it is reproducible: random
    points in the numpy pre-search, examples per Hypothesis run (one run per claim), and
    candidates re-confirmed while making a witness smaller (Hypothesis' shrinking and the
    rounding of its numbers, each).

    `seconds` adds an opt-in wall-clock limit on top of the counts; its clock starts after
    warm-up (imports, first evaluations), so a cold process is not charged for them. A
    timed check may stop at different points from run to run.
    """

    presearch_points: int = 1536
    examples: int = 40
    shrink: int = 32
    seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("presearch_points", "examples", "shrink"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DcpError(f"Budget({name}=...) must be a count (an int >= 0), got {value!r}")
        seconds = self.seconds
        if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                    or not seconds > 0):
            raise DcpError(f"Budget(seconds=...) must be None or a positive number, got {seconds!r}")
