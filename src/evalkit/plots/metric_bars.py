"""Every metric per entry: one panel per metric, one horizontal bar per entry, with intervals and values.

A single grouped chart of ten metrics × a dozen entries is a wall of slivers, and metrics live on
different scales (a rate in [0, 1], a latency in ms); one panel each, entries in leaderboard order on
a shared axis, keeps every bar readable and every scale honest. A rate's panel runs over its whole
range, 0 to 1; an unbounded metric (a loss, a cost) gets a log axis when its values span more than
a factor of 30, so one entry's log loss of 13 does not flatten everyone else's 0.1. Each bar's value
is printed in a column right of its panel (0.87 and 1.00 look alike as bars), where no bar or
whisker can cover it.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib import ticker, transforms
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from evalkit.plots import NothingToDraw, style
from evalkit.plots import record as rec
from evalkit.plots.labels import break_name

NCOLS = 3
BAR_HEIGHT = 0.72
FONT = 9.0  # about 10.5 in wide, shown about 1,100 px wide in report.html: still 9 pt or more on screen
LOG_RATIO = 30.0


def metric_names(record: dict[str, Any]) -> list[str]:
    """The metrics to show: the strategy's first (in its order; a one-metric strategy's metric, such as
    mAP), then the rest alphabetically, each only if at least one entry reports it."""
    strategy = record["strategy"]
    first = [strategy["optimize"], *strategy.get("constraints", {})] if rec.is_satisficing(record) \
        else [strategy["metric"]] if strategy.get("metric") else list(strategy.get("metrics") or [])
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
    labels = [break_name(e["name"]) for e in entries]
    two_lines = any("\n" in label for label in labels)
    panel_height = max(2.0, (0.3 if two_lines else 0.24) * len(entries) + 0.8)
    figure = style.new_figure(2.75 * ncols + 2.2, panel_height * nrows + 1.0)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i >= len(names):
            ax.set_visible(False)
            continue
        _panel(ax, record, names[i], entries)
        # Names only in the first column; the other panels get no y ticks at all, which also spares
        # the layout from measuring a hundred hidden labels.
        ax.set_yticks(range(len(entries)), labels if i % ncols == 0 else [], fontsize=FONT)
        ax.set_ylim(len(entries) - 0.5, -0.5)  # rank 1 on top
        _value_column(ax, record, names[i], entries)
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
    if any(_log_scale(record, m) for m in names):
        caption += "; log: a log axis (values span more than 30x)"
    figure.suptitle("Metrics", x=0.01, ha="left", fontweight="bold", fontsize=12.5)
    figure.legend(handles=handles, loc="outside lower center", ncols=len(handles), title=_wrap(caption, 120),
                  title_fontsize=FONT, fontsize=FONT)
    return figure


def _panel(ax: Axes, record: dict[str, Any], metric: str, entries: list[dict[str, Any]]) -> None:
    direction = record.get("metric_directions", {}).get(metric)
    arrow = {"higher": " ↑", "lower": " ↓"}.get(direction or "", "")
    values = [e["metrics"].get(metric) for e in entries]
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
    _scale(ax, record, metric, entries, values)
    log = " (log)" if ax.get_xscale() == "log" else ""
    ax.set_title(metric + arrow + log, loc="left", fontsize=FONT + 1)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", labelsize=FONT - 0.5)


def _log_scale(record: dict[str, Any], metric: str) -> bool:
    """An unbounded metric whose positive values span more than LOG_RATIO gets a log axis."""
    if rec.metric_range(record, metric)[1] <= 1.0:
        return False
    positive = [float(v) for e in record["entries"] if (v := e["metrics"].get(metric)) is not None and v > 0]
    return len(positive) >= 2 and max(positive) / min(positive) > LOG_RATIO


def _scale(ax: Axes, record: dict[str, Any], metric: str, entries: list[dict[str, Any]],
           values: list[float | None]) -> None:
    """The metric's whole range when it is a rate; otherwise 0 (or the log axis's decade below the
    smallest value) to a little past the largest value or interval bound."""
    low_range, high_range = rec.metric_range(record, metric)
    present = [float(v) for v in values if v is not None]
    highs = [float(rec.interval(e, metric)[1]) if rec.interval(e, metric) else float(v)  # type: ignore[index]
             for e, v in zip(entries, values, strict=True) if v is not None]
    top = max(highs + present)
    if _log_scale(record, metric):
        positive = [v for v in present if v > 0]
        ax.set_xscale("log", nonpositive="clip")
        # Plain numbers, not mathtext ("10^2"), which evalkit's look turns off for names' sake.
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_xlim(10 ** math.floor(math.log10(min(positive))), 10 ** math.ceil(math.log10(top * 1.05)))
        return
    ax.xaxis.set_major_locator(MaxNLocator(4))
    left = min(0.0, min(present))
    if high_range <= 1.0 and top <= high_range:
        ax.set_xlim(max(left, low_range), high_range)
    else:
        ax.set_xlim(left, top * 1.08 if top > 0 else 1.0)


def _value_column(ax: Axes, record: dict[str, Any], metric: str, entries: list[dict[str, Any]]) -> None:
    """Each entry's value right of its panel (``gid`` ``value:<metric>:<row>``): never under a bar, a
    whisker or a line, and the layout makes room for it.

    Plain texts rather than a secondary axis's tick labels: the same place, a third less drawing time
    for the whole figure (a secondary axis per panel made the layout measure every tick twice over).
    """
    values = [e["metrics"].get(metric) for e in entries]
    rate = rec.metric_range(record, metric)[1] <= 1.0
    beside = transforms.offset_copy(transforms.blended_transform_factory(ax.transAxes, ax.transData),
                                    fig=ax.figure, x=2, units="points")
    texts = ["—" if value is None else f"{value:.3f}" if rate else short_number(value) for value in values]
    # The layout makes room for the widest text alone: in a monospaced font it is the longest string, and
    # measuring the others too (every panel's, every layout pass) was a third of the figure's time.
    widest = max(range(len(texts)), key=lambda row: len(texts[row]), default=0)
    for row, text in enumerate(texts):
        drawn = ax.text(1.0, row, text, transform=beside, ha="left", va="center", fontsize=FONT - 0.5,
                        family="DejaVu Sans Mono", clip_on=False, gid=f"value:{metric}:{row}")
        drawn.set_in_layout(row == widest)


def short_number(value: float) -> str:
    """A value in at most about five characters, with the precision its size needs.

    >>> [short_number(v) for v in (0.8734, 0.00012, 13.41, 154.2, 18023.0)]
    ['0.873', '1.2e-04', '13.4', '154', '18,023']
    """
    size = abs(value)
    if size == 0 or 1e-3 <= size < 10:
        return f"{value:.3f}" if size < 1 else f"{value:.2f}"
    if size < 1e-3:
        return f"{value:.1e}"
    if size < 100:
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _wrap(text: str, width: int) -> str:
    """Break a caption at '; ' so a long one wraps instead of widening the figure."""
    lines: list[str] = []
    for part in text.split("; "):
        if lines and len(lines[-1]) + len(part) + 2 <= width:
            lines[-1] += "; " + part
        else:
            lines.append(part)
    return "\n".join(lines)
