"""strategy: formula — the agreed number as arithmetic over metric names, wired into runs and reports."""

from __future__ import annotations

import numpy as np
import pytest

from evalkit.comparison import rank
from evalkit.config import StrategyConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.hydra_app import run_job
from evalkit.merge import merge_records
from evalkit.metrics.registry import metric_registry
from evalkit.paths import PathResolver
from evalkit.strategies import build_strategy
from tests.conftest import run_cli
from tests.experiments import basic_config, basic_files, write_experiment

REGISTRY = metric_registry("binary", {"fn_rate": "lower", "fp_rate": "lower"})


def formula(expression: str, direction: str = "maximize", **other):
    return build_strategy(StrategyConfig(name="formula", expression=expression, direction=direction, **other),
                          REGISTRY, "binary")


def test_score_is_the_formula_and_the_entry_keeps_the_values_it_used():
    outcome = formula("recall - 0.5 * (1 - precision)").evaluate({"recall": 0.9, "precision": 0.8,
                                                                  "accuracy": 0.7})
    assert outcome.score == pytest.approx(0.8) and outcome.feasible and outcome.reason is None
    assert outcome.inputs == {"recall": 0.9, "precision": 0.8}


def test_a_cost_model_over_declared_metrics_can_be_maximized():
    s = formula("-(5 * fn_rate + 1 * fp_rate)")
    assert s.evaluate({"fn_rate": 0.1, "fp_rate": 0.2}).score == pytest.approx(-0.7)
    assert s.higher_is_better and s.metrics_used == ("fn_rate", "fp_rate")


def test_minimize_ranks_the_lowest_score_first():
    s = formula("fn_rate + fp_rate", "minimize")
    entries = []
    for name, fn in (("a", 0.3), ("b", 0.1), ("c", 0.2)):
        entry = Entry(name, "candidate", "predictions", {"fn_rate": fn, "fp_rate": 0.0})
        entry.outcome = s.evaluate(entry.metrics)
        entries.append(entry)
    assert not s.higher_is_better
    assert [e.name for e in rank(entries, s.higher_is_better)] == ["b", "c", "a"]


@pytest.mark.parametrize(("metrics", "reason"), [
    ({"recall": 0.9, "precision": None}, "metric 'precision' is null for this entry"),
    ({"recall": 0.9}, "metric 'precision' is not available for this entry"),
])
def test_a_null_or_unreported_metric_gives_no_score_with_the_reason_never_zero(metrics, reason):
    outcome = formula("recall - 0.5 * (1 - precision)").evaluate(metrics)
    assert outcome.score is None and outcome.reason.startswith(reason)
    assert outcome.inputs["precision"] is None


def test_a_division_by_zero_gives_that_entry_no_score_with_the_reason():
    outcome = formula("recall / (1 - precision)").evaluate({"recall": 0.5, "precision": 1.0})
    assert outcome.score is None and outcome.reason == "division by zero: '1 - precision' is 0 in " \
                                                       "'recall / (1 - precision)'"


def test_describe_has_the_expression_and_direction_and_rebuilds_the_same_strategy():
    s = formula("  sqrt(recall * precision) ", "minimize")
    expected = {"name": "formula", "expression": "sqrt(recall * precision)", "direction": "minimize"}
    assert s.describe() == expected
    assert build_strategy(StrategyConfig(**s.describe()), REGISTRY, "binary").describe() == s.describe()


@pytest.mark.parametrize(("expression", "fragment"), [
    ("recal + precision", "unknown metric(s) 'recal'"),
    ("recall.real", "attribute access"),
    ("__import__('os')", "call to '__import__'"),
    ("open('x').read()", "call of \"open('x').read\""),
    ("(lambda: 1)()", "lambda"),
    ("[r for r in recall]", "list comprehension"),
    ("", "set strategy.expression"),
    ("recall + " * 300 + "recall", "characters long"),
])
def test_a_formula_that_is_refused_fails_before_any_work_with_what_and_where(expression, fragment):
    with pytest.raises(ConfigError, match="formula|expression") as error:
        formula(expression)
    assert fragment in str(error.value)


def test_an_invalid_direction_is_refused():
    with pytest.raises(ConfigError, match="'maximise' is not valid; use 'maximize' or 'minimize'"):
        formula("recall", "maximise")


@pytest.mark.parametrize(("cfg", "field"), [
    ({"name": "formula", "expression": "recall", "optimize": "recall"}, "strategy.optimize"),
    ({"name": "formula", "expression": "recall", "metrics": ["recall"]}, "strategy.metrics"),
    ({"name": "average", "metrics": ["recall"], "expression": "recall"}, "strategy.expression"),
    ({"name": "satisficing", "optimize": "recall", "direction": "minimize"}, "strategy.direction"),
    ({"name": "map", "metric": "average_precision", "expression": "recall"}, "strategy.expression"),
])
def test_fields_of_another_strategy_are_refused(cfg, field):
    with pytest.raises(ConfigError, match=rf"{field} does not apply to strategy '{cfg['name']}'"):
        build_strategy(StrategyConfig(**cfg), REGISTRY, "binary")


def run_in_process(root, config, files, out="out"):
    write_experiment(root, config, files)
    return run_job(config, root / out, PathResolver(config_dir=root), echo=False)


def test_a_run_records_the_expression_the_inputs_and_every_reason(tmp_path):
    config = basic_config(
        strategy={"name": "formula", "expression": "recall - 0.5 * (1 - precision)"},
        baselines={"paper": {"kind": "external", "metrics": {"recall": 0.9}, "source": "a paper"}})
    record = run_in_process(tmp_path, config, basic_files())
    assert record["strategy"] == {"name": "formula", "expression": "recall - 0.5 * (1 - precision)",
                                  "direction": "maximize", "higher_is_better": True}
    model, paper = record["entries"]
    used = model["formula_inputs"]
    assert used == {"recall": model["metrics"]["recall"], "precision": model["metrics"]["precision"]}
    assert model["score"] == pytest.approx(used["recall"] - 0.5 * (1 - used["precision"]))
    assert paper["score"] is None and "'precision' is not available" in paper["score_reason"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Strategy: maximize recall - 0.5 * (1 - precision)" in report
    assert "no score: paper (metric 'precision' is not available" in report


def test_compare_rescores_merged_runs_with_the_same_formula(tmp_path):
    paper = {"kind": "external", "metrics": {"accuracy": 0.6, "recall": 0.5}}
    config = basic_config(strategy={"name": "formula", "expression": "2 * recall - accuracy",
                                    "direction": "minimize"}, baselines={"paper": paper})
    whole = run_in_process(tmp_path, config, basic_files())
    parts = [run_in_process(tmp_path, {**config, "select": [name]}, basic_files(), out=name)
             for name in ("model", "paper")]
    merged = merge_records([(tmp_path / p["entries"][0]["name"], p) for p in parts])
    def scored(record):
        return [(e["name"], e["score"], e["formula_inputs"]) for e in record["entries"]]
    assert scored(merged) == scored(whole)


def test_through_the_cli_a_refused_formula_exits_2_and_writes_nothing(tmp_path):
    config = basic_config(strategy={"name": "formula", "expression": "recall.__class__"})
    root = write_experiment(tmp_path, config, basic_files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root}/out")
    assert result.code == 2 and "Traceback" not in result.stderr
    assert "attribute access" in result.stderr and not (root / "out" / "metrics.json").exists()


def test_per_resample_scores_re_evaluate_the_formula_with_nan_where_an_entry_would_get_none():
    s = formula("recall / (1 - precision)")
    values = {"recall": np.array([0.5, 0.6, 0.9]), "precision": np.array([0.5, 1.0, np.nan])}
    scores = s.score_values(values)
    assert scores[0] == pytest.approx(1.0) and np.isnan(scores[1]) and np.isnan(scores[2])
    for i in range(3):
        single = s.evaluate({k: (None if np.isnan(v[i]) else float(v[i])) for k, v in values.items()}).score
        assert (single is None and np.isnan(scores[i])) or single == pytest.approx(scores[i])
