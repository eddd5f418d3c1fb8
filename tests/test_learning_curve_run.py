"""Learning curves inside `evalkit run`: sizes and subsets, targets from the run, labels into money,
bias against variance, the report section and figure, and one small run end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.config import validate
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.learning_curve.analysis import fit_curve, run_targets, score_metric
from evalkit.learning_curve.budget import count_text, label_money, money_text, target_sentence, with_cost
from evalkit.learning_curve.diagnosis import diagnose
from evalkit.learning_curve.measure import subset_indices
from evalkit.learning_curve.settings import check_settings, geometric_sizes, measured_sizes
from evalkit.metrics.registry import metric_registry
from evalkit.strategies import build_strategy
from evalkit.strategies.base import Outcome
from tests.conftest import figures_drawn, run_cli
from tests.experiments import scores_frame, truth_frame, write_experiment

# --- sizes and subsets -------------------------------------------------------------------------


def test_geometric_sizes_step_by_half_octaves_and_end_at_the_full_split():
    assert geometric_sizes(426) == [16, 23, 32, 45, 64, 91, 128, 181, 256, 362, 426]
    assert geometric_sizes(16) == [16]
    assert measured_sizes(100, [10, 50, 200, 20], 16) == [10, 20, 50]  # larger than the split: dropped


@settings(max_examples=60, deadline=None)
@given(counts=st.lists(st.integers(1, 40), min_size=2, max_size=5), share=st.floats(0.01, 1.0),
       seed=st.integers(0, 1000))
def test_stratified_subsets_keep_every_class_and_its_share(counts: list[int], share: float, seed: int):
    strata = np.repeat(np.arange(len(counts)), counts)
    n = len(strata)
    size = max(1, round(share * n))
    idx = subset_indices(n, size, seed, strata)
    assert idx.size == size and np.unique(idx).size == size  # exact size, no row twice
    picked = np.bincount(strata[idx], minlength=len(counts))
    if size >= len(counts):
        assert (picked >= 1).all()  # every class is seen, however small the subset
    quota = size * np.array(counts) / n
    # within one of its share, plus what the at-least-one rule had to take from it for the small classes
    assert (np.abs(picked - quota) <= 1 + np.sum(quota < 1)).all()


def test_a_seed_draws_the_same_subset_every_time_and_another_seed_another():
    strata = np.array([0, 1] * 50)
    assert (subset_indices(100, 20, 3, strata) == subset_indices(100, 20, 3, strata)).all()
    assert (subset_indices(100, 20, 3, strata) != subset_indices(100, 20, 4, strata)).any()


# --- config --------------------------------------------------------------------------------------


def _cfg(**blocks: Any):
    logreg = {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression"}}
    base: dict[str, Any] = {"task": "binary", "data": {"name": "breast_cancer"},
                            "candidates": {"logreg": logreg, "vendor": {"predictions": "v.csv"}},
                            "baselines": {"dummy": {"kind": "simple_ml", "estimator": {
                                "_target_": "sklearn.dummy.DummyClassifier"}}}}
    return validate(base | blocks)


@pytest.mark.parametrize(("blocks", "fragment"), [
    ({"learning_curve": {"enabled": True, "seeds": 0}}, "learning_curve.seeds"),
    ({"learning_curve": {"enabled": True, "sizes": [16, 32, 64]}}, "3 distinct size"),
    ({"learning_curve": {"enabled": True, "sizes": [1, 16, 32, 64]}}, "below 2"),
    ({"learning_curve": {"enabled": True, "resamples": 10}}, "learning_curve.resamples"),
    ({"learning_curve": {"enabled": True, "entries": ["vendor"]}}, "'vendor' has no learning curve"),
    ({"learning_curve": {"enabled": True, "targets": [float("nan")]}}, "targets[0]"),
    ({"label_cost": {"per_item": -0.08}}, "label_cost.per_item"),
    ({"label_cost": {"per_item": 0.08, "overhead": -0.1}}, "label_cost.overhead"),
])
def test_impossible_settings_are_refused_before_any_work(blocks: dict, fragment: str):
    with pytest.raises(ConfigError) as info:
        check_settings(_cfg(**blocks))
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_disabled_curves_check_only_the_cost():
    check_settings(_cfg(learning_curve={"enabled": False, "seeds": 0}))


# --- targets -------------------------------------------------------------------------------------


def _entry(name: str, role: str, score: float | None) -> Entry:
    return Entry(name, role, "simple_ml", {}, outcome=Outcome(score))


def test_targets_come_from_constraints_baseline_human_level_and_config():
    registry = metric_registry("binary", {})
    constraints = {"recall": ">= 0.95", "latency_ms": "<= 50", "f1": "<= 0.99"}
    chosen = validate({"strategy": {"name": "satisficing", "optimize": "precision",
                                    "constraints": constraints}})
    strategy = build_strategy(chosen.strategy, registry, "binary")
    targets = run_targets(strategy, registry, [_entry("rule", "baseline", 0.9)], "rule",
                          {"name": "panel/majority_vote", "score": 0.93}, [0.97, 0.9])
    found = {(t["curve"], t["value"]): t["sources"] for t in targets}
    assert found[("recall", 0.95)] == ["constraint recall >= 0.95"]
    assert found[("score", 0.9)] == ["strongest baseline rule", "learning_curve.targets"]  # merged
    assert found[("score", 0.93)] == ["human level panel/majority_vote"]
    assert found[("score", 0.97)] == ["learning_curve.targets"]
    # a cost is not a curve, and a cap against the metric's direction is no target to reach
    assert not any(t["curve"] in ("latency_ms", "f1") for t in targets)
    assert score_metric(strategy) == "precision"


def test_a_satisficing_score_is_bounded_like_its_metric_whatever_its_cost_constraints():
    from evalkit.learning_curve.analysis import _bounded

    registry = metric_registry("binary", {})
    chosen = validate({"strategy": {"name": "satisficing", "optimize": "precision",
                                    "constraints": {"latency_ms": "<= 50"}}})
    # latency is unbounded, but it never enters the score: the precision curve must stay below 1
    assert _bounded(build_strategy(chosen.strategy, registry, "binary"), registry)


# --- extrapolation: bad input ------------------------------------------------------------------


def test_too_few_sizes_in_a_run_is_a_statement_not_an_error():
    out = fit_curve([(16, 0, 0.5), (32, 0, 0.6), (64, 0, 0.7)], [0.9], higher_is_better=True,
                    best_possible=1.0, level=0.95, resamples=50, source="x")
    assert "3 distinct size" in out["status"] and out["targets"][0]["status"] == "no curve"


def test_a_target_below_the_current_score_needs_zero_labels_and_zero_money():
    n = np.repeat([16, 32, 64, 128, 256], 2)
    out = fit_curve(list(zip(n, [0, 1] * 5, 0.95 - 0.8 * n ** -0.4, strict=True)), [0.5],
                    higher_is_better=True, best_possible=1.0, level=0.95, resamples=50, source="x")
    answer = with_cost(out["targets"][0], 0.08, 0.1, "USD")
    assert answer["status"] == "reached" and answer["more"] == 0
    assert answer["cost"]["more"] == 0 and answer["cost"]["high"] == 0


# --- budget --------------------------------------------------------------------------------------


def test_money_carries_the_overhead_and_the_same_interval_as_the_labels():
    answer = {"target": 0.95, "status": "ok", "labels": 3500.0, "more": 3100.0, "more_low": 2400.0,
              "more_high": 4500.0}
    costed = with_cost(answer, 0.08, 0.1, "USD")["cost"]
    assert costed["more"] == pytest.approx(3100 * 0.088)
    assert (costed["low"], costed["high"]) == (pytest.approx(2400 * 0.088), pytest.approx(4500 * 0.088))
    assert with_cost(answer | {"more_high": None}, 0.08, 0.0, "USD")["cost"]["high"] is None  # unbounded
    with pytest.raises(ConfigError, match="label_cost"):
        label_money(10, -0.08)


def test_the_report_sentence_reads_like_the_issue():
    answer = with_cost({"target": 0.95, "status": "ok", "more": 3123.0, "more_low": 2390.0,
                        "more_high": 4512.0}, 0.08, 0.0, "USD")
    assert target_sentence("logreg", "recall", answer) == (
        "to reach 0.95 recall, logreg needs about 3,100 more labels [2,400, 4,500], about $250 [$190, $360]")
    assert target_sentence("knn", "recall", {"target": 0.99, "status": "beyond the fitted asymptote"}) == (
        "to reach 0.99 recall, knn: no number, beyond the fitted asymptote")
    assert count_text(None) == "unbounded" and money_text(1234.0, "EUR") == "1,200 EUR"


# --- what next -------------------------------------------------------------------------------


def test_variance_dominates_when_the_evaluated_score_falls_far_below_training():
    d = diagnose("knn", train_score=0.99, evaluated=0.90, evaluated_ci=(0.85, 0.95),
                 reference={"name": "panel", "score": 0.97, "ci": [0.95, 0.99], "what": "human level"},
                 labels={"status": "ok", "more": 900.0, "more_low": 500.0, "more_high": 2000.0})
    assert d["dominant"] == "variance"
    assert d["variance"]["gap"] == pytest.approx(0.09)
    assert (d["variance"]["low"], d["variance"]["high"]) == (pytest.approx(0.04), pytest.approx(0.14))
    assert d["avoidable_bias"]["gap"] == pytest.approx(-0.02)
    assert "variance dominates" in d["line"] and "about 900 more labels [500, 2,000]" in d["line"]


def test_avoidable_bias_dominates_when_even_training_is_far_from_the_human_level():
    d = diagnose("tree", train_score=0.80, evaluated=0.78, evaluated_ci=None,
                 reference={"name": "panel", "score": 0.95, "ci": None, "what": "human level"})
    assert d["dominant"] == "avoidable bias" and "bigger model" in d["line"]
    lower = diagnose("reg", train_score=0.10, evaluated=0.30, evaluated_ci=None, higher_is_better=False,
                     reference={"name": "p", "score": 0.08, "ci": None, "what": "human level"})
    assert lower["dominant"] == "variance" and lower["variance"]["gap"] == pytest.approx(0.2)


# --- figure --------------------------------------------------------------------------------------


def _record_with_curves() -> dict[str, Any]:
    n = np.repeat([16, 32, 64, 128, 256], 3)
    rng = np.random.default_rng(0)
    pts = [[float(k), i % 3, float(0.95 - 0.8 * k ** -0.4 + rng.normal(0, 0.005))] for i, k in enumerate(n)]
    fitted = fit_curve(pts, [0.9], higher_is_better=True, best_possible=1.0, level=0.9, resamples=50,
                       source="x")
    names = [f"m{i}" for i in range(8)]
    block = {"settings": {"level": 0.9}, "targets": [{"curve": "score", "value": 0.9, "sources": ["t"]}],
             "entries": {nm: {"role": "candidate", "curves": {"score": {"metric": "accuracy",
                                                                         "points": pts, **fitted}}}
                         for nm in names}}
    entries = [{"name": nm, "rank": i + 1, "role": "candidate"} for i, nm in enumerate(names)]
    return {"best": "m0", "entries": entries, "learning_curves": block}


@pytest.mark.figures
def test_the_figure_draws_points_fit_band_extrapolation_and_targets_for_six_entries_at_most():
    from evalkit.plots.learning_curves import learning_curve_figure

    figure = learning_curve_figure(_record_with_curves())
    gids = {a.get_gid() for ax in figure.axes for a in [*ax.lines, *ax.collections] if a.get_gid()}
    for kind in ("fit", "band", "extrapolation"):
        assert {g for g in gids if g.startswith(f"{kind}:")} == {f"{kind}:m{i}:score" for i in range(6)}
    assert "target:score:0.9" in gids


# --- one run, end to end --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lc_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lcurve")
    truth, train = truth_frame(40, seed=0), truth_frame(120, seed=1)
    train["id"] = train["id"] + 1000
    vendor_curve = pd.DataFrame({"n": np.repeat([100, 200, 400, 800, 1600], 2), "seed": [0, 1] * 5})
    vendor_curve["score"] = 0.9 - 0.6 * vendor_curve["n"] ** -0.5 + 0.002 * vendor_curve["seed"]
    config = {"task": "binary", "data": {"path": "truth.csv", "train_path": "train.csv"},
              "candidates": {"logreg": {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression"},
                                        "features": ["x1", "x2"]},
                             "vendor": {"predictions": "vendor.csv",
                                        "learning_curve": {"path": "vendor_curve.csv"}}},
              "baselines": {"majority": {"kind": "simple_ml", "estimator": {
                  "_target_": "sklearn.dummy.DummyClassifier", "strategy": "most_frequent"}}},
              "strategy": {"name": "average", "metrics": ["accuracy"]},
              "bootstrap": {"resamples": 0},
              "learning_curve": {"enabled": True, "seeds": 2, "resamples": 50, "targets": [0.95]},
              "label_cost": {"per_item": 0.5, "currency": "EUR", "overhead": 0.2}}
    write_experiment(root, config, {"truth.csv": truth, "train.csv": train, "vendor.csv": scores_frame(truth),
                                    "vendor_curve.csv": vendor_curve})
    with figures_drawn("learning_curves"):  # the figure test below looks at it
        result = run_cli("run", "--config-dir", str(root), "--config-name", "exp",
                         f"hydra.run.dir={root / 'run'}")
    assert result.code == 0, result.stderr
    (root / "stdout.txt").write_text(result.stdout)
    return root


def test_the_run_measures_estimators_reads_curve_files_and_writes_every_point(lc_run: Path):
    block = json.loads((lc_run / "run" / "metrics.json").read_text())["learning_curves"]
    assert block["settings"]["sizes"] == [16, 23, 32, 45, 64, 91, 120]
    assert block["settings"]["stratified"] is True
    assert set(block["entries"]) == {"logreg", "vendor", "majority"}
    assert block["entries"]["logreg"]["source"] == "measured"
    assert block["entries"]["vendor"]["source"].endswith("vendor_curve.csv")
    points = pd.read_csv(lc_run / "run" / "learning_curve.csv")
    logreg = points[points["entry"] == "logreg"]
    assert len(logreg) == 7 * 2 and set(logreg["seed"]) == {0, 1}
    assert logreg["value"].between(0, 1).all()
    # the constant dummy's curve is flat: a statement, never a confident number
    majority = block["entries"]["majority"]["curves"]["score"]
    assert majority["targets"][0]["status"] != "ok"
    # the vendor's curve, a clean power law rising to 0.9, has 0.95 above its asymptote
    vendor = block["entries"]["vendor"]["curves"]["score"]
    assert any("asymptote" in t["status"] for t in vendor["targets"] if t["target"] == 0.95)


@pytest.mark.figures
def test_targets_costs_and_gaps_reach_the_report_the_figure_and_the_terminal(lc_run: Path):
    record = json.loads((lc_run / "run" / "metrics.json").read_text())
    block = record["learning_curves"]
    assert {"curve": "score", "value": 0.95, "sources": ["learning_curve.targets"]} in block["targets"]
    assert block["label_cost"] == {"per_item": 0.5, "currency": "EUR", "overhead": 0.2}
    costed = [t for e in block["entries"].values() for c in e["curves"].values() for t in c["targets"]
              if t.get("status") == "ok"]
    for t in costed:
        assert t["cost"]["more"] == pytest.approx(t["more"] * 0.6)
    assert [d["entry"] for d in block["diagnosis"]] == ["logreg"]
    report = (lc_run / "run" / "report.md").read_text()
    assert "## How many more labels? (learning curves)" in report
    assert "| entry | metric | target |" in report and "### What to do next" in report
    # each fitted curve's parameters with their intervals, in metrics.json and in the report
    vendor = block["entries"]["vendor"]["curves"]["score"]["fit"]
    for name, (low, high) in vendor["param_intervals"].items():
        assert low <= vendor["params"][name] <= high
    assert re.search(r"\| vendor \| accuracy \| pow3: a - b \* n\^\(-c\), largest size 1,600 \| "
                     r"a=[\d.]+ \\\[[\d.]+, [\d.]+\\\]", report)
    assert "| majority | accuracy |" in report and "not reported: the curve is unreliable" in report
    assert "labels: to reach 0.95 accuracy, logreg" in (lc_run / "stdout.txt").read_text()
    assert (lc_run / "run" / "plots" / "learning_curves.png").is_file()
    assert "![Learning curves" in report


def test_the_demo_variant_prices_the_labels_one_candidate_still_needs(tmp_path: Path):
    # The issue's demo: the figure, and a labels-needed table that holds a number and its cost (svm
    # is below the human level and still rising), not only "reached" and "unreliable" rows.
    with figures_drawn("learning_curves"):
        result = run_cli("run", "+experiment=learning_curve_demo", "bootstrap.resamples=50",
                         f"hydra.run.dir={tmp_path / 'run'}")
    assert result.code == 0, result.stderr
    block = json.loads((tmp_path / "run" / "metrics.json").read_text())["learning_curves"]
    priced = [t for t in block["entries"]["svm"]["curves"]["score"]["targets"] if t["status"] == "ok"]
    assert priced and all(t["more"] > 0 and t["cost"]["more"] > 0 for t in priced)
    assert re.search(r"to reach [\d.]+ precision, svm needs about [\d,]+ more labels \[[\d,]+, \w+\], "
                     r"about \$[\d,]+", result.stdout)
    assert (tmp_path / "run" / "plots" / "learning_curves.png").is_file()
