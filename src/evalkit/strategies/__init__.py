"""Strategies reduce an entry's metrics to one number and say whether the entry is feasible.

``build_strategy`` turns the ``strategy:`` config into a strategy object after validating every
name against the metric registry, so a typo fails before any model is fitted.
"""

from __future__ import annotations

from collections.abc import Mapping

from evalkit.config import StrategyConfig
from evalkit.errors import ConfigError
from evalkit.metrics.registry import MetricSpec
from evalkit.strategies.average import build_average
from evalkit.strategies.base import Outcome, Strategy
from evalkit.strategies.formula import build_formula
from evalkit.strategies.map import build_map
from evalkit.strategies.satisficing import build_satisficing

STRATEGY_NAMES = ("average", "satisficing", "map", "formula")
# Which strategy.* fields each strategy reads; any other field set is almost surely a mistake.
FIELDS = {"average": ("metrics", "weights"), "satisficing": ("optimize", "constraints"),
          "map": ("metric",), "formula": ("expression", "direction")}
UNSET = {"metrics": None, "weights": None, "optimize": None, "constraints": {}, "metric": None,
         "expression": None, "direction": "maximize"}

__all__ = ["STRATEGY_NAMES", "Outcome", "Strategy", "build_strategy"]


def build_strategy(cfg: StrategyConfig, registry: Mapping[str, MetricSpec], task: str) -> Strategy:
    """The strategy named by ``cfg.name``, validated against ``registry``."""
    if cfg.name in FIELDS:
        for key, unset in UNSET.items():
            if key not in FIELDS[cfg.name] and getattr(cfg, key) != unset:
                users = [name for name, fields in FIELDS.items() if key in fields]
                raise ConfigError(f"strategy.{key} does not apply to strategy '{cfg.name}'"
                                  + (f" (it is used by: {', '.join(users)})" if users else "")
                                  + "; remove it or change strategy.name")
    if cfg.name == "average":
        from evalkit.tasks import get_task

        return build_average(cfg.metrics or [get_task(task).headline_metric], cfg.weights, registry)
    if cfg.name == "satisficing":
        return build_satisficing(cfg.optimize, cfg.constraints, registry)
    if cfg.name == "map":
        return build_map(cfg.metric, registry, task)
    if cfg.name == "formula":
        return build_formula(cfg.expression, cfg.direction, registry)
    raise ConfigError(f"unknown strategy '{cfg.name}'; valid strategies: {', '.join(STRATEGY_NAMES)}")
