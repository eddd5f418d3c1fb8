"""The reliability diagram: the best candidate and the strongest scoring baseline highlighted, at most six
lines, bin shares below, and no figure when the run has no calibration metrics."""

from __future__ import annotations

from typing import Any

import pytest
from plot_data import make_entry, make_record

from evalkit.plots import NothingToDraw
from evalkit.plots.reliability import MAX_LINES, reliability_figure, reliability_subjects
from evalkit.plots.render import FIGURES


def table(shift: float) -> dict[str, list[float]]:
    return {"forecast": [0.1, 0.5, 0.9], "observed": [0.1 + shift, 0.5, 0.9 - shift], "count": [10, 5, 25]}


def calibrated_run(n_candidates: int = 2, *, best: str | None = "c0"
                   ) -> tuple[dict[str, Any], dict[str, Any]]:
    entries = [make_entry(f"c{i}", "candidate", "predictions", 0.1 * i, metrics={"ece": 0.01 * (i + 1)})
               for i in range(n_candidates)]
    entries += [make_entry("paper", "baseline", "external", 0.3, metrics={}),
                make_entry("rule", "baseline", "rule", 0.4, metrics={"ece": 0.2}),
                make_entry("$x$ rule", "baseline", "rule", 0.5, metrics={"ece": 0.3})]
    record = make_record(entries, best=best, strongest="paper", metric_definitions={"ece": {}})
    curves = {"format": 1, "task": "binary", "classes": ["0", "1"], "curve_classes": ["1"],
              "reliability": {"bins": 10, "binning": "width", "forecast": "positive-class score"},
              "entries": {e["name"]: {"role": e["role"], "kind": e["kind"], "reliability": table(0.05 * i)}
                          for i, e in enumerate(entries) if e["kind"] != "external"}}
    return record, curves


def gids(figure, prefix: str) -> list[str]:
    return [a.get_gid() for ax in figure.axes for a in (*ax.lines, *ax.patches)
            if (a.get_gid() or "").startswith(prefix)]


def test_the_best_candidate_and_the_strongest_baseline_with_scores_are_highlighted():
    record, curves = calibrated_run()
    highlighted, faded, notes = reliability_subjects(record, curves)
    # The strongest baseline is an external number without scores: the top-ranked scoring one stands in.
    assert highlighted == [("c0", "best candidate"), ("rule", "strongest baseline with scores")]
    assert faded == ["c1", "$x$ rule"] and notes == []
    figure = reliability_figure(record, curves)
    assert set(gids(figure, "reliability:")) == {"reliability:c0", "reliability:rule", "reliability:c1",
                                                 "reliability:$x$ rule"}
    assert {g.split(":", 1)[1] for g in gids(figure, "counts:")} == {"c0", "rule"}  # the bin-count strip
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels[:3] == ["best candidate: c0 (ECE 0.010)",
                          "strongest baseline with scores: rule (ECE 0.200)", "perfectly calibrated"]
    assert "$x$ rule (ECE 0.300)" in labels  # a name is text, not mathtext
    assert "10 equal-width bins" in figure.axes[0].get_title(loc="left")


def test_at_most_six_lines_with_the_others_left_out_by_rank():
    record, curves = calibrated_run(n_candidates=8)
    highlighted, faded, _ = reliability_subjects(record, curves)
    assert len(highlighted) + len(faded) == MAX_LINES
    assert faded == ["c1", "c2", "c3", "c4"]


def test_without_a_feasible_candidate_the_top_ranked_one_stands_in_and_says_so():
    record, curves = calibrated_run(best=None)
    highlighted, _, notes = reliability_subjects(record, curves)
    assert highlighted[0] == ("c0", "top-ranked candidate with scores")
    assert notes == ["no candidate is feasible, so the top-ranked one with scores is highlighted"]


def test_no_diagram_without_calibration_metrics_or_scores():
    record, curves = calibrated_run()
    spec = next(s for s in FIGURES if s.name == "reliability")
    assert spec.applies(record)
    assert not spec.applies({**record, "metric_definitions": {"accuracy": {}}})
    with pytest.raises(NothingToDraw, match="set calibration:"):
        reliability_figure(record, {**curves, "reliability": None})
    with pytest.raises(NothingToDraw, match="no entry gives scores"):
        reliability_figure(record, {**curves, "entries": {}})
