"""Humans as the reference for candidates: best annotators, same-item comparisons, the human-level line.

These steps need the run's strategy and the candidates, so they run once every entry exists
(:func:`complete`, called by the runner) or once every entry is scored (:func:`human_level`, called
when ``metrics.json`` is assembled). :func:`human_level` reads only the entries, so a merged record
(``evalkit compare``) gets the same answer.

**Paired coverage.** Annotators usually label a subset, so a human row and a candidate's leaderboard
numbers cover different items. Each human row gets a ``paired`` block: every candidate scored by the
strategy on the human row's own items, computed the way the human row is computed:

- ``majority_vote``: the candidate on the items the vote scores;
- ``mean_annotator``: the candidate as one more annotator, scored on each averaged annotator's items
  and then averaged over those annotators;
- ``best_annotator``: the candidate on that annotator's items.

Only the strategy's metrics are computed (the comparison is about the agreed number); declared cost
metrics such as latency carry over, as they do not depend on the items. The candidate's full-set
score sits beside the paired one, named as such.

**Best annotator.** "Best" means first under the run's strategy, by the leaderboard's rule: feasible
first, then the score, then the name. Only annotators averaged in ``mean_annotator`` (at least
``min_items`` items) compete.

**Human level** (:func:`human_level`): the row that plots draw as the human line and the gate compares
with. Among the rows of baselines flagged ``human_level: true`` (any kind, so a published human number
given as an ``external`` baseline can serve; :func:`complete` marks their rows ``human_level_flagged``),
or with no flag among all human rows, but never a ``best_annotator`` ceiling: the first by the
leaderboard's rule (scored, feasible first, best score, name). The usual choice is thus the best of
the panel's mean annotators and majority votes. Note that ``tie_rule: exclude`` scores only untied
items, which flatters a vote; flag the row you mean when panels differ in such choices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evalkit.baselines.human import HumanEntry, mean_with_spread, row_name
from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions
from evalkit.strategies.base import Outcome, Strategy
from evalkit.tasks import get_task

CEILING_NOTE = ("optimistic ceiling: the best of {n} annotator(s), picked on the very items it is scored on; "
                "not a level a person would reach on new items")
HUMAN_LEVEL_RULE = ("first by the leaderboard's rule (feasible, then score) among the rows of baselines "
                    "flagged human_level: true, or among all human rows when none is flagged; never a "
                    "best_annotator ceiling")


def complete(entries: Sequence[Entry], baselines: Mapping[str, BaselineConfig], strategy: Strategy,
             evalset: EvalSet, registry: Mapping[str, MetricSpec]) -> list[Entry]:
    """Add the requested best-annotator rows and a ``paired`` block to every human row, and mark the
    rows of baselines flagged ``human_level: true``."""
    completed: list[Entry] = []
    for entry in entries:
        completed.append(entry)
        config = baselines.get(entry.details.get("baseline", entry.name))
        if entry.role == "baseline" and config is not None and config.human_level:
            entry.details["human_level_flagged"] = True
        if isinstance(entry, HumanEntry) and entry.row == "mean_annotator" and entry.best_wanted:
            best = best_annotator(entry, strategy, evalset, registry)
            if best is not None:
                completed.append(best)
    candidates = [e for e in entries if e.role == "candidate" and e.predictions is not None]
    scoring = {m: registry[m] for m in strategy.metrics_used
               if m in registry and registry[m].needs != "declared"}
    for entry in completed:
        # Some tasks compare an annotator who covered every item on the leaderboard itself (detection).
        if isinstance(entry, HumanEntry) and (get_task(evalset.task).pair_complete_annotators
                                               or entry.item_sets()):
            entry.details["paired"] = paired(entry, candidates, strategy, evalset, scoring, registry)
    return completed


def best_annotator(mean_row: HumanEntry, strategy: Strategy, evalset: EvalSet,
                   registry: Mapping[str, MetricSpec]) -> HumanEntry | None:
    """The averaged annotator ranked first by ``strategy``, as a ceiling row; None if nobody qualifies."""
    listed = mean_row.details["annotators"]
    contenders = {a: strategy.evaluate(listed[a]["metrics"], require_all=False) for a in mean_row.annotators}
    if not contenders:
        return None
    winner = min(contenders, key=lambda a: _rank_key(contenders[a], a, strategy.higher_is_better))
    own = mean_row.annotators[winner]
    computed = compute_metrics(registry, evalset, own)
    details = {k: mean_row.details[k] for k in ("baseline", "group", "group_values", "path", "agreement",
                                                "ignored_labels") if k in mean_row.details}
    details |= {"annotator": winner, "n_items": listed[winner]["n_items"],
                "ceiling": CEILING_NOTE.format(n=len(contenders)),
                "coverage": {"items": len(np.unique(own.item_index)), "of": evalset.n_items,
                             "share": len(np.unique(own.item_index)) / evalset.n_items}}
    return HumanEntry(name=row_name(mean_row.baseline, mean_row.group, "best_annotator"), role="baseline",
                      kind="human", metrics=computed.values, notes=computed.notes, predictions=own,
                      details=details, baseline=mean_row.baseline, group=mean_row.group, row="best_annotator",
                      annotators={winner: own})


def paired(row: HumanEntry, candidates: Sequence[Entry], strategy: Strategy, evalset: EvalSet,
           scoring: Mapping[str, MetricSpec], registry: Mapping[str, MetricSpec]) -> dict[str, Any]:
    """Each candidate's strategy score on the human row's items, beside the human's and its full-set one."""
    item_sets = row.item_sets()
    covered = len(np.unique(np.concatenate(item_sets))) if item_sets else 0
    human = strategy.evaluate(row.metrics, require_all=False)
    result: dict[str, Any] = {"items": covered, "of": evalset.n_items, "how": _paired_how(evalset, row.row),
                              "human_score": human.score, "human_feasible": human.feasible, "candidates": {}}
    if not item_sets:
        result["note"] = "no items to compare on (no annotator reached min_items)"
        return result
    declared = {m for m, s in registry.items() if s.needs == "declared"}
    for candidate in candidates:
        assert candidate.predictions is not None
        per_set = [compute_metrics(scoring, evalset, _subset(candidate.predictions, items, evalset)).values
                   for items in item_sets]
        metrics: dict[str, float | None] = dict(mean_with_spread(per_set)[0])
        metrics |= {m: v for m, v in candidate.metrics.items() if m in declared}
        on_items = strategy.evaluate(metrics, require_all=True)
        full = strategy.evaluate(candidate.metrics, require_all=True)
        margin = None
        if on_items.score is not None and human.score is not None:
            margin = (on_items.score - human.score) * (1 if strategy.higher_is_better else -1)
        result["candidates"][candidate.name] = {
            "score": on_items.score, "feasible": on_items.feasible,
            "metrics": {m: metrics.get(m) for m in strategy.metrics_used if m in metrics},
            "margin_over_human": margin, "full_set_score": full.score,
        }
    return result


def _subset(predictions: Predictions, items: np.ndarray, evalset: EvalSet) -> Predictions:
    """A full-set candidate's predictions restricted to ``items`` (eval-set positions)."""
    if predictions.item_index is not None:
        raise ValueError("paired comparison expects full-set candidate predictions")
    return get_task(evalset.task).restrict(predictions, evalset, items)


def _rank_key(outcome: Outcome, name: str, higher_is_better: bool) -> tuple[int, int, float, str]:
    """The leaderboard's ordering (see evalkit.comparison.rank): scored, feasible, score, name."""
    if outcome.score is None:
        return (1, 1, 0.0, name)
    return (0, 0 if outcome.feasible else 1, -outcome.score if higher_is_better else outcome.score, name)


def human_level(entries: Sequence[Entry], higher_is_better: bool) -> dict[str, Any] | None:
    """The human-level reference of a scored run, or None when no row qualifies (rule: module docstring).

    Returns ``{"name", "score", "metric_values", "feasible", "coverage", "rule"}``.
    """
    flagged = any(e.details.get("human_level_flagged") for e in entries)

    def eligible(entry: Entry) -> bool:
        if entry.role != "baseline" or entry.score is None or "ceiling" in entry.details:
            return False
        return bool(entry.details.get("human_level_flagged")) if flagged else entry.kind == "human"

    pool = [e for e in entries if eligible(e)]
    if not pool:
        return None
    assert all(e.outcome is not None for e in pool)
    chosen = min(pool, key=lambda e: _rank_key(e.outcome, e.name, higher_is_better))  # type: ignore[arg-type]
    return {"name": chosen.name, "score": chosen.score,
            "metric_values": {m: v for m, v in chosen.metrics.items() if v is not None},
            "feasible": chosen.feasible, "coverage": chosen.details.get("coverage"), "rule": HUMAN_LEVEL_RULE}


def _paired_how(evalset: EvalSet, row: str) -> str:
    kind = get_task(evalset.task).human_row(row)
    return kind.paired_how if kind is not None else f"each candidate scored on the {row} row's items"
