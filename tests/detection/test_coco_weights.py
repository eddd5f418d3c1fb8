"""Image weights (bootstrap resamples) equal pycocotools on the dataset with images repeated."""

from __future__ import annotations

import numpy as np
import pytest
from coco_synth import TOL, duplicate_images, make_dataset

from evalkit.detection import STAT_NAMES, prepare, summarize, summarize_many
from evalkit.detection.reference import reference_stats


@pytest.mark.parametrize(("seed", "decimals"), [(0, 2), (1, 1), (2, None)])
def test_weights_equal_repeated_images(seed: int, decimals: int | None) -> None:
    gt, dets = make_dataset(seed, score_decimals=decimals)
    prepared = prepare(gt, dets)
    rng = np.random.default_rng(100 + seed)
    for _ in range(2):
        w = rng.multinomial(prepared.n_images, np.full(prepared.n_images, 1 / prepared.n_images))
        w[1] = 3  # the image with >100 detections, repeated, and with tied scores
        ref = reference_stats(*duplicate_images(gt, dets, w))
        ours = summarize(prepared, w)
        for name in STAT_NAMES:
            assert abs(getattr(ours, name) - ref[name]) <= TOL, (name, getattr(ours, name), ref[name])
        for name, ap in ours.per_class.items():
            assert abs(ap - ref[f"AP/{name}"]) <= TOL, name


def test_tied_detections_interleave_across_copies() -> None:
    # One image, two detections with the same score: a TP and an FP. Two copies list them TP FP TP FP,
    # which a plain "count each detection twice" would get wrong (TP TP FP FP).
    gt = {"images": [{"id": 1}, {"id": 2}], "categories": [{"id": 1, "name": "a"}],
          "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "area": 400,
                           "iscrowd": 0},
                          {"id": 2, "image_id": 2, "category_id": 1, "bbox": [0, 0, 20, 20], "area": 400,
                           "iscrowd": 0}]}
    dets = [{"image_id": 1, "category_id": 1, "bbox": [50, 50, 20, 20], "score": 0.5},
            {"image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20], "score": 0.5}]
    prepared = prepare(gt, dets)
    for w in ([2, 1], [3, 0], [1, 2]):
        ref = reference_stats(*duplicate_images(gt, dets, np.array(w)))
        ours = summarize(prepared, np.array(w))
        assert [getattr(ours, n) for n in STAT_NAMES] == [ref[n] for n in STAT_NAMES]


def test_summarize_many_rows_equal_summarize() -> None:
    gt, dets = make_dataset(4)
    prepared = prepare(gt, dets)
    rng = np.random.default_rng(7)
    weights = rng.multinomial(prepared.n_images, np.full(prepared.n_images, 1 / prepared.n_images), size=9)
    weights[0] = 1
    weights[1] = 0
    many = summarize_many(prepared, weights, per_class=True)
    assert many.shape == (9, len(STAT_NAMES) + 5)
    for row, w in zip(many, weights, strict=True):
        one = summarize(prepared, w)
        np.testing.assert_array_equal(row, [*one.as_dict().values(), *one.per_class.values()])
    np.testing.assert_array_equal(many[0, :12], list(summarize(prepared).as_dict().values()))
    assert (many[1] == -1).all()  # no image drawn: every stat undefined


def test_bad_weights_are_rejected() -> None:
    gt, dets = make_dataset(0, n_images=6)
    prepared = prepare(gt, dets)
    with pytest.raises(ValueError, match="shape"):
        summarize(prepared, np.ones(prepared.n_images + 1))
    with pytest.raises(ValueError, match=">= 0"):
        summarize(prepared, -np.ones(prepared.n_images))
    with pytest.raises(ValueError, match="whole"):
        summarize(prepared, np.full(prepared.n_images, 0.5))
