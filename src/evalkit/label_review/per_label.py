"""Multi-label review, one label at a time: each label's column of the gold label sets is a binary problem
(is the label present?), reviewed like a binary run — the candidates' scores for that label as two-class
probabilities, the annotators' votes as present/absent — so a suspect is an (item, label) pair.

Pure functions on arrays, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evalkit.label_review.ranking import PanelVotes, Suspects, average_probabilities, find_suspects

# How a label's state reads in the review list and label_review.csv.
STATES = ("absent", "present")


@dataclass(frozen=True)
class LabelSuspects:
    """Every label's binary review, and the review list of (item, label) pairs across labels."""

    per_label: tuple[Suspects, ...]

    @property
    def flagged(self) -> np.ndarray:
        """(items, labels) bool: the pair's gold state is flagged as probably wrong."""
        return np.column_stack([s.flagged for s in self.per_label])

    @property
    def score(self) -> np.ndarray:
        """(items, labels): the probability that the pair's gold state is wrong."""
        return np.column_stack([s.score for s in self.per_label])

    def review_list(self, length: int) -> list[tuple[int, int]]:
        """(item, label) pairs to re-check first: every flagged pair, then the most suspect others up to
        ``length`` pairs in all; highest score first, ties by item then label.

        >>> s = per_label_suspects([np.array([[0.9, 0.1], [0.2, 0.8], [0.9, 0.2], [0.1, 0.9]])],
        ...                        np.array([[1, 0], [0, 1], [1, 1], [0, 1]]))
        >>> s.review_list(2)
        [(2, 1), (1, 0)]
        """
        flagged, score = self.flagged, self.score
        items, labels = np.nonzero(np.ones_like(flagged))
        order = np.lexsort((labels, items, -score[items, labels], ~flagged[items, labels]))
        n_flagged = int(flagged.sum())
        keep = order[:max(n_flagged, length)]
        return [(int(items[k]), int(labels[k])) for k in keep]


def label_votes(votes: PanelVotes | None, label: int) -> PanelVotes | None:
    """One label's votes (1: the annotator gave the label) from votes whose ``label`` is a 0/1 matrix."""
    if votes is None:
        return None
    return PanelVotes(item=votes.item, annotator=votes.annotator,
                      label=np.asarray(votes.label[:, label], dtype=np.int64))


def per_label_suspects(sources: Sequence[np.ndarray], gold: np.ndarray,
                       votes: PanelVotes | None = None) -> LabelSuspects:
    """Review each label's column of ``gold`` (items, labels) as a binary problem.

    ``sources`` are the contributing entries' (items, labels) scores (each label's probability, the rows
    need not sum to 1); ``votes`` the panels' label sets as a 0/1 matrix per vote. At least one is needed.
    """
    if not sources and votes is None:
        raise ValueError("per_label_suspects needs candidates' scores, a panel's votes, or both")
    found = []
    for label in range(gold.shape[1]):
        probs = (average_probabilities([np.column_stack([1.0 - s[:, label], s[:, label]]) for s in sources])
                 if sources else None)
        column = np.asarray(gold[:, label], dtype=np.int64)
        found.append(find_suspects(probs, column, label_votes(votes, label), n_classes=2))
    return LabelSuspects(tuple(found))


def relabelled_sets(gold: np.ndarray, suspects: LabelSuspects) -> np.ndarray:
    """The gold label sets with every flagged pair's state replaced by the suggestion (flipped)."""
    changed = np.array(gold, copy=True)
    for label, own in enumerate(suspects.per_label):
        changed[own.flagged, label] = own.suggested[own.flagged]
    return changed
