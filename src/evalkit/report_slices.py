"""The slices part of ``report.md``: a table per declared slicing and strategy metric, worst slice first,
and the weakest slices the search found. Made from ``metrics.json``'s ``slices`` block alone."""

from __future__ import annotations

from typing import Any

from evalkit.escaping import markdown_text as md

MISSING = "—"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(map(md, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(map(md, row)) + " |" for row in rows]


def _value(row: dict[str, Any] | None, metric: str) -> float | None:
    if row is None:
        return None
    value = row["score"] if metric == "score" else row["metrics"].get(metric)
    return None if value is None else float(value)


def _cell(row: dict[str, Any] | None, metric: str) -> str:
    value = _value(row, metric)
    if value is None:
        return MISSING
    bounds = ((row or {}).get("ci") or {}).get(metric)
    shown = f"{value:.4f}"
    if bounds and bounds[0] is not None:
        shown += f" [{bounds[0]:.3f}, {bounds[1]:.3f}]"
    return shown


def _comparison(piece: dict[str, Any], other: str | None, metric: str) -> str:
    if other is None:
        return MISSING
    if not piece["tested"]:
        return "not tested"
    for row in piece["comparisons"]:
        if row["b"] == other and row["metric"] == metric:
            if row.get("diff") is None or row.get("p_adjusted") is None:  # undefined in every resample
                return f"{MISSING} ({row['verdict']})"
            return f"{row['diff']:+.4f} (p {row['p_adjusted']:.3g}, {row['verdict']})"
    return MISSING


def worst_first(slices: list[dict[str, Any]], entry: str | None, metric: str,
                higher_is_better: bool) -> list[dict[str, Any]]:
    """Slices ordered worst first by ``entry``'s value of ``metric``; slices without a value last.

    >>> rows = [{"name": "a", "entries": {"m": {"score": 0.9, "metrics": {}}}},
    ...         {"name": "b", "entries": {"m": {"score": 0.5, "metrics": {}}}}]
    >>> [r["name"] for r in worst_first(rows, "m", "score", True)]
    ['b', 'a']
    """
    def key(piece: dict[str, Any]) -> tuple[int, float, str]:
        value = _value(piece["entries"].get(entry or ""), metric)
        if value is None:
            return (1, 0.0, piece["name"])
        return (0, value if higher_is_better else -value, piece["name"])

    return sorted(slices, key=key)


def slices_section(record: dict[str, Any]) -> list[str]:
    """The report's ``## Slices`` section, or nothing when the run declared no slices."""
    block = record.get("slices")
    if not block:
        return []
    best, baseline, human = block.get("best"), block.get("baseline"), block.get("human")
    parts = ["## Slices", "",
             md(f"Every entry with per-item predictions scored on each slice as if the slice were the whole "
                f"eval set; slices with fewer than {block['min_items']} items are shown but not tested. "
                f"Differences are {best} minus the other row, Holm-adjusted within the slice. "
                "Rows are worst first for the best candidate."), ""]
    candidates = ((best, "best"), (baseline, "strongest baseline"), (human, "human level"))
    shown = [(n, label) for n, label in candidates if n]
    for declared in block["declared"]:
        for metric in block["metrics"]:
            higher = block["higher_is_better"][metric]
            header = ["slice", "items", *[f"{n} ({label})" for n, label in shown],
                      *[f"{best} − {n}" for n, _ in shown[1:]]]
            rows = []
            for piece in worst_first(declared["slices"], best, metric, higher):
                cells = [_cell(piece["entries"].get(n), metric) for n, _ in shown]
                size = str(piece["n_items"]) + ("" if piece["tested"] else " (not tested)")
                tests = [_comparison(piece, n, metric) for n, _ in shown[1:]]
                rows.append([piece["name"], size, *cells, *tests])
            direction = "higher" if higher else "lower"
            title = f"score ({block['score_is']})" if metric == "score" and block.get("score_is") else metric
            parts += [f"### {md(declared['slicing'])}: {md(title)} ({direction} is better)", "",
                      *_table(header, rows), ""]
    parts += weakest_section(block)
    if block.get("notes"):
        parts += [*[f"- {md(note)}" for note in block["notes"]], ""]
    return parts


def weakest_section(block: dict[str, Any]) -> list[str]:
    """The weakest slices found by the search, with its size and adjustment stated."""
    found = block.get("search")
    if not found:
        return []
    lines = ["### Weakest slices (found automatically)", "",
             md(f"{found['searched']} slices searched (conjunctions of up to {found['max_conditions']} of "
                f"{found['conditions']} conditions on {', '.join(found['columns'])}, each with at least "
                f"{block['min_items']} items): is {found['entry']}'s {found['error']} higher inside the "
                f"slice than outside? {found['test']} test, p-values adjusted by {found['adjustment']} "
                "across all "
                f"{found['searched']} (false discovery rate {found['fdr']:g}). "
                f"Overall error {found['overall_error']:.4f}; {found['significant']} slice(s) significant."),
             ""]
    rows = [[t["name"], str(t["n_items"]),
             f"{t['error']:.4f} [{t['error_ci'][0]:.3f}, {t['error_ci'][1]:.3f}]"
             if t["error_ci"][0] is not None else f"{t['error']:.4f}", f"{t['rest_error']:.4f}",
             f"{t['p_value']:.3g}", f"{t['p_adjusted']:.3g}", "yes" if t["significant"] else "no"]
            for t in found["top"]]
    if not rows:
        return [*lines, md("No slice has enough items to be tested."), ""]
    header = ["slice", "items", "error", "error outside", "p", "p (BH)", "significant"]
    return [*lines, *_table(header, rows), ""]
