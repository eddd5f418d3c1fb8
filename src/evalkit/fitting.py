"""Fitting a scikit-learn estimator from config, predicting the eval set, and measuring its cost."""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from hydra.errors import InstantiationException
from hydra.utils import instantiate

from evalkit.errors import ConfigError, EvalkitError
from evalkit.evalset import EvalSet
from evalkit.predictions import Predictions

LATENCY_ROWS = 1000
LATENCY_REPEATS = 5


@dataclass(frozen=True)
class Fitted:
    """An estimator's predictions on the eval set and its measured cost metrics."""

    predictions: Predictions
    costs: dict[str, float]


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

    Latency is the median, over a few repeats, of the time to predict 1,000 rows sampled from the
    eval set: one number comparable across models whatever the eval set's size.
    """
    from evalkit.tasks import get_task

    task = get_task(evalset.task)
    try:
        predictions = task.fit_predict(estimator, evalset, X_train, y_train, X_eval)
    except Exception as exc:  # a user's estimator can fail in any way; report it in one line
        raise EvalkitError(f"{where}: the estimator failed: {type(exc).__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}{task.estimator_hint()}") from None
    task.check_fitted(predictions, evalset, where=where)
    costs = {"latency_ms": _latency_ms(estimator, X_eval),
             "model_size_kb": len(pickle.dumps(estimator)) / 1024}
    return Fitted(predictions, costs)


def _latency_ms(estimator: Any, X: pd.DataFrame) -> float:
    rows = np.random.default_rng(0).integers(0, len(X), size=LATENCY_ROWS)
    batch = X.iloc[rows]
    estimator.predict(batch)  # warm-up: first calls pay for lazy initialisation and cold caches
    timings = []
    for _ in range(LATENCY_REPEATS):
        start = time.perf_counter()
        estimator.predict(batch)
        timings.append(time.perf_counter() - start)
    return float(np.median(timings) * 1000)
