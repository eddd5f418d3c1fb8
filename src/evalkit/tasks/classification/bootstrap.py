"""Metric values of every bootstrap resample, computed for all resamples at once.

:func:`bootstrap_entries` walks the resamples block by block (memory stays bounded) and evaluates
each entry on the same block, so the entries' values are paired resample by resample and each
block is generated once. Within a block, work is split into chunks of at most ``CHUNK_ELEMENTS``
weights so the temporaries stay small; for large ``n`` a chunk is a single resample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType

import numpy as np
from tqdm.auto import tqdm

from evalkit.errors import DataError
from evalkit.tasks.classification import calibration, class_metrics
from evalkit.tasks.classification.catalog import MetricSettings, TaskData, metric_spec, validate
from evalkit.tasks.classification.confusion import confusion_matrices, confusion_metric_values
from evalkit.tasks.classification.error_costs import item_costs
from evalkit.tasks.classification.item_groups import ItemGroups, item_groups
from evalkit.tasks.classification.losses import item_losses, loss_values
from evalkit.tasks.classification.ranking import RankingPlan, ranking_plan, ranking_values
from evalkit.uncertainty.compiled import kernels
from evalkit.uncertainty.resampling import Changes, Resampler, strata_of

CHUNK_ELEMENTS = 2**20
# Below this many item-evaluations (resamples x items x entries) the work takes about a second
# or less, and a progress bar would only flicker.
PROGRESS_MIN_WORK = 5 * 10**8

# Metrics bootstrapped within class (stratified by the truth): ROC AUC does not depend on the share of
# positives, so fixing the class counts loses no variance, and every resample has both classes. The
# other metrics do depend on it (F1, average precision) and keep the plain resamples.
STRATIFIED_METRICS = ("roc_auc", "roc_auc_ovr")

# (labels, scores), or (labels, scores, item_index, multiplicity) for an entry whose rows are
# weighted pseudo-items (a panel that labelled a subset, a vote whose ties are split): row j scores
# item item_index[j] and counts multiplicity[j] times.
Entry = tuple[np.ndarray | None, ...]


class _Evaluator:
    """One entry's precomputed structures (cells, sorts, per-item losses) and its metric names."""

    def __init__(self, data: TaskData, names: Sequence[str], settings: MetricSettings | None = None,
                 bins: np.ndarray | None = None) -> None:
        self.task = data.task
        self.names = list(names)
        families = {name: metric_spec(data.task, name).family for name in self.names}
        confusion = [n for n in self.names if families[n] == "confusion"]
        self.per_class = [n for n in confusion if class_metrics.parse(n) is not None]
        self.confusion = [n for n in confusion if n not in self.per_class]
        self.classes = (settings or MetricSettings()).classes
        self.losses = {
            n: item_losses(data.task, n, data.y_true, data.scores)
            for n in self.names
            if families[n] == "loss"
        }
        settings = settings or MetricSettings()
        for name in (n for n in self.names if families[n] == "cost"):
            if settings.costs is None:
                raise DataError(f"metric {name!r} needs the experiment's costs (MetricSettings.costs).")
            assert data.labels is not None  # validate() checked that the metric's labels are given
            # A weighted mean of per-item costs: the loss machinery serves it unchanged.
            self.losses[name] = item_costs(settings.costs, data.y_true, data.labels, settings.amounts)
        self.calibration = [n for n in self.names if families[n] == "calibration"]
        if self.calibration:
            if settings.binning is None:
                raise DataError("calibration metrics need the experiment's binning (MetricSettings.binning).")
            assert data.scores is not None
            self.binning = settings.binning
            self.forecast, self.outcome = calibration.forecasts(data.y_true, data.scores)
            self.bins = calibration.assign_bins(self.forecast, settings.binning) if bins is None else bins
        self.k = data.n_classes
        counted = self.confusion or self.per_class
        self.cells = data.n_classes * data.y_true + data.labels if counted else None
        self.plans: list[RankingPlan] = []
        # The compiled kernels for a binary entry's per-item ranking pass, when large enough for them.
        self.compiled: ModuleType | None = None
        self.want_auc = "roc_auc" in self.names or "roc_auc_ovr" in self.names
        self.want_ap = "average_precision" in self.names
        if data.scores is not None and (self.want_auc or self.want_ap):
            if data.task == "binary":
                self.plans = [ranking_plan(data.y_true == 1, data.scores)]
                self.compiled = kernels(data.y_true.shape[0])
                if self.compiled is not None:
                    # The confusion cells in the plan's two orders, for the compiled pass that gathers,
                    # sums and counts in one go (a single cell when no confusion metric is asked for).
                    # Narrow types: at a million items the pass is bound by memory traffic, and int64
                    # orders and cells were three quarters of it.
                    plan, cells = self.plans[0], self.cells
                    if cells is None:
                        cells = np.zeros(data.y_true.shape[0], dtype=np.uint8)
                    cells = cells.astype(np.uint8)  # a binary cell is 0 to 3
                    self.ranked_pass = (plan.pos_order.astype(np.int32), plan.neg_order.astype(np.int32),
                                        cells[plan.pos_order], cells[plan.neg_order],
                                        self.k * self.k if self.cells is not None else 1)
            else:
                # One-vs-rest: one sort per class column, each reused by every resample.
                self.plans = [ranking_plan(data.y_true == c, data.scores[:, c]) for c in range(self.k)]

    def __call__(self, weights: np.ndarray, changes: Changes | None = None) -> dict[str, np.ndarray]:
        """Metric values for each row of ``weights``; ROC AUC from their stratified form when given.

        ``changes`` turn ``weights`` into the same resamples drawn within each true class (see
        :meth:`Resampler.stratify_changes`), so every resample has both classes.
        """
        stratified = changes is not None
        ranked = weights
        if changes is not None and self.plans and self.task != "binary":
            ranked = weights.astype(np.int32)
            np.add.at(ranked, (changes[0], changes[1]), changes[2])
        out: dict[str, np.ndarray] = {}
        counted = counts = None
        if self.compiled is not None:
            wp, wn, tp0, fp0, counts = self.compiled.ranked_counts(weights, *self.ranked_pass)
            counted = (wp, wn, tp0, fp0)
        if self.confusion or self.per_class:
            if counts is not None:
                cm = counts.reshape(weights.shape[0], self.k, self.k)
            else:
                cm = confusion_matrices(self.cells, self.k, weights)
            out.update(confusion_metric_values(self.task, self.confusion, cm))
            out.update(class_metrics.per_class_values(self.per_class, self.classes, cm))
            totals = cm.sum(axis=(1, 2))  # saves a pass over the weights
        elif counts is not None:
            totals = counts.sum(axis=1)  # the compiled pass's one cell: each row's total
        else:
            totals = weights.sum(axis=1, dtype=np.int64).astype(np.float64)
        for name, losses in self.losses.items():
            out[name] = loss_values(name, losses, weights, totals)
        if self.calibration:
            sums = calibration.binned_sums(self.bins, self.forecast, self.outcome, weights, self.binning.bins)
            out.update(calibration.calibration_values(*sums, self.calibration))
        if self.plans and self.task == "binary":
            # One pass: AP from the plain resamples, AUC corrected to their stratified form.
            auc, ap = ranking_values(self.plans[0], weights, auc=self.want_auc, ap=self.want_ap,
                                     auc_changes=changes, counted=counted)
            if auc is not None:
                out["roc_auc"] = auc
            if ap is not None:
                out["average_precision"] = ap
        elif self.plans:
            per_class = [ranking_values(plan, ranked, ap=False)[0] for plan in self.plans]
            # Macro average; NaN as soon as one class is absent or alone, as in scikit-learn.
            out["roc_auc_ovr"] = np.mean(per_class, axis=0)
        for name in out:
            if stratified and name in STRATIFIED_METRICS:
                continue  # drawn within class: never empty
            # An empty resample (possible with Poisson weights) has no defined metric.
            out[name][totals == 0] = np.nan
        return {name: out[name] for name in self.names}


def _merged_evaluator(
    data: TaskData, names: Sequence[str], settings: MetricSettings | None
) -> tuple[_Evaluator, ItemGroups | None]:
    """The evaluator of ``data``'s distinct rows (see item_groups), or of every row when few are equal."""
    amounts = [] if settings is None else [settings.amounts[c] for c in sorted(settings.amounts)]
    groups = item_groups([data.y_true, data.labels, data.scores, *amounts])
    if groups is None:
        return _Evaluator(data, names, settings), None
    first = groups.first
    bins = None
    if settings is not None and settings.binning is not None and data.scores is not None:
        # Bins from every row: equal-mass edges are quantiles of the items, not of the distinct rows.
        forecast = calibration.forecasts(data.y_true, data.scores)[0]
        bins = calibration.assign_bins(forecast, settings.binning)[first]
    merged = validate(data.task, list(names), data.y_true[first],
                      None if data.labels is None else data.labels[first],
                      None if data.scores is None else data.scores[first], data.n_classes)
    return _Evaluator(merged, names, None if settings is None else settings.rows(first), bins), groups


def _chunks(weights: np.ndarray) -> list[slice]:
    rows = max(1, CHUNK_ELEMENTS // weights.shape[1])
    return [slice(i, min(i + rows, weights.shape[0])) for i in range(0, weights.shape[0], rows)]


def _mapped_changes(changes: Changes, mapping: tuple[np.ndarray, np.ndarray]) -> Changes:
    """Item changes as changes of the rows that stand for the items (times each row's multiplicity)."""
    index, multiplicity = mapping
    by_item = np.argsort(index, kind="stable")
    first = np.searchsorted(index[by_item], changes[1], side="left")
    count = np.searchsorted(index[by_item], changes[1], side="right") - first
    offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    where = by_item[np.repeat(first, count) + offsets]
    return np.repeat(changes[0], count), where, np.repeat(changes[2], count) * multiplicity[where]


def _rows_of(changes: Changes | None, chunk: slice) -> Changes | None:
    if changes is None:
        return None
    rows, items, deltas = changes
    keep = (rows >= chunk.start) & (rows < chunk.stop)
    return rows[keep] - chunk.start, items[keep], deltas[keep]


def _evaluate_block(
    evaluator: _Evaluator, weights: np.ndarray, changes: Changes | None = None
) -> dict[str, np.ndarray]:
    parts = [evaluator(weights[chunk], _rows_of(changes, chunk)) for chunk in _chunks(weights)]
    return {name: np.concatenate([p[name] for p in parts]) for name in evaluator.names}


def weighted_metric_values(
    task: str,
    metric_names: Sequence[str],
    y_true: np.ndarray,
    labels: np.ndarray | None,
    scores: np.ndarray | None,
    weights: np.ndarray,
    *,
    n_classes: int | None = None,
    settings: MetricSettings | None = None,
) -> dict[str, np.ndarray]:
    """Metric values for explicit item weights, one row per resample.

    Parameters
    ----------
    task : {"binary", "multiclass"}
    metric_names : sequence of str
        Names from :data:`evalkit.tasks.classification.catalog.METRICS` for ``task``.
    y_true, labels, scores : ndarray
        The entry's data, see the catalog module for the conventions; ``labels`` or ``scores``
        may be None when no requested metric needs them.
    weights : ndarray of shape (n,) or (b, n)
        Non-negative integer weights (counts); all ones gives the plain metric.
    n_classes : int or None
        ``k`` for a multiclass task without scores.
    settings : MetricSettings or None
        The costs, binning and per-item amounts of the experiment-defined metrics (``expected_cost``,
        ``ece``, ...), one amount per item of ``y_true``.

    Returns
    -------
    dict mapping each name to an ndarray of shape (b,) (``(1,)`` for 1-d weights); NaN where undefined.

    Examples
    --------
    >>> y = np.array([0, 1, 1, 0]); lab = np.array([0, 1, 0, 0])
    >>> weighted_metric_values("binary", ["accuracy"], y, lab, None, np.ones(4, dtype=int))
    {'accuracy': array([0.75])}
    """
    data = validate(task, list(metric_names), y_true, labels, scores, n_classes)
    w = np.atleast_2d(np.asarray(weights))
    if w.ndim != 2 or w.shape[1] != data.n_items:
        raise DataError(f"weights should have shape (n,) or (b, n) with n = {data.n_items}, got {w.shape}.")
    if w.dtype.kind not in "iub" or (w.size and w.min() < 0):
        raise DataError("weights should be non-negative integers (how many times each item is drawn).")
    # The ranking metrics accumulate weights in int32.
    if w.size and int(w.sum(axis=1, dtype=np.int64).max()) >= 2**31:
        raise DataError("weights should sum to less than 2**31 per row.")
    if w.dtype.kind == "b" or w.dtype.itemsize > 4:
        w = w.astype(np.int32)
    return _evaluate_block(_Evaluator(data, metric_names, settings), w)


def bootstrap_entries(
    task: str,
    metric_names: Sequence[str],
    y_true: np.ndarray,
    entries: Mapping[str, Entry],
    resampler: Resampler,
    *,
    n_classes: int | None = None,
    progress: bool | None = None,
    settings: MetricSettings | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Bootstrap values of ``metric_names`` for several entries on the same resamples.

    Parameters
    ----------
    task, metric_names, y_true, n_classes
        As in :func:`weighted_metric_values`.
    entries : mapping of entry name to ``(labels, scores)`` or ``(labels, scores, item_index, multiplicity)``
        Candidates and baselines; labels or scores may be None when no metric needs them. With
        ``item_index`` (int, per row) and ``multiplicity`` (positive int, per row), row ``j`` stands
        for item ``item_index[j]`` counted ``multiplicity[j]`` times; the resample weight of a row is
        its item's weight times its multiplicity, so such entries stay paired with the others.
    resampler : Resampler
        The resamples; ``resampler.n_items`` must equal ``len(y_true)``.
    progress : bool or None
        None shows a tqdm bar over blocks when the work is long, True always, False never; the
        bar hides itself when stderr is not a terminal.

    settings : MetricSettings or None
        As in :func:`weighted_metric_values`; per-item amounts follow each entry's ``item_index``.

    Returns
    -------
    ``{entry: {metric: ndarray of shape (resampler.resamples,)}}``, NaN where a resample leaves the
    metric undefined. Value ``r`` of every entry comes from the same resample ``r``; ROC AUC
    (``STRATIFIED_METRICS``) comes from its stratified form, drawn within each true class (see
    :meth:`Resampler.stratified_weights`), which differs from it by about ``sqrt(n)`` draws.
    """
    evaluators = {}
    mappings: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}
    groupings: dict[str, ItemGroups | None] = {}
    for entry, (labels, scores, *mapping) in entries.items():
        y_rows = np.asarray(y_true)
        entry_settings = settings
        mappings[entry] = None
        if mapping:
            index, multiplicity = np.asarray(mapping[0]), np.asarray(mapping[1], dtype=np.int32)
            mappings[entry] = (index, multiplicity)
            y_rows = y_rows[index]
            entry_settings = None if settings is None else settings.rows(index)
        data = validate(task, list(metric_names), y_rows, labels, scores, n_classes)
        evaluators[entry], groupings[entry] = _merged_evaluator(data, metric_names, entry_settings)
    n = np.asarray(y_true).shape[0]
    if resampler.n_items != n:
        raise DataError(f"the resampler draws from {resampler.n_items} items but y_true has {n}.")
    out = {e: {m: np.empty(resampler.resamples) for m in metric_names} for e in evaluators}
    work = resampler.resamples * n * max(1, len(evaluators))
    show = progress if progress is not None else work >= PROGRESS_MIN_WORK
    n_blocks = -(-resampler.resamples // resampler.rows_per_block)
    strata = strata_of(y_true) if any(e.want_auc for e in evaluators.values()) else None
    blocks = tqdm(
        resampler.stratified_blocks(strata, compact=True, prefetch=True),
        total=n_blocks,
        desc="bootstrap",
        unit="block",
        leave=False,
        disable=None if show else True,
    )
    for start, weights, changes in blocks:
        rows = slice(start, start + weights.shape[0])
        for entry, evaluator in evaluators.items():
            mapping = mappings[entry]
            block, own = weights, changes
            if mapping is not None:
                block = weights[:, mapping[0]].astype(np.int32) * mapping[1]
                if changes is not None:
                    own = _mapped_changes(changes, mapping)
            grouping = groupings[entry]
            if grouping is not None:
                block, own = grouping.weights(block), grouping.changes(own)
            for name, values in _evaluate_block(evaluator, block, own).items():
                out[entry][name][rows] = values
    return out


def bootstrap_metric_values(
    task: str,
    metric_names: Sequence[str],
    y_true: np.ndarray,
    labels: np.ndarray | None,
    scores: np.ndarray | None,
    resampler: Resampler,
    *,
    n_classes: int | None = None,
    progress: bool | None = None,
    settings: MetricSettings | None = None,
) -> dict[str, np.ndarray]:
    """Bootstrap values of ``metric_names`` for one entry: ``{metric: ndarray of shape (R,)}``.

    The same ``resampler`` (same seed) gives every entry the same resamples, so two calls are
    paired. Evaluating several entries is cheaper with :func:`bootstrap_entries`, which generates
    each block of resamples once.

    Examples
    --------
    >>> y = np.array([0, 1, 1, 0, 1]); lab = np.array([0, 1, 0, 0, 1])
    >>> values = bootstrap_metric_values("binary", ["accuracy"], y, lab, None, Resampler(5, 200, seed=0))
    >>> values["accuracy"].shape
    (200,)
    """
    return bootstrap_entries(
        task,
        metric_names,
        y_true,
        {"entry": (labels, scores)},
        resampler,
        n_classes=n_classes,
        progress=progress,
        settings=settings,
    )["entry"]
