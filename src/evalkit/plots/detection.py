"""Detection figures: COCO precision–recall curves at IoU 0.50 and 0.75, and AP per category.

- ``pr_curves`` (detection): one panel per IoU threshold; per entry, COCO's interpolated precision at
  the 101 recall thresholds, averaged over the categories with ground truth (so the area under each
  line is that entry's AP50 or AP75); the best candidate, the strongest baseline and the human level
  in colour (``plots/highlight.py``), the rest faded.
- ``per_class_ap``: AP .50:.95 per category (or per label, for multilabel runs) of the best candidate
  beside the strongest baseline that reports per-class numbers, sorted by the best candidate's AP,
  so the categories where it falls short stand out.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalkit.plots import NothingToDraw, style
from evalkit.plots import highlight as hl
from evalkit.plots import record as rec
from evalkit.tasks import get_task

BAR_HEIGHT = 0.38


@style.styled
def detection_pr_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Precision–recall per IoU threshold; lines carry ``gid`` ``curve:<IoU=…>:<entry>``.

    The best candidate, the strongest baseline and the human level are drawn in colour and named in the
    legend with their AP at each IoU; every other entry is faded and counted in one legend row.
    """
    panels: list[str] = list(curves.get("curve_classes", []))
    data = curves.get("entries", {})
    if not panels or not any(data.get(e["name"], {}).get("curves") for e in record["entries"]):
        raise NothingToDraw("no entry gives detections (external numbers only), so there is no curve to draw")
    figure = style.new_figure(4.4 * len(panels) + 3.2, 4.9)
    axes = figure.subplots(1, len(panels), squeeze=False).ravel()
    roles = hl.roles(record, drawable={n for n, e in data.items() if e.get("curves")})
    for ax, panel in zip(axes, panels, strict=True):
        for entry in record["entries"]:
            name = entry["name"]
            curve = data.get(name, {}).get("curves", {}).get(panel, {}).get("pr")
            if not curve:
                continue
            look = hl.LOOKS[roles[name]]
            ax.plot(curve["recall"], curve["precision"], color=look.colour, linestyle=look.linestyle,
                    linewidth=look.linewidth, alpha=look.alpha, gid=f"curve:{panel}:{name}",
                    zorder=look.zorder)
        ax.set_xlim(-0.01, 1.01)
        ax.set_ylim(-0.01, 1.02)
        ax.grid(True, axis="both")
        ax.set_title(f"{panel.replace('IoU=', 'IoU ')}: area under each line = AP at this IoU",
                     loc="left", fontsize=9.5)
        ax.set_xlabel("recall")
    axes[0].set_ylabel("precision (mean over categories)")
    figure.suptitle("Precision–recall (COCO: interpolated at 101 recall levels, up to 100 detections "
                    "per image)", x=0.01, ha="left", fontweight="bold", fontsize=12)
    figure.legend(handles=_pr_legend(record, data, panels, roles), loc="outside right upper", fontsize=8,
                  labelspacing=0.9)
    return figure


def _pr_legend(record: dict[str, Any], data: dict[str, Any], panels: list[str],
               roles: dict[str, str]) -> list[Line2D]:
    handles: list[Line2D] = []
    others = 0
    for entry in record["entries"]:
        name, role = entry["name"], roles[entry["name"]]
        if not data.get(name, {}).get("curves"):
            if role != hl.OTHER:  # e.g. an external number: named, so its absence is not a puzzle
                handles.append(Line2D([], [], linestyle="none",
                                      label=hl.legend_label(name, role, "not drawn: no detections")))
            continue
        if role == hl.OTHER:
            others += 1
            continue
        look = hl.LOOKS[role]
        handles.append(Line2D([], [], color=look.colour, linestyle=look.linestyle, linewidth=look.linewidth,
                              label=hl.legend_label(name, role, _areas(data[name], panels))))
    if others:
        handles.append(Line2D([], [], color=hl.FADED, linewidth=1.2, label=hl.others_label(others)))
    return handles


def _areas(data: dict[str, Any], panels: list[str]) -> str:
    """``AP50 0.820 · AP75 0.513``: the area under each of the entry's lines."""
    return " · ".join(f"AP{panel.removeprefix('IoU=0.')[:2]} {curve['pr']['ap']:.3f}" for panel in panels
                      if (curve := data.get("curves", {}).get(panel)))


def _per_class(entry: dict[str, Any] | None) -> dict[str, float | None] | None:
    per_class = None if entry is None else entry.get("per_class")
    return per_class if isinstance(per_class, dict) and per_class else None


def _reference(record: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
    """The baseline to compare with: the strongest one, or the best-ranked baseline with per-class AP."""
    strongest = rec.entry_by_name(record, record.get("strongest_baseline"))
    if _per_class(strongest) is not None:
        return strongest, "strongest baseline"
    other = next((e for e in record["entries"]
                  if e["role"] == "baseline" and _per_class(e) is not None), None)
    why = (f"best-ranked baseline with per-class AP ({record['strongest_baseline']}, the strongest, "
           "states none)") if record.get("strongest_baseline") else "best-ranked baseline"
    return other, why


@style.styled
def per_class_figure(record: dict[str, Any]) -> Figure:
    """Horizontal bars per class; bars carry ``gid`` ``ap:<entry>:<class>``."""
    best = rec.entry_by_name(record, record.get("best"))
    best_ap = _per_class(best)
    if best is None or best_ap is None:
        raise NothingToDraw("the best candidate has no per-class AP" if best is not None
                            else "there is no best candidate to break down by class")
    other, why = _reference(record)
    other_ap = _per_class(other) or {}
    # Lowest AP on top: where the best candidate is weakest is what a reader looks for first.
    classes = sorted(best_ap, key=lambda c: (best_ap[c] is None, best_ap[c] or 0.0, c))
    figure = style.new_figure(8.6, 0.42 * len(classes) + 1.9)
    ax = figure.subplots()
    ys = range(len(classes))
    for y, cls in zip(ys, classes, strict=True):
        for entry, ap, offset, colour, hatch in ((best, best_ap.get(cls), -BAR_HEIGHT / 2, style.BEST, None),
                                                 (other, other_ap.get(cls), BAR_HEIGHT / 2, style.BASELINE,
                                                  "///")):
            if entry is None:
                continue
            if ap is None:
                ax.text(0.005, y + offset, "no ground truth", va="center", fontsize=7.5, color=style.GREY)
                continue
            ax.barh(y + offset, ap, height=BAR_HEIGHT, color=colour, hatch=hatch, edgecolor=style.DARK_GREY,
                    linewidth=0.5, gid=f"ap:{entry['name']}:{cls}", zorder=2)
            ax.text(ap + 0.008, y + offset, f"{ap:.3f}", va="center", fontsize=7.5, zorder=3)
    ax.set_yticks(list(ys), classes)
    ax.set_ylim(len(classes) - 0.5, -0.5)
    ax.set_xlim(0, 1.0)
    words = get_task(record["task"]).vocabulary
    ax.set_xlabel(words.per_class_axis)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    handles = [Patch(facecolor=style.BEST, edgecolor=style.DARK_GREY,
                     label=f"{best['name']} (best candidate)")]
    if other is not None:
        handles.append(Patch(facecolor=style.BASELINE, edgecolor=style.DARK_GREY, hatch="///",
                             label=f"{other['name']} ({why})"))
    figure.suptitle(f"AP per {words.class_}: the best candidate against the baseline", x=0.01, ha="left",
                    fontweight="bold", fontsize=12)
    figure.legend(handles=handles, loc="outside lower center", ncols=1, fontsize=8.5)
    return figure
