"""Ids, labels and annotator names are read as text: no missing-value guessing, no silent merging.

pandas reads ``NA``, ``None`` and ``nan`` as missing and ``001`` as the number 1 by default; evalkit reads
these columns exactly as written (only an empty cell is missing), matches ids and labels as text (an
integral ``1.0`` is ``1``, as pandas writes integer columns with gaps) and refuses a value that matches
only as a number, saying how it differs. Scores outside [0, 1] that look like percentages are told to
divide by 100. Files are written verbatim here, so the test controls every character.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, average_precision_score, f1_score

from tests.experiments import basic_config, truth_frame, write_experiment
from tests.test_cli_errors import assert_clean_failure, run_experiment_dir


def csv(rows: list[tuple]) -> str:
    return "\n".join(",".join(map(str, row)) for row in rows) + "\n"


def files(truth: list[tuple], preds: list[tuple]) -> dict[str, str]:
    return {"truth.csv": csv(truth), "preds/model.csv": csv(preds)}


def run_ok(root: Path) -> dict:
    result, run_dir = run_experiment_dir(root)
    assert result.code == 0, result.stderr
    return json.loads((run_dir / "metrics.json").read_text())


def entry(record: dict, name: str) -> dict:
    return next(e for e in record["entries"] if e["name"] == name)


def test_a_class_named_NA_is_a_class(tmp_path):
    truth = [("id", "label")] + [(i, "NA" if i % 2 else "ok") for i in range(20)]
    preds = [("id", "label")] + [(i, "NA" if i % 2 or i == 0 else "ok") for i in range(20)]
    config = basic_config(data={"path": "truth.csv", "positive_label": "NA"},
                          strategy={"name": "average", "metrics": ["accuracy", "f1"]})
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(preds)})
    record = run_ok(root)
    metrics = entry(record, "model")["metrics"]
    y = [t[1] for t in truth[1:]]
    p = [t[1] for t in preds[1:]]
    assert metrics["accuracy"] == accuracy_score(y, p) == 0.95
    assert metrics["f1"] == f1_score(y, p, pos_label="NA")


@pytest.mark.parametrize("name", ["None", "nan", "null", "N/A"])
def test_multiclass_labels_that_pandas_calls_missing_are_labels(name, tmp_path):
    classes = ["cat", name, "dog"]
    truth = [("id", "label")] + [(i, classes[i % 3]) for i in range(30)]
    config = basic_config(task="multiclass")
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(truth)})
    metrics = entry(run_ok(root), "model")["metrics"]
    assert metrics["accuracy"] == 1.0 and metrics["f1_macro"] == 1.0


def test_ids_that_look_missing_are_ids(tmp_path):
    ids = ["NA", "None", "nan", "null", "#N/A", "n/a"] + [str(i) for i in range(14)]
    truth = [("id", "label")] + [(i, k % 2) for k, i in enumerate(ids)]
    preds = [("id", "score")] + [(i, 0.9 if k % 2 else 0.1) for k, i in reversed(list(enumerate(ids)))]
    root = write_experiment(tmp_path, basic_config(), files(truth, preds))
    assert entry(run_ok(root), "model")["metrics"]["accuracy"] == 1.0


def test_an_empty_id_is_still_refused(tmp_path):
    truth = [("id", "label")] + [(i, i % 2) for i in range(10)]
    preds = [("id", "score")] + [("" if i == 3 else i, 0.5) for i in range(10)]
    root = write_experiment(tmp_path, basic_config(), files(truth, preds))
    assert_clean_failure(*run_experiment_dir(root), "preds/model.csv", "'id'", "empty id")


def test_ids_001_and_1_are_different_items(tmp_path):
    """Both ids exist; each prediction goes to its own item (a merge would be a duplicate-id error)."""
    ids = ["001", "1", "002", "2"] + [f"x{i}" for i in range(16)]
    truth = [("id", "label")] + [(i, k % 2) for k, i in enumerate(ids)]
    preds = [("id", "label")] + [(i, k % 2) for k, i in enumerate(ids)]
    preds[1] = ("001", 1)  # wrong only for item '001'
    root = write_experiment(tmp_path, basic_config(), files(truth, preds))
    assert entry(run_ok(root), "model")["metrics"]["accuracy"] == 19 / 20


def test_an_id_written_differently_from_the_truth_is_refused_with_the_difference(tmp_path):
    truth = [("id", "label")] + [(f"{i:03d}", i % 2) for i in range(10)]
    preds = [("id", "score")] + [(i, 0.5) for i in range(10)]
    root = write_experiment(tmp_path, basic_config(), files(truth, preds))
    assert_clean_failure(*run_experiment_dir(root), "preds/model.csv", "not in the truth",
                         "'0' is not '000'", "matched as text")


def test_a_label_written_differently_from_the_truth_is_refused(tmp_path):
    truth = [("id", "label")] + [(i, "01" if i % 2 else "02") for i in range(10)]
    preds = [("id", "label")] + [(i, "1" if i % 2 else "02") for i in range(10)]
    config = basic_config(data={"path": "truth.csv", "positive_label": "01"})
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(preds)})
    assert_clean_failure(*run_experiment_dir(root), "preds/model.csv", "outside the truth's label set",
                         "'1' is not '01'")


def test_positive_label_must_be_written_as_in_the_truth(tmp_path):
    truth = [("id", "label")] + [(i, "01" if i % 2 else "02") for i in range(10)]
    config = basic_config(data={"path": "truth.csv", "positive_label": 1})
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(truth)})
    assert_clean_failure(*run_experiment_dir(root), "data.positive_label=1", "'1' is not '01'")


@pytest.mark.parametrize(("truth_label", "pred_label"), [("1", "1"), ("1", "1.0"), ("1.0", "1")])
def test_numeric_labels_match_with_an_integer_positive_label(truth_label, pred_label, tmp_path):
    """positive_label: 1 (an int in YAML) is the truth's '1'; pandas' '1.0' for an integer is the same."""
    zero = {"1": "0", "1.0": "0.0"}
    truth = [("id", "label")] + [(i, truth_label if i % 2 else zero[truth_label]) for i in range(10)]
    preds = [("id", "label")] + [(i, pred_label if i % 3 else zero[pred_label]) for i in range(10)]
    config = basic_config(data={"path": "truth.csv", "positive_label": 1},
                          strategy={"name": "average", "metrics": ["recall"]})
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(preds)})
    y = np.array([i % 2 for i in range(10)])
    p = np.array([int(i % 3 != 0) for i in range(10)])
    assert entry(run_ok(root), "model")["metrics"]["recall"] == pytest.approx(
        float(((y == 1) & (p == 1)).sum() / (y == 1).sum()))


def test_a_multilabel_tag_NA_is_a_tag(tmp_path):
    rng = np.random.default_rng(0)
    tags = ["NA", "cat", "None"]
    sets = [[t for t in tags if rng.random() < 0.5] for _ in range(30)]
    sets[0], sets[1] = tags, []
    truth = [("id", "label")] + [(i, "|".join(s)) for i, s in enumerate(sets)]
    preds = [("id", *[f"score_{t}" for t in tags])] + \
        [(i, *[0.9 if t in s else 0.1 for t in tags]) for i, s in enumerate(sets)]
    config = basic_config(task="multilabel", strategy={"name": "map"})
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(preds)})
    record = run_ok(root)
    assert entry(record, "model")["metrics"]["map"] == 1.0
    Y = np.array([[t in s for t in tags] for s in sets], dtype=int)
    S = np.where(Y == 1, 0.9, 0.1)
    assert average_precision_score(Y, S, average="macro") == 1.0


def panel_rows(annotators: list[str], ids: list[str]) -> list[tuple]:
    return [("id", "annotator", "label")] + [(i, a, int(i) % 2) for a in annotators for i in ids]


def test_annotators_1_and_1_0_are_two_people(tmp_path):
    ids = [str(i) for i in range(20)]
    truth = [("id", "label")] + [(i, int(i) % 2) for i in ids]
    panel = panel_rows(["1", "1.0", "01"], ids)
    config = basic_config(baselines={"panel": {"kind": "human", "path": "panel.csv", "min_items": 5}})
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(truth),
                                               "panel.csv": csv(panel)})
    record = run_ok(root)
    assert set(entry(record, "panel/mean_annotator")["annotators"]) == {"1", "1.0", "01"}


def test_panel_ids_written_differently_from_the_truth_are_refused_not_dropped(tmp_path):
    ids = [str(i) for i in range(20)]
    truth = [("id", "label")] + [(i, int(i) % 2) for i in ids]
    panel = panel_rows(["a", "b"], ids[:10] + [f"{i:03d}" for i in range(10, 20)])
    config = basic_config(baselines={"panel": {"kind": "human", "path": "panel.csv", "min_items": 5}})
    root = write_experiment(tmp_path, config, {"truth.csv": csv(truth), "preds/model.csv": csv(truth),
                                               "panel.csv": csv(panel)})
    assert_clean_failure(*run_experiment_dir(root), "panel.csv", "'010' is not '10'")


def test_parquet_typed_ids_and_labels_match_a_csv_predictions_file(tmp_path):
    pytest.importorskip("pyarrow")
    truth = truth_frame(20)
    truth.to_parquet(tmp_path / "truth.parquet")
    preds = truth[["id", "label"]]
    config = basic_config(data={"path": "truth.parquet", "positive_label": 1})
    root = write_experiment(tmp_path, config, {"preds/model.csv": preds})
    assert entry(run_ok(root), "model")["metrics"]["accuracy"] == 1.0


def test_percent_scores_are_told_to_divide_by_100(tmp_path):
    truth = truth_frame()
    preds = pd.DataFrame({"id": truth["id"], "score": np.linspace(0, 100, len(truth)).round(1)})
    root = write_experiment(tmp_path, basic_config(), {"truth.csv": truth, "preds/model.csv": preds})
    assert_clean_failure(*run_experiment_dir(root), "'score'", "outside [0, 1]", "percentages",
                         "divide by 100")


def test_logit_scores_are_told_to_apply_a_sigmoid_not_to_divide(tmp_path):
    truth = truth_frame()
    preds = pd.DataFrame({"id": truth["id"], "score": np.linspace(-4, 4, len(truth))})
    root = write_experiment(tmp_path, basic_config(), {"truth.csv": truth, "preds/model.csv": preds})
    result, run_dir = run_experiment_dir(root)
    assert_clean_failure(result, run_dir, "'score'", "outside [0, 1]", "sigmoid")
    assert "divide by 100" not in result.stderr


def test_a_column_named_twice_is_refused_not_read_by_pandas_renaming(tmp_path):
    truth = [("id", "label")] + [(i, i % 2) for i in range(10)]
    preds = [("id", "score", "score")] + [(i, 0.9 if i % 2 else 0.1, 0.5) for i in range(10)]
    root = write_experiment(tmp_path, basic_config(), files(truth, preds))
    assert_clean_failure(*run_experiment_dir(root), "preds/model.csv", "['score'] more than once")


def test_surrounding_spaces_in_ids_and_labels_are_ignored(tmp_path):
    truth = [("id", "label")] + [(f" {i}", f"{i % 2} ") for i in range(10)]
    preds = [("id", "label")] + [(f"{i}\t", i % 2) for i in range(10)]
    root = write_experiment(tmp_path, basic_config(), files(truth, preds))
    assert entry(run_ok(root), "model")["metrics"]["accuracy"] == 1.0
