"""`evalkit compare` keeps what a job's record defines and says what it cannot merge."""

from __future__ import annotations

import json

import pytest

from evalkit.errors import DataError
from evalkit.merge import merge_records
from tests.conftest import run_cli, run_experiment_file
from tests.experiments import basic_config, scores_frame, truth_frame, write_experiment


@pytest.fixture(scope="module")
def jobs(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs")
    truth = truth_frame(80)
    config = basic_config(
        candidates={"model": {"predictions": "model.csv"}, "other": {"predictions": "other.csv"}},
        strategy={"name": "satisficing", "optimize": "accuracy", "constraints": {"expected_cost": "<= 2"}},
        costs={"false_positive": 1, "false_negative": 5},
        slices={"declared": [{"column": "x2", "bins": [-10, 0, 10]}], "min_items": 10},
        figures=False)
    write_experiment(root, config, {"truth.csv": truth, "model.csv": scores_frame(truth, 1),
                                    "other.csv": scores_frame(truth, 2)})
    for name in ("model", "other"):
        job = dict(config, select=[name])
        (root / f"{name}.yaml").write_text(json.dumps(job))
        result = run_experiment_file(root / f"{name}.yaml", root / "sweep" / name)
        assert result.code == 0, result.stderr
    return root


def test_the_merged_record_keeps_the_jobs_metric_definitions_and_names_the_blocks_it_left_out(jobs):
    result = run_cli("compare", str(jobs / "sweep"), "--out", str(jobs / "merged"))
    assert result.code == 0, result.stderr
    merged = json.loads((jobs / "merged" / "metrics.json").read_text())
    job = json.loads((jobs / "sweep" / "model" / "metrics.json").read_text())
    assert merged["metric_definitions"]["expected_cost"] == job["metric_definitions"]["expected_cost"]
    assert job["metric_definitions"]["expected_cost"]  # the costs themselves, which the gate compares
    note = next(n for n in merged["notes"] if n.startswith("slice tables"))
    assert str(jobs / "sweep" / "model") in note and str(jobs / "sweep" / "other") in note
    assert "slice tables are computed per job" in (jobs / "merged" / "report.md").read_text()


def test_jobs_that_define_a_metric_differently_are_not_merged(jobs):
    records = [(jobs / "sweep" / name, json.loads((jobs / "sweep" / name / "metrics.json").read_text()))
               for name in ("model", "other")]
    records[1][1]["metric_definitions"]["expected_cost"] = {"false_positive": 1, "false_negative": 50}
    with pytest.raises(DataError, match="metric 'expected_cost' is defined differently"):
        merge_records(records)
