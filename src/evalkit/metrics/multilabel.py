"""Multilabel metrics: pure functions over indicator matrices, equal to scikit-learn where it defines them.

Inputs, for ``n`` samples and ``L`` labels:

- ``Y``: truth, an ``(n, L)`` 0/1 indicator matrix;
- ``P``: predicted labels, an ``(n, L)`` 0/1 indicator matrix (metrics that need ``"labels"``);
- ``S``: scores, an ``(n, L)`` finite float matrix, higher = more likely (metrics that need ``"scores"``);
- ``sample_weight``: optional ``(n,)`` non-negative weights (bootstrap counts work), not all zero.

Direction is part of a metric's identity: ``hamming_loss`` and ``coverage_error`` are lower-is-better, every
other metric here is higher-is-better. :data:`MULTILABEL_METRICS` records it, with what each metric needs.

Undefined is NaN, never a made-up 0 (scikit-learn's ``zero_division=np.nan``):

- precision, recall and F1 are NaN when their denominator is 0; ``f1_macro`` averages over the labels
  where F1 is defined, as scikit-learn does with ``zero_division=np.nan``.
- Average precision is undefined for a label with no positive in the truth (or whose positives all have
  weight 0). ``map`` and ``map_weighted`` leave such labels out (:func:`excluded_labels` says which)
  instead of counting them as 0 as scikit-learn does; ``map`` then equals
  ``average_precision_score(Y[:, keep], S[:, keep], average="macro")``. ``map_weighted`` equals scikit-learn's
  ``average="weighted"`` as it is, since it gives such labels weight 0. ``map_micro`` and the ``map`` family
  are NaN when no label can be scored (scikit-learn returns 0 with a warning).

Rows with no true label follow scikit-learn: ``label_ranking_average_precision`` scores them 1 (as it does
rows where every label is true), ``coverage_error`` counts them as 0, ``subset_accuracy`` counts them as
correct only when nothing is predicted, and for every other metric they are ordinary rows whose labels are
all negatives.

Import the module rather than the names: ``map`` shadows the builtin.

>>> import numpy as np
>>> from evalkit.metrics import multilabel as ml
>>> Y = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])
>>> S = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.4], [0.6, 0.7, 0.2]])
>>> ml.map(Y, S), ml.excluded_labels(Y)
(1.0, [2])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from evalkit.errors import ConfigError, DataError

__all__ = [
    "MULTILABEL_METRICS",
    "MultilabelMetric",
    "compute",
    "coverage_error",
    "excluded_labels",
    "f1_macro",
    "f1_micro",
    "hamming_loss",
    "label_ranking_average_precision",
    "map",
    "map_micro",
    "map_weighted",
    "per_label_ap",
    "precision_micro",
    "recall_micro",
    "row_coverage",
    "row_lrap",
    "subset_accuracy",
]

Needs = Literal["labels", "scores"]


# --- validation -----------------------------------------------------------------------------------------


def _indicator(name: str, a: object, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``a`` as a float 0/1 matrix; raise DataError naming the argument and what is wrong."""
    arr = np.asarray(a)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DataError(
            f"{name} must be a non-empty 2-D (n_samples, n_labels) 0/1 matrix; got shape {arr.shape}"
        )
    if shape is not None and arr.shape != shape:
        raise DataError(
            f"{name} has shape {arr.shape} but Y has shape {shape}; give one row per sample, one "
            "column per label, in the same order"
        )
    if arr.dtype.kind not in "biuf" or not ((arr == 0) | (arr == 1)).all():
        raise DataError(f"{name} must contain only 0 and 1 (an indicator matrix); binarise it first")
    return arr.astype(np.float64)


def _scores(S: object, shape: tuple[int, ...]) -> np.ndarray:
    arr = np.asarray(S)
    if arr.shape != shape:
        raise DataError(
            f"S has shape {arr.shape} but Y has shape {shape}; give one score per sample and label"
        )
    if arr.dtype.kind not in "biuf":
        raise DataError(f"S must hold numbers; got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise DataError("S contains NaN or infinite scores; fill or drop them before scoring")
    return arr


def _weights(sample_weight: object, n: int) -> np.ndarray | None:
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
    if w.shape != (n,) or w.dtype.kind not in "biuf":
        raise DataError(f"sample_weight must be {n} numbers, one per row of Y; got shape {w.shape}")
    w = w.astype(np.float64)
    if not np.isfinite(w).all() or (w < 0).any():
        raise DataError("sample_weight must be finite and non-negative")
    if w.sum() == 0:
        raise DataError("sample_weight is 0 for every row; at least one row needs a positive weight")
    return w


def _labels_inputs(Y: object, P: object, sample_weight: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated (Y, P, w) with w all ones when no weights are given."""
    y = _indicator("Y", Y)
    p = _indicator("P", P, y.shape)
    w = _weights(sample_weight, y.shape[0])
    return y, p, np.ones(y.shape[0]) if w is None else w


def _scores_inputs(
    Y: object, S: object, sample_weight: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    y = _indicator("Y", Y)
    return y, _scores(S, y.shape), _weights(sample_weight, y.shape[0])


# --- shared cores ---------------------------------------------------------------------------------------


def _ap_columns(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Average precision of every column at once; NaN for a column without (weighted) positives.

    Same step integral as scikit-learn, AP = sum_k (R_k - R_(k-1)) P_k over distinct score thresholds,
    written per row: each positive adds its weight / total positive weight times the precision at the
    lowest score of its tie group (all tied rows enter together, so they share that precision).
    """
    n = y.shape[0]
    # Any sort will do: tied rows are scored together, so their order among themselves cannot matter.
    order = np.argsort(-s, axis=0)
    s_sorted = np.take_along_axis(s, order, axis=0)
    y_sorted = np.take_along_axis(y, order, axis=0)
    w_sorted = np.ones_like(y_sorted) if w is None else w[order]
    pos = y_sorted * w_sorted
    tp = np.cumsum(pos, axis=0)
    fp = np.cumsum(w_sorted - pos, axis=0)
    # For every row, the index of the last row of its tie group: the next "group end" at or below it.
    is_end = np.ones(s_sorted.shape, dtype=bool)
    is_end[:-1] = s_sorted[:-1] != s_sorted[1:]
    end_index = np.where(is_end, np.arange(n)[:, None], n)
    end_index = np.minimum.accumulate(end_index[::-1], axis=0)[::-1]
    tp_end = np.take_along_axis(tp, end_index, axis=0)
    predicted = tp_end + np.take_along_axis(fp, end_index, axis=0)
    # predicted == 0 only above every weighted row, where pos is 0 too; 0 keeps 0 * precision at 0.
    precision = np.divide(tp_end, predicted, out=np.zeros_like(tp_end), where=predicted != 0)
    total = tp[-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        ap = (pos * precision).sum(axis=0) / total
    ap[total == 0] = np.nan
    return ap


def _counts(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted true positives, false positives and false negatives per label."""
    tp = w @ (y * p)
    return tp, w @ p - tp, w @ y - tp


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray:
    """num / den with NaN where den == 0 (zero_division=np.nan)."""
    num, den = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    return np.divide(num, den, out=np.full(np.broadcast_shapes(num.shape, den.shape), np.nan), where=den != 0)


# --- average precision ----------------------------------------------------------------------------------


def per_label_ap(
    Y: np.ndarray, S: np.ndarray, *, sample_weight: np.ndarray | None = None
) -> dict[int, float | None]:
    """Average precision of each label (column index), ``None`` where the label has no positive.

    >>> per_label_ap(np.array([[1, 0], [0, 0]]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    {0: 1.0, 1: None}
    """
    ap = _ap_columns(*_scores_inputs(Y, S, sample_weight))
    return {j: None if np.isnan(v) else float(v) for j, v in enumerate(ap)}


def excluded_labels(Y: np.ndarray, *, sample_weight: np.ndarray | None = None) -> list[int]:
    """Labels (column indices) left out of ``map`` and ``map_weighted``: no positive with positive weight.

    >>> excluded_labels(np.array([[1, 0, 0], [1, 0, 1]]))
    [1]
    """
    y = _indicator("Y", Y)
    w = _weights(sample_weight, y.shape[0])
    support = y.sum(axis=0) if w is None else (w[:, None] * y).sum(axis=0)
    return [int(j) for j in np.flatnonzero(support == 0)]


def map(Y: np.ndarray, S: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Mean average precision over labels (macro), leaving out labels without positives; higher is better.

    >>> map(np.array([[1, 0, 0], [0, 1, 0]]), np.array([[0.9, 0.2, 0.5], [0.1, 0.3, 0.5]]))
    1.0
    """
    ap = _ap_columns(*_scores_inputs(Y, S, sample_weight))
    kept = ap[~np.isnan(ap)]
    return float(kept.mean()) if kept.size else float("nan")


def map_weighted(Y: np.ndarray, S: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Average precision averaged over labels weighted by their (weighted) number of positives.

    >>> map_weighted(np.array([[1, 1], [0, 1], [0, 0]]), np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]]))
    0.8888888888888888
    """
    y, s, w = _scores_inputs(Y, S, sample_weight)
    ap = _ap_columns(y, s, w)
    support = y.sum(axis=0) if w is None else (w[:, None] * y).sum(axis=0)
    keep = ~np.isnan(ap)
    return float(np.average(ap[keep], weights=support[keep])) if keep.any() else float("nan")


def map_micro(Y: np.ndarray, S: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Average precision of all (sample, label) pairs pooled into one ranking; NaN if Y has no positive.

    >>> map_micro(np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    1.0
    """
    y, s, w = _scores_inputs(Y, S, sample_weight)
    # Row-major ravel, so each row's weight repeats once per label (as scikit-learn's average="micro").
    w_flat = None if w is None else np.repeat(w, y.shape[1])
    return float(_ap_columns(y.reshape(-1, 1), s.reshape(-1, 1), w_flat)[0])


# --- label metrics --------------------------------------------------------------------------------------


def precision_micro(Y: np.ndarray, P: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Pooled precision TP / (TP + FP); NaN when nothing is predicted.

    >>> precision_micro(np.array([[1, 0], [0, 1]]), np.array([[1, 1], [0, 1]]))
    0.6666666666666666
    """
    tp, fp, _ = _counts(*_labels_inputs(Y, P, sample_weight))
    return float(_ratio(tp.sum(), tp.sum() + fp.sum()))


def recall_micro(Y: np.ndarray, P: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Pooled recall TP / (TP + FN); NaN when the truth has no positive.

    >>> recall_micro(np.array([[1, 0], [0, 1]]), np.array([[1, 0], [0, 0]]))
    0.5
    """
    tp, _, fn = _counts(*_labels_inputs(Y, P, sample_weight))
    return float(_ratio(tp.sum(), tp.sum() + fn.sum()))


def f1_micro(Y: np.ndarray, P: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Pooled F1 = 2 TP / (2 TP + FP + FN); NaN only when truth and prediction are both empty.

    >>> f1_micro(np.array([[1, 0], [0, 1]]), np.array([[1, 1], [0, 0]]))
    0.5
    """
    tp, fp, fn = _counts(*_labels_inputs(Y, P, sample_weight))
    # Same grouping as scikit-learn's F-beta: 2 TP / (true + predicted).
    return float(_ratio(2.0 * tp.sum(), (tp.sum() + fn.sum()) + (tp.sum() + fp.sum())))


def f1_macro(Y: np.ndarray, P: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Mean per-label F1 over labels where F1 is defined (some truth or some prediction); else NaN.

    >>> f1_macro(np.array([[1, 0], [1, 0]]), np.array([[1, 0], [0, 0]]))
    0.6666666666666666
    """
    tp, fp, fn = _counts(*_labels_inputs(Y, P, sample_weight))
    f1 = _ratio(2.0 * tp, (tp + fn) + (tp + fp))
    defined = f1[~np.isnan(f1)]
    return float(defined.mean()) if defined.size else float("nan")


def hamming_loss(Y: np.ndarray, P: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Fraction of (sample, label) cells predicted wrong; lower is better.

    >>> hamming_loss(np.array([[1, 0], [0, 1]]), np.array([[1, 1], [0, 1]]))
    0.25
    """
    y, p, w = _labels_inputs(Y, P, sample_weight)
    wrong = (y != p).sum(axis=1)
    return float((w * wrong).sum() / (w.sum() * y.shape[1]))


def subset_accuracy(Y: np.ndarray, P: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """Fraction of samples whose predicted label set equals the true one exactly.

    >>> subset_accuracy(np.array([[1, 0], [0, 1]]), np.array([[1, 0], [1, 1]]))
    0.5
    """
    y, p, w = _labels_inputs(Y, P, sample_weight)
    return float(np.average((y == p).all(axis=1), weights=w))


# --- ranking metrics ------------------------------------------------------------------------------------


def coverage_error(Y: np.ndarray, S: np.ndarray, *, sample_weight: np.ndarray | None = None) -> float:
    """How far down each sample's ranking one must go to cover all its true labels; lower is better.

    Ties count against the model (every tied label is covered together); a row with no true label counts 0.

    >>> coverage_error(np.array([[1, 0, 0], [0, 1, 1]]), np.array([[0.5, 0.5, 0.1], [0.9, 0.8, 0.7]]))
    2.5
    """
    y, s, w = _scores_inputs(Y, S, sample_weight)
    return float(np.average(row_coverage(y, s), weights=w))


def row_coverage(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Each row's coverage (validated float matrices in): :func:`coverage_error` is their weighted mean.

    >>> row_coverage(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.2, 0.9], [0.5, 0.1]])).tolist()
    [2.0, 0.0]
    """
    lowest_true = np.where(y == 1, s, np.inf).min(axis=1, keepdims=True)
    # 0 for rows without labels: nothing is >= inf
    return (s >= lowest_true).sum(axis=1).astype(np.float64)


def label_ranking_average_precision(
    Y: np.ndarray, S: np.ndarray, *, sample_weight: np.ndarray | None = None
) -> float:
    """Per sample, the mean over its true labels of the share of true labels ranked at or above it.

    Rows with no true label, or with every label true, score 1 (the ranking says nothing), as in scikit-learn.

    >>> Y, S = np.array([[1, 0, 0], [0, 0, 1]]), np.array([[0.75, 0.5, 1], [1, 0.2, 0.1]])
    >>> label_ranking_average_precision(Y, S)
    0.41666666666666663
    """
    y, s, w = _scores_inputs(Y, S, sample_weight)
    return float(np.average(row_lrap(y, s), weights=w))


def row_lrap(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Each row's label ranking average precision (validated float matrices in); the metric is their mean.

    >>> row_lrap(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.2, 0.9], [0.5, 0.1]])).tolist()
    [0.5, 1.0]
    """
    relevant = y == 1
    # rank: labels scored at least as high, ties counted against the model ("max" rank of -score).
    from scipy.stats import rankdata  # here, not at import: scipy.stats alone takes most of a second

    rank = rankdata(-s, method="max", axis=1)
    # Non-relevant labels sent to +inf rank after every relevant one, so this counts relevant labels only.
    rank_among_true = rankdata(np.where(relevant, -s, np.inf), method="max", axis=1)
    n_true = relevant.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_row = np.where(relevant, rank_among_true / rank, 0.0).sum(axis=1) / n_true
    per_row[(n_true == 0) | (n_true == y.shape[1])] = 1.0
    return per_row


# --- registry -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MultilabelMetric:
    """What the rest of evalkit needs to know about a metric: how to compute it and how to read it.

    >>> MULTILABEL_METRICS["hamming_loss"].higher_is_better
    False
    """

    name: str
    function: Callable[..., float]
    higher_is_better: bool
    needs: Needs  # "labels": call with P; "scores": call with S
    bounded_01: bool


MULTILABEL_METRICS: dict[str, MultilabelMetric] = {
    m.name: m
    for m in [
        MultilabelMetric("map", map, True, "scores", True),
        MultilabelMetric("map_weighted", map_weighted, True, "scores", True),
        MultilabelMetric("map_micro", map_micro, True, "scores", True),
        MultilabelMetric("f1_micro", f1_micro, True, "labels", True),
        MultilabelMetric("f1_macro", f1_macro, True, "labels", True),
        MultilabelMetric("precision_micro", precision_micro, True, "labels", True),
        MultilabelMetric("recall_micro", recall_micro, True, "labels", True),
        MultilabelMetric("hamming_loss", hamming_loss, False, "labels", True),
        MultilabelMetric("subset_accuracy", subset_accuracy, True, "labels", True),
        MultilabelMetric("coverage_error", coverage_error, False, "scores", False),
        MultilabelMetric(
            "label_ranking_average_precision", label_ranking_average_precision, True, "scores", True
        ),
    ]
}


def compute(
    name: str,
    Y: np.ndarray,
    *,
    P: np.ndarray | None = None,
    S: np.ndarray | None = None,
    sample_weight: np.ndarray | None = None,
) -> float:
    """Compute the metric called ``name``, passing it ``P`` or ``S`` according to what it needs.

    >>> compute("f1_micro", np.array([[1, 0], [0, 1]]), P=np.array([[1, 0], [0, 1]]))
    1.0
    """
    metric = MULTILABEL_METRICS.get(name)
    if metric is None:
        raise ConfigError(
            f"unknown multilabel metric {name!r}; choose one of {', '.join(MULTILABEL_METRICS)}"
        )
    second = P if metric.needs == "labels" else S
    if second is None:
        wanted = "predicted labels (P)" if metric.needs == "labels" else "scores (S)"
        other = S if metric.needs == "labels" else P
        have = (
            "no predictions"
            if other is None
            else ("only scores" if metric.needs == "labels" else "only labels")
        )
        raise ConfigError(
            f"metric {name!r} needs {wanted} but was given {have}; supply them or choose another metric"
        )
    return metric.function(Y, second, sample_weight=sample_weight)
