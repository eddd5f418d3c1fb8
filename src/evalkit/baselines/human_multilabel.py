"""Human panels for multi-label tasks: each annotator gives a *label set* per item.

The annotations file has one row per (item, annotator), with the label set written as in a
multi-label predictions file: one column of label names separated by the data's ``label_delimiter``
(``label``, or the baseline's ``label_column``; an empty cell is "no label"), or one 0/1 column per
label (``label_<name>``). The rows are those of :mod:`evalkit.baselines.human` (mean annotator,
majority vote, best annotator), with these multi-label rules:

- **scores**: a person answers yes or no, so an annotator's 0/1 labels are their scores too, and
  ranking metrics such as ``map`` score that hard ranking (scikit-learn's average precision of 0/1
  scores). The majority vote's score for a label is the share of the item's annotators who gave it,
  a graded ranking.
- **majority vote**, label by label: a label is in the vote when more than half of the item's
  annotators gave it. A label given by exactly half is tied; ``tie_rule``: ``expected`` scores the
  item as every way of settling its ties, each weighted equally (the expectation of independent
  coin flips, exact for every metric; at most ``MAX_TIED_LABELS`` ties per item), ``random`` flips a
  seeded coin per tie, ``exclude`` drops items with a tie.
- **agreement**: each label is a yes/no question; Cohen's and Fleiss' kappa and Krippendorff's alpha
  are computed per label by :mod:`evalkit.agreement` and averaged over the labels where defined.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from evalkit.agreement import panel_agreement
from evalkit.errors import DataError
from evalkit.evalset import EvalSet
from evalkit.multilabel_data import PREDICTED_LABEL_COLUMN, predicted_label_matrix
from evalkit.predictions import Predictions

MAX_TIED_LABELS = 10  # 2**10 weighted rows for one item is the most `expected` will lay out


def label_sets(table: pd.DataFrame, evalset: EvalSet, label_column: str, source: str) -> list[np.ndarray]:
    """Each row's label set as a 0/1 vector over the truth's labels (either layout of a predictions file)."""
    renamed = table if label_column == PREDICTED_LABEL_COLUMN else table.rename(
        columns=lambda c: PREDICTED_LABEL_COLUMN + str(c)[len(label_column):]
        if str(c) == label_column or str(c).startswith(f"{label_column}_") else c)
    matrix = predicted_label_matrix(renamed, evalset, source)
    if matrix is None:
        first = evalset.classes[0]
        raise DataError(f"{source}: no label column; give each annotator's label set as a '{label_column}' "
                        f"column of names separated by '{evalset.label_delimiter}', or 0/1 columns "
                        f"'{label_column}_{first}', ... (or set the baseline's label_column)")
    return list(matrix)


def annotator_predictions(items: np.ndarray, sets: np.ndarray) -> Predictions:
    """One annotator's label sets on their items; the 0/1 labels double as scores."""
    return Predictions(labels=sets.astype(np.int64), scores=sets.astype(np.float64), item_index=items)


def majority_vote(items: np.ndarray, sets: np.ndarray, tie_rule: str, seed: int = 0,
                  *, source: str = "annotations") -> tuple[Predictions, int]:
    """The label-by-label majority vote as weighted rows, and the number of items with a tied label.

    >>> votes, ties = majority_vote(np.array([0, 0, 1, 1, 1]),
    ...                             np.array([[1, 1], [1, 0], [0, 1], [0, 1], [1, 1]]), "expected")
    >>> votes.item_index.tolist(), votes.labels.tolist(), votes.weight.tolist(), ties
    ([0, 0, 1], [[1, 0], [1, 1], [0, 1]], [0.5, 0.5, 1.0], 1)
    """
    unique_items, position = np.unique(items, return_inverse=True)
    votes = np.zeros((len(unique_items), sets.shape[1]))
    np.add.at(votes, position, sets)
    share = votes / np.bincount(position)[:, None]
    labels = (share > 0.5).astype(np.int64)
    tied = share == 0.5
    tied_items = tied.any(axis=1)
    if tie_rule == "expected":
        keep, labels, weight = _every_settlement(labels, tied, source)
    else:
        if tie_rule == "random":
            labels |= (tied & (np.random.default_rng(seed).random(tied.shape) < 0.5)).astype(np.int64)
        keep = np.flatnonzero(~tied_items) if tie_rule == "exclude" else np.arange(len(unique_items))
        labels, weight = labels[keep], np.ones(len(keep))
    return (Predictions(labels=labels, scores=share[keep], item_index=unique_items[keep], weight=weight),
            int(tied_items.sum()))


def _every_settlement(labels: np.ndarray, tied: np.ndarray,
                      source: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows (item position, labels, weight): an item with t tied labels becomes 2**t rows of weight 2**-t."""
    if (tied.sum(axis=1) > MAX_TIED_LABELS).any():
        raise DataError(f"{source}: an item has {int(tied.sum(axis=1).max())} tied labels (more than "
                        f"{MAX_TIED_LABELS}); tie_rule 'expected' would lay out 2**that rows for it; use "
                        "tie_rule: random or exclude")
    rows, row_labels, row_weight = [], [], []
    for i in range(len(labels)):
        columns = np.flatnonzero(tied[i])
        for settled in itertools.product((0, 1), repeat=len(columns)):
            own = labels[i].copy()
            own[columns] = settled
            rows.append(i)
            row_labels.append(own)
            row_weight.append(0.5 ** len(columns))
    return np.array(rows), np.array(row_labels), np.array(row_weight)


def agreement(items: np.ndarray, annotators: np.ndarray, sets: np.ndarray, classes: tuple[str, ...], *,
              min_shared: int) -> dict[str, dict[str, Any]]:
    """Each agreement statistic per label (yes/no), averaged over the labels where it is defined."""
    per_label = {name: panel_agreement(items, annotators, sets[:, j], 2, min_shared=min_shared)
                 for j, name in enumerate(classes)}
    result: dict[str, dict[str, Any]] = {}
    for statistic in ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha"):
        values = {name: stats[statistic]["value"] for name, stats in per_label.items()}
        defined = [v for v in values.values() if v is not None]
        result[statistic] = {
            "value": float(np.mean(defined)) if defined else None, "per_label": values,
            "note": f"mean over the {len(defined)} of {len(classes)} labels where it is defined, each label "
                    "a yes/no question",
        }
    return result
