"""The metrics figure: one panel per metric, one bar per entry that reports it, intervals as whiskers,
each value printed beside its bar, unbounded metrics on their own (log) scale, text readable in the
report."""

from __future__ import annotations

import pytest
from matplotlib.collections import LineCollection
from plot_data import artists, build_satisficing_record, make_entry, make_record

from evalkit.plots.metric_bars import metric_names, metrics_figure, short_number

pytestmark = pytest.mark.figures


@pytest.fixture(scope="module")
def drawn():
    """The fixture record's figure, drawn once for the tests that only look at it."""
    figure = metrics_figure(build_satisficing_record())
    figure.canvas.draw()
    return figure


def visible(figure) -> list:
    return [ax for ax in figure.axes if ax.get_visible() and ax.get_title(loc="left")]


def value_texts(ax) -> list:
    """The panel's value column, top row first."""
    texts = [t for t in ax.texts if (t.get_gid() or "").startswith("value:")]
    return sorted(texts, key=lambda t: int(t.get_gid().rsplit(":", 1)[1]))


def value_column(ax) -> list[str]:
    return [t.get_text() for t in value_texts(ax)]


def test_the_strategys_metrics_come_first_then_the_rest(satisficing_record):
    assert metric_names(satisficing_record) == ["precision", "recall", "latency_ms"]


def test_one_panel_per_metric_titled_with_its_direction_and_scale(drawn):
    titles = [ax.get_title(loc="left") for ax in visible(drawn)]
    assert titles == ["precision ↑", "recall ↑", "latency_ms ↓ (log)"]  # latencies 0.01 to 80 ms


def test_rates_span_0_to_1_and_an_unbounded_metric_spanning_decades_gets_a_log_axis(drawn):
    precision, recall, latency = visible(drawn)
    assert precision.get_xlim() == (0.0, 1.0) and recall.get_xlim() == (0.0, 1.0)
    assert precision.get_xscale() == "linear" and latency.get_xscale() == "log"
    low, high = latency.get_xlim()
    assert low <= 0.01 and high >= 80  # every value in view


def test_one_huge_log_loss_does_not_flatten_the_others():
    entries = [make_entry(n, "candidate", "estimator", v, metrics={"log_loss": v})
               for n, v in (("a", 0.08), ("b", 0.12), ("c", 13.4))]
    record = make_record(entries, best="a", strongest=None)
    record["metric_directions"] = {"log_loss": "lower"}
    (ax,) = visible(metrics_figure(record))
    assert ax.get_xscale() == "log"
    left, right = ax.transAxes.inverted().transform(ax.transData.transform([(0.08, 0), (0.12, 0)]))[:, 0]
    # 0.08 and 0.12 stay apart by a visible share of the panel (on a linear axis to 14.5: 0.003).
    assert right - left > 0.03


def test_each_value_is_printed_beside_its_bar_and_a_missing_one_as_a_dash(drawn):
    precision, _, latency = visible(drawn)
    entries = build_satisficing_record()["entries"]
    precisions = [e["metrics"]["precision"] for e in entries]
    assert value_column(precision) == ["—" if p is None else f"{p:.3f}" for p in precisions]
    assert value_column(latency) == ["1.50", "12.0", "—", "—", "80.0", "—", "0.010"]
    # Right of the panel, where no bar or whisker reaches.
    assert min(t.get_window_extent().x0 for t in value_texts(latency)) >= latency.get_window_extent().x1


def test_text_stays_readable_at_the_size_report_html_shows_it(drawn):
    # report.html shows figures at most about 1,100 px wide; at 150 dpi a figure up to ~11.5 in shows
    # at 0.65 of its size or more, so 9 pt text stays above 5.8 pt... i.e. about 12 px on screen.
    assert drawn.get_figwidth() <= 11.5
    names = drawn.axes[0].get_yticklabels()
    values = value_texts(drawn.axes[0])
    assert min(t.get_fontsize() for t in [*names, *values]) >= 8.5
    assert len({round(ax.get_position().x0, 3) for ax in visible(drawn)}) <= 3  # at most three per row


def test_short_numbers_keep_the_precision_their_size_needs():
    assert [short_number(v) for v in (0.8734, 0.00012, 13.41, 154.2, 18023.0)] == [
        "0.873", "1.2e-04", "13.4", "154", "18,023"]


def test_one_bar_per_entry_that_reports_the_metric_with_its_value(drawn):
    figure = drawn
    satisficing_record = build_satisficing_record()
    latency = {b.get_gid().split(":")[2]: b.get_width() for b in artists(figure, "bar:latency_ms:")}
    assert latency == {"alpha": 1.5, "beta": 12.0, "gamma": 80.0, "majority": 0.01}
    top_to_bottom = sorted(artists(figure, "bar:recall:"), key=lambda b: b.get_y())
    recall = [b.get_gid().split(":")[2] for b in top_to_bottom]
    assert recall == [e["name"] for e in satisficing_record["entries"]]  # rank order, top to bottom
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels == [e["name"] for e in satisficing_record["entries"]]


def test_whiskers_span_each_interval(drawn):
    figure = drawn
    satisficing_record = build_satisficing_record()
    (whiskers,) = [a for a in artists(figure, "intervals:precision") if isinstance(a, LineCollection)]
    spans = sorted((seg[0, 0], seg[1, 0]) for seg in whiskers.get_segments())
    expected = sorted(tuple(e["ci"]["precision"]) for e in satisficing_record["entries"] if "ci" in e)
    # Flattened: pytest >= 9.2 refuses nested sequences in approx.
    assert len(spans) == len(expected)
    assert [x for span in spans for x in span] == pytest.approx([x for span in expected for x in span])


def test_no_whiskers_without_intervals(plain_record):
    assert not artists(metrics_figure(plain_record), "intervals:")


def test_an_unreported_metric_is_a_dash_not_a_bar(drawn):
    figure = drawn
    satisficing_record = build_satisficing_record()
    (dashes,) = artists(figure, "missing:latency_ms")
    names = [e["name"] for e in satisficing_record["entries"]]
    assert sorted(names[int(y)] for y in dashes.get_ydata()) == sorted(
        ["spec", "panel/majority_vote", "rule"])


def test_a_one_metric_strategys_metric_comes_first():
    entries = [make_entry("a", "candidate", "predictions", 0.5, metrics={"AP50": 0.8, "mAP": 0.5})]
    record = make_record(entries, best="a", strongest=None, strategy={"name": "map", "metric": "mAP"})
    record["metric_directions"] = {"AP50": "higher", "mAP": "higher"}
    assert metric_names(record) == ["mAP", "AP50"]
