"""The experiment's ``slices:`` section, checked and typed before any data is read.

::

    slices:
      min_items: 30            # smaller slices are reported, never tested
      declared:
        - {column: site}                                 # one slice per value
        - {column: age, bins: [0, 18, 65, 120]}          # one slice per bin, edges increasing
        - {columns: [site, age], bins: {age: [0, 65, 120]}}   # a cross: one slice per pair of values
      search:                  # the weakest slices, found automatically (omit to switch off)
        columns: [site, age]   # default: every column of the declared slices
        max_conditions: 2      # conjunctions of up to 2 (or 3) conditions
        quantiles: 4           # a numeric column's conditions: its quantile bins
        top: 5
        fdr: 0.05              # Benjamini-Hochberg false discovery rate across all searched slices
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from evalkit.errors import ConfigError

DEFAULT_MIN_ITEMS = 30
SECTION_KEYS = ("min_items", "declared", "search")
SEARCH_KEYS = ("columns", "max_conditions", "quantiles", "top", "fdr")
DECLARED_KEYS = ("column", "columns", "bins")


@dataclass(frozen=True)
class DeclaredSlice:
    """One declared slicing: a column (categorical or binned) or a cross of two or three columns."""

    columns: tuple[str, ...]
    # column -> strictly increasing bin edges; a column without edges is sliced by its values
    bins: Mapping[str, tuple[float, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return " × ".join(self.columns)


@dataclass(frozen=True)
class SearchSpec:
    """How the weakest slices are searched for."""

    columns: tuple[str, ...] | None = None
    max_conditions: int = 2
    quantiles: int = 4
    top: int = 5
    fdr: float = 0.05


@dataclass(frozen=True)
class SliceSpec:
    """The whole ``slices:`` section."""

    declared: tuple[DeclaredSlice, ...]
    min_items: int = DEFAULT_MIN_ITEMS
    search: SearchSpec | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column named anywhere (declared slices first, then the search's), without repeats."""
        names = [c for d in self.declared for c in d.columns]
        if self.search is not None and self.search.columns:
            names += list(self.search.columns)
        return tuple(dict.fromkeys(names))

    @property
    def search_columns(self) -> tuple[str, ...]:
        if self.search is None:
            return ()
        if self.search.columns:
            return self.search.columns
        return tuple(dict.fromkeys(c for d in self.declared for c in d.columns))


def _unknown(where: str, raw: Mapping[str, Any], valid: Sequence[str]) -> None:
    unknown = [str(k) for k in raw if k not in valid]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys here: {', '.join(valid)}")


def _int(where: str, value: object, low: int, high: int | None = None) -> int:
    too_high = high is not None and isinstance(value, int) and value > high
    if isinstance(value, bool) or not isinstance(value, int) or value < low or too_high:
        bound = f">= {low}" if high is None else f"between {low} and {high}"
        raise ConfigError(f"{where}={value!r} must be an integer {bound}")
    return int(value)


def _edges(where: str, raw: object) -> tuple[float, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str) or len(raw) < 2:
        raise ConfigError(f"{where}={raw!r} must be a list of at least two bin edges, e.g. [0, 18, 65, 120]")
    edges = []
    for value in raw:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ConfigError(f"{where}: bin edge {value!r} is not a finite number")
        edges.append(float(value))
    for left, right in itertools.pairwise(edges):
        if not right > left:
            raise ConfigError(f"{where}={list(raw)}: bin edges must be strictly increasing "
                              f"({right:g} follows {left:g}); sort them and drop repeats")
    return tuple(edges)


def _column_name(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}={value!r} must be a column name")
    return value


def _declared(where: str, raw: object) -> DeclaredSlice:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}={raw!r} must be a mapping like {{column: site}} or "
                          "{column: age, bins: [0, 18, 65]} or {columns: [site, age]}")
    _unknown(where, raw, DECLARED_KEYS)
    if ("column" in raw) == ("columns" in raw):
        raise ConfigError(f"{where}: give either 'column' (one column) or 'columns' (a cross), not both "
                          "or neither")
    if "column" in raw:
        column = _column_name(f"{where}.column", raw["column"])
        bins = {column: _edges(f"{where}.bins", raw["bins"])} if raw.get("bins") is not None else {}
        return DeclaredSlice((column,), bins)
    names = raw["columns"]
    if not isinstance(names, Sequence) or isinstance(names, str) or not 2 <= len(names) <= 3:
        raise ConfigError(f"{where}.columns={names!r} must list two or three columns to cross")
    columns = tuple(_column_name(f"{where}.columns", c) for c in names)
    if len(set(columns)) != len(columns):
        raise ConfigError(f"{where}.columns={list(columns)} names a column twice")
    raw_bins = raw.get("bins") or {}
    if not isinstance(raw_bins, Mapping):
        raise ConfigError(f"{where}.bins must map a crossed column to its edges, e.g. {{age: [0, 65, 120]}}")
    stray = [str(c) for c in raw_bins if c not in columns]
    if stray:
        raise ConfigError(f"{where}.bins names {stray}, which are not among the crossed columns "
                          f"{list(columns)}")
    return DeclaredSlice(columns, {str(c): _edges(f"{where}.bins.{c}", e) for c, e in raw_bins.items()})


def _search(raw: object) -> SearchSpec | None:
    if raw is None or raw is False:
        return None
    if raw is True:
        return SearchSpec()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"slices.search={raw!r} must be a mapping (e.g. {{max_conditions: 2, top: 5}}) "
                          "or true")
    _unknown("slices.search", raw, SEARCH_KEYS)
    columns = raw.get("columns")
    if columns is not None:
        if not isinstance(columns, Sequence) or isinstance(columns, str) or not columns:
            raise ConfigError(f"slices.search.columns={columns!r} must be a non-empty list of column names")
        columns = tuple(_column_name("slices.search.columns", c) for c in columns)
    fdr = raw.get("fdr", 0.05)
    if isinstance(fdr, bool) or not isinstance(fdr, int | float) or not 0 < fdr < 1:
        raise ConfigError(f"slices.search.fdr={fdr!r} must be a false discovery rate between 0 and 1, "
                          "e.g. 0.05")
    return SearchSpec(columns=columns,
                      max_conditions=_int("slices.search.max_conditions", raw.get("max_conditions", 2), 1, 3),
                      quantiles=_int("slices.search.quantiles", raw.get("quantiles", 4), 2, 20),
                      top=_int("slices.search.top", raw.get("top", 5), 1),
                      fdr=float(fdr))


def parse_slices(raw: object) -> SliceSpec | None:
    """The ``slices:`` section as a :class:`SliceSpec`; None when it is absent.

    A bare list is the ``declared`` list with the defaults for the rest.

    >>> parse_slices([{"column": "age", "bins": [0, 18, 65]}]).declared[0].bins
    {'age': (0.0, 18.0, 65.0)}
    """
    if raw is None:
        return None
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        raw = {"declared": list(raw)}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"slices={raw!r} must be a list of slicings or a mapping with keys "
                          f"{', '.join(SECTION_KEYS)}")
    _unknown("slices", raw, SECTION_KEYS)
    declared_raw = raw.get("declared") or []
    if not isinstance(declared_raw, Sequence) or isinstance(declared_raw, str):
        raise ConfigError("slices.declared must be a list, e.g. [{column: site}, "
                          "{column: age, bins: [0, 65, 120]}]")
    declared = tuple(_declared(f"slices.declared[{i}]", d) for i, d in enumerate(declared_raw))
    min_items = _int("slices.min_items", raw.get("min_items", DEFAULT_MIN_ITEMS), 1)
    spec = SliceSpec(declared=declared, min_items=min_items, search=_search(raw.get("search")))
    if not spec.declared and not spec.search_columns:
        raise ConfigError("slices: nothing to slice by; list slicings under slices.declared or columns under "
                          "slices.search.columns")
    return spec
