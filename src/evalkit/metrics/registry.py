"""The metric registry: every metric name with its direction, its range and what it needs.

Direction is part of a metric's identity and is looked up here by strategies, ranking, the gate and
the plots; nothing downstream guesses it. ``needs`` says which predictions a metric reads:
``labels``, ``scores``, ``detections`` (COCO results) or ``declared`` for cost metrics that are measured or
stated, not computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evalkit.detection.params import STAT_NAMES
from evalkit.errors import ConfigError
from evalkit.metrics import classification as clf
from evalkit.metrics import multilabel as ml

if TYPE_CHECKING:
    from evalkit.config import RunConfig


@dataclass(frozen=True)
class MetricSpec:
    """What evalkit knows about a metric name."""

    name: str
    higher_is_better: bool
    needs: str
    bounded: bool
    fn: Callable[..., float] | None = None

    @property
    def direction(self) -> str:
        return "higher" if self.higher_is_better else "lower"

    @property
    def parameters(self) -> dict[str, Any] | None:
        """What the experiment set that defines this metric's numbers (error costs, calibration bins).

        Recorded in ``metrics.json`` beside the direction, so a reference accepted under other costs or
        bins does not pass the gate. None for metrics that are defined once for all experiments.
        """
        return None

    @property
    def value_range(self) -> tuple[float, float]:
        """The values this metric can take: [0, 1] when bounded, else [0, inf) (losses, costs, coverage)."""
        return (0.0, 1.0) if self.bounded else (0.0, math.inf)


def _spec(fn: Callable[..., float], needs: str, *, higher: bool = True, bounded: bool = True,
          name: str | None = None) -> MetricSpec:
    return MetricSpec(name or fn.__name__, higher, needs, bounded, fn)


BINARY = {s.name: s for s in (
    _spec(clf.accuracy, "labels"), _spec(clf.balanced_accuracy, "labels"), _spec(clf.precision, "labels"),
    _spec(clf.recall, "labels"), _spec(clf.f1, "labels"), _spec(clf.roc_auc, "scores"),
    _spec(clf.average_precision, "scores"), _spec(clf.log_loss, "scores", higher=False, bounded=False),
    _spec(clf.brier, "scores", higher=False),
)}

MULTICLASS = {s.name: s for s in (
    _spec(clf.accuracy, "labels"), _spec(clf.balanced_accuracy, "labels"),
    _spec(clf.precision_macro, "labels", name="precision_macro"),
    _spec(clf.recall_macro, "labels", name="recall_macro"), _spec(clf.f1_macro, "labels", name="f1_macro"),
    _spec(clf.f1_weighted, "labels", name="f1_weighted"), _spec(clf.roc_auc_ovr, "scores"),
    _spec(clf.log_loss, "scores", higher=False, bounded=False),
)}



def _multilabel(metric: ml.MultilabelMetric) -> MetricSpec:
    """A multilabel metric (direction, needs and range from MULTILABEL_METRICS) in the registry's form."""
    fn = metric.function

    def adapted(Y: np.ndarray, given: np.ndarray, *, n_classes: int,
                sample_weight: np.ndarray | None = None) -> float:
        # n_classes is implied by the matrices' width; the common signature passes it anyway.
        return fn(Y, given, sample_weight=sample_weight)

    adapted.__name__ = metric.name
    adapted.__doc__ = fn.__doc__
    return MetricSpec(metric.name, metric.higher_is_better, metric.needs, metric.bounded_01, adapted)


MULTILABEL = {name: _multilabel(metric) for name, metric in ml.MULTILABEL_METRICS.items()}

# The 12 COCO numbers (pycocotools' COCOeval.stats, by name); all higher-is-better and in [0, 1]. They are
# computed together from one matching (evalkit.metrics.detection), so no per-metric function.
DETECTION = {name: MetricSpec(name, True, "detections", True) for name in STAT_NAMES}

COST = {
    "latency_ms": MetricSpec("latency_ms", False, "declared", False),
    "model_size_kb": MetricSpec("model_size_kb", False, "declared", False),
}

DIRECTIONS = {"higher": True, "lower": False}


def metric_registry(task: str, cost_metrics: Mapping[str, str] | None = None, *,
                    config: RunConfig | None = None) -> dict[str, MetricSpec]:
    """All metric names valid for ``task``, plus the user's declared cost metrics.

    ``cost_metrics`` maps a name to ``higher`` or ``lower`` (which direction is better); ``config``, the
    experiment, adds the metrics it defines (regression's named errors).

    >>> metric_registry("binary", {"energy_j": "lower"})["energy_j"].higher_is_better
    False
    """
    from evalkit.tasks import get_task  # the registry of tasks; each task owns its metrics

    registry = get_task(task).metrics(config) | COST
    for name, direction in (cost_metrics or {}).items():
        if direction not in DIRECTIONS:
            raise ConfigError(f"cost_metrics.{name}: direction '{direction}' is not one of: higher, lower")
        if name in registry and registry[name].needs != "declared":
            raise ConfigError(f"cost_metrics.{name}: '{name}' is a computed metric; pick another name")
        registry[name] = MetricSpec(name, DIRECTIONS[direction], "declared", False)
    return registry


def require_metric(registry: Mapping[str, MetricSpec], name: str, *, where: str) -> MetricSpec:
    """Look a metric up, failing with the list of valid names."""
    if name not in registry:
        raise ConfigError(f"{where}: unknown metric '{name}'; valid metrics: {', '.join(registry)} "
                          "(declare other cost metrics under cost_metrics: {name: lower|higher})")
    return registry[name]


def check_stated_value(spec: MetricSpec, value: object, *, where: str) -> None:
    """A number stated in the config (external baselines, declared costs) must be one the metric can take.

    ``where`` is the config key (``baselines.paper.metrics.accuracy``); the message names it and the fix.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {value!r} is not a number; state the metric's value, e.g. 0.95")
    if not math.isfinite(value):
        raise ConfigError(f"{where}: {value} is not a finite number; state the metric's measured value")
    low, high = spec.value_range
    if spec.needs == "declared" and value < low:
        raise ConfigError(f"{where}: {value:g} is negative; a cost metric ({spec.name}) is a measured "
                          "amount, 0 or more")
    if not low <= value <= high:
        interval = f"[{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
        hint = "; give a fraction (0.95, not 95)" if high == 1.0 and value > high else ""
        raise ConfigError(f"{where}: {value:g} is outside the range of {spec.name} ({interval}){hint}")
