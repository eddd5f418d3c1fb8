"""An entry's score and feasibility recomputed from its metrics with the run's recorded strategy.

The gate does not take a stored ``score`` or ``feasible`` on trust: a hand-edited or truncated
metrics.json (every metric nulled, a score raised) must fail, not pass. Light on purpose: the gate
answers in a fraction of a second, so average, satisficing and map are recomputed here from the
strategy's description as metrics.json stores it (``Strategy.describe()`` plus ``higher_is_better``),
in the same order of operations, so an untouched record agrees exactly. Only a formula loads the
strategy package (and with it scikit-learn), to evaluate the expression with the very parser that
scored the run.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}
_CONSTRAINT = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")
# A stored score agrees with the recomputed one up to float rounding (JSON keeps floats exactly; this
# leaves room for a record merged by another evalkit version summing in another order).
_TOLERANCE = 1e-9


class Unrecomputable(Exception):
    """The recorded strategy cannot be understood, so no score can be recomputed (the gate fails)."""


@dataclass(frozen=True)
class Recomputed:
    """What the recorded strategy gives for one entry's metrics."""

    score: float | None
    feasible: bool


def expected_direction(strategy: Mapping[str, Any], directions: Mapping[str, Any]) -> bool:
    """``higher_is_better`` as the strategy's definition implies it (for a satisficing run, the
    optimized metric's direction); Unrecomputable when the description does not say."""
    name = strategy.get("name")
    if name in ("average", "map"):
        return True
    if name == "satisficing":
        optimize = strategy.get("optimize")
        direction = directions.get(optimize) if isinstance(optimize, str) else None
        if direction not in ("higher", "lower"):
            raise Unrecomputable(f"the direction of the optimized metric {strategy.get('optimize')!r} is not "
                                 "in the run's metric_directions")
        return direction == "higher"
    if name == "formula":
        if strategy.get("direction") not in ("maximize", "minimize"):
            raise Unrecomputable(f"the formula's direction {strategy.get('direction')!r} is not maximize or "
                                 "minimize")
        return strategy.get("direction") == "maximize"
    raise Unrecomputable(f"unknown strategy {name!r}")


def recompute(strategy: Mapping[str, Any], directions: Mapping[str, Any], metrics: Any, *,
              require_all: bool) -> Recomputed:
    """Score and feasibility of an entry with ``metrics``, under the recorded ``strategy``.

    ``require_all`` as in the run: True for candidates (an unstated constrained metric makes them
    infeasible), False for baselines (it is left unchecked).

    >>> s = {"name": "satisficing", "optimize": "precision", "constraints": {"recall": ">= 0.9"}}
    >>> recompute(s, {}, {"precision": 0.8, "recall": 0.85}, require_all=True)
    Recomputed(score=0.8, feasible=False)
    """
    values = _values(metrics)
    name = strategy.get("name")
    if name == "satisficing":
        return _satisficing(strategy, values, require_all)
    if name == "average":
        return _average(strategy, directions, values)
    if name == "map":
        metric = strategy.get("metric")
        if not isinstance(metric, str):
            raise Unrecomputable(f"the map strategy names no metric ({metric!r})")
        return Recomputed(values.get(metric), True)
    if name == "formula":
        return _formula(strategy, values)
    raise Unrecomputable(f"unknown strategy {name!r}")


def agrees(stored: Any, recomputed: float | None) -> bool:
    """Whether a stored score is the recomputed one (both absent, or equal up to float rounding)."""
    if recomputed is None:
        return stored is None
    if isinstance(stored, bool) or not isinstance(stored, int | float) or not math.isfinite(stored):
        return False
    return abs(stored - recomputed) <= _TOLERANCE * max(1.0, abs(recomputed))


def _values(metrics: Any) -> dict[str, float | None]:
    """Metric values as the strategies see them: a finite number, or None (null, absent, not a number)."""
    if not isinstance(metrics, Mapping):
        return {}
    values: dict[str, float | None] = {}
    for key, value in metrics.items():
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        values[str(key)] = float(value) if ok else None
    return values


def _satisficing(strategy: Mapping[str, Any], values: Mapping[str, float | None],
                 require_all: bool) -> Recomputed:
    optimize, constraints = strategy.get("optimize"), strategy.get("constraints") or {}
    if not isinstance(optimize, str) or not isinstance(constraints, Mapping):
        raise Unrecomputable(f"the satisficing strategy is malformed (optimize {optimize!r}, constraints "
                             f"{constraints!r})")
    feasible = True
    for metric, text in constraints.items():
        op, threshold = _constraint(metric, text)
        value = values.get(metric)
        if value is None:
            feasible = feasible and not require_all
        elif not _OPERATORS[op](value, threshold):
            feasible = False
    return Recomputed(values.get(optimize), feasible)


def _constraint(metric: str, text: Any) -> tuple[str, float]:
    if isinstance(text, Mapping):  # {op, threshold}: a threshold stored as a number, not as text
        op, threshold = text.get("op"), text.get("threshold")
        if op in _OPERATORS and isinstance(threshold, int | float) and not isinstance(threshold, bool):
            return op, float(threshold)
    elif isinstance(text, str) and (match := _CONSTRAINT.match(text)):
        return match.group(1), float(match.group(2))
    raise Unrecomputable(f"the constraint on {metric} ({text!r}) is not an operator and a number")


def _average(strategy: Mapping[str, Any], directions: Mapping[str, Any],
             values: Mapping[str, float | None]) -> Recomputed:
    metrics, weights = strategy.get("metrics"), strategy.get("weights")
    if (not isinstance(metrics, list) or not isinstance(weights, list) or not metrics
            or len(metrics) != len(weights)
            or not all(isinstance(w, int | float) and not isinstance(w, bool) for w in weights)
            or sum(weights) <= 0):
        raise Unrecomputable(f"the average strategy is malformed (metrics {metrics!r}, weights {weights!r})")
    total = 0.0
    for metric, weight in zip(metrics, weights, strict=True):
        direction = directions.get(metric) if isinstance(metric, str) else None
        if direction not in ("higher", "lower"):
            raise Unrecomputable(f"the direction of averaged metric {metric!r} is not in the run's "
                                 "metric_directions")
        value = values.get(metric)
        if value is None:
            return Recomputed(None, True)
        # A lower-is-better metric (bounded in [0, 1]) enters as 1 - value, as in strategies.average.
        total += weight * ((1.0 - value) if direction == "lower" else value)
    return Recomputed(total / sum(weights), True)


def _formula(strategy: Mapping[str, Any], values: Mapping[str, float | None]) -> Recomputed:
    expression = strategy.get("expression")
    if not isinstance(expression, str):
        raise Unrecomputable(f"the formula strategy has no expression ({expression!r})")
    from evalkit.errors import ConfigError
    from evalkit.strategies.formula import parse_formula  # heavy (scikit-learn): only for formula runs

    try:
        formula = parse_formula(expression)
    except ConfigError as exc:
        raise Unrecomputable(f"the formula cannot be parsed ({exc})") from None
    return Recomputed(formula.evaluate(values).value, True)
