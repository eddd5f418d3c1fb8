"""The slices: section and the slice columns: what is accepted, and the bad input refused with the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError, DataError
from evalkit.slices import check_slices, metadata_note
from evalkit.slices.conditions import bin_conditions, declared_slices, quantile_conditions, slice_table
from evalkit.slices.spec import DeclaredSlice, parse_slices


def test_a_full_section_is_typed_and_a_bare_list_means_the_declared_slicings():
    spec = parse_slices({"min_items": 10,
                         "declared": [{"column": "site"}, {"column": "age", "bins": [0, 18, 65]},
                                      {"columns": ["site", "age"], "bins": {"age": [0, 65, 120]}}],
                         "search": {"max_conditions": 3, "top": 2, "fdr": 0.1}})
    assert spec is not None and spec.min_items == 10
    assert [d.columns for d in spec.declared] == [("site",), ("age",), ("site", "age")]
    assert spec.declared[2].bins == {"age": (0.0, 65.0, 120.0)}
    assert spec.search is not None
    assert (spec.search.max_conditions, spec.search.top, spec.search.fdr) == (3, 2, 0.1)
    assert spec.search_columns == ("site", "age")  # the search defaults to the declared columns
    bare = parse_slices([{"column": "site"}])
    assert bare is not None and bare.min_items == 30 and bare.search is None


@pytest.mark.parametrize(("raw", "message"), [
    ({"declared": [{"column": "age", "bins": [0, 65, 18]}]}, "strictly increasing (18 follows 65)"),
    ({"declared": [{"column": "age", "bins": [0, 18, 18]}]}, "strictly increasing"),
    ({"declared": [{"column": "a"}], "min_itmes": 3},
     "unknown key(s) ['min_itmes']; valid keys here: min_items"),
    ({"declared": [{"column": "a", "bin": [1, 2]}]}, "unknown key(s) ['bin']"),
    ({"declared": [{"column": "a"}], "search": {"depth": 2}}, "unknown key(s) ['depth']"),
    ({"declared": [{"column": "a"}], "search": {"max_conditions": 4}}, "between 1 and 3"),
    ({"declared": [{"column": "a"}], "search": {"fdr": 5}}, "between 0 and 1"),
    ({"declared": [{"columns": ["a"]}]}, "two or three columns"),
    ({"declared": [{"columns": ["a", "b"], "bins": {"c": [0, 1]}}]}, "not among the crossed columns"),
    ({"declared": [{"column": "a", "columns": ["a", "b"]}]}, "not both or neither"),
    ({"declared": [], "min_items": 0}, "slices.min_items=0 must be an integer >= 1"),
    ({"declared": []}, "nothing to slice by"),
])
def test_bad_sections_are_refused_naming_the_key_and_the_fix(raw, message):
    with pytest.raises(ConfigError, match="slices") as caught:
        parse_slices(raw)
    assert message in str(caught.value)


def test_a_task_that_cannot_be_sliced_is_refused_before_any_data_is_read(monkeypatch):
    from evalkit.tasks import get_task

    assert check_slices([{"column": "width"}], "detection") is not None  # images are sliced by their fields
    monkeypatch.setattr(get_task("detection"), "supports_slices", False)
    with pytest.raises(ConfigError, match="task 'detection' cannot be scored per slice"):
        check_slices([{"column": "site"}], "detection")
    assert check_slices(None, "binary") is None


def test_an_unknown_column_lists_the_columns_there_are():
    features = pd.DataFrame({"site": ["a", "b"], "age": [3, 70]})
    with pytest.raises(ConfigError, match=r"column\(s\) \['sex'\] not found; the columns are: site, age"):
        slice_table(np.array(["1", "2"], dtype=object), features, None, ["sex"])


def test_metadata_joins_by_id_and_missing_ids_are_counted_with_a_few_shown():
    ids = np.array(["1", "2", "3"], dtype=object)
    metadata = pd.DataFrame({"site": ["x", "y", "z", "w"]}, index=["3", "1", "2", "9"])
    table = slice_table(ids, None, metadata, ["site"])
    assert table["site"].tolist() == ["y", "z", "x"]  # in the truth's order, not the file's
    note = metadata_note(metadata, ids, "m.csv")
    assert note is not None and "1 row(s) for ids not in the truth were ignored (e.g. ['9'])" in note
    with pytest.raises(DataError, match=r"meta.csv: 2 of 3 truth ids have no row \(e.g. \['2', '3'\]\)"):
        slice_table(ids, None, metadata.loc[["1"]], ["site"], metadata_source="meta.csv")


def test_bins_are_half_open_except_the_last_and_items_outside_are_counted():
    table = pd.DataFrame({"age": [0, 17.9, 18, 65, 120, 121, np.nan]})
    slices, outside = declared_slices(DeclaredSlice(("age",), {"age": (0.0, 18.0, 65.0, 120.0)}), table)
    assert [(s.name, s.items.tolist()) for s in slices] == [
        ("age in [0, 18)", [0, 1]), ("age in [18, 65)", [2]), ("age in [65, 120]", [3, 4])]
    assert outside == 2  # 121 and the missing value


def test_a_cross_is_every_pair_of_values_and_a_text_column_cannot_be_binned():
    table = pd.DataFrame({"site": ["a", "b", "a", "b"], "age": [1, 1, 50, 50]})
    slices, outside = declared_slices(DeclaredSlice(("site", "age"), {"age": (0.0, 18.0, 99.0)}), table)
    assert {s.name: s.items.tolist() for s in slices} == {
        "site = a & age in [0, 18)": [0], "site = a & age in [18, 99]": [2],
        "site = b & age in [0, 18)": [1], "site = b & age in [18, 99]": [3]}
    assert outside == 0
    with pytest.raises(ConfigError, match="'site' is not numeric, so it cannot be binned"):
        bin_conditions("site", table["site"], [0, 1])


def test_a_numeric_column_with_many_values_needs_bins_and_the_search_bins_it_by_quantiles():
    values = pd.Series(np.arange(100, dtype=float))
    with pytest.raises(ConfigError, match="numeric with 100 distinct values; give it bins"):
        declared_slices(DeclaredSlice(("x",)), pd.DataFrame({"x": values}))
    quartiles = quantile_conditions("x", values, 4)
    assert [len(c.items) for c in quartiles] == [25, 25, 25, 25]
