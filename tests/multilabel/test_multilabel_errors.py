"""Bad multi-label input: one message naming the file, the field and the fix; nothing written; exit 2."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError
from tests.conftest import run_cli
from tests.multilabel.builders import (
    delimited,
    indicator_truth,
    label_matrix,
    ml_config,
    ml_files,
    run,
    scores_frame,
    write,
)


def preds_change(change):
    files = ml_files()
    return files | {"preds/model.csv": change(files["preds/model.csv"].copy())}


def set_cell(frame: pd.DataFrame, column: str, value: object) -> pd.DataFrame:
    frame[column] = frame[column].astype(object)
    frame.loc[3, column] = value
    return frame


def delimited_preds(frame: pd.DataFrame, names: str) -> pd.DataFrame:
    return pd.DataFrame({"id": frame["id"], "label": ["a"] * (len(frame) - 1) + [names]})


PREDICTION_CASES = {
    "missing id column": (lambda p: p.drop(columns=["id"]), ["preds/model.csv", "no id column", "'id'"]),
    "no prediction column": (lambda p: p[["id"]], ["preds/model.csv", "no prediction columns", "'score_a'"]),
    "ids not in truth": (lambda p: p.assign(id=p["id"] + 1000), ["not in the truth", "1000"]),
    "truth ids without prediction": (lambda p: p.iloc[:30], ["10 of 40 truth id(s) have no prediction"]),
    "NaN score": (lambda p: set_cell(p, "score_b", np.nan), ["'score_b'", "NaN"]),
    "non-numeric score": (lambda p: set_cell(p, "score_b", "high"), ["'score_b'", "non-numeric", "'high'"]),
    "score above 1": (lambda p: p.assign(score_c=p["score_c"] * 3 + 0.5), ["'score_c'", "outside [0, 1]"]),
    "unknown label in a score column": (lambda p: p.assign(score_zebra=0.5),
                                        ["score column(s) for label(s)", "'zebra'", "not in the truth",
                                         "use the truth's label names"]),
    "a label without a score column": (lambda p: p.drop(columns=["score_d"]),
                                       ["score columns missing", "'score_d'", "one score_<label> column"]),
    "unknown name in the label column": (lambda p: delimited_preds(p, "a|zebra"),
                                         ["column 'label'", "'zebra'", "not in the truth"]),
    "label indicator not 0/1": (lambda p: p.assign(label_a=2, label_b=0, label_c=0, label_d=0),
                                ["'label_a'", "other than 0 and 1, e.g. 2;"]),
    "both label layouts": (lambda p: p.assign(label="a", label_a=1), ["both a 'label' column", "keep one"]),
}


@pytest.mark.parametrize("case", sorted(PREDICTION_CASES))
def test_bad_multilabel_predictions_file(case, tmp_path):
    change, fragments = PREDICTION_CASES[case]
    with pytest.raises(DataError) as error:
        run(tmp_path, ml_config(), preds_change(change))
    message = str(error.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert not (tmp_path / "out").exists()


TRUTH_CASES = {
    "no label columns": (lambda t: t.drop(columns=[c for c in t.columns if c.startswith("label_")]),
                         ["truth.csv", "no label columns", "'label_<name>'", "data.label_delimiter"]),
    "empty indicator": (lambda t: set_cell(t, "label_a", np.nan), ["'label_a'", "empty value"]),
    "indicator not 0/1": (lambda t: set_cell(t, "label_b", "yes"), ["'label_b'", "'yes'", "1 (present)"]),
    "duplicate ids": (lambda t: pd.concat([t, t.iloc[:2]]), ["duplicate id", "'id'"]),
    "no label at all": (lambda t: delimited(t).assign(label=np.nan), ["no item has a label"]),
}


@pytest.mark.parametrize("case", sorted(TRUTH_CASES))
def test_bad_multilabel_truth_file(case, tmp_path):
    change, fragments = TRUTH_CASES[case]
    files = ml_files() | {"truth.csv": change(indicator_truth(label_matrix()))}
    with pytest.raises(DataError) as error:
        run(tmp_path, ml_config(), files)
    for fragment in fragments:
        assert fragment in str(error.value), (fragment, str(error.value))


CONFIG_CASES = {
    "positive label": ({"data": {"path": "truth.csv", "positive_label": 1}}, "data.positive_label"),
    "single-label built-in dataset": ({"data": {"name": "iris"}}, "not a built-in multilabel dataset"),
    "empty delimiter": ({"data": {"path": "truth.csv", "label_delimiter": ""}}, "data.label_delimiter"),
}


@pytest.mark.parametrize("case", sorted(CONFIG_CASES))
def test_config_that_does_not_apply_to_multilabel_is_refused_before_any_work(case, tmp_path):
    overrides, fragment = CONFIG_CASES[case]
    with pytest.raises(ConfigError, match=fragment):
        run(tmp_path, ml_config(**overrides), ml_files())


def test_through_the_cli_bad_multilabel_input_exits_2_with_one_line_and_no_files(tmp_path):
    Y = label_matrix()
    files = ml_files() | {"preds/model.csv": scores_frame(Y).assign(score_zebra=0.1)}
    root = write(tmp_path, ml_config(), files)
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root}/out")
    assert result.code == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("evalkit: error: ") and "preds/model.csv" in line and "'zebra'" in line
    assert not (root / "out" / "metrics.json").exists()
