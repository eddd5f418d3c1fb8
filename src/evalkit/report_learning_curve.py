"""The report's learning-curve section: the labels-needed table, one line per candidate and target,
and what to do next. Made from ``metrics.json``'s ``learning_curves`` block alone."""

from __future__ import annotations

from typing import Any

from evalkit.escaping import markdown_text as md
from evalkit.learning_curve.budget import count_text, money_text
from evalkit.learning_curve.command import parameter_text

TITLE = "How many more labels? (learning curves)"


def _settings_text(block: dict[str, Any]) -> str:
    s = block["settings"]
    parts = []
    if s.get("sizes"):
        parts.append(f"Estimators refitted on subsets of the train split ({s['train_size']:,} items) at "
                     f"{len(s['sizes'])} sizes from {s['sizes'][0]:,} to {s['sizes'][-1]:,}, "
                     f"{s['seeds']} seed(s) each" + (", stratified by class" if s.get("stratified") else "")
                     + "; each fit scored on the evaluated items.")
    parts.append(f"Curves fitted by weighted least squares; {s['level']:.0%} intervals from "
                 f"{s['resamples']} bootstrap refits; no number beyond 10x the largest measured size, above "
                 "the fitted asymptote, or on a flat or non-monotone curve.")
    cost = block.get("label_cost")
    if cost:
        overhead = f" plus {cost['overhead']:.0%} review overhead" if cost.get("overhead") else ""
        parts.append(f"A label costs {_unit_price(cost)}{overhead}.")
    return " ".join(parts)


def _unit_price(cost: dict[str, Any]) -> str:
    currency = cost.get("currency", "")
    amount = f"{cost['per_item']:.4g}"
    return f"${amount}" if currency.upper() == "USD" else f"{amount} {currency}".strip()


def _target_label(value: float, sources: list[str]) -> str:
    return f"{value:.4g} ({'; '.join(sources)})"


def labels_table(block: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one per entry, curve and target."""
    sources = {(t["curve"], t["value"]): t["sources"] for t in block.get("targets", [])}
    level = f"{block['settings']['level']:.0%}"
    header = ["entry", "metric", "target", "now (full split)", f"more labels [{level}]", f"cost [{level}]"]
    rows = []
    for name, info in block["entries"].items():
        for curve, data in info["curves"].items():
            current = (data.get("fit") or {}).get("current_score")
            for answer in data.get("targets", []):
                target = _target_label(answer["target"], sources.get((curve, answer["target"]), []))
                now = "—" if current is None else f"{current:.4g}"
                status = answer.get("status")
                if status == "reached":
                    more, money = "0 (reached)", _cost(answer, 0)
                elif status == "ok":
                    more = (f"{count_text(answer['more'])} [{count_text(answer['more_low'])}, "
                            f"{count_text(answer['more_high'])}]")
                    money = _cost(answer, None)
                else:
                    more, money = f"no number: {data.get('status') or status}", "—"
                rows.append([name, data["metric"], target, now, more, money])
    return header, rows


def fits_table(block: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one per fitted curve, its family and parameters with their intervals."""
    level = f"{block['settings']['level']:.0%}"
    header = ["entry", "metric", "curve (n in units of the largest size)", f"parameters [{level}]"]
    rows = []
    for name, info in block["entries"].items():
        for data in info["curves"].values():
            fit = data.get("fit")
            if not fit:
                continue
            params = (", ".join(parameter_text(fit, k) for k in fit["params"]) if fit.get("reliable", True)
                      else "not reported: the curve is unreliable (see above)")
            rows.append([name, data["metric"], f"{fit['family']}: {fit['formula'].split('  (')[0]}, "
                         f"largest size {fit['largest_size']:,.0f}", params])
    return header, rows


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(map(md, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(md, row)) + " |" for row in rows])


def _cost(answer: dict[str, Any], fixed: float | None) -> str:
    cost = answer.get("cost")
    if not cost:
        return "—"
    currency = cost.get("currency", "")
    if fixed is not None:
        return money_text(fixed, currency)
    return (f"{money_text(cost['more'], currency)} [{money_text(cost['low'], currency)}, "
            f"{money_text(cost['high'], currency)}]")


def learning_curve_section(record: dict[str, Any]) -> list[str]:
    """Markdown lines of the section, or none when the run measured no curves."""
    block = record.get("learning_curves")
    if not isinstance(block, dict) or not block.get("entries"):
        return []
    parts = [f"## {TITLE}", "", md(_settings_text(block)), ""]
    header, rows = labels_table(block)
    if rows:
        parts += [_table(header, rows), ""]
    parts += [f"- {md(line)}" for line in block.get("lines", [])]
    if block.get("lines"):
        parts.append("")
    header, rows = fits_table(block)
    if rows:
        parts += [md("The fitted curves, each parameter with its bootstrap interval (a short curve pins "
                     "down the curve over its measured range, not a, b and c one by one: they trade "
                     "off, so their intervals are wide):"), "", _table(header, rows), ""]
    diagnosis = block.get("diagnosis") or []
    if diagnosis:
        parts += ["### What to do next", "",
                  md("Avoidable bias = reference - training score; variance = training - evaluated score "
                     "(positive = room to improve; in the single number)."), ""]
        parts += [f"- {md(d['line'])}" for d in diagnosis] + [""]
    notes = block.get("notes") or []
    parts += [f"- {md(n)}" for n in notes] + ([""] if notes else [])
    return parts


def terminal_lines(record: dict[str, Any]) -> list[str]:
    """The labels-needed sentences and the what-next lines, for the terminal after the verdict."""
    block = record.get("learning_curves")
    if not isinstance(block, dict):
        return []
    lines = [f"labels: {line}" for line in block.get("lines", [])]
    lines += [f"next: {d['line']}" for d in block.get("diagnosis") or []]
    return lines
