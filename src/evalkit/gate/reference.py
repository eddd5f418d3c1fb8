"""The reference file: an accepted run's gated facts plus the rules agreed for it.

It is written by ``evalkit gate RUN --reference FILE --update`` and committed, so a pull request
that moves it shows, in its diff, every accepted change. It stores what the checks compare with
(data fingerprint, strategy, metric directions, each candidate's score, feasibility and metrics)
and the gate rules, so CI applies what was agreed rather than what a branch's config now says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.errors import DataError
from evalkit.gate.rules import GateRules, canonical_rules, parse_rules
from evalkit.gate.slices import reference_slices
from evalkit.record_io import json_safe, parse_json

# 2: records what defines the numbers (``definition``) and the run's baselines (``baselines``).
FORMAT_VERSION = 2
FORMAT_KEY = "evalkit_reference"
_ABOUT = ("Accepted results for `python -m evalkit gate`. Rewrite with `python -m evalkit gate RUN_DIR "
          "--reference THIS_FILE --update`, review the diff, commit.")
# Bookkeeping that changes on every --update; left out of the printed list of changes.
_UNDIFFED = ("about", "accepted_run")


@dataclass(frozen=True)
class Reference:
    """A parsed, validated reference. ``candidates`` maps a name to its score, feasible and metrics."""

    rules: GateRules
    gate: dict[str, Any]
    data: dict[str, Any]
    strategy: dict[str, Any]
    metric_directions: dict[str, str]
    best: str | None
    candidates: dict[str, dict[str, Any]]
    accepted: dict[str, Any]
    definition: dict[str, Any]
    baselines: dict[str, dict[str, Any]]
    # "<slicing>: <slice>" -> {n_items, scores: {entry: score}} (evalkit.gate.slices); empty without slices
    slices: dict[str, Any] = field(default_factory=dict)


def update_hint(path: Path | str) -> str:
    """How to repair a reference: write it again from an accepted run."""
    return f"rewrite it from an accepted run: `python -m evalkit gate RUN_DIR --reference {path} --update`"


def build_reference(record: Mapping[str, Any], gate: dict[str, Any]) -> dict[str, Any]:
    """The reference document for a run record and its canonical gate rules (see rules.canonical_rules)."""
    data = record.get("data") or {}
    candidates = {
        e["name"]: {"score": e.get("score"), "feasible": e.get("feasible"),
                    "violations": list(e.get("violations") or []), "metrics": dict(e.get("metrics") or {})}
        for e in record.get("entries", []) if e.get("role") == "candidate"
    }
    baselines = {e["name"]: {"kind": e.get("kind"), "score": e.get("score"), "ceiling": "ceiling" in e}
                 for e in record.get("entries", []) if e.get("role") == "baseline"}
    return json_safe({
        FORMAT_KEY: FORMAT_VERSION,
        "about": _ABOUT,
        "accepted_run": {"created": record.get("created"), "evalkit_version": record.get("evalkit_version")},
        "task": record.get("task"),
        "data": {k: data.get(k) for k in ("fingerprint", "n_items", "source")},
        "definition": definition(record),
        "strategy": record.get("strategy"),
        "metric_directions": record.get("metric_directions") or {},
        "gate": gate,
        "best": record.get("best"),
        "candidates": candidates,
        "baselines": baselines,
    } | ({"slices": reference_slices(record)} if record.get("slices") else {}))


def definition(record: Mapping[str, Any]) -> dict[str, Any]:
    """What defines a run's numbers besides its data and strategy: the task, the class order and the
    positive class (F1 of the other class is another number), the IoU type and COCO parameters
    (detection), and each metric's definition (direction, what it needs, its range).

    The data fingerprint covers the items and their labels but not these: changing
    ``data.positive_label`` keeps the fingerprint and changes every threshold metric.
    """
    data = record.get("data") or {}
    if not isinstance(data, Mapping):
        data = {}
    return {"task": record.get("task"), "classes": data.get("classes"),
            "positive_label": data.get("positive_label"), "iou_type": data.get("iou_type"),
            "coco_params": data.get("coco_params"), "metrics": record.get("metric_definitions")}


def to_json(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def load_reference_doc(path: Path) -> dict[str, Any]:
    """The reference file as JSON; DataError (exit 2) if it is missing, empty or not a JSON object."""
    if not path.exists():
        raise DataError(f"{path}: reference not found; create it from an accepted run with "
                        f"`python -m evalkit gate RUN_DIR --reference {path} --update`, then commit it")
    if not path.is_file():
        raise DataError(f"{path}: is not a file; --reference takes the reference JSON file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot be read ({exc}); {update_hint(path)}") from None
    if not text.strip():
        raise DataError(f"{path}: reference is empty; {update_hint(path)}")
    doc = parse_json(text, source=f"{path}: reference", hint=update_hint(path))
    if not isinstance(doc, dict):
        raise DataError(f"{path}: reference is not a JSON object; {update_hint(path)}")
    return doc


def parse_reference(doc: Mapping[str, Any], *, where: str) -> Reference:
    """Validate a reference document. Anything missing or malformed is an error (exit 2), never a pass."""
    version = doc.get(FORMAT_KEY)
    if version != FORMAT_VERSION:
        problem = (f"has no '{FORMAT_KEY}' key, so it is not an evalkit gate reference" if version is None
                   else f"has format {version!r}; this evalkit reads format {FORMAT_VERSION}")
        raise DataError(f"{where}: {problem}; {update_hint(where)}")
    for key in ("gate", "data", "strategy", "metric_directions", "candidates", "definition", "baselines"):
        if not isinstance(doc.get(key), dict):
            raise DataError(f"{where}: '{key}' is missing or not an object; {update_hint(where)}")
    candidates = doc["candidates"]
    if not candidates:
        raise DataError(f"{where}: 'candidates' is empty; {update_hint(where)}")
    for name, entry in candidates.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("metrics"), dict):
            raise DataError(f"{where}: candidates.{name} has no 'metrics' object; {update_hint(where)}")
    for name, entry in doc["baselines"].items():
        if not isinstance(entry, dict):
            raise DataError(f"{where}: baselines.{name} is not an object; {update_hint(where)}")
    best = doc.get("best")
    if best is not None and not isinstance(best, str):
        raise DataError(f"{where}: best is not a candidate name ({type(best).__name__}); "
                        f"{update_hint(where)}")
    if best is not None and best not in candidates:
        raise DataError(f"{where}: best '{best}' is not among its candidates; {update_hint(where)}")
    rules = parse_rules(doc["gate"], where=f"{where}: gate")
    # Canonical (every default filled in), so a hand-written rules block compares equal to the config's.
    return Reference(rules=rules, gate=canonical_rules(doc["gate"], where=f"{where}: gate"),
                     data=doc["data"], strategy=doc["strategy"], metric_directions=doc["metric_directions"],
                     best=best, candidates=candidates, accepted=doc.get("accepted_run") or {},
                     definition=doc["definition"], baselines=doc["baselines"], slices=_slices(doc, where))


def _slices(doc: Mapping[str, Any], where: str) -> dict[str, Any]:
    slices = doc.get("slices", {})
    if not isinstance(slices, dict) or not all(isinstance(v, dict) for v in slices.values()):
        raise DataError(f"{where}: 'slices' is not an object of slices; {update_hint(where)}")
    return slices


def read_reference(path: Path) -> Reference:
    """Read and validate the reference at ``path``."""
    return parse_reference(load_reference_doc(path), where=str(path))


def describe_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """One line per value that ``new`` changes, adds or removes relative to ``old`` (dotted paths).

    >>> describe_changes({"best": "a", "gate": {"margin": 0.0}}, {"best": "b", "gate": {"margin": 0.0}})
    ['best: a → b']
    """
    before = _flatten({k: v for k, v in (old or {}).items() if k not in _UNDIFFED})
    after = _flatten({k: v for k, v in new.items() if k not in _UNDIFFED})
    lines = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: (k.split(".")[0], k)):
        if key not in before:
            lines.append(f"+ {key}: {_show(after[key])}")
        elif key not in after:
            lines.append(f"- {key}: {_show(before[key])}")
        elif before[key] != after[key]:
            lines.append(f"{key}: {_show(before[key])} → {_show(after[key])}")
    return lines


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat |= _flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return flat
    return {prefix: value}


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"  # more digits than the reports: small accepted changes must show
    return json.dumps(value) if not isinstance(value, str) else value
