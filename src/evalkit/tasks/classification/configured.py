"""The metrics an experiment defines for classification: ``expected_cost`` (``costs:``) and the
calibration metrics (``calibration:``), from config to registry, point values and curve data.

They exist only when the experiment configures them, so runs without ``costs``/``calibration`` record
exactly what they did before. Their point values and their bootstrap share one arithmetic (weighted
per-item costs, weighted sums per bin), so a resample with every weight 1 gives the point value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from evalkit.metrics.registry import MetricSpec
from evalkit.tasks.classification import calibration, class_metrics
from evalkit.tasks.classification.calibration import CALIBRATION_METRICS, Binning, parse_calibration
from evalkit.tasks.classification.catalog import MetricSettings
from evalkit.tasks.classification.confusion import confusion_matrices
from evalkit.tasks.classification.error_costs import (
    ErrorCosts,
    check_classes,
    item_amounts,
    item_costs,
    parse_costs,
)

if TYPE_CHECKING:
    from evalkit.config import RunConfig
    from evalkit.evalset import EvalSet
    from evalkit.metrics.compute import MetricValues
    from evalkit.predictions import Predictions

EXPECTED_COST = "expected_cost"


@dataclass(frozen=True)
class ConfiguredMetric(MetricSpec):
    """A registry entry whose definition includes the experiment's costs or binning."""

    costs: ErrorCosts | None = None
    binning: Binning | None = None
    # recall_of_<class> and its kin: the class it names (checked against the truth once it is read).
    positive_class: str | None = None

    @property
    def parameters(self) -> dict[str, Any] | None:
        if self.costs is not None:
            return {"costs": self.costs.describe()}
        if self.binning is not None:
            return self.binning.describe()
        return None


def configured_metrics(cfg: RunConfig | None, *, binary: bool) -> dict[str, MetricSpec]:
    """``expected_cost`` when ``cfg.costs`` is set, the calibration metrics when ``cfg.calibration`` is."""
    out: dict[str, MetricSpec] = {}
    if cfg is None:
        return out
    if not binary:
        for name in class_metrics.named_in(cfg.strategy):
            parsed = class_metrics.parse(name)
            assert parsed is not None
            out[name] = ConfiguredMetric(name, True, "labels", True, positive_class=parsed[1])
    if cfg.costs is not None:
        costs = parse_costs(cfg.costs, binary=binary)
        out[EXPECTED_COST] = ConfiguredMetric(EXPECTED_COST, False, "labels", False, costs=costs)
    if cfg.calibration is not None:
        binning = parse_calibration(cfg.calibration)
        for name in CALIBRATION_METRICS:
            out[name] = ConfiguredMetric(name, calibration.HIGHER_IS_BETTER[name], "scores", True,
                                         binning=binning)
    return out


def metric_settings(registry: Mapping[str, MetricSpec], evalset: EvalSet) -> MetricSettings | None:
    """The costs, binning, per-item cost columns and class names the registry's configured metrics need."""
    costs = binning = None
    per_class = []
    for spec in registry.values():
        if isinstance(spec, ConfiguredMetric):
            costs = spec.costs or costs
            binning = spec.binning or binning
            if spec.positive_class is not None:
                per_class.append(spec.name)
    if costs is None and binning is None and not per_class:
        return None
    for name in per_class:
        class_metrics.class_index(name, evalset.classes)  # refuse a class the truth does not have
    amounts: dict[str, np.ndarray] = {}
    if costs is not None:
        check_classes(costs, evalset.classes)
        amounts = {column: item_amounts(column, evalset.truth_columns, source=evalset.source)
                   for column in costs.columns.values()}
    return MetricSettings(costs=costs, binning=binning, amounts=amounts, classes=tuple(evalset.classes))


def add_configured_values(result: MetricValues, registry: Mapping[str, MetricSpec], evalset: EvalSet,
                          predictions: Predictions) -> None:
    """Put the point values of the registry's configured metrics into ``result``."""
    names = [name for name, spec in registry.items() if isinstance(spec, ConfiguredMetric)]
    settings = metric_settings(registry, evalset)
    if not names or settings is None:
        return
    if predictions.item_index is not None:
        settings = settings.rows(predictions.item_index)
    y_rows = predictions.truth(evalset)
    weight = predictions.weight
    for name in names:
        given = predictions.labels if registry[name].needs == "labels" else predictions.scores
        if given is None:
            result.values[name] = None
            result.notes[name] = f"needs {registry[name].needs}; this entry gives labels only"
    if EXPECTED_COST in names and predictions.labels is not None:
        assert settings.costs is not None
        costs = item_costs(settings.costs, y_rows, predictions.labels, settings.amounts)
        result.values[EXPECTED_COST] = float(np.average(costs, weights=weight))
    per_class = [n for n in names if class_metrics.parse(n) is not None]
    if per_class and predictions.labels is not None:
        w = np.ones(len(y_rows)) if weight is None else np.asarray(weight, dtype=np.float64)
        cells = evalset.n_classes * y_rows + predictions.labels
        cm = confusion_matrices(cells, evalset.n_classes, w[None, :])
        for name, value in class_metrics.per_class_values(per_class, evalset.classes, cm).items():
            if np.isfinite(value[0]):
                result.values[name] = float(value[0])
            else:
                result.values[name] = None
                result.notes[name] = (f"undefined: class '{registry[name].positive_class}' is never "
                                      f"{'predicted' if name.startswith('precision') else 'true'}")
    wanted = [n for n in names if n in CALIBRATION_METRICS]
    if wanted and predictions.scores is not None:
        assert settings.binning is not None
        result.values |= calibration.point_values(y_rows, predictions.scores, settings.binning, wanted,
                                                  weight)


def calibration_binning(registry: Mapping[str, MetricSpec]) -> Binning | None:
    """The run's binning, when it has calibration metrics."""
    return next((s.binning for s in registry.values() if isinstance(s, ConfiguredMetric) and s.binning), None)


def reliability_record(predictions: Predictions, evalset: EvalSet,
                       binning: Binning) -> dict[str, list[float]]:
    """One entry's reliability-diagram data for ``curves.json``, rounded so reruns write the same bytes."""
    assert predictions.scores is not None
    table = calibration.reliability_table(predictions.truth(evalset), predictions.scores, binning,
                                          predictions.weight)
    return {key: [round(float(v), 6) for v in values] for key, values in table.items()}
