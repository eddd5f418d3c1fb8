"""Reading the facts the figures need out of a ``metrics.json`` record (a plain dict).

Intervals and feasibility shares are optional: a run without the bootstrap has no ``ci``, and the
figures then draw no error bars rather than invented ones.
"""

from __future__ import annotations

import math
from typing import Any

from evalkit.errors import EvalkitError
from evalkit.report import describe_strategy

# Below this share of bootstrap resamples satisfying the constraints, "feasible" is fragile. The
# uncertainty work defines the same threshold (evalkit.confidence.FRAGILE_BELOW); import it from
# there once both are on one branch.
FRAGILE_BELOW = 0.95


def score_name(record: dict[str, Any]) -> str:
    """What the single number is called: the optimized (or only) metric, or the strategy's name."""
    strategy = record["strategy"]
    if strategy["name"] == "satisficing":
        return str(strategy["optimize"])
    if strategy.get("metric"):  # a one-metric strategy such as mAP
        return str(strategy["metric"])
    return f"{strategy['name']} score"


def direction_word(higher_is_better: bool) -> str:
    return "higher is better" if higher_is_better else "lower is better"


def strategy_text(record: dict[str, Any]) -> str:
    return describe_strategy(record["strategy"])


def interval(entry: dict[str, Any], key: str) -> tuple[float, float] | None:
    """The entry's interval for ``key`` (a metric, or ``score``), when the run computed one."""
    ci = entry.get("ci") or {}
    bounds = ci.get(key)
    if not bounds or len(bounds) != 2 or bounds[0] is None or bounds[1] is None:
        return None
    return float(bounds[0]), float(bounds[1])


def has_intervals(record: dict[str, Any]) -> bool:
    return any(entry.get("ci") for entry in record["entries"])


def interval_label(record: dict[str, Any]) -> str:
    """'95% interval' when the run says its level, else plain 'interval'."""
    level = (record.get("bootstrap") or {}).get("level")
    if isinstance(level, int | float):
        return f"{float(level):.0%} bootstrap interval"
    return "bootstrap interval"


def is_fragile(entry: dict[str, Any]) -> bool:
    """Feasible on the eval set, but not in at least 95% of the bootstrap resamples, or by a constraint
    decided within a measured cost's spread (``fragile_constraints``)."""
    share = entry.get("feasible_share")
    low_share = isinstance(share, int | float) and share < FRAGILE_BELOW
    return bool(entry.get("feasible")) and (low_share or bool(entry.get("fragile_constraints")))


def entry_by_name(record: dict[str, Any], name: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    return next((e for e in record["entries"] if e["name"] == name), None)


def human_level(record: dict[str, Any]) -> tuple[str, float] | None:
    level = record.get("human_level") or {}
    if isinstance(level, dict) and isinstance(level.get("score"), int | float):
        return str(level.get("name") or "human"), float(level["score"])
    return None


def is_satisficing(record: dict[str, Any]) -> bool:
    return record["strategy"]["name"] == "satisficing"


def metric_range(record: dict[str, Any], metric: str) -> tuple[float, float]:
    """The values ``metric`` can take, from evalkit's metric registry: ``(0, 1)`` for a rate, ``(0, inf)`` for
    a loss or a cost. A name the registry does not know (a regression error named in the experiment, a
    declared cost) is ``(0, 1)`` when the record's ``metric_definitions`` call it bounded, ``(0, inf)`` when
    its direction is recorded (costs and errors are never negative), and ``(-inf, inf)`` otherwise, so an
    axis is never cut at a bound the metric does not have.

    >>> metric_range({"task": "binary", "metric_directions": {}}, "f1")
    (0.0, 1.0)
    """
    from evalkit.metrics.registry import metric_registry

    try:
        spec = metric_registry(str(record.get("task")), None).get(metric)
    except EvalkitError:  # a record from a task this version does not know: no bound is assumed
        spec = None
    if spec is not None:
        low, high = spec.value_range
        return float(low), float(high)
    definition = (record.get("metric_definitions") or {}).get(metric) or {}
    if definition.get("bounded") is True:  # a share the experiment defines (regression's within_<tol>)
        return (0.0, 1.0)
    known = metric in (record.get("metric_directions") or {})
    return (0.0, math.inf) if known else (-math.inf, math.inf)


def score_range(record: dict[str, Any]) -> tuple[float, float]:
    """The values the single number can take: the optimized (or only) metric's range, [0, 1] for an
    average (it averages rates, and lower-is-better ones enter as 1 - value), unbounded for a formula."""
    strategy = record["strategy"]
    if strategy["name"] == "satisficing":
        return metric_range(record, str(strategy["optimize"]))
    if strategy.get("metric"):
        return metric_range(record, str(strategy["metric"]))
    if strategy["name"] == "average":
        return (0.0, 1.0)
    return (-math.inf, math.inf)
