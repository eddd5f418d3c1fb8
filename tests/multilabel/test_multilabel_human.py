"""Human panels for multi-label tasks: annotators give label sets; rows, votes, ties and agreement.

The panel (truth: builders.label_matrix, 40 items, labels a b c d, 'd' never present):

    ann1  items 0-29, the truth except label b flipped on items divisible by 7
    ann2  items 10-39, the truth except label a flipped on items divisible by 5
    ann3  items 0-39, the truth

Items 10-29 have three annotators, so no tie; items 0-9 (ann1, ann3) and 30-39 (ann2, ann3) have two,
so each flip there is a tie: items 0, 7, 30 and 35, one tied label each.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from builders import LABELS, entry, label_matrix, ml_config, ml_files, run
from sklearn.metrics import average_precision_score, f1_score

from evalkit.agreement import panel_agreement
from evalkit.errors import DataError

Y = label_matrix()
SPANS = {"ann1": range(0, 30), "ann2": range(10, 40), "ann3": range(0, 40)}
TIED_ITEMS = (0, 7, 30, 35)


def annotator_sets(name: str) -> tuple[np.ndarray, np.ndarray]:
    items = np.array(SPANS[name])
    sets = Y[items].copy()
    if name == "ann1":
        sets[items % 7 == 0, 1] ^= 1
    if name == "ann2":
        sets[items % 5 == 0, 0] ^= 1
    return items, sets


def panel_frame(layout: str = "delimited") -> pd.DataFrame:
    rows = []
    for name in SPANS:
        items, sets = annotator_sets(name)
        for item, labels in zip(items, sets, strict=True):
            row = {"id": int(item), "annotator": name}
            if layout == "delimited":
                row["label"] = "|".join(n for n, on in zip(LABELS, labels, strict=True) if on)
            else:
                row |= {f"label_{n}": int(on) for n, on in zip(LABELS, labels, strict=True)}
            rows.append(row)
    return pd.DataFrame(rows)


def run_panel(tmp_path, layout: str = "delimited", resamples: int = 0, **baseline) -> dict:
    panel = {"kind": "human", "path": "panel.csv", "min_items": 5, **baseline}
    config = ml_config(baselines={"panel": panel}, bootstrap={"resamples": resamples})
    return run(tmp_path, config, ml_files() | {"panel.csv": panel_frame(layout)})


def expected_map(y: np.ndarray, scores: np.ndarray) -> float:
    """scikit-learn's macro AP over the labels with a positive (the others have none)."""
    with_positives = [j for j in range(y.shape[1]) if y[:, j].any()]
    return float(np.mean([average_precision_score(y[:, j], scores[:, j]) for j in with_positives]))


@pytest.mark.parametrize("layout", ["delimited", "indicator"])
def test_each_annotator_is_scored_on_their_label_sets_and_averaged(tmp_path, layout):
    record = run_panel(tmp_path, layout)
    mean = entry(record, "panel/mean_annotator")
    per_annotator = []
    for name in SPANS:
        items, sets = annotator_sets(name)
        own = mean["annotators"][name]
        assert own["n_items"] == len(items)
        f1 = f1_score(Y[items], sets, average="micro")
        ap = expected_map(Y[items], sets.astype(float))  # 0/1 labels are an annotator's scores
        assert own["metrics"]["f1_micro"] == pytest.approx(f1, abs=1e-12)
        assert own["metrics"]["map"] == pytest.approx(ap, abs=1e-12)
        per_annotator.append((f1, ap))
    assert mean["metrics"]["f1_micro"] == pytest.approx(np.mean([f for f, _ in per_annotator]), abs=1e-12)
    assert mean["metrics"]["map"] == pytest.approx(np.mean([a for _, a in per_annotator]), abs=1e-12)
    assert mean["score"] == mean["metrics"]["map"]  # strategy map: the mean annotator has a score


def test_majority_vote_counts_a_tied_label_as_either_answer_with_equal_weight(tmp_path):
    vote = entry(run_panel(tmp_path), "panel/majority_vote")
    assert vote["tied_items"] == len(TIED_ITEMS)
    # every untied item is voted right; a tied item is right in one of its two settlements
    assert vote["metrics"]["subset_accuracy"] == pytest.approx((40 - 0.5 * len(TIED_ITEMS)) / 40)
    assert vote["coverage"]["items"] == 40


def test_exclude_drops_tied_items_and_the_vote_share_is_the_score(tmp_path):
    vote = entry(run_panel(tmp_path, tie_rule="exclude"), "panel/majority_vote")
    kept = np.array([i for i in range(40) if i not in TIED_ITEMS])
    assert vote["coverage"]["items"] == len(kept)
    assert vote["metrics"]["subset_accuracy"] == 1.0
    share = np.zeros((40, len(LABELS)))
    count = np.zeros(40)
    for name in SPANS:
        items, sets = annotator_sets(name)
        share[items] += sets
        count[items] += 1
    share /= count[:, None]
    assert vote["metrics"]["map"] == pytest.approx(expected_map(Y[kept], share[kept]), abs=1e-12)


def test_random_ties_are_settled_by_the_seed(tmp_path):
    first = entry(run_panel(tmp_path / "a", tie_rule="random", seed=3), "panel/majority_vote")
    again = entry(run_panel(tmp_path / "b", tie_rule="random", seed=3), "panel/majority_vote")
    assert first["metrics"] == again["metrics"]
    right = round(first["metrics"]["subset_accuracy"] * 40)
    assert 36 <= right <= 40 and first["coverage"]["items"] == 40


def test_agreement_is_each_labels_yes_no_agreement_averaged_over_labels(tmp_path):
    agreement = entry(run_panel(tmp_path), "panel/majority_vote")["agreement"]
    items = np.concatenate([annotator_sets(n)[0] for n in SPANS])
    names = np.concatenate([[n] * len(SPANS[n]) for n in SPANS])
    sets = np.concatenate([annotator_sets(n)[1] for n in SPANS])
    per_label = [panel_agreement(items, names, sets[:, j], 2, min_shared=5)["fleiss_kappa"]["value"]
                 for j in range(len(LABELS))]
    assert per_label[3] is None  # nobody ever gives 'd': agreement on it is undefined, not perfect
    defined = [v for v in per_label if v is not None]
    assert agreement["fleiss_kappa"]["value"] == pytest.approx(np.mean(defined))
    assert agreement["fleiss_kappa"]["per_label"]["d"] is None
    assert "3 of 4 labels" in agreement["fleiss_kappa"]["note"]


def test_panel_rows_get_intervals_and_are_compared_with_the_best_candidate(tmp_path):
    record = run_panel(tmp_path, resamples=60, tie_rule="exclude")
    vote = entry(record, "panel/majority_vote")
    low, high = vote["ci"]["map"]
    assert low <= vote["metrics"]["map"] <= high
    row = next(r for r in record["comparisons"] if r["b"] == "panel/majority_vote" and r["metric"] == "score")
    assert row["items"] == 40 - len(TIED_ITEMS)  # compared on the items the vote scores
    assert record["human_level"]["name"].startswith("panel/")
    report = (tmp_path / "out" / "report.md").read_text()
    assert "each label a yes/no question" in report and "0/1 labels are their scores" in report


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda f: f.drop(columns=["label"]), "no label column"),
    (lambda f: f.assign(label=f["label"].where(f.index != 3, "a|zebra")), "'zebra'"),
])
def test_a_panel_without_label_sets_or_with_unknown_labels_is_refused(tmp_path, change, fragment):
    config = ml_config(baselines={"panel": {"kind": "human", "path": "panel.csv"}})
    with pytest.raises(DataError, match=fragment) as error:
        run(tmp_path, config, ml_files() | {"panel.csv": change(panel_frame())})
    assert "panel.csv" in str(error.value)
