"""Which gold labels are probably wrong: confident learning on out-of-sample scores, sharpened by votes.

Pure functions on arrays (class codes ``0..K-1``, probabilities ``(n, K)``), no I/O.

1. **Candidates.** The contributing entries' out-of-sample class probabilities are averaged, and
   floored at :data:`PROBABILITY_FLOOR` (no model is ever so sure that people cannot outvote it).
2. **Panel.** Each annotator's accuracy is their agreement with gold, shrunk towards the panel's
   pooled agreement (:func:`annotator_accuracy`); a vote for class ``v`` has likelihood ``a`` if the
   true class is ``v`` and ``(1 - a) / (K - 1)`` otherwise. Votes multiply into the candidates'
   probabilities (Bayes' rule, annotators independent given the true class), so a consensus against
   gold is strong evidence and a consensus for gold clears an item the models doubt.
3. **Confident learning** (Northcutt et al., 2021): the threshold of class ``k`` is the candidates'
   mean probability of ``k`` over the items whose gold label is ``k`` (its mean self-confidence: what
   the models give a class when they see it); an item's confident class is the most probable class,
   by the combined probabilities, among those at or above their threshold; an item is **flagged** when
   its confident class is not its gold label (the off-diagonal of the confident joint). Without votes
   this is confident learning as published; votes against gold push the other class over its
   threshold, votes for gold pull it under. Without candidates the thresholds come from the votes'
   own probabilities.
4. **Ranking score**: one minus the combined probability of the gold label (the estimated chance
   that gold is wrong); the review list is the flagged items, highest score first.

>>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9], [0.95, 0.05]])
>>> found = find_suspects(probs, np.array([0, 0, 1, 1, 1]))
>>> found.order.tolist(), int(found.suggested[4])
([4], 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The lowest probability a class keeps after averaging the candidates: a model's 0 would otherwise veto
# any number of annotators (Bayes' rule multiplies by it).
PROBABILITY_FLOOR = 0.01
# How many votes' worth of the panel's pooled agreement an annotator's own agreement is shrunk towards:
# an annotator with three items should not be taken as perfect (or useless) on their own.
ACCURACY_PRIOR_VOTES = 10.0
# An annotator is never trusted beyond this: one perfect record would otherwise make a vote a veto.
MAX_ACCURACY = 0.99


@dataclass(frozen=True)
class PanelVotes:
    """Annotators' labels: one row per (item, annotator); ``annotator`` holds integer annotator codes."""

    item: np.ndarray
    annotator: np.ndarray
    label: np.ndarray

    def counts(self, n_items: int, n_classes: int) -> np.ndarray:
        """(items, classes) number of votes per class."""
        counts = np.zeros((n_items, n_classes), dtype=np.int64)
        np.add.at(counts, (self.item, self.label), 1)
        return counts


@dataclass(frozen=True)
class Suspects:
    """The outcome for every item (arrays of length n) and the review order of the flagged ones."""

    combined: np.ndarray          # (n, K) probabilities after the votes
    thresholds: np.ndarray        # (K,) per-class mean self-confidence (inf for a class with no gold item)
    flagged: np.ndarray           # (n,) bool: confident class differs from gold
    suggested: np.ndarray         # (n,) class code: the confident class if flagged, else the most probable
    score: np.ndarray             # (n,) 1 - combined probability of gold
    order: np.ndarray             # positions of the flagged items, most suspect first

    def alternative(self, item: int, gold: int) -> int:
        """The label to check against gold: the suggestion for a flagged item, else the most probable
        class other than gold."""
        if self.flagged[item] or self.combined.shape[1] < 2:
            return int(self.suggested[item])
        others = self.combined[item].copy()
        others[gold] = -1.0
        return int(np.argmax(others))

    def review_list(self, length: int) -> np.ndarray:
        """Positions of the items to re-check first: every flagged item (most suspect first), then, up to
        ``length`` items in all, the unflagged ones with the highest ranking score (ties in item order).

        >>> s = Suspects(np.zeros((4, 2)), np.zeros(2), np.array([False, True, False, False]),
        ...              np.zeros(4, dtype=int), np.array([0.2, 0.9, 0.4, 0.2]), np.array([1]))
        >>> s.review_list(3).tolist()
        [1, 2, 0]
        """
        rest = np.flatnonzero(~self.flagged)
        rest = rest[np.lexsort((rest, -self.score[rest]))]
        return np.concatenate([self.order, rest[:max(0, length - len(self.order))]]).astype(np.int64)


def average_probabilities(sources: list[np.ndarray]) -> np.ndarray:
    """The mean of several (n, K) probability matrices, floored at :data:`PROBABILITY_FLOOR` and
    renormalised so rows sum to 1.

    >>> average_probabilities([np.array([[1.0, 0.0]]), np.array([[0.8, 0.2]])]).round(3).tolist()
    [[0.9, 0.1]]
    """
    mean = np.mean(np.stack(sources), axis=0)
    floored = np.maximum(mean, PROBABILITY_FLOOR)
    return floored / floored.sum(axis=1, keepdims=True)


def annotator_accuracy(votes: PanelVotes, gold: np.ndarray, n_classes: int) -> np.ndarray:
    """Each vote's annotator's estimated accuracy (an array aligned with the votes).

    Agreement with gold, shrunk towards the panel's pooled agreement by :data:`ACCURACY_PRIOR_VOTES`
    votes, then kept within [1/K, MAX_ACCURACY]: an annotator at chance or worse carries no evidence.

    >>> v = PanelVotes(np.array([0, 1, 0, 1]), np.array([0, 0, 1, 1]), np.array([0, 1, 0, 0]))
    >>> annotator_accuracy(v, np.array([0, 1]), 2).round(3).tolist()
    [0.792, 0.792, 0.708, 0.708]
    """
    agree = (votes.label == gold[votes.item]).astype(np.float64)
    pooled = agree.mean() if len(agree) else 0.5
    n_annotators = int(votes.annotator.max()) + 1 if len(agree) else 0
    hits = np.bincount(votes.annotator, weights=agree, minlength=n_annotators)
    seen = np.bincount(votes.annotator, minlength=n_annotators)
    own = (hits + ACCURACY_PRIOR_VOTES * pooled) / (seen + ACCURACY_PRIOR_VOTES)
    own = np.clip(own, 1.0 / n_classes, MAX_ACCURACY)
    return own[votes.annotator]


def vote_log_likelihood(votes: PanelVotes, accuracy: np.ndarray, n_items: int, n_classes: int) -> np.ndarray:
    """(items, classes): the log-likelihood of each item's votes if its true class were each class."""
    log_lik = np.zeros((n_items, n_classes))
    right = np.log(accuracy)
    wrong = np.log((1.0 - accuracy) / (n_classes - 1))
    # Every vote adds log(wrong) to every class, and log(right) - log(wrong) to the class it names.
    np.add.at(log_lik, votes.item, wrong[:, None] * np.ones(n_classes))
    np.add.at(log_lik, (votes.item, votes.label), right - wrong)
    return log_lik


def combine(probs: np.ndarray | None, votes: PanelVotes | None, gold: np.ndarray,
            n_classes: int) -> np.ndarray:
    """Candidates' probabilities times the votes' likelihood, normalised per item.

    Without candidates the prior is uniform (the votes alone); without votes, the probabilities as given.
    """
    n = len(gold)
    prior = np.full((n, n_classes), 1.0 / n_classes) if probs is None else probs
    if votes is None or len(votes.item) == 0:
        return prior
    log_post = np.log(prior) + vote_log_likelihood(votes, annotator_accuracy(votes, gold, n_classes), n,
                                                   n_classes)
    log_post -= log_post.max(axis=1, keepdims=True)
    post = np.exp(log_post)
    return post / post.sum(axis=1, keepdims=True)


def class_thresholds(probs: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per class, the mean probability of that class over the items labelled with it (inf if none).

    >>> class_thresholds(np.array([[0.9, 0.1], [0.7, 0.3], [0.4, 0.6]]), np.array([0, 0, 1])).tolist()
    [0.8, 0.6]
    """
    n_classes = probs.shape[1]
    sums = np.bincount(gold, weights=probs[np.arange(len(gold)), gold], minlength=n_classes)
    counts = np.bincount(gold, minlength=n_classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.inf)


def confident_class(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per item, the most probable class among those at or above their threshold; -1 if none is."""
    above = probs >= thresholds[None, :]
    masked = np.where(above, probs, -1.0)
    choice = np.argmax(masked, axis=1)
    return np.where(above.any(axis=1), choice, -1)


def find_suspects(probs: np.ndarray | None, gold: np.ndarray, votes: PanelVotes | None = None, *,
                  n_classes: int | None = None) -> Suspects:
    """Flag and rank the items whose gold label is probably wrong (see the module docstring).

    ``probs`` is the candidates' averaged out-of-sample probabilities (None: no scoring entry);
    ``votes`` the panel's labels (None: no panel). At least one of them must be given; ``n_classes``
    defaults to the probabilities' columns.
    """
    if probs is None and votes is None:
        raise ValueError("find_suspects needs candidates' probabilities, a panel's votes, or both")
    if n_classes is None:
        if probs is None:
            raise ValueError("find_suspects: give n_classes when there are no probabilities")
        n_classes = probs.shape[1]
    combined = combine(probs, votes, gold, n_classes)
    # The candidates' thresholds even when votes sharpen the probabilities: thresholds taken from the
    # sharpened ones would sit near 1, and no item short of unanimity against gold would pass.
    thresholds = class_thresholds(combined if probs is None else probs, gold)
    confident = confident_class(combined, thresholds)
    flagged = (confident >= 0) & (confident != gold)
    suggested = np.where(flagged, confident, np.argmax(combined, axis=1))
    score = 1.0 - combined[np.arange(len(gold)), gold]
    positions = np.flatnonzero(flagged)
    # Most suspect first; equal scores in item order, so the list never depends on a sort's whims.
    order = positions[np.lexsort((positions, -score[positions]))]
    return Suspects(combined, thresholds, flagged, suggested.astype(np.int64), score, order)
