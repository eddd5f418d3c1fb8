"""Label review end to end: `evalkit run` with label_review enabled writes label_review.csv, the metrics.json
block, the report's section and the terminal line; a run with no evidence says what is missing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import run_cli
from tests.experiments import write_experiment

N = 60
PLANTED = {"i5": "0", "=cmd": "1", "i|33": "0"}  # id -> the TRUE label; gold says the other one


def files() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(3)
    ids = [f"i{k}" for k in range(N)]
    ids[17] = "=cmd"  # a spreadsheet formula as an id: the CSV must not run it
    ids[33] = "i|33"  # a table's cell separator: the report must escape it
    truth = np.array([0, 1] * (N // 2))
    truth[[5, 17, 33]] = [int(PLANTED[ids[k]]) for k in (5, 17, 33)]
    gold = truth.copy()
    gold[[5, 17, 33]] = 1 - truth[[5, 17, 33]]
    x1 = rng.normal(size=N)
    x1[2] = x1[1]  # items 1 and 2: identical feature rows
    x2 = rng.normal(size=N)
    x2[2] = x2[1]
    table = pd.DataFrame({"id": ids, "label": gold, "x1": x1, "x2": x2})
    train = pd.DataFrame({"id": ["t0", "t1"], "label": [0, 1], "x1": [x1[40], 9.0], "x2": [x2[40], 9.0]})
    sure = np.clip(np.where(truth == 1, 0.93, 0.07) + rng.normal(0, 0.03, N), 0, 1)
    sure[50] = 1 - sure[50]  # the model is confidently wrong on i50, where gold and the panel are right
    panel = pd.DataFrame([(i, a, int(t)) for i, t in zip(ids, truth, strict=True)
                          for a in ("ann", "bo", "cy")], columns=["id", "annotator", "label"])
    return {"truth.csv": table, "train.csv": train,
            "preds/model.csv": pd.DataFrame({"id": ids, "score": sure}),
            "preds/labels.csv": pd.DataFrame({"id": ids, "label": gold}), "panel.csv": panel}


def config(*, evidence: bool = True) -> dict:
    candidates = {"labels_only": {"predictions": "preds/labels.csv"}}
    baselines = {"said": {"kind": "external", "metrics": {"accuracy": 0.8}}}
    if evidence:
        candidates["model"] = {"predictions": "preds/model.csv"}
        baselines["panel"] = {"kind": "human", "path": "panel.csv", "min_items": 5}
    return {"task": "binary", "data": {"path": "truth.csv", "train_path": "train.csv"},
            "candidates": candidates, "baselines": baselines,
            "strategy": {"name": "average", "metrics": ["accuracy"]},
            "bootstrap": {"resamples": 100}, "label_review": {"enabled": True, "top": 2}}


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = write_experiment(tmp_path_factory.mktemp("review"), config(), files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root}/out")
    assert result.code == 0, result.stderr
    return root / "out", result.stdout


def test_the_review_list_holds_the_planted_errors_with_the_true_label_suggested(reviewed):
    out, _ = reviewed
    with (out / "label_review.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["id"].removeprefix("'") for r in rows} == set(PLANTED)
    for row in rows:
        assert row["suggested"] == PLANTED[row["id"].removeprefix("'")] != row["gold"]
        assert row["votes"] == f"{row['suggested']}: 3" and row["votes_for_gold"] == "0"
        assert row["candidates_for_suggested"] == "1 of 1" and row["flagged"] == "yes"
    assert [r["rank"] for r in rows] == ["1", "2", "3"]
    assert "'=cmd" in {r["id"] for r in rows}  # escaped for spreadsheets


def test_metrics_json_says_which_entries_and_panels_gave_evidence(reviewed):
    review = json.loads((reviewed[0] / "metrics.json").read_text())["label_review"]
    assert review["flagged"] == 3 and len(review["top"]) == 2
    assert [c["name"] for c in review["contributors"]] == ["model"]
    assert review["not_used"] == [{"name": "labels_only", "why": "gives labels only, no scores"}]
    assert review["panels"] == [{"name": "panel", "annotators": 3, "votes": 3 * N, "items": N}]
    # items 1 and 2 share their features but not their gold label (the labels alternate)
    assert review["duplicates"] == {"groups": 1, "items": 2, "conflicting_gold": 1,
                                    "compared": "identical feature rows", "gold_words": "gold labels",
                                    "examples": [["i1", "i2"]]}
    assert review["leakage"] == {"items": 1, "examples": ["i40"]}
    cleared = {"id": "i50", "gold": "0", "candidates_suggested": "1", "votes": {"0": 3}}
    assert review["cleared"] == {"items": 1, "examples": [cleared]}
    # labels_only follows gold, so it is the best on gold and scores 57/57 without the flagged items
    assert review["sensitivity"]["removed"]["best"] == "labels_only"
    assert review["sensitivity"]["relabelled"]["best"] == "model"


def test_the_report_lists_the_top_items_the_sensitivity_line_and_duplicates(reviewed):
    out, stdout = reviewed
    report = (out / "report.md").read_text()
    section = report.split("## Suspect labels", 1)[1]
    assert "3 of 60 evaluated items flagged as probably mislabelled; the 2 most suspect below" in section
    assert "The verdict does NOT survive the 3 flagged item(s)" in section
    assert "best labels_only → model" in section
    assert "Not counted: labels_only (gives labels only, no scores)" in section
    assert ("Cleared by the panels: 1 item(s) the candidates alone would flag, where the votes side with "
            "gold: i50 (gold 0, candidates 1, votes 0: 3)") in section
    assert ("2 evaluated item(s) in 1 group(s) of identical feature rows, 1 group(s) with different gold "
            "labels (e.g. i1, i2)") in section
    assert "1 evaluated item(s) also in the train split (identical feature rows), e.g. i40" in section
    lines = section.splitlines()
    header = next(i for i, line in enumerate(lines) if "P(gold wrong)" in line)
    first, second, after = lines[header + 2:header + 5]
    assert first.startswith("| 1 | i\\|33 | 1 | 0 |") and first.endswith("| 1 of 1 | 0: 3 |")
    assert second.startswith("| 2 | i5 |") and after == ""  # the top 2 only
    assert "Label review: 3 of 60 items flagged as suspect labels (label_review.csv). The verdict does NOT " \
           "survive the 3 flagged item(s)" in stdout


def test_a_run_with_no_scores_and_no_panel_says_what_evidence_is_missing(tmp_path):
    root = write_experiment(tmp_path, config(evidence=False), files())
    result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root}/out",
                     "bootstrap.resamples=0")
    assert result.code == 0, result.stderr
    report = (root / "out" / "report.md").read_text()
    assert "No review: no evidence about the gold labels: no entry gives out-of-sample scores" in report
    assert "labels_only: gives labels only, no scores" in report
    assert (root / "out" / "label_review.csv").read_text().startswith("rank,id,gold,suggested")
    assert "Label review: no evidence about the gold labels" in result.stdout


def test_plot_redraws_the_section_from_metrics_json_alone(reviewed, tmp_path):
    out, _ = reviewed
    copy = out.parent / "copy"  # beside the run, so paths shown relative to it read the same
    copy.mkdir()
    for name in ("metrics.json", "curves.json"):
        (copy / name).write_bytes((out / name).read_bytes())
    result = run_cli("plot", str(copy))
    assert result.code == 0, result.stderr
    assert (copy / "report.md").read_text() == (out / "report.md").read_text()
