"""Scoring every entry on each slice with the whole-set machinery.

A slice is scored as if it were the whole eval set: the task's ``subset`` gives the slice's eval set,
``restrict`` each entry's predictions on its items, ``compute_metrics`` the metrics, the strategy the
score, and :func:`evalkit.confidence.assess` the intervals and the paired comparisons with the run's
best candidate (Holm within the slice) on the run's bootstrap settings. So a slice's numbers are the
numbers a run on the slice's items alone would give. Slices with fewer than ``min_items`` items get
metrics and scores, but no intervals and no tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evalkit.confidence import assess
from evalkit.config import BootstrapConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions
from evalkit.slices.conditions import Slice
from evalkit.strategies import Strategy
from evalkit.tasks import get_task


def local_predictions(predictions: Predictions, evalset: EvalSet, items: np.ndarray) -> Predictions | None:
    """An entry's predictions on the items at (sorted) positions ``items``, indexed within them; None
    when the entry has no row there (the task's ``subset_predictions``)."""
    return get_task(evalset.task).subset_predictions(predictions, evalset, items)


def slice_entries(entries: Sequence[Entry], evalset: EvalSet, items: np.ndarray,
                  registry: Mapping[str, MetricSpec], strategy: Strategy) -> tuple[EvalSet, list[Entry]]:
    """The slice's eval set and every entry with per-item predictions scored on it.

    Metrics the predictions give are recomputed on the slice; the others (measured latency, declared
    costs) are the entry's own, as the items do not change them.
    """
    task = get_task(evalset.task)
    sub = task.subset(evalset, items)
    out = []
    for entry in entries:
        if entry.predictions is None:
            continue
        local = local_predictions(entry.predictions, evalset, items)
        if local is None:
            continue
        computed = task.compute_metrics(registry, sub, local)
        metrics = {m: computed.values.get(m, v) for m, v in entry.metrics.items()}
        scored = Entry(entry.name, entry.role, entry.kind, metrics, notes=dict(computed.notes),
                       predictions=local,
                       details={k: v for k, v in entry.details.items() if k == "human_level_flagged"})
        scored.outcome = strategy.evaluate(metrics, require_all=entry.role == "candidate")
        out.append(scored)
    return sub, out


def score_slice(piece: Slice, entries: Sequence[Entry], evalset: EvalSet, registry: Mapping[str, MetricSpec],
                strategy: Strategy, best: str | None, bootstrap: BootstrapConfig,
                min_items: int) -> dict[str, Any]:
    """One slice's record: its conditions and size, each entry's metrics, score, feasibility and (when
    tested) intervals, and the paired comparisons with ``best``."""
    record: dict[str, Any] = {
        "name": piece.name, "conditions": [{"column": c.column, "test": c.text} for c in piece.conditions],
        "n_items": piece.n_items, "tested": False, "entries": {}, "comparisons": []}
    if piece.n_items == 0:
        return record
    sub, scored = slice_entries(entries, evalset, piece.items, registry, strategy)
    tested = piece.n_items >= min_items and bootstrap.resamples != 0 and best in {e.name for e in scored}
    assessment = assess(scored, sub, registry, strategy, best, bootstrap, progress=False) if tested else None
    for entry in scored:
        row: dict[str, Any] = {"role": entry.role, "kind": entry.kind, "metrics": entry.metrics,
                               "score": entry.score, "feasible": entry.feasible}
        if entry.predictions is not None and entry.predictions.item_index is not None:
            row["covered_items"] = entry.predictions.covered_items(sub.n_items)
        if assessment is not None and entry.name in assessment.intervals:
            row["ci"] = assessment.intervals[entry.name]
        record["entries"][entry.name] = row
    if assessment is not None:
        record["tested"] = True
        record["comparisons"] = assessment.comparisons
    return record
