"""Image-level bootstrap and image subsets: re-weighting or restricting a matching is COCOeval on them."""

from __future__ import annotations

import numpy as np
from coco_experiments import worse_copy
from coco_synth import TOL, duplicate_images, make_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.detection import STAT_NAMES, prepare, summarize
from evalkit.detection.reference import reference_stats
from evalkit.detection.tables import detection_table, ground_truth_table
from evalkit.detection_data import DetectionTruth, restricted
from evalkit.uncertainty import Resampler
from evalkit.uncertainty.detection import detection_bootstrap

GT, DETS = make_dataset(4)


def test_every_entry_is_scored_on_the_same_resampled_images():
    strong, weak = prepare(GT, DETS), prepare(GT, worse_copy(DETS))
    resampler = Resampler(strong.n_images, 40, seed=3)
    values = detection_bootstrap({"strong": (strong, None), "weak": (weak, None)}, resampler)
    for r in (0, 17, 39):
        weights = resampler.weights(r)
        for name, prepared in (("strong", strong), ("weak", weak)):
            expected = summarize(prepared, weights).as_dict()
            for stat in STAT_NAMES:
                got = values[name][stat][r]
                assert (np.isnan(got) and expected[stat] < 0) or got == expected[stat], (name, r, stat)


def test_a_resample_is_cocoeval_on_the_images_drawn_that_many_times():
    prepared = prepare(GT, DETS)
    resampler = Resampler(prepared.n_images, 5, seed=0)
    values = detection_bootstrap({"m": (prepared, None)}, resampler)["m"]
    reference = reference_stats(*duplicate_images(GT, DETS, resampler.weights(2)))
    for stat in STAT_NAMES:
        assert abs(values[stat][2] - reference[stat]) <= TOL, stat


def test_a_number_undefined_in_a_resample_is_nan_not_minus_one():
    # Only image 1 holds a small object: resamples that miss it have no APs at all.
    images = [{"id": i, "width": 200, "height": 200} for i in (1, 2, 3)]
    boxes = {1: [10, 10, 8, 8], 2: [20, 20, 150, 150], 3: [5, 5, 120, 160]}
    gt = {"images": images, "categories": [{"id": 1, "name": "thing"}],
          "annotations": [{"id": i, "image_id": i, "category_id": 1, "bbox": b, "area": b[2] * b[3],
                           "iscrowd": 0} for i, b in boxes.items()]}
    dets = [{"image_id": i, "category_id": 1, "bbox": [b[0] + 1, b[1], b[2], b[3]], "score": 0.9}
            for i, b in boxes.items()]
    resampler = Resampler(3, 200, seed=1)
    aps = detection_bootstrap({"m": (prepare(gt, dets), None)}, resampler)["m"]["APs"]
    missing = np.array([resampler.weights(r)[0] == 0 for r in range(200)])
    assert missing.any() and np.isnan(aps[missing]).all() and not np.isnan(aps[~missing]).any()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.integers(0, 23), min_size=1, max_size=23))
def test_matching_restricted_to_some_images_equals_cocoeval_on_those_images(picked):
    positions = np.array(sorted(picked))
    table = ground_truth_table(GT)
    truth = DetectionTruth(table=table, images=GT["images"], categories=GT["categories"], iou_type="bbox")
    ours = summarize(restricted(truth, detection_table(DETS, table, GT["images"]), positions))
    ids = {table.image_ids[p] for p in positions}
    sub_gt = {**GT, "images": [im for im in GT["images"] if im["id"] in ids],
              "annotations": [a for a in GT["annotations"] if a["image_id"] in ids]}
    sub_dets = [d for d in DETS if d["image_id"] in ids]
    if not sub_dets:  # pycocotools cannot load an empty results list; nothing detected: every AP is 0 or -1
        assert all(v <= 0 for v in ours.as_dict().values())
        return
    reference = reference_stats(sub_gt, sub_dets)
    for stat in STAT_NAMES:
        assert abs(ours.as_dict()[stat] - reference[stat]) <= TOL, stat
