"""The leaderboard figure answers: who wins by the single number, how far above the lower bound, and
which entries the constraints rule out. It promises an honest axis (from 0, within the score's range),
feasible entries distinct from infeasible ones, and reference lines that never cover a value. Each
test inspects the figure's artists."""

from __future__ import annotations

import itertools

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from plot_data import artists, build_satisficing_record, by_gid, make_entry, make_record

from evalkit.plots import NothingToDraw, style
from evalkit.plots.leaderboard import FADED, leaderboard_figure, value_format

pytestmark = pytest.mark.figures


@pytest.fixture(scope="module")
def drawn():
    """The fixture record's leaderboard, drawn once for the tests that only look at it."""
    figure = leaderboard_figure(build_satisficing_record())
    figure.canvas.draw()
    return figure


def bars(figure) -> dict[str, object]:
    return {b.get_gid().split(":", 1)[1]: b for b in artists(figure, "bar:")}


def texts(figure, prefix: str) -> dict[str, str]:
    return {t.get_gid().split(":", 1)[1]: t.get_text() for t in artists(figure, prefix)}


def test_one_bar_per_scored_entry_top_to_bottom_in_rank_order_with_the_score_as_length(drawn):
    figure = drawn
    scored = [e for e in build_satisficing_record()["entries"] if e["score"] is not None]
    top_to_bottom = sorted(artists(figure, "bar:"), key=lambda b: b.get_y())
    assert [b.get_gid() for b in top_to_bottom] == [f"bar:{e['name']}" for e in scored]
    assert {n: b.get_width() for n, b in bars(figure).items()} == pytest.approx(
        {e["name"]: e["score"] for e in scored})
    assert all(b.get_x() == 0 for b in top_to_bottom)  # every bar starts at 0
    ticks = [t.get_text().replace("\n", "") for t in figure.axes[0].get_yticklabels()]
    assert ticks == [e["name"] for e in build_satisficing_record()["entries"]]


def test_a_rate_is_drawn_on_its_whole_range_from_0_to_1(drawn):
    # Scores 0.90–0.97 with intervals up to 0.99: the axis neither zooms in nor runs past 1.
    assert drawn.axes[0].get_xlim() == (0.0, 1.0)


def test_an_f1_whose_interval_reaches_1_never_gets_an_axis_past_1():
    strategy = {"name": "satisficing", "optimize": "f1", "constraints": {}, "higher_is_better": True}
    record = make_record([make_entry("a", "candidate", "estimator", 0.99, metrics={"f1": 0.99},
                                     ci={"score": [0.95, 1.0]}),
                          make_entry("b", "baseline", "rule", 0.2, metrics={"f1": 0.2})],
                         best="a", strongest="b", strategy=strategy)
    assert leaderboard_figure(record).axes[0].get_xlim() == (0.0, 1.0)


def test_an_unbounded_lower_is_better_score_starts_at_0_and_says_so():
    strategy = {"name": "satisficing", "optimize": "log_loss", "constraints": {}, "higher_is_better": False}
    record = make_record([make_entry("a", "candidate", "estimator", 0.05, metrics={"log_loss": 0.05}),
                          make_entry("b", "baseline", "rule", 13.4, metrics={"log_loss": 13.4})],
                         best="a", strongest="b", strategy=strategy)
    axis = leaderboard_figure(record).axes[0]
    assert axis.get_xlabel() == "log_loss (lower is better)"
    low, high = axis.get_xlim()
    assert low == 0.0 and 13.4 < high < 13.4 * 1.1


def test_the_lower_bound_and_the_human_level_are_separate_labelled_lines(drawn):
    figure = drawn
    assert np.allclose(by_gid(figure, "lower_bound").get_xdata(), 0.90)  # spec, the strongest baseline
    assert np.allclose(by_gid(figure, "human_level").get_xdata(), 0.96)
    assert by_gid(figure, "lower_bound").get_color() != by_gid(figure, "human_level").get_color()
    assert by_gid(figure, "lower_bound_label").get_text() == "lower bound 0.900"
    assert by_gid(figure, "human_level_label").get_text() == "human level 0.960"
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "lower bound: spec" in legend and "human level: panel/majority_vote" in legend


def test_no_reference_line_or_label_covers_a_value_and_no_two_labels_overlap(drawn):
    # The human level at 0.96 sits 0.06 from the lower bound: on one row their labels would collide.
    figure = drawn
    bars_axes = figure.axes[0]
    values = [t.get_window_extent() for t in artists(figure, "value:") + artists(figure, "status:")]
    references = [by_gid(figure, g).get_window_extent() for g in ("lower_bound_label", "human_level_label")]
    lines = [by_gid(figure, g).get_window_extent() for g in ("lower_bound", "human_level")]
    assert not references[0].overlaps(references[1])
    for a, b in itertools.combinations(values, 2):
        assert not a.overlaps(b)
    for value in values:  # the values live right of the bars' axes, where the lines do not reach
        assert value.x0 > bars_axes.get_window_extent().x1
        assert not any(value.overlaps(other) for other in references + lines)
    for label in references:  # above the bars: no bar, whisker or value under them
        assert label.y0 >= bars_axes.get_window_extent().y1 - 1


def test_each_row_states_its_score_interval_and_status(drawn):
    figure = drawn
    values = texts(figure, "value:")
    assert values["alpha"] == "0.970 [0.930, 0.990]"
    assert values["spec"] == "0.900"  # an external number: no interval
    assert values["majority"] == "no score"
    assert texts(figure, "status:") == {"beta": "fragile (60%)", "panel/majority_vote": "infeasible",
                                        "gamma": "infeasible", "rule": "infeasible"}


def test_a_constraint_decided_within_the_latency_spread_flags_the_entry_fragile(satisficing_record):
    for entry in satisficing_record["entries"]:
        if entry["name"] == "alpha":  # feasible with every resample: fragile only by its measured latency
            entry["fragile_constraints"] = ["latency_ms <= 50 decided within the spread 41–57 ms"]
    status = texts(leaderboard_figure(satisficing_record), "status:")
    assert status["alpha"] == "fragile (spread)" and status["beta"] == "fragile (60%)"


def test_infeasible_entries_are_faded_and_ranked_below_a_divider(drawn):
    figure = drawn
    drawn = bars(figure)
    assert drawn["gamma"].get_alpha() == FADED and drawn["rule"].get_alpha() == FADED
    assert drawn["alpha"].get_alpha() == 1 and drawn["spec"].get_alpha() == 1
    # alpha, beta, spec are feasible (rows 0–2); the divider runs between spec and panel/majority_vote.
    assert np.allclose(by_gid(figure, "feasibility_divider").get_ydata(), 2.5)
    legend = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "faded: infeasible (violates a constraint)" in legend


def test_no_divider_when_every_entry_is_feasible(plain_record):
    for entry in plain_record["entries"]:
        entry["feasible"] = entry["score"] is not None
    assert not artists(leaderboard_figure(plain_record), "feasibility_divider")


def test_intervals_are_whiskers_from_low_to_high_and_external_numbers_have_none(drawn):
    figure = drawn
    whiskers = {a.get_gid().split(":", 1)[1]: a for a in artists(figure, "interval:")
                if isinstance(a, LineCollection)}
    assert set(whiskers) == {"alpha", "beta", "panel/majority_vote", "gamma", "rule"}
    (segment,) = whiskers["alpha"].get_segments()
    assert segment[:, 1] == pytest.approx([0, 0])  # alpha's row, the first
    assert segment[:, 0] == pytest.approx([0.93, 0.99])
    legend = " ".join(t.get_text() for t in figure.legends[0].get_texts())
    assert "95% bootstrap interval" in legend and "external numbers have none" in legend


def test_no_whiskers_and_no_interval_column_without_intervals(plain_record):
    figure = leaderboard_figure(plain_record)
    assert not artists(figure, "interval:")
    assert by_gid(figure, "value_header").get_text() == "score"
    assert "interval" not in " ".join(t.get_text() for t in figure.legends[0].get_texts())


def test_the_best_candidate_baselines_and_people_look_different(drawn):
    figure = drawn
    drawn = bars(figure)
    assert mcolors.to_hex(drawn["alpha"].get_facecolor()) == style.BEST.lower()
    assert mcolors.to_hex(drawn["beta"].get_facecolor()) == style.CANDIDATE.lower()
    assert mcolors.to_hex(drawn["panel/majority_vote"].get_facecolor()) == style.HUMAN_LIGHT.lower()
    assert drawn["alpha"].get_linewidth() > drawn["beta"].get_linewidth()
    assert not drawn["beta"].get_hatch() and drawn["spec"].get_hatch() and drawn["rule"].get_hatch()
    ticks = {t.get_text(): t.get_fontweight() for t in figure.axes[0].get_yticklabels()}
    assert ticks["alpha"] == "bold" and ticks["beta"] == "normal"


def test_the_subtitle_states_the_strategy_the_bound_and_the_margin(drawn):
    subtitle = drawn.axes[0].get_title(loc="left")
    assert "maximize precision subject to recall >= 0.95" in subtitle
    assert "lower bound: spec 0.900" in subtitle and "margin +0.070" in subtitle


def test_long_names_are_broken_onto_two_lines_not_cut():
    name = "logistic_regression_standardized_l2_strong_regularization"
    record = make_record([make_entry(name, "candidate", "estimator", 0.8)], best=name, strongest=None)
    (tick,) = leaderboard_figure(record).axes[0].get_yticklabels()
    assert tick.get_text().count("\n") == 1 and tick.get_text().replace("\n", "") == name


def test_values_get_the_digits_their_size_needs():
    assert value_format([0.91, 0.873]).format(0.91234) == "0.912"
    assert value_format([44.22, 58.31]).format(44.2201) == "44.2"
    assert value_format([18023.4]).format(18023.4) == "18,023"


def test_nothing_to_draw_when_no_entry_has_a_score():
    record = make_record([make_entry("a", "candidate", "estimator", None)], best=None, strongest=None)
    with pytest.raises(NothingToDraw, match="no entry has a score"):
        leaderboard_figure(record)


def test_without_baselines_or_a_feasible_candidate_it_still_draws_and_says_so():
    record = make_record([make_entry("a", "candidate", "estimator", 0.8, feasible=False),
                          make_entry("b", "candidate", "estimator", 0.7, feasible=False)],
                         best=None, strongest=None)
    figure = leaderboard_figure(record)
    assert not artists(figure, "lower_bound")
    assert "no feasible candidate" in figure.axes[0].get_title(loc="left")
    assert set(texts(figure, "status:").values()) == {"infeasible"}
