"""What a human baseline reads: CSV or Parquet exports, other column names, and errors that say the fix."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError


def test_parquet_with_the_exports_own_column_names_gives_the_same_rows(run, files, panel_table):
    renamed = panel_table.rename(columns={"annotator": "worker", "label": "answer", "group": "team"})
    renamed.to_parquet(files / "export.parquet", index=False)
    from_parquet = run(path="export.parquet", annotator_column="worker", label_column="answer",
                       group_column="team")
    from_csv = run()
    assert [(e["name"], e["metrics"]) for e in from_parquet["entries"]] == \
        [(e["name"], e["metrics"]) for e in from_csv["entries"]]


def test_a_named_group_column_must_exist(run):
    with pytest.raises(DataError, match=r"panel\.csv.*no column 'team'.*group_column"):
        run(group_column="team")


def test_an_annotator_in_two_groups_is_an_error(run, files, panel_table):
    frame = panel_table
    frame.loc[0, "group"] = "expert"  # c1 is crowd everywhere else
    frame.to_csv(files / "panel.csv", index=False)
    with pytest.raises(DataError, match=r"\['c1'\] appear in more than one group"):
        run()


def test_one_label_per_annotator_and_item(run, files, panel_table):
    pd.concat([panel_table, panel_table.head(1)]).to_csv(files / "panel.csv", index=False)
    with pytest.raises(DataError, match=r"1 \(id, annotator\) pair\(s\) appear twice"):
        run()


def test_labels_must_be_the_truths_labels(run, files, panel_table):
    panel_table.assign(label=lambda f: f["label"].map({0: "no", 1: "yes"})).to_csv(files / "panel.csv",
                                                                                    index=False)
    with pytest.raises(DataError, match=r"label\(s\) outside the truth's label set"):
        run()


@pytest.mark.parametrize(("setting", "message"), [
    ({"tie_rule": "coin"}, r"tie_rule: 'coin' is not one of expected, random, exclude"),
    ({"min_items": 0}, r"min_items: 0 must be at least 1"),
    ({"groups": {"experts": []}}, r"groups\.experts: list the group-column values"),
    ({"groups": {"a/b": ["crowd"]}}, r"must be non-empty and without '/'"),
])
def test_config_mistakes_fail_before_any_data_is_read(run, files, setting, message):
    (files / "panel.csv").unlink()  # a config error must come first, not "file not found"
    with pytest.raises(ConfigError, match=message):
        run(**setting)
