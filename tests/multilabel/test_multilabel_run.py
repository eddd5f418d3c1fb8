"""task: multilabel end to end: truth layouts, predictions, estimators, baselines, metrics.json, report."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.ensemble import RandomForestClassifier

from evalkit.config import DataConfig
from evalkit.errors import EvalkitError
from evalkit.evalset import load_evalset
from evalkit.metrics import multilabel as ml
from evalkit.tasks import get_task
from tests.multilabel.builders import (
    LABELS,
    delimited,
    entry,
    indicator_truth,
    label_matrix,
    ml_config,
    ml_files,
    run,
    scores_frame,
)


def sk(fn, *args, **kwargs) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns where a value is undefined
        return float(fn(*args, **kwargs))


def test_every_multilabel_metric_in_metrics_json_equals_scikit_learn(tmp_path):
    Y = label_matrix()
    S = scores_frame(Y)[[f"score_{n}" for n in LABELS]].to_numpy()
    P = (S >= 0.5).astype(int)  # labels derived from the scores, per label
    keep = Y.sum(axis=0) > 0
    expected = {
        "map": sk(skm.average_precision_score, Y[:, keep], S[:, keep], average="macro"),
        "map_weighted": sk(skm.average_precision_score, Y, S, average="weighted"),
        "map_micro": sk(skm.average_precision_score, Y, S, average="micro"),
        "f1_micro": sk(skm.f1_score, Y, P, average="micro", zero_division=np.nan),
        "f1_macro": sk(skm.f1_score, Y, P, average="macro", zero_division=np.nan),
        "precision_micro": sk(skm.precision_score, Y, P, average="micro", zero_division=np.nan),
        "recall_micro": sk(skm.recall_score, Y, P, average="micro", zero_division=np.nan),
        "hamming_loss": sk(skm.hamming_loss, Y, P),
        "subset_accuracy": sk(skm.accuracy_score, Y, P),
        "coverage_error": sk(skm.coverage_error, Y, S),
        "label_ranking_average_precision": sk(skm.label_ranking_average_precision_score, Y, S),
    }
    record = run(tmp_path, ml_config(), ml_files())
    model = entry(record, "model")
    assert set(expected) == set(ml.MULTILABEL_METRICS)
    for name, value in expected.items():
        assert model["metrics"][name] == pytest.approx(value, abs=1e-12), name
    assert record["metric_directions"]["hamming_loss"] == "lower"
    assert record["metric_directions"]["coverage_error"] == "lower"
    assert model["score"] == model["metrics"]["map"] and "labels_from_scores" in model


def test_a_label_without_positives_is_null_per_class_left_out_of_map_and_reported(tmp_path):
    Y = label_matrix()
    S = scores_frame(Y)[[f"score_{n}" for n in LABELS]].to_numpy()
    record = run(tmp_path, ml_config(), ml_files())
    model = entry(record, "model")
    assert model["per_class"]["d"] is None and model["excluded_labels"] == ["d"]
    for j, name in enumerate(LABELS[:3]):
        assert model["per_class"][name] == pytest.approx(sk(skm.average_precision_score, Y[:, j], S[:, j]))
    assert model["metrics"]["map"] == pytest.approx(np.mean([model["per_class"][n] for n in LABELS[:3]]))
    counted_as_zero = sk(skm.average_precision_score, Y, S, average="macro")
    assert model["metrics"]["map"] > counted_as_zero
    assert record["data"]["labels_without_positives"] == ["d"]
    assert record["data"]["label_positives"]["d"] == 0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "1 of 4 labels have no positive item in the truth (d)" in report
    assert "## Per-label average precision" in report


def test_both_truth_layouts_load_the_same_label_matrix(tmp_path):
    frame = indicator_truth(label_matrix()).drop(columns=["label_d"])  # names can only say what occurs
    frame.to_csv(tmp_path / "indicator.csv", index=False)
    delimited(frame, column="tags", sep=";").to_csv(tmp_path / "delimited.csv", index=False)
    by_columns = load_evalset("multilabel", DataConfig(path="x"), truth_path=tmp_path / "indicator.csv")
    by_names = load_evalset("multilabel", DataConfig(path="x", label_column="tags", label_delimiter=";"),
                            truth_path=tmp_path / "delimited.csv")
    assert by_columns.classes == by_names.classes == ("a", "b", "c")
    np.testing.assert_array_equal(by_columns.y, by_names.y)
    task = get_task("multilabel")
    assert task.fingerprint(by_columns) == task.fingerprint(by_names)
    assert list(by_names.features.columns) == ["x0", "x1", "x2"]
    assert by_columns.y[:4].sum() == 0  # rows without labels stay, as items with an empty label set


def test_a_label_seen_only_in_the_train_split_is_a_label_without_positives(tmp_path):
    truth = delimited(indicator_truth(label_matrix()))
    train_y = label_matrix(seed=1)
    train_y[5, 3] = 1
    truth.to_csv(tmp_path / "truth.csv", index=False)
    delimited(indicator_truth(train_y, start=100)).to_csv(tmp_path / "train.csv", index=False)
    evalset = load_evalset("multilabel", DataConfig(path="x"), truth_path=tmp_path / "truth.csv",
                           train_path=tmp_path / "train.csv")
    assert evalset.classes == LABELS and evalset.y[:, 3].sum() == 0 and evalset.train_y[5, 3] == 1


def test_labels_only_predictions_get_label_metrics_and_no_map_with_the_reason(tmp_path):
    Y = label_matrix()
    P = np.random.default_rng(3).random(Y.shape) < 0.4
    names = ["|".join(n for n, on in zip(LABELS, row, strict=True) if on) for row in P]
    preds = pd.DataFrame({"id": np.arange(len(Y)), "label": names})
    record = run(tmp_path, ml_config(), ml_files() | {"preds/model.csv": preds})
    model = entry(record, "model")
    assert model["metrics"]["f1_micro"] == pytest.approx(sk(skm.f1_score, Y, P, average="micro"))
    assert model["metrics"]["map"] is None and model["metric_notes"]["map"].startswith("needs scores")
    assert model["score"] is None and model["score_reason"] == "metric 'map' is null"
    assert "per_class" not in model


RULES = """
import numpy as np

def as_sets(features):
    return [{"a", "b"} if x > 1 else set() for x in features["x0"]]

def as_matrix(features):
    columns = [(features[f"x{j}"] > 1).astype(int) for j in range(3)]
    return np.column_stack([*columns, np.zeros(len(features))])
"""


def test_estimators_and_every_baseline_kind_score_the_label_matrix(tmp_path):
    Y, train_y = label_matrix(), label_matrix(n=120, seed=5)
    train = indicator_truth(train_y, seed=5, start=1000)
    forest = {"_target_": "sklearn.ensemble.RandomForestClassifier", "n_estimators": 20, "random_state": 0}
    logreg = {"_target_": "sklearn.linear_model.LogisticRegression"}
    config = ml_config(
        data={"path": "truth.csv", "train_path": "train.csv"},
        candidates={"forest": {"estimator": forest},
                    "ovr": {"estimator": {"_target_": "sklearn.multiclass.OneVsRestClassifier",
                                          "estimator": logreg}}},
        baselines={"prior": {"kind": "simple_ml",
                             "estimator": {"_target_": "sklearn.dummy.DummyClassifier", "strategy": "prior"}},
                   "sets": {"kind": "rule", "function": "rules.py:as_sets"},
                   "matrix": {"kind": "rule", "function": "rules.py:as_matrix"},
                   "paper": {"kind": "external", "metrics": {"map": 0.5}, "source": "a paper"}})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # label 'd' is constant in training: one-vs-rest warns
        files = {"truth.csv": indicator_truth(Y), "train.csv": train, "rules.py": RULES}
        record = run(tmp_path, config, files)

    # The forest's scores are its predict_proba column of class 1, per label (0 for 'd', never seen positive).
    X_cols = ["x0", "x1", "x2"]
    fitted = RandomForestClassifier(n_estimators=20, random_state=0).fit(train[X_cols], train_y)
    proba = fitted.predict_proba(indicator_truth(Y)[X_cols])
    S = np.column_stack([p[:, 1] if p.shape[1] == 2 else np.zeros(len(Y)) for p in proba])
    assert entry(record, "forest")["metrics"]["map"] == pytest.approx(ml.map(Y, S), abs=1e-12)
    assert entry(record, "ovr")["metrics"]["map"] is not None
    # A constant score per label (the prior) has average precision equal to the label's prevalence.
    prior = entry(record, "prior")["per_class"]
    for j, name in enumerate(LABELS[:3]):
        assert prior[name] == pytest.approx(Y[:, j].mean())
    truth = indicator_truth(Y)
    sets = (truth["x0"] > 1).to_numpy()[:, None] * np.array([1, 1, 0, 0])
    expected = sk(skm.f1_score, Y, sets, average="micro")
    assert entry(record, "sets")["metrics"]["f1_micro"] == pytest.approx(expected)
    matrix = np.column_stack([(truth[f"x{j}"] > 1).astype(int) for j in range(3)] + [np.zeros(len(Y), int)])
    assert entry(record, "matrix")["metrics"]["hamming_loss"] == pytest.approx(skm.hamming_loss(Y, matrix))
    assert entry(record, "paper")["score"] == 0.5
    assert {e["kind"] for e in record["entries"]} == {"estimator", "simple_ml", "rule", "external"}


def test_a_single_output_estimator_is_told_to_use_a_multioutput_one(tmp_path):
    logreg = {"_target_": "sklearn.linear_model.LogisticRegression"}
    config = ml_config(data={"path": "truth.csv", "train_path": "train.csv"},
                       candidates={"lr": {"estimator": logreg}})
    files = {"truth.csv": indicator_truth(label_matrix()),
             "train.csv": indicator_truth(label_matrix(seed=2), start=500)}
    with pytest.raises(EvalkitError, match="candidates.lr: the estimator failed.*MultiOutputClassifier"):
        run(tmp_path, config, files)
    assert not (tmp_path / "out" / "metrics.json").exists()
