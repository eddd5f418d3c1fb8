"""The review list: planted label errors come first, a panel's votes move items, and only evidence counts."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.label_review.ranking import (
    PanelVotes,
    annotator_accuracy,
    average_probabilities,
    class_thresholds,
    find_suspects,
)


def confident_model(y_true: np.ndarray, n_classes: int, seed: int = 0, sure: np.ndarray | None = None
                    ) -> np.ndarray:
    """Probabilities of a good model that knows the TRUE labels: sure of most items (about 0.97 on the true
    class), unsure of a fifth of them (hard items, which pull the class thresholds below the sure ones)."""
    rng = np.random.default_rng(seed)
    alpha = np.ones((len(y_true), n_classes))
    hard = np.random.default_rng(99).random(len(y_true)) < 0.2  # the same items are hard for every model
    if sure is not None:
        hard[sure] = False
    alpha[np.arange(len(y_true)), y_true] = np.where(hard, 2.0, 60.0)
    return np.vstack([rng.dirichlet(a) for a in alpha])


def planted(n: int = 300, n_classes: int = 3, errors: int = 6, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, n_classes, size=n)
    wrong = np.sort(rng.choice(n, size=errors, replace=False))
    gold = truth.copy()
    gold[wrong] = (truth[wrong] + rng.integers(1, n_classes, size=errors)) % n_classes
    return truth, gold, wrong


def test_planted_errors_are_flagged_and_ranked_first_with_the_true_label_suggested():
    truth, gold, wrong = planted()
    # the model is sure of the planted items (a hard item's wrong gold is doubt, not a confident error)
    found = find_suspects(confident_model(truth, 3, sure=wrong), gold)
    assert set(found.order[:len(wrong)].tolist()) == set(wrong.tolist())
    assert found.flagged[wrong].all()
    assert (found.suggested[wrong] == truth[wrong]).all()
    # items whose gold is right are rarely flagged by a good model
    assert found.flagged.sum() <= len(wrong) + 3


def test_two_candidates_are_averaged_before_the_thresholds():
    truth, gold, wrong = planted(seed=1)
    one = confident_model(truth, 3, seed=1, sure=wrong)
    two = confident_model(truth, 3, seed=2, sure=wrong)
    found = find_suspects(average_probabilities([one, two]), gold)
    assert set(found.order[:len(wrong)].tolist()) == set(wrong.tolist())


def background_votes(gold: np.ndarray, skip: set[int]) -> PanelVotes:
    """Three annotators who agree with gold on every other item: they earn a high accuracy."""
    items = [i for i in range(len(gold)) if i not in skip]
    return PanelVotes(item=np.repeat(items, 3), annotator=np.tile([100, 101, 102], len(items)),
                      label=np.repeat(gold[items], 3))


def merged(*parts: PanelVotes) -> PanelVotes:
    fields = ("item", "annotator", "label")
    return PanelVotes(*(np.concatenate([getattr(p, f) for p in parts]) for f in fields))


def test_votes_against_gold_move_an_item_up_the_list_and_onto_it():
    # Two items the model doubts equally (0.6 for the other class, below its threshold): not flagged.
    gold = np.array([0] * 20 + [1] * 20)
    probs = np.tile([0.95, 0.05], (40, 1))
    probs[20:] = [0.05, 0.95]
    probs[3] = probs[4] = [0.4, 0.6]
    alone = find_suspects(probs, gold)
    assert not alone.flagged[[3, 4]].any()
    assert alone.score[3] == pytest.approx(alone.score[4])
    # The same annotators (reliable on the rest) all say class 1 on item 4.
    against = merged(background_votes(gold, {4}),
                     PanelVotes(np.array([4, 4, 4]), np.array([100, 101, 102]), np.array([1, 1, 1])))
    with_votes = find_suspects(probs, gold, against)
    assert with_votes.flagged[4] and not with_votes.flagged[3]
    assert with_votes.order[0] == 4
    assert with_votes.score[4] > with_votes.score[3]


def test_votes_for_gold_clear_an_item_the_models_doubt():
    gold = np.array([0] * 20 + [1] * 20)
    probs = np.tile([0.9, 0.1], (40, 1))
    probs[20:] = [0.1, 0.9]
    probs[5] = [0.02, 0.98]  # the models say 1, gold says 0
    assert find_suspects(probs, gold).flagged[5]
    agree = background_votes(gold, set())  # three reliable annotators also gave item 5 gold's label
    cleared = find_suspects(probs, gold, agree)
    assert not cleared.flagged[5]
    assert cleared.score[5] < find_suspects(probs, gold).score[5]


def test_a_panel_alone_flags_a_consensus_against_gold():
    gold = np.array([0, 1] * 10)
    votes = merged(background_votes(gold, {7}),
                   PanelVotes(np.array([7, 7, 7]), np.array([100, 101, 102]), np.array([0, 0, 0])))
    found = find_suspects(None, gold, votes, n_classes=2)
    assert found.order.tolist() == [7]
    assert found.suggested[7] == 0


def test_no_evidence_is_refused():
    with pytest.raises(ValueError, match="needs"):
        find_suspects(None, np.array([0, 1]))


def test_an_annotator_with_few_votes_is_shrunk_towards_the_panel():
    # a: 40 votes all agreeing with gold; b: one vote, wrong. b is not taken as useless on one vote.
    gold = np.zeros(41, dtype=np.int64)
    votes = PanelVotes(item=np.arange(41), annotator=np.array([0] * 40 + [1]), label=np.array([0] * 40 + [1]))
    accuracy = annotator_accuracy(votes, gold, 2)
    assert accuracy[0] == pytest.approx(0.99)  # capped: never a veto
    assert 0.8 < accuracy[-1] < 0.99


def test_a_class_nobody_is_labelled_with_is_never_confident():
    thresholds = class_thresholds(np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]]), np.array([0, 1]))
    assert np.isinf(thresholds[2])


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 4), st.integers(4, 30), st.integers(0, 10_000))
def test_flags_always_suggest_another_label_and_the_list_is_sorted(n_classes, n, seed):
    rng = np.random.default_rng(seed)
    gold = rng.integers(0, n_classes, size=n)
    probs = average_probabilities([rng.dirichlet(np.ones(n_classes), size=n)])
    items = rng.integers(0, n, size=2 * n)
    votes = PanelVotes(items, rng.integers(0, 5, size=2 * n), rng.integers(0, n_classes, size=2 * n))
    found = find_suspects(probs, gold, votes)
    assert (found.suggested[found.flagged] != gold[found.flagged]).all()
    assert sorted(found.order.tolist()) == np.flatnonzero(found.flagged).tolist()
    scores = found.score[found.order]
    assert (np.diff(scores) <= 1e-12).all()
    assert ((found.score >= 0) & (found.score <= 1)).all()
    assert np.allclose(found.combined.sum(axis=1), 1)


@pytest.mark.parametrize("name", ["evalkit.label_review.ranking", "evalkit.label_review.duplicates",
                                  "evalkit.label_review.sensitivity"])
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), extraglobs={"np": np})
    assert result.attempted > 0 and result.failed == 0


def test_the_review_list_is_every_flagged_item_then_the_most_suspect_others_with_an_alternative_label():
    gold = np.array([0, 1, 2, 0, 1])
    probs = np.array([[0.9, 0.05, 0.05], [0.1, 0.6, 0.3], [0.1, 0.1, 0.8], [0.05, 0.9, 0.05],
                      [0.2, 0.5, 0.3]])
    found = find_suspects(probs, gold)
    assert found.order.tolist() == [3]  # gold 0, the models say 1
    # then the unflagged by P(gold wrong): item 4 (0.5), item 1 (0.4); the list stops at 3 items
    assert found.review_list(3).tolist() == [3, 4, 1]
    assert found.review_list(0).tolist() == [3]  # flagged items are always listed
    # an unflagged item's label to check is its most probable class other than gold, never gold itself
    assert found.alternative(1, 1) == 2 and found.alternative(4, 1) == 2
    assert found.alternative(3, 0) == 1 == int(found.suggested[3])


def test_a_review_with_nothing_flagged_still_shows_the_most_suspect_items():
    from evalkit.report import markdown_table
    from evalkit.report_label_review import label_review_section

    top = [{"rank": 1, "id": "a|1", "gold": "x", "suggested": "y", "ranking_score": 0.2, "flagged": False,
            "votes": {"y": 2}}]
    record = {"label_review": {"n_items": 50, "flagged": 0, "top": top, "file": "label_review.csv",
                               "sensitivity": {"line": "No item is flagged: nothing to rescore, the verdict "
                                                       "stands as stated."}}}
    section = "\n".join(label_review_section(record, markdown_table))
    assert "None of the 50 evaluated items is flagged as probably mislabelled. The 1 most suspect" in section
    assert "**No item is flagged: nothing to rescore" in section
    assert "| 1 | a\\|1 | x | y | 0.200 | y: 2 | no |" in section


def test_multilabel_review_takes_each_label_as_a_binary_problem_and_finds_planted_flips():
    from evalkit.label_review.per_label import per_label_suspects, relabelled_sets
    from evalkit.label_review.review import review_csv

    rng = np.random.default_rng(3)
    truth = (rng.random((200, 3)) < 0.4).astype(np.int64)
    # two good models that know the true sets, unsure of a fifth of the pairs (which pulls each label's
    # thresholds below the sure pairs); gold has three flipped (item, label) pairs the models are sure of
    planted = [(5, 0), (17, 2), (90, 1)]
    hard = rng.random(truth.shape) < 0.2
    hard[tuple(np.array(planted).T)] = False
    sure = np.where(hard, 0.3, 0.47)
    models = [np.clip(0.5 + np.where(truth == 1, sure, -sure) + rng.normal(0, 0.01, truth.shape), 0, 1)
              for _ in range(2)]
    gold = truth.copy()
    for item, label in planted:
        gold[item, label] = 1 - gold[item, label]
    found = per_label_suspects(models, gold)
    assert sorted(zip(*np.nonzero(found.flagged), strict=True)) == planted
    assert found.review_list(5)[:3] and set(found.review_list(5)[:3]) == set(planted)
    assert (relabelled_sets(gold, found) == truth).all()  # the suggestions undo the flips
    # a panel: each annotator's vote is a 0/1 vector over the labels; two annotators side with gold on (5, 0)
    items = np.array([5, 5])
    votes = PanelVotes(item=items, annotator=np.array([0, 1]), label=gold[items])
    with_votes = per_label_suspects(models, gold, votes)
    assert with_votes.score[5, 0] < found.score[5, 0]
    csv_text = review_csv([{"rank": 1, "id": "5", "label": "tag|a", "gold": "present", "suggested": "absent",
                            "ranking_score": 0.9, "flagged": True}], per_label=True)
    assert csv_text.splitlines() == ["rank,id,label,gold,suggested,ranking_score,candidates_p_gold,"
                                     "candidates_p_suggested,candidates_for_suggested,votes,votes_for_gold,"
                                     "votes_total,flagged", "1,5,tag|a,present,absent,0.9,,,,,,,yes"]
