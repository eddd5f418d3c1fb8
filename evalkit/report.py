"""Human-facing text: the terminal leaderboard and ``report.md``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evalkit.results import leaderboard_frame

MISSING = "—"


def _fmt(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.4g}"
    return str(value)


def _rows(record: dict[str, Any], metrics: list[str]) -> tuple[list[str], list[list[str]]]:
    satisficing = record["strategy"]["name"] == "satisficing"
    header = ["#", "entry", "role", "kind", "score", *(["feasible"] if satisficing else []), *metrics]
    frame = leaderboard_frame(record)
    rows = []
    for _, row in frame.iterrows():
        name = row["name"] + (" *" if row["name"] == record["best"] else "")
        cells = [str(row["rank"]), name, row["role"], row["kind"], _fmt(_none(row["score"]))]
        if satisficing:
            cells.append(_fmt(bool(row["feasible"])))
        cells += [_fmt(_none(row[m])) for m in metrics]
        rows.append(cells)
    return header, rows


def _none(value: Any) -> Any:
    return None if value is None or value != value else value


def _strategy_metrics(record: dict[str, Any]) -> list[str]:
    strategy = record["strategy"]
    names = list(strategy.get("metrics") or [])
    if strategy["name"] == "satisficing":
        names = [strategy["optimize"], *strategy.get("constraints", {})]
    seen: list[str] = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


def terminal_table(record: dict[str, Any]) -> str:
    """An aligned plain-text leaderboard with the strategy's metrics, and the verdict."""
    header, rows = _rows(record, _strategy_metrics(record))
    widths = [max(len(c) for c in column) for column in zip(header, *rows, strict=True)]
    numeric = [i >= 4 for i in range(len(header))]
    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if num else c.ljust(w)
                         for c, w, num in zip(cells, widths, numeric, strict=True)).rstrip()
    out = [line(header), line(["-" * w for w in widths]), *map(line, rows), "",
           f"strategy: {describe_strategy(record['strategy'])}   (* = best candidate)", record["verdict"]]
    return "\n".join(out)


def describe_strategy(strategy: dict[str, Any]) -> str:
    if strategy["name"] == "satisficing":
        constraints = ", ".join(f"{m} {c}" for m, c in strategy.get("constraints", {}).items())
        goal = "maximize" if strategy.get("higher_is_better", True) else "minimize"
        return f"{goal} {strategy['optimize']}" + (f" subject to {constraints}" if constraints else "")
    if strategy["name"] == "average":
        parts = [f"{w:g}×{m}" for m, w in zip(strategy["metrics"], strategy["weights"], strict=True)]
        return f"weighted mean of {', '.join(parts)}"
    return str(strategy)


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_report(record: dict[str, Any], *, figures: Sequence[tuple[str, str]] = (),
                    skipped: Sequence[str] = ()) -> str:
    """``report.md``: verdict, figures, leaderboard with every metric, and every caveat a reader needs.

    ``figures`` are ``(caption, path relative to the report)``; ``skipped`` says which figures were
    not drawn and why.
    """
    data = record["data"]
    header, rows = _rows(record, list(record["metric_directions"]))
    parts = [
        "# evalkit report", "",
        f"**{record['verdict']}**", "",
        f"- Task: {record['task']}; {data['n_items']} evaluated items from {data['source']}"
        + (f" (positive class: {data['positive_label']})" if "positive_label" in data else ""),
        f"- Strategy: {describe_strategy(record['strategy'])}",
        f"- Data fingerprint: `{data['fingerprint'][:16]}…`; evalkit {record['evalkit_version']}; "
        f"created {record['created']}", "",
        *figures_section(figures, skipped),
        "## Leaderboard", "",
        "Directions: " + ", ".join(f"{m} ({d} is better)" for m, d in record["metric_directions"].items()),
        "", markdown_table(header, rows), "",
    ]
    caveats = list(record["notes"]) + _entry_caveats(record)
    if caveats:
        parts += ["## Caveats", "", *[f"- {c}" for c in caveats], ""]
    return "\n".join(parts)


def _entry_caveats(record: dict[str, Any]) -> list[str]:
    notes = []
    for entry in record["entries"]:
        name = entry["name"]
        if entry["violations"]:
            notes.append(f"{name} is infeasible: {'; '.join(entry['violations'])}")
        if entry.get("score_reason"):
            notes.append(f"{name} has no score: {entry['score_reason']}")
        if entry["unchecked_constraints"]:
            notes.append(f"{name} does not report {', '.join(entry['unchecked_constraints'])}: not checked")
        if entry["kind"] == "external":
            notes.append(f"{name} is an external number; source: {entry.get('source')}")
        if "fitted_on" in entry:
            notes.append(f"{name} was fitted on {entry['fitted_on']}")
        if "labels_from_scores" in entry:
            notes.append(f"{name}: {entry['labels_from_scores']}")
        coverage = entry.get("coverage")
        if coverage and coverage["items"] < coverage["of"]:
            notes.append(f"{name} is scored on the {coverage['items']} of {coverage['of']} items its "
                         "annotators labelled: not the same item set as the models")
        if entry.get("tied_items"):
            notes.append(f"{name}: {entry['tied_items']} tied item(s), tie rule '{entry['tie_rule']}'")
        if "ignored_labels" in entry:
            notes.append(f"{name}: {entry['ignored_labels']}")
        undefined = {m: r for m, r in entry["metric_notes"].items() if not r.startswith("needs ")}
        for metric, reason in undefined.items():
            notes.append(f"{name}: {metric} is null ({reason})")
    return notes


def figures_section(figures: Sequence[tuple[str, str]], skipped: Sequence[str]) -> list[str]:
    """The figures under their captions, then the ones not drawn with the reason (never an empty plot)."""
    if not figures and not skipped:
        return []
    parts = ["## Figures", ""]
    for caption, path in figures:
        parts += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    if skipped:
        parts += [*[f"- Not drawn: {note}" for note in skipped], ""]
    return parts
