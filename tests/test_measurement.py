"""Latency you can trust: repeats, their spread, fragile constraints, and the parallel-launcher warning.

No test reads the real clock's values: the clock is replaced by one that returns chosen timings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from evalkit import fitting
from evalkit.hydra_app import shared_cores_warning
from evalkit.measurement import fragile_constraints, summarize_repeats, within_spread
from tests.conftest import run_cli
from tests.experiments import truth_frame, write_experiment

SPREAD_MS = [48.0, 41.0, 57.0, 50.0, 44.0, 52.0, 46.0]  # median 48, min 41, max 57


def fake_clock(durations_ms: list[float]) -> Callable[[], float]:
    """A clock whose consecutive start/stop pairs are ``durations_ms`` apart (in seconds)."""
    ticks: list[float] = []
    for i, ms in enumerate(durations_ms):
        ticks += [10.0 * i, 10.0 * i + ms / 1000]
    it: Iterator[float] = iter(ticks)
    return lambda: next(it)


class CountingModel:
    def __init__(self) -> None:
        self.calls = 0

    def predict(self, X: pd.DataFrame) -> list[int]:
        self.calls += 1
        return [0] * len(X)


def test_latency_is_the_median_of_seven_repeats_after_a_warm_up_and_keeps_its_spread():
    model = CountingModel()
    measured = fitting.measure_latency(model, pd.DataFrame({"x": range(30)}), clock=fake_clock(SPREAD_MS))
    assert model.calls == 1 + 7  # the warm-up is not timed
    assert measured["repeats"] == 7 and measured["values"] == pytest.approx(SPREAD_MS)
    assert (measured["median"], measured["min"], measured["max"]) == pytest.approx((48.0, 41.0, 57.0))
    assert measured["iqr"][0] <= 48.0 <= measured["iqr"][1]
    assert measured["unit"] == "ms" and "median of 7" in measured["rule"]


def test_a_threshold_inside_the_spread_is_fragile_and_one_outside_is_not():
    measured = {"latency_ms": summarize_repeats(SPREAD_MS, unit="ms")}
    inside = SimpleNamespace(metric="latency_ms", op="<=", threshold=50.0)
    outside = SimpleNamespace(metric="latency_ms", op="<=", threshold=60.0)
    unmeasured = SimpleNamespace(metric="recall", op=">=", threshold=0.5)
    [note] = within_spread([inside, outside, unmeasured], measured)
    assert note.startswith("latency_ms <= 50 decided within the measurement's spread 41–57 ms")
    assert within_spread([outside], measured) == []


def test_a_single_or_constant_measurement_has_no_spread_to_be_fragile_in():
    constraint = [SimpleNamespace(metric="latency_ms", op="<=", threshold=5.0)]
    assert within_spread(constraint, {"latency_ms": summarize_repeats([5.0], unit="ms")}) == []
    assert within_spread(constraint, {"latency_ms": summarize_repeats([5.0, 5.0, 5.0], unit="ms")}) == []


def test_an_entry_infeasible_for_another_reason_is_not_fragile_by_its_latency():
    measured = {"latency_ms": summarize_repeats(SPREAD_MS, unit="ms")}
    rules = [SimpleNamespace(metric="recall", op=">=", threshold=0.95),
             SimpleNamespace(metric="latency_ms", op="<=", threshold=45.0)]
    slow_and_blind = {"recall": 0.90, "latency_ms": 48.0}  # recall fails whatever the timings say
    assert fragile_constraints(rules, slow_and_blind, measured, feasible=False) == []
    only_slow = {"recall": 0.97, "latency_ms": 48.0}  # only latency fails, and within its spread
    [note] = fragile_constraints(rules, only_slow, measured, feasible=False)
    assert note.startswith("latency_ms <= 45 decided within")
    fast = {"recall": 0.97, "latency_ms": 44.0}
    assert len(fragile_constraints(rules, fast, measured, feasible=True)) == 1


def _latency_experiment(tmp_path: Path, threshold: float) -> Path:
    config = {
        "task": "binary",
        "data": {"path": "truth.csv", "train_path": "train.csv", "features": ["x1", "x2"]},
        "candidates": {"logreg": {"estimator": {"_target_": "sklearn.linear_model.LogisticRegression"}}},
        "strategy": {"name": "satisficing", "optimize": "accuracy",
                     "constraints": {"latency_ms": f"<= {threshold}"}},
        "bootstrap": {"resamples": 0},
    }
    return write_experiment(tmp_path, config, {"truth.csv": truth_frame(), "train.csv": truth_frame(seed=5)})


@pytest.fixture
def controlled_latency(monkeypatch: pytest.MonkeyPatch) -> None:
    real = fitting.measure_latency
    monkeypatch.setattr(fitting, "measure_latency",
                        lambda estimator, X: real(estimator, X, clock=fake_clock(SPREAD_MS)))


def _run(root: Path) -> tuple[dict, str, str]:
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root}/run")
    assert result.code == 0, result.stderr
    record = json.loads((root / "run" / "metrics.json").read_text())
    return record, (root / "run" / "report.md").read_text(), result.stdout


def test_a_run_records_the_repeats_and_uses_their_median_as_latency_ms(tmp_path, controlled_latency):
    record, _, _ = _run(_latency_experiment(tmp_path, threshold=100))
    [entry] = record["entries"]
    measured = entry["measured"]["latency_ms"]
    assert entry["metrics"]["latency_ms"] == measured["median"] == pytest.approx(48.0)
    assert (measured["repeats"], measured["min"], measured["max"]) == (7, pytest.approx(41.0),
                                                                      pytest.approx(57.0))
    assert "fragile_constraints" not in entry  # 100 ms lies outside 41–57 ms


def test_a_latency_constraint_decided_within_the_spread_is_fragile_everywhere(tmp_path, controlled_latency):
    record, report, stdout = _run(_latency_experiment(tmp_path, threshold=50))
    [entry] = record["entries"]
    assert entry["feasible"] is True  # median 48 <= 50, but repeats ran up to 57
    [note] = entry["fragile_constraints"]
    assert "latency_ms <= 50 decided within the measurement's spread 41–57 ms" in note
    assert "another run could decide it the other way: logreg (feasible: latency_ms <= 50 decided within" \
        in report
    table_row = next(line for line in stdout.splitlines() if line.startswith("1 "))
    assert "fragile" in table_row and "constraint decided within a measured cost's spread" in stdout


def test_an_infeasible_entry_decided_within_the_spread_says_so(tmp_path, controlled_latency):
    record, report, stdout = _run(_latency_experiment(tmp_path, threshold=45))
    [entry] = record["entries"]
    assert entry["feasible"] is False and entry["fragile_constraints"]
    assert "another run could decide it the other way: logreg (infeasible: latency_ms <= 45" in report
    assert "NO (fragile)" in stdout


def test_parallel_jobs_on_one_machine_are_warned_about_sequential_ones_are_not():
    joblib = {"_target_": "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher", "n_jobs": -1}
    basic = {"_target_": "hydra._internal.core_plugins.basic_launcher.BasicLauncher"}
    warning = shared_cores_warning(True, joblib)
    assert warning is not None and "JoblibLauncher" in warning and "latency_ms" in warning
    assert shared_cores_warning(False, joblib) is None  # a single run is not a sweep
    assert shared_cores_warning(True, basic) is None
    assert shared_cores_warning(True, joblib | {"n_jobs": 1}) is None


def test_the_parallel_warning_reaches_stderr_metrics_json_and_the_report(tmp_path, capsys):
    from evalkit.hydra_app import run_job
    from evalkit.paths import PathResolver

    root = _latency_experiment(tmp_path, threshold=100)
    cfg = yaml.safe_load((root / "exp.yaml").read_text())
    warning = shared_cores_warning(True, {"_target_": "x.JoblibLauncher", "n_jobs": 2})
    record = run_job(cfg, root / "run", PathResolver(config_dir=root, cli_keys=frozenset()),
                     echo=False, timing_warning=warning)
    assert record["measurement_notes"] == [warning]
    assert f"evalkit: warning: {warning}" in capsys.readouterr().err
    assert warning in (root / "run" / "report.md").read_text()
    assert json.loads((root / "run" / "metrics.json").read_text())["measurement_notes"] == [warning]

