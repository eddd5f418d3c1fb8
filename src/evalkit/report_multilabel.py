"""Per-class parts of ``report.md``: per-label (multilabel) or per-category (detection) average precision,
and the classes without a positive that the mean leaves out.

Reads only the ``metrics.json`` record, like the rest of the report, so ``evalkit compare`` and re-rendering
give the same text.
"""

from __future__ import annotations

from typing import Any

from evalkit.tasks import get_task

MISSING = "—"


def excluded_labels_note(record: dict[str, Any]) -> list[str]:
    """One caveat when some labels have no positive in the truth (their AP is undefined, not 0)."""
    data = record.get("data", {})
    excluded = data.get("labels_without_positives") or []
    if not excluded:
        return []
    n_labels = len(data.get("classes", []))
    shown = ", ".join(excluded[:10]) + (", ..." if len(excluded) > 10 else "")
    return [get_task(record["task"]).excluded_classes_note(len(excluded), n_labels, shown)]


def per_label_ap_table(record: dict[str, Any]) -> tuple[list[str], list[list[str]]] | None:
    """Header and rows: one row per label, one column per entry that gives scores (in rank order)."""
    entries = [e for e in record["entries"] if isinstance(e.get("per_class"), dict)]
    if not entries:
        return None
    data = record.get("data", {})
    positives = data.get("label_positives", {})
    labels = list(data.get("classes") or entries[0]["per_class"])
    words = get_task(record["task"]).vocabulary
    header = [words.class_, words.positives, *(e["name"] for e in entries)]
    rows = []
    for label in labels:
        cells = [label, str(positives.get(label, MISSING))]
        cells += [_fmt(e["per_class"].get(label)) for e in entries]
        rows.append(cells)
    return header, rows


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else MISSING
