"""The shape of a saved run (``metrics.json``, ``curves.json``), checked once when ``plot`` or ``compare``
loads it.

Those commands draw and merge from the saved files alone, and a truncated or hand-edited file (a null
where a number was, a string where a list was, a missing key) would otherwise surface as a TypeError deep
inside the drawing code. Checking here names the file and the field, and lets the figure code trust what
it reads. Only the fields that the figures, the reports and ``compare`` read are checked; anything else in
the files is carried along untouched.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from evalkit.errors import DataError

_FIX = "fix: re-run the experiment to rewrite it, or restore the file"


def _what(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"a {type(value).__name__}"


def _fail(path: Path, field: str, value: Any, expected: str) -> DataError:
    return DataError(f"{path}: {field} is {_what(value)}, expected {expected}; {_FIX}")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(path: Path, field: str, value: Any, *, optional: bool = True) -> None:
    if not (_is_number(value) or (optional and value is None)):
        raise _fail(path, field, value, "a finite number" + (" or null" if optional else ""))


def _typed(path: Path, field: str, value: Any, kind: type | tuple[type, ...], expected: str, *,
           optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _fail(path, field, value, expected)


def _required(path: Path, owner: dict[str, Any], key: str, where: str) -> Any:
    if key not in owner:
        raise DataError(f"{path}: {where} has no '{key}'; {_FIX}")
    return owner[key]


def check_record(record: dict[str, Any], path: Path) -> None:
    """DataError naming ``path`` and the field unless ``record`` has the shape plots and compare read."""
    _typed(path, "task", _required(path, record, "task", "the record"), str, "a string")
    strategy = _required(path, record, "strategy", "the record")
    _typed(path, "strategy", strategy, dict, "an object")
    _typed(path, "strategy.name", _required(path, strategy, "name", "strategy"), str, "a string")
    for key in ("optimize", "metric"):
        _typed(path, f"strategy.{key}", strategy.get(key), str, "a string or null", optional=True)
    _typed(path, "strategy.constraints", strategy.get("constraints"), dict, "an object", optional=True)
    for key in ("best", "strongest_baseline", "verdict", "significance", "created"):
        _typed(path, key, record.get(key), str, "a string or null", optional=True)
    _number(path, "margin", record.get("margin"))
    for key in ("data", "bootstrap", "human_level", "gate", "metric_definitions", "verdict_detail"):
        _typed(path, key, record.get(key), dict, "an object or null", optional=True)
    directions = record.get("metric_directions", {})
    _typed(path, "metric_directions", directions, dict, "an object")
    for name, direction in directions.items():
        _typed(path, f"metric_directions.{name}", direction, str, "'higher' or 'lower'")
    for key in ("notes", "uncertainty_notes"):
        notes = record.get(key, [])
        _typed(path, key, notes, list, "a list of strings")
        for k, note in enumerate(notes):
            _typed(path, f"{key}[{k}]", note, str, "a string")
    comparisons = record.get("comparisons", [])
    _typed(path, "comparisons", comparisons, list, "a list")
    for k, comparison in enumerate(comparisons):
        _typed(path, f"comparisons[{k}]", comparison, dict, "an object")
    for k, entry in enumerate(record["entries"]):
        _check_entry(path, f"entries[{k}]", entry)
    _check_label_review(path, record.get("label_review"))


def _check_label_review(path: Path, review: Any) -> None:
    """The ``label_review`` block the report's "Suspect labels" section reads (absent when not enabled)."""
    _typed(path, "label_review", review, dict, "an object or null", optional=True)
    if review is None:
        return
    for key in ("flagged", "n_items"):
        _typed(path, f"label_review.{key}", review.get(key), int, "an integer", optional=True)
    for key in ("file", "method", "missing_evidence"):
        _typed(path, f"label_review.{key}", review.get(key), str, "a string or null", optional=True)
    for key in ("sensitivity", "duplicates", "leakage"):
        _typed(path, f"label_review.{key}", review.get(key), dict, "an object or null", optional=True)
    _typed(path, "label_review.sensitivity.line", (review.get("sensitivity") or {}).get("line"), str,
           "a string or null", optional=True)
    for key in ("top", "contributors", "not_used", "panels"):
        rows = review.get(key, [])
        _typed(path, f"label_review.{key}", rows, list, "a list of objects")
        for k, row in enumerate(rows):
            _typed(path, f"label_review.{key}[{k}]", row, dict, "an object")
    for k, row in enumerate(review.get("top") or []):
        for key in ("ranking_score", "candidates_p_gold", "candidates_p_suggested"):
            _number(path, f"label_review.top[{k}].{key}", row.get(key))
        _typed(path, f"label_review.top[{k}].votes", row.get("votes"), dict, "an object or null",
               optional=True)


def _check_entry(path: Path, where: str, entry: Any) -> None:
    _typed(path, where, entry, dict, "an object")
    for key in ("name", "role", "kind"):
        _typed(path, f"{where}.{key}", _required(path, entry, key, where), str, "a string")
    metrics = _required(path, entry, "metrics", where)
    _typed(path, f"{where}.metrics", metrics, dict, "an object of numbers")
    for name, value in metrics.items():
        _number(path, f"{where}.metrics.{name}", value)
    _number(path, f"{where}.score", entry.get("score"))
    _number(path, f"{where}.feasible_share", entry.get("feasible_share"))
    _typed(path, f"{where}.feasible", entry.get("feasible"), bool, "true, false or null", optional=True)
    _typed(path, f"{where}.rank", entry.get("rank"), int, "an integer or null", optional=True)
    for key in ("metric_notes", "per_class", "details", "measured"):
        _typed(path, f"{where}.{key}", entry.get(key), dict, "an object or null", optional=True)
    for name, value in (entry.get("per_class") or {}).items():
        _number(path, f"{where}.per_class.{name}", value)
    for key in ("violations", "unchecked_constraints", "fragile_constraints"):
        _typed(path, f"{where}.{key}", entry.get(key), list, "a list or null", optional=True)
    ci = entry.get("ci")
    _typed(path, f"{where}.ci", ci, dict, "an object or null", optional=True)
    for name, bounds in (ci or {}).items():
        if bounds is None:
            continue
        if not (isinstance(bounds, list) and len(bounds) == 2):
            raise _fail(path, f"{where}.ci.{name}", bounds, "[low, high] or null")
        for side, bound in zip(("low", "high"), bounds, strict=True):
            _number(path, f"{where}.ci.{name} ({side})", bound)


def check_curves(curves: dict[str, Any], path: Path) -> None:
    """DataError naming ``path`` and the field unless ``curves`` has the shape the figures read."""
    for key in ("classes", "curve_classes"):
        values = curves.get(key, [])
        _typed(path, key, values, list, "a list of class names")
        for k, value in enumerate(values):
            _typed(path, f"{key}[{k}]", value, str | int, "a class name")
    _typed(path, "task", curves.get("task"), str, "a string or null", optional=True)
    for name, entry in curves["entries"].items():
        where = f"entries.{name}"
        _typed(path, where, entry, dict, "an object")
        for key in ("role", "kind"):
            _typed(path, f"{where}.{key}", entry.get(key), str, "a string", optional=True)
        _typed(path, f"{where}.images", entry.get("images"), int, "an integer", optional=True)
        if entry.get("confusion") is not None:
            _check_matrix(path, f"{where}.confusion", entry["confusion"])
        if entry.get("curves") is not None:
            _check_curve_tree(path, f"{where}.curves", entry["curves"])
        if entry.get("reliability") is not None:
            _check_reliability(path, f"{where}.reliability", entry["reliability"])


def _check_reliability(path: Path, where: str, table: Any) -> None:
    # {forecast: [...], observed: [...], count: [...]}: one value per non-empty bin.
    _typed(path, where, table, dict, "an object")
    lengths = set()
    for key in ("forecast", "observed", "count"):
        values = table.get(key)
        _typed(path, f"{where}.{key}", values, list, "a list of numbers")
        for k, v in enumerate(values):
            _number(path, f"{where}.{key}[{k}]", v, optional=False)
        lengths.add(len(values))
    if len(lengths) > 1:
        raise _fail(path, where, table, "lists of equal length (one value per bin)")


def _check_matrix(path: Path, where: str, matrix: Any) -> None:
    if not (isinstance(matrix, list) and matrix and all(isinstance(row, list) for row in matrix)
            and all(len(row) == len(matrix) for row in matrix)):
        raise _fail(path, where, matrix, "a square matrix (a list of equally long lists of counts)")
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            _number(path, f"{where}[{i}][{j}]", value, optional=False)


def _check_curve_tree(path: Path, where: str, node: Any, depth: int = 0) -> None:
    # {class or panel: {kind: {axis: [numbers], summary: number}}}; a 'note' may explain a missing curve.
    _typed(path, where, node, dict, "an object")
    if depth == 2:
        lengths = set()
        for key, value in node.items():
            if isinstance(value, list):
                for k, v in enumerate(value):
                    _number(path, f"{where}.{key}[{k}]", v, optional=False)
                lengths.add(len(value))
            elif key != "note":
                _number(path, f"{where}.{key}", value)
        if len(lengths) > 1:
            raise DataError(f"{path}: {where} has curve coordinates of different lengths "
                            f"{sorted(lengths)}; {_FIX}")
        return
    for key, value in node.items():
        if key == "note" and isinstance(value, str):
            continue
        _check_curve_tree(path, f"{where}.{key}", value, depth + 1)
