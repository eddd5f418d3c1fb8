"""Exact duplicates among the evaluated items' feature rows, and evaluated items that are also in the train
split (leakage: a model that memorised its training rows scores them for free).

Rows are compared exactly, value by value (two NaNs in the same column count as equal), by grouping on
every column: no hashing, so no collision can merge two different rows. Pure functions, no I/O.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _row_groups(frame: pd.DataFrame) -> np.ndarray:
    """A group number per row; equal rows share one. Columns are taken by position (names may repeat)."""
    if frame.shape[1] == 0:
        return np.zeros(len(frame), dtype=np.int64)
    positional = frame.set_axis(range(frame.shape[1]), axis=1).reset_index(drop=True)
    return positional.groupby(list(positional.columns), dropna=False, sort=False).ngroup().to_numpy()


def duplicate_groups(features: pd.DataFrame) -> list[np.ndarray]:
    """Positions of the rows that occur more than once, one array per distinct row, in order of first
    occurrence.

    >>> f = pd.DataFrame({"a": [1, 2, 1, 3, 2, 1], "b": [0.5, 0.0, 0.5, 0.1, 0.0, 0.6]})
    >>> [g.tolist() for g in duplicate_groups(f)]
    [[0, 2], [1, 4]]
    """
    groups = _row_groups(features)
    sizes = np.bincount(groups)
    repeated = np.flatnonzero(sizes > 1)
    if not len(repeated):
        return []
    members = [np.flatnonzero(groups == g) for g in repeated]
    return sorted(members, key=lambda m: int(m[0]))


def in_train(features: pd.DataFrame, train_features: pd.DataFrame) -> np.ndarray:
    """Positions of the evaluated rows that equal some row of the train split.

    >>> ev = pd.DataFrame({"a": [1, 2, 3]}); tr = pd.DataFrame({"a": [3.0, 4.0, 1.0]})
    >>> in_train(ev, tr).tolist()
    [0, 2]
    """
    if list(features.columns) != list(train_features.columns):
        raise ValueError("the evaluated and train feature tables must have the same columns")
    both = pd.concat([features.reset_index(drop=True), train_features.reset_index(drop=True)],
                     ignore_index=True)
    groups = _row_groups(both)
    evaluated, train = groups[:len(features)], groups[len(features):]
    return np.flatnonzero(np.isin(evaluated, np.unique(train)))
