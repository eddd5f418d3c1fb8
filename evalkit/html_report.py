"""``report.html``: the run's report as one self-contained page that opens from disk in any browser.

Figures are inlined as base64 PNG data URIs and the styles sit in the page, so the file can be
mailed, attached to a pull request or archived on its own; it loads nothing from anywhere. Pure:
it takes the record and the figures' bytes and returns the page's text.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from evalkit.report import bound_lines, caveats, describe_strategy, leaderboard_rows

CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1f2328; background: #fff; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 26px; margin: 0 0 12px; }
h2 { font-size: 19px; margin: 32px 0 10px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
.verdict { font-size: 17px; font-weight: 600; padding: 12px 16px; border-left: 6px solid #8c8c8c;
           background: #f6f8fa; margin: 0 0 14px; }
.verdict.pass { border-color: #009E73; }
.verdict.warn { border-color: #E69F00; }
.verdict.none { border-color: #D55E00; }
ul.facts { padding-left: 20px; margin: 0; }
figure { margin: 18px 0 26px; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: 14px; margin-top: 6px; }
.skipped { color: #57606a; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eaeef2; text-align: right; white-space: nowrap; }
th:nth-child(-n+4), td:nth-child(-n+4) { text-align: left; }
thead th { background: #f6f8fa; position: sticky; top: 0; }
tr.best td { font-weight: 600; background: #fff8e6; }
td.no { color: #D55E00; font-weight: 600; }
code { font-size: 13px; }
"""


@dataclass(frozen=True)
class EmbeddedFigure:
    """A figure to inline: its caption and its PNG bytes."""

    title: str
    png: bytes


def _verdict_class(record: dict[str, Any]) -> str:
    if record.get("best") is None:
        return "none"
    return "pass" if record.get("beats_all_baselines") else "warn"


def _figure(figure: EmbeddedFigure) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    title = escape(figure.title)
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{title}">'
            f"<figcaption>{title}</figcaption></figure>")


def _table(record: dict[str, Any]) -> str:
    header, rows = leaderboard_rows(record)
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        best = row[1].endswith(" *")
        cells = "".join(f'<td class="no">{escape(c)}</td>' if c == "NO" else f"<td>{escape(c)}</td>"
                        for c in row)
        body.append(f'<tr class="best">{cells}</tr>' if best else f"<tr>{cells}</tr>")
    return (f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def html_report(record: dict[str, Any], figures: Sequence[EmbeddedFigure],
                skipped: Sequence[str] = ()) -> str:
    """The whole page. ``skipped`` lists figures not drawn, with the reason."""
    data = record["data"]
    facts = [*bound_lines(record),
             f"Task: {record['task']}; {data['n_items']} evaluated items from {data['source']}"
             + (f" (positive class: {data['positive_label']})" if "positive_label" in data else ""),
             f"Strategy: {describe_strategy(record['strategy'])}",
             f"Data fingerprint: {data['fingerprint'][:16]}…; evalkit {record['evalkit_version']}; "
             f"created {record['created']}"]
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>evalkit report — {escape(str(record.get('best') or 'no best candidate'))}</title>",
        f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
        "<h1>evalkit report</h1>",
        f'<p class="verdict {_verdict_class(record)}">{escape(record["verdict"])}</p>',
        '<ul class="facts">', *[f"<li>{escape(f)}</li>" for f in facts], "</ul>",
    ]
    if figures or skipped:
        parts += ["<h2>Figures</h2>", *[_figure(f) for f in figures]]
        parts += [f'<p class="skipped">Not drawn: {escape(note)}</p>' for note in skipped]
    directions = ", ".join(f"{m} ({d} is better)" for m, d in record["metric_directions"].items())
    parts += ["<h2>Leaderboard</h2>", f"<p>Directions: {escape(directions)}. * = best candidate.</p>",
              _table(record)]
    notes = caveats(record)
    if notes:
        parts += ["<h2>Caveats</h2>", "<ul>", *[f"<li>{escape(c)}</li>" for c in notes], "</ul>"]
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)
