"""Candidates: the models being compared, fitted here or read from a predictions file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path

from evalkit.config import CandidateConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError, EvalkitError
from evalkit.evalset import EvalSet
from evalkit.fitting import build_estimator, fit_and_predict, select_features
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import MetricSpec, check_stated_value
from evalkit.tasks import get_task


def check_candidate(name: str, cfg: CandidateConfig, registry: Mapping[str, MetricSpec]) -> None:
    """Config checks that need no data: exactly one source, and only declared metrics stated."""
    where = f"candidates.{name}"
    if (cfg.estimator is None) == (cfg.predictions is None):
        raise ConfigError(f"{where}: give exactly one of 'estimator' (fitted here) or 'predictions' (a file)")
    check_declared(cfg.metrics, registry, where=where)


def check_declared(metrics: Mapping[str, float], registry: Mapping[str, MetricSpec], *, where: str) -> None:
    """Declared metrics must be cost metrics (computed ones come from the predictions), finite and >= 0."""
    for metric, value in metrics.items():
        spec = registry.get(metric)
        if spec is None:
            raise ConfigError(f"{where}.metrics: unknown metric '{metric}'; declare it under "
                              f"cost_metrics: {{{metric}: lower}} (or higher)")
        if spec.needs != "declared":
            raise ConfigError(f"{where}.metrics: '{metric}' is computed from the predictions; "
                              "remove it from the declared metrics")
        # A negative latency would win a satisficing ranking; NaN/inf break the figures after metrics.json.
        check_stated_value(spec, value, where=f"{where}.metrics.{metric}")


def file_fingerprint(path: Path) -> str:
    """sha256 of the file's bytes, read in chunks: a predictions file of ten million rows is not held
    in memory a second time just to be hashed."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def run_candidate(name: str, cfg: CandidateConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
                  resolve: Callable[[str, str], Path], id_column: str) -> Entry:
    """Produce the candidate's entry: predictions, computed metrics and cost metrics."""
    where = f"candidates.{name}"
    details: dict[str, object] = {}
    if cfg.estimator is not None:
        if evalset.train_features is None or evalset.train_y is None or evalset.features is None:
            raise ConfigError(f"{where}: an estimator needs a train split with features; set data.train_path "
                              "(or use a built-in dataset), or give 'predictions' instead")
        estimator = build_estimator(cfg.estimator, where=f"{where}.estimator")
        fitted = fit_and_predict(estimator, evalset,
                                 select_features(evalset.train_features, cfg.features, where=where),
                                 evalset.train_y,
                                 select_features(evalset.features, cfg.features, where=where), where=where)
        predictions, costs, kind = fitted.predictions, fitted.costs, "estimator"
        details["estimator"] = cfg.estimator["_target_"]
        # A value stated under the candidate's metrics replaces the measured one, and with it its spread.
        measured = {m: r for m, r in fitted.measured.items() if m not in cfg.metrics}
        if measured:
            details["measured"] = measured
    else:
        assert cfg.predictions is not None
        path = resolve(cfg.predictions, f"{where}.predictions")
        predictions = get_task(evalset.task).predictions_from_file(path, evalset, id_column=id_column)
        costs, kind = {}, "predictions"
        details.update(path=str(path), fingerprint=file_fingerprint(path))
        if predictions.labels_from_scores:
            details["labels_from_scores"] = "labels derived from scores (threshold 0.5 / argmax)"
    computed = compute_metrics(registry, evalset, predictions)
    metrics = computed.values | costs | dict(cfg.metrics)
    if not metrics:
        raise EvalkitError(f"{where}: no metrics could be computed")
    return Entry(name=name, role="candidate", kind=kind, metrics=metrics, notes=computed.notes,
                 predictions=predictions, details=details)
