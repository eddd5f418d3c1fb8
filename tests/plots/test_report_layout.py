"""report.md reads answer first: the verdict, the leaderboard of the strategy's metrics and the
significance; then every metric in narrow tables, the caveats one line per kind, the people, the figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from plot_data import make_entry

from evalkit.html_report import markdown_to_html
from evalkit.paths import bundled_conf_dir
from evalkit.report import METRICS_PER_TABLE, grouped_caveats, holm_explanation, markdown_report, shown_path


@pytest.fixture
def record(satisficing_record: dict) -> dict:
    """The figures' record, without the human panel's details (the human section has tests of its own)."""
    satisficing_record["bootstrap"]["seed"] = 0
    satisficing_record.pop("human_level")
    for entry in satisficing_record["entries"]:
        if entry["kind"] == "human":
            entry["kind"] = "rule"
    return satisficing_record


def _comparison(b: str, ci: list[float], verdict: str) -> dict:
    return {"a": "alpha", "b": b, "metric": "score", "diff": sum(ci) / 2, "ci": ci, "p_value": 0.01,
            "p_adjusted": 0.2, "test": "paired bootstrap", "items": 100, "verdict": verdict}


def test_the_answer_comes_first_and_the_figures_last(record):
    record["comparisons"] = [_comparison("beta", [0.01, 0.05], "not distinguishable")]
    report = markdown_report(record, figures=[("PR curves", "plots/pr_curves.png")])
    order = [report.index(part) for part in ("**Best: alpha.**", "## Leaderboard", "## Is the best candidate",
                                             "## Every metric", "## Caveats", "## Figures",
                                             "](plots/pr_curves.png)")]
    assert order == sorted(order)
    leaderboard = report.split("## Leaderboard", 1)[1].split("##", 1)[0]
    header = next(line for line in leaderboard.splitlines() if line.startswith("| \\# |"))
    # the strategy's metrics only: the rest are in "Every metric", so the table fits a laptop screen
    assert header == "| \\# | entry | role | kind | score | feasible | precision | recall | latency_ms |"


def test_every_metric_comes_in_tables_narrow_enough_for_a_laptop(record):
    for entry in record["entries"]:
        entry["metrics"] |= {f"m{i}": 0.5 for i in range(10)}
    record["metric_directions"] |= {f"m{i}": "higher" for i in range(10)}
    section = markdown_report(record).split("## Every metric", 1)[1].split("\n## ", 1)[0]
    headers = [line for line in section.splitlines() if line.startswith("| \\# |")]
    assert len(headers) == 3  # 13 metrics, at most 6 a table
    assert all(line.count("|") - 3 <= METRICS_PER_TABLE for line in headers)


def test_caveats_are_one_line_per_kind_naming_the_entries(record):
    for entry in record["entries"]:
        if entry["name"] != "alpha":
            entry["unchecked_constraints"] = ["latency_ms <= 50"]
    lines = grouped_caveats(record)
    unchecked = [line for line in lines if "not checked" in line]
    assert unchecked == ["latency_ms <= 50 not checked for: beta, spec, panel/majority_vote, gamma, rule, "
                         "majority (they do not report it)"]
    infeasible = [line for line in lines if line.startswith("infeasible by")]
    assert infeasible == ["infeasible by recall >= 0.95: panel/majority_vote (recall 0.9), "
                          "gamma (recall 0.9), rule (recall 0.9), majority (recall 0.9)"]
    assert "feasible but fragile, meeting every constraint in under 95% of bootstrap resamples: beta (60%)" \
        in lines
    kinds = [line.split(":", 1)[0] for line in lines]
    assert len(kinds) == len(set(kinds))  # each kind once


def test_holm_is_named_where_an_interval_excluding_zero_is_not_distinguishable():
    rows = [_comparison("beta", [0.02, 0.17], "not distinguishable"),
            _comparison("gamma", [-0.01, 0.10], "not distinguishable"),
            _comparison("rule", [0.05, 0.20], "better")]
    text = holm_explanation(rows)
    assert text is not None and "Holm-adjusted" in text and "all 3 comparisons" in text
    assert text.endswith("Here: beta (score).")
    assert holm_explanation(rows[1:]) is None  # nothing to explain


def test_paths_are_shown_relative_to_the_run_or_to_evalkit(tmp_path):
    run_dir = tmp_path / "exp" / "results" / "run1"
    assert shown_path(str(tmp_path / "exp" / "panel.csv"), run_dir) == "../../panel.csv"
    bundled = bundled_conf_dir().parent / "baselines" / "human" / "panel.csv"
    assert shown_path(str(bundled), run_dir) == "<evalkit>/baselines/human/panel.csv"
    assert shown_path("built-in dataset 'iris'", run_dir) == "built-in dataset 'iris'"
    assert shown_path(str(Path("/elsewhere/panel.csv")), None) == "/elsewhere/panel.csv"


def test_the_page_puts_each_interval_under_its_value_and_lets_long_names_wrap():
    entry = make_entry("panel/expert/majority_vote_long", "baseline", "human", 0.9)
    table = "| entry | score |\n|---|---|\n| " + entry["name"] + " | 0.9000 \\[0.850, 0.950\\] |"
    html = markdown_to_html(table, {})
    assert '<td>0.9000<span class="ci">[0.850, 0.950]</span></td>' in html
    assert '<td class="wrap">panel/<wbr>expert/<wbr>majority_<wbr>vote_<wbr>long</td>' in html
