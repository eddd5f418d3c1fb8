"""The *satisficing* strategy: optimize one metric subject to thresholds on others."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from evalkit.errors import ConfigError
from evalkit.metrics.registry import MetricSpec, require_metric
from evalkit.strategies.base import Outcome, missing_reason

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt,
}
_CONSTRAINT = re.compile(r"^\s*(>=|<=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


@dataclass(frozen=True)
class Constraint:
    """``metric op threshold``, e.g. recall >= 0.95."""

    metric: str
    op: str
    threshold: float

    def holds(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.threshold:g}"


def parse_constraint(metric: str, text: str) -> Constraint:
    """Parse ``">= 0.95"`` for ``metric``; anything else is a ConfigError showing the accepted form.

    >>> str(parse_constraint("recall", ">= 0.95"))
    'recall >= 0.95'
    """
    match = _CONSTRAINT.match(str(text))
    if not match:
        raise ConfigError(f"strategy.constraints.{metric}: cannot parse '{text}'; write an operator and a "
                          "number, e.g. '>= 0.95' or '<= 50' (operators: >=, <=, >, <)")
    return Constraint(metric, match.group(1), float(match.group(2)))


@dataclass(frozen=True)
class Satisficing:
    """Score = the optimized metric; infeasible when any constraint fails (all violations listed)."""

    optimize: str
    constraints: tuple[Constraint, ...]
    higher_is_better: bool
    name: str = "satisficing"

    @property
    def metrics_used(self) -> tuple[str, ...]:
        return (self.optimize, *(c.metric for c in self.constraints if c.metric != self.optimize))

    def evaluate(self, metrics: Mapping[str, float | None], *, require_all: bool = True) -> Outcome:
        violations: list[str] = []
        unchecked: list[str] = []
        for constraint in self.constraints:
            value = metrics.get(constraint.metric)
            if value is None:
                if require_all:
                    violations.append(f"{constraint.metric} is missing (needs {constraint.op} "
                                      f"{constraint.threshold:g})")
                else:
                    unchecked.append(str(constraint))
            elif not constraint.holds(value):
                violations.append(f"{constraint.metric} = {value:.4g} violates {constraint}")
        score = metrics.get(self.optimize)
        reason = None if score is not None else missing_reason(self.optimize, metrics)
        return Outcome(score=score, feasible=not violations, violations=tuple(violations), reason=reason,
                       unchecked=tuple(unchecked))

    def score_values(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(values[self.optimize], dtype=np.float64)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "optimize": self.optimize,
                "constraints": {c.metric: f"{c.op} {c.threshold:g}" for c in self.constraints}}


def build_satisficing(optimize: str | None, constraints: Mapping[str, str],
                      registry: Mapping[str, MetricSpec]) -> Satisficing:
    """Validate the optimized metric and the constraints, and build the strategy."""
    if not optimize:
        raise ConfigError("strategy satisficing: set strategy.optimize to the metric to optimize")
    spec = require_metric(registry, optimize, where="strategy.optimize")
    parsed = []
    for metric, text in constraints.items():
        require_metric(registry, metric, where=f"strategy.constraints.{metric}")
        parsed.append(parse_constraint(metric, text))
    return Satisficing(optimize, tuple(parsed), spec.higher_is_better)
