"""Losses, defined by expansion: the trace shows the expansion and the rules analyse it.

An expansion never loses precision: it is the loss's definition, written with atoms.
"""
from __future__ import annotations

from functools import cached_property
from typing import ClassVar

from .base import Atom


class Expansion(Atom):
    """An atom defined as an expression of its parameters (``template``)."""

    kind = "expansion"
    params: ClassVar[tuple[str, ...]] = ()
    template: ClassVar[str] = ""

    @cached_property
    def body(self):
        from ..syntax import parse_expression
        return parse_expression(self.template)

    @property
    def formula(self) -> str:  # type: ignore[override]
        return self.template


class Mse(Expansion):
    """mse(yhat, y) = mean(square(yhat - y)): mean squared error."""

    name = "mse"
    params = ("yhat", "y")
    min_args = max_args = 2
    template = "mean(square(yhat - y))"


class Mae(Expansion):
    """mae(yhat, y) = mean(abs(yhat - y)): mean absolute error."""

    name = "mae"
    params = ("yhat", "y")
    min_args = max_args = 2
    template = "mean(abs(yhat - y))"


class HuberLoss(Expansion):
    """huber_loss(yhat, y, M=1) = mean(huber(yhat - y, M=M))."""

    name = "huber_loss"
    params = ("yhat", "y")
    keywords = {"M": 1.0}
    min_args = max_args = 2
    template = "mean(huber(yhat - y, M=M))"


class CrossEntropy(Expansion):
    """cross_entropy(z, y) = logsumexp(z) - dot(y, z): softmax cross-entropy on logits.

    The logits are z and the target weights y.
    """

    name = "cross_entropy"
    params = ("z", "y")
    min_args = max_args = 2
    template = "logsumexp(z) - dot(y, z)"


class BceWithLogits(Expansion):
    """bce_with_logits(z, y) = mean(softplus(z) - y * z): binary cross-entropy on logits."""

    name = "bce_with_logits"
    params = ("z", "y")
    min_args = max_args = 2
    template = "mean(softplus(z) - y * z)"


class HingeLoss(Expansion):
    """hinge_loss(z, y) = mean(relu(1 - y * z)): the SVM hinge loss."""

    name = "hinge_loss"
    params = ("z", "y")
    min_args = max_args = 2
    template = "mean(relu(1 - y * z))"
