"""Agreement statistics, each checked against a value worked out by hand.

The expert panel of tests/human/conftest.py, six items with three labels each:

    item   1  2  3  4  5  6
    e1     1  1  1  0  0  0
    e2     1  1  0  0  0  0
    e3     1  1  1  0  0  1
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from evalkit.agreement import cohen_kappa_mean, fleiss_kappa, krippendorff_alpha, panel_agreement

E1, E2, E3 = [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0], [1, 1, 1, 0, 0, 1]


def panel(*rows: list[int | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(items, annotators, labels) from one row of labels per annotator; None = not labelled."""
    items, annotators, labels = [], [], []
    for a, row in enumerate(rows):
        for item, label in enumerate(row):
            if label is not None:
                items.append(item)
                annotators.append(f"a{a}")
                labels.append(label)
    return np.array(items), np.array(annotators), np.array(labels)


def test_cohen_kappa_is_the_mean_over_pairs():
    # e1-e2: p_o = 5/6, p_e = .5*2/6 + .5*4/6 = 1/2  -> 2/3
    # e1-e3: p_o = 5/6, p_e = .5*4/6 + .5*2/6 = 1/2  -> 2/3
    # e2-e3: p_o = 4/6, p_e = 2/6*4/6 + 4/6*2/6 = 4/9 -> (2/3 - 4/9) / (5/9) = 2/5
    result = cohen_kappa_mean(*panel(E1, E2, E3), 2, min_shared=6)
    assert result["value"] == pytest.approx((2 / 3 + 2 / 3 + 2 / 5) / 3)
    assert result["pairs"] == 3
    assert (result["min"], result["max"]) == (pytest.approx(0.4), pytest.approx(2 / 3))


def test_cohen_kappa_matches_scikit_learn_on_each_pair():
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 3, size=(4, 40))
    expected = np.mean([cohen_kappa_score(rows[i], rows[j], labels=[0, 1, 2])
                        for i in range(4) for j in range(i + 1, 4)])
    assert cohen_kappa_mean(*panel(*rows.tolist()), 3, min_shared=10)["value"] == pytest.approx(expected)


def test_cohen_kappa_skips_pairs_with_too_few_shared_items():
    # a0 and a1 share 4 items; a2 shares only 2 with each: with min_shared=3 only (a0, a1) counts.
    a0, a1, a2 = [1, 1, 0, 0, None, None], [1, 0, 0, 0, None, None], [None, None, 0, 1, 1, 0]
    result = cohen_kappa_mean(*panel(a0, a1, a2), 2, min_shared=3)
    assert result["pairs"] == 1
    assert result["value"] == pytest.approx(cohen_kappa_score([1, 1, 0, 0], [1, 0, 0, 0]))


def test_cohen_kappa_counts_undefined_pairs_instead_of_averaging_them():
    # both annotators say 0 throughout: p_e = 1, kappa = 0/0
    result = cohen_kappa_mean(*panel([0, 0, 0], [0, 0, 0]), 2, min_shared=3)
    assert result["value"] is None
    assert result["pairs_undefined"] == 1
    assert "note" in result


def test_fleiss_kappa_hand_worked():
    # counts (pos, neg) per item: 3,0 3,0 2,1 0,3 0,3 1,2 -> P_i = 1 1 1/3 1 1 1/3, mean 7/9;
    # p_pos = p_neg = 1/2 -> P_e = 1/2; kappa = (7/9 - 1/2) / (1/2) = 5/9
    items, _, labels = panel(E1, E2, E3)
    result = fleiss_kappa(items, labels, 2)
    assert result["value"] == pytest.approx(5 / 9)
    assert (result["items"], result["labels_per_item"]) == (6, 3)
    assert "note" not in result


def test_fleiss_kappa_uses_the_items_with_the_most_common_number_of_labels_and_says_so():
    # items 0-2 have 3 labels, items 3-4 have 2, item 5 has 1: Fleiss runs on items 0-2 only
    rows = [[1, 1, 0, 0, 1, 1], [1, 0, 0, 1, 1, None], [1, 1, 0, None, None, None]]
    items, _, labels = panel(*rows)
    result = fleiss_kappa(items, labels, 2)
    expected = fleiss_kappa(*panel([1, 1, 0], [1, 0, 0], [1, 1, 0])[::2], 2)["value"]
    assert result["value"] == pytest.approx(expected)
    assert (result["items"], result["labels_per_item"]) == (3, 3)
    assert "3 of 5" in result["note"]


def test_krippendorff_alpha_hand_worked():
    # coincidences: o_11 = 3+3+1 = 7, o_00 = 3+3+1 = 7, o_01 = o_10 = 2; n_0 = n_1 = 9, n = 18
    # alpha = 1 - (n - 1) * (o_01 + o_10) / (2 * n_0 * n_1) = 1 - 17 * 4 / 162 = 94/162
    items, _, labels = panel(E1, E2, E3)
    assert krippendorff_alpha(items, labels, 2)["value"] == pytest.approx(94 / 162)


def test_krippendorff_alpha_ignores_items_with_a_single_label():
    items, _, labels = panel([*E1, 1], [*E2, None], [*E3, None])
    result = krippendorff_alpha(items, labels, 2)
    assert result["value"] == pytest.approx(94 / 162)
    assert result["items"] == 6


def test_agreement_is_undefined_when_every_label_is_the_same_class():
    items, annotators, labels = panel([1, 1, 1], [1, 1, 1])
    result = panel_agreement(items, annotators, labels, 2, min_shared=3)
    assert [result[k]["value"] for k in ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha")] == [None] * 3
    assert all("note" in stat for stat in result.values())


def test_a_single_annotator_has_no_agreement():
    result = panel_agreement(*panel([1, 0, 1]), 2, min_shared=1)
    assert result["cohen_kappa"]["value"] is None
    assert result["krippendorff_alpha"]["value"] is None


def test_the_report_says_how_many_pairs_were_left_out_with_an_undefined_kappa():
    from evalkit.report import _agreement_text

    stat = {"value": 0.9, "pairs": 226, "min_shared_items": 10, "pairs_undefined": 20}
    assert _agreement_text("cohen_kappa", stat) == (
        "Cohen's kappa 0.9000 (mean over 226 annotator pair(s) sharing 10+ items; 20 more pair(s) left out, "
        "their kappa undefined)")
