"""A run's results as documents: ``metrics.json`` (the record) and ``leaderboard.csv``.

:mod:`evalkit.run_folder` writes them (with the figures and reports) into the run folder, each
atomically and ``metrics.json`` last: its presence marks a complete run.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit import __version__
from evalkit.baselines.human_reference import human_level
from evalkit.comparison import Comparison
from evalkit.confidence import Assessment, significance_summary
from evalkit.entry import Entry
from evalkit.escaping import csv_cell
from evalkit.evalset import EvalSet
from evalkit.metrics.registry import MetricSpec
from evalkit.record_io import json_safe
from evalkit.runner import RunResult
from evalkit.strategies import Strategy
from evalkit.tasks import get_task
from evalkit.verdict import state as state_verdict

STANDARD_KEYS = ("name", "role", "kind", "rank", "metrics", "score", "feasible", "violations",
                 "unchecked_constraints", "score_reason", "metric_notes", "formula_inputs")


def data_summary(evalset: EvalSet) -> dict[str, Any]:
    """What ``metrics.json`` records about the evaluated data (the task adds its own fields)."""
    task = get_task(evalset.task)
    data: dict[str, Any] = {"n_items": evalset.n_items, "fingerprint": task.fingerprint(evalset),
                            "source": evalset.source, "classes": list(evalset.classes)}
    return data | task.data_summary(evalset)


def to_record(result: RunResult) -> dict[str, Any]:
    """The run as the ``metrics.json`` document."""
    data = data_summary(result.evalset)
    if result.config.data.description:
        data["description"] = result.config.data.description
    record = build_record(task=result.config.task, data=data, entries=result.entries,
                          comparison=result.comparison, strategy=result.strategy, registry=result.registry,
                          created=result.started, assessment=result.assessment)
    if result.slices is not None:
        record["slices"] = json_safe(result.slices)
    if result.assessment is not None and result.assessment.resampled:
        from evalkit.resamples_file import record_field

        record["resamples_file"] = record_field(result.assessment.resampled, data["fingerprint"],
                                                result.evalset.n_items, result.assessment.settings)
    if result.learning_curves is not None:
        record["learning_curves"] = json_safe(result.learning_curves)
    if result.label_review is not None:
        record["label_review"] = json_safe(result.label_review.record)
    # The experiment's gate: rules ride along, so `evalkit gate --update` can copy them into the reference.
    return record | {"gate": json_safe(dataclasses.asdict(result.config.gate))}


def build_record(*, task: str, data: dict[str, Any], entries: Sequence[Entry], comparison: Comparison,
                 strategy: Strategy, registry: Mapping[str, MetricSpec], created: str,
                 assessment: Assessment | None = None) -> dict[str, Any]:
    """Assemble ``metrics.json`` from scored entries and their comparison."""
    order = {name: i + 1 for i, name in enumerate(comparison.ranking)}
    rows = []
    for entry in sorted(entries, key=lambda e: order[e.name]):
        outcome = entry.outcome
        assert outcome is not None
        rows.append({
            "name": entry.name, "role": entry.role, "kind": entry.kind, "rank": order[entry.name],
            "metrics": entry.metrics, "score": outcome.score, "feasible": outcome.feasible,
            "violations": list(outcome.violations), "unchecked_constraints": list(outcome.unchecked),
            "score_reason": outcome.reason, "metric_notes": entry.notes, **entry.details,
            **_entry_confidence(entry.name, assessment),
            **({"formula_inputs": outcome.inputs} if outcome.inputs is not None else {}),
        })
    used = sorted({m for e in entries for m in e.metrics} & set(registry))
    record = json_safe({
        "evalkit_version": __version__, "created": created, "task": task,
        "strategy": strategy.describe() | {"higher_is_better": strategy.higher_is_better},
        "data": data,
        "metric_directions": {m: registry[m].direction for m in used},
        # What each metric is, for the gate: a reference accepted under other definitions must not pass.
        "metric_definitions": {m: _definition(registry[m]) for m in used},
        "entries": rows,
        "best": comparison.best, "strongest_baseline": comparison.strongest_baseline,
        "margin": comparison.margin, "beats_all_baselines": comparison.beats_all_baselines,
        "verdict": comparison.verdict, "notes": list(comparison.notes),
        "human_level": human_level(entries, strategy.higher_is_better),
    } | _assessment_fields(assessment))
    # Made from the record, after the significance tests: the verdict states what they found.
    record["verdict"], record["verdict_detail"] = state_verdict(record)
    return json_safe(record)


def _definition(spec: MetricSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"direction": spec.direction, "needs": spec.needs, "bounded": spec.bounded}
    if spec.parameters is not None:
        # e.g. the error costs or the calibration bins: other values define another number.
        out["parameters"] = spec.parameters
    return out


def _entry_confidence(name: str, assessment: Assessment | None) -> dict[str, Any]:
    if assessment is None:
        return {}
    fields: dict[str, Any] = {"ci": assessment.intervals.get(name, {})}
    if name in assessment.interval_methods:
        fields["ci_method"] = assessment.interval_methods[name]
    if name in assessment.feasible_share:
        fields["feasible_share"] = assessment.feasible_share[name]
    return fields


def _assessment_fields(assessment: Assessment | None) -> dict[str, Any]:
    if assessment is None:
        return {"bootstrap": None}
    return {"bootstrap": assessment.settings, "comparisons": assessment.comparisons,
            "significance": significance_summary(assessment.comparisons, assessment.settings["level"],
                                                 assessment.settings["resamples"]),
            "uncertainty_notes": assessment.notes}


def leaderboard_frame(record: dict[str, Any]) -> pd.DataFrame:
    """One row per entry in rank order: rank, name, role, kind, score, feasible, then every metric."""
    metric_names = list(record["metric_directions"])
    rows = []
    for entry in record["entries"]:
        row = {k: entry[k] for k in ("rank", "name", "role", "kind", "score", "feasible")}
        row |= {m: entry["metrics"].get(m) for m in metric_names}
        rows.append(row)
    return pd.DataFrame(rows)


def leaderboard_csv(record: dict[str, Any]) -> str:
    """``leaderboard.csv``: the leaderboard frame, with text cells a spreadsheet would run as a formula
    (a name like ``=HYPERLINK(...)``) neutralised; numbers are written as they are."""
    frame = leaderboard_frame(record)
    for column in frame.columns:
        if frame[column].map(lambda value: isinstance(value, str)).any():
            frame[column] = frame[column].map(csv_cell)
    frame.columns = [csv_cell(column) for column in frame.columns]  # declared cost metrics are names too
    return frame.to_csv(index=False)


def learning_curve_csv(record: dict[str, Any]) -> str | None:
    """``learning_curve.csv``: every measured point (entry, curve, metric, n, seed, value), or None when
    the run measured no curves. The ``score`` curve is the strategy's single number."""
    block = record.get("learning_curves")
    if not isinstance(block, dict):
        return None
    rows = [{"entry": name, "role": info["role"], "curve": curve, "metric": data["metric"], "n": int(n),
             "seed": int(seed), "value": value}
            for name, info in block["entries"].items() for curve, data in info["curves"].items()
            for n, seed, value in data.get("points", [])]
    frame = pd.DataFrame(rows, columns=["entry", "role", "curve", "metric", "n", "seed", "value"])
    for column in ("entry", "curve", "metric"):
        frame[column] = frame[column].map(csv_cell)
    return frame.to_csv(index=False)


def metrics_json(record: dict[str, Any]) -> str:
    """``metrics.json``: the record as strict JSON (no NaN)."""
    return json.dumps(record, indent=2, allow_nan=False) + "\n"
