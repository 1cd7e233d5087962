"""Facts: sound ranges (interval arithmetic) and the curvature/monotonicity algebra."""
from .curvature import Curvature, Monotonicity  # noqa: F401
from .interval import NEG, NONNEG, NONPOS, POS, REALS, Interval, literal_range  # noqa: F401
