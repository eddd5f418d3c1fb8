"""Significance across jobs: ``compare`` of a two-job sweep tests entries as one run of all of them would.

The sweep runs on Hydra's submitit launcher with its local executor (``hydra/launcher=submitit_local``:
the code path of Slurm, jobs in their own processes) when the plugin is installed (``pip install
evalkit[slurm]``), else on Hydra's default launcher; only the test that the jobs ran on submitit skips.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from evalkit import run_folder
from evalkit.confidence import ResampledEntry
from evalkit.errors import DataError
from evalkit.resamples_file import RESAMPLES_FILE, read_resamples, record_field, resamples_npz
from tests.conftest import run_cli
from tests.experiments import basic_config, basic_files, scores_frame, truth_frame, write_experiment

ENTRIES = ("model", "other", "third")
def _installed(module: str) -> bool:
    try:  # find_spec of a dotted name imports its parent, which may itself be missing
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


SUBMITIT = _installed("hydra_plugins.hydra_submitit_launcher")
# One CPU and a short limit per job; submitit's local executor starts each job as its own process.
SUBMITIT_OVERRIDES = ["hydra/launcher=submitit_local", "hydra.launcher.cpus_per_task=1",
                      "hydra.launcher.timeout_min=20"]


@pytest.fixture(scope="module")
def single_and_merged(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, Path]:
    """One run of three candidates, and the same three split over two jobs and merged."""
    return run_single_and_merged(tmp_path_factory.mktemp("cross_job"), SUBMITIT_OVERRIDES if SUBMITIT else [])


def run_single_and_merged(tmp: Path, launcher: list[str]) -> tuple[dict, dict, Path]:
    """The three candidates in one run, and over two jobs of a sweep on ``launcher``, merged by compare."""
    truth = truth_frame()
    config = basic_config(candidates={name: {"predictions": f"preds/{name}.csv"} for name in ENTRIES},
                          strategy={"name": "average", "metrics": ["accuracy", "roc_auc"]},
                          bootstrap={"resamples": 50, "seed": 5})
    files = basic_files() | {"preds/other.csv": scores_frame(truth, seed=7),
                             "preds/third.csv": scores_frame(truth, seed=11)}
    common = ["--config-dir", str(write_experiment(tmp, config, files)), "--config-name", "exp"]
    single = run_cli("run", *common, f"hydra.run.dir={tmp}/single")
    # The jobs skip their figures (figures=false, as a large sweep would): compare draws the merged run's.
    sweep = run_cli("run", "-m", *common, *launcher, f"hydra.sweep.dir={tmp}/sweep",
                    "select=[model],[other,third]", "figures=false")
    assert single.code == 0 and sweep.code == 0, sweep.stderr
    merged = run_cli("compare", str(tmp / "sweep"), "--out", str(tmp / "merged"))
    assert merged.code == 0, merged.stderr
    def read(folder: str) -> dict:
        return json.loads((tmp / folder / "metrics.json").read_text())
    return read("single"), read("merged"), tmp


def by_pair(record: dict) -> dict[tuple[str, str, str], dict]:
    return {(c["a"], c["b"], c["metric"]): c for c in record["comparisons"]}


def test_merged_jobs_test_every_pair_number_for_number_as_one_run(single_and_merged) -> None:
    assert_merged_equals_single(*single_and_merged[:2])


def assert_merged_equals_single(single: dict, merged: dict) -> None:
    """Every comparison, the verdict and each entry's interval of the merged sweep equal the single run's."""
    assert merged["best"] == single["best"]
    one, both = by_pair(single), by_pair(merged)
    assert set(both) == set(one) and len(one) == 2 * 3  # score, accuracy, roc_auc against two entries
    for key, row in one.items():
        for field in ("diff", "ci", "p_value", "p_adjusted", "verdict", "test", "items", "resamples"):
            assert both[key][field] == row[field], (key, field)
    assert {r["test"] for r in one.values()} == {"paired bootstrap", "exact McNemar"}
    assert merged["significance"] == single["significance"]
    assert merged["verdict_detail"] == single["verdict_detail"]
    for entry in merged["entries"]:
        assert entry["ci"] == next(e["ci"] for e in single["entries"] if e["name"] == entry["name"])


def test_the_merged_report_says_the_tests_span_the_jobs(single_and_merged) -> None:
    _, merged, tmp = single_and_merged
    notes = " ".join(merged["uncertainty_notes"])
    assert "significance across jobs" in notes and "stay per job" not in notes
    assert merged["resamples_file"]["entries"] == list(ENTRIES)
    with np.load(tmp / "merged" / RESAMPLES_FILE, allow_pickle=False) as npz:  # data only, no pickles
        assert npz["names"].tolist() == list(ENTRIES) and npz["values"].shape[2] == 50


@pytest.mark.skipif(not SUBMITIT, reason="no hydra-submitit-launcher: pip install evalkit[slurm]")
def test_the_jobs_ran_on_submitits_local_executor(single_and_merged) -> None:
    """The merge above is of jobs that submitit started, each in its own process, as on Slurm."""
    _, merged, tmp = single_and_merged
    assert (tmp / "sweep" / ".submitit").is_dir()
    assert len(merged["merged_from"]) == 2
    assert all((tmp / "sweep" / job / RESAMPLES_FILE).is_file() for job in ("0", "1"))


def test_a_job_whose_file_does_not_match_its_record_is_refused_in_one_line(single_and_merged) -> None:
    single, _, tmp = single_and_merged
    tampered = single | {"bootstrap": single["bootstrap"] | {"seed": 6}}
    with pytest.raises(DataError, match="does not match its metrics.json") as caught:
        read_resamples(tmp / "single", tampered)
    assert "\n" not in str(caught.value)
    with pytest.raises(DataError, match="no 'resamples_file'"):
        read_resamples(tmp / "single", {k: v for k, v in single.items() if k != "resamples_file"})


def test_saved_entries_come_back_exactly(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    full = ResampledEntry("a", {"accuracy": 0.7, "roc_auc": 0.81}, 0.755,
                          {"accuracy": rng.random(7), "roc_auc": np.r_[np.nan, rng.random(6)]},
                          score_values=rng.random(7), correct=rng.random(11) < 0.5)
    panel = ResampledEntry("p", {"accuracy": 0.5}, None, {"accuracy": rng.random(7)},
                           covered=np.array([1, 4, 9]))
    settings = {"resamples": 7, "level": 0.95, "seed": 1, "method": "multinomial"}
    record = {"bootstrap": settings, "data": {"fingerprint": "f"},
              "resamples_file": record_field(["a", "p"], "f", 11, settings)}
    (tmp_path / RESAMPLES_FILE).write_bytes(resamples_npz([full, panel], n_items=11))
    back = read_resamples(tmp_path, record)
    for saved, original in ((back["a"], full), (back["p"], panel)):
        assert saved.metrics == original.metrics and saved.score == original.score
        for metric, values in original.values.items():
            np.testing.assert_array_equal(saved.values[metric], values)
    np.testing.assert_array_equal(back["a"].correct, full.correct)
    np.testing.assert_array_equal(back["a"].score_values, full.score_values)
    assert back["a"].covered is None and back["p"].covered.tolist() == [1, 4, 9]
    assert back["p"].correct is None and back["p"].score_values is None


def test_a_new_run_removes_the_previous_runs_resamples(tmp_path: Path) -> None:
    """A stale resamples.npz beside a new metrics.json would pair the new record with old numbers."""
    (tmp_path / RESAMPLES_FILE).write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")
    run_folder.clear_outputs(tmp_path)
    assert not (tmp_path / RESAMPLES_FILE).exists() and (tmp_path / "notes.txt").exists()


def test_jobs_that_drew_different_numbers_of_resamples_are_tested_on_the_ones_they_share(tmp_path) -> None:
    # bootstrap.resamples: auto sizes each job by its own comparisons; resample r is the same in every
    # job (same seed and items), so the first min(R) resamples are shared and the tests use those.
    truth = truth_frame()
    config = basic_config(candidates={"model": {"predictions": "preds/model.csv"},
                                      "other": {"predictions": "preds/other.csv"}},
                          strategy={"name": "average", "metrics": ["roc_auc"]}, bootstrap={"seed": 5})
    files = basic_files() | {"preds/other.csv": scores_frame(truth, seed=7)}
    common = ["--config-dir", str(write_experiment(tmp_path, config, files)), "--config-name", "exp"]
    runs = {"single": ("[model,other]", 40), "jobs/0": ("[model]", 40), "jobs/1": ("[other]", 70)}
    for folder, (select, resamples) in runs.items():
        result = run_cli("run", *common, f"select={select}", f"bootstrap.resamples={resamples}",
                         f"hydra.run.dir={tmp_path}/{folder}")
        assert result.code == 0, result.stderr
    merged = run_cli("compare", str(tmp_path / "jobs"), "--out", str(tmp_path / "merged"))
    assert merged.code == 0, merged.stderr
    single, both = (json.loads((tmp_path / f / "metrics.json").read_text()) for f in ("single", "merged"))
    assert both["bootstrap"]["resamples"] == 40 and "40, 70" in both["bootstrap"]["resamples_rule"]
    one, two = by_pair(single), by_pair(both)
    assert set(two) == set(one) and one
    for key, row in one.items():
        for field in ("diff", "ci", "p_value", "p_adjusted", "verdict", "resamples"):
            assert two[key][field] == row[field], (key, field)
