"""The leaderboard figure: which candidate wins by the single number, and how far above the baselines.

One bar per scored entry in leaderboard order; candidates solid, baselines grey and hatched; the best
candidate orange with a black edge; infeasible entries faded with a red cross; intervals as error
bars; the strongest baseline as a dashed horizontal line (the lower bound) and, when the run has a
human baseline, the human level as a dotted line.
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalkit.plots import NothingToDraw, style
from evalkit.plots import record as rec

BAR_WIDTH = 0.7
FADED = 0.35


@style.styled
def leaderboard_figure(record: dict[str, Any]) -> Figure:
    """Draw the leaderboard of a ``metrics.json`` record.

    Artists carry ``gid`` tags that name what they show (``bar:<entry>``, ``lower_bound``,
    ``human_level``, ``interval:<entry>``, ``infeasible:<entry>``), so the figure can be inspected.
    """
    entries = record["entries"]
    scored = [e for e in entries if e["score"] is not None]
    if not scored:
        raise NothingToDraw("no entry has a score: " + "; ".join(
            f"{e['name']}: {e.get('score_reason') or 'no score'}" for e in entries[:3]))
    higher = bool(record["strategy"].get("higher_is_better", True))
    # About 0.7 in per entry: room for a score label and a "fragile" flag over every bar.
    figure = style.new_figure(max(7.0, 2.0 + 0.7 * len(entries)), 5.4)
    ax = figure.add_subplot()

    strongest = rec.entry_by_name(record, record.get("strongest_baseline"))
    human = rec.human_level(record)
    for x, entry in enumerate(entries):
        _draw_entry(ax, x, entry, best=entry["name"] == record.get("best"))
    if strongest is not None and strongest["score"] is not None:
        ax.axhline(strongest["score"], color=style.LOWER_BOUND, linestyle=(0, (5, 3)), linewidth=1.4,
                   gid="lower_bound", zorder=4)
    if human is not None:
        ax.axhline(human[1], color=style.HUMAN, linestyle=(0, (1, 1.5)), linewidth=2.0, gid="human_level",
                   zorder=4)

    _set_limits(ax, record, scored, human)
    _label_values(ax, entries)
    ax.set_xticks(range(len(entries)), [e["name"] for e in entries], rotation=40, ha="right",
                  rotation_mode="anchor")
    for tick, entry in zip(ax.get_xticklabels(), entries, strict=True):
        if entry["name"] == record.get("best"):
            tick.set_fontweight("bold")
    ax.set_xlim(-0.6, len(entries) - 0.4)
    ax.set_ylabel(f"{rec.score_name(record)} ({rec.direction_word(higher)})")
    figure.suptitle(f"Leaderboard by {rec.score_name(record)}", x=0.01, ha="left", fontweight="bold",
                    fontsize=12)
    ax.set_title(_subtitle(record, strongest), loc="left", fontsize=9, fontweight="normal",
                 color=style.DARK_GREY)
    ax.legend(handles=_legend(record, entries, strongest, human), loc="upper left",
              bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return figure


def _draw_entry(ax: Axes, x: int, entry: dict[str, Any], *, best: bool) -> None:
    score = entry["score"]
    name = entry["name"]
    if score is None:
        ax.text(x, 0.02, "no score", transform=ax.get_xaxis_transform(), rotation=90, ha="center",
                va="bottom", color=style.GREY, fontsize=8, fontstyle="italic", gid=f"no_score:{name}")
        return
    candidate = entry["role"] == "candidate"
    feasible = bool(entry.get("feasible", True))
    colour = style.BEST if best else style.CANDIDATE if candidate else style.BASELINE
    ax.bar(x, score, width=BAR_WIDTH, color=colour, alpha=1.0 if feasible else FADED,
           hatch=None if candidate else "///", edgecolor=style.BLACK if best else style.DARK_GREY,
           linewidth=1.6 if best else 0.0 if candidate else 0.6, gid=f"bar:{name}", zorder=2)
    bounds = rec.interval(entry, "score")
    if bounds is not None:
        low, high = min(bounds[0], score), max(bounds[1], score)
        ax.errorbar(x, score, yerr=[[score - low], [high - score]], fmt="none", ecolor=style.BLACK,
                    elinewidth=1.1, capsize=3.5, gid=f"interval:{name}", zorder=5)
    if not feasible:
        # At the foot of the bar, where it hides neither the score nor the interval.
        ax.plot([x], [0.045], linestyle="none", marker="X", markersize=10, color=style.INFEASIBLE_RED,
                markeredgecolor="white", markeredgewidth=0.8, transform=ax.get_xaxis_transform(),
                gid=f"infeasible:{name}", zorder=6)


def _set_limits(ax: Axes, record: dict[str, Any], scored: list[dict[str, Any]],
                human: tuple[str, float] | None) -> None:
    """Zoom to the scores (bars of 0.91 and 0.98 look alike on a 0–1 axis), never below 0 for scores ≥ 0.

    When the zoom would cut off little anyway (scores far apart), the axis starts at 0, so bar lengths
    stay proportional to the scores.
    """
    values = [e["score"] for e in scored]
    for entry in scored:
        bounds = rec.interval(entry, "score")
        if bounds:
            values += list(bounds)
    if human:
        values.append(human[1])
    low, high = min(values), max(values)
    span = high - low or max(abs(high) * 0.1, 0.05)
    bottom = low - 0.35 * span
    if low >= 0 and bottom < 0.25 * high:
        bottom = 0.0
    ax.set_ylim(bottom, high + 0.22 * span)


def _label_values(ax: Axes, entries: list[dict[str, Any]]) -> None:
    """Each score above its bar (above the interval when there is one), fragile entries flagged."""
    top = ax.get_ylim()[1]
    pad = (top - ax.get_ylim()[0]) * 0.025
    for x, entry in enumerate(entries):
        score = entry["score"]
        if score is None:
            continue
        bounds = rec.interval(entry, "score")
        y = max(score, bounds[1] if bounds else score) + pad
        ax.text(x, y, f"{score:.3f}", ha="center", va="bottom", fontsize=8, color=style.DARK_GREY, zorder=6,
                gid=f"value:{entry['name']}")
        if rec.is_fragile(entry):
            # Feasible on the eval set but not in most resamples: flagged at the foot of the bar, where
            # infeasible entries carry their cross, so every "is this allowed?" mark sits on one row.
            share = entry.get("feasible_share")
            # Not from the resamples: the flag comes from a measured cost's spread (e.g. latency).
            low = isinstance(share, int | float) and share < rec.FRAGILE_BELOW
            flag = f"fragile\n{share:.0%}" if low else "fragile\nspread"
            ax.text(x, 0.045, flag, transform=ax.get_xaxis_transform(),
                    ha="center", va="center", fontsize=7.5, color=style.INFEASIBLE_RED, fontstyle="italic",
                    linespacing=1.0, zorder=6, gid=f"fragile:{entry['name']}",
                    bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"})


SUBTITLE_WIDTH = 80


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
    if any(e["role"] == "baseline" for e in entries):
        handles.append(Patch(facecolor=style.BASELINE, edgecolor=style.DARK_GREY, hatch="///", linewidth=0.6,
                             label="baseline"))
    if any(e["score"] is not None and not e.get("feasible", True) for e in entries):
        handles.append(Line2D([], [], linestyle="none", marker="X", markersize=9, color=style.INFEASIBLE_RED,
                              markeredgecolor="white", label="infeasible (violates a constraint)"))
    if strongest is not None and strongest["score"] is not None:
        handles.append(Line2D([], [], color=style.LOWER_BOUND, linestyle=(0, (5, 3)), linewidth=1.4,
                              label=_wrap(f"lower bound: {strongest['name']}")))
    if human is not None:
        handles.append(Line2D([], [], color=style.HUMAN, linestyle=(0, (1, 1.5)), linewidth=2.0,
                              label=_wrap(f"human level: {human[0]}")))
    if rec.has_intervals(record):
        no_interval = [e["name"] for e in entries
                       if e["score"] is not None and rec.interval(e, "score") is None]
        label = rec.interval_label(record)
        external = {e["name"] for e in entries if e["kind"] == "external"}
        if no_interval and set(no_interval) <= external:
            label += "\n(external numbers have none)"
        elif no_interval:  # external numbers, annotator means: nothing per item to resample
            label += "\n(none without per-item predictions)"
        handles.append(Line2D([], [], color=style.BLACK, marker="_", markersize=8, linewidth=1.1,
                              label=label))
    return handles


def _wrap(label: str, width: int = 30) -> str:
    """Long entry names go on their own line, so the legend does not squeeze the plot."""
    if len(label) <= width or ": " not in label:
        return label
    head, name = label.split(": ", 1)
    return f"{head}:\n{name}"
