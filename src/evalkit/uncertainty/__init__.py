"""Uncertainty: paired bootstrap of metrics, intervals and significance (pure functions).

Flow: a :class:`Resampler` fixes the resamples (item weights) for a seed;
:func:`bootstrap_entries` / :func:`bootstrap_metric_values` compute every metric on every
resample at once for each entry; :func:`metric_intervals` turns the values into intervals
(percentile, Wilson at 0% and 100%); :func:`paired_comparison`, :func:`holm_adjust` and
:func:`verdict` compare entries on the same resamples; :func:`mcnemar_exact` tests accuracy on
discordant pairs; :func:`satisficing_share` is the share of resamples meeting all constraints.

Modules: ``resampling`` (resamples), ``catalog`` (metric names and input checks), ``confusion``,
``ranking`` and ``losses`` (the vectorized metric families), ``bootstrap`` (orchestration),
``intervals``, ``comparison``, ``satisficing``.
"""

from evalkit.uncertainty.bootstrap import bootstrap_entries, bootstrap_metric_values, weighted_metric_values
from evalkit.uncertainty.catalog import METRICS, MetricSpec, metric_spec
from evalkit.uncertainty.comparison import (
    McNemar,
    PairedComparison,
    holm_adjust,
    mcnemar_exact,
    paired_comparison,
    verdict,
)
from evalkit.uncertainty.intervals import (
    Interval,
    ProportionCounts,
    RankCounts,
    auc_score_interval,
    metric_interval,
    metric_intervals,
    percentile_interval,
    proportion_counts,
    rank_counts,
    wilson_interval,
)
from evalkit.uncertainty.resampling import Resampler
from evalkit.uncertainty.satisficing import satisficing_share

__all__ = [
    "METRICS",
    "Interval",
    "McNemar",
    "MetricSpec",
    "PairedComparison",
    "ProportionCounts",
    "RankCounts",
    "Resampler",
    "auc_score_interval",
    "bootstrap_entries",
    "bootstrap_metric_values",
    "holm_adjust",
    "mcnemar_exact",
    "metric_interval",
    "metric_intervals",
    "metric_spec",
    "paired_comparison",
    "percentile_interval",
    "proportion_counts",
    "rank_counts",
    "satisficing_share",
    "verdict",
    "weighted_metric_values",
    "wilson_interval",
]
