"""A run's label review: the suspect items, the evidence behind each, duplicates and leakage, and whether
the verdict survives — as the ``label_review`` block of ``metrics.json`` and ``label_review.csv``.

Called by the runner when ``label_review.enabled`` is set (default off). Gold stays gold: nothing here
changes an entry's metrics, the leaderboard or the verdict.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.comparison import Comparison
from evalkit.confidence import Assessment
from evalkit.config import RunConfig
from evalkit.entry import Entry
from evalkit.escaping import csv_cell
from evalkit.evalset import EvalSet
from evalkit.label_review import sensitivity
from evalkit.label_review.duplicates import duplicate_groups, in_train
from evalkit.label_review.evidence import Evidence, gather
from evalkit.label_review.per_label import STATES, LabelSuspects, per_label_suspects, relabelled_sets
from evalkit.label_review.ranking import Suspects, find_suspects
from evalkit.metrics.registry import MetricSpec
from evalkit.strategies import Strategy

CSV_FILE = "label_review.csv"
CSV_COLUMNS = ("rank", "id", "gold", "suggested", "ranking_score", "candidates_p_gold",
               "candidates_p_suggested", "candidates_for_suggested", "votes", "votes_for_gold", "votes_total",
               "flagged")
METHOD = ("confident learning (per-class thresholds = mean self-confidence; flagged = off-diagonal of the "
          "confident joint) on the contributing entries' mean out-of-sample probabilities, multiplied by the "
          "panels' votes weighted by each annotator's agreement with gold; ranking score = 1 - the combined "
          "probability of the gold label")
PER_LABEL_METHOD = ("each label reviewed as a binary problem (present or absent): " + METHOD
                    + "; a suspect is an (item, label) pair")
# How many duplicate groups and ids are named in metrics.json and the report (the counts are complete).
EXAMPLES = 5


@dataclass(frozen=True)
class LabelReview:
    """The ``metrics.json`` block and the text of ``label_review.csv``."""

    record: dict[str, Any]
    csv: str


def review_labels(cfg: RunConfig, entries: Sequence[Entry], evalset: EvalSet,
                  registry: Mapping[str, MetricSpec], strategy: Strategy, comparison: Comparison,
                  assessment: Assessment | None) -> LabelReview:
    """Review the gold labels of a scored run (see the module docstring)."""
    from evalkit.tasks import get_task

    if not get_task(evalset.task).reviews_labels:  # duplicates only (detection: duplicate images)
        missing = (f"task {evalset.task} has no single gold class per item, so there is no review list; "
                   "duplicates are listed below")
        return LabelReview({"file": CSV_FILE, "method": None, "n_items": evalset.n_items, "flagged": 0,
                            "contributors": [], "not_used": [], "panels": [], "missing_evidence": missing,
                            "top": [], **duplicates_block(evalset)}, review_csv([]))
    evidence = gather(cfg, entries, evalset)
    block: dict[str, Any] = {
        "file": CSV_FILE, "method": METHOD, "n_items": evalset.n_items, "flagged": 0,
        "contributors": evidence.contributors, "not_used": evidence.not_used, "panels": evidence.panels,
        "missing_evidence": evidence.missing(), "top": [],
        **duplicates_block(evalset),
    }
    rows: list[dict[str, Any]] = []
    if block["missing_evidence"] is not None:
        return LabelReview(block, review_csv(rows))
    if get_task(evalset.task).reviews_per_label:
        return per_label_review(cfg, evidence, block, entries, evalset, registry, strategy, comparison,
                                assessment)
    suspects = find_suspects(evidence.probabilities, evalset.y, evidence.votes,
                             n_classes=evalset.n_classes)
    # Every flagged item, and the most suspect unflagged ones up to `top`: a run with nothing flagged
    # still says which items to re-check first.
    rows = review_rows(suspects, evidence, evalset, cfg.label_review.top)
    block["flagged"] = int(suspects.flagged.sum())
    block["thresholds"] = {c: (float(t) if np.isfinite(t) else None)
                           for c, t in zip(evalset.classes, suspects.thresholds, strict=True)}
    block["top"] = rows[:cfg.label_review.top]
    if evidence.sources and evidence.votes is not None:
        block["cleared"] = cleared_by_votes(suspects, evidence, evalset, cfg.label_review.top)
    flagged = suspects.order
    block["sensitivity"] = sensitivity_block(
        len(flagged), flagged, sensitivity.relabelled(evalset, flagged, suspects.suggested[flagged]),
        entries, evalset, registry, strategy, comparison, assessment, cfg)
    return LabelReview(block, review_csv(rows))


def per_label_review(cfg: RunConfig, evidence: Evidence, block: dict[str, Any], entries: Sequence[Entry],
                     evalset: EvalSet, registry: Mapping[str, MetricSpec], strategy: Strategy,
                     comparison: Comparison, assessment: Assessment | None) -> LabelReview:
    """Multi-label: every label's column reviewed as a binary problem; a suspect is an (item, label) pair,
    and label_review.csv gains the label's name."""
    suspects = per_label_suspects(list(evidence.sources.values()), evalset.y, evidence.votes)
    rows = label_rows(suspects, evidence, evalset, cfg.label_review.top)
    flagged = suspects.flagged
    drop = np.flatnonzero(flagged.any(axis=1))
    block.update({"flagged": int(flagged.sum()), "flagged_items": len(drop), "per_label": True,
                  "method": PER_LABEL_METHOD, "top": rows[:cfg.label_review.top]})
    changed = dataclasses.replace(evalset, y=relabelled_sets(evalset.y, suspects))
    block["sensitivity"] = sensitivity_block(int(flagged.sum()), drop, changed, entries, evalset, registry,
                                             strategy, comparison, assessment, cfg,
                                             what=f"(item, label) pair(s) on {len(drop)} item(s)")
    return LabelReview(block, review_csv(rows, per_label=True))


def label_rows(suspects: LabelSuspects, evidence: Evidence, evalset: EvalSet,
               top: int) -> list[dict[str, Any]]:
    """One record per (item, label) pair of the review list: gold and suggested state, the evidence."""
    sources = list(evidence.sources.values())
    rows = []
    for rank, (item, label) in enumerate(suspects.review_list(top), start=1):
        own = suspects.per_label[label]
        gold = int(evalset.y[item, label])
        suggested = 1 - gold
        row: dict[str, Any] = {"rank": rank, "id": str(evalset.ids[item]), "label": evalset.classes[label],
                               "gold": STATES[gold], "suggested": STATES[suggested],
                               "ranking_score": float(own.score[item]), "flagged": bool(own.flagged[item])}
        if sources:
            p = [float(s[item, label]) for s in sources]
            row["candidates_p_gold"] = float(np.mean([x if gold else 1 - x for x in p]))
            row["candidates_p_suggested"] = 1.0 - row["candidates_p_gold"]
            row["candidates_for_suggested"] = int(sum((x >= 0.5) == bool(suggested) for x in p))
            row["candidates"] = len(sources)
        if evidence.votes is not None:
            said = evidence.votes.label[evidence.votes.item == item, label]
            row["votes"] = {STATES[k]: int((said == k).sum()) for k in (1, 0) if (said == k).any()}
            row["votes_for_gold"], row["votes_total"] = int((said == gold).sum()), len(said)
        rows.append(row)
    return rows


def review_rows(suspects: Suspects, evidence: Evidence, evalset: EvalSet,
                top: int) -> list[dict[str, Any]]:
    """One record per item of the review list (:meth:`Suspects.review_list`: the flagged items, then the
    most suspect others up to ``top``): the item, gold, suggestion, the evidence and whether it is flagged."""
    classes = evalset.classes
    counts = evidence.votes.counts(evalset.n_items, evalset.n_classes) if evidence.votes is not None else None
    sources = list(evidence.sources.values())
    rows = []
    for rank, item in enumerate(suspects.review_list(top).tolist(), start=1):
        gold = int(evalset.y[item])
        suggested = suspects.alternative(item, gold)
        row: dict[str, Any] = {"rank": rank, "id": str(evalset.ids[item]), "gold": classes[gold],
                               "suggested": classes[suggested], "ranking_score": float(suspects.score[item]),
                               "flagged": bool(suspects.flagged[item])}
        if sources:
            row["candidates_p_gold"] = float(np.mean([p[item, gold] for p in sources]))
            row["candidates_p_suggested"] = float(np.mean([p[item, suggested] for p in sources]))
            row["candidates_for_suggested"] = int(sum(int(np.argmax(p[item])) == suggested for p in sources))
            row["candidates"] = len(sources)
        if counts is not None:
            own = counts[item]
            row["votes"] = {classes[k]: int(n) for k, n in enumerate(own) if n}
            row["votes_for_gold"], row["votes_total"] = int(own[gold]), int(own.sum())
        rows.append(row)
    return rows


def cleared_by_votes(suspects: Suspects, evidence: Evidence, evalset: EvalSet, top: int) -> dict[str, Any]:
    """The items the candidates alone would flag but the panels' votes clear (they side with gold)."""
    alone = find_suspects(evidence.probabilities, evalset.y, n_classes=evalset.n_classes)
    cleared = [int(i) for i in alone.order if not suspects.flagged[i]]
    assert evidence.votes is not None
    counts = evidence.votes.counts(evalset.n_items, evalset.n_classes)
    examples = [{"id": str(evalset.ids[i]), "gold": evalset.classes[int(evalset.y[i])],
                 "candidates_suggested": evalset.classes[int(alone.suggested[i])],
                 "votes": {evalset.classes[k]: int(n) for k, n in enumerate(counts[i]) if n}}
                for i in cleared[:top]]
    return {"items": len(cleared), "examples": examples}


def review_csv(rows: Sequence[Mapping[str, Any]], *, per_label: bool = False) -> str:
    """``label_review.csv``: the review list with its evidence (multi-label: with the label's name); text
    cells spreadsheet-safe."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = (*CSV_COLUMNS[:2], "label", *CSV_COLUMNS[2:]) if per_label else CSV_COLUMNS
    writer.writerow(columns)
    for row in rows:
        cells = dict(row)
        if "candidates" in row:
            cells["candidates_for_suggested"] = f"{row['candidates_for_suggested']} of {row['candidates']}"
        if "votes" in row:
            cells["votes"] = "; ".join(f"{label}: {n}" for label, n in row["votes"].items())
        cells["flagged"] = "yes" if row.get("flagged") else "no"
        writer.writerow([_cell(cells.get(column)) for column in columns])
    return out.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return csv_cell(str(value)) if isinstance(value, str) else value


def duplicates_block(evalset: EvalSet) -> dict[str, Any]:
    """Duplicate evaluated items (what makes two the same is the task's: identical feature rows, or an
    image record's hash), and evaluated items found in the train split."""
    from evalkit.tasks import get_task

    identity = get_task(evalset.task).item_identity(evalset)
    features = identity.table
    if features is None or features.shape[1] == 0:
        note = "no feature columns in the evaluated data: duplicates and leakage not checked"
        return {"duplicates": {"note": note}, "leakage": {"note": note}}
    groups = duplicate_groups(features)
    gold = identity.gold
    conflicting = sum((len(set(gold[g].tolist())) if gold.ndim == 1 else len(np.unique(gold[g], axis=0))) > 1
                      for g in groups)
    duplicates = {"groups": len(groups), "items": int(sum(len(g) for g in groups)),
                  "conflicting_gold": conflicting, "compared": identity.compared,
                  "gold_words": identity.gold_words,
                  "examples": [[str(i) for i in evalset.ids[g[:EXAMPLES]]] for g in groups[:EXAMPLES]]}
    train = evalset.train_features
    if train is None or features is not evalset.features:
        leakage: dict[str, Any] = {"note": "no train split: leakage not checked"}
    elif list(train.columns) != list(features.columns):
        leakage = {"note": "the train split has other feature columns: leakage not checked"}
    else:
        leaked = in_train(features, train)
        leakage = {"items": len(leaked), "examples": [str(i) for i in evalset.ids[leaked[:EXAMPLES * 2]]]}
    return {"duplicates": duplicates, "leakage": leakage}


def sensitivity_block(n_flagged: int, drop: np.ndarray, changed: EvalSet, entries: Sequence[Entry],
                      evalset: EvalSet, registry: Mapping[str, MetricSpec], strategy: Strategy,
                      comparison: Comparison, assessment: Assessment | None, cfg: RunConfig, *,
                      what: str = "item(s)") -> dict[str, Any]:
    """The run rescored without the items at ``drop`` and on ``changed`` (the suggested labels), and the
    line comparing them; ``n_flagged`` counts what was flagged (items, or item-label pairs)."""
    if not n_flagged:
        return {"line": "No item is flagged: nothing to rescore, the verdict stands as stated."}
    if len(drop) == evalset.n_items:
        return {"line": "Every item is flagged: nothing would be left to rescore; check the label column."}
    base = sensitivity.summary(comparison, assessment, entries, evalset.n_items)
    smaller, kept = sensitivity.without_items(evalset, entries, drop)
    removed = sensitivity.rescore(kept, smaller, registry, strategy, cfg.bootstrap)
    replaced = sensitivity.rescore(entries, changed, registry, strategy, cfg.bootstrap)
    return {"line": sensitivity.line(n_flagged, base, removed, replaced, what=what), "run": base,
            "removed": removed,
            "relabelled": replaced}
