"""The leaderboard figure: which candidate wins by the single number, and how far above the baselines.

One horizontal bar per entry in leaderboard order (rank 1 on top), on an honest axis: it starts at 0
and ends at the top of the score's range (1 for a rate), so bar lengths are proportional to scores.
Candidates are solid, baselines hatched (people's rows in the human colour), the best candidate orange
with a black edge; infeasible entries are faded and sit below a divider. The scores, their intervals
and each entry's status (infeasible, fragile, no score) are a table column to the right of the axes,
so no line or marker can cover them. The lower bound (dashed) and the human level (dotted) are
vertical lines, each labelled on its own row above the axes.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib import transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalkit.plots import NothingToDraw, style
from evalkit.plots import record as rec
from evalkit.plots.labels import break_name

BAR_HEIGHT = 0.68
FADED = 0.3
FONT = 9.5  # the report shows this figure at about 0.7 of its size: still 9 pt or more on screen
WIDTH_IN = 10.5
ROW_IN = 0.34
LOWER_BOUND_DASH = (0, (5, 3))
HUMAN_DOTS = (0, (1, 1.5))
DIVIDER_DOTS = (0, (2, 2))


@style.styled
def leaderboard_figure(record: dict[str, Any]) -> Figure:
    """Draw the leaderboard of a ``metrics.json`` record.

    Artists carry ``gid`` tags that name what they show (``bar:<entry>``, ``interval:<entry>``,
    ``value:<entry>``, ``status:<entry>``, ``lower_bound``, ``lower_bound_label``, ``human_level``,
    ``human_level_label``, ``feasibility_divider``), so the figure can be inspected.
    """
    entries = record["entries"]
    scored = [e for e in entries if e["score"] is not None]
    if not scored:
        raise NothingToDraw("no entry has a score: " + "; ".join(
            f"{e['name']}: {e.get('score_reason') or 'no score'}" for e in entries[:3]))
    higher = bool(record["strategy"].get("higher_is_better", True))
    names = [break_name(e["name"]) for e in entries]
    lines = max(name.count("\n") + 1 for name in names)
    figure = style.new_figure(WIDTH_IN, 2.3 + len(entries) * ROW_IN * (1.0 if lines == 1 else 1.35))
    intervals = rec.has_intervals(record)
    # The value column is an axes of its own, so the layout makes room for it (text outside an axes
    # would be cut off at the figure's edge).
    ax, column = figure.subplots(1, 2, sharey=True, width_ratios=[3.0, 1.55 if intervals else 0.9],
                                 gridspec_kw={"wspace": 0.01})

    strongest = rec.entry_by_name(record, record.get("strongest_baseline"))
    human = rec.human_level(record)
    human_rows = {e["name"] for e in entries if e["kind"] == "human"}
    for y, entry in enumerate(entries):
        _draw_entry(ax, y, entry, best=entry["name"] == record.get("best"), human=entry["name"] in human_rows)
    _set_limits(ax, record, scored, human)
    _divider(ax, entries)
    digits = value_format([float(e["score"]) for e in scored])
    _references(ax, strongest, human, digits)
    _value_column(column, record, entries, digits)

    ax.set_yticks(range(len(entries)), names, fontsize=FONT)
    for tick, entry in zip(ax.get_yticklabels(), entries, strict=True):
        if entry["name"] == record.get("best"):
            tick.set_fontweight("bold")
        elif entry["score"] is None or not entry.get("feasible", True):
            tick.set_color(style.DARK_GREY)
    ax.set_ylim(len(entries) - 0.5, -0.5)  # rank 1 on top
    ax.tick_params(axis="y", length=0)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.set_xlabel(f"{rec.score_name(record)} ({rec.direction_word(higher)})", fontsize=FONT + 0.5)
    ax.tick_params(axis="x", labelsize=FONT)
    figure.suptitle(f"Leaderboard by {rec.score_name(record)}", x=0.01, ha="left", fontweight="bold",
                    fontsize=12.5)
    ax.set_title(_subtitle(record, strongest), loc="left", fontsize=FONT, fontweight="normal",
                 color=style.DARK_GREY, pad=30 if human is not None and strongest is not None else 18)
    figure.legend(handles=_legend(record, entries, strongest, human), loc="outside lower center",
                  ncols=3, fontsize=FONT - 0.5)
    return figure


def _draw_entry(ax: Axes, y: int, entry: dict[str, Any], *, best: bool, human: bool) -> None:
    score = entry["score"]
    if score is None:
        return
    name = entry["name"]
    candidate = entry["role"] == "candidate"
    feasible = bool(entry.get("feasible", True))
    colour = style.BEST if best else style.CANDIDATE if candidate else style.HUMAN_LIGHT if human \
        else style.BASELINE
    ax.barh(y, score, height=BAR_HEIGHT, color=colour, alpha=1.0 if feasible else FADED,
            hatch=None if candidate else "///", edgecolor=style.BLACK if best else style.DARK_GREY,
            linewidth=1.6 if best else 0.0 if candidate else 0.6, gid=f"bar:{name}", zorder=2)
    bounds = rec.interval(entry, "score")
    if bounds is not None:
        low, high = min(bounds[0], score), max(bounds[1], score)
        # Not clipped: an interval that reaches the top of the range (precision 1.0) keeps its cap.
        ax.errorbar(score, y, xerr=[[score - low], [high - score]], fmt="none", ecolor=style.BLACK,
                    elinewidth=1.1, capsize=3.0, gid=f"interval:{name}", zorder=5, clip_on=False)


def _set_limits(ax: Axes, record: dict[str, Any], scored: list[dict[str, Any]],
                human: tuple[str, float] | None) -> None:
    """From 0 (or the lowest negative score) to the top of the score's range when it has one.

    A bounded score (a rate) always gets its whole range, 0 to 1: gaps look as large as they are,
    and the value column gives the digits. An unbounded one (a loss, a formula) ends a little past
    the largest value or interval bound.
    """
    values = [float(e["score"]) for e in scored]
    for entry in scored:
        bounds = rec.interval(entry, "score")
        if bounds:
            values += list(bounds)
    if human:
        values.append(human[1])
    low_range, high_range = rec.score_range(record)
    low, high = min(values), max(values)
    left = 0.0 if low >= 0 else low * 1.08
    if math.isfinite(low_range):
        left = max(left, low_range)
    if math.isfinite(high_range) and high <= high_range:
        right = high_range
    else:
        right = high * 1.08 if high > 0 else 0.0
    if right <= left:
        right = left + 1.0
    ax.set_xlim(left, right)


def _divider(ax: Axes, entries: list[dict[str, Any]]) -> None:
    """A line between the feasible entries and the infeasible ones (ranked below them); entries without a
    score, ranked last, say so in the value column instead."""
    feasible = [bool(e.get("feasible", True)) for e in entries if e["score"] is not None]
    if any(feasible) and not all(feasible) and feasible == sorted(feasible, reverse=True):
        ax.axhline(feasible.index(False) - 0.5, color=style.INFEASIBLE_RED, linewidth=0.9,
                   linestyle=DIVIDER_DOTS, gid="feasibility_divider", zorder=1)


def _references(ax: Axes, strongest: dict[str, Any] | None, human: tuple[str, float] | None, digits: str
                ) -> None:
    """The lower bound and the human level: vertical lines, each labelled on its own row above the axes,
    so the two labels never collide however close the levels are. A label near an end of the axis
    ends (or starts) at its line, so it stays above the bars, clear of the value column's header."""
    above = transforms.blended_transform_factory(ax.transData, ax.transAxes)
    row = 0
    if strongest is not None and strongest["score"] is not None:
        score = float(strongest["score"])
        ax.axvline(score, color=style.LOWER_BOUND, linestyle=LOWER_BOUND_DASH, linewidth=1.3,
                   gid="lower_bound", zorder=4)
        ax.text(score, 1.0 + 0.012, f"lower bound {digits.format(score)}", transform=above,
                ha=_side(ax, score), va="bottom", fontsize=FONT - 0.5, color=style.LOWER_BOUND,
                gid="lower_bound_label", clip_on=False)
        row += 1
    if human is not None:
        ax.axvline(human[1], color=style.HUMAN, linestyle=HUMAN_DOTS, linewidth=2.0, gid="human_level",
                   zorder=4)
        ax.annotate(f"human level {digits.format(human[1])}", xy=(human[1], 1.0), xycoords=above,
                    xytext=(0, 3 + 14 * row), textcoords="offset points", ha=_side(ax, human[1]), va="bottom",
                    fontsize=FONT - 0.5, color=style.HUMAN, gid="human_level_label", annotation_clip=False)


def _side(ax: Axes, x: float) -> str:
    low, high = ax.get_xlim()
    share = (x - low) / (high - low)
    return "right" if share > 0.7 else "left" if share < 0.3 else "center"


def _value_column(ax: Axes, record: dict[str, Any], entries: list[dict[str, Any]], digits: str) -> None:
    """Score, interval and status per row, in an axes of their own right of the bars: a table no line can
    strike through."""
    ax.set_axis_off()
    right = transforms.blended_transform_factory(ax.transAxes, ax.transData)
    intervals = rec.has_intervals(record)
    header = f"score [{rec.interval_label(record).split(' ')[0]} CI]" if intervals else "score"
    ax.text(0.02, -0.5, header, transform=right, ha="left", va="bottom", fontsize=FONT - 0.5,
            color=style.DARK_GREY, fontweight="bold", gid="value_header")
    for y, entry in enumerate(entries):
        name = entry["name"]
        score = entry["score"]
        if score is None:
            text = "no score"
        else:
            bounds = rec.interval(entry, "score")
            text = digits.format(score) + (f" [{digits.format(bounds[0])}, {digits.format(bounds[1])}]"
                                           if bounds else "")
        ax.text(0.02, y, text, transform=right, ha="left", va="center", fontsize=FONT,
                family="DejaVu Sans Mono", color=style.BLACK if score is not None else style.GREY,
                gid=f"value:{name}")
        status = _status(entry)
        if status:  # right-aligned at the column's edge: clear of the value text however long it is
            ax.text(0.99, y, status, transform=right, ha="right", va="center",
                    fontsize=FONT - 0.5, color=style.INFEASIBLE_RED, fontstyle="italic", gid=f"status:{name}")


def value_format(values: list[float]) -> str:
    """Three decimals for scores below 10 (rates, losses); fewer for larger ones (an error of 44.2 ms needs
    no thousandths), so the column stays narrow and every row has the same precision.

    >>> value_format([0.91, 0.87]).format(0.9123), value_format([44.22, 58.3]).format(44.2201)
    ('0.912', '44.2')
    """
    largest = max((abs(v) for v in values), default=0.0)
    return "{:.3f}" if largest < 10 else "{:.1f}" if largest < 1000 else "{:,.0f}"


def _status(entry: dict[str, Any]) -> str:
    if entry["score"] is None:
        return ""
    if not entry.get("feasible", True):
        return "infeasible"
    if rec.is_fragile(entry):
        share = entry.get("feasible_share")
        # Not from the resamples: the flag comes from a measured cost's spread (e.g. latency).
        low = isinstance(share, int | float) and share < rec.FRAGILE_BELOW
        return f"fragile ({share:.0%})" if low else "fragile (spread)"
    return ""


SUBTITLE_WIDTH = 90


def _subtitle(record: dict[str, Any], strongest: dict[str, Any] | None) -> str:
    parts: list[str] = []
    best = rec.entry_by_name(record, record.get("best"))
    if best is not None:
        parts.append(f"best: {best['name']} {best['score']:.3f}")
    else:
        parts.append("no feasible candidate")
    if strongest is not None and strongest["score"] is not None:
        parts.append(f"lower bound: {strongest['name']} {strongest['score']:.3f}")
    if record.get("margin") is not None:
        parts.append(f"margin {record['margin']:+.3f}")
    line = "   ·   ".join(parts)
    # Long entry names would push one line past the figure's edge: then one fact per line.
    return rec.strategy_text(record) + "\n" + (line if len(line) <= SUBTITLE_WIDTH else "\n".join(parts))


def _legend(record: dict[str, Any], entries: list[dict[str, Any]], strongest: dict[str, Any] | None,
            human: tuple[str, float] | None) -> list[Any]:
    handles: list[Any] = [Patch(facecolor=style.CANDIDATE, label="candidate")]
    if record.get("best"):
        handles.append(Patch(facecolor=style.BEST, edgecolor=style.BLACK, linewidth=1.6,
                             label="best candidate"))
    if any(e["role"] == "baseline" and e["kind"] != "human" for e in entries):
        handles.append(Patch(facecolor=style.BASELINE, edgecolor=style.DARK_GREY, hatch="///", linewidth=0.6,
                             label="baseline"))
    if any(e["kind"] == "human" for e in entries):
        handles.append(Patch(facecolor=style.HUMAN_LIGHT, edgecolor=style.DARK_GREY, hatch="///",
                             linewidth=0.6, label="people (human baseline)"))
    if any(e["score"] is not None and not e.get("feasible", True) for e in entries):
        handles.append(Patch(facecolor=style.CANDIDATE, alpha=FADED,
                             label="faded: infeasible (violates a constraint)"))
        handles.append(Line2D([], [], color=style.INFEASIBLE_RED, linewidth=0.9, linestyle=DIVIDER_DOTS,
                              label="feasible above, infeasible below"))
    if strongest is not None and strongest["score"] is not None:
        handles.append(Line2D([], [], color=style.LOWER_BOUND, linestyle=LOWER_BOUND_DASH, linewidth=1.3,
                              label=f"lower bound: {strongest['name']}"))
    if human is not None:
        handles.append(Line2D([], [], color=style.HUMAN, linestyle=HUMAN_DOTS, linewidth=2.0,
                              label=f"human level: {human[0]}"))
    if rec.has_intervals(record):
        no_interval = [e["name"] for e in entries
                       if e["score"] is not None and rec.interval(e, "score") is None]
        label = rec.interval_label(record)
        external = {e["name"] for e in entries if e["kind"] == "external"}
        if no_interval and set(no_interval) <= external:
            label += " (external numbers have none)"
        elif no_interval:  # external numbers, annotator means: nothing per item to resample
            label += " (none without per-item predictions)"
        handles.append(Line2D([], [], color=style.BLACK, marker="|", markersize=8, linewidth=1.1,
                              label=label))
    return handles
