"""Builders for hand-made records and curve data, and helpers that find a figure's artists by ``gid``."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evalkit.evalset import EvalSet


def make_entry(name: str, role: str, kind: str, score: float | None, *, feasible: bool = True,
               metrics: dict[str, float | None] | None = None, ci: dict[str, list[float]] | None = None,
               **extra: Any) -> dict[str, Any]:
    """One ``metrics.json`` entry; ``metrics`` defaults to precision = score."""
    entry = {"name": name, "role": role, "kind": kind, "score": score, "feasible": feasible,
             "metrics": metrics if metrics is not None else {"precision": score},
             "violations": [] if feasible else ["recall = 0.9 violates recall >= 0.95"],
             "unchecked_constraints": [],
             "score_reason": None if score is not None else "metric 'precision' is null",
             "metric_notes": {}, **extra}
    if ci is not None:
        entry["ci"] = ci
    return entry


def make_record(entries: list[dict[str, Any]], *, best: str | None, strongest: str | None,
                strategy: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A ``metrics.json`` record around ``entries`` (already in rank order)."""
    strategy = strategy or {"name": "satisficing", "optimize": "precision", "higher_is_better": True,
                            "constraints": {"recall": ">= 0.95", "latency_ms": "<= 50"}}
    scores = {e["name"]: e["score"] for e in entries}
    margin = scores[best] - scores[strongest] if best and strongest else None
    directions = {"precision": "higher", "recall": "higher", "latency_ms": "lower", "accuracy": "higher"}
    used = {m for e in entries for m in e["metrics"]}
    for i, entry in enumerate(entries):
        entry["rank"] = i + 1
    return {"evalkit_version": "test", "created": "2026-01-01T00:00:00+00:00", "task": "binary",
            "strategy": strategy,
            "data": {"n_items": 100, "fingerprint": "0" * 64, "source": "test", "classes": ["neg", "pos"],
                     "positive_label": "pos"},
            "metric_directions": {m: d for m, d in directions.items() if m in used},
            "entries": entries, "best": best, "strongest_baseline": strongest, "margin": margin,
            "beats_all_baselines": True, "verdict": f"Best: {best}.", "notes": [], **extra}


def binary_evalset(n: int = 200, seed: int = 0) -> EvalSet:
    y = np.random.default_rng(seed).integers(0, 2, n)
    return EvalSet(task="binary", ids=np.array([str(i) for i in range(n)], dtype=object), y=y,
                   classes=("neg", "pos"), source="test")


def noisy_scores(y: np.ndarray, noise: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(0.5 * y + 0.25 + rng.normal(0, noise, len(y)), 0, 1)


def artists(figure: Figure, prefix: str) -> list[Any]:
    """Every artist of the figure whose ``gid`` starts with ``prefix``, in drawing order."""
    return [a for a in figure.findobj(lambda a: (a.get_gid() or "").startswith(prefix))]


def by_gid(figure: Figure, gid: str) -> Any:
    found = [a for a in figure.findobj(lambda a: a.get_gid() == gid)]
    assert len(found) == 1, f"expected one artist with gid {gid!r}, found {len(found)}"
    return found[0]


def build_satisficing_record() -> dict[str, Any]:
    """The record of ``satisficing_record``, for module-scoped fixtures that draw a figure once."""
    def m(precision: float | None, recall: float, latency: float | None = None) -> dict[str, float | None]:
        values: dict[str, float | None] = {"precision": precision, "recall": recall}
        if latency is not None:
            values["latency_ms"] = latency
        return values

    entries = [
        make_entry("alpha", "candidate", "estimator", 0.97, metrics=m(0.97, 0.96, 1.5),
                   ci={"score": [0.93, 0.99], "precision": [0.93, 0.99], "recall": [0.92, 0.99]},
                   feasible_share=0.99),
        make_entry("beta", "candidate", "estimator", 0.95, metrics=m(0.95, 0.955, 12.0),
                   ci={"score": [0.90, 0.98], "precision": [0.90, 0.98], "recall": [0.91, 0.98]},
                   feasible_share=0.6),
        make_entry("spec", "baseline", "external", 0.90, metrics=m(0.90, 0.95)),
        make_entry("panel/majority_vote", "baseline", "human", 0.96, feasible=False, metrics=m(0.96, 0.93),
                   ci={"score": [0.92, 0.99], "precision": [0.92, 0.99], "recall": [0.88, 0.97]}),
        make_entry("gamma", "candidate", "estimator", 0.93, feasible=False, metrics=m(0.93, 0.90, 80.0),
                   ci={"score": [0.88, 0.97], "precision": [0.88, 0.97], "recall": [0.85, 0.94]}),
        make_entry("rule", "baseline", "rule", 0.91, feasible=False, metrics=m(0.91, 0.85),
                   ci={"score": [0.86, 0.95], "precision": [0.86, 0.95], "recall": [0.80, 0.90]}),
        make_entry("majority", "baseline", "simple_ml", None, feasible=False, metrics=m(None, 0.0, 0.01)),
    ]
    return make_record(entries, best="alpha", strongest="spec",
                       human_level={"name": "panel/majority_vote", "score": 0.96},
                       bootstrap={"resamples": 200, "level": 0.95})
