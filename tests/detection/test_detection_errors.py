"""Bad detection input: one ``evalkit: error:`` line naming file, field and fix; exit 2; no results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from coco_experiments import detection_experiment, write_json
from coco_synth import TOL

from evalkit.detection.reference import reference_stats
from tests.conftest import run_cli


@pytest.fixture
def experiment(tmp_path: Path) -> tuple[Path, dict, list[dict]]:
    return detection_experiment(tmp_path)


def run(root: Path, *overrides: str):
    # From the experiment's folder: paths given as overrides resolve against the current directory.
    return run_cli("run", "--config-dir", str(root), "--config-name", "exp", f"hydra.run.dir={root / 'run'}",
                   *overrides, cwd=root)


def assert_refused(result, root: Path, *fragments: str) -> None:
    assert result.code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("evalkit: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert not (root / "run" / "metrics.json").exists()


def broken_results(root: Path, dets: list[dict], change) -> str:
    bad = [dict(d, bbox=list(d["bbox"])) for d in dets]
    change(bad)
    write_json(root / "results" / "bad.json", bad)
    return "candidates.strong.predictions=results/bad.json"


@pytest.mark.parametrize(("change", "fragments"), [
    (lambda d: d[3].update(image_id=99999), ("bad.json", "image_id", "99999", "fix:")),
    (lambda d: d[3].update(category_id=999), ("bad.json", "category_id", "999", "fix:")),
    (lambda d: d[3]["bbox"].__setitem__(2, 0.0), ("bad.json", "results[3].bbox", "width, height > 0")),
    (lambda d: d[5]["bbox"].__setitem__(3, -4.0), ("bad.json", "results[5].bbox", "width, height > 0")),
    (lambda d: d[7].update(score=float("nan")), ("bad.json", "NaN", "results[7]", "finite number")),
    (lambda d: d[2].pop("score"), ("bad.json", "results[2]", "'score'")),
    (lambda d: d[4].update(image_id=str(d[4]["image_id"])),
     ("bad.json", "str here but int", "same JSON type")),
    (lambda d: d.clear(), ("bad.json", "no detections")),
])
def test_bad_results_files_are_refused_with_the_record_and_field(experiment, change, fragments):
    root, _, dets = experiment
    assert_refused(run(root, broken_results(root, dets, change)), root, *fragments)


@pytest.mark.parametrize(("content", "fragments"), [
    ("", ("bad.json", "the file is empty")),
    ('[{"image_id": 1,', ("bad.json", "malformed JSON")),
    ('{"images": [], "annotations": []}', ("bad.json", "annotation file", "results file")),
    ('"just text"', ("bad.json", "top level is str")),
])
def test_empty_malformed_or_wrong_kind_of_file_is_refused(experiment, content, fragments):
    root, *_ = experiment
    (root / "results" / "bad.json").write_text(content)
    assert_refused(run(root, "candidates.strong.predictions=results/bad.json"), root, *fragments)


def test_a_missing_results_file_is_refused(experiment):
    root, *_ = experiment
    assert_refused(run(root, "candidates.strong.predictions=results/nowhere.json"), root, "nowhere.json",
                   "cannot read")


def test_a_malformed_truth_is_refused_before_any_candidate_is_read(experiment):
    root, gt, _ = experiment
    del gt["annotations"][0]["bbox"]
    write_json(root / "truth.json", gt)
    assert_refused(run(root), root, "truth.json", "annotations[0]", "'bbox'")


def test_an_annotator_file_on_images_the_truth_lacks_is_refused(experiment):
    root, *_ = experiment
    annotator = json.loads((root / "human" / "second.json").read_text())
    annotator["images"].append({"id": 123456, "width": 10, "height": 10})
    write_json(root / "human" / "second.json", annotator)
    assert_refused(run(root), root, "second.json", "123456", "not in the truth")


@pytest.mark.parametrize(("override", "fragments"), [
    ("+candidates.fitted.estimator._target_=sklearn.dummy.DummyClassifier",
     ("candidates.fitted", "COCO results files", "predictions")),
    ("+baselines.dummy.kind=simple_ml", ("baselines.dummy", "simple_ml does not apply", "kind: rule")),
    ("data.iou_type=keypoints", ("data.iou_type", "bbox, segm")),
    ("data.path=null", ("data.path", "COCO annotation")),
    ("strategy.metric=AP90", ("strategy.metric", "unknown metric 'AP90'", "AP50")),
])
def test_configs_that_cannot_apply_to_detection_are_refused_before_any_work(experiment, override, fragments):
    root, *_ = experiment
    assert_refused(run(root, override), root, *fragments)


def test_a_rule_returning_something_else_than_detections_is_refused(experiment):
    root, *_ = experiment
    (root / "rules.py").write_text("def centre_boxes(images, categories):\n    return 42\n")
    assert_refused(run(root), root, "rules.py:centre_boxes", "returned int", "COCO result")


def test_annotation_ids_of_zero_are_renumbered_with_a_warning_and_scored_as_pycocotools_would(experiment):
    root, gt, dets = experiment
    gt["annotations"][0]["id"] = 0
    gt["annotations"][1]["id"] = gt["annotations"][2]["id"]
    write_json(root / "truth.json", gt)
    result = run(root)
    assert result.code == 0, result.stderr
    assert "evalkit: warning:" in result.stderr and "renumbered" in result.stderr
    record = json.loads((root / "run" / "metrics.json").read_text())
    assert any("renumbered" in w for w in record["data"]["warnings"])
    assert "renumbered" in (root / "run" / "report.md").read_text()
    fixed = {**gt, "annotations": [{**a, "id": i} for i, a in enumerate(gt["annotations"], start=1)]}
    strong = next(e for e in record["entries"] if e["name"] == "strong")
    assert abs(strong["metrics"]["mAP"] - reference_stats(fixed, dets)["mAP"]) <= TOL


def test_the_experiment_file_may_state_iou_type_segm_for_mask_results(tmp_path):
    # Masks: results with segmentation polygons are matched by mask IoU (checked against pycocotools).
    from coco_synth import make_dataset

    gt, dets = make_dataset(3, n_images=8, segm=True)
    write_json(tmp_path / "truth.json", gt)
    write_json(tmp_path / "masks.json", dets)
    (tmp_path / "exp.yaml").write_text(yaml.safe_dump({
        "task": "detection", "data": {"path": "truth.json", "iou_type": "segm"},
        "candidates": {"masker": {"predictions": "masks.json"}}, "strategy": {"name": "map"},
        "bootstrap": {"resamples": 0}}))
    result = run(tmp_path)
    assert result.code == 0, result.stderr
    record = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert abs(record["entries"][0]["metrics"]["mAP"] - reference_stats(gt, dets, "segm")["mAP"]) <= TOL
