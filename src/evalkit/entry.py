"""An entry: anything that gets a row in the leaderboard, a candidate or a baseline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from evalkit.predictions import Predictions
from evalkit.strategies.base import Outcome

ROLES = ("candidate", "baseline")


@dataclass
class Entry:
    """A named row: its metrics (None where not computable, with a note), and how it was made.

    ``kind`` is one of estimator, predictions (candidates) or external, rule, simple_ml, human
    (baselines). ``details`` holds kind-specific facts written to ``metrics.json`` (source, spread,
    per-annotator metrics, coverage, fingerprints).
    """

    name: str
    role: str
    kind: str
    metrics: dict[str, float | None]
    notes: dict[str, str] = field(default_factory=dict)
    predictions: Predictions | None = None
    details: dict[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None

    @property
    def score(self) -> float | None:
        return None if self.outcome is None else self.outcome.score

    @property
    def feasible(self) -> bool:
        return self.outcome is not None and self.outcome.feasible
