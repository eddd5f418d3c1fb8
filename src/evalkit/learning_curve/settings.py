"""The ``learning_curve:`` and ``label_cost:`` config blocks: checks before any work, and the sizes.

Checked with the rest of the config, before any data is read, so a typo in a size list or a negative
price costs nothing. What the data decides (a train split too small for four sizes) is said in the
run's ``learning_curves`` block instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from evalkit.config import RunConfig
from evalkit.errors import ConfigError
from evalkit.learning_curve.extrapolate import MIN_SIZES

# An interval from fewer refits has order statistics too coarse to mean anything at 95%.
MIN_RESAMPLES = 50


def geometric_sizes(n_train: int, min_size: int = 16) -> list[int]:
    """Training-set sizes ``min_size * 2**(k/2)`` (rounded) below ``n_train``, then ``n_train`` itself.

    Half-octave steps give about two sizes per doubling: enough points for a curve fit, few enough
    fits to keep a run short.

    >>> geometric_sizes(200)
    [16, 23, 32, 45, 64, 91, 128, 181, 200]
    """
    sizes: list[int] = []
    k = 0
    while (size := round(min_size * 2 ** (k / 2))) < n_train:
        if not sizes or size > sizes[-1]:
            sizes.append(size)
        k += 1
    return [*sizes, n_train]


def measured_sizes(n_train: int, sizes: Sequence[int] | None, min_size: int) -> list[int]:
    """The sizes a run fits at: the configured ones no larger than the train split, else geometric."""
    if sizes is None:
        return geometric_sizes(n_train, min_size)
    return sorted({int(s) for s in sizes if s <= n_train})


def check_settings(cfg: RunConfig) -> None:
    """Refuse impossible ``learning_curve``/``label_cost`` values with the key and the fix.

    Names in ``learning_curve.entries`` must be estimator candidates, simple_ml baselines or
    predictions candidates with a ``learning_curve`` file.
    """
    _check_cost(cfg)
    lc = cfg.learning_curve
    if not lc.enabled:
        return
    if lc.seeds < 1:
        raise ConfigError(f"learning_curve.seeds: {lc.seeds}; give at least 1 (3 or more make the intervals "
                          "and the fit weights better)")
    if lc.min_size < 2:
        raise ConfigError(f"learning_curve.min_size: {lc.min_size}; a fit needs at least 2 training items")
    if lc.sizes is not None:
        if any(s < 2 for s in lc.sizes):
            raise ConfigError(f"learning_curve.sizes: {sorted(lc.sizes)} holds a size below 2; every size is "
                              "a number of training items >= 2")
        if len(set(lc.sizes)) < MIN_SIZES:
            raise ConfigError(f"learning_curve.sizes: {len(set(lc.sizes))} distinct size(s); a learning "
                              f"curve needs at least {MIN_SIZES} (or leave sizes out for geometric sizes)")
    for i, target in enumerate(lc.targets):
        if not math.isfinite(target):
            raise ConfigError(f"learning_curve.targets[{i}]: {target}; a target score must be a finite "
                              "number")
    if lc.resamples < MIN_RESAMPLES:
        raise ConfigError(f"learning_curve.resamples: {lc.resamples}; use at least {MIN_RESAMPLES} "
                          "bootstrap refits for an interval")
    if not 0 < lc.level < 1:
        raise ConfigError(f"learning_curve.level: {lc.level}; give a level between 0 and 1 (e.g. 0.95)")
    if lc.n_jobs == 0 or lc.n_jobs < -1:
        raise ConfigError(f"learning_curve.n_jobs: {lc.n_jobs}; give a number of processes >= 1, or -1 for "
                          "every core")
    eligible = curve_entries(cfg)
    for name in lc.entries or ():
        if name not in eligible:
            raise ConfigError(f"learning_curve.entries: '{name}' has no learning curve to measure or read; "
                              f"eligible: {', '.join(eligible) or 'none'} (estimator candidates, simple_ml "
                              "baselines, predictions candidates with learning_curve: {path: ...})")
    for name, candidate in cfg.candidates.items():
        if candidate.learning_curve is not None and candidate.estimator is not None:
            raise ConfigError(f"candidates.{name}.learning_curve: an estimator candidate's curve is measured "
                              "in the run; a curve file is for predictions candidates: remove it")


def _check_cost(cfg: RunConfig) -> None:
    cost = cfg.label_cost
    if cost.per_item is not None and (not math.isfinite(cost.per_item) or cost.per_item < 0):
        raise ConfigError(f"label_cost.per_item: {cost.per_item}; a label's cost must be a finite number "
                          ">= 0")
    if not math.isfinite(cost.overhead) or cost.overhead < 0:
        raise ConfigError(f"label_cost.overhead: {cost.overhead}; the review overhead is a share >= 0 "
                          "(0.1 adds 10%)")


def curve_entries(cfg: RunConfig) -> list[str]:
    """Every entry that can have a learning curve, in config order."""
    names = [n for n, c in cfg.candidates.items() if c.estimator is not None
             or (c.learning_curve is not None and c.learning_curve.path)]
    return names + [n for n, b in cfg.baselines.items() if b.kind == "simple_ml"]


def selected_entries(cfg: RunConfig) -> list[str]:
    """The entries whose curves this run measures or reads (``learning_curve.entries``, else all)."""
    eligible = curve_entries(cfg)
    wanted = cfg.learning_curve.entries
    chosen = eligible if wanted is None else [n for n in eligible if n in wanted]
    return chosen if cfg.select is None else [n for n in chosen if n in cfg.select]
