"""Inter-annotator agreement: how far a panel agrees beyond chance, a direct estimate of label noise.

Three standard statistics, each computed by a maintained library rather than re-derived here:

- **Cohen's kappa** (statsmodels, from each pair's confusion table; it agrees with scikit-learn's
  ``cohen_kappa_score`` and is ~30x faster, which matters for crowd panels with thousands of pairs)
  for every pair of annotators who share at least ``min_shared`` items, then the unweighted mean over
  those pairs (Light's kappa). Pairs whose kappa is undefined (both gave one and the same class
  throughout) are counted, not averaged.
- **Fleiss' kappa** (statsmodels). It assumes the same number of labels on every item; when items
  carry different numbers of labels it is computed on the items with the most common count (at
  least 2) and says how many items that is.
- **Krippendorff's alpha**, nominal (the ``krippendorff`` package). It allows any number of labels
  per item, so it is the one to quote when annotators labelled different subsets.

Inputs are parallel arrays with one row per (item, annotator): item ids, annotator ids and class
codes ``0 .. n_classes-1``. Each statistic returns a plain dict: ``value`` (None when undefined) and
the facts needed to read it (items, pairs) plus a ``note`` when the value needs a caveat. Only labels
are used, never the truth: agreement says how noisy labels are, not how correct.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
from scipy import sparse
from statsmodels.stats.inter_rater import cohens_kappa as _statsmodels_cohen
from statsmodels.stats.inter_rater import fleiss_kappa as _statsmodels_fleiss

DEFAULT_MIN_SHARED = 10


def label_counts(items: np.ndarray, labels: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct items and an (items x classes) table of how many labels each class got.

    >>> ids, counts = label_counts(np.array([7, 7, 3]), np.array([1, 0, 1]), 2)
    >>> ids.tolist(), counts.tolist()
    ([3, 7], [[0, 1], [1, 1]])
    """
    unique_items, position = np.unique(items, return_inverse=True)
    counts = np.zeros((len(unique_items), n_classes), dtype=np.int64)
    np.add.at(counts, (position, labels), 1)
    return unique_items, counts


def cohen_kappa_mean(items: np.ndarray, annotators: np.ndarray, labels: np.ndarray, n_classes: int, *,
                     min_shared: int = DEFAULT_MIN_SHARED) -> dict[str, Any]:
    """Mean of Cohen's kappa over annotator pairs that share at least ``min_shared`` items.

    >>> r = cohen_kappa_mean(np.array([0, 1, 2, 3] * 2), np.array(["a"] * 4 + ["b"] * 4),
    ...                      np.array([0, 0, 1, 1, 0, 1, 1, 1]), 2, min_shared=4)
    >>> r["value"], r["pairs"]
    (0.5, 1)
    """
    frame = pd.DataFrame({"item": items, "annotator": annotators, "label": labels})
    by_annotator = {name: (rows["item"].to_numpy(), rows["label"].to_numpy())
                    for name, rows in frame.sort_values("item").groupby("annotator", sort=True)}
    names = list(by_annotator)
    shared = _shared_counts(frame, names)
    first, second = np.nonzero(np.triu(shared >= min_shared, k=1))
    kappas: list[float] = []
    undefined = 0
    for i, j in zip(first, second, strict=True):
        items_i, labels_i = by_annotator[names[i]]
        items_j, labels_j = by_annotator[names[j]]
        _, at_i, at_j = np.intersect1d(items_i, items_j, assume_unique=True, return_indices=True)
        table = np.zeros((n_classes, n_classes))
        np.add.at(table, (labels_i[at_i], labels_j[at_j]), 1)
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore")  # a 0/0 kappa (one shared class throughout) is counted instead
            kappa = float(_statsmodels_cohen(table, return_results=False))
        if np.isfinite(kappa):
            kappas.append(float(kappa))
        else:
            undefined += 1
    result: dict[str, Any] = {"value": float(np.mean(kappas)) if kappas else None, "pairs": len(kappas),
                              "min_shared_items": min_shared}
    if kappas:
        result |= {"min": min(kappas), "median": float(np.median(kappas)), "max": max(kappas)}
    if undefined:
        result["pairs_undefined"] = undefined
    if not kappas:
        result["note"] = (f"no pair of annotators shares {min_shared}+ items with a defined kappa"
                          if len(names) > 1 else "needs at least two annotators")
    return result


def _shared_counts(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """(annotators x annotators) counts of items labelled by both; sparse, so big panels stay cheap."""
    row = pd.Categorical(frame["annotator"], categories=names).codes
    column = pd.factorize(frame["item"])[0]
    present = sparse.csr_matrix((np.ones(len(frame), dtype=np.int64), (row, column)),
                                shape=(len(names), int(column.max()) + 1 if len(frame) else 0))
    return (present @ present.T).toarray()


def fleiss_kappa(items: np.ndarray, labels: np.ndarray, n_classes: int) -> dict[str, Any]:
    """Fleiss' kappa over the items that carry the most common number of labels (at least 2).

    >>> r = fleiss_kappa(np.repeat([0, 1, 2], 3), np.array([0, 0, 0, 0, 0, 1, 1, 1, 1]), 2)
    >>> round(r["value"], 4), r["items"], r["labels_per_item"]
    (0.55, 3, 3)
    """
    _, counts = label_counts(items, labels, n_classes)
    per_item = counts.sum(axis=1)
    rated = per_item >= 2
    if not rated.any():
        return {"value": None, "items": 0, "note": "no item has two or more labels"}
    # Most common count first; among equally common counts the larger one (more raters, less noise).
    tally = Counter(per_item[rated].tolist())
    k = max(tally, key=lambda n: (tally[n], n))
    table = counts[per_item == k]
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")
        value = float(_statsmodels_fleiss(table, method="fleiss"))
    result: dict[str, Any] = {"value": value if np.isfinite(value) else None, "items": len(table),
                              "labels_per_item": k}
    if len(table) < int(rated.sum()):
        result["note"] = (f"over the {len(table)} of {int(rated.sum())} multiply-labelled items that have "
                          f"exactly {k} labels, as Fleiss' kappa needs a fixed number per item")
    if not np.isfinite(value):
        result["note"] = "undefined: every label is the same class"
    return result


def krippendorff_alpha(items: np.ndarray, labels: np.ndarray, n_classes: int) -> dict[str, Any]:
    """Krippendorff's alpha for nominal labels; items with a single label do not count (not pairable).

    >>> r = krippendorff_alpha(np.repeat([0, 1, 2], 3), np.array([0, 0, 0, 0, 0, 1, 1, 1, 1]), 2)
    >>> round(r["value"], 4), r["items"]
    (0.6, 3)
    """
    _, counts = label_counts(items, labels, n_classes)
    pairable = counts[counts.sum(axis=1) >= 2]
    if len(pairable) == 0 or np.count_nonzero(pairable.sum(axis=0)) < 2:
        note = "no item has two or more labels" if len(pairable) == 0 else \
            "undefined: every label is the same class"
        return {"value": None, "items": len(pairable), "note": note}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = float(krippendorff.alpha(value_counts=pairable, value_domain=list(range(n_classes)),
                                         level_of_measurement="nominal"))
    return {"value": value if np.isfinite(value) else None, "items": len(pairable)}


def panel_agreement(items: np.ndarray, annotators: np.ndarray, labels: np.ndarray, n_classes: int, *,
                    min_shared: int = DEFAULT_MIN_SHARED) -> dict[str, dict[str, Any]]:
    """All three statistics for one panel, keyed ``cohen_kappa``, ``fleiss_kappa``, ``krippendorff_alpha``."""
    return {
        "cohen_kappa": cohen_kappa_mean(items, annotators, labels, n_classes, min_shared=min_shared),
        "fleiss_kappa": fleiss_kappa(items, labels, n_classes),
        "krippendorff_alpha": krippendorff_alpha(items, labels, n_classes),
    }
