"""Every metric per entry: one small panel per metric, one horizontal bar per entry, with intervals.

A single grouped chart of ten metrics × a dozen entries is a wall of slivers, and metrics live on
different scales (a rate in [0, 1], a latency in ms); one panel each, entries in leaderboard order on
a shared axis, keeps every bar readable and every scale honest.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from evalkit.plots import NothingToDraw, style
from evalkit.plots import record as rec

NCOLS = 4
BAR_HEIGHT = 0.72


def metric_names(record: dict[str, Any]) -> list[str]:
    """The metrics to show: the strategy's first (in its order), then the rest alphabetically, each only
    if at least one entry reports it."""
    strategy = record["strategy"]
    first = [strategy["optimize"], *strategy.get("constraints", {})] if rec.is_satisficing(record) \
        else list(strategy.get("metrics") or [])
    names = list(dict.fromkeys(first + sorted(record.get("metric_directions", {}))))
    return [m for m in names if any(e["metrics"].get(m) is not None for e in record["entries"])]


@style.styled
def metrics_figure(record: dict[str, Any]) -> Figure:
    """Draw one panel per metric.

    Bars carry ``gid`` ``bar:<metric>:<entry>``; a panel's whiskers are one errorbar set with ``gid``
    ``intervals:<metric>``; each panel's title is the metric with its direction.
    """
    names = metric_names(record)
    if not names:
        raise NothingToDraw("no entry reports any metric")
    entries = record["entries"]
    ncols = min(NCOLS, len(names))
    nrows = math.ceil(len(names) / ncols)
    panel_height = max(2.2, 0.2 * len(entries) + 0.9)
    figure = style.new_figure(2.9 * ncols + 1.6, panel_height * nrows + 0.8)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i >= len(names):
            ax.set_visible(False)
            continue
        _panel(ax, record, names[i], entries)
        # Names only in the first column; the other panels get no y ticks at all, which also spares
        # the layout from measuring a hundred hidden labels.
        ax.set_yticks(range(len(entries)), [e["name"] for e in entries] if i % ncols == 0 else [])
        ax.set_ylim(len(entries) - 0.5, -0.5)  # rank 1 on top
    handles = [Patch(facecolor=style.CANDIDATE, label="candidate"),
               Patch(facecolor=style.BASELINE, edgecolor=style.DARK_GREY, hatch="///", linewidth=0.6,
                     label="baseline")]
    if record.get("best"):
        handles.insert(1, Patch(facecolor=style.BEST, edgecolor=style.BLACK, linewidth=1.2,
                                label="best candidate"))
    caption = "Every metric per entry, in leaderboard order; ↑ higher is better, ↓ lower is better; " \
              "— not reported"
    if rec.has_intervals(record):
        caption += f"; whiskers: {rec.interval_label(record)} (none without per-item predictions)"
    figure.suptitle("Metrics", x=0.01, ha="left", fontweight="bold", fontsize=12)
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), title=caption,
                  title_fontsize=8.5)
    return figure


def _panel(ax: Axes, record: dict[str, Any], metric: str, entries: list[dict[str, Any]]) -> None:
    direction = record.get("metric_directions", {}).get(metric)
    arrow = {"higher": " ↑", "lower": " ↓"}.get(direction or "", "")
    values = [e["metrics"].get(metric) for e in entries]
    present = [v for v in values if v is not None]
    whiskers: list[tuple[int, float, float, float]] = []
    missing = [y for y, value in enumerate(values) if value is None]
    if missing:
        # One dash marker per unreported value, all in one artist (a text each was a tenth of the figure's
        # drawing time).
        ax.plot([0.02] * len(missing), missing, linestyle="none", marker="_", markersize=7, color=style.GREY,
                transform=ax.get_yaxis_transform(), gid=f"missing:{metric}")
    for y, (entry, value) in enumerate(zip(entries, values, strict=True)):
        if value is None:
            continue
        best = entry["name"] == record.get("best")
        candidate = entry["role"] == "candidate"
        ax.barh(y, value, height=BAR_HEIGHT,
                color=style.BEST if best else style.CANDIDATE if candidate else style.BASELINE,
                hatch=None if candidate else "///", edgecolor=style.BLACK if best else style.DARK_GREY,
                linewidth=1.2 if best else 0.0 if candidate else 0.5, gid=f"bar:{metric}:{entry['name']}",
                zorder=2)
        bounds = rec.interval(entry, metric)
        if bounds is not None:
            whiskers.append((y, value, min(bounds[0], value), max(bounds[1], value)))
    if whiskers:
        # One errorbar call per panel, not one per entry: a third of the figure's artists, and of its
        # drawing time, went to whiskers drawn one by one.
        ys, xs, lows, highs = (list(column) for column in zip(*whiskers, strict=True))
        ax.errorbar(xs, ys, xerr=[[x - lo for x, lo in zip(xs, lows, strict=True)],
                                  [hi - x for x, hi in zip(xs, highs, strict=True)]],
                    fmt="none", ecolor=style.BLACK, elinewidth=0.9, capsize=2.2, gid=f"intervals:{metric}",
                    zorder=3)
    bounded = all(0.0 <= v <= 1.0 for v in present)
    highs = [rec.interval(e, metric)[1] if rec.interval(e, metric) else v  # type: ignore[index]
             for e, v in zip(entries, values, strict=True) if v is not None]
    top = max(highs + present)
    ax.set_xlim(0, 1.0 if bounded and top <= 1.0 else top * 1.08 if top > 0 else 1.0)
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.set_title(metric + arrow, loc="left", fontsize=10)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", length=0)
