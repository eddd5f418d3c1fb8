"""Measuring learning curves in a run: refit an entry's estimator on growing subsets of the train split.

Each (entry, size, seed) is one independent fit, scored on the evaluated items with every metric of
the run and the strategy's single number, through the task's hooks (``fit_predict``,
``compute_metrics``), so every task that fits estimators gets curves without naming it here. The
largest size is the whole train split; its seeds differ only in the order of the rows, so a
deterministic estimator gives the same score for each (the score at the full split has no subset
spread). One extra fit at the full split is scored on the train split itself: the training score
that tells variance from bias (:mod:`evalkit.learning_curve.diagnosis`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evalkit.errors import EvalkitError
from evalkit.evalset import EvalSet
from evalkit.fitting import build_estimator, select_features
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import MetricSpec
from evalkit.strategies import Strategy
from evalkit.tasks import get_task


@dataclass(frozen=True)
class CurveSource:
    """An entry whose curve is measured: its name, role and estimator spec (as in the config)."""

    name: str
    role: str
    estimator: Any
    features: list[str] | None = None


@dataclass
class Measured:
    """What the fits gave: one row per successful fit, training scores, and failures per entry."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    train: dict[str, dict[str, Any]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)


def subset_indices(n_train: int, size: int, seed: int, strata: np.ndarray | None = None) -> np.ndarray:
    """``size`` distinct row positions out of ``n_train``, drawn with ``seed``; sorted.

    With ``strata`` (one value per row, e.g. the class) each stratum gets its share of the subset,
    rounded by largest remainder, and at least one row when ``size`` allows it: a classifier fitted on
    16 rows of a 5% class must still see that class.

    >>> subset_indices(10, 4, seed=0, strata=np.array([0] * 8 + [1] * 2)).size
    4
    """
    if not 0 < size <= n_train:
        raise ValueError(f"size {size} outside 1..{n_train}")
    rng = np.random.default_rng(seed)
    if strata is None or size == n_train:
        return np.sort(rng.permutation(n_train)[:size])
    values, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    quota = size * counts / n_train
    take = np.floor(quota).astype(int)
    if size >= len(values):
        take = np.maximum(take, 1)
    # Hand out what rounding left (or take back what the at-least-one rule added), largest remainder first.
    order = np.argsort(-(quota - take), kind="stable")
    while take.sum() < size:
        for k in order:
            if take.sum() < size and take[k] < counts[k]:
                take[k] += 1
    while take.sum() > size:
        k = int(np.argmax(take))
        take[k] -= 1
    picked = [rng.choice(np.flatnonzero(inverse == k), size=int(t), replace=False)
              for k, t in enumerate(take) if t > 0]
    return np.sort(np.concatenate(picked))


def train_view(evalset: EvalSet) -> EvalSet:
    """The train split as an eval set (same classes), to score a fit on the data it was fitted on."""
    assert evalset.train_y is not None
    ids = np.array([f"train:{i}" for i in range(len(evalset.train_y))], dtype=object)
    return dataclasses.replace(evalset, ids=ids, y=evalset.train_y, features=evalset.train_features,
                               train_features=None, train_y=None)


def fit_point(source: CurveSource, evalset: EvalSet, registry: Mapping[str, MetricSpec], strategy: Strategy,
              size: int, seed: int, strata: np.ndarray | None, *, with_train: bool = False) -> dict[str, Any]:
    """Fit ``source`` on one subset and score it: ``{"row": {...}}``, plus ``"train"`` when asked,
    or ``{"error": message}`` when the estimator fails on this subset."""
    assert evalset.train_features is not None and evalset.train_y is not None and evalset.features is not None
    task = get_task(evalset.task)
    where = f"learning curve of {source.name} (n={size}, seed={seed})"
    X_train = select_features(evalset.train_features, source.features, where=source.name)
    X_eval = select_features(evalset.features, source.features, where=source.name)
    idx = subset_indices(len(evalset.train_y), size, seed, strata)
    if size == len(evalset.train_y):
        idx = np.random.default_rng(seed).permutation(idx)  # the seed reorders the rows
    try:
        estimator = build_estimator(source.estimator, where=source.name)
        predictions = task.fit_predict(estimator, evalset, X_train.iloc[idx], evalset.train_y[idx], X_eval)
        task.check_fitted(predictions, evalset, where=where)
        values = compute_metrics(registry, evalset, predictions).values
        out: dict[str, Any] = {"row": {"entry": source.name, "n": size, "seed": seed,
                                       "score": strategy.evaluate(values, require_all=False).score,
                                       **values}}
        if with_train:
            view = train_view(evalset)
            refit = build_estimator(source.estimator, where=source.name)
            on_train = task.fit_predict(refit, view, X_train, evalset.train_y, X_train)
            train_values = compute_metrics(registry, view, on_train).values
            out["train"] = {"score": strategy.evaluate(train_values, require_all=False).score,
                            "metrics": train_values}
        return out
    except EvalkitError as exc:
        return {"error": f"{where}: {exc}"}
    except Exception as exc:  # a user's estimator can fail in any way on a small subset
        return {"error": f"{where}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}


def measure_curves(sources: Sequence[CurveSource], evalset: EvalSet, registry: Mapping[str, MetricSpec],
                   strategy: Strategy, sizes: Sequence[int], seeds: int, *, n_jobs: int = 1,
                   progress: bool | None = None) -> Measured:
    """Fit every source at every size with ``seeds`` seeds (tqdm progress bar; joblib with n_jobs > 1)."""
    from tqdm.auto import tqdm

    if not sources or not sizes:
        return Measured()
    assert evalset.train_y is not None
    strata = get_task(evalset.task).curve_strata(evalset.train_y)
    full = len(evalset.train_y)
    jobs = [(source, size, seed, size == full and seed == 0)
            for source in sources for size in sizes for seed in range(seeds)]
    disable = None if progress is None else not progress
    if n_jobs == 1:
        results = (fit_point(s, evalset, registry, strategy, n, k, strata, with_train=t)
                   for s, n, k, t in jobs)
    else:
        from joblib import Parallel, delayed

        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(fit_point)(s, evalset, registry, strategy, n, k, strata, with_train=t)
            for s, n, k, t in jobs)
    measured = Measured()
    for (source, _, _, _), result in zip(jobs, tqdm(results, total=len(jobs), desc="learning curves",
                                                    unit="fit", disable=disable, leave=False), strict=True):
        if "error" in result:
            measured.failures.setdefault(source.name, []).append(result["error"])
            continue
        measured.rows.append(result["row"])
        if "train" in result:
            measured.train[source.name] = result["train"]
    return measured
