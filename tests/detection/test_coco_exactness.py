"""evalkit.detection.fast equals pycocotools' COCOeval on every stat and per-class AP (to 1e-12)."""

from __future__ import annotations

import numpy as np
import pytest
from coco_synth import TOL, make_dataset

from evalkit.detection import STAT_NAMES, prepare, summarize
from evalkit.detection.reference import reference_stats


def assert_matches_reference(gt: dict, dets: list[dict], iou_type: str = "bbox") -> None:
    ref = reference_stats(gt, dets, iou_type)
    ours = summarize(prepare(gt, dets, iou_type))
    for name in STAT_NAMES:
        assert abs(getattr(ours, name) - ref[name]) <= TOL, (name, getattr(ours, name), ref[name])
    for name, ap in ours.per_class.items():
        assert abs(ap - ref[f"AP/{name}"]) <= TOL, (name, ap, ref[f"AP/{name}"])


@pytest.mark.parametrize("seed", range(6))
def test_bbox_matches_pycocotools(seed: int) -> None:
    gt, dets = make_dataset(seed)
    assert any(a["iscrowd"] for a in gt["annotations"])
    assert any(a["area"] == 32.0**2 for a in gt["annotations"])
    assert max(np.unique([d["image_id"] for d in dets], return_counts=True)[1]) > 100
    assert_matches_reference(gt, dets)


@pytest.mark.parametrize("seed", range(3))
def test_segm_matches_pycocotools(seed: int) -> None:
    gt, dets = make_dataset(seed, n_images=12, segm=True)
    assert_matches_reference(gt, dets, "segm")


def test_segm_with_boxes_in_results_uses_box_area() -> None:
    # loadRes takes a result's area from its box whenever the first result has one.
    gt, dets = make_dataset(5, n_images=10, segm=True)
    dets = [{**d, "bbox": [1.0, 1.0, 10.0, 10.0 + i % 300]} for i, d in enumerate(dets)]
    assert_matches_reference(gt, dets, "segm")


def test_score_ties_resolve_by_image_then_file_order() -> None:
    gt, dets = make_dataset(11, score_decimals=1)
    assert_matches_reference(gt, dets)


def test_crowd_only_and_empty_categories() -> None:
    gt, dets = make_dataset(3, crowd_rate=1.0)
    ours = summarize(prepare(gt, dets))
    assert ours.mAP == -1.0 and ours.AR100 == -1.0  # nothing counted anywhere
    assert_matches_reference(gt, dets)


def test_equal_iou_goes_to_the_later_ground_truth() -> None:
    # Two identical gts, one detection per threshold pass: COCOeval keeps the last equal-IoU gt, and
    # the second detection must take the other one.
    gt = {"images": [{"id": 1}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": i, "image_id": 1, "category_id": 1, "bbox": [10, 10, 50, 50], "area": 2500,
                           "iscrowd": 0} for i in (1, 2)]}
    dets = [{"image_id": 1, "category_id": 1, "bbox": [12, 10, 50, 50], "score": s} for s in (0.9, 0.8)]
    assert_matches_reference(gt, dets)
    assert summarize(prepare(gt, dets)).AP50 == 1.0


def test_no_overlap_and_small_dataset_edge_cases() -> None:
    gt = {"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "area": 100,
                           "iscrowd": 0}]}
    dets = [{"image_id": 2, "category_id": 2, "bbox": [0, 0, 10, 10], "score": 0.5}]
    assert_matches_reference(gt, dets)
    assert summarize(prepare(gt, dets)).mAP == 0.0
