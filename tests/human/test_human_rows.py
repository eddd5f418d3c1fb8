"""Human rows end to end on the hand-worked panel of tests/human/conftest.py (read its table first)."""

from __future__ import annotations

from typing import Any

import pytest

from evalkit.baselines.human_reference import human_level
from evalkit.entry import Entry
from evalkit.report import markdown_report
from evalkit.strategies.base import Outcome


def by_name(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in record["entries"]}


def human_names(record: dict[str, Any]) -> set[str]:
    return {e["name"] for e in record["entries"] if e["kind"] == "human"}


def test_each_group_gets_a_mean_annotator_and_a_majority_vote_row(run):
    assert human_names(run()) == {"panel/crowd/mean_annotator", "panel/crowd/majority_vote",
                                  "panel/expert/mean_annotator", "panel/expert/majority_vote"}


def test_without_groups_the_rows_are_named_without_a_group(run, files):
    (files / "plain.csv").write_text((files / "panel.csv").read_text().replace(",group", ",team"))
    record = run(path="plain.csv")
    assert human_names(record) == {"panel/mean_annotator", "panel/majority_vote"}
    mean = by_name(record)["panel/mean_annotator"]
    # c1..c3 and e1..e3 averaged; c4 (2 items) is not
    assert mean["metrics"]["accuracy"] == pytest.approx((4 / 6 + 4 / 6 + 3 / 4 + 1 + 5 / 6 + 5 / 6) / 6)


def test_mean_annotator_averages_annotators_with_enough_items_and_lists_the_rest(run):
    crowd = by_name(run())["panel/crowd/mean_annotator"]
    assert crowd["metrics"]["accuracy"] == pytest.approx(25 / 36)
    assert crowd["averaged_annotators"] == 3 and crowd["n_annotators"] == 4
    c4 = crowd["annotators"]["c4"]
    assert (c4["n_items"], c4["averaged"], c4["metrics"]["accuracy"]) == (2, False, 0.0)
    assert "c4" in crowd["not_averaged"]
    assert crowd["spread"]["accuracy"] == {"min": pytest.approx(4 / 6), "median": pytest.approx(4 / 6),
                                           "max": 0.75}
    assert crowd["interval"]["accuracy"]["low"] == pytest.approx(25 / 36 - 0.119518, abs=1e-5)
    assert crowd["coverage"] == {"items": 6, "of": 8, "share": 0.75}
    assert crowd["items_per_annotator"] == {"min": 4, "median": 6.0, "max": 6}


def test_min_items_is_configurable(run):
    crowd = by_name(run(min_items=5))["panel/crowd/mean_annotator"]
    assert crowd["averaged_annotators"] == 2  # c3 (4 items) drops out too
    assert crowd["metrics"]["accuracy"] == pytest.approx(4 / 6)


def test_majority_vote_counts_ties_in_expectation_by_default(run):
    # crowd votes: item 1 right, items 2, 5, 6 tied 1-1 or 2-2 (half right each), items 3, 4 right -> 4.5/6
    vote = by_name(run())["panel/crowd/majority_vote"]
    assert vote["metrics"]["accuracy"] == pytest.approx(4.5 / 6)
    assert (vote["tied_items"], vote["tie_rule"]) == (3, "expected")
    assert vote["coverage"] == {"items": 6, "of": 8, "share": 0.75}


def test_majority_vote_exclude_drops_tied_items_and_shrinks_coverage(run):
    vote = by_name(run(tie_rule="exclude"))["panel/crowd/majority_vote"]
    assert vote["metrics"]["accuracy"] == 1.0
    assert vote["coverage"]["items"] == 3


def test_majority_vote_random_breaks_each_tie_one_way(run):
    accuracy = by_name(run(tie_rule="random", seed=1))["panel/crowd/majority_vote"]["metrics"]["accuracy"]
    assert accuracy in (pytest.approx(3 / 6), pytest.approx(4 / 6), pytest.approx(5 / 6), 1.0)
    again = by_name(run(tie_rule="random", seed=1))["panel/crowd/majority_vote"]["metrics"]["accuracy"]
    assert accuracy == again


def test_expert_agreement_is_reported_on_every_row_of_the_group(run):
    rows = by_name(run(best_annotator=True))
    agreement = rows["panel/expert/majority_vote"]["agreement"]
    assert agreement["cohen_kappa"]["value"] == pytest.approx((2 / 3 + 2 / 3 + 2 / 5) / 3)
    assert agreement["fleiss_kappa"]["value"] == pytest.approx(5 / 9)
    assert agreement["krippendorff_alpha"]["value"] == pytest.approx(94 / 162)
    assert rows["panel/expert/mean_annotator"]["agreement"] == agreement
    assert rows["panel/expert/best_annotator"]["agreement"] == agreement
    # crowd pairs need min_items (3) shared items: c4 shares 2 with everyone, so 3 of 6 pairs count
    assert rows["panel/crowd/mean_annotator"]["agreement"]["cohen_kappa"]["pairs"] == 3


def test_best_annotator_is_an_optional_flagged_ceiling(run):
    assert not any(n.endswith("best_annotator") for n in human_names(run()))
    rows = by_name(run(best_annotator=True))
    crowd, expert = rows["panel/crowd/best_annotator"], rows["panel/expert/best_annotator"]
    assert (crowd["annotator"], crowd["metrics"]["accuracy"]) == ("c3", 0.75)
    assert (expert["annotator"], expert["metrics"]["accuracy"]) == ("e1", 1.0)
    assert "optimistic ceiling" in crowd["ceiling"]


def test_best_annotator_is_best_by_the_strategy(run, files):
    # "sharp" has the higher precision but misses recall >= 0.9; "broad" is the feasible one
    sharp, broad = [1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]  # items 1-6; truth 1 1 1 0 0 0
    (files / "two.csv").write_text("id,annotator,label\n" + "".join(
        f"{i},sharp,{s}\n{i},broad,{b}\n" for i, s, b in zip(range(1, 7), sharp, broad, strict=True)))
    strategy = {"name": "satisficing", "optimize": "precision", "constraints": {"recall": ">= 0.9"}}
    record = run(path="two.csv", best_annotator=True, strategy=strategy)
    assert by_name(record)["panel/best_annotator"]["annotator"] == "broad"


def test_candidates_are_also_scored_on_each_human_rows_own_items(run):
    rows = by_name(run(best_annotator=True))
    mean = rows["panel/crowd/mean_annotator"]["paired"]
    # the model as a fourth crowd annotator: 5/6 on c1's items, 5/6 on c2's, 3/4 on c3's (items 1-4)
    assert mean["candidates"]["model"]["score"] == pytest.approx(29 / 36)
    assert mean["human_score"] == pytest.approx(25 / 36)
    assert mean["candidates"]["model"]["margin_over_human"] == pytest.approx(4 / 36)
    assert mean["candidates"]["model"]["full_set_score"] == pytest.approx(6 / 8)
    assert (mean["items"], mean["of"]) == (6, 8)
    vote, best = rows["panel/crowd/majority_vote"]["paired"], rows["panel/crowd/best_annotator"]["paired"]
    assert vote["candidates"]["model"]["score"] == pytest.approx(5 / 6)
    assert best["candidates"]["model"]["score"] == pytest.approx(3 / 4)  # c3's items 1-4
    assert best["items"] == 4


def test_human_level_is_the_best_human_row_that_is_not_a_ceiling(run):
    record = run(best_annotator=True)
    # expert/best_annotator also scores 1.0, but a ceiling is never the human level
    level = record["human_level"]
    assert (level["name"], level["score"]) == ("panel/expert/majority_vote", 1.0)
    assert level["metric_values"]["accuracy"] == 1.0
    assert level["coverage"]["items"] == 6


def test_human_level_flag_picks_among_the_flagged_baselines_of_any_kind(run):
    published = {"kind": "external", "metrics": {"accuracy": 0.8}, "source": "a paper", "human_level": True}
    level = run(baselines={"published_humans": published})["human_level"]
    assert (level["name"], level["score"]) == ("published_humans", 0.8)
    crowd = {"kind": "human", "path": "panel.csv", "groups": {"crowd": ["crowd"]}, "human_level": True}
    assert run(baselines={"crowd_only": crowd})["human_level"]["name"] == "crowd_only/crowd/majority_vote"


def test_no_human_rows_means_no_human_level(run):
    external = {"kind": "external", "metrics": {"accuracy": 0.5}, "source": "guess"}
    assert run(with_panel=False, baselines={"guess": external})["human_level"] is None


def test_groups_express_the_ladder_up_to_a_mixture(run):
    record = run(groups={"crowd": ["crowd"], "everyone": ["crowd", "expert"]})
    assert human_names(record) == {"panel/crowd/mean_annotator", "panel/crowd/majority_vote",
                                   "panel/everyone/mean_annotator", "panel/everyone/majority_vote"}
    assert by_name(record)["panel/everyone/majority_vote"]["group_values"] == ["crowd", "expert"]


def test_labels_outside_the_evaluated_set_are_ignored_and_counted(run):
    assert by_name(run())["panel/crowd/mean_annotator"]["ignored_labels"].startswith("1 label(s)")


def test_report_has_the_human_section(run):
    text = markdown_report(run(best_annotator=True))
    section = text.split("## Human baselines", 1)[1]
    assert "Human level" in section and "**panel/expert/majority_vote**" in section
    assert "Cohen's kappa 0.5778" in section and "Fleiss' kappa 0.5556" in section
    assert "Krippendorff's alpha 0.5802" in section
    assert "### Candidates and humans on the same items" in section
    assert ("| panel/crowd/mean_annotator | 6 of 8 | each annotator's items, averaged | 0.6944 | 0.8056 |"
            in section)
    assert any("an optimistic ceiling" in line and "panel/crowd/best_annotator" in line
               for line in text.split("## Caveats", 1)[1].splitlines())


def test_human_level_needs_only_the_entries_so_a_merged_record_agrees(run):
    published = {"kind": "external", "metrics": {"accuracy": 0.8}, "source": "a paper", "human_level": True}
    record = run(best_annotator=True, baselines={"published_humans": published})
    # rebuild entries from metrics.json alone, as `evalkit compare` does when it merges runs
    standard = {"name", "role", "kind", "metrics", "rank", "score", "feasible", "violations",
                "unchecked_constraints", "score_reason", "metric_notes"}
    rebuilt = [Entry(name=row["name"], role=row["role"], kind=row["kind"], metrics=row["metrics"],
                     details={k: v for k, v in row.items() if k not in standard},
                     outcome=Outcome(score=row["score"], feasible=row["feasible"]))
               for row in record["entries"]]
    assert human_level(rebuilt, higher_is_better=True)["name"] == record["human_level"]["name"] == \
        "published_humans"
