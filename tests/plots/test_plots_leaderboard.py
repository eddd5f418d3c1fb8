"""The leaderboard figure answers: who wins by the single number, how far above the lower bound, and
which entries the constraints rule out. Each test inspects the figure's artists."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pytest
from matplotlib.collections import LineCollection
from plot_data import artists, by_gid, make_entry, make_record

from evalkit.plots import NothingToDraw, style
from evalkit.plots.leaderboard import leaderboard_figure


def bar_heights(figure) -> dict[str, float]:
    return {b.get_gid().split(":", 1)[1]: b.get_height() for b in artists(figure, "bar:")}


def test_one_bar_per_scored_entry_in_rank_order_with_the_score_as_height(satisficing_record):
    figure = leaderboard_figure(satisficing_record)
    bars = artists(figure, "bar:")
    scored = [e for e in satisficing_record["entries"] if e["score"] is not None]
    left_to_right = sorted(bars, key=lambda b: b.get_x())
    assert [b.get_gid() for b in left_to_right] == [f"bar:{e['name']}" for e in scored]
    assert bar_heights(figure) == pytest.approx({e["name"]: e["score"] for e in scored})
    ticks = [t.get_text() for t in figure.axes[0].get_xticklabels()]
    assert ticks == [e["name"] for e in satisficing_record["entries"]]


def test_an_entry_without_a_score_gets_a_note_instead_of_a_bar(satisficing_record):
    figure = leaderboard_figure(satisficing_record)
    assert "majority" not in bar_heights(figure)
    assert by_gid(figure, "no_score:majority").get_text() == "no score"


def test_the_lower_bound_line_sits_at_the_strongest_baselines_score(satisficing_record):
    line = by_gid(leaderboard_figure(satisficing_record), "lower_bound")
    assert np.allclose(line.get_ydata(), 0.90)  # spec, the strongest baseline
    assert line.get_xdata() == [0, 1]  # axhline: spans the whole axes


def test_the_human_level_is_marked_only_when_the_run_has_one(satisficing_record, plain_record):
    line = by_gid(leaderboard_figure(satisficing_record), "human_level")
    assert np.allclose(line.get_ydata(), 0.96)
    legend = leaderboard_figure(satisficing_record).axes[0].get_legend()
    assert "human level: panel/majority_vote" in [t.get_text().replace("\n", " ") for t in legend.get_texts()]
    assert not artists(leaderboard_figure(plain_record), "human_level")


def test_intervals_are_error_bars_from_low_to_high_and_external_numbers_have_none(satisficing_record):
    figure = leaderboard_figure(satisficing_record)
    whiskers = {a.get_gid().split(":", 1)[1]: a for a in artists(figure, "interval:")
                if isinstance(a, LineCollection)}
    assert set(whiskers) == {"alpha", "beta", "panel/majority_vote", "gamma", "rule"}
    (segment,) = whiskers["alpha"].get_segments()
    assert segment[:, 0] == pytest.approx([0, 0])  # alpha's bar
    assert segment[:, 1] == pytest.approx([0.93, 0.99])
    legend = " ".join(t.get_text() for t in figure.axes[0].get_legend().get_texts())
    assert "95% bootstrap interval" in legend and "external numbers have none" in legend


def test_no_error_bars_without_intervals(plain_record):
    figure = leaderboard_figure(plain_record)
    assert not artists(figure, "interval:")
    legend = " ".join(t.get_text() for t in figure.axes[0].get_legend().get_texts())
    assert "interval" not in legend


def test_the_best_candidate_is_highlighted_and_baselines_look_different_from_candidates(satisficing_record):
    bars = {b.get_gid().split(":", 1)[1]: b for b in artists(leaderboard_figure(satisficing_record), "bar:")}
    best, other = bars["alpha"], bars["beta"]
    assert mcolors.to_hex(best.get_facecolor()) == style.BEST.lower()
    assert mcolors.to_hex(other.get_facecolor()) == style.CANDIDATE.lower()
    assert best.get_linewidth() > other.get_linewidth()
    assert not other.get_hatch() and bars["spec"].get_hatch() and bars["rule"].get_hatch()
    axis = leaderboard_figure(satisficing_record).axes[0]
    ticks = {t.get_text(): t.get_fontweight() for t in axis.get_xticklabels()}
    assert ticks["alpha"] == "bold" and ticks["beta"] == "normal"


def test_infeasible_entries_are_faded_and_crossed(satisficing_record):
    figure = leaderboard_figure(satisficing_record)
    crossed = {a.get_gid().split(":", 1)[1] for a in artists(figure, "infeasible:")}
    assert crossed == {"panel/majority_vote", "gamma", "rule"}  # majority has no bar to cross
    bars = {b.get_gid().split(":", 1)[1]: b for b in artists(figure, "bar:")}
    assert bars["gamma"].get_alpha() < 1 and bars["alpha"].get_alpha() == 1
    cross = by_gid(figure, "infeasible:gamma")
    assert cross.get_xdata() == [4]  # under gamma's bar, the fifth entry


def test_a_feasible_but_fragile_entry_is_flagged_with_its_share(satisficing_record):
    figure = leaderboard_figure(satisficing_record)
    flags = artists(figure, "fragile:")
    assert [f.get_gid() for f in flags] == ["fragile:beta"]
    assert "60%" in flags[0].get_text()


def test_a_constraint_decided_within_the_latency_spread_flags_the_entry_fragile(satisficing_record):
    for entry in satisficing_record["entries"]:
        if entry["name"] == "alpha":  # feasible with every resample: fragile only by its measured latency
            entry["fragile_constraints"] = ["latency_ms <= 50 decided within the spread 41–57 ms"]
    flags = {f.get_gid(): f.get_text() for f in artists(leaderboard_figure(satisficing_record), "fragile:")}
    assert set(flags) == {"fragile:alpha", "fragile:beta"}
    assert "spread" in flags["fragile:alpha"] and "60%" in flags["fragile:beta"]


def test_the_subtitle_states_the_strategy_the_bound_and_the_margin(satisficing_record):
    subtitle = leaderboard_figure(satisficing_record).axes[0].get_title(loc="left")
    assert "maximize precision subject to recall >= 0.95" in subtitle
    assert "lower bound: spec 0.900" in subtitle and "margin +0.070" in subtitle


def test_a_lower_is_better_score_says_so_on_its_axis():
    record = make_record([make_entry("a", "candidate", "estimator", 0.05, metrics={"log_loss": 0.05}),
                          make_entry("b", "baseline", "rule", 0.4, metrics={"log_loss": 0.4})],
                         best="a", strongest="b",
                         strategy={"name": "satisficing", "optimize": "log_loss", "constraints": {},
                                   "higher_is_better": False})
    axis = leaderboard_figure(record).axes[0]
    assert axis.get_ylabel() == "log_loss (lower is better)"
    assert axis.get_ylim()[0] == 0.0  # zoomed, but non-negative scores never get a negative axis


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
    assert len(artists(figure, "infeasible:")) == 2
