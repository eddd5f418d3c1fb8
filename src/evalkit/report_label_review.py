"""The report's "Suspect labels" section and the terminal's line, from ``metrics.json``'s ``label_review``.

Everything shown comes from the record (ids, labels, entry and panel names are the user's): cells go
through the report's escaping, as the rest of ``report.md`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from evalkit.escaping import markdown_code
from evalkit.escaping import markdown_text as md

MISSING = "—"


def _number(value: Any) -> str:
    return MISSING if value is None else f"{value:.3f}"


def terminal_line(record: dict[str, Any]) -> str | None:
    """``Label review: ...`` for the terminal, or None when the run did not review its labels."""
    review = record.get("label_review")
    if not isinstance(review, dict):
        return None
    if review.get("missing_evidence"):
        return f"Label review: {review['missing_evidence']}."
    line = (f"Label review: {review.get('flagged', 0)} of {review.get('n_items', '?')} items flagged as "
            f"suspect labels ({review.get('file', 'label_review.csv')}).")
    if review.get("per_label"):
        line = (f"Label review: {review.get('flagged', 0)} (item, label) pair(s) on "
                f"{review.get('flagged_items', 0)} of {review.get('n_items', '?')} items flagged as suspect "
                f"labels ({review.get('file', 'label_review.csv')}).")
    survived = (review.get("sensitivity") or {}).get("line", "")
    return f"{line} {survived.split('. ', 1)[0].rstrip('.')}." if survived else line


# How the report draws a table of plain-text cells (evalkit.report.markdown_table, which escapes them).
Table = Callable[[list[str], list[list[str]]], str]


def label_review_section(record: dict[str, Any], table: Table) -> list[str]:
    """``## Suspect labels``: counts, the top items with their evidence, the sensitivity line, duplicates.

    ``table`` draws the top items (the report passes its own, so every table escapes alike).
    """
    review = record.get("label_review")
    if not isinstance(review, dict):
        return []
    parts = ["## Suspect labels", ""]
    if review.get("missing_evidence"):
        return [*parts, md(f"No review: {review['missing_evidence']}."), "", *_duplicates(review)]
    flagged, n_items, top = review.get("flagged", 0), review.get("n_items", 0), review.get("top") or []
    shown = f"; the {len(top)} most suspect below" if top and len(top) < flagged else ""
    where = markdown_code(review.get("file", "label_review.csv"))
    others = sum(1 for row in top if row.get("flagged") is False)
    if flagged and review.get("per_label"):
        counted = md(f"{flagged} (item, label) pair(s) on {review.get('flagged_items', '?')} of {n_items} "
                     f"evaluated items flagged as probably mislabelled (each label reviewed as present or "
                     f"absent){shown}; every flagged pair, with its evidence, is in ") + where + md(".")
        if others:
            counted += md(f" Below them, the {others} most suspect pairs that are not flagged.")
    elif flagged:
        counted = md(f"{flagged} of {n_items} evaluated items flagged as probably mislabelled{shown}; every "
                     "flagged item, with its evidence, is in ") + where + md(".")
        if others:
            counted += md(f" Below them, the {others} most suspect items that are not flagged.")
    else:
        counted = md(f"None of the {n_items} evaluated items is flagged as probably mislabelled.")
        if top:
            counted += md(f" The {len(top)} most suspect, to re-check first if you re-check any, are below "
                          "(highest P(gold wrong) first) and in ") + where + md(".")
    gold = md(" Gold stays gold: the leaderboard and the verdict above use the labels as given.")
    parts += [counted + gold, ""]
    sensitivity = (review.get("sensitivity") or {}).get("line")
    if sensitivity:
        parts += ["**" + md(sensitivity) + "**", ""]
    parts += _evidence(review)
    if top:
        parts += [table(*_table(top)), ""]
    cleared = review.get("cleared") or {}
    if cleared.get("items"):
        shown = "; ".join(f"{c.get('id')} (gold {c.get('gold')}, candidates {c.get('candidates_suggested')}, "
                          f"votes {_votes(c.get('votes'))})" for c in cleared.get("examples") or [])
        parts += [md(f"Cleared by the panels: {cleared['items']} item(s) the candidates alone would flag, "
                     f"where the votes side with gold: {shown}."), ""]
    parts += _duplicates(review)
    return parts


def _grouped(rows: list[dict[str, Any]]) -> str:
    """``a, b (why); c (other why)``: entries that share a reason are named together, in their order."""
    reasons: dict[str, list[str]] = {}
    for row in rows:
        reasons.setdefault(str(row.get("why")), []).append(str(row.get("name")))
    return "; ".join(f"{', '.join(names)} ({why})" for why, names in reasons.items())


def _evidence(review: dict[str, Any]) -> list[str]:
    used = review.get("contributors") or []
    scores = f"Scores from {_grouped(used)}" if used \
        else "No entry's scores count (the ranking rests on the panels' votes)"
    panels = review.get("panels") or []
    described = [f"{p.get('name')} ({p.get('annotators')} annotators, {p.get('votes')} votes on "
                 f"{p.get('items')} items)" for p in panels]
    votes = f"; votes from {', '.join(described)}" if panels else "; no panel"
    lines = ["- " + md(scores + votes + ".")]
    skipped = review.get("not_used") or []
    if skipped:
        lines.append("- " + md(f"Not counted: {_grouped(skipped)}."))
    lines.append("- " + md(f"Method: {review.get('method', '')}."))
    return [*lines, ""]


def _table(top: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    with_votes = any("votes" in row for row in top)
    with_scores = any("candidates_p_gold" in row for row in top)
    # Whether each row is flagged is said only when the list holds unflagged items too.
    with_flag = any(row.get("flagged") is False for row in top)
    with_label = any("label" in row for row in top)
    header = ["#", "id", *(["label"] if with_label else []), "gold", "suggested", "P(gold wrong)",
              *(["candidates: P(gold)", "P(suggested)", "for suggested"] if with_scores else []),
              *(["votes"] if with_votes else []), *(["flagged"] if with_flag else [])]
    rows = []
    for row in top:
        cells = [str(row.get("rank", "")), str(row.get("id", "")),
                 *([str(row.get("label", ""))] if with_label else []), str(row.get("gold", "")),
                 str(row.get("suggested", "")), _number(row.get("ranking_score"))]
        if with_scores:
            cells += [_number(row.get("candidates_p_gold")), _number(row.get("candidates_p_suggested")),
                      f"{row.get('candidates_for_suggested')} of {row['candidates']}" if "candidates" in row
                      else MISSING]
        if with_votes:
            cells.append(_votes(row.get("votes")))
        if with_flag:
            cells.append("yes" if row.get("flagged") else "no")
        rows.append(cells)
    return header, rows


def _votes(votes: Any) -> str:
    return ", ".join(f"{label}: {n}" for label, n in (votes or {}).items()) or MISSING


def _duplicates(review: dict[str, Any]) -> list[str]:
    duplicates, leakage = review.get("duplicates") or {}, review.get("leakage") or {}
    lines = []
    if "note" in duplicates:
        lines.append("- " + md(f"Duplicates: {duplicates['note']}."))
    else:
        examples = "; ".join(", ".join(map(str, group)) for group in duplicates.get("examples") or [])
        conflicting = duplicates.get("conflicting_gold", 0)
        compared = duplicates.get("compared", "identical feature rows")
        differing = duplicates.get("gold_words", "gold labels")
        lines.append("- " + md(f"Duplicates: {duplicates.get('items', 0)} evaluated item(s) in "
                               f"{duplicates.get('groups', 0)} group(s) of {compared}"
                               + (f", {conflicting} group(s) with different {differing}" if conflicting
                                  else "")
                               + (f" (e.g. {examples})" if examples else "") + "."))
    if "note" in leakage:
        lines.append("- " + md(f"Leakage: {leakage['note']}."))
    else:
        examples = ", ".join(map(str, leakage.get("examples") or []))
        lines.append("- " + md(f"Leakage: {leakage.get('items', 0)} evaluated item(s) also in the train "
                               "split (identical feature rows)" + (f", e.g. {examples}" if examples else "")
                               + "."))
    return ["### Duplicates and leakage", "", *lines, ""]
