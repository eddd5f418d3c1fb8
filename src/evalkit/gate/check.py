"""One gate verdict (:class:`Check`) and its statuses, shared by the run checks and the slice checks."""

from __future__ import annotations

from dataclasses import dataclass

PASS, WARN, FAIL = "pass", "warn", "fail"
# Comparisons allow this much float rounding, so a value exactly at its tolerance passes
# (1.0 - 0.98 is 0.020000000000000018, which must not fail max_regression 0.02).
EPS = 1e-9


@dataclass(frozen=True)
class Check:
    """One verdict: ``subject`` (a gated candidate, ``best``, ``run``, a slice), ``rule``, status, reason."""

    subject: str
    rule: str
    status: str
    message: str
    value: float | None = None
    reference: float | None = None
    limit: str | None = None

    @property
    def name(self) -> str:
        return f"{self.subject}: {self.rule}"
