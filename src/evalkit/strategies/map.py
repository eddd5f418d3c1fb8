"""The *map* strategy: one mean-average-precision metric is the single number.

``{name: map, metric: map}``. Without ``metric`` the task's own mAP is used: ``map`` (macro average
precision over labels) for multilabel, ``mAP`` (COCO) for detection. Any other metric of the task may be
named (``map_weighted``, ``map_micro``); its direction comes from the registry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.errors import ConfigError
from evalkit.metrics.registry import MetricSpec, require_metric
from evalkit.strategies.base import Outcome, missing_reason

# The metric `strategy: map` means when strategy.metric is not set, per task.


@dataclass(frozen=True)
class MeanAP:
    """Score = the named metric; always feasible (there are no constraints).

    >>> from evalkit.metrics.registry import metric_registry
    >>> build_map(None, metric_registry("multilabel"), "multilabel").evaluate({"map": 0.7}).score
    0.7
    """

    metric: str
    higher_is_better: bool
    name: str = "map"

    @property
    def metrics_used(self) -> tuple[str, ...]:
        return (self.metric,)

    def evaluate(self, metrics: Mapping[str, float | None], *, require_all: bool = True) -> Outcome:
        score = metrics.get(self.metric)
        reason = None if score is not None else missing_reason(self.metric, metrics)
        return Outcome(score=score, reason=reason)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "metric": self.metric}

    def score_values(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The score of every bootstrap resample at once: the metric's own values."""
        return np.asarray(values[self.metric], dtype=np.float64)


def build_map(metric: str | None, registry: Mapping[str, MetricSpec], task: str) -> MeanAP:
    """Validate the metric (or pick the task's default) and build the strategy."""
    if metric is None:
        from evalkit.tasks import TASK_NAMES, get_task

        metric = get_task(task).map_metric
        if metric is None:
            tasks = ", ".join(t for t in TASK_NAMES if get_task(t).map_metric is not None)
            raise ConfigError(f"strategy map: task '{task}' has no default mAP metric (tasks with one: "
                              f"{tasks}); set strategy.metric, e.g. average_precision")
    spec = require_metric(registry, metric, where="strategy.metric")
    return MeanAP(metric, spec.higher_is_better)
