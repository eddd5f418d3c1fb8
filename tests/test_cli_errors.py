"""Bad input through the real CLI: one line naming file, field and fix; exit 2; nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.experiments import basic_config, basic_files, scores_frame, truth_frame, write_experiment


def run_experiment_dir(root: Path, *extra: str):
    run_dir = root / "out"
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={run_dir}",
                     *extra)
    return result, run_dir


def assert_clean_failure(result, run_dir: Path, *fragments: str) -> None:
    assert result.code == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
    message = lines[-1] if lines else ""
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)
    assert message, "no error message"
    assert not (run_dir / "metrics.json").exists()
    assert not (run_dir / "leaderboard.csv").exists()


def predictions_case(frame_change):
    truth = truth_frame()
    preds = frame_change(scores_frame(truth), truth)
    return {"truth.csv": truth, "preds/model.csv": preds}


PREDICTION_CASES = {
    "missing id column": (lambda p, t: p.drop(columns=["id"]), ["preds/model.csv", "'id'"]),
    "no prediction column": (lambda p, t: p.drop(columns=["score"]), ["preds/model.csv", "'score'"]),
    "duplicate ids": (lambda p, t: pd.concat([p, p.iloc[:2]]), ["duplicate id", "'id'"]),
    "unknown ids": (lambda p, t: p.assign(id=p["id"] + 1000), ["not in the truth", "1000"]),
    "missing truth ids": (lambda p, t: p.iloc[:30], ["10 of 40 truth id(s) have no prediction"]),
    "NaN score": (lambda p, t: p.assign(score=p["score"].where(p.index != 3)), ["'score'", "NaN"]),
    "non-numeric score": (lambda p, t: p.assign(score=p["score"].astype(object).where(p.index != 3, "high")),
                          ["'score'", "non-numeric", "'high'"]),
    "score above 1": (lambda p, t: p.assign(score=p["score"] * 3), ["outside [0, 1]", "'score'", "sigmoid"]),
    "label outside label set": (lambda p, t: p.assign(label=np.where(p.index == 0, 7, 1)),
                                ["'label'", "outside the truth's label set", "7"]),
}


@pytest.mark.parametrize("case", sorted(PREDICTION_CASES))
def test_bad_predictions_file(case, tmp_path):
    change, fragments = PREDICTION_CASES[case]
    root = write_experiment(tmp_path, basic_config(), predictions_case(change))
    result, run_dir = run_experiment_dir(root)
    assert_clean_failure(result, run_dir, *fragments)


def test_missing_file_names_the_path(tmp_path):
    root = write_experiment(tmp_path, basic_config(candidates={"m": {"predictions": "preds/none.csv"}}),
                            basic_files())
    assert_clean_failure(*run_experiment_dir(root), "not found", "preds/none.csv")


def test_empty_file_says_it_is_empty(tmp_path):
    files = basic_files() | {"preds/model.csv": ""}
    root = write_experiment(tmp_path, basic_config(), files)
    assert_clean_failure(*run_experiment_dir(root), "preds/model.csv", "is empty")


def test_truth_without_label_column_names_the_config_key_to_set(tmp_path):
    files = basic_files() | {"truth.csv": truth_frame().rename(columns={"label": "y"})}
    root = write_experiment(tmp_path, basic_config(), files)
    assert_clean_failure(*run_experiment_dir(root), "truth.csv", "'label'", "data.label_column")


def test_duplicate_truth_ids(tmp_path):
    truth = truth_frame()
    files = basic_files() | {"truth.csv": pd.concat([truth, truth.iloc[:1]])}
    root = write_experiment(tmp_path, basic_config(), files)
    assert_clean_failure(*run_experiment_dir(root), "truth.csv", "duplicate id")


@pytest.mark.parametrize(("override", "fragments"), [
    ("strategy.name=best", ["unknown strategy 'best'", "average, satisficing"]),
    ("strategy.metrics=[acc]", ["unknown metric 'acc'", "accuracy"]),
    ("+data.tst_size=0.2", ["unknown config key 'data.tst_size'", "test_size"]),
    ("+baselines.b.kind=oracle", ["unknown baseline kind 'oracle'", "external, rule, simple_ml, human"]),
    ("+strategy.constraints.recall=high", ["does not apply to strategy 'average'", "satisficing"]),
    ("bootstrap.resamples=many", ["bootstrap.resamples", "wrong type"]),
    ("task=regression", ["regression"]),
])
def test_bad_config(override, fragments, tmp_path):
    root = write_experiment(tmp_path, basic_config(), basic_files())
    assert_clean_failure(*run_experiment_dir(root, override), *fragments)


def test_unparseable_constraint(tmp_path):
    config = basic_config(strategy={"name": "satisficing", "optimize": "accuracy",
                                    "constraints": {"recall": "high"}})
    root = write_experiment(tmp_path, config, basic_files())
    assert_clean_failure(*run_experiment_dir(root), "strategy.constraints.recall", "cannot parse 'high'",
                         "'>= 0.95'")


def test_unknown_group_option_is_an_input_error(tmp_path):
    result = run_cli("run", "strategy=best_of", f"hydra.run.dir={tmp_path}")
    assert result.code == 2 and "best_of" in result.stderr and "Traceback" not in result.stderr


def test_unknown_command_and_help():
    assert run_cli("frobnicate").code == 2
    help_text = run_cli("--help")
    assert help_text.code == 0 and "run" in help_text.stdout and "gate" in help_text.stdout
