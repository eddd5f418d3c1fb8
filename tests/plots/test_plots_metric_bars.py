"""The metrics figure: one panel per metric, one bar per entry that reports it, intervals as whiskers."""

from __future__ import annotations

import pytest
from matplotlib.collections import LineCollection
from plot_data import artists

from evalkit.plots.metric_bars import metric_names, metrics_figure


def test_the_strategys_metrics_come_first_then_the_rest(satisficing_record):
    assert metric_names(satisficing_record) == ["precision", "recall", "latency_ms"]


def test_one_panel_per_metric_titled_with_its_direction(satisficing_record):
    figure = metrics_figure(satisficing_record)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()]
    assert titles == ["precision ↑", "recall ↑", "latency_ms ↓"]


def test_one_bar_per_entry_that_reports_the_metric_with_its_value(satisficing_record):
    figure = metrics_figure(satisficing_record)
    latency = {b.get_gid().split(":")[2]: b.get_width() for b in artists(figure, "bar:latency_ms:")}
    assert latency == {"alpha": 1.5, "beta": 12.0, "gamma": 80.0, "majority": 0.01}
    top_to_bottom = sorted(artists(figure, "bar:recall:"), key=lambda b: b.get_y())
    recall = [b.get_gid().split(":")[2] for b in top_to_bottom]
    assert recall == [e["name"] for e in satisficing_record["entries"]]  # rank order, top to bottom
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == [e["name"] for e in satisficing_record["entries"]]


def test_whiskers_span_each_interval(satisficing_record):
    figure = metrics_figure(satisficing_record)
    (whiskers,) = [a for a in artists(figure, "intervals:precision") if isinstance(a, LineCollection)]
    spans = sorted((seg[0, 0], seg[1, 0]) for seg in whiskers.get_segments())
    expected = sorted(tuple(e["ci"]["precision"]) for e in satisficing_record["entries"] if "ci" in e)
    # Flattened: pytest >= 9.2 refuses nested sequences in approx.
    assert len(spans) == len(expected)
    assert [x for span in spans for x in span] == pytest.approx([x for span in expected for x in span])


def test_no_whiskers_without_intervals(plain_record):
    assert not artists(metrics_figure(plain_record), "intervals:")


def test_an_unreported_metric_is_a_dash_not_a_bar(satisficing_record):
    figure = metrics_figure(satisficing_record)
    (dashes,) = artists(figure, "missing:latency_ms")
    names = [e["name"] for e in satisficing_record["entries"]]
    assert sorted(names[int(y)] for y in dashes.get_ydata()) == sorted(
        ["spec", "panel/majority_vote", "rule"])
