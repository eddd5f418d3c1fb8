"""PR and ROC curves: the best candidate, the strongest baseline and the human level in colour and in the
legend with their area, every other entry faded and counted once; a point per entry (its recorded
operating point, else its labels); a zoom where the constraints live, the only panel shaded;
one-vs-rest panels for multiclass, and no figure at all without scores."""

from __future__ import annotations

import numpy as np
import pytest
from plot_data import artists, binary_evalset, by_gid

from evalkit.curves import curve_record
from evalkit.entry import Entry
from evalkit.evalset import EvalSet
from evalkit.plots import NothingToDraw, highlight, style
from evalkit.plots.score_curves import pr_figure, roc_figure
from evalkit.predictions import Predictions

pytestmark = pytest.mark.figures


def _legend(figure) -> list[str]:
    """The legend's rows, with the wrapping of long rows (and the · it may replace) undone."""
    return [" ".join(t.get_text().replace(" · ", " ").split()) for t in figure.legends[0].get_texts()]


def test_best_strongest_and_human_in_colour_every_other_entry_faded(satisficing_record, binary_curves):
    figure = pr_figure(satisficing_record, binary_curves)
    full = figure.axes[0]
    lines = {a.get_gid().split(":")[2]: a for a in artists(figure, "curve:pos:") if a.axes is full}
    assert set(lines) == {"alpha", "beta", "gamma", "majority"}
    best = lines["alpha"]
    assert best.get_color() == style.BEST and best.get_alpha() == 1.0
    for name in ("beta", "gamma", "majority"):  # not highlighted: grey, thinner, see-through, underneath
        assert lines[name].get_color() == highlight.FADED
        assert lines[name].get_alpha() < 1 and lines[name].get_linewidth() < best.get_linewidth()
        assert lines[name].get_zorder() < best.get_zorder()
    points = {a.get_gid().split(":")[2]: a for a in artists(figure, "point:pos:") if a.axes is full}
    assert points["panel/majority_vote"].get_color() == style.HUMAN  # the human level, labels only
    assert points["spec"].get_color() == style.LOWER_BOUND  # the strongest baseline, stated numbers
    assert points["rule"].get_color() == highlight.FADED
    curve = binary_curves["entries"]["beta"]["curves"]["pos"]["pr"]
    assert list(lines["beta"].get_xdata()) == curve["recall"]
    assert list(lines["beta"].get_ydata()) == curve["precision"]


def test_the_legend_names_only_the_highlighted_entries_with_their_area(satisficing_record, binary_curves):
    legend = _legend(pr_figure(satisficing_record, binary_curves))
    ap = binary_curves["entries"]["alpha"]["curves"]["pos"]["pr"]["ap"]
    assert f"alpha best candidate AP {ap:.3f}" in legend
    assert "spec strongest baseline stated precision and recall" in legend
    assert "panel/majority_vote human level labels only: one point" in legend
    # beta, gamma, majority (curves) and rule (a point) are one row, not four look-alike entries
    assert "other entries (4), faded: values in the leaderboard" in legend
    assert not {text.split()[0] for text in legend} & {"beta", "gamma", "rule", "majority"}
    roc_legend = _legend(roc_figure(satisficing_record, binary_curves))
    auc = binary_curves["entries"]["alpha"]["curves"]["pos"]["roc"]["auc"]
    assert f"alpha best candidate AUC {auc:.3f}" in roc_legend
    # the stated precision/recall has no place on ROC axes: said so, not silently left out
    assert "spec strongest baseline not drawn: no values on these axes" in roc_legend


def test_every_marker_drawn_is_explained_in_the_legend(satisficing_record, binary_curves):
    legend = " ".join(_legend(pr_figure(satisficing_record, binary_curves)))
    assert "○ on a curve: where the entry's labels put it" in legend  # alpha's labels on its curve
    assert "filled marker: an entry without scores" in legend  # the rule, the vote, the stated numbers
    assert "constraint threshold" in legend and "ruled out by it" in legend
    assert "◇" not in legend  # no entry records an operating point here


def test_a_recorded_operating_point_is_marked_instead_of_the_labels(satisficing_record, binary_curves):
    best = satisficing_record["entries"][0]
    best["operating_point"] = {"threshold": 0.37, "metrics_at_point": {"precision": 0.91, "recall": 0.97,
                                                                        "specificity": 0.88}}
    pr, roc = pr_figure(satisficing_record, binary_curves), roc_figure(satisficing_record, binary_curves)
    point = next(a for a in artists(pr, "point:pos:alpha") if a.axes is pr.axes[0])
    assert (point.get_xdata()[0], point.get_ydata()[0]) == (0.97, 0.91) and point.get_marker() == "D"
    roc_point = next(a for a in artists(roc, "point:pos:alpha") if a.axes is roc.axes[0])
    assert (roc_point.get_xdata()[0], roc_point.get_ydata()[0]) == pytest.approx((0.12, 0.97))
    legend = _legend(pr)
    assert any(text.startswith("alpha best candidate") and "◇ at threshold 0.37" in text for text in legend)
    assert any(text.startswith("◇ on a curve: the entry's recorded") for text in legend)


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


def test_the_zoom_frames_the_constraints_and_the_highlighted_points(satisficing_record, binary_curves):
    figure = pr_figure(satisficing_record, binary_curves)
    full, zoom = figure.axes[:2]
    assert full.get_xlim() == pytest.approx((-0.01, 1.01))
    assert zoom.get_title(loc="left") == "zoomed in where the constraints live (recall ≥ 0.95)"
    (x0, x1), (y0, y1) = zoom.get_xlim(), zoom.get_ylim()
    assert x1 - x0 < 0.6 and y1 - y0 < 0.6
    assert x0 < 0.95 < x1  # the recall constraint is in the frame, with room on the ruled-out side
    for name in ("alpha", "spec", "panel/majority_vote"):
        point = next(a for a in artists(figure, f"point:pos:{name}") if a.axes is zoom)
        assert x0 <= point.get_xdata()[0] <= x1 and y0 <= point.get_ydata()[0] <= y1, name


def test_ruled_out_shading_only_in_the_zoom_the_full_range_keeps_the_line(satisficing_record, binary_curves):
    figure = pr_figure(satisficing_record, binary_curves)
    full, zoom = figure.axes[:2]
    assert not [a for a in artists(figure, "ruled_out:") if a.axes is full]
    assert [a for a in artists(figure, "constraint:recall") if a.axes is full]
    shade = next(a for a in artists(figure, "ruled_out:recall") if a.axes is zoom)
    assert shade.get_x() + shade.get_width() == pytest.approx(0.95)  # everything left of 0.95 is out
    assert shade.get_x() <= zoom.get_xlim()[0]


def test_without_constraints_the_zoom_frames_the_highlighted_entries(plain_record, binary_curves):
    plain_record["strategy"] = {"name": "average", "metrics": ["precision"], "weights": [1.0],
                                "higher_is_better": True}
    figure = roc_figure(plain_record, binary_curves)
    panels = [ax for ax in figure.axes if ax.get_visible()]
    if len(panels) == 2:
        assert panels[1].get_title(loc="left") == "zoomed in on the highlighted entries"
    assert not artists(figure, "ruled_out:") and not artists(figure, "constraint:")


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
        # where curves coincide, each panel still states the highlighted entries' own area
        auc = curves["entries"][record["best"]]["curves"][cls]["roc"]["auc"]
        assert f"best candidate: AUC {auc:.3f}" in by_gid(figure, f"areas:{cls}").get_text()
    assert "one-vs-rest" in figure.get_suptitle()
    areas = [curves["entries"][record["best"]]["curves"][c]["roc"]["auc"] for c in ("setosa", "versicolor",
                                                                                   "virginica")]
    mean = sum(areas) / 3
    assert f"{record['best']} best candidate mean AUC {mean:.3f}" in _legend(figure)


def test_a_single_class_eval_set_says_why_there_is_no_curve(satisficing_record):
    evalset = binary_evalset(50)
    evalset = EvalSet("binary", evalset.ids, np.ones(50, dtype=int), ("neg", "pos"), "test")
    scores = np.linspace(0, 1, 50)
    curves = curve_record([Entry("alpha", "candidate", "estimator", {},
                                 predictions=Predictions(labels=(scores > 0.5).astype(int), scores=scores))],
                          evalset)
    with pytest.raises(NothingToDraw, match="only one side of this class"):
        roc_figure(satisficing_record, curves)


def test_a_strongest_baseline_off_the_axes_gets_a_drawn_stand_in(satisficing_record, binary_curves):
    # spec states precision and recall: a point on PR axes, nothing on ROC axes
    roc = roc_figure(satisficing_record, binary_curves)
    rule = next(a for a in artists(roc, "point:pos:rule") if a.axes is roc.axes[0])
    assert rule.get_color() == style.DARK_GREY  # highlighted, not faded
    assert "rule best-ranked baseline drawn here labels only: one point" in _legend(roc)
    pr = pr_figure(satisficing_record, binary_curves)
    rule_on_pr = next(a for a in artists(pr, "point:pos:rule") if a.axes is pr.axes[0])
    assert rule_on_pr.get_color() == highlight.FADED  # spec is drawn there: no stand-in needed
