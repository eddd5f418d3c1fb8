"""Log loss and Brier score of many resamples as weighted means of per-item losses.

The per-item losses reproduce scikit-learn 1.9's arithmetic (``_log_loss``, ``brier_score_loss``):

* log loss clips every probability to ``[eps, 1 - eps]`` with ``eps = np.finfo(float64).eps``,
  after forming ``1 - p`` for the binary negative class, and does not renormalise the rows;
  only the true class's column contributes (``xlogy`` of the one-hot labels).
* Brier (binary) is half the mean over items of ``((1 - y) - (1 - p))**2 + (y - p)**2``.
"""

from __future__ import annotations

import numpy as np


def item_losses(task: str, name: str, y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Per-item loss of metric ``name`` (``log_loss`` or ``brier``), shape ``(n,)``.

    The metric value of a resample is ``0.5 * mean`` for Brier and ``mean`` for log loss, see
    :func:`loss_values`.
    """
    eps = np.finfo(np.float64).eps
    if name == "log_loss":
        if task == "binary":
            p_true = np.where(y_true == 1, np.clip(scores, eps, 1 - eps), np.clip(1 - scores, eps, 1 - eps))
        else:
            p_true = np.clip(scores[np.arange(y_true.shape[0]), y_true], eps, 1 - eps)
        return -np.log(p_true)
    if name == "brier":
        y = y_true.astype(np.float64)
        return ((1 - y) - (1 - scores)) ** 2 + (y - scores) ** 2
    raise KeyError(name)  # pragma: no cover - names are validated against the catalog first


def loss_values(name: str, losses: np.ndarray, weights: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Weighted mean loss per row of ``weights`` (shape ``(b, n)``); ``totals`` are the row sums."""
    sums = np.einsum("ij,j->i", weights, losses, dtype=np.float64)
    out = np.full(sums.shape, np.nan)
    np.divide(sums, totals, out=out, where=totals > 0)
    if name == "brier":
        # scikit-learn halves after averaging (scale_by_half for binary targets).
        out *= 0.5
    return out
