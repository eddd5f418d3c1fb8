"""Fitting a scikit-learn estimator from config, predicting the eval set, and measuring its cost."""

from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from evalkit.errors import ConfigError, EvalkitError
from evalkit.evalset import EvalSet
from evalkit.measurement import summarize_repeats
from evalkit.predictions import Predictions

LATENCY_ROWS = 1000
# Seven repeats: the median then moves little when one or two repeats are slowed by other work on the
# machine, and their min/max show how far a single timing could have landed.
LATENCY_REPEATS = 7


@dataclass(frozen=True)
class Fitted:
    """An estimator's predictions on the eval set and its measured cost metrics.

    ``measured`` holds, for each cost measured with repeats, :func:`evalkit.measurement.summarize_repeats`'
    record (its median is the value in ``costs``).
    """

    predictions: Predictions
    costs: dict[str, float]
    measured: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_estimator(spec: Any, *, where: str) -> Any:
    """Instantiate ``{_target_: ..., **params}``; errors name the config key and the target."""
    if not isinstance(spec, dict) or "_target_" not in spec:
        raise ConfigError(f"{where}: give the estimator as {{_target_: sklearn.module.Class, ...params}}")
    try:
        estimator = instantiate(spec, _convert_="all")
    except InstantiationException as exc:
        detail = str(exc).strip().splitlines()[-1]
        raise ConfigError(f"{where}: cannot build '{spec['_target_']}': {detail}; check _target_ and "
                          "its parameters") from None
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
        raise ConfigError(f"{where}: '{spec['_target_']}' is not an estimator (needs fit and predict)")
    return estimator


def select_features(frame: pd.DataFrame, features: list[str] | None, *, where: str) -> pd.DataFrame:
    """The feature columns an entry uses: all of them, or the ones it names."""
    if features is None:
        return frame
    missing = [c for c in features if c not in frame.columns]
    if missing:
        raise ConfigError(f"{where}.features: no such feature column(s) {missing}; "
                          f"available: {list(frame.columns)[:10]}")
    return frame[list(features)]


def fit_and_predict(estimator: Any, evalset: EvalSet, X_train: pd.DataFrame, y_train: np.ndarray,
                    X_eval: pd.DataFrame, *, where: str) -> Fitted:
    """Fit on the train split, predict the eval set, and measure latency and size.

    Latency is the median, over seven repeats after one warm-up, of the time to predict 1,000 rows
    sampled from the eval set: one number comparable across models whatever the eval set's size. The
    repeats and their spread are kept in ``Fitted.measured``.
    """
    from evalkit.tasks import get_task

    task = get_task(evalset.task)
    try:
        predictions = task.fit_predict(estimator, evalset, X_train, y_train, X_eval)
    except Exception as exc:  # a user's estimator can fail in any way; report it in one line
        raise EvalkitError(f"{where}: the estimator failed: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}{task.estimator_hint()}") from None
    task.check_fitted(predictions, evalset, where=where)
    latency = measure_latency(estimator, X_eval)
    costs = {"latency_ms": latency["median"], "model_size_kb": len(pickle.dumps(estimator)) / 1024}
    return Fitted(predictions, costs, {"latency_ms": latency})


def measure_latency(estimator: Any, X: pd.DataFrame, *, repeats: int = LATENCY_REPEATS,
                    clock: Callable[[], float] = time.perf_counter) -> dict[str, Any]:
    """Milliseconds to predict 1,000 rows sampled (seeded) from ``X``: every repeat, median and spread.

    ``clock`` returns seconds (tests pass a fake one). Example: ``measure_latency(model, X)["median"]``.
    """
    rows = np.random.default_rng(0).integers(0, len(X), size=LATENCY_ROWS)
    batch = X.iloc[rows]
    estimator.predict(batch)  # warm-up: first calls pay for lazy initialisation and cold caches
    timings = []
    for _ in range(repeats):
        start = clock()
        estimator.predict(batch)
        timings.append((clock() - start) * 1000)
    return summarize_repeats(timings, unit="ms")
