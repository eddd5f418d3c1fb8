"""The threshold figure: precision and recall (and, with costs, the expected cost) of one scoring entry
against its decision threshold.

Drawn for the best candidate (the top-ranked scoring candidate stands in, marked as such, when none
is feasible): its precision and recall at every threshold on the evaluated items (``curves.json``'s
``threshold_curve``), the chosen threshold as a vertical line, the band the per-fold thresholds span
(cross_fit), and each constraint on precision or recall as a horizontal line. Reads only the records.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from evalkit.plots import NothingToDraw, style
from evalkit.plots.satisficing import constraints_of
from evalkit.tasks.classification.class_metrics import metric_name

CURVE_METRICS = {"precision": "#0072B2", "recall": "#D55E00"}  # Okabe-Ito blue and vermillion
COST = "expected_cost"
COST_COLOUR = "#009E73"  # Okabe-Ito bluish green


def threshold_subject(record: dict[str, Any], curves: dict[str, Any]) -> tuple[str, str] | None:
    """``(entry name, title)`` to draw: the best candidate, or the top-ranked one with a threshold curve."""
    data = curves.get("entries", {})
    with_curve = [e for e in record["entries"] if e["role"] == "candidate"
                  and (data.get(e["name"]) or {}).get("threshold_curve")]
    best = record.get("best")
    for entry in with_curve:
        if entry["name"] == best:
            return best, f"best candidate: {best}"
    if with_curve:
        name = with_curve[0]["name"]
        why = "no candidate is feasible" if not best else f"the best candidate, {best}, has no scores"
        return name, f"top-ranked candidate with scores: {name} ({why})"
    return None


@style.styled
def threshold_figure(record: dict[str, Any], curves: dict[str, Any]) -> Figure:
    """Draw precision and recall against the threshold; artists carry ``gid`` tags ``curve:<metric>``,
    ``chosen``, ``fold_spread``, ``fold:<i>`` and ``constraint:<metric>``."""
    subject = threshold_subject(record, curves)
    if subject is None:
        raise NothingToDraw("no candidate has an operating point on scores (operating_point.choose_on is "
                            "fixed, or no candidate gives scores)")
    name, title = subject
    curve = curves["entries"][name]["threshold_curve"]
    point = next(e for e in record["entries"] if e["name"] == name).get("operating_point") or {}
    # A multiclass operating point thresholds one class's score against the rest: its precision and
    # recall are that class's, and its constraints are named recall_of_<class>.
    cls = point.get("class")
    of = "" if cls is None else f" of {cls}"
    constrained = {metric if cls is None else metric_name(metric, str(cls)): metric
                   for metric in CURVE_METRICS}
    figure = style.new_figure(7.2, 4.6)
    ax = figure.add_subplot()
    handles: list[Any] = []
    for metric, colour in CURVE_METRICS.items():
        # Stored highest threshold first; the value at threshold t holds down to the next lower score.
        (line,) = ax.plot(curve["threshold"][::-1], curve[metric][::-1], color=colour, lw=1.8,
                          drawstyle="steps-pre", label=metric + of, gid=f"curve:{metric}")
        handles.append(line)
    cost_ax = None
    if COST in curve:  # the run has costs: what a wrong decision costs, per item, on its own axis
        cost_ax = ax.twinx()
        (line,) = cost_ax.plot(curve["threshold"][::-1], curve[COST][::-1], color=COST_COLOUR, lw=1.8,
                               drawstyle="steps-pre", label="expected cost per item (right axis)",
                               gid=f"curve:{COST}")
        handles.append(line)
        cost_ax.set_ylim(0, max(max(curve[COST]), 1e-9) * 1.05)
        cost_ax.set_ylabel("expected cost per item", color=COST_COLOUR)
        cost_ax.grid(False)  # the left axis's grid is the one to read by
    folds = [t for t in point.get("fold_thresholds") or [] if isinstance(t, int | float)]
    if len(folds) > 1:
        ax.axvspan(min(folds), max(folds), color="0.85", zorder=0, gid="fold_spread")
        for i, value in enumerate(folds):
            ax.plot([value, value], [0, 0.04], color="0.35", lw=1.2, gid=f"fold:{i}")
        handles.append(Patch(color="0.85",
                             label=f"fold thresholds ({len(folds)} folds; ticks at the bottom)"))
    chosen = point.get("threshold")
    if isinstance(chosen, int | float):
        ax.axvline(chosen, color="black", lw=1.4, gid="chosen")
        handles.append(Line2D([], [], color="black", lw=1.4,
                              label=f"chosen threshold {chosen:.4g} ({point.get('choose_on', '')})"))
    for constraint in constraints_of(record) if record["strategy"].get("name") == "satisficing" else []:
        if constraint.metric == COST and cost_ax is not None:
            cost_ax.axhline(constraint.threshold, color=COST_COLOUR, ls=":", lw=1.3, gid=f"constraint:{COST}")
            handles.append(Line2D([], [], color=COST_COLOUR, ls=":", label=f"constraint {constraint}"))
        if constraint.metric in constrained:
            colour = CURVE_METRICS[constrained[constraint.metric]]
            ax.axhline(constraint.threshold, color=colour, ls=":", lw=1.3,
                       gid=f"constraint:{constraint.metric}")
            handles.append(Line2D([], [], color=colour, ls=":", label=f"constraint {constraint}"))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("threshold (score >= threshold is positive)" if cls is None
                  else f"threshold (score of {cls} >= threshold decides {cls}; below it, the next class)")
    ax.set_ylabel("value on the evaluated items")
    confidence, constrained = point.get("confidence"), point.get("rule_constraints")
    lines = [title] + ([f"rule: {point['rule']}"] if isinstance(point.get("rule"), str) else [])
    if confidence is not None and constrained != []:  # no constraint, no bound to state
        lines.append(f"constraints met at {confidence:g} confidence on the choosing data")
    ax.set_title("\n".join(lines))
    ax.grid(True, alpha=0.3)
    if cost_ax is None:
        ax.legend(handles=handles, loc="best", fontsize="small", framealpha=0.9)
    else:  # two axes' curves leave no free corner: the legend goes below the panel
        figure.legend(handles=handles, loc="outside lower center", ncols=2, fontsize="small")
    return figure
