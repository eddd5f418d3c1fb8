"""Multilabel metrics on bootstrap resamples, all resamples of a block at once.

A block of resamples is a weights matrix ``W`` of shape ``(resamples, rows)``: ``W[r, i]`` is the weight of
row ``i`` in resample ``r`` (a draw count, times a pseudo-item's own weight). Row ``r`` of every result
equals the metric of :mod:`evalkit.metrics.multilabel` called with ``sample_weight=W[r]``, which equals
scikit-learn's on the expanded resample. Nothing depends on ``W`` except through matrix products, so a plan
(:class:`MultilabelPlan`) does all sorting once per entry and every block costs a few products:

- label metrics (precision/recall/F1, Hamming loss, subset accuracy) are weighted sums: ``W`` times the
  per-row-and-label columns ``Y*P``, ``P``, ``Y`` and per-row columns (wrong cells, exact rows).
- ``coverage_error`` and ``label_ranking_average_precision`` are weighted means of per-row values that
  the weights do not change: one more column each.
- the ``map`` family sorts each label once. Average precision needs, at each distinct score of a
  positive (a threshold), the weight of the positives and of all rows scoring at or above it. Each row
  falls in one bin per label (the highest threshold it reaches, none if it is below the lowest), so a
  sparse one-hot matrix ``B`` turns a block into per-bin weights, ``W @ B``, and cumulative sums over a
  label's bins give both counts at every threshold. ``map_micro`` does the same for the pooled
  (row, label) pairs. One product costs ``resamples x (rows reaching a threshold)``, never a sort.

Results are NaN where the metric is undefined for that resample, as the point functions define it, and for
a resample whose weights are all 0 (the point functions refuse such weights; a panel that labelled only
some items can meet one).

>>> import numpy as np
>>> Y = np.array([[1, 0], [0, 1], [1, 1]]); S = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.3]])
>>> plan = MultilabelPlan(("map",), Y, scores=S)
>>> plan.values(np.array([[1, 1, 1], [2, 0, 1]]))["map"].round(4).tolist()
[1.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from evalkit.errors import DataError
from evalkit.metrics import multilabel as ml

AP_METRICS = ("map", "map_weighted", "map_micro")
# Per-row-and-label or per-row columns each label metric reads from the product W @ dense.
_DENSE_NEEDS: dict[str, tuple[str, ...]] = {
    "precision_micro": ("tp", "pred"),
    "recall_micro": ("tp", "true"),
    "f1_micro": ("tp", "pred", "true"),
    "f1_macro": ("tp", "pred", "true"),
    "hamming_loss": ("wrong",),
    "subset_accuracy": ("exact",),
    "coverage_error": ("coverage",),
    "label_ranking_average_precision": ("lrap",),
}
# Weights converted to float64 at a time (resamples x rows) for the products: bounded memory per call.
SLICE_ELEMENTS = 2**22


class _Ranking:
    """One ranking (a label's scores, or the pooled pairs) sorted once, for average precision of any weights.

    Average precision needs, at each distinct score of a positive (a threshold, descending), the weight of
    the positives and of all rows scoring at or above it. In the sorted order both are prefix sums read at
    fixed positions: ``all_ends[g]`` rows of ``order`` and ``pos_ends[g]`` positives of ``pos_order`` reach
    threshold ``g``. ``order`` holds only the rows that reach the lowest threshold (the rest never count).
    """

    def __init__(self, scores: np.ndarray, positive: np.ndarray, row_of: np.ndarray | None = None) -> None:
        thresholds = np.unique(scores[positive])[::-1]  # descending
        key = -scores
        order = np.argsort(key, kind="stable")
        if thresholds.size:
            order = order[: np.searchsorted(key[order], -thresholds[-1], side="right")]
        key_sorted = key[order]
        self.n_bins = thresholds.size
        self.all_ends = np.searchsorted(key_sorted, -thresholds, side="right")
        self.pos_ends = np.searchsorted(key_sorted[positive[order]], -thresholds, side="right")
        pos_order = order[positive[order]]
        # Pooled pairs point at their row's weight; a label's ranking is over the rows themselves.
        self.pairs_per_row = 1 if row_of is None else int(np.bincount(row_of[order]).max(initial=0))
        self.order = order if row_of is None else row_of[order]
        self.pos_order = pos_order if row_of is None else row_of[pos_order]

    def ap(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average precision and positive weight per row of ``w`` (``(b, rows)``); NaN without positives."""
        b = w.shape[0]
        if self.n_bins == 0:
            return np.full(b, np.nan), np.zeros(b)
        acc: type = np.float64
        if w.dtype.kind != "f":
            # int32 prefix sums are three times quicker than int64; exact while no total can reach 2**31.
            most = int(w.sum(axis=1, dtype=np.int64).max(initial=0)) * self.pairs_per_row
            acc = np.int32 if most < 2**31 else np.int64
        all_cum = _prefix_at(np.take(w, self.order, axis=1), self.all_ends, acc)
        pos_cum = _prefix_at(np.take(w, self.pos_order, axis=1), self.pos_ends, acc)
        pos_w = np.diff(pos_cum, axis=1, prepend=0)
        # all_cum == 0 only where no weight reached the threshold, so its positives' weight is 0 too.
        precision = np.divide(pos_cum, all_cum, out=np.zeros(pos_cum.shape), where=all_cum > 0)
        positives = pos_cum[:, -1].astype(np.float64)
        ap = np.full(b, np.nan)
        np.divide(np.einsum("ij,ij->i", pos_w, precision), positives, out=ap, where=positives > 0)
        return ap, positives


def _prefix_at(gathered: np.ndarray, ends: np.ndarray, acc: type) -> np.ndarray:
    """Sums of the first ``ends[g]`` columns of ``gathered`` for each row and ``g`` (``ends`` > 0)."""
    cum = np.cumsum(gathered, axis=1, dtype=acc)
    return np.take(cum, ends - 1, axis=1)


def _label_rankings(y: np.ndarray, s: np.ndarray) -> list[_Ranking]:
    return [_Ranking(s[:, j], y[:, j] == 1) for j in range(y.shape[1])]


def _micro_ranking(y: np.ndarray, s: np.ndarray) -> _Ranking:
    n, n_labels = y.shape
    # Row-major pairs: pair k belongs to row k // n_labels, whose weight it carries (as scikit-learn's micro).
    return _Ranking(s.ravel(), y.ravel() == 1, row_of=np.arange(n * n_labels) // n_labels)


class MultilabelPlan:
    """Everything about one entry's predictions that the resamples do not change, for ``names``.

    Parameters
    ----------
    names : metric names of :data:`evalkit.metrics.multilabel.MULTILABEL_METRICS`
    Y : (rows, labels) 0/1 truth of each row
    labels, scores : the entry's predicted indicator matrix and scores (whichever ``names`` need)

    Build it once (it sorts each label's scores) and call :meth:`values` on every block.
    """

    def __init__(self, names: Sequence[str], Y: np.ndarray, *, labels: np.ndarray | None = None,
                 scores: np.ndarray | None = None) -> None:
        unknown = [m for m in names if m not in ml.MULTILABEL_METRICS]
        if unknown:
            raise DataError(
                f"unknown multilabel metric(s) {unknown}; valid: {', '.join(ml.MULTILABEL_METRICS)}")
        self.names = tuple(names)
        y = ml._indicator("Y", Y)
        self.n_rows, self.n_labels = y.shape
        needs = {ml.MULTILABEL_METRICS[m].needs for m in self.names}
        p = ml._indicator("P", labels, y.shape) if "labels" in needs else None
        s = ml._scores(scores, y.shape) if "scores" in needs else None
        if ("labels" in needs and labels is None) or ("scores" in needs and scores is None):
            raise DataError(f"metrics {list(self.names)} need {' and '.join(sorted(needs))}; give them")
        columns: dict[str, np.ndarray] = {}
        wanted = {c for m in self.names for c in _DENSE_NEEDS.get(m, ())}
        if "tp" in wanted:
            assert p is not None
            columns["tp"] = y * p
        if "pred" in wanted:
            assert p is not None
            columns["pred"] = p
        if "true" in wanted:
            columns["true"] = y
        if "wrong" in wanted:
            assert p is not None
            columns["wrong"] = (y != p).sum(axis=1, keepdims=True).astype(np.float64)
        if "exact" in wanted:
            assert p is not None
            columns["exact"] = (y == p).all(axis=1, keepdims=True).astype(np.float64)
        if "coverage" in wanted:
            assert s is not None
            columns["coverage"] = ml.row_coverage(y, s)[:, None]
        if "lrap" in wanted:
            assert s is not None
            columns["lrap"] = ml.row_lrap(y, s)[:, None]
        self._slices: dict[str, slice] = {}
        at = 0
        for key, block in columns.items():
            self._slices[key] = slice(at, at + block.shape[1])
            at += block.shape[1]
        self._dense = np.hstack(list(columns.values())) if columns else None
        self._labels_ap = (_label_rankings(y, s) if s is not None and {"map", "map_weighted"} & set(names)
                           else None)
        self._micro_ap = _micro_ranking(y, s) if s is not None and "map_micro" in names else None

    def _rows_per_slice(self, width: int) -> int:
        """Resamples evaluated together when each is gathered ``width`` wide: within ``SLICE_ELEMENTS``."""
        return max(1, SLICE_ELEMENTS // max(width, 1))

    def values(self, W: np.ndarray) -> dict[str, np.ndarray]:
        """``{metric: (b,) array}`` for the weight block ``W`` of shape ``(b, rows)`` (or one ``(rows,)``)."""
        w = np.asarray(W)
        if w.ndim == 1:
            w = w[None, :]
        if w.ndim != 2 or w.shape[1] != self.n_rows or w.dtype.kind not in "biuf":
            raise DataError(f"weights should have shape (b, {self.n_rows}) and hold numbers, got {w.shape}")
        if w.size and (not np.isfinite(w).all() or w.min() < 0):
            raise DataError("weights should be finite and non-negative")
        out = {m: np.empty(w.shape[0]) for m in self.names}
        # The pooled ranking is n_labels times wider than the rest: it gets its own, thinner slices, so
        # the matrix products of the others stay large (many small products are slow).
        step = self._rows_per_slice(self.n_rows)
        for start in range(0, w.shape[0], step):
            part = w[start : start + step]
            for name, values in self._slice_values(part).items():
                out[name][start : start + part.shape[0]] = values
        if self._micro_ap is not None:
            step = self._rows_per_slice(self._micro_ap.order.size)
            for start in range(0, w.shape[0], step):
                part = w[start : start + step]
                with np.errstate(invalid="ignore", divide="ignore"):
                    out["map_micro"][start : start + part.shape[0]] = self._micro_ap.ap(part)[0]
        out_of_weight = w.sum(axis=1, dtype=np.float64) == 0
        for values in out.values():
            values[out_of_weight] = np.nan
        return out

    def _slice_values(self, w: np.ndarray) -> dict[str, np.ndarray]:
        total = w.sum(axis=1, dtype=np.float64)
        out: dict[str, np.ndarray] = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            if self._dense is not None:
                sums = w.astype(np.float64) @ self._dense
                out |= self._dense_metrics(sums, total)
            if self._labels_ap is not None:
                per_label = [ranking.ap(w) for ranking in self._labels_ap]
                ap = np.stack([a for a, _ in per_label], axis=1)
                positives = np.stack([p for _, p in per_label], axis=1)
                kept = ~np.isnan(ap)
                n_kept = kept.sum(axis=1)
                if "map" in self.names:
                    out["map"] = np.where(n_kept > 0, np.where(kept, ap, 0.0).sum(axis=1) / n_kept, np.nan)
                if "map_weighted" in self.names:
                    support = np.where(kept, positives, 0.0)
                    weighted = (np.where(kept, ap, 0.0) * support).sum(axis=1) / support.sum(axis=1)
                    out["map_weighted"] = np.where(n_kept > 0, weighted, np.nan)
        return out

    def _dense_metrics(self, sums: np.ndarray, total: np.ndarray) -> dict[str, np.ndarray]:
        def col(key: str) -> np.ndarray:
            return sums[:, self._slices[key]]

        out: dict[str, np.ndarray] = {}
        names = set(self.names)
        if names & {"precision_micro", "recall_micro", "f1_micro", "f1_macro"}:
            tp = col("tp")
            tp_all = tp.sum(axis=1)
            if "precision_micro" in names:
                out["precision_micro"] = ml._ratio(tp_all, col("pred").sum(axis=1))
            if "recall_micro" in names:
                out["recall_micro"] = ml._ratio(tp_all, col("true").sum(axis=1))
            if "f1_micro" in names:
                out["f1_micro"] = ml._ratio(2.0 * tp_all, col("true").sum(axis=1) + col("pred").sum(axis=1))
            if "f1_macro" in names:
                f1 = ml._ratio(2.0 * tp, col("true") + col("pred"))
                defined = ~np.isnan(f1)
                count = defined.sum(axis=1)
                out["f1_macro"] = np.where(count > 0, np.where(defined, f1, 0.0).sum(axis=1) / count, np.nan)
        if "hamming_loss" in names:
            out["hamming_loss"] = col("wrong")[:, 0] / (total * self.n_labels)
        if "subset_accuracy" in names:
            out["subset_accuracy"] = col("exact")[:, 0] / total
        if "coverage_error" in names:
            out["coverage_error"] = col("coverage")[:, 0] / total
        if "label_ranking_average_precision" in names:
            out["label_ranking_average_precision"] = col("lrap")[:, 0] / total
        return out
