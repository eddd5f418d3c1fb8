"""Properties of the fast evaluator over many random datasets (hypothesis)."""

from __future__ import annotations

import numpy as np
from coco_synth import make_dataset
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.detection import STAT_NAMES, prepare, summarize, summarize_many


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), shuffle=st.integers(0, 10_000))
def test_result_order_does_not_matter_with_distinct_scores(seed: int, shuffle: int) -> None:
    gt, dets = make_dataset(seed, n_images=10, score_decimals=None, big_image=False)
    perm = np.random.default_rng(shuffle).permutation(len(dets))
    a = summarize(prepare(gt, dets))
    b = summarize(prepare(gt, [dets[i] for i in perm]))
    assert a == b


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), decimals=st.sampled_from([0, 1, 2, None]))
def test_stats_are_probabilities_or_undefined(seed: int, decimals: int | None) -> None:
    gt, dets = make_dataset(seed, n_images=8, score_decimals=decimals, big_image=False)
    prepared = prepare(gt, dets)
    rng = np.random.default_rng(seed)
    weights = rng.integers(0, 3, size=(4, prepared.n_images))
    values = summarize_many(prepared, weights, per_class=True)
    assert values.shape == (4, len(STAT_NAMES) + 5)
    assert (((values >= 0) & (values <= 1)) | (values == -1)).all()
