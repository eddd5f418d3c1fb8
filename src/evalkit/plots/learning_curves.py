"""The learning-curve figure: measured points, fitted curves with their bands, extrapolations, targets.

One panel per curve the run has targets on (the single number, then e.g. recall for a recall
constraint). Per entry: the mean score at each measured size with the seeds' range as a vertical bar,
the fitted curve solid over the measured sizes and dashed beyond, its interval band, and horizontal
dotted lines at the targets. At most :data:`HIGHLIGHTED` entries are drawn in colour (best candidate
first, then by rank); the rest are light grey points, so the figure stays readable with many entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from evalkit.plots import NothingToDraw, style

HIGHLIGHTED = 6
# How far right the axis reaches without a target that needs more: four times the largest size.
DEFAULT_REACH = 4.0


def _order(record: dict[str, Any], names: list[str]) -> list[str]:
    rank = {e["name"]: e["rank"] for e in record["entries"]}
    role = {e["name"]: e["role"] for e in record["entries"]}
    return sorted(names, key=lambda n: (n != record.get("best"), role.get(n) != "candidate",
                                        rank.get(n, 10 ** 6), n))


def _reach(block: dict[str, Any], curve: str, names: list[str], largest: float) -> float:
    """The right end of the x axis: the farthest upper bound of a labels-needed interval, capped."""
    reach = DEFAULT_REACH * largest
    for name in names:
        data = block["entries"][name]["curves"].get(curve) or {}
        for answer in data.get("targets", []):
            if answer.get("status") == "ok":
                high = answer.get("high") or 10.0 * largest
                reach = max(reach, 1.15 * min(high, 10.0 * largest))
    return reach


@style.styled
def learning_curve_figure(record: dict[str, Any]) -> Figure:
    """Draw the ``learning_curves`` block of a ``metrics.json`` record.

    Artists carry ``gid`` tags (``points:<entry>:<curve>``, ``fit:...``, ``extrapolation:...``,
    ``band:...``, ``target:<curve>:<value>``) so tests can inspect what is drawn.
    """
    block = record.get("learning_curves")
    if not isinstance(block, dict) or not block.get("entries"):
        raise NothingToDraw("no learning curves in this run (learning_curve.enabled=true measures them)")
    names = _order(record, [n for n, e in block["entries"].items() if e["curves"]])
    curves: list[str] = []
    for name in names:
        for curve, data in block["entries"][name]["curves"].items():
            if curve not in curves and data.get("points"):
                curves.append(curve)
    if not curves:
        raise NothingToDraw("no learning curve has measured points")
    looks = style.entry_looks([e for e in record["entries"] if e["name"] in names])
    shown = names[:HIGHLIGHTED]
    figure = style.new_figure(4.2 * len(curves) + 2.6, 4.6)
    axes = figure.subplots(1, len(curves), squeeze=False)[0]
    for ax, curve in zip(axes, curves, strict=True):
        _panel(ax, block, curve, names, shown, looks)
    handles = [Line2D([], [], color=looks[n].colour, marker=looks[n].marker, linestyle=looks[n].linestyle,
                      label=n) for n in shown]
    if len(names) > len(shown):
        handles.append(Line2D([], [], color=style.LIGHT_GREY, marker="o", linestyle="none",
                              label=f"{len(names) - len(shown)} more (grey)"))
    handles += [Line2D([], [], color=style.DARK_GREY, linestyle="-", label="fitted (measured range)"),
                Line2D([], [], color=style.DARK_GREY, linestyle=(0, (4, 2)), label="extrapolated"),
                Line2D([], [], color=style.GREY, linestyle=(0, (1, 1.5)), label="target")]
    axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0)
    level = f"{block['settings']['level']:.0%}"
    figure.suptitle("Learning curves: score against training-set size", x=0.01, ha="left",
                    fontweight="bold", fontsize=12)
    axes[0].set_title(f"points: mean over seeds, bars: their range; bands: {level} intervals", loc="left",
                      fontsize=8.5, fontweight="normal", color=style.DARK_GREY)
    return figure


def _panel(ax: Axes, block: dict[str, Any], curve: str, names: list[str], shown: list[str],
           looks: dict[str, style.EntryLook]) -> None:
    largest = max(max(p[0] for p in block["entries"][n]["curves"][curve]["points"])
                  for n in names if block["entries"][n]["curves"].get(curve, {}).get("points"))
    smallest = min(min(p[0] for p in block["entries"][n]["curves"][curve]["points"])
                   for n in names if block["entries"][n]["curves"].get(curve, {}).get("points"))
    reach = _reach(block, curve, shown, largest)
    metric = curve
    for name in reversed(names):  # highlighted entries drawn last, on top
        data = block["entries"][name]["curves"].get(curve)
        if not data or not data.get("points"):
            continue
        metric = data["metric"]
        highlighted = name in shown
        colour = looks[name].colour if highlighted else style.LIGHT_GREY
        pts = np.array(data["points"], dtype=float)
        sizes = np.unique(pts[:, 0])
        means = np.array([pts[pts[:, 0] == s, 2].mean() for s in sizes])
        lows = np.array([pts[pts[:, 0] == s, 2].min() for s in sizes])
        highs = np.array([pts[pts[:, 0] == s, 2].max() for s in sizes])
        # Clipped at 0: the mean of equal values can land a rounding error outside their range.
        spread = [np.maximum(means - lows, 0.0), np.maximum(highs - means, 0.0)]
        ax.errorbar(sizes, means, yerr=spread, fmt=looks[name].marker if highlighted
                    else "o", color=colour, markersize=4 if highlighted else 3, elinewidth=0.9, capsize=0,
                    linestyle="none", zorder=3 if highlighted else 1, gid=f"points:{name}:{curve}")
        band = np.array(data.get("band") or [], dtype=float).reshape(-1, 4)
        if not highlighted or band.size == 0:
            continue
        band = band[band[:, 0] <= reach]
        inside = band[:, 0] <= largest * 1.0001
        ax.fill_between(band[:, 0], band[:, 2], band[:, 3], color=colour, alpha=0.13, linewidth=0,
                        gid=f"band:{name}:{curve}")
        ax.plot(band[inside, 0], band[inside, 1], color=colour, linewidth=1.6, gid=f"fit:{name}:{curve}")
        beyond = band[:, 0] >= band[inside, 0].max()
        ax.plot(band[beyond, 0], band[beyond, 1], color=colour, linewidth=1.6, linestyle=(0, (4, 2)),
                gid=f"extrapolation:{name}:{curve}")
    targets = [t for t in block.get("targets", []) if t["curve"] == curve]
    for t in targets:
        ax.axhline(t["value"], color=style.GREY, linestyle=(0, (1, 1.5)), linewidth=1.3, zorder=2,
                   gid=f"target:{curve}:{t['value']:.6g}")
        # At the left, where the curves are low: the right end is where the extrapolations run.
        ax.annotate(f"{t['value']:.4g}: {_short(t['sources'])}", xy=(0.0, t["value"]),
                    xycoords=("axes fraction", "data"), xytext=(3, 2), textcoords="offset points",
                    ha="left", va="bottom", fontsize=7.5, color=style.DARK_GREY, zorder=5,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 0.8})
    ax.axvline(largest, color=style.LIGHT_GREY, linewidth=1.0, zorder=0)
    ax.set_xscale("log")
    # Plain numbers: names are drawn as text (no mathtext), which would show 10^{2} as markup.
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlim(smallest / 1.25, reach)
    ax.set_xlabel("training items (log scale; grey line: the full train split)")
    ax.set_ylabel(metric)
    ax.grid(True, axis="x", which="major")


def _short(sources: list[str]) -> str:
    text = "; ".join(sources)
    return text if len(text) <= 48 else text[:47] + "…"
