"""Numbers stated in the config must be possible, and thresholds are kept exactly as written.

An external baseline's metrics and a candidate's declared costs become rows of the leaderboard (the
lower bound, the winner of a satisficing ranking); average weights and constraint thresholds define
the single number. Impossible values are refused before any work, one line naming the key.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evalkit.strategies.satisficing import canonical_description, describe_constraints
from tests.conftest import run_cli
from tests.experiments import basic_config, basic_files, write_experiment
from tests.test_cli_errors import assert_clean_failure, run_experiment_dir


def external(metrics: dict) -> dict:
    return {"paper": {"kind": "external", "metrics": metrics, "source": "a paper"}}


@pytest.mark.parametrize(("metrics", "fragments"), [
    ({"accuracy": 1.5}, ["baselines.paper.metrics.accuracy", "1.5", "outside the range", "[0, 1]", "0.95"]),
    ({"accuracy": -3}, ["baselines.paper.metrics.accuracy", "-3", "outside the range"]),
    ({"accuracy": float("nan")}, ["baselines.paper.metrics.accuracy", "not a finite number"]),
    ({"accuracy": float("-inf")}, ["baselines.paper.metrics.accuracy", "not a finite number"]),
    ({"log_loss": -0.2}, ["baselines.paper.metrics.log_loss", "outside the range", ">= 0"]),
    ({"latency_ms": -100}, ["baselines.paper.metrics.latency_ms", "negative"]),
    ({"latency_ms": float("inf")}, ["baselines.paper.metrics.latency_ms", "not a finite number"]),
])
def test_an_external_baseline_states_only_possible_numbers(metrics, fragments, tmp_path):
    root = write_experiment(tmp_path, basic_config(baselines=external(metrics)), basic_files())
    assert_clean_failure(*run_experiment_dir(root), *fragments)


@pytest.mark.parametrize(("value", "fragment"), [
    (-100, "negative"), (float("nan"), "not a finite number"), (float("-inf"), "not a finite number"),
])
def test_a_declared_cost_is_finite_and_not_negative(value, fragment, tmp_path):
    config = basic_config(candidates={"model": {"predictions": "preds/model.csv",
                                                "metrics": {"latency_ms": value}}},
                          strategy={"name": "satisficing", "optimize": "accuracy",
                                    "constraints": {"latency_ms": "<= 50"}})
    root = write_experiment(tmp_path, config, basic_files())
    assert_clean_failure(*run_experiment_dir(root), "candidates.model.metrics.latency_ms", fragment)


def test_a_declared_custom_cost_is_checked_too(tmp_path):
    config = basic_config(candidates={"model": {"predictions": "preds/model.csv",
                                                "metrics": {"energy_j": -1.0}}},
                          cost_metrics={"energy_j": "lower"})
    root = write_experiment(tmp_path, config, basic_files())
    assert_clean_failure(*run_experiment_dir(root), "candidates.model.metrics.energy_j", "negative")


def test_possible_edge_values_are_accepted(tmp_path):
    config = basic_config(baselines=external({"accuracy": 1.0, "recall": 0.0}),
                          candidates={"model": {"predictions": "preds/model.csv",
                                                "metrics": {"latency_ms": 0.0}}})
    root = write_experiment(tmp_path, config, basic_files())
    result, run_dir = run_experiment_dir(root)
    assert result.code == 0, result.stderr
    rows = {e["name"]: e for e in json.loads((run_dir / "metrics.json").read_text())["entries"]}
    assert rows["paper"]["metrics"] == {"accuracy": 1.0, "recall": 0.0}
    assert rows["model"]["metrics"]["latency_ms"] == 0.0


@pytest.mark.parametrize("weight", [".inf", ".nan", "0", "-1"])
def test_average_weights_are_finite_and_positive(weight, tmp_path):
    root = write_experiment(tmp_path, basic_config(), basic_files())
    (root / "exp.yaml").write_text((root / "exp.yaml").read_text().replace(
        "metrics:\n  - accuracy", f"metrics: [accuracy, recall]\n  weights: [1, {weight}]"))
    assert_clean_failure(*run_experiment_dir(root), "strategy.weights[1]", "finite positive")


def test_huge_weights_give_the_same_score_as_equal_ones(tmp_path):
    """Two weights of 1e308 sum to infinity; the average must still be the plain mean."""
    outcomes = {}
    for label, weights in {"huge": [1e308, 1e308], "one": [1, 1]}.items():
        config = basic_config(strategy={"name": "average", "metrics": ["accuracy", "recall"],
                                        "weights": weights})
        root = write_experiment(tmp_path / label, config, basic_files())
        result, run_dir = run_experiment_dir(root)
        assert result.code == 0, result.stderr
        record = json.loads((run_dir / "metrics.json").read_text())
        assert record["strategy"]["weights"] == weights  # stated as given
        outcomes[label] = record["entries"][0]["score"]
        assert "1e+308×accuracy" in (run_dir / "report.md").read_text() or label == "one"
    assert outcomes["huge"] == pytest.approx(outcomes["one"], abs=1e-15)


@pytest.mark.figures("satisficing")
@pytest.mark.parametrize("threshold", [">= 1e999", "<= -1e999"])
def test_a_constraint_threshold_is_finite(threshold, tmp_path):
    config = basic_config(strategy={"name": "satisficing", "optimize": "accuracy",
                                    "constraints": {"recall": threshold}})
    root = write_experiment(tmp_path, config, basic_files())
    assert_clean_failure(*run_experiment_dir(root), "strategy.constraints.recall", "not a finite number")
    assert not (root / "out").exists() or not any((root / "out").glob("*.png"))


def satisficing_run(tmp_path: Path, threshold: str) -> Path:
    config = basic_config(strategy={"name": "satisficing", "optimize": "precision",
                                    "constraints": {"recall": threshold}})
    root = write_experiment(tmp_path, config, basic_files())
    result, run_dir = run_experiment_dir(root)
    assert result.code == 0, result.stderr
    return run_dir


def test_a_threshold_is_stored_and_shown_exactly(tmp_path):
    run_dir = satisficing_run(tmp_path, ">= 0.9512345")
    record = json.loads((run_dir / "metrics.json").read_text())
    assert record["strategy"]["constraints"] == {"recall": {"op": ">=", "threshold": 0.9512345}}
    assert "recall >= 0.9512345" in (run_dir / "report.md").read_text()
    assert "0.951234 " not in (run_dir / "report.md").read_text()
    entry = record["entries"][0]
    assert all("0.9512345" in v for v in entry["violations"])
    reference = tmp_path / "reference.json"
    assert run_cli("gate", str(run_dir), "--reference", str(reference), "--update").code == 0
    stored = json.loads(reference.read_text())["strategy"]["constraints"]
    assert stored == {"recall": {"op": ">=", "threshold": 0.9512345}}


def test_a_threshold_between_two_rounded_values_decides_feasibility_exactly(tmp_path):
    """recall is 0.95 exactly here: '>= 0.9500001' rules the model out, though %g shows it as 0.95."""
    files = basic_files()
    truth = files["truth.csv"]
    positives = truth.index[truth["label"] == 1][:20]
    preds = truth[["id"]].assign(label=0)
    preds.loc[positives[:19], "label"] = 1  # 19 of 20 positives found: recall 0.95
    files["preds/model.csv"] = preds
    config = basic_config(strategy={"name": "satisficing", "optimize": "precision",
                                    "constraints": {"recall": ">= 0.9500001"}})
    root = write_experiment(tmp_path, config, files)
    result, run_dir = run_experiment_dir(root)
    assert result.code == 0, result.stderr
    entry = json.loads((run_dir / "metrics.json").read_text())["entries"][0]
    assert entry["metrics"]["recall"] == 0.95
    assert entry["feasible"] is False
    assert entry["violations"] == ["recall = 0.95 violates recall >= 0.9500001"]


@pytest.mark.figures("satisficing")
def test_the_satisficing_figure_reads_the_stored_numbers(tmp_path):
    run_dir = satisficing_run(tmp_path, ">= 0.9512345")
    record = json.loads((run_dir / "metrics.json").read_text())
    from evalkit.plots.satisficing import constraints_of
    assert [(c.metric, c.op, c.threshold) for c in constraints_of(record)] == [("recall", ">=", 0.9512345)]
    assert (run_dir / "plots" / "satisficing.png").exists()
    assert run_cli("plot", str(run_dir)).code == 0


def test_records_written_before_thresholds_were_numbers_still_read():
    old = {"name": "satisficing", "optimize": "precision", "constraints": {"recall": ">= 0.95"}}
    new = {"name": "satisficing", "optimize": "precision",
           "constraints": {"recall": {"op": ">=", "threshold": 0.95}}}
    assert canonical_description(old) == canonical_description(new)
    assert describe_constraints(old["constraints"]) == describe_constraints(new["constraints"]) \
        == "recall >= 0.95"


@pytest.mark.parametrize("stored", [
    {"op": ">=", "threshold": 10**400}, {"op": ">=", "threshold": float("nan")},
    {"op": ["<"], "threshold": 1}, {"op": ">=", "threshold": "0.9"},
])
def test_a_stored_constraint_that_is_not_a_finite_number_is_a_config_error(stored):
    from evalkit.errors import ConfigError
    from evalkit.strategies.satisficing import parse_constraint
    with pytest.raises(ConfigError, match="strategy.constraints.recall"):
        parse_constraint("recall", stored)
