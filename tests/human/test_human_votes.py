"""Majority vote tie rules, the mean annotator's spread and interval, and row groups: pure functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.baselines.human import majority_vote, mean_with_spread, row_name, split_groups
from evalkit.errors import ConfigError, DataError

# Four items: item 0 is a clear 1, item 1 a 2-2 tie between 0 and 1, item 2 a three-way tie, item 3 a clear 2.
ITEMS = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3])
LABELS = np.array([1, 1, 0, 0, 0, 1, 1, 0, 1, 2, 2, 2])


def test_expected_splits_a_tie_evenly_among_the_tied_labels():
    votes, ties = majority_vote(ITEMS, LABELS, 3, "expected")
    rows = sorted(zip(votes.item_index.tolist(), votes.labels.tolist(), votes.weight.tolist(), strict=True))
    assert rows == [(0, 1, 1.0), (1, 0, 0.5), (1, 1, 0.5),
                    (2, 0, pytest.approx(1 / 3)), (2, 1, pytest.approx(1 / 3)), (2, 2, pytest.approx(1 / 3)),
                    (3, 2, 1.0)]
    assert ties == 2


def test_expected_accuracy_counts_a_tie_as_the_share_of_tied_labels_that_are_correct():
    truth = np.array([1, 1, 2, 2])  # item 1: one of two tied labels is right; item 2: one of three
    votes, _ = majority_vote(ITEMS, LABELS, 3, "expected")
    correct = (votes.labels == truth[votes.item_index]) * votes.weight
    assert correct.sum() / votes.weight.sum() == pytest.approx((1 + 1 / 2 + 1 / 3 + 1) / 4)


def test_random_picks_one_tied_label_per_item_reproducibly_and_averages_to_expected():
    truth = np.array([1, 1, 2, 2])
    first, ties = majority_vote(ITEMS, LABELS, 3, "random", seed=7)
    again, _ = majority_vote(ITEMS, LABELS, 3, "random", seed=7)
    assert ties == 2 and first.item_index.tolist() == [0, 1, 2, 3]
    assert first.labels.tolist() == again.labels.tolist()
    assert first.labels[1] in (0, 1) and first.labels[0] == 1 and first.labels[3] == 2
    accuracies = [np.mean(v.labels == truth) for v in (majority_vote(ITEMS, LABELS, 3, "random", seed=s)[0]
                                                       for s in range(400))]
    assert np.mean(accuracies) == pytest.approx((1 + 1 / 2 + 1 / 3 + 1) / 4, abs=0.02)


def test_exclude_drops_tied_items():
    votes, ties = majority_vote(ITEMS, LABELS, 3, "exclude")
    assert votes.item_index.tolist() == [0, 3]
    assert votes.labels.tolist() == [1, 2]
    assert ties == 2


def test_mean_annotator_spread_and_t_interval():
    # accuracies 4/6, 4/6, 3/4: mean 25/36, sd 0.048113, t(0.975, 2) = 4.302653 -> half-width 0.119518
    accuracies = [{"accuracy": 4 / 6}, {"accuracy": 4 / 6}, {"accuracy": 3 / 4}]
    means, spread, interval = mean_with_spread(accuracies, bounded={"accuracy"})
    assert means["accuracy"] == pytest.approx(25 / 36)
    assert spread["accuracy"] == {"min": pytest.approx(4 / 6), "median": pytest.approx(4 / 6), "max": 0.75}
    assert interval["accuracy"]["low"] == pytest.approx(25 / 36 - 0.119518, abs=1e-5)
    assert interval["accuracy"]["high"] == pytest.approx(25 / 36 + 0.119518, abs=1e-5)


def test_mean_skips_undefined_values_and_needs_two_annotators_for_an_interval():
    means, spread, interval = mean_with_spread([{"precision": 0.5, "recall": None}, {"precision": None,
                                                                                      "recall": 0.25}])
    assert means == {"precision": 0.5, "recall": 0.25}
    assert interval == {}
    assert spread["recall"] == {"min": 0.25, "median": 0.25, "max": 0.25}


def test_interval_is_clipped_to_the_range_of_a_bounded_metric():
    _, _, interval = mean_with_spread([{"recall": 1.0}, {"recall": 0.9}], bounded={"recall"})
    assert interval["recall"]["high"] == 1.0
    _, _, unclipped = mean_with_spread([{"recall": 1.0}, {"recall": 0.9}])
    assert unclipped["recall"]["high"] > 1.0


ANNOTATIONS = pd.DataFrame({"item": [0, 0, 1, 1], "annotator": ["c1", "e1", "c1", "s1"],
                            "label": [1, 1, 0, 1], "group": ["crowd", "expert", "crowd", "senior"]})


def test_one_row_group_per_group_value_by_default():
    groups = split_groups(ANNOTATIONS, {}, source="panel.csv")
    assert {name: sorted(rows["annotator"].unique()) for name, rows in groups.items()} == {
        "crowd": ["c1"], "expert": ["e1"], "senior": ["s1"]}


def test_groups_can_pool_values_into_a_mixture():
    groups = split_groups(ANNOTATIONS, {"crowd": ["crowd"], "experts": ["expert", "senior"]}, source="p")
    assert sorted(groups["experts"]["annotator"]) == ["e1", "s1"]
    assert list(groups) == ["crowd", "experts"]


def test_without_a_group_column_the_whole_panel_is_one_group():
    assert list(split_groups(ANNOTATIONS.assign(group=None), {}, source="p")) == [None]


def test_unknown_group_values_name_the_values_present():
    with pytest.raises(DataError, match=r"\['experts'\].*values present: \['crowd', 'expert', 'senior'\]"):
        split_groups(ANNOTATIONS, {"pros": ["experts"]}, source="panel.csv")


def test_groups_without_a_group_column_is_a_config_error():
    with pytest.raises(ConfigError, match="no group column"):
        split_groups(ANNOTATIONS.assign(group=None), {"x": ["crowd"]}, source="panel.csv")


def test_row_names():
    assert row_name("panel", "expert", "best_annotator") == "panel/expert/best_annotator"
    assert row_name("panel", None, "majority_vote") == "panel/majority_vote"
