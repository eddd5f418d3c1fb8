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
    at : ndarray
        For each item, its position in ``pos_order`` or in ``neg_order``.
    tp_ge, tp_gt : ndarray
        For each negative (in ``neg_order``), the number of positives with score >= / > its score.
    rank : ndarray
        For each item, its dense rank by descending score (tied items share one).
    positive : ndarray
        For each item, whether it is a positive (kept so that every resample does not rebuild it).
    """

    pos_order: np.ndarray
    neg_order: np.ndarray
    tp_upto: np.ndarray | None
    fp_upto: np.ndarray
    fp_above: np.ndarray | None
    at: np.ndarray
    tp_ge: np.ndarray
    tp_gt: np.ndarray
    rank: np.ndarray
    positive: np.ndarray


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
    at = np.empty(key.size, dtype=np.int64)
    at[pos_order] = np.arange(pos_order.size)
    at[neg_order] = np.arange(neg_order.size)
    rank = np.empty(key.size, dtype=np.int64)
    rank[order] = np.concatenate([[0], np.cumsum(np.diff(key[order]) != 0)])
    return RankingPlan(
        pos_order=pos_order,
        neg_order=neg_order,
        tp_upto=None if np.array_equal(tp_upto, np.arange(1, kp.size + 1)) else tp_upto,
        fp_upto=fp_upto,
        fp_above=None if np.array_equal(fp_above, fp_upto) else fp_above,
        at=at,
        tp_ge=np.searchsorted(kp, kn, side="right"),
        tp_gt=np.searchsorted(kp, kn, side="left"),
        rank=rank,
        positive=np.asarray(positive, dtype=bool),
    )


def _cumulative(weights: np.ndarray) -> np.ndarray:
    # Cumulative weights with a leading zero column, so index j means "the first j items".
    out = np.zeros((weights.shape[0], weights.shape[1] + 1), dtype=np.int32)
    np.cumsum(weights, axis=1, dtype=np.int32, out=out[:, 1:])
    return out


def ranking_values(
    plan: RankingPlan,
    weights: np.ndarray,
    *,
    auc: bool = True,
    ap: bool = True,
    auc_changes: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    counted: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """ROC AUC and average precision for each row of ``weights`` (shape ``(b, n)``).

    With ``auc_changes = (rows, items, deltas)``, ROC AUC is that of the weights changed by them
    (``weights[rows[k], items[k]] += deltas[k]``; the stratified resamples), from the counts
    already made for ``weights``: see :func:`_changed_pair_count`.

    ``counted = (wp, wn, tp0, fp0)`` are the gathered weights and their cumulative sums when a
    compiled pass has made them already (``numba_kernels.ranked_counts``: the same integers).

    Returns ``(roc_auc, average_precision)``, each of shape ``(b,)`` or None when not requested.
    ROC AUC is NaN without both classes; average precision is NaN without positives (undefined:
    scikit-learn warns and returns 0.0, which would drag a bootstrap interval down to 0) and 1.0
    without negatives, as scikit-learn returns.
    """
    if counted is None:
        wp = np.take(weights, plan.pos_order, axis=1)
        wn = np.take(weights, plan.neg_order, axis=1)
        tp0 = _cumulative(wp)
        fp0 = _cumulative(wn)
    else:
        wp, wn, tp0, fp0 = counted
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
        if auc_changes is not None:
            fp_sum, n_pos_auc, n_neg_auc = _changed_pair_count(plan, tp0, fp0, fp_sum, auc_changes)
            pairs = n_pos_auc * n_neg_auc
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


def _changed_pair_count(
    plan: RankingPlan,
    tp0: np.ndarray,
    fp0: np.ndarray,
    fp_sum: np.ndarray,
    changes: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The discordant pair count and class totals after sparse weight changes, without a new sort.

    The count is bilinear in the weights: ``D = sum_ij wp_i wn_j c_ij`` with ``c_ij`` 1 when negative
    ``j`` scores above positive ``i`` and 1/2 on a tie. With ``wp + dp`` and ``wn + dn`` it becomes
    ``D + sum_i dp_i F_i + sum_j dn_j G_j + sum_ij dp_i dn_j c_ij``, where ``F_i = (FP>=_i + FP>_i) / 2``
    and ``G_j = P - (TP>=_j + TP>_j) / 2`` are read off the cumulative counts ``tp0``/``fp0`` already
    made, and the last term pairs only the changed items, by one sort of them.
    """
    rows, items, deltas = changes
    b = fp_sum.shape[0]
    n_pos = tp0[:, -1].astype(np.float64)
    n_neg = fp0[:, -1].astype(np.float64)
    if rows.size == 0:
        return fp_sum, n_pos, n_neg
    positive = plan.positive[items]
    d = deltas.astype(np.float64)
    rp, ip, dp = rows[positive], plan.at[items[positive]], d[positive]
    rn, jn, dn = rows[~positive], plan.at[items[~positive]], d[~positive]
    above = plan.fp_upto if plan.fp_above is None else plan.fp_above
    f = 0.5 * (fp0[rp, plan.fp_upto[ip]] + fp0[rp, above[ip]])
    g = n_pos[rn] - 0.5 * (tp0[rn, plan.tp_ge[jn]] + tp0[rn, plan.tp_gt[jn]])
    out = fp_sum + np.bincount(rp, weights=dp * f, minlength=b) + np.bincount(rn, weights=dn * g, minlength=b)
    if rp.size and rn.size:
        # For each changed negative, the changed positive weight in its row ranked below it (a larger
        # rank), ties counting one half: cumulative sums over the changed positives sorted by (row, rank).
        span = int(plan.rank.max()) + 2
        key_p = rp * span + plan.rank[items[positive]]
        order = np.argsort(key_p, kind="stable")
        key_p = key_p[order]
        running = np.concatenate([[0.0], np.cumsum(dp[order])])
        key_n = rn * span + plan.rank[items[~positive]]
        row_end = np.searchsorted(key_p, (rn + 1) * span, side="left")
        tie_end = np.searchsorted(key_p, key_n, side="right")
        tie_start = np.searchsorted(key_p, key_n, side="left")
        below = running[row_end] - running[tie_end] + 0.5 * (running[tie_end] - running[tie_start])
        out = out + np.bincount(rn, weights=dn * below, minlength=b)
    return (out, n_pos + np.bincount(rp, weights=dp, minlength=b),
            n_neg + np.bincount(rn, weights=dn, minlength=b))
