"""The *satisficing* strategy: optimize one metric subject to thresholds on others."""

from __future__ import annotations

import contextlib
import math
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

    @property
    def condition(self) -> str:
        """``>= 0.9512345``: the operator and the threshold written in full (for display only)."""
        return f"{self.op} {format_threshold(self.threshold)}"

    def __str__(self) -> str:
        return f"{self.metric} {self.condition}"

    def as_record(self) -> dict[str, Any]:
        """How ``metrics.json`` stores the constraint: the threshold as a number, never rounded text."""
        return {"op": self.op, "threshold": self.threshold}


def format_threshold(value: float) -> str:
    """The shortest text that reads back as exactly ``value`` (0.9512345, 50, 1e-07), unlike ``%g``.

    >>> format_threshold(0.9512345), format_threshold(50.0)
    ('0.9512345', '50')
    """
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def parse_constraint(metric: str, text: str | Mapping[str, Any]) -> Constraint:
    """Parse ``">= 0.95"`` for ``metric``; anything else is a ConfigError showing the accepted form.

    Also reads the stored form ``{"op": ">=", "threshold": 0.95}`` (``metrics.json``, gate references);
    the text form is what configs and older records hold.

    >>> str(parse_constraint("recall", ">= 0.95"))
    'recall >= 0.95'
    >>> parse_constraint("recall", {"op": ">=", "threshold": 0.9512345}).threshold
    0.9512345
    """
    where = f"strategy.constraints.{metric}"
    if isinstance(text, Mapping):
        op, threshold = text.get("op"), text.get("threshold")
        if not isinstance(op, str) or op not in OPERATORS or isinstance(threshold, bool) \
                or not isinstance(threshold, int | float):
            raise ConfigError(f"{where}: {dict(text)!r} is not a constraint; write it as {{op: '>=', "
                              "threshold: 0.95} or as text '>= 0.95'")
        try:
            parsed = Constraint(metric, op, float(threshold))
        except OverflowError:  # an integer too large for a float (a hand-edited metrics.json)
            parsed = Constraint(metric, op, math.inf)
    else:
        match = _CONSTRAINT.match(str(text))
        if not match:
            raise ConfigError(f"{where}: cannot parse '{text}'; write an operator and a "
                              "number, e.g. '>= 0.95' or '<= 50' (operators: >=, <=, >, <)")
        parsed = Constraint(metric, match.group(1), float(match.group(2)))
    if not math.isfinite(parsed.threshold):
        # '>= 1e999' reads as infinity: no value meets it, and it cannot be drawn or compared.
        shown = str(text) if isinstance(text, str) else f"{parsed.op} {text.get('threshold')}"
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise ConfigError(f"{where}: the threshold in '{shown}' is not a finite number; write a threshold "
                          "such as '>= 0.95'")
    return parsed


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
                    violations.append(f"{constraint.metric} is missing (needs {constraint.condition})")
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
                "constraints": {c.metric: c.as_record() for c in self.constraints}}


def describe_constraints(constraints: Mapping[str, Any]) -> str:
    """``recall >= 0.9512345, latency_ms <= 50``: a record's constraints (stored or text form) for display."""
    parts = []
    for metric, given in constraints.items():
        try:
            parts.append(str(parse_constraint(metric, given)))
        except ConfigError:  # a hand-edited record: show what it says rather than fail the report
            parts.append(f"{metric} {given}")
    return ", ".join(parts)


def canonical_description(description: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded strategy with its constraints in the stored (numeric) form, so that a reference written
    before thresholds were stored as numbers (``">= 0.95"``) compares equal to the same strategy now."""
    result = dict(description)
    constraints = result.get("constraints")
    if isinstance(constraints, Mapping):
        # Left as written when it does not parse: it then differs from any valid strategy, as it should.
        with contextlib.suppress(ConfigError):
            result["constraints"] = {m: parse_constraint(m, c).as_record() for m, c in constraints.items()}
    return result


def build_satisficing(optimize: str | None, constraints: Mapping[str, str | Mapping[str, Any]],
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
