"""What wrong predictions cost: the experiment's ``costs:`` section and the ``expected_cost`` metric.

Not to be confused with ``cost_metrics`` (measured costs of running a model, such as latency): these
are the costs of its *errors*, stated by the user, and ``expected_cost`` is the mean cost per
evaluated item (lower is better). Three forms:

- binary, one cost per kind of error: ``costs: {false_positive: 1, false_negative: 5}``;
- any classification task, a matrix in the class order (rows = true class, columns = predicted):
  ``costs: {matrix: [[0, 1], [5, 0]]}``;
- binary, a cost per item read from a truth column (a transaction amount):
  ``costs: {false_positive: 1, false_negative: {column: amount}}``.

Every form is a function of confusion counts (and, for a column, of the column's sum over the items in
each cell), so a threshold sweep can reuse :func:`expected_cost_from_counts` on its own counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evalkit.errors import ConfigError, DataError

# Binary cells by name: (true class, predicted class) with 1 = the positive class.
FALSE_POSITIVE = (0, 1)
FALSE_NEGATIVE = (1, 0)
_ERROR_KEYS = {"false_positive": FALSE_POSITIVE, "false_negative": FALSE_NEGATIVE}
_AMOUNT_ARGUMENT = {FALSE_POSITIVE: "fp_amount", FALSE_NEGATIVE: "fn_amount"}


@dataclass(frozen=True)
class ErrorCosts:
    """Unit costs per confusion cell (``matrix[true][predicted]``) and cells whose cost is a truth column.

    >>> ErrorCosts(((0.0, 1.0), (5.0, 0.0))).cell_cost(1, 0)
    5.0
    """

    matrix: tuple[tuple[float, ...], ...]
    # (true, predicted) -> the truth column holding each item's cost in that cell
    columns: Mapping[tuple[int, int], str] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        return len(self.matrix)

    def cell_cost(self, true: int, predicted: int) -> float:
        return self.matrix[true][predicted]

    def describe(self) -> dict[str, Any]:
        """The costs as JSON for ``metrics.json`` (and the gate: other costs define another number)."""
        out: dict[str, Any] = {"matrix": [list(row) for row in self.matrix]}
        if self.columns:
            out["columns"] = {_cell_name(cell): column for cell, column in sorted(self.columns.items())}
        return out


def _cell_name(cell: tuple[int, int]) -> str:
    for name, known in _ERROR_KEYS.items():
        if known == cell:
            return name
    return f"{cell[0]},{cell[1]}"


def _cost(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: {value!r} is not a number; give the cost of one such error, e.g. 5")
    if not math.isfinite(value):
        raise ConfigError(f"{where}: {value} is not finite; give the cost of one such error, e.g. 5")
    if value < 0:
        raise ConfigError(f"{where}: {value:g} is negative; a cost is 0 or more (state a benefit as a lower "
                          "cost of the other outcomes)")
    return float(value)


def parse_costs(raw: Mapping[str, Any], *, binary: bool) -> ErrorCosts:
    """The ``costs:`` section as :class:`ErrorCosts`; ConfigError naming the key for anything else.

    >>> parse_costs({"false_positive": 1, "false_negative": 5}, binary=True).matrix
    ((0.0, 1.0), (5.0, 0.0))
    """
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError("costs: give {false_positive: X, false_negative: Y} (binary) or {matrix: [[...]]} "
                          "(rows = true class, columns = predicted, in the class order)")
    unknown = sorted(set(raw) - {"matrix", *_ERROR_KEYS})
    if unknown:
        raise ConfigError(f"costs.{unknown[0]}: unknown key; valid keys: false_positive, false_negative, "
                          "matrix")
    if "matrix" in raw:
        if set(raw) & set(_ERROR_KEYS):
            raise ConfigError("costs: give either matrix or false_positive/false_negative, not both")
        return ErrorCosts(_matrix(raw["matrix"], binary=binary))
    if not binary:
        raise ConfigError("costs.false_positive/false_negative: apply to the binary task only; for "
                          "multiclass give costs.matrix (rows = true class, columns = predicted, in the "
                          "class order)")
    matrix = [[0.0, 0.0], [0.0, 0.0]]
    columns: dict[tuple[int, int], str] = {}
    for key, cell in _ERROR_KEYS.items():
        value = raw.get(key, 0)
        where = f"costs.{key}"
        if isinstance(value, Mapping):
            column = value.get("column")
            if set(value) != {"column"} or not isinstance(column, str) or not column.strip():
                raise ConfigError(f"{where}: a per-item cost is {{column: <truth column name>}}; "
                                  f"got {dict(value)}")
            columns[cell] = value["column"]
            matrix[cell[0]][cell[1]] = 1.0  # the column is the cost itself
        else:
            matrix[cell[0]][cell[1]] = _cost(value, where)
    return ErrorCosts(tuple(tuple(row) for row in matrix), columns)


def _matrix(raw: object, *, binary: bool) -> tuple[tuple[float, ...], ...]:
    rows = list(raw) if isinstance(raw, list | tuple) else None
    if not rows or any(not isinstance(r, list | tuple) for r in rows):
        raise ConfigError("costs.matrix: give a square list of lists, rows = true class, columns = "
                          "predicted, e.g. [[0, 1], [5, 0]]")
    matrix = tuple(tuple(_cost(v, f"costs.matrix[{i}][{j}]") for j, v in enumerate(row))
                   for i, row in enumerate(rows))
    k = len(matrix)
    bad = next((i for i, row in enumerate(matrix) if len(row) != k), None)
    if bad is not None:
        raise ConfigError(f"costs.matrix: row {bad} has {len(matrix[bad])} values but there are {k} rows; "
                          "the matrix is square (one row and one column per class)")
    if k < 2 or (binary and k != 2):
        raise ConfigError(f"costs.matrix: {k}x{k}, but the {'binary' if binary else 'multiclass'} task needs "
                          f"{'2x2 ([negative, positive])' if binary else 'one row and column per class'}")
    return matrix


def check_classes(costs: ErrorCosts, classes: tuple[str, ...]) -> None:
    """The matrix must have one row and column per class of the truth (known once it is read)."""
    if costs.n_classes != len(classes):
        raise ConfigError(f"costs.matrix: {costs.n_classes}x{costs.n_classes}, but the truth has "
                          f"{len(classes)} classes ({', '.join(classes)}); give one row and column per class "
                          "in that order")


def item_amounts(column: str, table: Any, *, source: str) -> np.ndarray:
    """A per-item cost column of the truth as float64: present, numeric, finite and >= 0."""
    import pandas as pd

    if table is None or column not in table.columns:
        raise DataError(f"{source}: no column '{column}' for the per-item costs (costs: ... {{column: "
                        f"{column}}}); add it to the truth file or fix the name")
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        first = table[column].iloc[int(np.argmax(bad))]
        raise DataError(f"{source}: column '{column}' (per-item costs) has {int(bad.sum())} value(s) that "
                        f"are empty, not numbers, infinite or negative (e.g. {first!r}); every item needs a "
                        "cost of 0 or more")
    return values


def item_costs(costs: ErrorCosts, y_true: np.ndarray, labels: np.ndarray,
               amounts: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """The cost of each row's prediction: its cell's unit cost, or the row's amount in a column cell.

    ``amounts`` maps each column of ``costs.columns`` to its values for these rows.

    >>> costs = ErrorCosts(((0.0, 1.0), (5.0, 0.0)))
    >>> item_costs(costs, np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])).tolist()
    [0.0, 1.0, 5.0, 0.0]
    """
    matrix = np.asarray(costs.matrix, dtype=np.float64)
    out = matrix[y_true, labels]
    for (true, predicted), column in costs.columns.items():
        if amounts is None or column not in amounts:
            raise KeyError(column)  # the caller reads every column of costs.columns first
        in_cell = (y_true == true) & (labels == predicted)
        out = np.where(in_cell, amounts[column], out)
    return out


def expected_cost_from_counts(tp: Any, fp: Any, fn: Any, tn: Any, costs: ErrorCosts, *,
                              fp_amount: Any = None, fn_amount: Any = None) -> np.ndarray:
    """Mean cost per item of a binary decision from its (weighted) confusion counts; arrays broadcast.

    For a cost read per item from a column, pass that column's sum over the false positives
    (``fp_amount``) or false negatives (``fn_amount``): the count alone does not say which items
    they were. NaN where there are no items.

    >>> costs = parse_costs({"false_positive": 1, "false_negative": 5}, binary=True)
    >>> expected_cost_from_counts(np.array([40, 45]), np.array([10, 20]), np.array([5, 0]),
    ...                           np.array([45, 35]), costs).tolist()
    [0.35, 0.2]
    """
    if costs.n_classes != 2:
        raise ConfigError("expected_cost_from_counts: the costs are for more than two classes; use the "
                          "confusion matrix form")
    tp, fp, fn, tn = (np.asarray(v, dtype=np.float64) for v in (tp, fp, fn, tn))
    given = {FALSE_POSITIVE: fp_amount, FALSE_NEGATIVE: fn_amount}
    counts = {(1, 1): tp, FALSE_POSITIVE: fp, FALSE_NEGATIVE: fn, (0, 0): tn}
    total = np.zeros(np.broadcast(tp, fp, fn, tn).shape)
    for cell, count in counts.items():
        if cell in costs.columns:
            amount = given.get(cell)
            if amount is None:
                raise ValueError(f"costs.{_cell_name(cell)} is the column '{costs.columns[cell]}': pass its "
                                 f"sum over those items as {_AMOUNT_ARGUMENT.get(cell, 'an amount')}")
            total = total + np.asarray(amount, dtype=np.float64)
        else:
            total = total + count * costs.cell_cost(*cell)
    n = tp + fp + fn + tn
    out = np.full(total.shape, np.nan)
    np.divide(total, n, out=out, where=n > 0)
    return out


def cost_of_confusion(cm: np.ndarray, costs: ErrorCosts) -> np.ndarray:
    """Mean cost per item from confusion matrices ``cm`` of shape ``(b, k, k)`` (unit costs only)."""
    if costs.columns:
        raise ValueError("per-item costs need the items, not only their counts")
    total = np.einsum("bij,ij->b", cm, np.asarray(costs.matrix, dtype=np.float64))
    n = cm.sum(axis=(1, 2))
    out = np.full(total.shape, np.nan)
    np.divide(total, n, out=out, where=n > 0)
    return out
