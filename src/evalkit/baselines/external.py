"""External baselines: a published number or a business requirement, with its source."""

from __future__ import annotations

from collections.abc import Mapping

from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.metrics.registry import MetricSpec, check_stated_value, require_metric


def check(name: str, cfg: BaselineConfig, registry: Mapping[str, MetricSpec]) -> None:
    where = f"baselines.{name}"
    if not cfg.metrics:
        raise ConfigError(f"{where}: an external baseline states its numbers in 'metrics', "
                          "e.g. {recall: 0.95, precision: 0.90}")
    for metric, value in cfg.metrics.items():
        spec = require_metric(registry, metric, where=f"{where}.metrics")
        # An impossible number would become the lower bound or win the ranking unnoticed.
        check_stated_value(spec, value, where=f"{where}.metrics.{metric}")


def run(name: str, cfg: BaselineConfig) -> Entry:
    """Only the metrics it states; everything else stays unreported, never filled in."""
    return Entry(name=name, role="baseline", kind="external", metrics=dict(cfg.metrics),
                 details={"source": cfg.source or "not given (add 'source:' so readers can check it)"})
