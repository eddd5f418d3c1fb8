"""Uncertainty: paired bootstrap of metrics, intervals and significance (pure functions).

Flow: a :class:`Resampler` fixes the resamples (item weights) for a seed;
a task computes every metric on every resample at once for each entry (the classification tasks'
vectorized families live in ``evalkit.tasks.classification``); :func:`metric_interval` turns the
values into an interval (percentile, Wilson at 0% and 100%); :func:`paired_comparison`,
:func:`holm_adjust` and :func:`verdict` compare entries on the same resamples;
:func:`mcnemar_exact` tests accuracy on discordant pairs; :func:`satisficing_share` is the share of
resamples meeting all constraints.

Modules: ``resampling`` (resamples), ``intervals``, ``comparison``, ``satisficing``.
"""

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
    percentile_interval,
    wilson_interval,
)
from evalkit.uncertainty.resampling import Resampler
from evalkit.uncertainty.satisficing import satisficing_share

__all__ = [
    "Interval",
    "McNemar",
    "PairedComparison",
    "ProportionCounts",
    "RankCounts",
    "Resampler",
    "auc_score_interval",
    "holm_adjust",
    "mcnemar_exact",
    "metric_interval",
    "paired_comparison",
    "percentile_interval",
    "satisficing_share",
    "verdict",
    "wilson_interval",
]
