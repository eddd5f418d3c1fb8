"""Cost metrics evalkit measures itself (latency), as repeats: the value used and its spread.

A cost measured on a shared machine varies from run to run; one number hides that. Each measured
metric keeps its repeats, the median (the value the strategy and the gate use) and the spread
(min/max), so that a constraint whose threshold falls inside the spread can be called fragile: another
run could decide it the other way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from evalkit.strategies.satisficing import OPERATORS

RULE = "median of {k} repeats after one warm-up"


def summarize_repeats(values: Sequence[float], *, unit: str) -> dict[str, Any]:
    """The record of one measured metric: the repeats, their median (the value used) and spread.

    >>> s = summarize_repeats([12.0, 10.0, 11.0], unit="ms")
    >>> s["median"], s["min"], s["max"], s["repeats"]
    (11.0, 10.0, 12.0, 3)
    """
    array = np.asarray(values, dtype=np.float64)
    if array.size == 0:
        raise ValueError("summarize_repeats needs at least one repeat")
    q1, q3 = np.quantile(array, [0.25, 0.75])
    return {"rule": RULE.format(k=array.size), "unit": unit, "repeats": int(array.size),
            "values": [float(v) for v in array], "median": float(np.median(array)),
            "min": float(array.min()), "max": float(array.max()), "iqr": [float(q1), float(q3)]}


def within_spread(constraints: Iterable[Any], measured: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One note per constraint on a measured metric whose threshold lies within the repeats' spread.

    ``constraints`` are objects with ``metric``, ``op`` and ``threshold`` (a satisficing strategy's);
    ``measured`` maps a metric to :func:`summarize_repeats`' record. Such a constraint is decided by
    where the median happened to fall: the entry's feasibility is fragile for it.

    >>> from types import SimpleNamespace as C
    >>> m = {"latency_ms": summarize_repeats([41.0, 48.0, 57.0], unit="ms")}
    >>> within_spread([C(metric="latency_ms", op="<=", threshold=50.0)], m)
    ["latency_ms <= 50 decided within the measurement's spread 41–57 ms (median 48 of 3 repeats)"]
    """
    notes = []
    for constraint in constraints:
        record = measured.get(constraint.metric)
        if not record or record.get("repeats", 0) < 2:
            continue
        low, high = float(record["min"]), float(record["max"])
        if low <= constraint.threshold <= high and low < high:
            spread = f"{_num(low)}–{_num(high)} {record.get('unit', '')}".rstrip()
            notes.append(f"{constraint.metric} {constraint.op} {_num(constraint.threshold)} decided within "
                         f"the measurement's spread {spread} (median {_num(record['median'])} of "
                         f"{record['repeats']} repeats)")
    return notes


def fragile_constraints(constraints: Sequence[Any], metrics: Mapping[str, float | None],
                        measured: Mapping[str, Mapping[str, Any]], *, feasible: bool | None) -> list[str]:
    """The within-spread notes that could change the entry's feasibility, and only those.

    A feasible entry is fragile if any constraint it meets was decided within a spread. An infeasible
    one is fragile only if every constraint it breaks was: one broken outside any spread (recall too
    low) keeps it infeasible whatever the timings, and flagging it would cry wolf.

    >>> from types import SimpleNamespace as C
    >>> m = {"latency_ms": summarize_repeats([45.0, 54.0, 55.0], unit="ms")}
    >>> rules = [C(metric="recall", op=">=", threshold=0.95), C(metric="latency_ms", op="<=", threshold=50.0)]
    >>> fragile_constraints(rules, {"recall": 0.94, "latency_ms": 54.0}, m, feasible=False)
    []
    >>> len(fragile_constraints(rules, {"recall": 0.96, "latency_ms": 54.0}, m, feasible=False))
    1
    """
    def broken(c: Any) -> bool:
        value = metrics.get(c.metric)
        return value is None or not OPERATORS[c.op](value, c.threshold)

    within = {id(c): note for c in constraints for note in within_spread([c], measured)}
    if feasible:
        return list(within.values())
    failing = [c for c in constraints if broken(c)]
    if not failing or any(id(c) not in within for c in failing):
        return []
    return [within[id(c)] for c in failing]


def _num(value: float) -> str:
    """Short, readable numbers for notes: 50, 41.3, 0.0123."""
    return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
