"""Simple-ML baselines: scikit-learn dummies and small linear models fitted on the train split."""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.fitting import build_estimator, fit_and_predict, select_features

LABEL_ONLY_ESTIMATORS = ("sklearn.dummy.DummyClassifier",)


def check(name: str, cfg: BaselineConfig) -> None:
    if cfg.estimator is None:
        raise ConfigError(f"baselines.{name}: a simple_ml baseline needs 'estimator', e.g. "
                          "{_target_: sklearn.dummy.DummyClassifier, strategy: most_frequent}")


def run(name: str, cfg: BaselineConfig, evalset: EvalSet) -> Entry:
    """Fit on the train split; without one, only a label-only dummy may be fitted on the eval labels."""
    where = f"baselines.{name}"
    estimator = build_estimator(cfg.estimator, where=f"{where}.estimator")
    details: dict[str, object] = {"estimator": cfg.estimator["_target_"]}
    if evalset.train_y is not None and evalset.train_features is not None and evalset.features is not None:
        X_train = select_features(evalset.train_features, cfg.features, where=where)
        X_eval = select_features(evalset.features, cfg.features, where=where)
        y_train = evalset.train_y
    elif cfg.estimator["_target_"] in LABEL_ONLY_ESTIMATORS:
        # A dummy only looks at the label distribution; with no train split it can still be fitted,
        # on the evaluated labels themselves, which makes it a (slightly optimistic) prior baseline.
        X_train = X_eval = pd.DataFrame({"constant": np.zeros(evalset.n_items)})
        y_train = evalset.y
        details["fitted_on"] = "the evaluated labels (no train split): an optimistic prior baseline"
    else:
        raise ConfigError(f"{where}: '{cfg.estimator['_target_']}' needs a train split; set "
                          "data.train_path, or use sklearn.dummy.DummyClassifier, which needs only labels")
    fitted = fit_and_predict(estimator, evalset, X_train, y_train, X_eval, where=where)
    if fitted.measured:
        details["measured"] = fitted.measured
    return Entry(name=name, role="baseline", kind="simple_ml", metrics=dict(fitted.costs),
                 predictions=fitted.predictions, details=details)
