"""Human panels that measure values (positions, angles, prices): scored with the run's own metrics.

**Input.** A CSV or Parquet export with one row per (item, annotator): the item id (the truth's id
column name, or ``id``), ``annotator`` (or ``annotator_column``), optionally a group (``group`` or
``group_column``), and one column per target, named as in the truth. Rows for items outside the
evaluated set are ignored and counted.

**Rows**, per group (names as in :mod:`evalkit.baselines.human`):

- ``mean_annotator``: each annotator scored on their own items with every metric and named error,
  averaged over the annotators with at least ``min_items`` items (spread and a t-interval too);
- ``median``: the panel's consensus, the median of the annotators' values per item and target (in
  place of a majority vote, which numbers do not have); a quaternion's components are medians too,
  renormalised by the rotation error;
- ``best_annotator`` (``best_annotator: true``): the annotator ranked first, an optimistic ceiling.

**Agreement**, per target column: ICC(2,1), ICC(3,1) and Krippendorff's alpha at interval level
(:mod:`evalkit.tasks.regression.agreement`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.baselines.human import (
    INTERVAL_LEVEL,
    HumanEntry,
    coverage,
    mean_with_spread,
    read_panel_table,
    row_name,
    split_groups,
)
from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import MetricSpec
from evalkit.predictions import Predictions
from evalkit.tasks.regression.agreement import interval_agreement_by_column
from evalkit.tasks.regression.data import numeric_columns, shaped
from evalkit.tasks.regression.errors import error_specs

if TYPE_CHECKING:
    from evalkit.tasks.base import Task


def read_panel(path: Path, evalset: EvalSet, id_column: str, cfg: BaselineConfig
               ) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Columns item (eval-set position), annotator, group; the values ``(rows, n_targets)``; and how many
    rows were ignored because their item is not evaluated."""
    targets = list(evalset.classes)
    return read_panel_table(
        path, evalset, id_column, cfg, answer_columns=targets, text_answers=False, answer="measurement",
        parse=lambda table: numeric_columns(table, targets, source=str(path), what="measurements"),
        hint="a regression panel has one row per (item, annotator): id, annotator and the target columns "
             f"({', '.join(targets)}), named as in the truth")


def same_hemisphere(items: np.ndarray, quaternions: np.ndarray) -> np.ndarray:
    """Quaternions flipped (q -> -q, the same rotation) to the side of their item's first one, so that
    averaging or taking medians of components does not mix the two signs of one rotation.

    >>> q = np.array([[0.5, 0.5, 0.5, 0.5], [-0.5, -0.5, -0.5, -0.5]])
    >>> same_hemisphere(np.array([0, 0]), q)[1].tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    first = pd.DataFrame(quaternions).assign(item=items).groupby("item").transform("first").to_numpy()
    sign = np.where(np.einsum("ij,ij->i", quaternions, first) < 0, -1.0, 1.0)
    return quaternions * sign[:, None]


def median_consensus(items: np.ndarray, values: np.ndarray,
                     rotations: list[list[int]] | None = None) -> Predictions:
    """Per item, the median of its annotators' values (each target on its own), as predictions.

    ``rotations`` lists the column positions of each quaternion, which are brought to one sign first.

    >>> p = median_consensus(np.array([0, 0, 0, 2]), np.array([[1.0], [2.0], [9.0], [4.0]]))
    >>> p.item_index.tolist(), p.values.tolist()
    ([0, 2], [2.0, 4.0])
    """
    values = values.copy()
    for columns in rotations or []:
        values[:, columns] = same_hemisphere(items, values[:, columns])
    frame = pd.DataFrame(values).assign(item=items)
    medians = frame.groupby("item", sort=True).median()
    return Predictions(labels=None, scores=None, values=shaped(medians.to_numpy(dtype=np.float64)),
                       item_index=medians.index.to_numpy(dtype=np.int64))


def run(name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
        resolve: Callable[[str, str], Path], id_column: str, task: Task) -> list[Entry]:
    """The panel's rows: mean annotator and median consensus for every group."""
    path = resolve(cfg.path or "", f"baselines.{name}.path")
    frame, values, ignored = read_panel(path, evalset, id_column, cfg)
    entries: list[Entry] = []
    positions = pd.Series(np.arange(len(frame)))
    for group, rows in split_groups(frame.assign(row=positions), cfg.groups, source=str(path)).items():
        own_values = values[rows["row"].to_numpy()]
        entries += _group_rows(name, group, rows, own_values, cfg, evalset, registry, path, ignored, task)
    return entries


def _group_rows(name: str, group: str | None, rows: pd.DataFrame, values: np.ndarray, cfg: BaselineConfig,
                evalset: EvalSet, registry: Mapping[str, MetricSpec], path: Path, ignored: int,
                task: Task) -> list[HumanEntry]:
    items, annotators = rows["item"].to_numpy(), rows["annotator"].to_numpy()
    agreement = interval_agreement_by_column(items, annotators, {t: values[:, j]
                                                                 for j, t in enumerate(evalset.classes)})
    common: dict[str, Any] = {"baseline": name, "group": group, "path": str(path), "agreement": agreement}
    if group is not None:
        common["group_values"] = sorted(rows["group"].unique())
    if ignored:
        common["ignored_labels"] = f"{ignored} row(s) on items outside the evaluated set were ignored"
    per_annotator: dict[str, dict[str, Any]] = {}
    averaged: dict[str, Predictions] = {}
    for annotator in sorted(set(annotators)):
        mine = annotators == annotator
        own = Predictions(labels=None, scores=None, values=shaped(values[mine]), item_index=items[mine])
        metrics = task.compute_metrics(registry, evalset, own).values
        enough = int(mine.sum()) >= cfg.min_items
        per_annotator[str(annotator)] = {"n_items": int(mine.sum()), "averaged": enough,
                                         "metrics": {k: v for k, v in metrics.items() if v is not None}}
        if enough:
            averaged[str(annotator)] = own
    bounded = {m for m, s in registry.items() if s.bounded}
    means, spread, interval = mean_with_spread([per_annotator[a]["metrics"] for a in averaged],
                                               bounded=bounded)
    mean_details = common | {
        "n_annotators": len(per_annotator), "averaged_annotators": len(averaged), "min_items": cfg.min_items,
        "annotators": per_annotator, "spread": spread, "interval": interval,
        "interval_method": f"{INTERVAL_LEVEL:.0%} t-interval over the averaged annotators",
        "coverage": coverage([p.item_index for p in averaged.values()], evalset.n_items)}
    mean_entry = HumanEntry(name=row_name(name, group, "mean_annotator"), role="baseline", kind="human",
                            metrics=dict(means), details=mean_details, baseline=name, group=group,
                            row="mean_annotator", annotators=averaged, best_wanted=cfg.best_annotator)
    targets = list(evalset.classes)
    rotations = [[targets.index(c) for c in spec.columns]
                 for spec in error_specs(registry).values() if spec.kind == "rotation"]
    consensus = median_consensus(items, values, rotations)
    computed = task.compute_metrics(registry, evalset, consensus)
    median_details = common | {"n_annotators": len(per_annotator),
                               "consensus": "the median of the annotators' values per item and target",
                               "coverage": coverage([consensus.item_index], evalset.n_items)}
    median_entry = HumanEntry(name=row_name(name, group, "median"), role="baseline", kind="human",
                              metrics=computed.values, notes=computed.notes, predictions=consensus,
                              details=median_details, baseline=name, group=group, row="median")
    return [mean_entry, median_entry]
