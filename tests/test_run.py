"""`python -m evalkit run` end to end: the demo, a user's own experiment, multirun, and the outputs."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest

from evalkit.escaping import markdown_text as md
from tests.conftest import run_cli
from tests.experiments import basic_config, basic_files, scores_frame, truth_frame, write_experiment


def test_demo_compares_several_candidates_with_all_four_baseline_kinds(demo_record):
    candidates = [e for e in demo_record["entries"] if e["role"] == "candidate"]
    baseline_kinds = {e["kind"] for e in demo_record["entries"] if e["role"] == "baseline"}
    assert len(candidates) >= 4
    assert baseline_kinds == {"external", "rule", "simple_ml", "human"}
    assert demo_record["best"] in {c["name"] for c in candidates}
    assert demo_record["strongest_baseline"] is not None and demo_record["margin"] is not None


def test_demo_constraints_rule_out_at_least_one_candidate_and_say_why(demo_record):
    infeasible = [e for e in demo_record["entries"] if e["role"] == "candidate" and not e["feasible"]]
    assert infeasible
    assert all(e["violations"] for e in infeasible)


def test_metrics_json_has_the_documented_shape(demo_record):
    assert {"evalkit_version", "task", "strategy", "data", "entries", "best", "strongest_baseline",
            "margin"} <= set(demo_record)
    assert demo_record["strategy"] == {"name": "satisficing", "optimize": "precision",
                                       "constraints": {"recall": {"op": ">=", "threshold": 0.95},
                                                       "latency_ms": {"op": "<=", "threshold": 50.0}},
                                       "higher_is_better": True}
    assert demo_record["data"]["n_items"] == 143 and len(demo_record["data"]["fingerprint"]) == 64
    for entry in demo_record["entries"]:
        assert {"name", "role", "kind", "metrics", "score", "feasible", "violations"} <= set(entry)
        assert entry["role"] in {"candidate", "baseline"}
        assert entry["kind"] in {"estimator", "predictions", "external", "rule", "simple_ml", "human"}
    logreg = next(e for e in demo_record["entries"] if e["name"] == "logreg")
    assert logreg["metrics"]["latency_ms"] > 0 and logreg["metrics"]["model_size_kb"] > 0


def test_demo_human_rows_keep_each_annotator_and_the_spread(demo_record):
    mean = next(e for e in demo_record["entries"] if e["name"] == "panel/crowd/mean_annotator")
    vote = next(e for e in demo_record["entries"] if e["name"] == "panel/crowd/majority_vote")
    accuracies = [a["metrics"]["accuracy"] for a in mean["annotators"].values() if a["averaged"]]
    assert mean["metrics"]["accuracy"] == pytest.approx(sum(accuracies) / len(accuracies))
    assert mean["spread"]["accuracy"] == {"min": min(accuracies), "median": statistics.median(accuracies),
                                          "max": max(accuracies)}
    assert vote["tie_rule"] == "expected"


def test_leaderboard_csv_and_report_match_metrics_json(demo_run, demo_record):
    with (demo_run / "leaderboard.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["name"] for r in rows] == [e["name"] for e in demo_record["entries"]]
    assert [int(r["rank"]) for r in rows] == list(range(1, len(rows) + 1))
    report = (demo_run / "report.md").read_text()
    assert all(f"**{md(line)}**" in report for line in demo_record["verdict"].splitlines())
    assert "- infeasible by recall >= 0.95: " in report and "## Leaderboard" in report
    assert (demo_run / ".hydra" / "config.yaml").is_file()


def test_user_experiment_runs_from_another_directory_with_paths_relative_to_the_file(tmp_path):
    root = write_experiment(tmp_path / "exp", basic_config(
        baselines={"paper": {"kind": "external", "metrics": {"accuracy": 0.6}, "source": "a paper"}}),
        basic_files())
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", "hydra.run.dir=out",
                     "figures=false", cwd=elsewhere, subprocess_=True)
    assert result.code == 0, result.stderr
    record = json.loads((elsewhere / "out" / "metrics.json").read_text())
    assert [e["name"] for e in record["entries"]] == ["model", "paper"]
    assert record["best"] == "model" and "model" in result.stdout and record["verdict"] in result.stdout


def test_a_path_given_on_the_command_line_resolves_against_the_current_directory(tmp_path):
    root = write_experiment(tmp_path / "exp", basic_config(), basic_files())
    cwd = tmp_path / "cwd"
    (cwd / "other").mkdir(parents=True)
    truth = truth_frame()
    scores_frame(truth, seed=9).to_csv(cwd / "other" / "better.csv", index=False)
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", "hydra.run.dir=out",
                     "candidates.model.predictions=other/better.csv", cwd=cwd)
    assert result.code == 0, result.stderr
    record = json.loads((cwd / "out" / "metrics.json").read_text())
    assert record["entries"][0]["path"] == str(cwd / "other" / "better.csv")


def test_experiment_file_may_select_evalkit_config_groups(tmp_path):
    config = basic_config()
    del config["strategy"]
    config = {"defaults": [{"strategy": "average"}, "_self_"], **config}
    root = write_experiment(tmp_path, config, basic_files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={tmp_path}/o")
    assert result.code == 0, result.stderr
    record = json.loads((tmp_path / "o" / "metrics.json").read_text())
    assert record["strategy"]["metrics"] == ["precision", "recall"]


def test_multirun_writes_one_run_directory_per_job(tmp_path):
    root = write_experiment(tmp_path, basic_config(), basic_files())
    result = run_cli("run", "-m", "--config-dir", str(root), "--config-name", "exp",
                     f"hydra.sweep.dir={tmp_path}/sweep", "strategy.metrics=[accuracy],[f1]")
    assert result.code == 0, result.stderr
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "sweep").glob("*/metrics.json"))]
    assert [r["strategy"]["metrics"] for r in records] == [["accuracy"], ["f1"]]


def test_default_run_directory_is_results_timestamp_under_the_current_directory(tmp_path):
    root = write_experiment(tmp_path / "exp", basic_config(), basic_files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", cwd=tmp_path)
    assert result.code == 0, result.stderr
    [run_dir] = list((tmp_path / "results").iterdir())
    assert (run_dir / "metrics.json").is_file() and run_dir.name[:2] == "20"


def test_results_are_written_atomically_and_readable(demo_run: Path):
    leftovers = [p for p in demo_run.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    assert not leftovers
    assert (demo_run / "metrics.json").stat().st_mode & 0o044


@pytest.mark.figures("leaderboard", "pr_curves")
def test_one_job_per_entry_sweep_merges_into_the_same_leaderboard_as_one_run(tmp_path):
    config = basic_config(candidates={"model": {"predictions": "preds/model.csv"},
                                      "other": {"predictions": "preds/other.csv"}},
                          baselines={"paper": {"kind": "external", "metrics": {"accuracy": 0.6}}})
    files = basic_files() | {"preds/other.csv": scores_frame(truth_frame(), seed=7)}
    root = write_experiment(tmp_path, config, files)
    common = ["--config-dir", str(root), "--config-name", "exp"]
    # Only the merged run's figures are looked at: the single run and the jobs skip theirs.
    single = run_cli("run", *common, f"hydra.run.dir={tmp_path}/single", "figures=false")
    sweep = run_cli("run", "-m", *common, f"hydra.sweep.dir={tmp_path}/sweep", "select=[model],[other,paper]",
                    "figures=false")
    assert single.code == 0 and sweep.code == 0, sweep.stderr
    merged = run_cli("compare", str(tmp_path / "sweep"), "--out", str(tmp_path / "merged"))
    assert merged.code == 0, merged.stderr
    one = json.loads((tmp_path / "single" / "metrics.json").read_text())
    both = json.loads((tmp_path / "merged" / "metrics.json").read_text())
    def ranked(record):
        return [(e["name"], e["score"]) for e in record["entries"]]
    assert ranked(both) == ranked(one)
    assert both["verdict"] == one["verdict"] and len(both["merged_from"]) == 2
    # the merged folder is a run folder like any other: curve data from every job, and the figures
    curves = json.loads((tmp_path / "merged" / "curves.json").read_text())
    assert set(curves["entries"]) == {"model", "other"}
    assert {"leaderboard.png", "pr_curves.png"} <= {p.name for p in (tmp_path / "merged" / "plots").iterdir()}
    assert "](plots/leaderboard.png)" in (tmp_path / "merged" / "report.md").read_text()


def _two_candidates(tmp_path: Path) -> list[str]:
    config = basic_config(candidates={"model": {"predictions": "preds/model.csv"},
                                      "other": {"predictions": "preds/other.csv"}},
                          bootstrap={"resamples": 200, "seed": 3})
    files = basic_files() | {"preds/other.csv": scores_frame(truth_frame(), seed=7)}
    return ["--config-dir", str(write_experiment(tmp_path, config, files)), "--config-name", "exp"]


def _two_job_sweep(tmp_path: Path) -> Path:
    sweep = run_cli("run", "-m", *_two_candidates(tmp_path), f"hydra.sweep.dir={tmp_path}/sweep",
                    "select=[model],[other]")
    assert sweep.code == 0, sweep.stderr
    return tmp_path / "sweep"


def test_compare_keeps_each_jobs_intervals_and_states_their_shared_bootstrap_settings(tmp_path):
    sweep = _two_job_sweep(tmp_path)
    jobs = {e["name"]: e for p in sweep.glob("*/metrics.json") for e in json.loads(p.read_text())["entries"]}
    merged = run_cli("compare", str(sweep), "--out", str(tmp_path / "merged"))
    assert merged.code == 0, merged.stderr
    record = json.loads((tmp_path / "merged" / "metrics.json").read_text())
    assert record["bootstrap"] == {"resamples": 200, "level": 0.95, "seed": 3, "method": "multinomial"}
    for entry in record["entries"]:
        assert entry["ci"] == jobs[entry["name"]]["ci"]  # each job's own interval, unchanged
    report = (tmp_path / "merged" / "report.md").read_text()
    assert "No confidence intervals" not in report
    assert "95% confidence intervals from a paired bootstrap" in report and "200 resamples, seed 3" in report
    # each job saved its resamples: the best candidate is tested across jobs (test_compare_significance.py)
    assert "significance across jobs" in report and record["comparisons"]
    header = merged.stdout.splitlines()[0]
    assert "95% CI" in header
    lo, hi = record["entries"][0]["ci"]["score"]
    assert f"[{lo:.3f}, {hi:.3f}]" in merged.stdout


def test_compare_of_jobs_with_different_bootstrap_settings_says_so_instead_of_one_legend(tmp_path):
    common = _two_candidates(tmp_path)
    for name, seed in (("model", 3), ("other", 4)):
        job = run_cli("run", *common, f"hydra.run.dir={tmp_path}/runs/{name}", f"select=[{name}]",
                      f"bootstrap.seed={seed}")
        assert job.code == 0, job.stderr
    merged = run_cli("compare", str(tmp_path / "runs"), "--out", str(tmp_path / "merged"))
    assert merged.code == 0, merged.stderr
    record = json.loads((tmp_path / "merged" / "metrics.json").read_text())
    assert record["bootstrap"] is None and all(e["ci"] for e in record["entries"])
    report = (tmp_path / "merged" / "report.md").read_text()
    assert "No confidence intervals" not in report and "bootstrap settings differ" in report
    assert " CI" in merged.stdout.splitlines()[0]


def test_compare_refuses_runs_on_different_data(tmp_path):
    root = write_experiment(tmp_path, basic_config(), basic_files())
    for seed in (0, 1):
        other = tmp_path / f"exp{seed}"
        truth = truth_frame(seed=seed)
        if seed:
            truth["label"] = 1 - truth["label"]
        write_experiment(other, basic_config(), {"truth.csv": truth, "preds/model.csv": scores_frame(truth)})
        assert run_cli("run", "--config-dir", str(other), "--config-name", "exp",
                       f"hydra.run.dir={tmp_path}/runs/r{seed}").code == 0
    result = run_cli("compare", str(tmp_path / "runs"))
    assert result.code == 2 and "data differs" in result.stderr
    assert root.exists()


def test_multiclass_example_runs_from_the_bundled_configs(tmp_path):
    result = run_cli("run", "+experiment=iris", f"hydra.run.dir={tmp_path}", "bootstrap.resamples=0")
    assert result.code == 0, result.stderr
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["task"] == "multiclass"
    assert record["data"]["classes"] == ["setosa", "versicolor", "virginica"]
    rule = next(e for e in record["entries"] if e["name"] == "petal_rule")
    assert rule["kind"] == "rule" and rule["metrics"]["accuracy"] > 0.9
    # Exact ties at the top are broken by name, as documented.
    top = [e for e in record["entries"] if e["score"] == record["entries"][0]["score"]]
    assert record["best"] == min(e["name"] for e in top if e["role"] == "candidate")


@pytest.mark.figures("leaderboard")  # what `plot` draws later; figures=false must draw nothing itself
def test_figures_false_writes_the_reports_without_drawing_and_says_how_to_draw_them(tmp_path):
    root = write_experiment(tmp_path, basic_config(), basic_files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={tmp_path}/o",
                     "figures=false")
    assert result.code == 0, result.stderr
    assert not (tmp_path / "o" / "plots").exists()
    report = (tmp_path / "o" / "report.md").read_text()
    assert "leaderboard: not drawn (figures: false); python -m evalkit plot RUN_DIR draws them" in report
    assert run_cli("plot", str(tmp_path / "o")).code == 0  # from the saved data, later
    assert (tmp_path / "o" / "plots" / "leaderboard.png").is_file()
