"""Baseline runners: each kind produces leaderboard entries that set a lower bound.

Kinds: ``external`` (stated numbers with a source), ``rule`` (a scripted function), ``simple_ml``
(scikit-learn dummies and small models) and ``human`` (annotators scored against the truth).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from evalkit.baselines import external, human, rule, simple_ml
from evalkit.config import BaselineConfig
from evalkit.entry import Entry
from evalkit.errors import ConfigError
from evalkit.evalset import EvalSet
from evalkit.metrics.compute import compute_metrics
from evalkit.metrics.registry import MetricSpec
from evalkit.tasks import get_task

KINDS = ("external", "rule", "simple_ml", "human")


def check_baseline(name: str, cfg: BaselineConfig, registry: Mapping[str, MetricSpec]) -> None:
    """Config checks that need no data, so a typo fails before anything is fitted."""
    if cfg.kind not in KINDS:
        raise ConfigError(f"baselines.{name}.kind: unknown baseline kind '{cfg.kind}'; "
                          f"valid kinds: {', '.join(KINDS)}")
    if cfg.kind == "external":
        external.check(name, cfg, registry)
    elif cfg.kind == "rule":
        rule.split_spec(cfg.function, where=f"baselines.{name}")
    elif cfg.kind == "simple_ml":
        simple_ml.check(name, cfg)
    else:
        human.check(name, cfg)


def run_baseline(name: str, cfg: BaselineConfig, evalset: EvalSet, registry: Mapping[str, MetricSpec],
                 resolve: Callable[[str, str], Path], id_column: str) -> list[Entry]:
    """The baseline's leaderboard entries (a human panel gives a row per group and kind of row)."""
    if cfg.kind == "external":
        return [external.run(name, cfg)]
    if cfg.kind == "human":  # the task says how a panel's answers are read and scored
        return get_task(evalset.task).run_human(name, cfg, evalset, registry, resolve, id_column)
    entry = rule.run(name, cfg, evalset, resolve) if cfg.kind == "rule" else simple_ml.run(name, cfg, evalset)
    assert entry.predictions is not None
    computed = compute_metrics(registry, evalset, entry.predictions)
    entry.metrics = computed.values | entry.metrics
    entry.notes = computed.notes
    return [entry]
