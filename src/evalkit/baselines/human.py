"""Human baselines: annotator panels scored against the truth, like any other entry.

**Input.** A CSV or Parquet export with one row per (item, annotator): the item id (the truth's id
column name, or ``id``), ``annotator`` and ``label`` (other names: ``annotator_column``,
``label_column``) and optionally a group such as crowd or expert (column ``group``, or the one named
by ``group_column``). Labels on items outside the evaluated set are ignored and counted.

**Rows**, per group, named ``<baseline>/<group>/<row>`` (``<baseline>/<row>`` without groups):

- ``mean_annotator`` — a typical person. Each annotator is scored on the items they labelled; the
  row is the unweighted mean over annotators, with ``spread`` (min, median, max over annotators) and
  ``interval``: a 95% t-interval of the mean over annotators, clipped to the metric's [0, 1] range.
  It treats annotators as a sample of the people one could hire and ignores item sampling.
  Annotators with fewer than ``min_items`` labelled items (default 10) are listed with their
  metrics but left out of the mean, the spread, the interval and the best annotator.
- ``majority_vote`` — an ensemble of people: the most frequent label per item, from every label of
  the group (``min_items`` does not apply). Ties follow ``tie_rule``:
  ``expected`` (default) counts a tied item as the share of the tied labels that are correct, which is
  the expectation of a random tie-break (exactly so for accuracy; precision and recall become ratios
  of expected counts); ``random`` breaks ties by a draw seeded with ``seed``; ``exclude`` drops tied
  items, which shrinks the row's coverage.
- ``best_annotator`` (with ``best_annotator: true``) — the single annotator ranked first by the run's
  strategy: an **optimistic ceiling**, since it is picked on the very items it is scored on. It is
  added by :func:`evalkit.baselines.human_reference.complete`, once the strategy is known.

**Groups.** By default one group per value of the group column. ``groups:`` instead names the row
groups and the values each pools, which is how the usual ladder of human baselines is written::

    groups: {crowd: [crowd], expert: [expert], senior: [senior], experts: [expert, senior]}

random people (``crowd/mean_annotator``) < an ensemble of them (``crowd/majority_vote``) < domain
experts (``expert/mean_annotator``) < deep domain experts (``senior/mean_annotator``) < a mixture of
experts (``experts/majority_vote``).

**Agreement** (:mod:`evalkit.agreement`) among each group's annotators is attached to every row of
the group as ``agreement``: the panel's label-noise estimate. Cohen's kappa pairs need ``min_items``
shared items.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from evalkit.agreement import label_counts, panel_agreement
from evalkit.baselines import human_multilabel
from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import EvalSet, as_keys, as_names, text_match_hint
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions, id_column_of
from evalkit.tables import read_table, require_columns
from evalkit.tasks import get_task

TIE_RULES = ("expected", "random", "exclude")
INTERVAL_LEVEL = 0.95
DEFAULT_GROUP = "group"  # the group column used when the file has one


@dataclass
class HumanEntry(Entry):
    """A human row, plus what later steps need but ``metrics.json`` does not: whose labels, on which items.

    ``annotators`` holds the averaged annotators' labels (mean_annotator) or the one annotator's
    (best_annotator); the majority vote's rows are in ``predictions``. ``votes`` (mean_annotator rows)
    holds every label of the group, ``min_items`` or not: columns item, annotator, label (label review
    weighs each vote).
    """

    baseline: str = ""
    group: str | None = None
    row: str = ""
    annotators: dict[str, Predictions] = field(default_factory=dict)
    best_wanted: bool = False
    votes: pd.DataFrame | None = None

    def item_sets(self) -> list[np.ndarray]:
        """The item sets this row is scored on: one per averaged annotator, or the vote's items."""
        if self.annotators:
            return [p.item_index for p in self.annotators.values() if p.item_index is not None]
        if self.predictions is not None and self.predictions.item_index is not None:
            return [np.unique(self.predictions.item_index)]
        return []


def row_name(baseline: str, group: str | None, row: str) -> str:
    """``<baseline>/<group>/<row>``, or ``<baseline>/<row>`` when the panel has no groups.

    >>> row_name("panel", "expert", "majority_vote"), row_name("panel", None, "mean_annotator")
    ('panel/expert/majority_vote', 'panel/mean_annotator')
    """
    return "/".join(part for part in (baseline, group, row) if part)


def check(name: str, cfg: BaselineConfig) -> None:
    """Config checks that need no data."""
    where = f"baselines.{name}"
    if not cfg.path:
        raise ConfigError(f"{where}: a human baseline needs 'path' to a CSV/Parquet file with "
                          "columns id, annotator, label (and optionally group); for detection, to the "
                          "annotator's COCO annotation or results file")
    if cfg.tie_rule not in TIE_RULES:
        raise ConfigError(f"{where}.tie_rule: '{cfg.tie_rule}' is not one of {', '.join(TIE_RULES)}")
    if cfg.min_items < 1:
        raise ConfigError(f"{where}.min_items: {cfg.min_items} must be at least 1 (labelled items per "
                          "annotator to be averaged, and shared items per pair for Cohen's kappa)")
    for group, values in cfg.groups.items():
        if not group or "/" in group:
            raise ConfigError(f"{where}.groups: group name '{group}' must be non-empty and without '/' "
                              "(it becomes part of the row name)")
        if not values:
            raise ConfigError(f"{where}.groups.{group}: list the group-column values it pools, "
                              "e.g. [expert, senior]")


def read_panel_table(path: Path, evalset: EvalSet, id_column: str, cfg: BaselineConfig, *,
                     answer_columns: Sequence[str], parse: Callable[[pd.DataFrame], Any], hint: str,
                     text_answers: bool = True, answer: str = "label") -> tuple[pd.DataFrame, Any, int]:
    """An annotations file, one row per (item, annotator), checked and aligned to the eval set.

    Returns columns item (eval-set position), annotator and group (None without groups); the answers,
    ``parse`` applied to the rows of evaluated items (a task's own reading: class codes, label sets,
    measured values); and how many rows were ignored because their item is not evaluated.
    ``answer_columns`` must exist; with ``text_answers`` they are read as text and may not be empty.
    """
    group_name = cfg.group_column or DEFAULT_GROUP
    table = read_table(path, what="annotations",
                       text_columns=[id_column, "id", cfg.annotator_column, group_name,
                                     *(answer_columns if text_answers else [])])
    column = id_column_of(table, id_column) or "id"
    group_column = cfg.group_column or (DEFAULT_GROUP if DEFAULT_GROUP in table.columns else None)
    keys = [column, cfg.annotator_column] + ([group_column] if group_column else [])
    require_columns(table, [*keys, *answer_columns], path=path, what="annotations", hint=hint)
    for name in keys + (list(answer_columns) if text_answers else []):
        if table[name].isna().any():
            raise DataError(f"{path}: column '{name}' has {int(table[name].isna().sum())} empty value(s); "
                            "fill or drop those rows")
    ids = as_keys(table[column])
    known = np.isin(ids, evalset.ids)
    # Unknown ids are ignored (a panel may label more items than are evaluated), but not one that is an
    # evaluated id written differently ('001' for '1'): that would silently drop the item's labels.
    mismatch = text_match_hint(sorted(set(ids[~known])), evalset.ids, "ids")
    if mismatch:
        raise DataError(f"{path}: column '{column}' has ids that are not the truth's{mismatch}")
    table = table[known].reset_index(drop=True)
    position = pd.Series(np.arange(evalset.n_items), index=evalset.ids)
    frame = pd.DataFrame({"item": position.loc[ids[known]].to_numpy(),
                          "annotator": as_names(table[cfg.annotator_column]),
                          "group": as_names(table[group_column]) if group_column else None})
    if frame.empty:
        raise DataError(f"{path}: none of the annotated ids are in the evaluated set ({evalset.source}); "
                        "check that the ids match the truth's")
    duplicated = frame.duplicated(["item", "annotator"])
    if duplicated.any():
        raise DataError(f"{path}: {int(duplicated.sum())} (id, annotator) pair(s) appear twice; "
                        f"keep one {answer} per annotator and item")
    if group_column:
        groups_per_annotator = frame.groupby("annotator")["group"].nunique()
        mixed = groups_per_annotator[groups_per_annotator > 1]
        if len(mixed):
            raise DataError(f"{path}: column '{group_column}': annotator(s) {list(mixed.index[:5])} appear "
                            "in more than one group; give each annotator one group")
    return frame, parse(table), int((~known).sum())


def read_annotations(path: Path, evalset: EvalSet, id_column: str, cfg: BaselineConfig
                     ) -> tuple[pd.DataFrame, int]:
    """Annotations as columns item (eval-set position), annotator, label (class code), group; and the
    number of labels ignored because their item is not evaluated. ``group`` is None without groups."""
    multilabel = get_task(evalset.task).label_sets  # a label set per row, in either layout; empty = no label

    def labels(table: pd.DataFrame) -> Any:
        if multilabel:  # a 0/1 vector over the truth's labels per row
            return human_multilabel.label_sets(table, evalset, cfg.label_column, str(path))
        return evalset.encode(as_keys(table[cfg.label_column]), source=str(path), field=cfg.label_column)

    frame, answers, ignored = read_panel_table(
        path, evalset, id_column, cfg, answer_columns=[] if multilabel else [cfg.label_column], parse=labels,
        hint="an annotations file has one row per (item, annotator): id, annotator, label (other names: set "
             "the baseline's annotator_column / label_column / group_column)")
    annotations = pd.DataFrame({"item": frame["item"], "annotator": frame["annotator"], "label": answers,
                                "group": frame["group"]})
    return annotations, ignored


def split_groups(annotations: pd.DataFrame, groups: Mapping[str, Sequence[str]], *, source: str
                 ) -> dict[str | None, pd.DataFrame]:
    """The annotations of each row group: ``groups`` (name -> pooled values), by default one per value.

    >>> a = pd.DataFrame({"item": [0, 0, 1], "annotator": ["x", "y", "z"], "label": [1, 1, 0],
    ...                   "group": ["crowd", "expert", "senior"]})
    >>> {k: len(v) for k, v in split_groups(a, {"experts": ["expert", "senior"]}, source="f").items()}
    {'experts': 2}
    >>> list(split_groups(a.assign(group=None), {}, source="f"))
    [None]
    """
    if annotations["group"].isna().all():
        if groups:
            raise ConfigError(f"{source}: 'groups' is set but the annotations have no group column; add one "
                              "(e.g. 'group': crowd/expert) or set the baseline's group_column")
        return {None: annotations}
    present = sorted(annotations["group"].unique())
    wanted = dict(groups) or {value: [value] for value in present}
    result: dict[str | None, pd.DataFrame] = {}
    for name, values in wanted.items():
        unknown = sorted(set(map(str, values)) - set(present))
        if unknown:
            raise DataError(f"{source}: group value(s) {unknown} of groups.{name} do not occur in the group "
                            f"column (values present: {present}); fix the baseline's 'groups'")
        result[name] = annotations[annotations["group"].isin([str(v) for v in values])]
    return result


def majority_vote(items: np.ndarray, labels: np.ndarray, n_classes: int, tie_rule: str,
                  seed: int = 0) -> tuple[Predictions, int]:
    """The majority label per item, as weighted rows, and the number of tied items.

    With ``expected``, a tied item becomes one row per tied label, each weighted 1/(number tied):

    >>> votes, ties = majority_vote(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 1]), 2, "expected")
    >>> votes.item_index.tolist(), votes.labels.tolist(), votes.weight.tolist(), ties
    ([0, 1, 1], [1, 0, 1], [1.0, 0.5, 0.5], 1)
    """
    unique_items, counts = label_counts(items, labels, n_classes)
    winners = counts == counts.max(axis=1, keepdims=True)
    tied = winners.sum(axis=1) > 1
    if tie_rule == "random":
        rng = np.random.default_rng(seed)
        noise = rng.random(winners.shape)
        choice = np.argmax(np.where(winners, noise, -1.0), axis=1)
        winners = np.zeros_like(winners)
        winners[np.arange(len(choice)), choice] = True
    elif tie_rule == "exclude":
        winners[tied] = False
    rows, label = np.nonzero(winners)
    weight = 1.0 / winners.sum(axis=1)[rows]
    return Predictions(labels=label.astype(np.int64), scores=None, item_index=unique_items[rows],
                       weight=weight), int(tied.sum())


def mean_with_spread(per_annotator: Sequence[Mapping[str, float | None]], *, bounded: set[str] | None = None,
                     level: float = INTERVAL_LEVEL
                     ) -> tuple[dict[str, float], dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Per metric: the unweighted mean over annotators, the spread (min, median, max) and a t-interval.

    The interval is mean ± t(level, k-1) · sd / sqrt(k) over the k annotators with a value, clipped to
    [0, 1] for the metrics named in ``bounded``; it needs k >= 2.

    >>> means, spread, interval = mean_with_spread([{"accuracy": 0.8}, {"accuracy": 0.9}, {"accuracy": 1.0}],
    ...                                            bounded={"accuracy"})
    >>> round(means["accuracy"], 4), spread["accuracy"]["median"], round(interval["accuracy"]["low"], 4)
    (0.9, 0.9, 0.6516)
    >>> interval["accuracy"]["high"]
    1.0
    """
    frame = pd.DataFrame(list(per_annotator), dtype=float)
    means: dict[str, float] = {}
    spread: dict[str, dict[str, float]] = {}
    interval: dict[str, dict[str, float]] = {}
    for metric in frame.columns:
        values = frame[metric].dropna().to_numpy()
        if len(values) == 0:
            continue
        mean = float(values.mean())
        means[metric] = mean
        spread[metric] = {"min": float(values.min()), "median": float(np.median(values)),
                          "max": float(values.max())}
        if len(values) >= 2:
            t = stats.t.ppf(0.5 + level / 2, len(values) - 1)
            half = float(t * values.std(ddof=1) / np.sqrt(len(values)))
            low, high = mean - half, mean + half
            if bounded and metric in bounded:
                low, high = max(low, 0.0), min(high, 1.0)
            interval[metric] = {"low": low, "high": high}
    return means, spread, interval


def run(name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
        resolve: Callable[[str, str], Path], id_column: str) -> list[Entry]:
    """The panel's rows: mean annotator and majority vote for every group (best annotators come later)."""
    path = resolve(cfg.path or "", f"baselines.{name}.path")
    annotations, ignored = read_annotations(path, evalset, id_column, cfg)
    entries: list[Entry] = []
    for group, rows in split_groups(annotations, cfg.groups, source=str(path)).items():
        entries += _group_rows(name, group, rows, cfg, evalset, registry, path, ignored)
    return entries


def _group_rows(name: str, group: str | None, rows: pd.DataFrame, cfg: BaselineConfig, evalset: EvalSet,
                registry: Mapping[str, MetricSpec], path: Path, ignored: int) -> list[HumanEntry]:
    items, annotators, labels = (rows[c].to_numpy() for c in ("item", "annotator", "label"))
    multilabel = get_task(evalset.task).label_sets
    if multilabel:
        labels = np.stack(list(labels)) if len(labels) else np.zeros((0, evalset.n_classes), dtype=np.int64)
        agreement = human_multilabel.agreement(items, annotators, labels, evalset.classes,
                                               min_shared=cfg.min_items)
    else:
        agreement = panel_agreement(items, annotators, labels, evalset.n_classes, min_shared=cfg.min_items)
    common: dict[str, Any] = {"baseline": name, "group": group, "path": str(path), "agreement": agreement}
    if multilabel:
        common["scores"] = ("an annotator's 0/1 labels are their scores; the vote's score for a label is the "
                            "share of the item's annotators who gave it")
    if group is not None:
        common["group_values"] = sorted(rows["group"].unique())
    if ignored:
        common["ignored_labels"] = f"{ignored} label(s) on items outside the evaluated set were ignored"

    per_annotator: dict[str, dict[str, Any]] = {}
    averaged: dict[str, Predictions] = {}
    for annotator, own_rows in rows.groupby("annotator", sort=True):
        own = (human_multilabel.annotator_predictions(own_rows["item"].to_numpy(),
                                                      np.stack(own_rows["label"].to_list()))
               if multilabel else Predictions(labels=own_rows["label"].to_numpy(), scores=None,
                                              item_index=own_rows["item"].to_numpy()))
        values = compute_metrics(registry, evalset, own).values
        enough = len(own_rows) >= cfg.min_items
        per_annotator[str(annotator)] = {"n_items": len(own_rows), "averaged": enough,
                                         "metrics": {k: v for k, v in values.items() if v is not None}}
        if enough:
            averaged[str(annotator)] = own
    label_only = {} if multilabel else {m: "needs scores; annotators give labels only"
                                        for m, s in registry.items() if s.needs == "scores"}
    bounded = {m for m, s in registry.items() if s.bounded}
    means, spread, interval = mean_with_spread([per_annotator[a]["metrics"] for a in averaged],
                                               bounded=bounded)
    counts = [len(p.labels) for p in averaged.values() if p.labels is not None]
    mean_details = common | {
        "n_annotators": len(per_annotator), "averaged_annotators": len(averaged), "min_items": cfg.min_items,
        "annotators": per_annotator, "spread": spread, "interval": interval,
        "interval_method": f"{INTERVAL_LEVEL:.0%} t-interval over the averaged annotators",
        "coverage": coverage([p.item_index for p in averaged.values()], evalset.n_items),
    }
    if counts:  # each annotator is scored on their own items: how many, over the averaged annotators
        mean_details["items_per_annotator"] = {"min": min(counts), "median": float(np.median(counts)),
                                               "max": max(counts)}
    if len(averaged) < len(per_annotator):
        short = sorted(set(per_annotator) - set(averaged))
        mean_details["not_averaged"] = (f"{len(short)} annotator(s) with fewer than {cfg.min_items} items "
                                        f"are listed but not averaged: {', '.join(short[:10])}"
                                        + (", ..." if len(short) > 10 else ""))
    mean_entry = HumanEntry(name=row_name(name, group, "mean_annotator"), role="baseline", kind="human",
                            metrics=dict(means), notes=label_only, details=mean_details, baseline=name,
                            group=group, row="mean_annotator", annotators=averaged,
                            best_wanted=cfg.best_annotator, votes=rows[["item", "annotator", "label"]])

    votes, ties = (human_multilabel.majority_vote(items, labels, cfg.tie_rule, cfg.seed, source=str(path))
                   if multilabel else majority_vote(items, labels, evalset.n_classes, cfg.tie_rule, cfg.seed))
    computed = compute_metrics(registry, evalset, votes)
    vote_details = common | {"n_annotators": len(per_annotator), "tie_rule": cfg.tie_rule, "tied_items": ties,
                             "coverage": coverage([votes.item_index], evalset.n_items)}
    vote_entry = HumanEntry(name=row_name(name, group, "majority_vote"), role="baseline", kind="human",
                            metrics=computed.values, notes=computed.notes, predictions=votes,
                            details=vote_details, baseline=name, group=group, row="majority_vote")
    return [mean_entry, vote_entry]


def coverage(item_sets: Sequence[np.ndarray | None], n_items: int) -> dict[str, Any]:
    """How many distinct eval-set items the row's labels touch."""
    arrays = [a for a in item_sets if a is not None and len(a)]
    covered = len(np.unique(np.concatenate(arrays))) if arrays else 0
    return {"items": covered, "of": n_items, "share": covered / n_items}
