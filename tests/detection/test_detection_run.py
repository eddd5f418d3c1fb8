"""``task: detection`` through the real CLI: every number equals pycocotools, for every kind of entry."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from coco_experiments import (
    HUMAN_IMAGES,
    annotator_file,
    as_results,
    centre_box_results,
    detection_experiment,
    restricted_truth,
    worse_copy,
)
from coco_synth import TOL

from evalkit.detection import STAT_NAMES
from evalkit.detection.reference import reference_stats
from tests.conftest import figures_drawn, run_cli


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, list[dict], Path]:
    root, gt, dets = detection_experiment(tmp_path_factory.mktemp("det"), resamples=200)
    out = root / "run"
    # The detection figures, for test_detection_draws_pr_curves_and_per_class_ap_but_no_roc_or_confusion
    with figures_drawn("pr_curves", "per_class_ap"):
        result = run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={out}")
    assert result.code == 0, result.stderr
    return json.loads((out / "metrics.json").read_text()), gt, dets, out


def entry(record: dict, name: str) -> dict:
    return next(e for e in record["entries"] if e["name"] == name)


def assert_equals_reference(row: dict, reference: dict[str, float]) -> None:
    for stat in STAT_NAMES:
        expected = None if reference[stat] < 0 else reference[stat]
        got = row["metrics"][stat]
        assert (got is None) == (expected is None), (row["name"], stat, got, expected)
        if expected is not None:
            assert abs(got - expected) <= TOL, (row["name"], stat, got, expected)
    for name, ap in row["per_class"].items():
        expected = reference[f"AP/{name}"]
        assert (ap is None) == (expected < 0), (name, ap, expected)
        assert ap is None or abs(ap - expected) <= TOL, (name, ap, expected)


def test_candidates_get_all_12_coco_numbers_and_per_category_ap_of_pycocotools(run):
    record, gt, dets, _ = run
    assert_equals_reference(entry(record, "strong"), reference_stats(gt, dets))
    assert_equals_reference(entry(record, "weak"), reference_stats(gt, worse_copy(dets)))
    assert entry(record, "strong")["metrics"]["latency_ms"] == 40.0  # declared cost metrics ride along


def test_a_category_without_ground_truth_has_null_ap_and_is_listed(run):
    record, *_ = run
    assert entry(record, "strong")["per_class"]["empty"] is None
    assert entry(record, "strong")["per_class"]["ghost"] is None  # detections but no ground truth
    assert set(record["data"]["labels_without_positives"]) == {"ghost", "empty"}


def test_the_rule_gets_images_and_categories_and_is_scored_like_a_detector(run):
    record, gt, *_ = run
    assert entry(record, "centre")["kind"] == "rule"
    assert_equals_reference(entry(record, "centre"), reference_stats(gt, centre_box_results(gt)))


def test_a_second_annotator_on_some_images_is_scored_on_those_images_only(run):
    record, gt, *_ = run
    human = entry(record, "second/annotator")
    assert human["kind"] == "human" and human["role"] == "baseline"
    assert human["coverage"] == {"items": HUMAN_IMAGES, "of": len(gt["images"]),
                                 "share": HUMAN_IMAGES / len(gt["images"])}
    annotations = annotator_file(gt)
    covered = {im["id"] for im in annotations["images"]}
    assert_equals_reference(human, reference_stats(restricted_truth(gt, covered), as_results(annotations)))


def test_candidates_are_also_scored_on_the_annotators_images_for_a_fair_comparison(run):
    record, gt, dets, _ = run
    paired = entry(record, "second/annotator")["paired"]
    covered = {im["id"] for im in annotator_file(gt)["images"]}
    expected = reference_stats(restricted_truth(gt, covered), [d for d in dets if d["image_id"] in covered])
    assert paired["items"] == HUMAN_IMAGES
    assert abs(paired["candidates"]["strong"]["score"] - expected["mAP"]) <= TOL
    assert paired["candidates"]["strong"]["full_set_score"] == entry(record, "strong")["score"]
    report = (run[3] / "report.md").read_text()
    assert "Candidates and humans on the same images" in report


def test_items_are_images_and_the_fingerprint_covers_the_annotations(run):
    record, gt, *_ = run
    data = record["data"]
    assert data["n_items"] == len(gt["images"])
    assert data["n_objects"] == sum(1 for a in gt["annotations"] if not a["iscrowd"])
    assert data["iou_type"] == "bbox" and len(data["fingerprint"]) == 64


def test_intervals_come_from_resampled_images_and_external_numbers_have_none(run):
    record, *_ = run
    strong = entry(record, "strong")
    low, high = strong["ci"]["mAP"]
    assert low <= strong["metrics"]["mAP"] <= high and low < high
    assert strong["ci"]["score"] == strong["ci"]["mAP"]
    assert not entry(record, "published").get("ci")
    assert record["bootstrap"]["resamples"] == 200


def test_the_best_candidate_is_compared_with_every_entry_that_has_detections(run):
    record, gt, *_ = run
    rows = {r["b"]: r for r in record["comparisons"] if r["metric"] == "score"}
    assert set(rows) == {"weak", "centre", "second/annotator"}
    assert rows["weak"]["items"] == len(gt["images"])
    assert rows["second/annotator"]["items"] == HUMAN_IMAGES  # paired on the annotator's images
    assert rows["centre"]["verdict"] == "better"
    # map's score *is* mAP: one test per pair, not two (Holm would count it twice)
    assert not any(r["metric"] == "mAP" for r in record["comparisons"])


def test_curves_hold_coco_pr_curves_whose_area_is_ap50_and_ap75(run):
    record, _, _, out = run
    curves = json.loads((out / "curves.json").read_text())
    assert curves["task"] == "detection" and curves["curve_classes"] == ["IoU=0.50", "IoU=0.75"]
    strong = curves["entries"]["strong"]["curves"]
    for panel, stat in (("IoU=0.50", "AP50"), ("IoU=0.75", "AP75")):
        pr = strong[panel]["pr"]
        assert len(pr["recall"]) == len(pr["precision"]) == 101
        assert np.mean(pr["precision"]) == pytest.approx(entry(record, "strong")["metrics"][stat], abs=1e-5)
    assert "published" not in curves["entries"]


@pytest.mark.figures
def test_detection_draws_pr_curves_and_per_class_ap_but_no_roc_or_confusion(run):
    *_, out = run
    names = {p.stem for p in (out / "plots").iterdir()}
    assert names == {"pr_curves", "per_class_ap"}  # the detection figures (the common ones not drawn here)
    report = (out / "report.md").read_text()
    # every figure that applies is listed, drawn or not; ROC curves and confusion matrices do not apply
    assert "leaderboard: figures not drawn in this test" in report and "metrics: figures not drawn" in report
    assert "roc_curves" not in report and "confusion" not in report
    assert "## Per-category AP" in report and "| category | objects |" in report
    assert "evaluated images" in report
