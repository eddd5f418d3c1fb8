"""The satisficing figure shows each constraint as a labelled line, what it rules out as a shaded region,
and every entry as a point whose label is unmistakably its own; axes stay within each metric's range.
It exists only for satisficing strategies."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from plot_data import artists, build_satisficing_record, by_gid, make_entry, make_record

from evalkit.plots import NothingToDraw
from evalkit.plots.satisficing import satisficing_figure, uses_numbers

pytestmark = pytest.mark.figures


@pytest.fixture(scope="module")
def drawn():
    """The fixture record's figure, drawn once for the tests that only look at it (drawing is the cost)."""
    figure = satisficing_figure(build_satisficing_record())
    figure.canvas.draw()
    return figure


def gap(box, xy) -> float:
    """Distance from a point to a box (0 inside it), in pixels."""
    return float(np.hypot(max(box.x0 - xy[0], xy[0] - box.x1, 0), max(box.y0 - xy[1], xy[1] - box.y1, 0)))


def panel(figure, metric: str):
    return next(ax for ax in figure.axes if ax.get_visible() and ax.get_title(loc="left").startswith(metric))


def test_one_panel_per_constrained_metric_with_the_threshold_line_at_the_constraint_value(drawn):
    figure = drawn
    assert [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()] == ["recall ≥ 0.95",
                                                                                     "latency_ms ≤ 50"]
    assert np.allclose(by_gid(figure, "threshold:recall").get_xdata(), 0.95)
    assert np.allclose(by_gid(figure, "threshold:latency_ms").get_xdata(), 50)
    for metric in ("recall", "latency_ms"):
        assert panel(figure, metric).get_ylabel() == "precision"


def x_span(patch) -> tuple[float, float]:
    return patch.get_x(), patch.get_x() + patch.get_width()


def test_the_shaded_region_is_the_side_the_constraint_rules_out(drawn):
    figure = drawn
    recall = panel(figure, "recall")  # recall >= 0.95: everything left of 0.95 is ruled out
    assert x_span(by_gid(figure, "infeasible_region:recall")) == pytest.approx((recall.get_xlim()[0], 0.95))
    latency = panel(figure, "latency_ms")  # latency_ms <= 50: everything right of 50
    shaded = x_span(by_gid(figure, "infeasible_region:latency_ms"))
    assert shaded == pytest.approx((50, latency.get_xlim()[1]))


def test_every_entry_with_both_values_is_a_labelled_point_at_its_metrics(drawn):
    figure = drawn
    recall = panel(figure, "recall")
    points = {a.get_gid().split(":", 1)[1]: a for a in artists(figure, "point:") if a.axes is recall}
    # majority has no precision (it predicts no positive item), so it cannot be placed
    assert set(points) == {"alpha", "beta", "spec", "panel/majority_vote", "gamma", "rule"}
    assert (points["gamma"].get_xdata()[0], points["gamma"].get_ydata()[0]) == (0.90, 0.93)
    labels = {a.get_text() for a in recall.texts if (a.get_gid() or "").startswith("label:")}
    assert labels == set(points)
    note = next(t.get_text() for t in recall.texts if t.get_text().startswith("not shown"))
    assert note.endswith("majority")


def test_entries_that_violate_a_constraint_are_hollow_in_every_panel(drawn):
    figure = drawn
    gamma = artists(figure, "point:gamma")
    assert len(gamma) == 2 and all(p.get_markerfacecolor() == "white" for p in gamma)
    assert all(p.get_markerfacecolor() != "white" for p in artists(figure, "point:beta"))


def test_a_cost_metric_spanning_decades_gets_a_log_axis(drawn):
    figure = drawn
    assert panel(figure, "latency_ms").get_xscale() == "log"
    assert panel(figure, "recall").get_xscale() == "linear"


def test_only_for_the_satisficing_strategy():
    record = make_record([make_entry("a", "candidate", "estimator", 0.9)], best="a", strongest=None,
                         strategy={"name": "average", "metrics": ["precision"], "weights": [1.0],
                                   "higher_is_better": True})
    with pytest.raises(NothingToDraw, match="not satisficing"):
        satisficing_figure(record)


def test_the_lower_bound_stays_in_view_and_labelled_when_that_baseline_has_no_point_on_the_panel():
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
    assert by_gid(figure, "lower_bound_label").get_text() == "lower\nbound\n0.900"
    # One panel gets a width of its own, not two panels' worth of empty axes.
    assert figure.get_figwidth() < 9


def latency_record(latencies: list[float], recalls: list[float], precisions: list[float]) -> dict:
    entries = [make_entry(f"m{i}", "candidate", "estimator", p, feasible=lat <= 50 and r >= 0.95,
                          metrics={"precision": p, "recall": r, "latency_ms": lat})
               for i, (lat, r, p) in enumerate(zip(latencies, recalls, precisions, strict=True))]
    return make_record(entries, best="m0", strongest=None)


def test_axes_stay_within_each_metrics_range_and_a_latency_starts_at_0():
    # Points on the edges of their range (recall 1.0, precision 1.0) once pushed the axes to 1.15.
    figure = satisficing_figure(latency_record([12.0, 30.0, 85.0], [1.0, 0.97, 0.80], [1.0, 0.93, 0.99]))
    recall, latency = panel(figure, "recall"), panel(figure, "latency_ms")
    assert recall.get_xlim()[0] >= 0.0 and recall.get_xlim()[1] <= 1.0
    for ax in (recall, latency):
        assert ax.get_ylim()[1] <= 1.0
    assert latency.get_xscale() == "linear" and latency.get_xlim()[0] == 0.0
    assert all(not p.get_clip_on() for p in artists(figure, "point:"))  # a point on the edge stays whole


def test_each_constraint_line_is_labelled_above_its_panel(drawn):
    figure = drawn
    for metric, text in (("recall", "recall ≥ 0.95"), ("latency_ms", "latency_ms ≤ 50")):
        label = by_gid(figure, f"threshold_label:{metric}")
        assert label.get_text() == text
        assert label.get_window_extent().y0 >= panel(figure, metric).get_window_extent().y1 - 1


def test_no_label_covers_a_constraint_line_or_the_lower_bound_where_there_is_room(drawn):
    figure = drawn
    lines = [a.get_window_extent() for a in artists(figure, "threshold:") + artists(figure, "lower_bound")
             if not a.get_gid().endswith("label")]
    for label in artists(figure, "label:"):
        assert not any(label.get_window_extent().overlaps(line) for line in lines), label.get_text()


def test_crowded_labels_do_not_overlap_and_each_is_nearest_its_own_point_or_tied_to_it(satisficing_record):
    # Crowd the recall panel: five entries within 0.012 of each other, precisions within 0.07.
    for entry, recall in zip(satisficing_record["entries"], [0.96, 0.961, 0.95, 0.962, 0.955], strict=False):
        entry["metrics"]["recall"] = recall
    figure = satisficing_figure(satisficing_record)
    figure.canvas.draw()
    boxes = [t.get_window_extent() for t in artists(figure, "label:")]
    assert len(boxes) == 6 + 3  # six labelled points on the recall panel, three with a latency
    for a, b in itertools.combinations(boxes, 2):
        assert not a.overlaps(b)
    for ax in figure.axes:
        points = {p.get_gid().split(":", 1)[1]: ax.transData.transform((p.get_xdata()[0], p.get_ydata()[0]))
                  for p in artists(figure, "point:") if p.axes is ax}
        for label in (t for t in ax.texts if (t.get_gid() or "").startswith("label:")):
            if label.arrow_patch is not None:  # a leader line ties it to its point
                continue
            box = label.get_window_extent()
            own = label.get_gid().split(":", 1)[1]
            nearest = min(points, key=lambda name: gap(box, points[name]))
            assert gap(box, points[nearest]) >= gap(box, points[own]) - 1.0, (own, nearest)


def test_many_entries_or_long_names_are_numbered_by_rank_with_a_key():
    names = [f"candidate_model_with_a_long_descriptive_name_{i}" for i in range(12)]
    entries = [make_entry(name, "candidate", "estimator", 0.9 - i / 100, feasible=i % 2 == 0,
                          metrics={"precision": 0.9 - i / 100, "recall": 0.9 + i / 200,
                                   "latency_ms": 5.0 + i})
               for i, name in enumerate(names)]
    record = make_record(entries, best=names[0], strongest=None)
    assert uses_numbers(record)
    figure = satisficing_figure(record)
    labels = {a.get_gid().split(":", 1)[1]: a.get_text() for a in artists(figure, "label:")
              if a.axes is panel(figure, "recall")}
    assert labels == {name: str(rank) for rank, name in enumerate(names, start=1)}
    key = [t.get_text() for t in figure.legends[0].get_texts()]
    assert key[0].replace("\n    ", "") == f" 1  {names[0]}" and len(key) == 12
