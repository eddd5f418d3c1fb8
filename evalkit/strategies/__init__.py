"""Strategies reduce an entry's metrics to one number and say whether the entry is feasible.

``build_strategy`` turns the ``strategy:`` config into a strategy object after validating every
name against the metric registry, so a typo fails before any model is fitted.
"""

from __future__ import annotations

from collections.abc import Mapping

from evalkit.config import StrategyConfig
from evalkit.errors import ConfigError
from evalkit.metrics.registry import HEADLINE_METRIC, MetricSpec
from evalkit.strategies.average import build_average
from evalkit.strategies.base import Outcome, Strategy
from evalkit.strategies.satisficing import build_satisficing

STRATEGY_NAMES = ("average", "satisficing")

__all__ = ["STRATEGY_NAMES", "Outcome", "Strategy", "build_strategy"]


def build_strategy(cfg: StrategyConfig, registry: Mapping[str, MetricSpec], task: str) -> Strategy:
    """The strategy named by ``cfg.name``, validated against ``registry``."""
    if cfg.name == "average":
        return build_average(cfg.metrics or [HEADLINE_METRIC[task]], cfg.weights, registry)
    if cfg.name == "satisficing":
        return build_satisficing(cfg.optimize, cfg.constraints, registry)
    raise ConfigError(f"unknown strategy '{cfg.name}'; valid strategies: {', '.join(STRATEGY_NAMES)}")
