"""Small metrics.json records and references, built in code, for the gate's tests.

A record has the shape ``evalkit run`` writes (entries with metrics, score, feasible; strategy with
higher_is_better; metric_directions; data fingerprint), plus, where a test needs them, the
bootstrap helper's ``ci`` per entry and a top-level ``human_level``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from evalkit.gate.checks import Check, GateResult, check_run
from evalkit.gate.reference import Reference, build_reference, parse_reference
from evalkit.gate.rules import canonical_rules

FINGERPRINT = "f" * 64
DIRECTIONS = {"precision": "higher", "recall": "higher", "roc_auc": "higher", "latency_ms": "lower",
              "log_loss": "lower"}
# Maximize precision subject to recall >= 0.9: higher is better, as in the demo.
PRECISION_STRATEGY = {"name": "satisficing", "optimize": "precision", "constraints": {"recall": ">= 0.9"},
                      "higher_is_better": True}
# Minimize log_loss subject to recall >= 0.9: the single number is lower-is-better.
LOG_LOSS_STRATEGY = {"name": "satisficing", "optimize": "log_loss", "constraints": {"recall": ">= 0.9"},
                     "higher_is_better": False}

MODEL_METRICS = {"precision": 0.95, "recall": 0.92, "roc_auc": 0.97, "latency_ms": 10.0, "log_loss": 0.20}


def entry(name: str, role: str = "candidate", *, score: Any = None, feasible: bool = True,
          metrics: dict[str, Any] | None = None, ci: dict[str, list[float]] | None = None,
          violations: list[str] | None = None) -> dict[str, Any]:
    """An entry as metrics.json has it; ``score`` defaults to its precision.

    A ``score`` given without ``metrics`` is also the value of the metrics the test strategies
    optimize (precision, log_loss), so the gate, which recomputes scores, finds the record consistent.
    """
    if metrics is None and score is not None:
        metrics = MODEL_METRICS | {"precision": score, "log_loss": score}
    metrics = dict(MODEL_METRICS if metrics is None else metrics)
    doc = {"name": name, "role": role, "kind": "estimator" if role == "candidate" else "rule",
           "metrics": metrics, "score": metrics.get("precision") if score is None else score,
           "feasible": feasible, "violations": violations or [], "score_reason": None}
    if ci is not None:
        doc["ci"] = ci
    return doc


def record(*entries: dict[str, Any], strategy: dict[str, Any] | None = None, fingerprint: str = FINGERPRINT,
           best: str | None = "model", gate: dict[str, Any] | None = None,
           human_level: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run record; by default one candidate ``model`` and one baseline ``rule``."""
    entries = entries or (entry("model"),
                          entry("rule", "baseline", metrics={"precision": 0.90, "recall": 0.8}))
    doc = {"evalkit_version": "0.1.0", "created": "2026-01-01T00:00:00+00:00", "task": "binary",
           "strategy": copy.deepcopy(strategy or PRECISION_STRATEGY),
           "data": {"n_items": 100, "fingerprint": fingerprint, "source": "test"},
           "metric_directions": dict(DIRECTIONS), "entries": [copy.deepcopy(e) for e in entries],
           "best": best, "gate": gate}
    if human_level is not None:
        doc["human_level"] = human_level
    return doc


def with_metric(doc: dict[str, Any], name: str, metric: str, value: Any) -> dict[str, Any]:
    """A copy of ``doc`` with one entry's metric changed (the score too, when it is the optimized one)."""
    doc = copy.deepcopy(doc)
    for item in doc["entries"]:
        if item["name"] == name:
            item["metrics"][metric] = value
            if doc["strategy"].get("optimize") == metric:
                item["score"] = value
    return doc


def reference_for(accepted: dict[str, Any], rules: dict[str, Any]) -> Reference:
    """The reference ``--update`` would write for ``accepted`` with ``rules``, parsed back."""
    doc = build_reference(accepted, canonical_rules(rules, where="gate"))
    return parse_reference(doc, where="reference.json")


def gate(run: dict[str, Any], accepted: dict[str, Any], rules: dict[str, Any], **kwargs: Any) -> GateResult:
    """Check ``run`` against a reference accepted from ``accepted`` with ``rules``."""
    return check_run(run, reference_for(accepted, rules), **kwargs)


def the(result: GateResult, name: str) -> Check:
    """The one check called ``name`` (e.g. ``model: precision max_regression``)."""
    found = [c for c in result.checks if c.name == name]
    assert len(found) == 1, (name, [c.name for c in result.checks])
    return found[0]


def write_run(directory: Path, doc: dict[str, Any]) -> Path:
    """Write ``doc`` as ``directory/metrics.json``; returns the run directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "metrics.json").write_text(json.dumps(doc))
    return directory
