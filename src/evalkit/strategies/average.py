"""The *average* strategy: the (weighted) mean of named metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.errors import ConfigError
from evalkit.metrics.registry import MetricSpec, require_metric
from evalkit.strategies.base import Outcome, missing_reason


@dataclass(frozen=True)
class Average:
    """Mean of metrics; a bounded lower-is-better metric (e.g. brier) enters as ``1 - value``.

    >>> from evalkit.metrics.registry import metric_registry
    >>> s = build_average(["precision", "recall"], [3, 1], metric_registry("binary"))
    >>> s.evaluate({"precision": 0.9, "recall": 0.5}).score
    0.8
    """

    metrics_used: tuple[str, ...]
    weights: tuple[float, ...]
    flipped: tuple[bool, ...]
    name: str = "average"
    higher_is_better: bool = True
    # The weights the arithmetic uses: ``weights`` itself, or scaled down when their sum would overflow
    # (1e308 twice); ``weights`` stays as stated, for metrics.json and the report.
    scaled: tuple[float, ...] | None = None

    @property
    def _arithmetic_weights(self) -> tuple[float, ...]:
        return self.scaled if self.scaled is not None else self.weights

    def evaluate(self, metrics: Mapping[str, float | None], *, require_all: bool = True) -> Outcome:
        total = 0.0
        weights = self._arithmetic_weights
        for metric, weight, flip in zip(self.metrics_used, weights, self.flipped, strict=True):
            value = metrics.get(metric)
            if value is None:
                return Outcome(score=None, reason=missing_reason(metric, metrics))
            total += weight * ((1.0 - value) if flip else value)
        return Outcome(score=total / sum(weights))

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "metrics": list(self.metrics_used), "weights": list(self.weights)}

    def score_values(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        weights = self._arithmetic_weights
        total = sum(w * ((1.0 - values[m]) if flip else values[m])
                    for m, w, flip in zip(self.metrics_used, weights, self.flipped, strict=True))
        return np.asarray(total, dtype=np.float64) / sum(weights)


def build_average(metrics: list[str], weights: list[float] | None,
                  registry: Mapping[str, MetricSpec]) -> Average:
    """Validate an average over ``metrics`` and build it."""
    if not metrics:
        raise ConfigError("strategy average: list the metrics to average in strategy.metrics")
    if len(set(metrics)) != len(metrics):
        raise ConfigError(f"strategy average: strategy.metrics lists a metric twice: {metrics}")
    weights = list(weights) if weights is not None else [1.0] * len(metrics)
    if len(weights) != len(metrics):
        raise ConfigError(f"strategy average: {len(weights)} weights for {len(metrics)} metrics; "
                          "give one weight per metric in strategy.weights")
    for i, weight in enumerate(weights):
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight) \
                or weight <= 0:
            raise ConfigError(f"strategy.weights[{i}]: {weight!r} is not a finite positive number; give "
                              "one positive weight per metric, e.g. weights: [2, 1]")
    stated = tuple(float(w) for w in weights)
    # Dividing by the largest weight first keeps the sum (and every weighted total) finite.
    scaled = None if math.isfinite(sum(stated)) and sum(stated) > 0 else \
        tuple(w / max(stated) for w in stated)
    flipped = []
    for name in metrics:
        spec = require_metric(registry, name, where="strategy.metrics")
        if not spec.higher_is_better and not spec.bounded:
            raise ConfigError(f"strategy average: '{name}' is lower-is-better and unbounded, so it cannot "
                              "be averaged with scores in [0, 1]; use strategy satisficing with a "
                              f"constraint such as {name}: '<= x' instead")
        flipped.append(not spec.higher_is_better)
    return Average(tuple(metrics), stated, tuple(flipped), scaled=scaled)
