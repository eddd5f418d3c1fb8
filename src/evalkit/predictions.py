"""Predictions for the eval set: labels and/or scores, aligned to the eval set's item order.

A predictions table has an id column (the truth's id column name, or ``id``) and
- binary: ``score`` (probability of the positive class) and/or ``label``;
- multiclass: ``label`` and/or one ``score_<class>`` column per class (rows summing to 1);
- multilabel: see :mod:`evalkit.multilabel_data` (labels and scores are ``(n, n_labels)`` matrices);
- detection: a COCO results file instead, see :mod:`evalkit.detection_data` (``detections``).

Rows may also stand for *weighted pseudo-items* (``item_index`` + ``weight``): a human panel that
labelled a subset of the items, or a majority vote whose ties are split in expectation, is scored
with the same metric code as any model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from evalkit import text_keys
from evalkit.errors import DataError
from evalkit.evalset import EvalSet, Keys, key_array, match_keys, text_match_hint

if TYPE_CHECKING:
    from evalkit.detection_data import Detections

SUM_TOLERANCE = 1e-6
# The column of predicted labels (single-label, or multi-label names separated by the delimiter).
PREDICTED_LABEL_COLUMN = "label"


@dataclass(frozen=True)
class Predictions:
    """Labels (class codes) and/or scores for rows that map to eval-set items."""

    labels: np.ndarray | None
    scores: np.ndarray | None
    item_index: np.ndarray | None = None
    weight: np.ndarray | None = None
    labels_from_scores: bool = False
    # detection: the entry's COCO results, matched on the images it covers (labels and scores are None)
    detections: Detections | None = None
    # predicted values that are neither class codes nor scores, as the task reads and scores them
    # (regression: (n,) for one target or (n, n_targets))
    values: np.ndarray | None = None
    # classification: how the labels were chosen from the scores at an operating point (the task's
    # own object), so the bootstrap can re-run the choice on each resample
    operating_point: object | None = None

    def truth(self, evalset: EvalSet) -> np.ndarray:
        """The true class codes for these rows."""
        return evalset.y if self.item_index is None else evalset.y[self.item_index]

    def covered_items(self, n_items: int) -> int:
        """How many distinct eval-set items these rows score."""
        return n_items if self.item_index is None else len(np.unique(self.item_index))


def labels_from_scores(scores: np.ndarray) -> np.ndarray:
    """Binary: positive when the score is at least 0.5; multiclass: the highest-scoring class."""
    if scores.ndim == 1:
        return (scores >= 0.5).astype(np.int64)
    return np.argmax(scores, axis=1).astype(np.int64)


def id_column_of(table: pd.DataFrame, preferred: str) -> str | None:
    """The column holding item ids: the truth's id column name if present, else ``id``."""
    for name in (preferred, "id"):
        if name in table.columns:
            return name
    return None


def predictions_from_table(table: pd.DataFrame, evalset: EvalSet, *, source: str,
                           id_column: str = "id") -> Predictions:
    """Validate a predictions table against the eval set and align it to the eval set's order (the
    task decides which columns it reads)."""
    from evalkit.tasks import get_task  # the registry; tasks build on this module

    return get_task(evalset.task).predictions_from_table(table, evalset, source=source, id_column=id_column)


def align_by_id(table: pd.DataFrame, evalset: EvalSet, *, source: str, id_column: str) -> pd.DataFrame:
    """The table's rows in the eval set's item order, after checking ids: none missing, extra or twice.

    The id column is dropped: row ``i`` is the eval set's item ``i``."""
    column = id_column_of(table, id_column)
    if column is None:
        raise DataError(f"{source}: no id column ('{id_column}' or 'id'); add the item ids the "
                        "predictions belong to")
    if table[column].isna().any():
        raise DataError(f"{source}: column '{column}' has {int(table[column].isna().sum())} empty id(s); "
                        "every row needs the id of the item it predicts")
    ids = match_keys(table[column])
    # One lookup of the ids in the truth's gives alignment and every check at once.
    where = evalset.id_index.positions(ids)
    _check_ids(ids, where, evalset, source, column)
    # Once aligned the ids are the truth's: only the prediction columns are kept.
    table = table.drop(columns=[column])
    if np.array_equal(where, np.arange(len(where))):
        return table.reset_index(drop=True)  # already in the truth's order: nothing to move
    order = np.empty(evalset.n_items, dtype=np.int64)
    order[where] = np.arange(len(where))
    return table.iloc[order].reset_index(drop=True)


def _sample(values: np.ndarray, k: int = 5) -> str:
    shown = ", ".join(map(str, values[:k]))
    return shown + (", ..." if len(values) > k else "")


def _check_ids(ids: object, where: np.ndarray, evalset: EvalSet, source: str, column: str) -> None:
    """``ids``: the rows' keys (:func:`match_keys`); ``where``: each one's position in the truth's ids,
    -1 when it is not there. Only a failing check turns keys into Python strings (for its message)."""
    known = where >= 0
    seen = np.bincount(where[known], minlength=evalset.n_items)
    extra = text_keys.as_text(text_keys.take_where(ids, ~known)) if not known.all() else np.array([], object)
    if (seen > 1).any() or len(extra) > len(set(extra)):
        dup = pd.Series(text_keys.as_text(ids), dtype=object)
        dup = dup[dup.duplicated()].unique()
        raise DataError(f"{source}: column '{column}' has {len(dup)} duplicate id(s) ({_sample(dup)}); "
                        "give one prediction per item")
    if len(extra):
        raise DataError(f"{source}: {len(extra)} id(s) in column '{column}' are not in the truth "
                        f"({evalset.source}): {_sample(extra)}; predictions must be for the evaluated items"
                        + text_match_hint(extra, evalset.ids, "ids"))
    missing = evalset.ids[seen == 0]
    if len(missing):
        raise DataError(f"{source}: {len(missing)} of {evalset.n_items} truth id(s) have no prediction: "
                        f"{_sample(missing)}; predict every evaluated item")


def label_codes(table: pd.DataFrame, evalset: EvalSet, source: str) -> np.ndarray | None:
    if "label" not in table.columns:
        return None
    column = table["label"]
    if column.isna().any():
        raise DataError(f"{source}: column 'label' has {int(column.isna().sum())} empty value(s); "
                        "every row needs a label (or drop the column and give scores)")
    return evalset.encode(match_keys(column), source=source, field="label")


def numeric_scores(table: pd.DataFrame, name: str, source: str) -> np.ndarray:
    values = pd.to_numeric(table[name], errors="coerce")
    bad = values.isna() & table[name].notna()
    if bad.any():
        raise DataError(f"{source}: column '{name}' has non-numeric value(s) such as "
                        f"{table[name][bad].iloc[0]!r}; scores must be numbers")
    if values.isna().any():
        raise DataError(f"{source}: column '{name}' has {int(values.isna().sum())} NaN/empty score(s); "
                        "every row needs a score")
    array = values.to_numpy(dtype=np.float64)
    if not np.isfinite(array).all():
        raise DataError(f"{source}: column '{name}' has {int((~np.isfinite(array)).sum())} infinite "
                        "score(s); give probabilities in [0, 1]")
    outside = (array < 0) | (array > 1)
    if outside.any():
        raise DataError(f"{source}: column '{name}' has {int(outside.sum())} score(s) outside [0, 1] "
                        f"(e.g. {array[outside][0]:g}); {_score_fix(array)}")
    return array


def _score_fix(array: np.ndarray) -> str:
    """What to do with scores outside [0, 1]: percentages (all within [0, 100]) need dividing by 100."""
    if array.min() >= 0 and array.max() <= 100:
        return ("they look like percentages (all within [0, 100]): divide by 100 to give probabilities "
                "(or, if they are logits, apply a sigmoid/softmax)")
    return "give probabilities (apply a sigmoid/softmax)"


def predictions_from_output(output: object, evalset: EvalSet, *, source: str) -> Predictions:
    """Predictions from a rule function's return value, read the way the task reads its tables."""
    from evalkit.tasks import get_task

    return get_task(evalset.task).predictions_from_output(output, evalset, source=source)


def row_ids(frame: pd.DataFrame, evalset: EvalSet) -> Keys:
    """The ids of a rule's returned DataFrame: its index when every entry is a truth id, else (a row
    per item, e.g. a default RangeIndex) the truth's ids in order."""
    index = match_keys(frame.index.to_series())
    if len(frame) == evalset.n_items and (evalset.id_index.positions(index) < 0).any():
        return evalset.ids
    return key_array(index)
