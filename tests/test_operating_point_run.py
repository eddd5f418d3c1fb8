"""Operating points end to end: a candidate infeasible at 0.5 but feasible at another threshold.

On the built-in demo no candidate is in that situation (with 53 positives, a cross-fitted choice either
cannot show recall >= 0.95 at 95% confidence on 42 choosing positives, or, without the confidence,
misses it on the held-out folds), so the experiment is built here: ``shy`` ranks items well but scores
its positives low, ``sharp`` is calibrated around 0.5.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import one_error_line, run_cli
from tests.experiments import write_experiment

N = 300


def _files() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * (N // 2))
    ids = np.arange(N)
    shy = np.where(y == 1, rng.uniform(0.3, 0.8, N), rng.uniform(0.0, 0.35, N))
    sharp = np.where(y == 1, rng.uniform(0.45, 1.0, N), rng.uniform(0.0, 0.55, N))
    shy_val = np.where(y == 1, rng.uniform(0.3, 0.8, N), rng.uniform(0.0, 0.35, N))
    return {"truth.csv": pd.DataFrame({"id": ids, "label": y}),
            "val.csv": pd.DataFrame({"id": ids + 1000, "label": y}),
            "shy.csv": pd.DataFrame({"id": ids, "score": shy}),
            "sharp.csv": pd.DataFrame({"id": ids, "score": sharp}),
            "shy_val.csv": pd.DataFrame({"id": ids + 1000, "score": shy_val})}


def _config(**operating_point: object) -> dict:
    return {"task": "binary", "data": {"path": "truth.csv"},
            "candidates": {"shy": {"predictions": "shy.csv"}, "sharp": {"predictions": "sharp.csv"}},
            "strategy": {"name": "satisficing", "optimize": "precision",
                         "constraints": {"recall": ">= 0.95"}},
            "bootstrap": {"resamples": 50}, "operating_point": operating_point}


@pytest.fixture(scope="module")
def cross_fit_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, pd.DataFrame]:
    # Runs in this process draw no figures (tests/conftest.py); the threshold figure is drawn alone, by
    # the test that looks at it.
    root = write_experiment(tmp_path_factory.mktemp("op"), _config(choose_on="cross_fit"), _files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root}/run")
    assert result.code == 0, result.stderr
    run = root / "run"
    return run, json.loads((run / "metrics.json").read_text()), pd.read_csv(root / "shy.csv")


def _entry(record: dict, name: str) -> dict:
    return next(e for e in record["entries"] if e["name"] == name)


def test_a_candidate_infeasible_at_half_is_ranked_at_its_cross_fitted_operating_point(cross_fit_run):
    _, record, shy_scores = cross_fit_run
    truth = np.array([0, 1] * (N // 2))
    at_half = (shy_scores["score"].to_numpy() >= 0.5)[truth == 1].mean()
    assert at_half < 0.95  # fixed at 0.5, the constraint rules shy out
    shy = _entry(record, "shy")
    assert record["best"] == "shy" and shy["feasible"]
    point = shy["operating_point"]
    assert point["choose_on"] == "cross_fit" and point["confidence"] == 0.95
    assert len(point["fold_thresholds"]) == 5 and point["threshold"] < 0.5
    assert point["spread"] == pytest.approx(max(point["fold_thresholds"]) - min(point["fold_thresholds"]))
    # The entry is judged on exactly the decisions the record describes.
    assert point["metrics_at_point"]["recall"] == pytest.approx(shy["metrics"]["recall"])
    assert shy["metrics"]["recall"] >= 0.95
    assert point["metrics_at_point"]["precision"] == pytest.approx(shy["metrics"]["precision"])
    assert {"precision", "recall", "fpr"} <= set(point["curve_point"])
    assert "re-chosen in every fold of each of the 50 resamples" in point["bootstrap"]


def test_the_report_lists_thresholds_and_spread(cross_fit_run):
    run, record, _ = cross_fit_run
    report = (run / "report.md").read_text()
    section = report[report.index("## Operating points"):]
    shy_row = next(line for line in section.splitlines() if line.startswith("| shy |"))
    point = _entry(record, "shy")["operating_point"]
    assert f"{point['threshold']:.4g}" in shy_row and f"{point['spread']:.4g}" in shy_row
    assert "thresholds" in report  # the threshold figure applies to this run


@pytest.mark.figures
def test_the_threshold_figure_shows_the_curves_the_chosen_point_its_fold_spread_and_the_constraint(
        cross_fit_run):
    from evalkit.plots.thresholds import threshold_figure

    run, record, _ = cross_fit_run
    curves = json.loads((run / "curves.json").read_text())
    curve = curves["entries"]["shy"]["threshold_curve"]
    assert len(curve["threshold"]) == len(curve["precision"]) == len(curve["recall"]) > 10
    figure = threshold_figure(record, curves)
    gids = {artist.get_gid() for artist in figure.axes[0].get_children()}
    assert {"curve:precision", "curve:recall", "chosen", "fold_spread", "constraint:recall"} <= gids
    chosen = next(a for a in figure.axes[0].get_children() if a.get_gid() == "chosen")
    assert chosen.get_xdata()[0] == pytest.approx(_entry(record, "shy")["operating_point"]["threshold"])
    assert "best candidate: shy" in figure.axes[0].get_title()


def test_validation_thresholds_are_chosen_on_validation_scores_and_applied_to_the_test_set(tmp_path):
    config = _config(choose_on="validation", validation={"path": "val.csv"})
    config["candidates"] = {"shy": {"predictions": "shy.csv", "predictions_validation": "shy_val.csv"}}
    config["bootstrap"] = {"resamples": 0}
    root = write_experiment(tmp_path, config, _files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root}/run")
    assert result.code == 0, result.stderr
    shy = _entry(json.loads((root / "run" / "metrics.json").read_text()), "shy")
    threshold = shy["operating_point"]["threshold"]
    scores = pd.read_csv(root / "shy.csv")["score"].to_numpy()
    truth = np.array([0, 1] * (N // 2))
    assert shy["metrics"]["recall"] == pytest.approx((scores >= threshold)[truth == 1].mean())
    assert threshold in set(pd.read_csv(root / "shy_val.csv")["score"])  # a validation score, not a test one


def test_missing_validation_predictions_are_one_config_error_naming_the_entries(tmp_path):
    config = _config(choose_on="validation", validation={"path": "val.csv"})
    root = write_experiment(tmp_path, config, _files())
    line = one_error_line(run_cli("run", "--config-dir", str(root), "--config-name", "exp"))
    assert "candidate(s) shy, sharp give scores but no validation predictions" in line
