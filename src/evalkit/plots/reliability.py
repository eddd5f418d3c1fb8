"""The reliability diagram: how often what an entry forecast came true, bin by bin.

Drawn when the run has calibration metrics (``calibration:``). The best candidate and the strongest
baseline that gives scores are highlighted; up to four other scoring entries are drawn faded, in rank
order, for context. A point on the diagonal is a calibrated bin; below it the entry forecast too high.
The highlighted entries' markers grow with their bin's share of items.
A strip under the diagram shows how many items each highlighted entry put in each bin, since a bin of
three items says little.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evalkit.plots import NothingToDraw, style

MAX_LINES = 6


def reliability_subjects(record: dict[str, Any], curves: dict[str, Any]
                         ) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """``(name, role label)`` of the highlighted entries, the faded ones, and notes on stand-ins."""
    data = curves.get("entries", {})
    has = [e for e in record["entries"] if data.get(e["name"], {}).get("reliability")]
    highlighted: list[tuple[str, str]] = []
    notes: list[str] = []
    candidates = [e["name"] for e in has if e["role"] == "candidate"]
    best = record.get("best")
    if best in candidates:
        highlighted.append((best, "best candidate"))
    elif candidates:
        highlighted.append((candidates[0], "top-ranked candidate with scores"))
        notes.append("no candidate is feasible, so the top-ranked one with scores is highlighted" if not best
                     else f"the best candidate, {best}, gives no scores; the top-ranked one that does is "
                     "shown")
    baselines = [e["name"] for e in has if e["role"] == "baseline"]
    strongest = record.get("strongest_baseline")
    if strongest in baselines:
        highlighted.append((strongest, "strongest baseline"))
    elif baselines:
        highlighted.append((baselines[0], "strongest baseline with scores"))
    chosen = {name for name, _ in highlighted}
    faded = [e["name"] for e in has if e["name"] not in chosen][: MAX_LINES - len(highlighted)]
    return highlighted, faded, notes


@style.styled
def reliability_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Draw the diagram; lines carry ``gid`` ``reliability:<entry>``, count bars ``counts:<entry>``."""
    settings = curves.get("reliability")
    highlighted, faded, notes = reliability_subjects(record, curves)
    if settings is None or not highlighted:
        raise NothingToDraw("no entry gives scores" if settings is not None
                            else "the run has no calibration metrics; set calibration:")
    bins, binning = int(settings.get("bins", 0)), str(settings.get("binning", "width"))
    forecast_name = str(settings.get("forecast", "score"))
    entries = {e["name"]: e for e in record["entries"]}
    tables = {name: curves["entries"][name]["reliability"] for name in [*faded, *(n for n, _ in highlighted)]}

    figure = style.new_figure(10.2, 6.4 + 0.2 * len(notes))
    top, strip = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 1.2]})
    top.plot([0, 1], [0, 1], color=style.GREY, linestyle=":", linewidth=1.2, label="perfectly calibrated")
    # Faded but still told apart: thin, translucent palette colours (orange stays the best candidate's).
    context = [c for c in style.CURVE_COLOURS if c not in (style.BEST, style.VERMILLION, style.BLACK)]
    for i, name in enumerate(faded):
        table = tables[name]
        top.plot(table["forecast"], table["observed"], color=context[i % len(context)], alpha=0.45,
                 linewidth=1.0, marker=".", markersize=4, gid=f"reliability:{name}",
                 label=_label(name, "", entries))
    looks = [(style.BEST, "-", "o"), (style.DARK_GREY, "--", "s")]
    for (name, role), (colour, linestyle, marker) in zip(highlighted, looks, strict=False):
        table = tables[name]
        top.plot(table["forecast"], table["observed"], color=colour, linestyle=linestyle, linewidth=2.2,
                 marker=marker, markersize=4, gid=f"reliability:{name}", label=_label(name, role, entries))
        # Marker area grows with the bin's share of items: a jump through a bin of two items looks small.
        counts = np.asarray(table["count"], dtype=float)
        share = counts / counts.sum() if counts.sum() > 0 else counts
        top.scatter(table["forecast"], table["observed"], s=12 + 250 * share, color=colour, marker=marker,
                    alpha=0.8, zorder=3, gid=f"bins:{name}")
    # Room beside 0 and 1: forecasts of exactly 0 or 1 are common, and their count bars are centred there.
    top.set_xlim(-0.05, 1.05)
    top.set_ylim(-0.04, 1.04)
    top.grid(True, axis="both")
    top.set_ylabel("observed frequency" if "positive" in forecast_name else "observed accuracy")
    handles, labels = top.get_legend_handles_labels()
    # Highlighted entries first in the legend, then the diagonal, then the faded context.
    order = [*range(len(labels) - len(highlighted), len(labels)), *range(len(labels) - len(highlighted))]
    figure.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside right upper")
    top.set_title(f"Reliability ({bins} equal-{'width' if binning == 'width' else 'mass'} bins of the "
                  f"{forecast_name})", loc="left")
    _counts(strip, highlighted, tables, looks, bins, binning)
    strip.set_xlabel(f"mean {forecast_name} in the bin")
    if notes:
        figure.supxlabel("\n".join(f"Note: {n}." for n in notes), x=0.01, ha="left", fontsize=8,
                         color=style.DARK_GREY, wrap=True)
    return figure


def _label(name: str, role: str, entries: dict[str, dict[str, Any]]) -> str:
    ece = (entries.get(name, {}).get("metrics") or {}).get("ece")
    text = f"{role}: {name}" if role else name
    return text + (f" (ECE {ece:.3f})" if isinstance(ece, int | float) else "")


def _counts(ax: Axes, highlighted: list[tuple[str, str]], tables: dict[str, dict[str, list[float]]],
            looks: list[tuple[str, str, str]], bins: int, binning: str) -> None:
    # Side by side at each bin's mean forecast, as shares of the entry's items (panels differ in size).
    width = (0.8 / max(bins, 1) if binning == "width" else 0.5 / max(bins, 1)) / max(len(highlighted), 1)
    for i, ((name, _), (colour, _, _)) in enumerate(zip(highlighted, looks, strict=False)):
        table = tables[name]
        counts = np.asarray(table["count"], dtype=float)
        share = counts / counts.sum() if counts.sum() > 0 else counts
        offset = (i - (len(highlighted) - 1) / 2) * width
        ax.bar(np.asarray(table["forecast"]) + offset, share, width=width, color=colour,
               alpha=0.85 if i == 0 else 0.6, gid=f"counts:{name}")
    ax.set_ylabel("share of its items")
    ax.set_ylim(0, None)
    ax.grid(True, axis="y")
