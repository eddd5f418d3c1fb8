"""The satisficing figure: which candidates the constraints rule out, and what they give up for it.

One panel per constrained metric: the optimized metric (y) against the constrained one (x), the
threshold as a vertical line, the side that violates it shaded, every entry a labelled point.
Filled points satisfy every constraint; hollow ones violate at least one (maybe in another panel).
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalkit.plots import NothingToDraw, style
from evalkit.plots import record as rec
from evalkit.plots.labels import PointLabel, break_name, place_labels
from evalkit.strategies.satisficing import Constraint, parse_constraint

LABEL_FONT = 9.0
NAMED_POINTS = 10  # up to this many entries, with names up to NAMED_LENGTH, points carry their names
NAMED_LENGTH = 24
LOG_RATIO = 30.0  # a positive metric spanning more than this factor gets a log axis (latency, size)


def constraints_of(record: dict[str, Any]) -> list[Constraint]:
    """The run's constraints with their stored thresholds (numbers; older records' text is parsed by the
    strategy's own parser, so '>= 0.95' has one meaning)."""
    constraints = record["strategy"].get("constraints", {})
    return [parse_constraint(metric, text) for metric, text in constraints.items()]


@style.styled
def satisficing_figure(record: dict[str, Any]) -> Figure:
    """Draw the optimized metric against each constrained metric.

    Artists carry ``gid`` tags: ``threshold:<metric>``, ``infeasible_region:<metric>``,
    ``point:<entry>`` and ``label:<entry>``.
    """
    if not rec.is_satisficing(record):
        raise NothingToDraw(f"the strategy is '{record['strategy']['name']}', not satisficing")
    optimize = record["strategy"]["optimize"]
    constraints = constraints_of(record)
    on_optimized = [c for c in constraints if c.metric == optimize]
    panels = [c for c in constraints if c.metric != optimize]
    if not panels:
        raise NothingToDraw("no constraint on a metric other than the optimized one, so there is no "
                            "trade-off to plot")
    drawable = [c for c in panels if any(_value(e, c.metric) is not None and _value(e, optimize) is not None
                                         for e in record["entries"])]
    if not drawable:
        raise NothingToDraw("no entry reports both the optimized metric and a constrained one")
    numbered = uses_numbers(record)
    # Numbered points need the key beside the panels: then one panel per row.
    ncols = 1 if numbered else min(2, len(drawable))
    nrows = math.ceil(len(drawable) / ncols)
    # One panel alone gets a width of its own, not two panels' worth of mostly empty axes; the legend
    # then takes more rows. At most about 10.6 in wide: report.html shows figures about 1,100 px wide,
    # and text stays at 9 pt or more on screen.
    width = 10.6 if numbered else 5.1 * ncols + (2.6 if ncols == 1 else 0.4)
    figure = style.new_figure(width, (4.2 if numbered else 4.6) * nrows + (1.2 if ncols == 1 else 0.9))
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(drawable):]:
        ax.set_visible(False)
    higher = bool(record["strategy"].get("higher_is_better", True))
    pending = [(_panel(ax, record, c, optimize, on_optimized, numbered), ax)
               for ax, c in zip(axes, drawable, strict=False)]
    figure.suptitle(f"Constraints: {optimize} ({rec.direction_word(higher)}) against each constrained metric",
                    x=0.01, ha="left", fontweight="bold", fontsize=12)
    if numbered:
        figure.legend(handles=_key(record), loc="outside right upper", title="points: leaderboard rank",
                      title_fontsize=LABEL_FONT, fontsize=LABEL_FONT - 0.5, handlelength=0, handletextpad=0)
    else:  # the lines' labels sit right of the last panel, outside any axes: keep a margin for them
        figure.get_layout_engine().set(rect=(0.0, 0.0, 1.0 - 0.5 / width, 1.0))  # type: ignore[union-attr, call-arg]
    handles = _legend(record)
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4 if ncols > 1 else 3))
    style.settle_layout(figure)  # and keep it: the labels' spots are chosen for this layout
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    for labels, ax in pending:
        # Lines and their labels are placed first; entry labels keep off them.
        # A line's extent has no width: padded to a few pixels, so a label that crosses it overlaps it.
        avoid = [line.get_window_extent(renderer).padded(3) for line in ax.lines
                 if str(line.get_gid()) == "lower_bound" or str(line.get_gid()).startswith("threshold:")]
        place_labels(ax, labels, fontsize=LABEL_FONT, avoid=avoid)
    return figure


def _value(entry: dict[str, Any], metric: str) -> float | None:
    value = entry["metrics"].get(metric)
    return None if value is None else float(value)


def uses_numbers(record: dict[str, Any]) -> bool:
    """Whether points are labelled with their leaderboard rank (and a key) instead of their names: when
    more than NAMED_POINTS entries or a name longer than NAMED_LENGTH would crowd a panel with text."""
    names = [e["name"] for e in record["entries"]]
    return len(names) > NAMED_POINTS or max(len(name) for name in names) > NAMED_LENGTH


def _key(record: dict[str, Any]) -> list[Any]:
    """One legend row per entry: its rank (the number beside its point) and its name."""
    rows = []
    for rank, entry in enumerate(record["entries"], start=1):
        name = break_name(entry["name"], 34).replace("\n", "\n    ")  # a broken name's second line indented
        rows.append(Line2D([], [], linestyle="none", label=f"{rank:>2}  {name}"))
    return rows


def _panel(ax: Axes, record: dict[str, Any], constraint: Constraint, optimize: str,
           on_optimized: list[Constraint], numbered: bool) -> list[PointLabel]:
    metric = constraint.metric
    shown = [e for e in record["entries"]
             if _value(e, metric) is not None and _value(e, optimize) is not None]
    missing = [e["name"] for e in record["entries"] if e not in shown]
    xs = [_value(e, metric) for e in shown]
    ys = [_value(e, optimize) for e in shown]
    span = [x for x in [*xs, constraint.threshold] if x is not None]
    log_x = min(span) > 0 and max(span) / min(span) > LOG_RATIO
    if log_x:
        ax.set_xscale("log")
        # The default log labels are mathtext ("10^2"), which evalkit's look turns off for names' sake.
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    labels = []
    for entry, x, y in zip(shown, xs, ys, strict=True):
        assert x is not None and y is not None
        best = entry["name"] == record.get("best")
        candidate = entry["role"] == "candidate"
        colour = style.BEST if best else style.CANDIDATE if candidate else style.GREY
        feasible = bool(entry.get("feasible", True))
        ax.plot([x], [y], linestyle="none", marker="o" if candidate else "s", markersize=9 if best else 7.5,
                markerfacecolor=colour if feasible else "white",
                markeredgecolor=style.BLACK if best else colour, markeredgewidth=1.6,
                gid=f"point:{entry['name']}", zorder=5, clip_on=False)
        rank = record["entries"].index(entry) + 1
        text = str(rank) if numbered else entry["name"]
        labels.append(PointLabel(x, y, text, key=entry["name"],
                                 colour=style.BLACK if best else style.DARK_GREY, bold=best))
    strongest = rec.entry_by_name(record, record.get("strongest_baseline"))
    bound = None if strongest is None else _value(strongest, optimize)
    # The lower bound is in view even when that baseline has no point here (no value of this metric).
    _limits(ax, [*xs, constraint.threshold], [*ys, bound, *(c.threshold for c in on_optimized)], log_x,
            x_range=rec.metric_range(record, metric), y_range=rec.metric_range(record, optimize))
    _threshold(ax, constraint, vertical=True)
    for other in on_optimized:
        _threshold(ax, other, vertical=False)
    if bound is not None and strongest is not None:
        ax.axhline(bound, color=style.LOWER_BOUND, linestyle=(0, (5, 3)), linewidth=1.0, gid="lower_bound",
                   zorder=3)
        # Right of the axes, beside the line's end, where no point can be.
        ax.annotate(f"lower\nbound\n{bound:.3f}", xy=(1.0, bound), xycoords=ax.get_yaxis_transform(),
                    xytext=(3, 0), textcoords="offset points", ha="left", va="center",
                    fontsize=LABEL_FONT - 1, color=style.LOWER_BOUND, gid="lower_bound_label",
                    annotation_clip=False, linespacing=1.0)
    direction = record.get("metric_directions", {}).get(metric)
    ax.set_xlabel(f"{metric}" + (f" ({direction} is better)" if direction else "") + (", log scale" if log_x
                                                                                       else ""))
    ax.set_ylabel(optimize)
    ax.set_title(_constraint_text(constraint), loc="left", pad=20)
    ax.grid(True, axis="both")
    if missing:
        ax.text(0.0, -0.2, f"not shown (no {metric} or {optimize} value): " + ", ".join(missing),
                transform=ax.transAxes, fontsize=LABEL_FONT - 0.5, color=style.GREY, va="top", wrap=True)
    return labels


def _limits(ax: Axes, xs: list[float | None], ys: list[float | None], log_x: bool, *,
            x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
    """Around the points and lines with a margin, never past what the metric can take: recall stays in
    [0, 1], latency starts at 0. Markers on the edge are drawn unclipped."""
    x_values = [x for x in xs if x is not None]
    y_values = [y for y in ys if y is not None]
    if log_x:
        ax.set_xlim(min(x_values) / 2.0, max(x_values) * 2.0)
    else:
        ax.set_xlim(*_padded(x_values, 0.18, x_range, from_zero=True))
    ax.set_ylim(*_padded(y_values, 0.15, y_range))


def _padded(values: list[float], share: float, bounds: tuple[float, float], *, from_zero: bool = False
            ) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low or abs(high) or 1.0) * share
    left, right = max(low - pad, bounds[0]), min(high + pad, bounds[1])
    if from_zero and bounds[0] == 0.0 and left < 0.6 * high and high > 0:
        left = 0.0  # a cost near 0 is drawn from 0, not from a few ms, so distances read true
    return left, right


def _threshold(ax: Axes, constraint: Constraint, *, vertical: bool) -> None:
    """The threshold line, and the region that violates it shaded to the edge of the axes."""
    lower_allowed = constraint.op in (">=", ">")  # 'recall >= 0.95': everything below 0.95 is ruled out
    limits = ax.get_xlim() if vertical else ax.get_ylim()
    span = (limits[0], constraint.threshold) if lower_allowed else (constraint.threshold, limits[1])
    shade = {"facecolor": style.INFEASIBLE_RED, "alpha": 0.10, "edgecolor": "none", "zorder": 1,
             "gid": f"infeasible_region:{constraint.metric}"}
    line = {"color": style.INFEASIBLE_RED, "linewidth": 1.5, "zorder": 4,
            "gid": f"threshold:{constraint.metric}"}
    if vertical:
        ax.axvspan(*span, **shade)
        ax.axvline(constraint.threshold, **line)
        ax.set_xlim(limits)
        # The line's own label sits above the axes, under the panel's title, where no point can be.
        ax.annotate(_constraint_text(constraint), xy=(constraint.threshold, 1.0),
                    xycoords=ax.get_xaxis_transform(), xytext=(0, 7), textcoords="offset points",
                    ha="center", va="bottom", fontsize=LABEL_FONT - 0.5, color=style.INFEASIBLE_RED,
                    fontweight="bold", gid=f"threshold_label:{constraint.metric}", annotation_clip=False)
    else:
        ax.axhspan(*span, **shade)
        ax.axhline(constraint.threshold, **line)
        ax.set_ylim(limits)
        # Right of the axes, beside the line's end, where no point can be.
        ax.annotate(_constraint_text(constraint).replace(" ", "\n", 1), xy=(1.0, constraint.threshold),
                    xycoords=ax.get_yaxis_transform(), xytext=(3, 0), textcoords="offset points", ha="left",
                    va="center", fontsize=LABEL_FONT - 0.5, color=style.INFEASIBLE_RED, fontweight="bold",
                    gid=f"threshold_label:{constraint.metric}", annotation_clip=False)


def _constraint_text(constraint: Constraint) -> str:
    return str(constraint).replace(">=", "≥").replace("<=", "≤")


def _legend(record: dict[str, Any]) -> list[Any]:
    handles: list[Any] = [
        Line2D([], [], linestyle="none", marker="o", markersize=7.5, color=style.CANDIDATE,
               label="candidate"),
        Line2D([], [], linestyle="none", marker="s", markersize=7.5, color=style.GREY, label="baseline"),
        Line2D([], [], linestyle="none", marker="o", markersize=7.5, markerfacecolor="white",
               markeredgecolor=style.DARK_GREY, markeredgewidth=1.6, label="hollow: violates a constraint"),
        Line2D([], [], color=style.INFEASIBLE_RED, linewidth=1.5, label="constraint threshold"),
        Patch(facecolor=style.INFEASIBLE_RED, alpha=0.25, label="shaded: ruled out by it"),
    ]
    if record.get("best"):
        handles.insert(1, Line2D([], [], linestyle="none", marker="o", markersize=9, color=style.BEST,
                                 markeredgecolor=style.BLACK, markeredgewidth=1.6, label="best candidate"))
    if record.get("strongest_baseline"):
        handles.append(Line2D([], [], color=style.LOWER_BOUND, linestyle=(0, (5, 3)), linewidth=1.0,
                              label=f"lower bound: {record['strongest_baseline']}"))
    return handles
