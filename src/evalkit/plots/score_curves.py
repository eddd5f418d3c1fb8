"""PR and ROC curves: the best candidate, the strongest baseline and the human level in colour, the rest
faded.

Binary tasks get two panels for the positive class: the full range, and a zoom on where the
constraints live (or, without constraints on these axes, on the highlighted entries' points), where
what a constraint rules out is shaded. Multiclass tasks get one panel per class, one-vs-rest, each
naming the highlighted entries' areas.

Every entry is marked at one point: the operating point its ``metrics.json`` record states
(``operating_point``, binary tasks), else where its labels put it; an entry without a curve (a rule, a
human vote, an external number that states precision and recall) is that point alone, drawn filled.
The legend names the highlighted entries with their area (AP or AUC), the faded rest in one row, and
explains each marker.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalkit.plots import NothingToDraw, style
from evalkit.plots import highlight as hl
from evalkit.plots import record as rec
from evalkit.plots.satisficing import constraints_of

Limits = tuple[tuple[float, float], tuple[float, float]]
FULL: Limits = ((-0.01, 1.01), (-0.01, 1.02))
ZOOM_WORTH = 0.6  # a zoom panel only when its frame spans less than this in some direction
MIN_SPAN = 0.08  # the zoom never frames less than this per axis: a single point needs some context

KINDS = {
    "pr": {"title": "Precision–recall", "x": ("recall", "recall"), "y": ("precision", "precision"),
           "area": ("ap", "AP")},
    "roc": {"title": "ROC", "x": ("fpr", "false-positive rate"), "y": ("tpr", "true-positive rate (recall)"),
            "area": ("auc", "AUC")},
}
# Keys of ``operating_point.metrics_at_point`` that give the false-positive rate (or its complement).
FPR_KEYS = ("fpr", "false_positive_rate")

Point = tuple[float, float]
SYMBOLS = {">=": "≥", "<=": "≤"}


def pr_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Precision–recall curves; lines carry ``gid`` ``curve:<class>:<entry>``, points ``point:…``."""
    return _curves_figure(record, curves, "pr")


def roc_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """ROC curves; lines carry ``gid`` ``curve:<class>:<entry>``, points ``point:<class>:<entry>``."""
    return _curves_figure(record, curves, "roc")


@style.styled
def _curves_figure(record: dict[str, Any], curves: dict[str, Any], kind: str) -> Figure:
    spec = KINDS[kind]
    classes: list[str] = list(curves.get("curve_classes", []))
    data = curves.get("entries", {})
    if not any(data.get(e["name"], {}).get("curves") for e in record["entries"]):
        raise NothingToDraw(_why_no_curves(curves))
    multiclass = len(classes) > 1  # one-vs-rest curves per class; binary has the positive class only
    roles = hl.roles(record, drawable=_drawable(record, curves, kind, classes))
    panels: list[tuple[str, Limits | None, str]]
    if multiclass:
        panels = [(cls, None, cls) for cls in classes]
    else:
        panels = [(classes[0], None, "full range")]
        zoom = _zoom(record, curves, classes[0], kind, roles)
        if zoom is not None:
            # Good models crowd one corner; the second panel shows that corner at a readable scale.
            panels.append((classes[0], zoom[0], zoom[1]))
    ncols = min(3, len(panels))
    nrows = math.ceil(len(panels) / ncols)
    size = 4.6 if not multiclass else 3.6
    figure = style.new_figure(size * ncols + 3.1, size * nrows + 0.7)
    axes = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    for i, (ax, (cls, limits, title)) in enumerate(zip(axes, panels, strict=False)):
        zoomed = limits is not None
        _panel(ax, record, curves, cls, kind, roles, zoomed=zoomed)
        (x0, x1), (y0, y1) = limits or FULL
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.grid(True, axis="both")
        ax.set_title(title, loc="left", fontsize=10)
        if multiclass:
            _areas_note(ax, record, curves, cls, kind, roles)
        if i >= len(panels) - ncols:
            ax.set_xlabel(spec["x"][1])
        if i % ncols == 0 or not multiclass:
            ax.set_ylabel(spec["y"][1])
    title = spec["title"] + (" (one-vs-rest per class)" if multiclass else
                             f" — positive class: {classes[0]}" if classes else "")
    figure.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=12)
    figure.legend(handles=_legend(record, curves, classes, kind, roles, multiclass),
                  loc="outside right upper", fontsize=8, labelspacing=0.9)
    return figure


def _drawable(record: dict[str, Any], curves: dict[str, Any], kind: str, classes: list[str]) -> set[str]:
    """The entries this figure can show: a curve, labels, or (binary PR) stated precision and recall."""
    data = curves.get("entries", {})
    out = set()
    for entry in record["entries"]:
        own = data.get(entry["name"], {})
        point = _point(own, curves, classes[0], kind, entry, binary=len(classes) <= 1) if classes else None
        if own.get("curves") or own.get("confusion") is not None or point is not None:
            out.add(entry["name"])
    return out


def _why_no_curves(curves: dict[str, Any]) -> str:
    if curves.get("note"):
        return str(curves["note"])
    skipped = [reason for entry in curves.get("entries", {}).values()
               for reason in entry.get("skipped", {}).values()]
    if skipped:  # scores exist, but the truth gives no curve (e.g. a single class among the scored items)
        return skipped[0]
    return ("no entry gives scores (probabilities), so there is no curve to draw; entries that give labels "
            "only have one operating point, shown in the confusion matrix")


def _panel_constraints(record: dict[str, Any], kind: str) -> list[tuple[str, Any]]:
    """The run's constraints on this figure's axes, with the axis each one lies on."""
    if not rec.is_satisficing(record):
        return []
    axis_of = {"pr": {"recall": "x", "precision": "y"}, "roc": {"recall": "y"}}[kind]
    return [(axis_of[c.metric], c) for c in constraints_of(record) if c.metric in axis_of]


def _zoom(record: dict[str, Any], curves: dict[str, Any], cls: str, kind: str,
          roles: dict[str, str]) -> tuple[Limits, str] | None:
    """The zoom panel's limits and title: around the constraints and the highlighted entries' points.

    None when that frame would be most of the plot anyway.
    """
    data = curves.get("entries", {})
    points = [p for e in record["entries"] if roles[e["name"]] != hl.OTHER
              if (p := _point(data.get(e["name"], {}), curves, cls, kind, e, binary=True)) is not None]
    # A classifier that answers one class for everything sits in a corner; zooming to it shows nothing.
    points = [p for p, _ in points if p not in ((0.0, 0.0), (1.0, 1.0))]
    constraints = _panel_constraints(record, kind)
    xs = [x for x, _ in points] + [c.threshold for axis, c in constraints if axis == "x"]
    ys = [y for _, y in points] + [c.threshold for axis, c in constraints if axis == "y"]
    if not xs and not ys:
        return None
    if kind == "pr":  # good models live near (1, 1): the frame runs from the lowest point to 1
        x = _towards_one(min(xs, default=1.0))
        y = _towards_one(min(ys, default=1.0))
    else:  # near (0, 1): from 0 to the highest false-positive rate, and from the lowest recall to 1
        x_high = max(xs, default=0.0)
        x = (-0.005, max(min(1.0, x_high + max(0.03, 0.35 * x_high)), MIN_SPAN))
        y = _towards_one(min(ys, default=1.0))
    if x[1] - x[0] > ZOOM_WORTH and y[1] - y[0] > ZOOM_WORTH:
        return None
    if constraints:
        words = ", ".join(f"{c.metric} {SYMBOLS.get(c.op, c.op)} {c.threshold:g}" for _, c in constraints)
        return (x, y), f"zoomed in where the constraints live ({words})"
    return (x, y), "zoomed in on the highlighted entries"


def _towards_one(low: float) -> tuple[float, float]:
    start = max(0.0, low - max(0.03, 0.3 * (1 - low)))
    return min(start, 1.005 - MIN_SPAN), 1.005


def _panel(ax: Axes, record: dict[str, Any], curves: dict[str, Any], cls: str, kind: str,
           roles: dict[str, str], *, zoomed: bool) -> None:
    spec = KINDS[kind]
    x_key, y_key = spec["x"][0], spec["y"][0]
    data = curves.get("entries", {})
    binary = len(curves.get("curve_classes", [])) <= 1
    prevalence = None
    for entry in record["entries"]:
        name = entry["name"]
        look = hl.LOOKS[roles[name]]
        curve = data.get(name, {}).get("curves", {}).get(cls, {}).get(kind)
        if curve:
            ax.plot(curve[x_key], curve[y_key], color=look.colour, linestyle=look.linestyle,
                    linewidth=look.linewidth, alpha=look.alpha, zorder=look.zorder,
                    drawstyle="steps-pre" if kind == "pr" else "default", gid=f"curve:{cls}:{name}")
            prevalence = curve.get("prevalence", prevalence)
        found = _point(data.get(name, {}), curves, cls, kind, entry, binary=binary)
        if found is None:
            continue
        (x, y), source = found
        faded = roles[name] == hl.OTHER
        if curve:  # a point on the entry's own curve: hollow, in the curve's colour
            marker = "D" if source == "operating_point" else "o"
            ax.plot([x], [y], linestyle="none", marker=marker, markersize=4.5 if faded else 7,
                    markerfacecolor="white", markeredgecolor=look.colour,
                    markeredgewidth=1.0 if faded else 1.6,
                    alpha=look.alpha, zorder=look.zorder + 1, gid=f"point:{cls}:{name}")
        else:  # the entry is this point alone (labels only, or stated numbers): filled
            ax.plot([x], [y], linestyle="none", marker=look.marker, markersize=5 if faded else 9,
                    color=look.colour, markeredgecolor="white" if not faded else look.colour,
                    markeredgewidth=0.8, alpha=look.alpha, zorder=look.zorder + 1, gid=f"point:{cls}:{name}")
    if kind == "pr" and prevalence is not None:
        ax.axhline(prevalence, color=style.GREY, linestyle=":", linewidth=1.0, gid=f"no_skill:{cls}",
                   zorder=2)
    if kind == "roc":
        ax.plot([0, 1], [0, 1], color=style.GREY, linestyle=":", linewidth=1.0, gid=f"chance:{cls}", zorder=2)
    if binary:
        _constraint_lines(ax, record, kind, shade=zoomed)


def _point(data: dict[str, Any], curves: dict[str, Any], cls: str, kind: str, entry: dict[str, Any], *,
           binary: bool) -> tuple[Point, str] | None:
    """Where to mark the entry, and why there: its recorded operating point, its labels, or stated numbers."""
    stated = _recorded_operating_point(entry, kind) if binary else None
    if stated is not None:
        return stated, "operating_point"
    labels = _labels_point(data, curves, cls, kind)
    if labels is not None:
        return labels, "labels"
    if kind == "pr" and binary:  # an external number that states precision and recall is that point
        metrics = entry.get("metrics") or {}
        precision, recall = metrics.get("precision"), metrics.get("recall")
        if isinstance(precision, int | float) and isinstance(recall, int | float):
            return (float(metrics["recall"]), float(metrics["precision"])), "stated"
    return None


def _recorded_operating_point(entry: dict[str, Any], kind: str) -> Point | None:
    """``operating_point.metrics_at_point`` as a point on this figure's axes, when it gives both."""
    point = entry.get("operating_point")
    at = point.get("metrics_at_point") if isinstance(point, dict) else None
    if not isinstance(at, dict):
        return None
    recall = at.get("recall")
    other = at.get("precision") if kind == "pr" else next((at[k] for k in FPR_KEYS if k in at), None)
    if other is None and kind == "roc" and isinstance(at.get("specificity"), int | float):
        other = 1 - at["specificity"]
    if not isinstance(recall, int | float) or not isinstance(other, int | float):
        return None
    return (float(recall), float(other)) if kind == "pr" else (float(other), float(recall))


def _labels_point(data: dict[str, Any], curves: dict[str, Any], cls: str, kind: str) -> Point | None:
    """Where the entry's labels sit, from its confusion matrix (one-vs-rest for ``cls``)."""
    matrix = data.get("confusion")
    if matrix is None:
        return None
    k = list(curves["classes"]).index(cls)
    tp = matrix[k][k]
    fn = sum(matrix[k]) - tp
    fp = sum(row[k] for row in matrix) - tp
    tn = sum(sum(row) for row in matrix) - tp - fn - fp
    recall = tp / (tp + fn) if tp + fn else None
    if kind == "pr":
        precision = tp / (tp + fp) if tp + fp else None
        return None if recall is None or precision is None else (recall, precision)
    fpr = fp / (fp + tn) if fp + tn else None
    return None if recall is None or fpr is None else (fpr, recall)


def _constraint_lines(ax: Axes, record: dict[str, Any], kind: str, *, shade: bool) -> None:
    """Each precision/recall constraint as a line; in the zoom, what it rules out shaded as well."""
    for axis, constraint in _panel_constraints(record, kind):
        below = constraint.op in (">=", ">")
        (ax.axvline if axis == "x" else ax.axhline)(constraint.threshold, color=style.INFEASIBLE_RED,
                                                    linewidth=1.1, linestyle=(0, (4, 2)), alpha=0.9, zorder=2,
                                                    gid=f"constraint:{constraint.metric}")
        if shade:
            span = (-0.05 if below else constraint.threshold, constraint.threshold if below else 1.05)
            (ax.axvspan if axis == "x" else ax.axhspan)(
                *span, facecolor=style.INFEASIBLE_RED, alpha=0.07, edgecolor="none", zorder=1,
                gid=f"ruled_out:{constraint.metric}")


def _area(data: dict[str, Any], classes: list[str], kind: str) -> float | None:
    """The entry's area under the curve: the positive class's, or the mean over the classes (multiclass)."""
    key = KINDS[kind]["area"][0]
    areas = [c[kind][key] for cls in classes if (c := data.get("curves", {}).get(cls)) and c.get(kind)
             and isinstance(c[kind].get(key), int | float)]
    return sum(areas) / len(areas) if areas else None


def _legend(record: dict[str, Any], curves: dict[str, Any], classes: list[str], kind: str,
            roles: dict[str, str], multiclass: bool) -> list[Any]:
    data = curves.get("entries", {})
    area_name = KINDS[kind]["area"][1]
    handles: list[Any] = []
    drawn_points: set[str] = set()
    others = 0
    for entry in record["entries"]:
        name, role = entry["name"], roles[entry["name"]]
        own = data.get(name, {})
        has_curve = any(own.get("curves", {}).get(cls, {}).get(kind) for cls in classes)
        found = _point(own, curves, classes[0], kind, entry, binary=not multiclass) if classes else None
        if not has_curve and found is None:
            if role != hl.OTHER:  # a highlighted entry missing from the axes is named, not silently absent
                handles.append(Line2D([], [], linestyle="none", label=hl.legend_label(
                    name, role, "not drawn: no values on these axes")))
            continue
        if found is not None:
            drawn_points.add(found[1] if has_curve else "alone")
        if role == hl.OTHER:
            others += 1
            continue
        look = hl.LOOKS[role]
        if has_curve:
            area = _area(own, classes, kind)
            # multiclass: the mean over the one-vs-rest panels (each panel states its own)
            detail = f"{'mean ' if multiclass else ''}{area_name} {area:.3f}" if area is not None else ""
            if role == hl.BEST and hl.tie_note(record):  # a curve of its own, but the same score as others
                detail += f"; {hl.tie_note(record)}"
            threshold = (entry.get("operating_point") or {}).get("threshold") if not multiclass else None
            if isinstance(threshold, int | float) and found is not None and found[1] == "operating_point":
                detail += f"; ◇ at threshold {threshold:.3g}"
            handles.append(Line2D([], [], color=look.colour, linestyle=look.linestyle,
                                  linewidth=look.linewidth, label=hl.legend_label(name, role, detail)))
        else:
            what = "stated precision and recall" if found is not None and found[1] == "stated" else \
                "labels only: one point"
            handles.append(Line2D([], [], linestyle="none", marker=look.marker, markersize=8,
                                  color=look.colour, label=hl.legend_label(name, role, what)))
    if others:
        handles.append(Line2D([], [], color=hl.FADED, linewidth=1.2, marker="o", markersize=4,
                              label=hl.others_label(others)))
    if kind == "pr" and any(c.get("pr", {}).get("prevalence") is not None
                            for e in data.values() for c in (e.get("curves") or {}).values()):
        handles.append(Line2D([], [], color=style.GREY, linestyle=":", linewidth=1.0,
                              label="no skill (share of positives)"))
    if kind == "roc":
        handles.append(Line2D([], [], color=style.GREY, linestyle=":", linewidth=1.0, label="chance"))
    if "labels" in drawn_points:
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor="white",
                              markeredgecolor=style.DARK_GREY, markeredgewidth=1.4,
                              label="○ on a curve: where the entry's\nlabels put it"))
    if "operating_point" in drawn_points:
        handles.append(Line2D([], [], linestyle="none", marker="D", markersize=6, markerfacecolor="white",
                              markeredgecolor=style.DARK_GREY, markeredgewidth=1.4,
                              label="◇ on a curve: the entry's recorded\noperating point (its threshold)"))
    if "alone" in drawn_points:
        handles.append(Line2D([], [], linestyle="none", marker="s", markersize=6, color=style.DARK_GREY,
                              label="filled marker: an entry without\nscores (labels or stated numbers)"))
    constraints = _panel_constraints(record, kind) if not multiclass else []
    if constraints:
        handles.append(Line2D([], [], color=style.INFEASIBLE_RED, linestyle=(0, (4, 2)), linewidth=1.1,
                              label="constraint threshold"))
        handles.append(Patch(facecolor=style.INFEASIBLE_RED, alpha=0.15, edgecolor="none",
                             label="ruled out by it (zoom panel)"))
    return handles


def _areas_note(ax: Axes, record: dict[str, Any], curves: dict[str, Any], cls: str, kind: str,
                roles: dict[str, str]) -> None:
    """A multiclass panel names the highlighted entries' area for its own class, where curves coincide."""
    key, area_name = KINDS[kind]["area"]
    lines = []
    for entry in record["entries"]:
        if roles[entry["name"]] == hl.OTHER:
            continue
        curve = curves.get("entries", {}).get(entry["name"], {}).get("curves", {}).get(cls, {}).get(kind)
        if curve and isinstance(curve.get(key), int | float):
            lines.append(f"{hl.ROLE_WORDS[roles[entry['name']]]}: {area_name} {curve[key]:.3f}")
    if lines:
        where = (0.97, 0.04, "right", "bottom") if kind == "roc" else (0.03, 0.04, "left", "bottom")
        ax.text(where[0], where[1], "\n".join(lines), transform=ax.transAxes, ha=where[2], va=where[3],
                fontsize=7.5, color=style.DARK_GREY, gid=f"areas:{cls}",
                bbox={"facecolor": "white", "edgecolor": style.LIGHT_GREY, "alpha": 0.9, "pad": 2.5})
