"""Confusion matrices of the best candidate and the strongest baseline, side by side.

Cells are coloured by the share of their true class (row), so panels of different sizes compare,
and annotated with the count. When the strongest baseline has no predictions (an external number),
the best-ranked baseline that has them stands in, and the panel title says so; likewise the
top-ranked candidate stands in, marked as such, when no candidate is feasible.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from evalkit.plots import NothingToDraw, style

CMAP = "Blues"  # one hue, lightness only: readable with any colour vision and in greyscale


def confusion_subjects(record: dict[str, Any], curves: dict[str, Any]
                       ) -> tuple[list[tuple[str, str]], list[str]]:
    """``(entry name, panel title)`` for the candidate and the baseline to show, and notes on stand-ins."""
    data = curves.get("entries", {})
    has = [e for e in record["entries"] if data.get(e["name"], {}).get("confusion") is not None]
    subjects: list[tuple[str, str]] = []
    notes: list[str] = []
    best = record.get("best")
    candidates = [e["name"] for e in has if e["role"] == "candidate"]
    if best in candidates:
        subjects.append((best, f"best candidate\n{best}"))
    elif candidates:
        subjects.append((candidates[0], f"top-ranked candidate\n{candidates[0]}"))
        notes.append("no candidate is feasible, so the top-ranked one is shown" if not best else
                     f"the best candidate, {best}, gives no labels; the top-ranked one that does is shown")
    strongest = record.get("strongest_baseline")
    baselines = [e["name"] for e in has if e["role"] == "baseline"]
    if strongest in baselines:
        subjects.append((strongest, f"strongest baseline\n{strongest}"))
    elif baselines:
        subjects.append((baselines[0], f"top-ranked baseline with labels\n{baselines[0]}"))
        notes.append(f"the strongest baseline, {strongest}, has no predictions (an external number), so the "
                     "top-ranked baseline that has them is shown" if strongest else
                     "no baseline has a score; the top-ranked baseline with labels is shown")
    return subjects, notes


@style.styled
def confusion_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Draw the confusion matrices; each image carries ``gid`` ``confusion:<entry>``."""
    subjects, notes = confusion_subjects(record, curves)
    if not subjects:
        raise NothingToDraw("no candidate or baseline gives labels for the eval set (external numbers only)")
    classes = list(curves["classes"])
    n = len(classes)
    side = max(3.0, 0.42 * n + 1.5)
    figure = style.new_figure(side * len(subjects) + 1.4, side + 1.2 + 0.25 * len(notes))
    axes = figure.subplots(1, len(subjects), squeeze=False).ravel()
    image = None
    for ax, (name, title) in zip(axes, subjects, strict=True):
        matrix = np.asarray(curves["entries"][name]["confusion"], dtype=float)
        image = _panel(ax, matrix, classes, name, title)
    assert image is not None
    figure.colorbar(image, ax=list(axes), shrink=0.8, label="share of the true class")
    figure.suptitle("Confusion matrices", x=0.01, ha="left", fontweight="bold", fontsize=12)
    if notes:
        figure.supxlabel("\n".join(f"Note: {n}." for n in notes), x=0.01, ha="left", fontsize=8,
                         color=style.DARK_GREY, wrap=True)
    return figure


def _panel(ax: Axes, matrix: np.ndarray, classes: list[str], name: str, title: str) -> Any:
    totals = matrix.sum(axis=1, keepdims=True)
    shares = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    # aspect="auto" with a square panel: square cells without the extra layout passes a fixed aspect costs
    image = ax.imshow(shares, cmap=CMAP, vmin=0.0, vmax=1.0, aspect="auto", gid=f"confusion:{name}")
    fontsize = 10 if len(classes) <= 4 else 8 if len(classes) <= 8 else 6.5
    for (i, j), count in np.ndenumerate(matrix):
        text = f"{count:g}" if float(count).is_integer() else f"{count:.1f}"
        ax.text(j, i, text, ha="center", va="center", fontsize=fontsize,
                color="white" if shares[i, j] > 0.55 else style.BLACK, gid=f"count:{name}:{i}:{j}")
    ax.set_xticks(range(len(classes)), classes, rotation=30 if len(classes) > 3 else 0,
                  ha="right" if len(classes) > 3 else "center", rotation_mode="anchor")
    ax.set_yticks(range(len(classes)), classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, loc="left", fontsize=10)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(length=0)
    return image
