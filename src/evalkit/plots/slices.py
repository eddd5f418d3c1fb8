"""Slices: the score per slice for the best candidate beside the strongest baseline and the human level,
and the weakest slices the search found. Drawn from ``metrics.json``'s ``slices`` block alone.

One panel per declared slicing (slices worst first for the best candidate, a dot per row with its
interval), then one panel of the weakest slices: the best candidate's error inside each slice with its
interval, against its overall error (a dashed line).
"""

from __future__ import annotations

from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evalkit.plots import NothingToDraw, style
from evalkit.report_slices import worst_first

# The rows of a slicing panel: (block key, legend label, colour, marker), drawn top to bottom per slice.
ROWS = (("best", "best candidate", style.BEST, "o"), ("baseline", "strongest baseline", style.DARK_GREY, "s"),
        ("human", "human level", style.HUMAN, "D"))
OFFSET = 0.22
MAX_LABEL = 48


def _short(name: str) -> str:
    """A slice's name for a tick label: one condition per line, each cut to ``MAX_LABEL`` characters."""
    parts = name.split(" & ")
    cut = [p if len(p) <= MAX_LABEL else p[: MAX_LABEL - 1] + "…" for p in parts]
    return "\n& ".join(cut)


def _value(row: dict[str, Any] | None) -> tuple[float, list[float] | None] | None:
    if row is None or row.get("score") is None:
        return None
    bounds = (row.get("ci") or {}).get("score")
    return float(row["score"]), (bounds if bounds and bounds[0] is not None else None)


def _slicing_panel(ax: Axes, block: dict[str, Any], declared: dict[str, Any]) -> None:
    pieces = worst_first(declared["slices"], block.get("best"), "score", block["higher_is_better"]["score"])
    for y, piece in enumerate(pieces):
        for k, (key, _, colour, marker) in enumerate(ROWS):
            name = block.get(key)
            found = _value(piece["entries"].get(name)) if name else None
            if found is None:
                if key == "best":  # say so, rather than leave a reader looking for the missing dot
                    ax.annotate("best candidate: undefined here", (0.01, y - OFFSET),
                                xycoords=("axes fraction", "data"), va="center", fontsize=7.5,
                                color=style.GREY)
                continue
            value, bounds = found
            yy = y + (k - 1) * OFFSET
            if bounds is not None:
                ax.plot([min(bounds[0], value), max(bounds[1], value)], [yy, yy], color=colour,
                        linewidth=1.4, solid_capstyle="butt", zorder=2)
            ax.plot([value], [yy], marker=marker, color=colour, markersize=5.5, linestyle="none",
                    markeredgecolor=style.BLACK if key == "best" else colour, markeredgewidth=0.6, zorder=3,
                    gid=f"slice:{declared['slicing']}:{piece['name']}:{key}")
    labels = [f"{_short(p['name'])}  (n={p['n_items']}{'' if p['tested'] else ', not tested'})"
              for p in pieces]
    ax.set_yticks(range(len(pieces)), labels)
    ax.set_ylim(len(pieces) - 0.5, -0.5)
    ax.set_title(declared["slicing"], loc="left", fontsize=10)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", length=0)


def _weakest_panel(ax: Axes, search: dict[str, Any], min_items: int) -> None:
    top = search["top"]
    for y, found in enumerate(top):
        colour = style.VERMILLION if found["significant"] else style.GREY
        low, high = found["error_ci"]
        if low is not None:
            ax.plot([low, high], [y, y], color=colour, linewidth=1.6, solid_capstyle="butt", zorder=2)
        ax.plot([found["error"]], [y], marker="o", color=colour, markersize=6, linestyle="none", zorder=3,
                gid=f"weak:{found['name']}")
        ax.annotate(f"p(BH) {found['p_adjusted']:.2g}", (1.0, y), xycoords=("axes fraction", "data"),
                    xytext=(4, 0), textcoords="offset points", va="center", fontsize=8, color=colour)
    ax.axvline(search["overall_error"], color=style.BLACK, linestyle="--", linewidth=1.0, zorder=1)
    ax.set_yticks(range(len(top)), [f"{_short(t['name'])}  (n={t['n_items']})" for t in top])
    ax.set_ylim(len(top) - 0.5, -0.5)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"{search['entry']}: {search['error']}; dashed: overall; red: significant at FDR "
                  f"{search['fdr']:g}")
    ax.set_title(f"Weakest slices ({search['searched']} searched, each ≥ {min_items} items)", loc="left",
                 fontsize=10)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.tick_params(axis="y", length=0)


@style.styled
def slices_figure(record: dict[str, Any]) -> Figure:
    """Draw a panel per declared slicing and one of the weakest slices.

    Markers carry ``gid`` ``slice:<slicing>:<slice>:<best|baseline|human>`` and ``weak:<slice>``.
    """
    block = record.get("slices")
    if not block:
        raise NothingToDraw("the run declared no slices")
    declared = [d for d in block["declared"] if d["slices"]]
    search = block.get("search") if block.get("search") and block["search"]["top"] else None
    if not declared and search is None:
        raise NothingToDraw("no slice has any item, and the search found no slice to test")
    lines = [sum(1 + 0.6 * p["name"].count(" & ") for p in d["slices"]) + 1.2 for d in declared]
    heights = lines + ([sum(1 + 0.6 * t["name"].count(" & ") for t in search["top"]) + 1.8] if search else [])
    figure = style.new_figure(9.5, 0.34 * sum(heights) + 1.4)
    axes = figure.subplots(len(heights), 1, squeeze=False, gridspec_kw={"height_ratios": heights})[:, 0]
    for ax, one in zip(axes, declared, strict=False):
        _slicing_panel(ax, block, one)
    if search is not None:
        _weakest_panel(axes[-1], search, block["min_items"])
    handles = [Line2D([], [], marker=marker, color=colour, linestyle="-", label=f"{label}: {block[key]}")
               for key, label, colour, marker in ROWS if block.get(key)]
    if handles and declared:
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                      title="lines: confidence intervals (slices below min_items have none)",
                      title_fontsize=8.5)
    score = f"score ({block['score_is']})" if block.get("score_is") else "score"
    direction = "higher" if block["higher_is_better"]["score"] else "lower"
    figure.suptitle(f"Slices: {score} per slice, {direction} is better, worst first for the best candidate",
                    x=0.01, ha="left", fontweight="bold", fontsize=11)
    return figure
