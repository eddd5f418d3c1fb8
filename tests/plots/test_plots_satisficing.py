"""The satisficing figure shows each constraint as a line, what it rules out as a shaded region, and
every entry as a labelled point; it exists only for satisficing strategies."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from plot_data import artists, by_gid, make_entry, make_record

from evalkit.plots import NothingToDraw
from evalkit.plots.satisficing import satisficing_figure


def panel(figure, metric: str):
    return next(ax for ax in figure.axes if ax.get_visible() and ax.get_title(loc="left").startswith(metric))


def test_one_panel_per_constrained_metric_with_the_threshold_line_at_the_constraint_value(satisficing_record):
    figure = satisficing_figure(satisficing_record)
    assert [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()] == ["recall ≥ 0.95",
                                                                                     "latency_ms ≤ 50"]
    assert np.allclose(by_gid(figure, "threshold:recall").get_xdata(), 0.95)
    assert np.allclose(by_gid(figure, "threshold:latency_ms").get_xdata(), 50)
    for metric in ("recall", "latency_ms"):
        assert panel(figure, metric).get_ylabel() == "precision"


def x_span(patch) -> tuple[float, float]:
    return patch.get_x(), patch.get_x() + patch.get_width()


def test_the_shaded_region_is_the_side_the_constraint_rules_out(satisficing_record):
    figure = satisficing_figure(satisficing_record)
    recall = panel(figure, "recall")  # recall >= 0.95: everything left of 0.95 is ruled out
    assert x_span(by_gid(figure, "infeasible_region:recall")) == pytest.approx((recall.get_xlim()[0], 0.95))
    latency = panel(figure, "latency_ms")  # latency_ms <= 50: everything right of 50
    shaded = x_span(by_gid(figure, "infeasible_region:latency_ms"))
    assert shaded == pytest.approx((50, latency.get_xlim()[1]))


def test_every_entry_with_both_values_is_a_labelled_point_at_its_metrics(satisficing_record):
    figure = satisficing_figure(satisficing_record)
    recall = panel(figure, "recall")
    points = {a.get_gid().split(":", 1)[1]: a for a in artists(figure, "point:") if a.axes is recall}
    # majority has no precision (it predicts no positive item), so it cannot be placed
    assert set(points) == {"alpha", "beta", "spec", "panel/majority_vote", "gamma", "rule"}
    assert (points["gamma"].get_xdata()[0], points["gamma"].get_ydata()[0]) == (0.90, 0.93)
    labels = {a.get_text() for a in recall.texts if (a.get_gid() or "").startswith("label:")}
    assert labels == set(points)
    note = next(t.get_text() for t in recall.texts if t.get_text().startswith("not shown"))
    assert note.endswith("majority")


def test_entries_that_violate_a_constraint_are_hollow_in_every_panel(satisficing_record):
    figure = satisficing_figure(satisficing_record)
    gamma = artists(figure, "point:gamma")
    assert len(gamma) == 2 and all(p.get_markerfacecolor() == "white" for p in gamma)
    assert all(p.get_markerfacecolor() != "white" for p in artists(figure, "point:beta"))


def test_a_cost_metric_spanning_decades_gets_a_log_axis(satisficing_record):
    figure = satisficing_figure(satisficing_record)
    assert panel(figure, "latency_ms").get_xscale() == "log"
    assert panel(figure, "recall").get_xscale() == "linear"


def test_point_labels_do_not_overlap_each_other(satisficing_record):
    # Crowd the recall panel: five entries within 0.012 of each other, precisions within 0.07.
    for entry, recall in zip(satisficing_record["entries"], [0.96, 0.961, 0.95, 0.962, 0.955], strict=False):
        entry["metrics"]["recall"] = recall
    figure = satisficing_figure(satisficing_record)
    figure.canvas.draw()
    boxes = [t.get_window_extent() for t in artists(figure, "label:")]
    assert len(boxes) == 6 + 3  # six labelled points on the recall panel, three with a latency
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)


def test_only_for_the_satisficing_strategy():
    record = make_record([make_entry("a", "candidate", "estimator", 0.9)], best="a", strongest=None,
                         strategy={"name": "average", "metrics": ["precision"], "weights": [1.0],
                                   "higher_is_better": True})
    with pytest.raises(NothingToDraw, match="not satisficing"):
        satisficing_figure(record)


def test_the_lower_bound_stays_in_view_when_that_baseline_has_no_point_on_the_panel():
    # A human annotator states no latency, so it has no point on the latency panel; its score is the
    # lower bound all the same, far above every candidate.
    strategy = {"name": "satisficing", "optimize": "precision", "higher_is_better": True,
                "constraints": {"latency_ms": "<= 30"}}
    entries = [make_entry("human", "baseline", "human", 0.9, metrics={"precision": 0.9}),
               make_entry("fast", "candidate", "predictions", 0.4,
                          metrics={"precision": 0.4, "latency_ms": 9}),
               make_entry("slow", "candidate", "predictions", 0.5, feasible=False,
                          metrics={"precision": 0.5, "latency_ms": 85})]
    figure = satisficing_figure(make_record(entries, best="fast", strongest="human", strategy=strategy))
    line = by_gid(figure, "lower_bound")
    low, high = panel(figure, "latency_ms").get_ylim()
    assert line.get_ydata()[0] == pytest.approx(0.9)
    assert low < 0.9 < high
    assert figure.get_figwidth() >= 11  # one panel still leaves room for the title and the legend row
