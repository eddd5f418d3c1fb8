"""Items no classification metric can tell apart, merged into one weighted item for the bootstrap.

Scores written with a few decimals, a tree's leaf probabilities, a rule's labels: at a million items
an entry often has far fewer distinct rows (truth, label, scores, per-item cost amounts) than items.
Every metric of this task is a sum over items of the item's weight times something that depends only
on its row, or a function of such sums along the score order in which tied scores form one threshold.
So the metrics of a resample equal those of the distinct rows, each weighted by the summed weights of
its items. In counts (confusion matrices, ROC AUC's pair counts) that is exact; losses, calibration
and average precision add the same terms in another order, so they agree to float rounding (~1e-15).

One gather and one segmented sum per resample then replace the per-item gathers and cumulative sums of
the ranking metrics: at a million items with scores to three decimals, about 2 ms per resample and
entry instead of about 50.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from evalkit.predictions import Predictions
from evalkit.uncertainty.compiled import kernels

# Merge only when it shrinks the rows to at most this share: the extra gather costs about as much
# as the evaluator saves when nearly every row is distinct.
MAX_SHARE = 0.5


@dataclass(frozen=True)
class ItemGroups:
    """A partition of the items into groups of equal rows.

    Attributes
    ----------
    order : ndarray
        Item indices sorted so that each group is contiguous.
    starts : ndarray
        Position in ``order`` at which each group starts.
    of_item : ndarray
        The group of each item.
    """

    order: np.ndarray
    starts: np.ndarray
    of_item: np.ndarray

    @property
    def size(self) -> int:
        """Number of groups."""
        return int(self.starts.size)

    @property
    def first(self) -> np.ndarray:
        """One item of each group, which stands for all of them."""
        return self.order[self.starts]

    def weights(self, block: np.ndarray) -> np.ndarray:
        """Item weights ``(b, n)`` summed within each group: int32 of shape ``(b, size)``."""
        compiled = kernels(block.shape[1])
        if compiled is not None:
            return compiled.group_sums(block, self.of_item, self.size)
        return np.add.reduceat(np.take(block, self.order, axis=1), self.starts, axis=1, dtype=np.int32)

    def changes(
        self, changes: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """Sparse weight changes ``(rows, items, deltas)`` of items as changes of their groups."""
        if changes is None:
            return None
        rows, items, deltas = changes
        return rows, self.of_item[items], deltas


def item_groups(columns: Sequence[np.ndarray | None], *, max_share: float = MAX_SHARE) -> ItemGroups | None:
    """Group the items equal in every column, or None when fewer than ``1 / max_share`` items per group.

    ``columns`` are per-item arrays of equal length (None entries are skipped); a 2-d array counts as
    its columns. Floats compare by value, so ``-0.0`` and ``0.0`` share a group (as they share a
    threshold in the ranking metrics) and every NaN is a group of its own.

    Examples
    --------
    >>> g = item_groups([np.array([0, 1, 0, 0]), np.array([0.5, 0.2, 0.5, 0.5])])
    >>> g.size, g.of_item.tolist()
    (2, [1, 0, 1, 1])
    """
    keys: list[np.ndarray] = []
    for column in columns:
        if column is None:
            continue
        array = np.asarray(column)
        keys.extend(array.T if array.ndim == 2 else [array])
    if not keys or keys[0].size == 0:
        return None
    n = keys[0].size
    limit = max_share * n
    for key in keys:
        # Each column alone bounds the groups from below: one cheap sort rules out continuous scores.
        if key.dtype.kind == "f" and np.count_nonzero(np.diff(np.sort(key))) + 1 > limit:
            return None
    # The last key sorts first: the first column (the truth) varies fastest within equal scores.
    order = np.lexsort(keys)
    new_group = np.zeros(n, dtype=bool)
    new_group[0] = True
    for key in keys:
        sorted_key = key[order]
        new_group[1:] |= sorted_key[1:] != sorted_key[:-1]
    starts = np.flatnonzero(new_group)
    if starts.size > limit:
        return None
    of_item = np.empty(n, dtype=np.int64)
    of_item[order] = np.cumsum(new_group) - 1
    return ItemGroups(order=order, starts=starts, of_item=of_item)


def collapsed_predictions(predictions: Predictions, y_rows: np.ndarray) -> Predictions:
    """``predictions`` with its equal rows merged into one row weighted by their summed weight.

    Scikit-learn's metrics with ``sample_weight`` then see the same thresholds and the same weighted
    counts as on every row: identical values for counts and curves, sums in another order for the
    losses. Returns ``predictions`` itself when merging would not save enough.
    """
    groups = item_groups([y_rows, predictions.labels, predictions.scores])
    if groups is None:
        return predictions
    first = groups.first
    rows = np.ones(y_rows.shape[0]) if predictions.weight is None else np.asarray(predictions.weight, float)
    weight = np.add.reduceat(rows[groups.order], groups.starts)
    index = first if predictions.item_index is None else np.asarray(predictions.item_index)[first]
    return replace(
        predictions,
        labels=None if predictions.labels is None else predictions.labels[first],
        scores=None if predictions.scores is None else predictions.scores[first],
        item_index=index,
        weight=weight,
    )
