"""ROC AUC and average precision of many resamples from one sort of the scores.

The scores are sorted once per entry. A resample only changes item weights, so its ranking
metrics follow from cumulative weighted counts along that fixed order:

* ``TP_i``: positive weight with score >= s_i, and ``FP_i``: negative weight with score >= s_i, for
  each positive item i. Items with equal scores form one threshold, exactly as in scikit-learn's
  ``_binary_clf_curve`` (``np.diff(sorted_scores) != 0``), so ties are grouped, not ordered.
* Average precision ``= sum_i w_i TP_i / (TP_i + FP_i) / P``, the step integral of
  ``average_precision_score``: each threshold adds its recall step times its precision.
* ROC AUC ``= U / (P N)`` with ``U = P N - sum_i w_i (FP_i + FP'_i) / 2`` and ``FP'_i`` the negative
  weight with score > s_i: the Mann-Whitney count of (positive, negative) pairs ranked correctly,
  ties counting one half, which equals the trapezoid area under ``roc_curve``.

``P`` and ``N`` are the resample's positive and negative weights. All counts are integers held
exactly in float64, so U is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RankingPlan:
    """The sort of one score vector against binary truth, reused by every resample.

    Attributes
    ----------
    pos_order, neg_order : ndarray
        Item indices of the positives / negatives, by descending score.
    tp_upto : ndarray or None
        For each positive (in ``pos_order``), the number of positives with score >= its score;
        None when positive scores are all distinct (then it is ``1..P``).
    fp_upto, fp_above : ndarray
        For each positive, the number of negatives with score >= / > its score. ``fp_above`` is
        None when no positive ties a negative (then it equals ``fp_upto``).
    """

    pos_order: np.ndarray
    neg_order: np.ndarray
    tp_upto: np.ndarray | None
    fp_upto: np.ndarray
    fp_above: np.ndarray | None


def ranking_plan(positive: np.ndarray, scores: np.ndarray) -> RankingPlan:
    """Sort ``scores`` once for the binary truth ``positive`` (bool array)."""
    # Ascending order of -score is descending order of score; negation is exact, and -0.0 == 0.0
    # keeps the two zeros in one threshold as np.diff does.
    key = -np.asarray(scores, dtype=np.float64)
    order = np.argsort(key, kind="stable")  # the one sort; each class keeps its items in this order
    pos_order = order[positive[order]]
    neg_order = order[~positive[order]]
    kp = key[pos_order]
    kn = key[neg_order]
    tp_upto = np.searchsorted(kp, kp, side="right")
    fp_upto = np.searchsorted(kn, kp, side="right")
    fp_above = np.searchsorted(kn, kp, side="left")
    return RankingPlan(
        pos_order=pos_order,
        neg_order=neg_order,
        tp_upto=None if np.array_equal(tp_upto, np.arange(1, kp.size + 1)) else tp_upto,
        fp_upto=fp_upto,
        fp_above=None if np.array_equal(fp_above, fp_upto) else fp_above,
    )


def _cumulative(weights: np.ndarray) -> np.ndarray:
    # Cumulative weights with a leading zero column, so index j means "the first j items".
    out = np.zeros((weights.shape[0], weights.shape[1] + 1), dtype=np.int32)
    np.cumsum(weights, axis=1, dtype=np.int32, out=out[:, 1:])
    return out


def ranking_values(
    plan: RankingPlan, weights: np.ndarray, *, auc: bool = True, ap: bool = True
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """ROC AUC and average precision for each row of ``weights`` (shape ``(b, n)``).

    Returns ``(roc_auc, average_precision)``, each of shape ``(b,)`` or None when not requested.
    ROC AUC is NaN without both classes; average precision is NaN without positives (undefined:
    scikit-learn warns and returns 0.0, which would drag a bootstrap interval down to 0) and 1.0
    without negatives, as scikit-learn returns.
    """
    wp = np.take(weights, plan.pos_order, axis=1)
    wn = np.take(weights, plan.neg_order, axis=1)
    tp0 = _cumulative(wp)
    fp0 = _cumulative(wn)
    n_pos = tp0[:, -1].astype(np.float64)
    n_neg = fp0[:, -1].astype(np.float64)
    fp_upto = np.take(fp0, plan.fp_upto, axis=1)
    auc_values = ap_values = None
    if auc:
        fp_sum = np.einsum("ij,ij->i", wp, fp_upto, dtype=np.float64)
        if plan.fp_above is not None:
            fp_above = np.take(fp0, plan.fp_above, axis=1)
            fp_sum = 0.5 * (fp_sum + np.einsum("ij,ij->i", wp, fp_above, dtype=np.float64))
        pairs = n_pos * n_neg
        auc_values = np.full(pairs.shape, np.nan)
        np.divide(pairs - fp_sum, pairs, out=auc_values, where=pairs > 0)
    if ap:
        tp_upto = tp0[:, 1:] if plan.tp_upto is None else np.take(tp0, plan.tp_upto, axis=1)
        denominator = tp_upto + fp_upto
        # A zero denominator means no weight yet, hence tp_upto = 0 and w = 0: the term is 0.
        np.maximum(denominator, 1, out=denominator)
        precision_sum = np.einsum("ij,ij->i", wp, tp_upto / denominator, dtype=np.float64)
        ap_values = np.full(n_pos.shape, np.nan)
        np.divide(precision_sum, n_pos, out=ap_values, where=n_pos > 0)
    return auc_values, ap_values
