"""Records built by hand for the figure tests: small, explicit, and with the optional fields
(``ci``, ``feasible_share``, ``human_level``) that the uncertainty and human-baseline work adds."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from plot_data import binary_evalset, build_satisficing_record, noisy_scores

from evalkit.config import validate
from evalkit.curves import curve_record
from evalkit.entry import Entry
from evalkit.paths import PathResolver
from evalkit.predictions import Predictions
from evalkit.results import to_record
from evalkit.runner import run_experiment


@pytest.fixture
def satisficing_record() -> dict[str, Any]:
    """Three candidates (one infeasible, one fragile), a rule, a human panel, an external number and an
    entry without a score; bootstrap intervals on everything except the external number."""
    return build_satisficing_record()


@pytest.fixture
def plain_record(satisficing_record: dict[str, Any]) -> dict[str, Any]:
    """The same run without any interval, feasibility share or human level (no bootstrap)."""
    record = copy.deepcopy(satisficing_record)
    for entry in record["entries"]:
        entry.pop("ci", None)
        entry.pop("feasible_share", None)
    record.pop("human_level")
    record.pop("bootstrap")
    return record


@pytest.fixture
def binary_curves(satisficing_record: dict[str, Any]) -> dict[str, Any]:
    """Curve data matching ``satisficing_record``: scores for alpha, beta, gamma; labels only for the
    rule and the human panel (with a tied item split in two); nothing for the external number."""
    evalset = binary_evalset()
    y = evalset.y

    def scored(name: str, role: str, noise: float, seed: int) -> Entry:
        scores = noisy_scores(y, noise, seed)
        labels = (scores >= 0.5).astype(int)
        return Entry(name, role, "estimator", {}, predictions=Predictions(labels=labels, scores=scores))

    rule_labels = np.where(np.random.default_rng(9).random(len(y)) < 0.1, 1 - y, y)
    vote = Predictions(labels=np.concatenate([y[:-1], [0, 1]]), scores=None,
                       item_index=np.concatenate([np.arange(len(y) - 1), [len(y) - 1, len(y) - 1]]),
                       weight=np.concatenate([np.ones(len(y) - 1), [0.5, 0.5]]))
    entries = [scored("alpha", "candidate", 0.15, 1), scored("beta", "candidate", 0.2, 2),
               Entry("spec", "baseline", "external", {}),
               Entry("panel/majority_vote", "baseline", "human", {}, predictions=vote),
               scored("gamma", "candidate", 0.3, 3),
               Entry("rule", "baseline", "rule", {},
                     predictions=Predictions(labels=rule_labels, scores=None)),
               Entry("majority", "baseline", "simple_ml", {},
                     predictions=Predictions(labels=np.zeros(len(y), dtype=int), scores=np.zeros(len(y))))]
    return curve_record(entries, evalset)


@pytest.fixture(scope="session")
def iris_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """A small multiclass experiment run for real: two models and a prior baseline on iris."""
    config = validate({
        "task": "multiclass", "data": {"name": "iris", "test_size": 0.4, "seed": 0},
        "candidates": {
            "logreg": {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression", "max_iter": 500}},
            "tree": {"estimator": {"_target_": "sklearn.tree.DecisionTreeClassifier", "max_depth": 2,
                                   "random_state": 0}}},
        "baselines": {"prior": {"kind": "simple_ml",
                                "estimator": {"_target_": "sklearn.dummy.DummyClassifier",
                                              "strategy": "prior"}}},
        "strategy": {"name": "average", "metrics": ["accuracy"]},
    })
    result = run_experiment(config, PathResolver(config_dir=tmp_path_factory.mktemp("conf")), progress=False)
    return to_record(result), curve_record(result.entries, result.evalset)
