"""Threshold metrics of many resamples from their weighted confusion matrices.

Each item falls in one cell ``k * y_true + label`` of the k x k confusion matrix. The confusion
matrix of a resample is the weighted count of items per cell, one ``np.bincount`` per block of
resamples; every threshold metric is then arithmetic on those counts, mirroring
scikit-learn's ``precision_recall_fscore_support`` and ``balanced_accuracy_score``.
"""

from __future__ import annotations

import numpy as np


def confusion_matrices(cells: np.ndarray, n_classes: int, weights: np.ndarray) -> np.ndarray:
    """Weighted confusion matrices, shape ``(b, k, k)``, rows = true class, columns = predicted.

    Parameters
    ----------
    cells : ndarray of shape (n,)
        ``n_classes * y_true + labels`` for each item.
    n_classes : int
        ``k``.
    weights : ndarray of shape (b, n)
        Non-negative item weights, one row per resample.

    Returns
    -------
    ndarray of shape (b, k, k), float64 holding exact integer counts.
    """
    b = weights.shape[0]
    m = n_classes * n_classes
    if b == 1:
        counts = np.bincount(cells, weights=weights[0], minlength=m)
    else:
        # One bincount for the whole block: row i's cells are shifted into bins [i*m, (i+1)*m).
        flat = (np.arange(b, dtype=np.int64)[:, None] * m + cells[None, :]).ravel()
        counts = np.bincount(flat, weights=weights.ravel(), minlength=b * m)
    return counts.reshape(b, n_classes, n_classes)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    # scikit-learn's zero_division=np.nan: a ratio with a zero denominator is undefined.
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _nanmean(values: np.ndarray) -> np.ndarray:
    # Mean over classes ignoring undefined ones (scikit-learn's _nanaverage), NaN if none is defined.
    defined = ~np.isnan(values)
    count = defined.sum(axis=1)
    total = np.where(defined, values, 0.0).sum(axis=1)
    return _ratio(total, count)


def _weighted_nanmean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    defined = ~np.isnan(values)
    w = np.where(defined, weights, 0.0)
    weighted = _ratio(np.where(defined, values * weights, 0.0).sum(axis=1), w.sum(axis=1))
    # scikit-learn falls back to the plain mean when the defined classes all have zero weight.
    return np.where(w.sum(axis=1) > 0, weighted, _nanmean(values))


def confusion_metric_values(task: str, names: list[str], cm: np.ndarray) -> dict[str, np.ndarray]:
    """Threshold metrics ``names`` from confusion matrices ``cm`` of shape ``(b, k, k)``.

    Binary precision, recall and f1 are those of class 1; multiclass ``*_macro`` average over all k
    classes ignoring undefined ones, ``f1_weighted`` weights them by true-class support.
    """
    total = cm.sum(axis=(1, 2))
    tp = np.diagonal(cm, axis1=1, axis2=2)
    true = cm.sum(axis=2)
    pred = cm.sum(axis=1)
    recall = _ratio(tp, true)
    out: dict[str, np.ndarray] = {}
    for name in names:
        if name == "accuracy":
            out[name] = _ratio(tp.sum(axis=1), total)
        elif name == "balanced_accuracy":
            # Mean recall over the classes present in y_true (recall is NaN for the others).
            out[name] = _nanmean(recall)
        elif name in ("precision", "precision_macro"):
            precision = _ratio(tp, pred)
            out[name] = precision[:, 1] if task == "binary" else _nanmean(precision)
        elif name in ("recall", "recall_macro"):
            out[name] = recall[:, 1] if task == "binary" else _nanmean(recall)
        elif name in ("f1", "f1_macro", "f1_weighted"):
            # scikit-learn's form: 2 tp / (true + pred), NaN when the class is neither true nor predicted.
            f1 = _ratio(2.0 * tp, true + pred)
            if name == "f1":
                out[name] = f1[:, 1]
            elif name == "f1_macro":
                out[name] = _nanmean(f1)
            else:
                out[name] = _weighted_nanmean(f1, true)
        else:  # pragma: no cover - names are validated against the catalog first
            raise KeyError(name)
    return out
