"""PR and ROC curves for the entries that give scores; baselines dashed.

Binary tasks get one panel (the positive class); multiclass tasks one panel per class, one-vs-rest.
Each entry that gives labels is also marked at its operating point (where its labels put it), so a
rule or a human panel, which has no curve, still shows up against the models; in a binary task an
external baseline that states both precision and recall appears on the PR panel the same way. When
the strategy constrains precision or recall, the ruled-out side is shaded.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evalkit.plots import NothingToDraw, style
from evalkit.plots import record as rec
from evalkit.plots.satisficing import constraints_of

Limits = tuple[tuple[float, float], tuple[float, float]]
FULL: Limits = ((-0.01, 1.01), (-0.01, 1.02))
ZOOM_WORTH = 0.6  # a zoom panel only when the operating points span less than this in some direction

KINDS = {
    "pr": {"title": "Precision–recall", "x": ("recall", "recall"), "y": ("precision", "precision"),
           "area": ("ap", "AP")},
    "roc": {"title": "ROC", "x": ("fpr", "false-positive rate"), "y": ("tpr", "true-positive rate (recall)"),
            "area": ("auc", "AUC")},
}


def pr_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Precision–recall curves; lines carry ``gid`` ``curve:<class>:<entry>``."""
    return _curves_figure(record, curves, "pr")


def roc_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """ROC curves; lines carry ``gid`` ``curve:<class>:<entry>``."""
    return _curves_figure(record, curves, "roc")


@style.styled
def _curves_figure(record: dict[str, Any], curves: dict[str, Any], kind: str) -> Figure:
    spec = KINDS[kind]
    classes: list[str] = list(curves.get("curve_classes", []))
    data = curves.get("entries", {})
    if not any(data.get(e["name"], {}).get("curves") for e in record["entries"]):
        raise NothingToDraw(_why_no_curves(curves))
    multiclass = len(classes) > 1  # one-vs-rest curves per class; binary has the positive class only
    panels: list[tuple[str, Limits | None, str]]
    if multiclass:
        panels = [(cls, None, cls) for cls in classes]
    else:
        panels = [(classes[0], None, "full range")]
        zoom = _zoom(record, curves, classes[0], kind)
        if zoom is not None:
            # Good models crowd one corner; a second panel shows that corner at a readable scale.
            panels.append((classes[0], zoom, "zoomed in on the operating points"))
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    # Sized so each panel comes out about square; a fixed aspect would cost the layout extra passes.
    size = 4.6 if not multiclass else 3.6
    figure = style.new_figure(size * ncols + 2.9, size * nrows + 0.7)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    looks = style.entry_looks(record["entries"])
    handles: dict[str, Any] = {}
    for i, (ax, (cls, limits, title)) in enumerate(zip(axes, panels, strict=False)):
        _panel(ax, record, curves, cls, kind, looks, handles, multiclass)
        (x0, x1), (y0, y1) = limits or FULL
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.grid(True, axis="both")
        ax.set_title(title, loc="left", fontsize=10)
        if i >= len(panels) - ncols:
            ax.set_xlabel(spec["x"][1])
        if i % ncols == 0 or not multiclass:
            ax.set_ylabel(spec["y"][1])
    title = spec["title"] + (" (one-vs-rest per class)" if multiclass else
                             f" — positive class: {classes[0]}" if classes else "")
    figure.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    figure.legend(handles=list(handles.values()), loc="outside right upper")
    return figure


def _why_no_curves(curves: dict[str, Any]) -> str:
    if curves.get("note"):
        return str(curves["note"])
    skipped = [reason for entry in curves.get("entries", {}).values()
               for reason in entry.get("skipped", {}).values()]
    if skipped:  # scores exist, but the truth gives no curve (e.g. a single class among the scored items)
        return skipped[0]
    return ("no entry gives scores (probabilities), so there is no curve to draw; entries that give labels "
            "only have one operating point, shown in the confusion matrix")


def _zoom(record: dict[str, Any], curves: dict[str, Any], cls: str, kind: str) -> Limits | None:
    """Limits around the operating points (and constraint thresholds); None when that is most of the plot."""
    data = curves.get("entries", {})
    points = [p for e in record["entries"]
              if (p := _operating_point(data.get(e["name"], {}), curves, cls, kind, e)) is not None]
    # A classifier that answers one class for everything sits in a corner; zooming to it shows nothing.
    points = [p for p in points if (p[0][0], p[1][0]) not in ((0.0, 0.0), (1.0, 1.0))]
    if not points:
        return None
    xs = [p[0][0] for p in points]
    ys = [p[1][0] for p in points]
    if rec.is_satisficing(record):
        for constraint in constraints_of(record):
            if constraint.metric == "recall":
                (xs if kind == "pr" else ys).append(constraint.threshold)
            elif constraint.metric == "precision" and kind == "pr":
                ys.append(constraint.threshold)
    if kind == "pr":
        x_low, y_low = min(xs), min(ys)
        x = (max(0.0, x_low - max(0.03, 0.35 * (1 - x_low))), 1.005)
        y = (max(0.0, y_low - max(0.03, 0.35 * (1 - y_low))), 1.005)
    else:
        x_high, y_low = max(xs), min(ys)
        x = (-0.005, min(1.0, x_high + max(0.03, 0.35 * x_high)))
        y = (max(0.0, y_low - max(0.03, 0.35 * (1 - y_low))), 1.005)
    if x[1] - x[0] > ZOOM_WORTH and y[1] - y[0] > ZOOM_WORTH:
        return None
    return x, y


def _panel(ax: Axes, record: dict[str, Any], curves: dict[str, Any], cls: str, kind: str,
           looks: dict[str, style.EntryLook], handles: dict[str, Any], multiclass: bool) -> None:
    spec = KINDS[kind]
    x_key, y_key = spec["x"][0], spec["y"][0]
    area_key, area_name = spec["area"]
    data = curves.get("entries", {})
    prevalence = None
    for entry in record["entries"]:
        name = entry["name"]
        look = looks[name]
        best = name == record.get("best")
        curve = data.get(name, {}).get("curves", {}).get(cls, {}).get(kind)
        if curve:
            ax.plot(curve[x_key], curve[y_key], color=look.colour, linestyle=look.linestyle,
                    linewidth=2.4 if best else 1.4, drawstyle="steps-pre" if kind == "pr" else "default",
                    gid=f"curve:{cls}:{name}", zorder=4 if best else 3)
            prevalence = curve.get("prevalence", prevalence)
            area = f" ({area_name} {curve[area_key]:.3f})" if not multiclass else ""
            handles.setdefault(name, Line2D([], [], color=look.colour, linestyle=look.linestyle,
                                            linewidth=2.4 if best else 1.4, label=name + area))
        point = _operating_point(data.get(name, {}), curves, cls, kind, entry)
        if point is not None:
            labels_only = not curve
            ax.plot(*point, linestyle="none", marker=look.marker, markersize=7 if labels_only else 5.5,
                    markerfacecolor=look.colour if labels_only else "white", markeredgecolor=look.colour,
                    markeredgewidth=1.4, gid=f"point:{cls}:{name}", zorder=5)
            if labels_only:
                source = "stated" if entry["kind"] == "external" else "labels only"
                handles.setdefault(name, Line2D([], [], linestyle="none", marker=look.marker, markersize=7,
                                                color=look.colour, label=f"{name} ({source})"))
    if kind == "pr" and prevalence is not None:
        ax.axhline(prevalence, color=style.GREY, linestyle=":", linewidth=1.0, gid=f"no_skill:{cls}",
                   zorder=2)
        handles.setdefault("__no_skill", Line2D([], [], color=style.GREY, linestyle=":", linewidth=1.0,
                                                label="no skill (positive share)"))
    if kind == "roc":
        ax.plot([0, 1], [0, 1], color=style.GREY, linestyle=":", linewidth=1.0, gid=f"chance:{cls}", zorder=2)
        handles.setdefault("__chance", Line2D([], [], color=style.GREY, linestyle=":", linewidth=1.0,
                                              label="chance"))
    handles.setdefault("__point", Line2D([], [], linestyle="none", marker="o", markersize=5.5,
                                         markerfacecolor="white", markeredgecolor=style.DARK_GREY,
                                         markeredgewidth=1.4, label="operating point of the labels"))
    if not multiclass and _shade_constraints(ax, record, kind):
        handles.setdefault("__ruled_out", Line2D([], [], color=style.INFEASIBLE_RED, linewidth=6, alpha=0.25,
                                                 label="ruled out by a constraint"))
    if multiclass:
        ax.set_title(cls, loc="left", fontsize=10)


def _operating_point(data: dict[str, Any], curves: dict[str, Any], cls: str, kind: str,
                     entry: dict[str, Any]) -> tuple[list[float], list[float]] | None:
    """Where the entry's labels sit: from its confusion matrix, or (binary PR) its stated precision/recall."""
    matrix = data.get("confusion")
    if matrix is not None:
        k = list(curves["classes"]).index(cls)
        tp = matrix[k][k]
        fn = sum(matrix[k]) - tp
        fp = sum(row[k] for row in matrix) - tp
        tn = sum(sum(row) for row in matrix) - tp - fn - fp
        recall = tp / (tp + fn) if tp + fn else None
        if kind == "pr":
            precision = tp / (tp + fp) if tp + fp else None
            return None if recall is None or precision is None else ([recall], [precision])
        fpr = fp / (fp + tn) if fp + tn else None
        return None if recall is None or fpr is None else ([fpr], [recall])
    if kind == "pr":  # binary: a labels-only entry is the point (recall, precision)
        stated = entry["metrics"]
        if stated.get("precision") is not None and stated.get("recall") is not None:
            return [float(stated["recall"])], [float(stated["precision"])]
    return None


def _shade_constraints(ax: Axes, record: dict[str, Any], kind: str) -> bool:
    """Shade what a precision/recall constraint rules out (binary tasks: these are the plotted axes)."""
    if not rec.is_satisficing(record):
        return False
    axis_of = {"pr": {"recall": "x", "precision": "y"}, "roc": {"recall": "y"}}[kind]
    shaded = False
    for constraint in constraints_of(record):
        axis = axis_of.get(constraint.metric)
        if axis is None:
            continue
        below = constraint.op in (">=", ">")
        span = (0.0 if below else constraint.threshold, constraint.threshold if below else 1.0)
        style_kw = {"facecolor": style.INFEASIBLE_RED, "alpha": 0.06, "edgecolor": "none", "zorder": 1,
                    "gid": f"ruled_out:{constraint.metric}"}
        (ax.axvspan if axis == "x" else ax.axhspan)(*span, **style_kw)
        (ax.axvline if axis == "x" else ax.axhline)(constraint.threshold, color=style.INFEASIBLE_RED,
                                                    linewidth=1.0, alpha=0.8, zorder=2)
        shaded = True
    return shaded
