"""One numeric target: predicted against actual values, and residuals by predicted value.

The best candidate and the strongest baseline that has predictions (or the top-ranked baseline with
predictions when the strongest is an external number), from a seeded sample of at most 1,000 items
(``curves.json``). Left: the points around the diagonal y = x. Right: residuals (predicted − actual)
against the prediction, where a trend or a funnel shows bias or error that grows with the value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from evalkit.plots import NothingToDraw, style


def _subjects(record: dict[str, Any], data: dict[str, Any]) -> list[tuple[str, str]]:
    subjects = []
    best = record.get("best")
    if best in data and "scatter" in data[best]:
        subjects.append((best, "best candidate"))
    strongest = record.get("strongest_baseline")
    baselines = [e["name"] for e in record["entries"]
                 if e["role"] == "baseline" and "scatter" in data.get(e["name"], {})]
    if strongest in baselines:
        subjects.append((strongest, "strongest baseline"))
    elif baselines:
        subjects.append((baselines[0], "top-ranked baseline with predictions"))
    return subjects


def predicted_actual_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Points carry ``gid`` ``scatter:<entry>`` and ``residuals:<entry>``."""
    data = curves.get("entries", {})
    subjects = _subjects(record, data)
    if not subjects:
        raise NothingToDraw("no best candidate or baseline with per-item predictions of one target (with "
                            "several targets, see the error distributions)")
    return _draw(record, data, subjects, (curves.get("classes") or ["target"])[0])


@style.styled
def _draw(record: dict[str, Any], data: dict[str, Any], subjects: list[tuple[str, str]],
          target: str) -> Figure:
    figure = style.new_figure(11.5, 4.9)
    left, right = figure.subplots(1, 2)
    colours = (style.BEST, style.DARK_GREY)
    markers = ("o", "s")
    everything = []
    for (name, why), colour, marker in zip(subjects, colours, markers, strict=False):
        actual = np.asarray(data[name]["scatter"]["actual"])
        predicted = np.asarray(data[name]["scatter"]["predicted"])
        everything += [actual, predicted]
        label = f"{name} ({why})"
        left.scatter(actual, predicted, s=14, alpha=0.55, color=colour, marker=marker, edgecolors="none",
                     label=label, gid=f"scatter:{name}")
        right.scatter(predicted, predicted - actual, s=14, alpha=0.55, color=colour, marker=marker,
                      edgecolors="none", gid=f"residuals:{name}")
    values = np.concatenate(everything)
    low, high = float(values.min()), float(values.max())
    pad = 0.04 * (high - low or 1.0)
    left.plot([low - pad, high + pad], [low - pad, high + pad], color=style.GREY, linestyle="--", linewidth=1,
              gid="diagonal")
    left.set_xlim(low - pad, high + pad)
    left.set_ylim(low - pad, high + pad)
    left.set_xlabel(f"actual {target}")
    left.set_ylabel(f"predicted {target}")
    left.set_title("predicted against actual (on the dashed line = exact)", loc="left", fontsize=10)
    right.axhline(0, color=style.GREY, linestyle="--", linewidth=1)
    right.set_xlabel(f"predicted {target}")
    right.set_ylabel("residual (predicted − actual)")
    right.set_title("residuals by predicted value (a trend = bias)", loc="left", fontsize=10)
    for ax in (left, right):
        ax.grid(True, axis="both")
    figure.suptitle(f"{target}: predictions of the best candidate and the baseline", x=0.01, ha="left",
                    fontweight="bold", fontsize=12)
    figure.legend(loc="outside lower center", ncols=2, fontsize=8.5)
    return figure
