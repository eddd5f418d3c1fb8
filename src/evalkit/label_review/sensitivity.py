"""Does the verdict survive the suspect labels? The run rescored without the flagged items, and with their
labels replaced by the suggestions — a sensitivity check beside the verdict, never a correction of it.

Every entry with per-item predictions is rescored through its task (``Task.restrict``,
``Task.compute_metrics``) on the changed truth, then ranked, compared and bootstrapped exactly as the run
was (:func:`evalkit.comparison.compare`, :func:`evalkit.confidence.assess`). Entries without per-item data
(external numbers, a panel's mean annotator) keep their values: they cannot be rescored, and none of them
is a candidate or the lower bound's only source (a human row never sets the lower bound). Measured and
declared costs (latency) do not depend on the items and carry over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evalkit.comparison import Comparison, compare
from evalkit.confidence import Assessment, assess
from evalkit.config import BootstrapConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions
from evalkit.strategies import Strategy
from evalkit.tasks import get_task

# At most this many changed significance verdicts are named in the sensitivity line.
NAMED_CHANGES = 3


def without_items(evalset: EvalSet, entries: Sequence[Entry],
                  drop: np.ndarray) -> tuple[EvalSet, list[Entry]]:
    """The eval set and every entry's predictions without the items at positions ``drop``.

    An entry left with no row (a panel that labelled only dropped items) is left out.
    """
    task = get_task(evalset.task)
    keep = np.setdiff1d(np.arange(evalset.n_items), drop)
    features = None if evalset.features is None else evalset.features.iloc[keep]
    smaller = dataclasses.replace(evalset, ids=evalset.ids[keep], y=evalset.y[keep], features=features)
    position = np.full(evalset.n_items, -1, dtype=np.int64)
    position[keep] = np.arange(len(keep))
    kept: list[Entry] = []
    for entry in entries:
        predictions = entry.predictions
        if predictions is None:
            kept.append(entry)
            continue
        if predictions.item_index is None:
            # Rows at the kept positions are the smaller set's items in order: a full-set entry again.
            restricted = dataclasses.replace(task.restrict(predictions, evalset, keep), item_index=None)
        else:
            rows = position[predictions.item_index] >= 0
            if not rows.any():
                continue
            restricted = _rows(predictions, rows, position[predictions.item_index[rows]])
        kept.append(dataclasses.replace(entry, predictions=restricted))
    return smaller, kept


def _rows(predictions: Predictions, rows: np.ndarray, item_index: np.ndarray) -> Predictions:
    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[rows]
    return dataclasses.replace(predictions, labels=pick(predictions.labels), scores=pick(predictions.scores),
                               weight=pick(predictions.weight), item_index=item_index)


def relabelled(evalset: EvalSet, items: np.ndarray, labels: np.ndarray) -> EvalSet:
    """The eval set with the gold labels of ``items`` replaced by ``labels`` (class codes)."""
    y = evalset.y.copy()
    y[items] = labels
    return dataclasses.replace(evalset, y=y)


def rescore(entries: Sequence[Entry], evalset: EvalSet, registry: Mapping[str, MetricSpec],
            strategy: Strategy, bootstrap: BootstrapConfig) -> dict[str, Any]:
    """Recompute every entry's metrics on ``evalset``, rank, compare and bootstrap them as a run does, and
    return the :func:`summary` of the outcome."""
    task = get_task(evalset.task)
    rescored: list[Entry] = []
    for entry in entries:
        metrics = dict(entry.metrics)
        if entry.predictions is not None:
            metrics |= task.compute_metrics(registry, evalset, entry.predictions).values
        copy = dataclasses.replace(entry, metrics=metrics, outcome=None)
        copy.outcome = strategy.evaluate(metrics, require_all=entry.role == "candidate")
        rescored.append(copy)
    comparison = compare(rescored, strategy)
    assessment = assess(rescored, evalset, registry, strategy, comparison.best, bootstrap, progress=False)
    return summary(comparison, assessment, rescored, evalset.n_items)


def summary(comparison: Comparison, assessment: Assessment | None, entries: Sequence[Entry],
            n_items: int) -> dict[str, Any]:
    """What the sensitivity line compares: best, lower bound, margin and the score's significance verdicts."""
    scores = {e.name: e.score for e in entries}
    verdicts = {row["b"]: row["verdict"] for row in (assessment.comparisons if assessment else [])
                if row["metric"] == "score"}
    return {"items": n_items, "best": comparison.best, "best_score": scores.get(comparison.best or ""),
            "lower_bound": comparison.strongest_baseline,
            "lower_bound_score": scores.get(comparison.strongest_baseline or ""), "margin": comparison.margin,
            "ranking": list(comparison.ranking), "significance": verdicts}


def survives(base: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Same best candidate, same lower bound, and a margin of the same sign (or none in both)."""
    if base["best"] != other["best"] or base["lower_bound"] != other["lower_bound"]:
        return False
    a, b = base["margin"], other["margin"]
    return (a is None) == (b is None) and (a is None or (a > 0) == (b > 0))


def changes(base: Mapping[str, Any], other: Mapping[str, Any]) -> str:
    """How ``other`` differs from ``base``: best, lower bound, margin and significance, in words.

    >>> base = {"best": "a", "lower_bound": "r", "margin": 0.1, "significance": {"b": "better"}}
    >>> changes(base, {"best": "a", "lower_bound": "r", "margin": 0.12, "significance": {"b": "better"}})
    'best a, lower bound r (both unchanged), margin +0.1000 → +0.1200, significance unchanged'
    """
    best = _pair("best", base["best"], other["best"])
    bound = _pair("lower bound", base["lower_bound"], other["lower_bound"])
    same = base["best"] == other["best"] and base["lower_bound"] == other["lower_bound"]
    parts = [f"{best}, {bound} (both unchanged)" if same else f"{best}, {bound}"]
    a, b = base["margin"], other["margin"]
    parts.append(f"margin {_signed(a)}" + (" unchanged" if a == b else f" → {_signed(b)}"))
    before, after = base["significance"], other["significance"]
    if base["best"] != other["best"]:
        parts.append("significance now against " + (other["best"] or "no best candidate"))
    elif before == after:
        parts.append("significance unchanged")
    else:
        moved = [f"vs {name} {before.get(name, 'untested')} → {after.get(name, 'untested')}"
                 for name in sorted(set(before) | set(after)) if before.get(name) != after.get(name)]
        more = f" and {len(moved) - NAMED_CHANGES} more" if len(moved) > NAMED_CHANGES else ""
        parts.append("significance changes: " + "; ".join(moved[:NAMED_CHANGES]) + more)
    return ", ".join(parts)


def _pair(what: str, a: str | None, b: str | None) -> str:
    return f"{what} {a or 'none'}" if a == b else f"{what} {a or 'none'} → {b or 'none'}"


def _signed(value: float | None) -> str:
    return "none" if value is None else f"{value:+.4f}"


def line(n_flagged: int, base: Mapping[str, Any], removed: Mapping[str, Any],
         replaced: Mapping[str, Any], *, what: str = "item(s)") -> str:
    """The report's one sensitivity line (``what`` names the flagged things: items, item-label pairs)."""
    kept = survives(base, removed) and survives(base, replaced)
    head = (f"The verdict {'survives' if kept else 'does NOT survive'} the {n_flagged} flagged {what}"
            + ("" if kept else " (best candidate, lower bound or the margin's sign changes)"))
    return (f"{head}. Without them: {changes(base, removed)}. With their labels replaced by the suggestions: "
            f"{changes(base, replaced)}. Gold stays gold: the leaderboard above is unchanged.")
