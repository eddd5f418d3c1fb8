"""A run with ``costs:`` and ``calibration:``: the metrics rank, constrain, get intervals, pass the gate,
draw the reliability diagram and are refused with one line when the config or the data is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import CliResult, one_error_line, run_cli
from tests.experiments import write_experiment

N = 120


def experiment_files() -> dict[str, pd.DataFrame | str]:
    rng = np.random.default_rng(0)
    p = rng.beta(2, 2, N)
    y = (rng.random(N) < p).astype(int)
    logit = np.log(p / (1 - p))
    truth = pd.DataFrame({"id": np.arange(N), "label": y, "amount": np.round(rng.gamma(2.0, 50.0, N), 2)})

    def scores(s: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"id": np.arange(N), "score": np.clip(s, 0, 1)})

    return {"truth.csv": truth, "calibrated.csv": scores(p),
            "overconfident.csv": scores(1 / (1 + np.exp(-3 * logit))),
            "labels_only.csv": pd.DataFrame({"id": np.arange(N), "label": (p > 0.4).astype(int)})}


def config(**overrides: object) -> dict:
    cfg = {"task": "binary", "data": {"path": "truth.csv", "features": []},
           "candidates": {"calibrated": {"predictions": "calibrated.csv"},
                          "overconfident": {"predictions": "overconfident.csv"},
                          "labels_only": {"predictions": "labels_only.csv"}},
           "baselines": {"prior": {"kind": "simple_ml", "estimator": {
               "_target_": "sklearn.dummy.DummyClassifier", "strategy": "prior"}}},
           "strategy": {"name": "satisficing", "optimize": "ece", "constraints": {"expected_cost": "<= 50"}},
           "costs": {"false_positive": 1, "false_negative": {"column": "amount"}},
           "calibration": {"bins": 8, "binning": "mass"},
           "bootstrap": {"resamples": 100}}
    cfg.update(overrides)
    return cfg


def run_experiment(root: Path) -> CliResult:
    return run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root / 'out'}",
                   cwd=root)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """One run of the experiment, shared by the tests of this module. Figures are not drawn (they are
    most of a run's time): tests/plots/test_plots_reliability.py draws the reliability diagram."""
    root = write_experiment(tmp_path_factory.mktemp("costs"), config(), experiment_files())
    result = run_experiment(root)
    assert result.code == 0, result.stderr
    return root / "out", json.loads((root / "out" / "metrics.json").read_text())


def entry(record: dict, name: str) -> dict:
    return next(e for e in record["entries"] if e["name"] == name)


def test_metrics_json_states_the_costs_and_bins_that_define_the_numbers(run):
    _, record = run
    definitions = record["metric_definitions"]
    assert definitions["expected_cost"]["parameters"] == {
        "costs": {"matrix": [[0.0, 1.0], [1.0, 0.0]], "columns": {"false_negative": "amount"}}}
    assert definitions["ece"]["parameters"] == {"bins": 8, "binning": "mass"}
    assert record["metric_directions"]["ece"] == "lower"
    assert record["metric_directions"]["brier_resolution"] == "higher"


def test_expected_cost_is_the_mean_cost_per_item_with_per_item_false_negatives(run):
    root, record = run
    truth = pd.read_csv(root.parent / "truth.csv")
    labels = (pd.read_csv(root.parent / "overconfident.csv")["score"] >= 0.5).astype(int)
    cost = np.where((truth["label"] == 0) & (labels == 1), 1.0,
                    np.where((truth["label"] == 1) & (labels == 0), truth["amount"], 0.0))
    assert entry(record, "overconfident")["metrics"]["expected_cost"] == pytest.approx(cost.mean())


def test_the_strategy_ranks_by_calibration_and_the_bootstrap_gives_intervals(run):
    _, record = run
    calibrated, overconfident = entry(record, "calibrated"), entry(record, "overconfident")
    assert record["best"] == "calibrated"
    assert calibrated["metrics"]["ece"] < overconfident["metrics"]["ece"]
    for name in ("ece", "expected_cost", "brier_reliability", "brier_resolution", "brier_uncertainty"):
        low, high = calibrated["ci"][name]
        assert low <= high
    labels_only = entry(record, "labels_only")
    assert labels_only["metrics"]["ece"] is None and labels_only["metrics"]["expected_cost"] is not None
    assert labels_only["metric_notes"]["ece"] == "needs scores; this entry gives labels only"
    assert labels_only["score"] is None  # the strategy optimises ece, which it cannot have


def test_curves_json_holds_each_scoring_entrys_bins_and_the_report_states_them(run):
    out, _ = run
    report = (out / "report.md").read_text()
    assert "brier_uncertainty, ece from 8 equal-mass bins" in report
    assert "per item: false_negative = the truth column 'amount'" in report
    curves = json.loads((out / "curves.json").read_text())
    assert curves["reliability"] == {"bins": 8, "binning": "mass", "forecast": "positive-class score"}
    table = curves["entries"]["calibrated"]["reliability"]
    assert sum(table["count"]) == N and len(table["forecast"]) <= 8
    assert "reliability" not in curves["entries"]["labels_only"]
    assert run_cli("plot", str(out)).code == 0  # the saved files pass the shape checks of `evalkit plot`


def test_the_gate_passes_its_own_reference_and_fails_when_the_costs_change(run, tmp_path):
    out, _ = run
    reference = tmp_path / "reference.json"
    assert run_cli("gate", str(out), "--reference", str(reference), "--update").code == 0
    assert run_cli("gate", str(out), "--reference", str(reference)).code == 0
    changed = json.loads(reference.read_text())
    changed["definition"]["metrics"]["expected_cost"]["parameters"]["costs"]["matrix"][0][1] = 2.0
    reference.write_text(json.dumps(changed))
    failed = run_cli("gate", str(out), "--reference", str(reference))
    assert failed.code == 1
    assert "what defines the numbers changed" in failed.stdout


@pytest.mark.parametrize(("overrides", "message"), [
    ({"costs": {"false_negative": {"column": "price"}}}, "truth.csv: no column 'price' for the per-item"),
    ({"task": "regression", "strategy": {"name": "average", "metrics": ["r2"]}},
     "costs: does not apply to task regression"),
])
def test_a_missing_cost_column_or_a_task_without_classes_is_one_error_line(tmp_path, overrides, message):
    """Impossible costs and bins are refused in the unit tests (test_error_costs, test_calibration); these
    two need the data or the task."""
    cfg = config(**overrides, candidates={"calibrated": {"predictions": "calibrated.csv"}}, baselines={},
                 bootstrap={"resamples": 0})
    root = write_experiment(tmp_path, cfg, experiment_files())
    assert message in one_error_line(run_experiment(root))
    assert not (root / "out" / "metrics.json").exists()
