"""Slices as sets of items: the slice columns of a run, declared slicings and the search's conditions.

A *condition* is one column's test (``site = A``, ``age in [18, 65)``) and the items that pass it; a
*slice* is a conjunction of conditions on different columns. Everything here is pure: the table of
slice columns comes in, aligned to the eval set's item order (:func:`slice_table`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evalkit.errors import ConfigError, DataError
from evalkit.slices.spec import DeclaredSlice

if TYPE_CHECKING:
    import pandas as pd

# A numeric column with at most this many distinct values may be sliced by its values without bins.
MAX_CATEGORIES = 20
# The search takes a numeric column with at most this many distinct values (a code, a count) by value.
FEW_VALUES = 10
# How many unmatched ids an error message shows.
SHOWN_IDS = 5


@dataclass(frozen=True)
class Condition:
    """One column's test and the positions of the items that pass it."""

    column: str
    text: str
    items: np.ndarray

    @property
    def name(self) -> str:
        return f"{self.column} {self.text}"


@dataclass(frozen=True)
class Slice:
    """A conjunction of conditions (on different columns) and the items in all of them."""

    conditions: tuple[Condition, ...]
    items: np.ndarray

    @property
    def name(self) -> str:
        return " & ".join(c.name for c in self.conditions)

    @property
    def n_items(self) -> int:
        return len(self.items)


def slice_table(ids: np.ndarray, features: pd.DataFrame | None, metadata: pd.DataFrame | None,
                columns: Sequence[str], *, metadata_source: str = "data.metadata_path",
                features_source: str = "the truth's feature columns") -> pd.DataFrame:
    """The slice columns for the items ``ids``, in that order: the task's per-item columns first (the
    truth's features; a detection truth's image fields), then ``metadata`` (indexed by id, a column
    there wins over a feature of the same name).

    An unknown column is a :class:`ConfigError` listing the columns there are; truth ids missing from
    the metadata a :class:`DataError` saying how many, with a few.
    """
    import pandas as pd

    frame = pd.DataFrame(index=pd.Index(ids, dtype=object))
    if features is not None:
        frame = features.set_axis(pd.Index(ids, dtype=object)).copy()
    if metadata is not None:
        missing = ~pd.Index(ids, dtype=object).isin(metadata.index)
        if missing.any():
            shown = [str(i) for i in np.asarray(ids, dtype=object)[missing][:SHOWN_IDS]]
            raise DataError(f"{metadata_source}: {int(missing.sum())} of {len(ids)} truth ids have no row "
                            f"(e.g. {shown}); add a row per evaluated item (ids are matched as text)")
        joined = metadata.reindex(pd.Index(ids, dtype=object))
        frame = frame.drop(columns=[c for c in joined.columns if c in frame.columns]).join(joined)
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        have = ", ".join(map(str, frame.columns)) or "none"
        raise ConfigError(f"slices: column(s) {unknown} not found; the columns are: {have} "
                          f"({features_source} and data.metadata_path's)")
    return frame[list(dict.fromkeys(columns))]


def _is_numeric(values: pd.Series) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(values)) and not pd.api.types.is_bool_dtype(values)


def _number_text(value: float) -> str:
    return f"{value:g}"


def bin_conditions(column: str, values: pd.Series, edges: Sequence[float]) -> list[Condition]:
    """One condition per bin ``[e_i, e_i+1)``, the last one closed (``[e_k-1, e_k]``).

    >>> import pandas as pd
    >>> [c.name for c in bin_conditions("age", pd.Series([1, 20, 70]), [0, 18, 65, 120])]
    ['age in [0, 18)', 'age in [18, 65)', 'age in [65, 120]']
    """
    if not _is_numeric(values):
        raise ConfigError(f"slices: column '{column}' is not numeric, so it cannot be binned; drop its bins "
                          "to slice it by value")
    x = values.to_numpy(dtype=np.float64)
    out = []
    for i, (low, high) in enumerate(itertools.pairwise(edges)):
        last = i == len(edges) - 2
        inside = (x >= low) & ((x <= high) if last else (x < high))
        text = f"in [{_number_text(low)}, {_number_text(high)}{']' if last else ')'}"
        out.append(Condition(column, text, np.flatnonzero(inside)))
    return out


def value_conditions(column: str, values: pd.Series) -> list[Condition]:
    """One condition per distinct value (missing values are in none); numbers in numeric order."""
    import pandas as pd

    present = values.dropna()
    distinct = pd.unique(present)
    if _is_numeric(values) and len(distinct) > MAX_CATEGORIES:
        raise ConfigError(f"slices: column '{column}' is numeric with {len(distinct)} distinct values; give "
                          "it bins, e.g. {column: " + column + ", bins: [0, 10, 20]}")
    order = sorted(distinct, key=lambda v: (0, float(v), "") if _is_numeric(values) else (1, 0.0, str(v)))
    keys = values.to_numpy(dtype=object)
    return [Condition(column, f"= {v:g}" if isinstance(v, float) else f"= {v}",
                      np.flatnonzero(keys == v))
            for v in order]


def quantile_conditions(column: str, values: pd.Series, quantiles: int) -> list[Condition]:
    """A numeric column's quantile bins (edges that coincide are merged); a column with few values (at
    most ``max(quantiles, FEW_VALUES)``), or a text column, by value."""
    if not _is_numeric(values) or values.nunique() <= max(quantiles, FEW_VALUES):
        return value_conditions(column, values) if values.nunique() <= MAX_CATEGORIES else []
    x = values.to_numpy(dtype=np.float64)
    edges = np.unique(np.nanquantile(x, np.linspace(0, 1, quantiles + 1)))
    if len(edges) < 2:
        return value_conditions(column, values)
    return bin_conditions(column, values, edges.tolist())


def _cross(groups: Sequence[list[Condition]]) -> list[Slice]:
    slices = [Slice((), np.array([], dtype=np.int64))]
    first = True
    for conditions in groups:
        nxt = []
        for base in slices:
            for condition in conditions:
                items = condition.items if first else np.intersect1d(base.items, condition.items)
                nxt.append(Slice((*base.conditions, condition), items))
        slices, first = nxt, False
    return slices


def declared_slices(declared: DeclaredSlice, table: pd.DataFrame) -> tuple[list[Slice], int]:
    """The slices of one declared slicing, and how many items fall in none of them (outside the bins
    or a missing value)."""
    groups = [bin_conditions(c, table[c], declared.bins[c]) if c in declared.bins
              else value_conditions(c, table[c]) for c in declared.columns]
    slices = _cross(groups)
    covered = np.unique(np.concatenate([s.items for s in slices])) if slices else np.array([], dtype=np.int64)
    return slices, len(table) - len(covered)
