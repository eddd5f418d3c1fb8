"""Cumulative distribution of each named per-item error: the share of items within x.

The figure pose-estimation papers draw (share of poses within x cm, within x°): one panel per named
error, a line per entry (candidates solid, baselines dashed, the best candidate thicker), dotted lines
at the error's tolerances. A satisficing constraint on one of the error's quantiles (``position_cm_p95
<= 1``) is the point (1, 0.95) a curve must pass above-left of; the region it rules out is shaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evalkit.plots import NothingToDraw, style
from evalkit.plots import record as rec
from evalkit.plots.satisficing import constraints_of

QUANTILE_OF = {"median": 0.5, "p90": 0.9, "p95": 0.95}
# The x axis ends well past the tolerances and the best candidate's 95th percentile, not at the largest
# error: heavy tails (a few grasps that failed by 10 cm, a rule's 180° flips) would otherwise squeeze
# every curve against the y axis. Longer tails run off the right edge, and the axis label says so.
TAIL_SHARE = 0.95


def error_cdf_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Lines carry ``gid`` ``cdf:<error>:<entry>``; tolerances ``tolerance:<error>:<t>``."""
    errors = curves.get("errors") or {}
    data = curves.get("entries", {})
    if not errors:
        raise NothingToDraw("the experiment names no per-item errors (add an 'errors:' section)")
    if not any(data.get(e["name"], {}).get("errors") for e in record["entries"]):
        raise NothingToDraw("no entry has per-item predictions, so there is no error distribution")
    return _draw(record, errors, data)


@style.styled
def _draw(record: dict[str, Any], errors: dict[str, Any], data: dict[str, Any]) -> Figure:
    names = list(errors)
    figure = style.new_figure(4.8 * len(names) + 2.8, 4.6)
    axes = figure.subplots(1, len(names), squeeze=False).ravel()
    looks = style.entry_looks(record["entries"])
    best = record.get("best")
    constraints = constraints_of(record) if rec.is_satisficing(record) else []
    handles: dict[str, Any] = {}
    for ax, error in zip(axes, names, strict=True):
        info = errors[error]
        ends, largest = [], 0.0
        for entry in record["entries"]:
            own = data.get(entry["name"], {}).get("errors", {}).get(error)
            if not own or not own["error"]:
                continue
            look = looks[entry["name"]]
            x, y = np.asarray(own["error"]), np.asarray(own["share"])
            width = 2.6 if entry["name"] == best else 1.4
            label = entry["name"] + (" (best)" if entry["name"] == best else "")
            ax.step(np.r_[0.0, x], np.r_[0.0, y], where="post", color=look.colour,
                    linestyle=look.linestyle, linewidth=width, gid=f"cdf:{error}:{entry['name']}")
            handles.setdefault(entry["name"], Line2D([], [], color=look.colour, linestyle=look.linestyle,
                                                     linewidth=width, label=label))
            largest = max(largest, float(x[-1]))
            if entry["name"] == best or not ends:
                ends.append(1.5 * float(x[min(np.searchsorted(y, TAIL_SHARE), len(x) - 1)]))
        tolerances = [float(t) for t in info.get("tolerances", [])]
        right = max([max(ends[-1:] or [0.0]), *(2.5 * t for t in tolerances), 1e-12])
        for t in tolerances:
            ax.axvline(t, color=style.GREY, linestyle=":", linewidth=1.2, gid=f"tolerance:{error}:{t:g}")
            ax.text(t, 0.02, f" ≤ {t:g}", ha="left", va="bottom", fontsize=8, color=style.DARK_GREY,
                    transform=ax.get_xaxis_transform())
        for c in constraints:
            stem, _, suffix = c.metric.rpartition("_")
            if stem == error and suffix in QUANTILE_OF and c.op in ("<=", "<"):
                q = QUANTILE_OF[suffix]
                ax.fill_between([c.threshold, max(right, c.threshold * 1.1)], 0, q,
                                color=style.INFEASIBLE_RED, alpha=0.08, linewidth=0,
                                gid=f"infeasible_region:{c.metric}")
                ax.plot([c.threshold], [q], marker="X", markersize=9, color=style.INFEASIBLE_RED,
                        gid=f"threshold:{c.metric}")
                ax.annotate(f"{c.metric} {c.op} {c.threshold:g}", (c.threshold, q), xytext=(6, -14),
                            textcoords="offset points", fontsize=8, color=style.INFEASIBLE_RED)
                right = max(right, c.threshold * 1.3)
        ax.set_xlim(0, right)
        ax.set_ylim(0, 1.02)
        ax.grid(True, axis="both")
        cut = f"; errors up to {largest:.3g} run off the right" if largest > right else ""
        ax.set_xlabel(f"{error} ({info.get('unit', '')}){cut}")
        ax.set_ylabel("share of items with error ≤ x")
        ax.set_title(error, loc="left", fontsize=10)
    figure.suptitle("Cumulative error distributions: the share of items within each error", x=0.01, ha="left",
                    fontweight="bold", fontsize=12)
    figure.legend(handles=list(handles.values()), loc="outside right upper", fontsize=8.5)
    return figure
