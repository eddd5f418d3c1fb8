"""The verdict: two or three lines that agree with the significance tests, name ties, fragile
feasibility and the human level, and explain a lower bound that infeasible baselines outscore."""

from __future__ import annotations

import json
from typing import Any

from evalkit.comparison import compare
from evalkit.config import StrategyConfig
from evalkit.entry import Entry
from evalkit.escaping import markdown_text as md
from evalkit.metrics.registry import metric_registry
from evalkit.strategies import build_strategy
from evalkit.verdict import state, verdict_detail, verdict_lines
from tests.conftest import run_cli
from tests.experiments import basic_config, basic_files, scores_frame, truth_frame, write_experiment


def row(name: str, role: str, score: float | None, *, kind: str | None = None, feasible: bool = True,
        **extra: Any) -> dict[str, Any]:
    kind = kind or ("estimator" if role == "candidate" else "rule")
    return {"name": name, "role": role, "kind": kind, "score": score, "feasible": feasible, **extra}


def record(entries: list[dict[str, Any]], *, best: str | None, strongest: str | None,
           comparisons: list[dict[str, Any]] | None = None, human: dict[str, Any] | None = None,
           higher: bool = True) -> dict[str, Any]:
    return {"task": "binary", "strategy": {"name": "average", "higher_is_better": higher},
            "entries": entries, "best": best, "strongest_baseline": strongest, "human_level": human,
            "comparisons": comparisons or [],
            "bootstrap": {"resamples": 5000, "level": 0.95} if comparisons else None}


def score_test(b: str, verdict: str) -> dict[str, Any]:
    """The best candidate's Holm-adjusted score comparison with ``b``, as metrics.json records it."""
    return {"a": "best", "b": b, "metric": "score", "verdict": verdict, "test": "paired bootstrap"}


def test_candidates_with_exactly_the_best_score_are_named_as_a_tie_with_the_tie_break():
    entries = [row(n, "candidate", 0.9727) for n in ("knn", "logreg", "random_forest", "svm")]
    entries += [row("almost", "candidate", 0.97269999), row("rule", "baseline", 0.9)]
    detail = verdict_detail(record(entries, best="knn", strongest="rule"))
    assert detail["tied_with"] == ["logreg", "random_forest", "svm"]  # equal scores only, not "0.9727"
    first = verdict_lines(detail)[0]
    assert "knn, logreg, random_forest and svm tie at 0.9727; knn first by name" in first
    assert "almost" not in first


def test_no_tie_is_claimed_when_the_best_score_is_unique():
    entries = [row("a", "candidate", 0.9), row("b", "candidate", 0.8), row("rule", "baseline", 0.7)]
    lines = verdict_lines(verdict_detail(record(entries, best="a", strongest="rule")))
    assert "tie" not in lines[0]


def test_each_baseline_is_beaten_distinguishably_or_not_as_the_holm_adjusted_tests_say():
    entries = [row("best", "candidate", 0.95), row("radius_rule", "baseline", 0.94),
               row("rule", "baseline", 0.80), row("dummy", "baseline", 0.5),
               row("paper", "baseline", 0.7, kind="external")]
    tests = [score_test("radius_rule", "not distinguishable"), score_test("rule", "better"),
             score_test("dummy", "better")]
    detail = verdict_detail(record(entries, best="best", strongest="radius_rule", comparisons=tests))
    assert {b["name"]: (b["outcome"], b["test"]) for b in detail["baselines"]} == {
        "radius_rule": ("beaten", "not distinguishable"), "rule": ("beaten", "better"),
        "dummy": ("beaten", "better"), "paper": ("beaten", None)}
    line = verdict_lines(detail)[1]
    assert line.startswith("Baselines: beats 4 of 4 (distinguishably: rule, dummy; "
                           "not distinguishably: radius_rule; untested: paper)")
    assert "every baseline" not in line  # the old wording hid the 'not distinguishable' ones


def test_a_baseline_that_is_not_beaten_is_named_as_such():
    entries = [row("best", "candidate", 0.8), row("strong", "baseline", 0.9), row("weak", "baseline", 0.5)]
    tests = [score_test("strong", "worse"), score_test("weak", "better")]
    line = verdict_lines(verdict_detail(record(entries, best="best", strongest="strong",
                                               comparisons=tests)))[1]
    assert "beats 1 of 2 (distinguishably: weak)" in line
    assert "does NOT beat strong (distinguishably: strong)" in line


def test_lower_is_better_scores_are_beaten_by_being_lower():
    entries = [row("fast", "candidate", 10.0), row("slow_rule", "baseline", 25.0)]
    detail = verdict_detail(record(entries, best="fast", strongest="slow_rule", higher=False))
    assert detail["baselines"][0]["outcome"] == "beaten" and detail["lower_bound"]["margin"] == 15.0


def test_the_human_level_is_a_separate_reference_line_not_the_lower_bound():
    entries = [row("annotator", "baseline", 0.66, kind="human"), row("best", "candidate", 0.49),
               row("published", "baseline", 0.30, kind="external"), row("prior", "baseline", 0.01)]
    human = {"name": "annotator", "score": 0.66, "feasible": True, "coverage": {"items": 60, "of": 150}}
    tests = [score_test("annotator", "worse"), score_test("prior", "better")]
    detail = verdict_detail(record(entries, best="best", strongest="published", comparisons=tests,
                                   human=human))
    assert [b["name"] for b in detail["baselines"]] == ["published", "prior"]  # people are not baselines here
    lines = verdict_lines(detail)
    assert len(lines) == 3
    assert "lower bound published 0.3000" in lines[0] and "annotator" not in lines[0]
    assert "NOT" not in lines[1]  # the detector beats the published number and the rule
    assert lines[2] == ("Human level (a reference, not a bound): annotator 0.6600 on 60 of 150 items — "
                        "not reached by best (distinguishably).")


def test_too_few_resamples_to_resolve_the_tests_is_said_beside_not_distinguishably():
    entries = [row("best", "candidate", 0.9), row("rule", "baseline", 0.8),
               row("panel/vote", "baseline", 0.85, kind="human")]
    tests = [score_test(name, "not distinguishable") for name in ("rule", "panel/vote")]
    run = record(entries, best="best", strongest="rule", comparisons=tests,
                 human={"name": "panel/vote", "score": 0.85, "feasible": True})
    run["bootstrap"] = {"resamples": 20, "level": 0.95}  # the smallest p (2/21) cannot pass Holm
    lines = verdict_lines(verdict_detail(run))
    assert "too few resamples for Holm to tell them apart" in lines[1]
    assert lines[2].endswith("(not distinguishably, too few resamples to tell).")
    run["bootstrap"] = {"resamples": 5000, "level": 0.95}
    assert "too few" not in " ".join(verdict_lines(verdict_detail(run)))


def test_people_never_set_the_lower_bound_in_compare():
    registry = metric_registry("binary")
    strategy = build_strategy(StrategyConfig(name="average", metrics=["accuracy"]), registry, "binary")
    entries = [Entry("model", "candidate", "estimator", {"accuracy": 0.8}),
               Entry("panel/vote", "baseline", "human", {"accuracy": 0.95}),
               Entry("published_human", "baseline", "external", {"accuracy": 0.9},
                     details={"human_level_flagged": True}),
               Entry("rule", "baseline", "rule", {"accuracy": 0.6})]
    for entry in entries:
        entry.outcome = strategy.evaluate(entry.metrics, require_all=entry.role == "candidate")
    result = compare(entries, strategy)
    assert result.strongest_baseline == "rule" and result.beats_all_baselines is True


def test_fragile_feasibility_of_the_best_candidate_is_named_in_the_first_line():
    entries = [row("best", "candidate", 0.95, feasible_share=0.68), row("steady", "candidate", 0.9,
                                                                          feasible_share=0.99),
               row("rule", "baseline", 0.8)]
    detail = verdict_detail(record(entries, best="best", strongest="rule"))
    assert detail["fragile"] == {"best": 0.68}
    assert "fragile: best feasible in only 68% of resamples" in verdict_lines(detail)[0]


def test_infeasible_baselines_above_a_stated_lower_bound_are_explained():
    entries = [row("best", "candidate", 1.0), row("requirement", "baseline", 0.9, kind="external"),
               row("radius_rule", "baseline", 0.957, feasible=False)]
    detail = verdict_detail(record(entries, best="best", strongest="requirement"))
    assert detail["above_lower_bound_infeasible"] == ["radius_rule"]
    first, second = verdict_lines(detail)
    assert "lower bound requirement 0.9000 (a stated bound, not a model)" in first
    assert "radius_rule scores above the lower bound but fail the constraints" in second


def test_no_best_candidate_is_one_plain_line():
    entries = [row("a", "candidate", 0.9, feasible=False), row("rule", "baseline", 0.8)]
    assert verdict_lines(verdict_detail(record(entries, best=None, strongest="rule"))) == [
        "No best candidate: no candidate satisfies every constraint."]


def test_the_run_states_one_verdict_in_the_terminal_report_and_metrics_json(tmp_path):
    truth = truth_frame()
    config = basic_config(candidates={"model": {"predictions": "preds/model.csv"},
                                      "twin": {"predictions": "preds/twin.csv"}},
                          baselines={"paper": {"kind": "external", "metrics": {"accuracy": 0.55}}},
                          bootstrap={"resamples": 200})
    files = basic_files() | {"preds/twin.csv": scores_frame(truth)}  # the same predictions: a tie
    root = write_experiment(tmp_path, config, files)
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp",
                     f"hydra.run.dir={tmp_path}/run")
    assert result.code == 0, result.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    verdict, detail = metrics["verdict"], metrics["verdict_detail"]
    assert isinstance(verdict, str) and verdict.splitlines() == detail["lines"]
    assert 2 <= len(detail["lines"]) <= 3
    assert detail["tied_with"] == ["twin"] and "model and twin tie at" in verdict
    assert verdict in result.stdout
    report = (tmp_path / "run" / "report.md").read_text()
    assert all(f"**{md(line)}**" in report for line in detail["lines"])
    page = (tmp_path / "run" / "report.html").read_text()
    assert '<p class="verdict"><strong>Best: model' in page and "<br><strong>Baselines:" in page
    assert state(metrics)[0] == verdict  # the record alone states the same verdict (merged records too)
