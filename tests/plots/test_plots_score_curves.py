"""PR and ROC curves: a line per entry that gives scores (baselines dashed), an operating point per
entry that gives labels, one-vs-rest panels for multiclass, and no figure at all without scores."""

from __future__ import annotations

import numpy as np
import pytest
from plot_data import artists, binary_evalset

from evalkit.curves import curve_record
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.plots import NothingToDraw
from evalkit.plots.score_curves import pr_figure, roc_figure
from evalkit.predictions import Predictions


def test_binary_a_line_per_scored_entry_candidates_solid_baselines_dashed(satisficing_record, binary_curves):
    figure = pr_figure(satisficing_record, binary_curves)
    full = figure.axes[0]
    lines = {a.get_gid().split(":")[2]: a for a in artists(figure, "curve:pos:") if a.axes is full}
    assert set(lines) == {"alpha", "beta", "gamma", "majority"}
    assert {lines[n].get_linestyle() for n in ("alpha", "beta", "gamma")} == {"-"}
    assert lines["majority"].get_linestyle() == "--"
    assert lines["alpha"].get_linewidth() > lines["beta"].get_linewidth()  # the best candidate stands out
    curve = binary_curves["entries"]["beta"]["curves"]["pos"]["pr"]
    assert list(lines["beta"].get_xdata()) == curve["recall"]
    assert list(lines["beta"].get_ydata()) == curve["precision"]


def test_the_legend_gives_each_curves_area(satisficing_record, binary_curves):
    legend = [t.get_text() for t in pr_figure(satisficing_record, binary_curves).legends[0].get_texts()]
    ap = binary_curves["entries"]["alpha"]["curves"]["pos"]["pr"]["ap"]
    assert f"alpha (AP {ap:.3f})" in legend
    assert "rule (labels only)" in legend and "spec (stated)" in legend


def test_labels_only_and_stated_entries_appear_as_operating_points(satisficing_record, binary_curves):
    figure = pr_figure(satisficing_record, binary_curves)
    full = figure.axes[0]
    matrix = np.array(binary_curves["entries"]["rule"]["confusion"])
    rule = next(a for a in artists(figure, "point:pos:rule") if a.axes is full)
    recall = matrix[1, 1] / matrix[1].sum()
    precision = matrix[1, 1] / matrix[:, 1].sum()
    assert (rule.get_xdata()[0], rule.get_ydata()[0]) == pytest.approx((recall, precision))
    spec = next(a for a in artists(figure, "point:pos:spec") if a.axes is full)
    assert (spec.get_xdata()[0], spec.get_ydata()[0]) == (0.95, 0.90)  # stated recall, precision


def test_a_zoomed_panel_frames_the_crowded_operating_points(satisficing_record, binary_curves):
    figure = roc_figure(satisficing_record, binary_curves)
    full, zoom = figure.axes[:2]
    assert full.get_xlim() == pytest.approx((-0.01, 1.01))
    assert zoom.get_title(loc="left") == "zoomed in on the operating points"
    (x0, x1), (y0, y1) = zoom.get_xlim(), zoom.get_ylim()
    assert x1 - x0 < 0.6 or y1 - y0 < 0.6
    points = [a for a in artists(figure, "point:pos:") if a.axes is zoom]
    inside = [x0 <= p.get_xdata()[0] <= x1 and y0 <= p.get_ydata()[0] <= y1 for p in points]
    trivial = [(p.get_xdata()[0], p.get_ydata()[0]) == (0, 0) for p in points]  # "always negative"
    assert all(i or t for i, t in zip(inside, trivial, strict=True)) and sum(inside) >= 4


def test_constraints_on_precision_or_recall_shade_what_they_rule_out(satisficing_record, binary_curves):
    figure = pr_figure(satisficing_record, binary_curves)
    shade = next(a for a in artists(figure, "ruled_out:recall") if a.axes is figure.axes[0])
    assert (shade.get_x(), shade.get_x() + shade.get_width()) == pytest.approx((0.0, 0.95))


def test_no_scores_no_curve_figure(satisficing_record, binary_curves):
    for entry in binary_curves["entries"].values():
        entry.pop("curves", None)
    with pytest.raises(NothingToDraw, match="no entry gives scores"):
        pr_figure(satisficing_record, binary_curves)
    with pytest.raises(NothingToDraw, match="no entry gives scores"):
        roc_figure(satisficing_record, binary_curves)


def test_multiclass_one_vs_rest_panel_per_class(iris_run):
    record, curves = iris_run
    figure = roc_figure(record, curves)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title(loc="left") for ax in panels] == ["setosa", "versicolor", "virginica"]
    for ax, cls in zip(panels, ["setosa", "versicolor", "virginica"], strict=True):
        names = {a.get_gid().split(":")[2] for a in artists(figure, f"curve:{cls}:") if a.axes is ax}
        assert names == {"logreg", "tree", "prior"}
    assert "one-vs-rest" in figure.get_suptitle()


def test_a_single_class_eval_set_says_why_there_is_no_curve(satisficing_record):
    evalset = binary_evalset(50)
    evalset = EvalSet("binary", evalset.ids, np.ones(50, dtype=int), ("neg", "pos"), "test")
    scores = np.linspace(0, 1, 50)
    curves = curve_record([Entry("alpha", "candidate", "estimator", {},
                                 predictions=Predictions(labels=(scores > 0.5).astype(int), scores=scores))],
                          evalset)
    with pytest.raises(NothingToDraw, match="only one side of this class"):
        roc_figure(satisficing_record, curves)
