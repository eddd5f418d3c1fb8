"""The regression task: numeric targets, single-target metrics and named per-item errors.

Built only through the task interface (:mod:`evalkit.tasks.base`); the pieces it assembles:

- :mod:`.data`: truth and predictions tables, the built-in diabetes data;
- :mod:`.metrics`: the single-target metrics (equal to scikit-learn), offered when there is one target;
- :mod:`.errors`: the experiment's ``errors:`` section, per-item errors and their summaries;
- :mod:`.resampled`: every metric over a block of bootstrap weights at once;
- :mod:`.panel`: human panels that measure values (median consensus, interval agreement).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.config import BaselineConfig, DataConfig, RunConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import EvalSet
from evalkit.human_rows import BEST_ANNOTATOR, MEAN_ANNOTATOR, HumanRow
from evalkit.metrics.compute import MetricValues
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions
from evalkit.tasks.base import ResampledValues, Task, Vocabulary
from evalkit.tasks.regression import data
from evalkit.tasks.regression.errors import (
    ErrorSpec,
    NamedErrorMetric,
    error_metric_specs,
    error_metrics,
    error_specs,
    item_errors,
    parse_error_specs,
)
from evalkit.tasks.regression.metrics import REGRESSION_METRICS
from evalkit.uncertainty.resampling import Resampler

# Scatter plots of predicted against actual values keep at most this many (seeded) items.
SCATTER_POINTS = 1000


def _columns(values: np.ndarray, targets: tuple[str, ...]) -> dict[str, np.ndarray]:
    matrix = values.reshape(len(values), -1)
    return {target: matrix[:, j] for j, target in enumerate(targets)}


# People who measure give a value per item; their consensus is the median (tasks/regression/panel.py).
MEDIAN = HumanRow(
    "median",
    paired_how="each candidate scored on the items the panel's median scores",
    paired_short="the median's items",
    summary="median of {n_annotators} annotators' values per item, on {coverage[items]} of "
            "{coverage[of]} items")


class RegressionTask(Task):
    name = "regression"
    vocabulary = Vocabulary(class_="target", classes="targets")
    headline_metric = "r2"
    figures = ("error_cdf", "predicted_actual")  # its own, declared in the registry
    human_rows = (MEAN_ANNOTATOR, MEDIAN, BEST_ANNOTATOR)

    # --- config -------------------------------------------------------------------------------
    def check_experiment(self, cfg: RunConfig) -> None:
        if cfg.data.positive_label is not None:
            raise ConfigError("data.positive_label does not apply to task regression; remove it")
        targets = data.targets_of(cfg.data)
        for spec in self.errors(cfg).values():
            unknown = [c for c in spec.columns if c not in targets]
            if unknown:
                raise ConfigError(f"errors.{spec.name}: column(s) {unknown} are not targets of the truth "
                                  f"(targets: {', '.join(targets)}); add them to data.targets or fix the "
                                  "name")

    def errors(self, cfg: RunConfig) -> dict[str, ErrorSpec]:
        return parse_error_specs(cfg.errors or {})

    def metrics(self, cfg: RunConfig | None = None) -> dict[str, MetricSpec]:
        """Single-target metrics when there is one target; every named error's summaries."""
        registry: dict[str, MetricSpec] = {}
        if cfg is None or len(data.targets_of(cfg.data)) == 1:
            registry |= REGRESSION_METRICS
        if cfg is not None:
            specs = self.errors(cfg)
            for name, metric in error_metric_specs(specs).items():
                error = specs[name.rsplit("_within_", 1)[0]] if "_within_" in name else \
                    specs[name.rsplit("_", 1)[0]]
                registry[name] = NamedErrorMetric(**{f.name: getattr(metric, f.name) for f in fields(metric)},
                                                  error=error)
        return registry

    # --- truth and predictions ----------------------------------------------------------------
    def load_evalset(self, data_cfg: DataConfig, *, truth_path: Path | None,
                     train_path: Path | None) -> EvalSet:
        return data.load_evalset(data_cfg, truth_path=truth_path, train_path=train_path)

    def predictions_from_table(self, table: pd.DataFrame, evalset: EvalSet, *, source: str,
                               id_column: str = "id") -> Predictions:
        return data.predictions_from_table(table, evalset, source=source, id_column=id_column)

    def predictions_from_output(self, output: object, evalset: EvalSet, *, source: str) -> Predictions:
        return data.predictions_from_output(output, evalset, source=source)

    def restrict(self, predictions: Predictions, evalset: EvalSet, items: np.ndarray) -> Predictions:
        assert predictions.values is not None
        return Predictions(labels=None, scores=None, values=predictions.values[items], item_index=items)

    def fit_predict(self, estimator: Any, evalset: EvalSet, X_train: pd.DataFrame, y_train: np.ndarray,
                    X_eval: pd.DataFrame) -> Predictions:
        estimator.fit(X_train, y_train)
        values = np.asarray(estimator.predict(X_eval), dtype=np.float64)
        if values.ndim == 2 and values.shape[1] == 1 and len(evalset.classes) == 1:
            values = values[:, 0]
        return Predictions(labels=None, scores=None, values=values)

    def check_fitted(self, predictions: Predictions, evalset: EvalSet, *, where: str) -> None:
        values = predictions.values
        assert values is not None
        k = len(evalset.classes)
        expected = (evalset.n_items,) if k == 1 else (evalset.n_items, k)
        if values.shape != expected:
            raise DataError(f"{where}: the estimator predicted shape {values.shape}, expected {expected} "
                            f"(one column per target: {', '.join(evalset.classes)})")
        if not np.isfinite(values).all():
            raise DataError(f"{where}: the estimator predicted {int((~np.isfinite(values)).sum())} NaN or "
                            "infinite value(s)")

    def estimator_hint(self) -> str:
        return ("; for task regression use a scikit-learn regressor (several targets: one that predicts them "
                "all, e.g. LinearRegression, or sklearn.multioutput.MultiOutputRegressor)")

    # --- metrics ------------------------------------------------------------------------------
    def compute_metrics(self, registry: Mapping[str, MetricSpec], evalset: EvalSet,
                        predictions: Predictions) -> MetricValues:
        result = MetricValues()
        if predictions.values is None:
            return result
        _unweighted(predictions)
        y_true = predictions.truth(evalset)
        for spec in registry.values():
            if spec.needs == "values" and spec.fn is not None:
                result.values[spec.name] = float(spec.fn(y_true, predictions.values))
        for spec in error_specs(registry).values():
            errors = item_errors(spec, _columns(y_true, evalset.classes),
                                 _columns(predictions.values, evalset.classes))
            result.values |= {m: v for m, v in error_metrics(spec, errors).items() if m in registry}
        return result

    def fingerprint(self, evalset: EvalSet) -> str:
        return data.fingerprint(evalset)

    item_error_name = "absolute error (its mean is mae)"

    def item_errors(self, evalset: EvalSet, predictions: Predictions) -> np.ndarray | None:
        """One target: the absolute error per item (its mean is mae); several targets have no single error."""
        if predictions.values is None or predictions.item_index is not None or len(evalset.classes) != 1:
            return None
        return np.abs(np.asarray(predictions.values, dtype=np.float64).reshape(-1) - evalset.y.reshape(-1))

    def data_summary(self, evalset: EvalSet) -> dict[str, Any]:
        matrix = evalset.y.reshape(evalset.n_items, -1)
        return {"targets": {t: {"mean": float(matrix[:, j].mean()), "std": float(matrix[:, j].std()),
                                "min": float(matrix[:, j].min()), "max": float(matrix[:, j].max())}
                            for j, t in enumerate(evalset.classes)}}

    # --- human panels -------------------------------------------------------------------------
    def run_human(self, name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
                  resolve: Callable[[str, str], Path], id_column: str) -> list[Entry]:
        from evalkit.tasks.regression import panel

        return panel.run(name, cfg, evalset, registry, resolve, id_column, self)

    # --- uncertainty --------------------------------------------------------------------------
    def resampled_values(self, entries: Iterable[Entry], evalset: EvalSet,
                         registry: Mapping[str, MetricSpec], strategy_metrics: Iterable[str],
                         resampler: Resampler, *, progress: bool | None = None) -> ResampledValues:
        computed = [m for m in registry if registry[m].needs in ("values", "errors")]
        wanted = {e.name: (e.predictions, tuple(m for m in computed if e.metrics.get(m) is not None))
                  for e in entries if e.predictions is not None and e.predictions.values is not None}
        return _resample({n: w for n, w in wanted.items() if w[1]}, evalset, registry, resampler, progress)

    def restricted_values(self, best: Entry, items: np.ndarray, names: list[str], evalset: EvalSet,
                          registry: Mapping[str, MetricSpec],
                          resampler: Resampler) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        assert best.predictions is not None
        sub = self.restrict(best.predictions, evalset, items)
        own = {m: registry[m] for m in names if registry[m].needs in ("values", "errors")}
        estimates = {m: v for m, v in self.compute_metrics(own, evalset, sub).values.items() if v is not None}
        arrays = _resample({best.name: (sub, tuple(estimates))}, evalset, registry, resampler, None)
        return arrays.get(best.name, {}), estimates

    # --- curves -------------------------------------------------------------------------------
    def curve_record(self, entries: Iterable[Entry], evalset: EvalSet, *, registry: Mapping[str, MetricSpec],
                     max_points: int) -> dict[str, Any]:
        """Per entry: each named error's cumulative distribution (the share of items within x) and,
        for one target, a seeded sample of (actual, predicted) pairs."""
        from evalkit.curves import FORMAT

        specs = error_specs(registry)
        out: dict[str, Any] = {}
        for entry in entries:
            preds = entry.predictions
            if preds is None or preds.values is None:
                continue
            y_true = preds.truth(evalset)
            own: dict[str, Any] = {"role": entry.role, "kind": entry.kind}
            errors = {}
            for spec in specs.values():
                e = item_errors(spec, _columns(y_true, evalset.classes),
                                _columns(preds.values, evalset.classes))
                # The empirical CDF at evenly spaced shares (exact at each), so a small file draws smoothly.
                share = np.linspace(0, 1, max_points + 1)[1:]
                x = np.quantile(e, share, method="inverted_cdf")
                errors[spec.name] = {"error": [round(float(v), 6) for v in x],
                                     "share": [round(float(v), 6) for v in share], "n": len(e)}
            if errors:
                own["errors"] = errors
            if len(evalset.classes) == 1:
                rng = np.random.default_rng(0)
                keep = np.sort(rng.choice(len(y_true), size=min(SCATTER_POINTS, len(y_true)), replace=False))
                own["scatter"] = {"actual": [round(float(v), 6) for v in y_true[keep]],
                                  "predicted": [round(float(v), 6) for v in preds.values[keep]]}
            out[entry.name] = own
        return {"format": FORMAT, "task": self.name, "classes": list(evalset.classes), "curve_classes": [],
                "errors": {s.name: {"kind": s.kind, "unit": s.unit_note, "tolerances": list(s.tolerances)}
                           for s in specs.values()},
                "entries": out}


def _unweighted(predictions: Predictions) -> None:
    if predictions.weight is not None and not np.all(predictions.weight == 1):
        raise ValueError("regression predictions carry no fractional row weights")


def _resample(wanted: Mapping[str, tuple[Predictions, tuple[str, ...]]], evalset: EvalSet,
              registry: Mapping[str, MetricSpec], resampler: Resampler,
              progress: bool | None) -> ResampledValues:
    """Every wanted metric of every entry on the shared resamples: one pass over the weight blocks."""
    from tqdm.auto import tqdm

    from evalkit.tasks.regression.resampled import ErrorPlan, RegressionPlan, RegressionPlans

    specs = error_specs(registry)
    plans: dict[str, list[tuple[Callable[[np.ndarray], dict[str, np.ndarray]], tuple[str, ...]]]] = {}
    rows: dict[str, np.ndarray | None] = {}
    # Entries on every item with the same single-target metrics share one plan: one matrix product per
    # block serves them all (most of the cost at a million items).
    shared: dict[tuple[str, ...], list[str]] = {}
    for name, (preds, metrics) in wanted.items():
        single = tuple(m for m in metrics if registry[m].needs == "values")
        if single and preds.item_index is None:
            shared.setdefault(single, []).append(name)
    joint: list[tuple[RegressionPlans, tuple[str, ...], list[str]]] = [
        (RegressionPlans(single, evalset.y, [wanted[n][0].values for n in names]), single, names)
        for single, names in shared.items()]
    in_joint = {n for names in shared.values() for n in names}
    for name, (preds, metrics) in wanted.items():
        assert preds.values is not None
        _unweighted(preds)
        y_true = preds.truth(evalset)
        own = []
        single = tuple(m for m in metrics if registry[m].needs == "values")
        if single and name not in in_joint:
            own.append((RegressionPlan(single, y_true, preds.values), single))
        for spec in specs.values():
            names = tuple(m for m in metrics if isinstance(registry[m], NamedErrorMetric)
                          and registry[m].error == spec)  # type: ignore[attr-defined]
            if names:
                errors = item_errors(spec, _columns(y_true, evalset.classes),
                                     _columns(preds.values, evalset.classes))
                own.append((ErrorPlan(spec, errors), names))
        plans[name] = own
        rows[name] = preds.item_index
    out = {name: {m: np.empty(resampler.resamples) for _, names in own for m in names}
           for name, own in plans.items()}
    for _, single, names in joint:
        for name in names:
            out[name] |= {m: np.empty(resampler.resamples) for m in single}
    disable = None if progress is None else not progress
    for start, block in tqdm(resampler.blocks(prefetch=True), desc="bootstrap", unit="block", disable=disable,
                             total=-(-resampler.resamples // resampler.rows_per_block), leave=False):
        for plan_of_many, single, names in joint:
            for name, values in zip(names, plan_of_many(block), strict=True):
                for m in single:
                    out[name][m][start:start + len(block)] = values[m]
        for name, own in plans.items():
            index = rows[name]
            weights = block if index is None else block[:, index]
            for plan, names in own:
                values = plan(weights)
                for m in names:
                    out[name][m][start:start + len(block)] = values[m]
    return out


REGRESSION = RegressionTask()
