"""Slices through the real CLI: a small experiment with a metadata file, its metrics.json, report and
figure, the gate on a run with slices, and the bad input refused before any model is scored."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import one_error_line, run_cli
from tests.experiments import scores_frame, truth_frame, write_experiment

N = 120
SLICES = {
    "min_items": 15,
    "declared": [{"column": "site"}, {"column": "x2", "bins": [-10, 0, 10]},
                 {"columns": ["site", "scanner"]}],
    "search": {"columns": ["site", "scanner", "x1"], "top": 3},
}


def experiment(root: Path, slices: dict | list, metadata: pd.DataFrame | None = None) -> Path:
    truth = truth_frame(N)
    # A user's value that would break a Markdown table if written raw.
    truth["site"] = np.array(["north|east", "south", "west"])[np.arange(N) % 3]
    rng = np.random.default_rng(4)
    noisy = truth[["id"]].assign(score=np.clip(0.3 * truth["label"] + 0.7 * rng.random(N), 0, 1))
    files: dict = {"truth.csv": truth, "preds/model.csv": noisy,
                   "preds/other.csv": scores_frame(truth, seed=2)}
    if metadata is None:
        scanner = np.array(["A", "B"])[(np.arange(N + 5) // 2) % 2]
        metadata = pd.DataFrame({"id": np.arange(N + 5), "scanner": scanner})
    files["meta.csv"] = metadata
    config = {"task": "binary", "data": {"path": "truth.csv", "metadata_path": "meta.csv"},
              "candidates": {"model": {"predictions": "preds/model.csv"},
                             "other": {"predictions": "preds/other.csv"}},
              "strategy": {"name": "average", "metrics": ["accuracy", "roc_auc"]},
              "bootstrap": {"resamples": 100}, "slices": slices,
              "gate": {"slices": {"min_items": 15, "max_regression": 0.0, "must_beat": ["other"],
                                  "significance": True}}}
    return write_experiment(root, config, files)


def run(root: Path, out: Path):
    return run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={out}")


@pytest.fixture(scope="module")
def sliced_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = experiment(tmp_path_factory.mktemp("slices"), SLICES)
    result = run(root, root / "out")
    assert result.code == 0, result.stderr
    return root / "out"


def test_metrics_json_holds_every_declared_slice_and_the_search(sliced_run):
    record = json.loads((sliced_run / "metrics.json").read_text())
    block = record["slices"]
    assert [d["slicing"] for d in block["declared"]] == ["site", "x2", "site × scanner"]
    site = block["declared"][0]["slices"]
    assert [s["name"] for s in site] == ["site = north|east", "site = south", "site = west"]
    assert all(s["n_items"] == 40 and s["tested"] for s in site)
    assert {s["entries"]["model"]["metrics"]["accuracy"] is not None for s in site} == {True}
    assert block["best"] == record["best"] and block["metrics"] == ["score", "accuracy", "roc_auc"]
    assert block["search"]["searched"] > 0 and block["search"]["adjustment"] == "Benjamini-Hochberg"
    assert len(block["search"]["top"]) == 3
    assert any("5 row(s) for ids not in the truth were ignored" in n for n in block["notes"])
    # the whole run's keys are what they were: a reference without slices still gates it
    assert {"entries", "best", "comparisons", "verdict"} <= set(record)


def test_the_report_has_a_slice_table_per_metric_worst_first_with_user_text_escaped(sliced_run):
    report = (sliced_run / "report.md").read_text()
    assert "## Slices" in report and "### Weakest slices (found automatically)" in report
    for metric in ("score", "accuracy", "roc_auc"):
        assert f"### site: {metric} (higher is better)" in report
    assert "site = north\\|east" in report and "site = north|east" not in report
    record = json.loads((sliced_run / "metrics.json").read_text())
    best = record["best"]
    section = report.split("### site: accuracy")[1].split("###")[0]
    shown = [line.split(" | ")[0].lstrip("| ").replace("\\|", "|") for line in section.splitlines()
             if line.startswith("| site")]
    site = record["slices"]["declared"][0]["slices"]
    by_name = {s["name"]: s["entries"][best]["metrics"]["accuracy"] for s in site}
    assert shown == sorted(by_name, key=lambda n: (by_name[n], n))  # worst first
    assert "<h3>site: accuracy (higher is better)</h3>" in (sliced_run / "report.html").read_text()


def test_the_gate_checks_every_slice_of_a_run_against_its_reference(sliced_run, tmp_path):
    reference = tmp_path / "reference.json"
    assert run_cli("gate", str(sliced_run), "--reference", str(reference), "--update").code == 0
    stored = json.loads(reference.read_text())
    assert stored["slices"]["site: site = south"]["n_items"] == 40
    result = run_cli("gate", str(sliced_run), "--reference", str(reference),
                     "--json", str(tmp_path / "g.json"))
    assert result.code == 0, result.stdout + result.stderr
    checks = {c["name"]: c["status"] for c in json.loads((tmp_path / "g.json").read_text())["checks"]}
    assert checks["slice site: site = south: max_regression"] == "pass"
    assert "slice x2: x2 in [0, 10]: beats other" in checks
    # a slice that vanished from the run fails closed
    stored["slices"]["site: site = east"] = {"n_items": 40, "scores": {"model": 0.5}}
    reference.write_text(json.dumps(stored))
    result = run_cli("gate", str(sliced_run), "--reference", str(reference))
    assert result.code == 1 and "site = east" in result.stdout


@pytest.mark.figures
def test_the_slices_figure_shows_each_slicing_and_the_weakest_slices(sliced_run):
    from evalkit.plots.slices import slices_figure

    record = json.loads((sliced_run / "metrics.json").read_text())
    figure = slices_figure(record)
    gids = {line.get_gid() for ax in figure.axes for line in ax.lines}
    best = record["best"]
    assert "slice:site:site = south:best" in gids and "slice:x2:x2 in [0, 10]:best" in gids
    assert {f"weak:{t['name']}" for t in record["slices"]["search"]["top"]} <= gids
    assert figure.axes[-1].get_title(loc="left").startswith("Weakest slices (")
    assert best in {t.get_text().split(": ")[-1] for t in figure.legends[0].get_texts()}


@pytest.mark.parametrize(("slices", "metadata", "message"), [
    ([{"column": "sex"}], None, "column(s) ['sex'] not found; the columns are: x1, x2, site, scanner"),
    ([{"column": "scanner"}], pd.DataFrame({"id": np.arange(100), "scanner": "A"}),
     "meta.csv: 20 of 120 truth ids have no row (e.g. ['100', '101', '102', '103', '104'])"),
])
def test_bad_slice_input_is_one_error_line_naming_the_fix(tmp_path, slices, metadata, message):
    root = experiment(tmp_path, slices, metadata)
    assert message in one_error_line(run(root, tmp_path / "out"))
