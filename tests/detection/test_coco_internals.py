"""The two numeric shortcuts the fast evaluator relies on give exactly pycocotools' doubles."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools import mask as mask_utils

from evalkit.detection.accumulate import _thresholds_reached
from evalkit.detection.iou import box_iou_pairs
from evalkit.detection.params import RECALL_THRESHOLDS


def test_box_iou_is_bit_identical_to_pycocotools() -> None:
    rng = np.random.default_rng(0)
    dt = np.round(np.c_[rng.uniform(0, 50, (60, 2)), rng.uniform(0.5, 40, (60, 2))], 2)
    gt = np.round(np.c_[rng.uniform(0, 50, (25, 2)), rng.uniform(0.5, 40, (25, 2))], 2)
    gt[3] = dt[5]  # an exact duplicate: IoU 1
    crowd = rng.random(25) < 0.3
    ref = mask_utils.iou(dt.tolist(), gt.tolist(), crowd.astype(np.uint8).tolist())
    d, g = np.meshgrid(np.arange(60), np.arange(25), indexing="ij")
    ours = box_iou_pairs(dt[d.ravel()], gt[g.ravel()], crowd[g.ravel()]).reshape(60, 25)
    np.testing.assert_array_equal(ours, ref)


@settings(max_examples=200, deadline=None)
@given(n_gt=st.integers(1, 5000), frac=st.floats(0, 1))
def test_recall_bucket_equals_searchsorted(n_gt: int, frac: float) -> None:
    tp = np.array([np.floor(frac * n_gt), np.ceil(frac * n_gt), n_gt, 0.0])
    rc = tp / n_gt
    expected = np.searchsorted(RECALL_THRESHOLDS, rc, side="right")
    np.testing.assert_array_equal(_thresholds_reached(rc), expected)


def test_recall_bucket_on_every_exact_multiple() -> None:
    rc = np.array([k / n for n in (100, 300, 700, 1000) for k in range(n + 1)])
    expected = np.searchsorted(RECALL_THRESHOLDS, rc, side="right")
    np.testing.assert_array_equal(_thresholds_reached(rc), expected)
