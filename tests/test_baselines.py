"""Each baseline kind produces leaderboard rows scored on the same items as the candidates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm

from evalkit.baselines import check_baseline, run_baseline
from evalkit.baselines.human import majority_vote
from evalkit.config import BaselineConfig, DataConfig
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import load_evalset
from evalkit.metrics.registry import metric_registry
from tests.experiments import truth_frame

REGISTRY = metric_registry("binary")


@pytest.fixture
def evalset(tmp_path: Path):
    truth = truth_frame()
    truth.to_csv(tmp_path / "truth.csv", index=False)
    return load_evalset("binary", DataConfig(path="truth.csv"), truth_path=tmp_path / "truth.csv")


def run(name: str, cfg: BaselineConfig, evalset, root: Path):
    check_baseline(name, cfg, REGISTRY)
    return run_baseline(name, cfg, evalset, REGISTRY, lambda value, key: root / value, "id")


def test_external_reports_only_the_metrics_it_states(evalset, tmp_path):
    [entry] = run("paper", BaselineConfig(kind="external", metrics={"recall": 0.9}, source="Smith 2020"),
                  evalset, tmp_path)
    assert entry.metrics == {"recall": 0.9} and entry.details["source"] == "Smith 2020"
    assert entry.predictions is None


def test_external_with_an_unknown_metric_lists_the_valid_ones(evalset, tmp_path):
    with pytest.raises(ConfigError, match="unknown metric 'recal'; valid metrics: accuracy"):
        run("paper", BaselineConfig(kind="external", metrics={"recal": 0.9}), evalset, tmp_path)


def test_rule_returning_labels_is_scored_like_a_model(evalset, tmp_path):
    (tmp_path / "rules.py").write_text("def by_x1(f):\n    return (f['x1'] > 1).astype(int)\n")
    [entry] = run("rule", BaselineConfig(kind="rule", function="rules.py:by_x1"), evalset, tmp_path)
    truth = truth_frame()
    expected = skm.accuracy_score(truth["label"], (truth["x1"] > 1).astype(int))
    assert entry.kind == "rule" and entry.metrics["accuracy"] == pytest.approx(expected)
    assert entry.metrics["roc_auc"] is None


def test_rule_returning_a_frame_with_scores_gets_ranking_metrics(evalset, tmp_path):
    (tmp_path / "rules.py").write_text(
        "import numpy as np, pandas as pd\n"
        "def soft(f):\n    return pd.DataFrame({'score': 1 / (1 + np.exp(-f['x1']))}, index=f.index)\n")
    [entry] = run("rule", BaselineConfig(kind="rule", function="rules.py:soft"), evalset, tmp_path)
    truth = truth_frame()
    assert entry.metrics["roc_auc"] == pytest.approx(skm.roc_auc_score(truth["label"], truth["x1"]))


def test_rule_errors_name_the_function_and_the_fix(evalset, tmp_path):
    (tmp_path / "rules.py").write_text("def broken(f):\n    raise KeyError('x9')\n")
    with pytest.raises(ConfigError, match="has no function 'nope'"):
        run("rule", BaselineConfig(kind="rule", function="rules.py:nope"), evalset, tmp_path)
    with pytest.raises(Exception, match="rules.py:broken raised KeyError"):
        run("rule", BaselineConfig(kind="rule", function="rules.py:broken"), evalset, tmp_path)
    with pytest.raises(ConfigError, match="path/to/file.py:function_name"):
        run("rule", BaselineConfig(kind="rule", function="rules.py"), evalset, tmp_path)


def test_simple_ml_dummy_without_train_split_is_fitted_on_the_eval_labels_and_says_so(evalset, tmp_path):
    cfg = BaselineConfig(kind="simple_ml",
                         estimator={"_target_": "sklearn.dummy.DummyClassifier", "strategy": "prior"})
    [entry] = run("prior", cfg, evalset, tmp_path)
    assert entry.metrics["accuracy"] == pytest.approx(0.5)
    assert "no train split" in entry.details["fitted_on"]


def test_simple_ml_that_needs_features_is_refused_without_a_train_split(evalset, tmp_path):
    cfg = BaselineConfig(kind="simple_ml", estimator={"_target_": "sklearn.linear_model.LogisticRegression"})
    with pytest.raises(ConfigError, match="needs a train split"):
        run("lr", cfg, evalset, tmp_path)


def test_simple_ml_fits_on_the_train_split_with_selected_features(tmp_path):
    truth = truth_frame()
    truth.to_csv(tmp_path / "truth.csv", index=False)
    truth_frame(seed=5).to_csv(tmp_path / "train.csv", index=False)
    evalset = load_evalset("binary", DataConfig(path="truth.csv"), truth_path=tmp_path / "truth.csv",
                           train_path=tmp_path / "train.csv")
    cfg = BaselineConfig(kind="simple_ml", features=["x1"],
                         estimator={"_target_": "sklearn.linear_model.LogisticRegression"})
    [entry] = run("lr", cfg, evalset, tmp_path)
    from sklearn.linear_model import LogisticRegression
    train = truth_frame(seed=5)
    model = LogisticRegression().fit(train[["x1"]], train["label"])
    assert entry.metrics["roc_auc"] == pytest.approx(
        skm.roc_auc_score(truth["label"], model.predict_proba(truth[["x1"]])[:, 1]), abs=1e-12)
    assert entry.metrics["latency_ms"] > 0 and entry.metrics["model_size_kb"] > 0


def write_panel(path: Path, rows: list[tuple[int, str, int]]) -> None:
    pd.DataFrame(rows, columns=["id", "annotator", "label"]).to_csv(path, index=False)


def test_human_panel_gives_mean_annotator_with_spread_and_majority_vote(evalset, tmp_path):
    truth = truth_frame()["label"].to_numpy()
    rows = [(i, "a", truth[i]) for i in range(40)]                       # perfect
    rows += [(i, "b", 1 - truth[i] if i < 10 else truth[i]) for i in range(40)]   # 75%
    rows += [(i, "c", truth[i]) for i in range(20)]                        # perfect, half coverage
    write_panel(tmp_path / "panel.csv", rows)
    mean, vote = run("panel", BaselineConfig(kind="human", path="panel.csv"), evalset, tmp_path)
    assert mean.name == "panel/mean_annotator" and vote.name == "panel/majority_vote"
    assert mean.metrics["accuracy"] == pytest.approx((1 + 0.75 + 1) / 3)
    assert mean.details["spread"]["accuracy"] == {"min": 0.75, "median": 1.0, "max": 1.0}
    assert mean.details["annotators"]["b"]["metrics"]["accuracy"] == pytest.approx(0.75)
    # Items 0-9: a right, b wrong, c right -> right. Items 20-39: a and b agree (right).
    # Items 10-19: all right. So the vote is perfect, with no ties.
    assert vote.metrics["accuracy"] == pytest.approx(1.0) and vote.details["tied_items"] == 0
    assert mean.details["coverage"] == {"items": 40, "of": 40, "share": 1.0}


def test_expected_tie_rule_counts_a_tie_as_the_share_of_correct_tied_labels():
    votes, ties = majority_vote(np.array([0, 0, 1, 1, 1]), np.array([1, 0, 1, 1, 0]), 2, "expected")
    assert ties == 1
    y = np.array([1, 1])
    correct = (votes.labels == y[votes.item_index]) * votes.weight
    assert correct.sum() / 2 == pytest.approx((0.5 + 1) / 2)


def test_random_tie_rule_is_seeded_and_exclude_drops_tied_items():
    items, labels = np.repeat(np.arange(50), 2), np.tile([0, 1], 50)
    first, _ = majority_vote(items, labels, 2, "random", seed=3)
    again, _ = majority_vote(items, labels, 2, "random", seed=3)
    assert np.array_equal(first.labels, again.labels) and len(first.labels) == 50
    assert len(set(first.labels)) == 2
    excluded, ties = majority_vote(items, labels, 2, "exclude")
    assert ties == 50 and len(excluded.labels) == 0


def test_human_coverage_and_ignored_items_are_reported(evalset, tmp_path):
    rows = [(i, "a", 1) for i in range(10)] + [(999, "a", 1)]
    write_panel(tmp_path / "panel.csv", rows)
    _, vote = run("panel", BaselineConfig(kind="human", path="panel.csv"), evalset, tmp_path)
    assert vote.details["coverage"]["items"] == 10
    assert "1 label(s) on items outside" in vote.details["ignored_labels"]


def test_human_labels_outside_the_label_set_are_an_error(evalset, tmp_path):
    write_panel(tmp_path / "panel.csv", [(0, "a", 7)])
    with pytest.raises(DataError, match="outside the truth's label set"):
        run("panel", BaselineConfig(kind="human", path="panel.csv"), evalset, tmp_path)


def test_unknown_baseline_kind_lists_the_kinds():
    with pytest.raises(ConfigError, match="valid kinds: external, rule, simple_ml, human"):
        check_baseline("x", BaselineConfig(kind="oracle"), REGISTRY)
