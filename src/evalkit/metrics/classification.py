"""Classification metrics as thin wrappers of scikit-learn, the reference implementation.

Convention (as in scikit-learn): ``*_score``-style metrics are higher-is-better, losses are
lower-is-better; the registry records the direction. Every function has the signature
``fn(y_true, y_pred_or_scores, *, n_classes, sample_weight=None) -> float``; undefined values are NaN
(e.g. precision with no predicted positive), which the caller reports as null with a reason.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import numpy as np


class _Deferred:
    """``sklearn.metrics``, imported on first use: the registry (and with it the gate and every
    ``--help``) imports this module, and none of them computes a metric."""

    _module: ModuleType | None = None

    def __getattr__(self, name: str):
        if self._module is None:
            type(self)._module = importlib.import_module("sklearn.metrics")
        return getattr(self._module, name)


skm = _Deferred()

Array = np.ndarray


def _range(n_classes: int) -> list[int]:
    return list(range(n_classes))


def accuracy(y_true: Array, y_pred: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    return float(skm.accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def balanced_accuracy(y_true: Array, y_pred: Array, *, n_classes: int,
                      sample_weight: Array | None = None) -> float:
    return float(skm.balanced_accuracy_score(y_true, y_pred, sample_weight=sample_weight))


def precision(y_true: Array, y_pred: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    return float(skm.precision_score(y_true, y_pred, labels=[0, 1], pos_label=1, zero_division=np.nan,
                                     sample_weight=sample_weight))


def recall(y_true: Array, y_pred: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    return float(skm.recall_score(y_true, y_pred, labels=[0, 1], pos_label=1, zero_division=np.nan,
                                  sample_weight=sample_weight))


def f1(y_true: Array, y_pred: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    return float(skm.f1_score(y_true, y_pred, labels=[0, 1], pos_label=1, zero_division=np.nan,
                              sample_weight=sample_weight))


def roc_auc(y_true: Array, scores: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    if len(np.unique(y_true)) < 2:
        return float("nan")
    return float(skm.roc_auc_score(y_true, scores, sample_weight=sample_weight))


def average_precision(y_true: Array, scores: Array, *, n_classes: int,
                      sample_weight: Array | None = None) -> float:
    if not np.any(y_true == 1):
        return float("nan")
    return float(skm.average_precision_score(y_true, scores, sample_weight=sample_weight))


def log_loss(y_true: Array, scores: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    return float(skm.log_loss(y_true, scores, labels=_range(n_classes), sample_weight=sample_weight))


def brier(y_true: Array, scores: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    return float(skm.brier_score_loss(y_true, scores, pos_label=1, sample_weight=sample_weight))


def _macro(fn_name: str, average: str):
    def metric(y_true: Array, y_pred: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
        sk_fn = getattr(skm, fn_name)
        return float(sk_fn(y_true, y_pred, labels=_range(n_classes), average=average, zero_division=np.nan,
                           sample_weight=sample_weight))

    metric.__name__ = f"{fn_name.removesuffix('_score')}_{average}"
    metric.__doc__ = f"scikit-learn ``{fn_name}(average='{average}')`` over all classes of the truth."
    return metric


precision_macro = _macro("precision_score", "macro")
recall_macro = _macro("recall_score", "macro")
f1_macro = _macro("f1_score", "macro")
f1_weighted = _macro("f1_score", "weighted")


def roc_auc_ovr(y_true: Array, scores: Array, *, n_classes: int, sample_weight: Array | None = None) -> float:
    if len(np.unique(y_true)) < n_classes:
        return float("nan")
    return float(skm.roc_auc_score(y_true, scores, multi_class="ovr", average="macro",
                                   labels=_range(n_classes), sample_weight=sample_weight))
