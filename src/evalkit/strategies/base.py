"""What every strategy returns, and the contract it keeps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Outcome:
    """One entry's single number under a strategy.

    ``score`` is None when it cannot be computed (``reason`` says why); ``feasible`` is False when a
    constraint is violated (``violations`` lists every one); ``unchecked`` lists constraints that could
    not be checked because the entry does not state the metric (allowed for baselines only).
    ``inputs`` holds the metric values a formula was evaluated with (None for other strategies), so a
    reader of ``metrics.json`` can recompute the score.
    """

    score: float | None
    feasible: bool = True
    violations: tuple[str, ...] = ()
    reason: str | None = None
    unchecked: tuple[str, ...] = field(default=())
    inputs: Mapping[str, float | None] | None = field(default=None, hash=False)  # a dict: not hashable


class Strategy(Protocol):
    """Reduces an entry's metrics to one number. Pure: same metrics in, same outcome out."""

    name: str
    higher_is_better: bool
    metrics_used: tuple[str, ...]

    def evaluate(self, metrics: Mapping[str, float | None], *, require_all: bool = True) -> Outcome:
        """Score one entry; ``require_all=False`` lets unstated constraint metrics pass as unchecked."""
        ...

    def describe(self) -> dict[str, Any]:
        """The strategy's definition as stored in ``metrics.json`` (and compared by the gate)."""
        ...

    def score_values(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """The score of every bootstrap resample at once (NaN where it cannot be computed)."""
        ...


def missing_reason(name: str, metrics: Mapping[str, float | None]) -> str:
    return f"metric '{name}' is null" if name in metrics else f"metric '{name}' is not reported"
