"""Satisficing under uncertainty: how often an entry meets every constraint across resamples.

A satisficing strategy keeps the entries whose constraint metrics pass their thresholds (e.g.
``recall >= 0.9``) and ranks the rest by the optimizing metric. On one data set the answer is
yes or no; over the bootstrap it is the share of resamples in which every constraint holds at
once (a joint share, not a product of per-constraint shares, since the metrics are correlated).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from evalkit.errors import ConfigError, DataError

OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}

Constraint = tuple[str, str, float]


def satisficing_share(values: Mapping[str, np.ndarray], constraints: Sequence[Constraint]) -> float:
    """Share of resamples where every ``(metric, op, threshold)`` constraint holds.

    Parameters
    ----------
    values : mapping of metric name to ndarray of shape (R,)
        One entry's bootstrap values, all from the same resamples.
    constraints : sequence of (metric, op, threshold)
        ``op`` in ``>=``, ``<=``, ``>``, ``<``. A resample where a constrained metric is undefined
        (NaN) does not satisfy it. No constraint at all gives 1.0.

    Examples
    --------
    >>> v = {"recall": np.array([0.95, 0.85, 0.92, 0.91]), "latency": np.array([10.0, 9.0, 12.0, 11.0])}
    >>> satisficing_share(v, [("recall", ">=", 0.9), ("latency", "<", 11.5)])
    0.5
    """
    arrays = {name: np.asarray(v, dtype=np.float64) for name, v in values.items()}
    lengths = {a.shape for a in arrays.values()}
    if len(lengths) > 1 or any(len(shape) != 1 for shape in lengths):
        raise DataError(
            f"bootstrap values should be 1-d arrays over the same resamples, got shapes {lengths}."
        )
    ok: np.ndarray | None = None
    for metric, op, threshold in constraints:
        if op not in OPERATORS:
            raise ConfigError(
                f"constraint operator {op!r} is not valid. It should be one of {list(OPERATORS)}."
            )
        if metric not in arrays:
            raise ConfigError(
                f"constraint on {metric!r} has no bootstrap values. Metrics with values: {sorted(arrays)}."
            )
        # Comparisons with NaN are False, so an undefined resample fails the constraint.
        holds = OPERATORS[op](arrays[metric], float(threshold))
        ok = holds if ok is None else ok & holds
    if ok is None:
        return 1.0
    return float(np.mean(ok))
