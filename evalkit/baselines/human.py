"""Human baselines: annotators' labels scored against the truth, like any other entry.

Two rows per panel:
- ``<name>/mean_annotator``: each annotator is scored on the items they labelled; the row is the
  mean over annotators, with ``spread`` (min, max) and every annotator's own metrics kept.
- ``<name>/majority_vote``: the most frequent label per item. Ties follow ``tie_rule``:
  ``expected`` (default) splits a tied item evenly among the tied labels, so each metric is the
  expectation of a random tie-break's counts (accuracy counts the tied item as the share of tied
  labels that are correct); ``random`` breaks ties with a seeded draw; ``exclude`` drops tied items.

Annotator labels for items outside the evaluated set are ignored (and counted); when annotators
cover only some items, ``coverage`` says how many.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError, DataError
from evalkit.evalset import EvalSet, as_keys
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions, id_column_of
from evalkit.tables import read_table, require_columns

TIE_RULES = ("expected", "random", "exclude")


def check(name: str, cfg: BaselineConfig) -> None:
    if not cfg.path:
        raise ConfigError(f"baselines.{name}: a human baseline needs 'path' to a CSV/Parquet file with "
                          "columns id, annotator, label")
    if cfg.tie_rule not in TIE_RULES:
        raise ConfigError(f"baselines.{name}.tie_rule: '{cfg.tie_rule}' is not one of {', '.join(TIE_RULES)}")


def read_annotations(path: Path, evalset: EvalSet, id_column: str) -> tuple[pd.DataFrame, int]:
    """Annotations as (item, annotator, label) with item = eval-set position; also the ignored count."""
    table = read_table(path, what="annotations")
    column = id_column_of(table, id_column) or "id"
    require_columns(table, [column, "annotator", "label"], path=path, what="annotations",
                    hint="an annotations file has one row per (item, annotator): id, annotator, label")
    for field in (column, "annotator", "label"):
        if table[field].isna().any():
            raise DataError(f"{path}: column '{field}' has {int(table[field].isna().sum())} empty value(s); "
                            "fill or drop those rows")
    position = pd.Series(np.arange(evalset.n_items), index=evalset.ids)
    ids = as_keys(table[column])
    known = np.isin(ids, evalset.ids)
    table = table[known]
    annotations = pd.DataFrame({
        "item": position.loc[ids[known]].to_numpy(),
        "annotator": as_keys(table["annotator"]),
        "label": evalset.encode(as_keys(table["label"]), source=str(path), field="label"),
    })
    duplicated = annotations.duplicated(["item", "annotator"])
    if duplicated.any():
        raise DataError(f"{path}: {int(duplicated.sum())} (id, annotator) pair(s) appear twice; "
                        "keep one label per annotator and item")
    if annotations.empty:
        raise DataError(f"{path}: none of the annotated ids are in the evaluated set ({evalset.source}); "
                        "check that the ids match the truth's")
    return annotations, int((~known).sum())


def majority_vote(items: np.ndarray, labels: np.ndarray, n_classes: int, tie_rule: str,
                  seed: int = 0) -> tuple[Predictions, int]:
    """The majority label per item, as weighted rows, and the number of tied items.

    >>> votes, ties = majority_vote(np.array([0, 0, 1, 1]), np.array([1, 1, 0, 1]), 2, "expected")
    >>> votes.item_index.tolist(), votes.labels.tolist(), votes.weight.tolist(), ties
    ([0, 1, 1], [1, 0, 1], [1.0, 0.5, 0.5], 1)
    """
    unique_items, item_pos = np.unique(items, return_inverse=True)
    counts = np.zeros((len(unique_items), n_classes), dtype=np.int64)
    np.add.at(counts, (item_pos, labels), 1)
    winners = counts == counts.max(axis=1, keepdims=True)
    n_winners = winners.sum(axis=1)
    tied = n_winners > 1
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


def run(name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
        resolve: Callable[[str, str], Path], id_column: str) -> list[Entry]:
    """The panel's mean-annotator and majority-vote rows."""
    path = resolve(cfg.path or "", f"baselines.{name}.path")
    annotations, ignored = read_annotations(path, evalset, id_column)
    per_annotator: dict[str, dict[str, object]] = {}
    for annotator, rows in annotations.groupby("annotator", sort=True):
        own = Predictions(labels=rows["label"].to_numpy(), scores=None, item_index=rows["item"].to_numpy())
        values = compute_metrics(registry, evalset, own).values
        per_annotator[str(annotator)] = {"n_items": len(rows),
                                         "metrics": {k: v for k, v in values.items() if v is not None}}
    covered = int(annotations["item"].nunique())
    coverage = {"items": covered, "of": evalset.n_items, "share": covered / evalset.n_items}
    common = {"path": str(path), "annotators": per_annotator, "coverage": coverage,
              "n_annotators": len(per_annotator)}
    if ignored:
        common["ignored_labels"] = f"{ignored} label(s) on items outside the evaluated set were ignored"

    mean_metrics, spread = _mean_over(per_annotator)
    mean_entry = Entry(name=f"{name}/mean_annotator", role="baseline", kind="human", metrics=mean_metrics,
                       notes={m: "needs scores; annotators give labels only"
                              for m, s in registry.items() if s.needs == "scores"},
                       details=common | {"spread": spread})
    votes, ties = majority_vote(annotations["item"].to_numpy(), annotations["label"].to_numpy(),
                                evalset.n_classes, cfg.tie_rule, cfg.seed)
    computed = compute_metrics(registry, evalset, votes)
    vote_entry = Entry(name=f"{name}/majority_vote", role="baseline", kind="human", metrics=computed.values,
                       notes=computed.notes, predictions=votes,
                       details=common | {"tie_rule": cfg.tie_rule, "tied_items": ties})
    return [mean_entry, vote_entry]


def _mean_over(per_annotator: Mapping[str, Mapping[str, object]]
               ) -> tuple[dict[str, float | None], dict[str, dict[str, float]]]:
    frame = pd.DataFrame([a["metrics"] for a in per_annotator.values()])
    means: dict[str, float | None] = {}
    spread: dict[str, dict[str, float]] = {}
    for metric in frame.columns:
        values = frame[metric].dropna()
        if values.empty:
            continue
        means[metric] = float(values.mean())
        spread[metric] = {"min": float(values.min()), "max": float(values.max())}
    return means, spread
